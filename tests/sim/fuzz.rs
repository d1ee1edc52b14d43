//! Random and mutated request bodies (JSON and not) into the simulator over loopback: no
//! HTTP 5xx, no panic, and no money moved by a request that was refused.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::common::*;

/// One change to a valid request body.
#[derive(Debug, Clone)]
enum Mutation {
    /// Remove the n-th key (top level, or of `req_list[0]`).
    Remove { nested: bool, n: usize },
    /// Replace the n-th key's value.
    Replace { nested: bool, n: usize, value: Junk },
    /// Add a key that is not in the catalogue.
    Add { key: String, value: Junk },
    /// Repeat the n-th key with another value (textually: JSON keeps the first).
    Duplicate { n: usize, value: Junk },
    /// Cut the serialised body at a fraction of its length.
    Truncate { per_mille: u16 },
    /// Overwrite a byte of the serialised body.
    Byte { per_mille: u16, byte: u8 },
}

#[derive(Debug, Clone)]
enum Junk {
    Text(String),
    Digits(String),
    Number(i64),
    Float(f64),
    Null,
    Bool(bool),
    List(Vec<String>),
    Object,
}

impl Junk {
    fn json(&self) -> Value {
        match self {
            Junk::Text(s) | Junk::Digits(s) => Value::String(s.clone()),
            Junk::Number(n) => json!(n),
            Junk::Float(f) => json!(f),
            Junk::Null => Value::Null,
            Junk::Bool(b) => json!(b),
            Junk::List(items) => json!(items),
            Junk::Object => json!({ "tran_amt": "1", "": [] }),
        }
    }
}

fn junk() -> impl Strategy<Value = Junk> {
    prop_oneof![
        ".{0,30}".prop_map(Junk::Text),
        "[ \u{3000}\t]{0,3}".prop_map(Junk::Text),
        "-?[0-9]{1,25}".prop_map(Junk::Digits),
        any::<i64>().prop_map(Junk::Number),
        any::<f64>().prop_map(Junk::Float),
        Just(Junk::Null),
        any::<bool>().prop_map(Junk::Bool),
        prop::collection::vec("[0-9A-Za-z]{0,5}", 0..3).prop_map(Junk::List),
        Just(Junk::Object),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<bool>(), 0usize..20).prop_map(|(nested, n)| Mutation::Remove { nested, n }),
        (any::<bool>(), 0usize..20, junk()).prop_map(|(nested, n, value)| Mutation::Replace { nested, n, value }),
        ("[a-z_]{1,20}", junk()).prop_map(|(key, value)| Mutation::Add { key, value }),
        (0usize..20, junk()).prop_map(|(n, value)| Mutation::Duplicate { n, value }),
        (0u16..1000).prop_map(|per_mille| Mutation::Truncate { per_mille }),
        (0u16..1000, any::<u8>()).prop_map(|(per_mille, byte)| Mutation::Byte { per_mille, byte }),
    ]
}

#[derive(Debug, Clone)]
enum Case {
    /// Bytes that are probably not JSON at all.
    Raw { api: usize, bytes: Vec<u8> },
    /// A valid body of the API with a few mutations.
    Mutated { api: usize, amount: u32, mutations: Vec<Mutation> },
    /// A query string for an inquiry (GET).
    Query { query: String },
}

const APIS: [&str; 3] = ["/v2.0/transfer/withdraw/fin_num", "/v2.0/transfer/deposit/fin_num", "/oauth/2.0/token"];

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![
        1 => (0usize..APIS.len(), prop::collection::vec(any::<u8>(), 0..200)).prop_map(|(api, bytes)| Case::Raw { api, bytes }),
        4 => (0usize..2, 1u32..3_000_000, prop::collection::vec(mutation(), 0..4))
            .prop_map(|(api, amount, mutations)| Case::Mutated { api, amount, mutations }),
        1 => "[ -~]{0,120}".prop_map(|query| Case::Query { query }),
    ]
}

fn key_at(map: &serde_json::Map<String, Value>, n: usize) -> Option<String> {
    (!map.is_empty()).then(|| map.keys().nth(n % map.len()).unwrap().clone())
}

fn target_map(body: &mut Value, nested: bool) -> Option<&mut serde_json::Map<String, Value>> {
    let v = if nested { body.get_mut("req_list")?.get_mut(0)? } else { body };
    v.as_object_mut()
}

/// Applies the mutations; the result is the body's text.
fn mutate(mut body: Value, mutations: &[Mutation]) -> Vec<u8> {
    let mut tail: Vec<(String, Value)> = Vec::new();
    let mut cuts = Vec::new();
    for m in mutations {
        match m {
            Mutation::Remove { nested, n } => {
                if let Some(map) = target_map(&mut body, *nested)
                    && let Some(k) = key_at(map, *n)
                {
                    map.remove(&k);
                }
            }
            Mutation::Replace { nested, n, value } => {
                if let Some(map) = target_map(&mut body, *nested)
                    && let Some(k) = key_at(map, *n)
                {
                    map.insert(k, value.json());
                }
            }
            Mutation::Add { key, value } => {
                body[key.as_str()] = value.json();
            }
            Mutation::Duplicate { n, value } => {
                if let Some(k) = body.as_object().and_then(|m| key_at(m, *n)) {
                    tail.push((k, value.json()));
                }
            }
            Mutation::Truncate { .. } | Mutation::Byte { .. } => cuts.push(m.clone()),
        }
    }
    let mut text = body.to_string().into_bytes();
    if !tail.is_empty() && text.last() == Some(&b'}') {
        text.pop();
        for (k, v) in tail {
            text.extend_from_slice(format!(",{}:{}", Value::String(k), v).as_bytes());
        }
        text.push(b'}');
    }
    for m in cuts {
        match m {
            Mutation::Truncate { per_mille } => text.truncate(text.len() * per_mille as usize / 1000),
            Mutation::Byte { per_mille, byte } if !text.is_empty() => {
                let at = (text.len() - 1) * per_mille as usize / 1000;
                text[at] = byte;
            }
            _ => {}
        }
    }
    text
}

struct Fixture {
    rt: tokio::runtime::Runtime,
    sim: Sim,
    user: String,
    oob: String,
}

/// A simulator for the body fuzz.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(start_fixture)
}

/// A simulator of its own for the admin fuzz, whose faults and clock would disturb the other.
fn admin_fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(start_fixture)
}

fn start_fixture() -> Fixture {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (sim, user, oob) = rt.block_on(async {
        let sim = Sim::start().await;
        let user = sim.user_token(USER1).await;
        let oob = sim.oob_token().await;
        (sim, user, oob)
    });
    Fixture { rt, sim, user, oob }
}

/// Balances a refused request must leave alone.
async fn balances(sim: &Sim) -> (u64, u64, Value) {
    let ledger = sim.admin_get("/_sim/ledger").await;
    (sim.balance_of(FIN1).await, sim.balance_of(FIN_USER2).await, ledger)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, max_shrink_iters: 200, .. ProptestConfig::default() })]

    #[test]
    fn random_and_mutated_bodies_never_get_a_5xx_nor_move_money_when_refused(case in case()) {
        let f = fixture();
        let sim = &f.sim;
        f.rt.block_on(async {
            if let Case::Query { query } = &case {
                let r = sim.http.get(format!("{}/v2.0/account/balance/fin_num?{query}", sim.base)).bearer_auth(&f.user);
                let status = r.send().await.map(|r| r.status().as_u16());
                // reqwest refuses some URLs before sending; what reaches the simulator gets a 200.
                if let Ok(status) = status {
                    prop_assert_eq!(status, 200, "query {:?}", query);
                }
                return Ok(());
            }
            let (api, body, token) = match &case {
                Case::Raw { api, bytes } => (*api, bytes.clone(), if *api == 1 { &f.oob } else { &f.user }),
                Case::Mutated { api: 0, amount, mutations } => {
                    (0, mutate(sim.withdraw_body(FIN1, &amount.to_string()).await, mutations), &f.user)
                }
                Case::Mutated { api, amount, mutations } => {
                    (*api, mutate(sim.deposit_body(FIN_USER2, &amount.to_string()).await, mutations), &f.oob)
                }
                Case::Query { .. } => unreachable!("answered above"),
            };
            let before = balances(sim).await;
            let r = sim.http.post(format!("{}{}", sim.base, APIS[api])).bearer_auth(token)
                .header("content-type", if api == 2 { "application/x-www-form-urlencoded" } else { "application/json" })
                .body(body.clone()).send().await.unwrap();
            let status = r.status().as_u16();
            let answer: Value = r.json().await.unwrap_or(Value::Null);
            prop_assert!(status < 500, "HTTP {} for {:?}", status, String::from_utf8_lossy(&body));
            prop_assert_eq!(status, 200);
            let after = balances(sim).await;
            prop_assert_eq!(&before.2["total_amt"], &after.2["total_amt"], "money is conserved");
            if answer["rsp_code"] != "A0000" {
                prop_assert_eq!(&before, &after, "refused ({}) but money moved: {:?}", answer, String::from_utf8_lossy(&body));
            }
            Ok(())
        })?;
    }
}

const ADMIN_KEYS: &[&str] = &[
    "api",
    "action",
    "rsp_code",
    "bank_rsp_code",
    "commit",
    "settle_after_inquiries",
    "settle_after_seconds",
    "ms",
    "nth",
    "times",
    "tran_amt",
    "fintech_use_num",
    "seconds",
    "users",
];

fn admin_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        junk().prop_map(|j| j.json()),
        prop_oneof![
            Just("transfer.withdraw"),
            Just("account.balance"),
            Just("respond"),
            Just("delay"),
            Just("drop"),
            Just("later"),
            Just("yes"),
            Just("A0001"),
            Just("400"),
        ]
        .prop_map(|s| json!(s)),
        prop_oneof![Just(u64::MAX), Just(i64::MAX as u64), Just(0u64), Just(1u64), Just(1u64 << 53)]
            .prop_map(|n| json!(n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, failure_persistence: None, max_shrink_iters: 100, .. ProptestConfig::default() })]

    #[test]
    fn random_admin_input_is_answered_without_a_5xx_and_the_simulator_keeps_working(
        endpoint in 0usize..3,
        fields in prop::collection::vec((0usize..ADMIN_KEYS.len(), admin_value()), 0..6),
    ) {
        let f = admin_fixture();
        let sim = &f.sim;
        f.rt.block_on(async {
            let body: serde_json::Map<String, Value> =
                fields.into_iter().map(|(k, v)| (ADMIN_KEYS[k].to_string(), v)).collect();
            let path = ["/_sim/faults", "/_sim/clock/advance", "/_sim/fixture"][endpoint];
            let (status, answer) = sim.admin_post(path, Value::Object(body.clone())).await;
            prop_assert!(status < 500, "HTTP {} for {} {}: {}", status, path, Value::Object(body), answer);
            if status >= 400 {
                prop_assert!(answer["error"].is_string(), "a JSON error: {}", answer);
            }
            // Whatever was armed or advanced, the simulator still answers and keeps its money.
            let total = sim.total_money().await;
            sim.http.delete(format!("{}/_sim/faults", sim.base)).header("X-Sim-Admin-Token", sim.handle.admin_token())
                .send().await.unwrap();
            let v = sim.get(&f.user, "/v2.0/user/me", &[("user_seq_no", USER1)]).await;
            prop_assert!(v["rsp_code"].is_string(), "{}", v);
            prop_assert_eq!(sim.total_money().await, total);
            Ok(())
        })?;
    }
}

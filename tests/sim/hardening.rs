//! Issue 10, simulator side: a hostile or careless peer can neither open the admin API,
//! crash the clock, hold connections open, nor move money with a request that is refused.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use obharness::sim::{self, SimConfig};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

/// Runs `obharness sim` and waits (at most a few seconds) for it to exit on its own.
fn sim_exits(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_obharness"));
    cmd.arg("sim").args(["--listen", "127.0.0.1:0"]).args(args).env_remove("OBH_SIM_ADMIN_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            return (status.code(), text);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    (None, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn an_empty_admin_token_refuses_to_start_with_exit_2() {
    for (args, env) in [
        (vec!["--admin-token", ""], vec![]),
        (vec!["--admin-token", "   "], vec![]),
        (vec![], vec![("OBH_SIM_ADMIN_TOKEN", "")]),
    ] {
        let (code, out) = sim_exits(&args, &env);
        assert_eq!(code, Some(2), "{args:?} {env:?} must not start: {out}");
        assert!(out.contains("admin token is empty"), "{out}");
    }
}

#[tokio::test]
async fn the_library_refuses_an_empty_admin_token_and_near_misses_are_401() {
    let empty = SimConfig { admin_token: Some(String::new()), ..SimConfig::embedded() };
    let err = sim::start_embedded(empty).await.err().expect("an empty admin token is refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("admin token is empty"), "{err}");

    let sim = Sim::with(SimConfig { admin_token: Some("s3cret-token".into()), ..SimConfig::embedded() }).await;
    for wrong in ["", "s3cret-toke", "s3cret-tokenX", "S3cret-token", "x"] {
        let r = sim.http.get(format!("{}/_sim/ledger", sim.base)).header("X-Sim-Admin-Token", wrong).send().await;
        assert_eq!(r.unwrap().status().as_u16(), 401, "token {wrong:?}");
    }
    let r = sim.http.get(format!("{}/_sim/ledger", sim.base)).header("X-Sim-Admin-Token", "s3cret-token").send();
    assert_eq!(r.await.unwrap().status().as_u16(), 200);
}

#[tokio::test]
async fn clock_advances_past_year_9999_are_a_400_and_the_simulator_keeps_answering() {
    let sim = Sim::with(SimConfig { operating_hours: false, ..SimConfig::embedded() }).await;
    let token = sim.user_token(USER1).await;
    for seconds in [json!(9_223_372_036_854_775_807u64), json!(u64::MAX), json!(10_000u64 * 366 * 86_400)] {
        let (status, body) = sim.admin_post("/_sim/clock/advance", json!({ "seconds": seconds })).await;
        assert_eq!(status, 400, "{seconds}: {body}");
        assert!(body["error"].as_str().unwrap().starts_with("seconds:"), "{body}");
        let v = sim.balance(&token, FIN1).await;
        assert_eq!(rsp(&v), "A0000", "after advancing {seconds}: {v}");
    }
    assert!(sim.tran_dtime().await.starts_with("2026"), "a refused advance does not move the clock");

    // As far as the formats go: the answer is still 17 digits.
    let (status, body) = sim.admin_post("/_sim/clock/advance", json!({ "seconds": 1u64 << 40 })).await;
    assert_eq!(status, 400);
    let max = body["error"].as_str().unwrap().split("at most ").nth(1).unwrap().split(' ').next().unwrap();
    let max: u64 = max.parse().unwrap();
    sim.advance(max).await;
    let dtime = sim.tran_dtime().await;
    assert!(dtime.starts_with("9999") && dtime.len() == 14, "{dtime}");
    let (_, v) = sim.admin_post("/_sim/clock/advance", json!({ "seconds": 86_400 })).await;
    assert!(v["error"].is_string(), "{v}");
    let v = sim.get(&token, "/v2.0/user/me", &[("user_seq_no", USER1)]).await;
    assert_eq!(v["api_tran_dtm"].as_str().unwrap().len(), 17, "{v}");
}

#[tokio::test]
async fn settle_and_delay_times_out_of_range_are_refused_and_move_no_money() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let total = sim.total_money().await;
    let before = sim.balance_of(FIN1).await;
    for (key, value) in [
        ("settle_after_seconds", json!(9_223_372_036_854_775_807u64)),
        ("settle_after_seconds", json!(u64::MAX)),
        ("settle_after_seconds", json!(0)),
    ] {
        let mut rule = json!({"api": "transfer.withdraw", "action": "respond", "rsp_code": "A0001",
            "bank_rsp_code": "400", "commit": "later"});
        rule[key] = value.clone();
        let (status, body) = sim.admin_post("/_sim/faults", rule).await;
        assert_eq!(status, 400, "{key} = {value}: {body}");
        assert!(body["error"].as_str().unwrap().starts_with(key), "{body}");
    }
    let (status, body) =
        sim.admin_post("/_sim/faults", json!({"api": "account.balance", "action": "delay", "ms": u64::MAX})).await;
    assert_eq!(status, 400, "{body}");
    // Nothing armed: a withdraw is processed normally, once.
    let v = sim.withdraw(&token, &sim.withdraw_body(FIN1, "1000").await).await;
    assert_eq!(rsp(&v), "A0000", "{v}");
    assert_eq!(sim.balance_of(FIN1).await, before - 1000);
    assert_eq!(sim.total_money().await, total);

    // A long but valid settlement waits: the money does not move at once.
    sim.arm(json!({"api": "transfer.withdraw", "action": "respond", "rsp_code": "A0001", "bank_rsp_code": "400",
        "commit": "later", "settle_after_seconds": obharness::sim::faults::MAX_SETTLE_SECONDS}))
        .await;
    let v = sim.withdraw(&token, &sim.withdraw_body(FIN1, "1000").await).await;
    assert_eq!(rsp(&v), "A0001", "{v}");
    assert_eq!(sim.balance_of(FIN1).await, before - 1000, "a commit-later transfer waits");
    assert_eq!(sim.admin_get("/_sim/ledger").await["pending_transfers"], 1);
}

/// Reads from `stream` until the peer closes it; `None` if it is still open after `limit`.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.ok().map(|()| String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test]
async fn a_request_whose_body_never_comes_is_cut_off_at_the_request_timeout() {
    let timeout = Duration::from_millis(300);
    let sim = Sim::with(SimConfig { request_timeout: timeout, ..SimConfig::embedded() }).await;
    let token = sim.user_token(USER1).await;
    let total = sim.total_money().await;
    let admin = sim.handle.admin_token();
    for (method, path, admin, reads_body) in [
        ("POST", "/v2.0/transfer/withdraw/fin_num", admin, true),
        ("POST", "/oauth/2.0/token", admin, true),
        ("POST", "/no/such/path", admin, true),
        ("POST", "/_sim/clock/advance", admin, true),
        // Answered without reading the body: the connection must not wait for it either.
        ("POST", "/_sim/clock/advance", "wrong-token", false),
        ("GET", "/openapi.json", admin, false),
    ] {
        let mut stream = TcpStream::connect(sim.handle.addr).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nX-Sim-Admin-Token: {admin}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"bank"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let answer = read_until_closed(&mut stream, Duration::from_secs(3)).await;
        let answer = answer.unwrap_or_else(|| panic!("{path}: the connection is still open after 3 s"));
        if reads_body {
            assert!(started.elapsed() >= timeout / 2, "{path}: cut too early");
            assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        }
    }

    // Headers trickled one byte at a time are cut off by the same timeout.
    let mut stream = TcpStream::connect(sim.handle.addr).await.unwrap();
    let started = Instant::now();
    let mut open = true;
    for b in b"GET /v2.0/user/me?user_seq_no=1100000001 HTTP/1.1\r\nHost: x\r\nX-Slow: " {
        if stream.write_all(&[*b]).await.is_err() {
            open = false;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        if started.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    if open {
        assert!(read_until_closed(&mut stream, Duration::from_secs(3)).await.is_some(), "trickled headers: still open");
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "trickled headers were not cut off (hyper's own limit is 30 s)"
    );
    assert_eq!(sim.total_money().await, total);

    // A prompt request on the same configuration is answered normally, on a kept-alive connection.
    for _ in 0..3 {
        let v = sim.balance(&token, FIN1).await;
        assert_eq!(rsp(&v), "A0000", "{v}");
    }
}

#[tokio::test]
async fn forwarded_addresses_that_do_not_parse_are_denied_and_move_no_money() {
    let config = SimConfig { trusted_proxies: vec!["127.0.0.1".parse().unwrap()], ..SimConfig::embedded() };
    let sim = Sim::with(config).await;
    let token = sim.user_token(USER1).await;
    let before = sim.balance_of(FIN1).await;
    let total = sim.total_money().await;
    let send = async |header: &str, value: &str| -> serde_json::Value {
        let body = sim.withdraw_body(FIN1, "1000").await;
        let r = sim.http.post(format!("{}/v2.0/transfer/withdraw/fin_num", sim.base)).bearer_auth(&token);
        r.header(header, value).json(&body).send().await.unwrap().json().await.unwrap()
    };
    for (header, value) in [
        ("X-Forwarded-For", "127.0.0.9:5555"),
        ("X-Forwarded-For", "[::ffff:127.0.0.9]"),
        ("X-Forwarded-For", "127.0.0.9,"),
        ("X-Forwarded-For", "garbage"),
        ("X-Forwarded-For", ""),
        ("X-Forwarded-For", "garbage, 127.0.0.1"),
        ("Forwarded", "for=unknown"),
        ("Forwarded", "for=\"[::ffff:127.0.0.9]:80\""),
        ("Forwarded", "for=[::1]"),
        ("Forwarded", "by=127.0.0.1"),
    ] {
        let v = send(header, value).await;
        assert_eq!(rsp(&v), "A0301", "{header}: {value:?} → {v}");
    }
    assert_eq!(sim.balance_of(FIN1).await, before, "no money moved for an unknown caller");
    assert_eq!(sim.total_money().await, total);

    // The standard forms of a whitelisted caller are understood.
    for (header, value) in [
        ("X-Forwarded-For", "127.0.0.1:5555"),
        ("X-Forwarded-For", "[::1]"),
        ("X-Forwarded-For", "[::1]:443, 127.0.0.1"),
        ("Forwarded", "for=\"[::1]:4711\";proto=https, for=127.0.0.1"),
    ] {
        let v = send(header, value).await;
        assert_eq!(rsp(&v), "A0000", "{header}: {value:?} → {v}");
    }
    assert_eq!(sim.balance_of(FIN1).await, before - 4000);
}

async fn post_raw(sim: &Sim, token: &str, path: &str, body: String) -> serde_json::Value {
    let r = sim.http.post(format!("{}{path}", sim.base)).bearer_auth(token);
    let r = r.header("content-type", "application/json; charset=UTF-8").body(body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn duplicate_keys_are_a0004_and_move_no_money() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    let before = sim.balance_of(FIN1).await;
    let total = sim.total_money().await;

    let body = sim.withdraw_body(FIN1, "1000").await.to_string();
    let twice = format!("{},\"tran_amt\":\"4000000\"}}", body.strip_suffix('}').unwrap());
    let v = post_raw(&sim, &token, "/v2.0/transfer/withdraw/fin_num", twice).await;
    assert_eq!(rsp(&v), "A0004", "{v}");
    assert!(v["rsp_message"].as_str().unwrap().contains("duplicate key 'tran_amt'"), "{v}");

    let body = sim.deposit_body(FIN_USER2, "1000").await.to_string();
    let nested = body.replacen("\"tran_no\":\"1\"", "\"tran_amt\":\"4000000\",\"tran_no\":\"1\"", 1);
    assert_ne!(nested, body);
    let v = post_raw(&sim, &oob, "/v2.0/transfer/deposit/fin_num", nested).await;
    assert_eq!(rsp(&v), "A0004", "{v}");

    // A query parameter twice is refused as well.
    let (id, dt) = (sim.tran_id(), sim.tran_dtime().await);
    let q =
        [("bank_tran_id", id.as_str()), ("fintech_use_num", FIN1), ("fintech_use_num", FIN_USER2), ("tran_dtime", &dt)];
    assert_eq!(rsp(&sim.get(&token, "/v2.0/account/balance/fin_num", &q).await), "A0004");

    assert_eq!(sim.balance_of(FIN1).await, before);
    assert_eq!(sim.balance_of(FIN_USER2).await, 300_000);
    assert_eq!(sim.total_money().await, total);
    let v = sim.withdraw(&token, &sim.withdraw_body(FIN1, "1000").await).await;
    assert_eq!(rsp(&v), "A0000", "a well-formed request still passes: {v}");
}

#[tokio::test]
async fn blank_aml_names_are_a0004_and_move_no_money() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    let before = sim.balance_of(FIN1).await;
    for (field, blank) in [("req_client_name", ""), ("req_client_name", "   "), ("recv_client_name", " \u{3000}")] {
        let mut body = sim.withdraw_body(FIN1, "1000").await;
        body[field] = blank.into();
        let v = sim.withdraw(&token, &body).await;
        assert_eq!(rsp(&v), "A0004", "{field} = {blank:?}: {v}");
        assert!(v["rsp_message"].as_str().unwrap().contains(field), "{v}");
    }
    let mut body = sim.deposit_body(FIN_USER2, "1000").await;
    body["req_list"][0]["req_client_name"] = " ".into();
    let v = sim.deposit(&oob, &body).await;
    assert_eq!(rsp(&v), "A0004", "{v}");
    assert!(v["rsp_message"].as_str().unwrap().contains("req_list[0].req_client_name"), "{v}");
    assert_eq!(sim.balance_of(FIN1).await, before);
    assert_eq!(sim.balance_of(FIN_USER2).await, 300_000);

    // Other required text may be blank, as before.
    let mut body = sim.withdraw_body(FIN1, "1000").await;
    body["dps_print_content"] = "".into();
    assert_eq!(rsp(&sim.withdraw(&token, &body).await), "A0000");
}

#[tokio::test]
async fn the_standalone_simulator_survives_a_closed_stdout() {
    // A port that was free a moment ago, so the output need not be read to find it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_obharness"))
        .args(["sim", "--listen", &format!("127.0.0.1:{port}"), "--admin-token", "t"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut answer = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/openapi.json")).await {
            answer = Some(r.status().as_u16());
            break;
        }
    }
    assert_eq!(answer, Some(200), "the simulator never answered");
    // A panic on the closed pipe takes the process down a little later: look again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = reqwest::get(format!("http://127.0.0.1:{port}/openapi.json")).await.map(|r| r.status().as_u16());
    let exited = child.try_wait().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(exited, None, "the simulator exited when its stdout closed");
    assert_eq!(again.ok(), Some(200));
}

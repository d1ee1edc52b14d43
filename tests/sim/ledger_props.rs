//! Invariants under random concurrent traffic: total money is constant and a
//! bank_tran_id moves money at most once.

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::Value;

use crate::common::*;

#[derive(Debug, Clone)]
enum Op {
    Withdraw { id: u8, amount: u32 },
    Deposit { id: u8, amount: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    // Few distinct ids so that reuse (sequential and concurrent) is frequent.
    prop_oneof![
        (0u8..12, 1u32..50_000).prop_map(|(id, amount)| Op::Withdraw { id, amount }),
        (0u8..12, 1u32..50_000).prop_map(|(id, amount)| Op::Deposit { id, amount }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn money_is_conserved_and_never_moves_twice_for_one_id(batches in prop::collection::vec(prop::collection::vec(op(), 1..8), 1..6)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let sim = Sim::start().await;
            let token = sim.user_token(USER1).await;
            let oob = sim.oob_token().await;
            let total = sim.total_money().await;
            let start_balance = sim.balance_of(FIN1).await as i128;
            let prefix = sim.inst("client_use_code");
            // Ids are shared between withdraws and deposits on purpose: the registry is per id.
            let mut expected_delta: i128 = 0;
            let mut winners: HashMap<u8, ()> = HashMap::new();
            for batch in batches {
                let mut calls = Vec::new();
                for op in &batch {
                    let (id, amount, withdraw) = match *op {
                        Op::Withdraw { id, amount } => (id, amount, true),
                        Op::Deposit { id, amount } => (id, amount, false),
                    };
                    let tran_id = format!("{prefix}U{:09}", 900_000_000 + id as u32);
                    let body = if withdraw {
                        let mut b = sim.withdraw_body(FIN1, &amount.to_string()).await;
                        b["bank_tran_id"] = tran_id.into();
                        b
                    } else {
                        let mut b = sim.deposit_body(FIN1, &amount.to_string()).await;
                        b["req_list"][0]["bank_tran_id"] = tran_id.into();
                        b
                    };
                    calls.push((id, amount, withdraw, body));
                }
                let answers: Vec<Value> = crate::transfer::futures_join_all(calls.iter().map(|(_, _, w, body)| {
                    let (path, tok) = if *w { ("/v2.0/transfer/withdraw/fin_num", &token) } else { ("/v2.0/transfer/deposit/fin_num", &oob) };
                    sim.post(tok, path, body)
                })).await;
                for ((id, amount, withdraw, _), v) in calls.iter().zip(&answers) {
                    match rsp(v) {
                        "A0000" => {
                            assert!(winners.insert(*id, ()).is_none(), "id {id} moved money twice");
                            expected_delta += if *withdraw { -(*amount as i128) } else { *amount as i128 };
                        }
                        "A0326" => assert!(winners.contains_key(id) || calls.iter().any(|c| c.0 == *id)),
                        other => panic!("unexpected {other}: {v}"),
                    }
                }
            }
            assert_eq!(sim.total_money().await, total, "money is conserved");
            assert_eq!(sim.balance_of(FIN1).await as i128, start_balance + expected_delta, "only accepted transfers moved money");
        });
    }
}

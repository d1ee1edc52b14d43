//! The per-day bank_tran_id registry and the record of every transfer it saw.
//!
//! Sharded so that a check-and-insert holds one small lock for O(1) work, and pre-sized so
//! that growth under load resizes one small shard at a time instead of one big table.

use std::collections::HashMap;
use std::hash::BuildHasher;

use parking_lot::Mutex;

use crate::spec::{BankRspCode, RspCode};

const SHARDS: usize = 64;
const SHARD_CAPACITY: usize = 4096;

/// A bank_tran_id on a calendar day (KST), the registry's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TranKey {
    /// yyyyMMdd as a number.
    pub date: u32,
    pub id: [u8; 20],
}

impl TranKey {
    /// `id` must be a validated 20-character bank_tran_id and `date8` an N8 date.
    pub fn new(date8: &str, id: &str) -> Option<TranKey> {
        let date = date8.parse().ok()?;
        let id: [u8; 20] = id.as_bytes().try_into().ok()?;
        Some(TranKey { date, id })
    }

    pub fn id_str(&self) -> &str {
        std::str::from_utf8(&self.id).unwrap_or("")
    }

    pub fn date8(&self) -> String {
        format!("{:08}", self.date)
    }
}

/// What became of a money-moving request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    /// Accepted, still being processed by this very request.
    InFlight,
    /// Money moved.
    Committed,
    /// Refused: by the center (`rsp`) or by the bank (`A0002` + `bank`).
    Refused { rsp: RspCode, bank: Option<BankRspCode> },
    /// The bank never processed it (a timeout or a dropped connection without commit).
    NotProcessed,
    /// In progress (`A0001`/`400`); turns final later.
    Pending,
}

/// Which way a transfer went, and between whom; what 이체결과조회 reports. Kept small
/// (account indexes, not copies of their names) because the registry holds one per
/// transfer for the whole day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    pub check_type: CheckType,
    pub amount: u64,
    pub state: TransferState,
    /// Ledger indexes of the debited and credited accounts.
    pub from: usize,
    pub to: usize,
    pub wd_print: Box<str>,
    pub dps_print: Box<str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckType {
    Withdraw,
    Deposit,
}

#[derive(Debug, Clone)]
enum Slot {
    /// An id used by a request that moves no money.
    Used,
    Transfer(Box<TransferRecord>),
}

pub struct Registry {
    shards: Box<[Mutex<HashMap<TranKey, Slot>>]>,
    hasher: std::collections::hash_map::RandomState,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::with_capacity(SHARD_CAPACITY))).collect(),
            hasher: Default::default(),
        }
    }
}

impl Registry {
    fn shard(&self, key: &TranKey) -> &Mutex<HashMap<TranKey, Slot>> {
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    /// Registers `key`; `false` when it was already used that day. Atomic: of two
    /// concurrent registrations of the same key exactly one returns `true`.
    pub fn register(&self, key: TranKey, record: Option<TransferRecord>) -> bool {
        let mut shard = self.shard(&key).lock();
        match shard.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(match record {
                    Some(r) => Slot::Transfer(Box::new(r)),
                    None => Slot::Used,
                });
                true
            }
        }
    }

    /// Attaches the record of the transfer that registered `key`.
    pub fn attach(&self, key: &TranKey, record: TransferRecord) {
        if let Some(slot) = self.shard(key).lock().get_mut(key) {
            *slot = Slot::Transfer(Box::new(record));
        }
    }

    /// Updates the record of a registered transfer.
    pub fn update(&self, key: &TranKey, f: impl FnOnce(&mut TransferRecord)) {
        if let Some(Slot::Transfer(r)) = self.shard(key).lock().get_mut(key) {
            f(r);
        }
    }

    /// The record of a transfer, if `key` was used by one.
    pub fn transfer(&self, key: &TranKey) -> Option<TransferRecord> {
        match self.shard(key).lock().get(key) {
            Some(Slot::Transfer(r)) => Some((**r).clone()),
            _ => None,
        }
    }

    pub fn clear(&self) {
        for s in self.shards.iter() {
            let mut s = s.lock();
            s.clear();
            s.shrink_to(SHARD_CAPACITY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn key(n: u32) -> TranKey {
        TranKey::new("20260302", &format!("M202601315U{n:09}")).unwrap()
    }

    #[test]
    fn an_id_registers_once_per_day() {
        let r = Registry::default();
        assert!(r.register(key(1), None));
        assert!(!r.register(key(1), None));
        let next_day = TranKey { date: 20260303, ..key(1) };
        assert!(r.register(next_day, None));
    }

    #[test]
    fn concurrent_registrations_admit_exactly_one() {
        let r = Arc::new(Registry::default());
        let wins: usize = (0..8)
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || (0..500).filter(|n| r.register(key(*n), None)).count())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(wins, 500);
    }
}

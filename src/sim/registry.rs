//! The per-day bank_tran_id registry and the record of every transfer it saw.
//!
//! Sharded so that a check-and-insert holds one small lock for O(1) work, and pre-sized so
//! that growth under load resizes one small shard at a time instead of one big table.

use std::collections::HashMap;
use std::hash::BuildHasher;

use parking_lot::Mutex;

use super::ledger::TextId;
use crate::protocol::{BankRspCode, RspCode};

const SHARDS: usize = 64;
const SHARD_CAPACITY: usize = 4096;

/// [project rule] Days of ids and transfer records kept: the current KST day and the
/// previous `KEPT_DAYS - 1`. 이체결과조회 and 자금반환청구 of an older original find nothing
/// (`A0310`); a bank_tran_id only has to be unique within its day.
pub const KEPT_DAYS: i64 = 8;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
/// (32 bytes: account indexes and interned print contents, not copies of names and texts)
/// because the registry holds one per transfer for days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferRecord {
    pub check_type: CheckType,
    pub state: TransferState,
    pub amount: u64,
    /// Ledger indexes of the debited and credited accounts.
    pub from: u32,
    pub to: u32,
    pub wd_print: TextId,
    pub dps_print: TextId,
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
    /// The latest day registered (yyyyMMdd); a later one prunes days past [`KEPT_DAYS`].
    latest_day: std::sync::atomic::AtomicU32,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::with_capacity(SHARD_CAPACITY))).collect(),
            hasher: Default::default(),
            latest_day: Default::default(),
        }
    }
}

/// The first day (yyyyMMdd) still kept when `day` is the latest.
fn first_kept_day(day: u32) -> u32 {
    let parsed = chrono::NaiveDate::from_ymd_opt((day / 10_000) as i32, day / 100 % 100, day % 100);
    parsed.and_then(|d| d.checked_sub_signed(chrono::Duration::days(KEPT_DAYS - 1))).map_or(0, |d| {
        use chrono::Datelike;
        u32::try_from(d.year()).unwrap_or(0) * 10_000 + d.month() * 100 + d.day()
    })
}

impl Registry {
    fn shard(&self, key: &TranKey) -> &Mutex<HashMap<TranKey, Slot>> {
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    /// Registers `key`; `false` when it was already used that day. Atomic: of two
    /// concurrent registrations of the same key exactly one returns `true`.
    pub fn register(&self, key: TranKey, record: Option<TransferRecord>) -> bool {
        use std::sync::atomic::Ordering;
        if key.date > self.latest_day.load(Ordering::Relaxed) {
            let before = self.latest_day.fetch_max(key.date, Ordering::Relaxed);
            if key.date > before {
                // Once per new day: one shard at a time, each lock held for that shard only.
                self.prune_before(first_kept_day(key.date));
            }
        }
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
            Some(Slot::Transfer(r)) => Some(**r),
            _ => None,
        }
    }

    /// Forgets the ids and records of days before `first_day` (yyyyMMdd).
    fn prune_before(&self, first_day: u32) {
        for s in self.shards.iter() {
            let mut s = s.lock();
            let before = s.len();
            s.retain(|k, _| k.date >= first_day);
            let after = s.len();
            if after < before / 2 {
                s.shrink_to(SHARD_CAPACITY.max(after * 2));
            }
        }
    }

    /// Ids held (all days kept).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        self.latest_day.store(0, std::sync::atomic::Ordering::Relaxed);
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
    fn days_past_the_kept_window_are_pruned() {
        let r = Registry::default();
        let on = |date: u32, n: u32| TranKey { date, ..key(n) };
        assert!(r.register(on(20260224, 1), None));
        assert!(r.register(on(20260225, 2), None));
        assert!(r.register(on(20260304, 3), None), "8 days kept from 02-25 to 03-04: 02-24 goes, 02-25 stays");
        assert_eq!(r.len(), 2);
        assert!(!r.register(on(20260225, 2), None), "a kept day still refuses a reused id");
        assert_eq!(first_kept_day(20260301), 20260222);
        assert_eq!(first_kept_day(20250105), 20241229);
        assert!(std::mem::size_of::<TransferRecord>() <= 32, "{}", std::mem::size_of::<TransferRecord>());
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

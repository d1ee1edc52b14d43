//! 거래고유번호 (bank_tran_id) and KST timestamps.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, FixedOffset, Utc};
use rand::Rng;

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Hands out bank_tran_ids: 이용기관코드 + `U` + 9 uppercase alphanumerics. The 9 are 7
/// random characters and a 2-character per-process counter, so two ids of one run never
/// collide and ids of different runs almost never do (the center's registry is per day).
pub struct IdMint {
    client_use_code: String,
    counter: AtomicU32,
}

impl IdMint {
    pub fn new(client_use_code: &str) -> IdMint {
        IdMint { client_use_code: client_use_code.to_string(), counter: AtomicU32::new(0) }
    }

    pub fn next(&self) -> String {
        let mut rng = rand::rng();
        let random: String = (0..7).map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char).collect();
        let n = self.counter.fetch_add(1, Ordering::Relaxed) as usize % (36 * 36);
        format!("{}U{random}{}{}", self.client_use_code, ALNUM[n / 36] as char, ALNUM[n % 36] as char)
    }
}

fn kst_now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset"))
}

/// 요청일시 N14 `yyyyMMddHHmmss`, KST.
pub fn tran_dtime() -> String {
    kst_now().format("%Y%m%d%H%M%S").to_string()
}

/// Today, KST, `yyyyMMdd` (by our own clock).
pub fn today() -> String {
    kst_now().format("%Y%m%d").to_string()
}

//! The virtual clock: wall-clock time shifted by an offset that only grows.
//!
//! Scenarios need a year to pass in a millisecond (consent expiry) and reproducible
//! starting instants, while latency-sensitive code still sees time flow normally.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Timelike};

use crate::spec::time::kst;

#[derive(Debug)]
pub struct VirtualClock {
    start_real: Instant,
    start_virtual: DateTime<FixedOffset>,
    /// Milliseconds added by `advance`.
    offset_ms: AtomicI64,
}

impl VirtualClock {
    /// A clock that reads `start` now and then flows with real time.
    pub fn starting_at(start: DateTime<FixedOffset>) -> Self {
        VirtualClock {
            start_real: Instant::now(),
            start_virtual: start.with_timezone(&kst()),
            offset_ms: AtomicI64::new(0),
        }
    }

    /// A clock that follows the wall clock (KST).
    pub fn wall() -> Self {
        Self::starting_at(chrono::Utc::now().with_timezone(&kst()))
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        let elapsed = Duration::from_std(self.start_real.elapsed()).unwrap_or_default();
        self.start_virtual + elapsed + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves virtual time forward; returns the new instant.
    pub fn advance(&self, seconds: u64) -> DateTime<FixedOffset> {
        let ms = i64::try_from(seconds).unwrap_or(i64::MAX / 2_000).saturating_mul(1000);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
        self.now()
    }

    /// Puts the clock back at its starting instant (used by reset).
    pub fn reset(&self) {
        let elapsed = i64::try_from(self.start_real.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.store(-elapsed, Ordering::Relaxed);
    }
}

/// The center's operating hours, 00:05–23:55 KST.
pub fn within_operating_hours(t: DateTime<FixedOffset>) -> bool {
    let t = t.with_timezone(&kst()).time().with_nanosecond(0).unwrap_or_default();
    let open = NaiveTime::from_hms_opt(0, 5, 0).expect("valid time");
    let close = NaiveTime::from_hms_opt(23, 55, 0).expect("valid time");
    t >= open && t < close
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn advancing_moves_virtual_time_only_forward_by_the_amount() {
        let start = kst().with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        let clock = VirtualClock::starting_at(start);
        let after = clock.advance(366 * 86_400);
        assert!(after >= kst().with_ymd_and_hms(2027, 3, 3, 10, 0, 0).unwrap());
        assert!(after < kst().with_ymd_and_hms(2027, 3, 3, 10, 1, 0).unwrap());
    }

    #[test]
    fn operating_hours_are_0005_to_2355() {
        let at = |h, m| kst().with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap();
        assert!(!within_operating_hours(at(0, 4)));
        assert!(within_operating_hours(at(0, 5)));
        assert!(within_operating_hours(at(23, 54)));
        assert!(!within_operating_hours(at(23, 55)));
    }
}

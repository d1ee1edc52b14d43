//! The virtual clock: wall-clock time shifted by an offset that only grows.
//!
//! Scenarios need a year to pass in a millisecond (consent expiry) and reproducible
//! starting instants, while latency-sensitive code still sees time flow normally.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveTime, TimeZone, Timelike};

use crate::protocol::time::kst;

/// The earliest year the center's formats (`yyyyMMdd…`) can carry sensibly.
pub const FIRST_YEAR: i32 = 1000;
/// The last year the center's formats can carry: `api_tran_dtm` is exactly 17 digits.
pub const LAST_YEAR: i32 = 9999;

/// The latest instant an advance may reach: one day before the formats run out, so the
/// clock can keep flowing with real time without leaving them.
pub fn latest() -> DateTime<FixedOffset> {
    kst().with_ymd_and_hms(LAST_YEAR, 12, 31, 0, 0, 0).single().expect("valid instant")
}

/// Whether an instant fits the center's date formats (years 1000 to 9999, KST).
pub fn in_range(t: DateTime<FixedOffset>) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&t.with_timezone(&kst()).year())
}

/// Why the clock refused to move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error(
        "seconds: advancing {seconds} s would move the clock past {latest} (the center's formats end in year 9999); at most {max} s from now"
    )]
    TooFar { seconds: u64, max: i64, latest: String },
}

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

    fn elapsed_ms(&self) -> i64 {
        i64::try_from(self.start_real.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// The instant for a given offset; saturates at the latest instant instead of overflowing.
    fn at(&self, offset_ms: i64) -> DateTime<FixedOffset> {
        let ms = self.elapsed_ms().saturating_add(offset_ms);
        Duration::try_milliseconds(ms)
            .and_then(|d| self.start_virtual.checked_add_signed(d))
            .unwrap_or_else(|| if ms < 0 { self.start_virtual } else { latest() })
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.at(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves virtual time forward; returns the new instant, or an error (and no move) when
    /// the clock would leave the center's date formats.
    pub fn advance(&self, seconds: u64) -> Result<DateTime<FixedOffset>, ClockError> {
        let latest = latest();
        let mut current = self.offset_ms.load(Ordering::Relaxed);
        loop {
            let now = self.at(current);
            let room_ms = latest.signed_duration_since(now).num_milliseconds().max(0);
            let ms = i64::try_from(seconds).ok().and_then(|s| s.checked_mul(1000)).filter(|ms| *ms <= room_ms);
            let Some(ms) = ms else {
                return Err(ClockError::TooFar { seconds, max: room_ms / 1000, latest: latest.to_rfc3339() });
            };
            match self.offset_ms.compare_exchange_weak(current, current + ms, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(self.now()),
                Err(actual) => current = actual,
            }
        }
    }

    /// Puts the clock back at its starting instant (used by reset).
    pub fn reset(&self) {
        self.offset_ms.store(self.elapsed_ms().saturating_neg(), Ordering::Relaxed);
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
        let after = clock.advance(366 * 86_400).unwrap();
        assert!(after >= kst().with_ymd_and_hms(2027, 3, 3, 10, 0, 0).unwrap());
        assert!(after < kst().with_ymd_and_hms(2027, 3, 3, 10, 1, 0).unwrap());
    }

    #[test]
    fn advances_past_year_9999_are_refused_and_leave_the_clock_usable() {
        let start = kst().with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        let clock = VirtualClock::starting_at(start);
        for seconds in [i64::MAX as u64, u64::MAX, 10_000 * 366 * 86_400] {
            let err = clock.advance(seconds).unwrap_err();
            assert!(err.to_string().starts_with("seconds: advancing"), "{err}");
            assert!(clock.now() < kst().with_ymd_and_hms(2026, 3, 2, 10, 1, 0).unwrap(), "no move on refusal");
        }
        let max = match clock.advance(u64::MAX).unwrap_err() {
            ClockError::TooFar { max, .. } => max as u64,
        };
        let t = clock.advance(max).unwrap();
        assert!(in_range(t) && t <= latest(), "{t}");
        assert_eq!(crate::protocol::time::api_tran_dtm(t).len(), 17);
        assert!(clock.advance(2).is_err(), "nothing beyond the latest instant");
        clock.reset();
        assert_eq!(clock.now().year(), 2026);
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

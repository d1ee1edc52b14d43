//! Times on the wire are Korea Standard Time (UTC+9) in fixed-width digit formats.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike};

/// KST, UTC+9, with no daylight saving.
pub fn kst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset")
}

/// `api_tran_dtm`: N17 `yyyyMMddHHmmssSSS`.
pub fn api_tran_dtm(t: DateTime<FixedOffset>) -> String {
    digits(t, Parts::DateTimeMillis).unwrap_or_else(|| t.format("%Y%m%d%H%M%S%3f").to_string())
}

/// `tran_dtime`: N14 `yyyyMMddHHmmss`.
pub fn tran_dtime(t: DateTime<FixedOffset>) -> String {
    digits(t, Parts::DateTime).unwrap_or_else(|| t.format("%Y%m%d%H%M%S").to_string())
}

/// Dates such as `bank_tran_date`: N8 `yyyyMMdd`.
pub fn date8(t: DateTime<FixedOffset>) -> String {
    digits(t, Parts::Date).unwrap_or_else(|| t.format("%Y%m%d").to_string())
}

/// The date as the number yyyyMMdd (what `date8` spells), without formatting text.
pub fn date_number(t: DateTime<FixedOffset>) -> u32 {
    let d = t.naive_local().date();
    match u32::try_from(d.year()) {
        Ok(y) if y <= 9999 => y * 10_000 + d.month() * 100 + d.day(),
        _ => date8(t).parse().unwrap_or(0),
    }
}

/// Times of day such as `tran_time`: N6 `HHmmss`.
pub fn time6(t: DateTime<FixedOffset>) -> String {
    digits(t, Parts::Time).unwrap_or_else(|| t.format("%H%M%S").to_string())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    Date,
    DateTime,
    DateTimeMillis,
    Time,
}

/// The fixed-width digit formats written directly (they run on every answer; chrono's
/// `format` parses its pattern and goes through `fmt` each time). Years outside 0..=9999,
/// which chrono writes with a sign, are left to chrono (`None`).
fn digits(t: DateTime<FixedOffset>, parts: Parts) -> Option<String> {
    let local = t.naive_local();
    let year = u32::try_from(local.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = String::with_capacity(17);
    let mut push = |n: u32, width: u32| {
        let mut div = 10u32.pow(width - 1);
        while div > 0 {
            out.push(char::from(b'0' + (n / div % 10) as u8));
            div /= 10;
        }
    };
    if parts != Parts::Time {
        push(year, 4);
        push(local.month(), 2);
        push(local.day(), 2);
    }
    if parts != Parts::Date {
        push(local.hour(), 2);
        push(local.minute(), 2);
        // A leap second (nanosecond >= 1e9) is second 60 for chrono's %S as well.
        let nano = local.nanosecond();
        push(local.second() + nano / 1_000_000_000, 2);
        if parts == Parts::DateTimeMillis {
            push(nano % 1_000_000_000 / 1_000_000, 3);
        }
    }
    Some(out)
}

/// Parses N14 `yyyyMMddHHmmss` as a KST instant.
pub fn parse_tran_dtime(s: &str) -> Option<DateTime<FixedOffset>> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").ok()?;
    kst().from_local_datetime(&naive).single()
}

/// Parses N8 `yyyyMMdd`.
pub fn parse_date8(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y%m%d").ok()
}

/// Parses N6 `HHmmss` into seconds since midnight.
pub fn parse_time6(s: &str) -> Option<u32> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = s.parse().ok()?;
    let (h, m, sec) = (n / 10000, n / 100 % 100, n % 100);
    (h < 24 && m < 60 && sec < 60).then_some(h * 3600 + m * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_fixed_width_kst() {
        let t = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 1, 2, 3).unwrap().with_timezone(&kst());
        assert_eq!(tran_dtime(t), "20260302100203");
        assert_eq!(api_tran_dtm(t), "20260302100203000");
        assert_eq!(date8(t), "20260302");
        assert_eq!(time6(t), "100203");
    }

    #[test]
    fn direct_formats_match_chrono() {
        let base = chrono::Utc.with_ymd_and_hms(2026, 12, 31, 14, 59, 58).unwrap().with_timezone(&kst());
        for t in [
            base,
            base + chrono::Duration::milliseconds(1_999),
            base + chrono::Duration::milliseconds(7),
            chrono::Utc.with_ymd_and_hms(1000, 1, 1, 0, 0, 0).unwrap().with_timezone(&kst()),
            chrono::Utc.with_ymd_and_hms(9999, 12, 30, 14, 59, 59).unwrap().with_timezone(&kst()),
            chrono::Utc.with_ymd_and_hms(12, 3, 4, 5, 6, 7).unwrap().with_timezone(&kst()),
            chrono::Utc.with_ymd_and_hms(12_345, 3, 4, 5, 6, 7).unwrap().with_timezone(&kst()),
        ] {
            assert_eq!(api_tran_dtm(t), t.format("%Y%m%d%H%M%S%3f").to_string());
            assert_eq!(tran_dtime(t), t.format("%Y%m%d%H%M%S").to_string());
            assert_eq!(date8(t), t.format("%Y%m%d").to_string());
            assert_eq!(time6(t), t.format("%H%M%S").to_string());
            assert_eq!(date_number(t), t.format("%Y%m%d").to_string().parse::<u32>().unwrap_or(0));
        }
    }

    #[test]
    fn parses_reject_bad_calendar_values() {
        assert!(parse_tran_dtime("20260302100203").is_some());
        assert!(parse_tran_dtime("20261302100203").is_none());
        assert!(parse_tran_dtime("2026030210020").is_none());
        assert!(parse_date8("20260230").is_none());
        assert_eq!(parse_time6("235959"), Some(86399));
        assert!(parse_time6("240000").is_none());
    }
}

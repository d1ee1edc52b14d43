//! Times on the wire are Korea Standard Time (UTC+9) in fixed-width digit formats.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

/// KST, UTC+9, with no daylight saving.
pub fn kst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset")
}

/// `api_tran_dtm`: N17 `yyyyMMddHHmmssSSS`.
pub fn api_tran_dtm(t: DateTime<FixedOffset>) -> String {
    t.format("%Y%m%d%H%M%S%3f").to_string()
}

/// `tran_dtime`: N14 `yyyyMMddHHmmss`.
pub fn tran_dtime(t: DateTime<FixedOffset>) -> String {
    t.format("%Y%m%d%H%M%S").to_string()
}

/// Dates such as `bank_tran_date`: N8 `yyyyMMdd`.
pub fn date8(t: DateTime<FixedOffset>) -> String {
    t.format("%Y%m%d").to_string()
}

/// Times of day such as `tran_time`: N6 `HHmmss`.
pub fn time6(t: DateTime<FixedOffset>) -> String {
    t.format("%H%M%S").to_string()
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
    fn parses_reject_bad_calendar_values() {
        assert!(parse_tran_dtime("20260302100203").is_some());
        assert!(parse_tran_dtime("20261302100203").is_none());
        assert!(parse_tran_dtime("2026030210020").is_none());
        assert!(parse_date8("20260230").is_none());
        assert_eq!(parse_time6("235959"), Some(86399));
        assert!(parse_time6("240000").is_none());
    }
}

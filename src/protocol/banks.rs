//! Participating-bank standard codes (개설기관 대표코드) and names.

const BANKS: &[(&str, &str)] = &[
    ("002", "KDB산업은행"),
    ("003", "IBK기업은행"),
    ("004", "KB국민은행"),
    ("007", "수협은행"),
    ("011", "NH농협은행"),
    ("020", "우리은행"),
    ("023", "SC제일은행"),
    ("027", "한국씨티은행"),
    ("031", "대구은행"),
    ("032", "부산은행"),
    ("034", "광주은행"),
    ("035", "제주은행"),
    ("037", "전북은행"),
    ("039", "경남은행"),
    ("045", "새마을금고"),
    ("048", "신협"),
    ("050", "상호저축은행"),
    ("071", "우체국"),
    ("081", "하나은행"),
    ("088", "신한은행"),
    ("089", "케이뱅크"),
    ("090", "카카오뱅크"),
    ("092", "토스뱅크"),
    ("097", "오픈은행"),
];

/// The bank's name, or `None` for an unknown code.
pub fn bank_name(code: &str) -> Option<&'static str> {
    BANKS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The 7-digit 점별코드 the simulator reports for a bank's (single) branch.
pub fn bank_code_sub(code: &str) -> String {
    format!("{code}0001")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_test_bed_virtual_bank_is_097() {
        assert_eq!(super::bank_name("097"), Some("오픈은행"));
        assert_eq!(super::bank_name("999"), None);
        assert_eq!(super::bank_code_sub("097"), "0970001");
    }
}

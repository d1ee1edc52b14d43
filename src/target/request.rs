//! Builds a valid request for any API of the catalogue from the target's test data, so a
//! scenario (or a load profile) writes only the fields that matter (`with:`). Shared by the
//! conformance runner and the load engine: there is one request builder.

use serde_json::{Map, Value, json};

use super::TargetData;
use crate::protocol::{ApiId, Format};

/// Values that change per request.
pub struct Fresh<'a> {
    /// A new bank_tran_id in the target's layout.
    pub bank_tran_id: &'a mut dyn FnMut() -> String,
    /// The target's current `tran_dtime` (yyyyMMddHHmmss).
    pub tran_dtime: String,
}

/// The default value of `field` for `api`, or `None` when the scenario must supply it.
fn default_for(api: ApiId, field: &str, data: &TargetData, fresh: &mut Fresh<'_>) -> Option<Value> {
    let d = |k: &str| Value::String(data.get(k).to_string());
    let today = fresh.tran_dtime.get(..8).unwrap_or("").to_string();
    let v = match field {
        "bank_tran_id" => Value::String((fresh.bank_tran_id)()),
        "tran_dtime" => Value::String(fresh.tran_dtime.clone()),
        "fintech_use_num" | "req_client_fintech_use_num" => d("fintech_use_num"),
        "user_seq_no" => d("user_seq_no"),
        "client_use_code" => d("client_use_code"),
        "cntr_account_type" => "N".into(),
        "cntr_account_num" => d("cntr_account_num"),
        "tran_amt" => "1000".into(),
        "dps_print_content" | "wd_print_content" | "print_content" => "obharness".into(),
        "req_client_name" => d("user_name"),
        "req_client_num" => "OBH0000001".into(),
        "transfer_purpose" => "TR".into(),
        "recv_client_name" => d("institution_name"),
        "recv_client_bank_code" => d("cntr_bank_code"),
        "recv_client_account_num" => d("cntr_account_num"),
        "wd_pass_phrase" => Value::String(data.wd_pass_phrase.clone()),
        "name_check_option" => "off".into(),
        "req_cnt" => "1".into(),
        "inquiry_type" => "A".into(),
        "inquiry_base" => "D".into(),
        "from_date" => Value::String(format!("{}01", today.get(..6).unwrap_or(""))),
        "to_date" => Value::String(today),
        "from_time" => "000000".into(),
        "to_time" => "235959".into(),
        "sort_order" => "D".into(),
        "include_cancel_yn" => "N".into(),
        "bank_code_std" => d("bank_code_std"),
        "account_num" => d("account_num"),
        "account_holder_info_type" => " ".into(),
        "account_holder_info" => Value::String(data.birth_date.clone()),
        "check_type" if api == ApiId::TransferResult => "1".into(),
        "scope" if api == ApiId::AccountCancel => "inquiry".into(),
        "scope" if api == ApiId::OauthTokenClient => "oob".into(),
        "scope" => "login inquiry transfer".into(),
        "account_alias" => "obharness".into(),
        "client_id" => Value::String(data.client_id.clone()),
        "client_secret" => Value::String(data.client_secret.clone()),
        "redirect_uri" => Value::String(data.redirect_uri.clone()),
        "response_type" => "code".into(),
        "state" => "0123456789abcdef0123456789abcdef".into(),
        "client_info" => "obharness".into(),
        "auth_type" => "0".into(),
        "sim_user_seq_no" => d("user_seq_no"),
        "grant_type" => match api {
            ApiId::OauthToken => "authorization_code".into(),
            ApiId::OauthTokenRefresh => "refresh_token".into(),
            ApiId::OauthTokenClient => "client_credentials".into(),
            _ => return None,
        },
        "tran_no" => "1".into(),
        _ => return None,
    };
    Some(v)
}

/// Whether the builder fills field `f` of `api` given what the caller overrides: every required
/// field, and a few optional ones a working request needs: the AML rule needs one of 요청고객
/// 계좌 or fintech_use_num, 수취조회 a recipient (by account unless the caller names a
/// fintech_use_num), headless consent its user, 계좌실명조회 its birth date, and the callback
/// echoes client_info.
fn fills(api: ApiId, f: &crate::protocol::Field, overrides: &Map<String, Value>) -> bool {
    let named = |k: &str| overrides.contains_key(k);
    f.required
        || match f.name {
            "req_client_fintech_use_num" => !(named("req_client_bank_code") || named("req_client_account_num")),
            "bank_code_std" | "account_num" => api == ApiId::InquiryReceive && !named("fintech_use_num"),
            "sim_user_seq_no" | "account_holder_info" | "client_info" => true,
            _ => false,
        }
}

/// A default list item, filled the same way (deposit `req_list`).
fn default_item(
    api: ApiId,
    fields: &[crate::protocol::Field],
    data: &TargetData,
    fresh: &mut Fresh<'_>,
    overrides: &Map<String, Value>,
) -> Map<String, Value> {
    fields
        .iter()
        .filter(|f| fills(api, f, overrides))
        .filter_map(|f| Some((f.name.to_string(), default_for(api, f.name, data, fresh)?)))
        .collect()
}

/// The request for `api`: defaults for every required field, then `overrides` (a `null`
/// override removes a field; list items are merged onto the default item).
pub fn build(
    api: ApiId,
    data: &TargetData,
    fresh: &mut Fresh<'_>,
    overrides: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for f in api.api().request.iter() {
        if overrides.contains_key(f.name) && !matches!(f.format, Format::List(_)) {
            continue;
        }
        let value = match f.format {
            Format::List(items) if f.required && api == ApiId::TransferDeposit => {
                let item_overrides = overrides
                    .get(f.name)
                    .and_then(|v| v.get(0))
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                Some(json!([default_item(api, items, data, fresh, &item_overrides)]))
            }
            Format::List(_) => None,
            _ if fills(api, f, overrides) => default_for(api, f.name, data, fresh),
            _ => None,
        };
        if let Some(v) = value {
            out.insert(f.name.to_string(), v);
        }
    }
    for (k, v) in overrides {
        match (v, out.get_mut(k)) {
            (Value::Null, _) => {
                out.remove(k);
            }
            (Value::Array(items), Some(Value::Array(defaults))) => {
                let template = defaults.first().cloned().unwrap_or(Value::Object(Map::new()));
                let merged = items
                    .iter()
                    .map(|item| match (item, &template) {
                        (Value::Object(o), Value::Object(t)) => {
                            let mut m = t.clone();
                            for (ik, iv) in o {
                                if iv.is_null() {
                                    m.remove(ik);
                                } else {
                                    m.insert(ik.clone(), iv.clone());
                                }
                            }
                            Value::Object(m)
                        }
                        _ => item.clone(),
                    })
                    .collect();
                out.insert(k.clone(), Value::Array(merged));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    // A deposit item's bank_tran_id is fresh per item even when the list was overridden.
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fields::check_fields;

    fn data() -> TargetData {
        let fixture: serde_json::Value = serde_json::json!({
            "institution": {"client_use_code": "M202601315", "name": "오비", "cntr_account_num": "1002000000001",
                "cntr_bank_code": "097", "client_id": "c", "client_secret": "s", "redirect_uri": "http://x/cb", "wd_pass_phrase": "P"},
            "users": [{"user_seq_no": "1100000001", "user_name": "홍길동", "birth_date": "880101",
                "accounts": [{"fintech_use_num": "120260000001000000000001", "account_num": "1001", "bank_code_std": "097"}]}]
        });
        TargetData::from_fixture(&fixture)
    }

    #[test]
    fn every_api_but_the_ones_needing_an_original_gets_a_valid_request() {
        let data = data();
        let mut n = 0;
        let mut id = || {
            n += 1;
            format!("M202601315U{n:09}")
        };
        for api in ApiId::ALL {
            let mut fresh = Fresh { bank_tran_id: &mut id, tran_dtime: "20260302100000".into() };
            let req = build(api, &data, &mut fresh, &Map::new());
            let needs_original = matches!(
                api,
                ApiId::TransferResult
                    | ApiId::ReturnClaim
                    | ApiId::ReturnResult
                    | ApiId::OauthToken
                    | ApiId::OauthTokenRefresh
                    | ApiId::OauthRevoke
            );
            let checked = check_fields(api.api().request, &req);
            assert_eq!(checked.is_ok(), !needs_original, "{api}: {checked:?}");
        }
    }

    #[test]
    fn overrides_replace_remove_and_merge_list_items() {
        let data = data();
        let mut id = || "M202601315U000000001".to_string();
        let mut fresh = Fresh { bank_tran_id: &mut id, tran_dtime: "20260302100000".into() };
        let overrides: Map<String, Value> = serde_json::from_value(json!({
            "wd_print_content": null,
            "req_list": [{"tran_amt": "500", "req_client_fintech_use_num": null, "req_client_bank_code": "097"}]
        }))
        .unwrap();
        let req = build(ApiId::TransferDeposit, &data, &mut fresh, &overrides);
        assert!(!req.contains_key("wd_print_content"));
        let item = &req["req_list"][0];
        assert_eq!(item["tran_amt"], "500");
        assert_eq!(item["fintech_use_num"], "120260000001000000000001");
        assert!(item.get("req_client_fintech_use_num").is_none());
        assert_eq!(item["req_client_bank_code"], "097");
        let plain = build(ApiId::TransferWithdraw, &data, &mut fresh, &Map::new());
        assert_eq!(plain["req_client_fintech_use_num"], "120260000001000000000001", "AML needs one of the two");
    }
}

//! Log redaction: `redact::mask_json` on fuzzed bytes (no panic), and on a body with the
//! fuzzed text as a password (the password must not appear in the masked text); `mask_form`
//! and `header_for_log` on text.
#![no_main]

use keystoneauth_core::redact;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = redact::mask_json(data);
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = redact::mask_form(s);
    let _ = redact::header_for_log("x-auth-token", data);
    let body = serde_json::json!({
        "auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "password": s}}}}
    });
    let raw = serde_json::to_vec(&body).expect("serialises");
    let masked = redact::mask_json(&raw).expect("valid JSON is masked");
    let escaped = serde_json::to_string(s).expect("serialises");
    let inner = &escaped[1..escaped.len() - 1];
    let structural = r#"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","password":"***"}}}}} "#;
    if inner.len() >= 4 && !structural.contains(inner) && !masked.contains("\"***\"") {
        panic!("password not masked: {masked}");
    }
    if inner.len() >= 4 && !structural.contains(inner) {
        assert!(
            !masked.contains(inner),
            "password {inner:?} leaked: {masked}"
        );
    }
});

//! OpenID Connect provider answers: token responses (success and OAuth 2.0 errors, JSON or an
//! HTML error page) and device authorization responses, read as the `v3oidc*` plugins read
//! them. Byte 0 picks the status, byte 1 the content type; the rest is the body.
#![no_main]

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use keystoneauth_core::session::Response;
use keystoneauth_federation::oidc::fuzzing;
use libfuzzer_sys::fuzz_target;

const STATUSES: &[u16] = &[200, 201, 400, 401, 403, 429, 500, 503];
const TYPES: &[&str] = &[
    "application/json",
    "text/html; charset=utf-8",
    "text/plain",
    "",
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = STATUSES[data[0] as usize % STATUSES.len()];
    let mut headers = HeaderMap::new();
    let t = TYPES[data[1] as usize % TYPES.len()];
    if !t.is_empty() {
        headers.insert("content-type", HeaderValue::from_static(t));
    }
    let body = &data[2..];
    let resp = Response::from_parts(
        status,
        headers,
        "https://op.example/token".into(),
        Bytes::copy_from_slice(body),
    );
    let shown = fuzzing::token_response(&resp);
    // A provider's error text is shortened for the user.
    assert!(
        shown.chars().count() < 1000 + body.len().min(1000),
        "{shown}"
    );
    let _ = fuzzing::device_authorization(body);
});

//! Error and MFA receipt bodies: `session::error_from_response` on responses built with
//! `Response::from_parts`. Byte 0 picks the status, byte 1 the content type and headers.
#![no_main]

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use keystoneauth_core::session::{error_from_response, Response};
use libfuzzer_sys::fuzz_target;

const STATUSES: &[u16] = &[
    300, 400, 401, 403, 404, 409, 413, 415, 429, 500, 501, 502, 503, 504, 599, 600, 999,
];
const TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "text/html",
    "application/octet-stream",
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
    if data[1] & 0x80 != 0 {
        headers.insert(
            "openstack-auth-receipt",
            HeaderValue::from_static("receipt-id"),
        );
    }
    if data[1] & 0x40 != 0 {
        headers.insert("retry-after", HeaderValue::from_static("3"));
        headers.insert(
            "x-openstack-request-id",
            HeaderValue::from_static("req-1234"),
        );
    }
    let resp = Response::from_parts(
        status,
        headers,
        "http://keystone.example/v3/auth/tokens".into(),
        Bytes::copy_from_slice(&data[2..]),
    );
    let e = error_from_response(&resp, "POST");
    let _ = e.to_string();
    let _ = format!("{e:?}");
    let _ = resp.json::<serde_json::Value>();
});

//! Helpers shared by the emulator's plain-HTTP tests.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;

/// A reqwest client with a 10 s bound on every request.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The response body of a capture file (`data/*.json`) from a real Keystone.
pub fn capture(raw: &str) -> Value {
    let v: Value = serde_json::from_str(raw).unwrap();
    v["response"]["body"].clone()
}

/// The status and JSON body of a response (`null` for a body that is not JSON).
pub async fn status_and_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

//! Redaction for logs: token headers become `{SHA256}<hex>`, secrets in JSON become `***`.
//!
//! ```
//! use keystoneauth_core::redact::{hash_secret, mask_json};
//! assert_eq!(hash_secret("abc"),
//!     "{SHA256}ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
//! let masked = mask_json(br#"{"user": {"name": "u", "password": "hunter2"}}"#).unwrap();
//! assert!(!masked.contains("hunter2"));
//! ```

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Headers whose values are hashed in logs.
pub const SECURE_HEADERS: &[&str] = &[
    "authorization",
    "x-auth-token",
    "x-subject-token",
    "x-service-token",
    "openstack-auth-receipt",
    "proxy-authorization",
    "set-cookie",
    "cookie",
];

/// Substrings of JSON keys whose string values are masked in logs.
const SENSITIVE_KEYS: &[&str] = &[
    "password",
    "secret",
    "passcode",
    "token",
    "otp",
    "code",
    "receipt",
    "assertion",
    "key",
];

/// `{SHA256}` followed by the hex SHA-256 of the value (keystoneauth1's header hashing).
pub fn hash_secret(value: &str) -> String {
    format!(
        "{{SHA256}}{}",
        hex::encode(Sha256::digest(value.as_bytes()))
    )
}

/// True if a header's value must be hashed in logs.
pub fn is_secure_header(name: &str) -> bool {
    SECURE_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// The value to log for a header.
pub fn header_for_log(name: &str, value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    if is_secure_header(name) {
        hash_secret(&text)
    } else {
        text.into_owned()
    }
}

fn is_sensitive_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SENSITIVE_KEYS.iter().any(|s| k.contains(s))
}

/// Replace a string or number (a numeric passcode, PIN, …) with `***`; false for anything else.
fn mask_scalar(v: &mut Value) -> bool {
    match v {
        Value::String(_) | Value::Number(_) => {
            *v = Value::String("***".into());
            true
        }
        _ => false,
    }
}

fn mask(value: &mut Value, parent_sensitive: bool) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let sensitive = is_sensitive_key(k);
                if (sensitive || (parent_sensitive && k == "id")) && mask_scalar(v) {
                    continue;
                }
                mask(v, sensitive);
            }
            if let Some(catalog) = map.get_mut("catalog") {
                if catalog.is_array() {
                    *catalog = Value::String("<removed>".into());
                }
            }
            if let Some(catalog) = map.get_mut("serviceCatalog") {
                *catalog = Value::String("<removed>".into());
            }
        }
        // Under a sensitive key (`"secrets": [...]`), list items are secrets too.
        Value::Array(items) => items.iter_mut().for_each(|v| {
            if !(parent_sensitive && mask_scalar(v)) {
                mask(v, parent_sensitive);
            }
        }),
        _ => {}
    }
}

/// Mask secrets (and drop service catalogs) in a JSON body for logging. `None` if not JSON.
pub fn mask_json(body: &[u8]) -> Option<String> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    mask(&mut v, false);
    Some(v.to_string())
}

/// Mask secrets in a form-encoded body (`password=…&username=…`).
pub fn mask_form(body: &str) -> String {
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_sensitive_key(k) => format!("{k}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_nested_secrets_and_token_ids() {
        let body = br#"{"auth":{"identity":{"methods":["password","token","totp"],
            "password":{"user":{"name":"u","password":"p4ss"}},
            "token":{"id":"tok-123"},"totp":{"user":{"passcode":"123456"}},
            "application_credential":{"id":"ac","secret":"s3cr3t"}}}}"#;
        let m = mask_json(body).unwrap();
        for secret in ["p4ss", "tok-123", "123456", "s3cr3t"] {
            assert!(!m.contains(secret), "{secret} leaked in {m}");
        }
        assert!(m.contains("\"name\":\"u\""));
        assert!(m.contains("methods"));
    }

    #[test]
    fn removes_catalog() {
        let m = mask_json(br#"{"token":{"catalog":[{"type":"x"}],"user":{"id":"u"}}}"#).unwrap();
        assert!(m.contains("<removed>"));
        assert!(m.contains("\"id\":\"u\""));
    }

    #[test]
    fn form_bodies() {
        assert_eq!(
            mask_form("grant_type=password&username=u&password=p&client_secret=x"),
            "grant_type=password&username=u&password=***&client_secret=***"
        );
    }
}

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

/// Substrings of keys (JSON, form fields, query parameters) whose values are masked in logs,
/// compared case-insensitively: ours, then every key of oslo.utils' `mask_password`
/// (`_SANITIZE_KEYS`), so that Nova's `adminPass`, Cinder's `new_pass`, Barbican's
/// `passphrase` and the rest are masked as OpenStack's own services mask them.
pub const SENSITIVE_KEYS: &[&str] = &[
    "password",
    "secret",
    "passcode",
    "token",
    "otp",
    "code",
    "receipt",
    "assertion",
    "key",
    // oslo.utils strutils._SANITIZE_KEYS
    "adminpass",
    "admin_pass",
    "admin_password",
    "auth_token",
    "new_pass",
    "auth_password",
    "secret_uuid",
    "sys_pswd",
    "configdrive",
    "chappassword",
    "encrypted_key",
    "private_key",
    "fernetkey",
    "sslkey",
    "passphrase",
    "cephclusterfsid",
    "octaviaheartbeatkey",
    "rabbitcookie",
    "cephmanilaclientkey",
    "pacemakerremoteauthkey",
    "designaterndckey",
    "cephadminkey",
    "heatauthencryptionkey",
    "cephclientkey",
    "keystonecredential",
    "barbicansimplecryptokek",
    "cephrgwkey",
    "swifthashsuffix",
    "migrationsshkey",
    "cephmdskey",
    "cephmonkey",
    "chapsecret",
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

/// Whether a key's value is masked in logs (case-insensitive substring match).
pub fn is_sensitive_key(key: &str) -> bool {
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

/// A URL for logs: the values of sensitive query parameters (`?password=…`) masked, and a
/// password in its userinfo (`https://user:pass@host/`) replaced by `***`.
///
/// ```
/// use keystoneauth_core::redact::url_for_log;
/// assert_eq!(
///     url_for_log("https://u:hunter2@h/v3?password=x&limit=1"),
///     "https://u:***@h/v3?password=***&limit=1"
/// );
/// ```
pub fn url_for_log(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = mask_userinfo(base);
    if let Some(q) = query {
        out.push('?');
        out.push_str(&mask_form(q));
    }
    out
}

/// `scheme://user:password@host…` → `scheme://user:***@host…`; anything else unchanged.
pub fn mask_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let user = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => userinfo.to_owned(),
    };
    format!(
        "{}{user}{}",
        &url[..scheme_end + 3],
        &url[scheme_end + 3 + at..]
    )
}

/// Text from a server or a URL made safe for one log line or terminal line: control
/// characters (CR, LF, ESC, …) are written as escapes (`\r`, `\n`, `\u{1b}`), so a value
/// cannot forge a log line or drive the terminal.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
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

//! The headers OpenStack authentication uses, and helpers that keep their values out of logs.

use http::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// The header that carries a Keystone token.
pub const AUTH_TOKEN_HEADER: &str = "X-Auth-Token";
/// The header that carries a service token.
pub const SERVICE_TOKEN_HEADER: &str = "X-Service-Token";
/// [`AUTH_TOKEN_HEADER`] as a ready-made header name (no parsing per request).
pub const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
/// [`SERVICE_TOKEN_HEADER`] as a ready-made header name.
pub const X_SERVICE_TOKEN: HeaderName = HeaderName::from_static("x-service-token");

/// A header map with one sensitive `X-Auth-Token`.
pub fn token_headers(token: &SecretString) -> Result<HeaderMap> {
    let v = sensitive_header_value(token.expose_secret())
        .ok_or_else(|| Error::InvalidResponse("token is not a valid header value".into()))?;
    let mut h = HeaderMap::new();
    h.insert(X_AUTH_TOKEN, v);
    Ok(h)
}

/// `value` as a header value marked sensitive (kept out of logs and `Debug`), or `None` if a
/// header cannot carry it.
pub fn sensitive_header_value(value: &str) -> Option<HeaderValue> {
    let mut v = HeaderValue::from_str(value).ok()?;
    v.set_sensitive(true);
    Some(v)
}

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

/// The header that carries the token a Keystone token response issued or validated.
pub const SUBJECT_TOKEN_HEADER: &str = "X-Subject-Token";

/// The token of a Keystone token response: its `X-Subject-Token` header, which must be there,
/// be visible ASCII text and not be empty. Each failure is an `InvalidResponse` that says
/// which (a header that is there but not text is not reported as missing).
///
/// ```
/// use keystoneauth_core::headers::subject_token;
/// use keystoneauth_core::http::{HeaderMap, HeaderValue};
/// use keystoneauth_core::secrecy::ExposeSecret;
/// use keystoneauth_core::Response;
/// let mut h = HeaderMap::new();
/// h.insert("x-subject-token", HeaderValue::from_static("gAAAA-token"));
/// let resp = Response::from_parts(201, h, "http://k/v3/auth/tokens".into(), Default::default());
/// assert_eq!(subject_token(&resp).unwrap().expose_secret(), "gAAAA-token");
///
/// let mut h = HeaderMap::new();
/// h.insert("x-subject-token", HeaderValue::from_static(""));
/// let resp = Response::from_parts(201, h, "http://k/v3/auth/tokens".into(), Default::default());
/// assert!(subject_token(&resp).unwrap_err().to_string().contains("empty"));
/// ```
pub fn subject_token(resp: &crate::Response) -> Result<SecretString> {
    optional_subject_token(resp)?.ok_or_else(|| {
        Error::InvalidResponse("The token response has no X-Subject-Token header".into())
    })
}

/// [`subject_token`] for responses that may have none (a v2.0 token body carries its token
/// itself): `None` when the header is absent, an error when it is there but unusable.
pub fn optional_subject_token(resp: &crate::Response) -> Result<Option<SecretString>> {
    let Some(value) = resp.headers().get(SUBJECT_TOKEN_HEADER) else {
        return Ok(None);
    };
    checked_subject_token(value.as_bytes()).map(Some)
}

/// A subject token header's bytes as a token: visible ASCII (a space inside is left to the
/// server), not empty once surrounding blanks are trimmed.
fn checked_subject_token(value: &[u8]) -> Result<SecretString> {
    let text = std::str::from_utf8(value)
        .ok()
        .filter(|t| {
            t.bytes()
                .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
        })
        .ok_or_else(|| {
            Error::InvalidResponse(
                "The token response's X-Subject-Token header is not visible ASCII text".into(),
            )
        })?;
    let token = text.trim_matches([' ', '\t']);
    if token.is_empty() {
        return Err(Error::InvalidResponse(
            "The token response's X-Subject-Token header is empty".into(),
        ));
    }
    Ok(SecretString::from(token.to_owned()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

    use super::*;

    fn resp(value: Option<&[u8]>) -> crate::Response {
        let mut h = HeaderMap::new();
        if let Some(v) = value {
            h.insert("x-subject-token", HeaderValue::from_bytes(v).unwrap());
        }
        crate::Response::from_parts(201, h, "http://k/v3/auth/tokens".into(), Default::default())
    }

    fn message(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn subject_token_must_be_there_visible_and_not_empty() {
        assert_eq!(
            subject_token(&resp(Some(b"gAAAAB.x-y_z=")))
                .unwrap()
                .expose_secret(),
            "gAAAAB.x-y_z="
        );
        assert_eq!(
            subject_token(&resp(Some(b" padded\t")))
                .unwrap()
                .expose_secret(),
            "padded"
        );
        assert!(message(subject_token(&resp(None))).contains("has no X-Subject-Token header"));
        for empty in [&b""[..], b" ", b"\t \t"] {
            let m = message(subject_token(&resp(Some(empty))));
            assert!(
                m.contains("X-Subject-Token header is empty"),
                "{empty:?}: {m}"
            );
        }
        // Latin-1 / UTF-8 bytes and obs-text: there, but not text; never "has no header".
        for odd in ["tök".as_bytes(), b"t\xffk", b"\x80\x81"] {
            let m = message(subject_token(&resp(Some(odd))));
            assert!(m.contains("is not visible ASCII text"), "{odd:?}: {m}");
            assert!(!m.contains("has no"), "{m}");
        }
        assert!(optional_subject_token(&resp(None)).unwrap().is_none());
        assert!(optional_subject_token(&resp(Some(b""))).is_err());
        assert!(optional_subject_token(&resp(Some(b"t\xe9"))).is_err());
    }
}

//! [`Response`], and the [`Error`] a failed response or a transport failure becomes.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{RECEIPT_HEADER, REQUEST_ID_HEADER};
use crate::error::{Error, HttpError, MissingAuthMethods, Result};

/// A fully read HTTP response.
#[derive(Clone)]
pub struct Response {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) url: String,
    pub(super) body: Bytes,
    pub(super) elapsed: Duration,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("url", &self.url)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Response {
    /// Status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// Headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The final URL.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The body as JSON; `InvalidResponse` if it is not.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::InvalidResponse(format!("{}: body is not the expected JSON: {e}", self.url))
        })
    }
    /// `X-OpenStack-Request-ID` (or `X-Compute-Request-ID`).
    pub fn request_id(&self) -> Option<&str> {
        self.header(REQUEST_ID_HEADER)
            .or_else(|| self.header("x-compute-request-id"))
    }
    /// Time to the full response.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
    /// The error this response stands for (as with `raise_exc`).
    pub fn to_error(&self, method: &Method) -> Error {
        error_from_response(self, method.as_str())
    }
    /// Build a response (for tests and custom transports).
    pub fn from_parts(status: u16, headers: HeaderMap, url: String, body: Bytes) -> Self {
        Response {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            url,
            body,
            elapsed: Duration::ZERO,
        }
    }
}

/// Turn a failed response into the matching [`Error`] (keystoneauth1's `from_response`).
pub fn error_from_response(resp: &Response, method: &str) -> Error {
    let status = resp.status.as_u16();
    if status == 401 {
        if let Some(receipt) = resp.header(RECEIPT_HEADER) {
            let body: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
            let strings = |v: Option<&Value>| -> Vec<String> {
                v.and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let rules = body
                .get("required_auth_methods")
                .and_then(Value::as_array)
                .map(|rules| rules.iter().map(|r| strings(Some(r))).collect())
                .unwrap_or_default();
            let r = body.get("receipt");
            return Error::MissingAuthMethods(Box::new(MissingAuthMethods {
                receipt: SecretString::from(receipt.to_owned()),
                methods: strings(r.and_then(|r| r.get("methods"))),
                required_auth_methods: rules,
                expires_at: r
                    .and_then(|r| r.get("expires_at"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                user_id: r
                    .and_then(|r| r.get("user"))
                    .and_then(|u| u.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                body,
            }));
        }
    }
    let reason = resp
        .status
        .canonical_reason()
        .unwrap_or("HTTP Error")
        .to_owned();
    let content_type = resp
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let (mut message, mut details) = (reason, None);
    if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Value>(&resp.body) {
            Ok(v) => {
                if let Some(err) = v.get("error").filter(|e| e.is_object()) {
                    if let Some(m) = err.get("message").and_then(Value::as_str) {
                        message = m.to_owned();
                    }
                    details = err.get("details").map(|d| match d {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                } else if let Some(errs) = v.get("errors").and_then(Value::as_array) {
                    if let Some(first) = errs.first() {
                        let title = first.get("title").and_then(Value::as_str).unwrap_or("");
                        message = if errs.len() > 1 {
                            format!("Multiple error responses, showing first only: {title}")
                        } else {
                            title.to_owned()
                        };
                        details = first
                            .get("detail")
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                    }
                } else if let Some(desc) = v.get("error_description").and_then(Value::as_str) {
                    // OAuth 2.0 style errors (Keystone's OS-OAUTH2, IdPs).
                    message = desc.to_owned();
                    details = v.get("error").and_then(Value::as_str).map(str::to_owned);
                } else {
                    message = "Unrecognized schema in response body.".into();
                }
            }
            Err(_) => details = Some(String::from_utf8_lossy(&resp.body).into_owned()),
        }
    } else if content_type.starts_with("text/") && !resp.body.is_empty() {
        let text = String::from_utf8_lossy(&resp.body);
        details = Some(text.chars().take(2048).collect());
    }
    let retry_after = resp
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut e = HttpError::new(
        status,
        message,
        crate::redact::mask_userinfo(&resp.url),
        method,
    );
    e.details = details;
    e.request_id = resp.request_id().map(str::to_owned);
    e.retry_after = retry_after;
    Error::from_http(e)
}

/// Whether a TLS library's error is in `e`'s chain of causes.
fn is_tls_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<native_tls::Error>()
            || c.is::<openssl::ssl::Error>()
            || c.is::<openssl::error::ErrorStack>()
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// The message of an error and of its causes, joined by `: `.
fn chain_message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !chain.ends_with(&text) {
            chain.push_str(": ");
            chain.push_str(&text);
        }
        src = s.source();
    }
    chain
}

/// The [`Error`] of a failed attempt; the reqwest error (and its causes) is its source.
pub(super) fn map_reqwest_error(url: &str, timeout: Option<Duration>, e: reqwest::Error) -> Error {
    // reqwest's message repeats the URL, userinfo (a password) included: it is ours to show.
    let e = e.without_url();
    let shown = crate::redact::mask_userinfo(url);
    let url = shown.as_str();
    let chain = chain_message(&e);
    let tls = is_tls_failure(&e);
    let timed_out = e.is_timeout();
    let connect = e.is_connect();
    let source: Option<crate::error::ErrorSource> = Some(std::sync::Arc::new(e));
    if timed_out {
        Error::timeout(url, timeout, source)
    } else if tls {
        Error::tls(url, chain, source)
    } else if connect {
        Error::connect_failure(url, chain, source)
    } else {
        Error::unknown_connection(url, chain, source)
    }
}

/// The [`Error`] of a response body that could not be read to its end.
pub(super) fn body_read_error(url: &str, timeout: Option<Duration>, e: reqwest::Error) -> Error {
    let e = e.without_url();
    let shown = crate::redact::mask_userinfo(url);
    let url = shown.as_str();
    if e.is_timeout() {
        Error::timeout(url, timeout, Some(std::sync::Arc::new(e)))
    } else {
        let message = format!("error reading the response body: {}", chain_message(&e));
        Error::unknown_connection(url, message, Some(std::sync::Arc::new(e)))
    }
}

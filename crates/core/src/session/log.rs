//! Debug logging of requests and responses, with secrets masked: values of secret headers are
//! hashed, JSON and form bodies have their secret values masked.

use http::{HeaderMap, Method};

use super::client::Verify;
use crate::redact;

/// What is logged of one attempt.
pub(super) struct RequestLine<'a> {
    pub(super) split: bool,
    pub(super) verify: &'a Verify,
    pub(super) method: &'a Method,
    pub(super) body: Option<&'a [u8]>,
    pub(super) streamed: bool,
    pub(super) log_body: bool,
}

/// The request as keystoneauth1 logs it: a `curl` command line.
pub(super) fn log_request(r: &RequestLine<'_>, url: &str, headers: &HeaderMap) {
    let RequestLine {
        split,
        verify,
        method,
        body,
        streamed,
        log_body,
    } = *r;
    let on = if split {
        tracing::enabled!(target: "keystoneauth::session::request", tracing::Level::DEBUG)
    } else {
        tracing::enabled!(target: "keystoneauth::session", tracing::Level::DEBUG)
    };
    if !on {
        return;
    }
    let mut line = String::from("curl -g -i");
    match verify {
        Verify::Insecure => line.push_str(" --insecure"),
        Verify::CaBundle(p) => line.push_str(&format!(" --cacert \"{}\"", p.display())),
        Verify::System => {}
    }
    let url = redact::url_for_log(url);
    line.push_str(&format!(" -X {method} {}", redact::escape_controls(&url)));
    for (k, v) in headers_for_log(headers) {
        line.push_str(&format!(" -H \"{k}: {v}\""));
    }
    if let Some(b) = body {
        if log_body {
            let shown = redact::mask_json(b).unwrap_or_else(|| match std::str::from_utf8(b) {
                Ok(s) if s.contains('=') => redact::mask_form(s),
                Ok(_) | Err(_) => "<binary_data>".into(),
            });
            line.push_str(&format!(" -d '{shown}'"));
        } else {
            line.push_str(" -d '<omitted>'");
        }
    } else if streamed {
        line.push_str(" -d '<streamed body>'");
    }
    if split {
        tracing::debug!(target: "keystoneauth::session::request", "{line}");
    } else {
        tracing::debug!(target: "keystoneauth::session", "REQ: {line}");
    }
}

/// Headers as logged: sorted by name and value, secure ones hashed, control characters
/// escaped (a header value may hold a C1 control such as CSI, `\u{9b}`, as UTF-8).
pub(super) fn headers_for_log(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            let value = redact::header_for_log(k.as_str(), v.as_bytes());
            (
                k.as_str().to_owned(),
                redact::escape_controls(&value).into_owned(),
            )
        })
        .collect();
    hs.sort();
    hs
}

/// The response lines: status and headers, body, request id (under one target, or each under
/// its own with `split_loggers`).
pub(super) fn log_response(
    status: http::StatusCode,
    headers: &HeaderMap,
    url: &str,
    body: Option<&bytes::Bytes>,
    split: bool,
) {
    use tracing::Level;
    let (head_on, body_on, id_on) = if split {
        (
            tracing::enabled!(target: "keystoneauth::session::response", Level::DEBUG),
            tracing::enabled!(target: "keystoneauth::session::body", Level::DEBUG),
            tracing::enabled!(target: "keystoneauth::session::request-id", Level::DEBUG),
        )
    } else {
        let on = tracing::enabled!(target: "keystoneauth::session", Level::DEBUG);
        (on, on, on)
    };
    if head_on {
        let mut line = format!("[{}]", status.as_u16());
        for (k, v) in headers_for_log(headers) {
            line.push_str(&format!(" {k}: {v}"));
        }
        if split {
            tracing::debug!(target: "keystoneauth::session::response", "{line}");
        } else {
            tracing::debug!(target: "keystoneauth::session", "RESP: {line}");
        }
    }
    if body_on {
        let ct = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let shown = match body {
            None => "streamed body, not logged".to_owned(),
            // serde_json escapes U+0000–U+001F; DEL and the C1 controls are escaped here.
            Some(body) if ct.starts_with("application/json") => redact::mask_json(body)
                .map(|m| redact::escape_controls(&m).into_owned())
                .unwrap_or_else(|| "<invalid JSON>".into()),
            Some(body) if ct.starts_with("text/plain") => {
                let text: String = String::from_utf8_lossy(body).chars().take(4096).collect();
                redact::escape_controls(&text).into_owned()
            }
            Some(_) => {
                let ct = if ct.is_empty() { "(none)" } else { ct.as_str() };
                format!(
                    "Omitted, Content-Type is set to {ct}. Only application/json, text/plain \
                     responses have their bodies logged."
                )
            }
        };
        if split {
            tracing::debug!(target: "keystoneauth::session::body", "{shown}");
        } else {
            tracing::debug!(target: "keystoneauth::session", "RESP BODY: {shown}");
        }
    }
    let request_id = headers
        .get(super::REQUEST_ID_HEADER)
        .or_else(|| headers.get("x-compute-request-id"))
        .and_then(|v| v.to_str().ok())
        .map(redact::escape_controls);
    let url = redact::url_for_log(url);
    let url = redact::escape_controls(&url);
    if let (true, Some(id)) = (id_on, request_id) {
        if split {
            tracing::debug!(target: "keystoneauth::session::request-id", "{url} used request id {id}");
        } else {
            tracing::debug!(target: "keystoneauth::session", "{url} used request id {id}");
        }
    }
}

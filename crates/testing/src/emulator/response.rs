//! Keystone-shaped responses every handler shares: JSON bodies, error bodies (a 401 carries
//! `WWW-Authenticate: Keystone uri=…`), and reading a request header.

use axum::body::Body;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

use super::{Shared, S};

/// Keystone's message for a 401.
pub(super) const UNAUTHORIZED: &str = "The request you have made requires authentication.";

/// A JSON response (`Vary: X-Auth-Token`, as Keystone's).
pub(super) fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r.headers_mut()
        .insert("vary", HeaderValue::from_static("X-Auth-Token"));
    r
}

fn error_body(code: StatusCode, title: &str, message: &str) -> Value {
    json!({"error": {"code": code.as_u16(), "message": message, "title": title}})
}

/// Keystone's error body; a 401 names the auth URL in `WWW-Authenticate`.
pub(super) fn error(
    shared: &Shared,
    code: StatusCode,
    title: &str,
    message: &str,
) -> Response<Body> {
    let mut r = json_response(code, &error_body(code, title, message));
    if code == StatusCode::UNAUTHORIZED {
        if let Ok(v) =
            HeaderValue::from_str(&format!("Keystone uri=\"{}/v3\"", shared.config.base_url))
        {
            r.headers_mut().insert("www-authenticate", v);
        }
    }
    r
}

pub(super) fn unauthorized(shared: &Shared, message: &str) -> Response<Body> {
    error(shared, StatusCode::UNAUTHORIZED, "Unauthorized", message)
}

pub(super) fn bad_request(shared: &Shared, message: &str) -> Response<Body> {
    error(shared, StatusCode::BAD_REQUEST, "Bad Request", message)
}

/// Keystone's 404, also the fallback route.
pub(super) async fn not_found(AxState(s): S) -> Response<Body> {
    error(
        &s,
        StatusCode::NOT_FOUND,
        "Not Found",
        "The resource could not be found.",
    )
}

/// A request header's value, if it is text.
pub(super) fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

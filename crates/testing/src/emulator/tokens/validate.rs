//! Validating and revoking tokens: `GET`, `HEAD` and `DELETE /v3/auth/tokens`.

use axum::body::Body;
use axum::extract::{RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::Value;

use super::nocatalog;
use crate::emulator::response::{error, header, json_response, unauthorized, UNAUTHORIZED};
use crate::emulator::state::TokenRecord;
use crate::emulator::{lock, Shared, S};

/// Finds the subject token after checking the caller's `X-Auth-Token`.
fn subject(s: &Shared, h: &HeaderMap) -> Result<TokenRecord, Box<Response<Body>>> {
    let st = lock(&s.state);
    let auth = header(h, "x-auth-token").unwrap_or("");
    if st.valid_token(auth).is_none() {
        return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
    }
    let subj = header(h, "x-subject-token").unwrap_or("");
    match st.valid_token(subj) {
        Some(t) if t.body.get("token").is_some() => Ok(t.clone()),
        _ => Err(Box::new(error(
            s,
            StatusCode::NOT_FOUND,
            "Not Found",
            "Failed to validate token",
        ))),
    }
}

/// `GET /v3/auth/tokens`: the subject token's body (`?nocatalog` drops its catalog).
pub(crate) async fn validate(
    AxState(s): S,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    match subject(&s, &headers) {
        Ok(t) => {
            let mut body = t.body.clone();
            if nocatalog(&q) {
                if let Some(o) = body.get_mut("token").and_then(Value::as_object_mut) {
                    o.remove("catalog");
                }
            }
            let mut r = json_response(StatusCode::OK, &body);
            if let Some(v) = headers.get("x-subject-token") {
                r.headers_mut().insert("x-subject-token", v.clone());
            }
            r
        }
        Err(r) => *r,
    }
}

/// `HEAD /v3/auth/tokens`: 200 for a valid subject token, the error's status otherwise.
pub(crate) async fn check(AxState(s): S, headers: HeaderMap) -> Response<Body> {
    match subject(&s, &headers) {
        Ok(_) => {
            let mut r = Response::new(Body::empty());
            r.headers_mut()
                .insert("vary", HeaderValue::from_static("X-Auth-Token"));
            r
        }
        Err(r) => {
            let (parts, _) = (*r).into_parts();
            Response::from_parts(parts, Body::empty())
        }
    }
}

/// `DELETE /v3/auth/tokens`: revokes the subject token.
pub(crate) async fn revoke(AxState(s): S, headers: HeaderMap) -> Response<Body> {
    match subject(&s, &headers) {
        Ok(_) => {
            let subj = header(&headers, "x-subject-token").unwrap_or("");
            if let Some(t) = lock(&s.state).tokens.get_mut(subj) {
                t.revoked = true;
            }
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        Err(r) => *r,
    }
}

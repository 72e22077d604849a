//! Version discovery (`/`, `/v3`, `/v2.0`) and the fake catalog services (`compute` at
//! `/compute/v2.1`, `placement` at `/placement`) with their microversions.

use axum::body::Body;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::json;

use super::response::{json_response, not_found, unauthorized, UNAUTHORIZED};
use super::{lock, S};
use crate::fixtures::{VersionDoc, VersionList};

/// (type, name, path) of the catalog services.
pub(crate) const SERVICES: &[(&str, &str, &str)] = &[
    ("identity", "keystone", "/v3"),
    ("compute", "nova", "/compute/v2.1"),
    ("placement", "placement", "/placement"),
];

/// `GET /`: the identity versions (300, `Location: /v3/`).
pub(super) async fn root(AxState(s): S) -> Response<Body> {
    let base = &s.config.base_url;
    let mut r = json_response(
        StatusCode::MULTIPLE_CHOICES,
        &VersionList::identity(base, s.config.v2).to_json(),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("{base}/v3/")) {
        r.headers_mut().insert("location", v);
    }
    r
}

/// `GET /v3`.
pub(super) async fn v3_doc(AxState(s): S) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &VersionDoc::identity_v3(&s.config.base_url).document(),
    )
}

/// `GET /v2.0` (404 when v2.0 is off).
pub(super) async fn v2_doc(AxState(s): S) -> Response<Body> {
    if !s.config.v2 {
        return not_found(AxState(s)).await;
    }
    json_response(
        StatusCode::OK,
        &VersionDoc::identity_v2(&s.config.base_url).document(),
    )
}

/// `GET /compute`: v2.0 and v2.1 (microversions 2.1 to 2.90).
pub(super) async fn compute_root(AxState(s): S) -> Response<Body> {
    let base = &s.config.base_url;
    let list = VersionList::new()
        .version(
            VersionDoc::new("v2.0", &format!("{base}/compute/v2/"))
                .status("SUPPORTED")
                .updated("2011-01-21T11:33:21Z")
                .nova_microversions("", ""),
        )
        .version(
            VersionDoc::new("v2.1", &format!("{base}/compute/v2.1/"))
                .status("CURRENT")
                .updated("2013-07-23T11:33:21Z")
                .nova_microversions("2.1", "2.90"),
        );
    json_response(StatusCode::MULTIPLE_CHOICES, &list.to_json_flat())
}

/// `GET /compute/v2.1`.
pub(super) async fn compute_v21(AxState(s): S) -> Response<Body> {
    let base = &s.config.base_url;
    let doc = VersionDoc::new("v2.1", &format!("{base}/compute/v2.1/"))
        .status("CURRENT")
        .updated("2013-07-23T11:33:21Z")
        .nova_microversions("2.1", "2.90")
        .media_type(
            "application/json",
            "application/vnd.openstack.compute+json;version=2.1",
        );
    json_response(StatusCode::OK, &doc.document())
}

/// `GET /placement`: microversions 1.0 to 1.39.
pub(super) async fn placement_root(AxState(s): S) -> Response<Body> {
    let base = &s.config.base_url;
    let list = VersionList::new().version(
        VersionDoc::new("v1.0", &format!("{base}/placement/"))
            .status("CURRENT")
            .microversions("1.0", "1.39"),
    );
    json_response(StatusCode::OK, &list.to_json_flat())
}

/// Authenticated `GET` on a fake service: `{"<last segment>": []}`; echoes the microversion.
pub(super) async fn resource(
    AxState(s): S,
    Path(rest): Path<String>,
    headers: HeaderMap,
) -> Response<Body> {
    let token = headers.get("x-auth-token").and_then(|v| v.to_str().ok());
    let valid = token.is_some_and(|t| lock(&s.state).valid_token(t).is_some());
    if !valid {
        return unauthorized(&s, UNAUTHORIZED);
    }
    let key = rest
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    let mut r = json_response(StatusCode::OK, &json!({ key: [] }));
    if let Some(v) = headers.get("openstack-api-version") {
        r.headers_mut().insert("openstack-api-version", v.clone());
    }
    r
}

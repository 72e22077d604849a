//! The few identity resource APIs that client code commonly calls with a token, shaped like
//! Keystone's: `GET /v3/auth/projects`, `GET /v3/auth/domains`, `GET /v3/projects`,
//! `POST /v3/users/{user_id}/application_credentials`, `POST /v3/OS-OAUTH2/token`, and
//! `POST /v3/OS-TRUST/trusts` / `DELETE /v3/OS-TRUST/trusts/{trust_id}`.
//!
//! Policy is a fixed, documented subset of Keystone's defaults (see each handler).

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, Response, StatusCode};
use base64::Engine as _;
use rand::RngCore as _;
use serde_json::{json, Value};

use super::response::{error, header, json_response, unauthorized, UNAUTHORIZED};
use super::specs::{AppCredSpec, DomainSpec, ProjectSpec};
use super::state::{Target, TokenRecord, TrustRecord};
use super::tokens::issue_v3;
use super::{lock, Shared};
use crate::fixtures::{keystone_time, new_id};

type S = AxState<std::sync::Arc<Shared>>;

/// The caller's token (`X-Auth-Token`), valid and not revoked; otherwise Keystone's 401.
fn caller(s: &Shared, h: &HeaderMap) -> Result<TokenRecord, Box<Response<Body>>> {
    let token = header(h, "x-auth-token").unwrap_or("");
    lock(&s.state)
        .valid_token(token)
        .cloned()
        .ok_or_else(|| Box::new(unauthorized(s, UNAUTHORIZED)))
}

/// Keystone's `ForbiddenAction`.
fn forbidden(s: &Shared, action: &str) -> Response<Body> {
    error(
        s,
        StatusCode::FORBIDDEN,
        "Forbidden",
        &format!("You are not authorized to perform the requested action: {action}"),
    )
}

fn bad_request(s: &Shared, message: &str) -> Response<Body> {
    error(s, StatusCode::BAD_REQUEST, "Bad Request", message)
}

fn project_json(base: &str, p: &ProjectSpec) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "domain_id": p.domain_id,
        "parent_id": p.domain_id,
        "description": "",
        "enabled": p.enabled,
        "is_domain": false,
        "tags": [],
        "options": {},
        "links": {"self": format!("{base}/v3/projects/{}", p.id)},
    })
}

fn domain_json(base: &str, d: &DomainSpec) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "description": "",
        "enabled": d.enabled,
        "tags": [],
        "options": {},
        "links": {"self": format!("{base}/v3/domains/{}", d.id)},
    })
}

fn collection(base: &str, path: &str, key: &str, items: Vec<Value>) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &json!({
            key: items,
            "links": {"self": format!("{base}{path}"), "previous": null, "next": null},
        }),
    )
}

fn query_param(q: &Option<String>, name: &str) -> Option<String> {
    q.as_deref()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.replace("%20", " ").replace('+', " "))
    })
}

/// `GET /v3/auth/projects`: the enabled projects on which the token's user has a role (any
/// valid token, scoped or not).
pub(crate) async fn auth_projects(AxState(s): S, headers: HeaderMap) -> Response<Body> {
    let tok = match caller(&s, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let base = &s.config.base_url;
    let st = lock(&s.state);
    let items = st
        .projects
        .iter()
        .filter(|p| p.enabled)
        .filter(|p| {
            !st.roles_for(&tok.user_id, &Target::Project(p.id.clone()))
                .is_empty()
        })
        .map(|p| project_json(base, p))
        .collect();
    collection(base, "/v3/auth/projects", "projects", items)
}

/// `GET /v3/auth/domains`: the enabled domains on which the token's user has a role.
pub(crate) async fn auth_domains(AxState(s): S, headers: HeaderMap) -> Response<Body> {
    let tok = match caller(&s, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let base = &s.config.base_url;
    let st = lock(&s.state);
    let items = st
        .domains
        .iter()
        .filter(|d| d.enabled)
        .filter(|d| {
            !st.roles_for(&tok.user_id, &Target::Domain(d.id.clone()))
                .is_empty()
        })
        .map(|d| domain_json(base, d))
        .collect();
    collection(base, "/v3/auth/domains", "domains", items)
}

/// `GET /v3/projects` (`?name=`, `?domain_id=` filters). Policy: a system-scoped token sees
/// every project, a domain-scoped token the projects of its domain, a project-scoped token
/// with the `admin` role every project (Keystone's legacy admin rule); anything else is 403.
pub(crate) async fn list_projects(
    AxState(s): S,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    let tok = match caller(&s, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let t = &tok.body["token"];
    let is_admin = t["roles"]
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r["name"] == "admin"));
    let only_domain: Option<String> = if t.get("system").is_some() {
        None
    } else if let Some(d) = t["domain"]["id"].as_str() {
        Some(d.to_owned())
    } else if t.get("project").is_some() && is_admin {
        None
    } else {
        return forbidden(&s, "identity:list_projects.");
    };
    let name = query_param(&q, "name");
    let domain_id = query_param(&q, "domain_id");
    let base = &s.config.base_url;
    let st = lock(&s.state);
    let items = st
        .projects
        .iter()
        .filter(|p| only_domain.as_ref().is_none_or(|d| p.domain_id == *d))
        .filter(|p| name.as_ref().is_none_or(|n| p.name == *n))
        .filter(|p| domain_id.as_ref().is_none_or(|d| p.domain_id == *d))
        .map(|p| project_json(base, p))
        .collect();
    collection(base, "/v3/projects", "projects", items)
}

fn new_secret() -> String {
    let mut b = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// `POST /v3/users/{user_id}/application_credentials`, in Keystone's order: the caller must
/// be `user_id` (403), the body needs `application_credential.name` (400), a token from a
/// restricted application credential cannot create another (403), the token must be
/// project-scoped (400), names are unique per user (409). The secret is generated when not
/// given and returned once; `unrestricted` defaults to `false`. The credential's roles are the
/// token's (requested `roles` are not checked).
pub(crate) async fn create_app_cred(
    AxState(s): S,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let tok = match caller(&s, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    if tok.user_id != user_id {
        return forbidden(&s, "identity:create_application_credential.");
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let ac = &req["application_credential"];
    let Some(name) = ac["name"].as_str() else {
        return error(
            &s,
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "Invalid input for field 'application_credential': 'name' is a required property",
        );
    };
    let t = &tok.body["token"];
    if tok.methods.iter().any(|m| m == "application_credential")
        && t["application_credential"]["restricted"].as_bool() != Some(false)
    {
        return forbidden(
            &s,
            "Using method 'application_credential' is not allowed for managing additional \
             application credentials.",
        );
    }
    let Some(project_id) = t["project"]["id"].as_str() else {
        return error(
            &s,
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "Application credentials need a project-scoped token.",
        );
    };
    let unrestricted = ac["unrestricted"].as_bool().unwrap_or(false);
    let secret = ac["secret"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(new_secret);
    let mut st = lock(&s.state);
    if st
        .app_creds
        .iter()
        .any(|(x, uid, _)| x.name == name && *uid == user_id)
    {
        return error(
            &s,
            StatusCode::CONFLICT,
            "Conflict",
            &format!(
                "Conflict occurred attempting to store application_credential - Duplicate \
                 entry found with name {name}."
            ),
        );
    }
    let spec = AppCredSpec {
        id: new_id(),
        name: name.into(),
        secret: secret.clone(),
        user: user_id.clone(),
        project: project_id.into(),
        restricted: !unrestricted,
    };
    st.app_creds
        .push((spec.clone(), user_id.clone(), project_id.into()));
    drop(st);
    let base = &s.config.base_url;
    json_response(
        StatusCode::CREATED,
        &json!({"application_credential": {
            "id": spec.id,
            "name": spec.name,
            "description": ac.get("description").cloned().unwrap_or(Value::Null),
            "expires_at": null,
            "project_id": project_id,
            "user_id": user_id,
            "roles": t["roles"],
            "unrestricted": unrestricted,
            "access_rules": [],
            "secret": secret,
            "links": {"self": format!(
                "{base}/v3/users/{user_id}/application_credentials/{}", spec.id)},
        }}),
    )
}

fn oauth2_error(s: &Shared, status: StatusCode, error: &str, description: &str) -> Response<Body> {
    let mut r = json_response(
        status,
        &json!({"error": error, "error_description": description}),
    );
    if status == StatusCode::UNAUTHORIZED {
        if let Ok(v) =
            axum::http::HeaderValue::from_str(&format!("Keystone uri=\"{}/v3\"", s.config.base_url))
        {
            r.headers_mut().insert("www-authenticate", v);
        }
    }
    r
}

/// The first value of field `name` in an `application/x-www-form-urlencoded` body, decoded.
pub(super) fn form_param(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `Authorization: Basic id:secret`, or `client_id` and `client_secret` in the form.
pub(super) fn client_credentials(headers: &HeaderMap, body: &[u8]) -> Option<(String, String)> {
    let basic = header(headers, "authorization")
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|b| b.split_once(':').map(|(i, p)| (i.to_owned(), p.to_owned())));
    basic.or_else(|| {
        Some((
            form_param(body, "client_id")?,
            form_param(body, "client_secret")?,
        ))
    })
}

/// `POST /v3/OS-OAUTH2/token` with `grant_type=client_credentials`: the client is an
/// application credential (`Authorization: Basic id:secret`, or `client_id` and
/// `client_secret` in the form); the access token is a Keystone token issued from it.
/// Errors are OAuth 2.0 shaped (`{"error", "error_description"}`).
pub(crate) async fn oauth2_token(AxState(s): S, headers: HeaderMap, body: Bytes) -> Response<Body> {
    let grant = form_param(&body, "grant_type").unwrap_or_default();
    if grant != "client_credentials" {
        return oauth2_error(
            &s,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("The parameter grant_type {grant} is not supported."),
        );
    }
    let Some((id, secret)) = client_credentials(&headers, &body) else {
        return oauth2_error(
            &s,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        );
    };
    let auth = json!({"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": id, "secret": secret},
    }}});
    let resp = issue_v3(
        AxState(s.clone()),
        HeaderMap::new(),
        RawQuery(Some("nocatalog".into())),
        Bytes::from(auth.to_string()),
    )
    .await;
    if resp.status() != StatusCode::CREATED {
        return oauth2_error(&s, StatusCode::UNAUTHORIZED, "invalid_client", UNAUTHORIZED);
    }
    let Some(token) = header(resp.headers(), "x-subject-token").map(String::from) else {
        return oauth2_error(&s, StatusCode::UNAUTHORIZED, "invalid_client", UNAUTHORIZED);
    };
    let expires_in = lock(&s.state)
        .tokens
        .get(&token)
        .map(|t| {
            (t.expires - time::OffsetDateTime::now_utc())
                .whole_seconds()
                .max(0)
        })
        .unwrap_or(0);
    json_response(
        StatusCode::OK,
        &json!({"access_token": token, "token_type": "Bearer", "expires_in": expires_in}),
    )
}

/// A trust's `expires_at` as Keystone reads it: ISO 8601 in UTC (`Z` is added when missing),
/// not in the past; kept to the second.
fn trust_expiry(v: &Value) -> Result<time::OffsetDateTime, &'static str> {
    const MALFORMED: &str = "Timestamp not in expected format. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.";
    const PAST: &str = "The 'expires_at' must not be before now. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.";
    let text = v.as_str().ok_or(MALFORMED)?;
    let text = if text.ends_with('Z') {
        text.to_owned()
    } else {
        format!("{text}Z")
    };
    let at = time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| MALFORMED)?;
    if at < time::OffsetDateTime::now_utc() {
        return Err(PAST);
    }
    // Keystone keeps whole seconds.
    Ok(at.replace_nanosecond(0).unwrap_or(at))
}

/// `POST /v3/OS-TRUST/trusts`. Keystone's default policy: only the trustor may create a trust
/// (403 otherwise); every role named (by id or name) must be one the trustor holds on the
/// project (403); the trustee must exist (404).
pub(crate) async fn create_trust(AxState(s): S, headers: HeaderMap, body: Bytes) -> Response<Body> {
    let tok = match caller(&s, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let t = &req["trust"];
    let field = |k: &str| t[k].as_str().map(str::to_owned);
    let (Some(trustor), Some(trustee)) = (field("trustor_user_id"), field("trustee_user_id"))
    else {
        return error(
            &s,
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "Invalid input for field 'trust': 'trustor_user_id' and 'trustee_user_id' are required properties",
        );
    };
    if tok.user_id != trustor {
        return forbidden(&s, "identity:create_trust.");
    }
    let Some(project_id) = field("project_id") else {
        return error(
            &s,
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "The emulator only supports project trusts: 'project_id' is required.",
        );
    };
    let mut st = lock(&s.state);
    if st.user_by_id(&trustee).is_none() {
        return error(
            &s,
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("Could not find user: {trustee}."),
        );
    }
    let held = st.roles_for(&trustor, &Target::Project(project_id.clone()));
    let mut roles = Vec::new();
    for r in t["roles"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let found = held.iter().find(|(id, name)| {
            r["id"].as_str() == Some(id.as_str()) || r["name"].as_str() == Some(name.as_str())
        });
        match found {
            Some(role) => roles.push(role.clone()),
            None => {
                return forbidden(&s, "Requested role is not assigned to the trustor.");
            }
        }
    }
    if roles.is_empty() {
        return forbidden(&s, "At least one role should be specified.");
    }
    let impersonation = t["impersonation"].as_bool().unwrap_or(false);
    let remaining_uses = match &t["remaining_uses"] {
        Value::Null => None,
        v => match v.as_u64().filter(|n| *n >= 1) {
            Some(n) => Some(n),
            None => {
                return bad_request(
                    &s,
                    &format!(
                        "Invalid input for field 'remaining_uses': {v} is not a positive integer or null."
                    ),
                )
            }
        },
    };
    let expires = match &t["expires_at"] {
        Value::Null => None,
        v => match trust_expiry(v) {
            Ok(e) => Some(e),
            Err(message) => return bad_request(&s, message),
        },
    };
    let id = new_id();
    st.trusts.insert(
        id.clone(),
        TrustRecord {
            trustor_user_id: trustor.clone(),
            trustee_user_id: trustee.clone(),
            project_id: project_id.clone(),
            impersonation,
            roles: roles.clone(),
            expires,
            remaining_uses,
        },
    );
    let base = s.config.base_url.clone();
    drop(st);
    let roles: Vec<Value> = roles
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    json_response(
        StatusCode::CREATED,
        &json!({"trust": {
            "id": id,
            "trustor_user_id": trustor,
            "trustee_user_id": trustee,
            "project_id": project_id,
            "impersonation": impersonation,
            "roles": roles,
            "expires_at": expires.map(keystone_time),
            "remaining_uses": remaining_uses,
            "links": {"self": format!("{base}/v3/OS-TRUST/trusts/{id}")},
        }}),
    )
}

/// `DELETE /v3/OS-TRUST/trusts/{trust_id}`: the trustor only (403); 404 for an unknown trust.
pub(crate) async fn delete_trust(
    AxState(s): S,
    Path(trust_id): Path<String>,
    headers: HeaderMap,
) -> Response<Body> {
    let tok = match caller(&s, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let mut st = lock(&s.state);
    match st.trusts.get(&trust_id) {
        None => error(
            &s,
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("Could not find trust: {trust_id}."),
        ),
        Some(t) if t.trustor_user_id != tok.user_id => forbidden(&s, "identity:delete_trust."),
        Some(_) => {
            st.trusts.remove(&trust_id);
            Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::empty())
                .unwrap_or_default()
        }
    }
}

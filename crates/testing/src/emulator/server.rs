//! HTTP routes and the accept loop.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use axum::routing::get;
use axum::Router;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tower::ServiceExt as _;

use super::adfs;
use super::api;
use super::auth::{AuthContext, AuthStatus};
use super::federation;
use super::state::{fernet_like, ReceiptRecord, State, Target, TokenRecord};
use super::{lock, RequestRecord, Shared};
use crate::fixtures::{new_audit_id, Receipt, V2Token, V3Token, VersionDoc, VersionList};

/// (type, name, path) of the catalog services.
pub(crate) const SERVICES: &[(&str, &str, &str)] = &[
    ("identity", "keystone", "/v3"),
    ("compute", "nova", "/compute/v2.1"),
    ("placement", "placement", "/placement"),
];

pub(super) const UNAUTHORIZED: &str = "The request you have made requires authentication.";

#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fault injection: connection dropped")
    }
}

impl std::error::Error for DropConnection {}

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let router = router(shared.clone());
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let shared = shared.clone();
                let router = router.clone();
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let shared = shared.clone();
                    let router = router.clone();
                    async move { handle(shared, router, req.map(Body::new)).await }
                });
                conns.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

/// Keystone's request id middleware: every response carries `X-OpenStack-Request-ID`.
async fn handle(
    shared: Arc<Shared>,
    router: Router,
    req: Request<Body>,
) -> Result<Response<Body>, DropConnection> {
    let mut resp = route(shared, router, req).await?;
    if let Ok(v) = HeaderValue::from_str(&format!("req-{}", request_uuid())) {
        resp.headers_mut().insert("x-openstack-request-id", v);
    }
    Ok(resp)
}

/// A random version 4 UUID, hyphenated.
fn request_uuid() -> String {
    let mut b = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

async fn route(
    shared: Arc<Shared>,
    router: Router,
    req: Request<Body>,
) -> Result<Response<Body>, DropConnection> {
    let path = req.uri().path().to_string();
    {
        let mut log = lock(&shared.log);
        if log.len() >= 10_000 {
            log.remove(0);
        }
        log.push(RequestRecord {
            method: req.method().to_string(),
            path: path.clone(),
            query: req.uri().query().map(String::from),
            headers: req
                .headers()
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect(),
        });
    }
    let federated_auth =
        path.starts_with("/v3/OS-FEDERATION/identity_providers/") && path.ends_with("/auth");
    if federated_auth
        || (req.method() == Method::POST && (path == "/v3/auth/tokens" || path == "/v2.0/tokens"))
    {
        shared.token_requests.fetch_add(1, Ordering::SeqCst);
    }
    let (delay, action) = {
        let mut f = lock(&shared.faults.inner);
        let matches = match &f.path_prefix {
            Some(p) => path.starts_with(p.as_str()),
            None => true,
        };
        if !matches {
            (std::time::Duration::ZERO, None)
        } else if f.drop > 0 {
            f.drop -= 1;
            (f.delay, Some("drop"))
        } else if f.fail > 0 {
            f.fail -= 1;
            (f.delay, Some("fail"))
        } else if f.truncate > 0 {
            f.truncate -= 1;
            (f.delay, Some("truncate"))
        } else {
            (f.delay, None)
        }
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match action {
        Some("drop") => return Err(DropConnection),
        Some("fail") => {
            let (status, retry_after) = {
                let f = lock(&shared.faults.inner);
                (f.fail_status, f.retry_after)
            };
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut resp = error(
                &shared,
                code,
                code.canonical_reason().unwrap_or("Error"),
                "Injected fault.",
            );
            if let Some(s) = retry_after {
                resp.headers_mut()
                    .insert("Retry-After", HeaderValue::from(s));
            }
            return Ok(resp);
        }
        _ => {}
    }
    let resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    if action == Some("truncate") {
        let (mut parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let cut = bytes.slice(0..bytes.len() / 2);
        parts
            .headers
            .insert("content-length", HeaderValue::from(cut.len()));
        return Ok(Response::from_parts(parts, Body::from(cut)));
    }
    Ok(resp)
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/v3", get(v3_doc))
        .route("/v3/", get(v3_doc))
        .route("/v2.0", get(v2_doc))
        .route("/v2.0/", get(v2_doc))
        .route(
            "/v3/auth/tokens",
            get(validate).head(check).delete(revoke).post(issue_v3),
        )
        .route("/v2.0/tokens", axum::routing::post(issue_v2))
        .route("/v3/auth/projects", get(api::auth_projects))
        .route("/v3/auth/domains", get(api::auth_domains))
        .route("/v3/projects", get(api::list_projects))
        .route(
            "/v3/users/:user_id/application_credentials",
            axum::routing::post(api::create_app_cred),
        )
        .route(
            "/v3/OS-OAUTH2/token",
            axum::routing::post(api::oauth2_token),
        )
        .route(
            "/v3/OS-TRUST/trusts",
            axum::routing::post(api::create_trust),
        )
        .route(
            "/v3/OS-TRUST/trusts/:trust_id",
            axum::routing::delete(api::delete_trust),
        )
        .route(
            "/v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol/auth",
            get(federation::federated_auth).post(federation::federated_auth),
        )
        .route(
            "/v3/auth/OS-FEDERATION/identity_providers/:idp/protocols/:protocol/websso",
            get(federation::websso_login_page).post(federation::websso_login),
        )
        .route(
            "/adfs/:idp/services/trust/13/usernamemixed",
            axum::routing::post(adfs::security_token_service),
        )
        .route(
            "/adfs/:idp/sp/ADFS",
            axum::routing::post(adfs::service_provider),
        )
        .route(
            "/oidc/:idp/.well-known/openid-configuration",
            get(federation::provider_discovery),
        )
        .route(
            "/oidc/:idp/token",
            axum::routing::post(federation::provider_token),
        )
        .route(
            "/oidc/:idp/device",
            axum::routing::post(federation::provider_device_authorization),
        )
        .route(
            "/oidc/:idp/device/verify",
            get(federation::device_verification_page).post(federation::device_verification),
        )
        .route("/compute", get(compute_root))
        .route("/compute/", get(compute_root))
        .route("/compute/v2.1", get(compute_v21))
        .route("/compute/v2.1/", get(compute_v21))
        .route("/compute/v2.1/*rest", get(resource))
        .route("/placement", get(placement_root))
        .route("/placement/", get(placement_root))
        .route("/placement/*rest", get(resource))
        .fallback(not_found)
        .with_state(shared)
}

type S = AxState<Arc<Shared>>;

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

fn bad_request(shared: &Shared, message: &str) -> Response<Body> {
    error(shared, StatusCode::BAD_REQUEST, "Bad Request", message)
}

async fn not_found(AxState(s): S) -> Response<Body> {
    error(
        &s,
        StatusCode::NOT_FOUND,
        "Not Found",
        "The resource could not be found.",
    )
}

async fn root(AxState(s): S) -> Response<Body> {
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

async fn v3_doc(AxState(s): S) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &VersionDoc::identity_v3(&s.config.base_url).document(),
    )
}

async fn v2_doc(AxState(s): S) -> Response<Body> {
    if !s.config.v2 {
        return not_found(AxState(s)).await;
    }
    json_response(
        StatusCode::OK,
        &VersionDoc::identity_v2(&s.config.base_url).document(),
    )
}

async fn compute_root(AxState(s): S) -> Response<Body> {
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

async fn compute_v21(AxState(s): S) -> Response<Body> {
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

async fn placement_root(AxState(s): S) -> Response<Body> {
    let base = &s.config.base_url;
    let list = VersionList::new().version(
        VersionDoc::new("v1.0", &format!("{base}/placement/"))
            .status("CURRENT")
            .microversions("1.0", "1.39"),
    );
    json_response(StatusCode::OK, &list.to_json_flat())
}

/// Authenticated `GET` on a fake service: `{"<last segment>": []}`; echoes the microversion.
async fn resource(AxState(s): S, Path(rest): Path<String>, headers: HeaderMap) -> Response<Body> {
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

pub(super) fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn nocatalog(q: &Option<String>) -> bool {
    q.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|p| p == "nocatalog" || p.starts_with("nocatalog="))
    })
}

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

async fn validate(AxState(s): S, headers: HeaderMap, RawQuery(q): RawQuery) -> Response<Body> {
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

async fn check(AxState(s): S, headers: HeaderMap) -> Response<Body> {
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

async fn revoke(AxState(s): S, headers: HeaderMap) -> Response<Body> {
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

fn now() -> OffsetDateTime {
    let n = OffsetDateTime::now_utc();
    n.replace_nanosecond(0).unwrap_or(n)
}

fn ttl(s: &Shared) -> time::Duration {
    let d = lock(&s.faults.inner)
        .token_ttl
        .unwrap_or(s.config.token_ttl);
    time::Duration::try_from(d).unwrap_or(time::Duration::hours(1))
}

enum Scope {
    Unscoped,
    Project(String),
    Domain(String),
    System,
    Trust(String),
}

/// Resolves `auth.scope`. `Err(Some(resp))` for an error response.
fn resolve_scope(
    s: &Shared,
    st: &State,
    scope: Option<&Value>,
) -> Result<Option<Scope>, Box<Response<Body>>> {
    let Some(scope) = scope else {
        return Ok(None);
    };
    if scope.as_str() == Some("unscoped") {
        return Ok(Some(Scope::Unscoped));
    }
    let Some(obj) = scope.as_object() else {
        return Err(Box::new(bad_request(s, "Invalid input for field 'scope'.")));
    };
    let domain_ref = |d: &Value| -> Option<String> {
        if let Some(id) = d.get("id").and_then(Value::as_str) {
            return st.domain_by_id(id).map(|x| x.id.clone());
        }
        let n = d.get("name").and_then(Value::as_str)?;
        st.domain_by_name(n).map(|x| x.id.clone())
    };
    if let Some(p) = obj.get("project") {
        let found = if let Some(id) = p.get("id").and_then(Value::as_str) {
            st.project_by_id(id)
        } else {
            let name = p.get("name").and_then(Value::as_str);
            let did = p.get("domain").and_then(domain_ref);
            match (name, did) {
                (Some(n), Some(d)) => st.projects.iter().find(|x| x.name == n && x.domain_id == d),
                _ => None,
            }
        };
        return match found {
            Some(p) if p.enabled => Ok(Some(Scope::Project(p.id.clone()))),
            _ => Err(Box::new(unauthorized(s, UNAUTHORIZED))),
        };
    }
    if let Some(d) = obj.get("domain") {
        return match domain_ref(d) {
            Some(id) => Ok(Some(Scope::Domain(id))),
            None => Err(Box::new(unauthorized(s, UNAUTHORIZED))),
        };
    }
    if let Some(t) = obj.get("OS-TRUST:trust") {
        let Some(id) = t.get("id").and_then(Value::as_str) else {
            return Err(Box::new(bad_request(
                s,
                "Invalid input for field 'scope/OS-TRUST:trust': 'id' is a required property",
            )));
        };
        // Keystone's auth turns "trust not found" (unknown, expired or used up) into a 401.
        if !st.trusts.get(id).is_some_and(|t| t.usable()) {
            return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
        }
        return Ok(Some(Scope::Trust(id.to_owned())));
    }
    if let Some(sys) = obj.get("system") {
        if sys.get("all").and_then(Value::as_bool) == Some(true) {
            return Ok(Some(Scope::System));
        }
        return Err(Box::new(bad_request(
            s,
            "Invalid input for field 'scope/system'.",
        )));
    }
    Err(Box::new(unauthorized(s, UNAUTHORIZED)))
}

/// Scopes `tok` to the project `id` (enabled or not: the caller checked); false if unknown.
fn scope_to_project(st: &State, tok: &mut V3Token, id: &str) -> bool {
    let Some(proj) = st.project_by_id(id) else {
        return false;
    };
    let dname = st
        .domain_by_id(&proj.domain_id)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    tok.project_scope(&proj.id, &proj.name, &proj.domain_id, &dname);
    true
}

fn push_unique(v: &mut Vec<String>, m: &str) {
    if !v.iter().any(|x| x == m) {
        v.push(m.to_string());
    }
}

pub(super) async fn issue_v3(
    AxState(s): S,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response<Body> {
    let req: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            return bad_request(
                &s,
                "Expecting to find valid JSON in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
            )
        }
    };
    let Some(auth) = req.get("auth").filter(|a| a.is_object()) else {
        return bad_request(
            &s,
            "Invalid input for field 'auth': 'auth' is a required property",
        );
    };
    let Some(identity) = auth.get("identity").filter(|a| a.is_object()) else {
        return bad_request(
            &s,
            "Invalid input for field 'identity': 'identity' is a required property",
        );
    };
    let methods: Vec<String> = match identity.get("methods") {
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(|m| m.as_str().map(String::from))
            .collect(),
        Some(other) => {
            return bad_request(
                &s,
                &format!(
                    "Invalid input for field 'identity/methods': {other} is not of type 'array'"
                ),
            )
        }
        None => {
            return bad_request(
                &s,
                "Invalid input for field 'identity': 'methods' is a required property",
            )
        }
    };
    let cfg = &s.config;
    let mut st = lock(&s.state);
    let now = now();
    // Phase 1: run the methods against an immutable view of the state.
    let outcome = {
        let mut ctx = AuthContext {
            state: &st,
            headers: &headers,
            external_header: &cfg.external_header,
            user_id: None,
            methods: Vec::new(),
        };
        if let Some(r) = header(&headers, "openstack-auth-receipt") {
            match st
                .receipts
                .get(r)
                .filter(|r| r.expires > OffsetDateTime::now_utc())
            {
                Some(rec) => {
                    ctx.user_id = Some(rec.user_id.clone());
                    ctx.methods = rec.methods.clone();
                }
                None => return unauthorized(&s, UNAUTHORIZED),
            }
        }
        let mut order: Vec<(String, Value)> = Vec::new();
        if cfg.enabled.iter().any(|m| m == "external")
            && header(&headers, &cfg.external_header).is_some()
            && !methods.iter().any(|m| m == "external")
        {
            order.push(("external".into(), json!({})));
        }
        for m in &methods {
            if !cfg.enabled.contains(m) || !cfg.handlers.contains_key(m) {
                let body = json!({"error": {
                    "code": 401,
                    "identity": {"methods": cfg.enabled},
                    "message": "Attempted to authenticate with an unsupported method.",
                    "title": "Unauthorized",
                }});
                let mut r = json_response(StatusCode::UNAUTHORIZED, &body);
                if let Ok(v) =
                    HeaderValue::from_str(&format!("Keystone uri=\"{}/v3\"", cfg.base_url))
                {
                    r.headers_mut().insert("www-authenticate", v);
                }
                return r;
            }
            let Some(payload) = identity.get(m) else {
                return bad_request(&s, &format!("Expecting to find {m} in identity. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error."));
            };
            order.push((m.clone(), payload.clone()));
        }
        let mut expires: Option<OffsetDateTime> = None;
        let mut project_id: Option<String> = None;
        let mut app_cred: Option<String> = None;
        let mut chain: Option<String> = None;
        for (m, payload) in &order {
            let Some(h) = cfg.handlers.get(m) else {
                return unauthorized(&s, UNAUTHORIZED);
            };
            let resp = match h.authenticate(payload, &mut ctx) {
                Ok(r) => r,
                Err(e) => return unauthorized(&s, &e.0),
            };
            if resp.status == AuthStatus::Continue {
                let mut ident = serde_json::Map::new();
                ident.insert("methods".into(), json!([m]));
                ident.insert(m.clone(), resp.response_body.unwrap_or(Value::Null));
                let body = json!({"error": {
                    "code": 401,
                    "identity": ident,
                    "message": "Additional authentications steps required.",
                    "title": "Unauthorized",
                }});
                return json_response(StatusCode::UNAUTHORIZED, &body);
            }
            let data = resp.response_data;
            let Some(uid) = data.user_id else {
                return unauthorized(&s, UNAUTHORIZED);
            };
            if let Some(prev) = &ctx.user_id {
                if *prev != uid {
                    return unauthorized(&s, &format!("Unable to reconcile identity attribute user_id as it has conflicting values {uid} and {prev}"));
                }
            }
            ctx.user_id = Some(uid);
            for carried in &data.method_names {
                push_unique(&mut ctx.methods, carried);
            }
            push_unique(&mut ctx.methods, m);
            if let Some(e) = data.expires_at {
                expires = Some(expires.map_or(e, |x| x.min(e)));
            }
            if data.project_id.is_some() {
                project_id = data.project_id;
            }
            if data.application_credential_id.is_some() {
                app_cred = data.application_credential_id;
            }
            if data.audit_chain_id.is_some() {
                chain = data.audit_chain_id;
            }
        }
        let Some(uid) = ctx.user_id.clone() else {
            return unauthorized(&s, UNAUTHORIZED);
        };
        (uid, ctx.methods, expires, project_id, app_cred, chain)
    };
    let (user_id, done, expires_cap, forced_project, app_cred, chain) = outcome;
    let Some(user) = st.user_by_id(&user_id).cloned() else {
        return unauthorized(&s, UNAUTHORIZED);
    };
    let Some(user_domain) = st.domain_by_id(&user.domain_id).cloned() else {
        return unauthorized(&s, UNAUTHORIZED);
    };
    if !user.enabled || !user_domain.enabled {
        return unauthorized(&s, UNAUTHORIZED);
    }
    // MFA rules: only rules whose methods are all enabled count.
    if let Some(rules) = st.mfa.get(&user_id).cloned() {
        let usable: Vec<&Vec<String>> = rules
            .iter()
            .filter(|r| !r.is_empty() && r.iter().all(|m| cfg.enabled.contains(m)))
            .collect();
        if !usable.is_empty() && !usable.iter().any(|r| r.iter().all(|m| done.contains(m))) {
            let rid = fernet_like(80);
            let rexp = now
                + time::Duration::try_from(cfg.receipt_ttl).unwrap_or(time::Duration::minutes(5));
            st.receipts.insert(
                rid.clone(),
                ReceiptRecord {
                    user_id: user_id.clone(),
                    methods: done.clone(),
                    expires: rexp,
                },
            );
            let done_refs: Vec<&str> = done.iter().map(String::as_str).collect();
            let body = Receipt::new()
                .methods(&done_refs)
                .user(&user.id, &user.name, &user_domain.id, &user_domain.name)
                .issued(now)
                .expires(rexp)
                .required_auth_methods(
                    usable
                        .iter()
                        .map(|r| r.iter().map(String::as_str).collect())
                        .collect(),
                )
                .to_json();
            let mut r = json_response(StatusCode::UNAUTHORIZED, &body);
            if let Ok(v) = HeaderValue::from_str(&rid) {
                r.headers_mut().insert("openstack-auth-receipt", v);
            }
            return r;
        }
    }
    let scope = match resolve_scope(&s, &st, auth.get("scope")) {
        Ok(sc) => sc,
        Err(r) => return *r,
    };
    let scope = match (scope, &forced_project) {
        (None, Some(p)) => Scope::Project(p.clone()),
        (Some(Scope::Project(p)), Some(f)) if p != *f => return unauthorized(&s, UNAUTHORIZED),
        (Some(Scope::Project(p)), _) => Scope::Project(p),
        (Some(_), Some(_)) => return unauthorized(&s, UNAUTHORIZED),
        (Some(sc), None) => sc,
        (None, None) => match &user.default_project_id {
            Some(p)
                if !st
                    .roles_for(&user_id, &Target::Project(p.clone()))
                    .is_empty() =>
            {
                Scope::Project(p.clone())
            }
            _ => Scope::Unscoped,
        },
    };
    let mut tok = V3Token::new();
    let method_refs: Vec<&str> = done.iter().map(String::as_str).collect();
    let ttl_expiry = now + ttl(&s);
    let mut expires = expires_cap.map_or(ttl_expiry, |c| c.min(ttl_expiry));
    let audit_id = new_audit_id();
    tok.user(&user.id, &user.name, &user_domain.id, &user_domain.name)
        .methods(&method_refs)
        .issued(now)
        .expires(expires)
        .audit_ids(&audit_id, chain.as_deref());
    // A shadow user's tokens say where the user came from; the domain stays the provider's.
    if let Some(f) = st.federated.get(&user.id) {
        let groups: Vec<&str> = f.group_ids.iter().map(String::as_str).collect();
        tok.federation(&f.identity_provider, &f.protocol, &groups)
            .user(&user.id, &user.name, &user_domain.id, &user_domain.name)
            .methods(&method_refs);
    }
    // A trust-scoped token has the trust's roles, not the user's own.
    let mut trust_roles = None;
    let mut token_user_id = user_id.clone();
    let target = match &scope {
        Scope::Unscoped => None,
        Scope::Project(p) => {
            if !scope_to_project(&st, &mut tok, p) {
                return unauthorized(&s, UNAUTHORIZED);
            }
            Some(Target::Project(p.clone()))
        }
        Scope::Trust(id) => {
            // Keystone: an expired or used-up trust is not found, which auth turns into 401.
            let Some(trust) = st.trusts.get(id).filter(|t| t.usable()).cloned() else {
                return unauthorized(&s, UNAUTHORIZED);
            };
            if trust.trustee_user_id != user_id {
                return error(
                    &s,
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "You are not authorized to perform the requested action.",
                );
            }
            let enabled = st
                .project_by_id(&trust.project_id)
                .is_some_and(|p| p.enabled);
            if !enabled || !scope_to_project(&st, &mut tok, &trust.project_id) {
                return unauthorized(&s, UNAUTHORIZED);
            }
            tok.trust(
                id,
                trust.impersonation,
                &trust.trustee_user_id,
                &trust.trustor_user_id,
            );
            if trust.impersonation {
                // The token speaks for the trustor.
                let Some(trustor) = st.user_by_id(&trust.trustor_user_id).cloned() else {
                    return unauthorized(&s, UNAUTHORIZED);
                };
                let dname = st
                    .domain_by_id(&trustor.domain_id)
                    .map(|d| d.name.clone())
                    .unwrap_or_default();
                tok.user(&trustor.id, &trustor.name, &trustor.domain_id, &dname);
                token_user_id = trustor.id;
            }
            // A trust-scoped token does not outlive its trust.
            if let Some(end) = trust.expires {
                let end = end.replace_nanosecond(0).unwrap_or(end);
                if end < expires {
                    expires = end;
                    tok.expires(end);
                }
            }
            trust_roles = Some(trust.roles);
            Some(Target::Project(trust.project_id))
        }
        Scope::Domain(d) => {
            let dname = st
                .domain_by_id(d)
                .map(|x| x.name.clone())
                .unwrap_or_default();
            tok.domain_scope(d, &dname);
            Some(Target::Domain(d.clone()))
        }
        Scope::System => {
            tok.system_scope();
            Some(Target::System)
        }
    };
    if let Some(t) = &target {
        let roles = trust_roles.unwrap_or_else(|| st.roles_for(&user_id, t));
        if roles.is_empty() {
            return unauthorized(&s, UNAUTHORIZED);
        }
        for (id, name) in &roles {
            tok.add_role(id, name);
        }
        if !nocatalog(&q) {
            add_v3_catalog(&mut tok, &cfg.base_url, &cfg.region);
        }
    }
    if let Some(ac) = &app_cred {
        if let Some((spec, _, _)) = st.app_creds.iter().find(|(x, _, _)| x.id == *ac) {
            tok.application_credential(&spec.id, &spec.name, spec.restricted);
        }
    }
    // Keystone consumes a use of the trust once the token is issued.
    if let Scope::Trust(trust_id) = &scope {
        if let Some(n) = st
            .trusts
            .get_mut(trust_id)
            .and_then(|t| t.remaining_uses.as_mut())
        {
            *n = n.saturating_sub(1);
        }
    }
    let body = tok.to_json();
    let id = fernet_like(140);
    st.tokens.insert(
        id.clone(),
        TokenRecord {
            user_id: token_user_id,
            methods: done,
            expires,
            audit_id,
            audit_chain_id: chain,
            body: body.clone(),
            revoked: false,
        },
    );
    drop(st);
    let mut r = json_response(StatusCode::CREATED, &body);
    if let Ok(v) = HeaderValue::from_str(&id) {
        r.headers_mut().insert("x-subject-token", v);
    }
    r
}

fn add_v3_catalog(tok: &mut V3Token, base: &str, region: &str) {
    for (ty, name, path) in SERVICES {
        let url = format!("{base}{path}");
        tok.add_service(ty, name)
            .add_standard_endpoints(&url, &url, &url, region);
    }
}

async fn issue_v2(AxState(s): S, body: Bytes) -> Response<Body> {
    if !s.config.v2 {
        return not_found(AxState(s)).await;
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return bad_request(&s, "Expecting to find valid JSON in request body.");
    };
    let Some(auth) = req.get("auth").filter(|a| a.is_object()) else {
        return bad_request(&s, "Expecting to find auth in request body.");
    };
    let mut st = lock(&s.state);
    let now = now();
    let mut expires = now + ttl(&s);
    let mut chain = None;
    let user = if let Some(pc) = auth.get("passwordCredentials") {
        let pw = pc.get("password").and_then(Value::as_str);
        let user = if let Some(id) = pc.get("userId").and_then(Value::as_str) {
            st.user_by_id(id)
        } else {
            pc.get("username")
                .and_then(Value::as_str)
                .and_then(|n| st.user_by_name(n, "default"))
        };
        match (user, pw) {
            (Some(u), Some(p)) if u.enabled && u.password == p => u.clone(),
            _ => return unauthorized(&s, "Invalid user / password"),
        }
    } else if let Some(t) = auth.get("token") {
        let rec = t
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| st.valid_token(id));
        let Some(rec) = rec else {
            return unauthorized(&s, "The request you have made requires authentication.");
        };
        expires = expires.min(rec.expires);
        chain = Some(rec.audit_chain_id.clone().unwrap_or(rec.audit_id.clone()));
        match st.user_by_id(&rec.user_id) {
            Some(u) if u.enabled => u.clone(),
            _ => return unauthorized(&s, UNAUTHORIZED),
        }
    } else {
        return bad_request(
            &s,
            "Expecting to find passwordCredentials or token in auth.",
        );
    };
    if user.domain_id != "default" {
        return unauthorized(&s, UNAUTHORIZED);
    }
    let project = if let Some(id) = auth.get("tenantId").and_then(Value::as_str) {
        match st.project_by_id(id) {
            Some(p) => Some(p.clone()),
            None => return unauthorized(&s, UNAUTHORIZED),
        }
    } else if let Some(n) = auth.get("tenantName").and_then(Value::as_str) {
        match st
            .projects
            .iter()
            .find(|p| p.name == n && p.domain_id == "default")
        {
            Some(p) => Some(p.clone()),
            None => return unauthorized(&s, UNAUTHORIZED),
        }
    } else {
        None
    };
    let id = fernet_like(140);
    let audit_id = new_audit_id();
    let mut tok = V2Token::new();
    tok.token_id(&id)
        .user(&user.id, &user.name)
        .issued(now)
        .expires(expires)
        .audit_ids(&audit_id, chain.as_deref());
    if let Some(p) = &project {
        let roles = st.roles_for(&user.id, &Target::Project(p.id.clone()));
        if roles.is_empty() || !p.enabled {
            return unauthorized(&s, UNAUTHORIZED);
        }
        tok.tenant(&p.id, &p.name);
        for (rid, name) in &roles {
            tok.add_role(rid, name);
        }
        let base = &s.config.base_url;
        for (ty, name, path) in SERVICES {
            let url = if *ty == "identity" {
                format!("{base}/v2.0")
            } else {
                format!("{base}{path}")
            };
            tok.add_service(ty, name)
                .add_endpoint(&url, &url, &url, &s.config.region);
        }
    }
    let body = tok.to_json();
    st.tokens.insert(
        id,
        TokenRecord {
            user_id: user.id.clone(),
            methods: vec!["password".into()],
            expires,
            audit_id,
            audit_chain_id: chain,
            body: body.clone(),
            revoked: false,
        },
    );
    json_response(StatusCode::OK, &body)
}

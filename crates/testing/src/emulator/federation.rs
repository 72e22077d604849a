//! Federation: Keystone behind mod_auth_openidc, with the OpenID provider in front of it.
//!
//! - `GET <root>/oidc/{idp}/.well-known/openid-configuration`, `POST <root>/oidc/{idp}/device`
//!   and `POST <root>/oidc/{idp}/token` (grants `password`, `client_credentials`,
//!   `authorization_code` and the device code, PKCE `S256`/`plain`; OAuth 2.0 errors
//!   `invalid_client`, `invalid_grant`, `authorization_pending`, `expired_token`,
//!   `unauthorized_client`, `unsupported_grant_type`): the provider. Codes come from
//!   [`Emulator::oidc_authorization_code`](super::Emulator::oidc_authorization_code) and
//!   devices are approved with
//!   [`Emulator::oidc_approve_device`](super::Emulator::oidc_approve_device) or on the
//!   verification page (`<root>/oidc/{idp}/device/verify`, a plain form: code, user name,
//!   password).
//! - `GET|POST /v3/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth` with
//!   `Authorization: Bearer <access token>`: the web server checks the token (401 with
//!   `WWW-Authenticate: Bearer` otherwise), then Keystone's protocol method ([`MappedMethod`])
//!   maps it to the shadow user and issues an unscoped token, methods `[protocol]`, through the
//!   same code as `POST /v3/auth/tokens`. Every token of a shadow user carries
//!   `user.OS-FEDERATION`.
//! - `GET /v3/auth/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/websso?origin=…`:
//!   the provider's login page (what mod_auth_openidc redirects a browser to), a form posting
//!   `username` and `password` back to the same URL; that `POST` logs the user in at the
//!   provider, then Keystone checks `origin` (400 without one, 401 unless it is a
//!   [`trusted_dashboard`](super::EmulatorBuilder::trusted_dashboard)), issues the unscoped
//!   token and answers its WebSSO page: a form that posts `token` to `origin`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use super::adfs;
use super::api::{client_credentials, form_param};
use super::auth::{AuthContext, AuthHandlerResponse, AuthMethodHandler, Unauthorized};
use super::server::{error, header, issue_v3, json_response};
use super::specs::{DomainSpec, IdentityProviderSpec, UserSpec};
use super::state::{
    fernet_like, FederatedRecord, IdpRecord, OidcGrant, PendingGrant, State, Target,
};
use super::{lock, Shared, DEFAULT_METHODS};
use crate::fixtures::new_id;

type S = AxState<Arc<Shared>>;

/// How long the provider's tokens live.
const PROVIDER_TOKEN_TTL: time::Duration = time::Duration::hours(1);

/// Adds `idp` to the directory: a domain of its own (id and name both a new id, as Keystone
/// makes them), a shadow user per provider user (id: SHA-256 of name and provider, as
/// Keystone's), its groups and its project roles.
pub(crate) fn add_identity_provider(
    st: &mut State,
    idp: &IdentityProviderSpec,
) -> Result<(), String> {
    if idp.id.is_empty() || idp.id.contains('/') || idp.protocol.is_empty() {
        return Err(format!(
            "identity provider {:?} / protocol {:?}: both must be non-empty path segments",
            idp.id, idp.protocol
        ));
    }
    if st.idp(&idp.id).is_some() {
        return Err(format!("identity provider {} is given twice", idp.id));
    }
    if DEFAULT_METHODS.contains(&idp.protocol.as_str()) {
        return Err(format!(
            "protocol {:?} of identity provider {} is a built-in auth method",
            idp.protocol, idp.id
        ));
    }
    let domain_id = new_id();
    st.domains.push(DomainSpec::new(&domain_id, &domain_id));
    let mut group_ids: HashMap<&str, String> = HashMap::new();
    let mut users = Vec::new();
    for u in &idp.users {
        let user_id = shadow_user_id(&u.name, &idp.id);
        if st.user_by_id(&user_id).is_some() {
            return Err(format!(
                "user {} of identity provider {} is given twice",
                u.name, idp.id
            ));
        }
        // Nobody can log in with this password: it is random, and the password method
        // refuses shadow users anyway.
        st.users.push(
            UserSpec::new(&u.name, &fernet_like(32))
                .id(&user_id)
                .domain(&domain_id),
        );
        for (project, role) in &u.project_roles {
            let project_id = st
                .project_ref(project)
                .ok_or_else(|| {
                    format!(
                        "role for federated user {} on unknown project {project}",
                        u.name
                    )
                })?
                .id
                .clone();
            let role_id = st.role_id(role);
            st.grants
                .push((user_id.clone(), Target::Project(project_id), role_id));
        }
        let groups = u
            .groups
            .iter()
            .map(|g| group_ids.entry(g).or_insert_with(new_id).clone())
            .collect();
        st.federated.insert(
            user_id.clone(),
            FederatedRecord {
                identity_provider: idp.id.clone(),
                protocol: idp.protocol.clone(),
                group_ids: groups,
            },
        );
        users.push((u.clone(), user_id));
    }
    st.idps.push(IdpRecord {
        id: idp.id.clone(),
        protocol: idp.protocol.clone(),
        clients: idp.clients.clone(),
        public_clients: idp.public_clients.clone(),
        users,
        adfs: idp.adfs,
    });
    Ok(())
}

fn shadow_user_id(name: &str, idp: &str) -> String {
    Sha256::digest(format!("{name}{idp}"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Issues a provider token for `user_id` (`None`: the client's own); returns it and its
/// lifetime in seconds.
pub(crate) fn issue_provider_token(
    st: &mut State,
    idp: &str,
    user_id: Option<String>,
) -> (String, i64) {
    let token = fernet_like(48);
    st.oidc_tokens.insert(
        token.clone(),
        OidcGrant {
            identity_provider: idp.into(),
            user_id,
            expires: OffsetDateTime::now_utc() + PROVIDER_TOKEN_TTL,
        },
    );
    (token, PROVIDER_TOKEN_TTL.whole_seconds())
}

/// Keystone's auth method for a federation protocol (its `mapped` plugin): the payload
/// `{"identity_provider": id}` and the provider's bearer token in `Authorization` give the
/// shadow user that token maps to.
pub(crate) struct MappedMethod;

impl AuthMethodHandler for MappedMethod {
    fn authenticate(
        &self,
        payload: &Value,
        ctx: &mut AuthContext<'_>,
    ) -> Result<AuthHandlerResponse, Unauthorized> {
        let idp = payload
            .get("identity_provider")
            .and_then(Value::as_str)
            .ok_or_else(Unauthorized::default)?;
        let bearer = ctx
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "));
        let grant = match bearer {
            Some(bearer) => valid_grant(ctx.state, idp, bearer),
            // An ADFS provider's Shibboleth session instead of a bearer token.
            None => ctx
                .header("cookie")
                .and_then(|c| adfs::valid_session(ctx.state, idp, c)),
        }
        .ok_or_else(Unauthorized::default)?;
        let user_id = grant.user_id.clone().ok_or_else(|| {
            Unauthorized("Could not map any user from the identity provider's token.".into())
        })?;
        Ok(AuthHandlerResponse::complete(user_id))
    }
}

fn valid_grant<'a>(st: &'a State, idp: &str, token: &str) -> Option<&'a OidcGrant> {
    st.oidc_tokens
        .get(token)
        .filter(|g| g.identity_provider == idp && g.expires > OffsetDateTime::now_utc())
}

/// `/v3/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth`.
pub(crate) async fn federated_auth(
    AxState(s): S,
    Path((idp, protocol)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response<Body> {
    let credential = {
        let st = lock(&s.state);
        let Some(rec) = st.idp(&idp) else {
            return not_found(&s, &format!("Could not find Identity Provider: {idp}."));
        };
        if rec.protocol != protocol {
            return not_found(
                &s,
                &format!(
                    "Could not find federated protocol {protocol} for Identity Provider: {idp}."
                ),
            );
        }
        if rec.adfs {
            // What Shibboleth checks before Keystone sees the request: its session cookie.
            let cookies = header(&headers, "cookie").unwrap_or("");
            if adfs::valid_session(&st, &idp, cookies).is_none() {
                return adfs::no_session(&idp);
            }
            ("cookie", cookies.to_owned())
        } else {
            // What mod_auth_openidc checks before Keystone sees the request.
            match header(&headers, "authorization").and_then(|v| v.strip_prefix("Bearer ")) {
                None => return bearer_challenge(&idp, None),
                Some(t) if valid_grant(&st, &idp, t).is_none() => {
                    return bearer_challenge(&idp, Some("The access token is invalid or expired."))
                }
                Some(t) => ("authorization", format!("Bearer {t}")),
            }
        }
    };
    issue_federated(s, &idp, &protocol, credential).await
}

/// Keystone's side of a federated login: the protocol's mapped method with the front end's
/// credential (`("authorization", "Bearer …")` for OIDC, `("cookie", …)` for an ADFS
/// provider's Shibboleth session), through the same code as `POST /v3/auth/tokens`.
async fn issue_federated(
    s: Arc<Shared>,
    idp: &str,
    protocol: &str,
    credential: (&'static str, String),
) -> Response<Body> {
    let body = json!({"auth": {"identity": {
        "methods": [protocol],
        protocol: {"identity_provider": idp, "protocol": protocol},
    }}});
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&credential.1) {
        h.insert(credential.0, v);
    }
    issue_v3(AxState(s), h, RawQuery(None), Bytes::from(body.to_string())).await
}

fn not_found(s: &Shared, message: &str) -> Response<Body> {
    error(s, StatusCode::NOT_FOUND, "Not Found", message)
}

/// The web server's 401 (RFC 6750): a bare challenge, or `invalid_token` with a reason.
fn bearer_challenge(idp: &str, invalid: Option<&str>) -> Response<Body> {
    let challenge = match invalid {
        None => format!("Bearer realm=\"{idp}\""),
        Some(why) => {
            format!("Bearer realm=\"{idp}\", error=\"invalid_token\", error_description=\"{why}\"")
        }
    };
    let mut r = Response::new(Body::from("Unauthorized"));
    *r.status_mut() = StatusCode::UNAUTHORIZED;
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert("www-authenticate", v);
    }
    r
}

/// The device code grant type (RFC 8628).
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long codes and device authorizations wait to be exchanged.
const PENDING_TTL: time::Duration = time::Duration::minutes(10);

/// `GET /oidc/{idp}/.well-known/openid-configuration`.
pub(crate) async fn provider_discovery(AxState(s): S, Path(idp): Path<String>) -> Response<Body> {
    if lock(&s.state).idp(&idp).is_none() {
        return provider_error(StatusCode::NOT_FOUND, "invalid_request", "unknown issuer");
    }
    let issuer = format!("{}/oidc/{idp}", s.config.base_url);
    json_response(
        StatusCode::OK,
        &json!({
            "issuer": issuer,
            "token_endpoint": format!("{issuer}/token"),
            "device_authorization_endpoint": format!("{issuer}/device"),
            "grant_types_supported": [
                "password", "client_credentials", "authorization_code", DEVICE_CODE_GRANT,
            ],
            "token_endpoint_auth_methods_supported":
                ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "response_types_supported": ["code"],
            "scopes_supported": ["openid", "profile", "email"],
        }),
    )
}

/// A client that authenticated: its id, and whether it is confidential (has a secret).
struct Client {
    id: String,
    confidential: bool,
}

/// A confidential client by HTTP Basic or form secret, or a public client by `client_id`.
fn authenticate_client(rec: &IdpRecord, headers: &HeaderMap, body: &[u8]) -> Option<Client> {
    if let Some((id, secret)) = client_credentials(headers, body) {
        let known = rec.clients.iter().any(|(i, s)| *i == id && *s == secret);
        return known.then_some(Client {
            id,
            confidential: true,
        });
    }
    let id = form_param(body, "client_id")?;
    rec.public_clients.contains(&id).then_some(Client {
        id,
        confidential: false,
    })
}

fn invalid_client() -> Response<Body> {
    provider_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "client authentication failed",
    )
}

fn invalid_grant(why: &str) -> Response<Body> {
    provider_error(StatusCode::BAD_REQUEST, "invalid_grant", why)
}

/// RFC 7636: `S256` is base64url(SHA-256(verifier)) without padding; `plain` is the verifier.
fn pkce_matches(method: &str, challenge: &str, verifier: &str) -> bool {
    match method {
        "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge,
        "plain" => verifier == challenge,
        _ => false,
    }
}

/// Checks a pending grant against the client, the PKCE verifier and the clock.
fn check_pending(
    grant: &PendingGrant,
    client: &Client,
    verifier: Option<&str>,
) -> Result<(), Box<Response<Body>>> {
    if grant.client_id != client.id {
        return Err(Box::new(invalid_grant(
            "the grant was issued to another client",
        )));
    }
    if grant.expires <= OffsetDateTime::now_utc() {
        return Err(Box::new(provider_error(
            StatusCode::BAD_REQUEST,
            "expired_token",
            "the grant has expired",
        )));
    }
    match (&grant.pkce, verifier) {
        (None, _) => Ok(()),
        (Some((method, challenge)), Some(v)) if pkce_matches(method, challenge, v) => Ok(()),
        (Some(_), Some(_)) => Err(Box::new(invalid_grant("PKCE verification failed"))),
        (Some(_), None) => Err(Box::new(invalid_grant("code_verifier is required"))),
    }
}

/// `POST /oidc/{idp}/token`: the `password`, `client_credentials`, `authorization_code` and
/// device code grants.
pub(crate) async fn provider_token(
    AxState(s): S,
    Path(idp): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let mut st = lock(&s.state);
    let Some(rec) = st.idp(&idp).cloned() else {
        return provider_error(StatusCode::NOT_FOUND, "invalid_request", "unknown issuer");
    };
    let Some(client) = authenticate_client(&rec, &headers, &body) else {
        return invalid_client();
    };
    let param = |name: &str| form_param(&body, name);
    let user_id = match param("grant_type").as_deref() {
        Some("password") => {
            let (Some(name), Some(password)) = (param("username"), param("password")) else {
                return provider_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "username and password are required",
                );
            };
            let found = rec
                .users
                .iter()
                .find(|(u, _)| u.name == name && u.password.as_deref() == Some(password.as_str()));
            match found {
                Some((_, id)) => Some(id.clone()),
                None => return invalid_grant("invalid username or password"),
            }
        }
        // The client's own token; Keystone maps it when a user is named like the client.
        Some("client_credentials") if client.confidential => rec
            .users
            .iter()
            .find(|(u, _)| u.name == client.id)
            .map(|(_, id)| id.clone()),
        Some("client_credentials") => {
            return provider_error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                "a public client cannot use client_credentials",
            )
        }
        Some("authorization_code") => {
            // A code is good once, whatever happens next.
            let Some(grant) = param("code").and_then(|c| st.oidc_codes.remove(&c)) else {
                return invalid_grant("invalid or already used authorization code");
            };
            if grant.identity_provider != idp || grant.redirect_uri != param("redirect_uri") {
                return invalid_grant("the redirect_uri does not match the code's");
            }
            if let Err(r) = check_pending(&grant, &client, param("code_verifier").as_deref()) {
                return *r;
            }
            grant.user_id
        }
        Some(DEVICE_CODE_GRANT) => {
            let Some(device_code) = param("device_code") else {
                return provider_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "device_code is required",
                );
            };
            let Some(grant) = st
                .oidc_devices
                .get(&device_code)
                .filter(|g| g.identity_provider == idp)
                .cloned()
            else {
                return invalid_grant("invalid device code");
            };
            if let Err(r) = check_pending(&grant, &client, param("code_verifier").as_deref()) {
                return *r;
            }
            if grant.user_id.is_none() {
                return provider_error(
                    StatusCode::BAD_REQUEST,
                    "authorization_pending",
                    "the user has not approved the device yet",
                );
            }
            st.oidc_devices.remove(&device_code);
            grant.user_id
        }
        other => {
            return provider_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("grant_type {} is not supported", other.unwrap_or("(none)")),
            )
        }
    };
    let (access_token, expires_in) = issue_provider_token(&mut st, &idp, user_id.clone());
    let (id_token, _) = issue_provider_token(&mut st, &idp, user_id);
    let scope = param("scope").unwrap_or_else(|| "openid".into());
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "id_token": id_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "scope": scope,
        }),
    )
}

/// `POST /oidc/{idp}/device` (RFC 8628 §3.1), with an optional PKCE challenge.
pub(crate) async fn provider_device_authorization(
    AxState(s): S,
    Path(idp): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let mut st = lock(&s.state);
    let Some(rec) = st.idp(&idp).cloned() else {
        return provider_error(StatusCode::NOT_FOUND, "invalid_request", "unknown issuer");
    };
    let Some(client) = authenticate_client(&rec, &headers, &body) else {
        return invalid_client();
    };
    let pkce = match (
        form_param(&body, "code_challenge_method"),
        form_param(&body, "code_challenge"),
    ) {
        (_, None) => None,
        (method, Some(challenge)) => {
            let method = method.unwrap_or_else(|| "plain".into());
            if method != "S256" && method != "plain" {
                return provider_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    &format!("code_challenge_method {method} is not supported"),
                );
            }
            Some((method, challenge))
        }
    };
    let device_code = fernet_like(32);
    let user_code = user_code();
    st.oidc_devices.insert(
        device_code.clone(),
        PendingGrant {
            identity_provider: idp.clone(),
            client_id: client.id,
            user_id: None,
            redirect_uri: None,
            pkce,
            user_code: Some(user_code.clone()),
            expires: OffsetDateTime::now_utc() + PENDING_TTL,
        },
    );
    let verify = format!("{}/oidc/{idp}/device/verify", s.config.base_url);
    json_response(
        StatusCode::OK,
        &json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verify,
            "verification_uri_complete": format!("{verify}?user_code={user_code}"),
            "expires_in": PENDING_TTL.whole_seconds(),
            "interval": 1,
        }),
    )
}

/// `GET /oidc/{idp}/device/verify[?user_code=…]`: the verification page, a plain HTML form
/// (user code, user name, password) that posts back to itself.
pub(crate) async fn device_verification_page(
    AxState(s): S,
    Path(idp): Path<String>,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    if lock(&s.state).idp(&idp).is_none() {
        return html(StatusCode::NOT_FOUND, "Unknown identity provider.");
    }
    let code = q
        .as_deref()
        .and_then(|q| form_param(q.as_bytes(), "user_code"))
        .unwrap_or_default();
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    html(
        StatusCode::OK,
        &format!(
            "<form method=\"post\"><label>Code <input name=\"user_code\" value=\"{code}\"></label> \
             <label>User <input name=\"username\"></label> \
             <label>Password <input name=\"password\" type=\"password\"></label> \
             <button>Approve</button></form>"
        ),
    )
}

/// `POST /oidc/{idp}/device/verify` (form `user_code`, `username`, `password`): the user logs
/// in at the provider and approves the device.
pub(crate) async fn device_verification(
    AxState(s): S,
    Path(idp): Path<String>,
    body: Bytes,
) -> Response<Body> {
    let mut st = lock(&s.state);
    let (Some(code), Some(name), Some(password)) = (
        form_param(&body, "user_code"),
        form_param(&body, "username"),
        form_param(&body, "password"),
    ) else {
        return html(
            StatusCode::BAD_REQUEST,
            "Code, user and password are required.",
        );
    };
    let known = st.idp(&idp).is_some_and(|rec| {
        rec.users
            .iter()
            .any(|(u, _)| u.name == name && u.password.as_deref() == Some(password.as_str()))
    });
    if !known {
        return html(StatusCode::UNAUTHORIZED, "Wrong user name or password.");
    }
    if !approve_device(&mut st, &idp, code.trim(), &name) {
        return html(
            StatusCode::BAD_REQUEST,
            "No device is waiting for this code.",
        );
    }
    html(StatusCode::OK, "Device approved. You can close this page.")
}

fn html(status: StatusCode, body: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(format!(
        "<!doctype html><title>ksa emulator</title><p>{body}</p>"
    )));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// `ABCD-EFGH`: eight letters without vowels, as providers show them.
fn user_code() -> String {
    const LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut raw = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut raw);
    let letters: String = raw
        .iter()
        .map(|b| char::from(LETTERS[usize::from(*b) % LETTERS.len()]))
        .collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}

/// An authorization code for `user` of provider `idp`, as if the user had logged in at the
/// provider and been redirected to `redirect_uri`.
pub(crate) fn issue_authorization_code(
    st: &mut State,
    idp: &str,
    client_id: &str,
    user: &str,
    redirect_uri: Option<&str>,
) -> Option<String> {
    let rec = st.idp(idp)?;
    let known_client = rec.clients.iter().any(|(id, _)| id == client_id)
        || rec.public_clients.iter().any(|id| id == client_id);
    if !known_client {
        return None;
    }
    let user_id = rec
        .users
        .iter()
        .find(|(u, _)| u.name == user)
        .map(|(_, id)| id.clone())?;
    let code = fernet_like(32);
    st.oidc_codes.insert(
        code.clone(),
        PendingGrant {
            identity_provider: idp.into(),
            client_id: client_id.into(),
            user_id: Some(user_id),
            redirect_uri: redirect_uri.map(str::to_owned),
            pkce: None,
            user_code: None,
            expires: OffsetDateTime::now_utc() + PENDING_TTL,
        },
    );
    Some(code)
}

/// `user` approves the device showing `user_code`; false if there is no such pending
/// device or user.
pub(crate) fn approve_device(st: &mut State, idp: &str, user_code: &str, user: &str) -> bool {
    let Some(user_id) = st.idp(idp).and_then(|rec| {
        rec.users
            .iter()
            .find(|(u, _)| u.name == user)
            .map(|(_, id)| id.clone())
    }) else {
        return false;
    };
    // Users type codes in any case, with or without the dash.
    let norm = |c: &str| -> String {
        c.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    let wanted = norm(user_code);
    let now = OffsetDateTime::now_utc();
    match st.oidc_devices.values_mut().find(|g| {
        g.identity_provider == idp
            && g.user_code.as_deref().map(norm).as_deref() == Some(wanted.as_str())
            && g.user_id.is_none()
            && g.expires > now
    }) {
        Some(g) => {
            g.user_id = Some(user_id);
            true
        }
        None => false,
    }
}

/// An OAuth 2.0 error response (RFC 6749 §5.2).
fn provider_error(status: StatusCode, error: &str, description: &str) -> Response<Body> {
    json_response(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

/// The `origin` query parameter of a WebSSO request.
fn websso_origin(query: Option<&str>) -> Option<String> {
    query
        .and_then(|q| form_param(q.as_bytes(), "origin"))
        .filter(|o| !o.is_empty())
}

/// Text for an HTML attribute or element.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

fn websso_known(s: &Shared, idp: &str, protocol: &str) -> Option<Response<Body>> {
    let st = lock(&s.state);
    match st.idp(idp) {
        None => Some(not_found(
            s,
            &format!("Could not find Identity Provider: {idp}."),
        )),
        Some(rec) if rec.protocol != protocol => Some(not_found(
            s,
            &format!("Could not find federated protocol {protocol} for Identity Provider: {idp}."),
        )),
        Some(_) => None,
    }
}

/// `GET …/websso?origin=…`: the provider's login page.
pub(crate) async fn websso_login_page(
    AxState(s): S,
    Path((idp, protocol)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    if let Some(r) = websso_known(&s, &idp, &protocol) {
        return r;
    }
    // The form posts back to this very URL, query included.
    let action = match q.as_deref() {
        Some(q) => format!("?{q}"),
        None => String::new(),
    };
    html(
        StatusCode::OK,
        &format!(
            "<form method=\"post\" action=\"{}\"><label>User <input name=\"username\"></label> \
             <label>Password <input name=\"password\" type=\"password\"></label> \
             <button>Log in</button></form>",
            escape_html(&action)
        ),
    )
}

/// `POST …/websso?origin=…` (form `username`, `password`): log in at the provider, then
/// Keystone's WebSSO answer.
pub(crate) async fn websso_login(
    AxState(s): S,
    Path((idp, protocol)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response<Body> {
    if let Some(r) = websso_known(&s, &idp, &protocol) {
        return r;
    }
    let bearer = {
        let mut st = lock(&s.state);
        let user_id = match (form_param(&body, "username"), form_param(&body, "password")) {
            (Some(name), Some(password)) => st.idp(&idp).and_then(|rec| {
                rec.users
                    .iter()
                    .find(|(u, _)| {
                        u.name == name && u.password.as_deref() == Some(password.as_str())
                    })
                    .map(|(_, id)| id.clone())
            }),
            _ => None,
        };
        let Some(user_id) = user_id else {
            return html(StatusCode::UNAUTHORIZED, "Wrong user name or password.");
        };
        issue_provider_token(&mut st, &idp, Some(user_id)).0
    };
    // Keystone (keystone/api/auth.py): the origin must be a trusted dashboard.
    let Some(origin) = websso_origin(q.as_deref()) else {
        return error(
            &s,
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "Request must have an origin query parameter",
        );
    };
    if !s.config.trusted_dashboards.iter().any(|d| d == &origin) {
        return error(
            &s,
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            &format!("{origin} is not a trusted dashboard host"),
        );
    }
    let issued = issue_federated(
        s.clone(),
        &idp,
        &protocol,
        ("authorization", format!("Bearer {bearer}")),
    )
    .await;
    if issued.status() != StatusCode::CREATED {
        return issued;
    }
    let Some(token) = issued
        .headers()
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return error(
            &s,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "no token was issued",
        );
    };
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>Keystone WebSSO redirect</title></head><body>\n\
         <form id=\"sso\" name=\"sso\" action=\"{}\" method=\"post\">Please wait...\n\
         <input type=\"hidden\" name=\"token\" id=\"token\" value=\"{}\"/>\n\
         <noscript><input type=\"submit\" value=\"Continue\"/></noscript></form>\n\
         <script>window.onload = function() {{ document.forms['sso'].submit(); }}</script>\n\
         </body></html>\n",
        escape_html(&origin),
        escape_html(&token)
    );
    let mut r = Response::new(Body::from(page));
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

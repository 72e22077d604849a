//! The OpenID provider in front of Keystone: discovery, the token endpoint (grants
//! `password`, `client_credentials`, `authorization_code` and the device code, PKCE
//! `S256`/`plain`), device authorization and its verification page, and the provider's
//! tokens.

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::emulator::api::{client_credentials, form_param};
use crate::emulator::response::json_response;
use crate::emulator::state::{fernet_like, IdpRecord, OidcGrant, PendingGrant, State};
use crate::emulator::{lock, S};

/// How long the provider's tokens live.
const PROVIDER_TOKEN_TTL: time::Duration = time::Duration::hours(1);

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

/// The unexpired grant behind a provider token of `idp`.
pub(super) fn valid_grant<'a>(st: &'a State, idp: &str, token: &str) -> Option<&'a OidcGrant> {
    st.oidc_tokens
        .get(token)
        .filter(|g| g.identity_provider == idp && g.expires > OffsetDateTime::now_utc())
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

/// A small HTML page.
pub(super) fn html(status: StatusCode, body: &str) -> Response<Body> {
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

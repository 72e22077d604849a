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
//!
//! This file holds Keystone's side (the directory of a provider, its mapped method and the
//! federated auth URL); [`provider`] is the OpenID provider and [`websso`] the browser login.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::adfs;
use super::auth::{AuthContext, AuthHandlerResponse, AuthMethodHandler, Unauthorized};
use super::response::{error, header};
use super::specs::{DomainSpec, IdentityProviderSpec, UserSpec};
use super::state::{fernet_like, FederatedRecord, IdpRecord, State, Target};
use super::tokens::issue_v3;
use super::{lock, Shared, DEFAULT_METHODS, S};
use crate::fixtures::new_id;

mod provider;
mod websso;

pub(crate) use provider::{
    approve_device, device_verification, device_verification_page, issue_authorization_code,
    issue_provider_token, provider_device_authorization, provider_discovery, provider_token,
};
pub(crate) use websso::{websso_login, websso_login_page};

use provider::valid_grant;

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
pub(super) async fn issue_federated(
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

pub(super) fn not_found(s: &Shared, message: &str) -> Response<Body> {
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

//! `POST /v3/auth/tokens`, in Keystone's steps: read the request, run the auth methods (a
//! receipt's, `external`, then each of `identity.methods`; all must agree on the user), apply
//! the user's MFA rules (a receipt when they are not met), choose the scope, then build, store
//! and answer the token.

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;

use super::methods::{authenticate, Authenticated};
use super::scope::{resolve_scope, scope_to_project, Scope};
use super::{nocatalog, now, ttl, Reply};
use crate::emulator::response::{bad_request, error, json_response, unauthorized, UNAUTHORIZED};
use crate::emulator::services::SERVICES;
use crate::emulator::specs::{DomainSpec, UserSpec};
use crate::emulator::state::{fernet_like, ReceiptRecord, State, Target, TokenRecord};
use crate::emulator::{lock, Shared, S};
use crate::fixtures::{new_audit_id, Receipt, V3Token};

/// What the steps read of the request body.
struct TokenRequest {
    /// `auth.identity`.
    identity: Value,
    /// `auth.identity.methods`.
    methods: Vec<String>,
    /// `auth.scope`.
    scope: Option<Value>,
}

/// What the scope made of the token.
struct Scoped {
    /// Where the roles come from (`None`: unscoped).
    target: Option<Target>,
    /// A trust's roles, which replace the user's own.
    trust_roles: Option<Vec<(String, String)>>,
    /// Whom the token speaks for: the trustor of an impersonating trust, else the user.
    token_user_id: String,
}

/// `POST /v3/auth/tokens`; also the last step of a federated login.
pub(crate) async fn issue_v3(
    AxState(s): S,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response<Body> {
    issue(&s, &headers, &q, &body).unwrap_or_else(|r| *r)
}

/// The steps in order, under the state lock; the first error response ends the request and
/// changes nothing but a receipt (step 4).
fn issue(
    s: &Shared,
    headers: &HeaderMap,
    q: &Option<String>,
    body: &[u8],
) -> Reply<Response<Body>> {
    let req = parse_request(s, body)?;
    let mut st = lock(&s.state);
    let now = now();
    // Step 2 runs the methods against an immutable view of the state.
    let auth = authenticate(s, &st, headers, &req.identity, &req.methods)?;
    let (user, user_domain) = token_user(s, &st, &auth.user_id)?;
    check_mfa(s, &mut st, &auth, &user, &user_domain, now)?;
    let scope = choose_scope(s, &st, req.scope.as_ref(), &auth, &user)?;
    let ttl_expiry = now + ttl(s);
    let mut expires = auth.expires_cap.map_or(ttl_expiry, |c| c.min(ttl_expiry));
    let audit_id = new_audit_id();
    let mut tok = token_body(&st, &auth, &user, &user_domain, now, expires, &audit_id);
    let scoped = apply_scope(s, &st, &mut tok, &scope, &auth.user_id, &mut expires)?;
    if let Some(t) = &scoped.target {
        add_roles(s, &st, &mut tok, t, scoped.trust_roles, &auth.user_id, q)?;
    }
    if let Some(ac) = &auth.app_cred {
        if let Some((spec, _, _)) = st.app_creds.iter().find(|(x, _, _)| x.id == *ac) {
            tok.application_credential(&spec.id, &spec.name, spec.restricted);
        }
    }
    let (id, body) = store_token(
        &mut st,
        &tok,
        &scope,
        scoped.token_user_id,
        auth,
        expires,
        audit_id,
    );
    drop(st);
    let mut r = json_response(StatusCode::CREATED, &body);
    if let Ok(v) = HeaderValue::from_str(&id) {
        r.headers_mut().insert("x-subject-token", v);
    }
    Ok(r)
}

/// Step 1: the body must be JSON with `auth.identity.methods`, a list of strings.
fn parse_request(s: &Shared, body: &[u8]) -> Reply<TokenRequest> {
    let bad = |message: &str| Box::new(bad_request(s, message));
    let req: Value = serde_json::from_slice(body).map_err(|_| {
        bad("Expecting to find valid JSON in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
    })?;
    let Some(auth) = req.get("auth").filter(|a| a.is_object()) else {
        return Err(bad(
            "Invalid input for field 'auth': 'auth' is a required property",
        ));
    };
    let Some(identity) = auth.get("identity").filter(|a| a.is_object()) else {
        return Err(bad(
            "Invalid input for field 'identity': 'identity' is a required property",
        ));
    };
    let methods: Vec<String> = match identity.get("methods") {
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(|m| m.as_str().map(String::from))
            .collect(),
        Some(other) => {
            return Err(bad(&format!(
                "Invalid input for field 'identity/methods': {other} is not of type 'array'"
            )))
        }
        None => {
            return Err(bad(
                "Invalid input for field 'identity': 'methods' is a required property",
            ))
        }
    };
    Ok(TokenRequest {
        identity: identity.clone(),
        methods,
        scope: auth.get("scope").cloned(),
    })
}

/// Step 3: the user and its domain, both known and enabled.
fn token_user(s: &Shared, st: &State, user_id: &str) -> Reply<(UserSpec, DomainSpec)> {
    let Some(user) = st.user_by_id(user_id).cloned() else {
        return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
    };
    let Some(user_domain) = st.domain_by_id(&user.domain_id).cloned() else {
        return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
    };
    if !user.enabled || !user_domain.enabled {
        return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
    }
    Ok((user, user_domain))
}

/// Step 4, the user's MFA rules (only rules whose methods are all enabled count): when the
/// methods done satisfy none, a 401 with a new receipt and the rules.
fn check_mfa(
    s: &Shared,
    st: &mut State,
    auth: &Authenticated,
    user: &UserSpec,
    user_domain: &DomainSpec,
    now: OffsetDateTime,
) -> Reply<()> {
    let cfg = &s.config;
    let done = &auth.methods;
    let Some(rules) = st.mfa.get(&auth.user_id).cloned() else {
        return Ok(());
    };
    let usable: Vec<&Vec<String>> = rules
        .iter()
        .filter(|r| !r.is_empty() && r.iter().all(|m| cfg.enabled.contains(m)))
        .collect();
    if usable.is_empty() || usable.iter().any(|r| r.iter().all(|m| done.contains(m))) {
        return Ok(());
    }
    let rid = fernet_like(80);
    let rexp =
        now + time::Duration::try_from(cfg.receipt_ttl).unwrap_or(time::Duration::minutes(5));
    st.receipts.insert(
        rid.clone(),
        ReceiptRecord {
            user_id: auth.user_id.clone(),
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
    Err(Box::new(r))
}

/// Step 5: the requested scope, reconciled with a project a method forces; without either,
/// the user's default project if it has a role there, else unscoped.
fn choose_scope(
    s: &Shared,
    st: &State,
    requested: Option<&Value>,
    auth: &Authenticated,
    user: &UserSpec,
) -> Reply<Scope> {
    let scope = resolve_scope(s, st, requested)?;
    Ok(match (scope, &auth.forced_project) {
        (None, Some(p)) => Scope::Project(p.clone()),
        (Some(Scope::Project(p)), Some(f)) if p != *f => {
            return Err(Box::new(unauthorized(s, UNAUTHORIZED)))
        }
        (Some(Scope::Project(p)), _) => Scope::Project(p),
        (Some(_), Some(_)) => return Err(Box::new(unauthorized(s, UNAUTHORIZED))),
        (Some(sc), None) => sc,
        (None, None) => match &user.default_project_id {
            Some(p)
                if !st
                    .roles_for(&auth.user_id, &Target::Project(p.clone()))
                    .is_empty() =>
            {
                Scope::Project(p.clone())
            }
            _ => Scope::Unscoped,
        },
    })
}

/// Step 6: the token body before its scope: user, methods, times, audit ids, and where a
/// shadow user came from.
fn token_body(
    st: &State,
    auth: &Authenticated,
    user: &UserSpec,
    user_domain: &DomainSpec,
    now: OffsetDateTime,
    expires: OffsetDateTime,
    audit_id: &str,
) -> V3Token {
    let mut tok = V3Token::new();
    let method_refs: Vec<&str> = auth.methods.iter().map(String::as_str).collect();
    tok.user(&user.id, &user.name, &user_domain.id, &user_domain.name)
        .methods(&method_refs)
        .issued(now)
        .expires(expires)
        .audit_ids(audit_id, auth.audit_chain.as_deref());
    // A shadow user's tokens say where the user came from; the domain stays the provider's.
    if let Some(f) = st.federated.get(&user.id) {
        let groups: Vec<&str> = f.group_ids.iter().map(String::as_str).collect();
        tok.federation(&f.identity_provider, &f.protocol, &groups)
            .user(&user.id, &user.name, &user_domain.id, &user_domain.name)
            .methods(&method_refs);
    }
    tok
}

/// Step 7: scope the token. A trust-scoped token has the trust's roles, not the user's own,
/// speaks for the trustor when the trust impersonates, and does not outlive the trust.
fn apply_scope(
    s: &Shared,
    st: &State,
    tok: &mut V3Token,
    scope: &Scope,
    user_id: &str,
    expires: &mut OffsetDateTime,
) -> Reply<Scoped> {
    let mut trust_roles = None;
    let mut token_user_id = user_id.to_owned();
    let target = match scope {
        Scope::Unscoped => None,
        Scope::Project(p) => {
            if !scope_to_project(st, tok, p) {
                return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
            }
            Some(Target::Project(p.clone()))
        }
        Scope::Trust(id) => {
            // Keystone: an expired or used-up trust is not found, which auth turns into 401.
            let Some(trust) = st.trusts.get(id).filter(|t| t.usable()).cloned() else {
                return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
            };
            if trust.trustee_user_id != user_id {
                return Err(Box::new(error(
                    s,
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "You are not authorized to perform the requested action.",
                )));
            }
            let enabled = st
                .project_by_id(&trust.project_id)
                .is_some_and(|p| p.enabled);
            if !enabled || !scope_to_project(st, tok, &trust.project_id) {
                return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
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
                    return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
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
                if end < *expires {
                    *expires = end;
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
    Ok(Scoped {
        target,
        trust_roles,
        token_user_id,
    })
}

/// Step 8: a scoped token's roles (the trust's, else the user's on the target; none is a
/// 401) and, unless `?nocatalog`, its catalog.
fn add_roles(
    s: &Shared,
    st: &State,
    tok: &mut V3Token,
    target: &Target,
    trust_roles: Option<Vec<(String, String)>>,
    user_id: &str,
    q: &Option<String>,
) -> Reply<()> {
    let roles = trust_roles.unwrap_or_else(|| st.roles_for(user_id, target));
    if roles.is_empty() {
        return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
    }
    for (id, name) in &roles {
        tok.add_role(id, name);
    }
    if !nocatalog(q) {
        add_v3_catalog(tok, &s.config.base_url, &s.config.region);
    }
    Ok(())
}

/// Step 9: keep the token (its id is the `X-Subject-Token`), taking a use of its trust as
/// Keystone does once a token is issued; returns the id and the body.
fn store_token(
    st: &mut State,
    tok: &V3Token,
    scope: &Scope,
    token_user_id: String,
    auth: Authenticated,
    expires: OffsetDateTime,
    audit_id: String,
) -> (String, Value) {
    if let Scope::Trust(trust_id) = scope {
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
            methods: auth.methods,
            expires,
            audit_id,
            audit_chain_id: auth.audit_chain,
            body: body.clone(),
            revoked: false,
        },
    );
    (id, body)
}

/// The catalog of a scoped v3 token: every service of [`SERVICES`], three interfaces each.
fn add_v3_catalog(tok: &mut V3Token, base: &str, region: &str) {
    for (ty, name, path) in SERVICES {
        let url = format!("{base}{path}");
        tok.add_service(ty, name)
            .add_standard_endpoints(&url, &url, &url, region);
    }
}

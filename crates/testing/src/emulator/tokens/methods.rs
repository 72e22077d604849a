//! Step 2 of `POST /v3/auth/tokens`: the auth methods. Resume from a receipt, add `external`
//! when its header is there, check every method is enabled, then run each handler in order
//! (Keystone's server-side plugin contract); all must agree on the user.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::Reply;
use crate::emulator::auth::{AuthContext, AuthStatus};
use crate::emulator::response::{bad_request, header, json_response, unauthorized, UNAUTHORIZED};
use crate::emulator::state::State;
use crate::emulator::Shared;

/// What the auth methods established.
pub(super) struct Authenticated {
    pub(super) user_id: String,
    /// The methods that succeeded (a receipt's and carried ones included), in order.
    pub(super) methods: Vec<String>,
    /// The earliest expiry a method imposed (the `token` method keeps the old token's).
    pub(super) expires_cap: Option<OffsetDateTime>,
    /// The project a method forces (application credentials).
    pub(super) forced_project: Option<String>,
    /// The application credential the token is issued from.
    pub(super) app_cred: Option<String>,
    /// The audit chain a rescoped token keeps.
    pub(super) audit_chain: Option<String>,
}

/// Resume from a receipt, check the methods, run them; one user must come out.
pub(super) fn authenticate(
    s: &Shared,
    st: &State,
    headers: &HeaderMap,
    identity: &Value,
    methods: &[String],
) -> Reply<Authenticated> {
    let cfg = &s.config;
    let mut ctx = AuthContext {
        state: st,
        headers,
        external_header: &cfg.external_header,
        user_id: None,
        methods: Vec::new(),
    };
    if let Some(r) = header(headers, "openstack-auth-receipt") {
        match st
            .receipts
            .get(r)
            .filter(|r| r.expires > OffsetDateTime::now_utc())
        {
            Some(rec) => {
                ctx.user_id = Some(rec.user_id.clone());
                ctx.methods = rec.methods.clone();
            }
            None => return Err(Box::new(unauthorized(s, UNAUTHORIZED))),
        }
    }
    let order = method_order(s, headers, identity, methods)?;
    run_methods(s, ctx, &order)
}

/// The methods to run with their payloads: `external` first when its header is there and
/// the request does not name it, then `identity.methods` in order. A method that is not
/// enabled is Keystone's 401 listing the enabled ones; one without its payload is a 400.
fn method_order(
    s: &Shared,
    headers: &HeaderMap,
    identity: &Value,
    methods: &[String],
) -> Reply<Vec<(String, Value)>> {
    let cfg = &s.config;
    let mut order: Vec<(String, Value)> = Vec::new();
    if cfg.enabled.iter().any(|m| m == "external")
        && header(headers, &cfg.external_header).is_some()
        && !methods.iter().any(|m| m == "external")
    {
        order.push(("external".into(), json!({})));
    }
    for m in methods {
        if !cfg.enabled.contains(m) || !cfg.handlers.contains_key(m) {
            let body = json!({"error": {
                "code": 401,
                "identity": {"methods": cfg.enabled},
                "message": "Attempted to authenticate with an unsupported method.",
                "title": "Unauthorized",
            }});
            let mut r = json_response(StatusCode::UNAUTHORIZED, &body);
            if let Ok(v) = HeaderValue::from_str(&format!("Keystone uri=\"{}/v3\"", cfg.base_url)) {
                r.headers_mut().insert("www-authenticate", v);
            }
            return Err(Box::new(r));
        }
        let Some(payload) = identity.get(m) else {
            return Err(Box::new(bad_request(s, &format!("Expecting to find {m} in identity. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error."))));
        };
        order.push((m.clone(), payload.clone()));
    }
    Ok(order)
}

/// Runs each method's handler (Keystone's server-side plugin contract): a `Continue` is a 401
/// asking for more, every method must name the same user, and what they return accumulates.
fn run_methods(
    s: &Shared,
    mut ctx: AuthContext<'_>,
    order: &[(String, Value)],
) -> Reply<Authenticated> {
    let cfg = &s.config;
    let mut expires: Option<OffsetDateTime> = None;
    let mut project_id: Option<String> = None;
    let mut app_cred: Option<String> = None;
    let mut chain: Option<String> = None;
    for (m, payload) in order {
        let Some(h) = cfg.handlers.get(m) else {
            return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
        };
        let resp = match h.authenticate(payload, &mut ctx) {
            Ok(r) => r,
            Err(e) => return Err(Box::new(unauthorized(s, &e.0))),
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
            return Err(Box::new(json_response(StatusCode::UNAUTHORIZED, &body)));
        }
        let data = resp.response_data;
        let Some(uid) = data.user_id else {
            return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
        };
        if let Some(prev) = &ctx.user_id {
            if *prev != uid {
                return Err(Box::new(unauthorized(s, &format!("Unable to reconcile identity attribute user_id as it has conflicting values {uid} and {prev}"))));
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
    let Some(user_id) = ctx.user_id.clone() else {
        return Err(Box::new(unauthorized(s, UNAUTHORIZED)));
    };
    Ok(Authenticated {
        user_id,
        methods: ctx.methods,
        expires_cap: expires,
        forced_project: project_id,
        app_cred,
        audit_chain: chain,
    })
}

fn push_unique(v: &mut Vec<String>, m: &str) {
    if !v.iter().any(|x| x == m) {
        v.push(m.to_string());
    }
}

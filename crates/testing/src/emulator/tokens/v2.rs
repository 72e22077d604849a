//! `POST /v2.0/tokens`: password and token credentials, an optional tenant, and the v2.0
//! catalog.

use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::http::{Response, StatusCode};
use serde_json::Value;

use super::{now, ttl};
use crate::emulator::response::{
    bad_request, json_response, not_found, unauthorized, UNAUTHORIZED,
};
use crate::emulator::services::SERVICES;
use crate::emulator::state::{fernet_like, Target, TokenRecord};
use crate::emulator::{lock, S};
use crate::fixtures::{new_audit_id, V2Token};

/// `POST /v2.0/tokens` (404 when v2.0 is off). Only users of the `default` domain.
pub(crate) async fn issue_v2(AxState(s): S, body: Bytes) -> Response<Body> {
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

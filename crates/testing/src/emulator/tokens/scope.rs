//! A v3 token request's scope: `auth.scope` resolved against the directory (project, domain,
//! system or trust), and a token body scoped to a project.

use axum::body::Body;
use axum::http::Response;
use serde_json::Value;

use crate::emulator::response::{bad_request, unauthorized, UNAUTHORIZED};
use crate::emulator::state::State;
use crate::emulator::Shared;
use crate::fixtures::V3Token;

/// What a token is scoped to, by id.
pub(super) enum Scope {
    Unscoped,
    Project(String),
    Domain(String),
    System,
    Trust(String),
}

/// Resolves `auth.scope`. `Err(Some(resp))` for an error response.
pub(super) fn resolve_scope(
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
pub(super) fn scope_to_project(st: &State, tok: &mut V3Token, id: &str) -> bool {
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

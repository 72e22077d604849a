//! Idempotent Keystone set-up for the peers, through Keystone's REST API with the harness's
//! admin credentials: a project + group (role `member`), a local user for the `kerberos`
//! method, and for each IdP a mapping, the identity provider and its protocol.

use super::http;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// An admin's view of one Keystone's REST API (the harness's, or the K2K service provider's).
pub struct Keystone {
    /// `http://127.0.0.1:PORT/v3`
    pub base: String,
    pub token: String,
}

/// One federated IdP to register.
pub struct Idp<'a> {
    pub id: &'a str,
    pub protocol: &'a str,
    pub mapping: &'a str,
    pub remote_ids: Vec<String>,
    /// Environ key of the IdP's remote id, set on the protocol (also in keystone.conf).
    pub remote_id_attribute: Option<&'a str>,
    /// Environ key whose value becomes the federated user's name.
    pub user_attribute: &'a str,
}

impl Keystone {
    pub fn login(env: &Value) -> Result<Keystone> {
        let base = env["auth_url"]
            .as_str()
            .context("keystone env.json: auth_url")?
            .trim_end_matches('/')
            .to_string();
        let s = |k: &str| {
            env[k]
                .as_str()
                .with_context(|| format!("keystone env.json: {k}"))
        };
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": s("admin_username")?, "password": s("admin_password")?,
                "domain": {"id": s("admin_user_domain_id")?}}}},
            "scope": {"project": {"name": s("admin_project_name")?,
                "domain": {"id": s("admin_project_domain_id")?}}}}});
        let r = http::request(
            "POST",
            &format!("{base}/auth/tokens?nocatalog"),
            &[("Content-Type", "application/json")],
            Some(&body.to_string()),
            &[],
        )?;
        if r.status != 201 {
            bail!("admin login to {base}: HTTP {}: {}", r.status, r.body);
        }
        let token = r
            .header("X-Subject-Token")
            .context("no X-Subject-Token")?
            .to_string();
        Ok(Keystone { base, token })
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
        let url = format!("{}{path}", self.base);
        let text = body.map(Value::to_string);
        let r = http::request(
            method,
            &url,
            &[
                ("X-Auth-Token", &self.token),
                ("Content-Type", "application/json"),
            ],
            text.as_deref(),
            &[],
        )?;
        let v = if r.body.trim().is_empty() {
            Value::Null
        } else {
            r.json().unwrap_or(Value::String(r.body.clone()))
        };
        Ok((r.status, v))
    }

    pub fn ok(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        // sqlite behind gunicorn: a rare 5xx is retried a few times.
        let mut last = (0, Value::Null);
        for attempt in 0..4 {
            last = self.call(method, path, body)?;
            if last.0 < 500 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(300 * (attempt + 1)));
        }
        let (status, v) = last;
        if !(200..300).contains(&status) {
            bail!("{method} {}{path}: HTTP {status}: {v}", self.base);
        }
        Ok(v)
    }

    /// The id of the first `kind` (`projects`, `groups`, `users`, `roles`) named `name`.
    fn find(&self, kind: &str, name: &str) -> Result<Option<String>> {
        let v = self.ok("GET", &format!("/{kind}?name={name}"), None)?;
        Ok(v[kind][0]["id"].as_str().map(str::to_string))
    }

    pub fn ensure(&self, kind: &str, one: &str, body: Value) -> Result<String> {
        let name = body["name"].as_str().context("name")?.to_string();
        if let Some(id) = self.find(kind, &name)? {
            return Ok(id);
        }
        let v = self.ok("POST", &format!("/{kind}"), Some(&json!({ one: body })))?;
        v[one]["id"]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("POST /{kind}: no id in {v}"))
    }

    /// PUT (create); when it exists already (409), PATCH it to the wanted state.
    pub fn put_or_patch(&self, path: &str, key: &str, body: Value) -> Result<()> {
        let wrapped = json!({ key: body });
        let (status, v) = self.call("PUT", path, Some(&wrapped))?;
        match status {
            200..=299 => Ok(()),
            409 => self.ok("PATCH", path, Some(&wrapped)).map(|_| ()),
            _ => bail!("PUT {}{path}: HTTP {status}: {v}", self.base),
        }
    }
}

pub struct Provisioned {
    pub project_id: String,
    pub group_id: String,
    pub kerberos_user_id: String,
}

pub const PROJECT: &str = "ksa-federated";
pub const GROUP: &str = "ksa-federated-users";
pub const ROLE: &str = "member";

pub fn provision(ks: &Keystone, idps: &[Idp<'_>], kerberos_user: &str) -> Result<Provisioned> {
    let project_id = ks.ensure(
        "projects",
        "project",
        json!({"name": PROJECT, "domain_id": "default",
               "description": "cargo xtask peers: federated test users get `member` here"}),
    )?;
    let group_id = ks.ensure(
        "groups",
        "group",
        json!({"name": GROUP, "domain_id": "default",
               "description": "cargo xtask peers: every federation mapping puts users here"}),
    )?;
    let role_id = ks
        .find("roles", ROLE)?
        .with_context(|| format!("role `{ROLE}` not found"))?;
    ks.ok(
        "PUT",
        &format!("/projects/{project_id}/groups/{group_id}/roles/{role_id}"),
        None,
    )?;
    // The `kerberos` method maps REMOTE_USER (the principal's local name) to a local user.
    let kerberos_user_id = ks.ensure(
        "users",
        "user",
        json!({"name": kerberos_user, "domain_id": "default", "enabled": true,
               "default_project_id": project_id}),
    )?;
    ks.ok(
        "PUT",
        &format!("/projects/{project_id}/users/{kerberos_user_id}/roles/{role_id}"),
        None,
    )?;

    for idp in idps {
        let rules = json!([{
            "local": [{"user": {"name": "{0}"}}, {"group": {"id": group_id}}],
            "remote": [{"type": idp.user_attribute}]
        }]);
        ks.put_or_patch(
            &format!("/OS-FEDERATION/mappings/{}", idp.mapping),
            "mapping",
            json!({ "rules": rules }),
        )?;
        ks.put_or_patch(
            &format!("/OS-FEDERATION/identity_providers/{}", idp.id),
            "identity_provider",
            json!({"enabled": true, "remote_ids": idp.remote_ids,
                   "description": "cargo xtask peers"}),
        )?;
        let mut proto = json!({ "mapping_id": idp.mapping });
        if let Some(attr) = idp.remote_id_attribute {
            proto["remote_id_attribute"] = json!(attr);
        }
        ks.put_or_patch(
            &format!(
                "/OS-FEDERATION/identity_providers/{}/protocols/{}",
                idp.id, idp.protocol
            ),
            "protocol",
            proto,
        )?;
    }
    Ok(Provisioned {
        project_id,
        group_id,
        kerberos_user_id,
    })
}

/// Exchanges an unscoped token for one scoped to `project_id` (self-checks).
pub fn scope(keystone_base: &str, unscoped: &str, project_id: &str) -> Result<String> {
    let body = json!({"auth": {
        "identity": {"methods": ["token"], "token": {"id": unscoped}},
        "scope": {"project": {"id": project_id}}}});
    let r = http::request(
        "POST",
        &format!(
            "{}/auth/tokens?nocatalog",
            keystone_base.trim_end_matches('/')
        ),
        &[("Content-Type", "application/json")],
        Some(&body.to_string()),
        &[],
    )?;
    if r.status != 201 {
        bail!(
            "scoping to project {project_id}: HTTP {}: {}",
            r.status,
            r.body
        );
    }
    r.header("X-Subject-Token")
        .map(str::to_string)
        .context("no X-Subject-Token")
}

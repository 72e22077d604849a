//! An admin provisioning client on plain `reqwest`: creates Keystone objects for a
//! test and deletes them again.
//!
//! Every object created through [`Admin`] is recorded; [`Admin::cleanup`] deletes
//! them (newest first). A test should `admin.cleanup().await` at its end; if it
//! panics before that, dropping the [`Admin`] deletes them best-effort. Names get a
//! random suffix ([`unique_name`]) so tests can run in parallel.

use crate::totp;
use crate::Keystone;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A provisioning failure: what was asked, and what Keystone answered.
#[derive(Debug, Clone)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// The result of a provisioning call.
pub type Result<T> = std::result::Result<T, Error>;

/// `prefix-<random hex>-<counter>`: unique across parallel tests and runs.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{:08x}-{n}", rand::random::<u32>())
}

fn random_password() -> String {
    format!(
        "pw-{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

/// A domain created for a test.
#[derive(Debug, Clone)]
pub struct Domain {
    /// Keystone's id.
    pub id: String,
    /// Its unique name.
    pub name: String,
}

/// A project created for a test.
#[derive(Debug, Clone)]
pub struct Project {
    /// Keystone's id.
    pub id: String,
    /// Its unique name.
    pub name: String,
    /// The domain it lives in.
    pub domain_id: String,
}

/// A user created for a test, with its password.
#[derive(Debug, Clone)]
pub struct User {
    /// Keystone's id.
    pub id: String,
    /// Its unique name.
    pub name: String,
    /// The domain it lives in.
    pub domain_id: String,
    /// The random password it was created with.
    pub password: String,
    /// Its default project, when one was set.
    pub default_project_id: Option<String>,
}

/// A role created for a test.
#[derive(Debug, Clone)]
pub struct Role {
    /// Keystone's id.
    pub id: String,
    /// Its unique name.
    pub name: String,
}

/// A `totp` credential: `secret` is the raw key, `blob` its base32 form (no padding).
#[derive(Debug, Clone)]
pub struct TotpCredential {
    /// The credential's id.
    pub id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// The raw TOTP key.
    pub secret: Vec<u8>,
    /// The key in base32 without padding, as stored in Keystone.
    pub blob: String,
}

impl TotpCredential {
    /// The passcode valid now.
    pub fn passcode_now(&self) -> String {
        totp::totp_now(&self.secret)
    }
}

/// An application credential created for a test.
#[derive(Debug, Clone)]
pub struct AppCredential {
    /// Keystone's id.
    pub id: String,
    /// Its unique name.
    pub name: String,
    /// The secret Keystone returned once.
    pub secret: String,
    /// The user it belongs to.
    pub user_id: String,
    /// The project it is scoped to.
    pub project_id: String,
    /// The whole `application_credential` object Keystone returned.
    pub body: Value,
}

/// An OAuth 1.0a consumer.
#[derive(Debug, Clone)]
pub struct Consumer {
    /// The consumer key.
    pub id: String,
    /// The consumer secret.
    pub secret: String,
}

/// An issued token: the `X-Subject-Token` header and the `token` object.
#[derive(Debug, Clone)]
pub struct Token {
    /// The `X-Subject-Token` value.
    pub id: String,
    /// The `token` object of the body.
    pub body: Value,
}

/// Something to delete at cleanup: a path under /v3, and whether it must be
/// disabled first (domains).
#[derive(Debug, Clone)]
struct Created {
    path: String,
    disable_first: Option<&'static str>,
}

/// The admin provisioning client.
pub struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
    created: Mutex<Vec<Created>>,
}

impl fmt::Debug for Admin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admin").field("base", &self.base).finish()
    }
}

fn field(v: &Value, ptr: &str) -> Result<String> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Error(format!("no {ptr} in {v}")))
}

/// Password authentication, returns the token (any scope; `scope` may be `Value::Null`).
async fn password_token(
    http: &reqwest::Client,
    base: &str,
    user: Value,
    scope: Value,
) -> Result<Token> {
    let mut auth = json!({
        "identity": { "methods": ["password"], "password": { "user": user } }
    });
    if !scope.is_null() {
        auth["scope"] = scope;
    }
    let resp = http
        .post(format!("{base}/auth/tokens"))
        .json(&json!({ "auth": auth }))
        .send()
        .await
        .map_err(|e| Error(format!("POST /auth/tokens: {e}")))?;
    let status = resp.status();
    let id = resp
        .headers()
        .get("x-subject-token")
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    match (status, id) {
        (StatusCode::CREATED, Some(id)) => Ok(Token {
            id,
            body: body["token"].clone(),
        }),
        _ => Err(Error(format!("POST /auth/tokens: {status} {body}"))),
    }
}

impl Admin {
    /// Logs in as the harness admin with a system-scoped token (Keystone's default
    /// policies want `system_scope:all` for most identity admin APIs).
    pub async fn connect(ks: &Keystone) -> Result<Admin> {
        let http = ks.http_client();
        let base = ks.env.auth_url.trim_end_matches('/').to_string();
        let tok = password_token(
            &http,
            &base,
            json!({
                "name": ks.env.admin_username,
                "domain": { "id": ks.env.admin_user_domain_id },
                "password": ks.env.admin_password,
            }),
            json!({ "system": { "all": true } }),
        )
        .await?;
        Ok(Admin {
            http,
            base,
            token: tok.id,
            created: Mutex::new(Vec::new()),
        })
    }

    /// The admin's (system-scoped) token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The identity endpoint, `http://127.0.0.1:PORT/v3`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A raw admin call: `path` is relative to /v3 (e.g. `/users`). Returns the
    /// status and the JSON body (`Null` when empty or not JSON).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value)> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header("X-Auth-Token", &self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Error(format!("{method} {path}: {e}")))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// Like [`Admin::request`] but fails unless the status is 2xx.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let (status, v) = self.request(method.clone(), path, body).await?;
        if status.is_success() {
            Ok(v)
        } else {
            Err(Error(format!("{method} {path}: {status} {v}")))
        }
    }

    /// Records `path` (under /v3) to be deleted at cleanup.
    pub fn delete_on_cleanup(&self, path: impl Into<String>) {
        self.push(Created {
            path: path.into(),
            disable_first: None,
        });
    }

    fn push(&self, c: Created) {
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(c);
    }

    /// Creates an enabled domain.
    pub async fn create_domain(&self) -> Result<Domain> {
        let name = unique_name("ksa-domain");
        let v = self
            .call(
                Method::POST,
                "/domains",
                Some(&json!({"domain": {"name": name, "enabled": true}})),
            )
            .await?;
        let id = field(&v, "/domain/id")?;
        self.push(Created {
            path: format!("/domains/{id}"),
            disable_first: Some("domain"),
        });
        Ok(Domain { id, name })
    }

    /// Creates a project in `domain_id` (e.g. `"default"`).
    pub async fn create_project(&self, domain_id: &str) -> Result<Project> {
        let name = unique_name("ksa-project");
        let v = self
            .call(
                Method::POST,
                "/projects",
                Some(&json!({"project": {"name": name, "domain_id": domain_id, "enabled": true}})),
            )
            .await?;
        let id = field(&v, "/project/id")?;
        self.delete_on_cleanup(format!("/projects/{id}"));
        Ok(Project {
            id,
            name,
            domain_id: domain_id.to_string(),
        })
    }

    /// Creates an enabled user with a random password in `domain_id`.
    pub async fn create_user(
        &self,
        domain_id: &str,
        default_project_id: Option<&str>,
    ) -> Result<User> {
        let name = unique_name("ksa-user");
        let password = random_password();
        let mut user = json!({
            "name": name, "domain_id": domain_id, "password": password, "enabled": true
        });
        if let Some(p) = default_project_id {
            user["default_project_id"] = json!(p);
        }
        let v = self
            .call(Method::POST, "/users", Some(&json!({ "user": user })))
            .await?;
        let id = field(&v, "/user/id")?;
        self.delete_on_cleanup(format!("/users/{id}"));
        Ok(User {
            id,
            name,
            domain_id: domain_id.to_string(),
            password,
            default_project_id: default_project_id.map(str::to_string),
        })
    }

    /// The id of the role called `name` (`admin`, `member`, `reader` exist after
    /// bootstrap).
    pub async fn role_id(&self, name: &str) -> Result<String> {
        let v = self
            .call(Method::GET, &format!("/roles?name={name}"), None)
            .await?;
        field(&v, "/roles/0/id")
    }

    /// Creates a new global role.
    pub async fn create_role(&self) -> Result<Role> {
        let name = unique_name("ksa-role");
        let v = self
            .call(
                Method::POST,
                "/roles",
                Some(&json!({"role": {"name": name}})),
            )
            .await?;
        let id = field(&v, "/role/id")?;
        self.delete_on_cleanup(format!("/roles/{id}"));
        Ok(Role { id, name })
    }

    async fn grant(&self, path: String) -> Result<()> {
        self.call(Method::PUT, &path, None).await?;
        self.delete_on_cleanup(path);
        Ok(())
    }

    /// Grants `role_id` to `user_id` on a project.
    pub async fn grant_project_role(
        &self,
        project_id: &str,
        user_id: &str,
        role_id: &str,
    ) -> Result<()> {
        self.grant(format!(
            "/projects/{project_id}/users/{user_id}/roles/{role_id}"
        ))
        .await
    }

    /// Grants `role_id` to `user_id` on a domain.
    pub async fn grant_domain_role(
        &self,
        domain_id: &str,
        user_id: &str,
        role_id: &str,
    ) -> Result<()> {
        self.grant(format!(
            "/domains/{domain_id}/users/{user_id}/roles/{role_id}"
        ))
        .await
    }

    /// Grants `role_id` to `user_id` on the system (`system_scope: all`).
    pub async fn grant_system_role(&self, user_id: &str, role_id: &str) -> Result<()> {
        self.grant(format!("/system/users/{user_id}/roles/{role_id}"))
            .await
    }

    /// Creates a `totp` credential with a random 20-byte secret.
    pub async fn create_totp_credential(&self, user_id: &str) -> Result<TotpCredential> {
        let secret: Vec<u8> = (0..20).map(|_| rand::random::<u8>()).collect();
        let blob = totp::base32_nopad(&secret);
        let v = self
            .call(
                Method::POST,
                "/credentials",
                Some(&json!({"credential": {"type": "totp", "user_id": user_id, "blob": blob}})),
            )
            .await?;
        let id = field(&v, "/credential/id")?;
        self.delete_on_cleanup(format!("/credentials/{id}"));
        Ok(TotpCredential {
            id,
            user_id: user_id.to_string(),
            secret,
            blob,
        })
    }

    /// Turns on MFA rules for a user, e.g. `&[&["password", "totp"]]`.
    pub async fn enable_mfa(&self, user_id: &str, rules: &[&[&str]]) -> Result<()> {
        self.call(
            Method::PATCH,
            &format!("/users/{user_id}"),
            Some(&json!({"user": {"options": {
                "multi_factor_auth_enabled": true,
                "multi_factor_auth_rules": rules,
            }}})),
        )
        .await?;
        Ok(())
    }

    /// A password token for `user`, scoped to `project_id` (or unscoped).
    pub async fn user_token(&self, user: &User, project_id: Option<&str>) -> Result<Token> {
        let scope = match project_id {
            Some(p) => json!({"project": {"id": p}}),
            None => Value::Null,
        };
        password_token(
            &self.http,
            &self.base,
            json!({"id": user.id, "password": user.password}),
            scope,
        )
        .await
    }

    /// Creates an application credential as `user` (with the user's own token
    /// scoped to `project_id`). `extra` is merged into the request object (e.g.
    /// `{"roles": [...], "access_rules": [...], "unrestricted": true}`).
    pub async fn create_application_credential(
        &self,
        user: &User,
        project_id: &str,
        extra: Option<Value>,
    ) -> Result<AppCredential> {
        let tok = self.user_token(user, Some(project_id)).await?;
        let name = unique_name("ksa-appcred");
        let mut body = json!({ "name": name });
        if let Some(Value::Object(m)) = extra {
            for (k, v) in m {
                body[k] = v;
            }
        }
        let path = format!("/users/{}/application_credentials", user.id);
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("X-Auth-Token", &tok.id)
            .json(&json!({ "application_credential": body }))
            .send()
            .await
            .map_err(|e| Error(format!("POST {path}: {e}")))?;
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(Error(format!("POST {path}: {status} {v}")));
        }
        let ac = v["application_credential"].clone();
        let id = field(&v, "/application_credential/id")?;
        self.delete_on_cleanup(format!("{path}/{id}"));
        Ok(AppCredential {
            id,
            name: field(&v, "/application_credential/name")?,
            secret: field(&v, "/application_credential/secret")?,
            user_id: user.id.clone(),
            project_id: project_id.to_string(),
            body: ac,
        })
    }

    /// Creates an OAuth 1.0a consumer.
    pub async fn create_oauth1_consumer(&self) -> Result<Consumer> {
        let v = self
            .call(
                Method::POST,
                "/OS-OAUTH1/consumers",
                Some(&json!({"consumer": {"description": unique_name("ksa-consumer")}})),
            )
            .await?;
        let id = field(&v, "/consumer/id")?;
        self.delete_on_cleanup(format!("/OS-OAUTH1/consumers/{id}"));
        Ok(Consumer {
            id,
            secret: field(&v, "/consumer/secret")?,
        })
    }

    /// Creates (PUT) an identity provider. `id` defaults to a unique name; `body`
    /// is merged into `{"enabled": true}` (e.g. `{"remote_ids": [...],
    /// "domain_id": ...}`). Returns the `identity_provider` object.
    pub async fn create_identity_provider(
        &self,
        id: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value> {
        let id = id.map_or_else(|| unique_name("ksa-idp"), str::to_string);
        let mut idp = json!({ "enabled": true });
        if let Some(Value::Object(m)) = body {
            for (k, v) in m {
                idp[k] = v;
            }
        }
        let path = format!("/OS-FEDERATION/identity_providers/{id}");
        let v = self
            .call(
                Method::PUT,
                &path,
                Some(&json!({ "identity_provider": idp })),
            )
            .await?;
        self.delete_on_cleanup(path);
        Ok(v["identity_provider"].clone())
    }

    /// Creates (PUT) a mapping with `rules` (a JSON array); `id` defaults to a
    /// unique name. Returns the mapping id.
    pub async fn create_mapping(&self, id: Option<&str>, rules: Value) -> Result<String> {
        let id = id.map_or_else(|| unique_name("ksa-mapping"), str::to_string);
        let path = format!("/OS-FEDERATION/mappings/{id}");
        self.call(
            Method::PUT,
            &path,
            Some(&json!({"mapping": {"rules": rules}})),
        )
        .await?;
        self.delete_on_cleanup(path);
        Ok(id)
    }

    /// Creates (PUT) a federation protocol of an identity provider.
    pub async fn create_protocol(
        &self,
        idp_id: &str,
        protocol_id: &str,
        mapping_id: &str,
    ) -> Result<()> {
        let path = format!("/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}");
        self.call(
            Method::PUT,
            &path,
            Some(&json!({"protocol": {"mapping_id": mapping_id}})),
        )
        .await?;
        self.delete_on_cleanup(path);
        Ok(())
    }

    /// `GET /v3/auth/tokens` with `X-Subject-Token`: the `token` object of a valid
    /// token, an error otherwise.
    pub async fn validate_token(&self, token: &str) -> Result<Value> {
        let (status, v) = self.validate_token_status(token).await?;
        if status == StatusCode::OK {
            Ok(v["token"].clone())
        } else {
            Err(Error(format!("GET /auth/tokens: {status} {v}")))
        }
    }

    /// `GET /v3/auth/tokens`: the status (200 valid, 404 invalid/revoked) and body.
    pub async fn validate_token_status(&self, token: &str) -> Result<(StatusCode, Value)> {
        let resp = self
            .http
            .get(format!("{}/auth/tokens", self.base))
            .header("X-Auth-Token", &self.token)
            .header("X-Subject-Token", token)
            .send()
            .await
            .map_err(|e| Error(format!("GET /auth/tokens: {e}")))?;
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        Ok((status, v))
    }

    /// Deletes everything this client created, newest first. Objects already gone
    /// (404) are fine; other failures are collected into the error.
    pub async fn cleanup(&self) -> Result<()> {
        let items = std::mem::take(&mut *self.created.lock().unwrap_or_else(|p| p.into_inner()));
        let mut failures = Vec::new();
        for c in items.iter().rev() {
            if let Err(e) = delete_one(&self.http, &self.base, &self.token, c).await {
                failures.push(e.0);
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error(format!("cleanup failed: {}", failures.join("; "))))
        }
    }
}

async fn delete_one(http: &reqwest::Client, base: &str, token: &str, c: &Created) -> Result<()> {
    // Keystone on sqlite answers 500 ("database is locked") when writers pile up: a few
    // bounded retries (of the disabling PATCH too, else the DELETE is refused with 403).
    let mut attempt = 0u64;
    let resp = loop {
        attempt += 1;
        if let Some(kind) = c.disable_first {
            let _ = http
                .patch(format!("{base}{}", c.path))
                .header("X-Auth-Token", token)
                .json(&json!({ kind: { "enabled": false } }))
                .send()
                .await;
        }
        let resp = http
            .delete(format!("{base}{}", c.path))
            .header("X-Auth-Token", token)
            .send()
            .await
            .map_err(|e| Error(format!("DELETE {}: {e}", c.path)))?;
        let retry = resp.status().is_server_error()
            || (c.disable_first.is_some() && resp.status() == StatusCode::FORBIDDEN);
        if retry && attempt < 4 {
            tokio::time::sleep(std::time::Duration::from_millis(500 * attempt)).await;
            continue;
        }
        break resp;
    };
    match resp.status() {
        s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
        s => Err(Error(format!(
            "DELETE {}: {s} {}",
            c.path,
            resp.text().await.unwrap_or_default()
        ))),
    }
}

impl Drop for Admin {
    /// Best effort: deletes what [`Admin::cleanup`] did not (e.g. after a panic),
    /// on a separate thread with its own runtime and client.
    fn drop(&mut self) {
        let items = std::mem::take(&mut *self.created.lock().unwrap_or_else(|p| p.into_inner()));
        if items.is_empty() {
            return;
        }
        let base = self.base.clone();
        let token = self.token.clone();
        let worker = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let Ok(http) = reqwest::Client::builder()
                    .timeout(std::time::Duration::from_secs(20))
                    .build()
                else {
                    return;
                };
                for c in items.iter().rev() {
                    let _ = delete_one(&http, &base, &token, c).await;
                }
            });
        });
        let _ = worker.join();
    }
}

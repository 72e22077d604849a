//! Keystone's server-side auth method contract and the built-in methods.

use std::fmt;

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::specs::UserSpec;
use super::state::State;

/// Whether a method finished or needs another round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthStatus {
    /// The method is satisfied; `response_data.user_id` must be set.
    Complete,
    /// The method needs another step: the client gets a 401 whose body carries
    /// `error.identity = {"methods": [name], name: response_body}`.
    Continue,
}

/// What a method established (Keystone's `response_data`).
#[derive(Debug, Clone, Default)]
pub struct ResponseData {
    /// The authenticated user. Required on [`AuthStatus::Complete`].
    pub user_id: Option<String>,
    /// Caps the new token's expiry (the `token` method keeps the old token's expiry).
    pub expires_at: Option<OffsetDateTime>,
    /// Methods carried over from an earlier authentication (the `token` method).
    pub method_names: Vec<String>,
    /// Forces the token's project scope (application credentials).
    pub project_id: Option<String>,
    /// Marks the token as issued from this application credential.
    pub application_credential_id: Option<String>,
    /// Audit chain id to carry (a rescoped token keeps its chain).
    pub audit_chain_id: Option<String>,
    /// Free-form extras (not rendered).
    pub extras: Map<String, Value>,
}

/// The result of one method (Keystone's `AuthHandlerResponse`).
#[derive(Debug, Clone)]
pub struct AuthHandlerResponse {
    /// Complete or Continue.
    pub status: AuthStatus,
    /// The next step's payload, for [`AuthStatus::Continue`].
    pub response_body: Option<Value>,
    /// What the method established.
    pub response_data: ResponseData,
}

impl AuthHandlerResponse {
    /// A completed method that authenticated `user_id`.
    pub fn complete(user_id: impl Into<String>) -> Self {
        AuthHandlerResponse {
            status: AuthStatus::Complete,
            response_body: None,
            response_data: ResponseData {
                user_id: Some(user_id.into()),
                ..ResponseData::default()
            },
        }
    }

    /// Another step is needed; `body` goes back to the client.
    pub fn continue_with(body: Value) -> Self {
        AuthHandlerResponse {
            status: AuthStatus::Continue,
            response_body: Some(body),
            response_data: ResponseData::default(),
        }
    }
}

/// A method refused the request: 401 with this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unauthorized(pub String);

impl Default for Unauthorized {
    fn default() -> Self {
        Unauthorized("The request you have made requires authentication.".into())
    }
}

impl fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unauthorized {}

/// Keystone's server-side auth plugin contract: one implementation per method name.
///
/// Closures `Fn(&Value, &mut AuthContext) -> Result<AuthHandlerResponse, Unauthorized>`
/// implement it too.
pub trait AuthMethodHandler: Send + Sync {
    /// Checks this method's payload (`identity[<name>]`). The methods of a request run in
    /// order; `ctx` shows what earlier ones established.
    fn authenticate(
        &self,
        payload: &Value,
        ctx: &mut AuthContext<'_>,
    ) -> Result<AuthHandlerResponse, Unauthorized>;
}

impl<F> AuthMethodHandler for F
where
    F: Fn(&Value, &mut AuthContext<'_>) -> Result<AuthHandlerResponse, Unauthorized> + Send + Sync,
{
    fn authenticate(
        &self,
        payload: &Value,
        ctx: &mut AuthContext<'_>,
    ) -> Result<AuthHandlerResponse, Unauthorized> {
        self(payload, ctx)
    }
}

/// What a method can see while it runs: the request headers, the directory, and what the
/// earlier methods (and a receipt) established.
pub struct AuthContext<'a> {
    pub(crate) state: &'a State,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) external_header: &'a str,
    pub(crate) user_id: Option<String>,
    pub(crate) methods: Vec<String>,
}

impl fmt::Debug for AuthContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("user_id", &self.user_id)
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}

impl AuthContext<'_> {
    /// A request header, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The user established so far (by a receipt or earlier methods).
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The methods satisfied so far.
    pub fn methods(&self) -> &[String] {
        &self.methods
    }

    /// A user by id.
    pub fn user(&self, id: &str) -> Option<&UserSpec> {
        self.state.user_by_id(id)
    }

    /// Resolves a Keystone user reference: `{"id"}` or `{"name", "domain": {"id"|"name"}}`.
    pub fn find_user(&self, user: &Value) -> Option<&UserSpec> {
        if let Some(id) = user.get("id").and_then(Value::as_str) {
            return self.state.user_by_id(id);
        }
        let name = user.get("name").and_then(Value::as_str)?;
        let domain = user.get("domain")?;
        let domain_id = if let Some(id) = domain.get("id").and_then(Value::as_str) {
            self.state.domain_by_id(id)?.id.clone()
        } else {
            let dn = domain.get("name").and_then(Value::as_str)?;
            self.state.domain_by_name(dn)?.id.clone()
        };
        self.state.user_by_name(name, &domain_id)
    }
}

/// `password`: `{"user": {"id" | "name"+"domain", "password"}}`.
pub(crate) struct PasswordMethod;

impl AuthMethodHandler for PasswordMethod {
    fn authenticate(
        &self,
        payload: &Value,
        ctx: &mut AuthContext<'_>,
    ) -> Result<AuthHandlerResponse, Unauthorized> {
        let user = payload.get("user").ok_or_else(Unauthorized::default)?;
        let pw = user
            .get("password")
            .and_then(Value::as_str)
            .ok_or_else(Unauthorized::default)?;
        let found = ctx.find_user(user).ok_or_else(Unauthorized::default)?;
        // Federated (shadow) users have no password in Keystone.
        if !found.enabled || found.password != pw || ctx.state.federated.contains_key(&found.id) {
            return Err(Unauthorized::default());
        }
        Ok(AuthHandlerResponse::complete(found.id.clone()))
    }
}

/// `token`: `{"id": "<token>"}`; carries the old methods, expiry and audit chain.
pub(crate) struct TokenMethod;

impl AuthMethodHandler for TokenMethod {
    fn authenticate(
        &self,
        payload: &Value,
        ctx: &mut AuthContext<'_>,
    ) -> Result<AuthHandlerResponse, Unauthorized> {
        let id = payload
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(Unauthorized::default)?;
        let rec = ctx
            .state
            .valid_token(id)
            .ok_or_else(|| Unauthorized("Could not find token.".into()))?;
        let mut r = AuthHandlerResponse::complete(rec.user_id.clone());
        r.response_data.expires_at = Some(rec.expires);
        r.response_data.method_names = rec.methods.clone();
        r.response_data.audit_chain_id =
            Some(rec.audit_chain_id.clone().unwrap_or(rec.audit_id.clone()));
        Ok(r)
    }
}

/// `totp`: `{"user": {"id" | "name"+"domain", "passcode"}}`; current or previous window.
pub(crate) struct TotpMethod;

impl AuthMethodHandler for TotpMethod {
    fn authenticate(
        &self,
        payload: &Value,
        ctx: &mut AuthContext<'_>,
    ) -> Result<AuthHandlerResponse, Unauthorized> {
        let user = payload.get("user").ok_or_else(Unauthorized::default)?;
        let code = user
            .get("passcode")
            .and_then(Value::as_str)
            .ok_or_else(Unauthorized::default)?;
        let found = ctx.find_user(user).ok_or_else(Unauthorized::default)?;
        let secret = found
            .totp_secret
            .as_ref()
            .ok_or_else(Unauthorized::default)?;
        let now = OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
        let ok = [now, now.saturating_sub(30)]
            .iter()
            .any(|t| totp_code(secret, *t) == code);
        if !found.enabled || !ok {
            return Err(Unauthorized::default());
        }
        Ok(AuthHandlerResponse::complete(found.id.clone()))
    }
}

/// `application_credential`: `{"id","secret"}` or `{"name","secret","user":{...}}`.
pub(crate) struct AppCredMethod;

impl AuthMethodHandler for AppCredMethod {
    fn authenticate(
        &self,
        payload: &Value,
        ctx: &mut AuthContext<'_>,
    ) -> Result<AuthHandlerResponse, Unauthorized> {
        let secret = payload
            .get("secret")
            .and_then(Value::as_str)
            .ok_or_else(Unauthorized::default)?;
        let found = if let Some(id) = payload.get("id").and_then(Value::as_str) {
            ctx.state.app_creds.iter().find(|(s, _, _)| s.id == id)
        } else {
            let name = payload
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(Unauthorized::default)?;
            let user = payload
                .get("user")
                .and_then(|u| ctx.find_user(u))
                .ok_or_else(Unauthorized::default)?;
            ctx.state
                .app_creds
                .iter()
                .find(|(s, uid, _)| s.name == name && *uid == user.id)
        };
        let (spec, user_id, project_id) = found.ok_or_else(Unauthorized::default)?;
        if spec.secret != secret {
            return Err(Unauthorized::default());
        }
        let mut r = AuthHandlerResponse::complete(user_id.clone());
        r.response_data.project_id = Some(project_id.clone());
        r.response_data.application_credential_id = Some(spec.id.clone());
        Ok(r)
    }
}

/// `external`: the user named by the trusted header, in the `default` domain.
pub(crate) struct ExternalMethod;

impl AuthMethodHandler for ExternalMethod {
    fn authenticate(
        &self,
        _payload: &Value,
        ctx: &mut AuthContext<'_>,
    ) -> Result<AuthHandlerResponse, Unauthorized> {
        let name = ctx
            .header(ctx.external_header)
            .ok_or_else(Unauthorized::default)?;
        let user = ctx
            .state
            .user_by_name(name, "default")
            .filter(|u| u.enabled)
            .ok_or_else(Unauthorized::default)?;
        Ok(AuthHandlerResponse::complete(user.id.clone()))
    }
}

/// The RFC 6238 passcode (HMAC-SHA1, 30 s step, 6 digits) for `secret` at `unix_time`.
///
/// ```
/// use keystoneauth_testing::emulator::totp_code;
/// // RFC 6238 appendix B, truncated to 6 digits.
/// assert_eq!(totp_code(b"12345678901234567890", 59), "287082");
/// ```
pub fn totp_code(secret: &[u8], unix_time: u64) -> String {
    let counter = (unix_time / 30).to_be_bytes();
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&counter);
    let h = mac.finalize().into_bytes();
    let off = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[off] & 0x7f) << 24)
        | (u32::from(h[off + 1]) << 16)
        | (u32::from(h[off + 2]) << 8)
        | u32::from(h[off + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The passcode for `secret` now.
pub fn totp_now(secret: &[u8]) -> String {
    totp_code(
        secret,
        OffsetDateTime::now_utc().unix_timestamp().max(0) as u64,
    )
}

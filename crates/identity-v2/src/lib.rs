//! Identity v2.0 plugins: [`Password`] and [`Token`] (keystoneauth1's `identity.v2`).
//!
//! Both are [`Authenticator`]s: they `POST {auth_url}/tokens` and parse the `{"access": …}`
//! answer. Wrap one in an [`IdentityPlugin`] (see [`password`], [`token`] or
//! [`Password::into_plugin`]) to get a token cache, catalog lookup and discovery.
//!
//! Keystone removed the v2.0 API in Queens; these plugins exist for old clouds and for parity
//! with keystoneauth1 (the generic plugins fall back to them when a server offers only v2.0).
//!
//! ```
//! use keystoneauth_core::{AuthPlugin, Session};
//! use std::sync::Arc;
//!
//! use keystoneauth_identity_v2::Password;
//! let auth = Password::new("http://keystone.example:5000/v2.0", "demo", "secret")
//!     .tenant_name("demo")
//!     .into_plugin();
//! // keystoneauth1's cache id, stable across processes and languages.
//! assert!(auth.cache_id().is_some());
//! let session = Session::new(Arc::new(auth)).unwrap();
//! # let _ = session;
//! ```
//!
//! The plugins are also registered by their keystoneauth1 names, `v2password` and `v2token`:
//!
//! ```
//! use keystoneauth_core::registry::{self, OptionValues};
//! // (Naming the crate links it, and with it its registrations.)
//! assert_eq!(keystoneauth_identity_v2::password_options().len(), 7);
//! let opts = OptionValues::new()
//!     .with("auth_url", "http://keystone.example:5000/v2.0")
//!     .with("username", "demo")
//!     .with("password", "secret")
//!     .with("tenant_name", "demo");
//! let plugin = registry::load("v2password", &opts).unwrap();
//! assert_eq!(plugin.auth_url().as_deref(), Some("http://keystone.example:5000/v2.0"));
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::fmt;
use std::sync::Arc;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{
    async_trait, AccessInfo, AuthPlugin, Authenticator, Error, IdentityPlugin, Result, Session,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};

/// The scope shared by both v2.0 plugins: a tenant (by id or name) and/or a trust.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Scope {
    tenant_id: Option<String>,
    tenant_name: Option<String>,
    trust_id: Option<String>,
}

impl Scope {
    /// Add `tenantId` (wins over the name), `tenantName` and `trust_id` to the `auth` object.
    fn apply(&self, auth: &mut Map<String, Value>) {
        if let Some(id) = &self.tenant_id {
            auth.insert("tenantId".into(), Value::String(id.clone()));
        } else if let Some(name) = &self.tenant_name {
            auth.insert("tenantName".into(), Value::String(name.clone()));
        }
        if let Some(t) = &self.trust_id {
            auth.insert("trust_id".into(), Value::String(t.clone()));
        }
    }

    fn elements(&self, out: &mut Vec<(String, Option<String>)>) {
        out.push(("tenant_id".into(), self.tenant_id.clone()));
        out.push(("tenant_name".into(), self.tenant_name.clone()));
        out.push(("trust_id".into(), self.trust_id.clone()));
    }

    fn has_scope(&self) -> bool {
        self.tenant_id.is_some() || self.tenant_name.is_some() || self.trust_id.is_some()
    }
}

fn non_empty(s: impl Into<String>) -> Option<String> {
    Some(s.into()).filter(|s| !s.is_empty())
}

/// `POST {auth_url}/tokens` with `{"auth": …}` and parse the v2.0 access info.
async fn post_tokens(
    session: &Session,
    auth_url: &str,
    auth: Map<String, Value>,
    token_header: Option<&SecretString>,
) -> Result<AccessInfo> {
    let url = format!("{}/tokens", auth_url.trim_end_matches('/'));
    let mut req = session
        .post(&url)
        .header("Accept", "application/json")
        .json(&json!({ "auth": Value::Object(auth) }))
        .authenticated(false)
        .log(false);
    if let Some(t) = token_header {
        req = req.header(
            keystoneauth_core::plugin::AUTH_TOKEN_HEADER,
            t.expose_secret(),
        );
    }
    tracing::debug!(target: "keystoneauth::identity::v2", url = %url, "making authentication request");
    let resp = req.send().await?;
    // Checked without a `serde_json::Value`, which takes ten times a large body's size.
    #[derive(serde::Deserialize)]
    struct Sniff<'a> {
        #[serde(default, borrow)]
        access: Option<&'a serde_json::value::RawValue>,
    }
    let sniff: Sniff<'_> = serde_json::from_slice(resp.bytes())
        .map_err(|e| Error::InvalidResponse(format!("{url}: token response is not JSON: {e}")))?;
    if !sniff.access.is_some_and(|a| a.get().starts_with('{')) {
        return Err(Error::InvalidResponse(format!(
            "{url}: token response has no 'access' object"
        )));
    }
    AccessInfo::from_v2_bytes(resp.bytes().clone(), None)
}

/// v2.0 password authentication (keystoneauth1's `v2.Password`).
///
/// The request body is
/// `{"auth": {"passwordCredentials": {"username": u, "password": p}, "tenantName": t}}`; with a
/// user id instead of a name, `userId` replaces `username`. A tenant id wins over a tenant name.
#[derive(Clone)]
pub struct Password {
    auth_url: String,
    username: Option<String>,
    user_id: Option<String>,
    password: SecretString,
    scope: Scope,
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Password")
            .field("auth_url", &self.auth_url)
            .field("username", &self.username)
            .field("user_id", &self.user_id)
            .field("password", &"<redacted>")
            .field("tenant_id", &self.scope.tenant_id)
            .field("tenant_name", &self.scope.tenant_name)
            .field("trust_id", &self.scope.trust_id)
            .finish()
    }
}

impl Password {
    /// Authenticate a user by name.
    pub fn new(
        auth_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Password {
            auth_url: auth_url.into(),
            username: non_empty(username),
            user_id: None,
            password: SecretString::from(password.into()),
            scope: Scope::default(),
        }
    }

    /// Authenticate a user by id.
    pub fn with_user_id(
        auth_url: impl Into<String>,
        user_id: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Password {
            auth_url: auth_url.into(),
            username: None,
            user_id: non_empty(user_id),
            password: SecretString::from(password.into()),
            scope: Scope::default(),
        }
    }

    /// Also set the user id (sent only when there is no user name, but part of the cache id).
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = non_empty(user_id);
        self
    }

    /// Scope to a tenant by id (wins over a tenant name).
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.scope.tenant_id = non_empty(tenant_id);
        self
    }

    /// Scope to a tenant by name.
    pub fn tenant_name(mut self, tenant_name: impl Into<String>) -> Self {
        self.scope.tenant_name = non_empty(tenant_name);
        self
    }

    /// Scope to a trust.
    pub fn trust_id(mut self, trust_id: impl Into<String>) -> Self {
        self.scope.trust_id = non_empty(trust_id);
        self
    }

    /// True if a tenant or trust is set (keystoneauth1's `has_scope_parameters`).
    pub fn has_scope_parameters(&self) -> bool {
        self.scope.has_scope()
    }

    /// Wrap in an [`IdentityPlugin`] (token cache, catalog, discovery).
    pub fn into_plugin(self) -> IdentityPlugin<Password> {
        IdentityPlugin::new(self)
    }

    fn auth_data(&self) -> Result<Map<String, Value>> {
        let mut creds = Map::new();
        creds.insert(
            "password".into(),
            Value::String(self.password.expose_secret().to_owned()),
        );
        match (&self.username, &self.user_id) {
            (Some(u), _) => {
                creds.insert("username".into(), Value::String(u.clone()));
            }
            (None, Some(id)) => {
                creds.insert("userId".into(), Value::String(id.clone()));
            }
            (None, None) => {
                return Err(Error::OptionError(
                    "You need to specify either a username or user_id".into(),
                ))
            }
        }
        let mut auth = Map::new();
        auth.insert("passwordCredentials".into(), Value::Object(creds));
        self.scope.apply(&mut auth);
        Ok(auth)
    }
}

#[async_trait]
impl Authenticator for Password {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        let auth = self.auth_data()?;
        post_tokens(session, &self.auth_url, auth, None).await
    }

    fn auth_url(&self) -> &str {
        &self.auth_url
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let mut e = vec![
            ("username".into(), self.username.clone()),
            ("user_id".into(), self.user_id.clone()),
            (
                "password".into(),
                Some(self.password.expose_secret().to_owned()),
            ),
            ("auth_url".into(), Some(self.auth_url.clone())),
        ];
        self.scope.elements(&mut e);
        Some(e)
    }
}

/// v2.0 token authentication (keystoneauth1's `v2.Token`): trade a token for another, usually
/// to scope it to a tenant.
///
/// The request carries `X-Auth-Token: <token>` and the body `{"auth": {"token": {"id": <token>},
/// "tenantId": …}}`.
#[derive(Clone)]
pub struct Token {
    auth_url: String,
    token: SecretString,
    scope: Scope,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("auth_url", &self.auth_url)
            .field("token", &"<redacted>")
            .field("tenant_id", &self.scope.tenant_id)
            .field("tenant_name", &self.scope.tenant_name)
            .field("trust_id", &self.scope.trust_id)
            .finish()
    }
}

impl Token {
    /// Authenticate with an existing token.
    pub fn new(auth_url: impl Into<String>, token: impl Into<String>) -> Self {
        Token {
            auth_url: auth_url.into(),
            token: SecretString::from(token.into()),
            scope: Scope::default(),
        }
    }

    /// Scope to a tenant by id (wins over a tenant name).
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.scope.tenant_id = non_empty(tenant_id);
        self
    }

    /// Scope to a tenant by name.
    pub fn tenant_name(mut self, tenant_name: impl Into<String>) -> Self {
        self.scope.tenant_name = non_empty(tenant_name);
        self
    }

    /// Scope to a trust.
    pub fn trust_id(mut self, trust_id: impl Into<String>) -> Self {
        self.scope.trust_id = non_empty(trust_id);
        self
    }

    /// True if a tenant or trust is set (keystoneauth1's `has_scope_parameters`).
    pub fn has_scope_parameters(&self) -> bool {
        self.scope.has_scope()
    }

    /// Wrap in an [`IdentityPlugin`] (token cache, catalog, discovery).
    pub fn into_plugin(self) -> IdentityPlugin<Token> {
        IdentityPlugin::new(self)
    }
}

#[async_trait]
impl Authenticator for Token {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        let mut auth = Map::new();
        auth.insert("token".into(), json!({ "id": self.token.expose_secret() }));
        self.scope.apply(&mut auth);
        post_tokens(session, &self.auth_url, auth, Some(&self.token)).await
    }

    fn auth_url(&self) -> &str {
        &self.auth_url
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let mut e = vec![
            ("token".into(), Some(self.token.expose_secret().to_owned())),
            ("auth_url".into(), Some(self.auth_url.clone())),
        ];
        self.scope.elements(&mut e);
        Some(e)
    }
}

/// A v2.0 password plugin for a user name, ready for a [`Session`].
pub fn password(
    auth_url: impl Into<String>,
    username: impl Into<String>,
    password: impl Into<String>,
) -> IdentityPlugin<Password> {
    Password::new(auth_url, username, password).into_plugin()
}

/// A v2.0 token plugin, ready for a [`Session`].
pub fn token(auth_url: impl Into<String>, token: impl Into<String>) -> IdentityPlugin<Token> {
    Token::new(auth_url, token).into_plugin()
}

// ---------------------------------------------------------------------------------------------
// Loaders

const PASSWORD_PROMPT: &str = "Password: ";

fn v2_base_opts() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Authentication URL").required(),
        Opt::new("tenant-id", "Tenant ID"),
        Opt::new("tenant-name", "Tenant Name"),
        Opt::new("trust-id", "ID of the trust to use as a trustee use"),
    ]
}

/// The options of `v2password`, in keystoneauth1's order.
pub fn password_options() -> Vec<Opt> {
    let mut o = v2_base_opts();
    o.extend([
        Opt::new("username", "Username to login with").deprecated(&["user-name"]),
        Opt::new("user-id", "User ID to login with"),
        Opt::new("password", "Password to use")
            .secret()
            .prompt(PASSWORD_PROMPT),
    ]);
    o
}

/// The options of `v2token`, in keystoneauth1's order.
pub fn token_options() -> Vec<Opt> {
    let mut o = v2_base_opts();
    o.push(Opt::new("token", "Token").secret());
    o
}

fn required(values: &OptionValues, key: &str) -> Result<String> {
    values.get(key).ok_or_else(|| {
        Error::MissingRequiredOptions(vec![keystoneauth_core::error::MissingOption::new(
            key.replace('_', "-"),
            format!("OS_{}", key.to_ascii_uppercase()),
        )])
    })
}

fn apply_scope(values: &OptionValues) -> Scope {
    Scope {
        tenant_id: values.get("tenant_id"),
        tenant_name: values.get("tenant_name"),
        trust_id: values.get("trust_id"),
    }
}

/// Build a [`Password`] from loader options (`auth_url`, `username`/`user_id`, `password`,
/// `tenant_id`, `tenant_name`, `trust_id`).
pub fn password_from_options(values: &OptionValues) -> Result<Password> {
    let auth_url = required(values, "auth_url")?;
    let password = required(values, "password")?;
    let username = values.get("username").or_else(|| values.get("user_name"));
    let user_id = values.get("user_id");
    if username.is_none() && user_id.is_none() {
        return Err(Error::OptionError(
            "You need to specify either a username or user_id".into(),
        ));
    }
    Ok(Password {
        auth_url,
        username,
        user_id,
        password: SecretString::from(password),
        scope: apply_scope(values),
    })
}

/// Build a [`Token`] from loader options (`auth_url`, `token`, `tenant_id`, `tenant_name`,
/// `trust_id`).
pub fn token_from_options(values: &OptionValues) -> Result<Token> {
    let auth_url = required(values, "auth_url")?;
    let token = required(values, "token")?;
    Ok(Token {
        auth_url,
        token: SecretString::from(token),
        scope: apply_scope(values),
    })
}

fn create_password(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(password_from_options(values)?.into_plugin()))
}

fn create_token(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(token_from_options(values)?.into_plugin()))
}

keystoneauth_core::register_plugin! {
    name: "v2password",
    description: "Authenticate with a username or user id and password (Identity v2.0)",
    options: password_options,
    create: create_password,
}

keystoneauth_core::register_plugin! {
    name: "v2token",
    description: "Authenticate with an existing token (Identity v2.0)",
    options: token_options,
    create: create_token,
}

#[cfg(test)]
mod tests {
    use super::*;
    use keystoneauth_core::plugin::cache_id_from_elements;

    #[test]
    fn cache_id_matches_keystoneauth1() {
        let p = Password::new("http://k/v2.0", "u", "p");
        assert_eq!(
            cache_id_from_elements(p.cache_id_elements().unwrap()),
            "yspaERZrLnzY9PLSRqx9jayZCud9fbLPOQYLYFlGiKI="
        );
    }

    #[test]
    fn password_body_by_name_and_tenant_id_wins() {
        let p = Password::new("http://k/v2.0", "u", "p")
            .tenant_name("tn")
            .tenant_id("tid")
            .trust_id("tr");
        assert_eq!(
            Value::Object(p.auth_data().unwrap()),
            json!({"passwordCredentials": {"username": "u", "password": "p"},
                   "tenantId": "tid", "trust_id": "tr"})
        );
    }

    #[test]
    fn password_body_by_user_id() {
        let p = Password::with_user_id("http://k/v2.0", "uid", "p").tenant_name("tn");
        assert_eq!(
            Value::Object(p.auth_data().unwrap()),
            json!({"passwordCredentials": {"userId": "uid", "password": "p"}, "tenantName": "tn"})
        );
        // A username wins over a user id in the body.
        let p = Password::new("http://k/v2.0", "u", "p").user_id("uid");
        assert_eq!(
            Value::Object(p.auth_data().unwrap()),
            json!({"passwordCredentials": {"username": "u", "password": "p"}})
        );
    }

    #[test]
    fn no_user_is_an_option_error() {
        let p = Password::new("http://k/v2.0", "", "p");
        assert!(matches!(p.auth_data(), Err(Error::OptionError(_))));
    }

    #[test]
    fn debug_redacts() {
        let p = Password::new("http://k/v2.0", "u", "hunter2");
        let t = Token::new("http://k/v2.0", "tok-secret");
        assert!(!format!("{p:?}").contains("hunter2"));
        assert!(!format!("{t:?}").contains("tok-secret"));
        assert!(!format!("{:?}", p.into_plugin()).contains("hunter2"));
    }

    #[test]
    fn token_cache_id_elements() {
        let t = Token::new("http://k/v2.0", "t").tenant_id("x");
        let e = t.cache_id_elements().unwrap();
        assert_eq!(
            cache_id_from_elements(e),
            cache_id_from_elements([
                ("token", Some("t")),
                ("auth_url", Some("http://k/v2.0")),
                ("tenant_id", Some("x")),
            ])
        );
    }
}

//! Version-independent identity plugins: [`Password`] and [`Token`] (keystoneauth1's
//! `identity.generic`).
//!
//! Given an auth URL, usually the unversioned root (`https://keystone.example:5000`), the
//! plugin fetches the version discovery document there the first time it needs a token, picks
//! Identity v3 or v2.0, and builds the matching plugin ([`keystoneauth_identity_v3::Auth`] or
//! [`keystoneauth_identity_v2::Password`]/[`keystoneauth_identity_v2::Token`]). The choice is
//! made once and kept; the token is cached like any [`IdentityPlugin`].
//!
//! # How the version is chosen
//!
//! As keystoneauth1 does:
//!
//! - Any domain information — a user or project domain, a domain scope, or
//!   `default_domain_id`/`default_domain_name` — rules out v2.0 (which has no domains): v3 is
//!   used. Asking for a domain or project domain with a server that offers only v2.0 fails with
//!   [`Error::DiscoveryFailure`] "Cannot use v2 authentication with domain scope".
//! - Otherwise the versions are tried **oldest first**: a server that lists both v2.0 and v3
//!   gets a v2.0 request. This is keystoneauth1's behaviour (FEATURES §16.17) and it is kept on
//!   purpose: without a domain, a v3 request by user or project *name* is refused by Keystone
//!   (names are only unique within a domain), while v2.0 accepts it; keystoneauth1 users who
//!   rely on that would break if v3 were preferred. Keystone has not offered v2.0 since Queens
//!   (2018), so on current clouds the discovery document lists only v3 and the choice is v3.
//!   Give a domain (or `default_domain_id`) to get v3 on an old cloud that offers both.
//! - If discovery fails (an HTTP error, a connection error, a document that is not a version
//!   list), an auth URL whose path starts or ends with `/v2.0` or `/v3` is used as that version
//!   (the "ends with" form, e.g. devstack's `/identity/v3`, is an extension over
//!   keystoneauth1, which only looks at the start of the path). Any other URL fails with
//!   [`Error::DiscoveryFailure`] naming the URL tried.
//!
//! ```
//! use keystoneauth_core::AuthPlugin;
//! use keystoneauth_generic::Password;
//!
//! let auth = Password::new("http://keystone.example:5000", "secret")
//!     .username("demo")
//!     .user_domain_id("default")
//!     .project_name("demo")
//!     .project_domain_id("default")
//!     .into_plugin();
//! assert_eq!(auth.auth_url().as_deref(), Some("http://keystone.example:5000"));
//! ```
//!
//! Registered as `password` and `token`, with keystoneauth1's options (including the deprecated
//! `tenant-id`/`tenant-name` aliases):
//!
//! ```
//! use keystoneauth_core::registry::{self, OptionValues};
//! assert!(keystoneauth_generic::password_options().iter().any(|o| o.name == "default-domain-id"));
//! let opts = OptionValues::new()
//!     .with("auth_url", "http://keystone.example:5000")
//!     .with("token", "gAAAA…")
//!     .with("tenant_name", "demo");
//! let plugin = registry::load("token", &opts).unwrap();
//! assert!(plugin.cache_id().is_some());
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::fmt;
use std::sync::Arc;

use keystoneauth_core::discover::Discover;
use keystoneauth_core::identity::DEFAULT_REFRESH_WINDOW;
use keystoneauth_core::registry::{Opt, OptionValues, PluginLoader};
use keystoneauth_core::version::Part;
use keystoneauth_core::{
    async_trait, AccessInfo, AuthPlugin, Authenticator, Error, IdentityPlugin, Result, Session,
};
use keystoneauth_identity_v3::{Auth, PasswordMethod, ScopeParams, TokenMethod, UserRef};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

/// keystoneauth1's message when domain information meets a v2.0-only server.
const V2_DOMAIN_MESSAGE: &str = "Cannot use v2 authentication with domain scope";
const NO_ENDPOINTS_MESSAGE: &str = "Could not find versioned identity endpoints when attempting \
to authenticate. Please check that your auth_url is correct.";

fn non_empty(s: impl Into<String>) -> Option<String> {
    Some(s.into()).filter(|s| !s.is_empty())
}

/// The identity API major versions the generic plugins can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Major {
    V2,
    V3,
}

/// What both generic plugins take: the auth URL and the scope, with the default domain.
#[derive(Debug, Clone, Default)]
struct Common {
    auth_url: String,
    project_id: Option<String>,
    project_name: Option<String>,
    project_domain_id: Option<String>,
    project_domain_name: Option<String>,
    domain_id: Option<String>,
    domain_name: Option<String>,
    system_scope: Option<String>,
    trust_id: Option<String>,
    default_domain_id: Option<String>,
    default_domain_name: Option<String>,
    reauthenticate: bool,
}

impl Common {
    fn new(auth_url: String) -> Self {
        Common {
            auth_url,
            reauthenticate: true,
            ..Default::default()
        }
    }

    fn from_options(values: &OptionValues) -> Self {
        Common {
            auth_url: values.get("auth_url").unwrap_or_default(),
            project_id: values.get("project_id").or_else(|| values.get("tenant_id")),
            project_name: values
                .get("project_name")
                .or_else(|| values.get("tenant_name")),
            project_domain_id: values.get("project_domain_id"),
            project_domain_name: values.get("project_domain_name"),
            domain_id: values.get("domain_id"),
            domain_name: values.get("domain_name"),
            system_scope: values.get("system_scope"),
            trust_id: values.get("trust_id"),
            default_domain_id: values.get("default_domain_id"),
            default_domain_name: values.get("default_domain_name"),
            reauthenticate: true,
        }
    }

    /// The project domain id, falling back to the default domain id.
    fn eff_project_domain_id(&self) -> Option<String> {
        self.project_domain_id
            .clone()
            .or_else(|| self.default_domain_id.clone())
    }

    fn eff_project_domain_name(&self) -> Option<String> {
        self.project_domain_name
            .clone()
            .or_else(|| self.default_domain_name.clone())
    }

    /// keystoneauth1's `_has_domain_scope`: explicit domain or project domain (not defaults).
    fn has_domain_scope(&self) -> bool {
        self.domain_id.is_some()
            || self.domain_name.is_some()
            || self.project_domain_id.is_some()
            || self.project_domain_name.is_some()
    }

    fn has_default_domain(&self) -> bool {
        self.default_domain_id.is_some() || self.default_domain_name.is_some()
    }

    fn v3_scope(&self) -> ScopeParams {
        ScopeParams {
            domain_id: self.domain_id.clone(),
            domain_name: self.domain_name.clone(),
            project_id: self.project_id.clone(),
            project_name: self.project_name.clone(),
            project_domain_id: self.eff_project_domain_id(),
            project_domain_name: self.eff_project_domain_name(),
            trust_id: self.trust_id.clone(),
            system_scope: self.system_scope.clone(),
            unscoped: false,
        }
    }

    fn cache_elements(&self) -> Vec<(String, Option<String>)> {
        vec![
            ("auth_url".into(), Some(self.auth_url.clone())),
            ("project_id".into(), self.project_id.clone()),
            ("project_name".into(), self.project_name.clone()),
            ("project_domain_id".into(), self.eff_project_domain_id()),
            ("project_domain_name".into(), self.eff_project_domain_name()),
            ("domain_id".into(), self.domain_id.clone()),
            ("domain_name".into(), self.domain_name.clone()),
            ("trust_id".into(), self.trust_id.clone()),
        ]
    }

    fn into_plugin<A: Authenticator>(reauthenticate: bool, a: A) -> IdentityPlugin<A> {
        IdentityPlugin::new(a).with_refresh(DEFAULT_REFRESH_WINDOW, reauthenticate)
    }
}

/// True for the failures keystoneauth1 treats as "discovery did not work": discovery
/// failures, HTTP errors and connection errors.
fn is_discovery_error(e: &Error) -> bool {
    e.http().is_some()
        || matches!(
            e,
            Error::DiscoveryFailure { .. }
                | Error::ConnectFailure { .. }
                | Error::ConnectTimeout { .. }
                | Error::SslError { .. }
                | Error::UnknownConnectionError { .. }
                | Error::InvalidResponse(_)
        )
}

/// `GET` the discovery document without authentication. (Not [`Discover::fetch`]: on a 401 it
/// retries with the session's plugin, which may be this very plugin, busy getting its token.)
async fn fetch_discovery(session: &Session, url: &str) -> Result<Discover> {
    let resp = session
        .get(url)
        .header("Accept", "application/json")
        .authenticated(false)
        .raise_exc(false)
        .send()
        .await?;
    if resp.status().as_u16() >= 400 {
        return Err(resp.to_error(&keystoneauth_core::http::Method::GET));
    }
    Discover::parse(url, resp.bytes())
}

/// The version the auth URL names: path starting (keystoneauth1) or ending with `/v2.0`, `/v3`.
fn version_from_path(auth_url: &str) -> Option<Major> {
    let path = url::Url::parse(auth_url)
        .map(|u| u.path().to_ascii_lowercase())
        .unwrap_or_default();
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if path.starts_with("/v2.0") || last == "v2.0" {
        Some(Major::V2)
    } else if path.starts_with("/v3") || last == "v3" {
        Some(Major::V3)
    } else {
        None
    }
}

fn discovery_failure(message: impl Into<String>, url: &str) -> Error {
    Error::DiscoveryFailure {
        message: message.into(),
        url: Some(url.to_owned()),
    }
}

/// Discover the versions at the auth URL and build the first plugin `create` accepts
/// (keystoneauth1's `BaseGenericPlugin._do_create_plugin`).
async fn discover_and_create<F>(
    session: &Session,
    common: &Common,
    create: F,
) -> Result<Arc<dyn Authenticator>>
where
    F: Fn(Major, &str) -> Result<Option<Arc<dyn Authenticator>>>,
{
    let url = common.auth_url.as_str();
    let plugin = match fetch_discovery(session, url).await {
        Err(e) if is_discovery_error(&e) => {
            tracing::warn!(
                target: "keystoneauth::identity::generic",
                error = %e,
                "Failed to discover available identity versions when contacting {url}. \
                 Attempting to parse version from URL."
            );
            match version_from_path(url) {
                Some(Major::V2) => {
                    if common.has_domain_scope() {
                        return Err(discovery_failure(V2_DOMAIN_MESSAGE, url));
                    }
                    create(Major::V2, url)?
                }
                Some(Major::V3) => create(Major::V3, url)?,
                None => {
                    return Err(discovery_failure(
                        format!("{NO_ENDPOINTS_MESSAGE} Discovery at {url} failed: {e}"),
                        url,
                    ))
                }
            }
        }
        Err(e) => return Err(e),
        Ok(disc) => {
            let mut versions: Vec<_> = disc.versions().iter().collect();
            if common.has_default_domain() {
                versions.reverse();
            }
            let mut v2_with_domain_scope = false;
            let mut found = None;
            for v in versions {
                let major = match v.version.major() {
                    Part::Num(2) => Major::V2,
                    Part::Num(3) => Major::V3,
                    _ => continue,
                };
                if major == Major::V2 && common.has_domain_scope() {
                    v2_with_domain_scope = true;
                    continue;
                }
                if let Some(p) = create(major, &v.url)? {
                    tracing::debug!(
                        target: "keystoneauth::identity::generic",
                        version = %v.version, url = %v.url, "chose identity version"
                    );
                    found = Some(p);
                    break;
                }
            }
            if found.is_none() && v2_with_domain_scope {
                return Err(discovery_failure(V2_DOMAIN_MESSAGE, url));
            }
            found
        }
    };
    plugin.ok_or_else(|| {
        discovery_failure(
            format!("{NO_ENDPOINTS_MESSAGE} No usable identity version at {url}."),
            url,
        )
    })
}

macro_rules! scope_setters {
    ($t:ty) => {
        impl $t {
            /// Scope to a project by id (keystoneauth1's `tenant_id` is the same).
            pub fn project_id(mut self, id: impl Into<String>) -> Self {
                self.common.project_id = non_empty(id);
                self
            }
            /// Scope to a project by name (keystoneauth1's `tenant_name` is the same); on v3
            /// give its domain too.
            pub fn project_name(mut self, name: impl Into<String>) -> Self {
                self.common.project_name = non_empty(name);
                self
            }
            /// The id of the project's domain (implies v3).
            pub fn project_domain_id(mut self, id: impl Into<String>) -> Self {
                self.common.project_domain_id = non_empty(id);
                self
            }
            /// The name of the project's domain (implies v3).
            pub fn project_domain_name(mut self, name: impl Into<String>) -> Self {
                self.common.project_domain_name = non_empty(name);
                self
            }
            /// Scope to a domain by id (implies v3).
            pub fn domain_id(mut self, id: impl Into<String>) -> Self {
                self.common.domain_id = non_empty(id);
                self
            }
            /// Scope to a domain by name (implies v3).
            pub fn domain_name(mut self, name: impl Into<String>) -> Self {
                self.common.domain_name = non_empty(name);
                self
            }
            /// Scope to the system (`all`; v3 only, ignored on v2.0).
            pub fn system_scope(mut self, scope: impl Into<String>) -> Self {
                self.common.system_scope = non_empty(scope);
                self
            }
            /// Scope to a trust.
            pub fn trust_id(mut self, id: impl Into<String>) -> Self {
                self.common.trust_id = non_empty(id);
                self
            }
            /// Domain id for the user and the project when they have none (v3; prefers v3).
            pub fn default_domain_id(mut self, id: impl Into<String>) -> Self {
                self.common.default_domain_id = non_empty(id);
                self
            }
            /// Domain name for the user and the project when they have none (v3; prefers v3).
            pub fn default_domain_name(mut self, name: impl Into<String>) -> Self {
                self.common.default_domain_name = non_empty(name);
                self
            }
            /// Get a new token when the cached one is about to expire (default true).
            pub fn reauthenticate(mut self, on: bool) -> Self {
                self.common.reauthenticate = on;
                self
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------

/// Password authentication on whichever of Identity v3 and v2.0 the server offers.
///
/// The user is named by id, or by name (with a domain on v3: `user_domain_id`,
/// `user_domain_name` or the default domain).
pub struct Password {
    common: Common,
    user: UserRef,
    password: SecretString,
    plugin: OnceCell<Arc<dyn Authenticator>>,
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Password")
            .field("common", &self.common)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("plugin", &self.plugin.get())
            .finish()
    }
}

impl Password {
    /// A password plugin; name the user with [`username`](Self::username) or
    /// [`user_id`](Self::user_id).
    pub fn new(auth_url: impl Into<String>, password: impl Into<String>) -> Self {
        Password {
            common: Common::new(auth_url.into()),
            user: UserRef::default(),
            password: SecretString::from(password.into()),
            plugin: OnceCell::new(),
        }
    }

    /// The user's name.
    pub fn username(mut self, name: impl Into<String>) -> Self {
        self.user.username = non_empty(name);
        self
    }

    /// The user's id.
    pub fn user_id(mut self, id: impl Into<String>) -> Self {
        self.user.user_id = non_empty(id);
        self
    }

    /// The id of the user's domain (implies v3).
    pub fn user_domain_id(mut self, id: impl Into<String>) -> Self {
        self.user.user_domain_id = non_empty(id);
        self
    }

    /// The name of the user's domain (implies v3).
    pub fn user_domain_name(mut self, name: impl Into<String>) -> Self {
        self.user.user_domain_name = non_empty(name);
        self
    }

    /// Wrap in an [`IdentityPlugin`] (token cache, catalog, discovery).
    pub fn into_plugin(self) -> IdentityPlugin<Password> {
        Common::into_plugin(self.common.reauthenticate, self)
    }

    fn eff_user_domain_id(&self) -> Option<String> {
        self.user
            .user_domain_id
            .clone()
            .or_else(|| self.common.default_domain_id.clone())
    }

    fn eff_user_domain_name(&self) -> Option<String> {
        self.user
            .user_domain_name
            .clone()
            .or_else(|| self.common.default_domain_name.clone())
    }

    /// keystoneauth1's `generic.Password.create_plugin`.
    fn create(&self, major: Major, url: &str) -> Result<Option<Arc<dyn Authenticator>>> {
        let c = &self.common;
        let pw = self.password.expose_secret();
        match major {
            Major::V2 => {
                if self.user.user_domain_id.is_some() || self.user.user_domain_name.is_some() {
                    return Ok(None);
                }
                let mut p = match (&self.user.username, &self.user.user_id) {
                    (Some(name), _) => keystoneauth_identity_v2::Password::new(url, name, pw),
                    (None, id) => keystoneauth_identity_v2::Password::with_user_id(
                        url,
                        id.clone().unwrap_or_default(),
                        pw,
                    ),
                };
                if let Some(id) = &self.user.user_id {
                    p = p.user_id(id);
                }
                if let Some(t) = &c.project_id {
                    p = p.tenant_id(t);
                }
                if let Some(t) = &c.project_name {
                    p = p.tenant_name(t);
                }
                if let Some(t) = &c.trust_id {
                    p = p.trust_id(t);
                }
                Ok(Some(Arc::new(p)))
            }
            Major::V3 => {
                let user = UserRef {
                    user_id: self.user.user_id.clone(),
                    username: self.user.username.clone(),
                    user_domain_id: self.eff_user_domain_id(),
                    user_domain_name: self.eff_user_domain_name(),
                };
                let auth = Auth::new(url)
                    .with_method(PasswordMethod::with_user(Some(self.password.clone()), user))
                    .scope_params(c.v3_scope())
                    .reauthenticate(c.reauthenticate);
                Ok(Some(Arc::new(auth)))
            }
        }
    }

    async fn plugin(&self, session: &Session) -> Result<&Arc<dyn Authenticator>> {
        self.plugin
            .get_or_try_init(|| {
                discover_and_create(session, &self.common, |m, u| self.create(m, u))
            })
            .await
    }
}

scope_setters!(Password);

#[async_trait]
impl Authenticator for Password {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        self.plugin(session).await?.authenticate(session).await
    }

    fn auth_url(&self) -> &str {
        &self.common.auth_url
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let mut e = self.common.cache_elements();
        e.extend([
            ("username".into(), self.user.username.clone()),
            ("user_id".into(), self.user.user_id.clone()),
            (
                "password".into(),
                Some(self.password.expose_secret().to_owned()),
            ),
            ("user_domain_id".into(), self.eff_user_domain_id()),
            ("user_domain_name".into(), self.eff_user_domain_name()),
        ]);
        Some(e)
    }
}

// ---------------------------------------------------------------------------------------------

/// Token authentication on whichever of Identity v3 and v2.0 the server offers: trade a token
/// for another, usually scoped to a project.
pub struct Token {
    common: Common,
    token: SecretString,
    plugin: OnceCell<Arc<dyn Authenticator>>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("common", &self.common)
            .field("token", &"<redacted>")
            .field("plugin", &self.plugin.get())
            .finish()
    }
}

impl Token {
    /// A token plugin.
    pub fn new(auth_url: impl Into<String>, token: impl Into<String>) -> Self {
        Token {
            common: Common::new(auth_url.into()),
            token: SecretString::from(token.into()),
            plugin: OnceCell::new(),
        }
    }

    /// Wrap in an [`IdentityPlugin`] (token cache, catalog, discovery).
    pub fn into_plugin(self) -> IdentityPlugin<Token> {
        Common::into_plugin(self.common.reauthenticate, self)
    }

    /// keystoneauth1's `generic.Token.create_plugin`.
    fn create(&self, major: Major, url: &str) -> Result<Option<Arc<dyn Authenticator>>> {
        let c = &self.common;
        let tok = self.token.expose_secret();
        match major {
            Major::V2 => {
                let mut t = keystoneauth_identity_v2::Token::new(url, tok);
                if let Some(x) = &c.project_id {
                    t = t.tenant_id(x);
                }
                if let Some(x) = &c.project_name {
                    t = t.tenant_name(x);
                }
                if let Some(x) = &c.trust_id {
                    t = t.trust_id(x);
                }
                Ok(Some(Arc::new(t)))
            }
            Major::V3 => {
                let auth = Auth::new(url)
                    .with_method(TokenMethod::new(tok))
                    .scope_params(c.v3_scope())
                    .reauthenticate(c.reauthenticate);
                Ok(Some(Arc::new(auth)))
            }
        }
    }

    async fn plugin(&self, session: &Session) -> Result<&Arc<dyn Authenticator>> {
        self.plugin
            .get_or_try_init(|| {
                discover_and_create(session, &self.common, |m, u| self.create(m, u))
            })
            .await
    }
}

scope_setters!(Token);

#[async_trait]
impl Authenticator for Token {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        self.plugin(session).await?.authenticate(session).await
    }

    fn auth_url(&self) -> &str {
        &self.common.auth_url
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let mut e = self.common.cache_elements();
        e.push(("token".into(), Some(self.token.expose_secret().to_owned())));
        Some(e)
    }
}

// ---------------------------------------------------------------------------------------------
// Loaders

/// keystoneauth1's `BaseGenericLoader` options: `auth-url`, the scope (with the deprecated
/// `tenant-*` aliases) and the default domain.
fn generic_base_options() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Authentication URL").required(),
        Opt::new("system-scope", "Scope for system operations"),
        Opt::new("domain-id", "Domain ID to scope to"),
        Opt::new("domain-name", "Domain name to scope to"),
        Opt::new("project-id", "Project ID to scope to").deprecated(&["tenant-id"]),
        Opt::new("project-name", "Project name to scope to").deprecated(&["tenant-name"]),
        Opt::new("project-domain-id", "Domain ID containing project"),
        Opt::new("project-domain-name", "Domain name containing project"),
        Opt::new("trust-id", "ID of the trust to use as a trustee use"),
        Opt::new(
            "default-domain-id",
            "Optional domain ID to use with v3 and v2 parameters. It will be used for both \
             the user and project domain in v3 and ignored in v2 authentication.",
        ),
        Opt::new(
            "default-domain-name",
            "Optional domain name to use with v3 API and v2 parameters. It will be used for \
             both the user and project domain in v3 and ignored in v2 authentication.",
        ),
    ]
}

/// The options of `password`, in keystoneauth1's order.
pub fn password_options() -> Vec<Opt> {
    let mut o = generic_base_options();
    o.extend([
        Opt::new("user-id", "User id"),
        Opt::new("username", "Username").deprecated(&["user-name"]),
        Opt::new("user-domain-id", "User's domain id"),
        Opt::new("user-domain-name", "User's domain name"),
        Opt::new("password", "User's password")
            .secret()
            .prompt("Password: "),
    ]);
    o
}

/// The options of `token`, in keystoneauth1's order.
pub fn token_options() -> Vec<Opt> {
    let mut o = generic_base_options();
    o.push(Opt::new("token", "Token to authenticate with").secret());
    o
}

fn missing(name: &str) -> Error {
    Error::MissingRequiredOptions(vec![keystoneauth_core::error::MissingOption::new(
        name.replace('_', "-"),
        format!("OS_{}", name.to_ascii_uppercase()),
    )])
}

fn check_auth_url(common: &Common) -> Result<()> {
    if common.auth_url.is_empty() {
        return Err(missing("auth_url"));
    }
    Ok(())
}

/// Build a generic [`Password`] from loader options.
pub fn password_from_options(values: &OptionValues) -> Result<Password> {
    let common = Common::from_options(values);
    check_auth_url(&common)?;
    let password = values
        .get_secret("password")
        .ok_or_else(|| missing("password"))?;
    Ok(Password {
        common,
        user: UserRef {
            user_id: values.get("user_id"),
            username: values.get("username").or_else(|| values.get("user_name")),
            user_domain_id: values.get("user_domain_id"),
            user_domain_name: values.get("user_domain_name"),
        },
        password,
        plugin: OnceCell::new(),
    })
}

/// Build a generic [`Token`] from loader options.
pub fn token_from_options(values: &OptionValues) -> Result<Token> {
    let common = Common::from_options(values);
    check_auth_url(&common)?;
    let token = values.get_secret("token").ok_or_else(|| missing("token"))?;
    Ok(Token {
        common,
        token,
        plugin: OnceCell::new(),
    })
}

fn create_password(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(password_from_options(values)?.into_plugin()))
}

fn create_token(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(token_from_options(values)?.into_plugin()))
}

keystoneauth_core::inventory::submit! {
    PluginLoader {
        name: "password",
        description: "Authenticate with a username or user id and password (Identity v3 or v2.0, discovered)",
        options: password_options,
        create: create_password,
    }
}

keystoneauth_core::inventory::submit! {
    PluginLoader {
        name: "token",
        description: "Authenticate with an existing token (Identity v3 or v2.0, discovered)",
        options: token_options,
        create: create_token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keystoneauth_core::plugin::cache_id_from_elements;

    #[test]
    fn cache_id_matches_keystoneauth1() {
        let p = Password::new("http://k", "p")
            .username("u")
            .user_domain_id("default");
        assert_eq!(
            cache_id_from_elements(p.cache_id_elements().unwrap()),
            "pX6+XNBOgwN9BgZ7Is2rhgxnIC5Lbc2anvvk79t46dg="
        );
    }

    #[test]
    fn default_domain_feeds_effective_cache_elements() {
        let a = Password::new("http://k", "p")
            .username("u")
            .default_domain_id("default");
        let e = a.cache_id_elements().unwrap();
        let get = |k: &str| e.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("user_domain_id").as_deref(), Some("default"));
        assert_eq!(get("project_domain_id").as_deref(), Some("default"));
        // system_scope is not part of the cache id.
        let b = Token::new("http://k", "t").system_scope("all");
        let c = Token::new("http://k", "t");
        assert_eq!(b.cache_id_elements(), c.cache_id_elements());
    }

    #[test]
    fn version_from_path_rules() {
        assert_eq!(version_from_path("http://k:5000/v2.0"), Some(Major::V2));
        assert_eq!(version_from_path("http://k:5000/V3/"), Some(Major::V3));
        assert_eq!(version_from_path("http://k/identity/v3"), Some(Major::V3));
        assert_eq!(version_from_path("http://k/identity_v2.0"), None);
        assert_eq!(version_from_path("http://k:5000/"), None);
        assert_eq!(version_from_path("http://k:5000"), None);
    }

    #[test]
    fn debug_redacts() {
        let p = Password::new("http://k", "hunter2").username("u");
        let t = Token::new("http://k", "tok-secret");
        assert!(!format!("{p:?}").contains("hunter2"));
        assert!(!format!("{t:?}").contains("tok-secret"));
    }
}

//! Plugins that need no identity service: [`NoAuth`], [`HttpBasicAuth`] and [`AdminToken`]
//! (keystoneauth1's `noauth.NoAuth`, `http_basic.HTTPBasicAuth` and `token_endpoint.Token`).
//!
//! Each talks to one fixed endpoint: [`AuthPlugin::endpoint`] returns it whatever the filter
//! asks (service type, interface and region are ignored, as in keystoneauth1's
//! `FixedEndpointPlugin`). When a filter asks for a version, [`AuthPlugin::endpoint_data`] runs
//! version discovery against the fixed endpoint.
//!
//! ```
//! use std::sync::Arc;
//! use keystoneauth_core::{EndpointFilter, Session};
//! use keystoneauth_standalone::NoAuth;
//!
//! # async fn run() -> keystoneauth_core::Result<()> {
//! let session = Session::new(Arc::new(NoAuth::new().with_endpoint("http://127.0.0.1:8774/v2.1")))?;
//! // Relative URLs need a (non-empty) filter, even with a fixed endpoint.
//! let resp = session
//!     .get("/servers")
//!     .endpoint_filter(EndpointFilter::service("compute"))
//!     .send()
//!     .await?;
//! # let _ = resp; Ok(()) }
//! ```
//!
//! They are registered as `none`, `http_basic` and `admin_token` with keystoneauth1's options:
//!
//! ```
//! use keystoneauth_core::registry::{self, OptionValues};
//! assert!(keystoneauth_standalone::admin_token_options().iter().any(|o| o.name == "token"));
//! let opts = OptionValues::new().with("endpoint", "http://127.0.0.1:5000/v3").with("token", "ADMIN");
//! let plugin = registry::load("admin_token", &opts).unwrap();
//! assert!(format!("{plugin:?}").contains("<redacted>"));
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use keystoneauth_core::http::{header::AUTHORIZATION, HeaderMap, HeaderValue};
use keystoneauth_core::plugin::{token_headers, X_AUTH_TOKEN};
use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{
    async_trait, discover, AuthPlugin, EndpointData, EndpointFilter, Error, Result, Session,
};
use secrecy::{ExposeSecret, SecretString};

/// The token [`NoAuth`] sends, as keystoneauth1 does.
pub const NOAUTH_TOKEN: &str = "notused";

/// Endpoint data for a fixed endpoint; with a version in the filter, discovered.
async fn fixed_endpoint_data(
    session: &Session,
    endpoint: Option<&str>,
    filter: &EndpointFilter,
) -> Result<Option<EndpointData>> {
    let Some(endpoint) = endpoint else {
        return Ok(None);
    };
    let data = EndpointData::for_url(endpoint);
    if filter.skip_discovery || filter.version.is_empty() {
        return Ok(Some(data));
    }
    discover::versioned_data(session, &data, filter, None)
        .await
        .map(Some)
}

fn non_empty(s: impl Into<String>) -> Option<String> {
    Some(s.into()).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------------

/// No authentication: requests carry `X-Auth-Token: notused` (for services run with
/// `auth_strategy = noauth`), sent to a fixed endpoint.
#[derive(Debug, Clone, Default)]
pub struct NoAuth {
    endpoint: Option<String>,
}

impl NoAuth {
    /// A plugin without an endpoint (absolute URLs or `endpoint_override` only).
    pub fn new() -> Self {
        NoAuth::default()
    }

    /// Set the fixed endpoint.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = non_empty(endpoint);
        self
    }
}

#[async_trait]
impl AuthPlugin for NoAuth {
    async fn auth_headers(&self, _session: &Session) -> Result<Option<HeaderMap>> {
        Ok(Some(token_headers(&SecretString::from(NOAUTH_TOKEN))?))
    }

    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        let mut v = HeaderValue::from_static(NOAUTH_TOKEN);
        v.set_sensitive(true);
        headers.insert(X_AUTH_TOKEN, v);
        true
    }

    async fn token(&self, _session: &Session) -> Result<Option<SecretString>> {
        Ok(Some(SecretString::from(NOAUTH_TOKEN)))
    }

    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        fixed_endpoint_data(session, self.endpoint.as_deref(), filter).await
    }

    async fn endpoint(
        &self,
        _session: &Session,
        _filter: &EndpointFilter,
    ) -> Result<Option<String>> {
        Ok(self.endpoint.clone())
    }
}

// ---------------------------------------------------------------------------------------------

/// HTTP Basic authentication (`Authorization: Basic base64(user:password)`) to a fixed
/// endpoint, for services run with `auth_strategy = http_basic`.
///
/// Without both a user name and a password the plugin has no credentials: authenticated
/// requests then fail with [`Error::AuthorizationFailure`].
#[derive(Clone, Default)]
pub struct HttpBasicAuth {
    endpoint: Option<String>,
    username: Option<String>,
    password: Option<SecretString>,
}

impl fmt::Debug for HttpBasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpBasicAuth")
            .field("endpoint", &self.endpoint)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl HttpBasicAuth {
    /// Credentials for Basic authentication.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        HttpBasicAuth {
            endpoint: None,
            username: non_empty(username),
            password: non_empty(password).map(SecretString::from),
        }
    }

    /// Set the fixed endpoint.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = non_empty(endpoint);
        self
    }

    /// `base64(user:password)`, or `None` without both.
    fn credentials(&self) -> Option<SecretString> {
        let (u, p) = (self.username.as_ref()?, self.password.as_ref()?);
        let raw = format!("{u}:{}", p.expose_secret());
        Some(SecretString::from(
            base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()),
        ))
    }
}

#[async_trait]
impl AuthPlugin for HttpBasicAuth {
    async fn auth_headers(&self, _session: &Session) -> Result<Option<HeaderMap>> {
        let Some(creds) = self.credentials() else {
            return Ok(None);
        };
        let mut v = HeaderValue::from_str(&format!("Basic {}", creds.expose_secret()))
            .map_err(|_| Error::OptionError("invalid HTTP Basic credentials".into()))?;
        v.set_sensitive(true);
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, v);
        Ok(Some(h))
    }

    /// The encoded credentials (keystoneauth1's `get_token`).
    async fn token(&self, _session: &Session) -> Result<Option<SecretString>> {
        Ok(self.credentials())
    }

    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        fixed_endpoint_data(session, self.endpoint.as_deref(), filter).await
    }

    async fn endpoint(
        &self,
        _session: &Session,
        _filter: &EndpointFilter,
    ) -> Result<Option<String>> {
        Ok(self.endpoint.clone())
    }
}

// ---------------------------------------------------------------------------------------------

/// A fixed token sent to a fixed endpoint (keystoneauth1's `token_endpoint.Token`, loaded as
/// `admin_token`): typically Keystone's bootstrap `[DEFAULT] admin_token`.
///
/// [`AuthPlugin::endpoint`] returns the endpoint whatever the filter; there is no access info,
/// no catalog and nothing to refresh.
#[derive(Clone)]
pub struct AdminToken {
    endpoint: Option<String>,
    token: SecretString,
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminToken")
            .field("endpoint", &self.endpoint)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl AdminToken {
    /// Send `token` to `endpoint`.
    pub fn new(endpoint: impl Into<String>, token: impl Into<String>) -> Self {
        AdminToken {
            endpoint: non_empty(endpoint),
            token: SecretString::from(token.into()),
        }
    }
}

#[async_trait]
impl AuthPlugin for AdminToken {
    async fn auth_headers(&self, _session: &Session) -> Result<Option<HeaderMap>> {
        if self.token.expose_secret().is_empty() {
            return Ok(None);
        }
        Ok(Some(token_headers(&self.token)?))
    }

    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        if self.token.expose_secret().is_empty() {
            return false;
        }
        match token_headers(&self.token) {
            Ok(h) => {
                headers.extend(h);
                true
            }
            Err(_) => false,
        }
    }

    async fn token(&self, _session: &Session) -> Result<Option<SecretString>> {
        Ok(Some(self.token.clone()).filter(|t| !t.expose_secret().is_empty()))
    }

    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        fixed_endpoint_data(session, self.endpoint.as_deref(), filter).await
    }

    async fn endpoint(
        &self,
        _session: &Session,
        _filter: &EndpointFilter,
    ) -> Result<Option<String>> {
        Ok(self.endpoint.clone())
    }
}

// ---------------------------------------------------------------------------------------------
// Loaders

/// The options of `none`.
pub fn noauth_options() -> Vec<Opt> {
    vec![Opt::new(
        "endpoint",
        "The endpoint that will always be used",
    )]
}

/// The options of `http_basic`, in keystoneauth1's order.
pub fn http_basic_options() -> Vec<Opt> {
    vec![
        Opt::new("username", "Username").deprecated(&["user-name"]),
        Opt::new("password", "User's password")
            .secret()
            .prompt("Password: "),
        Opt::new("endpoint", "The endpoint that will always be used"),
    ]
}

/// The options of `admin_token`, in keystoneauth1's order.
pub fn admin_token_options() -> Vec<Opt> {
    vec![
        Opt::new("endpoint", "The endpoint that will always be used").deprecated(&["url"]),
        Opt::new("token", "The token that will always be used").secret(),
    ]
}

fn endpoint_from(values: &OptionValues) -> Option<String> {
    values.get("endpoint").or_else(|| values.get("url"))
}

fn create_noauth(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(NoAuth {
        endpoint: endpoint_from(values),
    }))
}

fn create_http_basic(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(HttpBasicAuth {
        endpoint: endpoint_from(values),
        username: values.get("username").or_else(|| values.get("user_name")),
        password: values.get_secret("password"),
    }))
}

fn create_admin_token(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(AdminToken {
        endpoint: endpoint_from(values),
        token: values
            .get_secret("token")
            .unwrap_or_else(|| SecretString::from(String::new())),
    }))
}

keystoneauth_core::register_plugin! {
    name: "none",
    description: "Use no authentication (X-Auth-Token: notused) with a fixed endpoint",
    options: noauth_options,
    create: create_noauth,
}

keystoneauth_core::register_plugin! {
    name: "http_basic",
    description: "Use HTTP Basic authentication with a fixed endpoint",
    options: http_basic_options,
    create: create_http_basic,
}

keystoneauth_core::register_plugin! {
    name: "admin_token",
    description: "Use a fixed token and a fixed endpoint (e.g. Keystone's admin_token)",
    options: admin_token_options,
    create: create_admin_token,
}

//! The federation base (keystoneauth1's `_Rescoped` / `FederationBaseAuth`): an unscoped token
//! from some identity provider flow ([`UnscopedAuth`]), reused while fresh, then rescoped with
//! a v3 `token` method request when a [`Scope`] is given.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use http::HeaderMap;
use keystoneauth_core::identity::DEFAULT_REFRESH_WINDOW;
use keystoneauth_core::plugin::cache_id_from_elements;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{
    AccessInfo, AuthPlugin, Authenticator, ConnectionParams, EndpointData, EndpointFilter, Error,
    IdentityPlugin, Result, Session,
};
use serde_json::{json, Value};

/// Cache-id elements: `(key, value)` pairs, absent values skipped (see
/// [`cache_id_from_elements`]).
pub type CacheIdElements = Vec<(String, Option<String>)>;

/// What a rescoped token is scoped to. Empty means "keep the unscoped token".
///
/// ```
/// use keystoneauth_federation::Scope;
/// let s = Scope::project_name("demo", "default");
/// assert!(!s.is_empty());
/// assert!(Scope::default().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Project id.
    pub project_id: Option<String>,
    /// Project name (needs a project domain).
    pub project_name: Option<String>,
    /// Domain id of the project named by `project_name`.
    pub project_domain_id: Option<String>,
    /// Domain name of the project named by `project_name`.
    pub project_domain_name: Option<String>,
    /// Domain id (domain scope).
    pub domain_id: Option<String>,
    /// Domain name (domain scope).
    pub domain_name: Option<String>,
    /// Trust id.
    pub trust_id: Option<String>,
    /// System scope; only `all` is supported by Keystone.
    pub system_scope: Option<String>,
}

impl Scope {
    /// Scope to a project by id.
    pub fn project_id(id: impl Into<String>) -> Self {
        Scope {
            project_id: Some(id.into()),
            ..Default::default()
        }
    }

    /// Scope to a project by name within a domain given by id.
    pub fn project_name(name: impl Into<String>, domain_id: impl Into<String>) -> Self {
        Scope {
            project_name: Some(name.into()),
            project_domain_id: Some(domain_id.into()),
            ..Default::default()
        }
    }

    /// Scope to a domain by id.
    pub fn domain_id(id: impl Into<String>) -> Self {
        Scope {
            domain_id: Some(id.into()),
            ..Default::default()
        }
    }

    /// Scope to the whole system (`all`).
    pub fn system_all() -> Self {
        Scope {
            system_scope: Some("all".into()),
            ..Default::default()
        }
    }

    /// True if no scope parameter is set (keystoneauth1's `not has_scope_parameters`).
    pub fn is_empty(&self) -> bool {
        [
            &self.project_id,
            &self.project_name,
            &self.project_domain_id,
            &self.project_domain_name,
            &self.domain_id,
            &self.domain_name,
            &self.trust_id,
            &self.system_scope,
        ]
        .iter()
        .all(|v| v.as_deref().is_none_or(str::is_empty))
    }

    /// The `scope` object of a v3 auth request, or `None` when there is nothing to scope to.
    pub fn to_json(&self) -> Result<Option<Value>> {
        fn s(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|v| !v.is_empty())
        }
        let targets = [
            s(&self.domain_id).or(s(&self.domain_name)).is_some(),
            s(&self.project_id).or(s(&self.project_name)).is_some(),
            s(&self.trust_id).is_some(),
            s(&self.system_scope).is_some(),
        ];
        if targets.iter().filter(|t| **t).count() > 1 {
            return Err(Error::AuthorizationFailure(
                "Authentication cannot be scoped to multiple targets. Pick one of: project, \
                 domain, trust, system or unscoped"
                    .into(),
            ));
        }
        let scope = if let Some(id) = s(&self.domain_id) {
            json!({"domain": {"id": id}})
        } else if let Some(name) = s(&self.domain_name) {
            json!({"domain": {"name": name}})
        } else if let Some(id) = s(&self.project_id) {
            json!({"project": {"id": id}})
        } else if let Some(name) = s(&self.project_name) {
            let mut p = json!({"name": name});
            if let Some(d) = s(&self.project_domain_id) {
                p["domain"] = json!({"id": d});
            } else if let Some(d) = s(&self.project_domain_name) {
                p["domain"] = json!({"name": d});
            }
            json!({"project": p})
        } else if let Some(t) = s(&self.trust_id) {
            json!({"OS-TRUST:trust": {"id": t}})
        } else if let Some(sys) = s(&self.system_scope) {
            if sys != "all" {
                return Err(Error::AuthorizationFailure(
                    "Invalid system scope, only \"all\" is supported".into(),
                ));
            }
            json!({"system": {"all": true}})
        } else {
            return Ok(None);
        };
        Ok(Some(scope))
    }
}

/// `{auth_url}[/v3]/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth`.
///
/// ```
/// use keystoneauth_federation::federated_token_url;
/// assert_eq!(
///     federated_token_url("http://ks:5000/", "idp", "openid"),
///     "http://ks:5000/v3/OS-FEDERATION/identity_providers/idp/protocols/openid/auth"
/// );
/// assert_eq!(
///     federated_token_url("http://ks:5000/v3", "idp", "saml2"),
///     "http://ks:5000/v3/OS-FEDERATION/identity_providers/idp/protocols/saml2/auth"
/// );
/// ```
pub fn federated_token_url(auth_url: &str, identity_provider: &str, protocol: &str) -> String {
    format!(
        "{}/OS-FEDERATION/identity_providers/{identity_provider}/protocols/{protocol}/auth",
        v3_url(auth_url)
    )
}

/// The auth URL with `/v3` appended unless it already ends with `v3`.
pub(crate) fn v3_url(auth_url: &str) -> String {
    let base = auth_url.trim_end_matches('/');
    if base.ends_with("v3") {
        base.to_owned()
    } else {
        format!("{base}/v3")
    }
}

/// Parse a Keystone token response (`X-Subject-Token` + body).
pub(crate) fn access_from_response(resp: &keystoneauth_core::Response) -> Result<AccessInfo> {
    let subject = resp
        .header("X-Subject-Token")
        .map(|t| SecretString::from(t.to_owned()));
    AccessInfo::from_body(resp.bytes(), subject)
}

/// An identity-provider flow that yields an unscoped Keystone token.
#[async_trait]
pub trait UnscopedAuth: Send + Sync + fmt::Debug {
    /// Run the flow and return an unscoped (federated) token.
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo>;

    /// The Keystone URL of this flow (empty while unknown, as for K2K before authenticating).
    fn auth_url(&self) -> &str;

    /// The Keystone URL to rescope against (default: [`auth_url`](Self::auth_url)).
    async fn rescope_url(&self, _session: &Session) -> Result<String> {
        Ok(self.auth_url().to_owned())
    }

    /// Elements of the unscoped cache id; `None`: no unscoped cache id.
    fn unscoped_cache_id_elements(&self) -> Option<CacheIdElements> {
        None
    }
}

/// Rescope a token with a v3 `token` method request (keystoneauth1's `v3.Token(...)`).
pub(crate) async fn rescope(
    session: &Session,
    auth_url: &str,
    token: &SecretString,
    scope: &Scope,
) -> Result<AccessInfo> {
    let mut body = json!({"auth": {"identity": {
        "methods": ["token"],
        "token": {"id": token.expose_secret()},
    }}});
    if let Some(s) = scope.to_json()? {
        body["auth"]["scope"] = s;
    }
    let url = format!("{}/auth/tokens", v3_url(auth_url));
    let resp = session
        .post(url)
        .header("Accept", "application/json")
        .header("X-Auth-Token", token.expose_secret())
        .json(&body)
        .authenticated(false)
        .log_body(false)
        .send()
        .await?;
    access_from_response(&resp)
}

/// The [`Authenticator`] of federated plugins: unscoped token reuse, rescoping, and the
/// retry of a rescope refused with 401 after reusing an unscoped token.
pub struct FederatedAuth<U> {
    source: U,
    scope: Scope,
    unscoped: RwLock<Option<Arc<AccessInfo>>>,
}

impl<U: fmt::Debug> fmt::Debug for FederatedAuth<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let has = self
            .unscoped
            .read()
            .map(|g| g.is_some())
            .unwrap_or_default();
        f.debug_struct("FederatedAuth")
            .field("source", &self.source)
            .field("scope", &self.scope)
            .field("has_unscoped_token", &has)
            .finish()
    }
}

impl<U: UnscopedAuth> FederatedAuth<U> {
    fn cached_unscoped(&self) -> Option<Arc<AccessInfo>> {
        self.unscoped
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn store_unscoped(&self, access: Option<Arc<AccessInfo>>) {
        *self.unscoped.write().unwrap_or_else(|e| e.into_inner()) = access;
    }

    async fn fresh_unscoped(&self, session: &Session) -> Result<Arc<AccessInfo>> {
        let a = Arc::new(self.source.get_unscoped(session).await?);
        self.store_unscoped(Some(a.clone()));
        Ok(a)
    }

    async fn rescope_with(&self, session: &Session, unscoped: &AccessInfo) -> Result<AccessInfo> {
        let url = self.source.rescope_url(session).await?;
        rescope(session, &url, unscoped.auth_token(), &self.scope).await
    }
}

#[async_trait]
impl<U: UnscopedAuth> Authenticator for FederatedAuth<U> {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        let (unscoped, reused) = match self.cached_unscoped() {
            Some(a) if !a.will_expire_soon(DEFAULT_REFRESH_WINDOW) => (a, true),
            _ => (self.fresh_unscoped(session).await?, false),
        };
        if self.scope.is_empty() {
            return Ok((*unscoped).clone());
        }
        match self.rescope_with(session, &unscoped).await {
            Err(Error::Unauthorized(e)) if reused => {
                tracing::debug!(
                    target: "keystoneauth::federation",
                    error = %e,
                    "rescoping the reused unscoped token was refused; authenticating again"
                );
                let unscoped = self.fresh_unscoped(session).await?;
                self.rescope_with(session, &unscoped).await
            }
            r => r,
        }
    }

    fn auth_url(&self) -> &str {
        self.source.auth_url()
    }

    fn on_invalidate(&self) {
        self.store_unscoped(None);
    }
}

/// A federated auth plugin: an [`UnscopedAuth`] flow plus rescoping, with a token cache.
///
/// ```no_run
/// # #[cfg(feature = "oidc")]
/// # async fn demo() -> keystoneauth_core::Result<()> {
/// use std::sync::Arc;
/// use keystoneauth_core::Session;
/// use keystoneauth_federation::{Federated, Scope, oidc::OidcClientCredentials};
/// let flow = OidcClientCredentials::new("https://keystone:5000/v3", "myidp", "openid", "cid")
///     .client_secret("s3cret")
///     .discovery_endpoint("https://op.example/.well-known/openid-configuration");
/// let auth = Arc::new(Federated::new(flow, Scope::project_id("p1")));
/// let session = Session::new(auth)?;
/// let token = session.token().await?;
/// # Ok(()) }
/// ```
pub struct Federated<U> {
    inner: IdentityPlugin<FederatedAuth<U>>,
}

impl<U: fmt::Debug> fmt::Debug for Federated<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Federated")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<U: UnscopedAuth> Federated<U> {
    /// A plugin for this flow; an empty scope keeps the unscoped token.
    pub fn new(source: U, scope: Scope) -> Self {
        Federated {
            inner: IdentityPlugin::new(FederatedAuth {
                source,
                scope,
                unscoped: RwLock::new(None),
            }),
        }
    }

    /// Set the refresh window of the (scoped) token cache and whether to reauthenticate.
    pub fn with_refresh(mut self, refresh_window: Duration, reauthenticate: bool) -> Self {
        self.inner = self.inner.with_refresh(refresh_window, reauthenticate);
        self
    }

    /// The flow.
    pub fn source(&self) -> &U {
        &self.inner.authenticator().source
    }

    /// The scope.
    pub fn scope(&self) -> &Scope {
        &self.inner.authenticator().scope
    }

    /// A stable id of the identity-provider credentials (keystoneauth1's
    /// `get_unscoped_cache_id`), to save the unscoped token between runs.
    pub fn unscoped_cache_id(&self) -> Option<String> {
        self.source()
            .unscoped_cache_id_elements()
            .map(cache_id_from_elements)
    }

    /// The unscoped token as `{"auth_token", "body"}` JSON, if there is one.
    pub fn unscoped_auth_state(&self) -> Option<String> {
        self.inner
            .authenticator()
            .cached_unscoped()
            .map(|a| a.to_auth_state())
    }

    /// Install a saved unscoped token; `None` or empty clears it.
    pub fn set_unscoped_auth_state(&self, state: Option<&str>) -> Result<()> {
        let auth = self.inner.authenticator();
        let Some(state) = state.filter(|s| !s.is_empty()) else {
            auth.store_unscoped(None);
            return Ok(());
        };
        let v: Value = serde_json::from_str(state).map_err(|_| {
            Error::OptionError("Not an unscoped auth state produced by this API".into())
        })?;
        if !(v.get("auth_token").is_some_and(Value::is_string) && v.get("body").is_some()) {
            return Err(Error::OptionError(
                "Not an unscoped auth state produced by this API".into(),
            ));
        }
        if v["body"].get("token").is_none() {
            return Err(Error::OptionError(
                "Unscoped auth state is not an identity v3 token".into(),
            ));
        }
        let access = AccessInfo::from_auth_state(state)?;
        auth.store_unscoped(Some(Arc::new(access)));
        Ok(())
    }
}

#[async_trait]
impl<U: UnscopedAuth> AuthPlugin for Federated<U> {
    async fn auth_headers(&self, session: &Session) -> Result<Option<HeaderMap>> {
        self.inner.auth_headers(session).await
    }
    async fn token(&self, session: &Session) -> Result<Option<SecretString>> {
        self.inner.token(session).await
    }
    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        if filter.is_auth_interface() && self.inner.authenticator().auth_url().is_empty() {
            // The auth URL is learnt while authenticating (K2K).
            self.inner.get_access(session).await?;
        }
        self.inner.endpoint_data(session, filter).await
    }
    fn invalidate(&self) -> bool {
        self.inner.invalidate()
    }
    async fn user_id(&self, session: &Session) -> Result<Option<String>> {
        self.inner.user_id(session).await
    }
    async fn project_id(&self, session: &Session) -> Result<Option<String>> {
        self.inner.project_id(session).await
    }
    async fn access(&self, session: &Session) -> Result<Option<Arc<AccessInfo>>> {
        self.inner.access(session).await
    }
    fn connection_params(&self) -> ConnectionParams {
        self.inner.connection_params()
    }
    fn auth_url(&self) -> Option<String> {
        let url = self.inner.authenticator().auth_url();
        (!url.is_empty()).then(|| url.to_owned())
    }
    fn cache_id(&self) -> Option<String> {
        // Federation plugins have no scoped cache id (as keystoneauth1).
        None
    }
    fn auth_state(&self) -> Option<String> {
        self.inner.auth_state()
    }
    fn set_auth_state(&self, state: Option<&str>) -> Result<()> {
        self.inner.set_auth_state(state)
    }
}

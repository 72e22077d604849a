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
use keystoneauth_identity_v3::{Auth, ScopeParams, TokenMethod};
use serde_json::Value;

/// Cache-id elements: `(key, value)` pairs, absent values skipped (see
/// [`cache_id_from_elements`]).
pub type CacheIdElements = Vec<(String, Option<String>)>;

/// keystoneauth1's `has_scope_parameters`: any scope argument, the project domain included.
fn has_scope_parameters(p: &ScopeParams) -> bool {
    p.has_scope() || p.project_domain_id.is_some() || p.project_domain_name.is_some() || p.unscoped
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
#[cfg_attr(
    not(any(feature = "oidc", feature = "saml2", feature = "k2k", feature = "adfs")),
    allow(dead_code)
)]
pub(crate) fn access_from_response(resp: &keystoneauth_core::Response) -> Result<AccessInfo> {
    let subject = keystoneauth_core::headers::optional_subject_token(resp)?;
    AccessInfo::from_bytes(resp.bytes().clone(), subject)
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

/// Rescope a token with a v3 `token` method request (keystoneauth1's `v3.Token(...)`; no
/// `include_catalog` or `unscoped` is passed, so the rescoped token has its catalog).
pub(crate) async fn rescope(
    session: &Session,
    auth_url: &str,
    token: &SecretString,
    scope: &ScopeParams,
) -> Result<AccessInfo> {
    let auth = Auth::new(auth_url)
        .with_method(TokenMethod::new(token.expose_secret()))
        .scope_params(scope.clone());
    auth.authenticate(session).await
}

/// The [`Authenticator`] of federated plugins: unscoped token reuse, rescoping, and the
/// retry of a rescope refused with 401 after reusing an unscoped token.
pub struct FederatedAuth<U> {
    source: U,
    scope: ScopeParams,
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
        if !has_scope_parameters(&self.scope) {
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
/// let auth = Arc::new(Federated::new(flow, Scope::ProjectId("p1".into())));
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
    /// A plugin for this flow, rescoped to `scope` ([`Scope`](crate::Scope) or
    /// [`ScopeParams`]); `ScopeParams::default()` keeps the unscoped token.
    pub fn new(source: U, scope: impl Into<ScopeParams>) -> Self {
        Federated {
            inner: IdentityPlugin::new(FederatedAuth {
                source,
                scope: scope.into(),
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
    pub fn scope(&self) -> &ScopeParams {
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
    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        self.inner.add_ready_auth_headers(headers)
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

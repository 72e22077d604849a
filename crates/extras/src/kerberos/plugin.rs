//! The plugins: [`Kerberos`] (the v3 `kerberos` method, [`KerberosMethod`]) and
//! [`MappedKerberos`] (federation, [`MappedKerberosFlow`]).

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, Method};
use keystoneauth_core::{async_trait, AccessInfo, Authenticator, IdentityPlugin, Result, Session};
use keystoneauth_federation::{federated_token_url, Federated, UnscopedAuth};
use keystoneauth_identity_v3::{Auth, AuthMethod, AuthRequest, Scope, ScopeParams};
use serde_json::{json, Value};

use super::gssapi::default_source;
use super::negotiate::{MutualAuth, NegotiateRequest, NegotiateTokenSource};

/// The v3 `kerberos` auth method: `"kerberos": {}` (the proof is the `Negotiate` header).
#[derive(Debug, Clone, Copy, Default)]
pub struct KerberosMethod;

#[async_trait]
impl AuthMethod for KerberosMethod {
    async fn auth_data(
        &self,
        _session: &Session,
        _request: &mut AuthRequest,
    ) -> Result<Option<(String, Value)>> {
        Ok(Some(("kerberos".into(), json!({}))))
    }
}

/// The v3 Kerberos plugin (keystoneauth1's `extras.kerberos.Kerberos`): an
/// [`Authenticator`]; [`into_plugin`](Kerberos::into_plugin) adds the token cache.
pub struct Kerberos {
    auth: Auth,
    mutual: MutualAuth,
    source: Arc<dyn NegotiateTokenSource>,
}

impl fmt::Debug for Kerberos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kerberos")
            .field("auth_url", &Authenticator::auth_url(&self.auth))
            .field("scope", self.auth.scope_parameters())
            .field("mutual_auth", &self.mutual)
            .field("source", &self.source)
            .finish()
    }
}

impl Kerberos {
    /// For this auth URL (the Kerberos-protected Keystone, e.g. `https://ks/krb/v3`), no scope,
    /// mutual authentication optional, tokens from the system GSSAPI.
    pub fn new(auth_url: impl Into<String>) -> Self {
        Kerberos {
            auth: Auth::new(auth_url).with_method(KerberosMethod),
            mutual: MutualAuth::Optional,
            source: default_source(),
        }
    }

    /// Set mutual authentication.
    pub fn mutual_auth(mut self, mutual: MutualAuth) -> Self {
        self.mutual = mutual;
        self
    }

    /// Set the scope.
    pub fn scope(self, scope: Scope) -> Self {
        Kerberos {
            auth: self.auth.scope(scope),
            ..self
        }
    }

    /// Set keystoneauth1's raw scope arguments.
    pub fn scope_params(self, params: ScopeParams) -> Self {
        Kerberos {
            auth: self.auth.scope_params(params),
            ..self
        }
    }

    /// Ask for the service catalog (default true).
    pub fn include_catalog(self, on: bool) -> Self {
        Kerberos {
            auth: self.auth.include_catalog(on),
            ..self
        }
    }

    /// Use another source of `Negotiate` tokens (tests, other GSSAPI providers).
    pub fn token_source(mut self, source: Arc<dyn NegotiateTokenSource>) -> Self {
        self.source = source;
        self
    }

    /// The mutual authentication setting.
    pub fn mutual_auth_setting(&self) -> MutualAuth {
        self.mutual
    }

    /// Wrap in an [`IdentityPlugin`] (token cache, catalog, discovery).
    pub fn into_plugin(self) -> IdentityPlugin<Kerberos> {
        IdentityPlugin::new(self)
    }
}

#[async_trait]
impl Authenticator for Kerberos {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        let (body, headers) = self.auth.request_body(session).await?;
        let resp = NegotiateRequest {
            session,
            method: Method::POST,
            url: self.auth.token_url(),
            body: Some(body),
            headers,
            mutual: self.mutual,
            source: self.source.clone(),
        }
        .send()
        .await?;
        let token = keystoneauth_core::headers::subject_token(&resp)?;
        AccessInfo::from_v3_bytes(resp.bytes().clone(), token)
    }

    fn auth_url(&self) -> &str {
        Authenticator::auth_url(&self.auth)
    }

    // No cache id, as keystoneauth1.
}

/// The federation flow of [`MappedKerberos`]: the unscoped token from the Kerberos-protected
/// federation auth URL.
pub struct MappedKerberosFlow {
    auth_url: String,
    identity_provider: String,
    protocol: String,
    mutual: MutualAuth,
    source: Arc<dyn NegotiateTokenSource>,
}

impl fmt::Debug for MappedKerberosFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappedKerberosFlow")
            .field("auth_url", &self.auth_url)
            .field("identity_provider", &self.identity_provider)
            .field("protocol", &self.protocol)
            .field("mutual_auth", &self.mutual)
            .finish()
    }
}

impl MappedKerberosFlow {
    /// `{auth_url}[/v3]/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth`.
    pub fn federated_token_url(&self) -> String {
        federated_token_url(&self.auth_url, &self.identity_provider, &self.protocol)
    }
}

#[async_trait]
impl UnscopedAuth for MappedKerberosFlow {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        let resp = NegotiateRequest {
            session,
            method: Method::GET,
            url: self.federated_token_url(),
            body: None,
            headers,
            mutual: self.mutual,
            source: self.source.clone(),
        }
        .send()
        .await?;
        let subject = keystoneauth_core::headers::optional_subject_token(&resp)?;
        AccessInfo::from_bytes(resp.bytes().clone(), subject)
    }

    fn auth_url(&self) -> &str {
        &self.auth_url
    }
}

/// Kerberos through Keystone federation (keystoneauth1's `extras.kerberos.MappedKerberos`):
/// a builder; [`into_plugin`](MappedKerberos::into_plugin) gives the federated plugin that
/// gets the unscoped token and rescopes it.
#[derive(Debug)]
pub struct MappedKerberos {
    flow: MappedKerberosFlow,
    scope: ScopeParams,
}

impl MappedKerberos {
    /// For this Keystone, identity provider and protocol; no scope (the unscoped token),
    /// mutual authentication optional, tokens from the system GSSAPI.
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
    ) -> Self {
        MappedKerberos {
            flow: MappedKerberosFlow {
                auth_url: auth_url.into(),
                identity_provider: identity_provider.into(),
                protocol: protocol.into(),
                mutual: MutualAuth::Optional,
                source: default_source(),
            },
            scope: ScopeParams::default(),
        }
    }

    /// Set mutual authentication.
    pub fn mutual_auth(mut self, mutual: MutualAuth) -> Self {
        self.flow.mutual = mutual;
        self
    }

    /// Set the scope to rescope to.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope.into();
        self
    }

    /// Set keystoneauth1's raw scope arguments.
    pub fn scope_params(mut self, params: ScopeParams) -> Self {
        self.scope = params;
        self
    }

    /// Use another source of `Negotiate` tokens (tests, other GSSAPI providers).
    pub fn token_source(mut self, source: Arc<dyn NegotiateTokenSource>) -> Self {
        self.flow.source = source;
        self
    }

    /// The federated plugin: unscoped token, rescoped with a v3 `token` request when a scope
    /// is set.
    pub fn into_plugin(self) -> Federated<MappedKerberosFlow> {
        Federated::new(self.flow, self.scope)
    }
}

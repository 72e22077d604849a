//! The [`AuthPlugin`] trait every plugin implements, and the endpoint filter.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use http::HeaderMap;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::access::AccessInfo;
use crate::catalog::EndpointData;
use crate::error::{Error, Result};
use crate::session::Session;

pub use crate::catalog::EndpointFilter;
pub use crate::headers::{
    token_headers, AUTH_TOKEN_HEADER, SERVICE_TOKEN_HEADER, X_AUTH_TOKEN, X_SERVICE_TOKEN,
};

/// TLS material a plugin needs on its connections (client certificate, CA).
#[derive(Clone, Default)]
pub struct ConnectionParams {
    /// PEM client certificate chain.
    pub client_cert_pem: Option<Vec<u8>>,
    /// PEM private key for the client certificate.
    pub client_key_pem: Option<SecretString>,
}

impl fmt::Debug for ConnectionParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionParams")
            .field(
                "client_cert_pem",
                &self.client_cert_pem.as_ref().map(|c| c.len()),
            )
            .field(
                "client_key_pem",
                &self.client_key_pem.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl ConnectionParams {
    /// True if there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.client_cert_pem.is_none()
    }
}

/// An authentication plugin: gives the headers that authenticate a request and finds endpoints.
///
/// The trait is object safe; a [`Session`] holds an `Arc<dyn AuthPlugin>`.
///
/// Implementing one for a fixed header (which it always has at hand, so it also answers the
/// session's fast path):
/// ```
/// use async_trait::async_trait;
/// use keystoneauth_core::{AuthPlugin, Session, Result};
/// use http::{HeaderMap, HeaderValue};
/// #[derive(Debug)]
/// struct ApiKey;
/// #[async_trait]
/// impl AuthPlugin for ApiKey {
///     async fn auth_headers(&self, _session: &Session) -> Result<Option<HeaderMap>> {
///         let mut h = HeaderMap::new();
///         self.add_ready_auth_headers(&mut h);
///         Ok(Some(h))
///     }
///     fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
///         headers.insert("x-api-key", HeaderValue::from_static("k"));
///         true
///     }
/// }
/// ```
#[async_trait]
pub trait AuthPlugin: Send + Sync + fmt::Debug {
    /// Headers for an authenticated request; `None` means no valid authentication is available.
    async fn auth_headers(&self, session: &Session) -> Result<Option<HeaderMap>>;

    /// Puts the auth headers into `headers` if the plugin has them at hand, with no I/O and
    /// no waiting (say, a cached token that is still fresh), and returns true. Returns false,
    /// leaving `headers` as they were, when it has not; that is the default. A [`Session`]
    /// tries this first on every request and awaits
    /// [`auth_headers`](AuthPlugin::auth_headers) only when it returns false, so what it puts
    /// must be what `auth_headers` would give now.
    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        let _ = headers;
        false
    }

    /// The token, if this plugin uses one.
    async fn token(&self, session: &Session) -> Result<Option<SecretString>> {
        Ok(self
            .auth_headers(session)
            .await?
            .and_then(|h| h.get(AUTH_TOKEN_HEADER).cloned())
            .and_then(|v| v.to_str().ok().map(|s| SecretString::from(s.to_owned()))))
    }

    /// Endpoint data for a filter (catalog lookup plus version discovery), or `None`.
    async fn endpoint_data(
        &self,
        _session: &Session,
        _filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        Ok(None)
    }

    /// The URL for a filter, or `None`.
    async fn endpoint(&self, session: &Session, filter: &EndpointFilter) -> Result<Option<String>> {
        Ok(self
            .endpoint_data(session, filter)
            .await?
            .map(|d| d.url().to_owned()))
    }

    /// Drop the cached token so the next request authenticates again. Returns true if there
    /// was something to drop (and so a retry may help).
    fn invalidate(&self) -> bool {
        false
    }

    /// A request that carried the token `sent` got a 401: drop the cached token if it is still
    /// that one, and say whether retrying may help. Many requests failing at once with the same
    /// stale token then cause one refresh, and a late 401 does not drop the new token.
    /// Default: [`invalidate`](Self::invalidate).
    fn invalidate_sent(&self, sent: Option<&str>) -> bool {
        let _ = sent;
        self.invalidate()
    }

    /// The user id (may authenticate).
    async fn user_id(&self, _session: &Session) -> Result<Option<String>> {
        Ok(None)
    }

    /// The project id (may authenticate).
    async fn project_id(&self, _session: &Session) -> Result<Option<String>> {
        Ok(None)
    }

    /// The access info (token body), authenticating if needed.
    async fn access(&self, _session: &Session) -> Result<Option<Arc<AccessInfo>>> {
        Ok(None)
    }

    /// TLS material this plugin needs on every connection (mTLS, tokenless).
    fn connection_params(&self) -> ConnectionParams {
        ConnectionParams::default()
    }

    /// The auth URL, if the plugin has one.
    fn auth_url(&self) -> Option<String> {
        None
    }

    /// A stable id of the credentials, so a caller can cache tokens between runs.
    fn cache_id(&self) -> Option<String> {
        None
    }

    /// The current token state as JSON (`{"auth_token", "body"}`), if any.
    fn auth_state(&self) -> Option<String> {
        None
    }

    /// Install a saved token state. `None` clears it.
    fn set_auth_state(&self, _state: Option<&str>) -> Result<()> {
        Err(Error::OptionError(
            "this plugin does not support saving auth state".into(),
        ))
    }
}

#[async_trait]
impl<T: AuthPlugin + ?Sized> AuthPlugin for Arc<T> {
    async fn auth_headers(&self, session: &Session) -> Result<Option<HeaderMap>> {
        (**self).auth_headers(session).await
    }
    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        (**self).add_ready_auth_headers(headers)
    }
    async fn token(&self, session: &Session) -> Result<Option<SecretString>> {
        (**self).token(session).await
    }
    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        (**self).endpoint_data(session, filter).await
    }
    async fn endpoint(&self, session: &Session, filter: &EndpointFilter) -> Result<Option<String>> {
        (**self).endpoint(session, filter).await
    }
    fn invalidate(&self) -> bool {
        (**self).invalidate()
    }
    fn invalidate_sent(&self, sent: Option<&str>) -> bool {
        (**self).invalidate_sent(sent)
    }
    async fn user_id(&self, session: &Session) -> Result<Option<String>> {
        (**self).user_id(session).await
    }
    async fn project_id(&self, session: &Session) -> Result<Option<String>> {
        (**self).project_id(session).await
    }
    async fn access(&self, session: &Session) -> Result<Option<Arc<AccessInfo>>> {
        (**self).access(session).await
    }
    fn connection_params(&self) -> ConnectionParams {
        (**self).connection_params()
    }
    fn auth_url(&self) -> Option<String> {
        (**self).auth_url()
    }
    fn cache_id(&self) -> Option<String> {
        (**self).cache_id()
    }
    fn auth_state(&self) -> Option<String> {
        (**self).auth_state()
    }
    fn set_auth_state(&self, state: Option<&str>) -> Result<()> {
        (**self).set_auth_state(state)
    }
}

/// keystoneauth1's cache id: base64 of SHA-256 over `key\0value\0` for each element, sorted by
/// key, skipping absent values.
///
/// ```
/// use keystoneauth_core::plugin::cache_id_from_elements;
/// assert_eq!(cache_id_from_elements(std::iter::empty::<(&str, Option<&str>)>()),
///            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
/// ```
pub fn cache_id_from_elements<K, V>(elements: impl IntoIterator<Item = (K, Option<V>)>) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut items: Vec<(String, String)> = elements
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.as_ref().to_owned(), v.as_ref().to_owned())))
        .collect();
    items.sort();
    let mut hasher = Sha256::new();
    for (k, v) in items {
        hasher.update(k.as_bytes());
        hasher.update([0u8]);
        hasher.update(v.as_bytes());
        hasher.update([0u8]);
    }
    base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
}

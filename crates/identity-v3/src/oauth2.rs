//! OAuth 2.0 client credentials: with a secret ([`OAuth2ClientCredential`]) or with a client
//! certificate ([`OAuth2MtlsClientCredential`]).

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use keystoneauth_core::http::{header::AUTHORIZATION, HeaderMap, HeaderValue};
use keystoneauth_core::identity::DEFAULT_REFRESH_WINDOW;
use keystoneauth_core::plugin::{token_headers, X_AUTH_TOKEN};
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{
    async_trait, AccessInfo, Authenticator, ConnectionParams, Error, IdentityPlugin, Result,
    Session,
};
use serde_json::Value;

use crate::auth::{parse_token_response, token_url, Auth, Scope, ScopeParams};
use crate::method::OAuth2ClientCredentialMethod;
use crate::plugins::auth_setters;

/// Refuse a plain-HTTP OAuth2 endpoint unless it is on the loopback interface (RFC 6749 §3.2
/// requires TLS at the token endpoint).
pub(crate) fn check_endpoint(endpoint: &str) -> Result<()> {
    let url = url::Url::parse(endpoint)
        .map_err(|e| Error::OptionError(format!("invalid OAuth2.0 endpoint {endpoint:?}: {e}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(Error::OptionError(format!(
                    "the OAuth2.0 endpoint {endpoint} must use https (RFC 6749 section 3.2); \
                     plain http is only allowed on a loopback address"
                )))
            }
        }
        other => Err(Error::OptionError(format!(
            "the OAuth2.0 endpoint {endpoint} has an unsupported scheme {other:?}"
        ))),
    }
}

/// An OAuth2 access token and when to stop using it.
struct CachedBearer {
    token: SecretString,
    refresh_at: Option<Instant>,
}

/// The access token of an OAuth2 token endpoint answer.
fn parse_access_token(body: &[u8]) -> Result<(SecretString, Option<Duration>)> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| Error::InvalidResponse(format!("OAuth2.0 token response is not JSON: {e}")))?;
    let token = v
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::InvalidResponse("OAuth2.0 token response has no access_token".into())
        })?;
    let expires_in = v
        .get("expires_in")
        .and_then(|e| {
            e.as_u64()
                .or_else(|| e.as_str().and_then(|s| s.parse().ok()))
        })
        .map(Duration::from_secs);
    Ok((SecretString::from(token.to_owned()), expires_in))
}

/// Puts `X-Auth-Token` (the Keystone token) and `Authorization: Bearer` into `headers` when
/// both are at hand and valid header values; otherwise leaves `headers` alone.
fn insert_token_and_bearer(
    access: &AccessInfo,
    bearer: Option<&SecretString>,
    headers: &mut HeaderMap,
) -> bool {
    match (
        access.auth_token_header(),
        bearer.and_then(|b| bearer_value(b).ok()),
    ) {
        (Some(token), Some(bearer)) => {
            headers.insert(X_AUTH_TOKEN, token.clone());
            headers.insert(AUTHORIZATION, bearer);
            true
        }
        _ => false,
    }
}

fn bearer_value(token: &SecretString) -> Result<HeaderValue> {
    let mut v =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            Error::InvalidResponse("OAuth2.0 access token is not a header value".into())
        })?;
    v.set_sensitive(true);
    Ok(v)
}

/// OAuth 2.0 client credentials with a secret (keystoneauth1's `v3.OAuth2ClientCredential`).
///
/// The Keystone token comes from the `application_credential` method with the client id and
/// secret; every request also carries `Authorization: Bearer <access token>` from the OAuth2
/// token endpoint (`grant_type=client_credentials`, HTTP Basic). Unlike keystoneauth1, which
/// asks for a new access token on every request, the access token is kept until shortly
/// before its `expires_in`.
///
/// ```
/// use keystoneauth_identity_v3::OAuth2ClientCredential;
/// let plugin = OAuth2ClientCredential::new(
///     "https://keystone.example/v3",
///     "https://keystone.example/v3/OS-OAUTH2/token",
///     "client-id",
///     "client-secret",
/// )
/// .unwrap()
/// .into_plugin();
/// # let _ = plugin;
/// assert!(OAuth2ClientCredential::new("http://k.example/v3", "http://k.example/token", "i", "s").is_err());
/// ```
pub struct OAuth2ClientCredential {
    auth: Auth,
    method: OAuth2ClientCredentialMethod,
    bearer: tokio::sync::Mutex<Option<CachedBearer>>,
}

impl fmt::Debug for OAuth2ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2ClientCredential")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl OAuth2ClientCredential {
    /// The Keystone auth URL, the OAuth2 token endpoint (https, or http on loopback), the
    /// client id and secret (an application credential's id and secret).
    pub fn new(
        auth_url: impl Into<String>,
        oauth2_endpoint: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self> {
        let endpoint = oauth2_endpoint.into();
        check_endpoint(&endpoint)?;
        let method = OAuth2ClientCredentialMethod::new(endpoint, client_id, client_secret);
        Ok(OAuth2ClientCredential {
            auth: Auth::new(auth_url).with_method(method.clone()),
            method,
            bearer: tokio::sync::Mutex::new(None),
        })
    }

    /// The plugin.
    pub fn into_plugin(self) -> IdentityPlugin<OAuth2ClientCredential> {
        let reauth = self.auth.reauthenticates();
        IdentityPlugin::new(self).with_refresh(DEFAULT_REFRESH_WINDOW, reauth)
    }

    /// The OAuth2 access token, from the cache or the token endpoint.
    pub async fn access_token(&self, session: &Session) -> Result<SecretString> {
        let mut guard = self.bearer.lock().await;
        if let Some(c) = guard.as_ref() {
            if c.refresh_at.is_some_and(|t| Instant::now() < t) {
                return Ok(c.token.clone());
            }
        }
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.method.client_id(),
            self.method.client_secret().expose_secret()
        ));
        let resp = session
            .post(self.method.endpoint())
            .form(&[("grant_type", "client_credentials")])
            .header("Authorization", format!("Basic {basic}"))
            .authenticated(false)
            .log_body(false)
            .send()
            .await?;
        let (token, expires_in) = parse_access_token(resp.bytes())?;
        // Refresh 30 s early (or halfway for short lifetimes); no expires_in: no caching.
        let refresh_at =
            expires_in.map(|e| Instant::now() + e - (e / 2).min(Duration::from_secs(30)));
        *guard = Some(CachedBearer {
            token: token.clone(),
            refresh_at,
        });
        Ok(token)
    }
}
auth_setters!(OAuth2ClientCredential);

#[async_trait]
impl Authenticator for OAuth2ClientCredential {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        self.auth.authenticate(session).await
    }

    fn auth_url(&self) -> &str {
        self.auth.auth_url()
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        self.auth.cache_id_elements()
    }

    async fn headers_for(&self, session: &Session, access: &AccessInfo) -> Result<HeaderMap> {
        let mut headers = token_headers(access.auth_token())?;
        let bearer = self.access_token(session).await?;
        headers.insert("Authorization", bearer_value(&bearer)?);
        Ok(headers)
    }

    /// Only while the OAuth2 access token is cached and fresh (and not being refreshed).
    fn add_ready_headers(&self, access: &AccessInfo, headers: &mut HeaderMap) -> bool {
        let Ok(guard) = self.bearer.try_lock() else {
            return false;
        };
        let bearer = guard
            .as_ref()
            .filter(|c| c.refresh_at.is_some_and(|t| Instant::now() < t))
            .map(|c| &c.token);
        insert_token_and_bearer(access, bearer, headers)
    }

    fn on_invalidate(&self) {
        if let Ok(mut g) = self.bearer.try_lock() {
            *g = None;
        }
    }
}

/// OAuth 2.0 client credentials with a client certificate (keystoneauth1's
/// `v3.OAuth2mTlsClientCredential`, RFC 8705 `tls_client_auth`).
///
/// Authenticating posts `grant_type=client_credentials&client_id=…` to the OAuth2 endpoint over
/// mutual TLS, then reads the access token's body with `GET /v3/auth/tokens`. Requests carry
/// the access token in `X-Auth-Token` and `Authorization: Bearer`. The client certificate is
/// the plugin's ([`client_cert_pem`](Self::client_cert_pem)) or, if it has none, the
/// session's. The scope arguments are accepted but, as in keystoneauth1, not sent: the token
/// is scoped to the user's default project.
///
/// ```
/// use keystoneauth_identity_v3::OAuth2MtlsClientCredential;
/// let plugin = OAuth2MtlsClientCredential::new(
///     "https://keystone.example/v3",
///     "https://keystone.example/v3/OS-OAUTH2/token",
///     "user-id",
/// )
/// .unwrap()
/// .into_plugin();
/// # let _ = plugin;
/// ```
pub struct OAuth2MtlsClientCredential {
    auth_url: String,
    endpoint: String,
    client_id: String,
    scope: ScopeParams,
    cert: ConnectionParams,
    reauthenticate: bool,
}

impl fmt::Debug for OAuth2MtlsClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2MtlsClientCredential")
            .field("auth_url", &self.auth_url)
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("cert", &self.cert)
            .finish()
    }
}

pub(crate) fn read_cert_files(cert: &Path, key: Option<&Path>) -> Result<ConnectionParams> {
    let cert_pem = std::fs::read(cert).map_err(|e| {
        Error::TlsConfig(format!(
            "cannot read client certificate {}: {e}",
            cert.display()
        ))
    })?;
    let key_pem = key
        .map(|k| {
            std::fs::read_to_string(k)
                .map(SecretString::from)
                .map_err(|e| {
                    Error::TlsConfig(format!("cannot read client key {}: {e}", k.display()))
                })
        })
        .transpose()?;
    Ok(ConnectionParams {
        client_cert_pem: Some(cert_pem),
        client_key_pem: key_pem,
    })
}

impl OAuth2MtlsClientCredential {
    /// The Keystone auth URL, the OAuth2 token endpoint and the client id (the user id).
    pub fn new(
        auth_url: impl Into<String>,
        oauth2_endpoint: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Result<Self> {
        let endpoint = oauth2_endpoint.into();
        check_endpoint(&endpoint)?;
        Ok(OAuth2MtlsClientCredential {
            auth_url: auth_url.into(),
            endpoint,
            client_id: client_id.into(),
            scope: ScopeParams::default(),
            cert: ConnectionParams::default(),
            reauthenticate: true,
        })
    }

    /// The client certificate (PEM chain) and its key (PEM; `None` if in the same PEM).
    pub fn client_cert_pem(mut self, cert_pem: Vec<u8>, key_pem: Option<SecretString>) -> Self {
        self.cert = ConnectionParams {
            client_cert_pem: Some(cert_pem),
            client_key_pem: key_pem,
        };
        self
    }

    /// The client certificate and key from PEM files.
    pub fn client_cert_files(mut self, cert: &Path, key: Option<&Path>) -> Result<Self> {
        self.cert = read_cert_files(cert, key)?;
        Ok(self)
    }

    /// Accepted for parity with keystoneauth1; not sent.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope.into();
        self
    }

    /// Accepted for parity with keystoneauth1; not sent.
    pub fn scope_params(mut self, params: ScopeParams) -> Self {
        self.scope = params;
        self
    }

    /// Refresh the token before it expires (default true).
    pub fn reauthenticate(mut self, on: bool) -> Self {
        self.reauthenticate = on;
        self
    }

    /// The plugin.
    pub fn into_plugin(self) -> IdentityPlugin<OAuth2MtlsClientCredential> {
        let reauth = self.reauthenticate;
        IdentityPlugin::new(self).with_refresh(DEFAULT_REFRESH_WINDOW, reauth)
    }
}

#[async_trait]
impl Authenticator for OAuth2MtlsClientCredential {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        let resp = session
            .post(&self.endpoint)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
            ])
            .connection_params(self.cert.clone())
            .authenticated(false)
            .log_body(false)
            .send()
            .await?;
        let (token, _) = parse_access_token(resp.bytes())?;
        let resp = session
            .get(token_url(&self.auth_url))
            .header("Accept", "application/json")
            .header("X-Auth-Token", token.expose_secret())
            .header("X-Subject-Token", token.expose_secret())
            .connection_params(self.cert.clone())
            .authenticated(false)
            .log_body(false)
            .send()
            .await?;
        parse_token_response(&resp, Some(token))
    }

    fn auth_url(&self) -> &str {
        &self.auth_url
    }

    async fn headers_for(&self, _session: &Session, access: &AccessInfo) -> Result<HeaderMap> {
        let mut headers = token_headers(access.auth_token())?;
        headers.insert("Authorization", bearer_value(access.auth_token())?);
        Ok(headers)
    }

    fn add_ready_headers(&self, access: &AccessInfo, headers: &mut HeaderMap) -> bool {
        insert_token_and_bearer(access, Some(access.auth_token()), headers)
    }

    fn connection_params(&self) -> ConnectionParams {
        self.cert.clone()
    }
}

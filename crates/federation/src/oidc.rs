//! OpenID Connect plugins (keystoneauth1's `identity/v3/oidc.py`).
//!
//! Each flow gets an access token (or id token) from the OpenID provider, then sends it as
//! `Authorization: Bearer` to Keystone's federated auth URL to get an unscoped token; wrap a
//! flow in [`Federated`](crate::Federated) to rescope it.
//!
//! | flow | grant | keystoneauth1 loader |
//! |---|---|---|
//! | [`OidcPassword`] | `password` | `v3oidcpassword` |
//! | [`OidcClientCredentials`] | `client_credentials` | `v3oidcclientcredentials` |
//! | [`OidcAuthorizationCode`] | `authorization_code` | `v3oidcauthcode` |
//! | [`OidcDeviceAuthorization`] | RFC 8628 device code (+ PKCE) | `v3oidcdeviceauthz` |
//! | [`OidcAccessToken`] | none: a token you already have | `v3oidcaccesstoken` |
//!
//! The token endpoint is `access_token_endpoint` if given, else the discovery document's
//! `token_endpoint` (fetched once from `discovery_endpoint`). With a client secret the client
//! authenticates with HTTP Basic, else `client_id` goes in the form. Request bodies are never
//! logged.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Error, OidcError, Response, Result, Session};
use rand::RngCore as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::base::{access_from_response, federated_token_url, CacheIdElements, UnscopedAuth};

/// Grant type of [`OidcPassword`].
pub const GRANT_PASSWORD: &str = "password";
/// Grant type of [`OidcClientCredentials`].
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
/// Grant type of [`OidcAuthorizationCode`].
pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
/// Grant type of [`OidcDeviceAuthorization`].
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Longest a device authorization is waited for, whatever the provider's `expires_in`.
pub const MAX_DEVICE_WAIT: Duration = Duration::from_secs(3600);
/// Longest poll interval accepted from a provider.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(120);

/// Settings shared by the flows that talk to the OpenID provider.
#[derive(Clone)]
struct OidcCommon {
    auth_url: String,
    identity_provider: String,
    protocol: String,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    access_token_type: String,
    scope: String,
    access_token_endpoint: Option<String>,
    discovery_endpoint: Option<String>,
    discovery: Arc<OnceCell<Value>>,
}

impl fmt::Debug for OidcCommon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcCommon")
            .field("auth_url", &self.auth_url)
            .field("identity_provider", &self.identity_provider)
            .field("protocol", &self.protocol)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("access_token_type", &self.access_token_type)
            .field("scope", &self.scope)
            .field("access_token_endpoint", &self.access_token_endpoint)
            .field("discovery_endpoint", &self.discovery_endpoint)
            .finish()
    }
}

type Form = Vec<(String, String)>;

fn push(form: &mut Form, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        form.push((key.to_owned(), v.to_owned()));
    }
}

impl OidcCommon {
    fn new(auth_url: String, identity_provider: String, protocol: String) -> Self {
        OidcCommon {
            auth_url,
            identity_provider,
            protocol,
            client_id: None,
            client_secret: None,
            access_token_type: "access_token".into(),
            scope: "openid profile".into(),
            access_token_endpoint: None,
            discovery_endpoint: None,
            discovery: Arc::new(OnceCell::new()),
        }
    }

    fn cache_id_elements(&self) -> CacheIdElements {
        vec![
            ("auth_url".into(), Some(self.auth_url.clone())),
            (
                "identity_provider".into(),
                Some(self.identity_provider.clone()),
            ),
            ("protocol".into(), Some(self.protocol.clone())),
            ("client_id".into(), self.client_id.clone()),
            (
                "client_secret".into(),
                self.client_secret
                    .as_ref()
                    .map(|s| s.expose_secret().to_owned()),
            ),
        ]
    }

    /// The discovery document (`{}` without a discovery endpoint), fetched once.
    async fn discovery(&self, session: &Session) -> Result<Value> {
        let Some(url) = self.discovery_endpoint.as_deref() else {
            return Ok(Value::Object(Default::default()));
        };
        let doc = self
            .discovery
            .get_or_try_init(|| async {
                let resp = session
                    .get(url)
                    .header("Accept", "application/json")
                    .authenticated(false)
                    .send()
                    .await
                    .inspect_err(|e| {
                        tracing::error!(
                            target: "keystoneauth::federation",
                            "Cannot fetch discovery document {url}: {e}"
                        )
                    })?;
                match serde_json::from_slice::<Value>(resp.bytes()) {
                    Ok(v) if v.as_object().is_some_and(|o| !o.is_empty()) => Ok(v),
                    Ok(_) => Err(Error::Oidc(OidcError::InvalidDiscoveryDocument(
                        "the document is empty or not an object".into(),
                    ))),
                    Err(e) => Err(Error::Oidc(OidcError::InvalidDiscoveryDocument(
                        e.to_string(),
                    ))),
                }
            })
            .await?;
        Ok(doc.clone())
    }

    async fn token_endpoint(&self, session: &Session) -> Result<String> {
        if let Some(e) = &self.access_token_endpoint {
            return Ok(e.clone());
        }
        self.discovery(session)
            .await?
            .get("token_endpoint")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(Error::Oidc(OidcError::AccessTokenEndpointNotFound))
    }

    /// `OidcError::PluginNotSupported` if the provider lists its grants and not this one.
    async fn check_grant(&self, session: &Session, grant: &str) -> Result<()> {
        let doc = self.discovery(session).await?;
        if let Some(grants) = doc.get("grant_types_supported").and_then(Value::as_array) {
            if !grants.iter().any(|g| g.as_str() == Some(grant)) {
                return Err(Error::Oidc(OidcError::PluginNotSupported(grant.into())));
            }
        }
        Ok(())
    }

    /// POST a form to the provider, with HTTP Basic client authentication when there is a
    /// secret.
    async fn post_form(&self, session: &Session, url: &str, form: &Form) -> Result<Response> {
        let mut req = session.post(url);
        if let Some(secret) = &self.client_secret {
            let creds = format!(
                "{}:{}",
                self.client_id.as_deref().unwrap_or(""),
                secret.expose_secret()
            );
            req = req.header("Authorization", format!("Basic {}", STANDARD.encode(creds)));
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        req.form(&pairs)
            .header("Accept", "application/json")
            .authenticated(false)
            .log_body(false)
            .raise_exc(false)
            .send()
            .await
    }

    /// Read `access_token_type` from a successful token response.
    fn token_from(&self, resp: &Response) -> Result<SecretString> {
        if !resp.is_success() {
            return Err(provider_error(resp));
        }
        let v: Value = serde_json::from_slice(resp.bytes()).map_err(|_| {
            Error::InvalidResponse("the identity provider's token response is not JSON".into())
        })?;
        v.get(&self.access_token_type)
            .and_then(Value::as_str)
            .map(|t| SecretString::from(t.to_owned()))
            .ok_or_else(|| {
                Error::InvalidResponse(format!(
                    "the identity provider's token response has no {:?}",
                    self.access_token_type
                ))
            })
    }

    /// Run a grant: check it is supported, POST the payload, read the token.
    async fn grant(&self, session: &Session, grant: &str, mut form: Form) -> Result<SecretString> {
        self.check_grant(session, grant).await?;
        let endpoint = self.token_endpoint(session).await?;
        form.push(("grant_type".into(), grant.into()));
        if self.client_secret.is_none() {
            push(&mut form, "client_id", self.client_id.as_deref());
        }
        let resp = self.post_form(session, &endpoint, &form).await?;
        self.token_from(&resp)
    }

    fn federated_token_url(&self) -> String {
        federated_token_url(&self.auth_url, &self.identity_provider, &self.protocol)
    }
}

/// Exchange a provider token for an unscoped Keystone token.
async fn keystone_token(
    session: &Session,
    federated_url: &str,
    token: &SecretString,
) -> Result<AccessInfo> {
    let resp = session
        .post(federated_url)
        .header("Authorization", format!("Bearer {}", token.expose_secret()))
        .header("Accept", "application/json")
        .authenticated(false)
        .send()
        .await?;
    access_from_response(&resp)
}

/// The error an OpenID provider answered with: its OAuth 2.0 `error` and `error_description`
/// or, for a non-JSON page, the reason phrase and the page's text.
fn provider_error(resp: &Response) -> Error {
    let status = resp.status().as_u16();
    let body = String::from_utf8_lossy(resp.bytes());
    let json: Option<Value> = serde_json::from_slice(resp.bytes()).ok();
    let (error, description) = match json
        .as_ref()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(|e| (v, e)))
    {
        Some((v, e)) => (
            e.to_owned(),
            v.get("error_description")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| shorten(&body)),
        ),
        None => (
            resp.status()
                .canonical_reason()
                .unwrap_or("HTTP error")
                .to_owned(),
            shorten(&strip_tags(&body)),
        ),
    };
    Error::Oidc(OidcError::Provider {
        error,
        description,
        status,
    })
}

fn shorten(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s
    }
}

/// Text of an HTML page: tags, scripts and styles dropped.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(4096));
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push(' ');
        let after = &rest[i..];
        let lower: String = after
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let close = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        match after.to_ascii_lowercase().find(close) {
            Some(j) => rest = &after[j + close.len()..],
            None => {
                rest = "";
                break;
            }
        }
        if out.len() > 8192 {
            break;
        }
    }
    out.push_str(rest);
    out
}

macro_rules! common_setters {
    ($t:ty) => {
        impl $t {
            /// Client secret: the client authenticates with HTTP Basic.
            pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
                self.common.client_secret = Some(SecretString::from(secret.into()));
                self
            }
            /// Which token of the provider's answer to send to Keystone: `access_token`
            /// (default) or `id_token`.
            pub fn access_token_type(mut self, t: impl Into<String>) -> Self {
                self.common.access_token_type = t.into();
                self
            }
            /// The OpenID Connect scope to ask for (default `openid profile`).
            pub fn openid_scope(mut self, scope: impl Into<String>) -> Self {
                self.common.scope = scope.into();
                self
            }
            /// The provider's token endpoint (wins over discovery).
            pub fn access_token_endpoint(mut self, url: impl Into<String>) -> Self {
                self.common.access_token_endpoint = Some(url.into());
                self
            }
            /// The provider's `.well-known/openid-configuration` URL.
            pub fn discovery_endpoint(mut self, url: impl Into<String>) -> Self {
                self.common.discovery_endpoint = Some(url.into());
                self
            }
            /// The federated auth URL on Keystone this flow posts the token to.
            pub fn federated_token_url(&self) -> String {
                self.common.federated_token_url()
            }
        }
    };
}

fn common(
    auth_url: impl Into<String>,
    identity_provider: impl Into<String>,
    protocol: impl Into<String>,
    client_id: impl Into<String>,
) -> OidcCommon {
    let mut c = OidcCommon::new(auth_url.into(), identity_provider.into(), protocol.into());
    c.client_id = Some(client_id.into()).filter(|c: &String| !c.is_empty());
    c
}

/// Where [`OidcPassword`] gets the one-time password for `idp_otp_key`.
#[derive(Clone)]
pub enum OtpSource {
    /// A fixed value.
    Value(SecretString),
    /// A callback asked at every authentication (e.g. a terminal prompt in a CLI).
    Prompt(Arc<dyn Fn() -> Result<SecretString> + Send + Sync>),
}

impl fmt::Debug for OtpSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OtpSource::Value(_) => f.write_str("Value(***)"),
            OtpSource::Prompt(_) => f.write_str("Prompt(..)"),
        }
    }
}

/// Resource owner password grant (`v3oidcpassword`).
///
/// ```
/// use keystoneauth_federation::oidc::OidcPassword;
/// let flow = OidcPassword::new("https://ks/v3", "idp", "openid", "cid", "alice", "pw")
///     .client_secret("csec")
///     .access_token_endpoint("https://op/token");
/// assert_eq!(flow.federated_token_url(),
///     "https://ks/v3/OS-FEDERATION/identity_providers/idp/protocols/openid/auth");
/// ```
#[derive(Clone)]
pub struct OidcPassword {
    common: OidcCommon,
    username: String,
    password: SecretString,
    otp_key: Option<String>,
    otp: Option<OtpSource>,
}

impl fmt::Debug for OidcPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcPassword")
            .field("common", &self.common)
            .field("username", &self.username)
            .field("password", &"***")
            .field("idp_otp_key", &self.otp_key)
            .field("otp", &self.otp)
            .finish()
    }
}

common_setters!(OidcPassword);

impl OidcPassword {
    /// A password flow; an empty `client_id` sends none.
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
        client_id: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        OidcPassword {
            common: common(auth_url, identity_provider, protocol, client_id),
            username: username.into(),
            password: SecretString::from(password.into()),
            otp_key: None,
            otp: None,
        }
    }

    /// Send a one-time password under this form key (keystoneauth1's `idp_otp_key`). The value
    /// comes from [`otp`](Self::otp); authentication fails if none was given.
    pub fn idp_otp_key(mut self, key: impl Into<String>) -> Self {
        self.otp_key = Some(key.into()).filter(|k: &String| !k.is_empty());
        self
    }

    /// Where the one-time password comes from.
    pub fn otp(mut self, source: OtpSource) -> Self {
        self.otp = Some(source);
        self
    }

    fn payload(&self) -> Result<Form> {
        let mut form = vec![
            ("username".to_owned(), self.username.clone()),
            (
                "password".to_owned(),
                self.password.expose_secret().to_owned(),
            ),
            ("scope".to_owned(), self.common.scope.clone()),
        ];
        if let Some(key) = &self.otp_key {
            let otp = match &self.otp {
                Some(OtpSource::Value(v)) => v.clone(),
                Some(OtpSource::Prompt(f)) => f()?,
                None => {
                    return Err(Error::AuthorizationFailure(format!(
                        "idp_otp_key {key:?} is set but no one-time password source was given"
                    )))
                }
            };
            form.push((key.clone(), otp.expose_secret().to_owned()));
        }
        Ok(form)
    }
}

#[async_trait]
impl UnscopedAuth for OidcPassword {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        let form = self.payload()?;
        let token = self.common.grant(session, GRANT_PASSWORD, form).await?;
        keystone_token(session, &self.common.federated_token_url(), &token).await
    }
    fn auth_url(&self) -> &str {
        &self.common.auth_url
    }
    fn unscoped_cache_id_elements(&self) -> Option<CacheIdElements> {
        let mut e = self.common.cache_id_elements();
        e.push(("username".into(), Some(self.username.clone())));
        e.push((
            "password".into(),
            Some(self.password.expose_secret().to_owned()),
        ));
        Some(e)
    }
}

/// Client credentials grant (`v3oidcclientcredentials`).
#[derive(Clone, Debug)]
pub struct OidcClientCredentials {
    common: OidcCommon,
}

common_setters!(OidcClientCredentials);

impl OidcClientCredentials {
    /// A client credentials flow (set a [`client_secret`](Self::client_secret)).
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        OidcClientCredentials {
            common: common(auth_url, identity_provider, protocol, client_id),
        }
    }
}

#[async_trait]
impl UnscopedAuth for OidcClientCredentials {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        let form = vec![("scope".to_owned(), self.common.scope.clone())];
        let token = self
            .common
            .grant(session, GRANT_CLIENT_CREDENTIALS, form)
            .await?;
        keystone_token(session, &self.common.federated_token_url(), &token).await
    }
    fn auth_url(&self) -> &str {
        &self.common.auth_url
    }
    fn unscoped_cache_id_elements(&self) -> Option<CacheIdElements> {
        Some(self.common.cache_id_elements())
    }
}

/// Authorization code grant (`v3oidcauthcode`): exchange a code you obtained in a browser.
/// As keystoneauth1, no PKCE verifier is sent.
#[derive(Clone)]
pub struct OidcAuthorizationCode {
    common: OidcCommon,
    code: SecretString,
    redirect_uri: Option<String>,
}

impl fmt::Debug for OidcAuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcAuthorizationCode")
            .field("common", &self.common)
            .field("code", &"***")
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

common_setters!(OidcAuthorizationCode);

impl OidcAuthorizationCode {
    /// An authorization code flow.
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
        client_id: impl Into<String>,
        code: impl Into<String>,
    ) -> Self {
        OidcAuthorizationCode {
            common: common(auth_url, identity_provider, protocol, client_id),
            code: SecretString::from(code.into()),
            redirect_uri: None,
        }
    }

    /// The redirect URI the code was issued for.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into()).filter(|u: &String| !u.is_empty());
        self
    }
}

#[async_trait]
impl UnscopedAuth for OidcAuthorizationCode {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        let mut form = Form::new();
        push(&mut form, "redirect_uri", self.redirect_uri.as_deref());
        form.push(("code".into(), self.code.expose_secret().to_owned()));
        let token = self
            .common
            .grant(session, GRANT_AUTHORIZATION_CODE, form)
            .await?;
        keystone_token(session, &self.common.federated_token_url(), &token).await
    }
    fn auth_url(&self) -> &str {
        &self.common.auth_url
    }
    fn unscoped_cache_id_elements(&self) -> Option<CacheIdElements> {
        Some(self.common.cache_id_elements())
    }
}

/// An access token you already have (`v3oidcaccesstoken`): sent straight to Keystone.
///
/// ```
/// use keystoneauth_federation::{Federated, Scope, oidc::OidcAccessToken};
/// let auth = Federated::new(
///     OidcAccessToken::new("https://ks/v3", "idp", "openid", "eyJ..."),
///     Scope::ProjectId("p1".into()),
/// );
/// assert!(auth.unscoped_cache_id().is_some());
/// ```
#[derive(Clone)]
pub struct OidcAccessToken {
    auth_url: String,
    identity_provider: String,
    protocol: String,
    access_token: SecretString,
}

impl fmt::Debug for OidcAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcAccessToken")
            .field("auth_url", &self.auth_url)
            .field("identity_provider", &self.identity_provider)
            .field("protocol", &self.protocol)
            .field("access_token", &"***")
            .finish()
    }
}

impl OidcAccessToken {
    /// A flow for an existing access token.
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
        access_token: impl Into<String>,
    ) -> Self {
        OidcAccessToken {
            auth_url: auth_url.into(),
            identity_provider: identity_provider.into(),
            protocol: protocol.into(),
            access_token: SecretString::from(access_token.into()),
        }
    }
}

#[async_trait]
impl UnscopedAuth for OidcAccessToken {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        let url = federated_token_url(&self.auth_url, &self.identity_provider, &self.protocol);
        keystone_token(session, &url, &self.access_token).await
    }
    fn auth_url(&self) -> &str {
        &self.auth_url
    }
    fn unscoped_cache_id_elements(&self) -> Option<CacheIdElements> {
        // keystoneauth1 passes empty client id and secret, which count in the hash.
        Some(vec![
            ("auth_url".into(), Some(self.auth_url.clone())),
            (
                "identity_provider".into(),
                Some(self.identity_provider.clone()),
            ),
            ("protocol".into(), Some(self.protocol.clone())),
            ("client_id".into(), Some(String::new())),
            ("client_secret".into(), Some(String::new())),
            (
                "access_token".into(),
                Some(self.access_token.expose_secret().to_owned()),
            ),
        ])
    }
}

/// What the user must do to approve a device authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCode {
    /// The code to enter.
    pub user_code: String,
    /// Where to enter it.
    pub verification_uri: String,
    /// A URI that carries the code, if the provider gave one.
    pub verification_uri_complete: Option<String>,
    /// How long the code is valid.
    pub expires_in: Duration,
}

/// Shows a [`DeviceCode`] to the user.
pub type DevicePrompt = Arc<dyn Fn(&DeviceCode) + Send + Sync>;

fn default_prompt(code: &DeviceCode) {
    match &code.verification_uri_complete {
        Some(uri) => tracing::warn!(
            target: "keystoneauth::federation",
            "To authenticate please go to: {uri}"
        ),
        None => tracing::warn!(
            target: "keystoneauth::federation",
            "To authenticate please go to {} and enter the code {}",
            code.verification_uri,
            code.user_code
        ),
    }
}

/// PKCE (RFC 7636): a verifier of 42 random bytes, and its challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pkce {
    /// `S256` or `plain`.
    pub method: String,
    /// URL-safe base64 of 42 random bytes, no padding (56 characters).
    pub verifier: String,
    /// `S256`: URL-safe base64 of SHA-256(verifier), no padding (43 characters).
    pub challenge: String,
}

impl Pkce {
    /// A fresh verifier and its challenge; `method` is `S256` or `plain`.
    ///
    /// ```
    /// let p = keystoneauth_federation::oidc::Pkce::new("S256").unwrap();
    /// assert_eq!((p.verifier.len(), p.challenge.len()), (56, 43));
    /// ```
    pub fn new(method: &str) -> Result<Self> {
        let mut bytes = [0u8; 42];
        rand::thread_rng().fill_bytes(&mut bytes);
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = match method {
            "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            "plain" => verifier.clone(),
            other => {
                return Err(Error::Oidc(OidcError::InvalidCodeChallengeMethod(
                    other.into(),
                )))
            }
        };
        Ok(Pkce {
            method: method.into(),
            verifier,
            challenge,
        })
    }
}

/// Device authorization grant, RFC 8628 (`v3oidcdeviceauthz`).
///
/// Shows the user code through a callback (default: a `tracing` warning), then polls the token
/// endpoint at the provider's `interval`, handling `authorization_pending` and `slow_down`
/// (+5 s), until the code expires ([`OidcError::DeviceAuthorizationTimeOut`]).
///
/// ```
/// use keystoneauth_federation::oidc::OidcDeviceAuthorization;
/// let flow = OidcDeviceAuthorization::new("https://ks/v3", "idp", "openid", "cid")
///     .discovery_endpoint("https://op/.well-known/openid-configuration")
///     .code_challenge_method("S256")
///     .prompt(|c| println!("Open {} and enter {}", c.verification_uri, c.user_code));
/// ```
#[derive(Clone)]
pub struct OidcDeviceAuthorization {
    common: OidcCommon,
    device_authorization_endpoint: Option<String>,
    code_challenge_method: Option<String>,
    prompt: DevicePrompt,
}

impl fmt::Debug for OidcDeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcDeviceAuthorization")
            .field("common", &self.common)
            .field(
                "device_authorization_endpoint",
                &self.device_authorization_endpoint,
            )
            .field("code_challenge_method", &self.code_challenge_method)
            .finish_non_exhaustive()
    }
}

common_setters!(OidcDeviceAuthorization);

struct DeviceGrant {
    device_code: SecretString,
    verifier: Option<String>,
    interval: Duration,
    expires_in: Duration,
}

impl OidcDeviceAuthorization {
    /// A device authorization flow.
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        OidcDeviceAuthorization {
            common: common(auth_url, identity_provider, protocol, client_id),
            device_authorization_endpoint: None,
            code_challenge_method: None,
            prompt: Arc::new(default_prompt),
        }
    }

    /// The provider's device authorization endpoint (wins over discovery).
    pub fn device_authorization_endpoint(mut self, url: impl Into<String>) -> Self {
        self.device_authorization_endpoint = Some(url.into());
        self
    }

    /// Use PKCE with this method (`S256` or `plain`); none by default, as keystoneauth1.
    pub fn code_challenge_method(mut self, method: impl Into<String>) -> Self {
        self.code_challenge_method = Some(method.into()).filter(|m: &String| !m.is_empty());
        self
    }

    /// How to show the user code.
    pub fn prompt(mut self, f: impl Fn(&DeviceCode) + Send + Sync + 'static) -> Self {
        self.prompt = Arc::new(f);
        self
    }

    async fn device_endpoint(&self, session: &Session) -> Result<String> {
        if let Some(e) = &self.device_authorization_endpoint {
            return Ok(e.clone());
        }
        self.common
            .discovery(session)
            .await?
            .get("device_authorization_endpoint")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(Error::Oidc(OidcError::DeviceAuthorizationEndpointNotFound))
    }

    async fn authorize_device(&self, session: &Session) -> Result<DeviceGrant> {
        let pkce = self
            .code_challenge_method
            .as_deref()
            .map(Pkce::new)
            .transpose()?;
        let endpoint = self.device_endpoint(session).await?;
        let mut form = vec![("scope".to_owned(), self.common.scope.clone())];
        if let Some(p) = &pkce {
            form.push(("code_challenge_method".into(), p.method.clone()));
            form.push(("code_challenge".into(), p.challenge.clone()));
        }
        // client_id first, as keystoneauth1 (and always: EntraID wants it).
        if let Some(id) = &self.common.client_id {
            form.insert(0, ("client_id".into(), id.clone()));
        }
        let resp = self.common.post_form(session, &endpoint, &form).await?;
        if !resp.is_success() {
            return Err(provider_error(&resp));
        }
        let (code, device_code, interval) = parse_device_authorization(resp.bytes())?;
        (self.prompt)(&code);
        Ok(DeviceGrant {
            device_code,
            verifier: pkce.map(|p| p.verifier),
            interval,
            expires_in: code.expires_in,
        })
    }

    async fn poll(&self, session: &Session, grant: DeviceGrant) -> Result<SecretString> {
        let endpoint = self.common.token_endpoint(session).await?;
        let deadline = tokio::time::Instant::now() + grant.expires_in;
        let mut interval = grant.interval;
        let mut form = vec![(
            "device_code".to_owned(),
            grant.device_code.expose_secret().to_owned(),
        )];
        push(&mut form, "code_verifier", grant.verifier.as_deref());
        form.push(("grant_type".into(), GRANT_DEVICE_CODE.into()));
        push(&mut form, "client_id", self.common.client_id.as_deref());
        loop {
            let resp = self.common.post_form(session, &endpoint, &form).await?;
            if resp.is_success() {
                return self.common.token_from(&resp);
            }
            let err = provider_error(&resp);
            match &err {
                Error::Oidc(OidcError::Provider { error, .. })
                    if error == "authorization_pending" => {}
                Error::Oidc(OidcError::Provider { error, .. }) if error == "slow_down" => {
                    interval = (interval + Duration::from_secs(5)).min(MAX_POLL_INTERVAL);
                }
                _ => return Err(err),
            }
            if tokio::time::Instant::now() + interval > deadline {
                return Err(Error::Oidc(OidcError::DeviceAuthorizationTimeOut));
            }
            tracing::debug!(
                target: "keystoneauth::federation",
                "device authorization pending; polling again in {}s",
                interval.as_secs()
            );
            tokio::time::sleep(interval).await;
        }
    }
}

/// Read a device authorization response (RFC 8628 section 3.2): what to show the user, the
/// device code, and the polling interval (at least 1 s, at most `MAX_POLL_INTERVAL`).
fn parse_device_authorization(body: &[u8]) -> Result<(DeviceCode, SecretString, Duration)> {
    let v: Value = serde_json::from_slice(body).map_err(|_| {
        Error::InvalidResponse("the device authorization response is not JSON".into())
    })?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let secs = |k: &str| {
        v.get(k).and_then(|x| {
            x.as_u64()
                .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let missing =
        |k: &str| Error::InvalidResponse(format!("the device authorization response has no {k}"));
    let device_code = text("device_code").ok_or_else(|| missing("device_code"))?;
    let code = DeviceCode {
        user_code: text("user_code").ok_or_else(|| missing("user_code"))?,
        verification_uri: text("verification_uri")
            .or_else(|| text("verification_url"))
            .ok_or_else(|| missing("verification_uri"))?,
        verification_uri_complete: text("verification_uri_complete"),
        expires_in: Duration::from_secs(secs("expires_in").unwrap_or(600)).min(MAX_DEVICE_WAIT),
    };
    let interval = Duration::from_secs(secs("interval").unwrap_or(5).max(1)).min(MAX_POLL_INTERVAL);
    Ok((code, SecretString::from(device_code), interval))
}

/// The parsers of provider answers, for the fuzz targets in `fuzz/` (not part of the API).
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// A token endpoint's answer as the plugins read it: the token (`access_token`) of a
    /// success, else the provider's error; either way the text a user would see.
    pub fn token_response(resp: &Response) -> String {
        let common = OidcCommon::new("http://ks/v3".into(), "idp".into(), "openid".into());
        match common.token_from(resp) {
            Ok(t) => format!("token of {} bytes", t.expose_secret().len()),
            Err(e) => e.to_string(),
        }
    }

    /// A device authorization response: the user code and polling interval, or the error.
    pub fn device_authorization(body: &[u8]) -> String {
        match parse_device_authorization(body) {
            Ok((code, _device_code, interval)) => {
                assert!(interval >= Duration::from_secs(1) && interval <= MAX_POLL_INTERVAL);
                assert!(code.expires_in <= MAX_DEVICE_WAIT);
                format!("{} at {}", code.user_code, code.verification_uri)
            }
            Err(e) => e.to_string(),
        }
    }
}

#[async_trait]
impl UnscopedAuth for OidcDeviceAuthorization {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        self.common.check_grant(session, GRANT_DEVICE_CODE).await?;
        let grant = self.authorize_device(session).await?;
        let token = self.poll(session, grant).await?;
        keystone_token(session, &self.common.federated_token_url(), &token).await
    }
    fn auth_url(&self) -> &str {
        &self.common.auth_url
    }
    fn unscoped_cache_id_elements(&self) -> Option<CacheIdElements> {
        Some(self.common.cache_id_elements())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_html() {
        let t = strip_tags("<html><head><style>a{}</style><script>x<y</script></head><body><h1>Bad</h1> request</body></html>");
        assert_eq!(shorten(&t), "Bad request");
    }

    #[test]
    fn pkce_lengths_and_methods() {
        let p = Pkce::new("S256").unwrap();
        assert_eq!(p.verifier.len(), 56);
        assert_eq!(p.challenge.len(), 43);
        assert_eq!(
            p.challenge,
            URL_SAFE_NO_PAD.encode(Sha256::digest(p.verifier.as_bytes()))
        );
        assert!(!p.verifier.contains(['=', '+', '/']));
        let plain = Pkce::new("plain").unwrap();
        assert_eq!(plain.verifier, plain.challenge);
        assert!(matches!(
            Pkce::new("S512"),
            Err(Error::Oidc(OidcError::InvalidCodeChallengeMethod(m))) if m == "S512"
        ));
    }

    #[test]
    fn debug_redacts() {
        let p = OidcPassword::new("u", "i", "p", "c", "alice", "hunter2").client_secret("csec");
        let d = format!("{p:?}");
        assert!(!d.contains("hunter2") && !d.contains("csec"), "{d}");
    }
}

//! The device authorization grant (RFC 8628, `v3oidcdeviceauthz`): ask the provider for a
//! user code, show it, then poll the token endpoint until the user approves.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Error, Result, Session};
use serde_json::Value;

use super::client::{common, common_setters, keystone_token, push, OidcCommon};
use super::error::provider_error;
use super::pkce::Pkce;
use super::{OidcError, GRANT_DEVICE_CODE};
use crate::base::{CacheIdElements, UnscopedAuth};

/// Longest a device authorization is waited for, whatever the provider's `expires_in`.
pub const MAX_DEVICE_WAIT: Duration = Duration::from_secs(3600);
/// Longest poll interval accepted from a provider.
pub(super) const MAX_POLL_INTERVAL: Duration = Duration::from_secs(120);

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
            .ok_or(Error::from(OidcError::DeviceAuthorizationEndpointNotFound))
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
            match err.plugin_error::<OidcError>() {
                Some(OidcError::Provider { error, .. }) if error == "authorization_pending" => {}
                Some(OidcError::Provider { error, .. }) if error == "slow_down" => {
                    interval = (interval + Duration::from_secs(5)).min(MAX_POLL_INTERVAL);
                }
                _ => return Err(err),
            }
            if tokio::time::Instant::now() + interval > deadline {
                return Err(Error::from(OidcError::DeviceAuthorizationTimeOut));
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
pub(super) fn parse_device_authorization(
    body: &[u8],
) -> Result<(DeviceCode, SecretString, Duration)> {
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

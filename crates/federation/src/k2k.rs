//! Keystone-to-Keystone federation (keystoneauth1's `Keystone2Keystone`).
//!
//! The local (identity provider) Keystone wraps a SAML assertion for a service provider in an
//! ECP envelope; the service provider's SAML endpoint consumes it and its Keystone gives an
//! unscoped federated token, which [`Federated`](crate::Federated) then rescopes there.

use std::fmt;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use http::Method;
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AccessInfo, AuthPlugin, EndpointFilter, Error, Result, Session};
use serde_json::json;

use crate::base::{access_from_response, v3_url, UnscopedAuth};

const PAOS_CONTENT_TYPE: &str = "application/vnd.paos+xml";

#[derive(Debug, Clone)]
struct SpUrls {
    /// The SP Keystone's federation auth URL (`…/OS-FEDERATION/…/auth`).
    sp_auth_url: String,
    /// The SP's ECP endpoint (e.g. `…/Shibboleth.sso/SAML2/ECP`).
    sp_url: String,
    /// `sp_auth_url` cut at `/OS-FEDERATION/`: where to rescope.
    auth_url: String,
}

/// A token on a service-provider Keystone, from a token on this one.
///
/// ```no_run
/// # async fn demo(local: std::sync::Arc<dyn keystoneauth_core::AuthPlugin>) -> keystoneauth_core::Result<()> {
/// use std::sync::Arc;
/// use keystoneauth_core::Session;
/// use keystoneauth_federation::{k2k::Keystone2Keystone, Federated, Scope};
/// let remote = Arc::new(Federated::new(
///     Keystone2Keystone::new(local, "sp1"),
///     Scope::ProjectId("remote-project".into()),
/// ));
/// let session = Session::new(remote)?;
/// let _token = session.token().await?;
/// # Ok(()) }
/// ```
pub struct Keystone2Keystone {
    base: Arc<dyn AuthPlugin>,
    service_provider: String,
    urls: OnceLock<SpUrls>,
}

impl fmt::Debug for Keystone2Keystone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keystone2Keystone")
            .field("base", &self.base)
            .field("service_provider", &self.service_provider)
            .field("urls", &self.urls.get())
            .finish()
    }
}

impl Keystone2Keystone {
    /// `base` authenticates to the local Keystone; `service_provider` is the SP's id there.
    pub fn new(base: Arc<dyn AuthPlugin>, service_provider: impl Into<String>) -> Self {
        Keystone2Keystone {
            base,
            service_provider: service_provider.into(),
            urls: OnceLock::new(),
        }
    }

    async fn base_access(&self, session: &Session) -> Result<Arc<AccessInfo>> {
        self.base.access(session).await?.ok_or_else(|| {
            Error::AuthorizationFailure(
                "the base plugin of Keystone2Keystone gives no token information".into(),
            )
        })
    }

    fn sp_urls(&self, access: &AccessInfo) -> Result<SpUrls> {
        if let Some(u) = self.urls.get() {
            return Ok(u.clone());
        }
        let sp = access.service_provider(&self.service_provider)?;
        let missing = || Error::ServiceProviderNotFound(self.service_provider.clone());
        let sp_auth_url = sp.auth_url.clone().ok_or_else(missing)?;
        let sp_url = sp.sp_url.clone().ok_or_else(missing)?;
        let auth_url = match sp_auth_url.find("/OS-FEDERATION/") {
            Some(i) => sp_auth_url[..i].to_owned(),
            None => sp_auth_url.clone(),
        };
        let urls = SpUrls {
            sp_auth_url,
            sp_url,
            auth_url,
        };
        Ok(self.urls.get_or_init(|| urls).clone())
    }

    /// The local Keystone's v3 URL, from the base plugin.
    async fn local_v3(&self, session: &Session) -> Result<String> {
        let filter = EndpointFilter::auth_interface().version("3")?;
        match self.base.endpoint(session, &filter).await {
            Ok(Some(url)) => return Ok(url),
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(target: "keystoneauth::federation", error = %e, "no v3 auth endpoint by discovery")
            }
        }
        let url = self
            .base
            .auth_url()
            .ok_or_else(|| Error::AuthorizationFailure("the base plugin has no auth URL".into()))?;
        Ok(v3_url(&url))
    }

    async fn assertion(&self, session: &Session, access: &AccessInfo) -> Result<String> {
        let url = format!(
            "{}/auth/OS-FEDERATION/saml2/ecp",
            self.local_v3(session).await?.trim_end_matches('/')
        );
        let body = json!({"auth": {
            "identity": {"methods": ["token"], "token": {"id": access.auth_token().expose_secret()}},
            "scope": {"service_provider": {"id": self.service_provider}},
        }});
        let resp = session
            .post(url)
            .header("Accept", "application/json")
            .json(&body)
            .authenticated(false)
            .log_body(false)
            .raise_exc(false)
            .send()
            .await?;
        if !resp.is_success() {
            return Err(Error::AuthorizationFailure(format!(
                "Error while requesting ECP wrapped assertion: response exit code: {}, reason: {}",
                resp.status().as_u16(),
                resp.status().canonical_reason().unwrap_or("")
            )));
        }
        let text = resp.text();
        if text.trim().is_empty() {
            return Err(Error::InvalidResponse(
                "the ECP wrapped assertion is empty".into(),
            ));
        }
        Ok(text)
    }
}

#[async_trait]
impl UnscopedAuth for Keystone2Keystone {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        let access = self.base_access(session).await?;
        let urls = self.sp_urls(&access)?;
        let assertion = self.assertion(session, &access).await?;
        let resp = session
            .post(&urls.sp_url)
            .header("Content-Type", PAOS_CONTENT_TYPE)
            .body(assertion)
            .authenticated(false)
            .log_body(false)
            .redirect(0)
            .raise_exc(false)
            .send()
            .await?;
        let status = resp.status().as_u16();
        let last = if status == 302 || status == 303 {
            session
                .get(&urls.sp_auth_url)
                .header("Content-Type", PAOS_CONTENT_TYPE)
                .authenticated(false)
                .send()
                .await?
        } else if resp.is_success() {
            resp
        } else {
            return Err(resp.to_error(&Method::POST));
        };
        access_from_response(&last)
    }

    fn auth_url(&self) -> &str {
        self.urls.get().map(|u| u.auth_url.as_str()).unwrap_or("")
    }

    async fn rescope_url(&self, session: &Session) -> Result<String> {
        if let Some(u) = self.urls.get() {
            return Ok(u.auth_url.clone());
        }
        let access = self.base_access(session).await?;
        Ok(self.sp_urls(&access)?.auth_url)
    }
}

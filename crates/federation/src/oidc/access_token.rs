//! An access token the caller already has (`v3oidcaccesstoken`): no grant, no provider, the
//! token goes straight to Keystone.

use std::fmt;

use async_trait::async_trait;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Result, Session};

use super::client::keystone_token;
use crate::base::{federated_token_url, CacheIdElements, UnscopedAuth};

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

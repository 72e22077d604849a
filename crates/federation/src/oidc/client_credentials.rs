//! The client credentials grant (`v3oidcclientcredentials`).

use async_trait::async_trait;
use keystoneauth_core::{AccessInfo, Result, Session};

use super::client::{common, common_setters, keystone_token, OidcCommon};
use super::GRANT_CLIENT_CREDENTIALS;
use crate::base::{CacheIdElements, UnscopedAuth};

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

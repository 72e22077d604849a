//! The authorization code grant (`v3oidcauthcode`): a code obtained in a browser, exchanged
//! for a token.

use std::fmt;

use async_trait::async_trait;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Result, Session};

use super::client::{common, common_setters, keystone_token, push, Form, OidcCommon};
use super::GRANT_AUTHORIZATION_CODE;
use crate::base::{CacheIdElements, UnscopedAuth};

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

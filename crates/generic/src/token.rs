//! [`Token`]: token authentication on whichever of Identity v3 and v2.0 the server offers.

use std::fmt;
use std::sync::Arc;

use keystoneauth_core::{async_trait, AccessInfo, Authenticator, IdentityPlugin, Result, Session};
use keystoneauth_identity_v3::{Auth, TokenMethod};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use crate::common::{scope_setters, Common};
use crate::discovery::{discover_and_create, Major};

/// Token authentication on whichever of Identity v3 and v2.0 the server offers: trade a token
/// for another, usually scoped to a project.
pub struct Token {
    pub(crate) common: Common,
    pub(crate) token: SecretString,
    pub(crate) plugin: OnceCell<Arc<dyn Authenticator>>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("common", &self.common)
            .field("token", &"<redacted>")
            .field("plugin", &self.plugin.get())
            .finish()
    }
}

impl Token {
    /// A token plugin.
    pub fn new(auth_url: impl Into<String>, token: impl Into<String>) -> Self {
        Token {
            common: Common::new(auth_url.into()),
            token: SecretString::from(token.into()),
            plugin: OnceCell::new(),
        }
    }

    /// Wrap in an [`IdentityPlugin`] (token cache, catalog, discovery).
    pub fn into_plugin(self) -> IdentityPlugin<Token> {
        Common::into_plugin(self.common.reauthenticate, self)
    }

    /// keystoneauth1's `generic.Token.create_plugin`.
    fn create(&self, major: Major, url: &str) -> Result<Option<Arc<dyn Authenticator>>> {
        let c = &self.common;
        let tok = self.token.expose_secret();
        match major {
            Major::V2 => {
                let mut t = keystoneauth_identity_v2::Token::new(url, tok);
                if let Some(x) = &c.project_id {
                    t = t.tenant_id(x);
                }
                if let Some(x) = &c.project_name {
                    t = t.tenant_name(x);
                }
                if let Some(x) = &c.trust_id {
                    t = t.trust_id(x);
                }
                Ok(Some(Arc::new(t)))
            }
            Major::V3 => {
                let auth = Auth::new(url)
                    .with_method(TokenMethod::new(tok))
                    .scope_params(c.v3_scope())
                    .reauthenticate(c.reauthenticate);
                Ok(Some(Arc::new(auth)))
            }
        }
    }

    async fn plugin(&self, session: &Session) -> Result<&Arc<dyn Authenticator>> {
        self.plugin
            .get_or_try_init(|| {
                discover_and_create(session, &self.common, |m, u| self.create(m, u))
            })
            .await
    }
}

scope_setters!(Token);

#[async_trait]
impl Authenticator for Token {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        self.plugin(session).await?.authenticate(session).await
    }

    fn auth_url(&self) -> &str {
        &self.common.auth_url
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let mut e = self.common.cache_elements();
        e.push(("token".into(), Some(self.token.expose_secret().to_owned())));
        Some(e)
    }
}

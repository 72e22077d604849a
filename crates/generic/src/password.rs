//! [`Password`]: password authentication on whichever of Identity v3 and v2.0 the server
//! offers.

use std::fmt;
use std::sync::Arc;

use keystoneauth_core::{async_trait, AccessInfo, Authenticator, IdentityPlugin, Result, Session};
use keystoneauth_identity_v3::{Auth, PasswordMethod, UserRef};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use crate::common::{non_empty, scope_setters, Common};
use crate::discovery::{discover_and_create, Major};

/// Password authentication on whichever of Identity v3 and v2.0 the server offers.
///
/// The user is named by id, or by name (with a domain on v3: `user_domain_id`,
/// `user_domain_name` or the default domain).
pub struct Password {
    pub(crate) common: Common,
    pub(crate) user: UserRef,
    pub(crate) password: SecretString,
    pub(crate) plugin: OnceCell<Arc<dyn Authenticator>>,
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Password")
            .field("common", &self.common)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("plugin", &self.plugin.get())
            .finish()
    }
}

impl Password {
    /// A password plugin; name the user with [`username`](Self::username) or
    /// [`user_id`](Self::user_id).
    pub fn new(auth_url: impl Into<String>, password: impl Into<String>) -> Self {
        Password {
            common: Common::new(auth_url.into()),
            user: UserRef::default(),
            password: SecretString::from(password.into()),
            plugin: OnceCell::new(),
        }
    }

    /// The user's name.
    pub fn username(mut self, name: impl Into<String>) -> Self {
        self.user.username = non_empty(name);
        self
    }

    /// The user's id.
    pub fn user_id(mut self, id: impl Into<String>) -> Self {
        self.user.user_id = non_empty(id);
        self
    }

    /// The id of the user's domain (implies v3).
    pub fn user_domain_id(mut self, id: impl Into<String>) -> Self {
        self.user.user_domain_id = non_empty(id);
        self
    }

    /// The name of the user's domain (implies v3).
    pub fn user_domain_name(mut self, name: impl Into<String>) -> Self {
        self.user.user_domain_name = non_empty(name);
        self
    }

    /// Wrap in an [`IdentityPlugin`] (token cache, catalog, discovery).
    pub fn into_plugin(self) -> IdentityPlugin<Password> {
        Common::into_plugin(self.common.reauthenticate, self)
    }

    fn eff_user_domain_id(&self) -> Option<String> {
        self.user
            .user_domain_id
            .clone()
            .or_else(|| self.common.default_domain_id.clone())
    }

    fn eff_user_domain_name(&self) -> Option<String> {
        self.user
            .user_domain_name
            .clone()
            .or_else(|| self.common.default_domain_name.clone())
    }

    /// keystoneauth1's `generic.Password.create_plugin`.
    fn create(&self, major: Major, url: &str) -> Result<Option<Arc<dyn Authenticator>>> {
        let c = &self.common;
        let pw = self.password.expose_secret();
        match major {
            Major::V2 => {
                if self.user.user_domain_id.is_some() || self.user.user_domain_name.is_some() {
                    return Ok(None);
                }
                let mut p = match (&self.user.username, &self.user.user_id) {
                    (Some(name), _) => keystoneauth_identity_v2::Password::new(url, name, pw),
                    (None, id) => keystoneauth_identity_v2::Password::with_user_id(
                        url,
                        id.clone().unwrap_or_default(),
                        pw,
                    ),
                };
                if let Some(id) = &self.user.user_id {
                    p = p.user_id(id);
                }
                if let Some(t) = &c.project_id {
                    p = p.tenant_id(t);
                }
                if let Some(t) = &c.project_name {
                    p = p.tenant_name(t);
                }
                if let Some(t) = &c.trust_id {
                    p = p.trust_id(t);
                }
                Ok(Some(Arc::new(p)))
            }
            Major::V3 => {
                let user = UserRef {
                    user_id: self.user.user_id.clone(),
                    username: self.user.username.clone(),
                    user_domain_id: self.eff_user_domain_id(),
                    user_domain_name: self.eff_user_domain_name(),
                };
                let auth = Auth::new(url)
                    .with_method(PasswordMethod::with_user(Some(self.password.clone()), user))
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

scope_setters!(Password);

#[async_trait]
impl Authenticator for Password {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        self.plugin(session).await?.authenticate(session).await
    }

    fn auth_url(&self) -> &str {
        &self.common.auth_url
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let mut e = self.common.cache_elements();
        e.extend([
            ("username".into(), self.user.username.clone()),
            ("user_id".into(), self.user.user_id.clone()),
            (
                "password".into(),
                Some(self.password.expose_secret().to_owned()),
            ),
            ("user_domain_id".into(), self.eff_user_domain_id()),
            ("user_domain_name".into(), self.eff_user_domain_name()),
        ]);
        Some(e)
    }
}

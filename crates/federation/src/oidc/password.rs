//! The resource owner password grant (`v3oidcpassword`), with an optional one-time password.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Error, Result, Session};

use super::client::{common, common_setters, keystone_token, Form, OidcCommon};
use super::GRANT_PASSWORD;
use crate::base::{CacheIdElements, UnscopedAuth};

/// Where [`OidcPassword`] gets the one-time password for `idp_otp_key`.
#[derive(Clone)]
#[non_exhaustive]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let p = OidcPassword::new("u", "i", "p", "c", "alice", "hunter2").client_secret("csec");
        let d = format!("{p:?}");
        assert!(!d.contains("hunter2") && !d.contains("csec"), "{d}");
    }
}

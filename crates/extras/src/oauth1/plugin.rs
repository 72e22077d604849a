//! [`V3OAuth1`]: a Keystone token from OAuth 1.0a access credentials.

use std::fmt;

use async_trait::async_trait;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Authenticator, IdentityPlugin, Result, Session};

use super::{sign, v3_base, SignatureMethod};

/// Get a Keystone token with OAuth 1.0a access credentials (keystoneauth1's `V3OAuth1`).
/// OAuth access is always project scoped (by the project the request token asked for).
pub struct V3OAuth1 {
    auth_url: String,
    consumer_key: String,
    consumer_secret: SecretString,
    access_key: String,
    access_secret: SecretString,
    method: SignatureMethod,
}

impl fmt::Debug for V3OAuth1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V3OAuth1")
            .field("auth_url", &self.auth_url)
            .field("consumer_key", &self.consumer_key)
            .field("access_key", &self.access_key)
            .field("secrets", &"<redacted>")
            .finish()
    }
}

impl V3OAuth1 {
    /// An authenticator; wrap it with [`IdentityPlugin::new`] or use [`V3OAuth1::into_plugin`].
    pub fn new(
        auth_url: impl Into<String>,
        consumer_key: impl Into<String>,
        consumer_secret: SecretString,
        access_key: impl Into<String>,
        access_secret: SecretString,
    ) -> Self {
        V3OAuth1 {
            auth_url: auth_url.into(),
            consumer_key: consumer_key.into(),
            consumer_secret,
            access_key: access_key.into(),
            access_secret,
            method: SignatureMethod::HmacSha1,
        }
    }

    /// Use another signature method.
    pub fn signature_method(mut self, m: SignatureMethod) -> Self {
        self.method = m;
        self
    }

    /// A ready plugin.
    pub fn into_plugin(self) -> IdentityPlugin<V3OAuth1> {
        IdentityPlugin::new(self)
    }

    fn token_url(&self) -> String {
        format!("{}/auth/tokens", v3_base(&self.auth_url))
    }
}

#[async_trait]
impl Authenticator for V3OAuth1 {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        let url = self.token_url();
        let (nonce, timestamp) = sign::nonce_and_timestamp();
        let header = sign::authorization_header(&sign::Request {
            method: "POST",
            url: &url,
            form: &[],
            consumer_key: &self.consumer_key,
            consumer_secret: self.consumer_secret.expose_secret(),
            token: Some(&self.access_key),
            token_secret: self.access_secret.expose_secret(),
            extra_oauth: &[],
            method_kind: self.method,
            timestamp: &timestamp,
            nonce: &nonce,
            realm: None,
            with_version: true,
        })?;
        let body = serde_json::json!({"auth": {"identity": {"methods": ["oauth1"], "oauth1": {}}}});
        let resp = session
            .post(&url)
            .json(&body)
            .header("Accept", "application/json")
            .header("Authorization", header)
            .authenticated(false)
            .log_body(false)
            .send()
            .await?;
        let token = keystoneauth_core::headers::optional_subject_token(&resp)?;
        AccessInfo::from_bytes(resp.bytes().clone(), token)
    }

    fn auth_url(&self) -> &str {
        &self.auth_url
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        Some(vec![
            ("auth_url".into(), Some(self.auth_url.clone())),
            ("oauth1_access_key".into(), Some(self.access_key.clone())),
            (
                "oauth1_access_secret".into(),
                Some(self.access_secret.expose_secret().to_owned()),
            ),
            (
                "oauth1_consumer_key".into(),
                Some(self.consumer_key.clone()),
            ),
            (
                "oauth1_consumer_secret".into(),
                Some(self.consumer_secret.expose_secret().to_owned()),
            ),
        ])
    }
}

//! The OpenID provider client the grants share: settings ([`OidcCommon`]), the discovery
//! document, the token endpoint, form posts with client authentication, and the exchange of a
//! provider token for a Keystone token.

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Error, Response, Result, Session};
use serde_json::Value;
use tokio::sync::OnceCell;

use super::error::provider_error;
use super::OidcError;
use crate::base::{access_from_response, federated_token_url, CacheIdElements};

/// Settings shared by the flows that talk to the OpenID provider.
#[derive(Clone)]
pub(super) struct OidcCommon {
    pub(super) auth_url: String,
    pub(super) identity_provider: String,
    pub(super) protocol: String,
    pub(super) client_id: Option<String>,
    pub(super) client_secret: Option<SecretString>,
    pub(super) access_token_type: String,
    pub(super) scope: String,
    pub(super) access_token_endpoint: Option<String>,
    pub(super) discovery_endpoint: Option<String>,
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

/// A form body, in order.
pub(super) type Form = Vec<(String, String)>;

/// Add `key=value` when there is a value.
pub(super) fn push(form: &mut Form, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        form.push((key.to_owned(), v.to_owned()));
    }
}

impl OidcCommon {
    pub(super) fn new(auth_url: String, identity_provider: String, protocol: String) -> Self {
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

    pub(super) fn cache_id_elements(&self) -> CacheIdElements {
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
    pub(super) async fn discovery(&self, session: &Session) -> Result<Value> {
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
                    Ok(_) => Err(Error::from(OidcError::InvalidDiscoveryDocument(
                        "the document is empty or not an object".into(),
                    ))),
                    Err(e) => Err(Error::from(OidcError::InvalidDiscoveryDocument(
                        e.to_string(),
                    ))),
                }
            })
            .await?;
        Ok(doc.clone())
    }

    pub(super) async fn token_endpoint(&self, session: &Session) -> Result<String> {
        if let Some(e) = &self.access_token_endpoint {
            return Ok(e.clone());
        }
        self.discovery(session)
            .await?
            .get("token_endpoint")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(Error::from(OidcError::AccessTokenEndpointNotFound))
    }

    /// `OidcError::PluginNotSupported` if the provider lists its grants and not this one.
    pub(super) async fn check_grant(&self, session: &Session, grant: &str) -> Result<()> {
        let doc = self.discovery(session).await?;
        if let Some(grants) = doc.get("grant_types_supported").and_then(Value::as_array) {
            if !grants.iter().any(|g| g.as_str() == Some(grant)) {
                return Err(Error::from(OidcError::PluginNotSupported(grant.into())));
            }
        }
        Ok(())
    }

    /// POST a form to the provider, with HTTP Basic client authentication when there is a
    /// secret.
    pub(super) async fn post_form(
        &self,
        session: &Session,
        url: &str,
        form: &Form,
    ) -> Result<Response> {
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
    pub(super) fn token_from(&self, resp: &Response) -> Result<SecretString> {
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
    pub(super) async fn grant(
        &self,
        session: &Session,
        grant: &str,
        mut form: Form,
    ) -> Result<SecretString> {
        self.check_grant(session, grant).await?;
        let endpoint = self.token_endpoint(session).await?;
        form.push(("grant_type".into(), grant.into()));
        if self.client_secret.is_none() {
            push(&mut form, "client_id", self.client_id.as_deref());
        }
        let resp = self.post_form(session, &endpoint, &form).await?;
        self.token_from(&resp)
    }

    pub(super) fn federated_token_url(&self) -> String {
        federated_token_url(&self.auth_url, &self.identity_provider, &self.protocol)
    }
}

/// Exchange a provider token for an unscoped Keystone token.
pub(super) async fn keystone_token(
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

/// The setters of [`OidcCommon`] on a flow with a `common` field.
macro_rules! common_setters {
    ($t:ty) => {
        impl $t {
            /// Client secret: the client authenticates with HTTP Basic.
            pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
                self.common.client_secret = Some(keystoneauth_core::secrecy::SecretString::from(
                    secret.into(),
                ));
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
pub(super) use common_setters;

/// Settings for a flow with a client id (an empty one sends none).
pub(super) fn common(
    auth_url: impl Into<String>,
    identity_provider: impl Into<String>,
    protocol: impl Into<String>,
    client_id: impl Into<String>,
) -> OidcCommon {
    let mut c = OidcCommon::new(auth_url.into(), identity_provider.into(), protocol.into());
    c.client_id = Some(client_id.into()).filter(|c: &String| !c.is_empty());
    c
}

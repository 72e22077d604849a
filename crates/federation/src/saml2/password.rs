//! [`Saml2Password`]: the ECP flow (SP, IdP, back to the SP) and what it sends.

use super::SamlError;
use std::fmt;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::Method;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Error, HttpError, Response, Result, Session};

use super::ecp::{insert_relay_state, parse_idp_response, parse_sp_request};
use super::{PAOS_CONTENT_TYPE, PAOS_HEADER};
use crate::base::{access_from_response, federated_token_url, CacheIdElements, UnscopedAuth};

/// SAML2 ECP with a username and password (keystoneauth1's `v3samlpassword`).
///
/// ```
/// use keystoneauth_federation::{saml2::Saml2Password, Federated, Scope};
/// let auth = Federated::new(
///     Saml2Password::new("https://ks/v3", "samlidp", "saml2",
///                        "https://idp/saml2/idp/SSOService.php", "alice", "pw"),
///     Scope::ProjectId("p1".into()),
/// );
/// # let _ = auth;
/// ```
#[derive(Clone)]
pub struct Saml2Password {
    auth_url: String,
    identity_provider: String,
    protocol: String,
    identity_provider_url: String,
    username: String,
    password: SecretString,
}

impl fmt::Debug for Saml2Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Saml2Password")
            .field("auth_url", &self.auth_url)
            .field("identity_provider", &self.identity_provider)
            .field("protocol", &self.protocol)
            .field("identity_provider_url", &self.identity_provider_url)
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

impl Saml2Password {
    /// An ECP flow: Keystone `auth_url`, the IdP and protocol ids registered in Keystone, the
    /// IdP's ECP (SOAP) endpoint, and the user's credentials there.
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
        identity_provider_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Saml2Password {
            auth_url: auth_url.into(),
            identity_provider: identity_provider.into(),
            protocol: protocol.into(),
            identity_provider_url: identity_provider_url.into(),
            username: username.into(),
            password: SecretString::from(password.into()),
        }
    }

    /// The federated auth URL on Keystone (the SP's protected URL).
    pub fn federated_token_url(&self) -> String {
        federated_token_url(&self.auth_url, &self.identity_provider, &self.protocol)
    }

    fn basic(&self) -> String {
        let creds = format!("{}:{}", self.username, self.password.expose_secret());
        format!("Basic {}", STANDARD.encode(creds))
    }

    async fn ecp(&self, session: &Session) -> Result<AccessInfo> {
        let sp_url = self.federated_token_url();
        let sp_resp = session
            .get(&sp_url)
            .header("Accept", PAOS_CONTENT_TYPE)
            .header("PAOS", PAOS_HEADER)
            .authenticated(false)
            .raise_exc(false)
            .send()
            .await?;
        if !(sp_resp.status().as_u16() == 200 && is_paos(&sp_resp)) {
            // No ECP challenge: an error, or a token already (an SP session cookie).
            if !sp_resp.is_success() {
                return Err(sp_resp.to_error(&Method::GET));
            }
            return access_from_response(&sp_resp);
        }
        let sp_text = utf8(&sp_resp, "Service Provider")?;
        let authn = parse_sp_request(&sp_text)?;

        let idp_resp = session
            .post(&self.identity_provider_url)
            .header("Content-Type", "text/xml")
            .header("Authorization", self.basic())
            .body(authn.envelope_without_header)
            .authenticated(false)
            .log_body(false)
            .send()
            .await?;
        let idp_text = utf8(&idp_resp, "Identity Provider")?;
        let idp = parse_idp_response(&idp_text)?;
        if let Some(status) = idp.failure {
            return Err(Error::Unauthorized(Box::new(
                HttpError::new(
                    401,
                    format!("SAML2: the identity provider refused the authentication: {status}"),
                    self.identity_provider_url.clone(),
                    "POST",
                )
                .details(format!(
                    "HTTP {} with a non-Success SAML status",
                    idp_resp.status().as_u16()
                )),
            )));
        }
        if idp.consumer_url != authn.consumer_url {
            if same_host(&authn.consumer_url, &sp_url) {
                let _ = session
                    .post(&authn.consumer_url)
                    .header("Content-Type", PAOS_CONTENT_TYPE)
                    .body(SOAP_FAULT)
                    .authenticated(false)
                    .raise_exc(false)
                    .redirect(0)
                    .send()
                    .await;
            }
            return Err(SamlError::error(format!(
                "Consumer URLs from Service Provider {} and Identity Provider {} are not equal",
                authn.consumer_url, idp.consumer_url
            )));
        }
        let body = match &authn.relay_state {
            Some(relay) => insert_relay_state(&idp_text, relay)?,
            None => idp_text,
        };
        let consumer = session
            .post(&authn.consumer_url)
            .header("Content-Type", PAOS_CONTENT_TYPE)
            .body(body)
            .authenticated(false)
            .log_body(false)
            .redirect(0)
            .raise_exc(false)
            .send()
            .await?;
        let status = consumer.status().as_u16();
        let last = if status == 302 || status == 303 {
            let location = consumer.header("location").ok_or_else(|| {
                Error::InvalidResponse("SAML2: redirect without a Location".into())
            })?;
            let next = url::Url::parse(&authn.consumer_url)
                .and_then(|u| u.join(location))
                .map_err(|e| Error::InvalidResponse(format!("SAML2: bad redirect: {e}")))?
                .to_string();
            if !same_host(&next, &sp_url) {
                return Err(Error::InvalidResponse(format!(
                    "SAML2: URL {next} is not on the same host as {sp_url}"
                )));
            }
            session
                .get(next)
                .header("Accept", PAOS_CONTENT_TYPE)
                .header("PAOS", PAOS_HEADER)
                .authenticated(false)
                .redirect(0)
                .send()
                .await?
        } else if consumer.is_success() {
            consumer
        } else {
            return Err(consumer.to_error(&Method::POST));
        };
        access_from_response(&last)
    }
}

#[async_trait]
impl UnscopedAuth for Saml2Password {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        self.ecp(session).await
    }
    fn auth_url(&self) -> &str {
        &self.auth_url
    }
    /// keystoneauth1's elements (auth URL, IdP, protocol) plus the IdP URL and credentials, so
    /// two users of one IdP never share an id.
    fn unscoped_cache_id_elements(&self) -> Option<CacheIdElements> {
        Some(vec![
            ("auth_url".into(), Some(self.auth_url.clone())),
            (
                "identity_provider".into(),
                Some(self.identity_provider.clone()),
            ),
            ("protocol".into(), Some(self.protocol.clone())),
            (
                "identity_provider_url".into(),
                Some(self.identity_provider_url.clone()),
            ),
            ("username".into(), Some(self.username.clone())),
            (
                "password".into(),
                Some(self.password.expose_secret().to_owned()),
            ),
        ])
    }
}

const SOAP_FAULT: &str = concat!(
    "<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Body><S:Fault>",
    "<faultcode>S:Server</faultcode><faultstring>responseConsumerURL from SP and ",
    "assertionConsumerServiceURL from IdP do not match</faultstring></S:Fault></S:Body>",
    "</S:Envelope>"
);

fn is_paos(resp: &Response) -> bool {
    resp.header("content-type")
        .and_then(|c| c.split(';').next())
        .is_some_and(|c| c.trim().eq_ignore_ascii_case(PAOS_CONTENT_TYPE))
}

fn utf8(resp: &Response, who: &str) -> Result<String> {
    String::from_utf8(resp.bytes().to_vec()).map_err(|_| {
        Error::InvalidResponse(format!(
            "SAML2: Error parsing XML returned from {who}: not UTF-8"
        ))
    })
}

pub(super) fn same_host(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.host_str().is_some()
                && a.host_str() == b.host_str()
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

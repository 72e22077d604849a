//! [`AdfsPassword`]: the flow (ADFS, then the service provider, then Keystone) and the
//! WS-Trust `RequestSecurityToken` it sends.

use std::fmt;

use async_trait::async_trait;
use http::Method;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Error, Response, Result, Session};
use time::OffsetDateTime;

use super::wstrust::{
    check_xml_chars, fault_subcode, security_token_response, sp_form_body, timestamp, uuid_hex,
    xml_text,
};
use super::{
    ACTION_ISSUE, NS_SOAP12, NS_TRUST_13, NS_WSA, NS_WSP, NS_WSSE, NS_WSU, SOAP_CONTENT_TYPE,
    TOKEN_LIFETIME,
};
use crate::base::{access_from_response, federated_token_url, CacheIdElements, UnscopedAuth};

const PASSWORD_TEXT: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
const NO_COOKIE: &str = "Session object doesn't contain a cookie, therefore you are not allowed \
                         to enter the Identity Provider's protected area.";

/// ADFS 2.0 WS-Trust with a username and password (keystoneauth1's `v3adfspassword`).
///
/// ```
/// use keystoneauth_federation::{adfs::AdfsPassword, Federated, Scope};
/// let flow = AdfsPassword::new(
///     "https://keystone:5000/v3", "adfs", "saml2",
///     "https://adfs.example.com/adfs/services/trust/13/usernamemixed",
///     "https://keystone/Shibboleth.sso/ADFS",
///     "alice@example.com", "pw",
/// )
/// .service_provider_entity_id("https://keystone/shibboleth");
/// let auth = Federated::new(flow, Scope::ProjectId("p1".into()));
/// assert!(!format!("{auth:?}").contains("\"pw\""));
/// ```
#[derive(Clone)]
pub struct AdfsPassword {
    auth_url: String,
    identity_provider: String,
    protocol: String,
    identity_provider_url: String,
    service_provider_endpoint: String,
    service_provider_entity_id: Option<String>,
    username: String,
    password: SecretString,
}

impl fmt::Debug for AdfsPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdfsPassword")
            .field("auth_url", &self.auth_url)
            .field("identity_provider", &self.identity_provider)
            .field("protocol", &self.protocol)
            .field("identity_provider_url", &self.identity_provider_url)
            .field("service_provider_endpoint", &self.service_provider_endpoint)
            .field(
                "service_provider_entity_id",
                &self.service_provider_entity_id,
            )
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

impl AdfsPassword {
    /// An ADFS flow: Keystone `auth_url`, the IdP and protocol ids registered in Keystone, the
    /// ADFS WS-Trust endpoint, the service provider's ADFS endpoint, and the user's
    /// credentials at ADFS.
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
        identity_provider_url: impl Into<String>,
        service_provider_endpoint: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        AdfsPassword {
            auth_url: auth_url.into(),
            identity_provider: identity_provider.into(),
            protocol: protocol.into(),
            identity_provider_url: identity_provider_url.into(),
            service_provider_endpoint: service_provider_endpoint.into(),
            service_provider_entity_id: None,
            username: username.into(),
            password: SecretString::from(password.into()),
        }
    }

    /// The service provider's SAML entity id, sent as `AppliesTo` (default: the service
    /// provider endpoint).
    pub fn service_provider_entity_id(mut self, id: impl Into<String>) -> Self {
        self.service_provider_entity_id = Some(id.into());
        self
    }

    /// The federated auth URL on Keystone.
    pub fn federated_token_url(&self) -> String {
        federated_token_url(&self.auth_url, &self.identity_provider, &self.protocol)
    }

    /// The `AppliesTo` address: the entity id, else the service provider endpoint.
    pub fn applies_to(&self) -> &str {
        self.service_provider_entity_id
            .as_deref()
            .unwrap_or(&self.service_provider_endpoint)
    }

    /// The WS-Trust `RequestSecurityToken` envelope, created at `now`.
    pub(super) fn request_security_token(&self, now: OffsetDateTime) -> Result<String> {
        for (what, value) in [
            ("username", self.username.as_str()),
            ("password", self.password.expose_secret()),
            ("identity provider URL", self.identity_provider_url.as_str()),
            ("service provider entity id", self.applies_to()),
        ] {
            check_xml_chars(what, value)?;
        }
        let created = timestamp(now)?;
        let expires = timestamp(now + TOKEN_LIFETIME)?;
        Ok(format!(
            concat!(
                r#"<s:Envelope xmlns:s="{s}" xmlns:a="{a}" xmlns:u="{u}">"#,
                "<s:Header>",
                r#"<a:Action s:mustUnderstand="1">{action}</a:Action>"#,
                "<a:MessageID>urn:uuid:{message_id}</a:MessageID>",
                "<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>",
                r#"<a:To s:mustUnderstand="1">{to}</a:To>"#,
                r#"<o:Security xmlns:o="{o}" s:mustUnderstand="1">"#,
                r#"<u:Timestamp u:Id="_0"><u:Created>{created}</u:Created><u:Expires>{expires}</u:Expires></u:Timestamp>"#,
                r#"<o:UsernameToken u:u="uuid-{token_id}-1"><o:Username>{username}</o:Username>"#,
                r#"<o:Password Type="{password_text}">{password}</o:Password></o:UsernameToken>"#,
                "</o:Security>",
                "</s:Header>",
                "<s:Body>",
                r#"<trust:RequestSecurityToken xmlns:trust="{trust}">"#,
                r#"<wsp:AppliesTo xmlns:wsp="{wsp}"><wsa:EndpointReference xmlns:wsa="{a}">"#,
                "<wsa:Address>{applies_to}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>",
                "<trust:KeyType>{trust}/Bearer</trust:KeyType>",
                "<trust:RequestType>{trust}/Issue</trust:RequestType>",
                "<trust:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</trust:TokenType>",
                "</trust:RequestSecurityToken>",
                "</s:Body>",
                "</s:Envelope>"
            ),
            s = NS_SOAP12,
            a = NS_WSA,
            u = NS_WSU,
            o = NS_WSSE,
            trust = NS_TRUST_13,
            wsp = NS_WSP,
            action = ACTION_ISSUE,
            message_id = uuid_hex(),
            token_id = uuid_hex(),
            to = xml_text(&self.identity_provider_url),
            created = created,
            expires = expires,
            username = xml_text(&self.username),
            password_text = PASSWORD_TEXT,
            password = xml_text(self.password.expose_secret()),
            applies_to = xml_text(self.applies_to()),
        ))
    }

    /// Steps 1 and 2: the security token from ADFS, as the service provider's form body.
    async fn security_token_form(&self, session: &Session) -> Result<String> {
        let envelope = self.request_security_token(OffsetDateTime::now_utc())?;
        let resp = session
            .post(&self.identity_provider_url)
            .header("Content-Type", SOAP_CONTENT_TYPE)
            .body(envelope)
            .authenticated(false)
            .raise_exc(false)
            .log_body(false)
            .send()
            .await?;
        if resp.status().as_u16() == 500 {
            if let Some(subcode) = fault_subcode(resp.bytes()) {
                return Err(Error::AuthorizationFailure(format!(
                    "the ADFS Identity Provider answered with a SOAP fault: {subcode}"
                )));
            }
        }
        if !resp.is_success() {
            return Err(resp.to_error(&Method::POST));
        }
        let rstr = security_token_response(resp.bytes())?;
        Ok(sp_form_body(&rstr))
    }

    async fn flow(&self, session: &Session) -> Result<AccessInfo> {
        let form = self.security_token_form(session).await?;
        session
            .post(&self.service_provider_endpoint)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form)
            .authenticated(false)
            .log_body(false)
            .redirect(0)
            .send()
            .await?;
        let fed_url = self.federated_token_url();
        let has_cookie = [
            session.has_cookies_for(&self.service_provider_endpoint),
            session.has_cookies_for(&fed_url),
        ];
        // `None`: a client given to the session keeps cookies the session cannot see.
        if has_cookie.iter().all(|c| *c == Some(false)) {
            return Err(Error::AuthorizationFailure(NO_COOKIE.into()));
        }
        let resp: Response = session.get(&fed_url).authenticated(false).send().await?;
        access_from_response(&resp)
    }
}

#[async_trait]
impl UnscopedAuth for AdfsPassword {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        self.flow(session).await
    }
    fn auth_url(&self) -> &str {
        &self.auth_url
    }
    /// keystoneauth1's elements (auth URL, IdP, protocol) plus the ADFS and service provider
    /// endpoints and the credentials, so two users of one IdP never share an id.
    fn unscoped_cache_id_elements(&self) -> Option<CacheIdElements> {
        let s = |v: &str| Some(v.to_owned());
        Some(vec![
            ("auth_url".into(), s(&self.auth_url)),
            ("identity_provider".into(), s(&self.identity_provider)),
            ("protocol".into(), s(&self.protocol)),
            (
                "identity_provider_url".into(),
                s(&self.identity_provider_url),
            ),
            (
                "service_provider_endpoint".into(),
                s(&self.service_provider_endpoint),
            ),
            (
                "service_provider_entity_id".into(),
                self.service_provider_entity_id.clone(),
            ),
            ("username".into(), s(&self.username)),
            ("password".into(), s(self.password.expose_secret())),
        ])
    }
}

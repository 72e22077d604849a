//! ADFS 2.0 with a username and password (keystoneauth1's `v3adfspassword`).
//!
//! 1. `POST` a SOAP 1.2 WS-Trust 1.3 `RequestSecurityToken` (Issue, Bearer, a SAML 1.0
//!    assertion for the service provider) with a WS-Security `UsernameToken` to the ADFS
//!    endpoint (`identity_provider_url`, e.g. `https://adfs/adfs/services/trust/13/usernamemixed`).
//!    A SOAP fault in an HTTP 500 (a wrong password gives `a:FailedAuthentication`) becomes
//!    [`Error::AuthorizationFailure`] with the fault's subcode.
//! 2. Take the one `RequestSecurityTokenResponse` of the answer, rewrite its WS-Trust 1.3
//!    namespace to the WS-Trust 2005/02 one (what Shibboleth's ADFS handler reads) and `POST`
//!    it as `wa=wsignin1.0&wresult=…` to the service provider endpoint (e.g.
//!    `https://keystone/Shibboleth.sso/ADFS`), without following its redirect.
//! 3. The service provider sets its session cookie in the [`Session`]'s cookie jar; with it,
//!    `GET` the federated auth URL on Keystone for the unscoped token.
//!
//! Wrap it in [`Federated`](crate::Federated) to rescope. The XML sent escapes the
//! credentials; the XML received is parsed with limits (no DTD, bounded nesting and size).

use std::fmt;

use async_trait::async_trait;
use http::Method;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Error, Response, Result, Session};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use roxmltree::Node;
use time::OffsetDateTime;

use crate::base::{access_from_response, federated_token_url, CacheIdElements, UnscopedAuth};
use crate::xml::{escape, is, parse_bounded};

/// SOAP 1.2 envelope namespace.
pub const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// WS-Addressing 1.0.
pub const NS_WSA: &str = "http://www.w3.org/2005/08/addressing";
/// WS-Security utility (timestamps, ids).
pub const NS_WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
/// WS-Security extensions (`Security`, `UsernameToken`).
pub const NS_WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// WS-Trust 1.3, the namespace of the request and of ADFS's answer.
pub const NS_TRUST_13: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
/// WS-Trust 2005/02, the namespace the service provider is sent.
pub const NS_TRUST_2005: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust";
/// WS-Policy, for `AppliesTo`.
pub const NS_WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
/// The WS-Addressing action of a token request.
pub const ACTION_ISSUE: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue";
/// The content type of the request to ADFS.
pub const SOAP_CONTENT_TYPE: &str = "application/soap+xml; charset=utf-8";
/// The lifetime asked for the security token (keystoneauth1's
/// `DEFAULT_ADFS_TOKEN_EXPIRATION`).
pub const TOKEN_LIFETIME: time::Duration = time::Duration::seconds(120);

const PASSWORD_TEXT: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
const NO_COOKIE: &str = "Session object doesn't contain a cookie, therefore you are not allowed \
                         to enter the Identity Provider's protected area.";

/// What Python's `urllib.parse.quote` leaves alone: letters, digits, `_.-~` and `/`.
const QUOTE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/');

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
    fn request_security_token(&self, now: OffsetDateTime) -> Result<String> {
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

/// A version 4 UUID as 32 hex digits (Python's `uuid.uuid4().hex`).
fn uuid_hex() -> String {
    let mut v: u128 = rand::random();
    v = (v & !(0xf << 76)) | (0x4 << 76);
    v = (v & !(0x3 << 62)) | (0x2 << 62);
    format!("{v:032x}")
}

/// `%Y-%m-%dT%H:%M:%S.%fZ` in UTC.
fn timestamp(t: OffsetDateTime) -> Result<String> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.format(&fmt)
        .map_err(|e| Error::Runtime(format!("ADFS: cannot format a timestamp: {e}")))
}

/// Characters XML 1.0 cannot carry at all (not even as character references).
fn check_xml_chars(what: &str, value: &str) -> Result<()> {
    let bad = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    if value.chars().any(bad) {
        return Err(Error::OptionError(format!(
            "ADFS: the {what} contains a control character that XML cannot carry"
        )));
    }
    Ok(())
}

/// Text content with quotes escaped too, and carriage returns kept as references (a parser
/// would turn a literal one into a line feed).
fn xml_text(s: &str) -> String {
    escape(s, true).replace('\r', "&#13;")
}

/// The SOAP 1.2 fault subcode of an HTTP 500 body, if it has exactly one.
fn fault_subcode(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let doc = parse_bounded(text).ok()?;
    let root = doc.root_element();
    if !is(&root, NS_SOAP12, "Envelope") {
        return None;
    }
    let values: Vec<Node<'_, '_>> = children(root, NS_SOAP12, "Body")
        .flat_map(|b| children(b, NS_SOAP12, "Fault"))
        .flat_map(|f| children(f, NS_SOAP12, "Code"))
        .flat_map(|c| children(c, NS_SOAP12, "Subcode"))
        .flat_map(|s| children(s, NS_SOAP12, "Value"))
        .collect();
    let [value] = values.as_slice() else {
        return None;
    };
    let text: String = value
        .children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| is(c, ns, name))
}

/// The one `RequestSecurityTokenResponse` of ADFS's answer, serialised with the namespace
/// declarations it inherits, its WS-Trust 1.3 namespace rewritten to WS-Trust 2005/02 (a byte
/// replacement, as keystoneauth1's).
fn security_token_response(body: &[u8]) -> Result<String> {
    Ok(token_response_element(body)?.replace(NS_TRUST_13, NS_TRUST_2005))
}

/// The one `RequestSecurityTokenResponse`, serialised with its inherited namespaces.
fn token_response_element(body: &[u8]) -> Result<String> {
    let parse_error = |reason: &dyn fmt::Display| {
        Error::AuthorizationFailure(format!(
            "Error parsing XML returned from the ADFS Identity Provider, reason: {reason}"
        ))
    };
    let text = std::str::from_utf8(body).map_err(|e| parse_error(&e))?;
    let doc = parse_bounded(text).map_err(|e| parse_error(&e))?;
    let root = doc.root_element();
    let found: Vec<Node<'_, '_>> = if is(&root, NS_SOAP12, "Envelope") {
        children(root, NS_SOAP12, "Body")
            .flat_map(|b| children(b, NS_TRUST_13, "RequestSecurityTokenResponseCollection"))
            .flat_map(|c| children(c, NS_TRUST_13, "RequestSecurityTokenResponse"))
            .collect()
    } else {
        Vec::new()
    };
    let [rstr] = found.as_slice() else {
        return Err(Error::InvalidResponse(format!(
            "ADFS: the Identity Provider's answer has {} RequestSecurityTokenResponse \
             elements under s:Envelope/s:Body/t:RequestSecurityTokenResponseCollection \
             (want exactly 1)",
            found.len()
        )));
    };
    with_inherited_namespaces(text, *rstr)
}

/// The element's source text, with the namespace declarations of its ancestors it does not
/// declare itself added to its start tag (as lxml serialises a sub-element).
fn with_inherited_namespaces(text: &str, node: Node<'_, '_>) -> Result<String> {
    let range = node.range();
    let source = &text[range];
    let tag_end = start_tag_end(source)
        .ok_or_else(|| Error::InvalidResponse("ADFS: cannot find the end of a start tag".into()))?;
    let start_tag = &source[..tag_end];
    let declared = declared_prefixes(start_tag);
    let name_end = start_tag
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_whitespace() || *c == '>' || *c == '/')
        .map(|(i, _)| i)
        .unwrap_or(tag_end);
    let mut extra = String::new();
    for ns in node.namespaces() {
        let prefix = ns.name();
        if prefix == Some("xml") || declared.iter().any(|d| d.as_deref() == prefix) {
            continue;
        }
        match prefix {
            Some(p) => extra.push_str(&format!(" xmlns:{p}=\"{}\"", escape(ns.uri(), true))),
            None => extra.push_str(&format!(" xmlns=\"{}\"", escape(ns.uri(), true))),
        }
    }
    Ok(format!(
        "{}{extra}{}",
        &source[..name_end],
        &source[name_end..]
    ))
}

/// The byte index just past the `>` of the start tag at the beginning of `s`.
fn start_tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The prefixes a start tag declares (`None`: the default namespace).
fn declared_prefixes(start_tag: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut quote = None;
    // The name being read, and the last complete one (`name = "v"` has spaces around `=`).
    let (mut word, mut last) = (String::new(), String::new());
    for c in start_tag.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => {
                quote = Some(c);
                word.clear();
                last.clear();
            }
            (None, '=') => {
                let name = if word.is_empty() { &last } else { &word };
                if name == "xmlns" {
                    out.push(None);
                } else if let Some(p) = name.strip_prefix("xmlns:") {
                    out.push(Some(p.to_owned()));
                }
                word.clear();
                last.clear();
            }
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    last = std::mem::take(&mut word);
                }
            }
            (None, c) => word.push(c),
        }
    }
    out
}

/// `wa=wsignin1.0&wresult=` and the percent-quoted token response.
fn sp_form_body(rstr: &str) -> String {
    format!("wa=wsignin1.0&wresult={}", utf8_percent_encode(rstr, QUOTE))
}

/// The parsers, for fuzz targets and tests (not part of the API).
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// ADFS's answer: the service provider's form body, or the error. The token response
    /// taken out of the answer must parse on its own, as the same element.
    pub fn security_token_response(body: &[u8]) -> String {
        if let Ok(element) = super::token_response_element(body) {
            let doc = parse_bounded(&element)
                .unwrap_or_else(|e| panic!("the serialised response does not parse: {e}"));
            assert!(is(
                &doc.root_element(),
                NS_TRUST_13,
                "RequestSecurityTokenResponse"
            ));
        }
        match super::security_token_response(body) {
            Ok(r) => sp_form_body(&r),
            Err(e) => e.to_string(),
        }
    }

    /// The fault subcode of an HTTP 500 body.
    pub fn fault_subcode(body: &[u8]) -> Option<String> {
        super::fault_subcode(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roxmltree::Document;

    fn flow(user: &str, password: &str) -> AdfsPassword {
        AdfsPassword::new(
            "http://ks/v3",
            "adfs",
            "saml2",
            "https://adfs/adfs/services/trust/13/usernamemixed",
            "https://sp/Shibboleth.sso/ADFS",
            user,
            password,
        )
    }

    fn text_of(doc: &Document<'_>, ns: &str, name: &str) -> String {
        doc.descendants()
            .find(|n| is(n, ns, name))
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn credentials_are_escaped_and_round_trip() {
        let user = r#"a<b>&"c'd"#;
        let password = "p&<w>\"'\r\n\tend]]>";
        let env = flow(user, password)
            .request_security_token(OffsetDateTime::UNIX_EPOCH)
            .unwrap();
        let doc = Document::parse(&env).unwrap();
        assert_eq!(text_of(&doc, NS_WSSE, "Username"), user);
        assert_eq!(text_of(&doc, NS_WSSE, "Password"), password);
        assert_eq!(
            text_of(&doc, NS_WSU, "Created"),
            "1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            text_of(&doc, NS_WSU, "Expires"),
            "1970-01-01T00:02:00.000000Z"
        );
        assert_eq!(
            text_of(&doc, NS_WSA, "Address"),
            "http://www.w3.org/2005/08/addressing/anonymous"
        );
    }

    #[test]
    fn control_characters_are_a_typed_error_without_the_value() {
        let e = flow("u", "pa\u{1}ss")
            .request_security_token(OffsetDateTime::UNIX_EPOCH)
            .unwrap_err();
        assert!(
            matches!(&e, Error::OptionError(m) if m.contains("password")),
            "{e}"
        );
        assert!(!e.to_string().contains("pa\u{1}ss"));
    }

    #[test]
    fn message_ids_are_fresh_uuid4() {
        let (a, b) = (uuid_hex(), uuid_hex());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_eq!(&a[12..13], "4");
        assert!(matches!(&a[16..17], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn quote_is_python_quote() {
        assert_eq!(
            sp_form_body("<a x=\"1\">é /~_.-+&</a>"),
            "wa=wsignin1.0&wresult=%3Ca%20x%3D%221%22%3E%C3%A9%20/~_.-%2B%26%3C/a%3E"
        );
    }

    #[test]
    fn the_response_takes_its_ancestors_namespaces() {
        let body = format!(
            r#"<s:Envelope xmlns:s="{NS_SOAP12}" xmlns:t="{NS_TRUST_13}" xmlns="urn:default" xmlns:x="urn:x"><s:Body><t:RequestSecurityTokenResponseCollection><t:RequestSecurityTokenResponse xmlns:x="urn:x" a=">"><t:Lifetime/><x:y/><z/></t:RequestSecurityTokenResponse></t:RequestSecurityTokenResponseCollection></s:Body></s:Envelope>"#
        );
        let out = security_token_response(body.as_bytes()).unwrap();
        let doc = Document::parse(&out).unwrap();
        let root = doc.root_element();
        assert!(
            is(&root, NS_TRUST_2005, "RequestSecurityTokenResponse"),
            "{out}"
        );
        assert!(!out.contains(NS_TRUST_13));
        assert_eq!(root.attribute("a"), Some(">"));
        let names: Vec<_> = root
            .children()
            .map(|c| (c.tag_name().namespace(), c.tag_name().name()))
            .collect();
        assert_eq!(
            names,
            [
                (Some(NS_TRUST_2005), "Lifetime"),
                (Some("urn:x"), "y"),
                (Some("urn:default"), "z")
            ]
        );
        // `x` was declared on the element already: not declared twice.
        assert_eq!(out.matches("xmlns:x=").count(), 1, "{out}");
    }

    #[test]
    fn declared_prefixes_reads_attributes_only() {
        assert_eq!(
            declared_prefixes(r#"<t:R xmlns:t="u" a="xmlns:q=1" xmlns = 'v' b='>'>"#),
            [Some("t".to_owned()), None]
        );
    }

    #[test]
    fn fault_subcode_needs_exactly_one() {
        let fault = |subs: &str| {
            format!(
                r#"<s:Envelope xmlns:s="{NS_SOAP12}" xmlns:a="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value>{subs}</s:Code><s:Reason><s:Text xml:lang="en-US">ID3242</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#
            )
        };
        let one = "<s:Subcode><s:Value>a:FailedAuthentication</s:Value></s:Subcode>";
        assert_eq!(
            fault_subcode(fault(one).as_bytes()).as_deref(),
            Some("a:FailedAuthentication")
        );
        assert_eq!(fault_subcode(fault("").as_bytes()), None);
        assert_eq!(fault_subcode(fault(&one.repeat(2)).as_bytes()), None);
        assert_eq!(fault_subcode(b"<html>oops</html>"), None);
        assert_eq!(fault_subcode(b"\xff\xfe"), None);
    }

    #[test]
    fn hostile_xml_is_an_error_not_a_panic() {
        let deep = "<a>".repeat(200_000);
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">&e;</s:Envelope>"#;
        for input in [deep.as_str(), xxe, "", "<", "\u{feff}<a b='1' b='2'/>"] {
            assert!(matches!(
                security_token_response(input.as_bytes()),
                Err(Error::AuthorizationFailure(_)) | Err(Error::InvalidResponse(_))
            ));
            assert_eq!(fault_subcode(input.as_bytes()), None);
        }
    }
}

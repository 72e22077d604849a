//! SAML2 Enhanced Client or Proxy (ECP) with a username and password (`v3samlpassword`).
//!
//! 1. `GET` the federated auth URL with `Accept: application/vnd.paos+xml` and the `PAOS`
//!    header; the service provider (e.g. mod_auth_mellon) answers with a SOAP AuthnRequest.
//! 2. `POST` that envelope, without its SOAP Header, to the IdP's ECP URL with HTTP Basic.
//! 3. Check the IdP's SAML status (a wrong password comes back as HTTP 200 with a non-Success
//!    status: that gives [`Error::Unauthorized`]) and that the IdP's
//!    `AssertionConsumerServiceURL` equals the SP's `responseConsumerURL` (else a SOAP fault
//!    goes to the SP and the flow fails).
//! 4. Put the SP's RelayState in the IdP's SOAP header, `POST` it to the consumer URL with the
//!    PAOS content type, follow a 302/303 only to the SP's host, and read the token.
//!
//! XML is read with `roxmltree` (no DTD, no external entities, a node limit) and written as
//! text, so hostile XML gives an error, never a panic.

use std::fmt;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::Method;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Error, HttpError, Response, Result, Session};
use roxmltree::{Document, Node};

use crate::base::{access_from_response, federated_token_url, CacheIdElements, UnscopedAuth};
use crate::xml::{child, escape, is, parse_bounded};

/// The PAOS media type.
pub const PAOS_CONTENT_TYPE: &str = "application/vnd.paos+xml";
/// The `PAOS` header value of an ECP request.
pub const PAOS_HEADER: &str =
    "ver=\"urn:liberty:paos:2003-08\";\"urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp\"";

const NS_SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const NS_ECP: &str = "urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp";
const NS_PAOS: &str = "urn:liberty:paos:2003-08";
const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

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
            return Err(Error::Saml(format!(
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

fn parse<'a>(text: &'a str, who: &str) -> Result<Document<'a>> {
    parse_bounded(text).map_err(|e| {
        Error::InvalidResponse(format!("SAML2: Error parsing XML returned from {who}: {e}"))
    })
}

fn envelope<'a, 'i>(doc: &'a Document<'i>, who: &str) -> Result<Node<'a, 'i>> {
    let root = doc.root_element();
    if !is(&root, NS_SOAP, "Envelope") {
        return Err(Error::InvalidResponse(format!(
            "SAML2: {who} did not answer with a SOAP envelope"
        )));
    }
    Ok(root)
}

/// What the SP asked for.
#[derive(Debug)]
struct SpRequest {
    consumer_url: String,
    relay_state: Option<String>,
    envelope_without_header: String,
}

fn parse_sp_request(text: &str) -> Result<SpRequest> {
    let who = "Service Provider";
    let doc = parse(text, who)?;
    let env = envelope(&doc, who)?;
    let header = child(env, NS_SOAP, "Header").ok_or_else(|| {
        Error::InvalidResponse("SAML2: Service Provider request has no SOAP Header".into())
    })?;
    let urls: Vec<&str> = header
        .children()
        .filter(|c| is(c, NS_PAOS, "Request"))
        .filter_map(|c| c.attribute("responseConsumerURL"))
        .collect();
    let [consumer_url] = urls.as_slice() else {
        return Err(Error::InvalidResponse(format!(
            "SAML2: Service Provider request has {} paos:Request responseConsumerURL (want 1)",
            urls.len()
        )));
    };
    let relay_state = doc
        .descendants()
        .find(|n| is(n, NS_ECP, "RelayState"))
        .map(relay_state_xml);
    let range = header.range();
    let envelope_without_header = format!("{}{}", &text[..range.start], &text[range.end..]);
    Ok(SpRequest {
        consumer_url: (*consumer_url).to_owned(),
        relay_state,
        envelope_without_header,
    })
}

/// What the IdP answered.
#[derive(Debug)]
struct IdpResponse {
    consumer_url: String,
    /// The SAML status when it is not Success.
    failure: Option<String>,
}

fn parse_idp_response(text: &str) -> Result<IdpResponse> {
    let who = "Identity Provider";
    let doc = parse(text, who)?;
    let env = envelope(&doc, who)?;
    let body = child(env, NS_SOAP, "Body");
    if let Some(fault) = body.and_then(|b| child(b, NS_SOAP, "Fault")) {
        let text = |name: &str| {
            fault
                .children()
                .find(|c| c.is_element() && c.tag_name().name() == name)
                .and_then(|c| c.text())
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        return Err(Error::Saml(format!(
            "the identity provider answered with a SOAP fault: {} {}",
            text("faultcode"),
            text("faultstring")
        )));
    }
    let failure = match body.and_then(|b| child(b, NS_SAMLP, "Response")) {
        Some(resp) => saml_failure(resp),
        None => {
            return Err(Error::InvalidResponse(
                "SAML2: Identity Provider response has no samlp:Response".into(),
            ))
        }
    };
    let consumer_url = child(env, NS_SOAP, "Header")
        .and_then(|h| child(h, NS_ECP, "Response"))
        .and_then(|r| r.attribute("AssertionConsumerServiceURL"));
    let consumer_url = match (consumer_url, &failure) {
        (Some(u), _) => u.to_owned(),
        // A refusal matters more than a missing header.
        (None, Some(_)) => String::new(),
        (None, None) => {
            return Err(Error::InvalidResponse(
                "SAML2: Identity Provider response has no ecp:Response \
                 AssertionConsumerServiceURL"
                    .into(),
            ))
        }
    };
    Ok(IdpResponse {
        consumer_url,
        failure,
    })
}

/// The SOAP/ECP parsers, for the fuzz targets in `fuzz/` (not part of the API).
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// An SP's PAOS request: the consumer URL and the envelope forwarded to the IdP, or the
    /// error.
    pub fn sp_request(text: &str) -> String {
        match parse_sp_request(text) {
            Ok(r) => format!(
                "{} {:?} {}",
                r.consumer_url,
                r.relay_state,
                r.envelope_without_header.len()
            ),
            Err(e) => e.to_string(),
        }
    }

    /// An IdP's ECP response: its consumer URL and SAML status (or the error), and the same
    /// response with a RelayState spliced into its header, which must still parse.
    pub fn idp_response(text: &str) -> String {
        let parsed = match parse_idp_response(text) {
            Ok(r) => format!("{} {:?}", r.consumer_url, r.failure),
            Err(e) => e.to_string(),
        };
        let relay = format!("<ecp:RelayState xmlns:ecp=\"{NS_ECP}\">r</ecp:RelayState>");
        if let Ok(spliced) = insert_relay_state(text, &relay) {
            assert!(spliced.contains(&relay));
        }
        parsed
    }
}

/// `None` for Success, else "top-level/second-level: message".
fn saml_failure(response: Node<'_, '_>) -> Option<String> {
    let status = child(response, NS_SAMLP, "Status");
    let code = status.and_then(|s| child(s, NS_SAMLP, "StatusCode"));
    let value = code.and_then(|c| c.attribute("Value")).unwrap_or("");
    if value == STATUS_SUCCESS {
        return None;
    }
    let short = |v: &str| v.rsplit(':').next().unwrap_or(v).to_owned();
    let mut out = if value.is_empty() {
        "no status".to_owned()
    } else {
        short(value)
    };
    if let Some(sub) = code
        .and_then(|c| child(c, NS_SAMLP, "StatusCode"))
        .and_then(|c| c.attribute("Value"))
    {
        out.push('/');
        out.push_str(&short(sub));
    }
    if let Some(msg) = status
        .and_then(|s| child(s, NS_SAMLP, "StatusMessage"))
        .and_then(|m| m.text())
    {
        out.push_str(": ");
        out.push_str(msg.trim());
    }
    Some(out)
}

/// The SP's RelayState re-serialised with its own namespace declarations, so it can be
/// placed in the IdP's envelope whatever prefixes that one uses.
fn relay_state_xml(node: Node<'_, '_>) -> String {
    let mut s = format!("<ecp:RelayState xmlns:ecp=\"{NS_ECP}\"");
    for (i, a) in node.attributes().enumerate() {
        match a.namespace() {
            Some(ns) => s.push_str(&format!(
                " xmlns:a{i}=\"{}\" a{i}:{}=\"{}\"",
                escape(ns, true),
                a.name(),
                escape(a.value(), true)
            )),
            None => s.push_str(&format!(" {}=\"{}\"", a.name(), escape(a.value(), true))),
        }
    }
    let text: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    s.push('>');
    s.push_str(&escape(&text, false));
    s.push_str("</ecp:RelayState>");
    s
}

/// Replace the IdP header's `ecp:Response` with the RelayState (or put it first).
fn insert_relay_state(idp_text: &str, relay: &str) -> Result<String> {
    let doc = parse(idp_text, "Identity Provider")?;
    let env = envelope(&doc, "Identity Provider")?;
    let header = child(env, NS_SOAP, "Header").ok_or_else(|| {
        Error::InvalidResponse("SAML2: Identity Provider response is missing a SOAP Header".into())
    })?;
    let splice = |at: std::ops::Range<usize>| {
        format!("{}{relay}{}", &idp_text[..at.start], &idp_text[at.end..])
    };
    if let Some(resp) = child(header, NS_ECP, "Response") {
        return Ok(splice(resp.range()));
    }
    if let Some(first) = header.first_child() {
        let at = first.range().start;
        return Ok(splice(at..at));
    }
    // An empty header: `<S:Header/>` or `<S:Header></S:Header>`.
    let range = header.range();
    let tag = &idp_text[range.clone()];
    if let Some(open) = tag.strip_suffix("/>") {
        let qname: String = open
            .trim_start_matches('<')
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        let replaced = format!("{}>{relay}</{qname}>", open.trim_end());
        return Ok(format!(
            "{}{replaced}{}",
            &idp_text[..range.start],
            &idp_text[range.end..]
        ));
    }
    match tag.rfind("</") {
        Some(i) => {
            let at = range.start + i;
            Ok(splice(at..at))
        }
        None => Err(Error::InvalidResponse(
            "SAML2: cannot place the RelayState in the Identity Provider response".into(),
        )),
    }
}

fn same_host(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.host_str().is_some()
                && a.host_str() == b.host_str()
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::nesting_depth;

    pub(crate) const SP: &str = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header><paos:Request xmlns:paos="urn:liberty:paos:2003-08" S:actor="http://schemas.xmlsoap.org/soap/actor/next" S:mustUnderstand="1" responseConsumerURL="https://sp.example/mellon/paosResponse" service="urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp"/><ecp:Request xmlns:ecp="urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp" S:actor="http://schemas.xmlsoap.org/soap/actor/next" S:mustUnderstand="1" IsPassive="0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sp.example/mellon/metadata</saml:Issuer></ecp:Request><ecp:RelayState xmlns:ecp="urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp" S:actor="http://schemas.xmlsoap.org/soap/actor/next" S:mustUnderstand="1">rs&amp;1</ecp:RelayState></S:Header><S:Body><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a1" Version="2.0"/></S:Body></S:Envelope>"#;

    #[test]
    fn sp_request_is_parsed_and_header_removed() {
        let r = parse_sp_request(SP).unwrap();
        assert_eq!(r.consumer_url, "https://sp.example/mellon/paosResponse");
        assert!(!r.envelope_without_header.contains("Header"));
        assert!(r.envelope_without_header.contains("<samlp:AuthnRequest"));
        // Still a well-formed envelope with its namespace declarations.
        let d = Document::parse(&r.envelope_without_header).unwrap();
        assert!(is(&d.root_element(), NS_SOAP, "Envelope"));
        let relay = r.relay_state.unwrap();
        let d = Document::parse(&relay).unwrap();
        let n = d.root_element();
        assert!(is(&n, NS_ECP, "RelayState"));
        assert_eq!(n.text(), Some("rs&1"));
        assert_eq!(n.attribute((NS_SOAP, "mustUnderstand")), Some("1"));
    }

    #[test]
    fn sp_request_needs_one_consumer_url() {
        let two = SP.replace(
            "<ecp:Request ",
            "<paos:Request xmlns:paos=\"urn:liberty:paos:2003-08\" responseConsumerURL=\"x\"/><ecp:Request ",
        );
        assert!(
            matches!(parse_sp_request(&two), Err(Error::InvalidResponse(m)) if m.contains("has 2"))
        );
    }

    #[test]
    fn k2k_capture_is_a_success_with_relay_state_replacing_nothing() {
        let text = include_str!("../tests/data/k2k_saml2_ecp_response.xml");
        let doc = parse(text, "x").unwrap();
        let env = envelope(&doc, "x").unwrap();
        let resp = child(child(env, NS_SOAP, "Body").unwrap(), NS_SAMLP, "Response").unwrap();
        assert_eq!(saml_failure(resp), None);
        // Keystone's ECP wrapper has a RelayState header and no ecp:Response: a RelayState
        // goes first in the header.
        let out = insert_relay_state(text, "<ecp:RelayState xmlns:ecp=\"urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp\">R</ecp:RelayState>").unwrap();
        let d = Document::parse(&out).unwrap();
        let h = child(d.root_element(), NS_SOAP, "Header").unwrap();
        let first = h.children().find(|c| c.is_element()).unwrap();
        assert_eq!(first.text(), Some("R"));
        assert_eq!(h.children().filter(|c| c.is_element()).count(), 2);
    }

    #[test]
    fn relay_state_replaces_ecp_response_and_fills_empty_headers() {
        let relay = "<ecp:RelayState xmlns:ecp=\"urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp\">R</ecp:RelayState>";
        let with = r#"<soap11:Envelope xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/"><soap11:Header><ecp:Response xmlns:ecp="urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp" AssertionConsumerServiceURL="u"/></soap11:Header><soap11:Body/></soap11:Envelope>"#;
        let out = insert_relay_state(with, relay).unwrap();
        assert!(
            !out.contains("ecp:Response") && out.contains(">R</ecp:RelayState>"),
            "{out}"
        );
        for empty in [
            "<S:Header/>",
            "<S:Header></S:Header>",
            "<S:Header >\n</S:Header>",
        ] {
            let t = format!("<S:Envelope xmlns:S=\"{NS_SOAP}\">{empty}<S:Body/></S:Envelope>");
            let out = insert_relay_state(&t, relay).unwrap();
            let d = Document::parse(&out).unwrap();
            let h = child(d.root_element(), NS_SOAP, "Header").unwrap();
            assert!(child(h, NS_ECP, "RelayState").is_some(), "{out}");
        }
        let none = format!("<S:Envelope xmlns:S=\"{NS_SOAP}\"><S:Body/></S:Envelope>");
        assert!(
            matches!(insert_relay_state(&none, relay), Err(Error::InvalidResponse(m)) if m.contains("missing a SOAP Header"))
        );
    }

    #[test]
    fn idp_failure_status_is_reported() {
        let t = format!(
            r#"<S:Envelope xmlns:S="{NS_SOAP}"><S:Header><ecp:Response xmlns:ecp="{NS_ECP}" AssertionConsumerServiceURL="u"/></S:Header><S:Body><samlp:Response xmlns:samlp="{NS_SAMLP}"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode><samlp:StatusMessage>WRONGUSERPASS</samlp:StatusMessage></samlp:Status></samlp:Response></S:Body></S:Envelope>"#
        );
        let r = parse_idp_response(&t).unwrap();
        assert_eq!(
            r.failure.as_deref(),
            Some("Responder/AuthnFailed: WRONGUSERPASS")
        );
    }

    #[test]
    fn hostile_xml_is_an_error_not_a_panic() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header>&lol2;</S:Header></S:Envelope>"#;
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header>&e;</S:Header></S:Envelope>"#;
        let deep = "<a>".repeat(200_000);
        let deep_closed = format!("{}{}", "<a x='>'>".repeat(5000), "</a>".repeat(5000));
        assert!(nesting_depth(&deep_closed) >= 5000);
        assert_eq!(nesting_depth(SP), 4);
        let inputs = [
            laughs.to_owned(),
            xxe.to_owned(),
            deep,
            deep_closed,
            "<S:Envelope".to_owned(),
            "".to_owned(),
            "<x:Envelope xmlns:x=\"urn:other\"/>".to_owned(),
            "<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Header><paos:Request xmlns:paos=\"urn:liberty:paos:2003-08\"/></S:Header></S:Envelope>".to_owned(),
            "\u{feff}<a b='1' b='2'/>".to_owned(),
        ];
        for input in &inputs {
            assert!(parse_sp_request(input).is_err());
            assert!(parse_idp_response(input).is_err());
            // Must not panic; a valid envelope with a header may well succeed.
            let _ = insert_relay_state(input, "<r/>");
        }
    }

    #[test]
    fn hosts() {
        assert!(same_host("https://a:443/x", "https://a/y"));
        assert!(!same_host("https://a:8443/x", "https://a/y"));
        assert!(!same_host("https://evil/x", "https://a/y"));
        assert!(!same_host("not a url", "https://a/y"));
    }
}

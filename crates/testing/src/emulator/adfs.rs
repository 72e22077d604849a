//! An ADFS 2.0 identity provider and the Shibboleth service provider in front of Keystone,
//! for keystoneauth1's `v3adfspassword` (see
//! [`IdentityProviderSpec::adfs`](super::IdentityProviderSpec::adfs)).
//!
//! - `POST <root>/adfs/{idp}/services/trust/13/usernamemixed`: the WS-Trust 1.3 STS. It checks
//!   the SOAP 1.2 `RequestSecurityToken` (action, `To`, timestamps, token, key and request
//!   types, `AppliesTo`) and the `UsernameToken`, and answers with a SAML 1.0 assertion in a
//!   `RequestSecurityTokenResponseCollection`, or a SOAP fault in an HTTP 500.
//! - `POST <root>/adfs/{idp}/sp/ADFS`: the service provider. It takes
//!   `wa=wsignin1.0&wresult=<RSTR in the WS-Trust 2005/02 namespace>`, accepts only an
//!   unexpired assertion its STS issued for it (each once), and sets `_shibsession_{idp}`.
//! - The federated auth URL of an ADFS provider wants that cookie
//!   ([`valid_session`], used by `federation::federated_auth` and Keystone's mapped method).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use roxmltree::{Document, Node};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::response::header;
use super::state::{AdfsAssertion, IdpRecord, OidcGrant, State};
use super::{lock, Shared};
use crate::fixtures::new_id;

type S = AxState<Arc<Shared>>;

const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const NS_WSA: &str = "http://www.w3.org/2005/08/addressing";
const NS_WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
const NS_WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const NS_TRUST_13: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
const NS_TRUST_2005: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust";
const NS_WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
const NS_SAML1: &str = "urn:oasis:names:tc:SAML:1.0:assertion";
const ACTION_ISSUE: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue";
const PASSWORD_TEXT: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";

/// How long an assertion may wait to be posted to the service provider.
const ASSERTION_TTL: time::Duration = time::Duration::minutes(5);
/// How long a service provider session lasts.
const SESSION_TTL: time::Duration = time::Duration::hours(1);
/// How far a request's `Created` may be ahead of the STS's clock.
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);
/// Bounds on what is parsed (roxmltree recurses per nesting level).
const MAX_BODY: usize = 256 * 1024;
const MAX_TAGS: usize = 2_000;

/// `<root>/adfs/{idp}/services/trust/13/usernamemixed`.
pub(crate) fn sts_url(base: &str, idp: &str) -> String {
    format!("{base}/adfs/{idp}/services/trust/13/usernamemixed")
}

/// `<root>/adfs/{idp}/sp/ADFS`.
pub(crate) fn sp_endpoint(base: &str, idp: &str) -> String {
    format!("{base}/adfs/{idp}/sp/ADFS")
}

/// `<root>/adfs/{idp}/sp/shibboleth`.
pub(crate) fn sp_entity_id(base: &str, idp: &str) -> String {
    format!("{base}/adfs/{idp}/sp/shibboleth")
}

/// The issuer of the STS's assertions.
fn issuer(base: &str, idp: &str) -> String {
    format!("{base}/adfs/{idp}/services/trust")
}

fn cookie_name(idp: &str) -> String {
    format!("_shibsession_{idp}")
}

/// The unexpired service provider session of `idp` in a `Cookie` header.
pub(crate) fn valid_session<'a>(st: &'a State, idp: &str, cookies: &str) -> Option<&'a OidcGrant> {
    let name = cookie_name(idp);
    cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .filter(|(n, _)| *n == name)
        .find_map(|(_, sid)| st.adfs_sessions.get(sid))
        .filter(|g| g.identity_provider == idp && g.expires > OffsetDateTime::now_utc())
}

/// Shibboleth without a session: the emulator refuses (a real one redirects to the IdP).
pub(crate) fn no_session(idp: &str) -> Response<Body> {
    text(
        StatusCode::UNAUTHORIZED,
        &format!("Shibboleth: no session of identity provider {idp}: sign in at its ADFS first"),
    )
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(body.to_owned()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/plain"));
    r
}

fn soap(status: StatusCode, body: String) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/soap+xml; charset=utf-8"),
    );
    r
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A SOAP 1.2 fault as ADFS sends it (HTTP 500), with a WS-Trust subcode.
fn fault(code: &str, subcode: &str, reason: &str) -> Response<Body> {
    soap(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!(
            concat!(
                r#"<s:Envelope xmlns:s="{s}" xmlns:a="{a}"><s:Header>"#,
                r#"<a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/soap/fault</a:Action>"#,
                r#"</s:Header><s:Body><s:Fault><s:Code><s:Value>{code}</s:Value><s:Subcode>"#,
                r#"<s:Value xmlns:a="{trust}">{subcode}</s:Value></s:Subcode></s:Code>"#,
                r#"<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason></s:Fault>"#,
                r#"</s:Body></s:Envelope>"#
            ),
            s = NS_SOAP12,
            a = NS_WSA,
            trust = NS_TRUST_13,
            code = code,
            subcode = subcode,
            reason = escape(reason),
        ),
    )
}

fn invalid_request(reason: &str) -> Response<Body> {
    fault("s:Sender", "a:InvalidRequest", reason)
}

/// Parse a bounded, DTD-free document.
fn parse(text: &str) -> Result<Document<'_>, String> {
    if text.len() > MAX_BODY || text.matches('<').count() > MAX_TAGS {
        return Err("the document is too large".into());
    }
    Document::parse(text).map_err(|e| e.to_string())
}

fn is(n: &Node<'_, '_>, ns: &str, name: &str) -> bool {
    n.is_element() && n.tag_name().namespace() == Some(ns) && n.tag_name().name() == name
}

/// The one element at this path of child steps below `node`.
fn at<'a, 'i>(node: Node<'a, 'i>, steps: &[(&str, &str)]) -> Result<Node<'a, 'i>, String> {
    let mut current = vec![node];
    for (ns, name) in steps {
        current = current
            .iter()
            .flat_map(|n| n.children().filter(|c| is(c, ns, name)))
            .collect();
    }
    match current.as_slice() {
        [one] => Ok(*one),
        found => Err(format!(
            "want one {} element, found {}",
            steps.last().map(|s| s.1).unwrap_or("root"),
            found.len()
        )),
    }
}

fn text_at(node: Node<'_, '_>, steps: &[(&str, &str)]) -> Result<String, String> {
    let n = at(node, steps)?;
    Ok(n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect())
}

/// What a valid request for a token asks.
struct TokenRequest {
    message_id: String,
    username: String,
    password: String,
    applies_to: String,
}

fn read_request(
    doc: &Document<'_>,
    sts: &str,
    now: OffsetDateTime,
) -> Result<TokenRequest, String> {
    let env = doc.root_element();
    if !is(&env, NS_SOAP12, "Envelope") {
        return Err("not a SOAP 1.2 envelope".into());
    }
    let h = [(NS_SOAP12, "Header")];
    let action = at(env, &[h[0], (NS_WSA, "Action")])?;
    if action.text().map(str::trim) != Some(ACTION_ISSUE) {
        return Err(format!("unsupported action {:?}", action.text()));
    }
    let to = text_at(env, &[h[0], (NS_WSA, "To")])?;
    if to.trim() != sts {
        return Err(format!("the message is addressed to {to}, not {sts}"));
    }
    let message_id = text_at(env, &[h[0], (NS_WSA, "MessageID")])?;
    let sec = at(env, &[h[0], (NS_WSSE, "Security")])?;
    let stamp = |name: &str| -> Result<OffsetDateTime, String> {
        let t = text_at(sec, &[(NS_WSU, "Timestamp"), (NS_WSU, name)])?;
        OffsetDateTime::parse(t.trim(), &Rfc3339).map_err(|e| format!("bad {name} {t:?}: {e}"))
    };
    let (created, expires) = (stamp("Created")?, stamp("Expires")?);
    if created > now + CLOCK_SKEW || expires <= now || expires <= created {
        return Err(format!(
            "the message timestamp ({created} to {expires}) is not valid now"
        ));
    }
    let ut = [(NS_WSSE, "UsernameToken")];
    let username = text_at(sec, &[ut[0], (NS_WSSE, "Username")])?;
    let password_node = at(sec, &[ut[0], (NS_WSSE, "Password")])?;
    if password_node
        .attribute("Type")
        .is_some_and(|t| t != PASSWORD_TEXT)
    {
        return Err("only PasswordText passwords are supported".into());
    }
    let password = text_at(sec, &[ut[0], (NS_WSSE, "Password")])?;
    let rst = [(NS_SOAP12, "Body"), (NS_TRUST_13, "RequestSecurityToken")];
    let field = |name: &str| text_at(env, &[rst[0], rst[1], (NS_TRUST_13, name)]);
    for (name, want) in [
        ("RequestType", format!("{NS_TRUST_13}/Issue")),
        ("KeyType", format!("{NS_TRUST_13}/Bearer")),
        (
            "TokenType",
            "urn:oasis:names:tc:SAML:1.0:assertion".to_owned(),
        ),
    ] {
        let got = field(name)?;
        if got.trim() != want {
            return Err(format!("unsupported {name} {got:?}"));
        }
    }
    let applies_to = text_at(
        env,
        &[
            rst[0],
            rst[1],
            (NS_WSP, "AppliesTo"),
            (NS_WSA, "EndpointReference"),
            (NS_WSA, "Address"),
        ],
    )?;
    Ok(TokenRequest {
        message_id,
        username,
        password,
        applies_to: applies_to.trim().to_owned(),
    })
}

fn adfs_idp<'a>(st: &'a State, idp: &str) -> Option<&'a IdpRecord> {
    st.idp(idp).filter(|r| r.adfs)
}

/// `POST /adfs/{idp}/services/trust/13/usernamemixed`.
pub(crate) async fn security_token_service(
    AxState(s): S,
    Path(idp): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let base = s.config.base_url.clone();
    if adfs_idp(&lock(&s.state), &idp).is_none() {
        return text(StatusCode::NOT_FOUND, "no such ADFS identity provider");
    }
    let ct = header(&headers, "content-type").unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/soap+xml") {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the WS-Trust 1.3 endpoint takes application/soap+xml",
        );
    }
    let Ok(body) = std::str::from_utf8(&body) else {
        return invalid_request("the message is not UTF-8");
    };
    let doc = match parse(body) {
        Ok(d) => d,
        Err(e) => return invalid_request(&format!("the message is not XML: {e}")),
    };
    let now = OffsetDateTime::now_utc();
    let req = match read_request(&doc, &sts_url(&base, &idp), now) {
        Ok(r) => r,
        Err(e) => return invalid_request(&e),
    };
    let (entity_id, endpoint) = (sp_entity_id(&base, &idp), sp_endpoint(&base, &idp));
    if req.applies_to != entity_id && req.applies_to != endpoint {
        return invalid_request(&format!(
            "MSIS7007: The requested relying party trust '{}' is unspecified or unsupported.",
            req.applies_to
        ));
    }
    let mut st = lock(&s.state);
    let Some(rec) = adfs_idp(&st, &idp) else {
        return text(StatusCode::NOT_FOUND, "no such ADFS identity provider");
    };
    let Some(user_id) = rec
        .users
        .iter()
        .find(|(u, _)| u.name == req.username && u.password.as_deref() == Some(&req.password))
        .map(|(_, id)| id.clone())
    else {
        return fault(
            "s:Sender",
            "a:FailedAuthentication",
            "ID3242: The security token could not be authenticated or authorized.",
        );
    };
    let assertion_id = format!("_{}", new_id());
    let expires = now + ASSERTION_TTL;
    st.adfs_assertions.insert(
        assertion_id.clone(),
        AdfsAssertion {
            identity_provider: idp.clone(),
            audience: req.applies_to.clone(),
            user_id,
            expires,
        },
    );
    drop(st);
    let stamp = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    soap(
        StatusCode::OK,
        format!(
            concat!(
                r#"<s:Envelope xmlns:s="{s}" xmlns:a="{a}" xmlns:u="{u}"><s:Header>"#,
                r#"<a:Action s:mustUnderstand="1">{trust}/RSTRC/IssueFinal</a:Action>"#,
                r#"<a:RelatesTo>{relates}</a:RelatesTo></s:Header><s:Body>"#,
                r#"<trust:RequestSecurityTokenResponseCollection xmlns:trust="{trust}">"#,
                r#"<trust:RequestSecurityTokenResponse><trust:Lifetime>"#,
                r#"<wsu:Created xmlns:wsu="{u}">{now}</wsu:Created><wsu:Expires xmlns:wsu="{u}">{exp}</wsu:Expires>"#,
                r#"</trust:Lifetime><wsp:AppliesTo xmlns:wsp="{wsp}"><wsa:EndpointReference xmlns:wsa="{a}">"#,
                r#"<wsa:Address>{aud}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>"#,
                r#"<trust:RequestedSecurityToken><saml:Assertion MajorVersion="1" MinorVersion="0" "#,
                r#"AssertionID="{id}" Issuer="{issuer}" IssueInstant="{now}" xmlns:saml="{saml}">"#,
                r#"<saml:Conditions NotBefore="{now}" NotOnOrAfter="{exp}"><saml:AudienceRestrictionCondition>"#,
                r#"<saml:Audience>{aud}</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions>"#,
                r#"<saml:AttributeStatement><saml:Subject><saml:NameIdentifier>{user}</saml:NameIdentifier>"#,
                r#"</saml:Subject><saml:Attribute AttributeName="upn" "#,
                r#"AttributeNamespace="http://schemas.xmlsoap.org/ws/2005/05/identity/claims">"#,
                r#"<saml:AttributeValue>{user}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"#,
                r#"</saml:Assertion></trust:RequestedSecurityToken>"#,
                r#"<trust:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</trust:TokenType>"#,
                r#"<trust:RequestType>{trust}/Issue</trust:RequestType>"#,
                r#"<trust:KeyType>{trust}/Bearer</trust:KeyType>"#,
                r#"</trust:RequestSecurityTokenResponse></trust:RequestSecurityTokenResponseCollection>"#,
                r#"</s:Body></s:Envelope>"#
            ),
            s = NS_SOAP12,
            a = NS_WSA,
            u = NS_WSU,
            trust = NS_TRUST_13,
            wsp = NS_WSP,
            saml = NS_SAML1,
            relates = escape(req.message_id.trim()),
            now = stamp(now),
            exp = stamp(expires),
            aud = escape(&req.applies_to),
            id = assertion_id,
            issuer = escape(&issuer(&base, &idp)),
            user = escape(&req.username),
        ),
    )
}

/// The shadow user of a token response the STS of `idp` issued for this SP (its assertion
/// is used up).
fn accept_token_response(
    st: &mut State,
    base: &str,
    idp: &str,
    wresult: &str,
) -> Result<String, String> {
    let doc = parse(wresult).map_err(|e| format!("wresult is not XML: {e}"))?;
    let root = doc.root_element();
    if !is(&root, NS_TRUST_2005, "RequestSecurityTokenResponse") {
        return Err(format!(
            "wresult is {{{}}}{}, not a WS-Trust 2005/02 RequestSecurityTokenResponse",
            root.tag_name().namespace().unwrap_or(""),
            root.tag_name().name()
        ));
    }
    let assertion = at(
        root,
        &[
            (NS_TRUST_2005, "RequestedSecurityToken"),
            (NS_SAML1, "Assertion"),
        ],
    )?;
    if assertion.attribute("Issuer") != Some(issuer(base, idp).as_str()) {
        return Err("the assertion was not issued by this SP's identity provider".into());
    }
    let id = assertion.attribute("AssertionID").unwrap_or("");
    let record = st
        .adfs_assertions
        .remove(id)
        .ok_or("the assertion is unknown or was used already")?;
    if record.identity_provider != idp || record.expires <= OffsetDateTime::now_utc() {
        return Err("the assertion is for another identity provider or expired".into());
    }
    if record.audience != sp_entity_id(base, idp) && record.audience != sp_endpoint(base, idp) {
        return Err(format!(
            "the assertion is for {}, not this SP",
            record.audience
        ));
    }
    Ok(record.user_id)
}

/// `POST /adfs/{idp}/sp/ADFS`: `wa=wsignin1.0&wresult=…`.
pub(crate) async fn service_provider(
    AxState(s): S,
    Path(idp): Path<String>,
    body: Bytes,
) -> Response<Body> {
    let base = s.config.base_url.clone();
    let mut st = lock(&s.state);
    let Some(protocol) = adfs_idp(&st, &idp).map(|r| r.protocol.clone()) else {
        return text(StatusCode::NOT_FOUND, "no such ADFS identity provider");
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let param = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if param("wa") != Some("wsignin1.0") {
        return text(StatusCode::BAD_REQUEST, "Shibboleth: wa must be wsignin1.0");
    }
    let Some(wresult) = param("wresult") else {
        return text(StatusCode::BAD_REQUEST, "Shibboleth: no wresult");
    };
    let user_id = match accept_token_response(&mut st, &base, &idp, wresult) {
        Ok(u) => u,
        Err(e) => return text(StatusCode::FORBIDDEN, &format!("Shibboleth: {e}")),
    };
    let sid = new_id();
    st.adfs_sessions.insert(
        sid.clone(),
        OidcGrant {
            identity_provider: idp.clone(),
            user_id: Some(user_id),
            expires: OffsetDateTime::now_utc() + SESSION_TTL,
        },
    );
    drop(st);
    let mut r = text(StatusCode::FOUND, "");
    let location =
        format!("{base}/v3/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth");
    let cookie = format!("{}={sid}; Path=/; HttpOnly", cookie_name(&idp));
    for (k, v) in [("location", location), ("set-cookie", cookie)] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

//! Mocks shared by the ADFS test binaries: an ADFS answer, faults, the service provider and
//! Keystone on wiremock, the flow and its loader options.
#![allow(dead_code)]

use keystoneauth_core::registry::OptionValues;
use keystoneauth_core::Session;
use keystoneauth_federation::adfs::{AdfsPassword, NS_TRUST_13};
use keystoneauth_testing::fixtures::V3Token;
use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const STS: &str = "/adfs/services/trust/13/usernamemixed";
pub const SP: &str = "/Shibboleth.sso/ADFS";
pub const FED: &str = "/v3/OS-FEDERATION/identity_providers/adfs/protocols/saml2/auth";
pub const ENTITY_ID: &str = "https://sp.example/shibboleth";
/// A password XML must escape, and that must never show up in Debug output or logs.
pub const PASSWORD: &str = "pw<&>\"'s3cr3t";
pub const USER: &str = "alice&<bob>@example.com";

pub const S: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
pub const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
pub const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub const WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";

pub fn session() -> Session {
    Session::builder().build().unwrap()
}

pub fn flow(server: &MockServer) -> AdfsPassword {
    AdfsPassword::new(
        format!("{}/v3", server.uri()),
        "adfs",
        "saml2",
        format!("{}{STS}", server.uri()),
        format!("{}{SP}", server.uri()),
        USER,
        PASSWORD,
    )
    .service_provider_entity_id(ENTITY_ID)
}

pub fn token_response(subject: &str, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(201)
        .insert_header("X-Subject-Token", subject)
        .set_body_json(body)
}

/// One RequestSecurityTokenResponse as ADFS 2.0 issues it, with a SAML 1.0 assertion.
pub fn rstr(n: usize) -> String {
    format!(
        r#"<trust:RequestSecurityTokenResponse><trust:Lifetime><wsu:Created xmlns:wsu="{WSU}">2026-01-01T00:00:00.000Z</wsu:Created><wsu:Expires xmlns:wsu="{WSU}">2026-01-01T01:00:00.000Z</wsu:Expires></trust:Lifetime><wsp:AppliesTo xmlns:wsp="{WSP}"><wsa:EndpointReference xmlns:wsa="{WSA}"><wsa:Address>{ENTITY_ID}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo><trust:RequestedSecurityToken><saml:Assertion MajorVersion="1" MinorVersion="0" AssertionID="_assertion{n}" Issuer="http://adfs.example/adfs/services/trust" IssueInstant="2026-01-01T00:00:00.000Z" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion"><saml:Conditions NotBefore="2026-01-01T00:00:00.000Z" NotOnOrAfter="2026-01-01T01:00:00.000Z"><saml:AudienceRestrictionCondition><saml:Audience>{ENTITY_ID}</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions><saml:AttributeStatement><saml:Subject><saml:NameIdentifier>alice</saml:NameIdentifier></saml:Subject><saml:Attribute AttributeName="upn" AttributeNamespace="http://schemas.xmlsoap.org/ws/2005/05/identity/claims"><saml:AttributeValue>alice@example.com</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></trust:RequestedSecurityToken><trust:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</trust:TokenType><trust:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</trust:RequestType><trust:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer</trust:KeyType></trust:RequestSecurityTokenResponse>"#
    )
}

/// ADFS's answer with `count` token responses in its collection.
pub fn sts_answer(count: usize) -> String {
    let rstrs: String = (0..count).map(rstr).collect();
    format!(
        r#"<s:Envelope xmlns:s="{S}" xmlns:a="{WSA}" xmlns:u="{WSU}"><s:Header><a:Action s:mustUnderstand="1">http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal</a:Action></s:Header><s:Body><trust:RequestSecurityTokenResponseCollection xmlns:trust="{NS_TRUST_13}">{rstrs}</trust:RequestSecurityTokenResponseCollection></s:Body></s:Envelope>"#
    )
}

pub fn fault(subcode: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="{S}" xmlns:a="{WSA}"><s:Header><a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/soap/fault</a:Action></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value>{subcode}</s:Code><s:Reason><s:Text xml:lang="en-US">ID3242: The security token could not be authenticated or authorized.</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#
    )
}

pub fn soap(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/soap+xml; charset=utf-8")
}

pub async fn mount_sts(server: &MockServer, resp: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(STS))
        .and(header(
            "Content-Type",
            "application/soap+xml; charset=utf-8",
        ))
        .respond_with(resp)
        .expect(1)
        .mount(server)
        .await;
}

/// The service provider: takes the form, sets (or not) its session cookie, redirects.
pub async fn mount_sp(server: &MockServer, set_cookie: bool, calls: u64) {
    let mut resp = ResponseTemplate::new(302).insert_header("Location", "/secure/landing");
    if set_cookie {
        resp = resp.insert_header("Set-Cookie", "_shibsession_ks=sess42; Path=/; HttpOnly");
    }
    Mock::given(method("POST"))
        .and(path(SP))
        .and(header("Content-Type", "application/x-www-form-urlencoded"))
        .respond_with(resp)
        .expect(calls)
        .mount(server)
        .await;
    // The SP's redirect is not followed.
    Mock::given(method("GET"))
        .and(path("/secure/landing"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(server)
        .await;
}

/// Keystone: the federated URL wants the SP's cookie; rescoping wants UNSCOPED.
pub async fn mount_keystone(server: &MockServer, fed_calls: u64, rescope_calls: u64) {
    let mut unscoped = V3Token::new();
    unscoped.federation("adfs", "saml2", &["g1"]);
    Mock::given(method("GET"))
        .and(path(FED))
        .and(header("cookie", "_shibsession_ks=sess42"))
        .respond_with(token_response("UNSCOPED", unscoped.to_json()))
        .expect(fed_calls)
        .mount(server)
        .await;
    let mut scoped = V3Token::new();
    scoped.project_scope("P", "proj", "default", "Default");
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(header("X-Auth-Token", "UNSCOPED"))
        .and(body_json(json!({"auth": {
            "identity": {"methods": ["token"], "token": {"id": "UNSCOPED"}},
            "scope": {"project": {"id": "P"}}}})))
        .respond_with(token_response("SCOPED", scoped.to_json()))
        .expect(rescope_calls)
        .mount(server)
        .await;
}

pub fn loader_values(server: &MockServer) -> OptionValues {
    OptionValues::new()
        .with("auth_url", format!("{}/v3", server.uri()))
        .with("identity_provider", "adfs")
        .with("protocol", "saml2")
        .with("identity_provider_url", format!("{}{STS}", server.uri()))
        .with("service_provider_endpoint", format!("{}{SP}", server.uri()))
        .with("service_provider_entity_id", ENTITY_ID)
        .with("username", USER)
        .with("password", PASSWORD)
}

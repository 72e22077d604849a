//! The emulator's ADFS 2.0 (plain HTTP): what its WS-Trust STS accepts and refuses, what its
//! Shibboleth service provider accepts (only a WS-Trust 2005/02 response with an unused
//! assertion its STS issued for it) and Keystone's federated URL behind the SP's cookie.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use common::*;
use keystoneauth_testing::emulator::{
    Emulator, FederatedUserSpec, IdentityProviderSpec, ProjectSpec,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const IDP: &str = "adfs1";
const TRUST_13: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
const TRUST_2005: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust";

async fn emu() -> Emulator {
    Emulator::builder()
        .project(ProjectSpec::new("demo"))
        .identity_provider(
            IdentityProviderSpec::new(IDP, "saml2").adfs().user(
                FederatedUserSpec::new("bob")
                    .password("b&b")
                    .project_role("demo", "member"),
            ),
        )
        .identity_provider(IdentityProviderSpec::new("oidc1", "openid"))
        .start()
        .await
        .unwrap()
}

/// A WS-Trust 1.3 RST as keystoneauth1 builds it (`password` already XML-escaped).
fn rst(to: &str, password: &str, applies_to: &str, created: OffsetDateTime) -> String {
    let t = |d: OffsetDateTime| d.format(&Rfc3339).unwrap();
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:u="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><s:Header><a:Action s:mustUnderstand="1">{TRUST_13}/RST/Issue</a:Action><a:MessageID>urn:uuid:0123</a:MessageID><a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo><a:To s:mustUnderstand="1">{to}</a:To><o:Security xmlns:o="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" s:mustUnderstand="1"><u:Timestamp u:Id="_0"><u:Created>{c}</u:Created><u:Expires>{e}</u:Expires></u:Timestamp><o:UsernameToken u:u="uuid-1-1"><o:Username>bob</o:Username><o:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">{password}</o:Password></o:UsernameToken></o:Security></s:Header><s:Body><trust:RequestSecurityToken xmlns:trust="{TRUST_13}"><wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>{applies_to}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo><trust:KeyType>{TRUST_13}/Bearer</trust:KeyType><trust:RequestType>{TRUST_13}/Issue</trust:RequestType><trust:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</trust:TokenType></trust:RequestSecurityToken></s:Body></s:Envelope>"#,
        c = t(created),
        e = t(created + time::Duration::seconds(120)),
    )
}

async fn post_sts(emu: &Emulator, idp: &str, ct: &str, body: String) -> (u16, String) {
    let r = client()
        .post(emu.adfs_sts_url(idp))
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

const SOAP: &str = "application/soap+xml; charset=utf-8";

/// The fault subcode of a 500.
fn subcode(body: &str) -> String {
    let doc = roxmltree::Document::parse(body).unwrap();
    doc.descendants()
        .filter(|n| n.tag_name().name() == "Value")
        .nth(1)
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_owned()
}

/// The RSTR of a good answer, rewritten to WS-Trust 2005/02 as keystoneauth1 does.
fn rstr_2005(answer: &str) -> String {
    let start = answer.find("<trust:RequestSecurityTokenResponse>").unwrap();
    let end_tag = "</trust:RequestSecurityTokenResponse>";
    let end = answer.find(end_tag).unwrap() + end_tag.len();
    let rstr = &answer[start..end].replacen(
        "<trust:RequestSecurityTokenResponse>",
        &format!("<trust:RequestSecurityTokenResponse xmlns:trust=\"{TRUST_13}\">"),
        1,
    );
    rstr.replace(TRUST_13, TRUST_2005)
}

async fn post_sp(emu: &Emulator, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
        .post(emu.adfs_sp_endpoint(IDP))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sts_checks_the_request_and_the_password() {
    let emu = emu().await;
    let sts = emu.adfs_sts_url(IDP);
    let entity = emu.adfs_sp_entity_id(IDP);
    let now = OffsetDateTime::now_utc();
    let (status, body) = post_sts(&emu, IDP, SOAP, rst(&sts, "b&amp;b", &entity, now)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<saml:Assertion MajorVersion=\"1\""),
        "{body}"
    );
    assert!(
        body.contains("<saml:NameIdentifier>bob</saml:NameIdentifier>"),
        "{body}"
    );
    assert!(
        body.contains("<a:RelatesTo>urn:uuid:0123</a:RelatesTo>"),
        "{body}"
    );

    let (status, body) = post_sts(&emu, IDP, SOAP, rst(&sts, "b&amp;c", &entity, now)).await;
    assert_eq!(
        (status, subcode(&body).as_str()),
        (500, "a:FailedAuthentication")
    );
    for (why, req) in [
        (
            "old",
            rst(&sts, "b&amp;b", &entity, now - time::Duration::minutes(10)),
        ),
        (
            "future",
            rst(&sts, "b&amp;b", &entity, now + time::Duration::minutes(10)),
        ),
        ("to", rst("http://elsewhere/trust", "b&amp;b", &entity, now)),
        ("rp", rst(&sts, "b&amp;b", "https://unknown/sp", now)),
        (
            "token type",
            rst(&sts, "b&amp;b", &entity, now).replace("SAML:1.0", "SAML:2.0"),
        ),
        (
            "soap 1.1",
            rst(&sts, "b&amp;b", &entity, now).replace("2003/05/soap-envelope", "1/soap"),
        ),
        ("not xml", "<s:Envelope".to_owned()),
        ("deep", "<a>".repeat(5000)),
    ] {
        let (status, body) = post_sts(&emu, IDP, SOAP, req).await;
        assert_eq!(
            (status, subcode(&body).as_str()),
            (500, "a:InvalidRequest"),
            "{why}: {body}"
        );
    }
    let (status, _) = post_sts(&emu, IDP, "text/xml", rst(&sts, "b&amp;b", &entity, now)).await;
    assert_eq!(status, 415);
    // An OpenID provider has no STS.
    let (status, _) = post_sts(&emu, "oidc1", SOAP, rst(&sts, "b&amp;b", &entity, now)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn sp_takes_one_rewritten_assertion_of_its_sts_and_keystone_takes_the_cookie() {
    let emu = emu().await;
    let sts = emu.adfs_sts_url(IDP);
    let now = OffsetDateTime::now_utc();
    let (status, answer) = post_sts(
        &emu,
        IDP,
        SOAP,
        rst(&sts, "b&amp;b", &emu.adfs_sp_endpoint(IDP), now),
    )
    .await;
    assert_eq!(status, 200);
    let rewritten = rstr_2005(&answer);
    // Not rewritten: refused, and the assertion is not used up by it.
    let r = post_sp(
        &emu,
        &[
            ("wa", "wsignin1.0"),
            ("wresult", &rewritten.replace(TRUST_2005, TRUST_13)),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.text().await.unwrap().contains("WS-Trust 2005/02"));
    let r = post_sp(&emu, &[("wa", "wsignout1.0"), ("wresult", &rewritten)]).await;
    assert_eq!(r.status().as_u16(), 400);
    // A forged assertion id or issuer.
    let forged = rewritten.replace("AssertionID=\"_", "AssertionID=\"_x");
    let r = post_sp(&emu, &[("wa", "wsignin1.0"), ("wresult", &forged)]).await;
    assert_eq!(r.status().as_u16(), 403);
    let forged = rewritten.replace("/services/trust\"", "/services/other\"");
    let r = post_sp(&emu, &[("wa", "wsignin1.0"), ("wresult", &forged)]).await;
    assert_eq!(r.status().as_u16(), 403);

    let r = post_sp(&emu, &[("wa", "wsignin1.0"), ("wresult", &rewritten)]).await;
    assert_eq!(r.status().as_u16(), 302);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert!(pair.starts_with("_shibsession_adfs1="), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    // Used once.
    let r = post_sp(&emu, &[("wa", "wsignin1.0"), ("wresult", &rewritten)]).await;
    assert_eq!(r.status().as_u16(), 403);

    let fed = format!(
        "{}/OS-FEDERATION/identity_providers/{IDP}/protocols/saml2/auth",
        emu.auth_url_v3()
    );
    let r = client().get(&fed).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = client()
        .get(&fed)
        .header("Cookie", format!("other=1; {pair}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert!(r.headers().contains_key("x-subject-token"));
    let (_, body) = status_and_json(r).await;
    assert_eq!(body["token"]["user"]["name"], "bob");
    assert_eq!(body["token"]["methods"], serde_json::json!(["saml2"]));
    // The session is not an OpenID bearer token, and the other provider's URL ignores it.
    let other = format!(
        "{}/OS-FEDERATION/identity_providers/oidc1/protocols/openid/auth",
        emu.auth_url_v3()
    );
    let r = client()
        .get(&other)
        .header("Cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

//! The request's XML, the parsing of ADFS's answers, and hostile input.

use keystoneauth_core::Error;
use roxmltree::Document;
use time::OffsetDateTime;

use super::wstrust::{
    declared_prefixes, fault_subcode, security_token_response, sp_form_body, uuid_hex,
};
use super::*;
use crate::xml::is;

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

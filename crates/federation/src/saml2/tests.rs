//! The ECP messages against captured and hostile XML, and the redirect rule.

use keystoneauth_core::Error;
use roxmltree::Document;

use super::ecp::{
    envelope, insert_relay_state, parse, parse_idp_response, parse_sp_request, saml_failure,
};
use super::password::same_host;
use super::*;
use crate::xml::{child, is, nesting_depth};

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
    let text = include_str!("../../tests/data/k2k_saml2_ecp_response.xml");
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

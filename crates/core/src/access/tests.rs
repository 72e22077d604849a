//! The typed reading of odd bodies: what looking values up in a `serde_json::Value` gave,
//! the typed reader gives too (a value of an unexpected type is absent, not an error).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use secrecy::SecretString;
use serde_json::json;

use super::*;
use crate::catalog::Interface;

fn v3(token: serde_json::Value) -> AccessInfo {
    let mut t = json!({"expires_at": "2099-01-01T00:00:00Z", "user": {"id": "u1"}});
    for (k, v) in token.as_object().unwrap() {
        t[k] = v.clone();
    }
    let body = serde_json::to_vec(&json!({ "token": t })).unwrap();
    AccessInfo::from_body(&body, Some(SecretString::from("tok"))).unwrap()
}

#[test]
fn blocks_of_unexpected_types_read_as_absent() {
    let a = v3(json!({
        "user": {"id": "u1", "OS-FEDERATION": "not an object"},
        "OS-TRUST:trust": {"id": "t1", "trustee_user": {"id": 5}, "trustor_user": "x",
                           "impersonation": "yes"},
        "system": {"all": "true"},
        "OS-OAUTH1": [1, 2],
        "oauth2_credential": {"x5t#S256": {"nested": true}},
        "service_providers": [{"id": "sp1", "auth_url": "http://a", "sp_url": "http://s"},
                              {"id": 3}, "junk", {"id": "sp2"}],
    }));
    // Present but not an object: federated, with nothing known.
    assert!(a.is_federated());
    assert_eq!(a.federation(), Some(&FederationInfo::default()));
    let trust = a.trust().unwrap();
    assert_eq!(trust.id, "t1");
    assert_eq!(trust.trustee_user_id, None);
    assert_eq!(trust.trustor_user_id, None);
    assert_eq!(trust.impersonation, None);
    assert!(!a.system_scoped());
    assert_eq!(a.oauth_access_token_id(), None);
    assert_eq!(a.oauth_consumer_id(), None);
    assert_eq!(a.oauth2_credential_thumbprint(), None);
    let sps: Vec<&str> = a
        .service_providers()
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(sps, ["sp1", "sp2"]);

    // A trust without a string id is no trust.
    assert!(v3(json!({"OS-TRUST:trust": {"id": 7}})).trust().is_none());
    assert!(v3(json!({"OS-TRUST:trust": null})).trust().is_none());
}

#[test]
fn blocks_of_the_expected_types_are_read() {
    let a = v3(json!({
        "user": {"id": "u1", "OS-FEDERATION": {
            "identity_provider": {"id": "idp"}, "protocol": {"id": "saml2"},
            "groups": [{"id": "g1"}, {"id": 2}, "g3", {"id": "g4"}]}},
        "system": {"all": true},
        "OS-OAUTH1": {"access_token_id": "at", "consumer_id": "c"},
        "oauth2_credential": {"x5t#S256": "thumb"},
        "bind": {"kerberos": {"principal": "p@R"}},
        "application_credential": {"id": "ac1", "name": "n", "restricted": true},
    }));
    let f = a.federation().unwrap();
    assert_eq!(f.identity_provider.as_deref(), Some("idp"));
    assert_eq!(f.protocol.as_deref(), Some("saml2"));
    assert_eq!(f.groups, ["g1", "g4"]);
    assert!(a.system_scoped());
    assert_eq!(a.oauth_access_token_id(), Some("at"));
    assert_eq!(a.oauth_consumer_id(), Some("c"));
    assert_eq!(a.oauth2_credential_thumbprint(), Some("thumb"));
    assert_eq!(a.bind(), Some(&json!({"kerberos": {"principal": "p@R"}})));
    assert_eq!(a.application_credential_id(), Some("ac1"));
    assert_eq!(a.application_credential().unwrap()["restricted"], true);
    // A clone reads the same blocks.
    let b = a.clone();
    assert_eq!(b.bind(), a.bind());

    let none = v3(json!({"bind": null, "application_credential": null}));
    assert_eq!(none.bind(), None);
    assert_eq!(none.application_credential(), None);
    // Any other JSON is kept as it is, as before.
    assert_eq!(v3(json!({"bind": "x"})).bind(), Some(&json!("x")));
}

#[test]
fn catalog_strings_with_escapes_and_strict_types() {
    // Escaped strings cannot be borrowed: they are unescaped into owned ones.
    let body = br#"{"token": {"expires_at": "2099-01-01T00:00:00Z", "user": {"id": "u1"},
        "catalog": [{"type": "comp\u0075te", "name": "n\"ova", "endpoints": [
            {"interface": "PUBLIC", "region_id": "R\u00e9gion", "region": "ignored",
             "url": "http:\/\/nova\/v2.1", "id": "e1"},
            {"interface": "internal", "url": ""},
            {"interface": "admin"},
            {"url": "http://no-interface"},
            {"interface": "publicURL", "region": "R2", "url": "http://r2"}]},
        {"name": "no type", "endpoints": []}]}}"#;
    let a = AccessInfo::from_body(body, Some(SecretString::from("t"))).unwrap();
    let c = a.service_catalog();
    assert_eq!(c.services().len(), 1);
    let s = &c.services()[0];
    assert_eq!(s.service_type, "compute");
    assert_eq!(s.name.as_deref(), Some("n\"ova"));
    assert_eq!(s.endpoints.len(), 2);
    assert_eq!(s.endpoints[0].interface, Interface::Public);
    assert_eq!(s.endpoints[0].region.as_deref(), Some("Région"));
    assert_eq!(s.endpoints[0].url, "http://nova/v2.1");
    assert_eq!(s.endpoints[0].id.as_deref(), Some("e1"));
    assert_eq!(s.endpoints[1].region.as_deref(), Some("R2"));

    // A catalog string of another type is an invalid body, as it was.
    for bad in [
        r#"[{"type": 3, "endpoints": []}]"#,
        r#"[{"type": "x", "endpoints": [{"url": 5, "interface": "public"}]}]"#,
        r#"[{"type": "x", "endpoints": {}}]"#,
        r#"{"type": "x"}"#,
    ] {
        let body = format!(
            r#"{{"token": {{"expires_at": "2099-01-01T00:00:00Z", "user": {{"id": "u1"}},
            "catalog": {bad}}}}}"#
        );
        let e = AccessInfo::from_body(body.as_bytes(), Some(SecretString::from("t")));
        assert!(
            matches!(e, Err(Error::InvalidResponse(_))),
            "{bad}: {:?}",
            e.map(|_| ())
        );
    }
}

#[test]
fn v2_endpoints_in_key_order_and_last_key_wins() {
    let body = br#"{"access": {"token": {"id": "t", "expires": "2099-01-01T00:00:00Z"},
        "serviceCatalog": [{"type": "compute", "name": "nova", "endpoints": [
            {"region": "R0", "publicURL": "http://first", "region": "R1", "id": "e1",
             "publicURL": "http://pub", "internalURL": "http://int", "adminURL": 3,
             "versionInfo": "http://ignored", "URL": "http://bare", "otherURL": ""}]}],
        "trust": {"id": "tr", "trustee_user_id": "a", "trustor_user_id": 4,
                  "impersonation": true}}}"#;
    let a = AccessInfo::from_body(body, None).unwrap();
    let c = a.service_catalog();
    let eps: Vec<(String, &str, Option<&str>, Option<&str>)> = c.services()[0]
        .endpoints
        .iter()
        .map(|e| {
            (
                e.interface.to_string(),
                e.url.as_str(),
                e.region.as_deref(),
                e.id.as_deref(),
            )
        })
        .collect();
    // As a JSON object's keys sort: URL, internalURL, publicURL (adminURL is no string).
    assert_eq!(
        eps,
        [
            ("".to_owned(), "http://bare", Some("R1"), Some("e1")),
            ("internal".to_owned(), "http://int", Some("R1"), Some("e1")),
            ("public".to_owned(), "http://pub", Some("R1"), Some("e1")),
        ]
    );
    let t = a.trust().unwrap();
    assert_eq!(t.id, "tr");
    assert_eq!(t.trustee_user_id.as_deref(), Some("a"));
    assert_eq!(t.trustor_user_id, None);
    assert_eq!(t.impersonation, Some(true));
    // An endpoint that is not an object is an invalid body, as it was.
    let bad = br#"{"access": {"token": {"id": "t", "expires": "2099-01-01T00:00:00Z"},
        "serviceCatalog": [{"type": "compute", "endpoints": ["x"]}]}}"#;
    assert!(AccessInfo::from_body(bad, None).is_err());
}

#[test]
fn raw_body_is_shared_not_copied() {
    let body = bytes::Bytes::from_static(
        br#"{"token": {"expires_at": "2099-01-01T00:00:00Z", "user": {"id": "u1"}}}"#,
    );
    let a = AccessInfo::from_bytes(body.clone(), Some(SecretString::from("t"))).unwrap();
    assert_eq!(a.raw_body().as_ptr(), body.as_ptr());
    assert_eq!(a.raw_body(), &body[..]);
}

//! Access info on real Keystone token bodies, catalog lookup, auth state, malformed bodies.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use common::*;
use keystoneauth_core::access::{parse_timestamp, IdentityVersion};
use keystoneauth_core::catalog::Interface;
use keystoneauth_core::{AccessInfo, EndpointFilter, Error};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

/// (name, body, X-Subject-Token) of every successful token capture.
fn token_captures() -> Vec<(String, Value, Option<String>)> {
    let mut out = Vec::new();
    for name in token_capture_names() {
        let cap = capture(&name);
        if let Some(resp) = cap.get("response") {
            if resp["status"].as_u64().unwrap() >= 300 {
                continue;
            }
            let tok = resp["headers"]["X-Subject-Token"]
                .as_str()
                .map(str::to_owned);
            out.push((name, resp["body"].clone(), tok));
        } else {
            out.push((name, cap, Some("raw-capture-token".into())));
        }
    }
    let cap = capture("oauth2_mtls_token_validate.json");
    out.push((
        "oauth2_mtls_token_validate.json".into(),
        cap["response"]["body"].clone(),
        cap["response"]["headers"]["X-Subject-Token"]
            .as_str()
            .map(str::to_owned),
    ));
    out
}

fn parse(body: &Value, tok: Option<&str>) -> keystoneauth_core::Result<AccessInfo> {
    AccessInfo::from_body(
        &serde_json::to_vec(body).unwrap(),
        tok.map(|t| SecretString::from(t.to_owned())),
    )
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

#[test]
fn every_token_capture_parses_and_matches_its_body() {
    let caps = token_captures();
    assert!(caps.len() >= 20, "{}", caps.len());
    for (name, body, tok) in caps {
        let a = parse(&body, tok.as_deref()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let t = &body["token"];
        assert_eq!(a.version(), IdentityVersion::V3, "{name}");
        assert_eq!(
            a.auth_token().expose_secret(),
            tok.as_deref().unwrap(),
            "{name}"
        );
        assert_eq!(Some(a.user_id()), s(&t["user"]["id"]), "{name}");
        assert_eq!(a.username(), s(&t["user"]["name"]), "{name}");
        assert_eq!(a.user_domain_id(), s(&t["user"]["domain"]["id"]), "{name}");
        assert_eq!(
            a.user_domain_name(),
            s(&t["user"]["domain"]["name"]),
            "{name}"
        );
        assert_eq!(a.project_id(), s(&t["project"]["id"]), "{name}");
        assert_eq!(a.project_name(), s(&t["project"]["name"]), "{name}");
        assert_eq!(
            a.project_domain_id(),
            s(&t["project"]["domain"]["id"]),
            "{name}"
        );
        assert_eq!(a.project_is_domain(), t["is_domain"].as_bool(), "{name}");
        assert_eq!(a.domain_id(), s(&t["domain"]["id"]), "{name}");
        assert_eq!(a.domain_name(), s(&t["domain"]["name"]), "{name}");
        assert_eq!(
            a.system_scoped(),
            t["system"]["all"].as_bool().unwrap_or(false),
            "{name}"
        );
        assert_eq!(
            a.scoped(),
            a.project_scoped() || a.domain_scoped() || a.system_scoped()
        );
        let roles = t["roles"].as_array().cloned().unwrap_or_default();
        let names: Vec<&str> = roles.iter().filter_map(|r| r["name"].as_str()).collect();
        let ids: Vec<&str> = roles.iter().filter_map(|r| r["id"].as_str()).collect();
        assert_eq!(a.role_names(), names, "{name}");
        assert_eq!(a.role_ids(), ids, "{name}");
        let methods: Vec<String> = serde_json::from_value(t["methods"].clone()).unwrap();
        assert_eq!(a.methods(), methods.as_slice(), "{name}");
        let audit: Vec<String> = serde_json::from_value(t["audit_ids"].clone()).unwrap();
        assert_eq!(a.audit_ids(), audit.as_slice(), "{name}");
        assert_eq!(a.audit_id(), audit.first().map(String::as_str), "{name}");
        assert_eq!(
            a.expires(),
            parse_timestamp(t["expires_at"].as_str().unwrap()).unwrap(),
            "{name}"
        );
        assert_eq!(
            a.issued(),
            Some(parse_timestamp(t["issued_at"].as_str().unwrap()).unwrap())
        );
        assert_eq!(
            a.has_service_catalog(),
            t.get("catalog").is_some(),
            "{name}"
        );
        let n_services = t["catalog"].as_array().map(Vec::len).unwrap_or(0);
        assert_eq!(a.service_catalog().services().len(), n_services, "{name}");
        assert_eq!(
            a.application_credential_id(),
            s(&t["application_credential"]["id"]),
            "{name}"
        );
        assert_eq!(
            a.oauth_access_token_id(),
            s(&t["OS-OAUTH1"]["access_token_id"]),
            "{name}"
        );
        assert_eq!(
            a.oauth_consumer_id(),
            s(&t["OS-OAUTH1"]["consumer_id"]),
            "{name}"
        );
        assert_eq!(
            a.oauth2_credential_thumbprint(),
            s(&t["oauth2_credential"]["x5t#S256"]),
            "{name}"
        );
        let fed = &t["user"]["OS-FEDERATION"];
        assert_eq!(a.is_federated(), !fed.is_null(), "{name}");
        if let Some(f) = a.federation() {
            assert_eq!(
                f.identity_provider.as_deref(),
                s(&fed["identity_provider"]["id"])
            );
            assert_eq!(f.protocol.as_deref(), s(&fed["protocol"]["id"]));
            let groups: Vec<&str> = fed["groups"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|g| g["id"].as_str())
                .collect();
            assert_eq!(f.groups, groups);
        }
        let sps = t["service_providers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(a.service_providers().len(), sps.len(), "{name}");
        for sp in &sps {
            let got = a.service_provider(sp["id"].as_str().unwrap()).unwrap();
            assert_eq!(got.auth_url.as_deref(), s(&sp["auth_url"]));
            assert_eq!(got.sp_url.as_deref(), s(&sp["sp_url"]));
        }
        assert_eq!(a.trust_id(), s(&t["OS-TRUST:trust"]["id"]), "{name}");
        assert_eq!(a.body(), body, "{name}");
    }
}

#[test]
fn specific_captures() {
    let load = |n: &str| {
        let c = capture(n);
        let r = &c["response"];
        parse(&r["body"], r["headers"]["X-Subject-Token"].as_str()).unwrap()
    };
    let a = load("token_password_system_scoped.json");
    assert!(a.system_scoped() && a.scoped() && !a.project_scoped());
    let a = load("token_password_domain_scoped.json");
    assert!(a.domain_scoped());
    assert_eq!(a.domain_id(), Some("default"));
    let a = load("token_password_unscoped.json");
    assert!(!a.scoped());
    assert!(!a.has_service_catalog());
    assert!(matches!(
        a.service_catalog()
            .endpoint_data_for(&EndpointFilter::service("identity")),
        Err(Error::EmptyCatalog)
    ));
    let a = load("token_oauth1.json");
    assert_eq!(
        a.oauth_access_token_id(),
        Some("16a609febbca4dafb6162c7c5c2e6d09")
    );
    let a = load("token_app_cred_by_id.json");
    assert_eq!(
        a.application_credential_id(),
        Some("648736a2ef884efd8f5ab3bc476dc425")
    );
    let a = load("token_k2k_rescoped.json");
    assert_eq!(
        a.service_provider("sp1").unwrap().sp_url.as_deref(),
        Some("http://127.0.0.1:35357/Shibboleth.sso/SAML2/ECP")
    );
    let err = a.service_provider("nope").unwrap_err();
    assert_eq!(
        err.to_string(),
        "The Service Provider nope could not be found"
    );
    let a = load("token_federated_openid_unscoped.json");
    assert_eq!(
        a.federation().unwrap().identity_provider.as_deref(),
        Some("testidp")
    );
    let a = load("oauth2_mtls_token_validate.json");
    assert_eq!(
        a.oauth2_credential_thumbprint(),
        Some("mxGz6LIPJWaus1W1xVd8Lk8wcV0iHG1QE2tw_hnCDms=")
    );
    // The real catalog: identity, public interface by default.
    let a = load("token_password_project_scoped.json");
    let d = a
        .service_catalog()
        .endpoint_data_for(&EndpointFilter::service("identity"))
        .unwrap();
    assert_eq!(d.catalog_url, "http://127.0.0.1:35357/v3");
    assert_eq!(d.interface, Some(Interface::Public));
    assert_eq!(d.region_name.as_deref(), Some("RegionOne"));
    assert_eq!(d.service_name.as_deref(), Some("keystone"));
    assert_eq!(
        d.endpoint_id.as_deref(),
        Some("58d6afec5acc4772b850ae5079bcfe40")
    );
    assert_eq!(d.api_version.unwrap().to_string(), "3.0");
    let d = a
        .service_catalog()
        .endpoint_data_for(&EndpointFilter::service("identity").interface(Interface::Admin))
        .unwrap();
    assert_eq!(
        d.endpoint_id.as_deref(),
        Some("7551a6e389f948eab26512f47f77a316")
    );
}

#[test]
fn v3_token_without_subject_token_is_invalid() {
    let cap = capture("token_password_project_scoped.json");
    let err = parse(&cap["response"]["body"], None).unwrap_err();
    assert!(matches!(err, Error::InvalidResponse(_)), "{err:?}");
}

fn small_catalog() -> AccessInfo {
    let catalog = json!([
        service(
            "volumev3",
            "cinderv3",
            &[
                ("public", "R1", "http://cinder/v3/p"),
                ("internal", "R1", "http://cinder-int/v3/p")
            ]
        ),
        service(
            "compute",
            "nova",
            &[
                ("public", "R1", "http://nova-r1/v2.1"),
                ("public", "R2", "http://nova-r2/v2.1"),
                ("admin", "R1", "http://nova-admin/v2.1"),
            ]
        ),
        service(
            "compute",
            "nova-legacy",
            &[("public", "R3", "http://nova-legacy/v2")]
        ),
        service(
            "shared-file-system",
            "manila",
            &[("public", "R1", "http://manila/v2")]
        ),
        service("image", "glance", &[("public", "R1", "")]),
    ]);
    access_info(&v3_body(time::Duration::hours(1), "p", catalog), "t")
}

#[test]
fn catalog_lookup_by_type_alias_interface_region_name() {
    let a = small_catalog();
    let c = a.service_catalog();
    let url = |f: EndpointFilter| c.url_for(&f);
    // Official type finds the alias in the catalog; the alias finds itself.
    assert_eq!(
        url(EndpointFilter::service("block-storage")).unwrap(),
        "http://cinder/v3/p"
    );
    assert_eq!(
        url(EndpointFilter::service("volumev3")).unwrap(),
        "http://cinder/v3/p"
    );
    assert_eq!(
        url(EndpointFilter::service("block_storage")).unwrap(),
        "http://cinder/v3/p"
    );
    // Alias to alias never matches.
    assert!(matches!(
        url(EndpointFilter::service("volumev2")),
        Err(Error::EndpointNotFound(_))
    ));
    // An alias finds the official type.
    assert_eq!(
        url(EndpointFilter::service("sharev2")).unwrap(),
        "http://manila/v2"
    );
    // Interfaces, `publicURL` spelling, preference lists.
    assert_eq!(Interface::parse("publicURL"), Interface::Public);
    assert_eq!(Interface::parse("INTERNALURL"), Interface::Internal);
    assert_eq!(
        url(EndpointFilter::service("block-storage").interface(Interface::parse("internalURL")))
            .unwrap(),
        "http://cinder-int/v3/p"
    );
    assert_eq!(
        url(EndpointFilter::service("compute")
            .interface(Interface::Internal)
            .interface(Interface::Admin))
        .unwrap(),
        "http://nova-admin/v2.1"
    );
    // Region and service name.
    assert_eq!(
        url(EndpointFilter::service("compute").region("R2")).unwrap(),
        "http://nova-r2/v2.1"
    );
    assert_eq!(
        url(EndpointFilter::service("compute").service_name("nova-legacy")).unwrap(),
        "http://nova-legacy/v2"
    );
    assert_eq!(
        c.endpoints_data(&EndpointFilter::service("compute")).len(),
        3,
        "all public compute endpoints"
    );
    // Empty URLs are skipped.
    assert!(matches!(
        url(EndpointFilter::service("image")),
        Err(Error::EndpointNotFound(_))
    ));
}

#[test]
fn requested_alias_wins_when_several_types_match() {
    let catalog = json!([
        service(
            "block-storage",
            "cinder",
            &[("public", "R1", "http://bs/v3")]
        ),
        service("volumev3", "cinderv3", &[("public", "R1", "http://v3/v3")]),
        service("volumev2", "cinderv2", &[("public", "R1", "http://v2/v2")]),
    ]);
    let a = access_info(&v3_body(time::Duration::hours(1), "p", catalog), "t");
    let c = a.service_catalog();
    assert_eq!(
        c.url_for(&EndpointFilter::service("block-storage"))
            .unwrap(),
        "http://bs/v3"
    );
    assert_eq!(
        c.url_for(&EndpointFilter::service("volumev3")).unwrap(),
        "http://v3/v3"
    );
    assert_eq!(
        c.url_for(&EndpointFilter::service("volumev2")).unwrap(),
        "http://v2/v2"
    );
    // Only aliases in the catalog: the official type picks the first alias in preference order.
    let catalog = json!([
        service("volumev2", "cinderv2", &[("public", "R1", "http://v2/v2")]),
        service("volumev3", "cinderv3", &[("public", "R1", "http://v3/v3")]),
    ]);
    let a = access_info(&v3_body(time::Duration::hours(1), "p", catalog), "t");
    assert_eq!(
        a.service_catalog()
            .url_for(&EndpointFilter::service("block-storage"))
            .unwrap(),
        "http://v3/v3"
    );
}

#[test]
fn not_found_and_empty_catalog_messages() {
    let a = small_catalog();
    let c = a.service_catalog();
    let msg = |f: EndpointFilter| c.endpoint_data_for(&f).unwrap_err().to_string();
    assert_eq!(
        msg(EndpointFilter::service("dns")),
        "public endpoint for dns service not found"
    );
    assert_eq!(
        msg(EndpointFilter::service("compute").region("R9")),
        "public endpoint for compute service in R9 region not found"
    );
    assert_eq!(
        msg(EndpointFilter::service("compute").service_name("x")),
        "public endpoint for compute service named x not found"
    );
    assert_eq!(
        msg(EndpointFilter::service("compute")
            .service_name("x")
            .region("R1")
            .interface(Interface::Internal)),
        "internal endpoint for compute service named x in R1 region not found"
    );
    let empty = access_info(&v3_body(time::Duration::hours(1), "p", json!([])), "t");
    let err = empty
        .service_catalog()
        .endpoint_data_for(&EndpointFilter::service("compute"))
        .unwrap_err();
    assert!(matches!(err, Error::EmptyCatalog));
    assert_eq!(err.to_string(), "The service catalog is empty.");
}

#[test]
fn v2_catalog_and_body() {
    let body = json!({"access": {
        "token": {"id": "v2tok", "expires": "2099-01-01T00:00:00Z", "issued_at": "2098-12-31T00:00:00",
                  "tenant": {"id": "t1", "name": "tenant"}, "audit_ids": ["a1", "a2"]},
        "serviceCatalog": [{"type": "compute", "name": "nova", "endpoints": [
            {"region": "R1", "publicURL": "http://nova-pub/v2/t1", "internalURL": "http://nova-int/v2/t1", "id": "e1"}]}],
        "user": {"id": "u2", "name": "v2user", "roles": [{"name": "admin"}]},
        "metadata": {"roles": ["rid"]},
        "trust": {"id": "tr", "trustee_user_id": "te", "impersonation": true}
    }});
    let a = parse(&body, None).unwrap();
    assert_eq!(a.version(), IdentityVersion::V2);
    assert_eq!(a.auth_token().expose_secret(), "v2tok");
    assert_eq!(a.project_id(), Some("t1"));
    assert_eq!(a.username(), Some("v2user"));
    assert_eq!(a.role_ids(), vec!["rid"]);
    assert_eq!(a.audit_chain_id(), Some("a2"));
    assert_eq!(a.trust_id(), Some("tr"));
    assert_eq!(a.trust().unwrap().trustee_user_id.as_deref(), Some("te"));
    // naive timestamps are UTC
    assert_eq!(a.issued().unwrap().offset(), time::UtcOffset::UTC);
    let c = a.service_catalog();
    assert_eq!(
        c.url_for(&EndpointFilter::service("compute").interface(Interface::parse("internalURL")))
            .unwrap(),
        "http://nova-int/v2/t1"
    );
    assert_eq!(
        c.url_for(&EndpointFilter::service("compute")).unwrap(),
        "http://nova-pub/v2/t1"
    );
}

#[test]
fn auth_state_round_trip() {
    for (name, body, tok) in token_captures() {
        let a = parse(&body, tok.as_deref()).unwrap();
        let state = a.to_auth_state();
        let v: Value = serde_json::from_str(&state).unwrap();
        assert_eq!(v["auth_token"].as_str(), tok.as_deref(), "{name}");
        assert_eq!(v["body"], body, "{name}");
        let b = AccessInfo::from_auth_state(&state).unwrap();
        assert_eq!(
            b.auth_token().expose_secret(),
            a.auth_token().expose_secret()
        );
        assert_eq!(b.user_id(), a.user_id());
        assert_eq!(b.expires(), a.expires());
        assert_eq!(b.project_id(), a.project_id());
        assert_eq!(b.service_catalog(), a.service_catalog());
    }
    for bad in [
        "",
        "{}",
        "not json",
        r#"{"auth_token": "t"}"#,
        r#"{"auth_token": "t", "body": {}}"#,
    ] {
        let e = AccessInfo::from_auth_state(bad).unwrap_err();
        assert!(
            e.is_auth_state() && matches!(e, Error::AuthState(_)),
            "{bad:?}: {e}"
        );
        assert!(e.to_string().starts_with("Invalid auth state: "), "{e}");
    }
}

#[test]
fn malformed_bodies_are_invalid_responses_never_panics() {
    let good = capture("token_password_project_scoped.json")["response"]["body"].clone();
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("not json".into(), b"<html>oops</html>".to_vec()),
        ("empty".into(), Vec::new()),
        ("neither".into(), br#"{"other": {}}"#.to_vec()),
        ("array".into(), b"[]".to_vec()),
        ("token not object".into(), br#"{"token": 3}"#.to_vec()),
        ("access not object".into(), br#"{"access": "x"}"#.to_vec()),
        ("v2 without token".into(), br#"{"access": {}}"#.to_vec()),
        (
            "v2 bad expires".into(),
            br#"{"access": {"token": {"id": "x", "expires": "soon"}}}"#.to_vec(),
        ),
    ];
    let mut missing_user = good.clone();
    missing_user["token"]
        .as_object_mut()
        .unwrap()
        .remove("user");
    cases.push((
        "missing user".into(),
        serde_json::to_vec(&missing_user).unwrap(),
    ));
    let mut bad_expiry = good.clone();
    bad_expiry["token"]["expires_at"] = json!("tomorrow-ish");
    cases.push((
        "bad expires_at".into(),
        serde_json::to_vec(&bad_expiry).unwrap(),
    ));
    let mut num_expiry = good.clone();
    num_expiry["token"]["expires_at"] = json!(12345);
    cases.push((
        "numeric expires_at".into(),
        serde_json::to_vec(&num_expiry).unwrap(),
    ));
    let mut no_expiry = good.clone();
    no_expiry["token"]
        .as_object_mut()
        .unwrap()
        .remove("expires_at");
    cases.push((
        "missing expires_at".into(),
        serde_json::to_vec(&no_expiry).unwrap(),
    ));
    let mut bad_catalog = good.clone();
    bad_catalog["token"]["catalog"] = json!("nope");
    cases.push((
        "catalog not a list".into(),
        serde_json::to_vec(&bad_catalog).unwrap(),
    ));
    let mut user_id_num = good.clone();
    user_id_num["token"]["user"]["id"] = json!(7);
    cases.push((
        "numeric user id".into(),
        serde_json::to_vec(&user_id_num).unwrap(),
    ));
    for (what, body) in cases {
        let r = std::panic::catch_unwind(|| {
            AccessInfo::from_body(&body, Some(SecretString::from("t".to_owned())))
        });
        let r = r.unwrap_or_else(|_| panic!("{what}: panicked"));
        assert!(matches!(r, Err(Error::InvalidResponse(_))), "{what}: {r:?}");
    }
}

//! Wire-level tests against wiremock: request bodies (compared with keystoneauth1's verified
//! bodies), headers, receipts, OAuth2, tokenless, errors, cache ids and loaders.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;

use keystoneauth_core::registry::{self, OptionValues};
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AuthPlugin, Authenticator, EndpointFilter, Error, Session};
use keystoneauth_identity_v3::{
    loaders, ApplicationCredential, ApplicationCredentialMethod, Auth, MultiFactor,
    OAuth2ClientCredential, OAuth2MtlsClientCredential, Password, PasswordMethod, ReceiptMethod,
    Scope, ScopeParams, Token, TokenlessAuth, Totp, TotpMethod,
};
use serde_json::{json, Value};
use wiremock::matchers::{body_json, body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn token_body(url: &str) -> Value {
    json!({"token": {
        "methods": ["password"],
        "user": {"domain": {"id": "default", "name": "Default"}, "id": "u1", "name": "demo"},
        "audit_ids": ["a1"],
        "expires_at": "2999-01-01T00:00:00.000000Z",
        "issued_at": "2024-01-01T00:00:00.000000Z",
        "project": {"domain": {"id": "default", "name": "Default"}, "id": "p1", "name": "demo"},
        "roles": [{"id": "r1", "name": "member"}],
        "catalog": [{"type": "identity", "name": "keystone", "id": "s1", "endpoints": [
            {"id": "e1", "interface": "public", "region_id": "RegionOne", "region": "RegionOne",
             "url": format!("{url}/v3")}]}]
    }})
}

fn created(url: &str, token: &str) -> ResponseTemplate {
    ResponseTemplate::new(201)
        .insert_header("X-Subject-Token", token)
        .set_body_json(token_body(url))
}

fn session() -> Session {
    Session::builder().build().unwrap()
}

/// Mount a token endpoint expecting exactly `body`; returns the server.
async fn expect_body(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(body_json(body))
        .respond_with(created(&server.uri(), "TOKEN1"))
        .expect(1)
        .mount(&server)
        .await;
    server
}

async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

#[tokio::test]
async fn password_by_name_project_by_name_matches_keystoneauth1() {
    // FEATURES.md §9.1 verified body.
    let server = expect_body(json!({"auth": {"identity": {"methods": ["password"],
        "password": {"user": {"password": "secret", "name": "u", "domain": {"id": "default"}}}},
        "scope": {"project": {"name": "proj", "domain": {"id": "default"}}}}}))
    .await;
    let auth = Password::new(format!("{}/v3", server.uri()), "secret")
        .username("u")
        .user_domain_id("default")
        .scope(Scope::project_in_domain_id("proj", "default"))
        .into_plugin();
    let s = session();
    let token = auth.token(&s).await.unwrap().unwrap();
    assert_eq!(token.expose_secret(), "TOKEN1");
    // Cached: a second call does not POST again (expect(1)).
    auth.token(&s).await.unwrap();
    let reqs = requests_to(&server, "/v3/auth/tokens").await;
    assert_eq!(reqs[0].headers["accept"], "application/json");
    assert_eq!(reqs[0].headers["content-type"], "application/json");
}

#[tokio::test]
async fn password_bodies_for_every_user_and_scope_shape() {
    let cases: Vec<(Password, Value, Option<Value>)> = vec![
        (
            Password::new("X", "p").user_id("uid").username("ignored"),
            json!({"password": "p", "id": "uid"}),
            None,
        ),
        (
            Password::new("X", "p")
                .username("u")
                .user_domain_name("Default")
                .scope(Scope::DomainId("d1".into())),
            json!({"password": "p", "name": "u", "domain": {"name": "Default"}}),
            Some(json!({"domain": {"id": "d1"}})),
        ),
        (
            Password::new("X", "p")
                .username("u")
                .user_domain_id("did")
                .user_domain_name("ignored")
                .scope(Scope::DomainName("dn".into())),
            json!({"password": "p", "name": "u", "domain": {"id": "did"}}),
            Some(json!({"domain": {"name": "dn"}})),
        ),
        (
            Password::new("X", "p")
                .user_id("uid")
                .scope(Scope::ProjectId("p1".into())),
            json!({"password": "p", "id": "uid"}),
            Some(json!({"project": {"id": "p1"}})),
        ),
        (
            Password::new("X", "p")
                .user_id("uid")
                .scope(Scope::project_in_domain_name("pn", "Default")),
            json!({"password": "p", "id": "uid"}),
            Some(json!({"project": {"name": "pn", "domain": {"name": "Default"}}})),
        ),
        (
            Password::new("X", "p").user_id("uid").scope(Scope::System),
            json!({"password": "p", "id": "uid"}),
            Some(json!({"system": {"all": true}})),
        ),
        (
            Password::new("X", "p")
                .user_id("uid")
                .scope(Scope::Trust("t1".into())),
            json!({"password": "p", "id": "uid"}),
            Some(json!({"OS-TRUST:trust": {"id": "t1"}})),
        ),
        (
            Password::new("X", "p")
                .user_id("uid")
                .scope(Scope::Unscoped),
            json!({"password": "p", "id": "uid"}),
            Some(json!("unscoped")),
        ),
    ];
    let s = session();
    for (plugin, user, scope) in cases {
        let (body, _) = plugin.into_auth().request_body(&s).await.unwrap();
        let mut expected = json!({"auth": {"identity": {"methods": ["password"],
            "password": {"user": user}}}});
        if let Some(scope) = scope {
            expected["auth"]["scope"] = scope;
        }
        assert_eq!(body, expected);
    }
}

#[tokio::test]
async fn scope_precedence_and_errors() {
    let s = session();
    // Same target twice: id wins over name.
    let p = ScopeParams {
        domain_id: Some("d".into()),
        domain_name: Some("n".into()),
        ..Default::default()
    };
    assert_eq!(p.to_json().unwrap(), Some(json!({"domain": {"id": "d"}})));
    let p = ScopeParams {
        project_id: Some("p".into()),
        project_name: Some("n".into()),
        project_domain_id: Some("d".into()),
        ..Default::default()
    };
    assert_eq!(p.to_json().unwrap(), Some(json!({"project": {"id": "p"}})));
    // A project name without a domain: the domain is left out.
    let p = ScopeParams {
        project_name: Some("n".into()),
        ..Default::default()
    };
    assert_eq!(
        p.to_json().unwrap(),
        Some(json!({"project": {"name": "n"}}))
    );
    // Two targets.
    let auth = Auth::new("http://k/v3")
        .with_method(PasswordMethod::new("p").user_id("u"))
        .scope_params(ScopeParams {
            domain_id: Some("d".into()),
            project_id: Some("p".into()),
            ..Default::default()
        });
    match auth.authenticate(&s).await.unwrap_err() {
        Error::AuthorizationFailure(m) => assert_eq!(
            m,
            "Authentication cannot be scoped to multiple targets. Pick one of: project, \
             domain, trust, system or unscoped"
        ),
        e => panic!("{e:?}"),
    }
    // System scope other than all.
    let auth = Auth::new("http://k/v3")
        .with_method(PasswordMethod::new("p").user_id("u"))
        .scope_params(ScopeParams {
            system_scope: Some("some".into()),
            ..Default::default()
        });
    match auth.authenticate(&s).await.unwrap_err() {
        Error::AuthorizationFailure(m) => {
            assert_eq!(m, "Invalid system scope, only \"all\" is supported")
        }
        e => panic!("{e:?}"),
    }
    // No method, or only a receipt.
    for auth in [
        Auth::new("http://k/v3"),
        Auth::new("http://k/v3").with_method(ReceiptMethod::new("r")),
    ] {
        match auth.authenticate(&s).await.unwrap_err() {
            Error::AuthorizationFailure(m) => {
                assert_eq!(m, "Authentication method required (e.g. password)")
            }
            e => panic!("{e:?}"),
        }
    }
}

#[test]
fn token_url_rule_and_nocatalog() {
    for (url, expected) in [
        ("http://k/v3", "http://k/v3/auth/tokens"),
        ("http://k/v3/", "http://k/v3/auth/tokens"),
        ("http://k", "http://k/v3/auth/tokens"),
        ("http://k:5000/", "http://k:5000/v3/auth/tokens"),
        ("http://k/identity/v3", "http://k/identity/v3/auth/tokens"),
    ] {
        assert_eq!(keystoneauth_identity_v3::token_url(url), expected);
    }
    let a = Auth::new("http://k").include_catalog(false);
    assert_eq!(a.token_url(), "http://k/v3/auth/tokens?nocatalog");
}

#[tokio::test]
async fn unversioned_auth_url_and_nocatalog_on_the_wire() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(query_param("nocatalog", ""))
        .respond_with(created(&server.uri(), "T"))
        .expect(1)
        .mount(&server)
        .await;
    let auth = Password::new(server.uri(), "p")
        .user_id("u")
        .include_catalog(false)
        .into_auth();
    auth.authenticate(&session()).await.unwrap();
}

#[tokio::test]
async fn token_method_sends_x_auth_token_and_rescopes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(header("X-Auth-Token", "OLD"))
        .and(body_json(
            json!({"auth": {"identity": {"methods": ["token"],
            "token": {"id": "OLD"}}, "scope": {"project": {"id": "P"}}}}),
        ))
        .respond_with(created(&server.uri(), "NEW"))
        .expect(1)
        .mount(&server)
        .await;
    let plugin = Token::new(format!("{}/v3", server.uri()), "OLD")
        .scope(Scope::ProjectId("P".into()))
        .into_plugin();
    let t = plugin.token(&session()).await.unwrap().unwrap();
    assert_eq!(t.expose_secret(), "NEW");
}

#[tokio::test]
async fn totp_and_application_credential_bodies() {
    let s = session();
    let (b, _) = Totp::new("X", "123456")
        .username("u")
        .user_domain_id("default")
        .into_auth()
        .request_body(&s)
        .await
        .unwrap();
    assert_eq!(
        b,
        json!({"auth": {"identity": {"methods": ["totp"], "totp": {"user": {
            "passcode": "123456", "name": "u", "domain": {"id": "default"}}}}}})
    );
    let (b, _) = ApplicationCredential::with_id("X", "ac1", "sec")
        .into_auth()
        .request_body(&s)
        .await
        .unwrap();
    assert_eq!(
        b,
        json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": "ac1", "secret": "sec"}}}})
    );
    let (b, _) = ApplicationCredential::with_name("X", "acn", "sec")
        .username("u")
        .user_domain_name("Default")
        .into_auth()
        .request_body(&s)
        .await
        .unwrap();
    assert_eq!(
        b,
        json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"name": "acn", "secret": "sec",
                "user": {"name": "u", "domain": {"name": "Default"}}}}}})
    );
    let (b, _) = ApplicationCredential::with_name("X", "acn", "sec")
        .user_id("uid")
        .into_auth()
        .request_body(&s)
        .await
        .unwrap();
    assert_eq!(
        b["auth"]["identity"]["application_credential"],
        json!({"name": "acn", "secret": "sec", "user": {"id": "uid"}})
    );
}

#[tokio::test]
async fn receipt_flow_missing_methods_then_receipt_plus_totp() {
    let server = MockServer::start().await;
    let url = format!("{}/v3", server.uri());
    // Password alone: 401 + receipt (Keystone's real body).
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(body_json(json!({"auth": {"identity": {"methods": ["password"],
            "password": {"user": {"id": "u1", "password": "pw"}}}}})))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("Openstack-Auth-Receipt", "RECEIPT")
                .set_body_json(json!({"receipt": {"methods": ["password"],
                    "user": {"id": "u1", "name": "mfa", "domain": {"id": "default", "name": "Default"}},
                    "expires_at": "2999-01-01T00:05:00.000000Z", "issued_at": "2999-01-01T00:00:00.000000Z"},
                    "required_auth_methods": [["password", "totp"]]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    // Receipt header + totp.
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(header("Openstack-Auth-Receipt", "RECEIPT"))
        .and(body_json(json!({"auth": {"identity": {"methods": ["totp"],
            "totp": {"user": {"id": "u1", "passcode": "123456"}}}}})))
        .respond_with(created(&server.uri(), "MFA"))
        .expect(1)
        .mount(&server)
        .await;
    let s = session();
    let err = Password::new(&url, "pw")
        .user_id("u1")
        .into_auth()
        .authenticate(&s)
        .await
        .unwrap_err();
    let Error::MissingAuthMethods(m) = err else {
        panic!("{err:?}")
    };
    assert_eq!(m.receipt.expose_secret(), "RECEIPT");
    assert_eq!(m.methods, vec!["password"]);
    assert_eq!(m.required_auth_methods, vec![vec!["password", "totp"]]);
    assert_eq!(m.missing_methods(), vec![vec!["totp"]]);
    assert_eq!(m.user_id.as_deref(), Some("u1"));
    let auth = Auth::new(&url)
        .with_method(ReceiptMethod::from_secret(m.receipt.clone()))
        .with_method(TotpMethod::new("123456").user_id("u1"));
    let access = auth.authenticate(&s).await.unwrap();
    assert_eq!(access.auth_token().expose_secret(), "MFA");
}

#[tokio::test]
async fn add_method_on_a_plugin_in_use() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(body_json(
            json!({"auth": {"identity": {"methods": ["password", "totp"],
            "password": {"user": {"id": "u1", "password": "pw"}},
            "totp": {"user": {"id": "u1", "passcode": "1"}}}}}),
        ))
        .respond_with(created(&server.uri(), "BOTH"))
        .expect(1)
        .mount(&server)
        .await;
    let plugin = Password::new(format!("{}/v3", server.uri()), "pw")
        .user_id("u1")
        .into_plugin();
    plugin
        .authenticator()
        .add_method(TotpMethod::new("1").user_id("u1"));
    let t = plugin.token(&session()).await.unwrap().unwrap();
    assert_eq!(t.expose_secret(), "BOTH");
}

#[tokio::test]
async fn errors_unauthorized_non_json_and_missing_subject_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/bad/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": 401, "message": "The request you have made requires authentication.",
            "title": "Unauthorized"}})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/html/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", "T")
                .set_body_string("<html>nope</html>"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/nohdr/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(201).set_body_json(token_body(&server.uri())))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/notoken/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", "T")
                .set_body_json(json!({"access": {}})),
        )
        .mount(&server)
        .await;
    let s = session();
    let auth = |p: &str| {
        Password::new(format!("{}/{p}/v3", server.uri()), "pw")
            .user_id("u")
            .into_auth()
    };
    match auth("bad").authenticate(&s).await.unwrap_err() {
        Error::Unauthorized(h) => {
            assert_eq!(h.status, 401);
            assert_eq!(
                h.message,
                "The request you have made requires authentication."
            );
        }
        e => panic!("{e:?}"),
    }
    for p in ["html", "nohdr", "notoken"] {
        let e = auth(p).authenticate(&s).await.unwrap_err();
        assert!(matches!(e, Error::InvalidResponse(_)), "{p}: {e:?}");
    }
    // Through the plugin (what a Session uses), a refused password names the plugin and the
    // auth URL, and stays an Unauthorized error.
    let plugin = Password::new(format!("{}/bad/v3", server.uri()), "pw")
        .user_id("u")
        .into_plugin();
    let e = plugin.get_access(&s).await.unwrap_err();
    assert!(e.is_unauthorized(), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "Authentication with v3password at {}/bad/v3 failed: The request you have made \
             requires authentication. (HTTP 401)",
            server.uri()
        )
    );
    let ctx = e.http().and_then(|h| h.auth.clone()).unwrap();
    assert_eq!(ctx.plugin, "v3password");
}

#[tokio::test]
async fn password_is_not_logged_and_debug_redacts() {
    let p = Password::new("http://k/v3", "hunter2")
        .user_id("u")
        .into_plugin();
    let dbg = format!("{p:?}");
    assert!(!dbg.contains("hunter2"), "{dbg}");
    let a = ApplicationCredentialMethod::with_id("id", "topsecret");
    assert!(!format!("{a:?}").contains("topsecret"));
    let r = ReceiptMethod::new("rcpt-value");
    assert!(!format!("{r:?}").contains("rcpt-value"));
    let o = OAuth2ClientCredential::new("http://127.0.0.1/v3", "http://127.0.0.1/t", "c", "oa2sec")
        .unwrap();
    assert!(!format!("{o:?}").contains("oa2sec"));
}

#[test]
fn cache_id_vectors() {
    // FEATURES.md §5.2 verified vector.
    let p = Password::new("http://k/v3", "p")
        .username("u")
        .user_domain_id("default")
        .scope(Scope::project_in_domain_id("pr", "default"))
        .into_plugin();
    assert_eq!(
        p.cache_id().as_deref(),
        Some("IRCUnSBwmIn372M9/YubCuex8Gz8tqY143UuyPjsDMU=")
    );
    // system scope, unscoped and include_catalog are not part of it.
    let base = Password::new("http://k/v3", "p").user_id("u");
    let a = base.into_plugin().cache_id();
    let b = Password::new("http://k/v3", "p")
        .user_id("u")
        .scope(Scope::System)
        .include_catalog(false)
        .into_plugin()
        .cache_id();
    let c = Password::new("http://k/v3", "p")
        .user_id("u")
        .scope(Scope::Unscoped)
        .into_plugin()
        .cache_id();
    assert_eq!(a, b);
    assert_eq!(a, c);
    let d = Password::new("http://k/v3", "q")
        .user_id("u")
        .into_plugin()
        .cache_id();
    assert_ne!(a, d);
    // No methods: the hash of nothing.
    assert_eq!(
        Auth::new("http://k/v3").into_plugin().cache_id().as_deref(),
        Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
    );
    // Method prefixes.
    let e = Auth::new("http://k/v3")
        .with_method(TotpMethod::new("1").user_id("u"))
        .cache_id_elements()
        .unwrap();
    assert!(e.contains(&("totp_passcode".into(), Some("1".into()))));
    assert!(e.contains(&("totp_user_id".into(), Some("u".into()))));
    let e = ApplicationCredential::with_id("http://k/v3", "i", "s")
        .into_auth()
        .cache_id_elements()
        .unwrap();
    assert!(e.contains(&(
        "application_credential_application_credential_id".into(),
        Some("i".into())
    )));
    let e = Token::new("http://k/v3", "t")
        .into_auth()
        .cache_id_elements()
        .unwrap();
    assert!(e.contains(&("token_token".into(), Some("t".into()))));
}

#[tokio::test]
async fn oauth2_client_credential_bearer_is_cached() {
    let server = MockServer::start().await;
    let url = format!("{}/v3", server.uri());
    Mock::given(method("POST"))
        .and(path("/v3/OS-OAUTH2/token"))
        .and(header("Authorization", "Basic Y2lkOmNzZWM=")) // cid:csec
        .and(header("Content-Type", "application/x-www-form-urlencoded"))
        .and(body_string("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "AT", "token_type": "Bearer", "expires_in": 3600})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(body_json(
            json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": "cid", "secret": "csec"}}}}),
        ))
        .respond_with(created(&server.uri(), "KS"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/projects"))
        .and(header("X-Auth-Token", "KS"))
        .and(header("Authorization", "Bearer AT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"projects": []})))
        .expect(2)
        .mount(&server)
        .await;
    let plugin = OAuth2ClientCredential::new(&url, format!("{url}/OS-OAUTH2/token"), "cid", "csec")
        .unwrap()
        .into_plugin();
    let s = Session::new(Arc::new(plugin)).unwrap();
    for _ in 0..2 {
        s.get("/projects")
            .endpoint_filter(EndpointFilter::service("identity"))
            .send()
            .await
            .unwrap();
    }
    // The second request took the fast path: it has both tokens without a new bearer.
    let mut ready = keystoneauth_core::http::HeaderMap::new();
    assert!(s.auth().unwrap().add_ready_auth_headers(&mut ready));
    assert_eq!(ready["X-Auth-Token"], "KS");
    assert_eq!(ready["Authorization"], "Bearer AT");
}

#[tokio::test]
async fn oauth2_errors() {
    // http:// only on loopback.
    assert!(OAuth2ClientCredential::new("x", "http://idp.example/token", "c", "s").is_err());
    assert!(OAuth2ClientCredential::new("x", "http://localhost:5000/token", "c", "s").is_ok());
    assert!(OAuth2ClientCredential::new("x", "http://[::1]:5000/token", "c", "s").is_ok());
    assert!(OAuth2MtlsClientCredential::new("x", "http://10.0.0.1/token", "c").is_err());
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/OS-OAUTH2/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "The request you have made requires authentication."})))
        .mount(&server)
        .await;
    let url = format!("{}/v3", server.uri());
    let o =
        OAuth2ClientCredential::new(&url, format!("{url}/OS-OAUTH2/token"), "c", "bad").unwrap();
    match o.access_token(&session()).await.unwrap_err() {
        Error::Unauthorized(h) => assert_eq!(
            h.message,
            "The request you have made requires authentication."
        ),
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn oauth2_mtls_flow() {
    let server = MockServer::start().await;
    let url = format!("{}/v3", server.uri());
    Mock::given(method("POST"))
        .and(path("/v3/OS-OAUTH2/token"))
        .and(body_string("grant_type=client_credentials&client_id=uid"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "AT", "token_type": "Bearer", "expires_in": 3600})))
        .expect(1)
        .mount(&server)
        .await;
    let mut body = token_body(&server.uri());
    body["token"]["methods"] = json!([]);
    Mock::given(method("GET"))
        .and(path("/v3/auth/tokens"))
        .and(header("X-Auth-Token", "AT"))
        .and(header("X-Subject-Token", "AT"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Subject-Token", "AT")
                .set_body_json(body),
        )
        .expect(1)
        .mount(&server)
        .await;
    let plugin = OAuth2MtlsClientCredential::new(&url, format!("{url}/OS-OAUTH2/token"), "uid")
        .unwrap()
        .into_plugin();
    let s = session();
    let h = plugin.auth_headers(&s).await.unwrap().unwrap();
    assert_eq!(h["X-Auth-Token"], "AT");
    assert_eq!(h["Authorization"], "Bearer AT");
    // The session's fast path gives the same two headers from the cache.
    let mut ready = keystoneauth_core::http::HeaderMap::new();
    assert!(plugin.add_ready_auth_headers(&mut ready));
    assert_eq!(ready, h);
    assert_eq!(plugin.project_id(&s).await.unwrap().as_deref(), Some("p1"));
    assert!(plugin.cache_id().is_none());
}

#[tokio::test]
async fn tokenless_headers_and_endpoint() {
    let s = session();
    let cases = [
        (
            TokenlessAuth::new("https://k/v3", Scope::ProjectId("p".into())),
            vec![("x-project-id", "p")],
        ),
        (
            TokenlessAuth::new("https://k/v3", Scope::project_in_domain_id("pn", "d")),
            vec![("x-project-name", "pn"), ("x-project-domain-id", "d")],
        ),
        (
            TokenlessAuth::new("https://k/v3", Scope::project_in_domain_name("pn", "dn")),
            vec![("x-project-name", "pn"), ("x-project-domain-name", "dn")],
        ),
        (
            TokenlessAuth::new("https://k/v3", Scope::DomainId("d".into())),
            vec![("x-domain-id", "d")],
        ),
        (
            TokenlessAuth::new("https://k/v3", Scope::DomainName("dn".into())),
            vec![("x-domain-name", "dn")],
        ),
    ];
    for (t, expected) in cases {
        let h = t.auth_headers(&s).await.unwrap().unwrap();
        assert_eq!(h.len(), expected.len());
        for (k, v) in expected {
            assert_eq!(h[k], v);
        }
        assert!(t.token(&s).await.unwrap().is_none());
    }
    let none = TokenlessAuth::new(
        "https://k/v3",
        Scope::ProjectName {
            name: "pn".into(),
            domain: None,
        },
    );
    assert!(none.auth_headers(&s).await.unwrap().is_none());
    let t = TokenlessAuth::new("https://k/v3", Scope::ProjectId("p".into()));
    assert_eq!(
        t.endpoint(&s, &EndpointFilter::service("Identity"))
            .await
            .unwrap()
            .as_deref(),
        Some("https://k/v3")
    );
    assert_eq!(
        t.endpoint(&s, &EndpointFilter::auth_interface())
            .await
            .unwrap()
            .as_deref(),
        Some("https://k/v3")
    );
    assert!(t
        .endpoint(&s, &EndpointFilter::service("compute"))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn multifactor_body_and_errors() {
    let values = OptionValues::new()
        .with("user_id", "u1")
        .with("password", "pw")
        .with("passcode", "123")
        .with("project_id", "p");
    let auth = MultiFactor::auth("X", &["v3password", "v3totp"], &values).unwrap();
    let (b, _) = auth.request_body(&session()).await.unwrap();
    assert_eq!(
        b,
        json!({"auth": {"identity": {"methods": ["password", "totp"],
            "password": {"user": {"id": "u1", "password": "pw"}},
            "totp": {"user": {"id": "u1", "passcode": "123"}}},
            "scope": {"project": {"id": "p"}}}})
    );
    let e = MultiFactor::auth("X", &["nosuchplugin"], &values).unwrap_err();
    assert!(matches!(e, Error::NoMatchingPlugin { .. }), "{e:?}");
    let e = MultiFactor::auth("X", &["v3tokenlessauth"], &values).unwrap_err();
    assert!(e.to_string().contains("SupportsMultiFactor"), "{e}");
    let e = MultiFactor::auth("X", &["v3token"], &values).unwrap_err();
    assert!(matches!(e, Error::MissingRequiredOptions(_)), "{e:?}");
}

// ---------------------------------------------------------------- loaders

fn names(opts: &[keystoneauth_core::registry::Opt]) -> Vec<&'static str> {
    opts.iter().map(|o| o.name).collect()
}

const SCOPE: [&str; 9] = [
    "auth-url",
    "system-scope",
    "domain-id",
    "domain-name",
    "project-id",
    "project-name",
    "project-domain-id",
    "project-domain-name",
    "trust-id",
];

#[test]
fn option_tables_match_keystoneauth1() {
    let user = ["user-id", "username", "user-domain-id", "user-domain-name"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        SCOPE.iter().chain(extra.iter()).copied().collect()
    };
    let l = |n: &str| registry::loader(n).unwrap().opts();

    let pw = l("v3password");
    assert_eq!(
        names(&pw),
        with(&[user[0], user[1], user[2], user[3], "password"])
    );
    let password = pw.iter().find(|o| o.name == "password").unwrap();
    assert!(password.secret && !password.required);
    assert_eq!(password.prompt, Some("Password: "));
    let username = pw.iter().find(|o| o.name == "username").unwrap();
    assert_eq!(username.deprecated, &["user-name"]);
    assert_eq!(username.env_vars(), vec!["OS_USERNAME", "OS_USER_NAME"]);
    assert!(pw[0].required && pw[1..].iter().all(|o| !o.required));

    assert_eq!(names(&l("v3token")), with(&["token"]));
    assert!(l("v3token").last().unwrap().secret);

    let totp = l("v3totp");
    assert_eq!(
        names(&totp),
        with(&[user[0], user[1], user[2], user[3], "passcode"])
    );
    let pc = totp.last().unwrap();
    assert!(pc.secret);
    assert_eq!(pc.prompt, Some("TOTP passcode: "));

    let ac = l("v3applicationcredential");
    assert_eq!(
        names(&ac),
        with(&[
            user[0],
            user[1],
            user[2],
            user[3],
            "application_credential_secret",
            "application_credential_id",
            "application_credential_name"
        ])
    );
    let sec = ac
        .iter()
        .find(|o| o.name == "application_credential_secret")
        .unwrap();
    assert!(sec.secret && sec.required);
    assert_eq!(sec.cli_flags(), vec!["--os-application_credential_secret"]);
    assert_eq!(sec.env_vars(), vec!["OS_APPLICATION_CREDENTIAL_SECRET"]);

    let o2 = l("v3oauth2clientcredential");
    assert_eq!(
        names(&o2),
        with(&[
            "oauth2_endpoint",
            "oauth2_client_id",
            "oauth2_client_secret"
        ])
    );
    assert!(o2[SCOPE.len()..].iter().all(|o| o.required));
    assert!(o2.last().unwrap().secret);

    let mtls = l("v3oauth2mtlsclientcredential");
    assert_eq!(
        names(&mtls),
        with(&["oauth2-endpoint", "oauth2-client-id", "cert", "key"])
    );
    assert!(mtls[SCOPE.len()].required && mtls[SCOPE.len() + 1].required);
    assert_eq!(mtls[SCOPE.len() + 2].env_vars(), vec!["OS_CERT"]);

    assert_eq!(
        names(&l("v3tokenlessauth")),
        vec![
            "auth-url",
            "domain-id",
            "domain-name",
            "project-id",
            "project-name",
            "project-domain-id",
            "project-domain-name",
            "cert",
            "key"
        ]
    );

    // v3multifactor: keystoneauth1's own options first.
    let mf = l("v3multifactor");
    assert_eq!(names(&mf)[..SCOPE.len() + 1], with(&["auth_methods"])[..]);
    assert!(mf[SCOPE.len()].required);
    for n in [
        "password",
        "passcode",
        "token",
        "user-id",
        "application_credential_secret",
    ] {
        let o = mf.iter().find(|o| o.name == n).unwrap();
        assert!(!o.required, "{n}");
    }
    // After loading: exactly the listed methods' options, keystoneauth1's order.
    assert_eq!(
        names(&loaders::multifactor_options(&["v3password", "v3totp"])),
        with(&[
            "auth_methods",
            user[0],
            user[1],
            user[2],
            user[3],
            "password",
            "passcode"
        ])
    );
}

fn load_err(name: &str, values: &OptionValues) -> String {
    registry::load(name, values).unwrap_err().to_string()
}

#[test]
fn loader_validation_messages() {
    let base = OptionValues::new().with("auth_url", "http://k/v3");
    assert_eq!(
        load_err(
            "v3password",
            &base.clone().with("username", "u").with("password", "p")
        ),
        "You have provided a username. In the V3 identity API a username is only unique \
         within a domain so you must also provide either a user_domain_id or user_domain_name."
    );
    assert_eq!(
        load_err(
            "v3password",
            &base.clone().with("user_id", "u").with("project_name", "p")
        ),
        "You have provided a project_name. In the V3 identity API a project_name is only \
         unique within a domain so you must also provide either a project_domain_id or \
         project_domain_name."
    );
    assert!(load_err("v3password", &OptionValues::new()).contains("auth-url (env OS_AUTH_URL)"));
    assert_eq!(
        load_err(
            "v3applicationcredential",
            &base.clone().with("application_credential_secret", "s")
        ),
        "You must provide either an application credential ID or an application credential \
         name and user."
    );
    assert!(load_err(
        "v3applicationcredential",
        &base.clone().with("application_credential_id", "i")
    )
    .contains("application_credential_secret"));
    assert!(load_err("v3multifactor", &base).contains("auth_methods"));
    assert_eq!(
        load_err("v3tokenlessauth", &base.clone().with("project_name", "p")),
        "You need to provide either a domain_name, domain_id, project_id or project_name. If \
         you have provided a project_name, in the V3 identity API a project_name is only \
         unique within a domain so you must also provide either a project_domain_id or \
         project_domain_name."
    );
    assert!(load_err("v3oauth2clientcredential", &base).contains("oauth2_endpoint"));
    assert!(load_err(
        "v3oauth2clientcredential",
        &base
            .clone()
            .with("oauth2_endpoint", "http://example.org/token")
            .with("oauth2_client_id", "c")
            .with("oauth2_client_secret", "s")
    )
    .contains("https"));
    assert!(load_err("v3oauth2mtlsclientcredential", &base).contains("oauth2-endpoint"));
    assert!(load_err(
        "v3oauth2mtlsclientcredential",
        &base
            .clone()
            .with("oauth2_endpoint", "https://k/token")
            .with("oauth2_client_id", "c")
            .with("cert", "/nonexistent/cert.pem")
    )
    .contains("cannot read client certificate"));
}

#[tokio::test]
async fn loaders_build_working_plugins() {
    let server = expect_body(
        json!({"auth": {"identity": {"methods": ["password", "totp"],
        "password": {"user": {"password": "pw", "name": "u", "domain": {"name": "Default"}}},
        "totp": {"user": {"passcode": "42", "name": "u", "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": "pr", "domain": {"id": "default"}}}}}),
    )
    .await;
    let values = OptionValues::new()
        .with("auth_url", format!("{}/v3", server.uri()))
        .with("auth_methods", "v3password, v3totp")
        .with("username", "u")
        .with("user_domain_name", "Default")
        .with("password", "pw")
        .with("passcode", "42")
        .with("project_name", "pr")
        .with("project_domain_id", "default");
    let plugin = registry::load("v3multifactor", &values).unwrap();
    let t = plugin.token(&session()).await.unwrap().unwrap();
    assert_eq!(t.expose_secret(), "TOKEN1");
    // JSON list form too.
    let values = values.with("auth_methods", r#"["v3password","v3totp"]"#);
    assert!(registry::load("v3multifactor", &values).is_ok());

    for (name, values) in [
        (
            "v3password",
            OptionValues::new()
                .with("auth_url", "http://k/v3")
                .with("user_id", "u")
                .with("password", "p"),
        ),
        (
            "v3token",
            OptionValues::new()
                .with("auth_url", "http://k/v3")
                .with("token", "t"),
        ),
        (
            "v3totp",
            OptionValues::new()
                .with("auth_url", "http://k/v3")
                .with("user_id", "u")
                .with("passcode", "1"),
        ),
        (
            "v3applicationcredential",
            OptionValues::new()
                .with("auth_url", "http://k/v3")
                .with("application_credential_name", "n")
                .with("user_id", "u")
                .with("application_credential_secret", "s"),
        ),
        (
            "v3oauth2clientcredential",
            OptionValues::new()
                .with("auth_url", "https://k/v3")
                .with("oauth2_endpoint", "https://k/v3/OS-OAUTH2/token")
                .with("oauth2_client_id", "c")
                .with("oauth2_client_secret", "s"),
        ),
        (
            "v3oauth2mtlsclientcredential",
            OptionValues::new()
                .with("auth_url", "https://k/v3")
                .with("oauth2_endpoint", "https://k/v3/OS-OAUTH2/token")
                .with("oauth2_client_id", "c"),
        ),
        (
            "v3tokenlessauth",
            OptionValues::new()
                .with("auth_url", "https://k/v3")
                .with("domain_name", "d"),
        ),
    ] {
        let p = registry::load(name, &values).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(p.auth_url().is_some(), "{name}");
    }
}

/// Issue 21 item 11: an `X-Subject-Token` that is there but not text is not reported as
/// missing, and an empty one is not taken as the token.
#[tokio::test]
async fn subject_token_that_is_empty_or_not_text_is_an_error_that_says_so() {
    let server = MockServer::start().await;
    for (p, value) in [
        (
            "latin1",
            keystoneauth_core::http::HeaderValue::from_bytes(b"t\xf6k").unwrap(),
        ),
        (
            "utf8",
            keystoneauth_core::http::HeaderValue::from_bytes("tök".as_bytes()).unwrap(),
        ),
        (
            "empty",
            keystoneauth_core::http::HeaderValue::from_static(""),
        ),
        (
            "blank",
            keystoneauth_core::http::HeaderValue::from_static("  "),
        ),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/{p}/v3/auth/tokens")))
            .respond_with(
                ResponseTemplate::new(201)
                    .insert_header("X-Subject-Token", value)
                    .set_body_json(token_body(&server.uri())),
            )
            .mount(&server)
            .await;
    }
    let s = session();
    for (p, expected) in [
        ("latin1", "X-Subject-Token header is not visible ASCII text"),
        ("utf8", "X-Subject-Token header is not visible ASCII text"),
        ("empty", "X-Subject-Token header is empty"),
        ("blank", "X-Subject-Token header is empty"),
    ] {
        let plugin = Password::new(format!("{}/{p}/v3", server.uri()), "pw")
            .user_id("u")
            .into_plugin();
        let e = plugin.token(&s).await.unwrap_err();
        assert!(matches!(e, Error::InvalidResponse(_)), "{p}: {e:?}");
        assert!(e.to_string().contains(expected), "{p}: {e}");
    }
}

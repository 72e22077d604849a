//! The v2.0 plugins on the wire (wiremock): request shapes, headers, errors, caching.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;

use keystoneauth_core::{AuthPlugin, EndpointFilter, Error, Session};
use keystoneauth_identity_v2::{password, token, Password, Token};
use keystoneauth_testing::mock::{json, serve};
use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn v2_body(token_id: &str, base: &str) -> Value {
    json!({"access": {
        "token": {"id": token_id, "expires": "2099-01-01T00:00:00Z",
                  "issued_at": "2024-01-01T00:00:00.000000Z",
                  "tenant": {"id": "tid", "name": "tn"}, "audit_ids": ["a1"]},
        "user": {"id": "uid", "name": "u", "roles": [{"name": "member"}]},
        "serviceCatalog": [{"type": "compute", "name": "nova", "endpoints": [
            {"region": "RegionOne", "publicURL": format!("{base}/compute/v2.1"),
             "internalURL": format!("{base}/compute-int/v2.1"),
             "adminURL": format!("{base}/compute-adm/v2.1")}]}],
        "metadata": {"roles": ["r1"], "is_admin": 0}
    }})
}

fn session() -> Session {
    Session::builder().build().unwrap()
}

#[tokio::test]
async fn password_posts_exact_body_and_caches_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2.0/tokens"))
        .and(header("accept", "application/json"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"auth": {
            "passwordCredentials": {"username": "u", "password": "p"},
            "tenantName": "tn"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(v2_body("TOK", &server.uri())))
        .expect(1)
        .mount(&server)
        .await;

    let plugin = Arc::new(
        Password::new(format!("{}/v2.0/", server.uri()), "u", "p")
            .tenant_name("tn")
            .into_plugin(),
    );
    let s = Session::new(plugin.clone()).unwrap();
    use secrecy::ExposeSecret;
    let t = s.token().await.unwrap().unwrap();
    assert_eq!(t.expose_secret(), "TOK");
    // Cached: no second POST.
    let t = s.token().await.unwrap().unwrap();
    assert_eq!(t.expose_secret(), "TOK");
    assert_eq!(s.project_id().await.unwrap().as_deref(), Some("tid"));
    assert_eq!(s.user_id().await.unwrap().as_deref(), Some("uid"));
    // The catalog serves endpoints.
    let url = s
        .endpoint(&EndpointFilter::service("compute"))
        .await
        .unwrap();
    assert_eq!(url, Some(format!("{}/compute/v2.1", server.uri())));
    // Auth state is keystoneauth1's JSON.
    let state: Value = serde_json::from_str(&plugin.auth_state().unwrap()).unwrap();
    assert_eq!(state["auth_token"], "TOK");
}

#[tokio::test]
async fn password_by_user_id_with_tenant_id_and_trust() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2.0/tokens"))
        .and(body_json(json!({"auth": {
            "passwordCredentials": {"userId": "uid", "password": "p"},
            "tenantId": "tid", "trust_id": "trust"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(v2_body("TOK", &server.uri())))
        .expect(1)
        .mount(&server)
        .await;
    let p = Password::with_user_id(format!("{}/v2.0", server.uri()), "uid", "p")
        .tenant_id("tid")
        .tenant_name("ignored because the id wins")
        .trust_id("trust")
        .into_plugin();
    let s = Session::new(Arc::new(p)).unwrap();
    assert!(s.token().await.unwrap().is_some());
}

#[tokio::test]
async fn token_sends_header_and_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2.0/tokens"))
        .and(header("x-auth-token", "OLD"))
        .and(body_json(
            json!({"auth": {"token": {"id": "OLD"}, "tenantName": "tn"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(v2_body("NEW", &server.uri())))
        .expect(1)
        .mount(&server)
        .await;
    let p = Token::new(format!("{}/v2.0", server.uri()), "OLD")
        .tenant_name("tn")
        .into_plugin();
    let h = p.auth_headers(&session()).await.unwrap().unwrap();
    assert_eq!(h["x-auth-token"], "NEW");
}

#[tokio::test]
async fn non_json_and_missing_access_are_invalid_response() {
    let server = MockServer::start().await;
    serve(
        &server,
        "POST /html/tokens",
        ResponseTemplate::new(200).set_body_string("<html>hi</html>"),
    )
    .await;
    serve(
        &server,
        "POST /noaccess/tokens",
        json(200, json!({"token": {}})),
    )
    .await;
    let s = session();
    for p in ["html", "noaccess"] {
        let err = password(format!("{}/{p}", server.uri()), "u", "p")
            .get_access(&s)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidResponse(_)), "{p}: {err:?}");
    }
}

#[tokio::test]
async fn unauthorized_maps_to_error_and_is_not_cached() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2.0/tokens"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "message": "The request you have made requires authentication.",
            "code": 401, "title": "Unauthorized"}})))
        .expect(2)
        .mount(&server)
        .await;
    let p = token(format!("{}/v2.0", server.uri()), "bad");
    let s = session();
    for _ in 0..2 {
        let err = p.get_access(&s).await.unwrap_err();
        assert_eq!(err.status(), Some(401), "{err:?}");
    }
}

#[tokio::test]
async fn invalidate_forces_a_new_post() {
    let server = MockServer::start().await;
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path("/v2.0/tokens"))
        .respond_with(move |_: &Request| {
            let n = c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            ResponseTemplate::new(200).set_body_json(v2_body(&format!("T{n}"), &base))
        })
        .mount(&server)
        .await;
    let p = password(format!("{}/v2.0", server.uri()), "u", "p");
    let s = session();
    use secrecy::ExposeSecret;
    assert_eq!(p.token(&s).await.unwrap().unwrap().expose_secret(), "T0");
    assert!(p.invalidate());
    assert_eq!(p.token(&s).await.unwrap().unwrap().expose_secret(), "T1");
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn loaders_build_working_plugins() {
    use keystoneauth_core::registry::{self, OptionValues};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2.0/tokens"))
        .and(body_json(json!({"auth": {
            "passwordCredentials": {"username": "u", "password": "p"}, "tenantId": "tid"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(v2_body("TOK", &server.uri())))
        .expect(1)
        .mount(&server)
        .await;
    let opts = OptionValues::new()
        .with("auth_url", format!("{}/v2.0", server.uri()))
        .with("username", "u")
        .with("password", "p")
        .with("tenant_id", "tid");
    let plugin = registry::load("v2password", &opts).unwrap();
    let s = Session::new(plugin).unwrap();
    assert!(s.token().await.unwrap().is_some());

    // Missing auth_url is reported with its env var.
    let err = registry::load("v2token", &OptionValues::new().with("token", "t")).unwrap_err();
    assert!(err.to_string().contains("OS_AUTH_URL"), "{err}");
    // Neither username nor user id.
    let err = registry::load(
        "v2password",
        &OptionValues::new()
            .with("auth_url", "http://k/v2.0")
            .with("password", "p"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::OptionError(_)), "{err:?}");
}

#[test]
fn loader_option_tables() {
    use keystoneauth_core::registry;
    let names = |n: &str| -> Vec<&'static str> {
        registry::loader(n)
            .unwrap()
            .opts()
            .iter()
            .map(|o| o.name)
            .collect()
    };
    assert_eq!(
        names("v2password"),
        [
            "auth-url",
            "tenant-id",
            "tenant-name",
            "trust-id",
            "username",
            "user-id",
            "password"
        ]
    );
    assert_eq!(
        names("v2token"),
        ["auth-url", "tenant-id", "tenant-name", "trust-id", "token"]
    );
    let opts = registry::loader("v2password").unwrap().opts();
    let username = opts.iter().find(|o| o.name == "username").unwrap();
    assert_eq!(username.env_vars(), ["OS_USERNAME", "OS_USER_NAME"]);
    let pw = opts.iter().find(|o| o.name == "password").unwrap();
    assert!(pw.secret);
    assert_eq!(pw.prompt, Some("Password: "));
    assert!(opts.iter().find(|o| o.name == "auth-url").unwrap().required);
    let tok = registry::loader("v2token").unwrap().opts();
    assert!(tok.iter().find(|o| o.name == "token").unwrap().secret);
}

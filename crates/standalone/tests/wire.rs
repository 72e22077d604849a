//! The standalone plugins on the wire (wiremock).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;

use keystoneauth_core::registry::{self, OptionValues};
use keystoneauth_core::{AuthPlugin, EndpointFilter, Error, Session};
use keystoneauth_standalone::{AdminToken, HttpBasicAuth, NoAuth};
use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn filter() -> EndpointFilter {
    EndpointFilter::service("whatever").region("Nowhere")
}

#[tokio::test]
async fn noauth_sends_notused_to_the_fixed_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/things"))
        .and(header("x-auth-token", "notused"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"things": []})))
        .expect(1)
        .mount(&server)
        .await;
    let s = Session::new(Arc::new(
        NoAuth::new().with_endpoint(format!("{}/v1", server.uri())),
    ))
    .unwrap();
    let r = s
        .get("things")
        .endpoint_filter(filter())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.token().await.unwrap().unwrap().expose_secret(), "notused");
    assert_eq!(
        s.endpoint(&filter()).await.unwrap(),
        Some(format!("{}/v1", server.uri()))
    );
    // Without an endpoint there is none.
    let p = NoAuth::new();
    assert_eq!(p.endpoint(&s, &filter()).await.unwrap(), None);
    assert_eq!(p.cache_id(), None);
}

#[tokio::test]
async fn http_basic_sends_authorization() {
    let server = MockServer::start().await;
    // base64("user:pa:ss")
    Mock::given(method("GET"))
        .and(path("/x"))
        .and(header("authorization", "Basic dXNlcjpwYTpzcw=="))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let auth = HttpBasicAuth::new("user", "pa:ss").with_endpoint(server.uri());
    assert!(!format!("{auth:?}").contains("pa:ss"));
    let s = Session::new(Arc::new(auth)).unwrap();
    let r = s.get("/x").endpoint_filter(filter()).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        s.token().await.unwrap().unwrap().expose_secret(),
        "dXNlcjpwYTpzcw=="
    );
}

#[tokio::test]
async fn http_basic_without_password_is_authorization_failure() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let s = Session::new(Arc::new(HttpBasicAuth::new("user", ""))).unwrap();
    let err = s.get(server.uri()).send().await.unwrap_err();
    assert!(matches!(err, Error::AuthorizationFailure(_)), "{err:?}");
}

#[tokio::test]
async fn admin_token_endpoint_ignores_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/users"))
        .and(header("x-auth-token", "ADMIN"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"users": []})))
        .expect(1)
        .mount(&server)
        .await;
    let endpoint = format!("{}/v3", server.uri());
    let p = AdminToken::new(&endpoint, "ADMIN");
    assert!(!format!("{p:?}").contains("ADMIN"));
    let s = Session::new(Arc::new(p)).unwrap();
    for f in [
        filter(),
        EndpointFilter::service("compute"),
        EndpointFilter::auth_interface(),
    ] {
        assert_eq!(s.endpoint(&f).await.unwrap().as_deref(), Some(&*endpoint));
    }
    let r = s
        .get("users")
        .endpoint_filter(EndpointFilter::service("identity"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.user_id().await.unwrap(), None);
    assert!(!s.invalidate().unwrap());
}

#[tokio::test]
async fn versioned_endpoint_data_discovers_on_the_fixed_endpoint() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(move |_: &Request| {
            ResponseTemplate::new(300).set_body_json(json!({"versions": {"values": [
                {"id": "v3.14", "status": "stable",
                 "links": [{"rel": "self", "href": format!("{base}/v3/")}]}]}}))
        })
        .mount(&server)
        .await;
    let p = NoAuth::new().with_endpoint(server.uri());
    let s = Session::builder().build().unwrap();
    let f = EndpointFilter::service("identity").version("3").unwrap();
    let d = p.endpoint_data(&s, &f).await.unwrap().unwrap();
    assert_eq!(d.url(), format!("{}/v3/", server.uri()));
    assert_eq!(d.api_version.unwrap().to_string(), "3.14");
}

#[tokio::test]
async fn loaders_build_working_plugins() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/a"))
        .and(header("x-auth-token", "T"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/b"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/c"))
        .and(header("x-auth-token", "notused"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    // admin_token with the deprecated `url` alias for the endpoint.
    let p = registry::load(
        "admin_token",
        &OptionValues::new()
            .with("url", server.uri())
            .with("token", "T"),
    )
    .unwrap();
    let s = Session::new(p).unwrap();
    s.get("a").endpoint_filter(filter()).send().await.unwrap();
    let p = registry::load(
        "http_basic",
        &OptionValues::new()
            .with("user_name", "u")
            .with("password", "p")
            .with("endpoint", server.uri()),
    )
    .unwrap();
    let s = Session::new(p).unwrap();
    s.get("b").endpoint_filter(filter()).send().await.unwrap();
    let p = registry::load("none", &OptionValues::new().with("endpoint", server.uri())).unwrap();
    let s = Session::new(p).unwrap();
    s.get("c").endpoint_filter(filter()).send().await.unwrap();
}

#[test]
fn loader_option_tables() {
    let table = |n: &str| -> Vec<(&'static str, bool, Vec<String>)> {
        registry::loader(n)
            .unwrap()
            .opts()
            .iter()
            .map(|o| (o.name, o.secret, o.env_vars()))
            .collect()
    };
    assert_eq!(
        table("admin_token"),
        [
            (
                "endpoint",
                false,
                vec!["OS_ENDPOINT".to_owned(), "OS_URL".to_owned()]
            ),
            ("token", true, vec!["OS_TOKEN".to_owned()]),
        ]
    );
    assert_eq!(
        table("http_basic"),
        [
            (
                "username",
                false,
                vec!["OS_USERNAME".to_owned(), "OS_USER_NAME".to_owned()]
            ),
            ("password", true, vec!["OS_PASSWORD".to_owned()]),
            ("endpoint", false, vec!["OS_ENDPOINT".to_owned()]),
        ]
    );
    assert_eq!(
        table("none"),
        [("endpoint", false, vec!["OS_ENDPOINT".to_owned()])]
    );
    let pw = registry::loader("http_basic").unwrap().opts();
    assert_eq!(pw[1].prompt, Some("Password: "));
}

//! The generic plugins' version choice on the wire (wiremock), after keystoneauth1's probe7
//! table (FEATURES §20): discovery {v2.0, v3} without domain info ⇒ v2.0; any domain info ⇒ v3;
//! failed discovery ⇒ the version in the URL path, else `DiscoveryFailure`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;

use keystoneauth_core::access::IdentityVersion;
use keystoneauth_core::registry::{self, OptionValues};
use keystoneauth_core::{AuthPlugin, Error, Session};
use keystoneauth_generic::{Password, Token};
use keystoneauth_testing::mock::{json, serve, serve_times, token_created};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn version(id: &str, status: &str, href: String) -> Value {
    json!({"id": id, "status": status, "updated": "2013-03-06T00:00:00Z",
           "links": [{"rel": "self", "href": href}]})
}

/// The root document of a server offering v2.0 (deprecated) and v3 (stable).
fn both_versions(base: &str) -> Value {
    json!({"versions": {"values": [
        version("v3.14", "stable", format!("{base}/v3/")),
        version("v2.0", "deprecated", format!("{base}/v2.0/")),
    ]}})
}

fn only_v3(base: &str) -> Value {
    json!({"versions": {"values": [version("v3.14", "stable", format!("{base}/v3/"))]}})
}

fn only_v2(base: &str) -> Value {
    json!({"versions": {"values": [version("v2.0", "stable", format!("{base}/v2.0/"))]}})
}

fn v3_token() -> Value {
    json!({"token": {
        "methods": ["password"], "expires_at": "2099-01-01T00:00:00.000000Z",
        "issued_at": "2024-01-01T00:00:00.000000Z", "audit_ids": ["a"],
        "user": {"id": "uid", "name": "u", "domain": {"id": "default", "name": "Default"}},
        "project": {"id": "pid", "name": "p", "domain": {"id": "default", "name": "Default"}},
        "roles": [{"id": "r", "name": "member"}], "catalog": []}})
}

fn v2_token() -> Value {
    json!({"access": {
        "token": {"id": "V2TOK", "expires": "2099-01-01T00:00:00Z",
                  "tenant": {"id": "pid", "name": "p"}},
        "user": {"id": "uid", "name": "u", "roles": []}, "serviceCatalog": []}})
}

async fn root(server: &MockServer, doc: Value, hits: u64) {
    Mock::given(method("GET"))
        .and(path("/"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(300).set_body_json(doc))
        .expect(hits)
        .mount(server)
        .await;
}

async fn v3_endpoint(server: &MockServer, hits: u64) {
    serve_times(
        server,
        "POST /v3/auth/tokens",
        token_created("V3TOK", v3_token()),
        hits,
    )
    .await;
}

async fn v2_endpoint(server: &MockServer, hits: u64) {
    serve_times(server, "POST /v2.0/tokens", json(200, v2_token()), hits).await;
}

async fn version_used(plugin: impl AuthPlugin + 'static) -> Result<IdentityVersion, Error> {
    version_used_by(Arc::new(plugin)).await
}

async fn version_used_by(plugin: Arc<dyn AuthPlugin>) -> Result<IdentityVersion, Error> {
    let s = Session::new(plugin).unwrap();
    let auth = s.auth().unwrap().clone();
    Ok(auth.access(&s).await?.unwrap().version())
}

/// The v3 token endpoint, answering 201 with `V3TOK` to exactly `body` (and, when given, the
/// `X-Auth-Token` header), once.
async fn expect_v3(server: &MockServer, auth_header: Option<&str>, body: Value) {
    let mut mock = Mock::given(method("POST")).and(path("/v3/auth/tokens"));
    if let Some(token) = auth_header {
        mock = mock.and(header("x-auth-token", token));
    }
    mock.and(body_json(body))
        .respond_with(token_created("V3TOK", v3_token()))
        .expect(1)
        .mount(server)
        .await;
}

/// The v2.0 token endpoint, answering 200 to exactly `body` (and the header), once.
async fn expect_v2(server: &MockServer, auth_header: Option<&str>, body: Value) {
    let mut mock = Mock::given(method("POST")).and(path("/v2.0/tokens"));
    if let Some(token) = auth_header {
        mock = mock.and(header("x-auth-token", token));
    }
    mock.and(body_json(body))
        .respond_with(ResponseTemplate::new(200).set_body_json(v2_token()))
        .expect(1)
        .mount(server)
        .await;
}

/// Which version each generic plugin picks against a server offering both, and the exact body
/// (and `X-Auth-Token`) it sends there, as keystoneauth1 does.
#[tokio::test]
async fn each_plugin_picks_a_version_and_sends_keystoneauth1s_body() {
    type Build = fn(String) -> Arc<dyn AuthPlugin>;
    let cases: [(&str, Build, IdentityVersion, Option<&str>, Value); 5] = [
        (
            "password without domain info: v2.0 with tenantName",
            |url| {
                Arc::new(
                    Password::new(url, "p")
                        .username("u")
                        .project_name("p")
                        .into_plugin(),
                )
            },
            IdentityVersion::V2,
            None,
            json!({"auth": {
                "passwordCredentials": {"username": "u", "password": "p"}, "tenantName": "p"}}),
        ),
        (
            "password with user and project domains: v3",
            |url| {
                Arc::new(
                    Password::new(url, "p")
                        .username("u")
                        .user_domain_id("default")
                        .project_name("p")
                        .project_domain_id("default")
                        .into_plugin(),
                )
            },
            IdentityVersion::V3,
            None,
            json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "password": "p", "name": "u", "domain": {"id": "default"}}}},
                "scope": {"project": {"name": "p", "domain": {"id": "default"}}}}}),
        ),
        (
            "password with a default domain: v3, both domains filled",
            |url| {
                Arc::new(
                    Password::new(url, "p")
                        .username("u")
                        .project_name("p")
                        .default_domain_id("dd")
                        .into_plugin(),
                )
            },
            IdentityVersion::V3,
            None,
            json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "password": "p", "name": "u", "domain": {"id": "dd"}}}},
                "scope": {"project": {"name": "p", "domain": {"id": "dd"}}}}}),
        ),
        (
            "token with a domain scope: v3, token in the header and the body",
            |url| Arc::new(Token::new(url, "OLD").domain_id("d1").into_plugin()),
            IdentityVersion::V3,
            Some("OLD"),
            json!({"auth": {
                "identity": {"methods": ["token"], "token": {"id": "OLD"}},
                "scope": {"domain": {"id": "d1"}}}}),
        ),
        (
            "token with a project id: v2.0 with tenantId",
            |url| Arc::new(Token::new(url, "OLD").project_id("pid").into_plugin()),
            IdentityVersion::V2,
            Some("OLD"),
            json!({"auth": {"token": {"id": "OLD"}, "tenantId": "pid"}}),
        ),
    ];
    for (case, build, version, auth_header, body) in cases {
        let server = MockServer::start().await;
        root(&server, both_versions(&server.uri()), 1).await;
        match version {
            IdentityVersion::V3 => expect_v3(&server, auth_header, body).await,
            _ => expect_v2(&server, auth_header, body).await,
        }
        let used = version_used_by(build(server.uri())).await;
        let used = used.unwrap_or_else(|e| panic!("{case}: {e:?}"));
        assert_eq!(used, version, "{case}");
        // wiremock checks the `expect(1)` when the server is dropped, naming the mock.
        drop(server);
    }
}

#[tokio::test]
async fn domain_scope_skips_v2() {
    let server = MockServer::start().await;
    root(&server, both_versions(&server.uri()), 1).await;
    v3_endpoint(&server, 1).await;
    v2_endpoint(&server, 0).await;
    let p = Password::new(server.uri(), "p")
        .user_id("uid")
        .domain_id("d1")
        .into_plugin();
    assert_eq!(version_used(p).await.unwrap(), IdentityVersion::V3);
}

#[tokio::test]
async fn real_keystone_document_lists_only_v3() {
    let server = MockServer::start().await;
    root(&server, only_v3(&server.uri()), 1).await;
    v3_endpoint(&server, 1).await;
    // No domain info at all: still v3, the only version there is.
    let p = Password::new(server.uri(), "p")
        .user_id("uid")
        .into_plugin();
    assert_eq!(version_used(p).await.unwrap(), IdentityVersion::V3);
}

#[tokio::test]
async fn v2_only_server_with_domain_scope_fails() {
    let server = MockServer::start().await;
    root(&server, only_v2(&server.uri()), 1).await;
    v2_endpoint(&server, 0).await;
    let p = Password::new(server.uri(), "p")
        .username("u")
        .project_name("p")
        .project_domain_id("default")
        .into_plugin();
    let err = version_used(p).await.unwrap_err();
    match err {
        Error::DiscoveryFailure { message, url } => {
            assert_eq!(message, "Cannot use v2 authentication with domain scope");
            assert_eq!(url.as_deref(), Some(&*server.uri()));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn v2_only_server_with_user_domain_finds_nothing() {
    let server = MockServer::start().await;
    root(&server, only_v2(&server.uri()), 1).await;
    v2_endpoint(&server, 0).await;
    let p = Password::new(server.uri(), "p")
        .username("u")
        .user_domain_name("Default")
        .into_plugin();
    let err = version_used(p).await.unwrap_err();
    assert!(
        matches!(&err, Error::DiscoveryFailure { message, .. }
            if message.starts_with("Could not find versioned identity endpoints")),
        "{err:?}"
    );
}

#[tokio::test]
async fn failed_discovery_on_v3_url_falls_back_to_v3() {
    let server = MockServer::start().await;
    serve_times(
        &server,
        "GET /v3",
        ResponseTemplate::new(404).set_body_string("<h1>Not Found</h1>"),
        1,
    )
    .await;
    v3_endpoint(&server, 1).await;
    let p = Password::new(format!("{}/v3", server.uri()), "p")
        .user_id("uid")
        .into_plugin();
    assert_eq!(version_used(p).await.unwrap(), IdentityVersion::V3);
}

#[tokio::test]
async fn failed_discovery_on_v2_url_falls_back_to_v2_unless_domain_scoped() {
    let server = MockServer::start().await;
    serve(&server, "GET /v2.0", ResponseTemplate::new(500)).await;
    v2_endpoint(&server, 1).await;
    let url = format!("{}/v2.0", server.uri());
    let p = Password::new(&url, "p").username("u").into_plugin();
    assert_eq!(version_used(p).await.unwrap(), IdentityVersion::V2);

    let p = Token::new(&url, "t").domain_name("d").into_plugin();
    let err = version_used(p).await.unwrap_err();
    assert!(
        matches!(&err, Error::DiscoveryFailure { message, .. } if message == "Cannot use v2 authentication with domain scope"),
        "{err:?}"
    );
}

#[tokio::test]
async fn not_keystone_is_discovery_failure_naming_the_url() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("content-type", "text/html")
                .set_body_string("<!doctype html><title>404 Not Found</title>"),
        )
        .mount(&server)
        .await;
    let url = format!("{}/identity", server.uri());
    let p = Password::new(&url, "p")
        .username("u")
        .user_domain_id("default")
        .into_plugin();
    let err = version_used(p).await.unwrap_err();
    match &err {
        Error::DiscoveryFailure { message, url: u } => {
            assert_eq!(u.as_deref(), Some(&*url));
            assert!(message.contains(&url), "{message}");
            assert!(message.contains("404"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // A 200 that is not a version document is a failure too.
    let server2 = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("hello"))
        .mount(&server2)
        .await;
    let err = version_used(Token::new(server2.uri(), "t").into_plugin())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DiscoveryFailure { .. }), "{err:?}");
}

#[tokio::test]
async fn connection_refused_is_discovery_failure() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let s = Session::builder().connect_retries(0).build().unwrap();
    let p = Token::new(&url, "t").into_plugin();
    let err = p.get_access(&s).await.unwrap_err();
    assert!(
        matches!(&err, Error::DiscoveryFailure { url: Some(u), .. } if *u == url),
        "{err:?}"
    );
}

#[tokio::test]
async fn plugin_is_built_once() {
    let server = MockServer::start().await;
    root(&server, only_v3(&server.uri()), 1).await;
    v3_endpoint(&server, 2).await;
    let p = Password::new(server.uri(), "p")
        .user_id("uid")
        .into_plugin();
    let s = Session::builder().build().unwrap();
    p.get_access(&s).await.unwrap();
    assert!(p.invalidate());
    let a = p.get_access(&s).await.unwrap();
    assert_eq!(a.auth_token().expose_secret(), "V3TOK");
}

#[tokio::test]
async fn loaders_map_deprecated_tenant_options() {
    let server = MockServer::start().await;
    root(&server, both_versions(&server.uri()), 1).await;
    expect_v3(
        &server,
        None,
        json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "password": "p", "name": "u", "domain": {"name": "Dom"}}}},
            "scope": {"project": {"name": "tn", "domain": {"name": "Dom"}}}}}),
    )
    .await;
    let opts = OptionValues::new()
        .with("auth_url", server.uri())
        .with("user_name", "u")
        .with("password", "p")
        .with("tenant_name", "tn")
        .with("default_domain_name", "Dom");
    let plugin = registry::load("password", &opts).unwrap();
    let s = Session::new(plugin).unwrap();
    assert_eq!(s.token().await.unwrap().unwrap().expose_secret(), "V3TOK");

    let err = registry::load(
        "password",
        &OptionValues::new().with("auth_url", "http://k"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("OS_PASSWORD"), "{err}");
}

#[test]
fn loader_option_tables() {
    let names = |n: &str| -> Vec<&'static str> {
        registry::loader(n)
            .unwrap()
            .opts()
            .iter()
            .map(|o| o.name)
            .collect()
    };
    let base = [
        "auth-url",
        "system-scope",
        "domain-id",
        "domain-name",
        "project-id",
        "project-name",
        "project-domain-id",
        "project-domain-name",
        "trust-id",
        "default-domain-id",
        "default-domain-name",
    ];
    let mut pw = base.to_vec();
    pw.extend([
        "user-id",
        "username",
        "user-domain-id",
        "user-domain-name",
        "password",
    ]);
    assert_eq!(names("password"), pw);
    let mut tok = base.to_vec();
    tok.push("token");
    assert_eq!(names("token"), tok);
    let opts = registry::loader("password").unwrap().opts();
    let find = |n: &str| opts.iter().find(|o| o.name == n).unwrap().clone();
    assert_eq!(
        find("project-id").env_vars(),
        ["OS_PROJECT_ID", "OS_TENANT_ID"]
    );
    assert_eq!(
        find("project-name").cli_flags(),
        ["--os-project-name", "--os-tenant-name"]
    );
    assert_eq!(find("username").env_vars(), ["OS_USERNAME", "OS_USER_NAME"]);
    assert!(find("password").secret);
    assert_eq!(find("password").prompt, Some("Password: "));
    assert!(find("auth-url").required);
    assert!(
        registry::loader("token")
            .unwrap()
            .opts()
            .last()
            .unwrap()
            .secret
    );
}

#[test]
fn cache_ids_match_keystoneauth1() {
    let p = Password::new("http://k", "p")
        .username("u")
        .user_domain_id("default")
        .into_plugin();
    assert_eq!(
        p.cache_id().as_deref(),
        Some("pX6+XNBOgwN9BgZ7Is2rhgxnIC5Lbc2anvvk79t46dg=")
    );
}

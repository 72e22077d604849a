//! Secrets never reach the logs (own test binary: the global tracing subscriber).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod log_capture;
use log_capture::capture_all_logs;

use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AuthPlugin, Session};
use keystoneauth_federation::oidc::OidcPassword;
use keystoneauth_federation::{Federated, Scope};
use keystoneauth_testing::fixtures::V3Token;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FED_PATH: &str = "/v3/OS-FEDERATION/identity_providers/idp/protocols/openid/auth";

fn token_response(subject: &str, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(201)
        .insert_header("X-Subject-Token", subject)
        .set_body_json(body)
}

#[tokio::test]
async fn secrets_are_never_logged() {
    let captured = capture_all_logs();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "AT-s3cr3t", "id_token": "ID-s3cr3t", "refresh_token": "RT-s3cr3t"})),
        )
        .mount(&server)
        .await;
    let mut unscoped = V3Token::new();
    unscoped.federation("idp", "openid", &[]);
    Mock::given(method("POST"))
        .and(path(FED_PATH))
        .respond_with(token_response("UNSCOPED-s3cr3t", unscoped.to_json()))
        .mount(&server)
        .await;
    let mut scoped = V3Token::new();
    scoped.project_scope("P", "p", "default", "Default");
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(token_response("SCOPED-s3cr3t", scoped.to_json()))
        .mount(&server)
        .await;
    let flow = OidcPassword::new(server.uri(), "idp", "openid", "cid", "u", "pw-s3cr3t")
        .client_secret("cs-s3cr3t")
        .access_token_endpoint(format!("{}/token", server.uri()));
    let plugin = Federated::new(flow, Scope::ProjectId("P".into()));
    let s = Session::builder().build().unwrap();
    let t = plugin.token(&s).await.unwrap().unwrap();
    assert_eq!(t.expose_secret(), "SCOPED-s3cr3t");
    let logs = captured.text();
    assert!(
        logs.contains("REQ: curl"),
        "debug logs were captured: {logs}"
    );
    assert!(!logs.contains("s3cr3t"), "{logs}");
    assert!(!format!("{plugin:?}").contains("s3cr3t"));
}

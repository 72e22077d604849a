//! Secrets never reach the logs (own test binary: the global tracing subscriber).

use std::sync::{Arc, Mutex};

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

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_are_never_logged() {
    let buf = Buf::default();
    let b = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || b.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
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
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("REQ: curl"),
        "debug logs were captured: {logs}"
    );
    assert!(!logs.contains("s3cr3t"), "{logs}");
    assert!(!format!("{plugin:?}").contains("s3cr3t"));
}

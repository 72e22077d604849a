//! `v3adfspassword` keeps the password, the SAML assertion and the SP's cookie out of `Debug`
//! and the debug logs (own test binary: the global tracing subscriber).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod log_capture;
use log_capture::capture_all_logs;

mod adfs_common;

use adfs_common::*;
use keystoneauth_core::registry;
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::AuthPlugin;
use keystoneauth_federation::{Federated, Scope};
use wiremock::MockServer;

#[tokio::test]
async fn the_password_and_assertion_are_never_in_debug_or_logs() {
    let captured = capture_all_logs();
    let server = MockServer::start().await;
    mount_sts(&server, soap(200, sts_answer(1))).await;
    mount_sp(&server, true, 1).await;
    mount_keystone(&server, 1, 1).await;
    let plugin = Federated::new(flow(&server), Scope::ProjectId("P".into()));
    let debug = format!("{plugin:?} {:?} {plugin:#?}", plugin.source());
    assert!(debug.contains("alice") && debug.contains("***"), "{debug}");
    let s = session();
    assert_eq!(
        plugin.token(&s).await.unwrap().unwrap().expose_secret(),
        "SCOPED"
    );
    let loaded = registry::load("v3adfspassword", &loader_values(&server)).unwrap();
    let debug = format!("{debug} {loaded:?}");
    let logs = captured.text();
    // The flow's requests were logged (so this test can see a leak).
    assert!(
        logs.contains(STS) && logs.contains(SP) && logs.contains(FED),
        "{logs}"
    );
    for secret in [
        "s3cr3t",
        "s3cr3t".replace('3', "%33").as_str(),
        "_assertion0",
        "sess42",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
}

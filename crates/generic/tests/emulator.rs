//! The generic plugins against the in-process identity emulator, which (unlike a current
//! Keystone) can offer both v2.0 and v3 at its root.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;

use keystoneauth_core::access::IdentityVersion;
use keystoneauth_core::{EndpointFilter, Session};
use keystoneauth_generic::{Password, Token};
use keystoneauth_testing::emulator::Emulator;
use secrecy::ExposeSecret;

fn posts(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path)
        .collect()
}

#[tokio::test]
async fn both_versions_no_domain_is_v2_then_v3_with_a_domain() {
    let emu = Emulator::builder().default_users().start().await.unwrap();
    let s = Session::builder().build().unwrap();

    let v2 = Password::new(emu.url(), "demopass")
        .username("demo")
        .project_name("demo")
        .into_plugin();
    let a = v2.get_access(&s).await.unwrap();
    assert_eq!(a.version(), IdentityVersion::V2);
    assert_eq!(a.project_name(), Some("demo"));

    let v3 = Password::new(emu.url(), "demopass")
        .username("demo")
        .project_name("demo")
        .default_domain_id("default")
        .into_plugin();
    let a = v3.get_access(&s).await.unwrap();
    assert_eq!(a.version(), IdentityVersion::V3);
    assert_eq!(a.project_name(), Some("demo"));
    assert_eq!(posts(&emu), ["/v2.0/tokens", "/v3/auth/tokens"]);

    // The v3 token finds the catalog's compute service and is accepted there.
    let s3 = Session::new(Arc::new(v3)).unwrap();
    let r = s3
        .get("/servers")
        .endpoint_filter(EndpointFilter::service("compute"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn modern_server_is_v3_and_token_rescopes() {
    let emu = Emulator::builder()
        .default_users()
        .v2(false)
        .start()
        .await
        .unwrap();
    let s = Session::builder().build().unwrap();
    let unscoped = Password::new(emu.url(), "demopass")
        .username("demo")
        .user_domain_id("default")
        .into_plugin()
        .get_access(&s)
        .await
        .unwrap();
    assert_eq!(unscoped.version(), IdentityVersion::V3);
    let scoped = Token::new(emu.url(), unscoped.auth_token().expose_secret())
        .project_name("demo")
        .project_domain_id("default")
        .into_plugin()
        .get_access(&s)
        .await
        .unwrap();
    assert_eq!(scoped.version(), IdentityVersion::V3);
    assert_eq!(scoped.user_id(), unscoped.user_id());
    assert_eq!(scoped.project_name(), Some("demo"));
    assert!(scoped.methods().iter().any(|m| m == "token"));
}

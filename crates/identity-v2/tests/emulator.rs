//! The v2.0 plugins against the in-process identity emulator (Keystone itself no longer has
//! the v2.0 API, so this is where the v2.0 flows are proven end to end).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;

use keystoneauth_core::{AuthPlugin, EndpointFilter, Error, Session};
use keystoneauth_identity_v2::{password, Password, Token};
use keystoneauth_testing::emulator::Emulator;
use secrecy::ExposeSecret;

async fn emulator() -> Emulator {
    Emulator::builder().default_users().start().await.unwrap()
}

#[tokio::test]
async fn password_by_name_scoped_to_tenant_reaches_a_catalog_service() {
    let emu = emulator().await;
    let plugin = Password::new(emu.auth_url_v2(), "demo", "demopass")
        .tenant_name("demo")
        .into_plugin();
    let s = Session::new(Arc::new(plugin)).unwrap();
    let access = s.auth().unwrap().access(&s).await.unwrap().unwrap();
    assert_eq!(access.project_name(), Some("demo"));
    assert_eq!(access.username(), Some("demo"));
    assert!(access.role_names().contains(&"member"));
    // The token works on the compute service found through the v2.0 catalog.
    let resp = s
        .get("/servers")
        .endpoint_filter(EndpointFilter::service("compute"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().unwrap()["servers"],
        serde_json::json!([])
    );
    assert_eq!(emu.token_requests(), 1);
}

#[tokio::test]
async fn password_by_user_id_and_tenant_id() {
    let emu = emulator().await;
    // Learn the ids with a first token.
    let s = Session::builder().build().unwrap();
    let first = password(emu.auth_url_v2(), "demo", "demopass")
        .get_access(&s)
        .await
        .unwrap();
    assert!(!first.project_scoped());
    let scoped = Password::new(emu.auth_url_v2(), "demo", "demopass")
        .tenant_name("demo")
        .into_plugin()
        .get_access(&s)
        .await
        .unwrap();
    let pid = scoped.project_id().unwrap().to_owned();
    let by_id = Password::with_user_id(emu.auth_url_v2(), first.user_id(), "demopass")
        .tenant_id(&pid)
        .into_plugin()
        .get_access(&s)
        .await
        .unwrap();
    assert_eq!(by_id.user_id(), first.user_id());
    assert_eq!(by_id.project_id(), Some(&*pid));
}

#[tokio::test]
async fn token_rescopes_an_unscoped_token() {
    let emu = emulator().await;
    let s = Session::builder().build().unwrap();
    let unscoped = password(emu.auth_url_v2(), "demo", "demopass")
        .get_access(&s)
        .await
        .unwrap();
    let scoped = Token::new(emu.auth_url_v2(), unscoped.auth_token().expose_secret())
        .tenant_name("demo")
        .into_plugin()
        .get_access(&s)
        .await
        .unwrap();
    assert_eq!(scoped.user_id(), unscoped.user_id());
    assert_eq!(scoped.project_name(), Some("demo"));
    assert_ne!(
        scoped.auth_token().expose_secret(),
        unscoped.auth_token().expose_secret()
    );
}

#[tokio::test]
async fn wrong_password_and_foreign_tenant_are_unauthorized() {
    let emu = emulator().await;
    let s = Session::builder().build().unwrap();
    let err = password(emu.auth_url_v2(), "demo", "nope")
        .get_access(&s)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    let err = Password::new(emu.auth_url_v2(), "demo", "demopass")
        .tenant_name("admin")
        .into_plugin()
        .get_access(&s)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_modern_keystone_without_v2_answers_404() {
    let emu = Emulator::builder()
        .default_users()
        .v2(false)
        .start()
        .await
        .unwrap();
    let s = Session::builder().build().unwrap();
    let err = password(emu.auth_url_v2(), "demo", "demopass")
        .get_access(&s)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}

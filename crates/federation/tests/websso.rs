//! `v3websso` against the emulator: the test plays the browser. It reads the login URL the
//! plugin shows, logs in on the identity provider's page, and posts Keystone's form to the
//! callback with the headers a browser sends; the plugin then has a scoped token.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;
use std::time::Duration;

use keystoneauth_core::registry::{self, OptionValues};
use keystoneauth_core::{AuthPlugin, Error, Session};
use keystoneauth_federation::websso::WebSso;
use keystoneauth_federation::WebSsoError;
use keystoneauth_federation::{Federated, Scope, ScopeParams};
use keystoneauth_testing::emulator::Emulator;
use tokio::sync::mpsc;

#[path = "websso_browser/mod.rs"]
mod websso_browser;

use websso_browser::{browse, browser, emulator, free_port, redirect_uri, IDP, PASSWORD};

/// A flow on `port` whose prompt hands the login URL to the test's browser.
fn flow(emu: &Emulator, port: u16, timeout: Duration) -> (WebSso, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let f = WebSso::new(emu.auth_url_v3(), IDP, "openid")
        .redirect_host("127.0.0.1")
        .redirect_port(port)
        .login_timeout(timeout)
        .open_browser(false)
        .prompt(move |url| {
            let _ = tx.send(url.to_owned());
        });
    (f, rx)
}

#[tokio::test]
async fn websso_gives_a_project_token() {
    let port = free_port();
    let emu = emulator(&[redirect_uri(port)]).await;
    let (f, mut urls) = flow(&emu, port, Duration::from_secs(20));
    let expected_url = f.login_url();
    let plugin = Arc::new(Federated::new(
        f,
        Scope::project_in_domain_id("demo", "default"),
    ));
    let session = Session::new(plugin.clone()).unwrap();
    let user = tokio::spawn(async move {
        let url = tokio::time::timeout(Duration::from_secs(10), urls.recv())
            .await
            .expect("the plugin shows the login URL")
            .unwrap();
        assert_eq!(url, expected_url);
        browse(&url, "alice", PASSWORD).await
    });
    let access = tokio::time::timeout(Duration::from_secs(30), plugin.access(&session))
        .await
        .expect("the flow ends")
        .unwrap()
        .unwrap();
    let (status, page, _) = user.await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Authentication complete"), "{page}");
    assert_eq!(access.project_name(), Some("demo"));
    assert_eq!(access.username(), Some("alice"));
    assert!(access.has_service_catalog());
    // The unscoped token is kept for the next rescope and savable.
    let state = plugin.unscoped_auth_state().expect("unscoped token kept");
    assert!(state.contains("\"OS-FEDERATION\""), "{state}");
    // The callback server is gone.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err());
}

#[tokio::test]
async fn an_untrusted_origin_never_gives_a_token() {
    let port = free_port();
    // Keystone trusts another dashboard, not this callback.
    let emu = emulator(&["https://horizon.example/auth/websso/".into()]).await;
    let (f, mut urls) = flow(&emu, port, Duration::from_millis(1500));
    let session = Session::new(Arc::new(Federated::new(f, ScopeParams::default()))).unwrap();
    let user = tokio::spawn(async move {
        let url = urls.recv().await.unwrap();
        browse(&url, "alice", PASSWORD).await
    });
    let err = tokio::time::timeout(Duration::from_secs(10), session.token())
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            err.plugin_error::<WebSsoError>(),
            Some(WebSsoError::MissingToken { .. })
        ),
        "{err:?}"
    );
    let (status, page, _) = user.await.unwrap();
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("is not a trusted dashboard host"), "{page}");
}

#[tokio::test]
async fn a_forged_token_is_refused_by_keystone() {
    // Something posts a made-up token to the callback: it passes the callback's checks, and
    // Keystone's validation refuses it.
    let port = free_port();
    let emu = emulator(&[redirect_uri(port)]).await;
    let (f, mut urls) = flow(&emu, port, Duration::from_secs(10));
    let session = Session::new(Arc::new(Federated::new(f, ScopeParams::default()))).unwrap();
    let forger = tokio::spawn(async move {
        let _ = urls.recv().await.unwrap();
        browser()
            .post(redirect_uri(port))
            .header("Sec-Fetch-Mode", "navigate")
            .header("Sec-Fetch-Dest", "document")
            .header("Sec-Fetch-Site", "cross-site")
            .form(&[("token", "gAAAAABforged")])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    let err = tokio::time::timeout(Duration::from_secs(10), session.token())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(forger.await.unwrap(), 200);
    // As Keystone: the forged token cannot authenticate its own validation.
    assert_eq!(err.status(), Some(401), "{err:?}");
}

#[test]
fn loader_options_and_errors() {
    let loader = registry::loader("v3websso").unwrap();
    let names: Vec<&str> = loader.opts().iter().map(|o| o.name).collect();
    for n in [
        "auth-url",
        "project-name",
        "identity-provider",
        "protocol",
        "redirect-host",
        "redirect-port",
        "login-timeout",
        "username",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let base = OptionValues::new()
        .with("auth_url", "http://127.0.0.1:9/v3")
        .with("identity_provider", IDP)
        .with("protocol", "openid");
    assert!(registry::load("v3websso", &base).is_ok());
    match registry::load("v3websso", &OptionValues::new()) {
        Err(Error::MissingRequiredOptions(m)) => {
            let envs: Vec<&str> = m.iter().map(|o| o.env.as_str()).collect();
            assert_eq!(envs, ["OS_AUTH_URL", "OS_IDENTITY_PROVIDER", "OS_PROTOCOL"]);
        }
        other => panic!("{other:?}"),
    }
    for (k, v) in [
        ("redirect_port", "0"),
        ("redirect_port", "99999"),
        ("redirect_port", "http"),
        ("login_timeout", "-5"),
        ("login_timeout", "soon"),
        ("redirect_host", " "),
        ("project_name", "demo"),
    ] {
        let r = registry::load("v3websso", &base.clone().with(k, v));
        assert!(matches!(r, Err(Error::OptionError(_))), "{k}={v}: {r:?}");
    }
}

#[tokio::test]
async fn a_loaded_plugin_with_a_remote_redirect_host_fails_before_listening() {
    let values = OptionValues::new()
        .with("auth_url", "http://127.0.0.1:9/v3")
        .with("identity_provider", IDP)
        .with("protocol", "openid")
        .with("redirect_host", "192.0.2.10");
    let plugin: Arc<dyn AuthPlugin> = registry::load("v3websso", &values).unwrap();
    let session = Session::new(plugin).unwrap();
    let err = tokio::time::timeout(Duration::from_secs(15), session.token())
        .await
        .unwrap()
        .unwrap_err();
    match err {
        Error::OptionError(m) => assert!(m.contains("loopback"), "{m}"),
        other => panic!("{other:?}"),
    }
}

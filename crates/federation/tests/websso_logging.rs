//! WebSSO tokens never reach the logs, only their `{SHA256}` hash; the login URL is shown as
//! keystoneauth1's warning (own test binary: the global tracing subscriber).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod log_capture;
use log_capture::capture_all_logs;

use std::time::Duration;

use keystoneauth_core::redact::hash_secret;
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AuthPlugin, Session};
use keystoneauth_federation::websso::WebSso;
use keystoneauth_federation::{Federated, Scope};

#[path = "websso_browser/mod.rs"]
mod websso_browser;

use websso_browser::{browse, emulator, free_port, redirect_uri, IDP, PASSWORD};

#[tokio::test]
async fn websso_tokens_are_hashed_in_logs_and_the_url_is_a_warning() {
    let captured = capture_all_logs();

    let port = free_port();
    let emu = emulator(&[redirect_uri(port)]).await;
    // The default prompt: a warning with the URL.
    let flow = WebSso::new(emu.auth_url_v3(), IDP, "openid")
        .redirect_host("127.0.0.1")
        .redirect_port(port)
        .login_timeout(Duration::from_secs(20))
        .open_browser(false);
    let login_url = flow.login_url();
    let plugin = Federated::new(flow, Scope::project_in_domain_id("demo", "default"));
    let session = Session::builder().build().unwrap();
    let user = tokio::spawn(async move {
        // Wait for the callback server (bounded), then browse.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        browse(&login_url, "alice", PASSWORD).await
    });
    let scoped = tokio::time::timeout(Duration::from_secs(30), plugin.token(&session))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let (status, page, posted) = user.await.unwrap();
    assert_eq!(status, 200, "{page}");
    let unscoped = posted.expect("Keystone's page posted a token");

    let logs = captured.text();
    assert!(
        logs.contains("WARN") && logs.contains("To authenticate please go to: http://127.0.0.1:"),
        "{logs}"
    );
    assert!(logs.contains(&hash_secret(&unscoped)), "{logs}");
    assert!(!logs.contains(&unscoped), "{logs}");
    assert!(!logs.contains(scoped.expose_secret()), "{logs}");
}

//! Credentials never follow a redirect to another origin (scheme, host, port), and never from
//! https to http (that one is in tls.rs); a same-origin redirect still works; the caller can
//! opt back in to keystoneauth1's behaviour. 127.0.0.2 stands for "another host".
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use keystoneauth_core::{Error, Session};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server on `ip` that records each request's head and body and answers with `reply`
/// (`{port}` is replaced by its own port).
async fn recording_server(ip: &str, reply: String) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind(format!("{ip}:0")).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let reply = reply.replace("{port}", &port.to_string());
    tokio::spawn(async move {
        for _ in 0..20 {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head and whatever body arrives with it.
            loop {
                match tokio::time::timeout(
                    std::time::Duration::from_millis(200),
                    sock.read(&mut chunk),
                )
                .await
                {
                    Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                    _ => break,
                }
                if buf.windows(4).any(|w| w == b"\r\n\r\n")
                    && !String::from_utf8_lossy(&buf)
                        .to_ascii_lowercase()
                        .contains("content-length")
                {
                    break;
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).into_owned());
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    });
    (port, seen)
}

fn redirect_to(location: &str, status: u16) -> String {
    format!(
        "HTTP/1.1 {status} Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
}

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

#[tokio::test]
async fn a_password_is_not_sent_to_another_host() {
    let (evil_port, evil) = recording_server("127.0.0.2", OK.to_owned()).await;
    for status in [302, 303, 307, 308] {
        let (port, _) = recording_server(
            "127.0.0.1",
            redirect_to(
                &format!("http://127.0.0.2:{evil_port}/v3/auth/tokens"),
                status,
            ),
        )
        .await;
        let session = Session::builder().build().unwrap();
        let err = bounded(
            session
                .post(format!("http://127.0.0.1:{port}/v3/auth/tokens"))
                .json(
                    &json!({"auth": {"identity": {"password": {"user": {"password": "hunter2"}}}}}),
                )
                .authenticated(false)
                .send(),
        )
        .await
        .unwrap_err();
        assert!(err.is_redirect(), "{status}: {err:?}");
        let text = err.to_string();
        assert!(
            text.contains("another origin") && text.contains("a request body"),
            "{text}"
        );
        assert!(
            text.contains(&format!("127.0.0.1:{port}")) && text.contains("127.0.0.2"),
            "{text}"
        );
    }
    assert!(
        evil.lock().unwrap().is_empty(),
        "the other host was contacted"
    );
}

#[tokio::test]
async fn a_token_is_not_sent_to_another_host_or_port() {
    let plugin = Arc::new(CountingPlugin::new());
    let session = Session::builder().auth(plugin).build().unwrap();
    let (evil_port, evil) = recording_server("127.0.0.2", OK.to_owned()).await;
    let (other_port, other) = recording_server("127.0.0.1", OK.to_owned()).await;
    for target in [
        format!("http://127.0.0.2:{evil_port}/x"),
        format!("http://127.0.0.1:{other_port}/x"),
    ] {
        let (port, _) = recording_server("127.0.0.1", redirect_to(&target, 302)).await;
        let err = bounded(
            session
                .get(format!("http://127.0.0.1:{port}/servers"))
                .send(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
        assert!(err.to_string().contains("X-Auth-Token"), "{err}");
    }
    assert!(evil.lock().unwrap().is_empty());
    assert!(other.lock().unwrap().is_empty());
}

/// An unauthenticated GET with no body (version discovery, say) may go to another origin.
/// (Same-origin redirects with a token: session.rs's redirect tests.)
#[tokio::test]
async fn credential_free_requests_follow_redirects_anywhere() {
    let session = Session::builder()
        .auth(Arc::new(CountingPlugin::new()))
        .build()
        .unwrap();
    let (target_port, target) = recording_server("127.0.0.2", OK.to_owned()).await;
    let (redir, _) = recording_server(
        "127.0.0.1",
        redirect_to(&format!("http://127.0.0.2:{target_port}/doc"), 301),
    )
    .await;
    let resp = bounded(
        session
            .get(format!("http://127.0.0.1:{redir}/"))
            .authenticated(false)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.text(), "ok");
    let heads = target.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    assert!(!heads[0].to_ascii_lowercase().contains("x-auth-token"));
}

#[tokio::test]
async fn the_caller_can_opt_in_per_request_or_per_session() {
    let (evil_port, evil) = recording_server("127.0.0.2", OK.to_owned()).await;
    let target = format!("http://127.0.0.2:{evil_port}/x");
    let plugin = Arc::new(CountingPlugin::new());
    let session = Session::builder().auth(plugin.clone()).build().unwrap();
    let (port, _) = recording_server("127.0.0.1", redirect_to(&target, 307)).await;
    let resp = bounded(
        session
            .get(format!("http://127.0.0.1:{port}/x"))
            .allow_cross_origin_redirects(true)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.text(), "ok");
    let session = Session::builder()
        .auth(plugin)
        .allow_cross_origin_redirects(true)
        .build()
        .unwrap();
    let (port, _) = recording_server("127.0.0.1", redirect_to(&target, 302)).await;
    bounded(session.get(format!("http://127.0.0.1:{port}/x")).send())
        .await
        .unwrap();
    let heads = evil.lock().unwrap().clone();
    assert_eq!(heads.len(), 2);
    assert!(heads
        .iter()
        .all(|h| h.to_ascii_lowercase().contains("x-auth-token")));
}

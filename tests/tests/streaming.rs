//! A streamed download authenticated by the real Keystone: the object server behind an
//! endpoint override checks each token with Keystone, refuses the first request with 401 (as a
//! service does with a revoked token), and the session reauthenticates, retries and streams
//! 64 MiB intact.
//!
//! Needs `cargo xtask test` (or `cargo xtask keystone up`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use keystoneauth_core::{Adapter, Session};
use keystoneauth_identity_v3::{Password, Scope};
use keystoneauth_tests::Keystone;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOTAL: usize = 64 * 1024 * 1024;

/// An object server: the first request gets 401, later ones are checked with Keystone
/// (`GET /v3/auth/tokens`, the admin token validating the request's) and get `TOTAL` bytes.
async fn object_server(auth_url: String, admin_token: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    let http = reqwest::Client::new();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let (auth_url, admin_token, http) =
                (auth_url.clone(), admin_token.clone(), http.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_string();
                let token = text
                    .lines()
                    .find_map(|l| l.strip_prefix("x-auth-token: "))
                    .unwrap_or("")
                    .to_owned();
                let valid = n > 0
                    && http
                        .get(format!("{auth_url}/auth/tokens"))
                        .header("X-Auth-Token", &admin_token)
                        .header("X-Subject-Token", &token)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                if !valid {
                    let body = r#"{"error": {"code": 401, "message": "The request you have made requires authentication."}}"#;
                    let reply = format!(
                        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(reply.as_bytes()).await;
                    return;
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {TOTAL}\r\n\r\n"
                );
                if sock.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
                let block: Vec<u8> = (0..1024 * 1024usize).map(|i| (i % 251) as u8).collect();
                for _ in 0..TOTAL / block.len() {
                    if sock.write_all(&block).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}/v1/AUTH_x"), requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_get_reauthenticates_on_401_and_streams_intact() {
    let ks = Keystone::from_env();
    let admin = ks.admin().await;
    let project = admin.create_project("default").await.unwrap();
    let user = admin.create_user("default", None).await.unwrap();
    let role = admin.role_id("member").await.unwrap();
    admin
        .grant_project_role(&project.id, &user.id, &role)
        .await
        .unwrap();
    let (store, requests) = object_server(ks.env.auth_url.clone(), admin.token().to_owned()).await;

    let plugin = Password::new(&ks.env.auth_url, &user.password)
        .user_id(&user.id)
        .scope(Scope::ProjectId(project.id.clone()))
        .into_plugin();
    let session = Session::new(Arc::new(plugin)).unwrap();
    let swift = Adapter::new(session, "object-store")
        .endpoint_override(store)
        .timeout(Duration::from_secs(30));
    let mut resp = tokio::time::timeout(
        Duration::from_secs(60),
        swift.get("/container/object").send_streaming(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(resp.status(), 200);
    let mut seen = 0usize;
    let mut wrong = 0usize;
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(30), resp.chunk())
        .await
        .unwrap()
        .unwrap()
    {
        for (i, b) in chunk.iter().enumerate() {
            if *b != (((seen + i) % (1024 * 1024)) % 251) as u8 {
                wrong += 1;
            }
        }
        seen += chunk.len();
    }
    assert_eq!((seen, wrong), (TOTAL, 0));
    // One refused request, one that Keystone's token check let through.
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    admin.cleanup().await.unwrap();
}

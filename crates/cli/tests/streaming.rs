//! `ksa request -o FILE` streams a large body to a file in constant memory; a server that
//! never answers ends with a timeout error naming the URL and the timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use keystoneauth_testing::emulator::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::process::Command;

/// A server that answers every request with `total` bytes of a repeating pattern, after
/// checking that the request carried a token.
async fn big_body_server(total: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                if !text.contains("x-auth-token: ") {
                    let _ = sock
                        .write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
                     content-length: {total}\r\n\r\n"
                );
                if sock.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
                let block: Vec<u8> = (0..65536usize).map(|i| (i % 251) as u8).collect();
                let mut sent = 0;
                while sent < total {
                    let n = (total - sent).min(block.len());
                    if sock.write_all(&block[..n]).await.is_err() {
                        return;
                    }
                    sent += n;
                }
            });
        }
    });
    format!("http://{addr}/v1")
}

/// A server that accepts connections and never answers.
async fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    format!("http://{addr}/v3")
}

async fn ksa(home: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    let run = Command::new(env!("CARGO_BIN_EXE_ksa"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(home)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("ksa finishes within 120 s")
        .expect("ksa runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_output_streams_a_large_body_to_a_file() {
    let emu = Emulator::builder().default_users().start().await.unwrap();
    let total = 200 * 1024 * 1024; // over the 64 MiB buffered limit
    let store = big_body_server(total).await;
    let home = tempfile::tempdir().unwrap();
    let clouds = home.path().join("clouds.yaml");
    std::fs::write(
        &clouds,
        format!(
            "clouds:\n  emu:\n    auth:\n      auth_url: {}\n      username: demo\n      \
             password: demopass\n      user_domain_id: default\n      project_name: demo\n      \
             project_domain_id: default\n    compute_endpoint_override: {store}\n",
            emu.auth_url_v3()
        ),
    )
    .unwrap();
    let env = vec![
        ("OS_CLIENT_CONFIG_FILE", clouds.display().to_string()),
        ("OS_CLOUD", "emu".to_owned()),
    ];
    let file = home.path().join("object.bin");
    let out = ksa(
        home.path(),
        &env,
        &[
            "request",
            "GET",
            "compute",
            "/object",
            "-o",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("200 OK"));
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(meta.len(), total as u64);
    let data = std::fs::read(&file).unwrap();
    assert!(data
        .iter()
        .enumerate()
        .all(|(i, b)| *b == ((i % 65536) % 251) as u8));
    // Without -o the same body is over the buffered limit: a clear error, not 226 MB of memory.
    let out = ksa(home.path(), &env, &["request", "GET", "compute", "/object"]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exceeds the limit"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A symlink planted at the output path is not followed.
    let target = home.path().join("victim");
    std::fs::write(&target, b"keep me").unwrap();
    let link = home.path().join("link.bin");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = ksa(
        home.path(),
        &env,
        &[
            "request",
            "GET",
            "compute",
            "/object",
            "-o",
            link.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out() {
    let url = silent_server().await;
    let home = tempfile::tempdir().unwrap();
    let env = vec![
        ("OS_AUTH_URL", url.clone()),
        ("OS_USERNAME", "demo".to_owned()),
        ("OS_PASSWORD", "demopass".to_owned()),
        ("OS_USER_DOMAIN_ID", "default".to_owned()),
        ("OS_PROJECT_NAME", "demo".to_owned()),
        ("OS_PROJECT_DOMAIN_ID", "default".to_owned()),
    ];
    let started = Instant::now();
    let out = ksa(home.path(), &env, &["--timeout", "1.5", "token", "issue"]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("timed out after 1.5 s"), "{stderr}");
    assert!(stderr.contains(&url), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
    // OS_TIMEOUT works the same way (api_timeout in clouds.yaml too).
    let mut env2 = env.clone();
    env2.push(("OS_TIMEOUT", "1".to_owned()));
    let out = ksa(home.path(), &env2, &["token", "issue"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("timed out after 1.0 s"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheme_less_auth_url_names_the_option_and_the_value() {
    let home = tempfile::tempdir().unwrap();
    let env = vec![
        ("OS_AUTH_URL", "keystone.example.com:5000/v3".to_owned()),
        ("OS_USERNAME", "demo".to_owned()),
        ("OS_PASSWORD", "demopass".to_owned()),
        ("OS_USER_DOMAIN_ID", "default".to_owned()),
        ("OS_PROJECT_NAME", "demo".to_owned()),
        ("OS_PROJECT_DOMAIN_ID", "default".to_owned()),
    ];
    let out = ksa(home.path(), &env, &["token", "issue"]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "auth_url \"keystone.example.com:5000/v3\" has no http:// or https:// scheme"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("Service Catalog"), "{stderr}");
}

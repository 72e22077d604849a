//! Streamed responses (`send_streaming`): large bodies in constant memory, everything before
//! the first body byte as for `send` (401 reauthentication, retries, redirects, errors,
//! logging), and a read timeout between chunks.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use keystoneauth_core::{blocking, Error, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A server whose every connection answers with headers and `total` body bytes written in
/// chunks, pausing `stall` (if any) after `stall_after` bytes.
async fn chunked_server(total: usize, stall_after: usize, stall: Option<Duration>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
                     content-length: {total}\r\nx-openstack-request-id: req-big\r\n\r\n"
                );
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = pattern(64 * 1024);
                let mut sent = 0usize;
                while sent < total {
                    if let Some(d) = stall.filter(|_| sent >= stall_after) {
                        tokio::time::sleep(d).await;
                    }
                    let n = (total - sent).min(chunk.len());
                    // The pattern continues across chunks.
                    let piece: Vec<u8> = (sent..sent + n).map(|i| (i % 251) as u8).collect();
                    if sock.write_all(&piece).await.is_err() {
                        return;
                    }
                    sent += n;
                }
            });
        }
    });
    format!("http://{addr}/object")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_larger_than_max_body_size_streams_intact() {
    // 100 MiB through a session whose buffered limit is 1 MiB.
    let total = 100 * 1024 * 1024;
    let url = chunked_server(total, usize::MAX, None).await;
    let session = Session::builder()
        .max_body_size(1024 * 1024)
        .build()
        .unwrap();
    let err = bounded(session.get(&url).send()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidResponse(_)), "{err:?}");

    let mut resp = bounded(session.get(&url).send_streaming()).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.request_id(), Some("req-big"));
    assert_eq!(resp.content_length(), Some(total as u64));
    let mut seen = 0usize;
    let mut wrong = 0usize;
    while let Some(chunk) = bounded(resp.chunk()).await.unwrap() {
        for (i, b) in chunk.iter().enumerate() {
            if *b != ((seen + i) % 251) as u8 {
                wrong += 1;
            }
        }
        seen += chunk.len();
    }
    assert_eq!((seen, wrong), (total, 0));
    assert_eq!(resp.bytes_read(), total as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_download_ends_with_a_read_timeout() {
    let url = chunked_server(4 * 1024 * 1024, 256 * 1024, Some(Duration::from_secs(30))).await;
    let session = Session::builder().build().unwrap();
    let mut resp = bounded(
        session
            .get(&url)
            .timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_millis(300))
            .send_streaming(),
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let err = loop {
        match bounded(resp.chunk()).await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the body ended"),
            Err(e) => break e,
        }
    };
    assert!(err.is_timeout(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("reading the body") && text.contains("0.3 s"),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_on_the_first_try_reauthenticates_and_the_body_is_intact() {
    let server = MockServer::start().await;
    let body = pattern(3 * 1024 * 1024 + 17);
    // The first token is refused, the second one gets the object.
    Mock::given(method("GET"))
        .and(path("/object"))
        .and(header("x-auth-token", "tok-1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": {"code": 401, "message": "The request you have made requires authentication."}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/object"))
        .and(header("x-auth-token", "tok-2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(body.clone(), "application/octet-stream"),
        )
        .mount(&server)
        .await;
    let plugin = Arc::new(CountingPlugin::new());
    let session = Session::builder().auth(plugin.clone()).build().unwrap();
    let (logs, _guard) = capture_logs();
    let resp = bounded(
        session
            .get(format!("{}/object", server.uri()))
            .send_streaming(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let mut out = Vec::new();
    let mut reader = resp.into_async_read();
    bounded(reader.read_to_end(&mut out)).await.unwrap();
    assert_eq!(out.len(), body.len());
    assert!(out == body, "the body changed");
    assert_eq!(plugin.invalidate_calls(), 1);
    let logged = logs.text();
    assert!(
        logged.contains("RESP BODY: streamed body, not logged"),
        "{logged}"
    );
    // The 401's JSON body was read (small) and logged; the object's was not.
    assert!(logged.contains("requires authentication"), "{logged}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_retries_and_errors_happen_before_the_stream() {
    let server = MockServer::start().await;
    Mock::given(path("/old"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/flaky"))
        .mount(&server)
        .await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(200).set_body_string("the object"))
        .mount(&server)
        .await;
    Mock::given(path("/missing"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({
                    "itemNotFound": {"code": 404, "message": "Image not found."}
                }))
                .insert_header("content-type", "application/json"),
        )
        .mount(&server)
        .await;
    let session = Session::builder().build().unwrap();
    let mut resp = bounded(
        session
            .get(format!("{}/old", server.uri()))
            .status_code_retries(1)
            .status_code_retry_delay(Duration::ZERO)
            .send_streaming(),
    )
    .await
    .unwrap();
    assert!(resp.url().ends_with("/flaky"), "{}", resp.url());
    let mut out = Vec::new();
    bounded(resp.copy_to(&mut out)).await.unwrap();
    assert_eq!(out, b"the object");
    // A failure status is an error, as with send().
    let err = bounded(
        session
            .get(format!("{}/missing", server.uri()))
            .send_streaming(),
    )
    .await
    .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    // With raise_exc(false) the (small) error body is there to read.
    let mut resp = bounded(
        session
            .get(format!("{}/missing", server.uri()))
            .raise_exc(false)
            .send_streaming(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 404);
    let mut out = Vec::new();
    bounded(resp.copy_to(&mut out)).await.unwrap();
    assert!(String::from_utf8_lossy(&out).contains("Image not found."));
}

#[test]
fn the_blocking_stream_is_a_std_io_read() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let total = 5 * 1024 * 1024 + 3;
    let url = rt.block_on(chunked_server(total, usize::MAX, None));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let s = blocking::Session::new(Session::builder().build().unwrap()).unwrap();
        let mut resp = s.get(&url).send_streaming().unwrap();
        let mut out = Vec::new();
        let n = std::io::Read::read_to_end(&mut resp, &mut out).unwrap();
        let _ = tx.send((n, out));
    });
    let (n, out) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(n, total);
    assert!(out.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
}

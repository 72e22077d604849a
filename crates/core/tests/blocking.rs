//! The blocking API from plain threads and from inside a tokio runtime.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::CountingPlugin;
use keystoneauth_core::{blocking, Error, Session};
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .and(header("x-auth-token", "tok-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("hello"))
        .mount(&server)
        .await;
    server
}

fn blocking_session() -> blocking::Session {
    let s = Session::builder()
        .auth(Arc::new(CountingPlugin::new()))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    blocking::Session::new(s).unwrap()
}

/// Run `f` on a plain thread, failing if it takes too long.
fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("blocking call timed out or panicked")
}

#[test]
fn from_a_plain_thread() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(server());
    let url = format!("{}/x", server.uri());
    let (status, text, token, err) = on_thread(move || {
        let s = blocking_session();
        let resp = s.get(&url).send().unwrap();
        let token = s.token().unwrap().unwrap();
        let err = s.get(format!("{url}/missing")).send().unwrap_err();
        use secrecy::ExposeSecret;
        (
            resp.status().as_u16(),
            resp.text(),
            token.expose_secret().to_owned(),
            err,
        )
    });
    assert_eq!((status, text.as_str()), (200, "hello"));
    assert_eq!(token, "tok-2");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_spawn_blocking_inside_a_runtime() {
    let server = server().await;
    let url = format!("{}/x", server.uri());
    let resp = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || {
            let s = blocking_session();
            let r = s.get(&url).send();
            drop(s);
            r
        }),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    assert_eq!(resp.text(), "hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_block_in_place_and_dropped_inside_the_runtime() {
    let server = server().await;
    let url = format!("{}/x", server.uri());
    // Created inside the runtime (not on a blocking thread).
    let s = blocking_session();
    let resp = tokio::task::block_in_place(|| s.get(&url).send()).unwrap();
    assert_eq!(resp.text(), "hello");
    let endpoint = tokio::task::block_in_place(|| s.block_on(async { 40 + 2 })).unwrap();
    assert_eq!(endpoint, 42);
    // Dropping it inside an async context must not panic.
    drop(s);
    // A clone dropped from inside another task of this runtime.
    let s = blocking_session();
    let s2 = s.clone();
    drop(s);
    tokio::spawn(async move { drop(s2) }).await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn from_a_current_thread_runtime_via_spawn_blocking() {
    let server = server().await;
    let url = format!("{}/x", server.uri());
    let s = blocking_session();
    let resp = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || s.get(&url).send()),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    assert_eq!(resp.status(), 200);
}

#[test]
fn blocking_adapter_endpoint_override() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(server());
    let uri = server.uri();
    let text = on_thread(move || {
        let s = blocking_session();
        let a = blocking::Adapter::new(&s, "compute").endpoint_override(uri);
        a.get("/x").send().unwrap().text()
    });
    assert_eq!(text, "hello");
}

#[test]
fn the_blocking_adapter_mirrors_the_async_one() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        for m in ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"] {
            Mock::given(wiremock::matchers::method(m))
                .and(path("/v2.1/things"))
                .and(header("openstack-api-version", "compute 2.79"))
                .and(header("x-openstack-request-id", "req-abc"))
                .respond_with(ResponseTemplate::new(200).insert_header("x-method", m))
                .mount(&server)
                .await;
        }
        server
    });
    let base = format!("{}/v2.1", server.uri());
    let methods = on_thread(move || {
        let s = blocking_session();
        let a = blocking::Adapter::new(&s, "compute")
            .endpoint_override(base)
            .default_microversion("2.79")
            .global_request_id("req-abc")
            .connect_retries(1)
            .timeout(Duration::from_secs(5));
        let mut seen = Vec::new();
        for r in [
            a.get("/things"),
            a.put("/things").json(&serde_json::json!({"a": 1})),
            a.post("/things").body("x"),
            a.patch("/things").form(&[("k", "v")]),
            a.delete("/things"),
            a.head("/things"),
        ] {
            let resp = r.query(&[("q", "1")]).send().unwrap();
            seen.push(resp.header("x-method").unwrap_or_default().to_owned());
        }
        seen
    });
    assert_eq!(methods, ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"]);
}

/// The hang of issue 18: a blocking call on the thread of a current-thread runtime that also
/// serves the server. It must fail at once with a clear error, not wait forever.
#[test]
fn on_a_current_thread_runtime_it_is_an_error_not_a_hang() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = rt.block_on(async {
        let server = server().await;
        let s = blocking_session();
        let err = s.get(format!("{}/x", server.uri())).send().unwrap_err();
        drop(s);
        err
    });
    assert!(matches!(err, Error::Runtime(_)), "{err:?}");
    assert!(
        err.to_string().contains("current-thread tokio runtime"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

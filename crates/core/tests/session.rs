//! Session pipeline: auth, endpoints, retries, redirects, microversions, headers, errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use keystoneauth_core::session::USER_AGENT_PRODUCT;
use keystoneauth_core::{AccessInfoPlugin, Adapter, EndpointFilter, Error, Session};
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn plain() -> Session {
    Session::builder().build().unwrap()
}

async fn ok_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    server
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn hdr<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

// ---- authentication and endpoints --------------------------------------------------------

#[tokio::test]
async fn authenticated_by_default_when_a_plugin_is_set() {
    let server = ok_server().await;
    let plugin = Arc::new(CountingPlugin::new());
    let session = Session::new(plugin.clone()).unwrap();
    let resp = bounded(session.get(format!("{}/x", server.uri())).send())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    bounded(
        session
            .get(format!("{}/y", server.uri()))
            .authenticated(false)
            .send(),
    )
    .await
    .unwrap();
    let reqs = received(&server).await;
    assert_eq!(hdr(&reqs[0], "x-auth-token"), Some("tok-1"));
    assert_eq!(hdr(&reqs[1], "x-auth-token"), None, "authenticated(false)");
    assert_eq!(plugin.header_calls(), 1);
}

/// Has a token at hand after its first `auth_headers` call; counts both paths.
#[derive(Debug, Default)]
struct ReadyAfterFirst {
    awaited: std::sync::atomic::AtomicUsize,
    ready: std::sync::atomic::AtomicUsize,
}

#[keystoneauth_core::async_trait]
impl keystoneauth_core::AuthPlugin for ReadyAfterFirst {
    async fn auth_headers(
        &self,
        _session: &Session,
    ) -> keystoneauth_core::Result<Option<http::HeaderMap>> {
        self.awaited.fetch_add(1, Ordering::SeqCst);
        let mut h = http::HeaderMap::new();
        h.insert("x-auth-token", http::HeaderValue::from_static("awaited"));
        Ok(Some(h))
    }
    fn add_ready_auth_headers(&self, headers: &mut http::HeaderMap) -> bool {
        if self.awaited.load(Ordering::SeqCst) == 0 {
            return false;
        }
        self.ready.fetch_add(1, Ordering::SeqCst);
        headers.insert("x-auth-token", http::HeaderValue::from_static("ready"));
        true
    }
}

#[tokio::test]
async fn ready_auth_headers_spare_the_awaited_call() {
    let server = ok_server().await;
    let plugin = Arc::new(ReadyAfterFirst::default());
    let session = Session::new(plugin.clone()).unwrap();
    for p in ["a", "b", "c"] {
        bounded(session.get(format!("{}/{p}", server.uri())).send())
            .await
            .unwrap();
    }
    let reqs = received(&server).await;
    let sent: Vec<_> = reqs.iter().map(|r| hdr(r, "x-auth-token")).collect();
    assert_eq!(sent, [Some("awaited"), Some("ready"), Some("ready")]);
    assert_eq!(plugin.awaited.load(Ordering::SeqCst), 1);
    assert_eq!(plugin.ready.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn authenticated_without_plugin_is_missing_auth_plugin() {
    let session = plain();
    let err = session
        .get("http://127.0.0.1:9/x")
        .authenticated(true)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MissingAuthPlugin(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "An auth plugin is required to fetch a token"
    );
}

fn catalog_plugin(uri: &str) -> Arc<AccessInfoPlugin> {
    let catalog = json!([
        service(
            "identity",
            "keystone",
            &[("public", "RegionOne", &format!("{uri}/identity/v3"))]
        ),
        service(
            "compute",
            "nova",
            &[
                ("public", "RegionOne", &format!("{uri}/compute/v2.1/proj-1")),
                (
                    "internal",
                    "RegionOne",
                    &format!("{uri}/internal/compute/v2.1/proj-1")
                ),
            ]
        ),
    ]);
    let body = v3_body(time::Duration::hours(1), "proj-1", catalog);
    Arc::new(AccessInfoPlugin::new(
        access_info(&body, "catalog-token"),
        None,
    ))
}

#[tokio::test]
async fn endpoint_filter_uses_the_plugin_catalog() {
    let server = ok_server().await;
    let session = Session::new(catalog_plugin(&server.uri())).unwrap();
    bounded(
        session
            .get("/servers")
            .endpoint_filter(EndpointFilter::service("compute"))
            .send(),
    )
    .await
    .unwrap();
    bounded(
        session
            .get("servers/detail")
            .endpoint_filter(
                EndpointFilter::service("compute")
                    .interface(keystoneauth_core::Interface::Internal),
            )
            .send(),
    )
    .await
    .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs[0].url.path(), "/compute/v2.1/proj-1/servers");
    assert_eq!(hdr(&reqs[0], "x-auth-token"), Some("catalog-token"));
    assert_eq!(
        reqs[1].url.path(),
        "/internal/compute/v2.1/proj-1/servers/detail"
    );
    // No such service: EndpointNotFound, nothing sent.
    let err = session
        .get("/x")
        .endpoint_filter(EndpointFilter::service("image"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::EndpointNotFound(_)), "{err:?}");
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn endpoint_override_substitutes_project_id() {
    let server = ok_server().await;
    let session = Session::new(Arc::new(CountingPlugin::new())).unwrap();
    bounded(
        session
            .get("/containers")
            .endpoint_override(format!("{}/v1/AUTH_%(project_id)s", server.uri()))
            .send(),
    )
    .await
    .unwrap();
    bounded(
        session
            .get("/c")
            .endpoint_override(format!("{}/u/{{user_id}}/", server.uri()))
            .send(),
    )
    .await
    .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs[0].url.path(), "/v1/AUTH_proj-1/containers");
    assert_eq!(reqs[1].url.path(), "/u/user-1/c");

    // A plugin without a project id cannot substitute it.
    let mut p = CountingPlugin::new();
    p.project_id = None;
    let session = Session::new(Arc::new(p)).unwrap();
    let err = session
        .get("/x")
        .endpoint_override(format!("{}/v1/AUTH_%(project_id)s", server.uri()))
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not provide a project_id that can be substituted"),
        "{err}"
    );
}

#[tokio::test]
async fn raise_exc_false_returns_the_failed_response() {
    let server = MockServer::start().await;
    Mock::given(path("/missing"))
        .respond_with(ResponseTemplate::new(404).set_body_string("nope"))
        .mount(&server)
        .await;
    let session = plain();
    let resp = bounded(
        session
            .get(format!("{}/missing", server.uri()))
            .raise_exc(false)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.text(), "nope");
    let err = bounded(session.get(format!("{}/missing", server.uri())).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(err.status(), Some(404));
}

// ---- retries ------------------------------------------------------------------------------

fn retry_lines(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| {
            let i = l.find("Retrying in ")?;
            let rest = &l[i + "Retrying in ".len()..];
            Some(rest.split('s').next().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn connect_retries_make_n_plus_one_attempts() {
    let (logs, _guard) = capture_logs();
    let url = format!("http://127.0.0.1:{}/x", closed_port());
    let session = plain();
    let err = bounded(
        session
            .get(&url)
            .connect_retries(3)
            .connect_retry_delay(Duration::from_millis(10))
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::ConnectFailure { .. }), "{err:?}");
    assert!(err
        .to_string()
        .starts_with("Unable to establish connection to"));
    let log = logs.text();
    // 3 retries => 4 attempts: three failures that were retried, then the error. (REQ lines
    // are not counted: tracing's per-callsite interest cache can drop the very first DEBUG
    // line when tests in parallel threads install thread-local subscribers.)
    assert!(log.matches("REQ: curl").count() >= 3, "{log}");
    assert_eq!(retry_lines(&log), vec!["0.0", "0.0", "0.0"]);
    assert!(log.contains("3 retries left") && log.contains("1 retries left"));
}

#[tokio::test(start_paused = true)]
async fn connect_retry_backoff_is_exponential() {
    let (logs, _guard) = capture_logs();
    let url = format!("http://127.0.0.1:{}/x", closed_port());
    let session = Session::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let err = session
        .get(&url)
        .connect_retries(9)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConnectFailure { .. }), "{err:?}");
    let elapsed = start.elapsed();
    assert_eq!(
        retry_lines(&logs.text()),
        vec!["0.5", "1.0", "2.0", "4.0", "8.0", "16.0", "32.0", "60.0", "60.0"]
    );
    let expected = Duration::from_secs_f64(0.5 + 1.0 + 2.0 + 4.0 + 8.0 + 16.0 + 32.0 + 60.0 + 60.0);
    assert!(
        elapsed >= expected && elapsed < expected + Duration::from_secs(1),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn status_retries_honour_retry_after_then_backoff() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start().await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "7"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let session = Session::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let resp = session
        .get(format!("{}/busy", server.uri()))
        .status_code_retries(5)
        .send()
        .await
        .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(resp.status(), 200);
    assert_eq!(received(&server).await.len(), 4);
    assert_eq!(retry_lines(&logs.text()), vec!["7.0", "0.5", "1.0"]);
    assert!(
        elapsed >= Duration::from_secs_f64(8.5) && elapsed < Duration::from_secs_f64(9.5),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn status_retries_exhausted_give_the_error_and_retry_after_is_capped() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start().await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "600"))
        .mount(&server)
        .await;
    let session = Session::builder()
        .pool_max_idle_per_host(0)
        .max_retry_delay(Duration::from_secs(3))
        .build()
        .unwrap();
    let err = session
        .get(format!("{}/busy", server.uri()))
        .status_code_retries(2)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ServiceUnavailable(_)), "{err:?}");
    assert_eq!(
        err.http().unwrap().retry_after,
        Some(Duration::from_secs(600))
    );
    assert_eq!(received(&server).await.len(), 3);
    assert_eq!(retry_lines(&logs.text()), vec!["3.0", "3.0"]);

    // Without status_code_retries nothing is retried; other codes are not retried.
    let server2 = MockServer::start().await;
    Mock::given(path("/e"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server2)
        .await;
    let err = session
        .get(format!("{}/e", server2.uri()))
        .status_code_retries(3)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HttpServerError(_)), "{err:?}");
    assert_eq!(received(&server2).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn fixed_status_retry_delay_and_custom_codes() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start().await;
    Mock::given(path("/e"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let session = Session::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let err = session
        .get(format!("{}/e", server.uri()))
        .status_code_retries(2)
        .retriable_status_codes(vec![502])
        .status_code_retry_delay(Duration::from_millis(1500))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(received(&server).await.len(), 3);
    assert_eq!(retry_lines(&logs.text()), vec!["1.5", "1.5"]);
    assert!(start.elapsed() >= Duration::from_secs(3));
}

// ---- 401 ------------------------------------------------------------------------------------

#[tokio::test]
async fn unauthorized_reauthenticates_once_never_loops() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let plugin = Arc::new(CountingPlugin::new());
    let session = Session::new(plugin.clone()).unwrap();
    let err = bounded(session.get(format!("{}/x", server.uri())).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(hdr(&reqs[0], "x-auth-token"), Some("tok-1"));
    assert_eq!(hdr(&reqs[1], "x-auth-token"), Some("tok-2"));
    assert_eq!(plugin.invalidate_calls(), 1);
    assert_eq!(plugin.header_calls(), 2);

    // allow_reauth(false): one request, no invalidate.
    bounded(
        session
            .get(format!("{}/x", server.uri()))
            .allow_reauth(false)
            .raise_exc(false)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(received(&server).await.len(), 3);
    assert_eq!(plugin.invalidate_calls(), 1);
}

fn chunks(
    parts: &'static [&'static str],
) -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> {
    futures::stream::iter(
        parts
            .iter()
            .map(|p| Ok(bytes::Bytes::from_static(p.as_bytes()))),
    )
}

/// A buffered body is sent again, the same, after a 401 and one reauthentication.
#[tokio::test]
async fn buffered_body_is_replayed_after_401() {
    let server = MockServer::start().await;
    Mock::given(path("/o"))
        .and(header("x-auth-token", "tok-1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path("/o"))
        .and(header("x-auth-token", "tok-2"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let session = Session::new(Arc::new(CountingPlugin::new())).unwrap();
    let resp = bounded(
        session
            .put(format!("{}/o", server.uri()))
            .body("the object")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 201);
    let bodies: Vec<_> = received(&server)
        .await
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert_eq!(bodies, vec![b"the object".to_vec(), b"the object".to_vec()]);
}

/// A streamed body is sent whole, once; a 401 drops the token but does not resend (the
/// stream is gone), and the error says why. The next request gets a new token.
#[tokio::test]
async fn streamed_body_is_not_replayed_after_401_and_the_error_says_why() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start().await;
    Mock::given(path("/o"))
        .and(header("x-auth-token", "tok-1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path("/o"))
        .and(header("x-auth-token", "tok-2"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let plugin = Arc::new(CountingPlugin::new());
    let session = Session::new(plugin.clone()).unwrap();
    let err = bounded(
        session
            .put(format!("{}/o", server.uri()))
            .body_stream(chunks(&["part one, ", "part two"]))
            .send(),
    )
    .await
    .unwrap_err();
    let Error::Unauthorized(e) = &err else {
        panic!("expected Unauthorized, got {err:?}");
    };
    assert!(
        e.message
            .contains("request body was a stream, which cannot be replayed"),
        "{}",
        e.message
    );
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1, "sent once");
    assert_eq!(reqs[0].body, b"part one, part two".to_vec());
    assert_eq!(plugin.invalidate_calls(), 1, "the stale token is dropped");
    assert!(logs.text().contains("<streamed body>"), "{}", logs.text());
    assert!(logs.text().contains("not sent again"), "{}", logs.text());

    let resp = bounded(
        session
            .put(format!("{}/o", server.uri()))
            .body_stream(chunks(&["again"]))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 201, "the next request carries a new token");
    assert_eq!(received(&server).await[1].body, b"again".to_vec());
}

/// Retriable statuses and redirects are not followed with a streamed body: one request,
/// the response as the server sent it.
#[tokio::test]
async fn streamed_body_is_not_resent_on_503_or_redirect() {
    let server = MockServer::start().await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    Mock::given(path("/moved"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/busy"))
        .mount(&server)
        .await;
    let session = plain();
    let err = bounded(
        session
            .put(format!("{}/busy", server.uri()))
            .status_code_retries(3)
            .body_stream(chunks(&["x"]))
            .send(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(received(&server).await.len(), 1);

    let resp = bounded(
        session
            .put(format!("{}/moved", server.uri()))
            .body_stream(chunks(&["y"]))
            .raise_exc(false)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 307);
    assert_eq!(received(&server).await.len(), 2);
}

/// A connection failure with a streamed body is returned at once, not retried.
#[tokio::test]
async fn streamed_body_is_not_resent_after_a_connection_failure() {
    let (logs, _guard) = capture_logs();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = bounded(
        plain()
            .put(format!("http://127.0.0.1:{port}/o"))
            .connect_retries(3)
            .connect_retry_delay(Duration::from_secs(30))
            .body_stream(chunks(&["z"]))
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::ConnectFailure { .. }), "{err:?}");
    assert!(logs.text().contains("not sent again"), "{}", logs.text());
    assert!(!logs.text().contains("Retrying"), "{}", logs.text());
}

#[tokio::test]
async fn unauthorized_then_ok_succeeds_with_the_new_token() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .and(header("x-auth-token", "tok-1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path("/x"))
        .and(header("x-auth-token", "tok-2"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let plugin = Arc::new(CountingPlugin::new());
    let session = Session::new(plugin.clone()).unwrap();
    let resp = bounded(session.get(format!("{}/x", server.uri())).send())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(plugin.invalidate_calls(), 1);
}

#[tokio::test]
async fn unauthorized_without_invalidation_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let mut p = CountingPlugin::new();
    p.invalidate_result = false;
    let plugin = Arc::new(p);
    let session = Session::new(plugin.clone()).unwrap();
    let err = bounded(session.get(format!("{}/x", server.uri())).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)));
    assert_eq!(received(&server).await.len(), 1);
    assert_eq!(plugin.invalidate_calls(), 1);
    assert_eq!(plugin.header_calls(), 1);
}

// ---- redirects ------------------------------------------------------------------------------

#[tokio::test]
async fn redirects_preserve_method_and_body_and_resolve_relative_locations() {
    let server = MockServer::start().await;
    for (from, code, to) in [("/a", 302, "/b"), ("/b", 303, "c"), ("/c", 307, "/d")] {
        Mock::given(path(from))
            .respond_with(
                ResponseTemplate::new(code)
                    .insert_header("Location", to)
                    .insert_header("x-openstack-request-id", "req-first"),
            )
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/d"))
        .and(body_string(r#"{"k":"v"}"#))
        .respond_with(ResponseTemplate::new(201).set_body_string("done"))
        .mount(&server)
        .await;
    let session = plain();
    let resp = bounded(
        session
            .post(format!("{}/a", server.uri()))
            .json(&json!({"k": "v"}))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.url(), format!("{}/d", server.uri()));
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        assert_eq!(r.method.as_str(), "POST");
        assert_eq!(r.body, br#"{"k":"v"}"#);
    }
    // The first response's request id is forwarded.
    assert_eq!(hdr(&reqs[1], "x-openstack-request-id"), Some("req-first"));
}

#[tokio::test]
async fn redirect_limit_is_respected() {
    let server = MockServer::start().await;
    for i in 0..10 {
        Mock::given(path(format!("/r{i}")))
            .respond_with(
                ResponseTemplate::new(301).insert_header("Location", format!("/r{}", i + 1)),
            )
            .mount(&server)
            .await;
    }
    let session = Session::builder().redirect_limit(3).build().unwrap();
    // Still redirected after the limit: "too many redirects" with the chain (keystoneauth1
    // returns the last 3xx, which the caller then fails to parse).
    let err = bounded(session.get(format!("{}/r0", server.uri())).send())
        .await
        .unwrap_err();
    assert!(err.is_redirect(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("too many redirects (3 followed)"),
        "{text}"
    );
    assert!(
        text.contains("/r0 -> ") && text.contains("/r3 -> /r4"),
        "{text}"
    );
    assert_eq!(received(&server).await.len(), 4);

    let resp = bounded(
        session
            .get(format!("{}/r0", server.uri()))
            .redirect(0)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 301);
    assert_eq!(resp.url(), format!("{}/r0", server.uri()));
    assert_eq!(received(&server).await.len(), 5);
}

// ---- headers --------------------------------------------------------------------------------

#[tokio::test]
async fn microversion_headers() {
    let server = ok_server().await;
    let session = plain();
    let uri = server.uri();
    for (st, mv) in [
        ("compute", "2.10"),
        ("volumev3", "3.5"),
        ("block-storage", "3.6"),
        ("sharev2", "2.7"),
        ("baremetal", "1.31"),
        ("compute", "latest"),
        ("image", "v2.1"),
    ] {
        bounded(
            session
                .get(format!("{uri}/{st}"))
                .microversion(mv)
                .microversion_service_type(st)
                .send(),
        )
        .await
        .unwrap();
    }
    // Through an Adapter (service type from the adapter).
    let adapter = Adapter::new(session.clone(), "volumev3")
        .endpoint_override(uri.clone())
        .default_microversion("3.27");
    bounded(adapter.get("/adapter").send()).await.unwrap();

    let reqs = received(&server).await;
    let get = |i: usize, h: &str| hdr(&reqs[i], h).map(str::to_owned);
    assert_eq!(
        get(0, "openstack-api-version").as_deref(),
        Some("compute 2.10")
    );
    assert_eq!(
        get(0, "x-openstack-nova-api-version").as_deref(),
        Some("2.10")
    );
    assert_eq!(
        get(1, "openstack-api-version").as_deref(),
        Some("volume 3.5")
    );
    assert_eq!(get(1, "x-openstack-nova-api-version"), None);
    assert_eq!(
        get(2, "openstack-api-version").as_deref(),
        Some("volume 3.6")
    );
    assert_eq!(
        get(3, "openstack-api-version").as_deref(),
        Some("shared-file-system 2.7")
    );
    assert_eq!(
        get(3, "x-openstack-manila-api-version").as_deref(),
        Some("2.7")
    );
    assert_eq!(
        get(4, "x-openstack-ironic-api-version").as_deref(),
        Some("1.31")
    );
    assert_eq!(
        get(5, "openstack-api-version").as_deref(),
        Some("compute latest")
    );
    assert_eq!(
        get(6, "openstack-api-version").as_deref(),
        Some("image 2.1")
    );
    assert_eq!(
        get(7, "openstack-api-version").as_deref(),
        Some("volume 3.27")
    );

    // '2.latest' is rejected before anything is sent; so is a microversion without a type.
    let err = session
        .get(format!("{uri}/x"))
        .microversion("2.latest")
        .microversion_service_type("compute")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidVersion(_)), "{err:?}");
    assert!(err
        .to_string()
        .contains("'2.latest' microversion is not allowed"));
    let err = session
        .get(format!("{uri}/x"))
        .microversion("2.1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OptionError(_)), "{err:?}");
    assert_eq!(received(&server).await.len(), 8);
}

#[tokio::test]
async fn caller_microversion_header_wins() {
    let server = ok_server().await;
    bounded(
        plain()
            .get(format!("{}/x", server.uri()))
            .header("OpenStack-API-Version", "compute 2.1")
            .microversion("2.10")
            .microversion_service_type("compute")
            .send(),
    )
    .await
    .unwrap();
    let reqs = received(&server).await;
    assert_eq!(hdr(&reqs[0], "openstack-api-version"), Some("compute 2.1"));
    assert_eq!(hdr(&reqs[0], "x-openstack-nova-api-version"), Some("2.10"));
}

#[tokio::test]
async fn user_agent_composition() {
    let server = ok_server().await;
    let uri = server.uri();
    bounded(plain().get(format!("{uri}/a")).send())
        .await
        .unwrap();
    let session = Session::builder()
        .app("myapp", "1.0")
        .additional_user_agent("extra", "2")
        .build()
        .unwrap();
    bounded(
        session
            .get(format!("{uri}/b"))
            .client_name("novaclient", Some("9.1".into()))
            .send(),
    )
    .await
    .unwrap();
    bounded(
        session
            .get(format!("{uri}/c"))
            .user_agent("custom/1")
            .send(),
    )
    .await
    .unwrap();
    let reqs = received(&server).await;
    assert_eq!(
        USER_AGENT_PRODUCT,
        concat!("keystoneauth-rs/", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(hdr(&reqs[0], "user-agent"), Some(USER_AGENT_PRODUCT));
    assert_eq!(
        hdr(&reqs[1], "user-agent").unwrap(),
        format!("myapp/1.0 novaclient/9.1 extra/2 {USER_AGENT_PRODUCT}")
    );
    assert_eq!(hdr(&reqs[2], "user-agent"), Some("custom/1"));
}

#[tokio::test]
async fn global_request_id_and_additional_headers() {
    let server = ok_server().await;
    let session = Session::builder()
        .header(
            http::HeaderName::from_static("x-extra"),
            http::HeaderValue::from_static("session"),
        )
        .original_ip("10.0.0.1")
        .build()
        .unwrap();
    bounded(
        session
            .get(format!("{}/x", server.uri()))
            .header("X-OpenStack-Request-ID", "req-caller")
            .global_request_id("req-glob")
            .send(),
    )
    .await
    .unwrap();
    bounded(
        session
            .get(format!("{}/y", server.uri()))
            .header("X-Extra", "request")
            .send(),
    )
    .await
    .unwrap();
    let reqs = received(&server).await;
    assert_eq!(hdr(&reqs[0], "x-openstack-request-id"), Some("req-glob"));
    assert_eq!(hdr(&reqs[0], "x-extra"), Some("session"));
    assert_eq!(
        hdr(&reqs[0], "forwarded").unwrap(),
        format!("for=10.0.0.1;by={USER_AGENT_PRODUCT}")
    );
    assert_eq!(hdr(&reqs[1], "x-extra"), Some("request"));
    assert_eq!(hdr(&reqs[1], "x-openstack-request-id"), None);
}

#[tokio::test]
async fn auth_headers_override_caller_token() {
    let server = ok_server().await;
    let session = Session::new(Arc::new(CountingPlugin::new())).unwrap();
    bounded(
        session
            .get(format!("{}/x", server.uri()))
            .header("X-Auth-Token", "caller")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(
        hdr(&received(&server).await[0], "x-auth-token"),
        Some("tok-1")
    );
}

// ---- transport failures ----------------------------------------------------------------------

#[tokio::test]
async fn request_timeout_is_connect_timeout() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let url = format!("{}/slow", server.uri());
    let err = bounded(plain().get(&url).timeout(Duration::from_millis(200)).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConnectTimeout { .. }), "{err:?}");
    assert!(err.is_timeout() && !err.is_connect(), "{err:?}");
    // The message names the URL and the timeout; the transport's error is the source.
    assert_eq!(
        err.to_string(),
        format!("Request to {url} timed out after 0.2 s")
    );
    let source = std::error::Error::source(&err).expect("the reqwest error is kept");
    assert!(source.is::<reqwest::Error>(), "{source:?}");
    // Session-wide timeout too.
    let session = Session::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = bounded(session.get(&url).send()).await.unwrap_err();
    assert!(matches!(err, Error::ConnectTimeout { .. }), "{err:?}");
}

#[tokio::test]
async fn oversized_bodies_are_invalid_responses() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(5000)))
        .mount(&server)
        .await;
    let session = Session::builder().max_body_size(1000).build().unwrap();
    let err = bounded(session.get(format!("{}/big", server.uri())).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidResponse(_)), "{err:?}");
    // A chunked body without Content-Length is limited as it streams.
    let mut raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..4 {
        raw.extend_from_slice(b"3e8\r\n");
        raw.extend_from_slice(&[b'y'; 1000]);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let (base, _) = raw_server(raw).await;
    let err = bounded(session.get(format!("{base}/chunked")).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidResponse(_)), "{err:?}");
    // At the limit is fine.
    let ok = Session::builder().max_body_size(5000).build().unwrap();
    let resp = bounded(ok.get(format!("{}/big", server.uri())).send())
        .await
        .unwrap();
    assert_eq!(resp.bytes().len(), 5000);
}

#[tokio::test]
async fn truncated_and_dropped_bodies_are_typed_errors() {
    let session = plain();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "short content-length",
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc".to_vec(),
        ),
        (
            "chunked then closed",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n".to_vec(),
        ),
        ("closed before any response", Vec::new()),
        ("garbage status line", b"NOT HTTP AT ALL\r\n\r\n".to_vec()),
    ];
    for (what, raw) in cases {
        let (base, count) = raw_server(raw).await;
        let err = bounded(session.get(format!("{base}/x")).send())
            .await
            .expect_err(what);
        assert!(
            matches!(
                err,
                Error::UnknownConnectionError { .. } | Error::ConnectFailure { .. }
            ),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains(&base), "{what}: {err}");
        assert_eq!(count.load(Ordering::SeqCst), 1, "{what}");
    }
}

// ---- error mapping ---------------------------------------------------------------------------

#[tokio::test]
async fn keystone_json_error_message_and_request_id() {
    let server = MockServer::start().await;
    Mock::given(path("/e"))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("x-openstack-request-id", "req-9")
                .set_body_json(json!({"error": {"message": "oops", "details": "dd", "code": 500}})),
        )
        .mount(&server)
        .await;
    let err = bounded(plain().delete(format!("{}/e", server.uri())).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HttpServerError(_)), "{err:?}");
    assert_eq!(err.to_string(), "oops (HTTP 500) (Request-ID: req-9)");
    let h = err.http().unwrap();
    assert_eq!(h.details.as_deref(), Some("dd"));
    assert_eq!(h.method, "DELETE");
    assert_eq!(h.url, format!("{}/e", server.uri()));
    assert_eq!(err.request_id(), Some("req-9"));
}

#[tokio::test]
async fn api_sig_and_text_errors() {
    let server = MockServer::start().await;
    Mock::given(path("/multi"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({"errors": [
            {"title": "t1", "detail": "d1"}, {"title": "t2", "detail": "d2"}]})))
        .mount(&server)
        .await;
    Mock::given(path("/one"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"errors": [{"title": "bad thing", "detail": "why"}]})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/text"))
        .respond_with(ResponseTemplate::new(418).set_body_raw("I am a teapot", "text/plain"))
        .mount(&server)
        .await;
    Mock::given(path("/odd"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"what": 1})))
        .mount(&server)
        .await;
    Mock::given(path("/limit"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "5"))
        .mount(&server)
        .await;
    let s = plain();
    let uri = server.uri();
    let err = bounded(s.get(format!("{uri}/multi")).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "Multiple error responses, showing first only: t1 (HTTP 409)"
    );
    assert_eq!(err.http().unwrap().details.as_deref(), Some("d1"));
    let err = bounded(s.get(format!("{uri}/one")).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest(_)), "{err:?}");
    assert_eq!(err.to_string(), "bad thing (HTTP 400)");
    let err = bounded(s.get(format!("{uri}/text")).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HttpClientError(_)), "{err:?}");
    assert_eq!(err.to_string(), "I'm a teapot (HTTP 418)");
    assert_eq!(
        err.http().unwrap().details.as_deref(),
        Some("I am a teapot")
    );
    let err = bounded(s.get(format!("{uri}/odd")).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "Unrecognized schema in response body. (HTTP 403)"
    );
    let err = bounded(s.get(format!("{uri}/limit")).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooManyRequests(_)), "{err:?}");
    assert_eq!(err.to_string(), "Too Many Requests (HTTP 429)");
    assert_eq!(
        err.http().unwrap().retry_after,
        Some(Duration::from_secs(5))
    );
}

#[tokio::test]
async fn receipt_401_is_missing_auth_methods() {
    let cap = capture("receipt_401_password_only.json");
    let resp = &cap["response"];
    let receipt = resp["headers"]["Openstack-Auth-Receipt"].as_str().unwrap();
    let server = MockServer::start().await;
    Mock::given(path("/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("Openstack-Auth-Receipt", receipt)
                .set_body_json(resp["body"].clone()),
        )
        .mount(&server)
        .await;
    let plugin = Arc::new(CountingPlugin::new());
    let session = Session::new(plugin.clone()).unwrap();
    let err = bounded(
        session
            .post(format!("{}/v3/auth/tokens", server.uri()))
            .authenticated(false)
            .json(&cap["request"]["body"])
            .send(),
    )
    .await
    .unwrap_err();
    let Error::MissingAuthMethods(m) = &err else {
        panic!("expected MissingAuthMethods, got {err:?}");
    };
    use secrecy::ExposeSecret;
    assert_eq!(m.receipt.expose_secret(), receipt);
    assert_eq!(m.methods, vec!["password"]);
    let rules = resp["body"]["required_auth_methods"].clone();
    let rules: Vec<Vec<String>> = serde_json::from_value(rules).unwrap();
    assert_eq!(m.required_auth_methods, rules);
    assert_eq!(m.missing_methods(), vec![vec!["totp".to_string()]]);
    assert_eq!(
        m.user_id.as_deref(),
        resp["body"]["receipt"]["user"]["id"].as_str()
    );
    assert_eq!(
        m.expires_at.as_deref(),
        resp["body"]["receipt"]["expires_at"].as_str()
    );
    assert_eq!(err.status(), Some(401));
    assert!(err
        .to_string()
        .starts_with("Not all required auth rules were satisfied"));
    // Unauthenticated request: no reauth attempted.
    assert_eq!(plugin.invalidate_calls(), 0);
    assert_eq!(received(&server).await.len(), 1);
}

// ---- keystoneauth1 quirks (docs/keystoneauth1-differences.md) ------------------------------

/// §16.1: there is no per-request `original_ip`; a `Forwarded` header set on the request is
/// sent as given, the session's `original_ip` fills it only when the request has none.
#[tokio::test]
async fn forwarded_header_of_the_request_wins_over_original_ip() {
    let server = ok_server().await;
    let session = Session::builder().original_ip("10.0.0.1").build().unwrap();
    bounded(
        session
            .get(format!("{}/x", server.uri()))
            .header("Forwarded", "for=192.0.2.7")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(
        hdr(&received(&server).await[0], "forwarded"),
        Some("for=192.0.2.7")
    );
}

/// §16.2: a zero timeout is not "no timeout": the request times out at once.
#[tokio::test]
async fn zero_timeout_times_out_at_once() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
        .mount(&server)
        .await;
    let url = format!("{}/slow", server.uri());
    let err = bounded(plain().get(&url).timeout(Duration::ZERO).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConnectTimeout { .. }), "{err:?}");
    // Without a timeout the same request succeeds.
    let resp = bounded(plain().get(&url).send()).await.unwrap();
    assert_eq!(resp.status(), 200);
}

/// §16.4: `Retry-After` as an HTTP date is ignored: the backoff is used.
#[tokio::test(start_paused = true)]
async fn retry_after_http_date_falls_back_to_backoff() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start().await;
    Mock::given(path("/busy"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let session = Session::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let resp = session
        .get(format!("{}/busy", server.uri()))
        .status_code_retries(1)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(retry_lines(&logs.text()), vec!["0.5"]);
}

/// §16.5: a read timeout is a `ConnectTimeout`, as in keystoneauth1, but `connect_retries`
/// does not send a POST again after it (the server may have acted on it; keystoneauth1 sends
/// it twice). A PUT, idempotent, is retried.
#[tokio::test]
async fn read_timeout_of_a_post_is_not_retried_but_a_put_is() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let err = bounded(
        plain()
            .post(format!("{}/slow", server.uri()))
            .json(&json!({"n": 1}))
            .timeout(Duration::from_millis(200))
            .connect_retries(1)
            .connect_retry_delay(Duration::from_millis(10))
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::ConnectTimeout { .. }), "{err:?}");
    assert_eq!(received(&server).await.len(), 1, "the POST was sent once");
    assert!(
        logs.text()
            .contains("Not retried: the POST may have reached the server"),
        "{}",
        logs.text()
    );

    let err = bounded(
        plain()
            .put(format!("{}/slow", server.uri()))
            .body("x")
            .timeout(Duration::from_millis(200))
            .connect_retries(1)
            .connect_retry_delay(Duration::from_millis(10))
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::ConnectTimeout { .. }), "{err:?}");
    assert_eq!(received(&server).await.len(), 3, "the PUT was sent twice");
}

/// A POST that cannot connect at all never reached the server: it is retried.
#[tokio::test]
async fn connect_failure_of_a_post_is_retried() {
    let (logs, _guard) = capture_logs();
    let port = closed_port();
    let err = bounded(
        plain()
            .post(format!("http://127.0.0.1:{port}/x"))
            .body("x")
            .connect_retries(2)
            .connect_retry_delay(Duration::from_millis(10))
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::ConnectFailure { .. }), "{err:?}");
    assert_eq!(
        logs.text().matches("Retrying in").count(),
        2,
        "{}",
        logs.text()
    );
}

/// §16.6: a 301 keeps POST and its body; the query string of the first request is not
/// carried to the new location.
#[tokio::test]
async fn redirect_keeps_post_on_301_and_drops_the_query() {
    let server = MockServer::start().await;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/b"))
        .mount(&server)
        .await;
    Mock::given(path("/b"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    bounded(
        plain()
            .post(format!("{}/a", server.uri()))
            .query(&[("limit", "1")])
            .body("x")
            .send(),
    )
    .await
    .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs[0].url.query(), Some("limit=1"));
    assert_eq!(reqs[1].url.path(), "/b");
    assert_eq!(reqs[1].url.query(), None);
    assert_eq!(reqs[1].method.as_str(), "POST");
    assert_eq!(reqs[1].body, b"x");
}

/// §16.9: with `collect_timing`, a request answered with an error status is recorded; one that
/// failed to connect is not.
#[tokio::test]
async fn timing_is_recorded_for_error_statuses_not_for_connection_failures() {
    let server = MockServer::start().await;
    Mock::given(path("/missing"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let session = Session::builder().collect_timing(true).build().unwrap();
    let err = bounded(session.get(format!("{}/missing", server.uri())).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(session.timings().len(), 1);
    let closed = format!("http://127.0.0.1:{}/x", closed_port());
    let err = bounded(session.get(&closed).send()).await.unwrap_err();
    assert!(matches!(err, Error::ConnectFailure { .. }), "{err:?}");
    assert_eq!(
        session.timings().len(),
        1,
        "no timing for the failed connection"
    );
}

/// §16.10: an empty endpoint filter (no service type) finds no endpoint for a relative URL.
#[tokio::test]
async fn empty_endpoint_filter_is_endpoint_not_found() {
    let server = ok_server().await;
    let session = Session::new(catalog_plugin(&server.uri())).unwrap();
    let err = bounded(
        session
            .get("/servers")
            .endpoint_filter(EndpointFilter::default())
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::EndpointNotFound(_)), "{err:?}");
    assert!(received(&server).await.is_empty());
}

/// §16.11: the override is not %-formatted: a stray `%` is kept; only `%(project_id)s`,
/// `%(user_id)s`, `{project_id}` and `{user_id}` are replaced, and only when a request is
/// sent. `Adapter::endpoint` returns the override as given.
#[tokio::test]
async fn endpoint_override_keeps_a_stray_percent() {
    let server = ok_server().await;
    let session = Session::new(Arc::new(CountingPlugin::new())).unwrap();
    bounded(
        session
            .get("/x")
            .endpoint_override(format!("{}/a%b/%(project_id)s", server.uri()))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(received(&server).await[0].url.path(), "/a%b/proj-1/x");
    let adapter = Adapter::new(session, "object-store")
        .endpoint_override(format!("{}/v1/AUTH_%(project_id)s", server.uri()));
    assert_eq!(
        bounded(adapter.endpoint()).await.unwrap(),
        format!("{}/v1/AUTH_%(project_id)s", server.uri())
    );
}

/// §16.13: a 413 is an `HttpClientError` that keeps its `Retry-After`.
#[tokio::test]
async fn request_entity_too_large_keeps_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(413).insert_header("Retry-After", "42"))
        .mount(&server)
        .await;
    let err = bounded(
        plain()
            .put(format!("{}/big", server.uri()))
            .body("x")
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::HttpClientError(_)), "{err:?}");
    assert_eq!(err.status(), Some(413));
    assert_eq!(
        err.http().unwrap().retry_after,
        Some(Duration::from_secs(42))
    );
}

/// §16.14: the `X.latest` microversion error names the major version.
#[tokio::test]
async fn major_latest_microversion_error_names_the_major() {
    let err = plain()
        .get("http://127.0.0.1:1/x")
        .microversion("2.latest")
        .microversion_service_type("compute")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidVersion(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "Specifying a '2.latest' microversion is not allowed."
    );
}

/// A plugin whose connection parameters name a client certificate that cannot be read.
#[derive(Debug)]
struct BadCertPlugin;

#[keystoneauth_core::async_trait]
impl keystoneauth_core::AuthPlugin for BadCertPlugin {
    async fn auth_headers(
        &self,
        _session: &Session,
    ) -> keystoneauth_core::Result<Option<http::HeaderMap>> {
        Ok(Some(http::HeaderMap::new()))
    }
    fn connection_params(&self) -> keystoneauth_core::ConnectionParams {
        keystoneauth_core::ConnectionParams {
            client_cert_pem: Some(b"not a certificate".to_vec()),
            client_key_pem: None,
        }
    }
}

/// §16.8: the request's connection parameters win over the plugin's (keystoneauth1's plugin
/// `get_connection_params` overrides the request's `cert`).
#[tokio::test]
async fn request_connection_params_win_over_the_plugins() {
    let session = Session::new(Arc::new(BadCertPlugin)).unwrap();
    let url = format!("https://127.0.0.1:{}/x", closed_port());
    // The plugin's certificate is used (and fails to load) ...
    let err = bounded(session.get(&url).send()).await.unwrap_err();
    assert!(matches!(err, Error::TlsConfig(_)), "{err:?}");
    // ... unless the request gives its own parameters (none here): the connection is tried.
    let err = bounded(
        session
            .get(&url)
            .connection_params(keystoneauth_core::ConnectionParams::default())
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::ConnectFailure { .. }), "{err:?}");
}

/// §16.9: a timing for each response, as keystoneauth1 records each redirect hop: the 302,
/// the retried 503 and the final 200, each with its own URL and time (the retry delay is in
/// none of them).
#[tokio::test]
async fn timing_has_an_entry_per_response() {
    let server = MockServer::start().await;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/b"))
        .mount(&server)
        .await;
    Mock::given(path("/b"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/b"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let session = Session::builder().collect_timing(true).build().unwrap();
    let started = std::time::Instant::now();
    bounded(
        session
            .get(format!("{}/a", server.uri()))
            .status_code_retries(1)
            .status_code_retry_delay(Duration::from_millis(300))
            .send(),
    )
    .await
    .unwrap();
    let took = started.elapsed();
    let timings = session.timings();
    let urls: Vec<String> = timings.iter().map(|t| t.url.clone()).collect();
    let (a, b) = (format!("{}/a", server.uri()), format!("{}/b", server.uri()));
    assert_eq!(urls, [a, b.clone(), b]);
    assert!(timings.iter().all(|t| t.method == "GET"));
    assert!(took >= Duration::from_millis(300), "{took:?}");
    for t in &timings {
        assert!(
            t.elapsed < Duration::from_millis(300),
            "the delay is not an attempt's time: {t:?}"
        );
    }
}

// ---- URLs are checked where they enter ------------------------------------------------------

#[tokio::test]
async fn urls_without_an_http_scheme_are_option_errors_before_any_request() {
    let server = MockServer::start().await;
    let session = plain();
    // An endpoint override without its scheme.
    let err = bounded(
        session
            .get("/servers")
            .endpoint_override("compute.example.com:8774/v2.1")
            .send(),
    )
    .await
    .unwrap_err();
    assert!(err.is_option(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "endpoint_override \"compute.example.com:8774/v2.1\" has no http:// or https:// scheme \
         (did you mean \"https://compute.example.com:8774/v2.1\"?)"
    );
    // Another scheme.
    let err = bounded(session.get("/x").endpoint_override("ftp://h/x").send())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("scheme \"ftp\""), "{err}");
    // A scheme-less URL with nothing to be relative to.
    let err = bounded(
        session
            .get("keystone.example.com:5000/v3/auth/tokens")
            .send(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("URL \"keystone.example.com:5000/v3/auth/tokens\" has no http"),
        "{err}"
    );
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_scheme_less_auth_url_is_an_option_error_naming_it() {
    use keystoneauth_core::{Authenticator, IdentityPlugin};
    #[derive(Debug)]
    struct NeverAsked;
    #[async_trait::async_trait]
    impl Authenticator for NeverAsked {
        async fn authenticate(
            &self,
            _: &Session,
        ) -> keystoneauth_core::Result<keystoneauth_core::AccessInfo> {
            panic!("no request may be made")
        }
        fn auth_url(&self) -> &str {
            "keystone.example.com:5000/v3"
        }
    }
    let plugin = IdentityPlugin::new(NeverAsked);
    let err = bounded(plugin.get_access(&plain())).await.unwrap_err();
    assert!(err.is_option(), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "auth_url \"keystone.example.com:5000/v3\" has no http:// or https:// scheme"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_plain_http_catalog_endpoint_behind_an_https_auth_url_is_warned_about_once() {
    let server = MockServer::start().await;
    Mock::given(path("/compute/servers"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .mount(&server)
        .await;
    let catalog = serde_json::json!([service(
        "compute",
        "nova",
        &[("public", "RegionOne", &format!("{}/compute", server.uri()))]
    )]);
    let body = v3_body(time::Duration::hours(1), "p1", catalog);
    let plugin = keystoneauth_core::AccessInfoPlugin::new(
        access_info(&body, "tok"),
        Some("https://keystone.example.com/v3".into()),
    );
    let session = Session::builder().auth(Arc::new(plugin)).build().unwrap();
    let (logs, _guard) = capture_logs();
    for _ in 0..2 {
        bounded(
            session
                .get("/servers")
                .endpoint_filter(keystoneauth_core::EndpointFilter::service("compute"))
                .send(),
        )
        .await
        .unwrap();
    }
    let text = logs.text();
    assert_eq!(text.matches("over plain http").count(), 1, "{text}");
    assert!(text.contains("https://keystone.example.com/v3"), "{text}");
}

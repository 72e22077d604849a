//! Adapter: its per-service request options, and its rate and concurrency limit
//! (keystoneauth1's `rate_limit` / `concurrency`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use http::{HeaderName, HeaderValue};
use keystoneauth_core::{Adapter, Error, Session};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server_with_delay(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_delay(delay))
        .mount(&server)
        .await;
    server
}

fn adapter_for(server: &MockServer) -> Adapter {
    Adapter::new(Session::builder().build().unwrap(), "compute").endpoint_override(server.uri())
}

/// `n` requests at once through clones of the adapter; the time they took together.
async fn all_at_once(adapter: &Adapter, n: usize) -> Duration {
    let started = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let a = adapter.clone();
            tokio::spawn(async move { a.get(format!("/r{i}")).send().await.map(|r| r.status()) })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap().unwrap(), 200);
    }
    started.elapsed()
}

#[tokio::test]
async fn rate_limit_spaces_request_starts() {
    let server = server_with_delay(Duration::ZERO).await;
    let adapter = adapter_for(&server).rate_limit(20.0).unwrap();
    let took = bounded(async {
        let started = Instant::now();
        for i in 0..6 {
            adapter.get(format!("/r{i}")).send().await.unwrap();
        }
        started.elapsed()
    })
    .await;
    // The first starts at once, the five others 50 ms apart.
    assert!(took >= Duration::from_millis(245), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_lets_exactly_that_many_run_at_once() {
    // Each response takes 200 ms: 6 requests, 2 at a time, take 3 rounds (≥ 600 ms); with 3 at
    // a time (keystoneauth1's off-by-one) they would take 400 ms, unlimited 200 ms.
    let server = server_with_delay(Duration::from_millis(200)).await;
    let limited = adapter_for(&server).concurrency(2).unwrap();
    let took = bounded(all_at_once(&limited, 6)).await;
    assert!(took >= Duration::from_millis(590), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 6);

    let free = adapter_for(&server);
    let took = bounded(all_at_once(&free, 6)).await;
    assert!(took < Duration::from_millis(590), "unlimited: {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_is_shared_by_clones_but_not_by_a_new_adapter() {
    let server = server_with_delay(Duration::from_millis(300)).await;
    let one = adapter_for(&server).concurrency(1).unwrap();
    // 3 requests through clones of one adapter run one after the other.
    let took = bounded(all_at_once(&one, 3)).await;
    assert!(took >= Duration::from_millis(890), "{took:?}");
    // Two adapters, each with its own limit of 1, run side by side.
    let other = adapter_for(&server).concurrency(1).unwrap();
    let took = bounded(async {
        let started = Instant::now();
        let (a, b) = tokio::join!(one.get("/a").send(), other.get("/b").send());
        a.unwrap();
        b.unwrap();
        started.elapsed()
    })
    .await;
    assert!(took < Duration::from_millis(590), "{took:?}");
}

#[test]
fn bad_limits_are_option_errors() {
    let a = || Adapter::new(Session::builder().build().unwrap(), "compute");
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = a().rate_limit(bad).unwrap_err();
        assert!(matches!(e, Error::OptionError(_)), "{bad}: {e:?}");
        assert!(e.to_string().contains("rate_limit"), "{e}");
    }
    let e = a().concurrency(0).unwrap_err();
    assert!(
        e.to_string().contains("concurrency must be at least 1"),
        "{e}"
    );
}

#[tokio::test]
async fn adapter_headers_retries_auth_and_user_agent() {
    let server = MockServer::start().await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let plugin = Arc::new(CountingPlugin::new());
    let session = Session::builder()
        .header(
            HeaderName::from_static("x-from"),
            HeaderValue::from_static("session"),
        )
        .build()
        .unwrap();
    let adapter = Adapter::new(session, "compute")
        .endpoint_override(server.uri())
        .auth(plugin.clone())
        .user_agent("my-tool/1.0")
        .additional_header(
            HeaderName::from_static("x-from"),
            HeaderValue::from_static("adapter"),
        )
        .additional_header(
            HeaderName::from_static("x-only-adapter"),
            HeaderValue::from_static("yes"),
        )
        .status_code_retries(2)
        .retriable_status_codes(vec![502])
        .status_code_retry_delay(Duration::from_millis(10));
    let resp = bounded(adapter.get("/flaky").send()).await.unwrap();
    assert_eq!(resp.status(), 200, "retried twice on 502");
    bounded(adapter.get("/x").header("x-from", "request").send())
        .await
        .unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 4);
    let h = |i: usize, n: &str| {
        reqs[i]
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        h(0, "x-from").as_deref(),
        Some("adapter"),
        "adapter > session"
    );
    assert_eq!(
        h(3, "x-from").as_deref(),
        Some("request"),
        "request > adapter"
    );
    assert_eq!(h(3, "x-only-adapter").as_deref(), Some("yes"));
    assert_eq!(h(0, "user-agent").as_deref(), Some("my-tool/1.0"));
    assert_eq!(
        h(0, "x-auth-token").as_deref(),
        Some("tok-1"),
        "the adapter's plugin"
    );
}

#[test]
fn debug_shows_header_names_not_values() {
    let adapter = Adapter::new(Session::builder().build().unwrap(), "compute").additional_header(
        HeaderName::from_static("x-service-token"),
        HeaderValue::from_static("gAAAAAsecret-service-token"),
    );
    let shown = format!("{adapter:?}");
    assert!(shown.contains("x-service-token"), "{shown}");
    assert!(!shown.contains("gAAAAAsecret"), "{shown}");
}

/// Requests through an adapter and its endpoint lookups both use the adapter's own plugin
/// (they asked the session's plugin until 2026-12-02, and failed with no plugin on the
/// session; keystoneauth1's `get_all_version_data` still ignores it, §16.27).
#[tokio::test]
async fn adapter_endpoint_lookups_use_the_adapters_own_auth() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let catalog = serde_json::json!([service(
        "compute",
        "nova",
        &[(
            "public",
            "RegionOne",
            &format!("{}/compute/v2.1", server.uri())
        )]
    )]);
    let body = v3_body(time::Duration::hours(1), "proj-1", catalog);
    let plugin = Arc::new(keystoneauth_core::AccessInfoPlugin::new(
        access_info(&body, "adapter-token"),
        None,
    ));
    let adapter = Adapter::new(Session::builder().build().unwrap(), "compute").auth(plugin);
    // A request finds the endpoint through the adapter's plugin.
    let resp = bounded(adapter.get("/servers").send()).await.unwrap();
    assert_eq!(resp.status(), 200);
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs[0].url.path(), "/compute/v2.1/servers");
    // So do the endpoint lookups.
    let url = format!("{}/compute/v2.1", server.uri());
    assert_eq!(bounded(adapter.endpoint()).await.unwrap(), url);
    assert_eq!(
        bounded(adapter.endpoint_data()).await.unwrap().catalog_url,
        url
    );
    // Without any plugin the lookup is a typed error.
    let bare = Adapter::new(Session::builder().build().unwrap(), "compute");
    let err = bounded(bare.endpoint()).await.unwrap_err();
    assert!(matches!(err, Error::MissingAuthPlugin(_)), "{err:?}");
}

/// docs/keystoneauth1-differences.md §16.12: idle time is not banked: after a pause, requests
/// are still spaced `1 / rate_limit` apart (keystoneauth1 lets a burst through).
#[tokio::test]
async fn rate_limit_does_not_burst_after_idle() {
    let server = server_with_delay(Duration::ZERO).await;
    let adapter = adapter_for(&server).rate_limit(20.0).unwrap();
    bounded(adapter.get("/first").send()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let took = bounded(async {
        let started = Instant::now();
        for i in 0..4 {
            adapter.get(format!("/r{i}")).send().await.unwrap();
        }
        started.elapsed()
    })
    .await;
    // The first after the pause starts at once, the three others 50 ms apart.
    assert!(took >= Duration::from_millis(145), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

//! The token cache: single-flight refresh for many tasks, failed refreshes, reauthenticate=false.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use http::HeaderMap;
use keystoneauth_core::{
    async_trait, AccessInfo, AuthPlugin, Authenticator, Error, IdentityPlugin, Result,
    ServiceTokenAuth, Session,
};
use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A token endpoint answering `tok-N` (N counts requests) that expires in `expires_in`.
async fn token_server(expires_in: time::Duration) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(move |_: &Request| {
            let i = counter.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", format!("tok-{i}").as_str())
                .set_body_json(v3_body(expires_in, "p1", json!([])))
                // Slow enough that all tasks pile up behind the first request.
                .set_delay(Duration::from_millis(300))
        })
        .mount(&server)
        .await;
    (server, n)
}

async fn wave(plugin: &Arc<IdentityPlugin<PostAuth>>, session: &Session, n: usize) -> Vec<String> {
    // Every task is running before any asks for a token: under load, spawning 1,000 tasks
    // can take longer than the token request, and late starters would see a stale token.
    let start = Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let (p, s, start) = (plugin.clone(), session.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            p.token(&s)
                .await
                .map(|t| t.unwrap().expose_secret().to_owned())
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.unwrap().unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_tasks_one_token_request_with_a_fresh_token() {
    let (server, count) = token_server(time::Duration::hours(1)).await;
    let plugin = Arc::new(IdentityPlugin::new(PostAuth { url: server.uri() }));
    let session = Session::builder().build().unwrap();
    let tokens = bounded(wave(&plugin, &session, 1000)).await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(tokens.iter().all(|t| t == "tok-1"));
    // Still fresh: a second wave sends nothing.
    let tokens = bounded(wave(&plugin, &session, 1000)).await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(tokens.iter().all(|t| t == "tok-1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_tasks_one_token_request_per_stale_wave() {
    // Every token the server gives is inside the 120 s refresh window: stale as soon as a new
    // caller looks at it, but one flight still serves all the callers waiting for it.
    let (server, count) = token_server(time::Duration::seconds(60)).await;
    let plugin = Arc::new(IdentityPlugin::new(PostAuth { url: server.uri() }));
    let session = Session::builder().build().unwrap();
    let tokens = bounded(wave(&plugin, &session, 1000)).await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(tokens.iter().all(|t| t == "tok-1"), "{:?}", &tokens[..5]);
    let tokens = bounded(wave(&plugin, &session, 1000)).await;
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(tokens.iter().all(|t| t == "tok-2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_from_the_server_are_fetched_once_per_wave() {
    let (server, count) = token_server(time::Duration::seconds(-10)).await;
    let plugin = Arc::new(IdentityPlugin::new(PostAuth { url: server.uri() }));
    let session = Session::builder().build().unwrap();
    let tokens = bounded(wave(&plugin, &session, 1000)).await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(tokens.iter().all(|t| t == "tok-1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_token_is_refreshed_after_time_passes() {
    let (server, count) = token_server(time::Duration::seconds(3)).await;
    // A clock moved by hand: the token's 3 s pass without waiting for them.
    let skew = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let clock = {
        let skew = skew.clone();
        keystoneauth_core::Clock::new(move || {
            std::time::SystemTime::now() + Duration::from_millis(skew.load(Ordering::SeqCst))
        })
    };
    let plugin = Arc::new(
        IdentityPlugin::new(PostAuth { url: server.uri() })
            .with_clock(clock)
            .with_refresh(Duration::from_secs(1), true),
    );
    let session = Session::builder().build().unwrap();
    let tokens = bounded(wave(&plugin, &session, 200)).await;
    assert!(tokens.iter().all(|t| t == "tok-1"));
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // 1.5 s later the token is still outside the 1 s refresh window: no new request.
    skew.store(1_500, Ordering::SeqCst);
    let tokens = bounded(wave(&plugin, &session, 200)).await;
    assert!(tokens.iter().all(|t| t == "tok-1"));
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // 2.1 s later it is inside: one refresh for the whole wave.
    skew.store(2_100, Ordering::SeqCst);
    let tokens = bounded(wave(&plugin, &session, 200)).await;
    assert!(tokens.iter().all(|t| t == "tok-2"));
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

fn state(token: &str, expires_in: time::Duration) -> String {
    json!({"auth_token": token, "body": v3_body(expires_in, "p1", json!([]))}).to_string()
}

async fn failing_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": {"message": "db down", "code": 500}})),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_refresh_keeps_a_still_valid_token() {
    let server = failing_server().await;
    let plugin = Arc::new(IdentityPlugin::new(PostAuth { url: server.uri() }));
    // Valid for 60 s: inside the 120 s refresh window.
    plugin
        .set_auth_state(Some(&state("old-token", time::Duration::seconds(60))))
        .unwrap();
    let session = Session::builder().build().unwrap();
    let tokens = bounded(wave(&plugin, &session, 100)).await;
    assert!(tokens.iter().all(|t| t == "old-token"));
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "one failed refresh, then a pause");
}

#[tokio::test]
async fn failed_refresh_without_a_valid_token_is_the_error() {
    let server = failing_server().await;
    let session = Session::builder().build().unwrap();
    // No token at all.
    let plugin = IdentityPlugin::new(PostAuth { url: server.uri() });
    let err = bounded(plugin.token(&session)).await.unwrap_err();
    assert!(matches!(err, Error::HttpServerError(_)), "{err:?}");
    assert!(err.to_string().contains("db down"));
    // An expired token is not used either.
    plugin
        .set_auth_state(Some(&state("expired", time::Duration::seconds(-5))))
        .unwrap();
    let err = bounded(plugin.token(&session)).await.unwrap_err();
    assert!(matches!(err, Error::HttpServerError(_)), "{err:?}");
    // Through a session request: the error, and nothing sent to the service.
    let service = MockServer::start().await;
    let s = Session::new(Arc::new(plugin)).unwrap();
    let err = bounded(s.get(format!("{}/x", service.uri())).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HttpServerError(_)), "{err:?}");
    assert!(service.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_waiting_on_a_failed_refresh_share_its_error() {
    // A slow, failing token endpoint: 200 tasks without a token must not send 200 requests
    // one after another; those that waited on the failed flight get its error.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"error": {"message": "keystone down", "code": 503}}))
                .set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    let plugin = Arc::new(IdentityPlugin::new(PostAuth { url: server.uri() }));
    let session = Session::builder().build().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let (p, s) = (plugin.clone(), session.clone());
        tasks.push(tokio::spawn(async move { p.token(&s).await }));
    }
    for t in tasks {
        let err = bounded(t).await.unwrap().unwrap_err();
        assert!(matches!(err, Error::ServiceUnavailable(_)), "{err:?}");
        assert!(err.to_string().contains("keystone down"));
    }
    let n = server.received_requests().await.unwrap().len();
    assert!(n <= 3, "{n} token requests for 200 waiting tasks");
    // A later call (not waiting on that flight) tries again.
    let _ = bounded(plugin.token(&session)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), n + 1);
}

#[tokio::test]
async fn reauthenticate_false_never_refreshes() {
    let (server, count) = token_server(time::Duration::hours(1)).await;
    let plugin = IdentityPlugin::new(PostAuth { url: server.uri() })
        .with_refresh(Duration::from_secs(120), false);
    plugin
        .set_auth_state(Some(&state("kept", time::Duration::seconds(-60))))
        .unwrap();
    let session = Session::builder().build().unwrap();
    for _ in 0..5 {
        let t = bounded(plugin.token(&session)).await.unwrap().unwrap();
        assert_eq!(t.expose_secret(), "kept");
    }
    assert_eq!(count.load(Ordering::SeqCst), 0);
    // Invalidate: the next call authenticates, once.
    assert!(plugin.invalidate());
    for _ in 0..3 {
        let t = bounded(plugin.token(&session)).await.unwrap().unwrap();
        assert_eq!(t.expose_secret(), "tok-1");
    }
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn auth_state_round_trips_through_the_plugin() {
    let (server, count) = token_server(time::Duration::hours(1)).await;
    let session = Session::builder().build().unwrap();
    let a = IdentityPlugin::new(PostAuth { url: server.uri() });
    assert!(a.auth_state().is_none());
    let tok = bounded(a.token(&session)).await.unwrap().unwrap();
    let saved = a.auth_state().unwrap();
    let b = IdentityPlugin::new(PostAuth { url: server.uri() });
    b.set_auth_state(Some(&saved)).unwrap();
    let tok_b = bounded(b.token(&session)).await.unwrap().unwrap();
    assert_eq!(tok.expose_secret(), tok_b.expose_secret());
    assert_eq!(count.load(Ordering::SeqCst), 1);
    b.set_auth_state(None).unwrap();
    assert!(b.auth_state().is_none());
    assert!(b.set_auth_state(Some("{not json")).is_err());
}

#[tokio::test]
async fn ready_headers_follow_the_cache() {
    let (server, count) = token_server(time::Duration::hours(1)).await;
    let plugin = IdentityPlugin::new(PostAuth { url: server.uri() });
    let session = Session::builder().build().unwrap();
    let mut ready = HeaderMap::new();
    assert!(
        !plugin.add_ready_auth_headers(&mut ready),
        "no token yet: the session must await auth_headers"
    );
    assert!(ready.is_empty(), "a false answer leaves the headers alone");

    let awaited = bounded(plugin.auth_headers(&session))
        .await
        .unwrap()
        .unwrap();
    assert!(plugin.add_ready_auth_headers(&mut ready));
    assert_eq!(ready, awaited);
    assert_eq!(ready["X-Auth-Token"], "tok-1");
    assert!(ready["X-Auth-Token"].is_sensitive());
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "the ready path sends nothing"
    );

    assert!(plugin.invalidate());
    let mut after = HeaderMap::new();
    assert!(!plugin.add_ready_auth_headers(&mut after));
}

#[tokio::test]
async fn a_stale_token_is_never_ready() {
    // Expires in 60 s: inside the default 120 s refresh window as soon as it arrives.
    let (server, count) = token_server(time::Duration::seconds(60)).await;
    let plugin = IdentityPlugin::new(PostAuth { url: server.uri() });
    let session = Session::builder().build().unwrap();
    bounded(plugin.auth_headers(&session)).await.unwrap();
    let mut ready = HeaderMap::new();
    assert!(!plugin.add_ready_auth_headers(&mut ready));
    assert!(ready.is_empty());
    // A session request therefore refreshes it.
    let session = Session::new(Arc::new(plugin)).unwrap();
    let _ = bounded(
        session
            .get(format!("{}/v3/auth/tokens", server.uri()))
            .send(),
    )
    .await;
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn service_token_ready_headers_carry_both_tokens() {
    let (user_server, _) = token_server(time::Duration::hours(1)).await;
    let (service_server, _) = token_server(time::Duration::hours(1)).await;
    let user = Arc::new(IdentityPlugin::new(PostAuth {
        url: user_server.uri(),
    }));
    let service = Arc::new(IdentityPlugin::new(PostAuth {
        url: service_server.uri(),
    }));
    let session = Session::builder().build().unwrap();
    let both = ServiceTokenAuth::new(user.clone(), service.clone());
    let mut ready = HeaderMap::new();
    assert!(!both.add_ready_auth_headers(&mut ready));
    bounded(user.auth_headers(&session)).await.unwrap();
    assert!(
        !both.add_ready_auth_headers(&mut ready),
        "the service token is not there yet"
    );
    assert!(ready.is_empty(), "nothing half-added");
    let awaited = bounded(both.auth_headers(&session)).await.unwrap().unwrap();
    assert!(both.add_ready_auth_headers(&mut ready));
    assert_eq!(ready, awaited);
    assert_eq!(ready["X-Auth-Token"], "tok-1");
    assert_eq!(ready["X-Service-Token"], "tok-1");
    assert!(ready["X-Service-Token"].is_sensitive());
}

/// Authenticates by making a request that is itself authenticated by the session's plugin,
/// which is this one: a token it cannot have yet.
#[derive(Debug)]
struct AsksForItsOwnToken {
    url: String,
}

#[async_trait]
impl Authenticator for AsksForItsOwnToken {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        session
            .get(format!("{}/v3", self.url))
            .authenticated(true)
            .send()
            .await?;
        Err(Error::AuthorizationFailure(
            "unreachable in this test".into(),
        ))
    }
    fn auth_url(&self) -> &str {
        &self.url
    }
}

#[tokio::test]
async fn a_plugin_asking_for_its_own_token_while_authenticating_fails_instead_of_hanging() {
    let server = MockServer::start().await;
    let plugin = Arc::new(IdentityPlugin::new(AsksForItsOwnToken {
        url: server.uri(),
    }));
    let session = Session::new(plugin.clone()).unwrap();
    let err = bounded(session.get(format!("{}/x", server.uri())).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AuthorizationFailure(_)), "{err:?}");
    assert!(err.to_string().contains("its own token"), "{err}");
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "nothing was sent"
    );
    // Other tasks are not affected: a second caller gets the same clear error, not a hang.
    let err = bounded(plugin.auth_headers(&session)).await.unwrap_err();
    assert!(err.to_string().contains("its own token"), "{err}");
}

#[tokio::test]
async fn nested_refreshes_of_different_plugins_still_work() {
    // The service plugin authenticates while the user plugin's refresh is running (the
    // user's authenticator asks the service plugin for a token): allowed, only the same
    // cache is refused.
    #[derive(Debug)]
    struct UsesAnother {
        url: String,
        other: Arc<IdentityPlugin<PostAuth>>,
    }
    #[async_trait]
    impl Authenticator for UsesAnother {
        async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
            let other = self.other.token(session).await?.unwrap();
            assert_eq!(other.expose_secret(), "tok-1");
            PostAuth {
                url: self.url.clone(),
            }
            .authenticate(session)
            .await
        }
        fn auth_url(&self) -> &str {
            &self.url
        }
    }
    let (server, count) = token_server(time::Duration::hours(1)).await;
    let other = Arc::new(IdentityPlugin::new(PostAuth { url: server.uri() }));
    let plugin = IdentityPlugin::new(UsesAnother {
        url: server.uri(),
        other,
    });
    let session = Session::builder().build().unwrap();
    let tok = bounded(plugin.token(&session)).await.unwrap().unwrap();
    assert_eq!(tok.expose_secret(), "tok-2");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

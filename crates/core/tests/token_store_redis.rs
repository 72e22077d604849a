//! The Redis token store against a real `redis-server`: `KSA_REDIS_URL` (set by `cargo xtask
//! test`, or `cargo xtask redis up`), else one started here on a free 127.0.0.1 port when
//! `redis-server` is on PATH. Each test uses its own key prefix. The test that stops Redis
//! always starts its own.
#![cfg(all(unix, feature = "redis"))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use common::*;
use keystoneauth_core::token_store::{RedisStore, StoredToken, TokenStore, TokenStoreAuth};
use keystoneauth_core::{AccessInfo, AuthPlugin, IdentityPlugin, Session};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A redis-server of the test's own, killed when dropped.
struct OwnRedis {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_redis() -> OwnRedis {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server (Debian package redis-server) must be installed");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    OwnRedis {
        child,
        url: format!("redis://127.0.0.1:{port}/0"),
        _dir: dir,
    }
}

/// The server the tests share: `KSA_REDIS_URL`, or one of this process's own.
struct SharedRedis {
    url: String,
    /// Our own server, killed when the last test holding it is done (a `static` is never
    /// dropped, so keeping it there would leave the server running after the tests).
    _own: Option<Arc<OwnRedis>>,
}

fn shared_redis() -> SharedRedis {
    static OWN: Mutex<Weak<OwnRedis>> = Mutex::new(Weak::new());
    if let Ok(url) = std::env::var("KSA_REDIS_URL") {
        if !url.is_empty() {
            return SharedRedis { url, _own: None };
        }
    }
    let mut own = OWN.lock().unwrap_or_else(|e| e.into_inner());
    let redis = own.upgrade().unwrap_or_else(|| {
        let started = Arc::new(start_redis());
        *own = Arc::downgrade(&started);
        started
    });
    SharedRedis {
        url: redis.url.clone(),
        _own: Some(redis),
    }
}

fn unique_prefix() -> String {
    let mut b = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut b);
    format!("ksa-test-{}:", hex::encode(b))
}

fn key() -> SecretString {
    SecretString::from("correct horse battery staple, but longer".to_owned())
}

async fn store(url: &str, prefix: &str) -> RedisStore {
    RedisStore::connect(url, &key())
        .await
        .unwrap()
        .prefix(prefix)
}

fn stored(token: &str, expires_in: time::Duration) -> StoredToken {
    let a = access_info(&v3_body(expires_in, "p1", json!([])), token);
    StoredToken {
        state: SecretString::from(a.to_auth_state()),
        expires_at: a.expires(),
    }
}

fn token_of(t: &StoredToken) -> String {
    AccessInfo::from_auth_state(t.state.expose_secret())
        .unwrap()
        .auth_token()
        .expose_secret()
        .to_owned()
}

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

const CACHE_ID: &str = "Q2FjaGUgaWQgb2YgYSBwYXNzd29yZA==";

#[tokio::test]
async fn values_are_ciphertext_keys_are_keyed_hashes_and_expire_with_the_token() {
    let redis = shared_redis();
    let url = redis.url.clone();
    let prefix = unique_prefix();
    let s = store(&url, &prefix).await;
    assert!(s.get(CACHE_ID).await.unwrap().is_none());
    s.put(
        CACHE_ID,
        &stored("gAAAAAsecret-token", time::Duration::hours(1)),
    )
    .await
    .unwrap();
    assert_eq!(
        token_of(&s.get(CACHE_ID).await.unwrap().unwrap()),
        "gAAAAAsecret-token"
    );

    // What a reader of Redis sees.
    let mut r = raw(&url).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut r)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(!keys[0].contains(CACHE_ID), "{keys:?}");
    let value: Vec<u8> = redis::cmd("GET")
        .arg(&keys[0])
        .query_async(&mut r)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&value);
    for plain in ["gAAAAAsecret-token", "auth_token", "expires", "demo"] {
        assert!(!text.contains(plain), "{plain:?} in the stored value");
    }
    assert!(serde_json::from_slice::<serde_json::Value>(&value).is_err());
    // nonce, ciphertext and tag
    assert!(value.len() > 12 + 16 + 100, "{}", value.len());
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&keys[0])
        .query_async(&mut r)
        .await
        .unwrap();
    assert!(ttl > 3_500_000 && ttl <= 3_600_000, "{ttl}");

    // Another key: cannot read it (a warning), and uses other names anyway.
    let other = RedisStore::connect(&url, &SecretString::from("another key".to_owned()))
        .await
        .unwrap()
        .prefix(&prefix);
    assert_ne!(other.entry_key(CACHE_ID), s.entry_key(CACHE_ID));
    let (logs, _guard) = capture_logs();
    let _: () = redis::cmd("SET")
        .arg(other.entry_key(CACHE_ID))
        .arg(&value)
        .query_async(&mut r)
        .await
        .unwrap();
    assert!(other.get(CACHE_ID).await.unwrap().is_none());
    assert!(logs.text().contains("does not decrypt"), "{}", logs.text());
    // A value moved to another key does not decrypt either (the key is associated data).
    let _: () = redis::cmd("SET")
        .arg(s.entry_key("another cache id"))
        .arg(&value)
        .query_async(&mut r)
        .await
        .unwrap();
    assert!(s.get("another cache id").await.unwrap().is_none());

    s.delete(CACHE_ID).await.unwrap();
    assert!(s.get(CACHE_ID).await.unwrap().is_none());
    // An expired token is not stored.
    s.put(CACHE_ID, &stored("old", time::Duration::seconds(-5)))
        .await
        .unwrap();
    assert!(s.get(CACHE_ID).await.unwrap().is_none());
}

#[tokio::test]
async fn the_lock_is_set_nx_with_a_ttl_and_released_only_by_its_holder() {
    let redis = shared_redis();
    let url = redis.url.clone();
    let prefix = unique_prefix();
    let a = store(&url, &prefix)
        .await
        .lock_ttl(Duration::from_millis(300));
    let b = store(&url, &prefix).await;
    let held = a.lock(CACHE_ID, Duration::ZERO).await.unwrap().unwrap();
    let t = Instant::now();
    assert!(b
        .lock(CACHE_ID, Duration::from_millis(100))
        .await
        .unwrap()
        .is_none());
    assert!(t.elapsed() >= Duration::from_millis(100));
    // The holder "died": its lock expires with the ttl, and b gets it.
    let b_lock = b
        .lock(CACHE_ID, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // The late holder's release does not delete b's lock.
    held.release().await.unwrap();
    assert!(a
        .lock(CACHE_ID, Duration::from_millis(50))
        .await
        .unwrap()
        .is_none());
    b_lock.release().await.unwrap();
    assert!(a
        .lock(CACHE_ID, Duration::from_millis(50))
        .await
        .unwrap()
        .is_some());
}

async fn keystone(delay: Duration) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(move |_: &Request| {
            let i = counter.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", format!("tok-{i}").as_str())
                .set_body_json(v3_body(time::Duration::hours(1), "p1", json!([])))
                .set_delay(delay)
        })
        .mount(&server)
        .await;
    (server, n)
}

async fn machine(url: &str, redis: &str, prefix: &str) -> (Arc<TokenStoreAuth>, Session) {
    let plugin: Arc<dyn AuthPlugin> = Arc::new(IdentityPlugin::new(PostAuth {
        url: url.to_owned(),
    }));
    let auth = Arc::new(TokenStoreAuth::new(plugin, Arc::new(store(redis, prefix).await)).unwrap());
    let session = Session::new(auth.clone()).unwrap();
    (auth, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_machines_sharing_redis_make_one_token_request() {
    let redis = shared_redis();
    let url = redis.url.clone();
    let prefix = unique_prefix();
    let (server, requests) = keystone(Duration::from_millis(300)).await;
    let n = 20;
    let mut clients: Vec<(Arc<dyn AuthPlugin>, Session)> = Vec::new();
    for _ in 0..n {
        let (auth, session) = machine(&server.uri(), &url, &prefix).await;
        clients.push((auth, session));
    }
    let tokens = tokens_at_once(clients).await;
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    assert!(tokens.iter().all(|t| t == "tok-1"), "{tokens:?}");
}

/// Redis goes away while the plugin runs: a warning, and it authenticates on its own.
#[tokio::test]
async fn redis_stopped_mid_run_is_survived() {
    let own = start_redis();
    let prefix = unique_prefix();
    let (server, requests) = keystone(Duration::ZERO).await;
    let (a, sa) = machine(&server.uri(), &own.url, &prefix).await;
    assert_eq!(
        a.token(&sa).await.unwrap().unwrap().expose_secret(),
        "tok-1"
    );
    let (b, sb) = machine(&server.uri(), &own.url, &prefix).await;
    drop(own);
    let (logs, _guard) = capture_logs();
    // b has no token of its own and Redis is gone.
    let t = Instant::now();
    assert_eq!(
        b.token(&sb).await.unwrap().unwrap().expose_secret(),
        "tok-2"
    );
    eprintln!("authenticated without Redis in {:?}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    // a's token is refused: it drops it and authenticates again, Redis or not.
    a.invalidate();
    assert_eq!(
        a.token(&sa).await.unwrap().unwrap().expose_secret(),
        "tok-3"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 3);
    let text = logs.text();
    assert!(
        text.contains("WARN") && text.contains("authenticating on our own"),
        "{text}"
    );
    // Connecting to a Redis that is not there fails fast (the caller goes without a store).
    let t = Instant::now();
    let port = closed_port();
    assert!(
        RedisStore::connect(&format!("redis://127.0.0.1:{port}/0"), &key())
            .await
            .is_err()
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // rediss:// is understood (TLS through native-tls): it fails to connect, not to parse.
    let e = RedisStore::connect(&format!("rediss://127.0.0.1:{port}/0"), &key())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("connect") && !e.contains("invalid URL"), "{e}");
}

//! Token stores: the file store's files, names, checks and lock (with a holder killed by
//! SIGKILL), and `TokenStoreAuth`: one token request for many "processes" (plugins with
//! stores of their own on one directory), a refused stored token replaced once, a stale one
//! counted as missing, and a failing store worked around.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::io::BufRead as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use keystoneauth_core::token_store::{
    cache_key, FileStore, StoreLock, StoredToken, TokenStore, TokenStoreAuth,
};
use keystoneauth_core::{
    async_trait, AccessInfo, AuthPlugin, Error, IdentityPlugin, Result, Session,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "Q2FjaGUgaWQgb2YgYSBwYXNzd29yZA==";

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().mode() & 0o777
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

#[tokio::test]
async fn file_store_round_trip_private_files_and_keyed_names() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache/keystoneauth-rs");
    let store = FileStore::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("key")), 0o600);
    assert_eq!(std::fs::read(dir.join("key")).unwrap().len(), 32);

    assert!(store.get(KEY).await.unwrap().is_none());
    store
        .put(KEY, &stored("tok-a", time::Duration::hours(1)))
        .await
        .unwrap();
    let got = store.get(KEY).await.unwrap().unwrap();
    assert_eq!(token_of(&got), "tok-a");
    assert!(got.is_fresh(Duration::from_secs(120)));

    // The name is a keyed hash: neither the cache id nor its plain SHA-256 hex appears.
    let name = store.entry_name(KEY);
    assert!(name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()));
    let plain = hex::encode(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, KEY).unwrap(),
    );
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .all(|f| !f.contains(&plain) && !f.contains(KEY)),
        "{files:?}"
    );
    assert_eq!(mode(&store.entry_path(KEY)), 0o600);

    // Another instance (another process) shares the key and so the names.
    let other = FileStore::open(&dir).unwrap();
    assert_eq!(other.entry_name(KEY), name);
    assert_eq!(token_of(&other.get(KEY).await.unwrap().unwrap()), "tok-a");
    // System scope gives another entry.
    assert_ne!(store.entry_name(&cache_key(KEY, Some("all"))), name);

    store.delete(KEY).await.unwrap();
    store.delete(KEY).await.unwrap();
    assert!(other.get(KEY).await.unwrap().is_none());
    // Another user's key (a fresh directory) gives other names.
    let third = FileStore::open(tmp.path().join("other")).unwrap();
    assert_ne!(third.entry_name(KEY), name);
}

#[tokio::test]
async fn file_store_ignores_symlinks_readable_and_tampered_entries_and_never_writes_through() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = FileStore::open(&dir).unwrap();
    let entry = store.entry_path(KEY);
    let (logs, _guard) = capture_logs();

    // A symbolic link planted at the entry's path: not read, not written through.
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink(&victim, &entry).unwrap();
    assert!(store.get(KEY).await.unwrap().is_none());
    assert!(logs.text().contains("symbolic link"), "{}", logs.text());
    store
        .put(KEY, &stored("tok-1", time::Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!std::fs::symlink_metadata(&entry)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(token_of(&store.get(KEY).await.unwrap().unwrap()), "tok-1");

    // Readable by group or others: ignored.
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(store.get(KEY).await.unwrap().is_none());
    assert!(
        logs.text().contains("readable by group or others"),
        "{}",
        logs.text()
    );
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(store.get(KEY).await.unwrap().is_some());

    // Tampered: the token changed by someone who cannot read the key.
    let text = std::fs::read_to_string(&entry).unwrap();
    std::fs::write(&entry, text.replace("tok-1", "tok-X")).unwrap();
    assert!(store.get(KEY).await.unwrap().is_none());
    assert!(
        logs.text().contains("authentication code"),
        "{}",
        logs.text()
    );
    // Corrupt.
    std::fs::write(&entry, "{not json").unwrap();
    assert!(store.get(KEY).await.unwrap().is_none());
    assert!(logs.text().contains("corrupt"), "{}", logs.text());
    // An entry moved to another key's name does not pass either.
    store
        .put("other", &stored("tok-2", time::Duration::hours(1)))
        .await
        .unwrap();
    std::fs::copy(store.entry_path("other"), &entry).unwrap();
    assert!(store.get(KEY).await.unwrap().is_none());
    // Replaced by the next put.
    store
        .put(KEY, &stored("tok-3", time::Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(token_of(&store.get(KEY).await.unwrap().unwrap()), "tok-3");

    // A FIFO planted at the path does not hang the reader.
    store.delete(KEY).await.unwrap();
    rustix_mkfifo(&entry);
    assert!(store.get(KEY).await.unwrap().is_none());
    assert!(
        logs.text().contains("not a regular file"),
        "{}",
        logs.text()
    );
}

fn rustix_mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().unwrap();
    assert!(st.success());
}

#[tokio::test]
async fn file_store_directory_is_repaired_or_refused_and_a_bad_key_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (logs, _guard) = capture_logs();
    let store = FileStore::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert!(logs.text().contains("now 0700"), "{}", logs.text());
    store
        .put(KEY, &stored("tok-1", time::Duration::hours(1)))
        .await
        .unwrap();

    // A symbolic link as the directory: refused.
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    let e = FileStore::open(&link).unwrap_err();
    assert!(e.to_string().contains("symbolic link"), "{e}");

    // A key others could read is replaced: the entries under it no longer verify.
    std::fs::set_permissions(dir.join("key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let again = FileStore::open(&dir).unwrap();
    assert_eq!(mode(&dir.join("key")), 0o600);
    assert!(again.get(KEY).await.unwrap().is_none());
}

/// The helper process of `a_killed_lock_holder_releases_the_lock`: takes the lock, says so,
/// and sleeps (at most 60 s) until it is killed. Does nothing in a normal run.
#[tokio::test]
#[ignore = "helper process, started by a_killed_lock_holder_releases_the_lock"]
async fn lock_holder_process() {
    let Some(dir) = std::env::var_os("KSA_TEST_LOCK_HOLDER_DIR") else {
        return;
    };
    let store = FileStore::open(dir).unwrap();
    let lock = store
        .lock(KEY, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    println!("KSA-LOCKED");
    tokio::time::sleep(Duration::from_secs(60)).await;
    drop(lock);
}

#[tokio::test]
async fn a_killed_lock_holder_releases_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = FileStore::open(&dir).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_holder_process",
            "--nocapture",
            "--include-ignored",
        ])
        .env("KSA_TEST_LOCK_HOLDER_DIR", &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if line.as_deref().is_ok_and(|l| l.contains("KSA-LOCKED")) {
                let _ = tx.send(());
            }
        }
    });
    if rx.recv_timeout(Duration::from_secs(30)).is_err() {
        let _ = child.kill();
        panic!("the holder process did not take the lock");
    }
    // Held: the wait is bounded.
    let t = Instant::now();
    assert!(store
        .lock(KEY, Duration::from_millis(300))
        .await
        .unwrap()
        .is_none());
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    // SIGKILL: the kernel releases the flock with the process.
    child.kill().unwrap();
    child.wait().unwrap();
    let t = Instant::now();
    let lock = store.lock(KEY, Duration::from_secs(10)).await.unwrap();
    assert!(lock.is_some());
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // And a second taker (another open file) waits for this one.
    let other = FileStore::open(&dir).unwrap();
    assert!(other
        .lock(KEY, Duration::from_millis(50))
        .await
        .unwrap()
        .is_none());
    lock.unwrap().release().await.unwrap();
    assert!(other
        .lock(KEY, Duration::from_millis(50))
        .await
        .unwrap()
        .is_some());
}

/// A token endpoint answering `tok-N` (N counts requests), expiring in `expires_in`; and
/// `GET /svc`, which refuses the tokens in `refused` with 401.
async fn keystone(
    expires_in: time::Duration,
    delay: Duration,
    refused: &'static [&'static str],
) -> (MockServer, Arc<AtomicUsize>) {
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
                .set_delay(delay)
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/svc"))
        .respond_with(move |r: &Request| {
            let t = r
                .headers
                .get("x-auth-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if refused.contains(&t) {
                ResponseTemplate::new(401)
            } else {
                ResponseTemplate::new(200).set_body_string(t.to_owned())
            }
        })
        .mount(&server)
        .await;
    (server, n)
}

/// One "process": its own plugin, its own store instance on `dir`, its own session.
fn process(url: &str, dir: &Path) -> (Arc<TokenStoreAuth>, Session) {
    let plugin: Arc<dyn AuthPlugin> = Arc::new(IdentityPlugin::new(PostAuth {
        url: url.to_owned(),
    }));
    let store = Arc::new(FileStore::open(dir).unwrap());
    let auth = Arc::new(TokenStoreAuth::new(plugin, store).unwrap());
    let session = Session::new(auth.clone()).unwrap();
    (auth, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_processes_sharing_a_file_store_make_one_token_request() {
    let (server, requests) =
        keystone(time::Duration::hours(1), Duration::from_millis(300), &[]).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let n = 20;
    let clients = (0..n)
        .map(|_| {
            let (auth, session) = process(&server.uri(), &dir);
            (auth as Arc<dyn AuthPlugin>, session)
        })
        .collect();
    let tokens = tokens_at_once(clients).await;
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    assert!(tokens.iter().all(|t| t == "tok-1"), "{tokens:?}");
    // Warm: a new process takes it from the store, no request.
    let (auth, session) = process(&server.uri(), &dir);
    assert_eq!(
        auth.token(&session).await.unwrap().unwrap().expose_secret(),
        "tok-1"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_stored_token_is_dropped_and_replaced_once() {
    let (server, requests) = keystone(time::Duration::hours(1), Duration::ZERO, &["tok-1"]).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let (a, sa) = process(&server.uri(), &dir);
    assert_eq!(
        a.token(&sa).await.unwrap().unwrap().expose_secret(),
        "tok-1"
    );
    // A second process takes tok-1 from the store; the service refuses it (revoked).
    let (b, sb) = process(&server.uri(), &dir);
    let resp = sb
        .get(format!("{}/svc", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text(), "tok-2");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    let in_store = b.stored().await.unwrap().unwrap();
    assert_eq!(token_of(&in_store), "tok-2");
    // The first process, still holding tok-1, is refused too: it takes tok-2 from the store.
    let resp = sa
        .get(format!("{}/svc", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text(), "tok-2");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    // forget drops it.
    b.forget().await.unwrap();
    assert!(b.stored().await.unwrap().is_none());
}

#[tokio::test]
async fn a_stored_token_inside_the_refresh_window_counts_as_missing() {
    let (server, requests) = keystone(time::Duration::hours(1), Duration::ZERO, &[]).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let (a, sa) = process(&server.uri(), &dir);
    a.store()
        .put(a.cache_key(), &stored("old", time::Duration::seconds(60)))
        .await
        .unwrap();
    assert_eq!(
        a.token(&sa).await.unwrap().unwrap().expose_secret(),
        "tok-1"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    assert_eq!(token_of(&a.stored().await.unwrap().unwrap()), "tok-1");
}

/// A store whose every call fails (say, Redis gone).
#[derive(Debug)]
struct Broken;

#[async_trait]
impl TokenStore for Broken {
    async fn get(&self, _: &str) -> Result<Option<StoredToken>> {
        Err(Error::Config("down".into()))
    }
    async fn put(&self, _: &str, _: &StoredToken) -> Result<()> {
        Err(Error::Config("down".into()))
    }
    async fn delete(&self, _: &str) -> Result<()> {
        Err(Error::Config("down".into()))
    }
    async fn lock(&self, _: &str, _: Duration) -> Result<Option<Box<dyn StoreLock>>> {
        Err(Error::Config("down".into()))
    }
    fn kind(&self) -> &'static str {
        "broken"
    }
}

#[tokio::test]
async fn a_failing_store_is_worked_around_with_a_warning() {
    let (server, requests) = keystone(time::Duration::hours(1), Duration::ZERO, &[]).await;
    let (logs, _guard) = capture_logs();
    let plugin: Arc<dyn AuthPlugin> = Arc::new(IdentityPlugin::new(PostAuth { url: server.uri() }));
    let auth = Arc::new(TokenStoreAuth::new(plugin, Arc::new(Broken)).unwrap());
    let session = Session::new(auth.clone()).unwrap();
    assert_eq!(
        auth.token(&session).await.unwrap().unwrap().expose_secret(),
        "tok-1"
    );
    // The in-memory token serves the next calls: no store, no request.
    assert_eq!(
        auth.token(&session).await.unwrap().unwrap().expose_secret(),
        "tok-1"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    let text = logs.text();
    assert!(
        text.contains("WARN") && text.contains("authenticating on our own"),
        "{text}"
    );
    // The cache id appears in no log line.
    let id = auth.cache_id().unwrap();
    assert!(!text.contains(&id), "{text}");
}

#[tokio::test]
async fn a_plugin_without_a_cache_id_cannot_be_wrapped() {
    let plugin: Arc<dyn AuthPlugin> = Arc::new(CountingPlugin::new());
    let e = TokenStoreAuth::new(plugin, Arc::new(Broken)).unwrap_err();
    assert!(e.to_string().contains("no cache id"), "{e}");
}

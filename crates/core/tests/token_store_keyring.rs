//! The kernel keyring store (Linux, feature `keyring`) in the user's keyring of the kernel,
//! which needs no daemon (`cargo test -p keystoneauth-core --features keyring --test
//! token_store_keyring`; `cargo xtask test` runs it). Each test uses a key description prefix
//! of its own and deletes what it stored; the keys expire with their (test) tokens anyway.
#![cfg(all(target_os = "linux", feature = "keyring"))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use keystoneauth_core::token_store::{KeyringStore, StoredToken, TokenStore, TokenStoreAuth};
use keystoneauth_core::{AccessInfo, AuthPlugin, IdentityPlugin, Session};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn prefix() -> String {
    let mut b = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut b);
    format!("keystoneauth-rs-test-{}:", hex::encode(b))
}

fn stored(token: &str) -> StoredToken {
    let a = access_info(&v3_body(time::Duration::hours(1), "p1", json!([])), token);
    StoredToken {
        state: SecretString::from(a.to_auth_state()),
        expires_at: a.expires(),
    }
}

#[tokio::test]
async fn keyring_round_trip_with_keyed_names() {
    let tmp = tempfile::tempdir().unwrap();
    let svc = prefix();
    let s = KeyringStore::open(tmp.path().join("store"))
        .unwrap()
        .prefix(&svc);
    let id = "Q2FjaGUgaWQgb2YgYSBwYXNzd29yZA==";
    assert!(s.get(id).await.unwrap().is_none());
    s.put(id, &stored("tok-k")).await.unwrap();
    let got = s.get(id).await.unwrap().unwrap();
    let a = AccessInfo::from_auth_state(got.state.expose_secret()).unwrap();
    assert_eq!(a.auth_token().expose_secret(), "tok-k");
    let name = s.description(id);
    assert!(!name.contains(id) && name.starts_with(&svc) && name.len() == svc.len() + 64);
    // Another instance on the same directory finds it.
    let other = KeyringStore::open(tmp.path().join("store"))
        .unwrap()
        .prefix(&svc);
    assert!(other.get(id).await.unwrap().is_some());
    s.delete(id).await.unwrap();
    s.delete(id).await.unwrap();
    assert!(other.get(id).await.unwrap().is_none());
    // The lock is the file store's.
    let l = s.lock(id, Duration::ZERO).await.unwrap().unwrap();
    assert!(other
        .lock(id, Duration::from_millis(50))
        .await
        .unwrap()
        .is_none());
    l.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_processes_sharing_the_keyring_make_one_token_request() {
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
                .set_delay(Duration::from_millis(300))
        })
        .mount(&server)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let svc = prefix();
    let mut first: Option<Arc<TokenStoreAuth>> = None;
    let mut clients: Vec<(Arc<dyn AuthPlugin>, Session)> = Vec::new();
    for _ in 0..10 {
        let plugin: Arc<dyn AuthPlugin> =
            Arc::new(IdentityPlugin::new(PostAuth { url: server.uri() }));
        let store = KeyringStore::open(tmp.path().join("store"))
            .unwrap()
            .prefix(&svc);
        let auth = Arc::new(TokenStoreAuth::new(plugin, Arc::new(store)).unwrap());
        first.get_or_insert_with(|| auth.clone());
        let session = Session::new(auth.clone()).unwrap();
        clients.push((auth, session));
    }
    for tok in tokens_at_once(clients).await {
        assert_eq!(tok, "tok-1");
    }
    assert_eq!(n.load(Ordering::SeqCst), 1);
    first.unwrap().forget().await.unwrap();
}

/// The helper process of `the_keyring_is_shared_between_processes`: stores a token and
/// exits. Does nothing in a normal run.
#[tokio::test]
#[ignore = "helper process, started by the_keyring_is_shared_between_processes"]
async fn keyring_writer_process() {
    let (Some(dir), Ok(p)) = (
        std::env::var_os("KSA_TEST_KEYRING_DIR"),
        std::env::var("KSA_TEST_KEYRING_PREFIX"),
    ) else {
        return;
    };
    let s = KeyringStore::open(dir).unwrap().prefix(p);
    s.put("shared", &stored("tok-from-child")).await.unwrap();
}

/// Another process (another thread, too) sees what one stored.
#[tokio::test]
async fn the_keyring_is_shared_between_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let p = prefix();
    let s = KeyringStore::open(&dir).unwrap().prefix(&p);
    let st = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "keyring_writer_process", "--include-ignored"])
        .env("KSA_TEST_KEYRING_DIR", &dir)
        .env("KSA_TEST_KEYRING_PREFIX", &p)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let got = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(s.get("shared"))
            .unwrap()
    })
    .join()
    .unwrap();
    let s = KeyringStore::open(&dir).unwrap().prefix(&p);
    s.delete("shared").await.unwrap();
    assert!(s.get("shared").await.unwrap().is_none());
    let a = AccessInfo::from_auth_state(got.unwrap().state.expose_secret()).unwrap();
    assert_eq!(a.auth_token().expose_secret(), "tok-from-child");
}

//! `ksa --auth-cache` (the file token store) against the real Keystone of the harness
//! (`cargo xtask keystone up`, or `cargo xtask test`): many processes with a cold store make
//! one token request, a killed lock holder does not block the others, a hung one only for
//! the bounded wait, untrusted cache files are ignored and never written through, a revoked
//! token is replaced on first use, `token forget` and `token issue --revoke-cached`.
//!
//! Token requests are counted by a small HTTP proxy on 127.0.0.1 in front of Keystone (the
//! auth URL given to ksa), one per test, so concurrent tests do not mix their counts.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

fn harness() -> Value {
    let path = match std::env::var_os("KSA_KEYSTONE_ENV") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/ksa-harness/keystone/env.json"),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "no Keystone harness ({}: {e}): run `cargo xtask test` or `cargo xtask keystone up`",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("env.json")
}

fn s(h: &Value, k: &str) -> String {
    h[k].as_str().unwrap_or_else(|| panic!("{k}")).to_owned()
}

/// A proxy in front of Keystone that counts `POST /v3/auth/tokens`; with `stall_first`, the
/// first such request is never forwarded or answered (its sender holds the store's lock
/// until it is killed).
struct Proxy {
    port: u16,
    token_requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl Proxy {
    fn start(upstream: u16, stall_first: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let token_requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopped) = (token_requests.clone(), stop.clone());
        std::thread::spawn(move || {
            // Bounded: no test makes this many connections.
            for conn in listener.incoming().take(2000) {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let count = count.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, &count, stall_first);
                });
            }
        });
        Proxy {
            port,
            token_requests,
            stop,
        }
    }

    fn auth_url(&self) -> String {
        format!("http://127.0.0.1:{}/v3", self.port)
    }

    fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::SeqCst)
    }
}

/// One request per connection: read it, forward it with `Connection: close`, copy the
/// answer back, close.
fn serve(
    mut client: TcpStream,
    upstream: u16,
    count: &AtomicUsize,
    stall_first: bool,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("connection:") {
            continue;
        }
        head.push(line);
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;
    if head[0].starts_with("POST /v3/auth/tokens ") {
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        if stall_first && n == 1 {
            // Hold the connection until the client goes away (or 120 s pass).
            let mut sink = [0u8; 64];
            while matches!(reader.read(&mut sink), Ok(k) if k > 0) {}
            return Ok(());
        }
    }
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    up.set_read_timeout(Some(Duration::from_secs(120)))?;
    for l in &head {
        up.write_all(l.as_bytes())?;
    }
    up.write_all(b"Connection: close\r\n\r\n")?;
    up.write_all(&body)?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    client.write_all(&resp)?;
    client.flush()
}

/// One user's environment: HOME, XDG_CACHE_HOME and the working directory in a temporary
/// directory, and Keystone's admin credentials with the auth URL of `auth_url`.
struct User {
    home: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl User {
    fn new(h: &Value, auth_url: &str) -> User {
        let env = vec![
            ("OS_AUTH_TYPE", "v3password".to_owned()),
            ("OS_AUTH_URL", auth_url.to_owned()),
            ("OS_USERNAME", s(h, "admin_username")),
            ("OS_PASSWORD", s(h, "admin_password")),
            ("OS_PROJECT_NAME", s(h, "admin_project_name")),
            ("OS_USER_DOMAIN_ID", s(h, "admin_user_domain_id")),
            ("OS_PROJECT_DOMAIN_ID", s(h, "admin_project_domain_id")),
            ("OS_IDENTITY_API_VERSION", "3".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        User {
            home: tempfile::tempdir().unwrap(),
            env,
        }
    }

    fn store_dir(&self) -> PathBuf {
        self.home.path().join("cache/keystoneauth-rs")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ksa"));
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.home.path())
            .stdin(Stdio::null());
        c
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        wait_bounded(self.spawn(args), Duration::from_secs(120))
    }

    /// `ksa --auth-cache token issue -f value -c id`: the token, and stderr.
    fn issue(&self) -> (String, String) {
        let o = self.run(&["--auth-cache", "token", "issue", "-f", "value", "-c", "id"]);
        (ok(&o).trim().to_owned(), stderr(&o))
    }

    /// The store's entries (64 hex digits; no key, lock or temporary file).
    fn entries(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.store_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy().into_owned();
                n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit())
            })
            .collect();
        v.sort();
        v
    }
}

/// Waits for the child at most `limit` (then kills it and fails).
fn wait_bounded(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!("ksa ran for more than {limit:?}: {}", stderr(&o));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What each process printed (a token), trimmed, once each succeeded within two minutes.
fn printed_tokens(children: Vec<Child>) -> Vec<String> {
    children
        .into_iter()
        .map(|c| {
            ok(&wait_bounded(c, Duration::from_secs(120)))
                .trim()
                .to_owned()
        })
        .collect()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "ksa failed ({:?}): {}",
        o.status,
        stderr(o)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Keystone's status for `GET /v3/auth/tokens` of `token` authenticated by itself.
fn keystone_validates(h: &Value, token: &str) -> u16 {
    let port = h["port"].as_u64().unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET /v3/auth/tokens HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Auth-Token: {token}\r\n\
         X-Subject-Token: {token}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn port(h: &Value) -> u16 {
    h["port"].as_u64().unwrap() as u16
}

#[test]
fn thirty_cold_processes_make_one_token_request() {
    let h = harness();
    let proxy = Proxy::start(port(&h), false);
    let u = User::new(&h, &proxy.auth_url());
    let t = Instant::now();
    let children: Vec<Child> = (0..30)
        .map(|_| u.spawn(&["--auth-cache", "token", "issue", "-f", "value", "-c", "id"]))
        .collect();
    let tokens: Vec<String> = printed_tokens(children);
    eprintln!("30 processes: {:?}", t.elapsed());
    assert_eq!(proxy.token_requests(), 1, "token requests");
    assert!(tokens.iter().all(|t| t == &tokens[0]), "{tokens:?}");
    assert_eq!(keystone_validates(&h, &tokens[0]), 200);
    assert_eq!(u.entries().len(), 1);
    // Warm: no request.
    assert_eq!(u.issue().0, tokens[0]);
    assert_eq!(proxy.token_requests(), 1);
}

/// The first process's token request is never answered, so it holds the lock. Processes
/// with a 1 s wait give up waiting and authenticate alone, with a warning; then the holder
/// is killed (SIGKILL) and processes waiting up to 60 s go on at once, with one request.
#[test]
fn a_killed_lock_holder_does_not_block_the_others() {
    let h = harness();
    let proxy = Proxy::start(port(&h), true);
    let u = User::new(&h, &proxy.auth_url());
    let mut holder = u.spawn(&["--auth-cache", "token", "issue", "-f", "value", "-c", "id"]);
    let start = Instant::now();
    while proxy.token_requests() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no token request"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // A hung holder: waited for 1 s, not more.
    let t = Instant::now();
    let o = u.run(&[
        "--auth-cache",
        "--token-store-wait",
        "1",
        "token",
        "issue",
        "-f",
        "value",
        "-c",
        "id",
    ]);
    let alone = ok(&o).trim().to_owned();
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    assert!(
        stderr(&o).contains("authenticating on our own"),
        "{}",
        stderr(&o)
    );
    assert_eq!(proxy.token_requests(), 2);
    // It stored its token: drop it, so that the next ones wait for the lock again.
    for e in u.entries() {
        std::fs::remove_file(e).unwrap();
    }

    // Waiters with a long wait, then the holder killed.
    let waiters: Vec<Child> = (0..5)
        .map(|_| {
            u.spawn(&[
                "--auth-cache",
                "--token-store-wait",
                "60",
                "token",
                "issue",
                "-f",
                "value",
                "-c",
                "id",
            ])
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    holder.kill().unwrap();
    let killed = Instant::now();
    holder.wait().unwrap();
    let tokens: Vec<String> = printed_tokens(waiters);
    assert!(
        killed.elapsed() < Duration::from_secs(20),
        "waiters took {:?} after the kill",
        killed.elapsed()
    );
    // One of them authenticated, the others took its token.
    assert_eq!(proxy.token_requests(), 3);
    assert!(tokens.iter().all(|t| t == &tokens[0]), "{tokens:?}");
    assert_ne!(tokens[0], alone);
    assert_eq!(keystone_validates(&h, &tokens[0]), 200);
}

/// The stored entry, tampered with, replaced by a symbolic link, or made world-readable:
/// ignored with a warning, never written through, replaced by a good entry.
#[test]
fn tampered_symlinked_and_readable_cache_files_are_ignored_and_never_written_through() {
    let h = harness();
    let u = User::new(&h, &s(&h, "auth_url"));
    let (first, _) = u.issue();
    let entry = u.entries().pop().unwrap();
    assert_eq!(
        std::fs::metadata(&entry).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(u.store_dir())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    // The cache id (the unsalted hash of the credentials) is not the name.
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(text.contains(&first));

    // Tampered: another token put in.
    std::fs::write(&entry, text.replace(&first, "gAAAAAforged")).unwrap();
    let (second, err) = u.issue();
    assert_ne!(second, first);
    assert!(err.contains("authentication code"), "{err}");
    assert_eq!(u.issue().0, second, "the replaced entry is used");

    // A symbolic link to a file of the user's.
    let victim = u.home.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink(&victim, &entry).unwrap();
    let (third, err) = u.issue();
    assert_ne!(third, second);
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!std::fs::symlink_metadata(&entry)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(u.issue().0, third);

    // Readable by others.
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (fourth, err) = u.issue();
    assert_ne!(fourth, third);
    assert!(err.contains("readable by group or others"), "{err}");
    assert_eq!(
        std::fs::metadata(&entry).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A cache directory others can enter is made private again.
    std::fs::set_permissions(u.store_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (fifth, err) = u.issue();
    assert_eq!(fifth, fourth);
    assert!(err.contains("now 0700"), "{err}");
    assert_eq!(u.entries().len(), 1);
}

/// A token revoked behind ksa's back is refused on first use (401): dropped from the store,
/// replaced by one new token, and the request succeeds.
#[test]
fn a_revoked_cached_token_is_replaced_on_first_use() {
    let h = harness();
    let proxy = Proxy::start(port(&h), false);
    let u = User::new(&h, &proxy.auth_url());
    let (first, _) = u.issue();
    // Revoke it with a token of its own (no ksa involved).
    let o = User::new(&h, &s(&h, "auth_url")).run(&["token", "revoke", &first]);
    ok(&o);
    assert!(matches!(keystone_validates(&h, &first), 401 | 404));
    let before = proxy.token_requests();
    let o = u.run(&["--auth-cache", "request", "GET", "identity", "/projects"]);
    let body: Value = serde_json::from_str(&ok(&o)).unwrap();
    assert!(body["projects"].is_array(), "{body}");
    assert_eq!(proxy.token_requests(), before + 1);
    let (second, _) = u.issue();
    assert_ne!(second, first);
    assert_eq!(keystone_validates(&h, &second), 200);
    assert_eq!(proxy.token_requests(), before + 1);
}

#[test]
fn token_forget_and_issue_revoke_cached() {
    let h = harness();
    let u = User::new(&h, &s(&h, "auth_url"));
    let (a, _) = u.issue();
    // --revoke-cached: a revoked, b issued and stored.
    let o = u.run(&[
        "--auth-cache",
        "token",
        "issue",
        "--revoke-cached",
        "-f",
        "value",
        "-c",
        "id",
    ]);
    let b = ok(&o).trim().to_owned();
    assert_ne!(a, b);
    assert!(matches!(keystone_validates(&h, &a), 401 | 404));
    assert_eq!(keystone_validates(&h, &b), 200);
    assert_eq!(u.issue().0, b);
    // forget: dropped (still valid), a new one next time.
    ok(&u.run(&["--auth-cache", "token", "forget"]));
    assert!(u.entries().is_empty());
    assert_eq!(keystone_validates(&h, &b), 200);
    let (c, _) = u.issue();
    assert_ne!(c, b);
    // forget --revoke: revoked and dropped.
    ok(&u.run(&["--auth-cache", "token", "forget", "--revoke"]));
    assert!(u.entries().is_empty());
    assert!(matches!(keystone_validates(&h, &c), 401 | 404));
    // Without a store: a usage error.
    let o = u.run(&["token", "forget"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no token store"), "{}", stderr(&o));
}

/// `--token-store file:DIR` and `OS_TOKEN_STORE` choose the directory; `none` turns the
/// cache off.
#[test]
fn token_store_option_chooses_the_directory() {
    let h = harness();
    let u = User::new(&h, &s(&h, "auth_url"));
    let dir = u.home.path().join("elsewhere");
    let spec = format!("file:{}", dir.display());
    let o = u.run(&[
        "--token-store",
        &spec,
        "token",
        "issue",
        "-f",
        "value",
        "-c",
        "id",
    ]);
    let a = ok(&o).trim().to_owned();
    assert!(dir.join("key").is_file());
    let o = u
        .command(&["token", "issue", "-f", "value", "-c", "id"])
        .env("OS_TOKEN_STORE", &spec)
        .output()
        .unwrap();
    assert_eq!(ok(&o).trim(), a);
    let o = u
        .command(&["--auth-cache", "token", "issue", "-f", "value", "-c", "id"])
        .env("OS_TOKEN_STORE", "none")
        .output()
        .unwrap();
    assert_ne!(ok(&o).trim(), a);
    assert!(!u.store_dir().exists());
}

/// A redis-server of the test's own on a free 127.0.0.1 port, killed when dropped.
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
    let port = TcpListener::bind("127.0.0.1:0")
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
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
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

/// `KSA_REDIS_URL` (`cargo xtask test`, `cargo xtask redis up`), or a server of the test's
/// own; each test uses a random store key, so its entries are its own.
fn redis_url() -> (String, Option<OwnRedis>) {
    match std::env::var("KSA_REDIS_URL") {
        Ok(u) if !u.is_empty() => (u, None),
        _ => {
            let r = start_redis();
            (r.url.clone(), Some(r))
        }
    }
}

fn random_key() -> String {
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut b)
        .unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl User {
    fn with_redis(mut self, url: &str, key: &str) -> User {
        self.env.push(("OS_TOKEN_STORE".into(), url.into()));
        self.env.push(("OS_TOKEN_STORE_KEY".into(), key.into()));
        self
    }
}

const ISSUE: &[&str] = &["token", "issue", "-f", "value", "-c", "id"];

/// 50 processes, each with its own HOME (standing in for 50 machines), share one token
/// through Redis: one token request. What Redis holds is ciphertext.
#[test]
fn fifty_machines_through_redis_make_one_token_request_and_store_ciphertext() {
    let h = harness();
    let (url, _own) = redis_url();
    let key = random_key();
    let proxy = Proxy::start(port(&h), false);
    let machines: Vec<User> = (0..50)
        .map(|_| User::new(&h, &proxy.auth_url()).with_redis(&url, &key))
        .collect();
    let t = Instant::now();
    let children: Vec<Child> = machines.iter().map(|m| m.spawn(ISSUE)).collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| wait_bounded(c, Duration::from_secs(120)))
        .collect();
    eprintln!("50 processes through redis: {:?}", t.elapsed());
    let tokens: Vec<String> = outputs.iter().map(|o| ok(o).trim().to_owned()).collect();
    assert_eq!(proxy.token_requests(), 1, "token requests");
    assert!(tokens.iter().all(|t| t == &tokens[0]), "{tokens:?}");
    assert_eq!(keystone_validates(&h, &tokens[0]), 200);
    for o in &outputs {
        assert!(stderr(o).is_empty(), "{}", stderr(o));
    }
    // No file store was used.
    assert!(!machines[0].store_dir().exists());

    // Read as anyone who can read Redis would: the token is nowhere in clear.
    let mut r = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("keystoneauth-rs:token:*")
        .query(&mut r)
        .unwrap();
    assert!(!keys.is_empty());
    for k in &keys {
        let v: Vec<u8> = redis::cmd("GET").arg(k).query(&mut r).unwrap_or_default();
        let text = String::from_utf8_lossy(&v);
        assert!(!text.contains(&tokens[0]), "the token is in clear in {k}");
        assert!(!text.contains("auth_token") && !text.contains("catalog"));
    }

    // A machine with another key neither reads nor overwrites it in place: it gets a token
    // of its own.
    let other = User::new(&h, &proxy.auth_url()).with_redis(&url, &random_key());
    let mine = ok(&other.run(ISSUE)).trim().to_owned();
    assert_ne!(mine, tokens[0]);
    assert_eq!(ok(&machines[7].run(ISSUE)).trim(), tokens[0]);
}

/// Redis stops while processes run, and is gone for the next ones: every run still prints a
/// valid token (with a warning), none fails.
#[test]
fn redis_stopped_mid_run_is_survived() {
    let h = harness();
    let own = start_redis();
    let key = random_key();
    let machines: Vec<User> = (0..10)
        .map(|_| User::new(&h, &s(&h, "auth_url")).with_redis(&own.url, &key))
        .collect();
    let first = ok(&machines[0].run(ISSUE)).trim().to_owned();
    let children: Vec<Child> = machines.iter().map(|m| m.spawn(ISSUE)).collect();
    std::thread::sleep(Duration::from_millis(30));
    drop(own);
    for c in children {
        let t = ok(&wait_bounded(c, Duration::from_secs(60)))
            .trim()
            .to_owned();
        assert_eq!(keystone_validates(&h, &t), 200);
    }
    // Gone before the run starts: a warning, a token of its own.
    let o = machines[3].run(ISSUE);
    let t = ok(&o).trim().to_owned();
    assert_eq!(keystone_validates(&h, &t), 200);
    assert_ne!(t, first);
    assert!(
        stderr(&o).contains("not using the token store"),
        "{}",
        stderr(&o)
    );
}

/// `--token-store keyring` (a ksa built with the `keyring` feature; `cargo xtask test` runs
/// it): 10 concurrent cold processes make one token request, and the token is not on disk.
#[cfg(all(target_os = "linux", feature = "keyring"))]
#[test]
fn keyring_store_ten_processes_one_token_request_nothing_on_disk() {
    let h = harness();
    let proxy = Proxy::start(port(&h), false);
    let u = User::new(&h, &proxy.auth_url());
    let args = [
        "--token-store",
        "keyring",
        "token",
        "issue",
        "-f",
        "value",
        "-c",
        "id",
    ];
    let children: Vec<Child> = (0..10).map(|_| u.spawn(&args)).collect();
    let tokens: Vec<String> = printed_tokens(children);
    assert_eq!(proxy.token_requests(), 1);
    assert!(tokens.iter().all(|t| t == &tokens[0]), "{tokens:?}");
    // The directory holds the naming key and lock files, not the token.
    for e in std::fs::read_dir(u.store_dir()).unwrap() {
        let text = String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned();
        assert!(!text.contains(&tokens[0]));
    }
    assert!(u.entries().is_empty());
    ok(&u.run(&["--token-store", "keyring", "token", "forget", "--revoke"]));
    assert!(matches!(keystone_validates(&h, &tokens[0]), 401 | 404));
}

/// `--debug` with a token store never shows the cache id (an unsalted hash of the
/// credentials, password included: an offline password oracle), nor the old file name made
/// from it; the entry's name is a keyed hash.
#[test]
fn debug_output_never_shows_the_cache_id() {
    use keystoneauth::loading::{CloudConfig, LoadOptions};
    // Links the plugin crates, so that their loaders are registered here.
    let _ = keystoneauth::identity_v3::Scope::project_in_domain_name("p", "d");
    let h = harness();
    let u = User::new(&h, &s(&h, "auth_url"));
    let config = CloudConfig::load(LoadOptions {
        env: Some(u.env.iter().cloned().collect()),
        config_files: Some(vec![]),
        secure_files: Some(vec![]),
        public_files: Some(vec![]),
        ..Default::default()
    })
    .unwrap();
    let id = config.build_plugin().unwrap().cache_id().unwrap();
    let old_name: String = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(&id)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    for _ in 0..2 {
        let o = u.run(&[
            "--debug",
            "--auth-cache",
            "token",
            "issue",
            "-f",
            "value",
            "-c",
            "id",
        ]);
        ok(&o);
        let err = stderr(&o);
        assert!(err.contains("keystoneauth::token_store"), "{err}");
        assert!(!err.contains(&id), "the cache id is in the log");
        assert!(
            !err.contains(&old_name),
            "the unkeyed file name is in the log"
        );
    }
    let entry = u.entries().pop().unwrap();
    let name = entry.file_name().unwrap().to_string_lossy().into_owned();
    assert_ne!(name, old_name);
}

//! The token store figures of `cargo xtask bench`, against the real Keystone of the bench
//! (its auth URL and admin credentials): N = 1, 10, 100 concurrent `ksa --auth-cache token
//! issue` processes with a cold file store, 50 through a Redis store (a redis-server of the
//! bench's own), and the warm-cache wall time against curl's token request.
//!
//! Token requests are counted by a small HTTP proxy on 127.0.0.1 in front of Keystone (the
//! auth URL given to ksa): Keystone sees exactly what it forwards.

use crate::util::{harness_dir, workspace_root};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the figures need to know about the Keystone.
pub struct Target {
    pub auth_url: String,
    pub port: u16,
    pub user: String,
    pub password: String,
}

/// One row of the bench table: what, figure, target, met.
pub type Figure = (String, String, &'static str, Option<bool>);

/// Counts `POST /v3/auth/tokens` on its way to Keystone; one request per connection.
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
    fn start(upstream: u16) -> Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let token_requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopped) = (token_requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().take(10_000) {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let count = count.clone();
                std::thread::spawn(move || {
                    let _ = forward(conn, upstream, &count);
                });
            }
        });
        Ok(Proxy {
            port,
            token_requests,
            stop,
        })
    }

    fn count(&self) -> usize {
        self.token_requests.load(Ordering::SeqCst)
    }
}

fn forward(client: TcpStream, upstream: u16, count: &AtomicUsize) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut length = 0usize;
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
            length = v.trim().parse().unwrap_or(0);
        }
        if !lower.starts_with("connection:") {
            head.push(line);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    if head
        .first()
        .is_some_and(|l| l.starts_with("POST /v3/auth/tokens "))
    {
        count.fetch_add(1, Ordering::SeqCst);
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
    let mut client = client;
    client.write_all(&resp)?;
    client.flush()
}

fn ksa() -> PathBuf {
    workspace_root().join("target/release/ksa")
}

fn ksa_cmd(t: &Target, auth_url: &str, home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(ksa());
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("OS_AUTH_TYPE", "v3password")
        .env("OS_AUTH_URL", auth_url)
        .env("OS_USERNAME", &t.user)
        .env("OS_PASSWORD", &t.password)
        .env("OS_USER_DOMAIN_ID", "default")
        .env("OS_PROJECT_NAME", "admin")
        .env("OS_PROJECT_DOMAIN_ID", "default")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

const ISSUE: &[&str] = &["token", "issue", "-f", "value", "-c", "id"];

/// Waits for every child (at most 180 s in all); their first stdout lines.
fn collect(children: Vec<Child>) -> Result<Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut out = Vec::new();
    for mut c in children {
        loop {
            if c.try_wait()?.is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                bail!("a ksa process ran for more than 180 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let o = c.wait_with_output()?;
        if !o.status.success() {
            bail!(
                "ksa failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
        out.push(String::from_utf8_lossy(&o.stdout).trim().to_owned());
    }
    Ok(out)
}

/// N concurrent processes with a cold store: (token requests, wall time, one token for all).
fn stampede(
    t: &Target,
    n: usize,
    cache: bool,
    extra_env: &[(&str, &str)],
    one_home: bool,
) -> Result<(usize, Duration, bool)> {
    let proxy = Proxy::start(t.port)?;
    let auth_url = format!("http://127.0.0.1:{}/v3", proxy.port);
    let base = tempfile_dir("store-bench")?;
    let homes: Vec<PathBuf> = (0..n)
        .map(|i| {
            base.join(if one_home {
                "home".into()
            } else {
                format!("home-{i}")
            })
        })
        .collect();
    for h in &homes {
        std::fs::create_dir_all(h)?;
    }
    let args: Vec<&str> = if cache {
        [&["--auth-cache"][..], ISSUE].concat()
    } else {
        ISSUE.to_vec()
    };
    let start = Instant::now();
    let mut children = Vec::with_capacity(n);
    for h in &homes {
        let mut c = ksa_cmd(t, &auth_url, h, &args);
        c.envs(extra_env.iter().copied());
        children.push(c.spawn().context("run ksa")?);
    }
    let tokens = collect(children)?;
    let took = start.elapsed();
    let same = tokens.iter().all(|x| x == &tokens[0] && !x.is_empty());
    let _ = std::fs::remove_dir_all(&base);
    Ok((proxy.count(), took, same))
}

fn tempfile_dir(name: &str) -> Result<PathBuf> {
    let d = harness_dir()
        .join("bench")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

fn median_ms(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn time_ms(cmd: &mut Command) -> Result<f64> {
    let t = Instant::now();
    let st = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("run")?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    if !st.success() {
        bail!("{cmd:?} failed ({st})");
    }
    Ok(ms)
}

/// The figures; a failed measurement is a row that says why.
pub fn figures(t: &Target, runs: usize) -> Vec<Figure> {
    let mut rows: Vec<Figure> = Vec::new();
    if !ksa().is_file() {
        rows.push((
            "token stores".into(),
            "not measured: no release ksa".into(),
            "report",
            None,
        ));
        return rows;
    }
    for n in [1usize, 10, 100] {
        let name = format!(
            "real Keystone: {n} concurrent `ksa --auth-cache token issue`, cold file store: token requests, wall time"
        );
        rows.push(match stampede(t, n, true, &[], true) {
            Ok((requests, took, same)) => (
                name,
                format!(
                    "{requests} token request(s), {:.0} ms{}",
                    took.as_secs_f64() * 1e3,
                    if same { "" } else { ", NOT one token for all" }
                ),
                "exactly 1",
                Some(requests == 1 && same),
            ),
            Err(e) => (name, format!("not measured: {e:#}"), "exactly 1", None),
        });
    }
    for n in [10usize, 100] {
        let name = format!(
            "  baseline: {n} concurrent `ksa token issue` without a store: token requests, wall time"
        );
        rows.push(match stampede(t, n, false, &[], true) {
            Ok((requests, took, _)) => (
                name,
                format!(
                    "{requests} token request(s), {:.0} ms",
                    took.as_secs_f64() * 1e3
                ),
                "report",
                None,
            ),
            Err(e) => (name, format!("not measured: {e:#}"), "report", None),
        });
    }
    rows.push(redis_row(t));
    rows.push(warm_row(t, runs));
    rows
}

fn redis_row(t: &Target) -> Figure {
    let name = "real Keystone: 50 processes (50 HOMEs) through the Redis store, cold: token requests, wall time".to_owned();
    let measured = (|| -> Result<(usize, Duration, bool)> {
        let dir = harness_dir().join(format!("redis-bench-{}", std::process::id()));
        let r = crate::redis::up(&dir)?;
        let out = stampede(
            t,
            50,
            false,
            &[
                ("OS_TOKEN_STORE", r.url.as_str()),
                (
                    "OS_TOKEN_STORE_KEY",
                    "bench key: a long random text in real use",
                ),
            ],
            false,
        );
        let _ = crate::redis::down(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        out
    })();
    match measured {
        Ok((requests, took, same)) => (
            name,
            format!(
                "{requests} token request(s), {:.0} ms{}",
                took.as_secs_f64() * 1e3,
                if same { "" } else { ", NOT one token for all" }
            ),
            "exactly 1",
            Some(requests == 1 && same),
        ),
        Err(e) => (name, format!("not measured: {e:#}"), "exactly 1", None),
    }
}

fn warm_row(t: &Target, runs: usize) -> Figure {
    let name = format!(
        "real Keystone: warm `ksa --auth-cache token issue` vs curl POST /v3/auth/tokens vs cold ksa, median of {runs}"
    );
    let measured = (|| -> Result<(f64, f64, f64)> {
        let home = tempfile_dir("warm")?;
        let issue: Vec<&str> = [&["--auth-cache"][..], ISSUE].concat();
        // Fill the cache.
        time_ms(&mut ksa_cmd(t, &t.auth_url, &home, &issue))?;
        let mut warm: Vec<f64> = (0..runs)
            .map(|_| time_ms(&mut ksa_cmd(t, &t.auth_url, &home, &issue)))
            .collect::<Result<_>>()?;
        let mut cold: Vec<f64> = (0..runs)
            .map(|_| time_ms(&mut ksa_cmd(t, &t.auth_url, &home, ISSUE)))
            .collect::<Result<_>>()?;
        let body = format!(
            r#"{{"auth": {{"identity": {{"methods": ["password"], "password": {{"user": {{"name": "{}", "domain": {{"id": "default"}}, "password": "{}"}}}}}}, "scope": {{"project": {{"name": "admin", "domain": {{"id": "default"}}}}}}}}}}"#,
            t.user, t.password
        );
        let body_file = home.join("auth.json");
        std::fs::write(&body_file, body)?;
        let mut curl: Vec<f64> = (0..runs)
            .map(|_| {
                time_ms(
                    Command::new("curl")
                        .args(["-sS", "-f", "-o", "/dev/null", "-X", "POST"])
                        .args(["-H", "Content-Type: application/json"])
                        .arg("--data-binary")
                        .arg(format!("@{}", body_file.display()))
                        .arg(format!("{}/auth/tokens", t.auth_url)),
                )
            })
            .collect::<Result<_>>()?;
        let _ = std::fs::remove_dir_all(&home);
        Ok((
            median_ms(&mut warm),
            median_ms(&mut curl),
            median_ms(&mut cold),
        ))
    })();
    match measured {
        Ok((warm, curl, cold)) => (
            name,
            format!(
                "{warm:.2} ms vs {curl:.1} ms = {:.2}× curl (cold ksa, no cache: {cold:.1} ms)",
                warm / curl
            ),
            "report",
            None,
        ),
        Err(e) => (name, format!("not measured: {e:#}"), "report", None),
    }
}

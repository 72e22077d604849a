//! `ksa-bench`: whole-process load figures of keystoneauth-rs, each printed as one JSON line.
//!
//! - `ksa-bench stampede [--requests N]`: N concurrent requests on one Session whose token has
//!   expired; counts the token requests (target: exactly 1) and compares the total time with
//!   the same N requests on a valid token.
//! - `ksa-bench refresh [--seconds S] [--tasks T] [--ttl-ms L] [--window-ms W]`: T tasks make
//!   requests for S seconds while tokens live L ms and the refresh window is W ms; counts
//!   the token requests (≈ S / (L − W)) and the failed requests (target 0).
//! - `ksa-bench get [--rounds R] [--batch B]`: an authenticated Session GET with a cached token
//!   against bare reqwest with the same client (one connection pool), interleaved: each round times B
//!   requests of each (in alternating order), and the figure is the median of the per-round
//!   ratios, so that drifting machine load cancels out. The server runs on its own thread.
//!   With `--control`, both sides are bare reqwest: the ratio shows the method's noise.
//! - `ksa-bench canned --port P --dir D`: a canned Keystone (the fallback when nginx is missing):
//!   `POST /v3/auth/tokens` → `D/token.json` + `X-Subject-Token: $(cat D/token.id)`,
//!   `GET /v3` → `D/v3.json`, `GET /` → `D/root.json`.
//! - `ksa-bench emulator`: the identity emulator as a child process (so that 10,000 client
//!   sockets and 10,000 server sockets do not share one process's file limit); it prints
//!   `URL <url>` and answers `count` (token requests so far) and `ttl <ms>` on stdin.
//! - `ksa-bench large-body --dir D`: writes the 1 MB token body of the parse bench to
//!   `D/large_token.json` and its 1,000 lookups to `D/lookups.json` (`[[type, interface,
//!   region], …]`), so that keystoneauth1 can be timed on the same work.
//! - `ksa-bench huge-body --dir D [--services S] [--regions R]`: writes a v3 token body of
//!   S services × R regions × 3 interfaces (default 2,000 × 60, about 62 MB) and the other
//!   files `canned` serves to `D`, for the peak-memory figure of `ksa catalog list` on a
//!   body just under the 64 MB limit (docs/performance.md).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench tool: a panic is a failed run

use std::convert::Infallible;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use keystoneauth_core::{EndpointFilter, IdentityPlugin, Session};
use keystoneauth_identity_v3::{Auth, Password, Scope};
use keystoneauth_testing::emulator::Emulator;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("emulator") => emulator_child().await,
        Some("stampede") => stampede(arg(&args, "--requests", 10_000)).await,
        Some("refresh") => {
            refresh(
                arg(&args, "--seconds", 8),
                arg(&args, "--tasks", 1000),
                arg(&args, "--ttl-ms", 5000),
                arg(&args, "--window-ms", 2000),
            )
            .await
        }
        Some("get") => {
            get_ratio(
                arg(&args, "--rounds", 31),
                arg(&args, "--batch", 500),
                args.iter().any(|a| a == "--control"),
            )
            .await
        }
        Some("canned") => {
            canned(
                arg(&args, "--port", 0u16),
                arg(&args, "--dir", String::from(".")),
            )
            .await
        }
        Some("large-body") => large_body(&arg(&args, "--dir", String::from("."))),
        Some("stream") => stream_ratio(arg(&args, "--mib", 1024), arg(&args, "--rounds", 3)).await,
        Some("serve-bytes") => serve_bytes(arg(&args, "--mib", 512)).await,
        Some("huge-body") => huge_body(
            &arg(&args, "--dir", String::from(".")),
            arg(&args, "--services", 2000),
            arg(&args, "--regions", 60),
        ),
        _ => {
            eprintln!(
                "usage: ksa-bench stampede|refresh|get|canned|emulator|large-body|huge-body|stream|serve-bytes [options]"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("ksa-bench: {e}");
        std::process::exit(1);
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn get_ratio(rounds: usize, batch: usize, control: bool) -> Result<(), BoxError> {
    use keystoneauth_bench::{
        bare_client, session_user_agent, start_plain_server, static_session, TOKEN,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async {
            let _ = tx.send(start_plain_server().await);
            std::future::pending::<()>().await
        });
    });
    let addr = rx.recv()??;
    let base = format!("http://{addr}/compute/v2.1");
    let url = format!("{base}/servers");
    let client = bare_client();
    let session = static_session(&base, client.clone());
    let bare = || async {
        let resp = client
            .get(url.as_str())
            .header("x-auth-token", TOKEN)
            .header("user-agent", session_user_agent())
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(format!("reqwest GET: {}", resp.status()).into());
        }
        resp.bytes().await?;
        Ok::<(), BoxError>(())
    };
    let ours = || async {
        if control {
            // The method's noise floor: bare reqwest against itself.
            return bare().await;
        }
        session.get(url.as_str()).send().await?;
        Ok::<(), BoxError>(())
    };
    // Warm both: token cached, connections pooled.
    for _ in 0..50 {
        bare().await?;
        ours().await?;
    }
    let (mut ratios, mut bare_us, mut ours_us) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (mut tb, mut ts) = (Duration::ZERO, Duration::ZERO);
        for turn in 0..2 {
            let bare_turn = (round + turn) % 2 == 0;
            let t0 = Instant::now();
            for _ in 0..batch {
                if bare_turn {
                    bare().await?;
                } else {
                    ours().await?;
                }
            }
            if bare_turn {
                tb = t0.elapsed();
            } else {
                ts = t0.elapsed();
            }
        }
        ratios.push(ts.as_secs_f64() / tb.as_secs_f64());
        bare_us.push(tb.as_secs_f64() * 1e6 / batch as f64);
        ours_us.push(ts.as_secs_f64() * 1e6 / batch as f64);
    }
    println!(
        "{}",
        json!({
            "bench": if control { "get-control" } else { "get" },
            "rounds": rounds,
            "batch": batch,
            "ratio": median(&mut ratios),
            "session_us": median(&mut ours_us),
            "reqwest_us": median(&mut bare_us),
        })
    );
    Ok(())
}

/// The child side: an emulator with the default users, driven through stdin.
async fn emulator_child() -> Result<(), BoxError> {
    let emu = Emulator::builder().default_users().start().await?;
    let mut out = tokio::io::stdout();
    out.write_all(format!("URL {}\n", emu.url()).as_bytes())
        .await?;
    out.flush().await?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let reply = match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["count"] => emu.token_requests().to_string(),
            ["ttl", ms] => {
                let ms: u64 = ms.parse()?;
                emu.faults().token_ttl(Duration::from_millis(ms));
                "ok".into()
            }
            _ => "?".into(),
        };
        out.write_all(format!("{reply}\n").as_bytes()).await?;
        out.flush().await?;
    }
    Ok(())
}

/// The parent side of [`emulator_child`].
struct EmulatorProcess {
    _child: Child,
    stdin: ChildStdin,
    stdout: tokio::io::Lines<BufReader<ChildStdout>>,
    url: String,
}

impl EmulatorProcess {
    async fn start() -> Result<Self, BoxError> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("emulator")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        let first = stdout.next_line().await?.ok_or("emulator exited")?;
        let url = first
            .strip_prefix("URL ")
            .ok_or("unexpected first line")?
            .to_owned();
        Ok(EmulatorProcess {
            _child: child,
            stdin,
            stdout,
            url,
        })
    }

    async fn ask(&mut self, line: &str) -> Result<String, BoxError> {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await?;
        self.stdin.flush().await?;
        Ok(self.stdout.next_line().await?.ok_or("emulator exited")?)
    }

    async fn token_requests(&mut self) -> Result<u64, BoxError> {
        Ok(self.ask("count").await?.parse()?)
    }

    async fn ttl(&mut self, d: Duration) -> Result<(), BoxError> {
        self.ask(&format!("ttl {}", d.as_millis())).await?;
        Ok(())
    }

    fn plugin(&self, window: Duration) -> IdentityPlugin<Auth> {
        Password::new(format!("{}/v3", self.url), "secretadmin")
            .username("admin")
            .user_domain_id("default")
            .scope(Scope::project_in_domain_id("admin", "default"))
            .into_plugin()
            .with_refresh(window, true)
    }
}

fn new_session(plugin: IdentityPlugin<Auth>) -> Result<Session, BoxError> {
    Ok(Session::builder()
        .auth(Arc::new(plugin))
        .timeout(Duration::from_secs(60))
        .build()?)
}

async fn get_servers(session: &Session) -> keystoneauth_core::Result<()> {
    session
        .get("/servers")
        .endpoint_filter(EndpointFilter::service("compute"))
        .send()
        .await
        .map(|_| ())
}

/// N concurrent requests; returns (elapsed, failures, first error).
async fn wave(session: &Session, n: usize) -> (Duration, usize, Option<String>) {
    let started = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let s = session.clone();
            tokio::spawn(async move { get_servers(&s).await })
        })
        .collect();
    let mut failures = 0;
    let mut first = None;
    for h in handles {
        match h.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                failures += 1;
                first.get_or_insert_with(|| e.to_string());
            }
            Err(e) => {
                failures += 1;
                first.get_or_insert_with(|| e.to_string());
            }
        }
    }
    (started.elapsed(), failures, first)
}

async fn stampede(n: usize) -> Result<(), BoxError> {
    let mut emu = EmulatorProcess::start().await?;
    // Tokens of 1 s, no refresh window: the token is expired when the wave starts.
    emu.ttl(Duration::from_secs(1)).await?;
    let session = new_session(emu.plugin(Duration::ZERO))?;
    get_servers(&session).await?; // prime: one token, one connection
    tokio::time::sleep(Duration::from_millis(2100)).await;
    emu.ttl(Duration::from_secs(3600)).await?;
    let before = emu.token_requests().await?;
    let (expired_time, expired_failures, err1) = wave(&session, n).await;
    let refreshes = emu.token_requests().await? - before;
    // The same wave on a valid token, on a fresh session primed the same way (so that both
    // waves open their connections: only the token differs).
    // Close the first wave's connections first (the emulator process has a file limit too).
    drop(session);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let valid_session = new_session(emu.plugin(Duration::ZERO))?;
    get_servers(&valid_session).await?;
    let before_valid = emu.token_requests().await?;
    let (valid_time, valid_failures, err2) = wave(&valid_session, n).await;
    let after_valid = emu.token_requests().await? - before_valid;
    println!(
        "{}",
        json!({
            "bench": "stampede",
            "requests": n,
            "token_requests_on_expired": refreshes,
            "token_requests_on_valid": after_valid,
            "expired_ms": expired_time.as_secs_f64() * 1e3,
            "valid_ms": valid_time.as_secs_f64() * 1e3,
            "failures": expired_failures + valid_failures,
            "first_error": err1.or(err2),
        })
    );
    Ok(())
}

async fn refresh(seconds: u64, tasks: usize, ttl_ms: u64, window_ms: u64) -> Result<(), BoxError> {
    let mut emu = EmulatorProcess::start().await?;
    emu.ttl(Duration::from_millis(ttl_ms)).await?;
    let session = new_session(emu.plugin(Duration::from_millis(window_ms)))?;
    let before = emu.token_requests().await?;
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (s, ok, failed, first_error) = (
                session.clone(),
                ok.clone(),
                failed.clone(),
                first_error.clone(),
            );
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    match get_servers(&s).await {
                        Ok(()) => ok.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            first_error
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .get_or_insert_with(|| {
                                    format!("at {} ms: {e}", started.elapsed().as_millis())
                                });
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            })
        })
        .collect();
    for h in handles {
        h.await?;
    }
    let elapsed = started.elapsed();
    let auths = emu.token_requests().await? - before;
    let first_error = first_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    println!(
        "{}",
        json!({
            "bench": "refresh",
            "seconds": seconds,
            "tasks": tasks,
            "ttl_ms": ttl_ms,
            "window_ms": window_ms,
            "elapsed_ms": elapsed.as_secs_f64() * 1e3,
            "token_requests": auths,
            "expected_token_requests": seconds as f64 * 1000.0 / (ttl_ms - window_ms) as f64,
            "ok": ok.load(Ordering::Relaxed),
            "failed": failed.load(Ordering::Relaxed),
            "first_error": first_error,
        })
    );
    Ok(())
}

/// A canned Keystone for the whole-process `ksa token issue` figure (fallback to nginx).
async fn canned(port: u16, dir: String) -> Result<(), BoxError> {
    let read = |name: &str| -> Result<Bytes, BoxError> {
        Ok(Bytes::from(std::fs::read(format!("{dir}/{name}"))?))
    };
    let token = read("token.json")?;
    let token_id = String::from_utf8(read("token.id")?.to_vec())?
        .trim()
        .to_owned();
    let v3 = read("v3.json")?;
    let root = read("root.json")?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("URL http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let (token, token_id, v3, root) =
            (token.clone(), token_id.clone(), v3.clone(), root.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                let (token, token_id, v3, root) =
                    (token.clone(), token_id.clone(), v3.clone(), root.clone());
                async move {
                    let path = req.uri().path().trim_end_matches('/');
                    let b = Response::builder().header("content-type", "application/json");
                    let r = match (req.method(), path) {
                        (&Method::POST, "/v3/auth/tokens") => b
                            .status(201)
                            .header("x-subject-token", token_id)
                            .body(Full::new(token)),
                        (&Method::GET, "/v3") => b.status(200).body(Full::new(v3)),
                        (&Method::GET, "") => b.status(300).body(Full::new(root)),
                        _ => b.status(404).body(Full::new(Bytes::from_static(
                            br#"{"error": {"code": 404, "message": "not found", "title": "Not Found"}}"#,
                        ))),
                    };
                    Ok::<_, Infallible>(r.expect("static response"))
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// The parse bench's body and lookups, as files (for the keystoneauth1 comparison).
fn large_body(dir: &str) -> Result<(), BoxError> {
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("large_token.json"),
        keystoneauth_bench::large_v3_token_body(),
    )?;
    let lookups = keystoneauth_bench::lookup_triples();
    let triples: Vec<[&str; 3]> = lookups
        .iter()
        .map(|(s, i, r)| [s.as_str(), *i, r.as_str()])
        .collect();
    std::fs::write(dir.join("lookups.json"), serde_json::to_vec(&triples)?)?;
    println!(
        "{}",
        json!({ "token": keystoneauth_bench::TOKEN, "lookups": triples.len() })
    );
    Ok(())
}

/// Serves `mib` MiB (a repeating pattern, 64 KiB writes) to every GET on 127.0.0.1, on a
/// thread of its own; returns the URL.
fn start_bytes_server(mib: usize) -> Result<String, BoxError> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            let block: Bytes = (0..65536usize).map(|i| (i % 251) as u8).collect::<Vec<_>>().into();
            loop {
                let Ok((mut sock, _)) = listener.accept().await else { return };
                let block = block.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let total = mib * 1024 * 1024;
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {total}\r\nconnection: close\r\n\r\n"
                    );
                    if sock.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                    for _ in 0..total / block.len() {
                        if sock.write_all(&block).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
    });
    Ok(format!("http://{addr}/object"))
}

/// `ksa-bench serve-bytes --mib N`: prints `URL <url>` and serves until killed.
async fn serve_bytes(mib: usize) -> Result<(), BoxError> {
    let url = start_bytes_server(mib)?;
    println!("URL {url}");
    use std::io::Write as _;
    std::io::stdout().flush()?;
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}

/// `ksa-bench stream --mib N --rounds R`: the same N MiB body read in chunks through a
/// Session's `send_streaming` and through bare reqwest on the same client settings,
/// interleaved R rounds; prints throughputs (MiB/s, best round each) and their ratio.
async fn stream_ratio(mib: usize, rounds: usize) -> Result<(), BoxError> {
    let url = start_bytes_server(mib)?;
    let total = (mib * 1024 * 1024) as u64;
    let session = keystoneauth_core::Session::builder().build()?;
    let bare = reqwest::Client::builder().build()?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for first_ours in [round % 2 == 0, round % 2 != 0] {
            let t = std::time::Instant::now();
            let mut n = 0u64;
            if first_ours {
                let mut r = session.get(&url).send_streaming().await?;
                while let Some(c) = r.chunk().await? {
                    n += c.len() as u64;
                }
                ours.push(total as f64 / 1048576.0 / t.elapsed().as_secs_f64());
            } else {
                let mut r = bare.get(&url).send().await?;
                while let Some(c) = r.chunk().await? {
                    n += c.len() as u64;
                }
                theirs.push(total as f64 / 1048576.0 / t.elapsed().as_secs_f64());
            }
            if n != total {
                return Err(format!("read {n} bytes of {total}").into());
            }
        }
    }
    let best = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let (o, b) = (best(&ours), best(&theirs));
    println!(
        "{}",
        serde_json::json!({"bench": "stream", "mib": mib, "rounds": rounds,
            "session_mib_s": o, "reqwest_mib_s": b, "ratio": o / b})
    );
    Ok(())
}

/// A huge token body and the files `canned` serves with it (`token.json`, `token.id`,
/// `v3.json`, `root.json`).
fn huge_body(dir: &str, services: usize, regions: usize) -> Result<(), BoxError> {
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir)?;
    let body = keystoneauth_bench::v3_token_body(services, regions);
    std::fs::write(dir.join("token.json"), &body)?;
    std::fs::write(dir.join("token.id"), keystoneauth_bench::TOKEN)?;
    let v3 = json!({"version": {"id": "v3.14", "status": "stable",
        "updated": "2020-04-07T00:00:00Z", "links": [], "media-types": []}});
    std::fs::write(dir.join("v3.json"), serde_json::to_vec(&v3)?)?;
    let root = json!({"versions": {"values": [v3["version"].clone()]}});
    std::fs::write(dir.join("root.json"), serde_json::to_vec(&root)?)?;
    println!(
        "{}",
        json!({ "bytes": body.len(), "services": services, "endpoints": services * regions * 3 })
    );
    Ok(())
}

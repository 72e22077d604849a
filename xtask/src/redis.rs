//! `cargo xtask redis up|down|status`: a throw-away `redis-server` (Debian's package, see
//! `xtask/assets/apt-packages.txt`) on a free 127.0.0.1 port, with no persistence
//! (`--save '' --appendonly no`), for the Redis token store's tests.
//!
//! `up` prints the URL and writes it to `<state>/env` as `KSA_REDIS_URL=redis://…`;
//! `cargo xtask test` starts one of its own (`target/ksa-harness/redis-test-<pid>`), sets
//! `KSA_REDIS_URL` for the tests and stops it afterwards. The server is stopped by its
//! recorded PID (`<state>/redis.pid`), checked against its command line.

use crate::util::{free_port, harness_dir, pid_alive, send_signal, tail_file, wait_until};
use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

/// A running server.
pub struct Redis {
    /// `redis://127.0.0.1:PORT/0`.
    pub url: String,
}

/// The state directory of the shared instance (`cargo xtask redis up`).
pub fn shared_dir() -> PathBuf {
    harness_dir().join("redis")
}

pub fn main(args: &[String]) -> Result<ExitCode> {
    let dir = shared_dir();
    match args.first().map(String::as_str) {
        Some("up") => {
            let r = up(&dir)?;
            println!("redis: up at {}", r.url);
            println!("  export KSA_REDIS_URL={}", r.url);
            Ok(ExitCode::SUCCESS)
        }
        Some("down") => {
            down(&dir)?;
            Ok(ExitCode::SUCCESS)
        }
        Some("status") => match running_url(&dir) {
            Some(url) => {
                println!("redis: up at {url}");
                Ok(ExitCode::SUCCESS)
            }
            None => {
                println!("redis: not running");
                Ok(ExitCode::FAILURE)
            }
        },
        _ => bail!("usage: cargo xtask redis up|down|status"),
    }
}

fn redis_server() -> Result<PathBuf> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join("redis-server"))
        .find(|p| p.is_file());
    found.context(
        "redis-server is not installed (Debian package redis-server; `cargo xtask prereqs --install`)",
    )
}

/// Does the server on `port` answer PING?
fn pong(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
}

fn port_of(url: &str) -> Option<u16> {
    url.strip_prefix("redis://127.0.0.1:")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// The URL of the server recorded in `dir`, if it runs and answers.
pub fn running_url(dir: &Path) -> Option<String> {
    let pid: u32 = std::fs::read_to_string(dir.join("redis.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let url = std::fs::read_to_string(dir.join("url")).ok()?;
    let url = url.trim().to_owned();
    (pid_alive(pid, "redis-server") && port_of(&url).is_some_and(pong)).then_some(url)
}

/// Start a server with its state in `dir` (or return the one already running there).
pub fn up(dir: &Path) -> Result<Redis> {
    if let Some(url) = running_url(dir) {
        return Ok(Redis { url });
    }
    let server = redis_server()?;
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let port = free_port()?;
    let log = dir.join("redis.log");
    let child = Command::new(&server)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ])
        .args(["--daemonize", "no", "--databases", "16"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", server.display()))?;
    let pid = child.id();
    std::fs::write(dir.join("redis.pid"), pid.to_string())?;
    let url = format!("redis://127.0.0.1:{port}/0");
    std::fs::write(dir.join("url"), &url)?;
    std::fs::write(dir.join("env"), format!("KSA_REDIS_URL={url}\n"))?;
    if !wait_until(Duration::from_secs(10), || pong(port)) {
        send_signal(pid, "KILL");
        bail!(
            "redis-server did not answer on port {port} within 10 s:\n{}",
            tail_file(&log, 20)
        );
    }
    // The child is not waited for: it runs until `down`.
    std::mem::forget(child);
    Ok(Redis { url })
}

/// Stop the server recorded in `dir` (TERM, then KILL after 5 s).
pub fn down(dir: &Path) -> Result<()> {
    let Ok(pid) = std::fs::read_to_string(dir.join("redis.pid")) else {
        println!("redis: was not running");
        return Ok(());
    };
    let pid: u32 = pid.trim().parse().context("redis.pid")?;
    if !pid_alive(pid, "redis-server") {
        println!("redis: was not running");
    } else {
        send_signal(pid, "TERM");
        if !wait_until(Duration::from_secs(5), || !pid_alive(pid, "redis-server")) {
            send_signal(pid, "KILL");
        }
        println!("redis: stopped (pid {pid})");
    }
    let _ = std::fs::remove_file(dir.join("redis.pid"));
    Ok(())
}

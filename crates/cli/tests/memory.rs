//! Memory: `ksa catalog list` on a very large token body (a hostile or huge cloud can send
//! one just under the 64 MB body limit) peaks at most at 4× the body's size, in every list
//! format (issue 21 item 6). Before, every row, the endpoints as JSON values and the whole
//! output text were built in memory first: a table peaked near 4.8×, json and yaml above 11×.
//!
//! The peak is the child's maximum resident set size (`getrusage(RUSAGE_CHILDREN)`): this
//! file is its own test binary with one test, so the only children are these `ksa` runs, and
//! the figure after each run is the largest so far; the formats run from the one expected to
//! take least memory to the one expected to take most, and each is checked.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use keystoneauth_testing::fixtures::V3Token;
use tokio::process::Command;

/// A v3 token body of `services` services × 60 regions × 3 interfaces (about 31 KB each).
/// The catalog is written as text, not built as JSON values: the test process stays small
/// (see [`children_peak_rss`]).
fn body(services: usize) -> Vec<u8> {
    let mut t = V3Token::new();
    t.project_scope(
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "demo",
        "default",
        "Default",
    )
    .add_role("1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a", "member");
    let token = serde_json::to_string(&t.to_json()).unwrap();
    let mut catalog = String::from(r#"{"token": {"catalog": ["#);
    for s in 0..services {
        if s > 0 {
            catalog.push(',');
        }
        catalog.push_str(&format!(
            r#"{{"id": "{s:032x}", "type": "service-{s}", "name": "service-{s}-name", "endpoints": ["#
        ));
        for r in 0..60 {
            for (i, (iface, url)) in [
                (
                    "public",
                    format!("https://service-{s}.region{r}.cloud.example:8774/v2.1"),
                ),
                (
                    "internal",
                    format!("http://service-{s}.region{r}.internal:8774/v2.1"),
                ),
                (
                    "admin",
                    format!("http://service-{s}.region{r}.admin:8774/v2.1"),
                ),
            ]
            .iter()
            .enumerate()
            {
                if r > 0 || i > 0 {
                    catalog.push(',');
                }
                catalog.push_str(&format!(
                    r#"{{"id": "{s:016x}{r:08x}{i:08x}", "interface": "{iface}", "url": "{url}", "region": "Region{r}", "region_id": "Region{r}"}}"#
                ));
            }
        }
        catalog.push_str("]}");
    }
    catalog.push_str("], ");
    let rest = token
        .strip_prefix(r#"{"token":{"#)
        .expect("a v3 token body");
    catalog.push_str(rest);
    catalog.into_bytes()
}

/// The largest resident set of this process's memory so far, in bytes (`VmHWM`; not
/// `getrusage(RUSAGE_SELF)`, which also counts the peak of the process that started it).
fn own_peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kib * 1024
}

/// The largest resident set of the children waited for so far, in bytes. A child started
/// with `vfork` (as `posix_spawn` does) is charged this process's own peak as well when it
/// calls `exec`: the test keeps that peak ([`own_peak_rss`]) well under what it checks.
fn children_peak_rss() -> usize {
    rss(libc::RUSAGE_CHILDREN)
}

fn rss(who: libc::c_int) -> usize {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `who` is RUSAGE_SELF or RUSAGE_CHILDREN.
    let rc = unsafe { libc::getrusage(who, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    usize::try_from(usage.ru_maxrss).unwrap() * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_list_peaks_under_four_times_the_body() {
    let body = body(1000);
    let size = body.len();
    assert!((28_000_000..36_000_000).contains(&size), "{size} bytes");
    let canned = support::start(body, support::defaults()).await;
    let home = tempfile::tempdir().unwrap();
    let env = canned.env();
    let own = own_peak_rss();
    assert!(own < 2 * size, "the test itself peaked at {own} bytes");
    for format in ["value", "csv", "table", "yaml", "json"] {
        // Into a file, not this process's memory: see `children_peak_rss`.
        let path = home.path().join(format!("out.{format}"));
        let status = Command::new(env!("CARGO_BIN_EXE_ksa"))
            .args(["catalog", "list", "-f", format])
            .env_clear()
            .env("HOME", home.path())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(home.path())
            .stdin(Stdio::null())
            .stdout(File::create(&path).unwrap())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .status();
        let status = tokio::time::timeout(Duration::from_secs(120), status)
            .await
            .expect("ksa finishes within 120 s")
            .unwrap();
        assert!(status.success(), "{format}: {status:?}");
        let listed = BufReader::new(File::open(&path).unwrap())
            .lines()
            .map(Result::unwrap)
            .filter(|l| l.contains("service-999-name"))
            .count();
        assert_eq!(listed, 1, "{format}: every service is listed");
        let peak = children_peak_rss();
        eprintln!(
            "{format}: peak RSS {peak} bytes, {:.2}× the body",
            peak as f64 / size as f64
        );
        assert!(
            peak <= 4 * size,
            "{format}: peak RSS {peak} bytes is over 4× the body ({size} bytes)"
        );
    }
    let own = own_peak_rss();
    assert!(own < 2 * size, "the test itself peaked at {own} bytes");
}

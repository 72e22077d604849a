//! `cargo xtask test [ARGS...]`: the whole suite against a real Keystone.
//!
//! First the prerequisites (`prereqs.rs`: Debian packages, node, python3-venv; installed when
//! running as root or with password-less sudo, else the command to run and exit status 2),
//! then, for the whole-suite run, the quality gate (`gate.rs`).
//!
//! keystone up --tls and a redis-server (`redis.rs`), then `cargo test --workspace
//! --no-fail-fast -- --include-ignored` (or `cargo test ARGS...` when arguments are given)
//! with `KSA_KEYSTONE_ENV`, `KSA_PEERS_ENV`, `KSA_ADFS_PYTHON`, `KSA_OPENSTACKSDK_PYTHON` (the
//! oracle venv, installed first) and `KSA_REDIS_URL` set, then keystone and redis down (also
//! when the tests fail); exits with cargo's status. The instance has its own state dir
//! (`target/ksa-harness/keystone-test-<pid>`), removed after a passing run.
//!
//! The whole-suite run (no arguments) also runs the kernel keyring store's tests (`cargo
//! test -p keystoneauth-core --features keyring --test token_store_keyring`, and `-p
//! keystoneauth-cli --features keyring --test keystone_token_store keyring`), and
//! every fuzz target briefly
//! (`cargo xtask fuzz --seconds 10`, so a parser regression shows up) when cargo-fuzz is
//! installed, and says loudly that it skipped them when it is not.
//!
//! `cargo test` runs under a deadline (`KSA_TEST_TIMEOUT_SECS`, 25 min by default): a test
//! that hangs ends the run with a failure that says so, with its processes killed, instead
//! of holding CI until its own limit. libtest names the hung test ("has been running for
//! over 60 seconds") in the output above.

use crate::util::{descendants, harness_dir, secs, send_signal, workspace_root};
use crate::{keystone, peers, redis};
use anyhow::{Context, Result};
use std::process::{Command, ExitCode, ExitStatus};
use std::time::{Duration, Instant};

/// How long `cargo test` (build included) may take before it counts as hung.
const DEFAULT_TEST_TIMEOUT: Duration = Duration::from_secs(25 * 60);

pub fn main(args: &[String]) -> Result<ExitCode> {
    let t0 = Instant::now();
    let test_timeout = test_timeout()?;
    // What the harness needs from the system, before anything is built: installed when we
    // may (root or password-less sudo), else the command to run and exit status 2.
    if let Some(code) = crate::prereqs::ensure(true)? {
        return Ok(code);
    }
    // The whole-suite run (no arguments) first runs the fast quality gate.
    if args.is_empty() && !crate::gate::run()? {
        eprintln!("xtask: the quality gate failed (see the summary above); the suites did not run");
        return Ok(ExitCode::FAILURE);
    }
    // openstacksdk and keystoneauth1 (the oracle venv, from xtask/locks/oracle.txt), for the
    // clouds.yaml corpus test; installed before Keystone starts, so a failure leaves nothing
    // running.
    let oracle_venv = harness_dir().join("oracle-venv");
    crate::locks::ensure_python_venv(&oracle_venv, "oracle")?;
    // Its own state dir, so that a shared instance someone uses by hand (or
    // another `cargo xtask test`) is neither reused nor stopped.
    let paths = keystone::Paths::named(&format!("keystone-test-{}", std::process::id()));
    let up = keystone::up(&paths, true)?;
    // The federation / Kerberos peers (OIDC OP, SAML IdP, KDC + Apache front ends), also
    // with their own state dir, registered in this Keystone.
    let peers_root = paths
        .state
        .with_file_name(format!("peers-test-{}", std::process::id()));
    let peers_env = match peers::up(&peers_root, &up.env_json) {
        Ok(env) => env,
        Err(e) => {
            let _ = keystone::down(&paths);
            return Err(e);
        }
    };
    // A redis-server for the Redis token store's tests, also with its own state dir.
    let redis_dir = paths
        .state
        .with_file_name(format!("redis-test-{}", std::process::id()));
    let redis_url = match redis::up(&redis_dir) {
        Ok(r) => r.url,
        Err(e) => {
            let _ = peers::down(&peers_root);
            let _ = keystone::down(&paths);
            return Err(e);
        }
    };
    let t_up = t0.elapsed();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root()).arg("test");
    if args.is_empty() {
        // Run every test binary even when one fails, so one run shows every failure; and
        // the tests ignored by a plain `cargo test` because they need what is here (the
        // keystoneauth1 oracle), so the whole suite leaves nothing out.
        cmd.args(["--workspace", "--no-fail-fast", "--", "--include-ignored"]);
    } else {
        cmd.args(args);
    }
    cmd.env("KSA_KEYSTONE_ENV", &up.env_json);
    cmd.env("KSA_PEERS_ENV", &peers_env);
    // keystoneauth1 (from Keystone's dependencies) and lxml, for the ADFS oracle tests.
    cmd.env("KSA_ADFS_PYTHON", paths.bin("python"));
    // openstacksdk, for keystoneauth-loading's clouds.yaml corpus (tests/openstacksdk_oracle.rs).
    cmd.env("KSA_OPENSTACKSDK_PYTHON", oracle_venv.join("bin/python"));
    cmd.env("KSA_REDIS_URL", &redis_url);
    println!(
        "xtask: running {cmd:?} with KSA_KEYSTONE_ENV={}",
        up.env_json.display()
    );
    let t1 = Instant::now();
    let status = run_with_deadline(&mut cmd, test_timeout);
    // The kernel keyring store's tests need the `keyring` feature, which no workspace member
    // turns on: run them on their own (the kernel's keyring needs no daemon).
    let status = match status {
        Ok(s) if s.success() && args.is_empty() => {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let runs: [&[&str]; 2] = [
                &[
                    "-p",
                    "keystoneauth-core",
                    "--features",
                    "keyring",
                    "--test",
                    "token_store_keyring",
                ],
                &[
                    "-p",
                    "keystoneauth-cli",
                    "--features",
                    "keyring",
                    "--test",
                    "keystone_token_store",
                    "keyring",
                ],
            ];
            let mut last = Ok(s);
            for run in runs {
                let mut c = Command::new(&cargo);
                c.current_dir(workspace_root())
                    .arg("test")
                    .args(run)
                    .env("KSA_KEYSTONE_ENV", &up.env_json)
                    .env("KSA_REDIS_URL", &redis_url);
                println!("xtask: running {c:?}");
                last = run_with_deadline(&mut c, test_timeout);
                if !matches!(&last, Ok(s) if s.success()) {
                    break;
                }
            }
            last
        }
        other => other,
    };
    let t_test = t1.elapsed();

    match redis::down(&redis_dir) {
        Err(e) => eprintln!("xtask: redis down failed: {e:#}"),
        Ok(()) if matches!(status, Ok(s) if s.success()) => {
            let _ = std::fs::remove_dir_all(&redis_dir);
        }
        Ok(()) => {}
    }
    if let Err(e) = peers::down(&peers_root) {
        eprintln!("xtask: peers down failed: {e:#}");
    } else if matches!(status, Ok(s) if s.success()) {
        let _ = std::fs::remove_dir_all(&peers_root);
    }
    let stopped = keystone::down(&paths);
    let status = status?;
    match stopped {
        // Keep the logs of a failed run; a passed run leaves nothing behind.
        Ok(()) if status.success() => {
            let _ = std::fs::remove_dir_all(&paths.state);
        }
        Ok(()) => println!("xtask: Keystone logs kept in {}", paths.state.display()),
        Err(e) => eprintln!("xtask: keystone down failed: {e:#}"),
    }
    let mut fuzz_ok = true;
    let t2 = Instant::now();
    if args.is_empty() {
        if crate::fuzz::cargo_fuzz_installed() {
            println!("xtask: fuzzing every target for 10 s");
            fuzz_ok = crate::fuzz::main(&["--seconds".into(), "10".into()])
                .inspect_err(|e| eprintln!("xtask: fuzz failed: {e:#}"))
                .is_ok_and(|c| c == ExitCode::SUCCESS);
        } else {
            println!(
                "xtask: WARNING: fuzz targets NOT run: cargo-fuzz is not installed \
                 (cargo install cargo-fuzz)"
            );
        }
    }
    println!(
        "xtask: test finished ({status}{}) in {} (keystone up {}, cargo test {}, fuzz {})",
        if fuzz_ok { "" } else { ", fuzzing FAILED" },
        secs(t0.elapsed()),
        secs(t_up),
        secs(t_test),
        secs(t2.elapsed())
    );
    if !fuzz_ok {
        return Ok(ExitCode::FAILURE);
    }
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

fn test_timeout() -> Result<Duration> {
    match std::env::var("KSA_TEST_TIMEOUT_SECS") {
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .with_context(|| format!("KSA_TEST_TIMEOUT_SECS={v:?} is not a number of seconds")),
        Err(_) => Ok(DEFAULT_TEST_TIMEOUT),
    }
}

/// Runs `cmd`; past `limit`, kills it and everything it started and returns an error that
/// says the run hung.
fn run_with_deadline(cmd: &mut Command, limit: Duration) -> Result<ExitStatus> {
    let mut child = cmd.spawn().context("run cargo test")?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("wait for cargo test")? {
            return Ok(status);
        }
        if start.elapsed() >= limit {
            // Test binaries first (they hold the ports and the hung test), then cargo.
            let mut pids = descendants(child.id());
            pids.reverse();
            for pid in pids {
                send_signal(pid, "KILL");
            }
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!(
                "cargo test did not finish within {} (KSA_TEST_TIMEOUT_SECS): a test hung; \
                 libtest names it above (\"has been running for over 60 seconds\")",
                secs(limit)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

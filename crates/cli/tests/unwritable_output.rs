//! `ksa` whose standard output or error cannot be written (`>/dev/full`, `2>/dev/full`, a
//! closed pipe) is never killed by a signal (issue 21 item 9: `eprintln!` panicked, and the
//! panic hook's own `eprintln!` aborted the process with SIGABRT, exit 134): a failed write to
//! stderr is ignored, a failed write to stdout ends the run with a non-zero status, quietly
//! for a closed pipe.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use keystoneauth_testing::emulator::Emulator;
use tokio::process::Command;

/// Where a stream goes.
#[derive(Clone, Copy, Debug)]
enum To {
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
    /// A pipe whose reading end is closed: every write fails with EPIPE.
    ClosedPipe,
    /// A pipe the test reads.
    Piped,
}

fn stdio(to: To) -> Stdio {
    match to {
        To::Full => Stdio::from(File::options().write(true).open("/dev/full").unwrap()),
        To::ClosedPipe => {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            Stdio::from(writer)
        }
        To::Piped => Stdio::piped(),
    }
}

struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

async fn ksa(home: &Path, env: &[(&str, String)], args: &[&str], out: To, err: To) -> Run {
    let run = Command::new(env!("CARGO_BIN_EXE_ksa"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(stdio(out))
        .stderr(stdio(err))
        .kill_on_drop(true)
        // Not `output()`: tokio's makes both streams pipes.
        .spawn()
        .expect("ksa starts")
        .wait_with_output();
    let o = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("ksa finishes within 60 s")
        .expect("ksa is waited for");
    Run {
        status: o.status,
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Exited by itself (no signal), with a status code.
fn exited(r: &Run, what: &str) -> i32 {
    assert_eq!(
        r.status.signal(),
        None,
        "{what}: killed by a signal ({:?}); stderr: {}",
        r.status,
        r.stderr
    );
    r.status.code().unwrap_or_else(|| panic!("{what}: no code"))
}

fn demo_env(auth_url: String) -> Vec<(&'static str, String)> {
    vec![
        ("OS_AUTH_TYPE", "v3password".into()),
        ("OS_AUTH_URL", auth_url),
        ("OS_USERNAME", "demo".into()),
        ("OS_PASSWORD", "demopass".into()),
        ("OS_USER_DOMAIN_ID", "default".into()),
        ("OS_PROJECT_NAME", "demo".into()),
        ("OS_PROJECT_DOMAIN_ID", "default".into()),
    ]
}

/// A port nothing listens on: bound, then closed.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_command_with_stderr_full_exits_with_its_code() {
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(format!("http://127.0.0.1:{}/v3", closed_port()));
    for debug in [false, true] {
        let mut args = vec!["token", "issue"];
        if debug {
            args.insert(0, "--debug");
        }
        let r = ksa(home.path(), &env, &args, To::Piped, To::Full).await;
        assert_eq!(exited(&r, &format!("{args:?}")), 1, "{args:?}");
        // Usage errors too (clap's message, then ours).
        let r = ksa(
            home.path(),
            &env,
            &["token", "--no-such-flag"],
            To::Piped,
            To::Full,
        )
        .await;
        assert_eq!(exited(&r, "usage"), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_succeeding_command_with_stderr_full_succeeds() {
    let emu = Emulator::builder().default_users().start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(emu.auth_url_v3());
    // --debug writes many lines to stderr; none of them can be written.
    for args in [
        &["token", "issue", "-f", "value", "-c", "user_id"][..],
        &["--debug", "token", "issue", "-f", "value", "-c", "user_id"],
    ] {
        let r = ksa(home.path(), &env, args, To::Piped, To::Full).await;
        assert_eq!(exited(&r, &format!("{args:?}")), 0, "{args:?}");
        assert_eq!(r.stdout.trim(), emu.user_id("demo").unwrap(), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_succeeding_command_with_stdout_full_fails() {
    let emu = Emulator::builder().default_users().start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(emu.auth_url_v3());
    for args in [
        &["plugins"][..],
        &["--help"],
        &["catalog", "list"],
        &["token", "issue", "-f", "json"],
        &["request", "GET", "identity", "/"],
        &["request", "GET", "identity", "/", "-o", "-"],
    ] {
        // ENOSPC is said on stderr.
        let r = ksa(home.path(), &env, args, To::Full, To::Piped).await;
        assert_ne!(exited(&r, &format!("{args:?} >/dev/full")), 0, "{args:?}");
        assert!(
            r.stderr.contains("No space left on device"),
            "{args:?}: {}",
            r.stderr
        );
        // Both full: still a status, no signal.
        let r = ksa(home.path(), &env, args, To::Full, To::Full).await;
        assert_ne!(exited(&r, &format!("{args:?} both full")), 0, "{args:?}");
        // A closed pipe (`ksa … | head -0`): a non-zero status, and nothing said.
        let r = ksa(home.path(), &env, args, To::ClosedPipe, To::Piped).await;
        assert_ne!(exited(&r, &format!("{args:?} | closed")), 0, "{args:?}");
        assert_eq!(r.stderr, "", "{args:?}");
    }
}

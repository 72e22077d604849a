//! `cargo xtask test [ARGS...]`: the whole suite against a real Keystone.
//!
//! keystone up --tls, then `cargo test --workspace` (or `cargo test ARGS...` when
//! arguments are given) with `KSA_KEYSTONE_ENV` set, then keystone down (also when
//! the tests fail); exits with cargo's status. The instance has its own state dir
//! (`target/ksa-harness/keystone-test-<pid>`), removed after a passing run.

use crate::keystone;
use crate::util::{secs, workspace_root};
use anyhow::{Context, Result};
use std::process::{Command, ExitCode};
use std::time::Instant;

pub fn main(args: &[String]) -> Result<ExitCode> {
    let t0 = Instant::now();
    // Its own state dir, so that a shared instance someone uses by hand (or
    // another `cargo xtask test`) is neither reused nor stopped.
    let paths = keystone::Paths::named(&format!("keystone-test-{}", std::process::id()));
    let up = keystone::up(&paths, true)?;
    let t_up = t0.elapsed();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root()).arg("test");
    if args.is_empty() {
        cmd.arg("--workspace");
    } else {
        cmd.args(args);
    }
    cmd.env("KSA_KEYSTONE_ENV", &up.env_json);
    println!(
        "xtask: running {cmd:?} with KSA_KEYSTONE_ENV={}",
        up.env_json.display()
    );
    let t1 = Instant::now();
    let status = cmd.status().context("run cargo test");
    let t_test = t1.elapsed();

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
    println!(
        "xtask: test finished ({status}) in {} (keystone up {}, cargo test {})",
        secs(t0.elapsed()),
        secs(t_up),
        secs(t_test)
    );
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

//! `cargo xtask gate`: the fast quality gate, run by `cargo xtask test` before the slow suites.
//!
//! 1. `cargo fmt --all --check`
//! 2. `cargo clippy --workspace --all-targets --all-features -- -D warnings` (the workspace
//!    lints of the root Cargo.toml: `missing_docs`, `clippy::unwrap_used`/`expect_used`
//!    outside tests, ...)
//! 3. `RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --all-features`
//! 4. the facade feature matrix: `keystoneauth` with no feature and with each feature of its
//!    Cargo.toml alone (read through `cargo metadata`, so none can be forgotten)
//! 5. the declared `rust-version`: `cargo +<rust-version> check` of the library crates, when
//!    that toolchain is installed (`.ci/run` installs it; a loud warning otherwise)
//! 6. the fuzz targets (their own workspace in `fuzz/`, outside clippy's reach) still compile
//!    against the library, with `fuzz/Cargo.lock` up to date (`cargo check --locked`)
//! 7. `cargo package` of every publishable crate, in dependency order (cargo verifies each
//!    tarball builds on its own)
//!
//! Every step runs even when an earlier one failed, so one run shows every problem.

use crate::util::{secs, workspace_root};
use anyhow::{Context, Result};
use serde_json::Value;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// Workspace members that are never published (tools, cross-crate tests, benches).
const UNPUBLISHED: &[&str] = &["xtask", "keystoneauth-tests", "keystoneauth-bench"];

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()));
    c.current_dir(workspace_root());
    c
}

/// `cargo metadata --no-deps`, parsed.
fn metadata() -> Result<Value> {
    let out = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .stderr(Stdio::inherit())
        .output()
        .context("run cargo metadata")?;
    anyhow::ensure!(out.status.success(), "cargo metadata failed");
    serde_json::from_slice(&out.stdout).context("parse cargo metadata")
}

fn package<'a>(meta: &'a Value, name: &str) -> Result<&'a Value> {
    meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .with_context(|| format!("package {name} is not in the workspace"))
}

/// The features of the `keystoneauth` facade, from its Cargo.toml (`default` aside).
pub fn facade_features() -> Result<Vec<String>> {
    let meta = metadata()?;
    let features = package(&meta, "keystoneauth")?["features"]
        .as_object()
        .context("keystoneauth has no features table")?;
    Ok(features
        .keys()
        .filter(|f| *f != "default")
        .cloned()
        .collect())
}

/// The workspace's declared `rust-version` (all crates inherit it).
fn rust_version(meta: &Value) -> Result<String> {
    package(meta, "keystoneauth-core")?["rust_version"]
        .as_str()
        .map(str::to_string)
        .context("keystoneauth-core declares no rust-version")
}

struct Outcome {
    name: String,
    ok: bool,
    seconds: f64,
    note: String,
}

fn step(name: &str, outcomes: &mut Vec<Outcome>, cmd: &mut Command) {
    println!("gate: {name}: {cmd:?}");
    let t = Instant::now();
    let ok = cmd.status().is_ok_and(|s| s.success());
    outcomes.push(Outcome {
        name: name.to_string(),
        ok,
        seconds: t.elapsed().as_secs_f64(),
        note: String::new(),
    });
}

fn toolchain_installed(version: &str) -> bool {
    Command::new("rustup")
        .args(["run", version, "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the gate; `Ok(true)` when every step passed.
/// Removes the copies of the workspace's own crates that earlier `cargo package` runs unpacked
/// into `$CARGO_HOME/registry/src/<local registry>/`.
///
/// `cargo package --workspace` verifies each tarball against the tarballs of the crates before
/// it, through a local registry in `target/package/tmp-registry`, and unpacks them under a
/// directory named after that registry's path. If the directory is there already (an earlier
/// run from a checkout at the same path), cargo uses it as it is: the verification then builds
/// against the sources of that earlier commit, and fails (or passes) for the wrong reason.
/// Only directories of local registries (their names start with `-`; crates.io's start with
/// its host name) and only our own crate names are touched.
fn forget_packaged_sources(meta: &Value) -> Result<usize> {
    let cargo_home = match std::env::var_os("CARGO_HOME") {
        Some(home) => std::path::PathBuf::from(home),
        None => std::path::PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?)
            .join(".cargo"),
    };
    let ours: Vec<String> = meta["packages"]
        .as_array()
        .context("cargo metadata: no packages")?
        .iter()
        .filter_map(|p| {
            Some(format!(
                "{}-{}",
                p["name"].as_str()?,
                p["version"].as_str()?
            ))
        })
        .collect();
    let sources = cargo_home.join("registry/src");
    let Ok(registries) = std::fs::read_dir(&sources) else {
        return Ok(0);
    };
    let mut removed = 0;
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for name in &ours {
            let dir = registry.path().join(name);
            if dir.is_dir() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("removing {}", dir.display()))?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

pub fn run() -> Result<bool> {
    let t0 = Instant::now();
    let meta = metadata()?;
    let mut outcomes = Vec::new();

    step(
        "fmt",
        &mut outcomes,
        cargo().args(["fmt", "--all", "--check"]),
    );
    step(
        "clippy",
        &mut outcomes,
        cargo().args([
            "clippy",
            "--quiet",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
    );
    step(
        "doc",
        &mut outcomes,
        cargo()
            .args([
                "doc",
                "--quiet",
                "--workspace",
                "--no-deps",
                "--all-features",
            ])
            .env("RUSTDOCFLAGS", "-Dwarnings"),
    );

    // The facade alone, then with each feature alone.
    let features = facade_features()?;
    let combos = std::iter::once(None).chain(features.iter().map(Some));
    for feature in combos {
        let mut c = cargo();
        c.args([
            "check",
            "--quiet",
            "-p",
            "keystoneauth",
            "--no-default-features",
        ]);
        if let Some(f) = feature {
            c.args(["--features", f]);
        }
        step(
            &format!("feature {}", feature.map_or("(none)", |f| f.as_str())),
            &mut outcomes,
            &mut c,
        );
    }

    // The declared minimum Rust version builds the libraries and the command.
    let msrv = rust_version(&meta)?;
    // rustup names it `1.89` when installed as such (.ci/run), `1.89.0` when installed by patch.
    let toolchain = [msrv.clone(), format!("{msrv}.0")]
        .into_iter()
        .find(|t| toolchain_installed(t));
    if let Some(msrv) = toolchain {
        let mut c = Command::new("rustup");
        c.current_dir(workspace_root())
            .args(["run", &msrv, "cargo", "check", "--quiet", "--workspace"])
            .args(UNPUBLISHED.iter().flat_map(|p| ["--exclude", p]))
            .args(["--all-features", "--target-dir"])
            .arg(workspace_root().join("target/msrv"));
        step(&format!("rust-version {msrv}"), &mut outcomes, &mut c);
    } else {
        println!(
            "gate: WARNING: rust-version {msrv} NOT checked: toolchain {msrv} is not installed \
             (rustup toolchain install {msrv} --profile minimal)"
        );
        outcomes.push(Outcome {
            name: format!("rust-version {msrv}"),
            ok: true,
            seconds: 0.0,
            note: " (SKIPPED: toolchain not installed)".into(),
        });
    }

    // The fuzz targets are a workspace of their own: nothing else compiles them before the
    // fuzz run at the very end of `cargo xtask test`.
    let mut c = cargo();
    c.args([
        "check",
        "--quiet",
        "--locked",
        "--bins",
        "--features",
        "loading,kerberos",
    ])
    .arg("--manifest-path")
    .arg(workspace_root().join("fuzz/Cargo.toml"))
    .arg("--target-dir")
    .arg(workspace_root().join("target/fuzz-check"));
    step("fuzz targets compile", &mut outcomes, &mut c);

    // Every publishable crate packages and its tarball builds on its own.
    match forget_packaged_sources(&meta) {
        Ok(0) => {}
        Ok(n) => println!("gate: removed {n} stale unpacked copies of our own crates from earlier `cargo package` runs"),
        Err(e) => println!("gate: WARNING: cannot clear earlier unpacked copies of our crates: {e:#}"),
    }
    let mut c = cargo();
    c.args(["package", "--quiet", "--workspace", "--allow-dirty"])
        .args(UNPUBLISHED.iter().flat_map(|p| ["--exclude", p]));
    step("cargo package", &mut outcomes, &mut c);

    println!("gate: summary ({} in all)", secs(t0.elapsed()));
    for o in &outcomes {
        println!(
            "gate:   {:<24} {:>6} {:>7.1}s{}",
            o.name,
            if o.ok { "ok" } else { "FAILED" },
            o.seconds,
            o.note
        );
    }
    Ok(outcomes.iter().all(|o| o.ok))
}

/// `cargo xtask gate`.
pub fn main(_args: &[String]) -> Result<ExitCode> {
    Ok(if run()? {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

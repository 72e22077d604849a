//! `cargo xtask fuzz [--seconds N] [--target NAME]...`: builds the cargo-fuzz targets in
//! `fuzz/` (their own workspace) and runs each for N seconds (default 20) on a copy of its
//! seed corpus (`fuzz/seeds/<target>`, bodies captured from a real Keystone); fails when any
//! target finds a crash, and names the input (in `target/ksa-harness/fuzz/artifacts`).
//!
//! Needs `cargo install cargo-fuzz`. The toolchain, in order of preference: `+nightly` with
//! AddressSanitizer; the default (stable) toolchain with `RUSTC_BOOTSTRAP=1` and
//! AddressSanitizer; the default toolchain with `--sanitizer none` (libFuzzer alone).
//! `clouds_yaml` needs the `loading` feature (crates/loading) and `www_authenticate` the
//! `kerberos` one (crates/extras, which links libgssapi); when they do not build, the other
//! targets run without them (and the table says which were skipped).

use crate::util::{harness_dir, workspace_root};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

#[derive(Clone, Copy, Debug)]
enum Toolchain {
    Nightly,
    StableBootstrap,
    StableNoSanitizer,
}

impl Toolchain {
    fn describe(self) -> &'static str {
        match self {
            Toolchain::Nightly => "+nightly, AddressSanitizer",
            Toolchain::StableBootstrap => "stable + RUSTC_BOOTSTRAP=1, AddressSanitizer",
            Toolchain::StableNoSanitizer => "stable + RUSTC_BOOTSTRAP=1, --sanitizer none",
        }
    }

    fn command(self, sub: &str) -> Command {
        let mut c = Command::new("cargo");
        c.current_dir(workspace_root().join("fuzz"));
        // The xtask's own cargo sets these; they must not leak into the fuzz workspace.
        c.env_remove("CARGO")
            .env_remove("RUSTC")
            .env_remove("RUSTUP_TOOLCHAIN");
        if let Toolchain::Nightly = self {
            c.arg("+nightly");
        } else {
            c.env("RUSTC_BOOTSTRAP", "1");
        }
        c.args(["fuzz", sub]);
        if let Toolchain::StableNoSanitizer = self {
            c.args(["--sanitizer", "none"]);
        }
        c
    }
}

/// The cargo-fuzz that `.ci/run` installs (`cargo install --locked --version`).
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Is `cargo fuzz` available?
pub fn cargo_fuzz_installed() -> bool {
    Command::new("cargo")
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn has_nightly() -> bool {
    Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The cargo features a target needs.
fn needs(target: &str) -> Option<&'static str> {
    match target {
        "clouds_yaml" => Some("loading"),
        "www_authenticate" => Some("kerberos"),
        _ => None,
    }
}

/// The feature sets tried, most complete first.
const FEATURE_SETS: &[&[&str]] = &[&["loading", "kerberos"], &["loading"], &[]];

fn with_features(c: &mut Command, features: &[&str]) {
    if !features.is_empty() {
        c.args(["--features", &features.join(",")]);
    }
}

fn targets(features: &[&str]) -> Result<Vec<String>> {
    let dir = workspace_root().join("fuzz/fuzz_targets");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("read {}", dir.display()))?
        .filter_map(|e| {
            let p = e.ok()?.path();
            if p.extension()? != "rs" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .filter(|t| needs(t).is_none_or(|f| features.contains(&f)))
        .collect();
    v.sort();
    Ok(v)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    if let Ok(entries) = std::fs::read_dir(from) {
        for e in entries.flatten() {
            let dest = to.join(e.file_name());
            if !dest.exists() {
                std::fs::copy(e.path(), dest)?;
            }
        }
    }
    Ok(())
}

pub fn main(args: &[String]) -> Result<ExitCode> {
    let mut seconds = 20u64;
    let mut only: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .context("--seconds needs a number")?
            }
            "--target" => only.push(it.next().context("--target needs a name")?.clone()),
            other => bail!(
                "unknown argument {other}; usage: cargo xtask fuzz [--seconds N] [--target NAME]..."
            ),
        }
    }
    if !cargo_fuzz_installed() {
        bail!("cargo-fuzz is not installed: run `cargo install cargo-fuzz`");
    }

    // Find a toolchain and feature set that build.
    let candidates: Vec<Toolchain> = if has_nightly() {
        vec![
            Toolchain::Nightly,
            Toolchain::StableBootstrap,
            Toolchain::StableNoSanitizer,
        ]
    } else {
        vec![Toolchain::StableBootstrap, Toolchain::StableNoSanitizer]
    };
    let mut chosen = None;
    'outer: for tc in candidates {
        for &features in FEATURE_SETS {
            eprintln!(
                "fuzz: building ({}{})",
                tc.describe(),
                if features.is_empty() {
                    String::new()
                } else {
                    format!(", --features {}", features.join(","))
                }
            );
            let mut c = tc.command("build");
            c.arg("-O");
            with_features(&mut c, features);
            if c.status().is_ok_and(|s| s.success()) {
                chosen = Some((tc, features));
                break 'outer;
            }
        }
    }
    let (tc, features) = chosen.context("no toolchain could build the fuzz targets")?;
    let mut names = targets(features)?;
    if !only.is_empty() {
        names.retain(|n| only.contains(n));
    }
    let work = harness_dir().join("fuzz");
    let artifacts = work.join("artifacts");
    std::fs::create_dir_all(&artifacts)?;
    let mut results: Vec<(String, bool, String)> = Vec::new();
    for name in &names {
        let corpus = work.join("corpus").join(name);
        copy_dir(&workspace_root().join("fuzz/seeds").join(name), &corpus)?;
        let prefix = artifacts.join(name);
        // Inputs of an earlier run are not this run's findings.
        let _ = std::fs::remove_dir_all(&prefix);
        std::fs::create_dir_all(&prefix)?;
        eprintln!("fuzz: {name} for {seconds} s");
        let started = Instant::now();
        let mut c = tc.command("run");
        c.arg("-O");
        with_features(&mut c, features);
        let log = work.join(format!("{name}.log"));
        let out = c
            .arg(name)
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-timeout=10")
            .arg("-rss_limit_mb=2048")
            .arg(format!("-artifact_prefix={}/", prefix.display()))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .status()?;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let runs = text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("Done ").map(str::to_owned))
            .unwrap_or_else(|| format!("{:.0} s", started.elapsed().as_secs_f64()));
        let found: Vec<String> = std::fs::read_dir(&prefix)?
            .flatten()
            .map(|e| e.path().display().to_string())
            .collect();
        let ok = out.success() && found.is_empty();
        let note = if ok {
            runs
        } else {
            let why = text
                .lines()
                .find(|l| l.contains("panicked") || l.contains("ERROR: "))
                .unwrap_or("failed")
                .to_owned();
            format!(
                "{why}; inputs: {}; log: {}",
                found.join(", "),
                log.display()
            )
        };
        results.push((name.clone(), ok, note));
    }
    println!("fuzz ({}; {seconds} s per target):", tc.describe());
    for (name, ok, note) in &results {
        println!(
            "  {name:16} {}  {note}",
            if *ok { "ok   " } else { "CRASH" }
        );
    }
    for skipped in targets(FEATURE_SETS[0])?
        .iter()
        .filter(|t| !names.contains(t) && (only.is_empty() || only.contains(t)))
    {
        println!(
            "  {skipped:16} skipped (feature {} did not build)",
            needs(skipped).unwrap_or("?")
        );
    }
    Ok(if results.iter().all(|r| r.1) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

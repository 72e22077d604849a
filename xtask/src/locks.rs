//! The harness's external dependencies, from committed locks only.
//!
//! - Python: `xtask/locks/<name>.txt`, compiled from `<name>.in` by `uv pip compile
//!   --generate-hashes --universal`: exact versions and the sha256 of every file. A venv gets
//!   uv from `uv.txt` (`pip install --require-hashes`), then its lock (`uv pip install
//!   --require-hashes`), so a new release on PyPI cannot change what is installed.
//! - npm: `xtask/assets/peers/oidc/package-lock.json`, installed with `npm ci`.
//!
//! `cargo xtask lock [--upgrade]` regenerates them: without `--upgrade` it keeps every version
//! already locked and only adds what a changed `.in`/`package.json` needs; with it, it takes the
//! newest versions that the `.in` files allow. See docs/DEVELOPING.md for when to run it.

use crate::util::{harness_dir, run_quiet, workspace_root};
use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The Python locks, by name (`xtask/locks/<name>.in` → `<name>.txt`).
const PYTHON_LOCKS: &[&str] = &["uv", "keystone", "oracle"];

/// The Python version the locks are compiled for (the lowest the harness supports).
const PYTHON_VERSION: &str = "3.11";

/// Where the locks live.
pub fn locks_dir() -> PathBuf {
    workspace_root().join("xtask").join("locks")
}

/// The OIDC peer's npm project (package.json + package-lock.json).
pub fn npm_project_dir() -> PathBuf {
    workspace_root().join("xtask/assets/peers/oidc")
}

fn lock_path(name: &str) -> PathBuf {
    locks_dir().join(format!("{name}.txt"))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))
}

/// The sha256 of the given files' contents, hex.
pub fn digest_of(paths: &[PathBuf]) -> Result<String> {
    let mut h = Sha256::new();
    for p in paths {
        h.update(read(p)?.as_bytes());
        h.update([0]);
    }
    Ok(hex::encode(h.finalize()))
}

/// A venv at `venv` holding exactly the packages of lock `name` (and uv). Reinstalls when the
/// lock changed since the last install. Returns whether it installed anything.
pub fn ensure_python_venv(venv: &Path, name: &str) -> Result<bool> {
    let lock = lock_path(name);
    let uv_lock = lock_path("uv");
    let want = digest_of(&[uv_lock.clone(), lock.clone()])?;
    let stamp = venv.join("ksa-lock.sha256");
    let python = venv.join("bin/python");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == want) {
        return Ok(false);
    }
    println!(
        "locks: installing {} into {}",
        lock.strip_prefix(workspace_root())
            .unwrap_or(&lock)
            .display(),
        venv.display()
    );
    if !python.exists() {
        let base = std::env::var("KSA_PYTHON").unwrap_or_else(|_| "python3".to_string());
        run_quiet(Command::new(&base).args(["-m", "venv"]).arg(venv))
            .context("create the venv (is python3-venv installed?)")?;
    }
    run_quiet(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--require-hashes", "--no-deps", "-r"])
            .arg(&uv_lock)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    )
    .context("install uv from xtask/locks/uv.txt")?;
    // --compile-bytecode: uv does not write .pyc files by default, and with
    // PYTHONDONTWRITEBYTECODE=1 every keystone process would then spend ~3.5 s compiling on
    // each start.
    run_quiet(
        Command::new(venv.join("bin/uv"))
            .args([
                "pip",
                "install",
                "--quiet",
                "--require-hashes",
                "--compile-bytecode",
                "--python",
            ])
            .arg(&python)
            .arg("-r")
            .arg(&lock),
    )
    .with_context(|| format!("install {}", lock.display()))?;
    std::fs::write(&stamp, want)?;
    Ok(true)
}

/// `npm ci` of the OIDC peer's committed lock into `dir` (package.json, package-lock.json and
/// node_modules), unless `dir` already holds that lock's install.
pub fn ensure_npm_project(dir: &Path, timeout: std::time::Duration) -> Result<bool> {
    let src = npm_project_dir();
    let files = [src.join("package.json"), src.join("package-lock.json")];
    let want = digest_of(&files)?;
    let stamp = dir.join("node_modules/.ksa-lock.sha256");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == want) {
        return Ok(false);
    }
    std::fs::create_dir_all(dir)?;
    for f in &files {
        let name = f.file_name().context("file name")?;
        std::fs::copy(f, dir.join(name)).with_context(|| format!("copy {}", f.display()))?;
    }
    let mut c = Command::new("npm");
    c.current_dir(dir).args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--loglevel=error",
    ]);
    crate::peers::proc::run(c, timeout).context("npm ci (xtask/assets/peers/oidc)")?;
    std::fs::write(&stamp, want)?;
    Ok(true)
}

/// A venv with the locked uv, for compiling the locks.
fn uv_tool() -> Result<PathBuf> {
    let venv = harness_dir().join("uv-venv");
    ensure_python_venv(&venv, "uv")?;
    Ok(venv.join("bin/uv"))
}

fn compile_python(uv: &Path, name: &str, upgrade: bool) -> Result<()> {
    let input = locks_dir().join(format!("{name}.in"));
    let output = lock_path(name);
    let mut c = Command::new(uv);
    c.current_dir(locks_dir())
        .args([
            "pip",
            "compile",
            "--quiet",
            "--generate-hashes",
            "--universal",
        ])
        .args(["--python-version", PYTHON_VERSION])
        .args(["--custom-compile-command", "cargo xtask lock"])
        .arg(input.file_name().context("file name")?)
        .arg("-o")
        .arg(output.file_name().context("file name")?);
    if upgrade {
        c.arg("--upgrade");
    }
    run_quiet(&mut c).with_context(|| format!("compile {}", input.display()))?;
    Ok(())
}

fn compile_npm(upgrade: bool) -> Result<()> {
    let src = npm_project_dir();
    let tmp = harness_dir().join("npm-lock");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    std::fs::copy(src.join("package.json"), tmp.join("package.json"))?;
    if !upgrade && src.join("package-lock.json").is_file() {
        std::fs::copy(src.join("package-lock.json"), tmp.join("package-lock.json"))?;
    }
    let mut c = Command::new("npm");
    c.current_dir(&tmp).args([
        "install",
        "--package-lock-only",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]);
    run_quiet(&mut c).context("npm install --package-lock-only")?;
    std::fs::copy(tmp.join("package-lock.json"), src.join("package-lock.json"))?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

/// `cargo xtask lock [--upgrade]`.
pub fn main(args: &[String]) -> Result<ExitCode> {
    let upgrade = match args {
        [] => false,
        [a] if a == "--upgrade" => true,
        _ => bail!("usage: cargo xtask lock [--upgrade]"),
    };
    let uv = uv_tool()?;
    for name in PYTHON_LOCKS {
        compile_python(&uv, name, upgrade)?;
        println!("lock: xtask/locks/{name}.txt");
    }
    compile_npm(upgrade)?;
    println!("lock: xtask/assets/peers/oidc/package-lock.json");
    println!(
        "lock: done; review `git diff xtask/locks xtask/assets/peers/oidc`, run `cargo xtask \
         test`, and commit the locks with the change that needed them"
    );
    Ok(ExitCode::SUCCESS)
}

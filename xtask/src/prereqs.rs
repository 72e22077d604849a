//! `cargo xtask prereqs [--install]`: what the harness needs from the system, checked before
//! anything is built.
//!
//! The Debian packages come from the one list `xtask/assets/apt-packages.txt`. A missing one is
//! installed with one `apt-get install` when we are root or have password-less sudo (that is
//! what `cargo xtask test` does on a fresh CI machine); otherwise [`ensure`] prints the exact
//! command to run and the caller exits with status 2. cargo-fuzz is optional: its absence is
//! reported loudly, never fatal.

use anyhow::{Context, Result};
use std::process::{Command, ExitCode, Stdio};

const APT_PACKAGES: &str = include_str!("../assets/apt-packages.txt");

/// The exit status when something is missing and cannot be installed here.
pub const MISSING_EXIT: u8 = 2;

/// When a package counts as present.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Satisfied {
    /// `dpkg-query` says the package is installed.
    Installed,
    /// A program of this name is on PATH (whatever installed it).
    Program(String),
    /// `python3 -c 'import m'` works for each module.
    PythonModules(Vec<String>),
}

/// One line of the package list.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Package {
    name: String,
    satisfied: Satisfied,
}

fn parse_list(text: &str) -> Result<Vec<Package>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or_default().to_string();
        let satisfied = match words.next() {
            None => Satisfied::Installed,
            Some(w) => match w.split_once(':') {
                Some(("program", p)) if !p.is_empty() => Satisfied::Program(p.to_string()),
                Some(("python", m)) if !m.is_empty() => {
                    Satisfied::PythonModules(m.split(',').map(str::to_string).collect())
                }
                _ => anyhow::bail!(
                    "apt-packages.txt line {}: `{w}` is neither program:NAME nor python:MOD",
                    n + 1
                ),
            },
        };
        if let Some(extra) = words.next() {
            anyhow::bail!("apt-packages.txt line {}: unexpected `{extra}`", n + 1);
        }
        out.push(Package { name, satisfied });
    }
    Ok(out)
}

fn quiet(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| {
            let p = d.join(program);
            std::fs::metadata(&p).is_ok_and(|m| {
                use std::os::unix::fs::PermissionsExt;
                m.is_file() && m.permissions().mode() & 0o111 != 0
            })
        })
    })
}

/// The packages of `list` that `dpkg-query` does not report installed.
fn not_installed(names: &[&str]) -> Vec<String> {
    if names.is_empty() {
        return Vec::new();
    }
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Package} ${db:Status-Status}\n"])
        .args(names)
        .stderr(Stdio::null())
        .output();
    let installed: Vec<String> = match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(_, status)| status.trim() == "installed")
            // dpkg-query prints multi-arch names as `libssl-dev:amd64`.
            .map(|(p, _)| p.split(':').next().unwrap_or(p).to_string())
            .collect(),
        Err(_) => Vec::new(),
    };
    names
        .iter()
        .filter(|n| !installed.iter().any(|i| i == *n))
        .map(|n| n.to_string())
        .collect()
}

/// The Debian packages that are missing, in list order.
pub fn missing_packages() -> Result<Vec<String>> {
    let list = parse_list(APT_PACKAGES)?;
    let dpkg: Vec<&str> = list
        .iter()
        .filter(|p| p.satisfied == Satisfied::Installed)
        .map(|p| p.name.as_str())
        .collect();
    let absent = not_installed(&dpkg);
    let python = std::env::var("KSA_PYTHON").unwrap_or_else(|_| "python3".to_string());
    Ok(list
        .into_iter()
        .filter(|p| match &p.satisfied {
            Satisfied::Installed => absent.contains(&p.name),
            Satisfied::Program(prog) => !on_path(prog),
            Satisfied::PythonModules(mods) => !quiet(
                Command::new(&python)
                    .arg("-c")
                    .arg(format!("import {}", mods.join(", "))),
            ),
        })
        .map(|p| p.name)
        .collect())
}

/// How apt-get can be run here: `Some(vec![])` as root, `Some(["sudo", "-n"])` with
/// password-less sudo, `None` otherwise.
fn privilege() -> Option<Vec<&'static str>> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return Some(Vec::new());
    }
    if on_path("sudo") && quiet(Command::new("sudo").args(["-n", "true"])) {
        return Some(vec!["sudo", "-n"]);
    }
    None
}

fn install_command(packages: &[String]) -> String {
    format!(
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    )
}

/// Whether cargo-fuzz answers `cargo fuzz --version`.
pub fn cargo_fuzz_installed() -> bool {
    crate::fuzz::cargo_fuzz_installed()
}

/// Checks the prerequisites; installs missing Debian packages when allowed (`install`) and
/// possible. Returns `Ok(None)` when everything needed is there, and `Ok(Some(code))` with the
/// exit status to use when the caller must stop (the command to run was printed).
pub fn ensure(install: bool) -> Result<Option<ExitCode>> {
    let missing = missing_packages()?;
    if !missing.is_empty() {
        let can_apt = on_path("apt-get");
        match privilege().filter(|_| install && can_apt) {
            Some(prefix) => {
                println!(
                    "prereqs: installing {} missing Debian package(s): {}",
                    missing.len(),
                    missing.join(" ")
                );
                apt_install(&prefix, &missing)?;
                let still = missing_packages()?;
                if !still.is_empty() {
                    eprintln!(
                        "prereqs: still missing after apt-get install: {}",
                        still.join(" ")
                    );
                    return Ok(Some(ExitCode::from(MISSING_EXIT)));
                }
            }
            None => {
                eprintln!(
                    "prereqs: missing Debian package(s): {}\n\nInstall them, then run the \
                     command again:\n\n    {}\n",
                    missing.join(" "),
                    install_command(&missing)
                );
                if !can_apt {
                    eprintln!(
                        "(no apt-get here: install the equivalents with your package manager; \
                         the list is xtask/assets/apt-packages.txt)"
                    );
                }
                return Ok(Some(ExitCode::from(MISSING_EXIT)));
            }
        }
    }
    node_version_ok()?;
    if cargo_fuzz_installed() {
        println!("prereqs: ok (Debian packages, node, python3-venv, cargo-fuzz)");
    } else {
        println!(
            "prereqs: ok, but\n\
             prereqs: WARNING: cargo-fuzz is NOT installed: the fuzz targets will NOT run.\n\
             prereqs: WARNING: install it with `cargo install cargo-fuzz --locked --version {}`",
            crate::fuzz::CARGO_FUZZ_VERSION
        );
    }
    Ok(None)
}

/// oidc-provider 9 needs Node.js 20 or later; Debian 12's own nodejs is 18.
fn node_version_ok() -> Result<()> {
    let out = Command::new("node")
        .arg("--version")
        .output()
        .context("run node --version")?;
    let v = String::from_utf8_lossy(&out.stdout);
    let major: u32 = v
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        anyhow::bail!(
            "node {} is too old: the OIDC peer (oidc-provider 9) needs Node.js 20 or later \
             (for example from https://deb.nodesource.com)",
            v.trim()
        );
    }
    Ok(())
}

fn apt_install(prefix: &[&str], packages: &[String]) -> Result<()> {
    let run = |args: &[&str], packages: &[String]| -> Result<()> {
        let (program, rest) = match prefix.split_first() {
            Some((p, rest)) => (*p, rest),
            None => ("apt-get", &[][..]),
        };
        let mut c = Command::new(program);
        c.args(rest);
        if !prefix.is_empty() {
            c.arg("apt-get");
        }
        c.args(args)
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null());
        let status = c.status().with_context(|| format!("run {c:?}"))?;
        anyhow::ensure!(status.success(), "{c:?} failed ({status})");
        Ok(())
    };
    // The package lists of a fresh machine are often empty or stale.
    run(&["update", "-qq"], &[])?;
    run(
        &["install", "-y", "-qq", "--no-install-recommends"],
        packages,
    )
}

/// `cargo xtask prereqs [--install]`.
pub fn main(args: &[String]) -> Result<ExitCode> {
    let install = match args {
        [] => false,
        [a] if a == "--install" => true,
        _ => {
            eprintln!("usage: cargo xtask prereqs [--install]");
            return Ok(ExitCode::from(2));
        }
    };
    Ok(ensure(install)?.unwrap_or(ExitCode::SUCCESS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_list_parses() {
        let list = parse_list(APT_PACKAGES).unwrap();
        assert!(list.iter().any(|p| p.name == "libkrb5-dev"));
        let node = list.iter().find(|p| p.name == "nodejs").unwrap();
        assert_eq!(node.satisfied, Satisfied::Program("node".into()));
        let venv = list.iter().find(|p| p.name == "python3-venv").unwrap();
        assert_eq!(
            venv.satisfied,
            Satisfied::PythonModules(vec!["venv".into(), "ensurepip".into()])
        );
    }

    #[test]
    fn a_bad_condition_is_an_error() {
        assert!(parse_list("foo bar:baz\n").is_err());
        assert!(parse_list("foo program:x extra\n").is_err());
    }

    #[test]
    fn an_unknown_package_is_missing() {
        assert_eq!(
            not_installed(&["ksa-no-such-package-xyz"]),
            vec!["ksa-no-such-package-xyz".to_string()]
        );
    }
}

//! `cargo xtask <command>`: developer and CI tasks for keystoneauth-rs.
//!
//! This file is only a dispatcher. Each command family lives in its own module;
//! to add one (`peers`, `bench`, `fuzz`, `emulator`, ...), add a module, a line to
//! [`COMMANDS`] and a match arm in [`main`].

mod bench;
mod bench_store;
mod fuzz;
mod gate;
mod keystone;
mod locks;
mod peers;
mod prereqs;
mod redis;
mod test;
mod util;

use anyhow::Result;
use std::process::ExitCode;

/// `(name, one-line help)` of every top-level command, for `cargo xtask help`.
const COMMANDS: &[(&str, &str)] = &[
    (
        "keystone up [--tls]",
        "start a real Keystone 30.0.0 (PyPI) on 127.0.0.1; --tls adds an mTLS listener",
    ),
    ("keystone down", "stop it (by recorded PID)"),
    (
        "keystone status",
        "print where it runs; exit status 1 when it is not running",
    ),
    (
        "peers up",
        "start the OIDC OP, SAML2 IdP, KDC and their Apache front ends; register them in Keystone",
    ),
    ("peers down", "stop them (by recorded PID)"),
    (
        "peers status",
        "print which peers run; exit status 1 when one is not running",
    ),
    (
        "redis up|down|status",
        "a throw-away redis-server on 127.0.0.1 (no persistence) for the Redis token store",
    ),
    (
        "bench [--full] [--token-store]",
        "criterion benches, load figures, token stores and ksa vs curl/Python in one table",
    ),
    (
        "fuzz [--seconds N] [--target T]",
        "build the cargo-fuzz targets in fuzz/ and run each N s (default 20); fail on a crash",
    ),
    (
        "gate",
        "fmt, clippy -D warnings, doc -D warnings, facade feature matrix, rust-version, cargo package",
    ),
    (
        "prereqs [--install]",
        "check the Debian packages, node and cargo-fuzz the harness needs; --install adds them",
    ),
    (
        "lock [--upgrade]",
        "regenerate xtask/locks/*.txt (uv pip compile) and the OIDC peer's package-lock.json",
    ),
    (
        "test [CARGO TEST ARGS...]",
        "keystone up --tls, `cargo test --workspace` (or `cargo test ARGS`), keystone down",
    ),
];

fn usage() -> String {
    let mut s = String::from("usage: cargo xtask <command>\n\ncommands:\n");
    for (name, help) in COMMANDS {
        s.push_str(&format!("  {name:<28} {help}\n"));
    }
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result: Result<ExitCode> = match args.first().map(String::as_str) {
        Some("keystone") => keystone::main(&args[1..]),
        Some("peers") => peers::main(&args[1..]),
        Some("redis") => redis::main(&args[1..]),
        Some("test") => test::main(&args[1..]),
        Some("bench") => bench::main(&args[1..]),
        Some("fuzz") => fuzz::main(&args[1..]),
        Some("gate") => gate::main(&args[1..]),
        Some("prereqs") => prereqs::main(&args[1..]),
        Some("lock") => locks::main(&args[1..]),
        Some("help" | "-h" | "--help") | None => {
            print!("{}", usage());
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => {
            eprint!("unknown command `{other}`\n\n{}", usage());
            Ok(ExitCode::from(2))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! `cargo xtask features`: the facade builds with each feature alone (and with none), so a
//! downstream crate that picks one plugin family compiles only that family.

use crate::util::workspace_root;
use anyhow::Result;
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Every feature of the `keystoneauth` facade.
const FEATURES: &[&str] = &[
    "identity-v2",
    "identity-v3",
    "generic",
    "standalone",
    "loading",
    "federation",
    "oidc",
    "saml2",
    "k2k",
    "extras",
    "oauth1",
    "kerberos",
];

pub fn main(_args: &[String]) -> Result<ExitCode> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut failed = Vec::new();
    let combos = std::iter::once(None).chain(FEATURES.iter().copied().map(Some));
    for feature in combos {
        let t = Instant::now();
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(workspace_root()).args([
            "check",
            "--quiet",
            "-p",
            "keystoneauth",
            "--no-default-features",
        ]);
        if let Some(f) = feature {
            cmd.args(["--features", f]);
        }
        let ok = cmd.status()?.success();
        let label = feature.unwrap_or("(none)");
        println!(
            "features: {label:<12} {} in {:.1}s",
            if ok { "ok" } else { "FAILED" },
            t.elapsed().as_secs_f64()
        );
        if !ok {
            failed.push(label);
        }
    }
    if failed.is_empty() {
        println!("features: the facade builds with each feature alone");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("features: failed with {}", failed.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

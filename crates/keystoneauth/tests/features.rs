//! The facade links the plugin crates of its features, and only those.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::process::Command;

const PLUGIN_CRATES: &[&str] = &[
    "keystoneauth-identity-v2",
    "keystoneauth-identity-v3",
    "keystoneauth-generic",
    "keystoneauth-standalone",
    "keystoneauth-federation",
    "keystoneauth-extras",
    "keystoneauth-loading",
];

#[test]
fn registered_plugins_of_default_features() {
    let names = keystoneauth::registered_plugins();
    #[cfg(feature = "identity-v3")]
    for n in [
        "v3password",
        "v3token",
        "v3totp",
        "v3applicationcredential",
        "v3multifactor",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    #[cfg(feature = "identity-v2")]
    for n in ["v2password", "v2token"] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    #[cfg(feature = "standalone")]
    for n in ["none", "http_basic", "admin_token"] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    #[cfg(feature = "websso")]
    assert!(
        names.contains(&"v3websso"),
        "v3websso missing from {names:?}"
    );
    #[cfg(feature = "saml2")]
    assert!(names.contains(&"v3samlpassword"), "{names:?}");
    #[cfg(feature = "adfs")]
    assert!(names.contains(&"v3adfspassword"), "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

/// `cargo tree -p keystoneauth --no-default-features --features identity-v3 -e normal` shows
/// no other plugin crate.
#[test]
fn identity_v3_alone_pulls_no_other_plugin_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "keystoneauth",
            "--no-default-features",
            "--features",
            "identity-v3",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains("keystoneauth-identity-v3"), "{tree}");
    for c in PLUGIN_CRATES
        .iter()
        .filter(|c| **c != "keystoneauth-identity-v3")
    {
        assert!(
            !tree.lines().any(|l| l.starts_with(&format!("{c} "))),
            "{c} is in the tree:\n{tree}"
        );
    }
}

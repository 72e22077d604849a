//! With the `kerberos` feature on, check that a GSSAPI library (MIT krb5 or Heimdal) with its
//! development files is installed, and fail with the packages to install. With the feature off,
//! this does nothing.
//!
//! Note: cargo may run `libgssapi-sys`'s own build script first; when the library is missing,
//! its "no MIT or Heimdal gssapi library found" (or bindgen's "Unable to find libclang") can be
//! the first error shown. The fix is the same: the packages named below.

use std::process::{Command, Stdio};

fn succeeds(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=LIBGSSAPI_PREFIX");
    if std::env::var_os("CARGO_FEATURE_KERBEROS").is_none() {
        return;
    }
    let pkg_config = std::env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    // The ways libgssapi-sys finds the library: pkg-config, krb5-config, an explicit prefix.
    let found = ["krb5-gssapi", "mit-krb5-gssapi", "heimdal-gssapi"]
        .iter()
        .any(|pc| succeeds(&pkg_config, &["--exists", pc]))
        || succeeds("krb5-config", &["gssapi", "--prefix"])
        || std::env::var_os("LIBGSSAPI_PREFIX").is_some_and(|p| !p.is_empty());
    if !found {
        panic!(
            "\n\nkeystoneauth-extras: the `kerberos` feature needs a GSSAPI library with its \
             development files (`pkg-config --exists krb5-gssapi` fails and there is no \
             krb5-config).\n\
             On Debian/Ubuntu: apt-get install -y libkrb5-dev libclang-dev pkg-config\n\
             On Fedora/RHEL: dnf install krb5-devel clang-devel pkgconf-pkg-config\n\
             Or build without the `kerberos` feature.\n"
        );
    }
}

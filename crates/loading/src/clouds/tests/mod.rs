//! clouds.yaml, secure.yaml and clouds-public.yaml: finding, parsing, profiles.

use std::path::{Path, PathBuf};

use keystoneauth_core::Error;

use super::*;
use crate::env::Env;

mod files;
mod profiles;
mod yaml;

fn yaml(text: &str) -> Value {
    parse_yaml(Path::new("/t/clouds.yaml"), text).unwrap()
}

/// clouds.yaml, secure.yaml and clouds-public.yaml of `dir`, nothing else.
fn in_dir(dir: &Path) -> Result<CloudsFile> {
    CloudsFile::load_with(
        &Env::default(),
        Some(&[dir.join("clouds.yaml")]),
        Some(&[dir.join("secure.yaml")]),
        Some(&[dir.join("clouds-public.yaml")]),
    )
}

fn env_of(pairs: &[(&str, &Path)]) -> Env {
    Env::from_map(
        &pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.display().to_string()))
            .collect(),
    )
}

fn yaml_err(text: &str) -> String {
    let e = parse_yaml(Path::new("/t/clouds.yaml"), text).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    e.to_string()
}

fn flat(text: &str, cloud: &str) -> FlatCloud {
    CloudsFile {
        doc: yaml(text),
        ..Default::default()
    }
    .cloud(cloud)
    .unwrap()
}

/// `path:line:column:` with numbers.
fn assert_located(e: &str) {
    let rest = e
        .strip_prefix("/t/clouds.yaml:")
        .unwrap_or_else(|| panic!("{e}"));
    let parts: Vec<&str> = rest.splitn(3, ':').collect();
    assert!(parts[0].parse::<usize>().is_ok(), "{e}");
    assert!(parts[1].parse::<usize>().is_ok(), "{e}");
}

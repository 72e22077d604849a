//! `clouds.yaml`, `secure.yaml` and `clouds-public.yaml` as openstacksdk finds and reads them.
//!
//! clouds.yaml is `$OS_CLIENT_CONFIG_FILE`, else the first of `clouds.yaml`, `clouds.yml` and
//! `clouds.json` in the current directory, `$XDG_CONFIG_HOME/openstack`, `~/.config/openstack`,
//! `/etc/xdg/openstack` and `/etc/openstack` ([`search_dirs`]). secure.yaml is
//! `$OS_CLIENT_SECURE_FILE`, else the first `secure.*` in the same directories, and is merged
//! over clouds.yaml, mapping by mapping. clouds-public.yaml is the first `clouds-public.*`
//! there. The three are found independently, as in openstacksdk: a secure.yaml beside a
//! clouds.yaml named by `$OS_CLIENT_CONFIG_FILE` (or by `LoadOptions::config_files`) is not
//! read unless its directory is searched anyway; name it with `$OS_CLIENT_SECURE_FILE`. See
//! [`CloudsFile::load_with`].
//!
//! A cloud with `profile: <name>` (formerly `cloud:`) takes its defaults from the profile of
//! that name, and its own settings win (`auth` key by key), as openstacksdk does. The profile
//! is looked up under `public-clouds:` in `clouds-public.yaml` (found the same way), then
//! among openstacksdk's built-in vendor profiles, which are shipped as data
//! ([`vendors`](crate::vendors)); a URL profile (`profile: https://…`, and the built-in
//! `vexxhost` and `ovh`) is fetched from its `.well-known/openstack/api` with a 5 s limit. A
//! profile found nowhere is a warning (the cloud's own settings are used), one whose vendor
//! has shut down an error. See [`CloudsFile::resolve`].
//!
//! A cloud's regions (`regions:`, a list of names or of `{name, values}` entries) are read as
//! [`regions`](crate::regions) says; [`ResolvedCloud::flatten_in`] applies a region's values.
//!
//! # Parsing and its limits
//!
//! The files are parsed with `serde-saphyr` into [`serde_json::Value`] documents. Mapping keys
//! must be strings (a number or `true` as a key is read as its text; a null, sequence or
//! mapping key is an error). YAML merge keys (`<<: *base`) are expanded, as PyYAML does;
//! duplicate keys are an error. Scalars keep the YAML 1.2 spellings the loader then reads
//! itself: only `true`/`false` (any of their three cases) are booleans, so `yes`, `no`, `on`
//! and `off` stay text (the option parsers still accept them as booleans, and a password
//! `on` stays `on`), and numbers with leading zeros or underscores (`0123`, `1_000`) stay
//! text. Integers beyond 64 bits become floating-point numbers: quote such ids.
//!
//! The files come from the user, but a shared or downloaded one may be hostile, so parsing is
//! bounded ([`Error::Config`](keystoneauth_core::Error::Config) naming the file, and the line
//! and column when known):
//!
//! - a file (or text given to [`parse_yaml`]) of [`MAX_FILE_BYTES`] (10 MiB) or more is refused
//!   before it is parsed;
//! - mappings and sequences may nest [`MAX_DEPTH`] (64) levels deep;
//! - a document has at most [`MAX_NODES`] nodes, one document per file;
//! - anchors and aliases are bounded (aliases, anchors, replayed events and the total scalar
//!   text after alias expansion, itself at most 10 MiB), so an alias bomb ("billion laughs")
//!   fails at once.
//!
//! Parsing is linear in the input: a file of 200,000 `[` fails within a millisecond, where
//! `serde_yaml` took half a minute.

use std::path::PathBuf;

use keystoneauth_core::Result;
use serde_json::{Map, Value};

mod find;
mod merge;
mod profiles;
mod yaml;

pub use find::{candidates, first_existing, search_dirs, FileKind, FileSearch};
pub(crate) use merge::norm_key;
pub use merge::{auth_update, merge, CloudLayer, FlatCloud, ResolvedCloud};
pub use profiles::ProfileSource;
pub use yaml::{parse_yaml, read_yaml, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES};

/// The `clouds` configuration that was found.
#[derive(Debug, Clone, Default)]
pub struct CloudsFile {
    /// The `clouds.yaml` used, if one was found.
    pub path: Option<PathBuf>,
    /// The `secure.yaml` merged over it, if one was found.
    pub secure_path: Option<PathBuf>,
    /// The merged document.
    pub doc: Value,
    /// The `clouds-public.yaml` (vendor profiles) read, if one was found.
    pub public_path: Option<PathBuf>,
    /// Its document (`public-clouds: {name: settings}`).
    pub public: Value,
    /// The secure.yaml document alone (it is also merged into [`doc`](Self::doc)): which of
    /// a cloud's values came from it.
    pub secure: Value,
    /// How each file was looked for and which was read, in the order clouds.yaml,
    /// secure.yaml, clouds-public.yaml ([`load_with`](Self::load_with) fills it; empty when
    /// the files were not looked for).
    pub searched: Vec<FileSearch>,
    /// Never fetch a URL profile (a cloud that needs one is then an error): for fuzzing and
    /// for callers that must not reach the network while loading.
    pub offline: bool,
}

impl CloudsFile {
    /// Names of the clouds defined, sorted.
    pub fn cloud_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .clouds()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    fn clouds(&self) -> Option<&Map<String, Value>> {
        self.doc.get("clouds").and_then(Value::as_object)
    }

    /// The files that were read, for messages.
    pub fn describe_files(&self) -> String {
        let files: Vec<String> = self
            .path
            .iter()
            .chain(self.secure_path.iter())
            .chain(self.public_path.iter())
            .map(|p| p.display().to_string())
            .collect();
        if files.is_empty() {
            "no clouds.yaml was found".to_owned()
        } else {
            format!("read {}", files.join(" and "))
        }
    }

    /// One cloud, flattened into `(top-level settings, auth block)`, or `Error::Config` listing
    /// the clouds there are. See [`CloudsFile::resolve`].
    pub fn cloud(&self, name: &str) -> Result<FlatCloud> {
        Ok(self.resolve(name)?.flatten())
    }
}

#[cfg(test)]
mod tests;

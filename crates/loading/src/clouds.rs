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
//! ([`vendors`]); a URL profile (`profile: https://…`, and the built-in
//! `vexxhost` and `ovh`) is fetched from its `.well-known/openstack/api` with a 5 s limit. A
//! profile found nowhere is a warning (the cloud's own settings are used), one whose vendor
//! has shut down an error. See [`CloudsFile::resolve`].
//!
//! A cloud's regions (`regions:`, a list of names or of `{name, values}` entries) are read as
//! [`regions`] says; [`ResolvedCloud::flatten_in`] applies a region's values.
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
//! bounded ([`Error::Config`] naming the file, and the line and column when known):
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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use keystoneauth_core::{Error, Result};
use serde_json::{Map, Value};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::ErrorKind as ScanErrorKind;
use serde_saphyr::{
    DuplicateKeyPolicy, MergeKeyPolicy, NonFiniteFloatPolicy, UserMessageFormatter,
};

use crate::env::Env;
use crate::regions::{self, Region};
use crate::vendors;

const SUFFIXES: &[&str] = &[".yaml", ".yml", ".json"];

/// The directories openstacksdk searches, in order: the current directory,
/// `$XDG_CONFIG_HOME/openstack` (when set), `~/.config/openstack` (`$SNAP_REAL_HOME` for `~`
/// when set), `$XDG_CONFIG_DIRS/openstack` (`/etc/xdg/openstack` when unset; skipped when it
/// lists several directories, which openstacksdk joins into a path that never exists), and
/// `/etc/openstack`.
pub fn search_dirs(env: &Env) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        dirs.push(cwd);
    }
    if let Some(x) = env.get("XDG_CONFIG_HOME").filter(|x| !x.trim().is_empty()) {
        dirs.push(Path::new(x.trim()).join("openstack"));
    }
    if let Some(home) = env.get("SNAP_REAL_HOME").or_else(|| env.get("HOME")) {
        dirs.push(Path::new(&home).join(".config").join("openstack"));
    }
    let site = env
        .get("XDG_CONFIG_DIRS")
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| "/etc/xdg".to_owned());
    if !site.contains(':') {
        dirs.push(Path::new(site.trim()).join("openstack"));
    }
    dirs.push(PathBuf::from("/etc/openstack"));
    dirs.dedup();
    dirs
}

/// Candidate paths for a base name (`clouds`, `secure` or `clouds-public`): the file named by
/// `env_var` first (when given and set), then each search directory with each suffix
/// (`.yaml`, `.yml`, `.json`).
pub fn candidates(env: &Env, base: &str, env_var: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = env.get(env_var).map(PathBuf::from).into_iter().collect();
    out.extend(in_dirs(&search_dirs(env), base));
    out
}

fn in_dirs(dirs: &[PathBuf], base: &str) -> Vec<PathBuf> {
    dirs.iter()
        .flat_map(|d| SUFFIXES.iter().map(move |s| d.join(format!("{base}{s}"))))
        .collect()
}

/// The first path that is a file.
pub fn first_existing(paths: &[PathBuf]) -> Option<PathBuf> {
    paths.iter().find(|p| p.is_file()).cloned()
}

/// Files (and texts) of this many bytes or more are refused before they are parsed: 10 MiB.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// How deep mappings and sequences may nest.
pub const MAX_DEPTH: usize = 64;
/// How many nodes (mappings, sequences and scalars) a document may have.
pub const MAX_NODES: usize = 100_000;
/// How many aliases (`*name`), and how many anchors (`&name`), a document may have.
const MAX_ALIASES: usize = 1_000;
/// Events replayed by aliases, and events recorded for anchors, in all.
const MAX_ALIAS_EVENTS: usize = 20_000;
/// Merge keys (`<<`) in a document.
const MAX_MERGE_KEYS: usize = 1_000;

fn too_big(path: &Path, len: u64) -> Result<()> {
    if len >= MAX_FILE_BYTES {
        return Err(Error::Config(format!(
            "{} is {len} bytes; the limit is 10 MiB",
            path.display()
        )));
    }
    Ok(())
}

/// Read and parse one YAML (or JSON) file. A syntax error names the file, line and column; a
/// file of [`MAX_FILE_BYTES`] or more is refused unread.
pub fn read_yaml(path: &Path) -> Result<Value> {
    use std::io::Read;

    let cannot_read =
        |e: std::io::Error| Error::Config(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    too_big(path, file.metadata().map_err(cannot_read)?.len())?;
    // The file may grow after the size check: read at most one byte past the limit, which
    // `parse_yaml` then refuses.
    let mut text = String::new();
    file.take(MAX_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(cannot_read)?;
    parse_yaml(path, &text)
}

/// Parse YAML text read from `path`, within the limits of the module documentation.
///
/// ```
/// use std::path::Path;
/// use keystoneauth_loading::clouds::parse_yaml;
///
/// let doc = parse_yaml(Path::new("clouds.yaml"), "clouds: {c: {verify: False}}").unwrap();
/// assert_eq!(doc["clouds"]["c"]["verify"], serde_json::Value::Bool(false));
/// let deep = "[".repeat(200_000);
/// let e = parse_yaml(Path::new("clouds.yaml"), &deep).unwrap_err().to_string();
/// assert!(e.contains("nested deeper than 64 levels"), "{e}");
/// ```
pub fn parse_yaml(path: &Path, text: &str) -> Result<Value> {
    too_big(path, u64::try_from(text.len()).unwrap_or(u64::MAX))?;
    serde_saphyr::from_str_with_options::<Value>(text, yaml_options())
        .map_err(|e| yaml_error(path, &e))
}

fn yaml_options() -> serde_saphyr::Options {
    // Usize on every supported target (the limit is 10 MiB).
    let max_text = usize::try_from(MAX_FILE_BYTES).unwrap_or(usize::MAX);
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(max_text),
            max_depth: MAX_DEPTH,
            // Flow collections (`[[[…`) are refused by the scanner at the same depth.
            flow_nesting_limit: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_events: 4 * MAX_NODES,
            max_documents: 1,
            max_aliases: MAX_ALIASES,
            max_anchors: MAX_ALIASES,
            max_recorded_anchor_events: MAX_ALIAS_EVENTS,
            max_recorded_anchor_bytes: max_text,
            max_merge_keys: MAX_MERGE_KEYS,
            // One anchor used by every cloud is normal; expansion is bounded above.
            enforce_alias_anchor_ratio: false,
            // All scalar text, aliases expanded: no more than the largest file.
            max_total_scalar_bytes: max_text,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_EVENTS,
            max_replay_stack_depth: MAX_DEPTH,
        },
        duplicate_keys: DuplicateKeyPolicy::Error,
        merge_keys: MergeKeyPolicy::Merge,
        // YAML 1.2 scalars, as serde_yaml read them: `yes`/`no`/`on`/`off` stay text, and so do
        // `0123` and `1_000` (ids keep their spelling); `.inf`/`.nan` stay text.
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        non_finite_float_policy: NonFiniteFloatPolicy::AsString,
        // Messages must not quote the file: secure.yaml holds passwords.
        with_snippet: false,
    }
}

/// `Error::Config` for a YAML error: `path:line:column: invalid YAML: …`.
fn yaml_error(path: &Path, e: &serde_saphyr::Error) -> Error {
    let what = match explain(e) {
        Some(why) => format!("{why}; {}", e.render_with_formatter(&UserMessageFormatter)),
        None => e.render_with_formatter(&UserMessageFormatter),
    };
    match e.location() {
        Some(loc) => Error::Config(format!(
            "{}:{}:{}: invalid YAML: {what}",
            path.display(),
            loc.line(),
            loc.column()
        )),
        None => Error::Config(format!("{}: invalid YAML: {what}", path.display())),
    }
}

/// What `e` means here, when the parser's message alone would not say: which of our limits
/// it is, or that a key is not a string.
fn explain(e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::{Error as E, ExternalMessageSource};

    // The error itself, under its snippet and alias wrappers (bounded: each wraps one).
    let mut e = e;
    while let E::WithSnippet { error, .. } | E::AliasError { error, .. } = e {
        e = error;
    }
    let alias_bomb = || {
        Some(format!(
            "anchors and aliases expand beyond the limits ({MAX_ALIASES} aliases, \
             {MAX_ALIAS_EVENTS} replayed events, 10 MiB of text)"
        ))
    };
    match e {
        E::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => Some(format!("nested deeper than {MAX_DEPTH} levels")),
            BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => {
                Some(format!("more than {MAX_NODES} nodes"))
            }
            BudgetBreach::Documents { .. } => Some("more than one YAML document".to_owned()),
            BudgetBreach::MergeKeys { .. } => {
                Some(format!("more than {MAX_MERGE_KEYS} merge keys (<<)"))
            }
            BudgetBreach::Aliases { .. }
            | BudgetBreach::Anchors { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. }
            | BudgetBreach::ScalarBytes { .. } => alias_bomb(),
            _ => Some("a parser limit was exceeded".to_owned()),
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => alias_bomb(),
        E::ExternalMessage { source, .. } => match &**source {
            ExternalMessageSource::Parser(scan)
                if matches!(scan.kind(), ScanErrorKind::RecursionLimitExceeded) =>
            {
                Some(format!("nested deeper than {MAX_DEPTH} levels"))
            }
            _ => None,
        },
        // A `serde_json::Value` asks for strings only as mapping keys.
        E::Unexpected {
            expected: "string scalar",
            ..
        }
        | E::NullIntoString { .. } => Some("mapping keys must be strings".to_owned()),
        _ => None,
    }
}

/// Merge `over` into `base`: mappings merge key by key (recursively), anything else replaces.
pub fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

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
    /// Never fetch a URL profile (a cloud that needs one is then an error): for fuzzing and
    /// for callers that must not reach the network while loading.
    pub offline: bool,
}

impl CloudsFile {
    /// Find, read and merge `clouds.yaml` and `secure.yaml`, and read `clouds-public.yaml`, as
    /// [`load_with`](Self::load_with) does with `public_files` = `None`.
    pub fn load(
        env: &Env,
        config_files: Option<&[PathBuf]>,
        secure_files: Option<&[PathBuf]>,
    ) -> Result<CloudsFile> {
        CloudsFile::load_with(env, config_files, secure_files, None)
    }

    /// Find, read and merge `clouds.yaml` and `secure.yaml`, and read `clouds-public.yaml`, as
    /// openstacksdk finds them. Each is the first file that exists among its candidates:
    ///
    /// - clouds.yaml: `$OS_CLIENT_CONFIG_FILE`, then `config_files` (default: `clouds.yaml`,
    ///   `.yml`, `.json` in each of the [`search_dirs`]);
    /// - secure.yaml: `$OS_CLIENT_SECURE_FILE`, then `secure_files` (default: `secure.*` in
    ///   the search directories);
    /// - clouds-public.yaml: `public_files` (default: `clouds-public.*` in the search
    ///   directories).
    ///
    /// The three are found independently: the secure.yaml beside a clouds.yaml that
    /// `$OS_CLIENT_CONFIG_FILE` or `config_files` names is *not* read unless it is in a search
    /// directory (or named by `$OS_CLIENT_SECURE_FILE` or `secure_files`), as in openstacksdk.
    /// secure.yaml is merged over clouds.yaml, mapping by mapping.
    pub fn load_with(
        env: &Env,
        config_files: Option<&[PathBuf]>,
        secure_files: Option<&[PathBuf]>,
        public_files: Option<&[PathBuf]>,
    ) -> Result<CloudsFile> {
        let dirs = search_dirs(env);
        let with_env = |var: &str, given: Option<&[PathBuf]>, base: &str| -> Vec<PathBuf> {
            let mut out: Vec<PathBuf> = env.get(var).map(PathBuf::from).into_iter().collect();
            match given {
                Some(f) => out.extend_from_slice(f),
                None => out.extend(in_dirs(&dirs, base)),
            }
            out
        };
        let config_candidates = with_env("OS_CLIENT_CONFIG_FILE", config_files, "clouds");
        let secure_candidates = with_env("OS_CLIENT_SECURE_FILE", secure_files, "secure");
        let public_candidates = match public_files {
            Some(f) => f.to_vec(),
            None => in_dirs(&dirs, "clouds-public"),
        };
        let mut out = CloudsFile::default();
        if let Some(p) = first_existing(&public_candidates) {
            let public = read_yaml(&p)?;
            check_public_shape(&p, &public)?;
            out.public = public;
            out.public_path = Some(p);
        }
        if let Some(p) = first_existing(&config_candidates) {
            out.doc = read_yaml(&p)?;
            check_shape(&p, &out.doc)?;
            out.path = Some(p);
        }
        if let Some(p) = first_existing(&secure_candidates) {
            let secure = read_yaml(&p)?;
            check_shape(&p, &secure)?;
            if matches!(out.doc, Value::Null) {
                out.doc = secure;
            } else {
                merge(&mut out.doc, secure);
            }
            out.secure_path = Some(p);
        }
        Ok(out)
    }

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

    /// One cloud as openstacksdk builds it (`_get_base_cloud_config`): the settings of its
    /// profile (`profile:`, or the older `cloud:`), then its own on top, `auth` merged key by
    /// key and any other key replaced.
    ///
    /// The profile is looked up in clouds-public.yaml (`public-clouds:`), then among the
    /// [built-in vendor profiles](crate::vendors), then, for a URL, fetched from its
    /// `.well-known/openstack/api`. A built-in profile that is itself a URL (`vexxhost`,
    /// `ovh`) is fetched too. A profile marked `deprecated` is a warning, one marked
    /// `shutdown` an error, and a profile found nowhere a warning (the cloud's own settings are
    /// used), as in openstacksdk.
    pub fn resolve(&self, name: &str) -> Result<ResolvedCloud> {
        let cloud = self.clouds().and_then(|m| m.get(name)).ok_or_else(|| {
            let names = self.cloud_names();
            Error::Config(format!(
                "cloud {name} was not found ({}); clouds found: {}",
                self.describe_files(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        })?;
        let own = match cloud {
            Value::Object(m) => m.clone(),
            Value::Null => Map::new(),
            _ => {
                return Err(Error::Config(format!(
                    "cloud {name} in {} is not a mapping",
                    self.describe_files()
                )))
            }
        };
        let mut out = ResolvedCloud {
            name: name.to_owned(),
            ..Default::default()
        };
        let mut config = Map::new();
        let mut profile_settings = Map::new();
        if let Some((profile, key)) = ["profile", "cloud"]
            .iter()
            .find_map(|k| own.get(*k).and_then(scalar_to_string).map(|p| (p, *k)))
            .filter(|(p, _)| !p.is_empty())
        {
            if key == "cloud" {
                tracing::warn!(
                    target: "keystoneauth::loading",
                    "cloud {name} uses the keyword 'cloud' to reference a known vendor profile; \
                     this has been deprecated in favor of the 'profile' keyword"
                );
            }
            let (defaults, source) = self.profile(name, &profile)?;
            profile_settings = defaults.clone();
            auth_update(&mut config, defaults);
            out.profile = Some(profile);
            out.profile_source = Some(source);
        }
        out.regions = regions::known(name, &own, &profile_settings)?;
        auth_update(&mut config, own);
        config.remove("cloud");
        out.config = config;
        Ok(out)
    }

    /// The settings of profile `profile` for cloud `cloud`, and where they were found.
    fn profile(&self, cloud: &str, profile: &str) -> Result<(Map<String, Value>, ProfileSource)> {
        if let Some(p) = self.public_profile(profile) {
            let path = self.public_path.clone().unwrap_or_default();
            return Ok((p.clone(), ProfileSource::PublicFile(path)));
        }
        let fetch = |name: &str| -> Result<Option<Map<String, Value>>> {
            match (vendors::builtin(name), vendors::well_known_url(name)) {
                (None, Some(url)) if self.offline => Err(Error::Config(format!(
                    "vendor profile {name} is fetched from {url}, and fetching is turned off \
                     (CloudsFile::offline)"
                ))),
                _ => vendors::get_profile(name),
            }
        };
        let Some(mut data) = fetch(profile)? else {
            tracing::warn!(
                target: "keystoneauth::loading",
                "Couldn't find the vendor profile {profile} for the cloud {cloud}"
            );
            return Ok((Map::new(), ProfileSource::NotFound));
        };
        let mut source = if vendors::builtin(profile).is_some() {
            ProfileSource::Builtin
        } else {
            ProfileSource::Url(profile.to_owned())
        };
        if let Some(nested) = data.remove("profile").as_ref().and_then(scalar_to_string) {
            if let Some(nested_data) = fetch(&nested)? {
                data = nested_data;
                if vendors::builtin(&nested).is_none() {
                    source = ProfileSource::Url(nested);
                }
            }
        }
        let status = data.remove("status");
        let message = data
            .remove("message")
            .as_ref()
            .and_then(scalar_to_string)
            .unwrap_or_default();
        match status.as_ref().and_then(Value::as_str) {
            Some("deprecated") => tracing::warn!(
                target: "keystoneauth::loading",
                "{profile} is deprecated: {message}"
            ),
            Some("shutdown") => {
                return Err(Error::Config(format!(
                    "{profile} references a cloud that no longer exists: {message}"
                )))
            }
            _ => {}
        }
        Ok((data, source))
    }

    /// The settings of profile `name` under `public-clouds:` in clouds-public.yaml.
    fn public_profile(&self, name: &str) -> Option<&Map<String, Value>> {
        self.public
            .get("public-clouds")
            .and_then(|p| p.get(name))
            .and_then(Value::as_object)
    }
}

/// Where a cloud's profile was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileSource {
    /// Under `public-clouds:` in this clouds-public.yaml.
    PublicFile(PathBuf),
    /// Among the [built-in vendor profiles](crate::vendors).
    Builtin,
    /// Fetched from this URL profile's `.well-known/openstack/api`.
    Url(String),
    /// Nowhere: the cloud's own settings are used alone (a warning is logged).
    NotFound,
}

/// One cloud with its profile applied, before it is flattened (see [`CloudsFile::resolve`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedCloud {
    /// The cloud's name.
    pub name: String,
    /// Its settings: the profile's, then its own (`auth` merged key by key).
    pub config: Map<String, Value>,
    /// The profile it names, if any.
    pub profile: Option<String>,
    /// Where that profile was found.
    pub profile_source: Option<ProfileSource>,
    /// The regions it knows, the default first (see [`regions::known`]).
    pub regions: Vec<Region>,
}

impl ResolvedCloud {
    /// [`flatten_in`](Self::flatten_in) its default region (the first it knows).
    pub fn flatten(&self) -> FlatCloud {
        self.flatten_in(self.regions.first())
    }

    /// The settings in `region` as text, keys normalised (`-` → `_`): the region's `values`
    /// over the cloud's settings (`auth` key by key), `region_name` set to the region's name;
    /// top-level scalars (a list of scalars becomes a comma-separated list), and the scalars
    /// of the `auth` block. `regions` itself is left out.
    pub fn flatten_in(&self, region: Option<&Region>) -> FlatCloud {
        let mut config = self.config.clone();
        config.retain(|k, _| norm_key(k) != "regions");
        if let Some(r) = region {
            auth_update(&mut config, r.values.clone());
            config.retain(|k, _| norm_key(k) != "region_name");
            config.insert("region_name".into(), Value::String(r.name.clone()));
        }
        let mut flat = FlatCloud::default();
        for (k, v) in &config {
            let key = norm_key(k);
            if key == "auth" {
                if let Value::Object(auth) = v {
                    for (ak, av) in auth {
                        if let Some(av) = value_to_string(av) {
                            flat.auth.insert(norm_key(ak), av);
                        }
                    }
                }
            } else if let Some(v) = value_to_string(v) {
                flat.settings.insert(key, v);
            }
        }
        // openstacksdk's `_fix_backwards_auth`: these are auth settings wherever they are
        // written, and the top level wins over `auth:` (and a later spelling over an earlier
        // one).
        for (target, spellings) in AUTH_SPELLINGS {
            let mut value = None;
            for k in *spellings {
                if let Some(v) = flat.auth.remove(*k) {
                    value = Some(v);
                }
                if let Some(v) = flat.settings.remove(*k) {
                    value = Some(v);
                }
            }
            if let Some(v) = value {
                flat.auth.insert((*target).to_owned(), v);
            }
        }
        flat
    }
}

/// Settings that belong to `auth` wherever they are written, each with its spellings (keys
/// already normalised), as openstacksdk's `_fix_backwards_auth` lists them.
const AUTH_SPELLINGS: &[(&str, &[&str])] = &[
    ("domain_id", &["domain_id"]),
    ("domain_name", &["domain_name"]),
    ("user_domain_id", &["user_domain_id"]),
    ("user_domain_name", &["user_domain_name"]),
    ("project_domain_id", &["project_domain_id"]),
    ("project_domain_name", &["project_domain_name"]),
    ("token", &["auth_token", "token"]),
    ("passcode", &["passcode"]),
    ("project_id", &["tenant_id", "project_id"]),
    ("project_name", &["tenant_name", "project_name"]),
];

/// openstacksdk's `_auth_update`: `new` over `old`, the `auth` mapping merged key by key (one
/// level), any other key replaced.
pub fn auth_update(old: &mut Map<String, Value>, new: Map<String, Value>) {
    for (k, v) in new {
        match (k.as_str(), old.get_mut(&k), v) {
            ("auth", Some(Value::Object(o)), Value::Object(n)) => o.extend(n),
            (_, _, v) => {
                old.insert(k, v);
            }
        }
    }
}

/// One cloud's settings with keys normalised (`-` → `_`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlatCloud {
    /// Top-level scalar settings (`region_name`, `interface`, `verify`, …).
    pub settings: BTreeMap<String, String>,
    /// The `auth` block.
    pub auth: BTreeMap<String, String>,
}

fn check_shape(path: &Path, doc: &Value) -> Result<()> {
    match doc {
        Value::Null => Ok(()),
        Value::Object(m) => match m.get("clouds") {
            None | Some(Value::Object(_)) | Some(Value::Null) => Ok(()),
            Some(_) => Err(Error::Config(format!(
                "{}: `clouds` must be a mapping of cloud names to settings",
                path.display()
            ))),
        },
        _ => Err(Error::Config(format!(
            "{}: the top level must be a mapping with a `clouds` key",
            path.display()
        ))),
    }
}

fn check_public_shape(path: &Path, doc: &Value) -> Result<()> {
    match doc {
        Value::Null => Ok(()),
        Value::Object(m) => match m.get("public-clouds") {
            None | Some(Value::Object(_)) | Some(Value::Null) => Ok(()),
            Some(_) => Err(Error::Config(format!(
                "{}: `public-clouds` must be a mapping of profile names to settings",
                path.display()
            ))),
        },
        _ => Err(Error::Config(format!(
            "{}: the top level must be a mapping with a `public-clouds` key",
            path.display()
        ))),
    }
}

/// `-` → `_`, lower case.
pub(crate) fn norm_key(k: &str) -> String {
    k.trim().replace('-', "_").to_ascii_lowercase()
}

fn scalar_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Scalars as text; sequences of scalars as a comma-separated list (as JSON when an item
/// holds a comma: `OptionValues::get_list` reads both); mappings as JSON; nulls: none.
fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::Array(items)
            if items
                .iter()
                .any(|i| i.as_str().is_some_and(|s| s.contains(','))) =>
        {
            Some(v.to_string())
        }
        Value::Object(_) => Some(v.to_string()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(scalar_to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        other => scalar_to_string(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        parse_yaml(Path::new("/t/clouds.yaml"), text).unwrap()
    }

    #[test]
    fn merge_is_recursive() {
        let mut a = yaml("clouds: {c: {auth: {username: u, auth_url: x}, region_name: R}}");
        let b = yaml("clouds: {c: {auth: {password: p}}}");
        merge(&mut a, b);
        let f = CloudsFile {
            doc: a,
            ..Default::default()
        };
        let c = f.cloud("c").unwrap();
        assert_eq!(c.auth["username"], "u");
        assert_eq!(c.auth["password"], "p");
        assert_eq!(c.settings["region_name"], "R");
    }

    #[test]
    fn values_flatten() {
        let doc = yaml(
            "clouds:\n  c:\n    verify: false\n    identity_api_version: 3\n    auth:\n      auth_methods: [v3password, v3totp]\n      user-domain-id: default\n",
        );
        let f = CloudsFile {
            doc,
            ..Default::default()
        };
        let c = f.cloud("c").unwrap();
        assert_eq!(c.settings["verify"], "false");
        assert_eq!(c.settings["identity_api_version"], "3");
        assert_eq!(c.auth["auth_methods"], "v3password,v3totp");
        assert_eq!(c.auth["user_domain_id"], "default");
        let e = f.cloud("nope").unwrap_err().to_string();
        assert!(e.contains("cloud nope was not found"), "{e}");
        assert!(e.contains("clouds found: c"), "{e}");
    }

    #[test]
    fn search_path_order() {
        let env = Env::from_map(
            &[
                ("OS_CLIENT_CONFIG_FILE", "/custom/c.yaml"),
                ("HOME", "/home/u"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        );
        let c = candidates(&env, "clouds", "OS_CLIENT_CONFIG_FILE");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(c[0], PathBuf::from("/custom/c.yaml"));
        assert_eq!(c[1], cwd.join("clouds.yaml"));
        assert_eq!(c[2], cwd.join("clouds.yml"));
        assert_eq!(c[3], cwd.join("clouds.json"));
        assert_eq!(c[4], PathBuf::from("/home/u/.config/openstack/clouds.yaml"));
        assert_eq!(c[7], PathBuf::from("/etc/xdg/openstack/clouds.yaml"));
        assert_eq!(c[10], PathBuf::from("/etc/openstack/clouds.yaml"));
        assert_eq!(c.len(), 13);
        let env = Env::from_map(
            &[
                ("XDG_CONFIG_HOME", "/xdg"),
                ("HOME", "/home/u"),
                ("SNAP_REAL_HOME", "/real"),
                ("XDG_CONFIG_DIRS", "/site"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        );
        let c = candidates(&env, "secure", "OS_CLIENT_SECURE_FILE");
        assert_eq!(c[3], PathBuf::from("/xdg/openstack/secure.yaml"));
        assert_eq!(c[6], PathBuf::from("/real/.config/openstack/secure.yaml"));
        assert_eq!(c[9], PathBuf::from("/site/openstack/secure.yaml"));
        assert_eq!(c[12], PathBuf::from("/etc/openstack/secure.yaml"));
        // Several XDG_CONFIG_DIRS: openstacksdk's path for them never exists.
        let env = Env::from_map(
            &[("XDG_CONFIG_DIRS", "/a:/b")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let c = candidates(&env, "clouds", "OS_CLIENT_CONFIG_FILE");
        assert_eq!(c[3], PathBuf::from("/etc/openstack/clouds.yaml"));
        assert_eq!(c.len(), 6);
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

    /// openstacksdk finds secure.yaml by `OS_CLIENT_SECURE_FILE` and the search path only,
    /// however clouds.yaml was found.
    #[test]
    fn secure_yaml_is_found_as_openstacksdk_finds_it() {
        let home = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let clouds = elsewhere.path().join("clouds.yaml");
        std::fs::write(&clouds, "clouds: {c: {auth: {auth_url: x}}}\n").unwrap();
        std::fs::write(
            elsewhere.path().join("secure.yaml"),
            "clouds: {c: {auth: {password: beside}}}\n",
        )
        .unwrap();
        let cfg = home.path().join("openstack");
        std::fs::create_dir(&cfg).unwrap();
        let password = |f: &CloudsFile| f.cloud("c").unwrap().auth.get("password").cloned();

        // Named by OS_CLIENT_CONFIG_FILE or by config_files: the secure.yaml beside it is not
        // read.
        let by_env =
            CloudsFile::load(&env_of(&[("OS_CLIENT_CONFIG_FILE", &clouds)]), None, None).unwrap();
        let by_list =
            CloudsFile::load(&Env::default(), Some(std::slice::from_ref(&clouds)), None).unwrap();
        for f in [&by_env, &by_list] {
            assert_eq!(f.path.as_deref(), Some(clouds.as_path()));
            assert_eq!(f.secure_path, None);
            assert_eq!(password(f), None);
        }
        // OS_CLIENT_SECURE_FILE names it.
        let secure = elsewhere.path().join("secure.yaml");
        let f = CloudsFile::load(
            &env_of(&[
                ("OS_CLIENT_CONFIG_FILE", &clouds),
                ("OS_CLIENT_SECURE_FILE", &secure),
            ]),
            None,
            None,
        )
        .unwrap();
        assert_eq!(password(&f).as_deref(), Some("beside"));
        // A secure.yaml in a search directory is merged over a clouds.yaml from anywhere.
        std::fs::write(
            cfg.join("secure.yml"),
            "clouds: {c: {auth: {password: searched}}}\n",
        )
        .unwrap();
        let f = CloudsFile::load(
            &env_of(&[
                ("OS_CLIENT_CONFIG_FILE", &clouds),
                ("XDG_CONFIG_HOME", home.path()),
            ]),
            None,
            None,
        )
        .unwrap();
        assert_eq!(f.secure_path, Some(cfg.join("secure.yml")));
        assert_eq!(password(&f).as_deref(), Some("searched"));
        // OS_CLIENT_CONFIG_FILE comes before config_files, as in openstacksdk.
        let other = home.path().join("other.yaml");
        std::fs::write(&other, "clouds: {o: {}}\n").unwrap();
        let f = CloudsFile::load(
            &env_of(&[("OS_CLIENT_CONFIG_FILE", &clouds)]),
            Some(&[other]),
            Some(&[]),
        )
        .unwrap();
        assert_eq!(f.cloud_names(), ["c"]);
    }

    #[test]
    fn secure_only_and_json() {
        let dir = tempfile::tempdir().unwrap();
        let clouds = dir.path().join("clouds.json");
        std::fs::write(
            &clouds,
            r#"{"clouds": {"j": {"auth": {"auth_url": "http://j"}}}}"#,
        )
        .unwrap();
        let f = CloudsFile::load(&Env::default(), Some(&[clouds]), None).unwrap();
        assert_eq!(f.cloud("j").unwrap().auth["auth_url"], "http://j");
        assert!(f.secure_path.is_none());
    }

    #[test]
    fn bad_clouds_public_yaml_is_a_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let clouds = dir.path().join("clouds.yaml");
        std::fs::write(&clouds, "clouds: {}\n").unwrap();
        std::fs::write(
            dir.path().join("clouds-public.yaml"),
            "public-clouds: [a]\n",
        )
        .unwrap();
        let e = in_dir(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("clouds-public.yaml") && e.contains("public-clouds"),
            "{e}"
        );
    }

    #[test]
    fn builtin_profiles_apply_and_unknown_ones_are_skipped() {
        let doc = yaml(
            "clouds:\n  el:\n    profile: elastx\n    auth: {username: u}\n  old:\n    cloud: elastx\n    region_name: mine\n  unknown:\n    profile: no-such-vendor\n    auth: {auth_url: 'http://k/v3'}\n  gone:\n    profile: betacloud\n  going:\n    profile: fuga\n",
        );
        let f = CloudsFile {
            doc,
            offline: true,
            ..Default::default()
        };
        let el = f.cloud("el").unwrap();
        assert_eq!(el.auth["auth_url"], "https://ops.elastx.cloud:5000/v3");
        assert_eq!(el.auth["username"], "u");
        assert_eq!(el.settings["region_name"], "se-sto");
        assert_eq!(el.settings["identity_api_version"], "3");
        assert_eq!(
            f.resolve("el").unwrap().profile_source,
            Some(ProfileSource::Builtin)
        );
        // The older `cloud:` key; the cloud's own settings win.
        let old = f.cloud("old").unwrap();
        assert_eq!(old.settings["region_name"], "mine");
        assert_eq!(old.auth["auth_url"], "https://ops.elastx.cloud:5000/v3");
        assert!(!old.settings.contains_key("cloud"));
        // A profile found nowhere: a warning, and the cloud's own settings.
        let r = f.resolve("unknown").unwrap();
        assert_eq!(r.profile_source, Some(ProfileSource::NotFound));
        assert_eq!(r.flatten().auth["auth_url"], "http://k/v3");
        // status: shutdown is an error; deprecated loads (with a warning).
        let e = f.cloud("gone").unwrap_err().to_string();
        assert_eq!(
            e,
            "betacloud references a cloud that no longer exists: betacloud.de has ceased business"
        );
        let going = f.cloud("going").unwrap();
        assert_eq!(going.auth["auth_url"], "https://identity.api.fuga.io:5000");
        assert!(!going.settings.contains_key("status"));
        assert!(!going.settings.contains_key("message"));
    }

    #[test]
    fn public_file_profiles_win_over_builtin_ones() {
        let f = CloudsFile {
            doc: yaml("clouds:\n  c:\n    profile: elastx\n    auth: {username: u}\n"),
            public: yaml(
                "public-clouds:\n  elastx:\n    auth: {auth_url: 'http://local/v3'}\n    status: shutdown\n",
            ),
            public_path: Some(PathBuf::from("/p/clouds-public.yaml")),
            offline: true,
            ..Default::default()
        };
        let r = f.resolve("c").unwrap();
        assert_eq!(
            r.profile_source,
            Some(ProfileSource::PublicFile("/p/clouds-public.yaml".into()))
        );
        let c = r.flatten();
        // Only clouds-public.yaml's profile, not merged with the built-in one; and its
        // `status` is not looked at (as in openstacksdk).
        assert_eq!(c.auth["auth_url"], "http://local/v3");
        assert!(!c.settings.contains_key("region_name"));
        assert_eq!(c.settings["status"], "shutdown");
    }

    #[test]
    fn url_profiles_are_not_fetched_offline() {
        let f = CloudsFile {
            doc: yaml(
                "clouds:\n  v:\n    profile: vexxhost\n  u:\n    profile: 'https://example.com'\n",
            ),
            offline: true,
            ..Default::default()
        };
        for (cloud, url) in [
            ("v", "https://vexxhost.com/.well-known/openstack/api"),
            ("u", "https://example.com/.well-known/openstack/api"),
        ] {
            let e = f.cloud(cloud).unwrap_err().to_string();
            assert!(
                e.contains(url) && e.contains("fetching is turned off"),
                "{e}"
            );
        }
    }

    #[test]
    fn bad_yaml_has_location() {
        let e = parse_yaml(Path::new("/x/clouds.yaml"), "clouds:\n  a: [1, 2\n  b: c\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/x/clouds.yaml:"), "{e}");
        let parts: Vec<&str> = e.splitn(4, ':').collect();
        assert!(parts[1].parse::<usize>().is_ok(), "{e}");
        assert!(parts[2].parse::<usize>().is_ok(), "{e}");
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

    #[test]
    fn deep_nesting_is_refused_quickly() {
        // 200 KB of `[` took serde_yaml 24-40 s; the parser stops at the depth limit.
        for open in ["[", "{", "a: ["] {
            let text = open.repeat(200_000);
            let t = std::time::Instant::now();
            let e = yaml_err(&text);
            let took = t.elapsed();
            eprintln!("{open:?} x 200000: refused in {took:?}: {e}");
            assert!(took < std::time::Duration::from_secs(1), "{took:?}");
            assert!(e.contains("nested deeper than 64 levels"), "{e}");
            assert_located(&e);
        }
        // Block mappings and sequences, one level per line.
        let block: String = (0..100).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        let e = yaml_err(&block);
        assert!(e.contains("nested deeper than 64 levels"), "{e}");
        assert!(e.starts_with("/t/clouds.yaml:65:"), "{e}");
        let e = yaml_err(&"- ".repeat(100_000));
        assert!(e.contains("nested deeper than 64 levels"), "{e}");
        // 64 levels are fine.
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse_yaml(Path::new("x"), &ok).is_ok());
        let e = yaml_err(&format!("{}{}", "[".repeat(65), "]".repeat(65)));
        assert!(e.contains("nested deeper than 64 levels"), "{e}");
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            let refs = vec![format!("*{prev}"); 9].join(", ");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        text.push_str("clouds: {c: {auth: {auth_url: *i}}}\n");
        let t = std::time::Instant::now();
        let e = yaml_err(&text);
        let took = t.elapsed();
        eprintln!("billion laughs: refused in {took:?}: {e}");
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");
        assert!(
            e.contains("anchors and aliases expand beyond the limits"),
            "{e}"
        );
        assert_located(&e);

        // One long scalar, aliased many times: bounded by the 10 MiB of text.
        let mut text = format!("a: &a {}\nb: [", "x".repeat(1 << 20));
        text.push_str(&"*a, ".repeat(500));
        text.push_str("]\n");
        let e = yaml_err(&text);
        assert!(
            e.contains("anchors and aliases expand beyond the limits"),
            "{e}"
        );
    }

    #[test]
    fn too_many_nodes_are_refused() {
        let text = format!("[{}]", vec!["a"; MAX_NODES].join(","));
        let t = std::time::Instant::now();
        let e = yaml_err(&text);
        eprintln!("{MAX_NODES} scalars: refused in {:?}: {e}", t.elapsed());
        assert!(e.contains("more than 100000 nodes"), "{e}");
        assert_located(&e);
    }

    #[test]
    fn oversized_text_is_refused_before_parsing() {
        let limit = usize::try_from(MAX_FILE_BYTES).unwrap();
        // Not even YAML: the size is checked first.
        let text = "[".repeat(limit);
        let e = yaml_err(&text);
        assert_eq!(
            e, "/t/clouds.yaml is 10485760 bytes; the limit is 10 MiB",
            "{e}"
        );
        // One byte under the limit is parsed.
        let text = format!("# {}\n", "x".repeat(limit - 4));
        assert_eq!(text.len(), limit - 1);
        assert_eq!(parse_yaml(Path::new("x"), &text).unwrap(), Value::Null);
    }

    #[test]
    fn oversized_files_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let clouds = dir.path().join("clouds.yaml");
        // Sparse: 10 MiB of NULs that are never read.
        std::fs::File::create(&clouds)
            .unwrap()
            .set_len(MAX_FILE_BYTES)
            .unwrap();
        let e = CloudsFile::load(&Env::default(), Some(std::slice::from_ref(&clouds)), None)
            .unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "{} is 10485760 bytes; the limit is 10 MiB",
                clouds.display()
            )
        );
        // secure.yaml and clouds-public.yaml too.
        std::fs::write(&clouds, "clouds: {c: {auth: {auth_url: x}}}\n").unwrap();
        for name in ["secure.yaml", "clouds-public.yaml"] {
            let other = dir.path().join(name);
            std::fs::File::create(&other)
                .unwrap()
                .set_len(MAX_FILE_BYTES + 1)
                .unwrap();
            let e = in_dir(dir.path()).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("{} is 10485761 bytes; the limit is 10 MiB", other.display())
            );
            std::fs::remove_file(&other).unwrap();
        }
        assert!(in_dir(dir.path()).is_ok());
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        // As PyYAML (openstacksdk) reads it: `<<` merges, the mapping's own keys win.
        let text = "\
defaults: &defaults
  region_name: R1
  interface: internal
  auth: &auth
    auth_url: http://k/v3
    user_domain_name: Default
extra: &extra
  api_timeout: 30
  region_name: R-extra
clouds:
  a:
    <<: *defaults
    region_name: R2
  b:
    <<: [*defaults, *extra]
    auth:
      <<: *auth
      username: u
      password: p
  c:
    auth: *auth
    verify: false
";
        let a = flat(text, "a");
        assert_eq!(a.settings["region_name"], "R2");
        assert_eq!(a.settings["interface"], "internal");
        assert_eq!(a.auth["auth_url"], "http://k/v3");
        let b = flat(text, "b");
        // The first mapping in the merge list wins (YAML 1.1 merge rules).
        assert_eq!(b.settings["region_name"], "R1");
        assert_eq!(b.settings["api_timeout"], "30");
        assert_eq!(b.auth["auth_url"], "http://k/v3");
        assert_eq!(b.auth["user_domain_name"], "Default");
        assert_eq!(b.auth["username"], "u");
        let c = flat(text, "c");
        assert_eq!(c.auth["auth_url"], "http://k/v3");
        assert_eq!(c.settings["verify"], "false");

        // One anchor used by many clouds is normal (no alias/anchor ratio limit).
        let mut many = String::from("base: &base {auth: {auth_url: http://k/v3}}\nclouds:\n");
        for i in 0..500 {
            many.push_str(&format!("  c{i}: {{<<: *base, region_name: R{i}}}\n"));
        }
        let f = CloudsFile {
            doc: yaml(&many),
            ..Default::default()
        };
        assert_eq!(f.cloud_names().len(), 500);
        assert_eq!(f.cloud("c499").unwrap().auth["auth_url"], "http://k/v3");
    }

    #[test]
    fn scalars_as_the_loader_reads_them() {
        let c = flat(
            "\
clouds:
  c:
    verify: False
    insecure: no
    interface: public
    region_name: RegionOne
    api_timeout: 30
    identity_api_version: 3
    compute_api_version: '2.1'
    cacert: ~
    auth:
      auth_url: http://k/v3
      project_id: 12345
      domain_id: 0123
      user_id: 1_000
      project_name: '12345'
      username: yes
      password: on
",
            "c",
        );
        assert_eq!(c.settings["verify"], "false");
        // `no`/`yes`/`on` are text here; the option parsers read them as booleans.
        assert_eq!(c.settings["insecure"], "no");
        assert_eq!(c.settings["interface"], "public");
        assert_eq!(c.settings["region_name"], "RegionOne");
        assert_eq!(c.settings["api_timeout"], "30");
        assert_eq!(c.settings["identity_api_version"], "3");
        assert_eq!(c.settings["compute_api_version"], "2.1");
        assert!(!c.settings.contains_key("cacert"));
        assert_eq!(c.auth["project_id"], "12345");
        assert_eq!(c.auth["domain_id"], "0123");
        assert_eq!(c.auth["user_id"], "1_000");
        assert_eq!(c.auth["project_name"], "12345");
        assert_eq!(c.auth["username"], "yes");
        assert_eq!(c.auth["password"], "on");
        for (text, want) in [
            ("verify: false", "false"),
            ("verify: False", "false"),
            ("verify: FALSE", "false"),
            ("verify: true", "true"),
            ("verify: 'False'", "False"),
            ("verify: /etc/ca.pem", "/etc/ca.pem"),
            ("api_timeout: 2.5", "2.5"),
            ("api_timeout: 30.0", "30.0"),
        ] {
            let c = flat(&format!("clouds:\n  c:\n    {text}\n"), "c");
            let (key, _) = text.split_once(':').unwrap();
            assert_eq!(c.settings[key], want, "{text}");
        }
    }

    #[test]
    fn keys_must_be_strings() {
        // Numbers and booleans as keys are read as their text (a cloud named 123).
        let f = CloudsFile {
            doc: yaml("clouds:\n  123: {auth: {auth_url: x}}\n  true: {}\n"),
            ..Default::default()
        };
        assert_eq!(f.cloud_names(), ["123", "true"]);
        assert_eq!(f.cloud("123").unwrap().auth["auth_url"], "x");
        // Null, sequence and mapping keys are an error naming the file, not a panic.
        for text in [
            "clouds:\n  ~: {}\n",
            "clouds:\n  ? [a, b]\n  : {}\n",
            "clouds: {{a: 1}: x}\n",
        ] {
            let e = yaml_err(text);
            assert!(e.contains("mapping keys must be strings"), "{e}");
            assert_located(&e);
        }
    }

    #[test]
    fn errors_name_the_place_but_quote_no_secret() {
        let e = yaml_err("clouds:\n  c:\n    auth:\n      password: 'hunter2\n");
        assert_located(&e);
        assert!(!e.contains("hunter2"), "{e}");
        let e = yaml_err("clouds:\n  c:\n    auth: {password: hunter2, password: hunter3}\n");
        assert!(e.contains("duplicate"), "{e}");
        assert!(!e.contains("hunter"), "{e}");
        let e = yaml_err("clouds: {}\n---\nclouds: {}\n");
        assert!(e.contains("more than one YAML document"), "{e}");
        assert_located(&e);
    }
}

//! `clouds.yaml` and `secure.yaml` as openstacksdk finds and reads them.
//!
//! The search path is `$OS_CLIENT_CONFIG_FILE`, then `./clouds.yaml`,
//! `$XDG_CONFIG_HOME/openstack/clouds.yaml` (default `~/.config/openstack`), and
//! `/etc/openstack/clouds.yaml`, each also with the `.yml` and `.json` suffixes. The first file
//! that exists is used. `secure.yaml` is found the same way (`$OS_CLIENT_SECURE_FILE` first) and
//! merged over it, mapping by mapping.
//!
//! A cloud with `profile: <name>` (formerly `cloud:`) takes its defaults from the profile of
//! that name under `public-clouds:` in `clouds-public.yaml` (found the same way), and its own
//! settings win, as openstacksdk does. openstacksdk's built-in vendor data is not shipped: a
//! profile found nowhere is an error when the cloud has no `auth_url` of its own, and a
//! warning when it has one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use keystoneauth_core::{Error, Result};
use serde_yaml::Value;

use crate::env::Env;

const SUFFIXES: &[&str] = &[".yaml", ".yml", ".json"];

/// The directories openstacksdk searches, in order.
pub fn search_dirs(env: &Env) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        dirs.push(cwd);
    }
    let config_home = env
        .get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|h| Path::new(&h).join(".config")));
    if let Some(c) = config_home {
        dirs.push(c.join("openstack"));
    }
    dirs.push(PathBuf::from("/etc/openstack"));
    dirs
}

/// Candidate paths for a base name (`clouds` or `secure`): the file named by `env_var` first,
/// then each search directory with each suffix.
pub fn candidates(env: &Env, base: &str, env_var: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = env.get(env_var) {
        out.push(PathBuf::from(p));
    }
    for d in search_dirs(env) {
        for s in SUFFIXES {
            out.push(d.join(format!("{base}{s}")));
        }
    }
    out
}

/// The first path that is a file.
pub fn first_existing(paths: &[PathBuf]) -> Option<PathBuf> {
    paths.iter().find(|p| p.is_file()).cloned()
}

/// Read and parse one YAML (or JSON) file. A syntax error names the file, line and column.
pub fn read_yaml(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
    parse_yaml(path, &text)
}

/// Parse YAML text read from `path`.
pub fn parse_yaml(path: &Path, text: &str) -> Result<Value> {
    serde_yaml::from_str::<Value>(text).map_err(|e| match e.location() {
        Some(loc) => Error::Config(format!(
            "{}:{}:{}: invalid YAML: {e}",
            path.display(),
            loc.line(),
            loc.column()
        )),
        None => Error::Config(format!("{}: invalid YAML: {e}", path.display())),
    })
}

/// Merge `over` into `base`: mappings merge key by key (recursively), anything else replaces.
pub fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
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
}

impl CloudsFile {
    /// Find, read and merge `clouds.yaml` and `secure.yaml`.
    ///
    /// `config_files` / `secure_files` replace the search path when given (tests). With
    /// `config_files` given and `secure_files` not, `secure.yaml` is looked for next to each
    /// given file; so is `clouds-public.yaml` whenever `config_files` is given.
    pub fn load(
        env: &Env,
        config_files: Option<&[PathBuf]>,
        secure_files: Option<&[PathBuf]>,
    ) -> Result<CloudsFile> {
        let config_candidates = match config_files {
            Some(f) => f.to_vec(),
            None => candidates(env, "clouds", "OS_CLIENT_CONFIG_FILE"),
        };
        let secure_candidates = match (secure_files, config_files) {
            (Some(s), _) => s.to_vec(),
            (None, Some(f)) => f
                .iter()
                .filter_map(|p| p.parent())
                .flat_map(|d| SUFFIXES.iter().map(move |s| d.join(format!("secure{s}"))))
                .collect(),
            (None, None) => candidates(env, "secure", "OS_CLIENT_SECURE_FILE"),
        };
        let public_candidates: Vec<PathBuf> = match config_files {
            Some(f) => f
                .iter()
                .filter_map(|p| p.parent())
                .flat_map(|d| {
                    SUFFIXES
                        .iter()
                        .map(move |s| d.join(format!("clouds-public{s}")))
                })
                .collect(),
            None => search_dirs(env)
                .into_iter()
                .flat_map(|d| {
                    SUFFIXES
                        .iter()
                        .map(move |s| d.join(format!("clouds-public{s}")))
                })
                .collect(),
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
            .map(|m| m.keys().filter_map(scalar_to_string).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    fn clouds(&self) -> Option<&serde_yaml::Mapping> {
        self.doc.get("clouds").and_then(Value::as_mapping)
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
    /// the clouds there are.
    pub fn cloud(&self, name: &str) -> Result<FlatCloud> {
        let cloud = self
            .clouds()
            .and_then(|m| m.get(Value::String(name.to_owned())))
            .ok_or_else(|| {
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
        let map = match cloud {
            Value::Mapping(m) => m,
            Value::Null => return Ok(FlatCloud::default()),
            _ => {
                return Err(Error::Config(format!(
                    "cloud {name} in {} is not a mapping",
                    self.describe_files()
                )))
            }
        };
        let profile = ["profile", "cloud"]
            .iter()
            .find_map(|k| map.get(*k).and_then(scalar_to_string));
        // The profile's settings are the defaults; the cloud's own win (auth key by key).
        let profiled;
        let map = match profile.as_deref().and_then(|p| self.public_profile(p)) {
            Some(defaults) => {
                let mut merged = Value::Mapping(defaults.clone());
                merge(&mut merged, Value::Mapping(map.clone()));
                profiled = merged;
                profiled.as_mapping().unwrap_or(map)
            }
            None => map,
        };
        let mut flat = FlatCloud::default();
        for (k, v) in map {
            let Some(key) = scalar_to_string(k) else {
                continue;
            };
            let key = norm_key(&key);
            if key == "auth" {
                if let Value::Mapping(auth) = v {
                    for (ak, av) in auth {
                        if let (Some(ak), Some(av)) = (scalar_to_string(ak), value_to_string(av)) {
                            flat.auth.insert(norm_key(&ak), av);
                        }
                    }
                }
            } else if let Some(v) = value_to_string(v) {
                flat.settings.insert(key, v);
            }
        }
        // A profile that is not in clouds-public.yaml would come from openstacksdk's vendor
        // data, which is not shipped. Say so rather than guess.
        if let Some(profile) = profile.filter(|p| self.public_profile(p).is_none()) {
            if !flat.auth.contains_key("auth_url") {
                return Err(Error::Config(format!(
                    "cloud {name} in {} uses the vendor profile {profile:?}, which is not in a \
                     clouds-public.yaml (openstacksdk's built-in vendor profiles are not \
                     shipped); define it under public-clouds: in clouds-public.yaml, or put \
                     its auth_url (and region_name, interface, …) in the cloud's own entry",
                    self.describe_files()
                )));
            }
            tracing::warn!(
                target: "keystoneauth::loading",
                "cloud {name}: vendor profile {profile:?} is not in a clouds-public.yaml, so its \
                 defaults are not applied; using the cloud's own settings"
            );
        }
        Ok(flat)
    }

    /// The settings of profile `name` under `public-clouds:` in clouds-public.yaml.
    fn public_profile(&self, name: &str) -> Option<&serde_yaml::Mapping> {
        self.public
            .get("public-clouds")
            .and_then(|p| p.get(name))
            .and_then(Value::as_mapping)
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
        Value::Mapping(m) => match m.get("clouds") {
            None | Some(Value::Mapping(_)) | Some(Value::Null) => Ok(()),
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
        Value::Mapping(m) => match m.get("public-clouds") {
            None | Some(Value::Mapping(_)) | Some(Value::Null) => Ok(()),
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

/// Scalars as text; sequences of scalars as a comma-separated list; mappings and nulls: none.
fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::Sequence(items) => Some(
            items
                .iter()
                .filter_map(scalar_to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Value::Tagged(t) => value_to_string(&t.value),
        other => scalar_to_string(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_is_recursive() {
        let mut a: Value =
            serde_yaml::from_str("clouds: {c: {auth: {username: u, auth_url: x}, region_name: R}}")
                .unwrap();
        let b: Value = serde_yaml::from_str("clouds: {c: {auth: {password: p}}}").unwrap();
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
        let doc: Value = serde_yaml::from_str(
            "clouds:\n  c:\n    verify: false\n    identity_api_version: 3\n    auth:\n      auth_methods: [v3password, v3totp]\n      user-domain-id: default\n",
        )
        .unwrap();
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
        assert_eq!(c[7], PathBuf::from("/etc/openstack/clouds.yaml"));
        let env = Env::from_map(
            &[("XDG_CONFIG_HOME", "/xdg"), ("HOME", "/home/u")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let c = candidates(&env, "secure", "OS_CLIENT_SECURE_FILE");
        assert_eq!(c[3], PathBuf::from("/xdg/openstack/secure.yaml"));
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
        let e = CloudsFile::load(&Env::default(), Some(&[clouds]), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("clouds-public.yaml") && e.contains("public-clouds"),
            "{e}"
        );
    }

    #[test]
    fn vendor_profiles_are_refused_not_guessed() {
        let doc: Value = serde_yaml::from_str(
            "clouds:\n  vendor:\n    profile: vexxhost\n    auth: {username: u}\n  own:\n    cloud: vexxhost\n    auth: {auth_url: 'http://k/v3'}\n",
        )
        .unwrap();
        let f = CloudsFile {
            doc,
            ..Default::default()
        };
        let err = f.cloud("vendor").unwrap_err().to_string();
        assert!(
            err.contains("vendor profile \"vexxhost\"") && err.contains("auth_url"),
            "{err}"
        );
        // With its own auth_url the cloud loads (the profile's defaults are not applied).
        assert_eq!(f.cloud("own").unwrap().auth["auth_url"], "http://k/v3");
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
}

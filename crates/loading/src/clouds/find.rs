//! Where clouds.yaml, secure.yaml and clouds-public.yaml are looked for, and reading them.

use std::fmt;
use std::path::{Path, PathBuf};

use keystoneauth_core::{Error, Result};
use serde_json::Value;

use super::{merge, read_yaml, CloudsFile};
use crate::env::Env;

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
        let searches = [
            FileSearch::new(FileKind::Clouds, env, config_candidates),
            FileSearch::new(FileKind::Secure, env, secure_candidates),
            FileSearch::new(FileKind::Public, env, public_candidates),
        ];
        let [config_found, secure_found, public_found] = searches.clone().map(|s| s.read);
        let mut out = CloudsFile {
            searched: searches.to_vec(),
            ..CloudsFile::default()
        };
        if let Some(p) = public_found {
            let public = read_yaml(&p)?;
            check_public_shape(&p, &public)?;
            out.public = public;
            out.public_path = Some(p);
        }
        if let Some(p) = config_found {
            out.doc = read_yaml(&p)?;
            check_shape(&p, &out.doc)?;
            out.path = Some(p);
        }
        if let Some(p) = secure_found {
            warn_if_others_can_read(&p);
            let secure = read_yaml(&p)?;
            check_shape(&p, &secure)?;
            if matches!(out.doc, Value::Null) {
                out.doc = secure.clone();
            } else {
                merge(&mut out.doc, secure.clone());
            }
            out.secure = secure;
            out.secure_path = Some(p);
        }
        Ok(out)
    }
}

/// A secure.yaml holds passwords: one that every local user can read is used (as openstacksdk
/// does) but said so.
fn warn_if_others_can_read(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o004 != 0 {
                tracing::warn!(
                    target: "keystoneauth::loading",
                    "{} is readable by every user on this machine (mode {:o}): the passwords \
                     in it are not private; run `chmod 600 {}`",
                    path.display(),
                    mode & 0o777,
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

impl CloudsFile {
    /// Warns when cloud `name` is also defined in a clouds.yaml later on the search path than
    /// the one read: openstacksdk uses the first file only, so a `./clouds.yaml` in the current
    /// directory silently replaces the user's cloud of the same name (and then the user's
    /// secure.yaml password goes to whatever `auth_url` it names). The order is kept; the
    /// warning names the files.
    pub fn warn_if_defined_elsewhere(&self, name: &str) {
        let Some(read) = &self.path else {
            return;
        };
        let Some(search) = self.searched.iter().find(|s| s.kind == FileKind::Clouds) else {
            return;
        };
        let others: Vec<PathBuf> = search
            .later
            .iter()
            .filter(|p| *p != read)
            .filter(|p| {
                read_yaml(p)
                    .ok()
                    .and_then(|doc| doc.get("clouds").and_then(|c| c.get(name)).cloned())
                    .is_some()
            })
            .cloned()
            .collect();
        if !others.is_empty() {
            let list: Vec<String> = others.iter().map(|p| p.display().to_string()).collect();
            tracing::warn!(
                target: "keystoneauth::loading",
                "cloud {name:?} is defined in {} and also in {}; only the first is used (as \
                 openstacksdk does)",
                read.display(),
                list.join(", ")
            );
        }
    }
}

/// One of the three files openstacksdk reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// `clouds.yaml`: the clouds.
    Clouds,
    /// `secure.yaml`: merged over clouds.yaml (passwords kept apart).
    Secure,
    /// `clouds-public.yaml`: vendor profiles.
    Public,
}

impl FileKind {
    /// `clouds.yaml`, `secure.yaml` or `clouds-public.yaml`.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Clouds => "clouds.yaml",
            FileKind::Secure => "secure.yaml",
            FileKind::Public => "clouds-public.yaml",
        }
    }

    /// The variable that names the file before the search path
    /// (`OS_CLIENT_CONFIG_FILE`, `OS_CLIENT_SECURE_FILE`); clouds-public.yaml has none.
    pub fn env_var(self) -> Option<&'static str> {
        match self {
            FileKind::Clouds => Some("OS_CLIENT_CONFIG_FILE"),
            FileKind::Secure => Some("OS_CLIENT_SECURE_FILE"),
            FileKind::Public => None,
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How one file was looked for: the paths tried, in order, and the one read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileSearch {
    /// Which file.
    pub kind: FileKind,
    /// Whether [`FileKind::env_var`] was set (it named the first path searched).
    pub from_env: bool,
    /// The paths tried, in order: up to and including the one read, or all of them when none
    /// exists.
    pub searched: Vec<PathBuf>,
    /// The file read, if one exists.
    pub read: Option<PathBuf>,
    /// The files that also exist further down the search path (not read).
    pub later: Vec<PathBuf>,
}

impl FileSearch {
    fn new(kind: FileKind, env: &Env, candidates: Vec<PathBuf>) -> FileSearch {
        let found = candidates.iter().position(|p| p.is_file());
        let read = found.map(|i| candidates[i].clone());
        let mut searched = candidates;
        let mut later = Vec::new();
        if let Some(i) = found {
            later = searched
                .split_off(i + 1)
                .into_iter()
                .filter(|p| p.is_file())
                .collect();
        }
        FileSearch {
            kind,
            from_env: kind.env_var().is_some_and(|v| env.get(v).is_some()),
            searched,
            read,
            later,
        }
    }
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

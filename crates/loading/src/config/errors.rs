//! Where a cloud came from (its name, the files read, a missing profile), put in front of
//! the errors of loading.

use std::path::PathBuf;

use keystoneauth_core::{Error, Result};

use super::CloudConfig;
use crate::clouds::ProfileSource;

/// Where a cloud came from: its name and the files read, named in the errors of loading.
#[derive(Debug, Clone)]
pub(super) struct Origin {
    cloud: String,
    files: Vec<PathBuf>,
    /// A profile the cloud names that was found nowhere.
    missing_profile: Option<String>,
}

impl Origin {
    /// `files`: clouds.yaml, secure.yaml and clouds-public.yaml, those that were read.
    pub(super) fn new(
        cloud: &str,
        files: [&Option<PathBuf>; 3],
        profile: Option<&(String, ProfileSource)>,
    ) -> Origin {
        Origin {
            cloud: cloud.to_owned(),
            files: files.into_iter().flatten().cloned().collect(),
            missing_profile: match profile {
                Some((p, ProfileSource::NotFound)) => Some(p.clone()),
                _ => None,
            },
        }
    }

    /// `cloud "c" (from /d/clouds.yaml, secure.yaml; profile "p" was not found)`: files in
    /// the directory of the first are named by their file name.
    fn describe(&self) -> String {
        let dir = self.files.first().and_then(|f| f.parent());
        let files: Vec<String> = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| match (i, dir, f.file_name()) {
                (1.., Some(d), Some(name)) if f.parent() == Some(d) => {
                    name.to_string_lossy().into_owned()
                }
                _ => f.display().to_string(),
            })
            .collect();
        let mut from = format!("from {}", files.join(", "));
        if let Some(p) = &self.missing_profile {
            from.push_str(&format!("; its profile {p:?} was not found"));
        }
        format!("cloud {:?} ({from})", self.cloud)
    }

    /// The error with this origin in front of its message. Missing options and an unknown
    /// plugin become [`Error::Config`] (their variants have no room for it); an unknown
    /// `--os-*` flag is left alone.
    pub(super) fn wrap(&self, e: Error) -> Error {
        let with = |m: &dyn std::fmt::Display| format!("{}: {m}", self.describe());
        match e {
            Error::Config(m) => Error::Config(with(&m)),
            Error::OptionError(m) if !m.starts_with("unknown option --") => {
                Error::OptionError(with(&m))
            }
            e @ (Error::MissingRequiredOptions(_) | Error::NoMatchingPlugin { .. }) => {
                Error::Config(with(&e))
            }
            e => e,
        }
    }
}

impl CloudConfig {
    /// Where this configuration came from, for error messages: `None` unless a cloud was
    /// read from clouds.yaml or secure.yaml.
    fn origin(&self) -> Option<Origin> {
        let name = self.cloud.as_deref()?;
        let read = self.config_file.is_some() || self.secure_file.is_some();
        read.then(|| {
            Origin::new(
                name,
                [&self.config_file, &self.secure_file, &self.public_file],
                self.profile.as_ref(),
            )
        })
    }

    pub(super) fn in_context<T>(&self, r: Result<T>) -> Result<T> {
        r.map_err(|e| match self.origin() {
            Some(o) => o.wrap(e),
            None => e,
        })
    }
}

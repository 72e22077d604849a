//! Where each value of a configuration came from, and what else loading saw (the files
//! searched and read, unused keys, missing options): for `ksa config show`, for logs and for
//! reports of a cloud that "does not work".

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use keystoneauth_core::error::MissingOption;
use keystoneauth_core::redact;
use keystoneauth_core::registry::{self, OptionValues};

use super::{CloudConfig, Source};
use crate::clouds::{CloudLayer, FileSearch, ProfileSource};

/// Where a value came from, in detail ([`Source`] says only which kind of source).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueSource {
    /// [`LoadOptions::options`](super::LoadOptions::options), or
    /// [`LoadOptions::cloud`](super::LoadOptions::cloud) and
    /// [`LoadOptions::auth_type`](super::LoadOptions::auth_type).
    Options,
    /// This `--os-*` flag, as it was written.
    Flag(String),
    /// This `OS_*` variable.
    Env(String),
    /// This clouds.yaml.
    CloudsYaml(PathBuf),
    /// This secure.yaml.
    SecureYaml(PathBuf),
    /// The cloud's profile `name`, found in the clouds-public.yaml at `path`.
    PublicProfile {
        /// The profile's name.
        name: String,
        /// The clouds-public.yaml.
        path: PathBuf,
    },
    /// The built-in vendor profile of this name ([`vendors`](crate::vendors)).
    BuiltinProfile(String),
    /// The URL profile fetched from this URL's `.well-known/openstack/api`.
    UrlProfile(String),
    /// The prompt ([`LoadOptions::prompt`](super::LoadOptions::prompt)).
    Prompt,
    /// No source gave it: the loader's default, or its guess (the auth type).
    Default,
}

impl ValueSource {
    /// The kind of source, as [`CloudConfig::auth_sources`] records it (`None` for
    /// [`ValueSource::Default`]).
    pub fn kind(&self) -> Option<Source> {
        Some(match self {
            ValueSource::Options => Source::Options,
            ValueSource::Flag(_) => Source::Flag,
            ValueSource::Env(_) => Source::Env,
            ValueSource::CloudsYaml(_)
            | ValueSource::SecureYaml(_)
            | ValueSource::PublicProfile { .. }
            | ValueSource::BuiltinProfile(_)
            | ValueSource::UrlProfile(_) => Source::CloudsYaml,
            ValueSource::Prompt => Source::Prompt,
            ValueSource::Default => return None,
        })
    }

    /// The source of a value from a layer of the cloud.
    pub(super) fn of_layer(
        layer: CloudLayer,
        clouds_path: Option<&PathBuf>,
        secure_path: Option<&PathBuf>,
        profile: Option<&(String, ProfileSource)>,
    ) -> ValueSource {
        let file = |p: Option<&PathBuf>| p.cloned().unwrap_or_default();
        match (layer, profile) {
            (CloudLayer::SecureYaml, _) => ValueSource::SecureYaml(file(secure_path)),
            (CloudLayer::Profile, Some((name, source))) => match source {
                ProfileSource::PublicFile(path) => ValueSource::PublicProfile {
                    name: name.clone(),
                    path: path.clone(),
                },
                ProfileSource::Builtin => ValueSource::BuiltinProfile(name.clone()),
                ProfileSource::Url(url) => ValueSource::UrlProfile(url.clone()),
                ProfileSource::NotFound => ValueSource::CloudsYaml(file(clouds_path)),
            },
            // clouds.yaml; or (no secure.yaml path) a document given without its file.
            _ => ValueSource::CloudsYaml(file(clouds_path.or(secure_path))),
        }
    }
}

impl fmt::Display for ValueSource {
    /// `flag --os-username`, `env OS_USERNAME`, `clouds.yaml (/path)`, `secure.yaml (/path)`,
    /// `profile p in clouds-public.yaml (/path)`, `built-in profile vexxhost`,
    /// `URL profile https://…`, `options`, `prompt`, `default`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueSource::Options => f.write_str("options"),
            ValueSource::Flag(flag) => write!(f, "flag {flag}"),
            ValueSource::Env(var) => write!(f, "env {var}"),
            ValueSource::CloudsYaml(p) => write!(f, "clouds.yaml ({})", p.display()),
            ValueSource::SecureYaml(p) => write!(f, "secure.yaml ({})", p.display()),
            ValueSource::PublicProfile { name, path } => write!(
                f,
                "profile {name} in clouds-public.yaml ({})",
                path.display()
            ),
            ValueSource::BuiltinProfile(name) => write!(f, "built-in profile {name}"),
            ValueSource::UrlProfile(url) => write!(f, "URL profile {url}"),
            ValueSource::Prompt => f.write_str("prompt"),
            ValueSource::Default => f.write_str("default"),
        }
    }
}

/// What loading saw besides the values: where each came from, the settings as given, unused
/// keys, missing options, and the files searched and read ([`CloudConfig::report`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadReport {
    /// Where each value came from, by key: `cloud`, `profile`, `auth_type`, `auth.<option>`
    /// (the option's destination, as in [`CloudConfig::auth`]; and the keys of
    /// [`unused_auth`](Self::unused_auth)), a general setting by name
    /// (`region_name`, `interface`, `verify`, `api_timeout`, … as in [`settings`](Self::settings))
    /// and `<service>.<setting>` (`compute.api_version`, `block-storage.endpoint_override`,
    /// as in [`CloudConfig::services`]).
    pub sources: BTreeMap<String, ValueSource>,
    /// The general settings (everything but the plugin's options and the per-service
    /// settings) as given, `{name}` and `~` expanded, by name: `region_name`, `interface`,
    /// `verify`, `cacert`, `api_timeout`, `connect_retries`, …
    pub settings: BTreeMap<String, String>,
    /// Keys of the cloud's `auth:` (from clouds.yaml, secure.yaml or its profile) that are not
    /// options of the plugin: they are not used.
    pub unused_auth: BTreeMap<String, String>,
    /// Required options that were not given. Only with
    /// [`LoadOptions::inspect`](super::LoadOptions::inspect): otherwise they are an error.
    pub missing: Vec<MissingOption>,
    /// How clouds.yaml, secure.yaml and clouds-public.yaml were looked for and which were read
    /// (empty when they were not looked for: no cloud was named and the `OS_*` variables make
    /// one).
    pub files: Vec<FileSearch>,
}

impl CloudConfig {
    /// Whether the auth option `dest` holds a secret: the [`Opt`](registry::Opt)'s `secret`
    /// flag when the plugin (or, for `v3multifactor`, one of its `auth_methods`) has the
    /// option; otherwise by its name, as the log redaction masks keys
    /// ([`redact::is_sensitive_key`]: `password`, `secret`, `token`, `key`, … and oslo.utils'
    /// `mask_password` keys): the keys of [`LoadReport::unused_auth`], say.
    pub fn is_secret_option(&self, dest: &str) -> bool {
        let mut loaders = vec![self.auth_type.clone()];
        if let Some(methods) = self.auth.get("auth_methods") {
            let list = OptionValues::new().with("m", methods).get_list("m");
            loaders.extend(list.unwrap_or_default());
        }
        let opt = loaders
            .iter()
            .filter_map(|name| registry::loader(name).ok())
            .flat_map(|l| l.opts())
            .find(|o| o.dest() == dest);
        match opt {
            Some(o) => o.secret,
            None => redact::is_sensitive_key(dest),
        }
    }
}

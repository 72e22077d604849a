//! The sources of values as layers (explicit options, `--os-*` flags, `OS_*` variables,
//! the cloud's `auth:` and its other settings), and choosing and reading the cloud.

use std::collections::BTreeMap;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{Error, Result};

use super::errors::Origin;
use super::{LoadOptions, Source, ENVVARS_CLOUD};
use crate::args::flag_key;
use crate::clouds::{norm_key, CloudsFile, FlatCloud, ProfileSource};
use crate::env::Env;
use crate::regions;

/// Settings that are not plugin options but are accepted as flags, variables and cloud keys.
pub(super) const GENERAL_KEYS: &[&str] = &[
    "cloud",
    "auth_type",
    "auth_plugin",
    "region_name",
    "interface",
    "valid_interfaces",
    "identity_api_version",
    "insecure",
    "verify",
    "cacert",
    "cafile",
    "cert",
    "certfile",
    "key",
    "keyfile",
    "timeout",
    "api_timeout",
    "collect_timing",
    "split_loggers",
    "service_type",
    "service_name",
    "endpoint_override",
    "version",
    "min_version",
    "max_version",
    "connect_retries",
    "status_code_retries",
];

/// One source of values with normalised keys.
pub(super) struct Layer {
    pub(super) source: Source,
    pub(super) map: BTreeMap<String, String>,
}

pub(super) struct Layers {
    pub(super) options: Layer,
    pub(super) flags: Layer,
    pub(super) env: Layer,
    pub(super) cloud_auth: Layer,
    pub(super) cloud: Layer,
}

impl Layers {
    /// General settings: options > flags > env > cloud.
    pub(super) fn general(&self, keys: &[&str]) -> Option<String> {
        [&self.options, &self.flags, &self.env, &self.cloud]
            .into_iter()
            .find_map(|l| keys.iter().find_map(|k| l.map.get(*k).cloned()))
    }

    /// A plugin option: options > flags > env > cloud auth block > cloud top level. Within a
    /// layer the option's own name beats its deprecated names.
    pub(super) fn plugin_opt(&self, opt: &Opt) -> Option<(String, Source)> {
        let names = opt_names(opt);
        let mut with_dest = vec![norm_key(&opt.dest())];
        with_dest.extend(names.iter().cloned());
        let order: [(&Layer, &[String]); 5] = [
            (&self.options, &with_dest),
            (&self.flags, &names),
            (&self.env, &names),
            (&self.cloud_auth, &with_dest),
            (&self.cloud, &with_dest),
        ];
        let found = order.into_iter().find_map(|(l, keys)| {
            keys.iter()
                .find_map(|k| l.map.get(k))
                .map(|v| (v.clone(), l.source))
        });
        found
    }
}

impl Layers {
    fn all(&self) -> [&Layer; 5] {
        [
            &self.options,
            &self.flags,
            &self.env,
            &self.cloud_auth,
            &self.cloud,
        ]
    }

    /// Whether any source gives one of `keys`.
    pub(super) fn any(&self, keys: &[&str]) -> bool {
        self.all()
            .iter()
            .any(|l| keys.iter().any(|k| l.map.contains_key(*k)))
    }

    /// For the v2 plugins, whose options are `tenant_id` and `tenant_name`: `project_id` and
    /// `project_name` stand for them (osc-lib's `_auth_v2_arguments`).
    pub(super) fn project_as_tenant(&mut self) {
        for l in [
            &mut self.options,
            &mut self.flags,
            &mut self.env,
            &mut self.cloud_auth,
            &mut self.cloud,
        ] {
            for (from, to) in [("project_id", "tenant_id"), ("project_name", "tenant_name")] {
                if let Some(v) = l.map.get(from).cloned() {
                    l.map.entry(to.to_owned()).or_insert(v);
                }
            }
        }
    }
}

/// The normalised names of an option: its name, then its deprecated names.
pub(super) fn opt_names(opt: &Opt) -> Vec<String> {
    let mut v = vec![norm_key(opt.name)];
    v.extend(opt.deprecated.iter().map(|d| norm_key(d)));
    v.dedup();
    v
}

pub(super) fn values_to_map(values: &OptionValues) -> BTreeMap<String, String> {
    values
        .keys()
        .filter_map(|k| Some((norm_key(k), values.get(k)?)))
        .collect()
}

/// What [`build_layers`] found.
pub(super) struct Built {
    pub(super) layers: Layers,
    /// The cloud's name, when one was named or is the only one in clouds.yaml.
    pub(super) cloud: Option<String>,
    /// The files read.
    pub(super) clouds: CloudsFile,
    /// Each flag key's spelling.
    pub(super) flag_names: BTreeMap<String, String>,
    /// `$HOME` (for `~` in file names).
    pub(super) home: Option<String>,
    /// The cloud's profile and where it was found.
    pub(super) profile: Option<(String, ProfileSource)>,
}

impl Built {
    /// The cloud's origin when it was read from clouds.yaml or secure.yaml.
    pub(super) fn origin(&self) -> Option<Origin> {
        let name = self.cloud.as_deref()?;
        let read = self.clouds.path.is_some() || self.clouds.secure_path.is_some();
        let c = &self.clouds;
        read.then(|| {
            Origin::new(
                name,
                [&c.path, &c.secure_path, &c.public_path],
                self.profile.as_ref(),
            )
        })
    }
}

/// Which cloud to read, as openstacksdk decides.
enum CloudChoice {
    /// One named in clouds.yaml (or the only one there).
    File(String),
    /// The `envvars` cloud (`OS_CLOUD_NAME` renames it): the `OS_*` variables alone. Named
    /// when it was asked for by name.
    Env(Option<String>),
    /// No cloud: flags, variables and explicit values only.
    None,
}

/// The sources as layers, the cloud's name, the files read, and each flag key's spelling.
///
/// The cloud, as openstacksdk picks it: the one named (explicit `cloud` option,
/// [`LoadOptions::cloud`], `--os-cloud`, `OS_CLOUD`); else, when `OS_*` variables other than
/// `OS_CLOUD`, `OS_REGION_NAME`, `OS_CLIENT_CONFIG_FILE`, `OS_CLIENT_SECURE_FILE` and
/// `OS_CLOUD_NAME` are set, the `envvars` cloud they make; else the only cloud of
/// clouds.yaml, when it has exactly one.
pub(super) fn build_layers(opts: &LoadOptions) -> Result<Built> {
    let env = match &opts.env {
        Some(m) => Env::from_map(m),
        None => Env::from_process(),
    };
    let mut flag_names: BTreeMap<String, String> = BTreeMap::new();
    let mut flags = BTreeMap::new();
    for (f, v) in &opts.flags {
        let k = flag_key(f);
        flag_names.insert(k.clone(), f.clone());
        flags.insert(k, v.clone());
    }
    let options = values_to_map(&opts.options);
    let env_map = env.os_keys();
    let load_files = || {
        CloudsFile::load_with(
            &env,
            opts.config_files.as_deref(),
            opts.secure_files.as_deref(),
            opts.public_files.as_deref(),
        )
    };

    let named = options
        .get("cloud")
        .cloned()
        .or_else(|| opts.cloud.clone())
        .or_else(|| flags.get("cloud").cloned())
        .or_else(|| env_map.get("cloud").cloned())
        .filter(|c| !c.is_empty());
    let envvars_name = env
        .get("OS_CLOUD_NAME")
        .unwrap_or_else(|| ENVVARS_CLOUD.to_owned());
    let has_envvars = env.has_cloud_vars();
    let mut clouds = CloudsFile::default();
    let choice = match named {
        Some(name) if name == envvars_name && has_envvars => {
            clouds = load_files()?;
            if clouds.cloud_names().contains(&name) {
                return Err(Error::Config(format!(
                    "{} defines a cloud named {name:?}, but OS_CLOUD_NAME is also set to \
                     {name:?} (the cloud made of the OS_* variables). Please rename either your \
                     environment-based cloud, or one of your file-based clouds.",
                    clouds.describe_files()
                )));
            }
            // The files were read for that check only.
            clouds = CloudsFile::default();
            CloudChoice::Env(Some(name))
        }
        Some(name) => {
            clouds = load_files()?;
            CloudChoice::File(name)
        }
        None if has_envvars => CloudChoice::Env(None),
        None => {
            // openstacksdk skips a file it cannot read; so does this implicit lookup.
            match load_files() {
                Ok(f) => clouds = f,
                Err(e) => tracing::warn!(
                    target: "keystoneauth::loading",
                    "clouds.yaml skipped: {e}"
                ),
            }
            match clouds.cloud_names().as_slice() {
                [only] => CloudChoice::File(only.clone()),
                _ => CloudChoice::None,
            }
        }
    };
    let mut profile = None;
    let (cloud, flat) = match choice {
        CloudChoice::File(name) => {
            // The region asked for picks one of the cloud's regions (`regions:`).
            let requested_region = options
                .get("region_name")
                .or_else(|| flags.get("region_name"))
                .or_else(|| env_map.get("region_name"))
                .cloned();
            if !clouds.cloud_names().contains(&name) {
                // Its error lists the files read and the clouds found.
                return Err(clouds
                    .resolve(&name)
                    .err()
                    .unwrap_or_else(|| Error::Config(format!("cloud {name} was not found"))));
            }
            let files = [&clouds.path, &clouds.secure_path, &clouds.public_path];
            let resolved = clouds
                .resolve(&name)
                .map_err(|e| Origin::new(&name, files, None).wrap(e))?;
            profile = resolved
                .profile
                .clone()
                .zip(resolved.profile_source.clone());
            let origin = Origin::new(&name, files, profile.as_ref());
            let region = regions::select(&name, &resolved.regions, requested_region.as_deref())
                .map_err(|e| origin.wrap(e))?;
            (Some(name), resolved.flatten_in(region.as_ref()))
        }
        CloudChoice::Env(name) => (name, FlatCloud::default()),
        CloudChoice::None => (None, FlatCloud::default()),
    };
    let mut layers = Layers {
        options: Layer {
            source: Source::Options,
            map: options,
        },
        flags: Layer {
            source: Source::Flag,
            map: flags,
        },
        env: Layer {
            source: Source::Env,
            map: env_map,
        },
        cloud_auth: Layer {
            source: Source::CloudsYaml,
            map: flat.auth,
        },
        cloud: Layer {
            source: Source::CloudsYaml,
            map: flat.settings,
        },
    };
    for l in [&mut layers.options, &mut layers.env, &mut layers.cloud] {
        rename_legacy_keys(&mut l.map);
    }
    // A renamed flag keeps its spelling for messages.
    for (old, new) in rename_legacy_keys(&mut layers.flags.map) {
        if let Some(f) = flag_names.remove(&old) {
            flag_names.entry(new).or_insert(f);
        }
    }
    Ok(Built {
        layers,
        cloud,
        clouds,
        flag_names,
        home: env.get("SNAP_REAL_HOME").or_else(|| env.get("HOME")),
        profile,
    })
}

/// openstacksdk's older spellings in one source: `*endpoint_type` is `*interface`
/// (`endpoint_type`, `compute_endpoint_type`), and `auth_token` is `token` (novaclient's
/// `--os-auth-token`). The current spelling wins when both are given. Returns the renames.
fn rename_legacy_keys(map: &mut BTreeMap<String, String>) -> Vec<(String, String)> {
    let renames: Vec<(String, String)> = map
        .keys()
        .filter_map(|k| {
            let new = if k == "auth_token" {
                "token".to_owned()
            } else {
                k.strip_suffix("endpoint_type")
                    .map(|p| format!("{p}interface"))?
            };
            Some((k.clone(), new))
        })
        .collect();
    for (old, new) in &renames {
        if let Some(v) = map.remove(old) {
            map.entry(new.clone()).or_insert(v);
        }
    }
    renames
}

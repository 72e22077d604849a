//! The sources of values as layers (explicit options, `--os-*` flags, `OS_*` variables,
//! the cloud's `auth:` and its other settings), and choosing and reading the cloud.

use std::collections::BTreeMap;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{Error, Result};

use super::errors::Origin;
use super::{LoadOptions, Source, ValueSource, ENVVARS_CLOUD};
use crate::args::flag_key;
use crate::clouds::{norm_key, CloudLayer, CloudsFile, FlatCloud, ProfileSource};
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
    "token_store",
    "token_store_key",
];

/// One source of values with normalised keys.
pub(super) struct Layer {
    pub(super) source: Source,
    pub(super) map: BTreeMap<String, String>,
    /// Where each value of `map` came from.
    pub(super) from: BTreeMap<String, ValueSource>,
}

impl Layer {
    /// A layer whose values all come from `from`.
    fn uniform(source: Source, map: BTreeMap<String, String>, from: ValueSource) -> Layer {
        let from = map.keys().map(|k| (k.clone(), from.clone())).collect();
        Layer { source, map, from }
    }

    /// The value of `key` and where it came from.
    pub(super) fn get(&self, key: &str) -> Option<(String, ValueSource)> {
        let v = self.map.get(key)?.clone();
        let from = self.from.get(key).cloned().unwrap_or(ValueSource::Default);
        Some((v, from))
    }

    /// `renames` (old key, new key) done on the map: the same on `from`.
    fn rename_from(&mut self, renames: &[(String, String)]) {
        for (old, new) in renames {
            if let Some(f) = self.from.remove(old) {
                self.from.entry(new.clone()).or_insert(f);
            }
        }
    }
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
        self.general_from(keys).map(|(v, _)| v)
    }

    /// [`general`](Self::general), with where the value came from.
    pub(super) fn general_from(&self, keys: &[&str]) -> Option<(String, ValueSource)> {
        [&self.options, &self.flags, &self.env, &self.cloud]
            .into_iter()
            .find_map(|l| keys.iter().find_map(|k| l.get(k)))
    }

    /// A plugin option: options > flags > env > cloud auth block > cloud top level. Within a
    /// layer the option's own name beats its deprecated names.
    pub(super) fn plugin_opt(&self, opt: &Opt) -> Option<(String, Source, ValueSource)> {
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
                .find_map(|k| l.get(k))
                .map(|(v, from)| (v, l.source, from))
        });
        found
    }

    /// The keys of the cloud's `auth:` that are not among `used` (the names of the plugin's
    /// options), with their values and where they came from.
    pub(super) fn unused_auth(&self, used: &[String]) -> Vec<(String, String, ValueSource)> {
        self.cloud_auth
            .map
            .keys()
            .filter(|k| !used.contains(k))
            .filter_map(|k| self.cloud_auth.get(k).map(|(v, from)| (k.clone(), v, from)))
            .collect()
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
                if let Some((v, source)) = l.get(from) {
                    if !l.map.contains_key(to) {
                        l.map.insert(to.to_owned(), v);
                        l.from.insert(to.to_owned(), source);
                    }
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
    /// Where the cloud's name came from.
    pub(super) cloud_from: Option<ValueSource>,
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
    let env_names = env.os_names();
    let load_files = || {
        CloudsFile::load_with(
            &env,
            opts.config_files.as_deref(),
            opts.secure_files.as_deref(),
            opts.public_files.as_deref(),
        )
    };

    let env_source = |k: &str| {
        ValueSource::Env(
            env_names
                .get(k)
                .cloned()
                .unwrap_or_else(|| format!("OS_{}", k.to_ascii_uppercase())),
        )
    };
    let flag_source = |k: &str| {
        ValueSource::Flag(
            flag_names
                .get(k)
                .cloned()
                .unwrap_or_else(|| format!("--os-{}", k.replace('_', "-"))),
        )
    };
    let (named, mut cloud_from) = options
        .get("cloud")
        .or(opts.cloud.as_ref())
        .map(|c| (c.clone(), ValueSource::Options))
        .or_else(|| {
            flags
                .get("cloud")
                .map(|c| (c.clone(), flag_source("cloud")))
        })
        .or_else(|| {
            env_map
                .get("cloud")
                .map(|c| (c.clone(), env_source("cloud")))
        })
        .filter(|(c, _)| !c.is_empty())
        .unzip();
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
                [only] => {
                    let file = clouds.path.clone().or_else(|| clouds.secure_path.clone());
                    cloud_from = Some(ValueSource::CloudsYaml(file.unwrap_or_default()));
                    CloudChoice::File(only.clone())
                }
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
            clouds.warn_if_defined_elsewhere(&name);
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
    let of_cloud = |from: &BTreeMap<String, CloudLayer>| -> BTreeMap<String, ValueSource> {
        from.iter()
            .map(|(k, layer)| {
                let source = ValueSource::of_layer(
                    *layer,
                    clouds.path.as_ref(),
                    clouds.secure_path.as_ref(),
                    profile.as_ref(),
                );
                (k.clone(), source)
            })
            .collect()
    };
    let mut layers = Layers {
        options: Layer::uniform(Source::Options, options, ValueSource::Options),
        flags: Layer {
            source: Source::Flag,
            from: flags.keys().map(|k| (k.clone(), flag_source(k))).collect(),
            map: flags,
        },
        env: Layer {
            source: Source::Env,
            from: env_map.keys().map(|k| (k.clone(), env_source(k))).collect(),
            map: env_map,
        },
        cloud_auth: Layer {
            source: Source::CloudsYaml,
            from: of_cloud(&flat.auth_from),
            map: flat.auth,
        },
        cloud: Layer {
            source: Source::CloudsYaml,
            from: of_cloud(&flat.settings_from),
            map: flat.settings,
        },
    };
    for l in [&mut layers.options, &mut layers.env, &mut layers.cloud] {
        let renames = rename_legacy_keys(&mut l.map);
        l.rename_from(&renames);
    }
    // A renamed flag keeps its spelling for messages.
    let renames = rename_legacy_keys(&mut layers.flags.map);
    layers.flags.rename_from(&renames);
    for (old, new) in renames {
        if let Some(f) = flag_names.remove(&old) {
            flag_names.entry(new).or_insert(f);
        }
    }
    Ok(Built {
        layers,
        cloud_from: cloud.as_ref().and(cloud_from),
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

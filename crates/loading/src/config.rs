//! [`CloudConfig`]: one cloud's plugin, session and adapter options, from explicit values,
//! `--os-*` flags, `OS_*` variables and clouds.yaml, in that order of precedence.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use keystoneauth_core::registry::{self, Opt, OptionValues, PluginLoader};
use keystoneauth_core::{
    service_types, Adapter, AuthPlugin, Error, Interface, RequestOptions, Result, Session,
    SessionBuilder,
};

use crate::adapter_opts::{parse_interfaces, AdapterOptions};
use crate::args::flag_key;
use crate::clouds::{norm_key, CloudsFile, FlatCloud};
use crate::env::Env;
use crate::regions;
use crate::session_opts::SessionOptions;

/// The auth type used when none is given (openstacksdk's default).
pub const DEFAULT_AUTH_TYPE: &str = "password";

/// Asks the user for an option that has a prompt (`password`, `passcode`). `Ok(None)` leaves it
/// unset.
pub type PromptFn = Arc<dyn Fn(&Opt) -> Result<Option<String>> + Send + Sync>;

/// Settings that are not plugin options but are accepted as flags, variables and cloud keys.
const GENERAL_KEYS: &[&str] = &[
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

/// Per-service setting suffixes (`compute_api_version`, `image_endpoint_override`, …).
const SERVICE_SUFFIXES: &[&str] = &[
    "_api_version",
    "_endpoint_override",
    "_interface",
    "_region_name",
    "_service_type",
    "_service_name",
];

/// Where an option's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// [`LoadOptions::options`].
    Options,
    /// A `--os-*` flag.
    Flag,
    /// An `OS_*` variable.
    Env,
    /// clouds.yaml / secure.yaml.
    CloudsYaml,
    /// The prompt function.
    Prompt,
}

/// What to load from. The default reads the process environment and the usual clouds.yaml
/// search path, and selects the cloud named by `--os-cloud` / `OS_CLOUD`.
#[derive(Clone, Default)]
pub struct LoadOptions {
    /// The cloud in clouds.yaml (else `--os-cloud`, else `OS_CLOUD`; none = no clouds.yaml).
    pub cloud: Option<String>,
    /// The auth type (else `--os-auth-type`, `OS_AUTH_TYPE`, clouds.yaml `auth_type`,
    /// [`DEFAULT_AUTH_TYPE`]).
    pub auth_type: Option<String>,
    /// Explicit values (plugin, session and adapter options by key); they win over everything.
    pub options: OptionValues,
    /// Command-line options as `(flag, value)`: `("--os-username", "u")`, `("--insecure",
    /// "true")`. Unknown `--os-*` flags are an error once the plugin is known.
    pub flags: Vec<(String, String)>,
    /// The environment; `None` = the process's.
    pub env: Option<HashMap<String, String>>,
    /// clouds.yaml candidates replacing the search path (the first that exists is read).
    pub config_files: Option<Vec<PathBuf>>,
    /// secure.yaml candidates replacing the search path.
    pub secure_files: Option<Vec<PathBuf>>,
    /// Fills options that have a prompt and no value.
    pub prompt: Option<PromptFn>,
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadOptions")
            .field("cloud", &self.cloud)
            .field("auth_type", &self.auth_type)
            .field("options", &self.options)
            .field(
                "flags",
                &self.flags.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("env", &self.env.as_ref().map(|e| e.len()))
            .field("config_files", &self.config_files)
            .field("secure_files", &self.secure_files)
            .field("prompt", &self.prompt.is_some())
            .finish()
    }
}

/// Per-service settings (`<service>_api_version`, `<service>_endpoint_override`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceOptions {
    /// `<service>_api_version`.
    pub api_version: Option<String>,
    /// `<service>_endpoint_override`.
    pub endpoint_override: Option<String>,
    /// `<service>_interface`.
    pub interface: Option<String>,
    /// `<service>_region_name`.
    pub region_name: Option<String>,
    /// `<service>_service_type`.
    pub service_type: Option<String>,
    /// `<service>_service_name`.
    pub service_name: Option<String>,
}

impl ServiceOptions {
    fn set(&mut self, suffix: &str, value: String) {
        let slot = match suffix {
            "_api_version" => &mut self.api_version,
            "_endpoint_override" => &mut self.endpoint_override,
            "_interface" => &mut self.interface,
            "_region_name" => &mut self.region_name,
            "_service_type" => &mut self.service_type,
            "_service_name" => &mut self.service_name,
            _ => return,
        };
        *slot = Some(value);
    }

    fn or(self, other: &ServiceOptions) -> ServiceOptions {
        ServiceOptions {
            api_version: self.api_version.or_else(|| other.api_version.clone()),
            endpoint_override: self
                .endpoint_override
                .or_else(|| other.endpoint_override.clone()),
            interface: self.interface.or_else(|| other.interface.clone()),
            region_name: self.region_name.or_else(|| other.region_name.clone()),
            service_type: self.service_type.or_else(|| other.service_type.clone()),
            service_name: self.service_name.or_else(|| other.service_name.clone()),
        }
    }
}

/// One cloud's configuration: the plugin and its options, the session and adapter options.
///
/// ```no_run
/// # async fn demo() -> keystoneauth_core::Result<()> {
/// use keystoneauth_loading::CloudConfig;
/// let cloud = CloudConfig::from_env()?; // OS_CLOUD / OS_* variables
/// let session = cloud.build_session()?;
/// let compute = cloud.adapter(&session, "compute")?;
/// let servers = compute.get("/servers").send().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CloudConfig {
    /// The cloud's name in clouds.yaml, if one was used.
    pub cloud: Option<String>,
    /// The plugin name (`v3password`, `password`, …).
    pub auth_type: String,
    /// The plugin's option values by destination key.
    pub auth: OptionValues,
    /// Where each plugin option came from.
    pub auth_sources: BTreeMap<String, Source>,
    /// Region.
    pub region_name: Option<String>,
    /// Interfaces in order of preference (empty = public).
    pub interfaces: Vec<Interface>,
    /// `identity_api_version` (used for the identity endpoint only; the auth type is kept).
    pub identity_api_version: Option<String>,
    /// Session options.
    pub session: SessionOptions,
    /// The cloud's layer of request options for its adapters (`connect_retries`,
    /// `status_code_retries`, …).
    pub adapter_request: RequestOptions,
    /// Per-service settings by service type (`block-storage`, `compute`, … as written, with
    /// `_` → `-`).
    pub services: BTreeMap<String, ServiceOptions>,
    /// The clouds.yaml that was read, if any.
    pub config_file: Option<PathBuf>,
    /// The secure.yaml that was read, if any.
    pub secure_file: Option<PathBuf>,
}

/// One source of values with normalised keys.
struct Layer {
    source: Source,
    map: BTreeMap<String, String>,
}

struct Layers {
    options: Layer,
    flags: Layer,
    env: Layer,
    cloud_auth: Layer,
    cloud: Layer,
}

impl Layers {
    /// General settings: options > flags > env > cloud.
    fn general(&self, keys: &[&str]) -> Option<String> {
        [&self.options, &self.flags, &self.env, &self.cloud]
            .into_iter()
            .find_map(|l| keys.iter().find_map(|k| l.map.get(*k).cloned()))
    }

    /// A plugin option: options > flags > env > cloud auth block > cloud top level. Within a
    /// layer the option's own name beats its deprecated names.
    fn plugin_opt(&self, opt: &Opt) -> Option<(String, Source)> {
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

/// The normalised names of an option: its name, then its deprecated names.
fn opt_names(opt: &Opt) -> Vec<String> {
    let mut v = vec![norm_key(opt.name)];
    v.extend(opt.deprecated.iter().map(|d| norm_key(d)));
    v.dedup();
    v
}

fn values_to_map(values: &OptionValues) -> BTreeMap<String, String> {
    values
        .keys()
        .filter_map(|k| Some((norm_key(k), values.get(k)?)))
        .collect()
}

/// openstacksdk's spellings of "no auth" and of the admin token plugin.
fn normalize_auth_type(t: &str) -> String {
    match t.trim() {
        "None" | "none" | "NONE" => "none".to_owned(),
        "token_endpoint" => "admin_token".to_owned(),
        other => other.to_owned(),
    }
}

fn service_suffix(key: &str) -> Option<(&str, &'static str)> {
    SERVICE_SUFFIXES.iter().find_map(|s| {
        key.strip_suffix(s)
            .filter(|p| !p.is_empty())
            .map(|p| (p, *s))
    })
}

/// The options a loader has, plus (for `v3multifactor`) the options of each auth method named
/// in `auth_methods`, deduplicated by destination.
fn collect_opts(loader: &PluginLoader, layers: &Layers) -> Result<Vec<Opt>> {
    let mut opts = loader.opts();
    if let Some(m) = opts.iter().find(|o| o.dest() == "auth_methods").cloned() {
        if let Some((methods, _)) = layers.plugin_opt(&m) {
            let list = OptionValues::new()
                .with("m", methods)
                .get_list("m")
                .unwrap_or_default();
            for name in list {
                let sub = registry::loader(&name)?;
                for o in sub.opts() {
                    if !opts.iter().any(|x| x.dest() == o.dest()) {
                        opts.push(o);
                    }
                }
            }
        }
    }
    Ok(opts)
}

impl CloudConfig {
    /// Load from the process environment, the usual clouds.yaml search path and `OS_CLOUD`.
    pub fn from_env() -> Result<CloudConfig> {
        CloudConfig::load(LoadOptions::default())
    }

    /// Load from explicit values only (no environment, no files).
    ///
    /// ```
    /// use keystoneauth_core::registry::OptionValues;
    /// use keystoneauth_loading::CloudConfig;
    /// // With no plugin crate linked, the name is unknown:
    /// let e = CloudConfig::from_options("v3password", OptionValues::new()).unwrap_err();
    /// assert!(e.to_string().contains("v3password could not be found"));
    /// ```
    pub fn from_options(auth_type: &str, values: OptionValues) -> Result<CloudConfig> {
        CloudConfig::load(LoadOptions {
            auth_type: Some(auth_type.to_owned()),
            options: values,
            env: Some(HashMap::new()),
            config_files: Some(Vec::new()),
            secure_files: Some(Vec::new()),
            ..Default::default()
        })
    }

    /// Load: explicit options > `--os-*` flags > `OS_*` variables > clouds.yaml (+ secure.yaml).
    ///
    /// Errors: unknown auth type → `NoMatchingPlugin`; missing required options →
    /// `MissingRequiredOptions` naming each option and its variable; unknown `--os-*` flag,
    /// bad interface, bad session option → `OptionError`; unreadable or malformed clouds.yaml,
    /// unknown cloud → `Config`.
    pub fn load(opts: LoadOptions) -> Result<CloudConfig> {
        let (layers, cloud_name, clouds, flag_names) = build_layers(&opts)?;

        let auth_type = layers
            .options
            .map
            .get("auth_type")
            .cloned()
            .or_else(|| opts.auth_type.clone())
            .or_else(|| {
                [&layers.flags, &layers.env, &layers.cloud]
                    .into_iter()
                    .find_map(|l| {
                        l.map
                            .get("auth_type")
                            .or_else(|| l.map.get("auth_plugin"))
                            .cloned()
                    })
            })
            .map(|t| normalize_auth_type(&t))
            .unwrap_or_else(|| DEFAULT_AUTH_TYPE.to_owned());
        let loader = registry::loader(&auth_type)?;
        let plugin_opts = collect_opts(loader, &layers)?;

        // Flags must name an option of this plugin or a general setting.
        for key in layers.flags.map.keys() {
            let known = GENERAL_KEYS.contains(&key.as_str())
                || service_suffix(key).is_some()
                || plugin_opts
                    .iter()
                    .any(|o| opt_names(o).contains(key) || norm_key(&o.dest()) == *key);
            if !known {
                let flag = flag_names.get(key).cloned().unwrap_or_else(|| key.clone());
                let mut names: Vec<String> = plugin_opts
                    .iter()
                    .map(|o| format!("--os-{}", o.name))
                    .collect();
                names.sort();
                return Err(Error::OptionError(format!(
                    "unknown option {flag} for auth type {auth_type}; its options are: {}",
                    names.join(", ")
                )));
            }
        }

        let mut auth = OptionValues::new();
        let mut auth_sources = BTreeMap::new();
        for o in &plugin_opts {
            if let Some((v, src)) = layers.plugin_opt(o) {
                auth.set(&o.dest(), v);
                auth_sources.insert(o.dest(), src);
            }
        }
        handle_domain_id(&mut auth, &plugin_opts);

        // Required options (prompted ones aside) first, so nobody is asked for a password
        // when the auth URL is missing anyway.
        let missing: Vec<_> = plugin_opts
            .iter()
            .filter(|o| o.required && o.default.is_none() && !auth.contains(&o.dest()))
            .filter(|o| o.prompt.is_none() || opts.prompt.is_none())
            .map(|o| keystoneauth_core::error::MissingOption {
                name: o.name.to_owned(),
                env: o.env_vars().remove(0),
            })
            .collect();
        if !missing.is_empty() {
            return Err(Error::MissingRequiredOptions(missing));
        }
        if let Some(prompt) = &opts.prompt {
            for o in plugin_opts.iter().filter(|o| o.prompt.is_some()) {
                if !auth.contains(&o.dest()) {
                    if let Some(v) = prompt(o)? {
                        auth.set(&o.dest(), v);
                        auth_sources.insert(o.dest(), Source::Prompt);
                    }
                }
            }
        }

        // Session and adapter settings.
        let mut general = OptionValues::new();
        for k in GENERAL_KEYS {
            if let Some(v) = layers.general(&[k]) {
                general.set(k, v);
            }
        }
        let session = SessionOptions::from_values(&general)?;
        let interfaces = match (
            general.get_list("valid_interfaces"),
            general.get_list("interface"),
        ) {
            (Some(l), _) | (None, Some(l)) => parse_interfaces(&l)?,
            (None, None) => Vec::new(),
        };
        let adapter_defaults = AdapterOptions::from_values(
            &OptionValues::new()
                .with(
                    "connect_retries",
                    general.get("connect_retries").unwrap_or_default(),
                )
                .with(
                    "status_code_retries",
                    general.get("status_code_retries").unwrap_or_default(),
                ),
        )?;
        let mut services: BTreeMap<String, ServiceOptions> = BTreeMap::new();
        for l in [&layers.cloud, &layers.env, &layers.flags, &layers.options] {
            for (k, v) in &l.map {
                if let Some((svc, suffix)) = service_suffix(k) {
                    services
                        .entry(svc.replace('_', "-"))
                        .or_default()
                        .set(suffix, v.clone());
                }
            }
        }

        Ok(CloudConfig {
            cloud: cloud_name,
            auth_type,
            auth,
            auth_sources,
            region_name: general.get("region_name"),
            interfaces,
            identity_api_version: general.get("identity_api_version"),
            session,
            adapter_request: adapter_defaults.request,
            services,
            config_file: clouds.path,
            secure_file: clouds.secure_path,
        })
    }

    /// The plugin's loader.
    pub fn loader(&self) -> Result<&'static PluginLoader> {
        registry::loader(&self.auth_type)
    }

    /// Build the plugin (the loader checks required options and its own rules).
    pub fn build_plugin(&self) -> Result<Arc<dyn AuthPlugin>> {
        self.loader()?.load(&self.auth)
    }

    /// A session builder with the session options, without auth.
    pub fn session_builder(&self) -> Result<SessionBuilder> {
        self.session.builder()
    }

    /// A session with the session options and the plugin.
    pub fn build_session(&self) -> Result<Session> {
        let plugin = self.build_plugin()?;
        self.session_builder()?.auth(plugin).build()
    }

    /// The per-service settings for a service type, looking under its official name and its
    /// aliases (`block-storage`, `volumev3`, `volume`, …).
    pub fn service(&self, service_type: &str) -> ServiceOptions {
        service_types::all_types(service_type)
            .iter()
            .chain(std::iter::once(&service_type.replace('_', "-")))
            .filter_map(|t| self.services.get(t))
            .fold(ServiceOptions::default(), |acc, s| acc.or(s))
    }

    /// Adapter options for a service: the per-service settings over the cloud's region,
    /// interface and retries. For identity, `identity_api_version` is the version.
    pub fn adapter_options(&self, service_type: &str) -> Result<AdapterOptions> {
        let svc = self.service(service_type);
        let interfaces = match &svc.interface {
            Some(i) => parse_interfaces(
                &OptionValues::new()
                    .with("i", i.as_str())
                    .get_list("i")
                    .unwrap_or_default(),
            )?,
            None => self.interfaces.clone(),
        };
        let out = AdapterOptions {
            service_type: Some(
                svc.service_type
                    .clone()
                    .unwrap_or_else(|| service_type.to_owned()),
            ),
            service_name: svc.service_name.clone(),
            interfaces,
            region_name: svc.region_name.clone().or_else(|| self.region_name.clone()),
            endpoint_override: svc.endpoint_override.clone(),
            version: svc.api_version.clone(),
            min_version: None,
            max_version: None,
            request: self.adapter_request.clone(),
        };
        out.check()?;
        Ok(out)
    }

    /// An adapter for a service on a session (see [`adapter_options`](Self::adapter_options)).
    pub fn adapter(&self, session: &Session, service_type: &str) -> Result<Adapter> {
        self.adapter_options(service_type)?.build(session.clone())
    }
}

type Built = (Layers, Option<String>, CloudsFile, BTreeMap<String, String>);

/// The sources as layers, the cloud's name, the files read, and each flag key's spelling.
fn build_layers(opts: &LoadOptions) -> Result<Built> {
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

    let cloud_name = options
        .get("cloud")
        .cloned()
        .or_else(|| opts.cloud.clone())
        .or_else(|| flags.get("cloud").cloned())
        .or_else(|| env_map.get("cloud").cloned())
        .filter(|c| !c.is_empty());
    // The region asked for picks one of the cloud's regions (`regions:`).
    let requested_region = options
        .get("region_name")
        .or_else(|| flags.get("region_name"))
        .or_else(|| env_map.get("region_name"))
        .cloned();
    let mut clouds = CloudsFile::default();
    let flat = match &cloud_name {
        Some(name) => {
            clouds = CloudsFile::load(
                &env,
                opts.config_files.as_deref(),
                opts.secure_files.as_deref(),
            )?;
            let resolved = clouds.resolve(name)?;
            let region = regions::select(name, &resolved.regions, requested_region.as_deref())?;
            resolved.flatten_in(region.as_ref())
        }
        None => FlatCloud::default(),
    };
    let layers = Layers {
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
    Ok((layers, cloud_name, clouds, flag_names))
}

/// The session options alone (no plugin is loaded and flags are not checked): for
/// unauthenticated requests such as version discovery.
pub fn load_session_options(opts: &LoadOptions) -> Result<SessionOptions> {
    let (layers, ..) = build_layers(opts)?;
    let mut general = OptionValues::new();
    for k in GENERAL_KEYS {
        if let Some(v) = layers.general(&[k]) {
            general.set(k, v);
        }
    }
    SessionOptions::from_values(&general)
}

/// openstacksdk's `domain_id` / `domain_name` shorthand: with a project scope they are the
/// default of the user's and the project's domain, not a domain scope.
fn handle_domain_id(auth: &mut OptionValues, opts: &[Opt]) {
    let has = |d: &str| opts.iter().any(|o| o.dest() == d);
    let project_scoped = auth.contains("project_id") || auth.contains("project_name");
    if !project_scoped {
        return;
    }
    for (target, targets) in [
        ("domain_id", ["user_domain_id", "project_domain_id"]),
        ("domain_name", ["user_domain_name", "project_domain_name"]),
    ] {
        if let Some(v) = auth.get(target) {
            for t in targets {
                if has(t) && !auth.contains(t) {
                    auth.set(t, v.clone());
                }
            }
            auth.remove(target);
        }
    }
}

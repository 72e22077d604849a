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
use crate::clouds::{norm_key, CloudsFile, FlatCloud, ProfileSource};
use crate::env::Env;
use crate::regions;
use crate::session_opts::SessionOptions;

/// The auth type used when none is given (openstacksdk's default; a token alone selects a
/// token plugin, see [`CloudConfig::load`]).
pub const DEFAULT_AUTH_TYPE: &str = "password";

/// The name of the cloud made of `OS_*` variables when no cloud is named (openstacksdk's;
/// `OS_CLOUD_NAME` renames it).
pub const ENVVARS_CLOUD: &str = "envvars";

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
#[non_exhaustive]
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
    /// clouds.yaml candidates replacing the search path (the first that exists is read;
    /// `$OS_CLIENT_CONFIG_FILE` still comes first, as in openstacksdk). Only clouds.yaml: the
    /// secure.yaml and clouds-public.yaml beside it are not looked for there (see
    /// [`CloudsFile::load_with`]).
    pub config_files: Option<Vec<PathBuf>>,
    /// secure.yaml candidates replacing the search path (`$OS_CLIENT_SECURE_FILE` still comes
    /// first).
    pub secure_files: Option<Vec<PathBuf>>,
    /// clouds-public.yaml candidates replacing the search path (openstacksdk's
    /// `vendor_files`).
    pub public_files: Option<Vec<PathBuf>>,
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
            .field("public_files", &self.public_files)
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
    /// The clouds-public.yaml that was read, if any.
    pub public_file: Option<PathBuf>,
    /// The cloud's profile (`profile:` or `cloud:`) and where it was found.
    pub profile: Option<(String, ProfileSource)>,
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
    fn any(&self, keys: &[&str]) -> bool {
        self.all()
            .iter()
            .any(|l| keys.iter().any(|k| l.map.contains_key(*k)))
    }

    /// For the v2 plugins, whose options are `tenant_id` and `tenant_name`: `project_id` and
    /// `project_name` stand for them (osc-lib's `_auth_v2_arguments`).
    fn project_as_tenant(&mut self) {
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

/// The auth type when none is given, as osc-lib documents its choice: a token (and no user
/// or password) selects the token plugin of the identity API version (`v3token` for 3,
/// `v2token` for 2.x, else the discovering `token`); anything else is
/// [`DEFAULT_AUTH_TYPE`].
fn guess_auth_type(layers: &Layers) -> String {
    let user = ["username", "user_name", "user_id", "password"];
    if layers.any(&["token"]) && !layers.any(&user) {
        let version = layers
            .general(&["identity_api_version"])
            .unwrap_or_default();
        return if version == "3" {
            "v3token"
        } else if version.starts_with('2') {
            "v2token"
        } else {
            "token"
        }
        .to_owned();
    }
    DEFAULT_AUTH_TYPE.to_owned()
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
            public_files: Some(Vec::new()),
            ..Default::default()
        })
    }

    /// Load: explicit options > `--os-*` flags > `OS_*` variables > clouds.yaml (+ secure.yaml).
    ///
    /// The cloud is the one named (the `cloud` option, [`LoadOptions::cloud`], `--os-cloud`,
    /// `OS_CLOUD`); with none named, the `OS_*` variables make one (openstacksdk's `envvars`
    /// cloud, also reachable by that name or by `OS_CLOUD_NAME`) when any is set besides
    /// `OS_CLOUD`, `OS_REGION_NAME`, `OS_CLIENT_CONFIG_FILE`, `OS_CLIENT_SECURE_FILE` and
    /// `OS_CLOUD_NAME`; else the only cloud of clouds.yaml is used when there is exactly one
    /// (a clouds.yaml that cannot be read is then skipped with a warning). The cloud's
    /// profile and region are applied as [`CloudsFile::resolve`] and
    /// [`regions`](crate::regions) say.
    ///
    /// As in openstacksdk: `auth_token` is `token`, `*endpoint_type` is `*interface`, project
    /// and domain settings at the top of a cloud win over the same in its `auth:`, the v2
    /// plugins read `project_*` as `tenant_*`, `{name}` in the auth URL and the other settings
    /// is replaced by the setting `name` (`{region_name}`), and `~` in `cacert`, `cert` and
    /// `key` is the home directory. With no auth type given, a token without a user or a
    /// password selects `v3token` (`identity_api_version` 3), `v2token` (2.x) or `token`, as
    /// osc-lib documents it; anything else is `password`.
    ///
    /// Errors: unknown auth type → `NoMatchingPlugin`; missing required options →
    /// `MissingRequiredOptions` naming each option and its variable; unknown `--os-*` flag,
    /// bad interface, bad session option → `OptionError`; unreadable or malformed clouds.yaml,
    /// unknown cloud, unknown region, unreachable URL profile → `Config`.
    ///
    /// When the cloud was read from clouds.yaml or secure.yaml, errors say so first: `cloud
    /// "mycloud" (from /home/u/.config/openstack/clouds.yaml, secure.yaml): …`, naming every
    /// file read (those in the directory of the first by their file name) and a profile that
    /// was not found. `Config` and `OptionError` keep their variant; missing options and an
    /// unknown auth type become `Config` with the same text after the origin. An unknown
    /// `--os-*` flag is reported as it is. [`build_plugin`](Self::build_plugin) and
    /// [`session_builder`](Self::session_builder) add the same origin to their errors.
    pub fn load(opts: LoadOptions) -> Result<CloudConfig> {
        let built = build_layers(&opts)?;
        let origin = built.origin();
        CloudConfig::from_layers(&opts, built).map_err(|e| match &origin {
            Some(o) => o.wrap(e),
            None => e,
        })
    }

    fn from_layers(opts: &LoadOptions, built: Built) -> Result<CloudConfig> {
        let Built {
            mut layers,
            cloud: cloud_name,
            clouds,
            flag_names,
            home,
            profile,
        } = built;

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
            .unwrap_or_else(|| guess_auth_type(&layers));
        if auth_type.starts_with("v2") {
            layers.project_as_tenant();
        }
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
        // `{region_name}` and other settings in the auth URL (citycloud's profile).
        let lookup = |name: &str| layers.general(&[name]);
        if let Some(url) = auth.get("auth_url") {
            auth.set("auth_url", expand_braces("auth_url", &url, &lookup)?);
        }

        // Required options (prompted ones aside) first, so nobody is asked for a password
        // when the auth URL is missing anyway.
        let missing: Vec<_> = plugin_opts
            .iter()
            .filter(|o| o.required && o.default.is_none() && !auth.contains(&o.dest()))
            .filter(|o| o.prompt.is_none() || opts.prompt.is_none())
            .map(|o| {
                keystoneauth_core::error::MissingOption::new(
                    o.name.to_owned(),
                    o.env_vars().remove(0),
                )
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
        let general = general_values(&layers, home.as_deref())?;
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
                        .set(suffix, expand_braces(k, v, &lookup)?);
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
            public_file: clouds.public_path,
            profile,
        })
    }

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

    fn in_context<T>(&self, r: Result<T>) -> Result<T> {
        r.map_err(|e| match self.origin() {
            Some(o) => o.wrap(e),
            None => e,
        })
    }

    /// The plugin's loader.
    pub fn loader(&self) -> Result<&'static PluginLoader> {
        registry::loader(&self.auth_type)
    }

    /// Build the plugin (the loader checks required options and its own rules).
    pub fn build_plugin(&self) -> Result<Arc<dyn AuthPlugin>> {
        self.in_context(
            self.check_urls()
                .and_then(|()| self.loader()?.load(&self.auth)),
        )
    }

    /// The auth URL and the endpoint overrides must be http(s) URLs: an error that names the
    /// option and the value, before any request.
    fn check_urls(&self) -> Result<()> {
        if let Some(url) = self.auth.get("auth_url").filter(|u| !u.is_empty()) {
            keystoneauth_core::session::check_http_url("auth_url", &url)?;
        }
        for (service, options) in &self.services {
            if let Some(url) = &options.endpoint_override {
                let option = format!("{}_endpoint_override", service.replace('-', "_"));
                keystoneauth_core::session::check_http_url(&option, url)?;
            }
        }
        Ok(())
    }

    /// A session builder with the session options, without auth.
    pub fn session_builder(&self) -> Result<SessionBuilder> {
        self.in_context(self.session.builder())
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

/// What [`build_layers`] found.
struct Built {
    layers: Layers,
    /// The cloud's name, when one was named or is the only one in clouds.yaml.
    cloud: Option<String>,
    /// The files read.
    clouds: CloudsFile,
    /// Each flag key's spelling.
    flag_names: BTreeMap<String, String>,
    /// `$HOME` (for `~` in file names).
    home: Option<String>,
    /// The cloud's profile and where it was found.
    profile: Option<(String, ProfileSource)>,
}

impl Built {
    /// The cloud's origin when it was read from clouds.yaml or secure.yaml.
    fn origin(&self) -> Option<Origin> {
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

/// Where a cloud came from: its name and the files read, named in the errors of loading.
#[derive(Debug, Clone)]
struct Origin {
    cloud: String,
    files: Vec<PathBuf>,
    /// A profile the cloud names that was found nowhere.
    missing_profile: Option<String>,
}

impl Origin {
    /// `files`: clouds.yaml, secure.yaml and clouds-public.yaml, those that were read.
    fn new(
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
    fn wrap(&self, e: Error) -> Error {
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

/// The session options alone (no plugin is loaded and flags are not checked): for
/// unauthenticated requests such as version discovery.
pub fn load_session_options(opts: &LoadOptions) -> Result<SessionOptions> {
    let built = build_layers(opts)?;
    let origin = built.origin();
    general_values(&built.layers, built.home.as_deref())
        .and_then(|g| SessionOptions::from_values(&g))
        .map_err(|e| match &origin {
            Some(o) => o.wrap(e),
            None => e,
        })
}

/// The general settings (options > flags > env > cloud), with `{name}` references expanded
/// and `~` in the CA bundle, certificate and key file names read as `home`, as openstacksdk
/// does.
fn general_values(layers: &Layers, home: Option<&str>) -> Result<OptionValues> {
    let lookup = |name: &str| layers.general(&[name]);
    let mut general = OptionValues::new();
    for k in GENERAL_KEYS {
        if let Some(v) = layers.general(&[k]) {
            let mut v = expand_braces(k, &v, &lookup)?;
            if matches!(
                *k,
                "cacert" | "cafile" | "cert" | "certfile" | "key" | "keyfile"
            ) {
                v = expand_home(&v, home);
            }
            general.set(k, v);
        }
    }
    Ok(general)
}

/// `~` and `~/…` with `home` for `~` (Python's `os.path.expanduser`; `~user` is kept).
fn expand_home(path: &str, home: Option<&str>) -> String {
    match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{}{rest}", home.trim_end_matches('/'))
        }
        _ => path.to_owned(),
    }
}

/// `{name}` replaced by the setting `name`, `{{` and `}}` by `{` and `}` (Python's
/// `str.format(**config)`, which openstacksdk applies to the auth URL and to the cloud's other
/// settings, e.g. `https://{region_name}.citycloud.com:5000/v3/`). A name that is not a
/// setting, or a lone brace, is `Error::Config` naming `key`.
fn expand_braces(key: &str, text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    if !text.contains(['{', '}']) {
        return Ok(text.to_owned());
    }
    let bad = |why: String| Error::Config(format!("cannot expand {key}: {why}"));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if tail.starts_with('}') {
            return Err(bad("a single '}' (write '}}' for a brace)".into()));
        } else {
            let Some(end) = tail.find('}') else {
                return Err(bad(
                    "a '{' that is not closed (write '{{' for a brace)".into()
                ));
            };
            let name = &tail[1..end];
            match lookup(name) {
                Some(v) => out.push_str(&v),
                None => {
                    return Err(bad(format!("{{{name}}} names no setting of the cloud")));
                }
            }
            rest = &tail[end + 1..];
        }
    }
    out.push_str(rest);
    Ok(out)
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

//! [`CloudConfig`]: one cloud's plugin, session and adapter options, from explicit values,
//! `--os-*` flags, `OS_*` variables and clouds.yaml, in that order of precedence.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use keystoneauth_core::registry::{self, Opt, OptionValues, PluginLoader};
use keystoneauth_core::{AuthPlugin, Interface, RequestOptions, Result, Session, SessionBuilder};

use crate::clouds::ProfileSource;
use crate::session_opts::SessionOptions;

mod errors;
mod layers;
mod report;
mod resolve;
mod services;

use layers::build_layers;
pub use report::{LoadReport, ValueSource};
pub use resolve::load_session_options;
pub use services::ServiceOptions;

/// The auth type used when none is given (openstacksdk's default; a token alone selects a
/// token plugin, see [`CloudConfig::load`]).
pub const DEFAULT_AUTH_TYPE: &str = "password";

/// The name of the cloud made of `OS_*` variables when no cloud is named (openstacksdk's;
/// `OS_CLOUD_NAME` renames it).
pub const ENVVARS_CLOUD: &str = "envvars";

/// Asks the user for an option that has a prompt (`password`, `passcode`). `Ok(None)` leaves it
/// unset.
pub type PromptFn = Arc<dyn Fn(&Opt) -> Result<Option<String>> + Send + Sync>;

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
    /// [`CloudsFile::load_with`](crate::clouds::CloudsFile::load_with)).
    pub config_files: Option<Vec<PathBuf>>,
    /// secure.yaml candidates replacing the search path (`$OS_CLIENT_SECURE_FILE` still comes
    /// first).
    pub secure_files: Option<Vec<PathBuf>>,
    /// clouds-public.yaml candidates replacing the search path (openstacksdk's
    /// `vendor_files`).
    pub public_files: Option<Vec<PathBuf>>,
    /// Fills options that have a prompt and no value.
    pub prompt: Option<PromptFn>,
    /// Load to look at the configuration (`ksa config show`): a required option that is
    /// missing is not an error but is listed in [`LoadReport::missing`]. The plugin cannot be
    /// built from such a configuration.
    pub inspect: bool,
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
            .field("inspect", &self.inspect)
            .finish()
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
    /// Where to share tokens between processes (`token_store`, `OS_TOKEN_STORE`,
    /// `--os-token-store`): `file`, `file:DIR`, `redis://…`, … (see
    /// `keystoneauth_core::token_store`).
    pub token_store: Option<String>,
    /// The key that encrypts tokens in a shared store (`token_store_key`, best kept in
    /// secure.yaml; `OS_TOKEN_STORE_KEY`).
    pub token_store_key: Option<secrecy::SecretString>,
    /// Where each value came from in detail, the settings as given, unused keys, and the
    /// files searched and read.
    pub report: LoadReport,
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
    /// profile and region are applied as
    /// [`CloudsFile::resolve`](crate::clouds::CloudsFile::resolve) and
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
}

//! What the commands that authenticate share: the loaded configuration, the auth plugin and
//! the session built from them.

use std::io::IsTerminal;
use std::sync::Arc;

use keystoneauth::error::MissingOption;
use keystoneauth::loading::{CloudConfig, LoadOptions, PromptFn};
use keystoneauth::registry::Opt;
use keystoneauth::token_store::TokenStoreAuth;
use keystoneauth::{AccessInfo, Adapter, AuthPlugin, Error, Session};

use crate::error::{Failure, Res};

/// The configuration, plugin and session of one `ksa` run.
pub struct Ctx {
    /// The merged configuration (`--os-*` flags, `OS_*` variables, clouds.yaml).
    pub config: CloudConfig,
    /// The auth plugin it names.
    pub plugin: Arc<dyn AuthPlugin>,
    /// A session that authenticates with the plugin.
    pub session: Session,
    /// The token store around the plugin (`--auth-cache`, `--token-store`), if any: the
    /// plugin above is this wrapper then.
    pub stored: Option<Arc<TokenStoreAuth>>,
}

/// ksa's timeout of each request when none is given (keystoneauth1 and `openstack` have
/// none: a server that accepts the connection and never answers holds them forever).
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// One warning when TLS certificates are not verified (`--insecure`, `OS_INSECURE`,
/// clouds.yaml `insecure: true` or `verify: false`), as keystoneauth1 warns (urllib3's
/// `InsecureRequestWarning`): a run that turns verification off says so, once.
pub fn warn_if_insecure(verify: &keystoneauth::session::Verify) {
    if *verify == keystoneauth::session::Verify::Insecure {
        tracing::warn!(
            target: "ksa",
            "TLS certificates are not verified (--insecure, OS_INSECURE or verify: false): \
             anyone on the network path can read and change this traffic, credentials \
             included"
        );
    }
}

impl Ctx {
    /// Load the configuration from `flags` (then `OS_*` variables and clouds.yaml), and
    /// build its plugin; the session is built by [`Ctx::new`].
    pub fn load_config(flags: Vec<(String, String)>) -> Res<(CloudConfig, Arc<dyn AuthPlugin>)> {
        let config = CloudConfig::load(LoadOptions {
            flags,
            prompt: Some(prompt_fn()),
            ..Default::default()
        })?;
        tracing::debug!(
            auth_type = %config.auth_type,
            cloud = ?config.cloud,
            config_file = ?config.config_file,
            sources = ?config.auth_sources,
            "loaded the configuration"
        );
        let plugin = config.build_plugin()?;
        Ok((config, plugin))
    }

    /// The context for a configuration and its plugin (and the token store wrapping it).
    pub fn new(
        config: CloudConfig,
        plugin: Arc<dyn AuthPlugin>,
        stored: Option<Arc<TokenStoreAuth>>,
    ) -> Res<Ctx> {
        let mut builder = config.session_builder()?.auth(plugin.clone());
        if config.session.request.timeout.is_none() {
            // Nothing waits forever: `--timeout`, OS_TIMEOUT or api_timeout change it.
            builder = builder.timeout(DEFAULT_TIMEOUT);
        }
        warn_if_insecure(&config.session.verify);
        let session = builder.build()?;
        Ok(Ctx {
            config,
            plugin,
            session,
            stored,
        })
    }

    /// The plugin's token and what came with it.
    pub async fn access(&self) -> Res<Arc<AccessInfo>> {
        self.plugin.access(&self.session).await?.ok_or_else(|| {
            Failure::Msg(format!(
                "the {} plugin does not issue tokens",
                self.config.auth_type
            ))
        })
    }

    /// The identity v3 API: the catalog's identity endpoint, else the plugin's auth URL.
    pub async fn identity(&self) -> Res<Adapter> {
        let mut o = self.config.adapter_options("identity")?;
        o.version = Some("3".into());
        let a = o.build(self.session.clone())?;
        match a.endpoint().await {
            Ok(_) => Ok(a),
            Err(Error::EndpointNotFound(_) | Error::EmptyCatalog) => {
                let url = self.plugin.auth_url().ok_or_else(|| {
                    Failure::Msg("no identity endpoint in the catalog and no auth URL".into())
                })?;
                Ok(a.endpoint_override(url))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Ask on the terminal when stdin is one; otherwise report the option as missing.
fn prompt_fn() -> PromptFn {
    if std::io::stdin().is_terminal() {
        Arc::new(|opt: &Opt| {
            let text = opt.prompt.unwrap_or("Value: ");
            rpassword::prompt_password(text)
                .map(|v| Some(v).filter(|v| !v.is_empty()))
                .map_err(|e| Error::OptionError(format!("cannot read {}: {e}", opt.name)))
        })
    } else {
        Arc::new(|opt: &Opt| {
            Err(Error::MissingRequiredOptions(vec![MissingOption::new(
                opt.name.to_owned(),
                opt.env_vars().remove(0),
            )]))
        })
    }
}

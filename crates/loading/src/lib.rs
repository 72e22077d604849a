//! Load an auth plugin, session options and adapter options the way OpenStack tools do:
//! from explicit values, `--os-*` command-line flags, `OS_*` environment variables and
//! `clouds.yaml` (+ `secure.yaml`, and `clouds-public.yaml` for `profile:`), in that order of
//! precedence.
//!
//! - [`CloudConfig::load`] / [`CloudConfig::from_env`] / [`CloudConfig::from_options`]: resolve
//!   the auth type (`--os-auth-type`, `OS_AUTH_TYPE`/`OS_AUTH_PLUGIN`, clouds.yaml `auth_type`,
//!   default `password`) and every option of that plugin by its names and deprecated names
//!   (`--os-user-name`, `OS_TENANT_NAME`, `user-domain-id` or `user_domain_id` in clouds.yaml).
//!   For `v3multifactor`, `auth_methods` (`OS_AUTH_METHODS=v3password,v3totp`) adds the options
//!   of each method.
//! - [`CloudConfig::build_plugin`], [`CloudConfig::build_session`], [`CloudConfig::adapter`].
//! - [`SessionOptions`] (`insecure`, `cacert`, `cert`, `key`, `timeout`, `collect_timing`,
//!   `split_loggers`) and [`AdapterOptions`] (`service_type`, `valid_interfaces`, `region_name`,
//!   `endpoint_override`, `version` / `min_version` / `max_version`, retries) on their own.
//! - [`args::extract_os_args`]: take `--os-*` options out of an argument list.
//! - [`exec`]: the `exec` plugin (`auth_type: exec`), credentials from a command such as a
//!   secret manager.
//! - clouds.yaml as openstacksdk reads it ([`clouds`]): secure.yaml, clouds-public.yaml,
//!   openstacksdk's built-in vendor profiles and URL profiles ([`vendors`]), `regions:`
//!   ([`regions`]), the `envvars` cloud, and errors that name the cloud and the files read.
//!   `tests/openstacksdk_oracle.rs` compares the merged configuration with openstacksdk's on a
//!   corpus of files.
//!
//! Plugins are found in the [registry](keystoneauth_core::registry): link the plugin crates
//! (the `keystoneauth` facade does) for their names to exist.
//!
//! ```no_run
//! use std::collections::HashMap;
//! use keystoneauth_loading::{CloudConfig, LoadOptions};
//! let cloud = CloudConfig::load(LoadOptions {
//!     cloud: Some("mycloud".into()),
//!     flags: vec![("--os-region-name".into(), "RegionTwo".into())],
//!     ..Default::default()
//! })?;
//! println!("{} in {:?}", cloud.auth_type, cloud.region_name);
//! let session = cloud.build_session()?;
//! # Ok::<(), keystoneauth_core::Error>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adapter_opts;
pub mod args;
pub mod clouds;
mod config;
pub mod env;
pub mod exec;
pub mod regions;
pub mod session_opts;
pub mod vendors;

pub use adapter_opts::{adapter_opts, AdapterOptions};
pub use config::{
    load_session_options, CloudConfig, LoadOptions, LoadReport, PromptFn, ServiceOptions, Source,
    ValueSource, DEFAULT_AUTH_TYPE, ENVVARS_CLOUD,
};
pub use env::Env;
pub use exec::ExecPlugin;
pub use session_opts::{session_opts, SessionOptions};

#[cfg(test)]
mod tests;

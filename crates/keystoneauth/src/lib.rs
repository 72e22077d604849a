//! keystoneauth-rs: OpenStack authentication for Rust, a port of Python's keystoneauth1.
//!
//! This crate gathers the others: [`keystoneauth_core`] at the root ([`Session`], [`Adapter`],
//! [`AuthPlugin`], [`AccessInfo`], [`Error`], [`registry`], [`blocking`], …) and, behind
//! features, each plugin family as a module:
//!
//! | feature | module | plugins (keystoneauth1 names) |
//! |---|---|---|
//! | `identity-v3` (default) | [`identity_v3`] | `v3password`, `v3token`, `v3totp`, `v3applicationcredential`, `v3multifactor`, `v3oauth2clientcredential`, `v3oauth2mtlsclientcredential`, `v3tokenlessauth` |
//! | `identity-v2` (default) | [`identity_v2`] | `v2password`, `v2token` |
//! | `generic` (default) | [`generic`] | `password`, `token` (discover v2/v3) |
//! | `standalone` (default) | [`standalone`] | `none`, `http_basic`, `admin_token` |
//! | `loading` (default) | [`loading`] | `OS_*` variables, `--os-*` flags, clouds.yaml |
//! | `federation` (+ `oidc`, `saml2`, `adfs`, `k2k`, `websso`) | `federation` | `v3oidc*`, `v3samlpassword`, `v3adfspassword`, K2K, `v3websso` |
//! | `extras` (+ `kerberos`, `oauth1`) | `extras` | `v3kerberos`, `v3fedkerb`, `v3oauth1` |
//!
//! Enabling a feature links the crate, so its plugins are in the [`registry`] and loadable by
//! name; [`registered_plugins`] lists them.
//!
//! Authenticate with a password and call a service:
//!
//! ```no_run
//! # async fn demo() -> keystoneauth::Result<()> {
//! use keystoneauth::registry::{self, OptionValues};
//! use keystoneauth::{Adapter, Session};
//!
//! let auth = registry::load(
//!     "v3password",
//!     &OptionValues::new()
//!         .with("auth_url", "https://keystone.example.com/v3")
//!         .with("username", "demo")
//!         .with("user_domain_id", "default")
//!         .with("password", "secret")
//!         .with("project_name", "demo")
//!         .with("project_domain_id", "default"),
//! )?;
//! let session = Session::new(auth)?;
//! let compute = Adapter::new(session, "compute").min_version("2.1")?;
//! let servers = compute.get("/servers").send().await?;
//! println!("{}", servers.text());
//! # Ok(()) }
//! ```
//!
//! Or take everything from `OS_CLOUD` / clouds.yaml / `OS_*` variables, as the `openstack`
//! command does:
//!
//! ```no_run
//! # #[cfg(feature = "loading")]
//! # async fn demo() -> keystoneauth::Result<()> {
//! let cloud = keystoneauth::loading::CloudConfig::from_env()?;
//! let session = cloud.build_session()?;
//! let identity = cloud.adapter(&session, "identity")?;
//! let projects = identity.get("/projects").send().await?;
//! # let _ = projects; Ok(()) }
//! ```
//!
//! The plugins this build has:
//!
//! ```
//! let names = keystoneauth::registered_plugins();
//! # #[cfg(feature = "identity-v3")]
//! assert!(names.contains(&"v3password"));
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use keystoneauth_core::*;

/// Identity v2.0 plugins (`v2password`, `v2token`).
#[cfg(feature = "identity-v2")]
pub use keystoneauth_identity_v2 as identity_v2;

/// Identity v3 plugins and auth methods.
#[cfg(feature = "identity-v3")]
pub use keystoneauth_identity_v3 as identity_v3;

/// Version-discovering `password` and `token` plugins.
#[cfg(feature = "generic")]
pub use keystoneauth_generic as generic;

/// `none`, `http_basic` and `admin_token`.
#[cfg(feature = "standalone")]
pub use keystoneauth_standalone as standalone;

/// Federation: OpenID Connect (`oidc`), SAML2 ECP (`saml2`), ADFS 2.0 (`adfs`),
/// Keystone-to-Keystone (`k2k`), WebSSO (`websso`).
#[cfg(feature = "federation")]
pub use keystoneauth_federation as federation;

/// Kerberos (`kerberos`) and OAuth 1.0a (`oauth1`).
#[cfg(feature = "extras")]
pub use keystoneauth_extras as extras;

/// Loading from `OS_*` variables, `--os-*` flags and clouds.yaml.
#[cfg(feature = "loading")]
pub use keystoneauth_loading as loading;

/// Reference each enabled plugin crate so its registrations are linked into the program.
fn link_plugin_crates() {
    #[cfg(feature = "extras")]
    keystoneauth_extras::__link();
    #[cfg(feature = "identity-v2")]
    std::hint::black_box(keystoneauth_identity_v2::password_options as fn() -> _);
    #[cfg(feature = "identity-v3")]
    std::hint::black_box(keystoneauth_identity_v3::loaders::password_options as fn() -> _);
    #[cfg(feature = "standalone")]
    std::hint::black_box(keystoneauth_standalone::noauth_options as fn() -> _);
}

/// The names of the plugins this build can load, sorted (`registry::names()` after making
/// sure every enabled plugin crate is linked).
pub fn registered_plugins() -> Vec<&'static str> {
    link_plugin_crates();
    registry::names()
}

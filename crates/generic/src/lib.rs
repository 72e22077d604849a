//! Version-independent identity plugins: [`Password`] and [`Token`] (keystoneauth1's
//! `identity.generic`).
//!
//! Given an auth URL, usually the unversioned root (`https://keystone.example:5000`), the
//! plugin fetches the version discovery document there the first time it needs a token, picks
//! Identity v3 or v2.0, and builds the matching plugin ([`keystoneauth_identity_v3::Auth`] or
//! [`keystoneauth_identity_v2::Password`]/[`keystoneauth_identity_v2::Token`]). The choice is
//! made once and kept; the token is cached like any [`IdentityPlugin`].
//!
//! # How the version is chosen
//!
//! As keystoneauth1 does:
//!
//! - Any domain information — a user or project domain, a domain scope, or
//!   `default_domain_id`/`default_domain_name` — rules out v2.0 (which has no domains): v3 is
//!   used. Asking for a domain or project domain with a server that offers only v2.0 fails with
//!   [`Error::DiscoveryFailure`] "Cannot use v2 authentication with domain scope".
//! - Otherwise the versions are tried **oldest first**: a server that lists both v2.0 and v3
//!   gets a v2.0 request. This is keystoneauth1's behaviour (FEATURES §16.17) and it is kept on
//!   purpose: without a domain, a v3 request by user or project *name* is refused by Keystone
//!   (names are only unique within a domain), while v2.0 accepts it; keystoneauth1 users who
//!   rely on that would break if v3 were preferred. Keystone has not offered v2.0 since Queens
//!   (2018), so on current clouds the discovery document lists only v3 and the choice is v3.
//!   Give a domain (or `default_domain_id`) to get v3 on an old cloud that offers both.
//! - If discovery fails (an HTTP error, a connection error, a document that is not a version
//!   list), an auth URL whose path starts or ends with `/v2.0` or `/v3` is used as that version
//!   (the "ends with" form, e.g. devstack's `/identity/v3`, is an extension over
//!   keystoneauth1, which only looks at the start of the path). Any other URL fails with
//!   [`Error::DiscoveryFailure`] naming the URL tried.
//!
//! ```
//! use keystoneauth_core::AuthPlugin;
//! use keystoneauth_generic::Password;
//!
//! let auth = Password::new("http://keystone.example:5000", "secret")
//!     .username("demo")
//!     .user_domain_id("default")
//!     .project_name("demo")
//!     .project_domain_id("default")
//!     .into_plugin();
//! assert_eq!(auth.auth_url().as_deref(), Some("http://keystone.example:5000"));
//! ```
//!
//! Registered as `password` and `token`, with keystoneauth1's options (including the deprecated
//! `tenant-id`/`tenant-name` aliases):
//!
//! ```
//! use keystoneauth_core::registry::{self, OptionValues};
//! assert!(keystoneauth_generic::password_options().iter().any(|o| o.name == "default-domain-id"));
//! let opts = OptionValues::new()
//!     .with("auth_url", "http://keystone.example:5000")
//!     .with("token", "gAAAA…")
//!     .with("tenant_name", "demo");
//! let plugin = registry::load("token", &opts).unwrap();
//! assert!(plugin.cache_id().is_some());
//! ```
//!
//! [`IdentityPlugin`]: keystoneauth_core::IdentityPlugin
//! [`Error::DiscoveryFailure`]: keystoneauth_core::Error::DiscoveryFailure
#![cfg_attr(docsrs, feature(doc_cfg))]

mod common;
mod discovery;
mod loaders;
mod password;
#[cfg(test)]
mod tests;
mod token;

pub use loaders::{password_from_options, password_options, token_from_options, token_options};
pub use password::Password;
pub use token::Token;

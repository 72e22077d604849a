//! Federation plugins for keystoneauth-rs: OpenID Connect (`oidc`), SAML2 ECP (`saml2`), ADFS
//! 2.0 WS-Trust (`adfs`), Keystone-to-Keystone (`k2k`) and WebSSO (`websso`), as
//! keystoneauth1's `v3oidc*`, `v3samlpassword`, `v3adfspassword`, `Keystone2Keystone` and
//! `v3websso`.
//!
//! A flow ([`UnscopedAuth`]) gets an unscoped federated token; [`Federated`] caches it, reuses
//! it while it is not within 120 s of expiry, and rescopes it with a v3 `token` method request
//! to the [`Scope`] you ask for.
//!
//! ```no_run
//! # #[cfg(feature = "oidc")]
//! # async fn demo() -> keystoneauth_core::Result<()> {
//! use std::sync::Arc;
//! use keystoneauth_core::Session;
//! use keystoneauth_federation::{oidc::OidcPassword, Federated, Scope};
//! let flow = OidcPassword::new("https://ks:5000/v3", "myidp", "openid", "cid", "alice", "pw")
//!     .client_secret("csecret")
//!     .discovery_endpoint("https://op.example/.well-known/openid-configuration");
//! let session = Session::new(Arc::new(Federated::new(flow, Scope::project_in_domain_id("demo", "default"))))?;
//! let _token = session.token().await?;
//! # Ok(()) }
//! ```
//!
//! The crate registers the loaders `v3oidcaccesstoken`, `v3oidcauthcode`,
//! `v3oidcclientcredentials`, `v3oidcpassword`, `v3oidcdeviceauthz`, `v3samlpassword` and
//! `v3adfspassword` and `v3websso`.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "adfs")]
pub mod adfs;
mod base;
#[cfg(feature = "k2k")]
pub mod k2k;
mod loader;
#[cfg(feature = "oidc")]
pub mod oidc;
#[cfg(feature = "saml2")]
pub mod saml2;
#[cfg(feature = "websso")]
pub mod websso;
#[cfg(any(feature = "saml2", feature = "adfs"))]
mod xml;

pub use base::{federated_token_url, CacheIdElements, Federated, FederatedAuth, UnscopedAuth};
pub use keystoneauth_identity_v3::{DomainRef, Scope, ScopeParams};
#[cfg(feature = "oidc")]
pub use oidc::OidcError;
#[cfg(feature = "saml2")]
pub use saml2::SamlError;
#[cfg(feature = "websso")]
pub use websso::WebSsoError;

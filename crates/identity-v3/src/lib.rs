//! Identity v3 plugins for keystoneauth-rs (keystoneauth1's `identity.v3`).
//!
//! - [`Auth`]: a token request made of [`AuthMethod`]s ([`PasswordMethod`], [`TokenMethod`],
//!   [`TotpMethod`], [`ReceiptMethod`], [`ApplicationCredentialMethod`],
//!   [`OAuth2ClientCredentialMethod`]) and a [`Scope`]; it is an
//!   [`Authenticator`](keystoneauth_core::Authenticator), and
//!   [`Auth::into_plugin`] gives a cached [`IdentityPlugin`](keystoneauth_core::IdentityPlugin).
//! - Ready-made plugins: [`Password`], [`Token`], [`Totp`], [`ApplicationCredential`],
//!   [`OAuth2ClientCredential`], [`OAuth2MtlsClientCredential`], [`MultiFactor`] and
//!   [`TokenlessAuth`].
//! - Loaders registered under keystoneauth1's names (`v3password`, `v3token`, `v3totp`,
//!   `v3applicationcredential`, `v3multifactor`, `v3oauth2clientcredential`,
//!   `v3oauth2mtlsclientcredential`, `v3tokenlessauth`); their option tables are in
//!   [`loaders`].
//!
//! ```no_run
//! # async fn demo() -> keystoneauth_core::Result<()> {
//! use std::sync::Arc;
//! use keystoneauth_core::{EndpointFilter, Session};
//! use keystoneauth_identity_v3::{Password, Scope};
//!
//! let auth = Password::new("https://keystone.example/v3", "secret")
//!     .username("demo")
//!     .user_domain_id("default")
//!     .scope(Scope::project_in_domain_id("demo", "default"))
//!     .into_plugin();
//! let session = Session::new(Arc::new(auth))?;
//! let projects = session
//!     .get("/projects")
//!     .endpoint_filter(EndpointFilter::service("identity"))
//!     .send()
//!     .await?;
//! # let _ = projects; Ok(()) }
//! ```
//!
//! Multi-factor authentication: a password alone for a user with MFA rules fails with
//! [`Error::MissingAuthMethods`](keystoneauth_core::Error::MissingAuthMethods), which carries
//! the receipt. Continue with a [`ReceiptMethod`] plus the missing method:
//!
//! ```no_run
//! # async fn demo(session: keystoneauth_core::Session) -> keystoneauth_core::Result<()> {
//! use keystoneauth_core::{Authenticator, Error};
//! use keystoneauth_identity_v3::{Password, ReceiptMethod, Totp};
//! let url = "https://keystone.example/v3";
//! match Password::new(url, "secret").user_id("u1").into_auth().authenticate(&session).await {
//!     Err(Error::MissingAuthMethods(m)) => {
//!         let auth = Totp::new(url, "123456").user_id("u1").into_auth()
//!             .with_method(ReceiptMethod::from_secret(m.receipt.clone()));
//!         let token = auth.authenticate(&session).await?;
//!         # let _ = token;
//!     }
//!     other => { other?; }
//! }
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
pub mod loaders;
mod method;
mod multifactor;
mod oauth2;
mod plugins;
mod tokenless;

pub use auth::{token_url, Auth, DomainRef, Scope, ScopeParams};
pub use method::{
    ApplicationCredentialMethod, AuthMethod, AuthRequest, OAuth2ClientCredentialMethod,
    PasswordMethod, ReceiptMethod, TokenMethod, TotpMethod, UserRef,
};
pub use multifactor::{method_for_plugin, MultiFactor, MULTI_FACTOR_METHODS};
pub use oauth2::{OAuth2ClientCredential, OAuth2MtlsClientCredential};
pub use plugins::{ApplicationCredential, Password, Token, Totp};
pub use tokenless::TokenlessAuth;

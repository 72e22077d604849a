//! Kerberos (GSSAPI / SPNEGO `Negotiate`) plugins: keystoneauth1's `extras.kerberos`.
//!
//! - [`Kerberos`]: the v3 `kerberos` method. `POST {auth_url}[/v3]/auth/tokens` with
//!   `{"methods": ["kerberos"], "kerberos": {}}`; the server (Apache `mod_auth_gssapi` in front
//!   of Keystone) answers `401 WWW-Authenticate: Negotiate`, the request is sent again with
//!   `Authorization: Negotiate <token>` for the service `HTTP@<host of the URL>`.
//! - [`MappedKerberos`]: federation. `GET {auth_url}/OS-FEDERATION/identity_providers/{idp}/
//!   protocols/{protocol}/auth` with the same dance gives an unscoped token, which is rescoped
//!   with a v3 `token` method request.
//! - Loaders `v3kerberos` and `v3fedkerb`, with `mutual-auth` = `required`, `optional`
//!   (default) or `disabled`.
//!
//! The ticket comes from the default credential cache (`KRB5CCNAME`, set up by `kinit`); the
//! Kerberos configuration from `KRB5_CONFIG`. The blocking GSSAPI calls run in
//! [`tokio::task::spawn_blocking`]. Neither plugin has a cache id (as keystoneauth1).
//!
//! ```no_run
//! # async fn demo() -> keystoneauth_core::Result<()> {
//! use std::sync::Arc;
//! use keystoneauth_core::Session;
//! use keystoneauth_extras::kerberos::{Kerberos, MutualAuth};
//! use keystoneauth_identity_v3::Scope;
//! // `kinit alice@EXAMPLE.COM` first.
//! let auth = Kerberos::new("https://keystone.example/krb/v3")
//!     .mutual_auth(MutualAuth::Required)
//!     .scope(Scope::project_in_domain_id("demo", "default"))
//!     .into_plugin();
//! let session = Session::new(Arc::new(auth))?;
//! let _token = session.token().await?;
//! # Ok(()) }
//! ```
//!
//! `negotiate` holds the SPNEGO exchange, `gssapi` the system library, `plugin` the plugins and
//! `loader` their loaders.

mod gssapi;
mod loader;
mod negotiate;
mod plugin;
#[cfg(test)]
mod tests;

pub use gssapi::GssapiTokenSource;
pub use loader::{kerberos_options, mapped_kerberos_options};
pub use negotiate::{
    parse_www_authenticate, MutualAuth, NegotiateChallenge, NegotiateContext, NegotiateTokenSource,
    MUTUAL_AUTH_ERROR,
};
pub use plugin::{Kerberos, KerberosMethod, MappedKerberos, MappedKerberosFlow};

/// A Kerberos / GSSAPI failure (no ticket, a refused token, failed mutual authentication). It
/// is the source of an [`Error::Plugin`](keystoneauth_core::Error::Plugin).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Kerberos: {message}")]
pub struct KerberosError {
    message: String,
}

impl KerberosError {
    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The [`Error`](keystoneauth_core::Error) for this failure.
    pub fn error(message: impl Into<String>) -> keystoneauth_core::Error {
        keystoneauth_core::Error::plugin(
            "kerberos",
            KerberosError {
                message: message.into(),
            },
        )
    }
}

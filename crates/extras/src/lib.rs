//! Extra plugins for keystoneauth-rs: OAuth 1.0a (`oauth1` feature) and Kerberos (`kerberos`
//! feature, GSSAPI through MIT krb5).
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "kerberos")]
pub mod kerberos;
#[cfg(feature = "oauth1")]
pub mod oauth1;

/// Referenced by the facade so this crate's plugin registrations are linked in.
#[doc(hidden)]
pub fn __link() {}

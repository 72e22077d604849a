//! ADFS 2.0 with a username and password (keystoneauth1's `v3adfspassword`).
//!
//! 1. `POST` a SOAP 1.2 WS-Trust 1.3 `RequestSecurityToken` (Issue, Bearer, a SAML 1.0
//!    assertion for the service provider) with a WS-Security `UsernameToken` to the ADFS
//!    endpoint (`identity_provider_url`, e.g. `https://adfs/adfs/services/trust/13/usernamemixed`).
//!    A SOAP fault in an HTTP 500 (a wrong password gives `a:FailedAuthentication`) becomes
//!    [`Error::AuthorizationFailure`] with the fault's subcode.
//! 2. Take the one `RequestSecurityTokenResponse` of the answer, rewrite its WS-Trust 1.3
//!    namespace to the WS-Trust 2005/02 one (what Shibboleth's ADFS handler reads) and `POST`
//!    it as `wa=wsignin1.0&wresult=…` to the service provider endpoint (e.g.
//!    `https://keystone/Shibboleth.sso/ADFS`), without following its redirect.
//! 3. The service provider sets its session cookie in the [`Session`]'s cookie jar; with it,
//!    `GET` the federated auth URL on Keystone for the unscoped token.
//!
//! Wrap it in [`Federated`](crate::Federated) to rescope. The XML sent escapes the
//! credentials; the XML received is parsed with limits (no DTD, bounded nesting and size).
//!
//! `password` holds the flow and its request, `wstrust` the WS-Trust text (values for the
//! request, the reading of ADFS's answer).
//!
//! [`Error::AuthorizationFailure`]: keystoneauth_core::Error::AuthorizationFailure
//! [`Session`]: keystoneauth_core::Session

#[doc(hidden)]
pub mod fuzzing;
mod password;
#[cfg(test)]
mod tests;
mod wstrust;

pub use password::AdfsPassword;

/// SOAP 1.2 envelope namespace.
pub const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// WS-Addressing 1.0.
pub const NS_WSA: &str = "http://www.w3.org/2005/08/addressing";
/// WS-Security utility (timestamps, ids).
pub const NS_WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
/// WS-Security extensions (`Security`, `UsernameToken`).
pub const NS_WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// WS-Trust 1.3, the namespace of the request and of ADFS's answer.
pub const NS_TRUST_13: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
/// WS-Trust 2005/02, the namespace the service provider is sent.
pub const NS_TRUST_2005: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust";
/// WS-Policy, for `AppliesTo`.
pub const NS_WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
/// The WS-Addressing action of a token request.
pub const ACTION_ISSUE: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue";
/// The content type of the request to ADFS.
pub const SOAP_CONTENT_TYPE: &str = "application/soap+xml; charset=utf-8";
/// The lifetime asked for the security token (keystoneauth1's
/// `DEFAULT_ADFS_TOKEN_EXPIRATION`).
pub const TOKEN_LIFETIME: time::Duration = time::Duration::seconds(120);

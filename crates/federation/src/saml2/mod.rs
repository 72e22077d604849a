//! SAML2 Enhanced Client or Proxy (ECP) with a username and password (`v3samlpassword`).
//!
//! 1. `GET` the federated auth URL with `Accept: application/vnd.paos+xml` and the `PAOS`
//!    header; the service provider (e.g. mod_auth_mellon) answers with a SOAP AuthnRequest.
//! 2. `POST` that envelope, without its SOAP Header, to the IdP's ECP URL with HTTP Basic.
//! 3. Check the IdP's SAML status (a wrong password comes back as HTTP 200 with a non-Success
//!    status: that gives [`Error::Unauthorized`]) and that the IdP's
//!    `AssertionConsumerServiceURL` equals the SP's `responseConsumerURL` (else a SOAP fault
//!    goes to the SP and the flow fails).
//! 4. Put the SP's RelayState in the IdP's SOAP header, `POST` it to the consumer URL with the
//!    PAOS content type, follow a 302/303 only to the SP's host, and read the token.
//!
//! XML is read with `roxmltree` (no DTD, no external entities, a node limit) and written as
//! text, so hostile XML gives an error, never a panic.
//!
//! `password` holds the flow, `ecp` the reading and writing of the SOAP/ECP messages.
//!
//! [`Error::Unauthorized`]: keystoneauth_core::Error::Unauthorized

mod ecp;
#[doc(hidden)]
pub mod fuzzing;
mod password;
#[cfg(test)]
mod tests;

pub use password::Saml2Password;

/// The PAOS media type.
pub const PAOS_CONTENT_TYPE: &str = "application/vnd.paos+xml";
/// The `PAOS` header value of an ECP request.
pub const PAOS_HEADER: &str =
    "ver=\"urn:liberty:paos:2003-08\";\"urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp\"";

const NS_SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const NS_ECP: &str = "urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp";
const NS_PAOS: &str = "urn:liberty:paos:2003-08";
const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// A SAML2 ECP failure: an answer of the identity provider or of the service provider that
/// could not be used. It is the source of an [`Error::Plugin`](keystoneauth_core::Error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SAML2: {message}")]
pub struct SamlError {
    message: String,
}

impl SamlError {
    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The [`Error`](keystoneauth_core::Error) for this failure.
    pub(crate) fn error(message: impl Into<String>) -> keystoneauth_core::Error {
        keystoneauth_core::Error::plugin(
            "saml2",
            SamlError {
                message: message.into(),
            },
        )
    }
}

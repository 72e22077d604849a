//! OAuth 1.0a for Keystone's OS-OAUTH1 API (RFC 5849), as keystoneauth1's `v3oauth1`.
//!
//! - [`V3OAuth1`]: get a project token with a consumer key/secret and an access key/secret.
//! - [`consumer`]: the steps that get there: request token, authorize, access token.
//! - [`sign`]: the RFC 5849 signature (HMAC-SHA1 as Keystone uses; HMAC-SHA256 too).
//!
//! ```
//! use keystoneauth_extras::oauth1::{sign, SignatureMethod};
//! // RFC 5849 section 1.2: the resource request.
//! let header = sign::authorization_header(&sign::Request {
//!     method: "GET",
//!     url: "http://photos.example.net/photos?file=vacation.jpg&size=original",
//!     form: &[],
//!     consumer_key: "dpf43f3p2l4k3l03",
//!     consumer_secret: "kd94hf93k423kf44",
//!     token: Some("nnch734d00sl2jdk"),
//!     token_secret: "pfkkdhi9sl3r4s00",
//!     extra_oauth: &[],
//!     method_kind: SignatureMethod::HmacSha1,
//!     timestamp: "137131202",
//!     nonce: "chapoH",
//!     realm: Some("Photos"),
//!     with_version: false,
//! }).unwrap();
//! assert!(header.contains(r#"oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D""#));
//! ```

pub mod consumer;
mod loader;
mod plugin;
pub mod sign;
#[cfg(test)]
mod tests;

pub use plugin::V3OAuth1;

/// Signature methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignatureMethod {
    /// `HMAC-SHA1` (what Keystone and keystoneauth1 use).
    #[default]
    HmacSha1,
    /// `HMAC-SHA256`.
    HmacSha256,
}

impl SignatureMethod {
    /// The `oauth_signature_method` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha1 => "HMAC-SHA1",
            SignatureMethod::HmacSha256 => "HMAC-SHA256",
        }
    }
}

/// `<auth_url>/v3`, whether or not the auth URL ends with `/v3`.
pub(crate) fn v3_base(auth_url: &str) -> String {
    let u = auth_url.trim_end_matches('/');
    if u.ends_with("/v3") {
        u.to_owned()
    } else {
        format!("{u}/v3")
    }
}

//! OpenID Connect plugins (keystoneauth1's `identity/v3/oidc.py`).
//!
//! Each flow gets an access token (or id token) from the OpenID provider, then sends it as
//! `Authorization: Bearer` to Keystone's federated auth URL to get an unscoped token; wrap a
//! flow in [`Federated`](crate::Federated) to rescope it.
//!
//! | flow | grant | keystoneauth1 loader |
//! |---|---|---|
//! | [`OidcPassword`] | `password` | `v3oidcpassword` |
//! | [`OidcClientCredentials`] | `client_credentials` | `v3oidcclientcredentials` |
//! | [`OidcAuthorizationCode`] | `authorization_code` | `v3oidcauthcode` |
//! | [`OidcDeviceAuthorization`] | RFC 8628 device code (+ PKCE) | `v3oidcdeviceauthz` |
//! | [`OidcAccessToken`] | none: a token you already have | `v3oidcaccesstoken` |
//!
//! The token endpoint is `access_token_endpoint` if given, else the discovery document's
//! `token_endpoint` (fetched once from `discovery_endpoint`). With a client secret the client
//! authenticates with HTTP Basic, else `client_id` goes in the form. Request bodies are never
//! logged.
//!
//! One file per grant; `client` holds what they share and `error` reads the provider's
//! refusals.

mod access_token;
mod authorization_code;
mod client;
mod client_credentials;
mod device;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod password;
mod pkce;

pub use error::OidcError;

pub use access_token::OidcAccessToken;
pub use authorization_code::OidcAuthorizationCode;
pub use client_credentials::OidcClientCredentials;
pub use device::{DeviceCode, DevicePrompt, OidcDeviceAuthorization, MAX_DEVICE_WAIT};
pub use password::{OidcPassword, OtpSource};
pub use pkce::Pkce;

/// Grant type of [`OidcPassword`].
pub const GRANT_PASSWORD: &str = "password";
/// Grant type of [`OidcClientCredentials`].
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
/// Grant type of [`OidcAuthorizationCode`].
pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
/// Grant type of [`OidcDeviceAuthorization`].
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";

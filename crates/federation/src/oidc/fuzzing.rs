//! The parsers of provider answers, for the fuzz targets in `fuzz/` (not part of the API).

use std::time::Duration;

use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::Response;

use super::client::OidcCommon;
use super::device::{parse_device_authorization, MAX_DEVICE_WAIT, MAX_POLL_INTERVAL};

/// A token endpoint's answer as the plugins read it: the token (`access_token`) of a
/// success, else the provider's error; either way the text a user would see.
pub fn token_response(resp: &Response) -> String {
    let common = OidcCommon::new("http://ks/v3".into(), "idp".into(), "openid".into());
    match common.token_from(resp) {
        Ok(t) => format!("token of {} bytes", t.expose_secret().len()),
        Err(e) => e.to_string(),
    }
}

/// A device authorization response: the user code and polling interval, or the error.
pub fn device_authorization(body: &[u8]) -> String {
    match parse_device_authorization(body) {
        Ok((code, _device_code, interval)) => {
            assert!(interval >= Duration::from_secs(1) && interval <= MAX_POLL_INTERVAL);
            assert!(code.expires_in <= MAX_DEVICE_WAIT);
            format!("{} at {}", code.user_code, code.verification_uri)
        }
        Err(e) => e.to_string(),
    }
}

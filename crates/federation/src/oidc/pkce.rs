//! PKCE (RFC 7636): a code verifier and its challenge, for the device authorization grant.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use keystoneauth_core::{Error, Result};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

use super::OidcError;

/// PKCE (RFC 7636): a verifier of 42 random bytes, and its challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pkce {
    /// `S256` or `plain`.
    pub method: String,
    /// URL-safe base64 of 42 random bytes, no padding (56 characters).
    pub verifier: String,
    /// `S256`: URL-safe base64 of SHA-256(verifier), no padding (43 characters).
    pub challenge: String,
}

impl Pkce {
    /// A fresh verifier and its challenge; `method` is `S256` or `plain`.
    ///
    /// ```
    /// let p = keystoneauth_federation::oidc::Pkce::new("S256").unwrap();
    /// assert_eq!((p.verifier.len(), p.challenge.len()), (56, 43));
    /// ```
    pub fn new(method: &str) -> Result<Self> {
        let mut bytes = [0u8; 42];
        rand::thread_rng().fill_bytes(&mut bytes);
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = match method {
            "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            "plain" => verifier.clone(),
            other => {
                return Err(Error::from(OidcError::InvalidCodeChallengeMethod(
                    other.into(),
                )))
            }
        };
        Ok(Pkce {
            method: method.into(),
            verifier,
            challenge,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_lengths_and_methods() {
        let p = Pkce::new("S256").unwrap();
        assert_eq!(p.verifier.len(), 56);
        assert_eq!(p.challenge.len(), 43);
        assert_eq!(
            p.challenge,
            URL_SAFE_NO_PAD.encode(Sha256::digest(p.verifier.as_bytes()))
        );
        assert!(!p.verifier.contains(['=', '+', '/']));
        let plain = Pkce::new("plain").unwrap();
        assert_eq!(plain.verifier, plain.challenge);
        let e = Pkce::new("S512").unwrap_err();
        assert!(matches!(
            e.plugin_error::<OidcError>(),
            Some(OidcError::InvalidCodeChallengeMethod(m)) if m == "S512"
        ));
    }
}

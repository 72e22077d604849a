//! The auth state keystoneauth1 saves and loads: `{"auth_token": …, "body": …}`.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::AccessInfo;
use crate::error::{Error, Result};

impl AccessInfo {
    /// The auth state as keystoneauth1 writes it: `{"auth_token": …, "body": …}`. The body is
    /// embedded as Keystone sent it (invalid UTF-8, if any, replaced), so every body that
    /// [`from_body`](Self::from_body) accepted round-trips through
    /// [`from_auth_state`](Self::from_auth_state).
    pub fn to_auth_state(&self) -> String {
        let token =
            serde_json::to_string(self.token.expose_secret()).unwrap_or_else(|_| "\"\"".to_owned());
        let body = String::from_utf8_lossy(&self.raw);
        let body = body.trim();
        // Sized once: the body may be tens of megabytes.
        let mut state = String::with_capacity(body.len() + token.len() + 28);
        state.push_str("{\"auth_token\": ");
        state.push_str(&token);
        state.push_str(", \"body\": ");
        state.push_str(body);
        state.push('}');
        state
    }

    /// Rebuild access info from [`to_auth_state`](Self::to_auth_state) output.
    pub fn from_auth_state(state: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct State<'a> {
            auth_token: String,
            #[serde(borrow)]
            body: &'a serde_json::value::RawValue,
        }
        let s: State<'_> = serde_json::from_str(state)
            .map_err(|e| Error::AuthState(format!("not a saved auth state: {e}")))?;
        Self::from_body(
            s.body.get().as_bytes(),
            Some(SecretString::from(s.auth_token)),
        )
        .map_err(|e| Error::AuthState(format!("its token body is not usable: {e}")))
    }
}

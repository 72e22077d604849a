//! [`OidcError`], the OpenID Connect errors (an [`Error::Plugin`] whose source is one), and
//! what an OpenID provider answers when it refuses: its OAuth 2.0 `error` and
//! `error_description`, or the text of its HTML error page.

use keystoneauth_core::{Error, Response};
use serde_json::Value;

/// The error an OpenID provider answered with: its OAuth 2.0 `error` and `error_description`
/// or, for a non-JSON page, the reason phrase and the page's text.
pub(super) fn provider_error(resp: &Response) -> Error {
    let status = resp.status().as_u16();
    let body = String::from_utf8_lossy(resp.bytes());
    let json: Option<Value> = serde_json::from_slice(resp.bytes()).ok();
    let (error, description) = match json
        .as_ref()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(|e| (v, e)))
    {
        Some((v, e)) => (
            e.to_owned(),
            v.get("error_description")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| shorten(&body)),
        ),
        None => (
            resp.status()
                .canonical_reason()
                .unwrap_or("HTTP error")
                .to_owned(),
            shorten(&strip_tags(&body)),
        ),
    };
    Error::from(OidcError::Provider {
        error,
        description,
        status,
    })
}

fn shorten(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s
    }
}

/// Text of an HTML page: tags, scripts and styles dropped.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(4096));
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push(' ');
        let after = &rest[i..];
        let lower: String = after
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let close = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        match after.to_ascii_lowercase().find(close) {
            Some(j) => rest = &after[j + close.len()..],
            None => {
                rest = "";
                break;
            }
        }
        if out.len() > 8192 {
            break;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_html() {
        let t = strip_tags("<html><head><style>a{}</style><script>x<y</script></head><body><h1>Bad</h1> request</body></html>");
        assert_eq!(shorten(&t), "Bad request");
    }
}

/// What went wrong talking to an identity provider (OIDC).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// No discovery endpoint was configured but one was needed.
    #[error("OpenID Connect Discovery Document endpoint not set.")]
    InvalidDiscoveryEndpoint,
    /// The discovery document was not valid JSON.
    #[error("OpenID Connect Discovery Document is not valid JSON: {0}")]
    InvalidDiscoveryDocument(String),
    /// No token endpoint known.
    #[error("OpenID Connect access token endpoint not provided.")]
    AccessTokenEndpointNotFound,
    /// No authorization endpoint known.
    #[error("OpenID Connect authorization endpoint not provided.")]
    AuthorizationEndpointNotFound,
    /// No device authorization endpoint known.
    #[error("OpenID Connect device authorization endpoint not provided.")]
    DeviceAuthorizationEndpointNotFound,
    /// The device code expired before the user approved it.
    #[error("Timeout for OpenID Connect device authorization.")]
    DeviceAuthorizationTimeOut,
    /// Unsupported PKCE method.
    #[error("Invalid code challenge method: {0}")]
    InvalidCodeChallengeMethod(String),
    /// The provider does not support the grant type.
    #[error("OpenID Connect grant type not supported by provider: {0}")]
    PluginNotSupported(String),
    /// The provider answered with an OAuth 2.0 error.
    #[error("identity provider error {error}: {description}")]
    Provider {
        /// The `error` code, e.g. `invalid_grant`.
        error: String,
        /// The `error_description`, or the body text when there was none.
        description: String,
        /// HTTP status of the answer.
        status: u16,
    },
}

impl From<OidcError> for Error {
    fn from(e: OidcError) -> Self {
        Error::plugin("oidc", e)
    }
}

//! Choosing the identity version (keystoneauth1's `BaseGenericPlugin._do_create_plugin`):
//! fetch the discovery document at the auth URL, try its versions, or fall back on the version
//! the URL's path names.

use std::sync::Arc;

use keystoneauth_core::discover::Discover;
use keystoneauth_core::version::Part;
use keystoneauth_core::{Authenticator, Error, Result, Session};

use crate::common::Common;

/// keystoneauth1's message when domain information meets a v2.0-only server.
const V2_DOMAIN_MESSAGE: &str = "Cannot use v2 authentication with domain scope";
const NO_ENDPOINTS_MESSAGE: &str = "Could not find versioned identity endpoints when attempting \
to authenticate. Please check that your auth_url is correct.";

/// The identity API major versions the generic plugins can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Major {
    V2,
    V3,
}

/// True for the failures keystoneauth1 treats as "discovery did not work": discovery
/// failures, HTTP errors and connection errors.
fn is_discovery_error(e: &Error) -> bool {
    e.http().is_some()
        || matches!(
            e,
            Error::DiscoveryFailure { .. }
                | Error::ConnectFailure { .. }
                | Error::ConnectTimeout { .. }
                | Error::SslError { .. }
                | Error::UnknownConnectionError { .. }
                | Error::InvalidResponse(_)
        )
}

/// `GET` the discovery document without authentication. (Not [`Discover::fetch`]: on a 401 it
/// retries with the session's plugin, which may be this very plugin, busy getting its token.)
async fn fetch_discovery(session: &Session, url: &str) -> Result<Discover> {
    let resp = session
        .get(url)
        .header("Accept", "application/json")
        .authenticated(false)
        .raise_exc(false)
        .send()
        .await?;
    if resp.status().as_u16() >= 400 {
        return Err(resp.to_error(&keystoneauth_core::http::Method::GET));
    }
    Discover::parse_response(url, resp.bytes(), resp.headers())
}

/// The version the auth URL names: path starting (keystoneauth1) or ending with `/v2.0`, `/v3`.
fn version_from_path(auth_url: &str) -> Option<Major> {
    let path = url::Url::parse(auth_url)
        .map(|u| u.path().to_ascii_lowercase())
        .unwrap_or_default();
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if path.starts_with("/v2.0") || last == "v2.0" {
        Some(Major::V2)
    } else if path.starts_with("/v3") || last == "v3" {
        Some(Major::V3)
    } else {
        None
    }
}

fn discovery_failure(message: impl Into<String>, url: &str) -> Error {
    Error::DiscoveryFailure {
        message: message.into(),
        url: Some(url.to_owned()),
    }
}

/// Discover the versions at the auth URL and build the first plugin `create` accepts
/// (keystoneauth1's `BaseGenericPlugin._do_create_plugin`).
pub(crate) async fn discover_and_create<F>(
    session: &Session,
    common: &Common,
    create: F,
) -> Result<Arc<dyn Authenticator>>
where
    F: Fn(Major, &str) -> Result<Option<Arc<dyn Authenticator>>>,
{
    let url = common.auth_url.as_str();
    let plugin = match fetch_discovery(session, url).await {
        Err(e) if is_discovery_error(&e) => {
            tracing::warn!(
                target: "keystoneauth::identity::generic",
                error = %e,
                "Failed to discover available identity versions when contacting {url}. \
                 Attempting to parse version from URL."
            );
            match version_from_path(url) {
                Some(Major::V2) => {
                    if common.has_domain_scope() {
                        return Err(discovery_failure(V2_DOMAIN_MESSAGE, url));
                    }
                    create(Major::V2, url)?
                }
                Some(Major::V3) => create(Major::V3, url)?,
                None => {
                    return Err(discovery_failure(
                        format!("{NO_ENDPOINTS_MESSAGE} Discovery at {url} failed: {e}"),
                        url,
                    ))
                }
            }
        }
        Err(e) => return Err(e),
        Ok(disc) => {
            let mut versions: Vec<_> = disc.versions().iter().collect();
            if common.has_default_domain() {
                versions.reverse();
            }
            let mut v2_with_domain_scope = false;
            let mut found = None;
            for v in versions {
                let major = match v.version.major() {
                    Part::Num(2) => Major::V2,
                    Part::Num(3) => Major::V3,
                    _ => continue,
                };
                if major == Major::V2 && common.has_domain_scope() {
                    v2_with_domain_scope = true;
                    continue;
                }
                if let Some(p) = create(major, &v.url)? {
                    tracing::debug!(
                        target: "keystoneauth::identity::generic",
                        version = %v.version, url = %v.url, "chose identity version"
                    );
                    found = Some(p);
                    break;
                }
            }
            if found.is_none() && v2_with_domain_scope {
                return Err(discovery_failure(V2_DOMAIN_MESSAGE, url));
            }
            found
        }
    };
    plugin.ok_or_else(|| {
        discovery_failure(
            format!("{NO_ENDPOINTS_MESSAGE} No usable identity version at {url}."),
            url,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_path_rules() {
        assert_eq!(version_from_path("http://k:5000/v2.0"), Some(Major::V2));
        assert_eq!(version_from_path("http://k:5000/V3/"), Some(Major::V3));
        assert_eq!(version_from_path("http://k/identity/v3"), Some(Major::V3));
        assert_eq!(version_from_path("http://k/identity_v2.0"), None);
        assert_eq!(version_from_path("http://k:5000/"), None);
        assert_eq!(version_from_path("http://k:5000"), None);
    }
}

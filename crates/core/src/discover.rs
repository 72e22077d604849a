//! Version discovery: parse root and version documents, pick a version, find the URL.
//!
//! ```
//! use keystoneauth_core::discover::Discover;
//! use keystoneauth_core::version::{Version, VersionRange};
//! let body = br#"{"versions": {"values": [{"id": "v3.14", "status": "stable",
//!   "links": [{"rel": "self", "href": "http://127.0.0.1:5000/v3/"}]}]}}"#;
//! let disc = Discover::parse("http://127.0.0.1:5000/", body).unwrap();
//! let range = VersionRange::from_args(Some("3"), None, None).unwrap();
//! let v = disc.versioned_data_for(None, &range).unwrap();
//! assert_eq!(v.version, Version::new(3, 14));
//! assert_eq!(v.url, "http://127.0.0.1:5000/v3/");
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::catalog::EndpointFilter;
use crate::catalog::{EndpointData, Interface, ServiceCatalog};
use crate::error::{Error, Result};
use crate::session::Session;
use crate::version::{version_from_url, Part, Version, VersionRange};

/// One version a service offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionData {
    /// The version (`3.14`).
    pub version: Version,
    /// Its URL (`self` link).
    pub url: String,
    /// The `collection` link, if any.
    pub collection: Option<String>,
    /// Lowest microversion.
    pub min_microversion: Option<Version>,
    /// Highest microversion.
    pub max_microversion: Option<Version>,
    /// `next_min_version`.
    pub next_min_version: Option<Version>,
    /// `not_before`.
    pub not_before: Option<String>,
    /// `CURRENT`, `SUPPORTED`, `DEPRECATED`, `EXPERIMENTAL` or `UNKNOWN`.
    pub status: String,
    /// The status as the server wrote it.
    pub raw_status: String,
}

/// The versions a service offers, from one discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discover {
    url: String,
    versions: Vec<VersionData>,
}

fn normalize_status(raw: &str) -> &'static str {
    match raw.to_ascii_lowercase().as_str() {
        "stable" | "current" => "CURRENT",
        "supported" => "SUPPORTED",
        "deprecated" => "DEPRECATED",
        "experimental" => "EXPERIMENTAL",
        _ => "UNKNOWN",
    }
}

fn opt_version(v: Option<&Value>) -> Option<Version> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .and_then(|s| Version::parse(s).ok())
}

/// Resolve a link from a discovery document against the document's URL.
///
/// The result always has the discovery URL's scheme, host and port, as in keystoneauth1:
/// - a link on the same host and port keeps its path, but not its scheme (a service behind a
///   TLS-terminating proxy advertises `http://` links on the proxy's https port; following the
///   link's scheme would send the token in clear text);
/// - a link naming another host (services advertising internal addresses) gives its last path
///   segment, the version, appended to the discovery URL's path.
pub fn combine_relative_url(discovery_url: &str, href: &str) -> String {
    let base_str = format!("{}/", discovery_url.trim_end_matches('/'));
    let Ok(base) = url::Url::parse(&base_str) else {
        return href.to_owned();
    };
    let Ok(joined) = base.join(href) else {
        return href.to_owned();
    };
    // The same "netloc" as keystoneauth1 compares: host and the port as written (a scheme's
    // default port is no port), whatever the schemes.
    if joined.host_str() == base.host_str() && joined.port() == base.port() {
        let mut out = base;
        out.set_path(joined.path());
        out.set_query(joined.query());
        out.set_fragment(joined.fragment());
        return out.to_string();
    }
    let last = joined
        .path_segments()
        .and_then(|mut s| s.rfind(|x| !x.is_empty()).map(str::to_owned))
        .unwrap_or_default();
    let mut path = base.path().trim_end_matches('/').to_owned();
    if !last.is_empty() && !path.ends_with(&format!("/{last}")) {
        path = format!("{path}/{last}");
    }
    if href.ends_with('/') {
        path.push('/');
    }
    let mut out = base.clone();
    out.set_path(&path);
    out.set_query(joined.query());
    out.set_fragment(joined.fragment());
    out.to_string()
}

/// Microversion bounds that a service sends in headers rather than in its version document
/// (older Ironic: `X-OpenStack-Ironic-API-Minimum-Version`, `…-Maximum-Version`). Any
/// `X-OpenStack-…-API-Minimum-Version` / `…-API-Maximum-Version` counts, as in keystoneauth1.
fn header_microversions(headers: &http::HeaderMap) -> (Option<&str>, Option<&str>) {
    let (mut min, mut max) = (None, None);
    for (name, value) in headers {
        // Header names are lower case in an `http::HeaderMap`.
        let name = name.as_str();
        if !name.starts_with("x-openstack") {
            continue;
        }
        let Ok(value) = value.to_str() else {
            continue;
        };
        if name.ends_with("api-minimum-version") {
            min.get_or_insert(value.trim());
        } else if name.ends_with("api-maximum-version") {
            max.get_or_insert(value.trim());
        }
    }
    (min, max)
}

impl Discover {
    /// Parse a discovery document fetched from `url`.
    pub fn parse(url: &str, body: &[u8]) -> Result<Discover> {
        Self::parse_response(url, body, &http::HeaderMap::new())
    }

    /// Parse a discovery document fetched from `url`, with the response's headers.
    ///
    /// A bare version document (an object with an `id`, as older Ironic answers
    /// `GET /v1/`) that lacks `min_version` or `version` takes them from
    /// `X-OpenStack-…-API-Minimum-Version` and `X-OpenStack-…-API-Maximum-Version`, as
    /// keystoneauth1 does. Values in the body win.
    ///
    /// ```
    /// use keystoneauth_core::discover::Discover;
    /// use keystoneauth_core::version::Version;
    /// let mut headers = keystoneauth_core::http::HeaderMap::new();
    /// headers.insert("X-OpenStack-Ironic-API-Minimum-Version", "1.1".parse().unwrap());
    /// headers.insert("X-OpenStack-Ironic-API-Maximum-Version", "1.31".parse().unwrap());
    /// let body = br#"{"id": "v1", "links": [{"rel": "self", "href": "http://ironic/v1/"}]}"#;
    /// let d = Discover::parse_response("http://ironic/v1/", body, &headers).unwrap();
    /// assert_eq!(d.versions()[0].min_microversion, Some(Version::new(1, 1)));
    /// assert_eq!(d.versions()[0].max_microversion, Some(Version::new(1, 31)));
    /// ```
    pub fn parse_response(url: &str, body: &[u8], headers: &http::HeaderMap) -> Result<Discover> {
        let v: Value = serde_json::from_slice(body).map_err(|e| {
            Error::discovery(format!("Invalid Response - not JSON: {e}"), Some(url))
        })?;
        if v.is_array() {
            return Err(Error::discovery(
                "Invalid Response - List returned instead of dict",
                Some(url),
            ));
        }
        let entries: Vec<Value> = if let Some(values) = v
            .get("versions")
            .and_then(|x| x.get("values"))
            .and_then(Value::as_array)
        {
            values.clone()
        } else if let Some(list) = v.get("versions").and_then(Value::as_array) {
            list.clone()
        } else if let Some(one) = v.get("version").filter(|x| x.is_object()) {
            vec![one.clone()]
        } else if v.get("id").is_some() {
            let mut one = v.clone();
            if let Some(o) = one.as_object_mut() {
                o.entry("status").or_insert(Value::String("CURRENT".into()));
                let (min, max) = header_microversions(headers);
                if let Some(min) = min {
                    o.entry("min_version").or_insert(min.into());
                }
                if let Some(max) = max {
                    o.entry("version").or_insert(max.into());
                }
            }
            vec![one]
        } else {
            let text = String::from_utf8_lossy(body);
            return Err(Error::discovery(
                format!(
                    "Invalid Response - Bad version data returned: {}...",
                    text.chars().take(50).collect::<String>()
                ),
                Some(url),
            ));
        };
        let mut versions = Vec::new();
        for e in entries {
            let Some(id) = e.get("id").and_then(Value::as_str) else {
                continue;
            };
            let Ok(version) = Version::parse(id) else {
                continue;
            };
            let raw_status = e.get("status").and_then(Value::as_str).unwrap_or("");
            let status = normalize_status(raw_status);
            if !matches!(status, "CURRENT" | "SUPPORTED" | "DEPRECATED") {
                continue;
            }
            let links = e.get("links").and_then(Value::as_array);
            let link = |rel: &str| {
                links.and_then(|l| {
                    l.iter().find_map(|x| {
                        let r = x.get("rel").and_then(Value::as_str)?;
                        if r.eq_ignore_ascii_case(rel) {
                            x.get("href").and_then(Value::as_str)
                        } else {
                            None
                        }
                    })
                })
            };
            let Some(self_href) = link("self") else {
                continue;
            };
            versions.push(VersionData {
                version,
                url: combine_relative_url(url, self_href),
                collection: link("collection").map(|h| combine_relative_url(url, h)),
                min_microversion: opt_version(e.get("min_version")),
                max_microversion: opt_version(e.get("max_version"))
                    .or_else(|| opt_version(e.get("version"))),
                next_min_version: opt_version(e.get("next_min_version")),
                not_before: e
                    .get("not_before")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                status: status.to_owned(),
                raw_status: raw_status.to_owned(),
            });
        }
        versions.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(Discover {
            url: url.to_owned(),
            versions,
        })
    }

    /// Fetch (or take from the session's cache) the document at `url`.
    ///
    /// The first `GET` is unauthenticated; on a 401 it is sent once more with the session's
    /// auth plugin (keystoneauth1's `get_discovery`). A plugin that discovers versions while
    /// getting its own token, with a session whose plugin is itself, gets
    /// `Error::AuthorizationFailure` from that retry (the token cache sees the plugin ask for
    /// its own token) rather than the document; such a plugin sends an unauthenticated
    /// request (`.authenticated(false)`) and [`Discover::parse`]s its body, as the generic
    /// plugins do.
    pub async fn fetch(session: &Session, url: &str) -> Result<Arc<Discover>> {
        let key = url.trim_end_matches('/');
        if let Some(d) = session.discovery_cache_get(key) {
            return Ok(d);
        }
        let resp = session
            .get(url)
            .header("Accept", "application/json")
            .authenticated(false)
            .raise_exc(false)
            .send()
            .await?;
        let resp = if resp.status().as_u16() == 401 && session.auth().is_some() {
            session
                .get(url)
                .header("Accept", "application/json")
                .authenticated(true)
                .raise_exc(false)
                .send()
                .await?
        } else {
            resp
        };
        let code = resp.status().as_u16();
        if code >= 400 {
            return Err(resp.to_error(&http::Method::GET));
        }
        let d = Arc::new(Discover::parse_response(url, resp.bytes(), resp.headers())?);
        session.discovery_cache_put(key, d.clone());
        Ok(d)
    }

    /// The URL the document came from.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The versions, oldest first.
    pub fn versions(&self) -> &[VersionData] {
        &self.versions
    }

    /// The newest version matching `url` (its self link) or the range (keystoneauth1's
    /// `versioned_data_for`).
    pub fn versioned_data_for(
        &self,
        url: Option<&str>,
        range: &VersionRange,
    ) -> Option<&VersionData> {
        let newest_first = || self.versions.iter().rev();
        if range.max.as_ref().is_some_and(Version::is_latest)
            && range.min.as_ref().is_none_or(Version::is_latest)
        {
            return newest_first().next();
        }
        if range.is_empty() && url.is_none() {
            return newest_first().next();
        }
        let norm = |u: &str| format!("{}/", u.trim_end_matches('/'));
        for v in newest_first() {
            if let Some(u) = url {
                if norm(&v.url) == norm(u) {
                    return Some(v);
                }
            }
            if let Some(min) = &range.min {
                if min.latest_soft_match(&v.version) {
                    return Some(v);
                }
            }
            if !range.is_empty() && range.contains(&v.version) {
                return Some(v);
            }
        }
        if range.is_empty() && url.is_some() {
            return newest_first().next();
        }
        None
    }
}

struct UrlChoices {
    choices: Vec<String>,
    saved_project_id: Option<String>,
    catalog_matches_exactly: bool,
    catalog_matches_version: bool,
}

fn is_version_segment(s: &str) -> Option<Version> {
    if s.starts_with('v') {
        Version::parse(s).ok()
    } else {
        None
    }
}

/// True if a URL path segment is the project id: the id itself, or the id behind a Swift
/// reseller prefix (`AUTH_<id>`, `SERVICE_<id>`). A segment that merely contains the id, or
/// ends with it without such a prefix, is not.
fn is_project_segment(segment: &str, project_id: &str) -> bool {
    if project_id.is_empty() {
        return false;
    }
    if segment == project_id {
        return true;
    }
    segment
        .strip_suffix(project_id)
        .and_then(|rest| rest.strip_suffix('_'))
        .is_some_and(|prefix| {
            !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// `url` without a trailing slash, and without its last path segment when that segment is the
/// project id ([`is_project_segment`]).
fn without_project_segment(url: &str, project_id: Option<&str>) -> String {
    let trimmed = url.trim_end_matches('/');
    let Some(pid) = project_id else {
        return trimmed.to_owned();
    };
    let Ok(parsed) = url::Url::parse(trimmed) else {
        return trimmed.to_owned();
    };
    let last = parsed
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|last| is_project_segment(last, pid));
    match last.and_then(|last| trimmed.strip_suffix(last)) {
        Some(base) if base.ends_with('/') && parsed.query().is_none() => {
            base.trim_end_matches('/').to_owned()
        }
        _ => trimmed.to_owned(),
    }
}

fn discovery_url_choices(
    catalog_url: &str,
    project_id: Option<&str>,
    range: &VersionRange,
    allow_version_hack: bool,
) -> UrlChoices {
    let mut out = UrlChoices {
        choices: Vec::new(),
        saved_project_id: None,
        catalog_matches_exactly: false,
        catalog_matches_version: false,
    };
    let trimmed = catalog_url.trim_end_matches('/');
    let Ok(mut u) = url::Url::parse(trimmed) else {
        out.choices.push(catalog_url.to_owned());
        return out;
    };
    let mut segs: Vec<String> = u
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    match project_id {
        Some(pid) if segs.last().is_some_and(|s| is_project_segment(s, pid)) => {
            out.saved_project_id = segs.pop();
        }
        None if segs.len() >= 2 && is_version_segment(&segs[segs.len() - 2]).is_some() => {
            out.saved_project_id = segs.pop();
        }
        _ => {}
    }
    let mut versioned_discovery = None;
    let mut catalog_discovery = None;
    let mut yielded_catalog_discovery = false;
    if let Some(url_version) = segs.last().and_then(|s| is_version_segment(s)) {
        u.set_path(&format!("/{}", segs.join("/")));
        let versioned = u.to_string();
        versioned_discovery = Some(versioned.clone());
        let is_between = range.min.is_some() && range.max.is_some() && range.contains(&url_version);
        if let Some(max) = range.max.as_ref().filter(|_| is_between) {
            let exact = max.major() == url_version.major();
            let high = max.minor() != Part::Latest && max.matches(&url_version);
            out.catalog_matches_version = true;
            out.catalog_matches_exactly = exact;
            let cd = format!("{}/", versioned.trim_end_matches('/'));
            if exact || high {
                out.choices.push(cd.clone());
                yielded_catalog_discovery = true;
            }
            catalog_discovery = Some(cd);
        } else if range.is_empty() {
            out.catalog_matches_version = true;
        }
        segs.pop();
    }
    if allow_version_hack {
        u.set_path(&format!("/{}", segs.join("/")));
        let hacked = format!("{}/", u.as_str().trim_end_matches('/'));
        if hacked.trim_end_matches('/') != catalog_url.trim_end_matches('/') {
            out.choices.push(hacked);
        }
        if let (Some(cd), false) = (catalog_discovery, yielded_catalog_discovery) {
            out.choices.push(cd);
        }
    } else if let (Some(vd), Some(_)) = (versioned_discovery, &out.saved_project_id) {
        out.choices.push(vd);
    }
    out.choices.push(catalog_url.to_owned());
    let mut seen = std::collections::HashSet::new();
    out.choices
        .retain(|c| seen.insert(c.trim_end_matches('/').to_owned()));
    out
}

/// Apply version discovery to catalog endpoint data (keystoneauth1's `get_versioned_data`).
pub async fn versioned_data(
    session: &Session,
    data: &EndpointData,
    filter: &EndpointFilter,
    project_id: Option<&str>,
) -> Result<EndpointData> {
    let range = &filter.version;
    let choices = discovery_url_choices(
        &data.catalog_url,
        project_id,
        range,
        !filter.no_version_hack,
    );
    if choices.catalog_matches_exactly && !filter.discover_versions {
        let mut d = data.clone();
        d.api_version = version_from_url(&data.catalog_url);
        return Ok(d);
    }
    let mut found: Option<Arc<Discover>> = None;
    for url in &choices.choices {
        match Discover::fetch(session, url).await {
            Ok(d) => {
                found = Some(d);
                break;
            }
            Err(e) => {
                tracing::debug!(target: "keystoneauth::discover", url = %url, error = %e, "no discovery document")
            }
        }
    }
    let Some(disc) = found else {
        if choices.catalog_matches_version {
            let mut d = data.clone();
            d.service_url = Some(data.catalog_url.clone());
            return Ok(d);
        }
        if !filter.no_version_hack {
            tracing::warn!(
                target: "keystoneauth::discover",
                "Failed to contact the endpoint at {} for discovery. Fallback to using that endpoint as the base url.",
                data.catalog_url
            );
            return Ok(data.clone());
        }
        let show = |v: &Option<Version>| {
            v.as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "any".into())
        };
        return Err(Error::discovery(
            format!(
                "Unable to find a version discovery document at {}, the service is unavailable or misconfigured. Required version range ({} - {}), version hack disabled.",
                data.catalog_url,
                show(&range.min),
                show(&range.max)
            ),
            Some(&data.catalog_url),
        ));
    };
    let match_url = if range.is_empty() {
        Some(data.catalog_url.as_str())
    } else {
        None
    };
    let Some(m) = disc.versioned_data_for(match_url, range) else {
        let msg = match (&range.min, &range.max) {
            (Some(a), Some(b)) if b.is_latest() => format!("Minimum version {a} was not found"),
            (None, Some(b)) => format!("Maximum version {b} was not found"),
            (Some(a), Some(b)) => format!("No version found between {a} and {b}"),
            _ => "No version data found remotely at all".to_owned(),
        };
        return Err(Error::discovery(msg, Some(disc.url())));
    };
    let mut d = data.clone();
    d.api_version = Some(m.version.clone());
    d.min_microversion = m.min_microversion.clone();
    d.max_microversion = m.max_microversion.clone();
    d.next_min_version = m.next_min_version.clone();
    d.not_before = m.not_before.clone();
    d.status = Some(m.status.clone());
    let mut service_url = combine_relative_url(disc.url(), &m.url);
    if let Some(pid) = &choices.saved_project_id {
        service_url = format!("{}/{}", service_url.trim_end_matches('/'), pid);
    }
    d.service_url = Some(service_url);
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls() {
        assert_eq!(
            combine_relative_url(
                "https://public.example.com/compute",
                "http://internal:8774/v2.1/"
            ),
            "https://public.example.com/compute/v2.1/"
        );
        assert_eq!(
            combine_relative_url("http://host/admin", "v2"),
            "http://host/admin/v2"
        );
        assert_eq!(
            combine_relative_url("https://k:5000/identity", "/v3"),
            "https://k:5000/v3"
        );
        // Same host and port: the link's path, the discovery URL's scheme, both ways.
        assert_eq!(
            combine_relative_url("https://c:8774/compute", "http://c:8774/compute/v2.1/"),
            "https://c:8774/compute/v2.1/"
        );
        assert_eq!(
            combine_relative_url("http://c:8774/compute", "https://c:8774/compute/v2.1/"),
            "http://c:8774/compute/v2.1/"
        );
    }

    #[test]
    fn url_choices() {
        let r = VersionRange::from_args(None, Some("2"), Some("2.latest")).unwrap();
        let c = discovery_url_choices("http://n:8774/v2.1/PROJ", Some("PROJ"), &r, true);
        assert_eq!(c.choices[0], "http://n:8774/v2.1/");
        assert_eq!(c.choices[1], "http://n:8774/");
        assert!(c.catalog_matches_exactly);
        assert_eq!(c.saved_project_id.as_deref(), Some("PROJ"));
        let c = discovery_url_choices("http://k:5000/v2.0", None, &VersionRange::default(), true);
        assert_eq!(c.choices, vec!["http://k:5000/", "http://k:5000/v2.0"]);
        // Swift's `AUTH_<project id>` is the project's segment: taken off, the versioned URL
        // is tried first.
        let c = discovery_url_choices(
            "http://s:8080/v1/AUTH_abc",
            Some("abc"),
            &VersionRange::default(),
            false,
        );
        assert_eq!(c.saved_project_id.as_deref(), Some("AUTH_abc"));
        assert_eq!(
            c.choices,
            vec!["http://s:8080/v1", "http://s:8080/v1/AUTH_abc"]
        );
        let c = discovery_url_choices(
            "http://s:8080/v1/AUTH_abc",
            Some("abc"),
            &VersionRange::default(),
            true,
        );
        assert_eq!(
            c.choices,
            vec!["http://s:8080/", "http://s:8080/v1/AUTH_abc"]
        );
        // A segment that only ends with the id is not the project's.
        let c = discovery_url_choices(
            "http://s:8080/v1/xabc",
            Some("abc"),
            &VersionRange::default(),
            false,
        );
        assert_eq!(c.saved_project_id, None);
    }

    /// Issue 22, case 4: the project id is removed as a whole path segment.
    #[test]
    fn project_segments() {
        assert!(is_project_segment("abc", "abc"));
        assert!(is_project_segment("AUTH_abc", "abc"));
        assert!(is_project_segment("SERVICE_abc", "abc"));
        for other in ["xabc", "_abc", "AUTH-abc", "abcd", "AUTH_abcd", "a/b_abc"] {
            assert!(!is_project_segment(other, "abc"), "{other}");
        }
        assert!(!is_project_segment("abc", ""));
        let strip = |u: &str, p: Option<&str>| without_project_segment(u, p);
        assert_eq!(
            strip("http://swift:8080/v1/AUTH_abc", Some("abc")),
            "http://swift:8080/v1"
        );
        assert_eq!(
            strip("http://swift:8080/v1/AUTH_abc/", Some("abc")),
            "http://swift:8080/v1"
        );
        assert_eq!(strip("http://n/v2.1/abc", Some("abc")), "http://n/v2.1");
        // A segment that only ends with the id stays whole (keystoneauth1 drops it).
        assert_eq!(strip("http://n/v1/xabc", Some("abc")), "http://n/v1/xabc");
        assert_eq!(strip("http://abc", Some("abc")), "http://abc");
        assert_eq!(strip("http://n/v1/AUTH_abc", None), "http://n/v1/AUTH_abc");
    }

    /// docs/keystoneauth1-differences.md §16.16: without a project id, the last path segment
    /// is taken for one whenever the segment before it is a `v`-prefixed version.
    #[test]
    fn url_choices_without_a_project_id_guess_one_after_a_version() {
        let none = VersionRange::default();
        let c = discovery_url_choices("http://s:8080/v1/AUTH_abc", None, &none, true);
        assert_eq!(c.saved_project_id.as_deref(), Some("AUTH_abc"));
        assert_eq!(
            c.choices,
            vec!["http://s:8080/", "http://s:8080/v1/AUTH_abc"]
        );
        // Any segment after a version, even one that is not a project id.
        let c = discovery_url_choices("http://g:9292/v2/images", None, &none, true);
        assert_eq!(c.saved_project_id.as_deref(), Some("images"));
        // A known project id that is not the last segment: nothing is popped.
        let c = discovery_url_choices("http://g:9292/v2/images", Some("p1"), &none, true);
        assert_eq!(c.saved_project_id, None);
        // Versions without the `v` are not versions here.
        let c = discovery_url_choices("http://h/2.0/tail", None, &none, true);
        assert_eq!(c.saved_project_id, None);
    }

    #[test]
    fn bad_documents_are_discovery_failures() {
        for body in [&b"[]"[..], b"{}", b"not json", br#"{"versions": 3}"#] {
            assert!(matches!(
                Discover::parse("http://x/", body),
                Err(Error::DiscoveryFailure { .. })
            ));
        }
    }
}

/// The versions every catalog endpoint offers, by region, interface and service type (the
/// official name where one is known: `volumev3` → `block-storage`), as keystoneauth1's
/// `get_all_version_data` returns them. Endpoints without a region are under `""`.
pub type AllVersionData = BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<VersionData>>>>;

/// How many discovery requests [`all_version_data`] makes at most, unless
/// [`VersionQuery::max_requests`] says otherwise: a catalog of 2,000 services (a hostile or
/// a very large cloud) would otherwise fire 2,000 requests or more. The endpoints past the
/// bound get the version their URL names, with status `UNKNOWN`, and one warning says how
/// many were not asked.
pub const MAX_DISCOVERY_REQUESTS: usize = 50;

/// How many discovery requests [`all_version_data`] has in flight at once.
const DISCOVERY_CONCURRENCY: usize = 8;

/// Which catalog endpoints [`all_version_data`] asks for their versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionQuery {
    /// Interface (default `public`).
    pub interface: Option<Interface>,
    /// Only this region.
    pub region_name: Option<String>,
    /// Only this service type (or one of its aliases).
    pub service_type: Option<String>,
    /// At most this many discovery requests (default [`MAX_DISCOVERY_REQUESTS`];
    /// `Some(usize::MAX)`: every endpoint, as keystoneauth1 asks them).
    pub max_requests: Option<usize>,
}

/// Ask every endpoint of the catalog that the query selects for its versions (keystoneauth1's
/// `get_all_version_data`), a few at a time, in catalog order, and at most
/// [`VersionQuery::max_requests`] requests in all ([`MAX_DISCOVERY_REQUESTS`] by default;
/// keystoneauth1 has no bound). An endpoint whose discovery document cannot be had, or that
/// is past the bound, gets one version inferred from its URL (`…/v2.1/…` → 2.1, status
/// `UNKNOWN`), or none when its URL names no version; a failure is logged at debug level, as
/// keystoneauth1 does, and the bound, when reached, with one warning. `project_id` is taken
/// off the end of a URL before discovery.
pub async fn all_version_data(
    session: &Session,
    catalog: &ServiceCatalog,
    project_id: Option<&str>,
    query: &VersionQuery,
) -> AllVersionData {
    let interface = query.interface.clone().unwrap_or(Interface::Public);
    let matcher = query
        .service_type
        .as_deref()
        .map(crate::service_types::TypeMatcher::new);
    let mut wanted = Vec::new();
    for svc in catalog.services() {
        if matcher
            .as_ref()
            .is_some_and(|m| !m.matches(&svc.service_type))
        {
            continue;
        }
        let service_type = crate::service_types::official(&svc.service_type)
            .map(str::to_owned)
            .unwrap_or_else(|| svc.service_type.clone());
        for ep in &svc.endpoints {
            if ep.interface != interface {
                continue;
            }
            if let Some(want) = &query.region_name {
                if ep.region.as_deref() != Some(want.as_str()) {
                    continue;
                }
            }
            wanted.push((
                ep.region.clone().unwrap_or_default(),
                ep.interface.as_str().to_owned(),
                service_type.clone(),
                ep.url.clone(),
            ));
        }
    }
    let budget = Budget {
        left: std::sync::atomic::AtomicUsize::new(
            query.max_requests.unwrap_or(MAX_DISCOVERY_REQUESTS),
        ),
        not_asked: std::sync::atomic::AtomicUsize::new(0),
    };
    let found: Vec<Vec<VersionData>> = {
        use futures::stream::StreamExt as _;
        futures::stream::iter(
            wanted
                .iter()
                .map(|(_, _, _, url)| endpoint_versions(session, url, project_id, &budget)),
        )
        .buffered(DISCOVERY_CONCURRENCY)
        .collect()
        .await
    };
    let not_asked = budget.not_asked.into_inner();
    if not_asked > 0 {
        let max = query.max_requests.unwrap_or(MAX_DISCOVERY_REQUESTS);
        tracing::warn!(
            target: "keystoneauth::discover",
            "{not_asked} of {} endpoints were not asked for their versions: at most {max} \
             discovery requests are made (their versions are taken from their URLs, status \
             UNKNOWN); narrow the query to a service or a region, or raise the bound",
            wanted.len()
        );
    }
    let mut out = AllVersionData::new();
    for ((region, interface, service_type, _), versions) in wanted.into_iter().zip(found) {
        out.entry(region)
            .or_default()
            .entry(interface)
            .or_default()
            .entry(service_type)
            .or_default()
            .extend(versions);
    }
    out
}

/// What [`all_version_data`] may still ask: requests left, and endpoints that got none.
struct Budget {
    left: std::sync::atomic::AtomicUsize,
    not_asked: std::sync::atomic::AtomicUsize,
}

impl Budget {
    /// Take one request; false when none is left.
    fn take(&self) -> bool {
        use std::sync::atomic::Ordering;
        self.left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// The versions one endpoint offers: from the first discovery document found among its
/// discovery URLs (each attempt taken from `budget`), else inferred from its URL.
async fn endpoint_versions(
    session: &Session,
    catalog_url: &str,
    project_id: Option<&str>,
    budget: &Budget,
) -> Vec<VersionData> {
    let choices = discovery_url_choices(catalog_url, project_id, &VersionRange::default(), true);
    for (i, url) in choices.choices.iter().enumerate() {
        if !budget.take() {
            if i == 0 {
                budget
                    .not_asked
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            break;
        }
        match Discover::fetch(session, url).await {
            // As keystoneauth1's `version_string_data`: no EXPERIMENTAL or unknown versions
            // (`Discover::parse` leaves them out), URLs already absolute.
            Ok(d) => return d.versions().to_vec(),
            Err(e) => tracing::debug!(
                target: "keystoneauth::discover",
                "Failed attempt at discovery on {url}: {e}"
            ),
        }
    }
    // The project id goes as a whole segment (`/v1/AUTH_<id>` → `/v1`), never as a substring.
    let url = without_project_segment(catalog_url, project_id);
    match version_from_url(&url) {
        Some(version) => vec![VersionData {
            version,
            url: format!("{url}/"),
            collection: None,
            min_microversion: None,
            max_microversion: None,
            next_min_version: None,
            not_before: None,
            status: "UNKNOWN".into(),
            raw_status: String::new(),
        }],
        None => Vec::new(),
    }
}

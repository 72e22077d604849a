//! openstacksdk's built-in vendor profiles, and URL profiles.
//!
//! A cloud in clouds.yaml may name a profile (`profile: vexxhost`, or the older `cloud:`): the
//! profile's settings are the cloud's defaults. openstacksdk looks the name up in
//! `clouds-public.yaml` first (`public-clouds:`), then in the profiles it ships
//! (`openstack/config/vendors/*.json` and `*.yaml`). The same profiles, with the same names
//! and values, are shipped here as data ([`names`], [`builtin`]); the file records the
//! openstacksdk version they were taken from ([`SOURCE`]).
//!
//! A profile named by a URL (`profile: https://example.com`), and a built-in profile whose
//! data is itself such a URL (`vexxhost`, `ovh`), is fetched from
//! `<scheme>://<host>/.well-known/openstack/api` when the configuration is loaded, as
//! openstacksdk does: the document is `{"name": …, "profile": {…}}`, and a built-in profile of
//! that name is laid over the fetched one. The request has a [`FETCH_TIMEOUT`] limit (5 s;
//! openstacksdk's is 10 s) and uses the system's CA roots. Any failure (unreachable, a timeout, an error status, not
//! JSON, not that shape) is [`Error::Config`] naming the profile and the URL.
//!
//! ```
//! use keystoneauth_loading::vendors;
//! assert!(vendors::names().contains(&"vexxhost"));
//! let citycloud = vendors::builtin("citycloud").unwrap();
//! assert_eq!(citycloud["auth"]["auth_url"], "https://{region_name}.citycloud.com:5000/v3/");
//! assert_eq!(vendors::builtin("vexxhost").unwrap()["profile"], "https://vexxhost.com");
//! ```

use std::sync::OnceLock;
use std::time::Duration;

use keystoneauth_core::{Error, Result};
use serde_json::{Map, Value};

/// The profiles as shipped: `{"source": …, "vendors": {name: profile}}`.
const VENDORS_JSON: &str = include_str!("../data/vendors.json");

/// The openstacksdk release the built-in profiles were taken from (its
/// `openstack/config/vendors/*.json` and `*.yaml`).
pub const SOURCE: &str = "openstacksdk 4.22.0";

/// How long fetching a URL profile may take, connection included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest `.well-known/openstack/api` document read: 1 MiB.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

fn vendors() -> &'static Map<String, Value> {
    static VENDORS: OnceLock<Map<String, Value>> = OnceLock::new();
    VENDORS.get_or_init(|| {
        // The file is part of the crate and tested (`every_vendor_parses`); an empty map is
        // the only alternative to a panic.
        serde_json::from_str::<Value>(VENDORS_JSON)
            .ok()
            .and_then(|mut v| match v.get_mut("vendors").map(Value::take) {
                Some(Value::Object(m)) => Some(m),
                _ => None,
            })
            .unwrap_or_default()
    })
}

/// The names of the built-in profiles, sorted.
pub fn names() -> Vec<&'static str> {
    vendors().keys().map(String::as_str).collect()
}

/// A built-in profile's settings, as openstacksdk ships them (with its `status` and `message`,
/// and, for a URL profile, only `profile: <url>`).
pub fn builtin(name: &str) -> Option<&'static Map<String, Value>> {
    vendors().get(name).and_then(Value::as_object)
}

/// `scheme` and `host[:port]` of a profile name that is a URL (`https://vexxhost.com`), as
/// Python's `urllib.parse.urlparse` finds a scheme and a network location; `None` for a plain
/// name.
pub fn url_parts(name: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = name.split_once("://")?;
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let netloc = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (scheme_ok && !netloc.is_empty()).then_some((scheme, netloc))
}

/// The `.well-known` URL of a URL profile: `<scheme>://<netloc>/.well-known/openstack/api`.
pub fn well_known_url(profile_url: &str) -> Option<String> {
    url_parts(profile_url)
        .map(|(scheme, netloc)| format!("{scheme}://{netloc}/.well-known/openstack/api"))
}

/// A profile by name, as openstacksdk's `vendors.get_profile` finds it: a built-in profile
/// (a copy), else, for a URL, the document fetched from its `.well-known` URL with the
/// built-in profile of the document's name laid over it and `profile` removed. `Ok(None)`
/// when the name is neither.
pub fn get_profile(name: &str) -> Result<Option<Map<String, Value>>> {
    if let Some(p) = builtin(name) {
        return Ok(Some(p.clone()));
    }
    let Some(url) = well_known_url(name) else {
        return Ok(None);
    };
    let doc = fetch(name, &url)?;
    let fetched_name = doc.get("name").and_then(Value::as_str);
    let Some(Value::Object(fetched)) = doc.get("profile") else {
        return Err(Error::Config(format!(
            "vendor profile {name}: {url} has no `profile` mapping"
        )));
    };
    let mut profile = Value::Object(fetched.clone());
    if let Some(local) = fetched_name.and_then(builtin) {
        crate::clouds::merge(&mut profile, Value::Object(local.clone()));
    }
    let mut profile = match profile {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    profile.remove("profile");
    Ok(Some(profile))
}

/// GET the `.well-known` document of a URL profile.
fn fetch(name: &str, url: &str) -> Result<Map<String, Value>> {
    let failed = |why: String| {
        Error::Config(format!(
            "vendor profile {name} could not be fetched from {url}: {why}"
        ))
    };
    let session = keystoneauth_core::SessionBuilder::default()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .max_body_size(MAX_DOCUMENT_BYTES)
        .build()?;
    let session = keystoneauth_core::blocking::Session::new(session)?;
    tracing::debug!(target: "keystoneauth::loading", "fetching vendor profile {name} from {url}");
    let resp = session
        .get(url)
        .with(|r| r.authenticated(false).timeout(FETCH_TIMEOUT))
        .send()
        .map_err(|e| match e {
            Error::ConnectTimeout { .. } => {
                failed(format!("no answer within {} s", FETCH_TIMEOUT.as_secs()))
            }
            e => failed(e.to_string()),
        })?;
    match resp.json::<Value>() {
        Ok(Value::Object(doc)) => Ok(doc),
        Ok(_) => Err(failed("the document is not a JSON object".into())),
        Err(_) => Err(failed("the document is not JSON".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendor_parses() {
        let all: Value = serde_json::from_str(VENDORS_JSON).unwrap();
        assert!(all["source"].as_str().unwrap().starts_with(SOURCE));
        let names = names();
        assert_eq!(names.len(), 25, "{names:?}");
        for name in &names {
            let p = builtin(name).unwrap();
            assert!(!p.is_empty(), "{name}");
            // Every profile is either a URL profile or has settings of its own.
            match p.get("profile") {
                Some(url) => assert!(url_parts(url.as_str().unwrap()).is_some(), "{name}"),
                None => assert!(
                    p.contains_key("auth") || p.contains_key("region_name"),
                    "{name}"
                ),
            }
        }
        // The ones openstacksdk 4.22.0 has.
        for name in [
            "auro",
            "betacloud",
            "binero",
            "bluebox",
            "catalyst",
            "citycloud",
            "conoha",
            "dreamcompute",
            "elastx",
            "entercloudsuite",
            "fuga",
            "ibmcloud",
            "internap",
            "limestonenetworks",
            "otc",
            "otc-swiss",
            "ovh",
            "ovh-us",
            "rackspace",
            "switchcloud",
            "switchengines",
            "ultimum",
            "unitedstack",
            "vexxhost",
            "zetta",
        ] {
            assert!(builtin(name).is_some(), "{name}");
        }
        assert_eq!(
            builtin("limestonenetworks").unwrap()["regions"][0]["name"],
            "us-dfw-1"
        );
        assert_eq!(builtin("betacloud").unwrap()["status"], "shutdown");
    }

    #[test]
    fn url_profiles_are_recognised_as_urlparse_does() {
        assert_eq!(
            url_parts("https://vexxhost.com"),
            Some(("https", "vexxhost.com"))
        );
        assert_eq!(
            well_known_url("http://127.0.0.1:8080/some/path?x").as_deref(),
            Some("http://127.0.0.1:8080/.well-known/openstack/api")
        );
        for plain in ["vexxhost", "", "https://", "1http://x", "/etc/x", "http:x"] {
            assert_eq!(url_parts(plain), None, "{plain}");
        }
        assert!(get_profile("no-such-vendor").unwrap().is_none());
    }
}

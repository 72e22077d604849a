//! A cloud's profile (`profile:` or `cloud:`): from clouds-public.yaml, the built-in vendor
//! profiles or a URL, applied under the cloud's own settings.

use std::path::PathBuf;

use keystoneauth_core::{Error, Result};
use serde_json::{Map, Value};

use super::merge::{norm_key, scalar_to_string, tag_all};
use super::{auth_update, CloudLayer, CloudsFile, ResolvedCloud};
use crate::{regions, vendors};

impl CloudsFile {
    /// One cloud as openstacksdk builds it (`_get_base_cloud_config`): the settings of its
    /// profile (`profile:`, or the older `cloud:`), then its own on top, `auth` merged key by
    /// key and any other key replaced.
    ///
    /// The profile is looked up in clouds-public.yaml (`public-clouds:`), then among the
    /// [built-in vendor profiles](crate::vendors), then, for a URL, fetched from its
    /// `.well-known/openstack/api`. A built-in profile that is itself a URL (`vexxhost`,
    /// `ovh`) is fetched too. A profile marked `deprecated` is a warning, one marked
    /// `shutdown` an error, and a profile found nowhere a warning (the cloud's own settings are
    /// used), as in openstacksdk.
    pub fn resolve(&self, name: &str) -> Result<ResolvedCloud> {
        let cloud = self.clouds().and_then(|m| m.get(name)).ok_or_else(|| {
            let names = self.cloud_names();
            Error::Config(format!(
                "cloud {name} was not found ({}); clouds found: {}",
                self.describe_files(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        })?;
        let own = match cloud {
            Value::Object(m) => m.clone(),
            Value::Null => Map::new(),
            _ => {
                return Err(Error::Config(format!(
                    "cloud {name} in {} is not a mapping",
                    self.describe_files()
                )))
            }
        };
        let mut out = ResolvedCloud {
            name: name.to_owned(),
            ..Default::default()
        };
        let mut config = Map::new();
        let mut origins = Map::new();
        let mut profile_settings = Map::new();
        if let Some((profile, key)) = ["profile", "cloud"]
            .iter()
            .find_map(|k| own.get(*k).and_then(scalar_to_string).map(|p| (p, *k)))
            .filter(|(p, _)| !p.is_empty())
        {
            if key == "cloud" {
                tracing::warn!(
                    target: "keystoneauth::loading",
                    "cloud {name} uses the keyword 'cloud' to reference a known vendor profile; \
                     this has been deprecated in favor of the 'profile' keyword"
                );
            }
            let (defaults, source) = self.profile(name, &profile)?;
            profile_settings = defaults.clone();
            auth_update(&mut origins, tag_all(&defaults, CloudLayer::Profile));
            auth_update(&mut config, defaults);
            out.profile = Some(profile);
            out.profile_source = Some(source);
        }
        out.regions = regions::known(name, &own, &profile_settings)?;
        auth_update(&mut origins, self.own_origins(name, &own));
        auth_update(&mut config, own);
        config.remove("cloud");
        origins.remove("cloud");
        out.config = config;
        out.origins = origins;
        Ok(out)
    }

    /// The origins of a cloud's own settings `own` (in the shape of
    /// [`ResolvedCloud::origins`]): secure.yaml for those it has, clouds.yaml for the others.
    fn own_origins(&self, name: &str, own: &Map<String, Value>) -> Map<String, Value> {
        let secure = self
            .secure
            .get("clouds")
            .and_then(|c| c.get(name))
            .and_then(Value::as_object);
        let in_secure = |path: &[&str]| {
            let mut v = secure;
            for key in path.iter().take(path.len().saturating_sub(1)) {
                v = v.and_then(|m| m.get(*key)).and_then(Value::as_object);
            }
            path.last()
                .is_some_and(|last| v.is_some_and(|m| m.contains_key(*last)))
        };
        let layer = |path: &[&str]| {
            let l = if in_secure(path) {
                CloudLayer::SecureYaml
            } else {
                CloudLayer::CloudsYaml
            };
            Value::String(l.as_str().to_owned())
        };
        own.iter()
            .map(|(k, v)| {
                let tagged = match v {
                    Value::Object(auth) if norm_key(k) == "auth" => Value::Object(
                        auth.keys()
                            .map(|ak| (ak.clone(), layer(&[k, ak])))
                            .collect(),
                    ),
                    _ => layer(&[k]),
                };
                (k.clone(), tagged)
            })
            .collect()
    }

    /// The settings of profile `profile` for cloud `cloud`, and where they were found.
    fn profile(&self, cloud: &str, profile: &str) -> Result<(Map<String, Value>, ProfileSource)> {
        if let Some(p) = self.public_profile(profile) {
            let path = self.public_path.clone().unwrap_or_default();
            return Ok((p.clone(), ProfileSource::PublicFile(path)));
        }
        let fetch = |name: &str| -> Result<Option<Map<String, Value>>> {
            match (vendors::builtin(name), vendors::well_known_url(name)) {
                (None, Some(url)) if self.offline => Err(Error::Config(format!(
                    "vendor profile {name} is fetched from {url}, and fetching is turned off \
                     (CloudsFile::offline)"
                ))),
                _ => vendors::get_profile(name),
            }
        };
        let Some(mut data) = fetch(profile)? else {
            tracing::warn!(
                target: "keystoneauth::loading",
                "Couldn't find the vendor profile {profile} for the cloud {cloud}"
            );
            return Ok((Map::new(), ProfileSource::NotFound));
        };
        let mut source = if vendors::builtin(profile).is_some() {
            ProfileSource::Builtin
        } else {
            ProfileSource::Url(profile.to_owned())
        };
        if let Some(nested) = data.remove("profile").as_ref().and_then(scalar_to_string) {
            if let Some(nested_data) = fetch(&nested)? {
                data = nested_data;
                if vendors::builtin(&nested).is_none() {
                    source = ProfileSource::Url(nested);
                }
            }
        }
        let status = data.remove("status");
        let message = data
            .remove("message")
            .as_ref()
            .and_then(scalar_to_string)
            .unwrap_or_default();
        match status.as_ref().and_then(Value::as_str) {
            Some("deprecated") => tracing::warn!(
                target: "keystoneauth::loading",
                "{profile} is deprecated: {message}"
            ),
            Some("shutdown") => {
                return Err(Error::Config(format!(
                    "{profile} references a cloud that no longer exists: {message}"
                )))
            }
            _ => {}
        }
        Ok((data, source))
    }

    /// The settings of profile `name` under `public-clouds:` in clouds-public.yaml.
    fn public_profile(&self, name: &str) -> Option<&Map<String, Value>> {
        self.public
            .get("public-clouds")
            .and_then(|p| p.get(name))
            .and_then(Value::as_object)
    }
}

/// Where a cloud's profile was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileSource {
    /// Under `public-clouds:` in this clouds-public.yaml.
    PublicFile(PathBuf),
    /// Among the [built-in vendor profiles](crate::vendors).
    Builtin,
    /// Fetched from this URL profile's `.well-known/openstack/api`.
    Url(String),
    /// Nowhere: the cloud's own settings are used alone (a warning is logged).
    NotFound,
}

//! Merging documents, applying a profile and a region to a cloud, and flattening it into
//! text settings.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::ProfileSource;
use crate::regions::Region;

/// Merge `over` into `base`: mappings merge key by key (recursively), anything else replaces.
pub fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// One cloud with its profile applied, before it is flattened (see
/// [`CloudsFile::resolve`](super::CloudsFile::resolve)).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedCloud {
    /// The cloud's name.
    pub name: String,
    /// Its settings: the profile's, then its own (`auth` merged key by key).
    pub config: Map<String, Value>,
    /// The profile it names, if any.
    pub profile: Option<String>,
    /// Where that profile was found.
    pub profile_source: Option<ProfileSource>,
    /// The regions it knows, the default first (see [`regions::known`](crate::regions::known)).
    pub regions: Vec<Region>,
    /// Where each of `config`'s values came from, in its shape: every key (and every key of
    /// its `auth` mapping) holds the [`CloudLayer::as_str`] of the layer whose value won.
    pub origins: Map<String, Value>,
}

impl ResolvedCloud {
    /// [`flatten_in`](Self::flatten_in) its default region (the first it knows).
    pub fn flatten(&self) -> FlatCloud {
        self.flatten_in(self.regions.first())
    }

    /// The settings in `region` as text, keys normalised (`-` → `_`): the region's `values`
    /// over the cloud's settings (`auth` key by key), `region_name` set to the region's name;
    /// top-level scalars (a list of scalars becomes a comma-separated list), and the scalars
    /// of the `auth` block. `regions` itself is left out.
    ///
    /// [`FlatCloud::settings_from`] and [`FlatCloud::auth_from`] say where each value came
    /// from; a region's values and name come from where the cloud's regions were written.
    pub fn flatten_in(&self, region: Option<&Region>) -> FlatCloud {
        let mut flat = flatten(
            self.config.clone(),
            region.map(|r| (r.name.clone(), r.values.clone())),
        );
        let layer = self.regions_layer();
        let tags = flatten(
            self.origins.clone(),
            region.map(|r| (layer.as_str().to_owned(), tag_all(&r.values, layer))),
        );
        let typed = |m: BTreeMap<String, String>| {
            m.into_iter()
                .filter_map(|(k, t)| Some((k, CloudLayer::from_tag(&t)?)))
                .collect()
        };
        flat.settings_from = typed(tags.settings);
        flat.auth_from = typed(tags.auth);
        flat
    }

    /// Where the cloud's regions came from, as [`regions::known`](crate::regions::known)
    /// finds them: its own `regions`, else its own `region_name`, else its profile.
    fn regions_layer(&self) -> CloudLayer {
        let own = |key: &str| {
            self.origins
                .iter()
                .rev()
                .find(|(k, _)| norm_key(k) == key)
                .and_then(|(_, t)| t.as_str().and_then(CloudLayer::from_tag))
                .filter(|l| *l != CloudLayer::Profile)
        };
        own("regions")
            .or_else(|| own("region_name"))
            .unwrap_or(CloudLayer::Profile)
    }
}

/// Which part of a cloud's configuration a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum CloudLayer {
    /// clouds.yaml ([`CloudsFile::path`](super::CloudsFile::path)).
    CloudsYaml,
    /// secure.yaml ([`CloudsFile::secure_path`](super::CloudsFile::secure_path)).
    SecureYaml,
    /// The cloud's profile ([`ResolvedCloud::profile_source`] says where it was found).
    Profile,
}

impl CloudLayer {
    /// `clouds.yaml`, `secure.yaml` or `profile`.
    pub fn as_str(self) -> &'static str {
        match self {
            CloudLayer::CloudsYaml => "clouds.yaml",
            CloudLayer::SecureYaml => "secure.yaml",
            CloudLayer::Profile => "profile",
        }
    }

    fn from_tag(tag: &str) -> Option<CloudLayer> {
        [
            CloudLayer::CloudsYaml,
            CloudLayer::SecureYaml,
            CloudLayer::Profile,
        ]
        .into_iter()
        .find(|l| l.as_str() == tag)
    }
}

/// `settings` in the shape [`ResolvedCloud::origins`] has, every value `layer`: the keys of an
/// `auth` mapping one by one, any other value as a whole.
pub(super) fn tag_all(settings: &Map<String, Value>, layer: CloudLayer) -> Map<String, Value> {
    let tag = || Value::String(layer.as_str().to_owned());
    settings
        .iter()
        .map(|(k, v)| {
            let tagged = match v {
                Value::Object(auth) if norm_key(k) == "auth" => {
                    Value::Object(auth.keys().map(|ak| (ak.clone(), tag())).collect())
                }
                _ => tag(),
            };
            (k.clone(), tagged)
        })
        .collect()
}

/// [`ResolvedCloud::flatten_in`] on `config` (its values, or its origins), with a region's
/// name and values.
fn flatten(
    mut config: Map<String, Value>,
    region: Option<(String, Map<String, Value>)>,
) -> FlatCloud {
    config.retain(|k, _| norm_key(k) != "regions");
    if let Some((name, values)) = region {
        auth_update(&mut config, values);
        config.retain(|k, _| norm_key(k) != "region_name");
        config.insert("region_name".into(), Value::String(name));
    }
    let mut flat = FlatCloud::default();
    for (k, v) in &config {
        let key = norm_key(k);
        if key == "auth" {
            if let Value::Object(auth) = v {
                for (ak, av) in auth {
                    if let Some(av) = value_to_string(av) {
                        flat.auth.insert(norm_key(ak), av);
                    }
                }
            }
        } else if let Some(v) = value_to_string(v) {
            flat.settings.insert(key, v);
        }
    }
    // openstacksdk's `_fix_backwards_auth`: these are auth settings wherever they are
    // written, and the top level wins over `auth:` (and a later spelling over an earlier
    // one).
    for (target, spellings) in AUTH_SPELLINGS {
        let mut value = None;
        for k in *spellings {
            if let Some(v) = flat.auth.remove(*k) {
                value = Some(v);
            }
            if let Some(v) = flat.settings.remove(*k) {
                value = Some(v);
            }
        }
        if let Some(v) = value {
            flat.auth.insert((*target).to_owned(), v);
        }
    }
    flat
}

/// Settings that belong to `auth` wherever they are written, each with its spellings (keys
/// already normalised), as openstacksdk's `_fix_backwards_auth` lists them.
const AUTH_SPELLINGS: &[(&str, &[&str])] = &[
    ("domain_id", &["domain_id"]),
    ("domain_name", &["domain_name"]),
    ("user_domain_id", &["user_domain_id"]),
    ("user_domain_name", &["user_domain_name"]),
    ("project_domain_id", &["project_domain_id"]),
    ("project_domain_name", &["project_domain_name"]),
    ("token", &["auth_token", "token"]),
    ("passcode", &["passcode"]),
    ("project_id", &["tenant_id", "project_id"]),
    ("project_name", &["tenant_name", "project_name"]),
];

/// openstacksdk's `_auth_update`: `new` over `old`, the `auth` mapping merged key by key (one
/// level), any other key replaced.
pub fn auth_update(old: &mut Map<String, Value>, new: Map<String, Value>) {
    for (k, v) in new {
        match (k.as_str(), old.get_mut(&k), v) {
            ("auth", Some(Value::Object(o)), Value::Object(n)) => o.extend(n),
            (_, _, v) => {
                old.insert(k, v);
            }
        }
    }
}

/// One cloud's settings with keys normalised (`-` → `_`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlatCloud {
    /// Top-level scalar settings (`region_name`, `interface`, `verify`, …).
    pub settings: BTreeMap<String, String>,
    /// The `auth` block.
    pub auth: BTreeMap<String, String>,
    /// Where each of `settings` came from ([`ResolvedCloud::flatten_in`] fills it).
    pub settings_from: BTreeMap<String, CloudLayer>,
    /// Where each of `auth` came from ([`ResolvedCloud::flatten_in`] fills it).
    pub auth_from: BTreeMap<String, CloudLayer>,
}

/// `-` → `_`, lower case.
pub(crate) fn norm_key(k: &str) -> String {
    k.trim().replace('-', "_").to_ascii_lowercase()
}

pub(super) fn scalar_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Scalars as text; sequences of scalars as a comma-separated list (as JSON when an item
/// holds a comma: `OptionValues::get_list` reads both); mappings as JSON; nulls: none.
fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::Array(items)
            if items
                .iter()
                .any(|i| i.as_str().is_some_and(|s| s.contains(','))) =>
        {
            Some(v.to_string())
        }
        Value::Object(_) => Some(v.to_string()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(scalar_to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        other => scalar_to_string(other),
    }
}

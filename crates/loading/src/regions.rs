//! A cloud's regions, as openstacksdk reads them from clouds.yaml.
//!
//! A cloud lists its regions with `regions:`, each entry a name or a mapping with a `name` and
//! optional `values` (settings that apply in that region only, over the cloud's own):
//!
//! ```yaml
//! clouds:
//!   mycloud:
//!     auth: {auth_url: https://keystone.example.com/v3}
//!     regions:
//!       - RegionOne
//!       - name: RegionTwo
//!         values:
//!           interface: internal
//!           auth: {auth_url: https://keystone.two.example.com/v3}
//! ```
//!
//! The cloud's known regions are its `regions:`, else its `region_name` (a comma-separated
//! `region_name` is split, with a deprecation warning, as openstacksdk does), else those of its
//! profile (`regions:`, else `region_name`). The region asked for (`--os-region-name`,
//! `OS_REGION_NAME`, an explicit `region_name`) picks an entry by its exact name, and an
//! unknown name is [`Error::Config`] naming the known ones; with none asked for, the first
//! entry is the default. A cloud that knows no region takes the region asked for as it is.

use keystoneauth_core::{Error, Result};
use serde_json::{Map, Value};

/// One region of a cloud: its name and the settings that apply there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Region {
    /// The region's name.
    pub name: String,
    /// Settings for this region (`values:`), laid over the cloud's (`auth` key by key).
    pub values: Map<String, Value>,
}

/// The entries of a `regions:` list: names, or `{name: …, values: {…}}` mappings (a mapping
/// with other keys, or without `name`, is an error, as in openstacksdk).
pub fn expand(cloud: &str, regions: &Value) -> Result<Vec<Region>> {
    let Value::Array(items) = regions else {
        return Err(Error::Config(format!(
            "cloud {cloud}: `regions` must be a list of region names or of {{name, values}} \
             mappings"
        )));
    };
    items
        .iter()
        .map(|item| match item {
            Value::Object(m) => {
                let name = m.get("name").and_then(scalar);
                let only_known = m.keys().all(|k| k == "name" || k == "values");
                let values = match m.get("values") {
                    None | Some(Value::Null) => Some(Map::new()),
                    Some(Value::Object(v)) => Some(v.clone()),
                    Some(_) => None,
                };
                match (name, values) {
                    (Some(name), Some(values)) if only_known => Ok(Region { name, values }),
                    _ => Err(Error::Config(format!(
                        "cloud {cloud}: invalid region entry: a region is a name or a mapping \
                         with `name` and optional `values` (a mapping) only; found the keys {}",
                        m.keys().cloned().collect::<Vec<_>>().join(", ")
                    ))),
                }
            }
            other => Ok(Region {
                name: scalar(other).unwrap_or_default(),
                values: Map::new(),
            }),
        })
        .collect()
}

/// The regions a cloud knows (openstacksdk's `_get_known_regions`): from its own settings
/// `own` (`regions`, else `region_name`), else from its profile's (`regions`, else a single
/// `region_name`). Keys of `own` are compared with `-` read as `_`.
pub fn known(
    cloud: &str,
    own: &Map<String, Value>,
    profile: &Map<String, Value>,
) -> Result<Vec<Region>> {
    let get = |m: &Map<String, Value>, key: &str| -> Option<Value> {
        m.iter()
            .rev()
            .find(|(k, _)| k.replace('-', "_") == key)
            .map(|(_, v)| v.clone())
    };
    if let Some(r) = get(own, "regions") {
        return expand(cloud, &r);
    }
    if let Some(r) = get(own, "region_name") {
        let names: Vec<Value> = match r {
            Value::Array(a) => a,
            other => scalar(&other)
                .unwrap_or_default()
                .split(',')
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        };
        if names.len() > 1 {
            tracing::warn!(
                target: "keystoneauth::loading",
                "cloud {cloud}: comma-separated lists in region_name are deprecated; use a \
                 list in regions: instead"
            );
        }
        return expand(cloud, &Value::Array(names));
    }
    // Only the profile's own spelling counts here, as in openstacksdk.
    match profile.get("regions") {
        Some(r) if !matches!(r, Value::Null) && r.as_array().is_none_or(|a| !a.is_empty()) => {
            expand(cloud, r)
        }
        _ => Ok(profile
            .get("region_name")
            .and_then(scalar)
            .filter(|n| !n.is_empty())
            .map(|name| Region {
                name,
                values: Map::new(),
            })
            .into_iter()
            .collect()),
    }
}

/// The region to use (openstacksdk's `_get_region`): the one named `requested` (it must be
/// known when the cloud knows any), else the first known one, else none.
pub fn select(cloud: &str, known: &[Region], requested: Option<&str>) -> Result<Option<Region>> {
    let requested = requested.filter(|r| !r.is_empty());
    if known.is_empty() {
        return Ok(requested.map(|name| Region {
            name: name.to_owned(),
            values: Map::new(),
        }));
    }
    let Some(requested) = requested else {
        return Ok(known.first().cloned());
    };
    match known.iter().find(|r| r.name == requested) {
        Some(r) => Ok(Some(r.clone())),
        None => Err(Error::Config(format!(
            "Region {requested} is not a valid region name for cloud {cloud}. Valid choices \
             are {}. Please note that region names are case sensitive.",
            known
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ))),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("{v}"),
        }
    }

    #[test]
    fn both_forms_expand() {
        let r = expand(
            "c",
            &json!(["R1", {"name": "R2", "values": {"interface": "internal"}}, {"name": "R3"}]),
        )
        .unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].name, "R1");
        assert!(r[0].values.is_empty());
        assert_eq!(r[1].values["interface"], "internal");
        assert_eq!(r[2].name, "R3");
        for bad in [
            json!([{"values": {}}]),
            json!([{"name": "R", "extra": 1}]),
            json!([{"name": "R", "values": [1]}]),
            json!("R1"),
        ] {
            let e = expand("c", &bad).unwrap_err();
            assert!(matches!(e, Error::Config(_)), "{e:?}");
            assert!(e.to_string().starts_with("cloud c: "), "{e}");
        }
    }

    #[test]
    fn known_regions_come_from_the_cloud_then_its_profile() {
        let profile = map(json!({"regions": ["P1", "P2"], "region_name": "P0"}));
        let names = |own: Value, profile: &Map<String, Value>| -> Vec<String> {
            known("c", &map(own), profile)
                .unwrap()
                .into_iter()
                .map(|r| r.name)
                .collect()
        };
        assert_eq!(names(json!({"regions": ["A"]}), &profile), ["A"]);
        assert_eq!(names(json!({"region_name": "A"}), &profile), ["A"]);
        assert_eq!(names(json!({"region-name": "A,B"}), &profile), ["A", "B"]);
        assert_eq!(names(json!({}), &profile), ["P1", "P2"]);
        assert_eq!(names(json!({}), &map(json!({"region_name": "P0"}))), ["P0"]);
        assert_eq!(
            names(json!({}), &map(json!({"regions": []}))),
            Vec::<String>::new()
        );
        assert!(names(json!({}), &Map::new()).is_empty());
    }

    #[test]
    fn the_first_region_is_the_default_and_unknown_ones_are_refused() {
        let known = expand("c", &json!(["R1", "R2"])).unwrap();
        assert_eq!(select("c", &known, None).unwrap().unwrap().name, "R1");
        assert_eq!(select("c", &known, Some("")).unwrap().unwrap().name, "R1");
        assert_eq!(select("c", &known, Some("R2")).unwrap().unwrap().name, "R2");
        let e = select("c", &known, Some("r2")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Region r2 is not a valid region name for cloud c. Valid choices are R1,R2. Please \
             note that region names are case sensitive."
        );
        assert_eq!(select("c", &[], Some("X")).unwrap().unwrap().name, "X");
        assert_eq!(select("c", &[], None).unwrap(), None);
    }
}

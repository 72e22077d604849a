//! Where environment variables come from: the process, or a map (tests, embedding).

use std::collections::{BTreeMap, HashMap};

/// A snapshot of environment variables. Empty values count as absent.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The process environment (variables that are not valid UTF-8 are skipped).
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// These variables only.
    pub fn from_map(map: &HashMap<String, String>) -> Env {
        Env {
            vars: map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        }
    }

    /// A variable's value, if set and not empty.
    pub fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// Whether the `OS_*` variables make a cloud of their own (openstacksdk's `envvars`
    /// cloud): some `OS_*` variable is set other than the selectors `OS_CLOUD`,
    /// `OS_REGION_NAME`, `OS_CLIENT_CONFIG_FILE`, `OS_CLIENT_SECURE_FILE` and `OS_CLOUD_NAME`,
    /// not counting `OS_TEST*`, `OS_STD*` and `OS_LOG*` (test runners' variables).
    pub fn has_cloud_vars(&self) -> bool {
        const SELECTORS: &[&str] = &[
            "OS_CLOUD",
            "OS_REGION_NAME",
            "OS_CLIENT_CONFIG_FILE",
            "OS_CLIENT_SECURE_FILE",
            "OS_CLOUD_NAME",
        ];
        self.vars.iter().any(|(k, v)| {
            !v.is_empty()
                && k.starts_with("OS_")
                && !["OS_TEST", "OS_STD", "OS_LOG"]
                    .iter()
                    .any(|p| k.starts_with(p))
                && !SELECTORS.contains(&k.as_str())
        })
    }

    /// `OS_*` variables as normalised keys: `OS_USER_DOMAIN_ID` → `user_domain_id`.
    pub fn os_keys(&self) -> BTreeMap<String, String> {
        self.vars
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix("OS_")?;
                Some((rest.to_ascii_lowercase(), v.clone()))
            })
            .collect()
    }

    /// For each key of [`os_keys`](Self::os_keys), the variable it came from:
    /// `user_domain_id` → `OS_USER_DOMAIN_ID`.
    pub fn os_names(&self) -> BTreeMap<String, String> {
        self.vars
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .filter_map(|(k, _)| {
                let rest = k.strip_prefix("OS_")?;
                Some((rest.to_ascii_lowercase(), k.clone()))
            })
            .collect()
    }
}

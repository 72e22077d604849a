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
}

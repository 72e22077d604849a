//! Official OpenStack service types and their aliases (service-types-authority).

/// `(official type, aliases in preference order)`.
const SERVICE_TYPES: &[(&str, &[&str])] = &[
    ("identity", &[]),
    ("compute", &[]),
    ("image", &[]),
    ("network", &[]),
    (
        "block-storage",
        &["volumev3", "volumev2", "volume", "block-store"],
    ),
    ("object-store", &[]),
    ("orchestration", &[]),
    ("placement", &[]),
    ("load-balancer", &[]),
    ("dns", &[]),
    ("key-manager", &[]),
    ("baremetal", &["bare-metal"]),
    ("baremetal-introspection", &[]),
    ("shared-file-system", &["sharev2", "share"]),
    (
        "container-infrastructure-management",
        &["container-infrastructure", "container-infra"],
    ),
    ("message", &["messaging"]),
    ("metric", &[]),
    ("alarm", &[]),
    ("event", &[]),
    ("workflow", &["workflowv2"]),
    ("application-catalog", &[]),
    ("clustering", &["cluster"]),
    ("data-processing", &[]),
    ("database", &[]),
    ("reservation", &[]),
    ("instance-ha", &["ha"]),
    ("accelerator", &[]),
    ("resource-cluster", &[]),
    ("backup", &[]),
    ("block-storage-backup", &[]),
    ("rating", &[]),
    ("root-cause-analysis", &["rca"]),
    ("container", &[]),
    ("function-engine", &[]),
    ("nfv-orchestration", &[]),
    ("monitoring", &[]),
    ("monitoring-logging", &[]),
    ("search", &[]),
    ("tricircle", &[]),
    ("cloudformation", &[]),
];

fn norm(s: &str) -> String {
    s.replace('_', "-").to_ascii_lowercase()
}

/// The official name for a type or alias, if known.
pub fn official(service_type: &str) -> Option<&'static str> {
    let t = norm(service_type);
    SERVICE_TYPES
        .iter()
        .find(|(o, aliases)| *o == t || aliases.contains(&t.as_str()))
        .map(|(o, _)| *o)
}

/// All names for a service type: the official one first, then aliases in preference order.
pub fn all_types(service_type: &str) -> Vec<String> {
    match SERVICE_TYPES.iter().find(|(o, aliases)| {
        *o == norm(service_type) || aliases.contains(&norm(service_type).as_str())
    }) {
        Some((o, aliases)) => std::iter::once(*o)
            .chain(aliases.iter().copied())
            .map(str::to_owned)
            .collect(),
        None => vec![norm(service_type)],
    }
}

/// Equal after `_` → `-` and ASCII lower-casing, without allocating.
fn eq_norm(a: &str, b: &str) -> bool {
    let n = |c: u8| {
        if c == b'_' {
            b'-'
        } else {
            c.to_ascii_lowercase()
        }
    };
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| n(x) == n(y))
}

fn entry(service_type: &str) -> Option<&'static (&'static str, &'static [&'static str])> {
    SERVICE_TYPES.iter().find(|(o, aliases)| {
        eq_norm(o, service_type) || aliases.iter().any(|a| eq_norm(a, service_type))
    })
}

/// A requested service type, prepared once to test many catalog types cheaply.
#[derive(Debug, Clone)]
pub struct TypeMatcher<'a> {
    requested: &'a str,
    entry: Option<&'static (&'static str, &'static [&'static str])>,
}

impl<'a> TypeMatcher<'a> {
    /// Prepare `requested`.
    pub fn new(requested: &'a str) -> Self {
        TypeMatcher {
            requested,
            entry: entry(requested),
        }
    }

    /// os-service-types' `is_match(requested, found)`: exact, or `found` official and
    /// `requested` an alias of it, or `found` an alias of the official `requested`.
    /// Alias↔alias never matches.
    pub fn matches(&self, found: &str) -> bool {
        if eq_norm(self.requested, found) {
            return true;
        }
        let Some((official, aliases)) = self.entry else {
            return false;
        };
        eq_norm(found, official)
            || (eq_norm(self.requested, official) && aliases.iter().any(|a| eq_norm(a, found)))
    }
}

/// os-service-types' `is_match(requested, found)`: exact, or `found` official and `requested`
/// an alias of it, or `found` an alias of the official `requested`. Alias↔alias never matches.
pub fn is_match(requested: &str, found: &str) -> bool {
    TypeMatcher::new(requested).matches(found)
}

/// The major version implied by a versioned alias: `volumev2` → 2, `volumev3` → 3,
/// `sharev2` → 2, `workflowv2` → 2.
///
/// As in keystoneauth1, only a known type (official or alias) ending in `v` and one digit
/// implies a version; `computev21` is no known type and implies nothing.
pub fn implied_major(service_type: &str) -> Option<u64> {
    let t = norm(service_type);
    official(&t)?;
    match t.as_bytes() {
        [.., b'v', d] if d.is_ascii_digit() => Some(u64::from(d - b'0')),
        _ => None,
    }
}

/// The service type used in microversion headers (`volume`, `shared-file-system`, …).
pub fn microversion_service_type(service_type: &str) -> String {
    let t = norm(service_type);
    if t.starts_with("volume") || t == "block-storage" {
        "volume".into()
    } else if t.starts_with("share") {
        "shared-file-system".into()
    } else {
        official(&t).map(str::to_owned).unwrap_or(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_match_official_only() {
        assert!(is_match("block-storage", "volumev3"));
        assert!(is_match("volumev3", "block-storage"));
        assert!(!is_match("volumev3", "volumev2"));
        assert!(is_match("compute", "compute"));
        assert!(!is_match("compute", "image"));
        assert!(is_match("block_storage", "block-storage"));
        assert_eq!(implied_major("volumev2"), Some(2));
        assert_eq!(implied_major("volumev3"), Some(3));
        assert_eq!(implied_major("VolumeV3"), Some(3));
        assert_eq!(implied_major("sharev2"), Some(2));
        assert_eq!(implied_major("workflowv2"), Some(2));
        assert_eq!(implied_major("compute"), None);
        assert_eq!(implied_major("block-storage"), None);
        assert_eq!(implied_major("computev21"), None, "not a known type");
        assert_eq!(implied_major("volumev9"), None, "not a known type");
        assert_eq!(microversion_service_type("volumev3"), "volume");
        assert_eq!(microversion_service_type("sharev2"), "shared-file-system");
    }
}

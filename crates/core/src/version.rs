//! API version numbers and ranges, normalised as keystoneauth1 does.
//!
//! ```
//! use keystoneauth_core::version::Version;
//! assert_eq!(Version::parse("v3").unwrap(), Version::new(3, 0));
//! assert_eq!(Version::parse("2.latest").unwrap().to_string(), "2.latest");
//! assert!(Version::parse("v3.a").is_err());
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// One part of a version: a number, or `latest` (greater than any number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// A number.
    Num(u64),
    /// `latest`.
    Latest,
}

impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Part {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Part::Num(a), Part::Num(b)) => a.cmp(b),
            (Part::Latest, Part::Latest) => Ordering::Equal,
            (Part::Latest, _) => Ordering::Greater,
            (_, Part::Latest) => Ordering::Less,
        }
    }
}

/// A version with at least two parts, e.g. `3.0`, `2.1`, `2.latest`, `latest`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(Vec<Part>);

impl Version {
    /// `major.minor`.
    pub fn new(major: u64, minor: u64) -> Self {
        Version(vec![Part::Num(major), Part::Num(minor)])
    }

    /// `latest.latest`.
    pub fn latest() -> Self {
        Version(vec![Part::Latest, Part::Latest])
    }

    /// Parse `v3`, `3`, `3.0`, `v2.1`, `2.latest`, `latest`, `v1.20.3`.
    pub fn parse(s: &str) -> Result<Self> {
        let invalid = || Error::InvalidVersion(format!("Invalid version specified: {s:?}"));
        let t = s.trim().trim_start_matches('v');
        if t.is_empty() {
            return Err(invalid());
        }
        if t == "latest" {
            return Ok(Self::latest());
        }
        let mut parts = Vec::new();
        for p in t.split('.') {
            if p == "latest" {
                parts.push(Part::Latest);
            } else if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                parts.push(Part::Num(p.parse().map_err(|_| invalid())?));
            } else {
                return Err(invalid());
            }
        }
        if parts.len() == 1 {
            parts.push(Part::Num(0));
        }
        Ok(Version(parts))
    }

    /// The parts.
    pub fn parts(&self) -> &[Part] {
        &self.0
    }

    /// The major part.
    pub fn major(&self) -> Part {
        self.0[0]
    }

    /// The minor part.
    pub fn minor(&self) -> Part {
        self.0[1]
    }

    /// True if every part is `latest`.
    pub fn is_latest(&self) -> bool {
        self.0.iter().all(|p| *p == Part::Latest)
    }

    /// `(major, latest)`: the top of this major version.
    pub fn major_latest(&self) -> Self {
        Version(vec![self.major(), Part::Latest])
    }

    /// Same major and `candidate >= self`.
    pub fn matches(&self, candidate: &Version) -> bool {
        self.major() == candidate.major() && candidate >= self
    }

    /// keystoneauth1's `_latest_soft_match`.
    pub fn latest_soft_match(&self, candidate: &Version) -> bool {
        if !self.0.contains(&Part::Latest) {
            return false;
        }
        self.is_latest() || (self.major() == candidate.major() && self.minor() == Part::Latest)
    }
}

impl FromStr for Version {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Version::parse(s)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_latest() {
            return f.write_str("latest");
        }
        let mut first = true;
        for p in &self.0 {
            if !first {
                f.write_str(".")?;
            }
            first = false;
            match p {
                Part::Num(n) => write!(f, "{n}")?,
                Part::Latest => f.write_str("latest")?,
            }
        }
        Ok(())
    }
}

/// True if `candidate` lies between the optional bounds (inclusive).
pub fn version_between(min: Option<&Version>, max: Option<&Version>, candidate: &Version) -> bool {
    min.is_none_or(|m| candidate >= m) && max.is_none_or(|m| candidate <= m)
}

/// A requested version range: `version`, or `min_version`/`max_version`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionRange {
    /// Lowest acceptable version.
    pub min: Option<Version>,
    /// Highest acceptable version.
    pub max: Option<Version>,
}

impl VersionRange {
    /// Normalise `version` / `min_version` / `max_version` as keystoneauth1's
    /// `_normalize_version_args` does (without implied service-type versions).
    pub fn from_args(
        version: Option<&str>,
        min_version: Option<&str>,
        max_version: Option<&str>,
    ) -> Result<Self> {
        fn nonempty(s: Option<&str>) -> Option<&str> {
            s.filter(|s| !s.trim().is_empty())
        }
        let (version, min_v, max_v) = (
            nonempty(version),
            nonempty(min_version),
            nonempty(max_version),
        );
        if version.is_some() && (min_v.is_some() || max_v.is_some()) {
            return Err(Error::InvalidVersion(
                "version is mutually exclusive with min_version and max_version".into(),
            ));
        }
        if let Some(v) = version {
            let v = Version::parse(v)?;
            let max = v.major_latest();
            return Ok(VersionRange {
                min: Some(v),
                max: Some(max),
            });
        }
        let min = min_v.map(Version::parse).transpose()?;
        let mut max = max_v.map(Version::parse).transpose()?;
        if let Some(m) = &min {
            if m.is_latest() && max.as_ref().is_some_and(|x| !x.is_latest()) {
                return Err(Error::InvalidVersion(
                    "min_version is 'latest' and max_version is not 'latest'".into(),
                ));
            }
            if max.is_none() {
                max = Some(Version::latest());
            }
        }
        if let (Some(a), Some(b)) = (&min, &max) {
            if b < a {
                return Err(Error::InvalidVersion(
                    "min_version cannot be greater than max_version".into(),
                ));
            }
        }
        Ok(VersionRange { min, max })
    }

    /// This range for `service_type`: a versioned alias (`volumev2`, `volumev3`, `sharev2`;
    /// see [`implied_major`](crate::service_types::implied_major)) implies its major version,
    /// as keystoneauth1's `_normalize_version_args` does with a service type.
    ///
    /// A missing bound becomes the implied major version (`volumev2`, no range: 2.0 to
    /// 2.latest; a `latest` maximum is 2.latest). A bound of another major version is
    /// [`Error::ImpliedVersionMismatch`]. A type that implies nothing leaves the range as is.
    ///
    /// ```
    /// use keystoneauth_core::version::{Version, VersionRange};
    /// let r = VersionRange::default().for_service_type("volumev2").unwrap();
    /// assert_eq!(r.min, Some(Version::new(2, 0)));
    /// assert_eq!(r.max.unwrap().to_string(), "2.latest");
    /// let two = VersionRange::from_args(Some("2"), None, None).unwrap();
    /// let err = two.for_service_type("volumev3").unwrap_err();
    /// assert!(err.is_implied_version_mismatch());
    /// assert_eq!(
    ///     err.to_string(),
    ///     "service_type volumev3 was given which implies major API version 3 but version \
    ///      of 2.0 was also given"
    /// );
    /// ```
    pub fn for_service_type(&self, service_type: &str) -> Result<VersionRange> {
        let Some(implied) = crate::service_types::implied_major(service_type) else {
            return Ok(self.clone());
        };
        let major = Part::Num(implied);
        let mismatch = |argument, given: &Version| Error::ImpliedVersionMismatch {
            service_type: service_type.to_owned(),
            implied,
            argument,
            given: given.to_string(),
        };
        // A `version` is stored as `min = version, max = major.latest`.
        if let (Some(min), Some(max)) = (&self.min, &self.max) {
            if !min.is_latest() && *max == min.major_latest() {
                return if min.major() == major {
                    Ok(self.clone())
                } else {
                    Err(mismatch("version", min))
                };
            }
        }
        let min = match &self.min {
            Some(m) if m.major() != major => return Err(mismatch("min_version", m)),
            Some(m) => m.clone(),
            None => Version::new(implied, 0),
        };
        let max = match &self.max {
            Some(m) if m.major() == Part::Latest => min.major_latest(),
            Some(m) if m.major() != major => return Err(mismatch("max_version", m)),
            Some(m) => m.clone(),
            None => min.major_latest(),
        };
        Ok(VersionRange {
            min: Some(min),
            max: Some(max),
        })
    }

    /// No bound at all.
    pub fn is_empty(&self) -> bool {
        self.min.is_none() && self.max.is_none()
    }

    /// True if `v` satisfies the range.
    pub fn contains(&self, v: &Version) -> bool {
        version_between(self.min.as_ref(), self.max.as_ref(), v)
    }
}

/// The version in a URL's path, scanning segments from the end: `/compute/v2.1/abc` → 2.1.
/// Integer project ids are not versions.
pub fn version_from_url(url: &str) -> Option<Version> {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| url.to_owned());
    path.split('/')
        .rev()
        .filter(|s| s.starts_with('v'))
        .find_map(|s| Version::parse(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_table() {
        for s in ["1", "v1", "1.0", "v1.0"] {
            assert_eq!(Version::parse(s).unwrap(), Version::new(1, 0), "{s}");
        }
        assert_eq!(Version::parse("v1.20.3").unwrap().to_string(), "1.20.3");
        assert!(Version::parse("latest").unwrap().is_latest());
        assert!(Version::parse("vlatest").unwrap().is_latest());
        assert_eq!(Version::parse("2.latest").unwrap().to_string(), "2.latest");
        for bad in ["", "foo", "v3.a", "3..1"] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
    }

    /// docs/keystoneauth1-differences.md §16.15: every leading `v` is stripped (as keystoneauth1);
    /// versions are strings, so `3.10` stays 3.10 (keystoneauth1's float 3.10 becomes 3.1).
    #[test]
    fn all_leading_vs_are_stripped_and_minors_are_not_floats() {
        assert_eq!(Version::parse("vv3").unwrap(), Version::new(3, 0));
        assert_eq!(Version::parse("3.10").unwrap(), Version::new(3, 10));
        assert_eq!(Version::parse("3.2").unwrap(), Version::new(3, 2));
        assert!(Version::parse("3.2.").is_err());
    }

    #[test]
    fn ordering_and_ranges() {
        assert!(Version::parse("2.latest").unwrap() > Version::new(2, 90));
        assert!(Version::latest() > Version::new(99, 0));
        let r = VersionRange::from_args(Some("2"), None, None).unwrap();
        assert_eq!(r.min, Some(Version::new(2, 0)));
        assert_eq!(r.max.unwrap().to_string(), "2.latest");
        let r = VersionRange::from_args(None, Some("2"), None).unwrap();
        assert!(r.max.unwrap().is_latest());
        let r = VersionRange::from_args(None, None, Some("3")).unwrap();
        assert_eq!((r.min, r.max), (None, Some(Version::new(3, 0))));
        assert!(VersionRange::from_args(Some("2"), Some("1"), None).is_err());
        assert!(VersionRange::from_args(None, Some("3"), Some("2")).is_err());
    }

    /// Issue 22, case 2: keystoneauth1's `_normalize_version_args` with a service type.
    #[test]
    fn versioned_aliases_imply_their_major_version() {
        let r = |v: Option<&str>, min: Option<&str>, max: Option<&str>| {
            VersionRange::from_args(v, min, max).unwrap()
        };
        let show = |r: &VersionRange| {
            (
                r.min.as_ref().map(ToString::to_string),
                r.max.as_ref().map(ToString::to_string),
            )
        };
        let pair = |a: &str, b: &str| (Some(a.to_owned()), Some(b.to_owned()));
        let implied = |range: VersionRange, st: &str| show(&range.for_service_type(st).unwrap());
        assert_eq!(
            implied(VersionRange::default(), "volumev2"),
            pair("2.0", "2.latest")
        );
        assert_eq!(
            implied(r(Some("3.5"), None, None), "volumev3"),
            pair("3.5", "3.latest")
        );
        assert_eq!(
            implied(r(None, Some("2.1"), None), "volumev2"),
            pair("2.1", "2.latest"),
            "a latest maximum is the implied major's latest"
        );
        assert_eq!(
            implied(r(None, None, Some("3.4")), "volumev3"),
            pair("3.0", "3.4")
        );
        assert_eq!(
            implied(r(None, Some("3.1"), Some("3.9")), "volumev3"),
            pair("3.1", "3.9")
        );
        // Types that imply nothing: unchanged.
        for st in ["block-storage", "compute", "computev21", "volume"] {
            assert_eq!(implied(VersionRange::default(), st), (None, None), "{st}");
            assert_eq!(
                implied(r(Some("2"), None, None), st),
                pair("2.0", "2.latest"),
                "{st}"
            );
        }
        // Contradictions name the argument.
        let err = |range: VersionRange, st: &str| range.for_service_type(st).unwrap_err();
        let e = err(r(Some("2"), None, None), "volumev3");
        assert!(matches!(
            &e,
            Error::ImpliedVersionMismatch { argument: "version", implied: 3, given, .. }
                if given == "2.0"
        ));
        let e = err(r(None, Some("2"), None), "volumev3");
        assert!(e.to_string().contains("but min_version of 2.0 was"), "{e}");
        let e = err(r(None, None, Some("2.5")), "volumev3");
        assert!(e.to_string().contains("but max_version of 2.5 was"), "{e}");
        let e = err(r(None, Some("latest"), None), "volumev2");
        assert!(e.to_string().contains("min_version of latest"), "{e}");
        assert!(e.is_option());
    }

    #[test]
    fn versions_in_urls() {
        assert_eq!(
            version_from_url("http://n:8774/compute/v2.1/abc"),
            Some(Version::new(2, 1))
        );
        assert_eq!(
            version_from_url("http://s/v1/AUTH_x"),
            Some(Version::new(1, 0))
        );
        assert_eq!(version_from_url("http://k:5000/12345"), None);
        assert_eq!(
            version_from_url("http://k:5000/v3/"),
            Some(Version::new(3, 0))
        );
    }
}

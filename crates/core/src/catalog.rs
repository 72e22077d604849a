//! The service catalog and endpoint lookup.
//!
//! ```
//! use keystoneauth_core::catalog::{CatalogEndpoint, CatalogService, Interface, ServiceCatalog};
//! use keystoneauth_core::EndpointFilter;
//! let catalog = ServiceCatalog::new(vec![CatalogService {
//!     service_type: "volumev3".into(), name: Some("cinderv3".into()), id: None,
//!     endpoints: vec![CatalogEndpoint { id: None, interface: Interface::Public,
//!         region: Some("RegionOne".into()), url: "http://cinder/v3/p".into() }],
//! }]);
//! let filter = EndpointFilter::service("block-storage");
//! assert_eq!(catalog.endpoint_data_for(&filter).unwrap().catalog_url, "http://cinder/v3/p");
//! ```

use std::fmt;

use crate::error::{Error, Result};
use crate::service_types;
use crate::version::{version_from_url, Version, VersionRange};

/// Which endpoint to use: service type, name, interface, region, version range.
///
/// ```
/// use keystoneauth_core::{EndpointFilter, catalog::Interface};
/// let f = EndpointFilter::service("compute").interface(Interface::Internal).region("RegionOne")
///     .min_version("2.1").unwrap();
/// assert_eq!(f.service_type.as_deref(), Some("compute"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointFilter {
    /// Service type (`compute`, `identity`, `block-storage`, or an alias).
    pub service_type: Option<String>,
    /// Service name.
    pub service_name: Option<String>,
    /// Service id.
    pub service_id: Option<String>,
    /// Endpoint id.
    pub endpoint_id: Option<String>,
    /// Interfaces in order of preference (empty = public).
    pub interface: Vec<Interface>,
    /// Region.
    pub region_name: Option<String>,
    /// Version range; empty = whatever the catalog says.
    pub version: VersionRange,
    /// Use the catalog URL as is, without version discovery.
    pub skip_discovery: bool,
    /// Do not try the unversioned URL when discovering (keystoneauth1's `allow_version_hack=False`).
    pub no_version_hack: bool,
    /// Fetch the discovery document even when the catalog URL already matches the version
    /// (needed to learn microversion ranges).
    pub discover_versions: bool,
}

impl EndpointFilter {
    /// A filter for a service type.
    pub fn service(service_type: impl Into<String>) -> Self {
        EndpointFilter {
            service_type: Some(service_type.into()),
            ..Default::default()
        }
    }

    /// The plugin's own auth URL (keystoneauth1's `interface=AUTH_INTERFACE`).
    pub fn auth_interface() -> Self {
        EndpointFilter {
            interface: vec![Interface::Auth],
            ..Default::default()
        }
    }

    /// Prefer this interface (call several times for a preference list).
    pub fn interface(mut self, interface: Interface) -> Self {
        self.interface.push(interface);
        self
    }

    /// Restrict to a region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region_name = Some(region.into());
        self
    }

    /// Restrict to a service name.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Require a major version (`"3"` means 3.0 to 3.latest).
    pub fn version(mut self, version: &str) -> Result<Self> {
        self.version = VersionRange::from_args(Some(version), None, None)?;
        Ok(self)
    }

    /// Require at least this version.
    pub fn min_version(mut self, version: &str) -> Result<Self> {
        let max = self.version.max.as_ref().map(ToString::to_string);
        self.version = VersionRange::from_args(None, Some(version), max.as_deref())?;
        Ok(self)
    }

    /// Require at most this version.
    pub fn max_version(mut self, version: &str) -> Result<Self> {
        let min = self.version.min.as_ref().map(ToString::to_string);
        self.version = VersionRange::from_args(None, min.as_deref(), Some(version))?;
        Ok(self)
    }

    /// True if the filter asks for the plugin's auth URL.
    pub fn is_auth_interface(&self) -> bool {
        self.interface.first() == Some(&Interface::Auth)
    }
}

/// An endpoint interface. `publicURL` and `public` are the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Interface {
    /// public
    Public,
    /// internal
    Internal,
    /// admin
    Admin,
    /// The plugin's own auth URL (keystoneauth1's `AUTH_INTERFACE`).
    Auth,
    /// Anything else.
    Other(String),
}

impl Interface {
    /// Normalise `public`, `publicURL`, `PUBLIC`, …
    pub fn parse(s: &str) -> Interface {
        let t = s.trim();
        let t = t.strip_suffix("URL").unwrap_or(t);
        // No allocation for the three every catalog has (hundreds of thousands in a large one).
        if t.eq_ignore_ascii_case("public") {
            Interface::Public
        } else if t.eq_ignore_ascii_case("internal") {
            Interface::Internal
        } else if t.eq_ignore_ascii_case("admin") {
            Interface::Admin
        } else {
            Interface::Other(t.to_ascii_lowercase())
        }
    }

    /// The v3 spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Interface::Public => "public",
            Interface::Internal => "internal",
            Interface::Admin => "admin",
            Interface::Auth => "auth",
            Interface::Other(s) => s,
        }
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Interface {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(Interface::parse(s))
    }
}

/// One endpoint of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEndpoint {
    /// Endpoint id.
    pub id: Option<String>,
    /// Interface.
    pub interface: Interface,
    /// Region (`region_id`, else `region`).
    pub region: Option<String>,
    /// URL.
    pub url: String,
}

/// One service in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogService {
    /// Service type as the catalog spells it (`volumev3`, `compute`, …).
    pub service_type: String,
    /// Service name.
    pub name: Option<String>,
    /// Service id.
    pub id: Option<String>,
    /// Endpoints.
    pub endpoints: Vec<CatalogEndpoint>,
}

/// A service catalog from a v2.0 or v3 token, in one normalised shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceCatalog {
    services: Vec<CatalogService>,
}

/// Everything known about one endpoint: from the catalog, and after discovery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointData {
    /// The URL in the catalog (or the override).
    pub catalog_url: String,
    /// The URL discovery chose, if discovery ran.
    pub service_url: Option<String>,
    /// Service type as in the catalog.
    pub service_type: Option<String>,
    /// Service name.
    pub service_name: Option<String>,
    /// Service id.
    pub service_id: Option<String>,
    /// Region.
    pub region_name: Option<String>,
    /// Interface.
    pub interface: Option<Interface>,
    /// Endpoint id.
    pub endpoint_id: Option<String>,
    /// API version (from discovery, else from the URL).
    pub api_version: Option<Version>,
    /// Lowest microversion the service supports.
    pub min_microversion: Option<Version>,
    /// Highest microversion the service supports.
    pub max_microversion: Option<Version>,
    /// `next_min_version` from discovery.
    pub next_min_version: Option<Version>,
    /// `not_before` from discovery.
    pub not_before: Option<String>,
    /// Status from discovery (`CURRENT`, `SUPPORTED`, `DEPRECATED`, `EXPERIMENTAL`).
    pub status: Option<String>,
}

impl EndpointData {
    /// Endpoint data for a fixed URL (an override or a plugin's endpoint).
    pub fn for_url(url: impl Into<String>) -> Self {
        let url = url.into();
        EndpointData {
            api_version: version_from_url(&url),
            catalog_url: url,
            ..Default::default()
        }
    }

    /// The URL to use: the discovered service URL, else the catalog URL.
    pub fn url(&self) -> &str {
        self.service_url.as_deref().unwrap_or(&self.catalog_url)
    }
}

impl ServiceCatalog {
    /// A catalog from services.
    pub fn new(services: Vec<CatalogService>) -> Self {
        ServiceCatalog { services }
    }

    /// The services.
    pub fn services(&self) -> &[CatalogService] {
        &self.services
    }

    /// True if there are no services.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// All endpoints matching the filter, grouped as keystoneauth1 does: when several catalog
    /// types match (aliases), the requested type wins, else the first alias with data; within a
    /// type, only endpoints of the first preferred interface present are kept.
    pub fn endpoints_data(&self, filter: &EndpointFilter) -> Vec<EndpointData> {
        let interfaces: Vec<Interface> = if filter.interface.is_empty() {
            vec![Interface::Public]
        } else {
            filter.interface.clone()
        };
        // (catalog type, endpoints) in catalog order
        let mut by_type: Vec<(String, Vec<EndpointData>)> = Vec::new();
        let matcher = filter
            .service_type
            .as_deref()
            .map(service_types::TypeMatcher::new);
        for svc in &self.services {
            if let Some(m) = &matcher {
                if !m.matches(&svc.service_type) {
                    continue;
                }
            }
            if let (Some(want), Some(have)) = (&filter.service_name, &svc.name) {
                if want != have {
                    continue;
                }
            }
            if let (Some(want), Some(have)) = (&filter.service_id, &svc.id) {
                if want != have {
                    continue;
                }
            }
            let matching: Vec<&CatalogEndpoint> = svc
                .endpoints
                .iter()
                .filter(|e| interfaces.contains(&e.interface))
                .filter(|e| filter.region_name.is_none() || e.region == filter.region_name)
                .filter(|e| filter.endpoint_id.is_none() || e.id == filter.endpoint_id)
                .collect();
            let index = match by_type.iter().position(|(t, _)| *t == svc.service_type) {
                Some(i) => i,
                None => {
                    by_type.push((svc.service_type.clone(), Vec::new()));
                    by_type.len() - 1
                }
            };
            let entry = &mut by_type[index];
            for e in matching {
                entry.1.push(EndpointData {
                    catalog_url: e.url.clone(),
                    service_type: Some(svc.service_type.clone()),
                    service_name: svc.name.clone(),
                    service_id: svc.id.clone(),
                    region_name: e.region.clone(),
                    interface: Some(e.interface.clone()),
                    endpoint_id: e.id.clone(),
                    api_version: version_from_url(&e.url),
                    ..Default::default()
                });
            }
        }
        // keep only the first preferred interface present, per type
        for (_, eps) in by_type.iter_mut() {
            if let Some(best) = interfaces
                .iter()
                .find(|i| eps.iter().any(|e| e.interface.as_ref() == Some(*i)))
            {
                eps.retain(|e| e.interface.as_ref() == Some(best));
            }
        }
        by_type.retain(|(_, eps)| !eps.is_empty());
        if by_type.len() > 1 {
            if let Some(t) = &filter.service_type {
                // The requested type itself first (`volumev3` asked, `volumev3` listed), then
                // the official type and its aliases in preference order.
                let requested = t.replace('_', "-").to_ascii_lowercase();
                let candidates = std::iter::once(requested.clone()).chain(
                    service_types::all_types(t)
                        .into_iter()
                        .filter(move |c| *c != requested),
                );
                for candidate in candidates {
                    if let Some(pos) = by_type
                        .iter()
                        .position(|(ct, _)| ct.replace('_', "-").eq_ignore_ascii_case(&candidate))
                    {
                        return by_type.swap_remove(pos).1;
                    }
                }
            }
        }
        by_type.into_iter().flat_map(|(_, eps)| eps).collect()
    }

    /// The first endpoint matching the filter, or `EndpointNotFound`/`EmptyCatalog`.
    pub fn endpoint_data_for(&self, filter: &EndpointFilter) -> Result<EndpointData> {
        if self.services.is_empty() {
            return Err(Error::EmptyCatalog);
        }
        if let Some(first) = self.endpoints_data(filter).into_iter().next() {
            return Ok(first);
        }
        let interface = if filter.interface.is_empty() {
            "public".to_owned()
        } else {
            filter
                .interface
                .iter()
                .map(Interface::as_str)
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let st = filter.service_type.as_deref().unwrap_or("any");
        let msg = match (&filter.service_name, &filter.region_name) {
            (Some(n), Some(r)) => {
                format!("{interface} endpoint for {st} service named {n} in {r} region not found")
            }
            (Some(n), None) => format!("{interface} endpoint for {st} service named {n} not found"),
            (None, Some(r)) => {
                format!("{interface} endpoint for {st} service in {r} region not found")
            }
            (None, None) => format!("{interface} endpoint for {st} service not found"),
        };
        Err(Error::EndpointNotFound(msg))
    }

    /// The URL of the first matching endpoint.
    pub fn url_for(&self, filter: &EndpointFilter) -> Result<String> {
        self.endpoint_data_for(filter).map(|e| e.catalog_url)
    }
}

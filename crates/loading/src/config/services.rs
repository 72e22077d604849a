//! Per-service settings (`<service>_api_version`, `<service>_endpoint_override`, …) and the
//! adapter options of a service.

use keystoneauth_core::registry::OptionValues;
use keystoneauth_core::{service_types, Adapter, Result, Session};

use super::CloudConfig;
use crate::adapter_opts::{parse_interfaces, AdapterOptions};

/// Per-service setting suffixes (`compute_api_version`, `image_endpoint_override`, …).
const SERVICE_SUFFIXES: &[&str] = &[
    "_api_version",
    "_endpoint_override",
    "_interface",
    "_region_name",
    "_service_type",
    "_service_name",
];

/// Per-service settings (`<service>_api_version`, `<service>_endpoint_override`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceOptions {
    /// `<service>_api_version`.
    pub api_version: Option<String>,
    /// `<service>_endpoint_override`.
    pub endpoint_override: Option<String>,
    /// `<service>_interface`.
    pub interface: Option<String>,
    /// `<service>_region_name`.
    pub region_name: Option<String>,
    /// `<service>_service_type`.
    pub service_type: Option<String>,
    /// `<service>_service_name`.
    pub service_name: Option<String>,
}

impl ServiceOptions {
    pub(super) fn set(&mut self, suffix: &str, value: String) {
        let slot = match suffix {
            "_api_version" => &mut self.api_version,
            "_endpoint_override" => &mut self.endpoint_override,
            "_interface" => &mut self.interface,
            "_region_name" => &mut self.region_name,
            "_service_type" => &mut self.service_type,
            "_service_name" => &mut self.service_name,
            _ => return,
        };
        *slot = Some(value);
    }

    fn or(self, other: &ServiceOptions) -> ServiceOptions {
        ServiceOptions {
            api_version: self.api_version.or_else(|| other.api_version.clone()),
            endpoint_override: self
                .endpoint_override
                .or_else(|| other.endpoint_override.clone()),
            interface: self.interface.or_else(|| other.interface.clone()),
            region_name: self.region_name.or_else(|| other.region_name.clone()),
            service_type: self.service_type.or_else(|| other.service_type.clone()),
            service_name: self.service_name.or_else(|| other.service_name.clone()),
        }
    }
}

pub(super) fn service_suffix(key: &str) -> Option<(&str, &'static str)> {
    SERVICE_SUFFIXES.iter().find_map(|s| {
        key.strip_suffix(s)
            .filter(|p| !p.is_empty())
            .map(|p| (p, *s))
    })
}

impl CloudConfig {
    /// The per-service settings for a service type, looking under its official name and its
    /// aliases (`block-storage`, `volumev3`, `volume`, …).
    pub fn service(&self, service_type: &str) -> ServiceOptions {
        service_types::all_types(service_type)
            .iter()
            .chain(std::iter::once(&service_type.replace('_', "-")))
            .filter_map(|t| self.services.get(t))
            .fold(ServiceOptions::default(), |acc, s| acc.or(s))
    }

    /// Adapter options for a service: the per-service settings over the cloud's region,
    /// interface and retries. For identity, `identity_api_version` is the version.
    pub fn adapter_options(&self, service_type: &str) -> Result<AdapterOptions> {
        let svc = self.service(service_type);
        let interfaces = match &svc.interface {
            Some(i) => parse_interfaces(
                &OptionValues::new()
                    .with("i", i.as_str())
                    .get_list("i")
                    .unwrap_or_default(),
            )?,
            None => self.interfaces.clone(),
        };
        let out = AdapterOptions {
            service_type: Some(
                svc.service_type
                    .clone()
                    .unwrap_or_else(|| service_type.to_owned()),
            ),
            service_name: svc.service_name.clone(),
            interfaces,
            region_name: svc.region_name.clone().or_else(|| self.region_name.clone()),
            endpoint_override: svc.endpoint_override.clone(),
            version: svc.api_version.clone(),
            min_version: None,
            max_version: None,
            request: self.adapter_request.clone(),
        };
        out.check()?;
        Ok(out)
    }

    /// An adapter for a service on a session (see [`adapter_options`](Self::adapter_options)).
    pub fn adapter(&self, session: &Session, service_type: &str) -> Result<Adapter> {
        self.adapter_options(service_type)?.build(session.clone())
    }
}

//! Adapter options (keystoneauth1's adapter loader): `service_type`, `service_name`,
//! `valid_interfaces` / `interface`, `region_name`, `endpoint_override`, `version` /
//! `min_version` / `max_version`, `connect_retries`, `connect_retry_delay`,
//! `status_code_retries`, `status_code_retry_delay`, `retriable_status_codes`.

use std::time::Duration;

use keystoneauth_core::registry::{Opt, OptKind, OptionValues};
use keystoneauth_core::{Adapter, Error, Interface, RequestOptions, Result, Session};

use crate::session_opts::{parse_seconds, Seconds};

/// How to build an [`Adapter`], as options say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdapterOptions {
    /// Service type.
    pub service_type: Option<String>,
    /// Service name.
    pub service_name: Option<String>,
    /// Interfaces in order of preference.
    pub interfaces: Vec<Interface>,
    /// Region.
    pub region_name: Option<String>,
    /// Use this URL instead of the catalog's.
    pub endpoint_override: Option<String>,
    /// Major version.
    pub version: Option<String>,
    /// Minimum version.
    pub min_version: Option<String>,
    /// Maximum version.
    pub max_version: Option<String>,
    /// The adapter's layer of request options: `connect_retries`, `status_code_retries`,
    /// `connect_retry_delay`, `status_code_retry_delay`, `retriable_status_codes`.
    pub request: RequestOptions,
}

/// The adapter options as [`Opt`]s (keystoneauth1's conf names).
pub fn adapter_opts() -> Vec<Opt> {
    vec![
        Opt::new(
            "service-type",
            "The default service_type for endpoint URL discovery.",
        ),
        Opt::new(
            "service-name",
            "The default service_name for endpoint URL discovery.",
        ),
        Opt::new(
            "valid-interfaces",
            "List of interfaces, in order of preference, for endpoint URL.",
        )
        .kind(OptKind::List),
        Opt::new(
            "region-name",
            "The default region_name for endpoint URL discovery.",
        ),
        Opt::new(
            "endpoint-override",
            "Always use this endpoint URL for requests for this client.",
        ),
        Opt::new(
            "version",
            "Minimum Major API version within a given Major API version.",
        ),
        Opt::new("min-version", "The minimum major version of a given API."),
        Opt::new("max-version", "The maximum major version of a given API."),
        Opt::new(
            "connect-retries",
            "The maximum number of retries for connection errors.",
        )
        .kind(OptKind::Int),
        Opt::new(
            "connect-retry-delay",
            "Delay (in seconds) between two retries for connection errors. If not set, \
             exponential retry starting with 0.5 seconds up to a maximum of 60 seconds is used.",
        )
        .kind(OptKind::Float),
        Opt::new(
            "status-code-retries",
            "The maximum number of retries for retriable HTTP status codes.",
        )
        .kind(OptKind::Int),
        Opt::new(
            "status-code-retry-delay",
            "Delay (in seconds) between two retries for retriable status codes. If not set, \
             exponential retry starting with 0.5 seconds up to a maximum of 60 seconds is used.",
        )
        .kind(OptKind::Float),
        Opt::new(
            "retriable-status-codes",
            "List of retriable HTTP status codes that should be retried. If not set, 429 and \
             503 are retried.",
        )
        .kind(OptKind::List),
        Opt::new(
            "interface",
            "The default interface for endpoint URL discovery (deprecated).",
        ),
    ]
}

fn parse_delay(key: &str, v: &str) -> Result<Duration> {
    parse_seconds(key, v, Seconds::NonNegative)
}

fn parse_status_codes(key: &str, list: &[String]) -> Result<Vec<u16>> {
    list.iter()
        .map(|c| {
            c.trim()
                .parse::<u16>()
                .ok()
                .filter(|n| (100..=599).contains(n))
                .ok_or_else(|| {
                    Error::OptionError(format!(
                        "{key} must be a list of HTTP status codes (100-599), got {c:?}"
                    ))
                })
        })
        .collect()
}

fn parse_u32(key: &str, v: &str) -> Result<u32> {
    v.trim()
        .parse()
        .map_err(|_| Error::OptionError(format!("{key} must be a non-negative integer, got {v:?}")))
}

/// Parse an interface list (`public`, `internal,public`, `publicURL`): each must be public,
/// internal or admin.
pub fn parse_interfaces(list: &[String]) -> Result<Vec<Interface>> {
    list.iter()
        .map(|s| match Interface::parse(s) {
            Interface::Other(_) => Err(Error::OptionError(format!(
                "'{s}' is not a valid value for valid_interfaces. Valid values are public, \
                 internal or admin"
            ))),
            i => Ok(i),
        })
        .collect()
}

/// The request options an adapter's values set.
fn request_options(values: &OptionValues) -> Result<RequestOptions> {
    let mut o = RequestOptions::new();
    o.connect_retries = values
        .get("connect_retries")
        .map(|v| parse_u32("connect_retries", &v))
        .transpose()?;
    o.status_code_retries = values
        .get("status_code_retries")
        .map(|v| parse_u32("status_code_retries", &v))
        .transpose()?;
    o.connect_retry_delay = values
        .get("connect_retry_delay")
        .map(|v| parse_delay("connect_retry_delay", &v))
        .transpose()?;
    o.status_code_retry_delay = values
        .get("status_code_retry_delay")
        .map(|v| parse_delay("status_code_retry_delay", &v))
        .transpose()?;
    o.retriable_status_codes = values
        .get_list("retriable_status_codes")
        .map(|l| parse_status_codes("retriable_status_codes", &l))
        .transpose()?;
    Ok(o)
}

impl AdapterOptions {
    /// Read and check the options (interface and valid_interfaces are mutually exclusive, and
    /// so are version and min/max_version).
    pub fn from_values(values: &OptionValues) -> Result<AdapterOptions> {
        let valid = values.get_list("valid_interfaces");
        let single = values.get_list("interface");
        let interfaces = match (valid, single) {
            (Some(_), Some(_)) => {
                return Err(Error::OptionError(
                    "interface and valid_interfaces are mutually exclusive. Please use \
                     valid_interfaces."
                        .into(),
                ))
            }
            (Some(l), None) | (None, Some(l)) => parse_interfaces(&l)?,
            (None, None) => Vec::new(),
        };
        let out = AdapterOptions {
            service_type: values.get("service_type"),
            service_name: values.get("service_name"),
            interfaces,
            region_name: values.get("region_name"),
            endpoint_override: values.get("endpoint_override"),
            version: values.get("version"),
            min_version: values.get("min_version"),
            max_version: values.get("max_version"),
            request: request_options(values)?,
        };
        out.check()?;
        Ok(out)
    }

    /// Check that `version` is not combined with `min_version`/`max_version`.
    pub fn check(&self) -> Result<()> {
        if self.version.is_some() && (self.min_version.is_some() || self.max_version.is_some()) {
            return Err(Error::OptionError(
                "version is mutually exclusive with min_version and max_version".into(),
            ));
        }
        Ok(())
    }

    /// Build the adapter on a session (`service_type` is required).
    pub fn build(&self, session: Session) -> Result<Adapter> {
        self.check()?;
        let st = self
            .service_type
            .clone()
            .ok_or_else(|| Error::OptionError("service_type is required for an adapter".into()))?;
        let mut a = Adapter::new(session, st);
        for i in &self.interfaces {
            a = a.interface(i.clone());
        }
        if let Some(r) = &self.region_name {
            a = a.region(r.clone());
        }
        if let Some(n) = &self.service_name {
            a = a.service_name(n.clone());
        }
        if let Some(e) = &self.endpoint_override {
            a = a.endpoint_override(e.clone());
        }
        if let Some(v) = &self.version {
            a = a.version(v)?;
        }
        if let Some(v) = &self.min_version {
            a = a.min_version(v)?;
        }
        if let Some(v) = &self.max_version {
            a = a.max_version(v)?;
        }
        Ok(a.options(self.request.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_options() {
        let e = AdapterOptions::from_values(
            &OptionValues::new()
                .with("version", "2")
                .with("min_version", "2.1"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("mutually exclusive"), "{e}");
        let e = AdapterOptions::from_values(
            &OptionValues::new()
                .with("interface", "public")
                .with("valid_interfaces", "internal"),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("interface and valid_interfaces"),
            "{e}"
        );
        let e =
            AdapterOptions::from_values(&OptionValues::new().with("valid_interfaces", "private"))
                .unwrap_err();
        assert!(
            e.to_string().contains("'private' is not a valid value"),
            "{e}"
        );
        for (k, v, says) in [
            ("connect_retry_delay", "soon", "must be a number of seconds"),
            ("connect_retry_delay", "1e30", "at most"),
            ("status_code_retry_delay", "-1", "at least 0"),
            (
                "retriable_status_codes",
                "503,abc",
                "list of HTTP status codes",
            ),
            (
                "retriable_status_codes",
                "5030",
                "list of HTTP status codes",
            ),
        ] {
            let e = AdapterOptions::from_values(&OptionValues::new().with(k, v)).unwrap_err();
            assert!(e.to_string().contains(says), "{k}={v}: {e}");
        }
    }

    #[test]
    fn reads_retry_delays_and_codes() {
        let o = AdapterOptions::from_values(
            &OptionValues::new()
                .with("connect_retry_delay", "1.5")
                .with("status_code_retry_delay", "0")
                .with("retriable_status_codes", "502, 503"),
        )
        .unwrap();
        assert_eq!(
            o.request.connect_retry_delay,
            Some(Duration::from_millis(1500))
        );
        assert_eq!(o.request.status_code_retry_delay, Some(Duration::ZERO));
        assert_eq!(o.request.retriable_status_codes, Some(vec![502, 503]));
    }

    #[test]
    fn reads_values() {
        let o = AdapterOptions::from_values(
            &OptionValues::new()
                .with("service_type", "compute")
                .with("valid_interfaces", "internal,publicURL")
                .with("region_name", "R1")
                .with("min_version", "2.1")
                .with("connect_retries", "3"),
        )
        .unwrap();
        assert_eq!(o.interfaces, vec![Interface::Internal, Interface::Public]);
        assert_eq!(o.request.connect_retries, Some(3));
        let s = Session::builder().build().unwrap();
        let a = o.build(s).unwrap();
        assert_eq!(a.request_options().connect_retries, Some(3));
        assert_eq!(a.filter().region_name.as_deref(), Some("R1"));
        assert!(a.filter().version.min.is_some());
    }
}

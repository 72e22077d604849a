//! Session options (keystoneauth1's session loader): `insecure`, `cacert`, `cert`, `key`,
//! `timeout`, `collect_timing`, `split_loggers`. The TLS and logging settings are the
//! session's; `timeout` goes into the session's layer of [`RequestOptions`].

use std::path::PathBuf;
use std::time::Duration;

use keystoneauth_core::registry::{Opt, OptKind, OptionValues};
use keystoneauth_core::{Error, RequestOptions, Result, SessionBuilder, Verify};
use secrecy::SecretString;

/// How to build a [`Session`](keystoneauth_core::Session), as options say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionOptions {
    /// Certificate checking: system roots, a CA bundle (`cacert`), or none (`insecure`,
    /// `verify: false`).
    pub verify: Verify,
    /// Client certificate (PEM file).
    pub cert: Option<PathBuf>,
    /// Client key (PEM file); without it the key is read from `cert`.
    pub key: Option<PathBuf>,
    /// The session's layer of request options (`timeout`/`api_timeout` go here).
    pub request: RequestOptions,
    /// Record the time of each request.
    pub collect_timing: bool,
    /// Log requests per service (accepted for compatibility; logs already go through
    /// `tracing` with the target per module).
    pub split_loggers: bool,
}

/// The session options as [`Opt`]s (their `OS_*` variables and `--os-*` flags), keystoneauth1's
/// conf names with the CLI names as deprecated aliases.
pub fn session_opts() -> Vec<Opt> {
    vec![
        Opt::new("insecure", "Do not verify the server's TLS certificate").kind(OptKind::Bool),
        Opt::new("cacert", "PEM CA bundle to verify the server's certificate")
            .deprecated(&["cafile"]),
        Opt::new("cert", "PEM client certificate").deprecated(&["certfile"]),
        Opt::new("key", "PEM client key").deprecated(&["keyfile"]),
        Opt::new("timeout", "Request timeout in seconds")
            .kind(OptKind::Float)
            .deprecated(&["api-timeout"]),
        Opt::new("collect-timing", "Collect the time of each request").kind(OptKind::Bool),
        Opt::new("split-loggers", "Log requests per service").kind(OptKind::Bool),
    ]
}

/// The largest number of seconds a timeout or delay option takes (a week): a larger value is
/// surely a mistake, and `Duration` could not even hold some (1e20 s).
pub const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// Which numbers of seconds an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seconds {
    /// More than 0 (timeouts).
    Positive,
    /// 0 or more (delays).
    NonNegative,
}

/// A number of seconds (`2`, `2.5`), range-checked: never a panic, a typed error naming the
/// option and the value.
pub(crate) fn parse_seconds(key: &str, v: &str, range: Seconds) -> Result<Duration> {
    let secs: f64 = v
        .trim()
        .parse()
        .map_err(|_| Error::OptionError(format!("{key} must be a number of seconds, got {v:?}")))?;
    let low_ok = match range {
        Seconds::Positive => secs > 0.0,
        Seconds::NonNegative => secs >= 0.0,
    };
    if !(low_ok && secs <= MAX_SECONDS) {
        let low = match range {
            Seconds::Positive => "greater than 0",
            Seconds::NonNegative => "at least 0",
        };
        return Err(Error::OptionError(format!(
            "{key} must be {low} and at most {MAX_SECONDS} seconds (a week), got {v}"
        )));
    }
    Duration::try_from_secs_f64(secs).map_err(|e| Error::OptionError(format!("{key}={v}: {e}")))
}

fn parse_bool(key: &str, v: &str) -> Result<bool> {
    OptionValues::new()
        .with(key, v)
        .get_bool(key)
        .map(|b| b.unwrap_or(false))
}

impl SessionOptions {
    /// Read the options from values (keys `insecure`, `verify`, `cacert`/`cafile`,
    /// `cert`/`certfile`, `key`/`keyfile`, `timeout`/`api_timeout`, `collect_timing`,
    /// `split_loggers`).
    ///
    /// `verify` may be a boolean or a CA bundle path (openstacksdk's form).
    pub fn from_values(values: &OptionValues) -> Result<SessionOptions> {
        let first = |keys: &[&str]| keys.iter().find_map(|k| values.get(k));
        let mut out = SessionOptions::default();
        let insecure = match first(&["insecure"]) {
            Some(v) => parse_bool("insecure", &v)?,
            None => false,
        };
        let verify = values.get("verify");
        let verify_off = match verify.as_deref() {
            Some(v) => match OptionValues::new().with("verify", v).get_bool("verify") {
                Ok(Some(b)) => !b,
                _ => false, // a path
            },
            None => false,
        };
        let verify_path = verify.filter(|v| {
            OptionValues::new()
                .with("verify", v.as_str())
                .get_bool("verify")
                .is_err()
        });
        out.verify = if insecure || verify_off {
            Verify::Insecure
        } else if let Some(ca) = first(&["cacert", "cafile"]).or(verify_path) {
            Verify::CaBundle(PathBuf::from(ca))
        } else {
            Verify::System
        };
        out.cert = first(&["cert", "certfile"]).map(PathBuf::from);
        out.key = first(&["key", "keyfile"]).map(PathBuf::from);
        if let Some(t) = first(&["timeout", "api_timeout"]) {
            out.request.timeout = Some(parse_seconds("timeout", &t, Seconds::Positive)?);
        }
        if let Some(v) = values.get("collect_timing") {
            out.collect_timing = parse_bool("collect_timing", &v)?;
        }
        if let Some(v) = values.get("split_loggers") {
            out.split_loggers = parse_bool("split_loggers", &v)?;
        }
        Ok(out)
    }

    /// A session builder with these options (files are read now).
    pub fn builder(&self) -> Result<SessionBuilder> {
        let mut b = SessionBuilder::default()
            .verify(self.verify.clone())
            .collect_timing(self.collect_timing)
            .split_loggers(self.split_loggers)
            .options(self.request.clone());
        if let Some(cert) = &self.cert {
            let pem = std::fs::read(cert).map_err(|e| {
                Error::Config(format!(
                    "cannot read client certificate {}: {e}",
                    cert.display()
                ))
            })?;
            let key = match &self.key {
                Some(k) => Some(SecretString::from(std::fs::read_to_string(k).map_err(
                    |e| Error::Config(format!("cannot read client key {}: {e}", k.display())),
                )?)),
                None => None,
            };
            b = b.client_cert(pem, key);
        } else if self.key.is_some() {
            return Err(Error::OptionError(
                "a client key was given without a client certificate (cert)".into(),
            ));
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(&str, &str)]) -> OptionValues {
        pairs
            .iter()
            .fold(OptionValues::new(), |o, (k, v)| o.with(k, *v))
    }

    #[test]
    fn verify_forms() {
        assert_eq!(
            SessionOptions::from_values(&v(&[])).unwrap().verify,
            Verify::System
        );
        assert_eq!(
            SessionOptions::from_values(&v(&[("insecure", "true")]))
                .unwrap()
                .verify,
            Verify::Insecure
        );
        assert_eq!(
            SessionOptions::from_values(&v(&[("verify", "False"), ("cacert", "/ca")]))
                .unwrap()
                .verify,
            Verify::Insecure
        );
        assert_eq!(
            SessionOptions::from_values(&v(&[("cacert", "/ca")]))
                .unwrap()
                .verify,
            Verify::CaBundle("/ca".into())
        );
        assert_eq!(
            SessionOptions::from_values(&v(&[("verify", "/ca.pem")]))
                .unwrap()
                .verify,
            Verify::CaBundle("/ca.pem".into())
        );
        assert!(SessionOptions::from_values(&v(&[("insecure", "maybe")])).is_err());
    }

    #[test]
    fn timeout_checked() {
        let o = SessionOptions::from_values(&v(&[("timeout", "2.5"), ("collect_timing", "yes")]))
            .unwrap();
        assert_eq!(o.request.timeout, Some(Duration::from_millis(2500)));
        assert!(o.collect_timing);
        let e = SessionOptions::from_values(&v(&[("timeout", "0")])).unwrap_err();
        assert!(e.to_string().contains("greater than 0"), "{e}");
        let e = SessionOptions::from_values(&v(&[("timeout", "x")])).unwrap_err();
        assert!(e.to_string().contains("must be a number of seconds"), "{e}");
        // Huge values are option errors, not a panic in Duration::from_secs_f64.
        for huge in ["1e20", "1e30", "1e300", "inf", "NaN", "604801"] {
            let e = SessionOptions::from_values(&v(&[("api_timeout", huge)])).unwrap_err();
            assert!(matches!(e, Error::OptionError(_)), "{huge}: {e}");
            assert!(e.to_string().contains("at most"), "{huge}: {e}");
        }
        let week = SessionOptions::from_values(&v(&[("timeout", "604800")])).unwrap();
        assert_eq!(week.request.timeout, Some(Duration::from_secs(604_800)));
    }

    #[test]
    fn builder_reads_files() {
        let o = SessionOptions {
            cert: Some("/nonexistent/cert.pem".into()),
            ..Default::default()
        };
        let e = o.builder().unwrap_err().to_string();
        assert!(e.contains("/nonexistent/cert.pem"), "{e}");
        assert!(SessionOptions::default().builder().unwrap().build().is_ok());
    }
}

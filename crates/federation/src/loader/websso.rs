//! The WebSSO loader: `v3websso`.

use std::sync::Arc;
use std::time::Duration;

use keystoneauth_core::registry::{Opt, OptKind, OptionValues};
use keystoneauth_core::{AuthPlugin, Error, Result};

use super::{base_opts, required, scope};
use crate::base::Federated;
use crate::websso::WebSso;

fn opts() -> Vec<Opt> {
    base_opts(&[
        Opt::new(
            "redirect-host",
            "The host of the local callback the browser posts the token to; it must \
             resolve only to loopback addresses.",
        )
        .default("localhost"),
        Opt::new(
            "redirect-port",
            "The port of the local callback the browser posts the token to.",
        )
        .default("9990")
        .kind(OptKind::Int),
        Opt::new(
            "login-timeout",
            "How long to wait, in seconds, for the token to come back from the browser.",
        )
        .default("60")
        .kind(OptKind::Float),
        Opt::new(
            "username",
            "A label for the user, so that each account gets its own cached token.",
        ),
    ])
}

/// `redirect-port`: an integer from 1 to 65535.
pub(crate) fn redirect_port(value: &str) -> Result<u16> {
    match value.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(Error::OptionError(format!(
            "redirect-port must be a port number from 1 to 65535, not {value:?}."
        ))),
    }
}

/// `login-timeout`: a finite, non-negative number of seconds.
pub(crate) fn login_timeout(value: &str) -> Result<Duration> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            Error::OptionError(format!(
                "login-timeout must be a non-negative number of seconds, not {value:?}."
            ))
        })
}

fn create(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let mut flow = WebSso::new(
        required(values, "auth_url")?,
        required(values, "identity_provider")?,
        required(values, "protocol")?,
    );
    if let Some(h) = values.get("redirect_host") {
        if h.trim().is_empty() {
            return Err(Error::OptionError(
                "redirect-host must not be empty.".into(),
            ));
        }
        flow = flow.redirect_host(h.trim());
    }
    if let Some(p) = values.get("redirect_port") {
        flow = flow.redirect_port(redirect_port(&p)?);
    }
    if let Some(t) = values.get("login_timeout") {
        flow = flow.login_timeout(login_timeout(&t)?);
    }
    if let Some(u) = values.get("username") {
        flow = flow.username(u);
    }
    Ok(Arc::new(Federated::new(flow, scope(values)?)))
}

keystoneauth_core::register_plugin! {
    name: "v3websso",
    description: "Authenticate in a browser with Keystone's WebSSO (Identity v3 federation)",
    options: opts,
    create: create,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_values() {
        assert_eq!(redirect_port("9990").unwrap(), 9990);
        assert_eq!(login_timeout("2.5").unwrap(), Duration::from_millis(2500));
        for bad in ["0", "-1", "65536", "x", ""] {
            assert!(
                matches!(redirect_port(bad), Err(Error::OptionError(_))),
                "{bad}"
            );
        }
        for bad in ["-1", "nan", "inf", "x", "1e300"] {
            assert!(
                matches!(login_timeout(bad), Err(Error::OptionError(_))),
                "{bad}"
            );
        }
    }
}

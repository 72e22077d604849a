//! The ADFS loader: `v3adfspassword`.

use std::sync::Arc;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{AuthPlugin, Error, Result};

use super::{base_opts, required, scope};
use crate::adfs::AdfsPassword;
use crate::base::Federated;

/// keystoneauth1's `ADFSPassword` loader options (all required there, the entity id too).
fn opts() -> Vec<Opt> {
    base_opts(&[
        Opt::new(
            "identity-provider-url",
            "An Identity Provider URL, where the SAML authentication request will be sent.",
        )
        .required(),
        Opt::new("service-provider-endpoint", "Service Provider's Endpoint").required(),
        Opt::new(
            "service-provider-entity-id",
            "Service Provider's SAML Entity ID",
        )
        .required(),
        Opt::new("username", "Username").required(),
        Opt::new("password", "Password").secret().required(),
    ])
}

/// An `http(s)` URL, else a typed option error naming the option.
fn http_url(values: &OptionValues, key: &str) -> Result<String> {
    let v = required(values, key)?;
    match url::Url::parse(&v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(v),
        Ok(_) => Err(Error::OptionError(format!(
            "{} must be an http or https URL, not {v:?}",
            key.replace('_', "-")
        ))),
        Err(e) => Err(Error::OptionError(format!(
            "{} is not a valid URL ({e}): {v:?}",
            key.replace('_', "-")
        ))),
    }
}

fn create(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let mut flow = AdfsPassword::new(
        required(values, "auth_url")?,
        required(values, "identity_provider")?,
        required(values, "protocol")?,
        http_url(values, "identity_provider_url")?,
        http_url(values, "service_provider_endpoint")?,
        required(values, "username")?,
        required(values, "password")?,
    );
    if let Some(id) = values.get("service_provider_entity_id") {
        flow = flow.service_provider_entity_id(id);
    }
    Ok(Arc::new(Federated::new(flow, scope(values)?)))
}

keystoneauth_core::register_plugin! {
    name: "v3adfspassword",
    description: "Authenticate with ADFS 2.0 WS-Trust (username and password at the IdP)",
    options: opts,
    create: create,
}

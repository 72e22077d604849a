//! The SAML2 ECP loader: `v3samlpassword`.

use std::sync::Arc;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{AuthPlugin, Result};

use super::{base_opts, required, scope};
use crate::base::Federated;
use crate::saml2::Saml2Password;

fn opts() -> Vec<Opt> {
    base_opts(&[
        Opt::new(
            "identity-provider-url",
            "An Identity Provider URL, where the SAML2 authentication request will be sent.",
        )
        .required(),
        Opt::new("username", "Username").required(),
        Opt::new("password", "Password").secret().required(),
    ])
}

fn create(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let flow = Saml2Password::new(
        required(values, "auth_url")?,
        required(values, "identity_provider")?,
        required(values, "protocol")?,
        required(values, "identity_provider_url")?,
        required(values, "username")?,
        required(values, "password")?,
    );
    Ok(Arc::new(Federated::new(flow, scope(values)?)))
}

keystoneauth_core::register_plugin! {
    name: "v3samlpassword",
    description: "Authenticate with SAML2 ECP (username and password at the IdP)",
    options: opts,
    create: create,
}

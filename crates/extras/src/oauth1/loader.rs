//! The `v3oauth1` loader.

use std::sync::Arc;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::{AuthPlugin, Error, Result};

use super::V3OAuth1;

fn loader_options() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Authentication URL").required(),
        Opt::new("consumer-key", "OAuth Consumer ID/Key").required(),
        Opt::new("consumer-secret", "OAuth Consumer Secret")
            .required()
            .secret(),
        Opt::new("access-key", "OAuth Access Key").required(),
        Opt::new("access-secret", "OAuth Access Secret")
            .required()
            .secret(),
    ]
}

fn create(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let need = |k: &str| {
        values
            .get(k)
            .ok_or_else(|| Error::OptionError(format!("missing option {k}")))
    };
    Ok(Arc::new(
        V3OAuth1::new(
            need("auth_url")?,
            need("consumer_key")?,
            SecretString::from(need("consumer_secret")?),
            need("access_key")?,
            SecretString::from(need("access_secret")?),
        )
        .into_plugin(),
    ))
}

keystoneauth_core::register_plugin! {
    name: "v3oauth1",
    description: "OAuth 1.0a access key and secret (Keystone OS-OAUTH1)",
    options: loader_options,
    create: create,
}

//! The loaders `v3kerberos` and `v3fedkerb`, with `mutual-auth`.

use std::sync::Arc;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{AuthPlugin, Error, Result};
use keystoneauth_identity_v3::ScopeParams;

use super::{Kerberos, MappedKerberos, MutualAuth};

const MUTUAL_AUTH_OPT: Opt =
    Opt::new("mutual-auth", "Configures Kerberos Mutual Authentication").default("optional");

/// `v3kerberos` options: auth-url, the v3 scope block, mutual-auth.
pub fn kerberos_options() -> Vec<Opt> {
    let mut o = keystoneauth_identity_v3::loaders::v3_base_options();
    o.push(MUTUAL_AUTH_OPT);
    o
}

/// `v3fedkerb` options: auth-url, the v3 scope block, identity-provider, protocol,
/// mutual-auth.
pub fn mapped_kerberos_options() -> Vec<Opt> {
    let mut o = keystoneauth_identity_v3::loaders::v3_base_options();
    o.push(Opt::new("identity-provider", "Identity Provider's name").required());
    o.push(Opt::new("protocol", "Protocol for federated plugin").required());
    o.push(MUTUAL_AUTH_OPT);
    o
}

/// The loaders' check: absent is optional; a bad value is keystoneauth1's `OptionError`.
fn mutual_from_options(values: &OptionValues) -> Result<MutualAuth> {
    match values.get("mutual_auth") {
        None => Ok(MutualAuth::Optional),
        Some(v) => v.parse(),
    }
}

fn required(values: &OptionValues, key: &str) -> Result<String> {
    values
        .get(key)
        .ok_or_else(|| Error::OptionError(format!("{key} is required")))
}

fn create_kerberos(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let mutual = mutual_from_options(values)?;
    Ok(Arc::new(
        Kerberos::new(required(values, "auth_url")?)
            .mutual_auth(mutual)
            .scope_params(ScopeParams::from_options(values))
            .into_plugin(),
    ))
}

fn create_mapped_kerberos(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let mutual = mutual_from_options(values)?;
    Ok(Arc::new(
        MappedKerberos::new(
            required(values, "auth_url")?,
            required(values, "identity_provider")?,
            required(values, "protocol")?,
        )
        .mutual_auth(mutual)
        .scope_params(ScopeParams::from_options(values))
        .into_plugin(),
    ))
}

keystoneauth_core::register_plugin! {
    name: "v3kerberos",
    description: "Kerberos (GSSAPI Negotiate) v3 authentication",
    options: kerberos_options,
    create: create_kerberos,
}

keystoneauth_core::register_plugin! {
    name: "v3fedkerb",
    description: "Kerberos through Keystone federation (MappedKerberos)",
    options: mapped_kerberos_options,
    create: create_mapped_kerberos,
}

//! Loaders with keystoneauth1's names and options (FEATURES §14.4): one file per plugin
//! family; this file holds the options and checks they share.

#![allow(dead_code)]

#[cfg(feature = "adfs")]
mod adfs;
#[cfg(feature = "oidc")]
mod oidc;
#[cfg(feature = "saml2")]
mod saml2;
#[cfg(feature = "websso")]
mod websso;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{Error, Result};

use keystoneauth_identity_v3::ScopeParams;

pub(crate) fn base_opts(extra: &[Opt]) -> Vec<Opt> {
    let mut v = keystoneauth_identity_v3::loaders::v3_base_options();
    v.push(Opt::new("identity-provider", "Identity Provider's name").required());
    v.push(Opt::new("protocol", "Protocol for federated plugin").required());
    v.extend_from_slice(extra);
    v
}

pub(crate) fn required(values: &OptionValues, key: &str) -> Result<String> {
    values
        .get(key)
        .ok_or_else(|| Error::OptionError(format!("option {} is required", key.replace('_', "-"))))
}

/// The v3 scope options, with keystoneauth1's project-name check.
pub(crate) fn scope(values: &OptionValues) -> Result<ScopeParams> {
    let s = ScopeParams::from_options(values);
    if s.project_name.is_some() && s.project_domain_id.is_none() && s.project_domain_name.is_none()
    {
        return Err(Error::OptionError(
            "You have provided a project_name. In the V3 identity API a project_name is only \
             unique within a domain so you must also provide either a project_domain_id or \
             project_domain_name."
                .into(),
        ));
    }
    Ok(s)
}

//! [`MultiFactor`]: several auth methods, named by their plugins, in one request.

use std::sync::Arc;

use keystoneauth_core::error::MissingOption;
use keystoneauth_core::registry::{self, OptionValues};
use keystoneauth_core::{Error, IdentityPlugin, Result};

use crate::auth::{Auth, ScopeParams};
use crate::method::{
    ApplicationCredentialMethod, AuthMethod, OAuth2ClientCredentialMethod, PasswordMethod,
    TokenMethod, TotpMethod, UserRef,
};

/// The plugin names whose method can be part of a multi-factor request.
pub const MULTI_FACTOR_METHODS: &[&str] = &[
    "v3password",
    "v3totp",
    "v3token",
    "v3applicationcredential",
    "v3oauth2clientcredential",
];

fn user_ref(values: &OptionValues) -> UserRef {
    UserRef {
        user_id: values.get("user_id"),
        username: values.get("username"),
        user_domain_id: values.get("user_domain_id"),
        user_domain_name: values.get("user_domain_name"),
    }
}

fn require(values: &OptionValues, key: &str) -> Result<String> {
    values.get(key).ok_or_else(|| {
        Error::MissingRequiredOptions(vec![MissingOption::new(
            key.replace('_', "-"),
            format!("OS_{}", key.to_ascii_uppercase()),
        )])
    })
}

/// The auth method of a v3 plugin name, built from option values.
pub fn method_for_plugin(name: &str, values: &OptionValues) -> Result<Arc<dyn AuthMethod>> {
    Ok(match name {
        "v3password" => Arc::new(PasswordMethod::with_user(
            Some(require(values, "password")?.into()),
            user_ref(values),
        )),
        "v3totp" => Arc::new(TotpMethod::with_user(
            Some(require(values, "passcode")?.into()),
            user_ref(values),
        )),
        "v3token" => Arc::new(TokenMethod::new(require(values, "token")?)),
        "v3applicationcredential" => Arc::new(ApplicationCredentialMethod::from_parts(
            values.get("application_credential_id"),
            values.get("application_credential_name"),
            Some(require(values, "application_credential_secret")?.into()),
            user_ref(values),
        )),
        "v3oauth2clientcredential" => Arc::new(OAuth2ClientCredentialMethod::new(
            require(values, "oauth2_endpoint")?,
            require(values, "oauth2_client_id")?,
            require(values, "oauth2_client_secret")?,
        )),
        other => {
            // Known to the registry but not a v3 method: keystoneauth1's TypeError.
            if registry::names().contains(&other) {
                return Err(Error::OptionError(
                    "The multifactor auth method can only be used with v3 auth plugins that \
                     implement the SupportsMultiFactor protocol"
                        .into(),
                ));
            }
            return Err(Error::NoMatchingPlugin {
                name: other.to_owned(),
                available: registry::names().into_iter().map(str::to_owned).collect(),
            });
        }
    })
}

/// Multi-factor authentication (keystoneauth1's `v3.MultiFactor`): the methods of several
/// plugins (`v3password`, `v3totp`, …) in one token request, with their options taken from
/// one set of values.
///
/// ```
/// use keystoneauth_core::registry::OptionValues;
/// use keystoneauth_identity_v3::MultiFactor;
/// let values = OptionValues::new()
///     .with("user_id", "u1")
///     .with("password", "secret")
///     .with("passcode", "123456")
///     .with("project_id", "p1");
/// let plugin = MultiFactor::plugin("http://keystone.example/v3", &["v3password", "v3totp"], &values)
///     .unwrap();
/// # let _ = plugin;
/// ```
#[derive(Debug)]
pub struct MultiFactor;

impl MultiFactor {
    /// The [`Auth`] with one method per plugin name and the scope from `values`.
    pub fn auth(
        auth_url: impl Into<String>,
        methods: &[&str],
        values: &OptionValues,
    ) -> Result<Auth> {
        if methods.is_empty() {
            return Err(Error::OptionError("methods is a required option.".into()));
        }
        let auth = Auth::new(auth_url).scope_params(ScopeParams::from_options(values));
        for name in methods {
            auth.add_method_arc(method_for_plugin(name.trim(), values)?);
        }
        Ok(auth)
    }

    /// The plugin.
    pub fn plugin(
        auth_url: impl Into<String>,
        methods: &[&str],
        values: &OptionValues,
    ) -> Result<IdentityPlugin<Auth>> {
        Ok(Self::auth(auth_url, methods, values)?.into_plugin())
    }
}

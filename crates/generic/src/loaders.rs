//! The loaders `password` and `token`: keystoneauth1's options (with the deprecated
//! `tenant-*` and `user-name` aliases), building the plugins from option values, and their
//! registration.

use std::sync::Arc;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{AuthPlugin, Error, Result};
use keystoneauth_identity_v3::UserRef;
use tokio::sync::OnceCell;

use crate::common::Common;
use crate::{Password, Token};

/// keystoneauth1's `BaseGenericLoader` options: `auth-url`, the scope (with the deprecated
/// `tenant-*` aliases) and the default domain.
fn generic_base_options() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Authentication URL").required(),
        Opt::new("system-scope", "Scope for system operations"),
        Opt::new("domain-id", "Domain ID to scope to"),
        Opt::new("domain-name", "Domain name to scope to"),
        Opt::new("project-id", "Project ID to scope to").deprecated(&["tenant-id"]),
        Opt::new("project-name", "Project name to scope to").deprecated(&["tenant-name"]),
        Opt::new("project-domain-id", "Domain ID containing project"),
        Opt::new("project-domain-name", "Domain name containing project"),
        Opt::new("trust-id", "ID of the trust to use as a trustee use"),
        Opt::new(
            "default-domain-id",
            "Optional domain ID to use with v3 and v2 parameters. It will be used for both \
             the user and project domain in v3 and ignored in v2 authentication.",
        ),
        Opt::new(
            "default-domain-name",
            "Optional domain name to use with v3 API and v2 parameters. It will be used for \
             both the user and project domain in v3 and ignored in v2 authentication.",
        ),
    ]
}

/// The options of `password`, in keystoneauth1's order.
pub fn password_options() -> Vec<Opt> {
    let mut o = generic_base_options();
    o.extend([
        Opt::new("user-id", "User id"),
        Opt::new("username", "Username").deprecated(&["user-name"]),
        Opt::new("user-domain-id", "User's domain id"),
        Opt::new("user-domain-name", "User's domain name"),
        Opt::new("password", "User's password")
            .secret()
            .prompt("Password: "),
    ]);
    o
}

/// The options of `token`, in keystoneauth1's order.
pub fn token_options() -> Vec<Opt> {
    let mut o = generic_base_options();
    o.push(Opt::new("token", "Token to authenticate with").secret());
    o
}

fn missing(name: &str) -> Error {
    Error::MissingRequiredOptions(vec![keystoneauth_core::error::MissingOption::new(
        name.replace('_', "-"),
        format!("OS_{}", name.to_ascii_uppercase()),
    )])
}

fn check_auth_url(common: &Common) -> Result<()> {
    if common.auth_url.is_empty() {
        return Err(missing("auth_url"));
    }
    Ok(())
}

/// Build a generic [`Password`] from loader options.
pub fn password_from_options(values: &OptionValues) -> Result<Password> {
    let common = Common::from_options(values);
    check_auth_url(&common)?;
    let password = values
        .get_secret("password")
        .ok_or_else(|| missing("password"))?;
    Ok(Password {
        common,
        user: UserRef {
            user_id: values.get("user_id"),
            username: values.get("username").or_else(|| values.get("user_name")),
            user_domain_id: values.get("user_domain_id"),
            user_domain_name: values.get("user_domain_name"),
        },
        password,
        plugin: OnceCell::new(),
    })
}

/// Build a generic [`Token`] from loader options.
pub fn token_from_options(values: &OptionValues) -> Result<Token> {
    let common = Common::from_options(values);
    check_auth_url(&common)?;
    let token = values.get_secret("token").ok_or_else(|| missing("token"))?;
    Ok(Token {
        common,
        token,
        plugin: OnceCell::new(),
    })
}

fn create_password(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(password_from_options(values)?.into_plugin()))
}

fn create_token(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(token_from_options(values)?.into_plugin()))
}

keystoneauth_core::register_plugin! {
    name: "password",
    description: "Authenticate with a username or user id and password (Identity v3 or v2.0, discovered)",
    options: password_options,
    create: create_password,
}

keystoneauth_core::register_plugin! {
    name: "token",
    description: "Authenticate with an existing token (Identity v3 or v2.0, discovered)",
    options: token_options,
    create: create_token,
}

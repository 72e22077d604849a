//! The loaders registered under keystoneauth1's names, with its options and checks.

use std::path::Path;
use std::sync::Arc;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{AuthPlugin, Error, Result};

use crate::auth::{Auth, ScopeParams};
use crate::method::{
    ApplicationCredentialMethod, PasswordMethod, TokenMethod, TotpMethod, UserRef,
};
use crate::multifactor::{MultiFactor, MULTI_FACTOR_METHODS};
use crate::oauth2::{OAuth2ClientCredential, OAuth2MtlsClientCredential};
use crate::tokenless::TokenlessAuth;

const AUTH_URL: Opt = Opt::new("auth-url", "Authentication URL").required();

/// `auth-url` and the v3 scope block (keystoneauth1's `BaseV3Loader`).
pub fn v3_base_options() -> Vec<Opt> {
    vec![
        AUTH_URL,
        Opt::new("system-scope", "Scope for system operations"),
        Opt::new("domain-id", "Domain ID to scope to"),
        Opt::new("domain-name", "Domain name to scope to"),
        Opt::new("project-id", "Project ID to scope to"),
        Opt::new("project-name", "Project name to scope to"),
        Opt::new("project-domain-id", "Domain ID containing project"),
        Opt::new("project-domain-name", "Domain name containing project"),
        Opt::new("trust-id", "ID of the trust to use as a trustee use"),
    ]
}

fn user_options() -> Vec<Opt> {
    vec![
        Opt::new("user-id", "User's user ID"),
        Opt::new("username", "User's username").deprecated(&["user-name"]),
        Opt::new("user-domain-id", "User's domain ID"),
        Opt::new("user-domain-name", "User's domain name"),
    ]
}

fn password_opt() -> Opt {
    Opt::new("password", "User's password")
        .secret()
        .prompt("Password: ")
}

fn passcode_opt() -> Opt {
    Opt::new("passcode", "User's TOTP passcode")
        .secret()
        .prompt("TOTP passcode: ")
}

fn app_cred_options() -> Vec<Opt> {
    vec![
        Opt::new(
            "application_credential_secret",
            "Application credential auth secret",
        )
        .secret()
        .required(),
        Opt::new("application_credential_id", "Application credential ID"),
        Opt::new("application_credential_name", "Application credential name"),
    ]
}

fn oauth2_options() -> Vec<Opt> {
    vec![
        Opt::new("oauth2_endpoint", "Endpoint for OAuth2.0").required(),
        Opt::new("oauth2_client_id", "Client id for OAuth2.0").required(),
        Opt::new("oauth2_client_secret", "Client secret for OAuth2.0")
            .secret()
            .required(),
    ]
}

/// Client certificate options (an addition: keystoneauth1 takes the session's certificate;
/// without them the session's certificate is used here too).
fn cert_options() -> Vec<Opt> {
    vec![
        Opt::new(
            "cert",
            "PEM client certificate file (default: the session's client certificate)",
        ),
        Opt::new("key", "PEM client key file, if not in the certificate file"),
    ]
}

/// `v3password` options.
pub fn password_options() -> Vec<Opt> {
    let mut o = v3_base_options();
    o.extend(user_options());
    o.push(password_opt());
    o
}

/// `v3token` options.
pub fn token_options() -> Vec<Opt> {
    let mut o = v3_base_options();
    o.push(Opt::new("token", "Token to authenticate with").secret());
    o
}

/// `v3totp` options.
pub fn totp_options() -> Vec<Opt> {
    let mut o = v3_base_options();
    o.extend(user_options());
    o.push(passcode_opt());
    o
}

/// `v3applicationcredential` options.
pub fn application_credential_options() -> Vec<Opt> {
    let mut o = v3_base_options();
    o.extend(user_options());
    o.extend(app_cred_options());
    o
}

/// `v3multifactor` options: keystoneauth1's (`auth-url`, scope, `auth_methods`) followed by
/// the options of every method a multi-factor request can use (none required), so that
/// environment and command-line loading find them. See [`multifactor_options`] for the
/// options of given methods only.
pub fn multifactor_loader_options() -> Vec<Opt> {
    multifactor_options(MULTI_FACTOR_METHODS)
        .into_iter()
        .map(|mut o| {
            if o.name != "auth-url" && o.name != "auth_methods" {
                o.required = false;
            }
            o
        })
        .collect()
}

/// keystoneauth1's `v3multifactor` options once `auth_methods` is known: its own, then each
/// method plugin's, deduplicated by name (later ones replace earlier ones in place).
pub fn multifactor_options(methods: &[&str]) -> Vec<Opt> {
    let mut o = v3_base_options();
    o.push(Opt::new("auth_methods", "Methods to authenticate with.").required());
    for m in methods {
        let extra = match *m {
            "v3password" => password_options(),
            "v3totp" => totp_options(),
            "v3token" => token_options(),
            "v3applicationcredential" => application_credential_options(),
            "v3oauth2clientcredential" => oauth2_client_credential_options(),
            _ => continue,
        };
        for opt in extra {
            match o.iter_mut().find(|x| x.name == opt.name) {
                Some(slot) => *slot = opt,
                None => o.push(opt),
            }
        }
    }
    o
}

/// `v3oauth2clientcredential` options.
pub fn oauth2_client_credential_options() -> Vec<Opt> {
    let mut o = v3_base_options();
    o.extend(oauth2_options());
    o
}

/// `v3oauth2mtlsclientcredential` options (plus `cert` and `key`).
pub fn oauth2_mtls_options() -> Vec<Opt> {
    let mut o = v3_base_options();
    o.push(
        Opt::new(
            "oauth2-endpoint",
            "Endpoint for OAuth2.0 Mutual-TLS Authorization",
        )
        .required(),
    );
    o.push(
        Opt::new(
            "oauth2-client-id",
            "Client credential ID for OAuth2.0 Mutual-TLS Authorization",
        )
        .required(),
    );
    o.extend(cert_options());
    o
}

/// `v3tokenlessauth` options (plus `cert` and `key`).
pub fn tokenless_options() -> Vec<Opt> {
    let mut o = vec![
        AUTH_URL,
        Opt::new("domain-id", "Domain ID to scope to"),
        Opt::new("domain-name", "Domain name to scope to"),
        Opt::new("project-id", "Project ID to scope to"),
        Opt::new("project-name", "Project name to scope to"),
        Opt::new("project-domain-id", "Domain ID containing project"),
        Opt::new("project-domain-name", "Domain name containing project"),
    ];
    o.extend(cert_options());
    o
}

fn auth_url(values: &OptionValues) -> Result<String> {
    values.get("auth_url").ok_or_else(|| {
        Error::MissingRequiredOptions(vec![keystoneauth_core::error::MissingOption::new(
            "auth-url",
            "OS_AUTH_URL",
        )])
    })
}

fn check_project_domain(values: &OptionValues) -> Result<()> {
    if values.contains("project_name")
        && !(values.contains("project_domain_id") || values.contains("project_domain_name"))
    {
        return Err(Error::OptionError(
            "You have provided a project_name. In the V3 identity API a project_name is only \
             unique within a domain so you must also provide either a project_domain_id or \
             project_domain_name."
                .into(),
        ));
    }
    Ok(())
}

fn check_user_domain(values: &OptionValues) -> Result<()> {
    if values.contains("username")
        && !(values.contains("user_domain_name") || values.contains("user_domain_id"))
    {
        return Err(Error::OptionError(
            "You have provided a username. In the V3 identity API a username is only unique \
             within a domain so you must also provide either a user_domain_id or \
             user_domain_name."
                .into(),
        ));
    }
    Ok(())
}

fn user_ref(values: &OptionValues) -> UserRef {
    UserRef {
        user_id: values.get("user_id"),
        username: values.get("username"),
        user_domain_id: values.get("user_domain_id"),
        user_domain_name: values.get("user_domain_name"),
    }
}

fn base_auth(values: &OptionValues) -> Result<Auth> {
    check_project_domain(values)?;
    Ok(Auth::new(auth_url(values)?).scope_params(ScopeParams::from_options(values)))
}

fn create_password(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    check_user_domain(values)?;
    let auth = base_auth(values)?.with_method(PasswordMethod::with_user(
        values.get_secret("password"),
        user_ref(values),
    ));
    Ok(Arc::new(auth.into_plugin()))
}

fn create_token(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let token = values.get("token").ok_or_else(|| {
        Error::MissingRequiredOptions(vec![keystoneauth_core::error::MissingOption::new(
            "token", "OS_TOKEN",
        )])
    })?;
    let auth = base_auth(values)?.with_method(TokenMethod::new(token));
    Ok(Arc::new(auth.into_plugin()))
}

fn create_totp(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    check_user_domain(values)?;
    let auth = base_auth(values)?.with_method(TotpMethod::with_user(
        values.get_secret("passcode"),
        user_ref(values),
    ));
    Ok(Arc::new(auth.into_plugin()))
}

fn create_application_credential(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    check_user_domain(values)?;
    if !values.contains("application_credential_id")
        && !values.contains("application_credential_name")
    {
        return Err(Error::OptionError(
            "You must provide either an application credential ID or an application \
             credential name and user."
                .into(),
        ));
    }
    if !values.contains("application_credential_secret") {
        return Err(Error::OptionError(
            "You must provide an auth secret.".into(),
        ));
    }
    let auth = base_auth(values)?.with_method(ApplicationCredentialMethod::from_parts(
        values.get("application_credential_id"),
        values.get("application_credential_name"),
        values.get_secret("application_credential_secret"),
        user_ref(values),
    ));
    Ok(Arc::new(auth.into_plugin()))
}

fn create_multifactor(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    check_user_domain(values)?;
    let methods = values
        .get_list("auth_methods")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| Error::OptionError("methods is a required option.".into()))?;
    check_project_domain(values)?;
    let names: Vec<&str> = methods.iter().map(String::as_str).collect();
    Ok(Arc::new(MultiFactor::plugin(
        auth_url(values)?,
        &names,
        values,
    )?))
}

fn create_oauth2_client_credential(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let endpoint = values
        .get("oauth2_endpoint")
        .ok_or_else(|| Error::OptionError("You must provide an OAuth2.0 endpoint.".into()))?;
    let client_id = values.get("oauth2_client_id").ok_or_else(|| {
        Error::OptionError("You must provide an OAuth2.0 client credential ID.".into())
    })?;
    let secret = values.get("oauth2_client_secret").ok_or_else(|| {
        Error::OptionError("You must provide an OAuth2.0 client credential auth secret.".into())
    })?;
    check_project_domain(values)?;
    let plugin = OAuth2ClientCredential::new(auth_url(values)?, endpoint, client_id, secret)?
        .scope_params(ScopeParams::from_options(values))
        .into_plugin();
    Ok(Arc::new(plugin))
}

fn create_oauth2_mtls(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let endpoint = values.get("oauth2_endpoint").ok_or_else(|| {
        Error::OptionError("You must provide an OAuth2.0 Mutual-TLS endpoint.".into())
    })?;
    let client_id = values.get("oauth2_client_id").ok_or_else(|| {
        Error::OptionError(
            "You must provide an client credential ID for OAuth2.0 Mutual-TLS Authorization."
                .into(),
        )
    })?;
    check_project_domain(values)?;
    let mut plugin = OAuth2MtlsClientCredential::new(auth_url(values)?, endpoint, client_id)?
        .scope_params(ScopeParams::from_options(values));
    if let Some(cert) = values.get("cert") {
        let key = values.get("key");
        plugin = plugin.client_cert_files(Path::new(&cert), key.as_deref().map(Path::new))?;
    }
    Ok(Arc::new(plugin.into_plugin()))
}

fn create_tokenless(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let has_target = ["domain_id", "domain_name", "project_id", "project_name"]
        .iter()
        .any(|k| values.contains(k));
    let name_without_domain = values.contains("project_name")
        && !(values.contains("project_domain_name") || values.contains("project_domain_id"));
    if !has_target || name_without_domain {
        return Err(Error::OptionError(
            "You need to provide either a domain_name, domain_id, project_id or project_name. \
             If you have provided a project_name, in the V3 identity API a project_name is \
             only unique within a domain so you must also provide either a project_domain_id \
             or project_domain_name."
                .into(),
        ));
    }
    let mut plugin = TokenlessAuth::from_parts(
        auth_url(values)?,
        values.get("domain_id"),
        values.get("domain_name"),
        values.get("project_id"),
        values.get("project_name"),
        values.get("project_domain_id"),
        values.get("project_domain_name"),
    );
    if let Some(cert) = values.get("cert") {
        let key = values.get("key");
        plugin = plugin.client_cert_files(Path::new(&cert), key.as_deref().map(Path::new))?;
    }
    Ok(Arc::new(plugin))
}

keystoneauth_core::register_plugin! {
    name: "v3password",
    description: "Authenticate with a username and password (Identity v3)",
    options: password_options,
    create: create_password,
}

keystoneauth_core::register_plugin! {
    name: "v3token",
    description: "Given an existing token rescope it to another target (Identity v3)",
    options: token_options,
    create: create_token,
}

keystoneauth_core::register_plugin! {
    name: "v3totp",
    description: "Authenticate with a Time-based One-Time Password (Identity v3)",
    options: totp_options,
    create: create_totp,
}

keystoneauth_core::register_plugin! {
    name: "v3applicationcredential",
    description: "Authenticate with an application credential (Identity v3)",
    options: application_credential_options,
    create: create_application_credential,
}

keystoneauth_core::register_plugin! {
    name: "v3multifactor",
    description: "Authenticate using multiple factors (Identity v3)",
    options: multifactor_loader_options,
    create: create_multifactor,
}

keystoneauth_core::register_plugin! {
    name: "v3oauth2clientcredential",
    description: "Authenticate with an OAuth2.0 client credential (Identity v3)",
    options: oauth2_client_credential_options,
    create: create_oauth2_client_credential,
}

keystoneauth_core::register_plugin! {
    name: "v3oauth2mtlsclientcredential",
    description: "Authenticate with an OAuth2.0 mTLS client credential (Identity v3)",
    options: oauth2_mtls_options,
    create: create_oauth2_mtls,
}

keystoneauth_core::register_plugin! {
    name: "v3tokenlessauth",
    description: "Authenticate without a token, using an X.509 certificate (Identity v3)",
    options: tokenless_options,
    create: create_tokenless,
}

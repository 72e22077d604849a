//! The OpenID Connect loaders: `v3oidcaccesstoken`, `v3oidcauthcode`, `v3oidcclientcredentials`,
//! `v3oidcpassword` and `v3oidcdeviceauthz`.

use std::sync::Arc;

use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::{AuthPlugin, Error, Result};

use super::{base_opts, required, scope};
use crate::base::Federated;
use crate::oidc::{
    OidcAccessToken, OidcAuthorizationCode, OidcClientCredentials, OidcDeviceAuthorization,
    OidcPassword,
};

const OIDC_OPTS: [Opt; 6] = [
    Opt::new("client-id", "OAuth 2.0 Client ID"),
    Opt::new("client-secret", "OAuth 2.0 Client Secret").secret(),
    Opt::new(
        "openid-scope",
        "OpenID Connect scope that is requested from authorization server. Note that the \
         OpenID Connect specification states that \"openid\" must be always specified.",
    )
    .default("openid profile")
    .with_dest("scope"),
    Opt::new(
        "access-token-endpoint",
        "OpenID Connect Provider Token Endpoint. Note that if a discovery document is being \
         passed this option will override the endpoint provided by the server in the \
         discovery document.",
    ),
    Opt::new(
        "discovery-endpoint",
        "OpenID Connect Discovery Document URL. The discovery document will be used to \
         obtain the values of the access token endpoint and the authentication endpoint. \
         This URL should look like https://idp.example.org/.well-known/openid-configuration",
    ),
    Opt::new(
        "access-token-type",
        "OAuth 2.0 Authorization Server Introspection token type, it is used to decide \
         which type of token will be used when processing token introspection. Valid \
         values are: \"access_token\" or \"id_token\"",
    ),
];

fn oidc_opts(extra: &[Opt]) -> Vec<Opt> {
    let mut v = base_opts(&OIDC_OPTS);
    v.extend_from_slice(extra);
    v
}

/// keystoneauth1's `load_from_options` check of the OIDC loaders.
fn check_endpoints(values: &OptionValues) -> Result<()> {
    if values.contains("access_token_endpoint") || values.contains("discovery_endpoint") {
        Ok(())
    } else {
        Err(Error::OptionError(
            "You have to specify either an 'access-token-endpoint' or a \
             'discovery-endpoint'."
                .into(),
        ))
    }
}

macro_rules! apply_common {
    ($flow:expr, $values:expr) => {{
        let mut f = $flow;
        if let Some(s) = $values.get("client_secret") {
            f = f.client_secret(s);
        }
        if let Some(s) = $values.get("scope") {
            f = f.openid_scope(s);
        }
        if let Some(s) = $values.get("access_token_endpoint") {
            f = f.access_token_endpoint(s);
        }
        if let Some(s) = $values.get("discovery_endpoint") {
            f = f.discovery_endpoint(s);
        }
        if let Some(s) = $values.get("access_token_type") {
            f = f.access_token_type(s);
        }
        f
    }};
}

struct Base {
    auth_url: String,
    idp: String,
    protocol: String,
    client_id: String,
}

fn base(values: &OptionValues) -> Result<Base> {
    Ok(Base {
        auth_url: required(values, "auth_url")?,
        idp: required(values, "identity_provider")?,
        protocol: required(values, "protocol")?,
        client_id: values.get("client_id").unwrap_or_default(),
    })
}

fn access_token_opts() -> Vec<Opt> {
    base_opts(&[Opt::new("access-token", "OAuth 2.0 Access Token")
        .secret()
        .required()])
}

fn create_access_token(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let b = base(values)?;
    let flow = OidcAccessToken::new(
        b.auth_url,
        b.idp,
        b.protocol,
        required(values, "access_token")?,
    );
    Ok(Arc::new(Federated::new(flow, scope(values)?)))
}

fn auth_code_opts() -> Vec<Opt> {
    oidc_opts(&[
        Opt::new("redirect-uri", "OpenID Connect Redirect URL"),
        Opt::new("code", "OAuth 2.0 Authorization Code")
            .secret()
            .required()
            .deprecated(&["authorization-code"]),
    ])
}

fn create_auth_code(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    check_endpoints(values)?;
    let b = base(values)?;
    let code = values
        .get("code")
        .or_else(|| values.get("authorization_code"))
        .ok_or_else(|| Error::OptionError("option code is required".into()))?;
    let mut flow = OidcAuthorizationCode::new(b.auth_url, b.idp, b.protocol, b.client_id, code);
    if let Some(r) = values.get("redirect_uri") {
        flow = flow.redirect_uri(r);
    }
    let flow = apply_common!(flow, values);
    Ok(Arc::new(Federated::new(flow, scope(values)?)))
}

fn client_credentials_opts() -> Vec<Opt> {
    oidc_opts(&[])
}

fn create_client_credentials(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    check_endpoints(values)?;
    let b = base(values)?;
    let flow = apply_common!(
        OidcClientCredentials::new(b.auth_url, b.idp, b.protocol, b.client_id),
        values
    );
    Ok(Arc::new(Federated::new(flow, scope(values)?)))
}

fn device_opts() -> Vec<Opt> {
    oidc_opts(&[
        Opt::new(
            "device-authorization-endpoint",
            "OAuth 2.0 Device Authorization Endpoint. Note that if a discovery document is \
             being passed this option will override the endpoint provided by the server in \
             the discovery document.",
        ),
        Opt::new("code-challenge-method", "PKCE Challenge Method (RFC 7636)"),
    ])
}

fn create_device(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    check_endpoints(values)?;
    let b = base(values)?;
    let mut flow = OidcDeviceAuthorization::new(b.auth_url, b.idp, b.protocol, b.client_id);
    if let Some(e) = values.get("device_authorization_endpoint") {
        flow = flow.device_authorization_endpoint(e);
    }
    if let Some(m) = values.get("code_challenge_method") {
        flow = flow.code_challenge_method(m);
    }
    let flow = apply_common!(flow, values);
    Ok(Arc::new(Federated::new(flow, scope(values)?)))
}

fn password_opts() -> Vec<Opt> {
    oidc_opts(&[
        Opt::new("username", "Username").required(),
        Opt::new("password", "Password").secret().required(),
        Opt::new(
            "idp_otp_key",
            "A key to be used in the Identity Provider access token endpoint to pass the OTP \
             value. E.g. totp",
        ),
    ])
}

fn create_password(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    check_endpoints(values)?;
    let b = base(values)?;
    let mut flow = OidcPassword::new(
        b.auth_url,
        b.idp,
        b.protocol,
        b.client_id,
        required(values, "username")?,
        required(values, "password")?,
    );
    if let Some(k) = values.get("idp_otp_key") {
        flow = flow.idp_otp_key(k);
    }
    let flow = apply_common!(flow, values);
    Ok(Arc::new(Federated::new(flow, scope(values)?)))
}

keystoneauth_core::register_plugin! {
    name: "v3oidcaccesstoken",
    description: "Authenticate with an OpenID Connect access token (Identity v3 federation)",
    options: access_token_opts,
    create: create_access_token,
}
keystoneauth_core::register_plugin! {
    name: "v3oidcauthcode",
    description: "Authenticate with an OpenID Connect authorization code",
    options: auth_code_opts,
    create: create_auth_code,
}
keystoneauth_core::register_plugin! {
    name: "v3oidcclientcredentials",
    description: "Authenticate with OpenID Connect client credentials",
    options: client_credentials_opts,
    create: create_client_credentials,
}
keystoneauth_core::register_plugin! {
    name: "v3oidcdeviceauthz",
    description: "Authenticate with the OpenID Connect device authorization grant",
    options: device_opts,
    create: create_device,
}
keystoneauth_core::register_plugin! {
    name: "v3oidcpassword",
    description: "Authenticate with OpenID Connect username and password",
    options: password_opts,
    create: create_password,
}

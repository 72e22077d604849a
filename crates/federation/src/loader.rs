//! Loaders with keystoneauth1's names and options (FEATURES §14.4).

#![allow(dead_code)]

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

#[cfg(feature = "oidc")]
mod oidc_loaders {
    use std::sync::Arc;

    use keystoneauth_core::registry::{Opt, OptionValues, PluginLoader};
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

    keystoneauth_core::inventory::submit! {
        PluginLoader {
            name: "v3oidcaccesstoken",
            description: "Authenticate with an OpenID Connect access token (Identity v3 federation)",
            options: access_token_opts,
            create: create_access_token,
        }
    }
    keystoneauth_core::inventory::submit! {
        PluginLoader {
            name: "v3oidcauthcode",
            description: "Authenticate with an OpenID Connect authorization code",
            options: auth_code_opts,
            create: create_auth_code,
        }
    }
    keystoneauth_core::inventory::submit! {
        PluginLoader {
            name: "v3oidcclientcredentials",
            description: "Authenticate with OpenID Connect client credentials",
            options: client_credentials_opts,
            create: create_client_credentials,
        }
    }
    keystoneauth_core::inventory::submit! {
        PluginLoader {
            name: "v3oidcdeviceauthz",
            description: "Authenticate with the OpenID Connect device authorization grant",
            options: device_opts,
            create: create_device,
        }
    }
    keystoneauth_core::inventory::submit! {
        PluginLoader {
            name: "v3oidcpassword",
            description: "Authenticate with OpenID Connect username and password",
            options: password_opts,
            create: create_password,
        }
    }
}

#[cfg(feature = "saml2")]
mod saml_loader {
    use std::sync::Arc;

    use keystoneauth_core::registry::{Opt, OptionValues, PluginLoader};
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

    keystoneauth_core::inventory::submit! {
        PluginLoader {
            name: "v3samlpassword",
            description: "Authenticate with SAML2 ECP (username and password at the IdP)",
            options: opts,
            create,
        }
    }
}

#[cfg(feature = "websso")]
mod websso_loader {
    use std::sync::Arc;
    use std::time::Duration;

    use keystoneauth_core::registry::{Opt, OptKind, OptionValues, PluginLoader};
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

    keystoneauth_core::inventory::submit! {
        PluginLoader {
            name: "v3websso",
            description: "Authenticate in a browser with Keystone's WebSSO (Identity v3 federation)",
            options: opts,
            create,
        }
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
}

#[cfg(feature = "adfs")]
mod adfs_loader {
    use std::sync::Arc;

    use keystoneauth_core::registry::{Opt, OptionValues, PluginLoader};
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

    keystoneauth_core::inventory::submit! {
        PluginLoader {
            name: "v3adfspassword",
            description: "Authenticate with ADFS 2.0 WS-Trust (username and password at the IdP)",
            options: opts,
            create,
        }
    }
}

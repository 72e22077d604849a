//! [`TokenlessAuth`]: no token, an X.509 client certificate plus scope headers.

use std::path::Path;

use keystoneauth_core::catalog::EndpointData;
use keystoneauth_core::http::{HeaderMap, HeaderValue};
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::{
    async_trait, AuthPlugin, ConnectionParams, EndpointFilter, Error, Result, Session,
};

use crate::auth::{DomainRef, Scope};
use crate::oauth2::read_cert_files;

/// Tokenless authorization (keystoneauth1's `v3.TokenlessAuth`): requests carry no token,
/// only the scope in `X-Project-Id`, `X-Project-Name` + `X-Project-Domain-Id|Name`,
/// `X-Domain-Id` or `X-Domain-Name`; Keystone maps the client certificate to a user.
///
/// ```
/// use keystoneauth_identity_v3::{Scope, TokenlessAuth};
/// let auth = TokenlessAuth::new("https://keystone.example/v3", Scope::ProjectId("p1".into()));
/// # let _ = auth;
/// ```
#[derive(Debug)]
pub struct TokenlessAuth {
    auth_url: String,
    domain_id: Option<String>,
    domain_name: Option<String>,
    project_id: Option<String>,
    project_name: Option<String>,
    project_domain_id: Option<String>,
    project_domain_name: Option<String>,
    cert: ConnectionParams,
}

impl TokenlessAuth {
    /// A plugin for a project or a domain scope (other scopes send no headers).
    pub fn new(auth_url: impl Into<String>, scope: Scope) -> Self {
        let mut t = TokenlessAuth {
            auth_url: auth_url.into(),
            domain_id: None,
            domain_name: None,
            project_id: None,
            project_name: None,
            project_domain_id: None,
            project_domain_name: None,
            cert: ConnectionParams::default(),
        };
        match scope {
            Scope::ProjectId(id) => t.project_id = Some(id),
            Scope::ProjectName { name, domain } => {
                t.project_name = Some(name);
                match domain {
                    Some(DomainRef::Id(d)) => t.project_domain_id = Some(d),
                    Some(DomainRef::Name(d)) => t.project_domain_name = Some(d),
                    None => {}
                }
            }
            Scope::DomainId(id) => t.domain_id = Some(id),
            Scope::DomainName(n) => t.domain_name = Some(n),
            Scope::System | Scope::Trust(_) | Scope::Unscoped => {}
        }
        t
    }

    /// keystoneauth1's arguments, each optional.
    pub fn from_parts(
        auth_url: impl Into<String>,
        domain_id: Option<String>,
        domain_name: Option<String>,
        project_id: Option<String>,
        project_name: Option<String>,
        project_domain_id: Option<String>,
        project_domain_name: Option<String>,
    ) -> Self {
        TokenlessAuth {
            auth_url: auth_url.into(),
            domain_id,
            domain_name,
            project_id,
            project_name,
            project_domain_id,
            project_domain_name,
            cert: ConnectionParams::default(),
        }
    }

    /// The client certificate (PEM chain) and key; without one the session's is used.
    pub fn client_cert_pem(mut self, cert_pem: Vec<u8>, key_pem: Option<SecretString>) -> Self {
        self.cert = ConnectionParams {
            client_cert_pem: Some(cert_pem),
            client_key_pem: key_pem,
        };
        self
    }

    /// The client certificate and key from PEM files.
    pub fn client_cert_files(mut self, cert: &Path, key: Option<&Path>) -> Result<Self> {
        self.cert = read_cert_files(cert, key)?;
        Ok(self)
    }

    /// The scope headers, or `None` (with a warning) when the scope is incomplete.
    pub fn scope_headers(&self) -> Result<Option<HeaderMap>> {
        let mut h = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| -> Result<()> {
            let v = HeaderValue::from_str(value)
                .map_err(|_| Error::OptionError(format!("invalid value for {name}")))?;
            h.insert(name, v);
            Ok(())
        };
        if let Some(id) = &self.project_id {
            put("X-Project-Id", id)?;
        } else if let Some(name) = &self.project_name {
            put("X-Project-Name", name)?;
            if let Some(d) = &self.project_domain_id {
                put("X-Project-Domain-Id", d)?;
            } else if let Some(d) = &self.project_domain_name {
                put("X-Project-Domain-Name", d)?;
            } else {
                tracing::warn!(
                    target: "keystoneauth::identity",
                    "Neither Project Domain ID nor Project Domain Name was provided."
                );
                return Ok(None);
            }
        } else if let Some(id) = &self.domain_id {
            put("X-Domain-Id", id)?;
        } else if let Some(name) = &self.domain_name {
            put("X-Domain-Name", name)?;
        } else {
            tracing::warn!(
                target: "keystoneauth::identity",
                "Neither Project nor Domain scope was provided."
            );
            return Ok(None);
        }
        Ok(Some(h))
    }
}

#[async_trait]
impl AuthPlugin for TokenlessAuth {
    async fn auth_headers(&self, _session: &Session) -> Result<Option<HeaderMap>> {
        self.scope_headers()
    }

    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        match self.scope_headers() {
            Ok(Some(h)) => {
                headers.extend(h);
                true
            }
            _ => false,
        }
    }

    async fn token(&self, _session: &Session) -> Result<Option<SecretString>> {
        Ok(None)
    }

    async fn endpoint_data(
        &self,
        _session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        let identity = filter.is_auth_interface()
            || filter
                .service_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("identity"));
        if !identity {
            return Ok(None);
        }
        let mut d = EndpointData::for_url(&self.auth_url);
        d.service_type = Some("identity".into());
        Ok(Some(d))
    }

    fn connection_params(&self) -> ConnectionParams {
        self.cert.clone()
    }

    fn auth_url(&self) -> Option<String> {
        Some(self.auth_url.clone())
    }
}

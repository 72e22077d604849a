//! Access info: what a token body tells (v2.0 and v3), parsed once.
//!
//! ```
//! use keystoneauth_core::access::AccessInfo;
//! let body = br#"{"token": {"methods": ["password"], "expires_at": "2099-01-01T00:00:00.000000Z",
//!   "issued_at": "2098-12-31T23:00:00.000000Z", "audit_ids": ["a"],
//!   "user": {"id": "u1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
//!   "project": {"id": "p1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
//!   "roles": [{"id": "r1", "name": "member"}], "catalog": []}}"#;
//! let access = AccessInfo::from_v3_body(body, "tok".into()).unwrap();
//! assert_eq!(access.user_id(), "u1");
//! assert_eq!(access.project_id(), Some("p1"));
//! assert!(access.project_scoped());
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::catalog::ServiceCatalog;
use crate::error::{Error, Result};

mod json;
mod state;
mod v2;
mod v3;

/// Which identity API produced a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityVersion {
    /// v2.0
    V2,
    /// v3
    V3,
}

/// An id and a name (user, project, domain, role).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct IdName {
    /// The id.
    #[serde(default)]
    pub id: Option<String>,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A Keystone-to-Keystone service provider listed in a v3 token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceProvider {
    /// The service provider id.
    pub id: String,
    /// Its federation auth URL on the SP Keystone.
    #[serde(default)]
    pub auth_url: Option<String>,
    /// Its ECP endpoint.
    #[serde(default)]
    pub sp_url: Option<String>,
}

/// Federation details of a federated user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FederationInfo {
    /// Identity provider id.
    pub identity_provider: Option<String>,
    /// Protocol id.
    pub protocol: Option<String>,
    /// Group ids.
    pub groups: Vec<String>,
}

/// Trust details of a trust-scoped token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustInfo {
    /// Trust id.
    pub id: String,
    /// Trustee user id.
    pub trustee_user_id: Option<String>,
    /// Trustor user id (v3 only).
    pub trustor_user_id: Option<String>,
    /// Whether the trust impersonates the trustor.
    pub impersonation: Option<bool>,
}

/// The token and everything Keystone said about it.
#[derive(Clone)]
pub struct AccessInfo {
    version: IdentityVersion,
    token: SecretString,
    /// The token as a sensitive `X-Auth-Token` value, made once (`None`: not a valid value).
    token_header: Option<http::HeaderValue>,
    /// The body as Keystone sent it (shared with the response it came in, when parsed with
    /// [`from_bytes`](Self::from_bytes)).
    raw: Bytes,
    expires: OffsetDateTime,
    issued: Option<OffsetDateTime>,
    user: IdName,
    user_domain: Option<IdName>,
    project: Option<IdName>,
    project_domain: Option<IdName>,
    project_is_domain: Option<bool>,
    domain: Option<IdName>,
    system_all: bool,
    roles: Vec<IdName>,
    role_ids_v2: Vec<String>,
    methods: Vec<String>,
    audit_ids: Vec<String>,
    catalog: Option<Arc<ServiceCatalog>>,
    trust: Option<TrustInfo>,
    application_credential: Option<json::Lazy>,
    oauth1: Option<(Option<String>, Option<String>)>,
    oauth2_thumbprint: Option<String>,
    federation: Option<FederationInfo>,
    bind: Option<json::Lazy>,
    service_providers: Vec<ServiceProvider>,
    is_admin_project: bool,
    password_expires_at: Option<String>,
}

impl fmt::Debug for AccessInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessInfo")
            .field("version", &self.version)
            .field("token", &"<redacted>")
            .field("expires", &self.expires)
            .field("user_id", &self.user.id)
            .field("project_id", &self.project_id())
            .field("domain_id", &self.domain_id())
            .field("system_scoped", &self.system_all)
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}

/// Parse an ISO 8601 timestamp as Keystone writes it; naive strings are UTC.
pub fn parse_timestamp(s: &str) -> Result<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let t = s.trim();
    if let Ok(v) = OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(v);
    }
    // Naive (no offset): treat as UTC.
    let with_z = format!("{t}Z");
    if let Ok(v) = OffsetDateTime::parse(&with_z, &Rfc3339) {
        return Ok(v);
    }
    // Missing seconds fraction or seconds are still RFC 3339 failures: try `YYYY-MM-DDTHH:MMZ`.
    Err(Error::InvalidResponse(format!("invalid timestamp {t:?}")))
}

impl AccessInfo {
    /// Parse a token response body: `{"token": …}` (v3, token from `X-Subject-Token`) or
    /// `{"access": …}` (v2.0, token from the body unless given).
    pub fn from_body(body: &[u8], subject_token: Option<SecretString>) -> Result<Self> {
        Self::from_bytes(Bytes::copy_from_slice(body), subject_token)
    }

    /// [`from_body`](Self::from_body), keeping `body` itself (a response's
    /// [`bytes()`](crate::Response::bytes), say) as the raw body instead of a copy: a large
    /// token body is then in memory once, with the catalog read from it.
    pub fn from_bytes(body: Bytes, subject_token: Option<SecretString>) -> Result<Self> {
        // Sniff the top-level key without building a full Value.
        #[derive(Deserialize)]
        struct Sniff {
            #[serde(default)]
            token: Option<serde::de::IgnoredAny>,
            #[serde(default)]
            access: Option<serde::de::IgnoredAny>,
        }
        let sniff: Sniff = serde_json::from_slice(&body)
            .map_err(|e| Error::InvalidResponse(format!("token body is not JSON: {e}")))?;
        if sniff.token.is_some() {
            let token = subject_token.ok_or_else(|| {
                Error::InvalidResponse("v3 token response has no X-Subject-Token header".into())
            })?;
            Self::from_v3_bytes(body, token)
        } else if sniff.access.is_some() {
            Self::from_v2_bytes(body, subject_token)
        } else {
            Err(Error::InvalidResponse(
                "Unrecognized auth response: neither 'token' nor 'access'".into(),
            ))
        }
    }

    /// v2.0 or v3.
    pub fn version(&self) -> IdentityVersion {
        self.version
    }
    /// The token. Keep it secret: use `expose_secret()` only to send it.
    pub fn auth_token(&self) -> &SecretString {
        &self.token
    }
    /// The token as an `X-Auth-Token` header value (marked sensitive), or `None` if it holds
    /// characters a header cannot carry.
    pub fn auth_token_header(&self) -> Option<&http::HeaderValue> {
        self.token_header.as_ref()
    }
    /// The raw token body as Keystone sent it.
    pub fn raw_body(&self) -> &[u8] {
        &self.raw
    }
    /// The token body as JSON.
    pub fn body(&self) -> Value {
        serde_json::from_slice(&self.raw).unwrap_or(Value::Null)
    }
    /// When the token expires.
    pub fn expires(&self) -> OffsetDateTime {
        self.expires
    }
    /// When the token was issued.
    pub fn issued(&self) -> Option<OffsetDateTime> {
        self.issued
    }
    /// True if the token expires within `window` from now.
    pub fn will_expire_soon(&self, window: Duration) -> bool {
        self.expires <= OffsetDateTime::now_utc() + window
    }
    /// True if the token has expired.
    pub fn is_expired(&self) -> bool {
        self.expires <= OffsetDateTime::now_utc()
    }
    /// User id (empty string if a v2 body had none).
    pub fn user_id(&self) -> &str {
        self.user.id.as_deref().unwrap_or("")
    }
    /// User name.
    pub fn username(&self) -> Option<&str> {
        self.user.name.as_deref()
    }
    /// The user's domain id (v3).
    pub fn user_domain_id(&self) -> Option<&str> {
        self.user_domain.as_ref()?.id.as_deref()
    }
    /// The user's domain name (v3).
    pub fn user_domain_name(&self) -> Option<&str> {
        self.user_domain.as_ref()?.name.as_deref()
    }
    /// Project (tenant) id of a project-scoped token.
    pub fn project_id(&self) -> Option<&str> {
        self.project.as_ref()?.id.as_deref()
    }
    /// Project (tenant) name.
    pub fn project_name(&self) -> Option<&str> {
        self.project.as_ref()?.name.as_deref()
    }
    /// The project's domain id (v3).
    pub fn project_domain_id(&self) -> Option<&str> {
        self.project_domain.as_ref()?.id.as_deref()
    }
    /// The project's domain name (v3).
    pub fn project_domain_name(&self) -> Option<&str> {
        self.project_domain.as_ref()?.name.as_deref()
    }
    /// `is_domain` of the project (v3).
    pub fn project_is_domain(&self) -> Option<bool> {
        self.project_is_domain
    }
    /// Domain id of a domain-scoped token.
    pub fn domain_id(&self) -> Option<&str> {
        self.domain.as_ref()?.id.as_deref()
    }
    /// Domain name of a domain-scoped token.
    pub fn domain_name(&self) -> Option<&str> {
        self.domain.as_ref()?.name.as_deref()
    }
    /// True for a system-scoped token (`system: {all: true}`).
    pub fn system_scoped(&self) -> bool {
        self.system_all
    }
    /// True if scoped to a project.
    pub fn project_scoped(&self) -> bool {
        self.project_id().is_some()
    }
    /// True if scoped to a domain.
    pub fn domain_scoped(&self) -> bool {
        self.domain.is_some()
    }
    /// True if scoped to anything (project, domain or system).
    pub fn scoped(&self) -> bool {
        self.project_scoped() || self.domain_scoped() || self.system_scoped()
    }
    /// Role names.
    pub fn role_names(&self) -> Vec<&str> {
        self.roles
            .iter()
            .filter_map(|r| r.name.as_deref())
            .collect()
    }
    /// Role ids (v3: from roles; v2: from metadata).
    pub fn role_ids(&self) -> Vec<&str> {
        match self.version {
            IdentityVersion::V3 => self.roles.iter().filter_map(|r| r.id.as_deref()).collect(),
            IdentityVersion::V2 => self.role_ids_v2.iter().map(String::as_str).collect(),
        }
    }
    /// Auth methods that produced the token (v3).
    pub fn methods(&self) -> &[String] {
        &self.methods
    }
    /// Audit ids.
    pub fn audit_ids(&self) -> &[String] {
        &self.audit_ids
    }
    /// The first audit id.
    pub fn audit_id(&self) -> Option<&str> {
        self.audit_ids.first().map(String::as_str)
    }
    /// The audit chain id (second audit id).
    pub fn audit_chain_id(&self) -> Option<&str> {
        self.audit_ids.get(1).map(String::as_str)
    }
    /// True if the body had a catalog.
    pub fn has_service_catalog(&self) -> bool {
        self.catalog.is_some()
    }
    /// The service catalog (empty if the token had none).
    pub fn service_catalog(&self) -> Arc<ServiceCatalog> {
        self.catalog
            .clone()
            .unwrap_or_else(|| Arc::new(ServiceCatalog::new(Vec::new())))
    }
    /// Trust details of a trust-scoped token.
    pub fn trust(&self) -> Option<&TrustInfo> {
        self.trust.as_ref()
    }
    /// Trust id.
    pub fn trust_id(&self) -> Option<&str> {
        self.trust.as_ref().map(|t| t.id.as_str())
    }
    /// True for a trust-scoped token.
    pub fn trust_scoped(&self) -> bool {
        self.trust.is_some()
    }
    /// The application credential block (v3).
    pub fn application_credential(&self) -> Option<&Value> {
        Some(self.application_credential.as_ref()?.get(&self.raw))
    }
    /// The application credential id.
    pub fn application_credential_id(&self) -> Option<&str> {
        self.application_credential()?.get("id")?.as_str()
    }
    /// OAuth 1.0a access token id.
    pub fn oauth_access_token_id(&self) -> Option<&str> {
        self.oauth1.as_ref()?.0.as_deref()
    }
    /// OAuth 1.0a consumer id.
    pub fn oauth_consumer_id(&self) -> Option<&str> {
        self.oauth1.as_ref()?.1.as_deref()
    }
    /// OAuth 2.0 certificate thumbprint (`x5t#S256`).
    pub fn oauth2_credential_thumbprint(&self) -> Option<&str> {
        self.oauth2_thumbprint.as_deref()
    }
    /// True for a federated user.
    pub fn is_federated(&self) -> bool {
        self.federation.is_some()
    }
    /// Federation details.
    pub fn federation(&self) -> Option<&FederationInfo> {
        self.federation.as_ref()
    }
    /// The bind block.
    pub fn bind(&self) -> Option<&Value> {
        Some(self.bind.as_ref()?.get(&self.raw))
    }
    /// `is_admin_project` (defaults to true).
    pub fn is_admin_project(&self) -> bool {
        self.is_admin_project
    }
    /// When the user's password expires (v3), as Keystone wrote it.
    pub fn password_expires_at(&self) -> Option<&str> {
        self.password_expires_at.as_deref()
    }
    /// Keystone-to-Keystone service providers.
    pub fn service_providers(&self) -> &[ServiceProvider] {
        &self.service_providers
    }
    /// A service provider by id.
    pub fn service_provider(&self, sp_id: &str) -> Result<&ServiceProvider> {
        self.service_providers
            .iter()
            .find(|s| s.id == sp_id)
            .ok_or_else(|| Error::ServiceProviderNotFound(sp_id.to_owned()))
    }
}

#[cfg(test)]
mod tests;

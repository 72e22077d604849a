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

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::catalog::{CatalogEndpoint, CatalogService, Interface, ServiceCatalog};
use crate::error::{Error, Result};

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
    raw: Arc<[u8]>,
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
    application_credential: Option<Value>,
    oauth1: Option<(Option<String>, Option<String>)>,
    oauth2_thumbprint: Option<String>,
    federation: Option<FederationInfo>,
    bind: Option<Value>,
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

// ---- raw shapes -------------------------------------------------------------------------

#[derive(Deserialize)]
struct V3Body {
    token: V3Token,
}

#[derive(Deserialize)]
struct DomainRef {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct V3User {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    domain: Option<DomainRef>,
    #[serde(default, rename = "OS-FEDERATION")]
    federation: Option<Value>,
    #[serde(default)]
    password_expires_at: Option<String>,
}

#[derive(Deserialize)]
struct V3Project {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    domain: Option<DomainRef>,
}

#[derive(Deserialize)]
struct V3Endpoint {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    interface: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    region_id: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct V3Service {
    #[serde(default, rename = "type")]
    service_type: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    endpoints: Vec<V3Endpoint>,
}

#[derive(Deserialize)]
struct V3Token {
    #[serde(default)]
    methods: Vec<String>,
    user: V3User,
    #[serde(default)]
    audit_ids: Vec<String>,
    expires_at: String,
    #[serde(default)]
    issued_at: Option<String>,
    #[serde(default)]
    project: Option<V3Project>,
    #[serde(default)]
    domain: Option<DomainRef>,
    #[serde(default)]
    system: Option<Value>,
    #[serde(default)]
    roles: Vec<IdName>,
    #[serde(default)]
    catalog: Option<Vec<V3Service>>,
    #[serde(default)]
    is_domain: Option<bool>,
    #[serde(default)]
    is_admin_project: Option<bool>,
    #[serde(default)]
    bind: Option<Value>,
    #[serde(default)]
    service_providers: Option<Vec<Value>>,
    #[serde(default)]
    application_credential: Option<Value>,
    #[serde(default, rename = "OS-OAUTH1")]
    oauth1: Option<Value>,
    #[serde(default, rename = "OS-TRUST:trust")]
    trust: Option<Value>,
    #[serde(default)]
    oauth2_credential: Option<Value>,
}

#[derive(Deserialize)]
struct V2Body {
    access: V2Access,
}

#[derive(Deserialize)]
struct V2Access {
    token: V2Token,
    #[serde(default, rename = "serviceCatalog")]
    service_catalog: Option<Vec<V2Service>>,
    #[serde(default)]
    user: Option<V2User>,
    #[serde(default)]
    metadata: Option<V2Metadata>,
    #[serde(default)]
    trust: Option<Value>,
}

#[derive(Deserialize)]
struct V2Token {
    id: String,
    expires: String,
    #[serde(default)]
    issued_at: Option<String>,
    #[serde(default)]
    tenant: Option<IdName>,
    #[serde(default)]
    audit_ids: Vec<String>,
    #[serde(default)]
    bind: Option<Value>,
    #[serde(default, rename = "tenantId")]
    tenant_id: Option<String>,
}

#[derive(Deserialize)]
struct V2User {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    roles: Vec<IdName>,
    #[serde(default, rename = "tenantId")]
    tenant_id: Option<String>,
    #[serde(default, rename = "tenantName")]
    tenant_name: Option<String>,
}

#[derive(Deserialize)]
struct V2Metadata {
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct V2Service {
    #[serde(default, rename = "type")]
    service_type: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    endpoints: Vec<serde_json::Map<String, Value>>,
}

// ---- parsing ------------------------------------------------------------------------------

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

fn domain_of(d: Option<DomainRef>) -> Option<IdName> {
    d.map(|d| IdName {
        id: d.id,
        name: d.name,
    })
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

impl AccessInfo {
    /// Parse a token response body: `{"token": …}` (v3, token from `X-Subject-Token`) or
    /// `{"access": …}` (v2.0, token from the body unless given).
    pub fn from_body(body: &[u8], subject_token: Option<SecretString>) -> Result<Self> {
        // Sniff the top-level key without building a full Value.
        #[derive(Deserialize)]
        struct Sniff {
            #[serde(default)]
            token: Option<serde::de::IgnoredAny>,
            #[serde(default)]
            access: Option<serde::de::IgnoredAny>,
        }
        let sniff: Sniff = serde_json::from_slice(body)
            .map_err(|e| Error::InvalidResponse(format!("token body is not JSON: {e}")))?;
        if sniff.token.is_some() {
            let token = subject_token.ok_or_else(|| {
                Error::InvalidResponse("v3 token response has no X-Subject-Token header".into())
            })?;
            Self::from_v3_body(body, token)
        } else if sniff.access.is_some() {
            Self::from_v2_body(body, subject_token)
        } else {
            Err(Error::InvalidResponse(
                "Unrecognized auth response: neither 'token' nor 'access'".into(),
            ))
        }
    }

    /// Parse a v3 token body with its token (the `X-Subject-Token` header).
    pub fn from_v3_body(body: &[u8], token: SecretString) -> Result<Self> {
        let parsed: V3Body = serde_json::from_slice(body)
            .map_err(|e| Error::InvalidResponse(format!("invalid v3 token body: {e}")))?;
        let t = parsed.token;
        let expires = parse_timestamp(&t.expires_at)?;
        let issued = t.issued_at.as_deref().map(parse_timestamp).transpose()?;
        let catalog = t.catalog.map(|services| {
            Arc::new(ServiceCatalog::new(
                services
                    .into_iter()
                    .filter_map(|s| {
                        Some(CatalogService {
                            service_type: s.service_type?,
                            name: s.name,
                            id: s.id,
                            endpoints: s
                                .endpoints
                                .into_iter()
                                .filter_map(|e| {
                                    Some(CatalogEndpoint {
                                        id: e.id,
                                        interface: Interface::parse(e.interface.as_deref()?),
                                        region: e.region_id.or(e.region),
                                        url: e.url.filter(|u| !u.is_empty())?,
                                    })
                                })
                                .collect(),
                        })
                    })
                    .collect(),
            ))
        });
        let federation = t.user.federation.as_ref().map(|f| FederationInfo {
            identity_provider: str_at(f, &["identity_provider", "id"]).map(str::to_owned),
            protocol: str_at(f, &["protocol", "id"]).map(str::to_owned),
            groups: f
                .get("groups")
                .and_then(Value::as_array)
                .map(|g| {
                    g.iter()
                        .filter_map(|x| x.get("id").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        });
        let trust = t.trust.as_ref().and_then(|tr| {
            Some(TrustInfo {
                id: tr.get("id")?.as_str()?.to_owned(),
                trustee_user_id: str_at(tr, &["trustee_user", "id"]).map(str::to_owned),
                trustor_user_id: str_at(tr, &["trustor_user", "id"]).map(str::to_owned),
                impersonation: tr.get("impersonation").and_then(Value::as_bool),
            })
        });
        let (project, project_domain) = match t.project {
            Some(p) => (
                Some(IdName {
                    id: Some(p.id),
                    name: p.name,
                }),
                domain_of(p.domain),
            ),
            None => (None, None),
        };
        Ok(AccessInfo {
            version: IdentityVersion::V3,
            token_header: crate::headers::sensitive_header_value(token.expose_secret()),
            token,
            raw: Arc::from(body),
            expires,
            issued,
            user: IdName {
                id: Some(t.user.id),
                name: t.user.name,
            },
            user_domain: domain_of(t.user.domain),
            project,
            project_domain,
            project_is_domain: t.is_domain,
            domain: domain_of(t.domain),
            system_all: t
                .system
                .as_ref()
                .and_then(|s| s.get("all"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            roles: t.roles,
            role_ids_v2: Vec::new(),
            methods: t.methods,
            audit_ids: t.audit_ids,
            catalog,
            trust,
            application_credential: t.application_credential,
            oauth1: t.oauth1.map(|o| {
                (
                    o.get("access_token_id")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    o.get("consumer_id")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                )
            }),
            oauth2_thumbprint: t
                .oauth2_credential
                .as_ref()
                .and_then(|o| o.get("x5t#S256"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            federation,
            bind: t.bind,
            service_providers: t
                .service_providers
                .unwrap_or_default()
                .into_iter()
                .filter_map(|v| serde_json::from_value(v).ok())
                .collect(),
            is_admin_project: t.is_admin_project.unwrap_or(true),
            password_expires_at: t.user.password_expires_at,
        })
    }

    /// Parse a v2.0 token body (`{"access": …}`); the token is `access.token.id` unless given.
    pub fn from_v2_body(body: &[u8], token: Option<SecretString>) -> Result<Self> {
        let parsed: V2Body = serde_json::from_slice(body)
            .map_err(|e| Error::InvalidResponse(format!("invalid v2.0 token body: {e}")))?;
        let a = parsed.access;
        let expires = parse_timestamp(&a.token.expires)?;
        let issued = a
            .token
            .issued_at
            .as_deref()
            .map(parse_timestamp)
            .transpose()?;
        let user = a.user.unwrap_or(V2User {
            id: None,
            name: None,
            username: None,
            roles: Vec::new(),
            tenant_id: None,
            tenant_name: None,
        });
        let project = match &a.token.tenant {
            Some(t) if t.id.is_some() => Some(t.clone()),
            _ => user
                .tenant_id
                .clone()
                .or(a.token.tenant_id.clone())
                .map(|id| IdName {
                    id: Some(id.clone()),
                    name: user.tenant_name.clone().or(Some(id)),
                }),
        };
        let catalog = a.service_catalog.map(|services| {
            Arc::new(ServiceCatalog::new(
                services
                    .into_iter()
                    .filter_map(|s| {
                        let mut endpoints = Vec::new();
                        for e in &s.endpoints {
                            let region = e.get("region").and_then(Value::as_str).map(str::to_owned);
                            let id = e.get("id").and_then(Value::as_str).map(str::to_owned);
                            for (k, v) in e {
                                if let (Some(iface), Some(url)) =
                                    (k.strip_suffix("URL"), v.as_str())
                                {
                                    if !url.is_empty() {
                                        endpoints.push(CatalogEndpoint {
                                            id: id.clone(),
                                            interface: Interface::parse(iface),
                                            region: region.clone(),
                                            url: url.to_owned(),
                                        });
                                    }
                                }
                            }
                        }
                        Some(CatalogService {
                            service_type: s.service_type?,
                            name: s.name,
                            id: None,
                            endpoints,
                        })
                    })
                    .collect(),
            ))
        });
        let trust = a.trust.as_ref().and_then(|tr| {
            Some(TrustInfo {
                id: tr.get("id")?.as_str()?.to_owned(),
                trustee_user_id: tr
                    .get("trustee_user_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                trustor_user_id: tr
                    .get("trustor_user_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                impersonation: tr.get("impersonation").and_then(Value::as_bool),
            })
        });
        let token = token.unwrap_or_else(|| SecretString::from(a.token.id.clone()));
        Ok(AccessInfo {
            version: IdentityVersion::V2,
            token_header: crate::headers::sensitive_header_value(token.expose_secret()),
            token,
            raw: Arc::from(body),
            expires,
            issued,
            user: IdName {
                id: user.id.clone(),
                name: user.name.clone().or(user.username.clone()),
            },
            user_domain: None,
            project,
            project_domain: None,
            project_is_domain: None,
            domain: None,
            system_all: false,
            roles: user.roles,
            role_ids_v2: a.metadata.map(|m| m.roles).unwrap_or_default(),
            methods: Vec::new(),
            audit_ids: a.token.audit_ids,
            catalog,
            trust,
            application_credential: None,
            oauth1: None,
            oauth2_thumbprint: None,
            federation: None,
            bind: a.token.bind,
            service_providers: Vec::new(),
            is_admin_project: true,
            password_expires_at: None,
        })
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
        self.application_credential.as_ref()
    }
    /// The application credential id.
    pub fn application_credential_id(&self) -> Option<&str> {
        self.application_credential.as_ref()?.get("id")?.as_str()
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
        self.bind.as_ref()
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

    /// The auth state as keystoneauth1 writes it: `{"auth_token": …, "body": …}`. The body is
    /// embedded as Keystone sent it (invalid UTF-8, if any, replaced), so every body that
    /// [`from_body`](Self::from_body) accepted round-trips through
    /// [`from_auth_state`](Self::from_auth_state).
    pub fn to_auth_state(&self) -> String {
        let token =
            serde_json::to_string(self.token.expose_secret()).unwrap_or_else(|_| "\"\"".to_owned());
        let body = String::from_utf8_lossy(&self.raw);
        format!("{{\"auth_token\": {token}, \"body\": {}}}", body.trim())
    }

    /// Rebuild access info from [`to_auth_state`](Self::to_auth_state) output.
    pub fn from_auth_state(state: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct State<'a> {
            auth_token: String,
            #[serde(borrow)]
            body: &'a serde_json::value::RawValue,
        }
        let s: State<'_> = serde_json::from_str(state)
            .map_err(|e| Error::AuthState(format!("not a saved auth state: {e}")))?;
        Self::from_body(
            s.body.get().as_bytes(),
            Some(SecretString::from(s.auth_token)),
        )
        .map_err(|e| Error::AuthState(format!("its token body is not usable: {e}")))
    }
}

//! The v3 token body (`{"token": …}`).

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use super::{parse_timestamp, AccessInfo, FederationInfo, IdName, IdentityVersion, TrustInfo};
use crate::catalog::{CatalogEndpoint, CatalogService, Interface, ServiceCatalog};
use crate::error::{Error, Result};

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
}

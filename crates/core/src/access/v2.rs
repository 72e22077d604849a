//! The v2.0 token body (`{"access": …}`).

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use super::{parse_timestamp, AccessInfo, IdName, IdentityVersion, TrustInfo};
use crate::catalog::{CatalogEndpoint, CatalogService, Interface, ServiceCatalog};
use crate::error::{Error, Result};

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

impl AccessInfo {
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
}

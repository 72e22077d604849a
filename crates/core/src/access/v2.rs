//! The v2.0 token body (`{"access": …}`), read straight into [`AccessInfo`] as the v3 one
//! is ([`super::v3`]): no `serde_json::Value` of the catalog.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use secrecy::{ExposeSecret, SecretString};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{BorrowedStr, Flag, Lazy, ListItems, ListOf, Obj, Str};
use super::{parse_timestamp, AccessInfo, IdName, IdentityVersion, TrustInfo};
use crate::catalog::{CatalogEndpoint, CatalogService, Interface, ServiceCatalog};
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct V2Body<'a> {
    #[serde(borrow)]
    access: V2Access<'a>,
}

#[derive(Deserialize)]
struct V2Access<'a> {
    #[serde(borrow)]
    token: V2Token<'a>,
    #[serde(default, rename = "serviceCatalog")]
    service_catalog: Option<ListOf<V2Services>>,
    #[serde(default)]
    user: Option<V2User>,
    #[serde(default)]
    metadata: Option<V2Metadata>,
    #[serde(default, borrow)]
    trust: Option<Obj<V2TrustRaw<'a>>>,
}

#[derive(Deserialize)]
struct V2Token<'a> {
    id: String,
    expires: String,
    #[serde(default)]
    issued_at: Option<String>,
    #[serde(default)]
    tenant: Option<IdName>,
    #[serde(default)]
    audit_ids: Vec<String>,
    #[serde(default, borrow)]
    bind: Option<&'a RawValue>,
    #[serde(default, rename = "tenantId")]
    tenant_id: Option<String>,
}

#[derive(Deserialize, Default)]
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

/// The v2.0 `trust` block.
#[derive(Deserialize, Default)]
struct V2TrustRaw<'a> {
    #[serde(default, borrow)]
    id: Str<'a>,
    #[serde(default, borrow)]
    trustee_user_id: Str<'a>,
    #[serde(default, borrow)]
    trustor_user_id: Str<'a>,
    #[serde(default)]
    impersonation: Flag,
}

/// One v2.0 endpoint object: `{"region": …, "id": …, "publicURL": …, "internalURL": …}`.
/// Its `*URL` keys in key order (as a JSON object's keys sort; a repeated key: the last
/// one), the values that are strings.
#[derive(Default)]
struct V2Endpoint<'a> {
    id: Option<Cow<'a, str>>,
    region: Option<Cow<'a, str>>,
    urls: BTreeMap<Cow<'a, str>, Option<Cow<'a, str>>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for V2Endpoint<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = V2Endpoint<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an endpoint object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut e = V2Endpoint::default();
                while let Some(key) = map.next_key::<BorrowedStr<'de>>()?.map(|k| k.0) {
                    let value = map.next_value::<Str<'de>>()?.0;
                    match key.as_ref() {
                        "region" => e.region = value,
                        "id" => e.id = value,
                        k if k.ends_with("URL") => {
                            e.urls.insert(key, value);
                        }
                        _ => {}
                    }
                }
                Ok(e)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A v2.0 service's endpoints: one catalog endpoint per `*URL` key of each.
enum V2Endpoints {}

impl ListItems for V2Endpoints {
    const EXPECTING: &'static str = "a list of endpoints";
    type Raw<'de> = V2Endpoint<'de>;
    type Out = CatalogEndpoint;
    fn read(e: V2Endpoint<'_>, out: &mut Vec<CatalogEndpoint>) {
        for (key, url) in e.urls {
            let Some(url) = url.filter(|u| !u.is_empty()) else {
                continue;
            };
            let iface = key.strip_suffix("URL").unwrap_or(&key);
            out.push(CatalogEndpoint {
                id: e.id.as_deref().map(str::to_owned),
                interface: Interface::parse(iface),
                region: e.region.as_deref().map(str::to_owned),
                url: url.into_owned(),
            });
        }
    }
}

/// One v2.0 service as the body has it.
#[derive(Deserialize)]
struct V2Service<'a> {
    #[serde(default, rename = "type", borrow)]
    service_type: Option<BorrowedStr<'a>>,
    #[serde(default, borrow)]
    name: Option<BorrowedStr<'a>>,
    #[serde(default)]
    endpoints: ListOf<V2Endpoints>,
}

/// The v2.0 catalog, made into catalog services as it is read (a service without a type is
/// left out).
enum V2Services {}

impl ListItems for V2Services {
    const EXPECTING: &'static str = "a list of services";
    type Raw<'de> = V2Service<'de>;
    type Out = CatalogService;
    fn read(s: V2Service<'_>, out: &mut Vec<CatalogService>) {
        if let Some(service_type) = s.service_type {
            out.push(CatalogService {
                service_type: service_type.owned(),
                name: s.name.map(BorrowedStr::owned),
                id: None,
                endpoints: s.endpoints.0,
            });
        }
    }
}

impl AccessInfo {
    /// Parse a v2.0 token body (`{"access": …}`); the token is `access.token.id` unless given.
    pub fn from_v2_body(body: &[u8], token: Option<SecretString>) -> Result<Self> {
        Self::from_v2_bytes(Bytes::copy_from_slice(body), token)
    }

    /// [`from_v2_body`](Self::from_v2_body), keeping `body` itself as the raw body instead of
    /// a copy.
    pub fn from_v2_bytes(body: Bytes, token: Option<SecretString>) -> Result<Self> {
        let parsed: V2Body<'_> = serde_json::from_slice(&body)
            .map_err(|e| Error::InvalidResponse(format!("invalid v2.0 token body: {e}")))?;
        let a = parsed.access;
        let expires = parse_timestamp(&a.token.expires)?;
        let issued = a
            .token
            .issued_at
            .as_deref()
            .map(parse_timestamp)
            .transpose()?;
        let user = a.user.unwrap_or_default();
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
        let catalog = a
            .service_catalog
            .map(|c| Arc::new(ServiceCatalog::new(c.0)));
        let trust = a.trust.and_then(|tr| {
            let tr = tr.0?;
            Some(TrustInfo {
                id: tr.id.owned()?,
                trustee_user_id: tr.trustee_user_id.owned(),
                trustor_user_id: tr.trustor_user_id.owned(),
                impersonation: tr.impersonation.0,
            })
        });
        let token = token.unwrap_or_else(|| SecretString::from(a.token.id.clone()));
        let bind = Lazy::locate(&body, a.token.bind);
        Ok(AccessInfo {
            version: IdentityVersion::V2,
            token_header: crate::headers::sensitive_header_value(token.expose_secret()),
            token,
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
            bind,
            service_providers: Vec::new(),
            is_admin_project: true,
            password_expires_at: None,
            raw: body,
        })
    }
}

//! The v3 token body (`{"token": …}`), read straight into [`AccessInfo`]: the catalog's
//! strings are borrowed from the body while it is parsed and copied once, into the catalog;
//! blocks kept as JSON (`bind`, `application_credential`) stay text until asked for.

use std::sync::Arc;

use bytes::Bytes;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{BorrowedStr, Flag, Items, Lazy, ListItems, ListOf, Obj, Str};
use super::{parse_timestamp, AccessInfo, FederationInfo, IdName, IdentityVersion, TrustInfo};
use crate::catalog::{CatalogEndpoint, CatalogService, Interface, ServiceCatalog};
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct V3Body<'a> {
    #[serde(borrow)]
    token: V3Token<'a>,
}

#[derive(Deserialize)]
struct DomainRef {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct V3User<'a> {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    domain: Option<DomainRef>,
    #[serde(default, rename = "OS-FEDERATION", borrow)]
    federation: Option<Obj<FederationRaw<'a>>>,
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

/// `{"id": …}`, leniently.
#[derive(Deserialize, Default)]
struct IdRef<'a> {
    #[serde(default, borrow)]
    id: Str<'a>,
}

impl IdRef<'_> {
    fn id(obj: Obj<IdRef<'_>>) -> Option<String> {
        obj.0.and_then(|r| r.id.owned())
    }
}

/// `OS-FEDERATION` of the user.
#[derive(Deserialize, Default)]
struct FederationRaw<'a> {
    #[serde(default, borrow)]
    identity_provider: Obj<IdRef<'a>>,
    #[serde(default, borrow)]
    protocol: Obj<IdRef<'a>>,
    #[serde(default, borrow)]
    groups: Items<Obj<IdRef<'a>>>,
}

/// `OS-TRUST:trust`.
#[derive(Deserialize, Default)]
struct TrustRaw<'a> {
    #[serde(default, borrow)]
    id: Str<'a>,
    #[serde(default, borrow)]
    trustee_user: Obj<IdRef<'a>>,
    #[serde(default, borrow)]
    trustor_user: Obj<IdRef<'a>>,
    #[serde(default)]
    impersonation: Flag,
}

/// `OS-OAUTH1`.
#[derive(Deserialize, Default)]
struct OAuth1Raw<'a> {
    #[serde(default, borrow)]
    access_token_id: Str<'a>,
    #[serde(default, borrow)]
    consumer_id: Str<'a>,
}

/// `oauth2_credential`.
#[derive(Deserialize, Default)]
struct OAuth2Raw<'a> {
    #[serde(default, rename = "x5t#S256", borrow)]
    thumbprint: Str<'a>,
}

/// `system`.
#[derive(Deserialize, Default)]
struct SystemRaw {
    #[serde(default)]
    all: Flag,
}

#[derive(Deserialize)]
struct V3Token<'a> {
    #[serde(default)]
    methods: Vec<String>,
    #[serde(borrow)]
    user: V3User<'a>,
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
    system: Option<Obj<SystemRaw>>,
    #[serde(default)]
    roles: Vec<IdName>,
    #[serde(default)]
    catalog: Option<ListOf<V3Services>>,
    #[serde(default)]
    is_domain: Option<bool>,
    #[serde(default)]
    is_admin_project: Option<bool>,
    #[serde(default, borrow)]
    bind: Option<&'a RawValue>,
    #[serde(default, borrow)]
    service_providers: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    application_credential: Option<&'a RawValue>,
    #[serde(default, rename = "OS-OAUTH1", borrow)]
    oauth1: Option<Obj<OAuth1Raw<'a>>>,
    #[serde(default, rename = "OS-TRUST:trust", borrow)]
    trust: Option<Obj<TrustRaw<'a>>>,
    #[serde(default, borrow)]
    oauth2_credential: Option<Obj<OAuth2Raw<'a>>>,
}

/// One endpoint as the body has it, its strings borrowed.
#[derive(Deserialize)]
struct V3Endpoint<'a> {
    #[serde(default, borrow)]
    id: Option<BorrowedStr<'a>>,
    #[serde(default, borrow)]
    interface: Option<BorrowedStr<'a>>,
    #[serde(default, borrow)]
    region: Option<BorrowedStr<'a>>,
    #[serde(default, borrow)]
    region_id: Option<BorrowedStr<'a>>,
    #[serde(default, borrow)]
    url: Option<BorrowedStr<'a>>,
}

impl V3Endpoint<'_> {
    /// The catalog's endpoint; `None` without an interface or a URL.
    fn into_endpoint(self) -> Option<CatalogEndpoint> {
        let url = self.url.filter(|u| !u.0.is_empty())?;
        Some(CatalogEndpoint {
            id: self.id.map(BorrowedStr::owned),
            interface: Interface::parse(&self.interface?.0),
            region: self.region_id.or(self.region).map(BorrowedStr::owned),
            url: url.owned(),
        })
    }
}

/// A service's endpoints, made into catalog endpoints one by one as they are read.
enum V3Endpoints {}

impl ListItems for V3Endpoints {
    const EXPECTING: &'static str = "a list of endpoints";
    type Raw<'de> = V3Endpoint<'de>;
    type Out = CatalogEndpoint;
    fn read(e: V3Endpoint<'_>, out: &mut Vec<CatalogEndpoint>) {
        out.extend(e.into_endpoint());
    }
}

/// One service as the body has it.
#[derive(Deserialize)]
struct V3Service<'a> {
    #[serde(default, rename = "type", borrow)]
    service_type: Option<BorrowedStr<'a>>,
    #[serde(default, borrow)]
    name: Option<BorrowedStr<'a>>,
    #[serde(default, borrow)]
    id: Option<BorrowedStr<'a>>,
    #[serde(default)]
    endpoints: ListOf<V3Endpoints>,
}

/// The catalog, made into catalog services one by one as they are read (a service without
/// a type is left out).
enum V3Services {}

impl ListItems for V3Services {
    const EXPECTING: &'static str = "a list of services";
    type Raw<'de> = V3Service<'de>;
    type Out = CatalogService;
    fn read(s: V3Service<'_>, out: &mut Vec<CatalogService>) {
        if let Some(service_type) = s.service_type {
            out.push(CatalogService {
                service_type: service_type.owned(),
                name: s.name.map(BorrowedStr::owned),
                id: s.id.map(BorrowedStr::owned),
                endpoints: s.endpoints.0,
            });
        }
    }
}

fn domain_of(d: Option<DomainRef>) -> Option<IdName> {
    d.map(|d| IdName {
        id: d.id,
        name: d.name,
    })
}

impl AccessInfo {
    /// Parse a v3 token body with its token (the `X-Subject-Token` header).
    pub fn from_v3_body(body: &[u8], token: SecretString) -> Result<Self> {
        Self::from_v3_bytes(Bytes::copy_from_slice(body), token)
    }

    /// [`from_v3_body`](Self::from_v3_body), keeping `body` itself (a response's
    /// [`bytes()`](crate::Response::bytes), say) as the raw body instead of a copy.
    pub fn from_v3_bytes(body: Bytes, token: SecretString) -> Result<Self> {
        let parsed: V3Body<'_> = serde_json::from_slice(&body)
            .map_err(|e| Error::InvalidResponse(format!("invalid v3 token body: {e}")))?;
        let t = parsed.token;
        let expires = parse_timestamp(&t.expires_at)?;
        let issued = t.issued_at.as_deref().map(parse_timestamp).transpose()?;
        let federation = t.user.federation.map(|f| {
            let f = f.0.unwrap_or_default();
            FederationInfo {
                identity_provider: IdRef::id(f.identity_provider),
                protocol: IdRef::id(f.protocol),
                groups: f.groups.0.into_iter().filter_map(IdRef::id).collect(),
            }
        });
        let trust = t.trust.and_then(|tr| {
            let tr = tr.0?;
            Some(TrustInfo {
                id: tr.id.owned()?,
                trustee_user_id: IdRef::id(tr.trustee_user),
                trustor_user_id: IdRef::id(tr.trustor_user),
                impersonation: tr.impersonation.0,
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
        let service_providers = t
            .service_providers
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| serde_json::from_str(v.get()).ok())
            .collect();
        let bind = Lazy::locate(&body, t.bind);
        let application_credential = Lazy::locate(&body, t.application_credential);
        Ok(AccessInfo {
            version: IdentityVersion::V3,
            token_header: crate::headers::sensitive_header_value(token.expose_secret()),
            token,
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
                .and_then(|s| s.0)
                .and_then(|s| s.all.0)
                .unwrap_or(false),
            roles: t.roles,
            role_ids_v2: Vec::new(),
            methods: t.methods,
            audit_ids: t.audit_ids,
            catalog: t.catalog.map(|c| Arc::new(ServiceCatalog::new(c.0))),
            trust,
            application_credential,
            oauth1: t.oauth1.map(|o| match o.0 {
                Some(o) => (o.access_token_id.owned(), o.consumer_id.owned()),
                None => (None, None),
            }),
            oauth2_thumbprint: t
                .oauth2_credential
                .and_then(|o| o.0)
                .and_then(|o| o.thumbprint.owned()),
            federation,
            bind,
            service_providers,
            is_admin_project: t.is_admin_project.unwrap_or(true),
            password_expires_at: t.user.password_expires_at,
            raw: body,
        })
    }
}

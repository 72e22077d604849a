//! In-memory state: the directory, issued tokens and receipts.

use std::collections::HashMap;

use base64::Engine as _;
use rand::RngCore as _;
use serde_json::Value;
use time::OffsetDateTime;

use super::specs::{AppCredSpec, DomainSpec, FederatedUserSpec, ProjectSpec, RoleTarget, UserSpec};
use crate::fixtures::new_id;

/// A resolved grant: ids only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Project(String),
    Domain(String),
    System,
}

#[derive(Debug, Clone)]
pub(crate) struct TokenRecord {
    pub user_id: String,
    pub methods: Vec<String>,
    pub expires: OffsetDateTime,
    pub audit_id: String,
    pub audit_chain_id: Option<String>,
    pub body: Value,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ReceiptRecord {
    pub user_id: String,
    pub methods: Vec<String>,
    pub expires: OffsetDateTime,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub domains: Vec<DomainSpec>,
    pub projects: Vec<ProjectSpec>,
    pub users: Vec<UserSpec>,
    /// role name → role id
    pub roles: Vec<(String, String)>,
    /// (user id, target, role id)
    pub grants: Vec<(String, Target, String)>,
    /// (spec, resolved user id, resolved project id)
    pub app_creds: Vec<(AppCredSpec, String, String)>,
    /// user id → rules
    pub mfa: HashMap<String, Vec<Vec<String>>>,
    pub tokens: HashMap<String, TokenRecord>,
    pub receipts: HashMap<String, ReceiptRecord>,
    /// trust id → trust
    pub trusts: HashMap<String, TrustRecord>,
    /// Federated identity providers.
    pub idps: Vec<IdpRecord>,
    /// shadow user id → what its tokens show in `user.OS-FEDERATION`
    pub federated: HashMap<String, FederatedRecord>,
    /// access or id token issued by an emulated OpenID provider → its grant
    pub oidc_tokens: HashMap<String, OidcGrant>,
    /// authorization code → what it may be exchanged for (once)
    pub oidc_codes: HashMap<String, PendingGrant>,
    /// device code → the device authorization (approved or not)
    pub oidc_devices: HashMap<String, PendingGrant>,
    /// SAML 1.0 assertion id an emulated ADFS issued → what it asserts (used once)
    pub adfs_assertions: HashMap<String, AdfsAssertion>,
    /// Shibboleth session id (the `_shibsession_<idp>` cookie) → its shadow user
    pub adfs_sessions: HashMap<String, OidcGrant>,
}

/// A SAML 1.0 assertion an emulated ADFS issued: by which provider, for which relying party
/// (the `AppliesTo` address), about which shadow user, until when.
#[derive(Debug, Clone)]
pub(crate) struct AdfsAssertion {
    pub identity_provider: String,
    pub audience: String,
    pub user_id: String,
    pub expires: OffsetDateTime,
}

/// An authorization code or a device authorization waiting to be exchanged at the token
/// endpoint: by which client, for which user (`None`: a device code nobody approved yet),
/// with which redirect URI (codes), PKCE challenge and user code (devices).
#[derive(Debug, Clone)]
pub(crate) struct PendingGrant {
    pub identity_provider: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub redirect_uri: Option<String>,
    /// (method, challenge)
    pub pkce: Option<(String, String)>,
    pub user_code: Option<String>,
    pub expires: OffsetDateTime,
}

/// A federated identity provider: its protocol, its domain in Keystone, its OAuth 2.0
/// clients and its users (with their shadow user ids).
#[derive(Debug, Clone)]
pub(crate) struct IdpRecord {
    pub id: String,
    pub protocol: String,
    pub clients: Vec<(String, String)>,
    pub public_clients: Vec<String>,
    /// (spec, shadow user id)
    pub users: Vec<(FederatedUserSpec, String)>,
    /// An ADFS provider (WS-Trust STS and a Shibboleth SP), not an OpenID provider.
    pub adfs: bool,
}

/// The `OS-FEDERATION` data of a shadow user.
#[derive(Debug, Clone)]
pub(crate) struct FederatedRecord {
    pub identity_provider: String,
    pub protocol: String,
    pub group_ids: Vec<String>,
}

/// A token an emulated OpenID provider issued: for which provider, and which shadow user it
/// maps to (`None`: a client's own token that no user maps to).
#[derive(Debug, Clone)]
pub(crate) struct OidcGrant {
    pub identity_provider: String,
    pub user_id: Option<String>,
    pub expires: OffsetDateTime,
}

/// A trust (`OS-TRUST`): the trustor delegates some of its roles on a project to the trustee.
#[derive(Debug, Clone)]
pub(crate) struct TrustRecord {
    pub trustor_user_id: String,
    pub trustee_user_id: String,
    pub project_id: String,
    pub impersonation: bool,
    /// (role id, role name)
    pub roles: Vec<(String, String)>,
    /// After this the trust is gone (Keystone: not found, so a 401 on use).
    pub expires: Option<OffsetDateTime>,
    /// Tokens it may still give; each trust-scoped token takes one.
    pub remaining_uses: Option<u64>,
}

impl TrustRecord {
    /// Neither expired nor used up.
    pub fn usable(&self) -> bool {
        self.expires.is_none_or(|e| e > OffsetDateTime::now_utc())
            && self.remaining_uses.is_none_or(|n| n > 0)
    }
}

/// `gAAAAAB` + URL-safe base64 random bytes: looks like a Fernet token.
pub(crate) fn fernet_like(len: usize) -> String {
    let mut b = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut b);
    format!(
        "gAAAAAB{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}

impl State {
    pub fn domain(&self, id_or_name: &str) -> Option<&DomainSpec> {
        self.domains
            .iter()
            .find(|d| d.id == id_or_name)
            .or_else(|| self.domains.iter().find(|d| d.name == id_or_name))
    }

    pub fn domain_by_id(&self, id: &str) -> Option<&DomainSpec> {
        self.domains.iter().find(|d| d.id == id)
    }

    pub fn domain_by_name(&self, name: &str) -> Option<&DomainSpec> {
        self.domains.iter().find(|d| d.name == name)
    }

    pub fn user_by_id(&self, id: &str) -> Option<&UserSpec> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn user_by_name(&self, name: &str, domain_id: &str) -> Option<&UserSpec> {
        self.users
            .iter()
            .find(|u| u.name == name && u.domain_id == domain_id)
    }

    /// Name or id, any domain (builder references).
    pub fn user_ref(&self, r: &str) -> Option<&UserSpec> {
        self.user_by_id(r)
            .or_else(|| self.users.iter().find(|u| u.name == r))
    }

    pub fn project_by_id(&self, id: &str) -> Option<&ProjectSpec> {
        self.projects.iter().find(|p| p.id == id)
    }

    pub fn project_ref(&self, r: &str) -> Option<&ProjectSpec> {
        self.project_by_id(r)
            .or_else(|| self.projects.iter().find(|p| p.name == r))
    }

    pub fn role_id(&mut self, name: &str) -> String {
        if let Some((_, id)) = self.roles.iter().find(|(n, _)| n == name) {
            return id.clone();
        }
        let id = new_id();
        self.roles.push((name.into(), id.clone()));
        id
    }

    pub fn resolve_target(&self, t: &RoleTarget) -> Option<Target> {
        Some(match t {
            RoleTarget::Project(p) => Target::Project(self.project_ref(p)?.id.clone()),
            RoleTarget::Domain(d) => Target::Domain(self.domain(d)?.id.clone()),
            RoleTarget::System => Target::System,
        })
    }

    /// `(role id, role name)` granted to a user on a target.
    pub fn roles_for(&self, user_id: &str, target: &Target) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (u, t, rid) in &self.grants {
            if u == user_id && t == target && !out.iter().any(|(id, _)| id == rid) {
                let name = self
                    .roles
                    .iter()
                    .find(|(_, id)| id == rid)
                    .map(|(n, _)| n.clone())
                    .unwrap_or_default();
                out.push((rid.clone(), name));
            }
        }
        out
    }

    /// An identity provider by id.
    pub fn idp(&self, id: &str) -> Option<&IdpRecord> {
        self.idps.iter().find(|i| i.id == id)
    }

    /// A token that exists, is not revoked and has not expired.
    pub fn valid_token(&self, id: &str) -> Option<&TokenRecord> {
        self.tokens
            .get(id)
            .filter(|t| !t.revoked && t.expires > OffsetDateTime::now_utc())
    }
}

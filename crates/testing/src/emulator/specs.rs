//! The directory the emulator serves: domains, projects, users, role grants, application
//! credentials.

use std::fmt;

use crate::fixtures::new_id;

/// A user of the emulator. Fields are public so struct-update syntax works:
/// `UserSpec { enabled: false, ..UserSpec::new("bob", "pw") }`.
#[derive(Clone)]
pub struct UserSpec {
    /// User id (random by default).
    pub id: String,
    /// User name, unique within its domain.
    pub name: String,
    /// Owning domain id (`default` by default).
    pub domain_id: String,
    /// Password for the `password` method.
    pub password: String,
    /// TOTP secret (raw bytes) for the `totp` method; see [`totp_code`](super::totp_code).
    pub totp_secret: Option<Vec<u8>>,
    /// Disabled users cannot authenticate.
    pub enabled: bool,
    /// Project used when a request carries no scope (Keystone's `default_project_id`).
    pub default_project_id: Option<String>,
}

impl fmt::Debug for UserSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserSpec")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("domain_id", &self.domain_id)
            .field("password", &"***")
            .field("totp_secret", &self.totp_secret.as_ref().map(|_| "***"))
            .field("enabled", &self.enabled)
            .field("default_project_id", &self.default_project_id)
            .finish()
    }
}

impl UserSpec {
    /// An enabled user of the `default` domain with a random id.
    pub fn new(name: &str, password: &str) -> Self {
        UserSpec {
            id: new_id(),
            name: name.into(),
            domain_id: "default".into(),
            password: password.into(),
            totp_secret: None,
            enabled: true,
            default_project_id: None,
        }
    }

    /// Sets the id.
    pub fn id(mut self, id: &str) -> Self {
        self.id = id.into();
        self
    }

    /// Sets the domain id.
    pub fn domain(mut self, domain_id: &str) -> Self {
        self.domain_id = domain_id.into();
        self
    }

    /// Gives the user a TOTP secret.
    pub fn totp_secret(mut self, secret: &[u8]) -> Self {
        self.totp_secret = Some(secret.to_vec());
        self
    }

    /// Disables the user.
    pub fn disabled(mut self) -> Self {
        self.enabled = false;
        self
    }
}

/// A project.
#[derive(Debug, Clone)]
pub struct ProjectSpec {
    /// Project id (random by default).
    pub id: String,
    /// Project name, unique within its domain.
    pub name: String,
    /// Owning domain id (`default` by default).
    pub domain_id: String,
    /// Disabled projects cannot be scoped to.
    pub enabled: bool,
}

impl ProjectSpec {
    /// An enabled project of the `default` domain with a random id.
    pub fn new(name: &str) -> Self {
        ProjectSpec {
            id: new_id(),
            name: name.into(),
            domain_id: "default".into(),
            enabled: true,
        }
    }

    /// Sets the id.
    pub fn id(mut self, id: &str) -> Self {
        self.id = id.into();
        self
    }

    /// Sets the domain id.
    pub fn domain(mut self, domain_id: &str) -> Self {
        self.domain_id = domain_id.into();
        self
    }
}

/// A domain. The emulator always has `default` / `Default`.
#[derive(Debug, Clone)]
pub struct DomainSpec {
    /// Domain id.
    pub id: String,
    /// Domain name.
    pub name: String,
    /// Users of a disabled domain cannot authenticate.
    pub enabled: bool,
}

impl DomainSpec {
    /// An enabled domain.
    pub fn new(id: &str, name: &str) -> Self {
        DomainSpec {
            id: id.into(),
            name: name.into(),
            enabled: true,
        }
    }
}

/// What a role is granted on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoleTarget {
    /// A project, by id or name.
    Project(String),
    /// A domain, by id or name.
    Domain(String),
    /// The whole system.
    System,
}

/// A role grant: `role` (a name; its id is made up) for `user` (name or id) on a target.
#[derive(Debug, Clone)]
pub struct RoleSpec {
    /// User name or id.
    pub user: String,
    /// Role name.
    pub role: String,
    /// Where it applies.
    pub target: RoleTarget,
}

impl RoleSpec {
    /// `role` for `user` on `project` (names or ids).
    pub fn project(user: &str, project: &str, role: &str) -> Self {
        RoleSpec {
            user: user.into(),
            role: role.into(),
            target: RoleTarget::Project(project.into()),
        }
    }

    /// `role` for `user` on `domain` (name or id).
    pub fn domain(user: &str, domain: &str, role: &str) -> Self {
        RoleSpec {
            user: user.into(),
            role: role.into(),
            target: RoleTarget::Domain(domain.into()),
        }
    }

    /// `role` for `user` on the system.
    pub fn system(user: &str, role: &str) -> Self {
        RoleSpec {
            user: user.into(),
            role: role.into(),
            target: RoleTarget::System,
        }
    }
}

/// An application credential: tokens from it are scoped to its project.
#[derive(Clone)]
pub struct AppCredSpec {
    /// Credential id (random by default).
    pub id: String,
    /// Credential name, unique per user.
    pub name: String,
    /// The secret.
    pub secret: String,
    /// Owning user, by name or id.
    pub user: String,
    /// Project, by name or id.
    pub project: String,
    /// `restricted` in the token body (unrestricted credentials may create others).
    pub restricted: bool,
}

impl fmt::Debug for AppCredSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredSpec")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("secret", &"***")
            .field("user", &self.user)
            .field("project", &self.project)
            .field("restricted", &self.restricted)
            .finish()
    }
}

impl AppCredSpec {
    /// A restricted credential with a random id.
    pub fn new(user: &str, project: &str, name: &str, secret: &str) -> Self {
        AppCredSpec {
            id: new_id(),
            name: name.into(),
            secret: secret.into(),
            user: user.into(),
            project: project.into(),
            restricted: true,
        }
    }

    /// Sets the id.
    pub fn id(mut self, id: &str) -> Self {
        self.id = id.into();
        self
    }
}

/// A federated identity provider with its protocol, served the way a Keystone behind
/// mod_auth_openidc serves it, together with a small OpenID provider of its own.
///
/// The emulator then has:
/// - the OpenID provider at [`Emulator::oidc_issuer`](super::Emulator::oidc_issuer): a
///   discovery document, a device authorization endpoint and a token endpoint with the
///   `password`, `client_credentials`, `authorization_code` and device code grants (PKCE
///   `S256` or `plain`; confidential clients authenticate with HTTP Basic or form fields,
///   public clients send their `client_id`). A test logs a user in with
///   [`Emulator::oidc_authorization_code`](super::Emulator::oidc_authorization_code), and
///   approves a device with
///   [`Emulator::oidc_approve_device`](super::Emulator::oidc_approve_device) or, like a
///   person would, on the plain-form verification page the device flow shows;
/// - Keystone's `/v3/OS-FEDERATION/identity_providers/{id}/protocols/{protocol}/auth`, which
///   takes `Authorization: Bearer <access token>` from that provider and gives an unscoped
///   token with `user.OS-FEDERATION`, methods `[protocol]`, for the mapped user;
/// - that user (a shadow user in a domain of the provider's own, with the groups and project
///   roles given here), who can rescope with the `token` method like any other.
///
/// A `client_credentials` token speaks for the client: it maps to the user named like the
/// client id, as a mapping on `sub` would; without one, Keystone refuses it (401).
#[derive(Clone)]
pub struct IdentityProviderSpec {
    /// Identity provider id, as in the federation URL.
    pub id: String,
    /// Protocol id (`openid`, …); it is also the token's auth method.
    pub protocol: String,
    /// Confidential OAuth 2.0 clients of the provider: (client id, client secret).
    pub clients: Vec<(String, String)>,
    /// Public clients (no secret: the device and authorization code grants, with PKCE).
    pub public_clients: Vec<String>,
    /// The users the provider knows, with what they map to in Keystone.
    pub users: Vec<FederatedUserSpec>,
    /// An ADFS 2.0 provider (WS-Trust, SAML 1.0) in front of a Shibboleth service provider,
    /// instead of an OpenID provider: see [`IdentityProviderSpec::adfs`].
    pub adfs: bool,
}

impl fmt::Debug for IdentityProviderSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clients: Vec<&str> = self.clients.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("IdentityProviderSpec")
            .field("id", &self.id)
            .field("protocol", &self.protocol)
            .field("clients", &clients)
            .field("public_clients", &self.public_clients)
            .field("users", &self.users)
            .field("adfs", &self.adfs)
            .finish()
    }
}

impl IdentityProviderSpec {
    /// A provider `id` whose Keystone protocol is `protocol`, with no clients or users yet.
    pub fn new(id: &str, protocol: &str) -> Self {
        IdentityProviderSpec {
            id: id.into(),
            protocol: protocol.into(),
            clients: Vec::new(),
            public_clients: Vec::new(),
            users: Vec::new(),
            adfs: false,
        }
    }

    /// Makes this an ADFS 2.0 identity provider (keystoneauth1's `v3adfspassword`) with a
    /// Shibboleth service provider on the emulator's host, instead of an OpenID provider:
    ///
    /// - `POST <root>/adfs/<idp>/services/trust/13/usernamemixed`
    ///   ([`Emulator::adfs_sts_url`](super::Emulator::adfs_sts_url)): the WS-Trust 1.3 STS.
    ///   It takes a SOAP 1.2 `RequestSecurityToken` (Issue, Bearer, SAML 1.0) whose
    ///   `UsernameToken` has a user's name and password and whose `AppliesTo` is the service
    ///   provider's entity id or endpoint, and answers with a `RequestSecurityTokenResponse`
    ///   carrying a SAML 1.0 assertion for that user (single use, 5 minutes). A wrong
    ///   password is HTTP 500 with a SOAP fault, subcode `a:FailedAuthentication`, as ADFS.
    /// - `POST <root>/adfs/<idp>/sp/ADFS`
    ///   ([`Emulator::adfs_sp_endpoint`](super::Emulator::adfs_sp_endpoint); entity id
    ///   [`Emulator::adfs_sp_entity_id`](super::Emulator::adfs_sp_entity_id)): the service
    ///   provider's `wa=wsignin1.0&wresult=…` endpoint. It wants the token response in the
    ///   WS-Trust 2005/02 namespace and an assertion its STS issued for it, and sets the
    ///   session cookie `_shibsession_<idp>` (path `/`) with a 302.
    /// - The federated auth URL of this provider takes that cookie (401 without a valid one)
    ///   and issues the shadow user's unscoped token.
    pub fn adfs(mut self) -> Self {
        self.adfs = true;
        self
    }

    /// Adds a confidential OAuth 2.0 client.
    pub fn client(mut self, client_id: &str, client_secret: &str) -> Self {
        self.clients.push((client_id.into(), client_secret.into()));
        self
    }

    /// Adds a public client (it sends only its `client_id`).
    pub fn public_client(mut self, client_id: &str) -> Self {
        self.public_clients.push(client_id.into());
        self
    }

    /// Adds a user.
    pub fn user(mut self, user: FederatedUserSpec) -> Self {
        self.users.push(user);
        self
    }
}

/// A user of an [`IdentityProviderSpec`]: its name at the provider, its password there (for
/// the `password` grant), and the groups and project roles Keystone's mapping gives it.
#[derive(Clone)]
pub struct FederatedUserSpec {
    /// User name (the token's `user.name`).
    pub name: String,
    /// Password at the provider; `None`: no `password` grant for this user.
    pub password: Option<String>,
    /// Group names (shown as ids in `OS-FEDERATION.groups`).
    pub groups: Vec<String>,
    /// (project name or id, role name) pairs the mapped groups hold.
    pub project_roles: Vec<(String, String)>,
}

impl fmt::Debug for FederatedUserSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FederatedUserSpec")
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("groups", &self.groups)
            .field("project_roles", &self.project_roles)
            .finish()
    }
}

impl FederatedUserSpec {
    /// A user with no password, groups or roles.
    pub fn new(name: &str) -> Self {
        FederatedUserSpec {
            name: name.into(),
            password: None,
            groups: Vec::new(),
            project_roles: Vec::new(),
        }
    }

    /// Sets the password for the `password` grant.
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Adds a group.
    pub fn group(mut self, group: &str) -> Self {
        self.groups.push(group.into());
        self
    }

    /// Grants `role` on `project` (name or id).
    pub fn project_role(mut self, project: &str, role: &str) -> Self {
        self.project_roles.push((project.into(), role.into()));
        self
    }
}

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

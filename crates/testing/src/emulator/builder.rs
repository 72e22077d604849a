//! [`EmulatorBuilder`]: the directory (users, projects, domains, roles, credentials, identity
//! providers, MFA rules), the enabled methods and their handlers, and `start`.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use super::state::State;
use super::{
    auth, federation, http, AppCredSpec, AuthMethodHandler, Config, DomainSpec, Emulator, Faults,
    IdentityProviderSpec, ProjectSpec, RoleSpec, Shared, UserSpec, DEFAULT_METHODS,
    DEMO_TOTP_SECRET,
};

/// Configures and starts an [`Emulator`].
pub struct EmulatorBuilder {
    users: Vec<UserSpec>,
    projects: Vec<ProjectSpec>,
    domains: Vec<DomainSpec>,
    roles: Vec<RoleSpec>,
    app_creds: Vec<AppCredSpec>,
    identity_providers: Vec<IdentityProviderSpec>,
    mfa: Vec<(String, Vec<Vec<String>>)>,
    default_projects: Vec<(String, String)>,
    methods: Option<Vec<String>>,
    handlers: Vec<(String, Arc<dyn AuthMethodHandler>)>,
    token_ttl: Duration,
    receipt_ttl: Duration,
    port: u16,
    v2: bool,
    external_header: String,
    trusted_dashboards: Vec<String>,
}

impl std::fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("users", &self.users)
            .field("projects", &self.projects)
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            users: Vec::new(),
            projects: Vec::new(),
            domains: Vec::new(),
            roles: Vec::new(),
            app_creds: Vec::new(),
            identity_providers: Vec::new(),
            mfa: Vec::new(),
            default_projects: Vec::new(),
            methods: None,
            handlers: Vec::new(),
            token_ttl: Duration::from_secs(3600),
            receipt_ttl: Duration::from_secs(300),
            port: 0,
            v2: true,
            external_header: "X-Remote-User".into(),
            trusted_dashboards: Vec::new(),
        }
    }
}

impl EmulatorBuilder {
    /// Adds a user.
    pub fn user(mut self, user: UserSpec) -> Self {
        self.users.push(user);
        self
    }

    /// Adds a project.
    pub fn project(mut self, project: ProjectSpec) -> Self {
        self.projects.push(project);
        self
    }

    /// Adds a domain (`default` always exists).
    pub fn domain(mut self, domain: DomainSpec) -> Self {
        self.domains.push(domain);
        self
    }

    /// Grants a role.
    pub fn role(mut self, role: RoleSpec) -> Self {
        self.roles.push(role);
        self
    }

    /// Adds an application credential.
    pub fn application_credential(mut self, cred: AppCredSpec) -> Self {
        self.app_creds.push(cred);
        self
    }

    /// Adds a federated identity provider with its own OpenID provider; see
    /// [`IdentityProviderSpec`]. Its protocol becomes an enabled auth method, unless
    /// [`methods`](Self::methods) is given: that list must then name it, as Keystone's
    /// `[auth] methods` must.
    ///
    /// ```
    /// use keystoneauth_testing::emulator::{
    ///     Emulator, FederatedUserSpec, IdentityProviderSpec, ProjectSpec,
    /// };
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emu = Emulator::builder()
    ///     .project(ProjectSpec::new("demo"))
    ///     .identity_provider(
    ///         IdentityProviderSpec::new("myidp", "openid")
    ///             .client("keystone", "client-secret")
    ///             .user(
    ///                 FederatedUserSpec::new("alice")
    ///                     .password("alice-pw")
    ///                     .project_role("demo", "member"),
    ///             ),
    ///     )
    ///     .start()
    ///     .await?;
    /// // What an OIDC plugin is configured with:
    /// let discovery = format!("{}/.well-known/openid-configuration", emu.oidc_issuer("myidp"));
    /// assert!(discovery.ends_with("/oidc/myidp/.well-known/openid-configuration"));
    /// // A token for `v3oidcaccesstoken`:
    /// assert!(emu.oidc_access_token("myidp", "alice").is_some());
    /// assert!(emu.oidc_access_token("myidp", "mallory").is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn identity_provider(mut self, idp: IdentityProviderSpec) -> Self {
        self.identity_providers.push(idp);
        self
    }

    /// Sets a user's MFA rules (user by name or id): each rule is a list of methods that
    /// together suffice, e.g. `vec![vec!["password", "totp"]]`.
    pub fn mfa_rules(mut self, user: &str, rules: Vec<Vec<&str>>) -> Self {
        let rules = rules
            .into_iter()
            .map(|r| r.into_iter().map(String::from).collect())
            .collect();
        self.mfa.push((user.into(), rules));
        self
    }

    /// Sets a user's default project (both by name or id): used when a request has no scope.
    pub fn default_project(mut self, user: &str, project: &str) -> Self {
        self.default_projects.push((user.into(), project.into()));
        self
    }

    /// The enabled methods (Keystone's `[auth] methods`). Default: [`DEFAULT_METHODS`] plus
    /// every custom handler; when set, exactly this list.
    pub fn methods(mut self, methods: &[&str]) -> Self {
        self.methods = Some(methods.iter().map(|s| s.to_string()).collect());
        self
    }

    /// Registers a handler for a method name (replacing a built-in one of the same name).
    pub fn handler(mut self, name: &str, handler: impl AuthMethodHandler + 'static) -> Self {
        self.handlers.push((name.into(), Arc::new(handler)));
        self
    }

    /// Token lifetime (default one hour).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Receipt lifetime (default five minutes).
    pub fn receipt_ttl(mut self, ttl: Duration) -> Self {
        self.receipt_ttl = ttl;
        self
    }

    /// Listens on this port instead of an ephemeral one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Serves the v2.0 API (default `true`). `false` behaves like a modern Keystone: `/v2.0`
    /// is 404 and the root lists only v3.
    pub fn v2(mut self, enabled: bool) -> Self {
        self.v2 = enabled;
        self
    }

    /// Adds a WebSSO origin Keystone posts tokens to (Keystone's `[federation]
    /// trusted_dashboard`), e.g. `http://127.0.0.1:9990/auth/websso/`.
    pub fn trusted_dashboard(mut self, url: &str) -> Self {
        self.trusted_dashboards.push(url.into());
        self
    }

    /// The trusted header naming the user for the `external` method (default `X-Remote-User`).
    pub fn external_header(mut self, name: &str) -> Self {
        self.external_header = name.into();
        self
    }

    /// A ready-made directory: projects `admin` and `demo`; `admin`/`secretadmin` (admin on
    /// project `admin`, domain `default` and the system), `demo`/`demopass` (member of `demo`,
    /// TOTP secret [`DEMO_TOTP_SECRET`]), `mfauser`/`mfa-pw` (member of `demo`, same TOTP
    /// secret, MFA rule `[["password", "totp"]]`).
    pub fn default_users(self) -> Self {
        self.project(ProjectSpec::new("admin"))
            .project(ProjectSpec::new("demo"))
            .user(UserSpec::new("admin", "secretadmin"))
            .user(UserSpec::new("demo", "demopass").totp_secret(DEMO_TOTP_SECRET))
            .user(UserSpec::new("mfauser", "mfa-pw").totp_secret(DEMO_TOTP_SECRET))
            .role(RoleSpec::project("admin", "admin", "admin"))
            .role(RoleSpec::project("admin", "admin", "member"))
            .role(RoleSpec::project("admin", "admin", "reader"))
            .role(RoleSpec::domain("admin", "default", "admin"))
            .role(RoleSpec::system("admin", "admin"))
            .role(RoleSpec::project("demo", "demo", "member"))
            .role(RoleSpec::project("demo", "demo", "reader"))
            .role(RoleSpec::project("mfauser", "demo", "member"))
            .mfa_rules("mfauser", vec![vec!["password", "totp"]])
    }

    fn build_state(&self) -> std::io::Result<State> {
        let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
        let mut st = State {
            domains: vec![DomainSpec::new("default", "Default")],
            ..State::default()
        };
        st.domains.extend(self.domains.iter().cloned());
        st.projects = self.projects.clone();
        st.users = self.users.clone();
        for r in &self.roles {
            let uid = st
                .user_ref(&r.user)
                .ok_or_else(|| bad(format!("role grant for unknown user {}", r.user)))?
                .id
                .clone();
            let target = st
                .resolve_target(&r.target)
                .ok_or_else(|| bad(format!("role grant on unknown target {:?}", r.target)))?;
            let rid = st.role_id(&r.role);
            st.grants.push((uid, target, rid));
        }
        for ac in &self.app_creds {
            let uid = st
                .user_ref(&ac.user)
                .ok_or_else(|| bad(format!("credential for unknown user {}", ac.user)))?
                .id
                .clone();
            let pid = st
                .project_ref(&ac.project)
                .ok_or_else(|| bad(format!("credential on unknown project {}", ac.project)))?
                .id
                .clone();
            st.app_creds.push((ac.clone(), uid, pid));
        }
        for (u, rules) in &self.mfa {
            let uid = st
                .user_ref(u)
                .ok_or_else(|| bad(format!("MFA rules for unknown user {u}")))?
                .id
                .clone();
            st.mfa.insert(uid, rules.clone());
        }
        for (u, p) in &self.default_projects {
            let pid = st
                .project_ref(p)
                .ok_or_else(|| bad(format!("unknown project {p}")))?
                .id
                .clone();
            let uid = st
                .user_ref(u)
                .ok_or_else(|| bad(format!("unknown user {u}")))?
                .id
                .clone();
            if let Some(user) = st.users.iter_mut().find(|x| x.id == uid) {
                user.default_project_id = Some(pid);
            }
        }
        for idp in &self.identity_providers {
            federation::add_identity_provider(&mut st, idp).map_err(bad)?;
        }
        Ok(st)
    }

    /// Binds `127.0.0.1`, spawns the server on the current Tokio runtime and returns a handle.
    /// Fails on a bind error or when a role, credential or rule refers to an unknown name.
    pub async fn start(self) -> std::io::Result<Emulator> {
        let state = self.build_state()?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let mut handlers: HashMap<String, Arc<dyn AuthMethodHandler>> = HashMap::new();
        handlers.insert("password".into(), Arc::new(auth::PasswordMethod));
        handlers.insert("token".into(), Arc::new(auth::TokenMethod));
        handlers.insert("totp".into(), Arc::new(auth::TotpMethod));
        handlers.insert(
            "application_credential".into(),
            Arc::new(auth::AppCredMethod),
        );
        handlers.insert("external".into(), Arc::new(auth::ExternalMethod));
        let mut enabled: Vec<String> = match &self.methods {
            Some(m) => m.clone(),
            None => DEFAULT_METHODS.iter().map(|s| s.to_string()).collect(),
        };
        for idp in &self.identity_providers {
            if self.methods.is_none() && !enabled.contains(&idp.protocol) {
                enabled.push(idp.protocol.clone());
            }
            handlers.insert(idp.protocol.clone(), Arc::new(federation::MappedMethod));
        }
        for (name, h) in self.handlers {
            if self.methods.is_none() && !enabled.contains(&name) {
                enabled.push(name.clone());
            }
            handlers.insert(name, h);
        }
        let shared = Arc::new(Shared {
            config: Config {
                base_url: format!("http://{addr}"),
                enabled,
                handlers,
                token_ttl: self.token_ttl,
                receipt_ttl: self.receipt_ttl,
                v2: self.v2,
                external_header: self.external_header,
                region: "RegionOne".into(),
                trusted_dashboards: self.trusted_dashboards,
            },
            state: Mutex::new(state),
            faults: Faults::default(),
            token_requests: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
        });
        let (tx, rx) = oneshot::channel();
        tokio::spawn(http::serve(listener, shared.clone(), rx));
        Ok(Emulator {
            shared,
            addr,
            shutdown: Some(tx),
        })
    }
}

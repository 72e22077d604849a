//! An in-process identity emulator: a small Keystone on `127.0.0.1` with an ephemeral port.
//!
//! It serves version discovery (`/`, `/v3`, `/v2.0`), the v3 token API (`POST`, `GET`, `HEAD`,
//! `DELETE /v3/auth/tokens`), v2.0 `POST /v2.0/tokens`, MFA receipts, and two fake catalog
//! services (`compute` at `/compute/v2.1`, `placement` at `/placement`) that serve discovery
//! documents with microversions and check `X-Auth-Token` on every other `GET`.
//!
//! A few identity resources that client code calls with a token are served too:
//! `GET /v3/auth/projects` and `/v3/auth/domains` (what the token's user has roles on),
//! `GET /v3/projects` (system, domain or `admin` tokens; otherwise 403),
//! `POST /v3/users/{user_id}/application_credentials` (a restricted application credential
//! cannot create another: 403), `POST /v3/OS-OAUTH2/token` (client credentials grant with an
//! application credential), and project trusts: `POST /v3/OS-TRUST/trusts` (by the trustor,
//! with roles it holds) and `DELETE /v3/OS-TRUST/trusts/{id}`, used with an
//! `{"OS-TRUST:trust": {"id": …}}` scope by the trustee (the trust's roles; with impersonation
//! the token is the trustor's). Trusts keep Keystone's limits: `remaining_uses` (each
//! trust-scoped token takes one) and `expires_at` (whole seconds, not in the past; it caps
//! the expiry of the trust's tokens); an unknown, expired or used-up trust is a 401.
//! Every response carries `X-OpenStack-Request-ID: req-<uuid>`.
//!
//! Federation with OpenID Connect ([`IdentityProviderSpec`]): each identity provider comes
//! with a small OpenID provider (discovery; the `password`, `client_credentials`,
//! `authorization_code` and device code grants, with PKCE) and
//! Keystone's `/v3/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth`, which
//! takes that provider's bearer token and gives an unscoped federated token for a shadow
//! user, shaped like a real Keystone's. WebSSO too:
//! `GET /v3/auth/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/websso?origin=…`
//! shows the provider's login form, and logging in there answers Keystone's page that posts
//! the unscoped token to `origin`, which must be one of the
//! [`trusted_dashboard`](EmulatorBuilder::trusted_dashboard)s. An identity provider made with
//! [`IdentityProviderSpec::adfs`] is an ADFS 2.0 instead (keystoneauth1's `v3adfspassword`):
//! a WS-Trust 1.3 STS issuing SAML 1.0 assertions, a Shibboleth service provider that turns an
//! assertion into a session cookie, and a federated auth URL that takes that cookie.
//!
//! Authentication follows Keystone's server-side plugin contract ([`AuthMethodHandler`]):
//! methods run in the order of `identity.methods`, all must succeed and agree on the user.
//!
//! ```
//! use keystoneauth_testing::emulator::{Emulator, ProjectSpec, RoleSpec, UserSpec};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let emu = Emulator::builder()
//!     .user(UserSpec::new("alice", "s3cret"))
//!     .project(ProjectSpec::new("demo"))
//!     .role(RoleSpec::project("alice", "demo", "member"))
//!     .start()
//!     .await?;
//! assert!(emu.auth_url_v3().ends_with("/v3"));
//! assert_eq!(emu.token_requests(), 0);
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;

mod adfs;
mod api;
mod auth;
mod federation;
mod server;
mod specs;
mod state;

pub use auth::{
    totp_code, totp_now, AuthContext, AuthHandlerResponse, AuthMethodHandler, AuthStatus,
    ResponseData, Unauthorized,
};
pub use specs::{
    AppCredSpec, DomainSpec, FederatedUserSpec, IdentityProviderSpec, ProjectSpec, RoleSpec,
    RoleTarget, UserSpec,
};

use state::State;

/// The TOTP secret of the `demo` and `mfauser` users of [`EmulatorBuilder::default_users`].
pub const DEMO_TOTP_SECRET: &[u8] = b"keystoneauth-demo-totp";

/// The methods enabled when [`EmulatorBuilder::methods`] is not called.
pub const DEFAULT_METHODS: &[&str] = &[
    "external",
    "password",
    "token",
    "application_credential",
    "totp",
];

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One request the emulator received.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers (names lower-case), values that are not UTF-8 skipped.
    pub headers: Vec<(String, String)>,
}

impl RequestRecord {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
pub(crate) struct FaultState {
    pub delay: Duration,
    pub fail: u32,
    pub fail_status: u16,
    pub retry_after: Option<u64>,
    pub drop: u32,
    pub truncate: u32,
    pub token_ttl: Option<Duration>,
    pub path_prefix: Option<String>,
}

/// Makes a running emulator misbehave. Cloning shares the same settings.
///
/// Faults (other than the TTL) apply to every path, or only to paths starting with the prefix
/// set by [`Faults::only_path`]. Counted faults apply to the next N matching requests.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub(crate) inner: Arc<Mutex<FaultState>>,
}

impl Faults {
    /// Delays every matching response by `delay` (zero turns it off).
    pub fn delay(&self, delay: Duration) -> &Self {
        lock(&self.inner).delay = delay;
        self
    }

    /// The next `n` matching requests get `status` (e.g. 503) with a Keystone-style error body
    /// and, if given, `Retry-After: <seconds>`.
    pub fn fail_next(&self, n: u32, status: u16, retry_after: Option<u64>) -> &Self {
        let mut f = lock(&self.inner);
        f.fail = n;
        f.fail_status = status;
        f.retry_after = retry_after;
        self
    }

    /// The next `n` matching requests have their connection closed without a response.
    pub fn drop_next(&self, n: u32) -> &Self {
        lock(&self.inner).drop = n;
        self
    }

    /// The next `n` matching responses have their body cut in half (invalid JSON, consistent
    /// `Content-Length`).
    pub fn truncate_next(&self, n: u32) -> &Self {
        lock(&self.inner).truncate = n;
        self
    }

    /// Tokens issued from now on expire after `ttl` (overrides the builder's TTL).
    pub fn token_ttl(&self, ttl: Duration) -> &Self {
        lock(&self.inner).token_ttl = Some(ttl);
        self
    }

    /// Limits faults to paths starting with `prefix` (`None`: every path).
    pub fn only_path(&self, prefix: Option<&str>) -> &Self {
        lock(&self.inner).path_prefix = prefix.map(Into::into);
        self
    }

    /// Removes every fault.
    pub fn clear(&self) -> &Self {
        *lock(&self.inner) = FaultState::default();
        self
    }
}

pub(crate) struct Config {
    pub base_url: String,
    pub enabled: Vec<String>,
    pub handlers: HashMap<String, Arc<dyn AuthMethodHandler>>,
    pub token_ttl: Duration,
    pub receipt_ttl: Duration,
    pub v2: bool,
    pub external_header: String,
    pub region: String,
    pub trusted_dashboards: Vec<String>,
}

pub(crate) struct Shared {
    pub config: Config,
    pub state: Mutex<State>,
    pub faults: Faults,
    pub token_requests: AtomicUsize,
    pub log: Mutex<Vec<RequestRecord>>,
}

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
        tokio::spawn(server::serve(listener, shared.clone(), rx));
        Ok(Emulator {
            shared,
            addr,
            shutdown: Some(tx),
        })
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Emulator {
    /// A builder with an empty directory (only the `default` domain).
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The root URL, `http://127.0.0.1:<port>` (no trailing slash).
    pub fn url(&self) -> String {
        self.shared.config.base_url.clone()
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `<root>/v3`.
    pub fn auth_url_v3(&self) -> String {
        format!("{}/v3", self.shared.config.base_url)
    }

    /// `<root>/v2.0`.
    pub fn auth_url_v2(&self) -> String {
        format!("{}/v2.0", self.shared.config.base_url)
    }

    /// The catalog URL of a service type (`identity`, `compute`, `placement`).
    pub fn service_url(&self, service_type: &str) -> Option<String> {
        server::SERVICES
            .iter()
            .find(|s| s.0 == service_type)
            .map(|s| format!("{}{}", self.shared.config.base_url, s.2))
    }

    /// The issuer URL of the OpenID provider of identity provider `idp` (see
    /// [`IdentityProviderSpec`]): `<root>/oidc/<idp>`. Its discovery document is at
    /// `<issuer>/.well-known/openid-configuration` and its token endpoint at `<issuer>/token`.
    pub fn oidc_issuer(&self, idp: &str) -> String {
        format!("{}/oidc/{idp}", self.shared.config.base_url)
    }

    /// The WS-Trust 1.3 endpoint of ADFS identity provider `idp` (see
    /// [`IdentityProviderSpec::adfs`]): keystoneauth1's `identity_provider_url`.
    pub fn adfs_sts_url(&self, idp: &str) -> String {
        adfs::sts_url(&self.shared.config.base_url, idp)
    }

    /// The Shibboleth service provider's ADFS endpoint for identity provider `idp`:
    /// keystoneauth1's `service_provider_endpoint`.
    pub fn adfs_sp_endpoint(&self, idp: &str) -> String {
        adfs::sp_endpoint(&self.shared.config.base_url, idp)
    }

    /// The Shibboleth service provider's SAML entity id for identity provider `idp`:
    /// keystoneauth1's `service_provider_entity_id`.
    pub fn adfs_sp_entity_id(&self, idp: &str) -> String {
        adfs::sp_entity_id(&self.shared.config.base_url, idp)
    }

    /// An access token of identity provider `idp`'s OpenID provider for its user `user`, as
    /// if the user had logged in there (for [`OidcAccessToken`]-style plugins); `None` for an
    /// unknown provider or user.
    ///
    /// [`OidcAccessToken`]: https://docs.rs/keystoneauth-federation
    pub fn oidc_access_token(&self, idp: &str, user: &str) -> Option<String> {
        let mut st = lock(&self.shared.state);
        let user_id = st
            .idp(idp)?
            .users
            .iter()
            .find(|(u, _)| u.name == user)
            .map(|(_, id)| id.clone())?;
        Some(federation::issue_provider_token(&mut st, idp, Some(user_id)).0)
    }

    /// An authorization code of identity provider `idp`'s OpenID provider for client
    /// `client_id`, as if `user` had logged in there and been sent back to `redirect_uri`
    /// (for `v3oidcauthcode`): good for one exchange at the token endpoint with the same
    /// client and redirect URI, for ten minutes. `None` for an unknown provider, client or
    /// user.
    pub fn oidc_authorization_code(
        &self,
        idp: &str,
        client_id: &str,
        user: &str,
        redirect_uri: Option<&str>,
    ) -> Option<String> {
        let mut st = lock(&self.shared.state);
        federation::issue_authorization_code(&mut st, idp, client_id, user, redirect_uri)
    }

    /// `user` of identity provider `idp` approves the device that shows `user_code` (for
    /// `v3oidcdeviceauthz`: call it from the plugin's prompt, or after it); false when no
    /// such device is waiting or there is no such user.
    pub fn oidc_approve_device(&self, idp: &str, user_code: &str, user: &str) -> bool {
        let mut st = lock(&self.shared.state);
        federation::approve_device(&mut st, idp, user_code, user)
    }

    /// The number of `POST`s to `/v3/auth/tokens` and `/v2.0/tokens`, and of requests to a
    /// federation auth URL (`/v3/OS-FEDERATION/identity_providers/…/auth`).
    pub fn token_requests(&self) -> usize {
        self.shared.token_requests.load(Ordering::SeqCst)
    }

    /// Every request received so far (at most the last 10 000).
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).clone()
    }

    /// The fault injection handle.
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// The id of a user (by name, any domain).
    pub fn user_id(&self, name: &str) -> Option<String> {
        lock(&self.shared.state)
            .user_ref(name)
            .map(|u| u.id.clone())
    }

    /// The id of a project (by name, any domain).
    pub fn project_id(&self, name: &str) -> Option<String> {
        lock(&self.shared.state)
            .project_ref(name)
            .map(|p| p.id.clone())
    }

    /// Revokes every token issued so far.
    pub fn revoke_all(&self) {
        for t in lock(&self.shared.state).tokens.values_mut() {
            t.revoked = true;
        }
    }

    /// Stops the server now (dropping does the same).
    pub fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

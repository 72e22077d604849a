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
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::State as AxState;

mod adfs;
mod api;
mod auth;
mod builder;
mod faults;
mod federation;
mod handle;
mod http;
mod response;
mod routes;
mod services;
mod specs;
mod state;
mod tokens;

pub use auth::{
    totp_code, totp_now, AuthContext, AuthHandlerResponse, AuthMethodHandler, AuthStatus,
    ResponseData, Unauthorized,
};
pub use builder::EmulatorBuilder;
pub use faults::Faults;
pub use handle::Emulator;
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

/// What an axum handler extracts to reach the emulator.
type S = AxState<Arc<Shared>>;

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

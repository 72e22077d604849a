//! [`Emulator`]: the handle of a running emulator (its URLs, what it received, its faults,
//! and helpers that act as a user would at an identity provider).

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::{adfs, federation, lock, services, EmulatorBuilder, Faults, RequestRecord, Shared};

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    pub(super) shared: Arc<Shared>,
    pub(super) addr: SocketAddr,
    pub(super) shutdown: Option<oneshot::Sender<()>>,
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
        services::SERVICES
            .iter()
            .find(|s| s.0 == service_type)
            .map(|s| format!("{}{}", self.shared.config.base_url, s.2))
    }

    /// The issuer URL of the OpenID provider of identity provider `idp` (see
    /// [`IdentityProviderSpec`](super::IdentityProviderSpec)): `<root>/oidc/<idp>`. Its discovery document is at
    /// `<issuer>/.well-known/openid-configuration` and its token endpoint at `<issuer>/token`.
    pub fn oidc_issuer(&self, idp: &str) -> String {
        format!("{}/oidc/{idp}", self.shared.config.base_url)
    }

    /// The WS-Trust 1.3 endpoint of ADFS identity provider `idp` (see
    /// [`IdentityProviderSpec::adfs`](super::IdentityProviderSpec::adfs)): keystoneauth1's `identity_provider_url`.
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

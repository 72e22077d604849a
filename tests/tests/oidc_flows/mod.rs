//! The OIDC checks, independent of which provider and Keystone serve them: `federation.rs`
//! runs them against the real peers (oidc-provider → Apache mod_auth_openidc → Keystone) and
//! `emulator_parity.rs` runs the very same functions against the emulator's provider and
//! federation URL, so the emulator cannot drift from the real chain.
//!
//! Included by both with `#[path = "oidc_flows/mod.rs"] mod oidc_flows;`.
use std::sync::Arc;

use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AccessInfo, AuthPlugin, Error, Session};
use keystoneauth_federation::oidc::{OidcAccessToken, OidcClientCredentials, OidcPassword};
use keystoneauth_federation::OidcError;
use keystoneauth_federation::{Federated, Scope, ScopeParams};
use serde_json::Value;

/// Where the provider and Keystone are, and who may log in.
#[derive(Debug, Clone)]
pub struct OidcSetup {
    /// Keystone's v3 URL.
    pub auth_url: String,
    /// Identity provider id in Keystone.
    pub identity_provider: String,
    /// Its protocol (`openid`).
    pub protocol: String,
    /// The provider's discovery document.
    pub discovery_url: String,
    /// The provider's token endpoint.
    pub token_endpoint: String,
    /// A client for the password grant.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// A provider user that maps to a Keystone user with a role on `project_id`.
    pub username: String,
    /// Its password at the provider.
    pub password: String,
    /// A client whose own token (client credentials grant) maps to a user with a role on
    /// `project_id`.
    pub cc_client_id: String,
    /// Its secret.
    pub cc_client_secret: String,
    /// The project the federated users may scope to.
    pub project_id: String,
}

impl OidcSetup {
    fn project(&self) -> Scope {
        Scope::ProjectId(self.project_id.clone())
    }

    fn password_plugin(&self, password: &str) -> Federated<OidcPassword> {
        let flow = OidcPassword::new(
            &self.auth_url,
            &self.identity_provider,
            &self.protocol,
            &self.client_id,
            &self.username,
            password,
        )
        .client_secret(&self.client_secret)
        .discovery_endpoint(&self.discovery_url);
        Federated::new(flow, self.project())
    }
}

/// The plugin's token is scoped to the project and was made for a federated user.
pub async fn assert_scoped(plugin: &dyn AuthPlugin, session: &Session, project_id: &str) {
    let access: Arc<AccessInfo> = plugin
        .access(session)
        .await
        .unwrap_or_else(|e| panic!("authentication failed: {e}"))
        .expect("access info");
    assert_eq!(access.project_id(), Some(project_id));
    assert!(access.is_federated(), "a federated user");
    assert!(access.has_service_catalog());
    assert!(!access.auth_token().expose_secret().is_empty());
}

/// `v3oidcpassword`: a project-scoped token; a wrong password is the provider's
/// `invalid_grant`.
pub async fn password_grant(setup: &OidcSetup, session: &Session) {
    let plugin = setup.password_plugin(&setup.password);
    assert_scoped(&plugin, session, &setup.project_id).await;
    assert!(plugin.unscoped_auth_state().is_some());

    let e = setup
        .password_plugin("wrong-password")
        .token(session)
        .await
        .unwrap_err();
    assert!(
        matches!(e.plugin_error::<OidcError>(), Some(OidcError::Provider { error, .. }) if error == "invalid_grant"),
        "{e}"
    );
}

/// `v3oidcclientcredentials` with the token endpoint given (no discovery).
pub async fn client_credentials_grant(setup: &OidcSetup, session: &Session) {
    let flow = OidcClientCredentials::new(
        &setup.auth_url,
        &setup.identity_provider,
        &setup.protocol,
        &setup.cc_client_id,
    )
    .client_secret(&setup.cc_client_secret)
    .openid_scope("openid")
    .access_token_endpoint(&setup.token_endpoint);
    let plugin = Federated::new(flow, setup.project());
    assert_scoped(&plugin, session, &setup.project_id).await;
}

/// `v3oidcaccesstoken` with a token fetched from the provider first (password grant, plain
/// HTTP through `http`); a token the provider never gave is Keystone's (or its web server's)
/// 401.
pub async fn access_token(setup: &OidcSetup, session: &Session, http: &reqwest::Client) {
    let resp = http
        .post(&setup.token_endpoint)
        .basic_auth(&setup.client_id, Some(&setup.client_secret))
        .form(&[
            ("grant_type", "password"),
            ("username", &setup.username),
            ("password", &setup.password),
            ("scope", "openid profile"),
        ])
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    let at = v["access_token"].as_str().expect("access_token").to_owned();
    let flow = OidcAccessToken::new(
        &setup.auth_url,
        &setup.identity_provider,
        &setup.protocol,
        at,
    );
    let plugin = Federated::new(flow, setup.project());
    assert_scoped(&plugin, session, &setup.project_id).await;

    let forged = OidcAccessToken::new(
        &setup.auth_url,
        &setup.identity_provider,
        &setup.protocol,
        "forged.jwt.value",
    );
    let e = Federated::new(forged, ScopeParams::default())
        .token(session)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)), "{e}");
}

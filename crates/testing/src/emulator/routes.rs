//! The routing table: which handler serves which path.

use std::sync::Arc;

use axum::routing::get;
use axum::Router;

use super::response::not_found;
use super::services::{compute_root, compute_v21, placement_root, resource, root, v2_doc, v3_doc};
use super::tokens::{check, issue_v2, issue_v3, revoke, validate};
use super::{adfs, api, federation, Shared};

/// Every route the emulator serves.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/v3", get(v3_doc))
        .route("/v3/", get(v3_doc))
        .route("/v2.0", get(v2_doc))
        .route("/v2.0/", get(v2_doc))
        .route(
            "/v3/auth/tokens",
            get(validate).head(check).delete(revoke).post(issue_v3),
        )
        .route("/v2.0/tokens", axum::routing::post(issue_v2))
        .route("/v3/auth/projects", get(api::auth_projects))
        .route("/v3/auth/domains", get(api::auth_domains))
        .route("/v3/projects", get(api::list_projects))
        .route(
            "/v3/users/:user_id/application_credentials",
            axum::routing::post(api::create_app_cred),
        )
        .route(
            "/v3/OS-OAUTH2/token",
            axum::routing::post(api::oauth2_token),
        )
        .route(
            "/v3/OS-TRUST/trusts",
            axum::routing::post(api::create_trust),
        )
        .route(
            "/v3/OS-TRUST/trusts/:trust_id",
            axum::routing::delete(api::delete_trust),
        )
        .route(
            "/v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol/auth",
            get(federation::federated_auth).post(federation::federated_auth),
        )
        .route(
            "/v3/auth/OS-FEDERATION/identity_providers/:idp/protocols/:protocol/websso",
            get(federation::websso_login_page).post(federation::websso_login),
        )
        .route(
            "/adfs/:idp/services/trust/13/usernamemixed",
            axum::routing::post(adfs::security_token_service),
        )
        .route(
            "/adfs/:idp/sp/ADFS",
            axum::routing::post(adfs::service_provider),
        )
        .route(
            "/oidc/:idp/.well-known/openid-configuration",
            get(federation::provider_discovery),
        )
        .route(
            "/oidc/:idp/token",
            axum::routing::post(federation::provider_token),
        )
        .route(
            "/oidc/:idp/device",
            axum::routing::post(federation::provider_device_authorization),
        )
        .route(
            "/oidc/:idp/device/verify",
            get(federation::device_verification_page).post(federation::device_verification),
        )
        .route("/compute", get(compute_root))
        .route("/compute/", get(compute_root))
        .route("/compute/v2.1", get(compute_v21))
        .route("/compute/v2.1/", get(compute_v21))
        .route("/compute/v2.1/*rest", get(resource))
        .route("/placement", get(placement_root))
        .route("/placement/", get(placement_root))
        .route("/placement/*rest", get(resource))
        .fallback(not_found)
        .with_state(shared)
}

//! Identity v3 plugins against the real Keystone: password (every user and scope shape),
//! token rescope, TOTP, MFA receipts, application credentials, trusts, OAuth2 (secret and
//! mTLS), tokenless, errors, validation and catalog use through a `Session`.
//!
//! Needs `cargo xtask test` (or `cargo xtask keystone up --tls`).
//!
//! The bodies of the checks live in [`flows`]: each takes an auth URL, a `Session` and
//! credentials, so the identity emulator can run the same checks with its own provisioning.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;

use keystoneauth_core::{Authenticator, Session, Verify};
use keystoneauth_identity_v3::{Password, Scope};
use keystoneauth_tests::{Admin, Keystone, Project, User};
use reqwest::Method;
use serde_json::json;

#[path = "identity_v3_flows/mod.rs"]
pub mod flows;

// ------------------------------------------------------------------ provisioning

/// Keystone on sqlite answers 500 "database is locked" when too many writers overlap: at
/// most this many tests of this file talk to it at once.
static GATE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(3);

struct Fixture {
    ks: Keystone,
    admin: Admin,
    session: Session,
    _permit: tokio::sync::SemaphorePermit<'static>,
}

async fn fixture() -> Fixture {
    let permit = GATE.acquire().await.expect("gate open");
    let ks = Keystone::from_env();
    let admin = ks.admin().await;
    Fixture {
        ks,
        admin,
        session: Session::builder().build().unwrap(),
        _permit: permit,
    }
}

fn creds(u: &User, domain_name: &str) -> flows::UserCreds {
    flows::UserCreds {
        id: u.id.clone(),
        name: u.name.clone(),
        domain_id: u.domain_id.clone(),
        domain_name: domain_name.to_owned(),
        password: u.password.clone(),
    }
}

/// A project in `default` and a user holding `role` on it.
async fn project_user(admin: &Admin, role: &str) -> (Project, User) {
    let project = admin.create_project("default").await.unwrap();
    let user = admin
        .create_user("default", Some(&project.id))
        .await
        .unwrap();
    let role = admin.role_id(role).await.unwrap();
    admin
        .grant_project_role(&project.id, &user.id, &role)
        .await
        .unwrap();
    (project, user)
}

// ------------------------------------------------------------------ password

#[tokio::test]
async fn password_by_user_id_project_scope_with_catalog() {
    let f = fixture().await;
    let (project, user) = project_user(&f.admin, "member").await;
    flows::password_user_id_project(
        &f.session,
        f.ks.auth_url(),
        &creds(&user, "Default"),
        &project.id,
    )
    .await;
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn token_from_our_plugin_validates_with_keystone() {
    let f = fixture().await;
    let (project, user) = project_user(&f.admin, "member").await;
    let plugin = Password::new(f.ks.auth_url(), &user.password)
        .user_id(&user.id)
        .scope(Scope::ProjectId(project.id.clone()))
        .into_plugin();
    let token = keystoneauth_core::AuthPlugin::token(&plugin, &f.session)
        .await
        .unwrap()
        .unwrap();
    let v = f
        .admin
        .validate_token(keystoneauth_core::secrecy::ExposeSecret::expose_secret(
            &token,
        ))
        .await
        .unwrap();
    assert_eq!(v["user"]["id"], user.id.as_str());
    assert_eq!(v["project"]["id"], project.id.as_str());
    assert_eq!(v["methods"], json!(["password"]));
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn password_by_name_and_domain_name_project_by_name() {
    let f = fixture().await;
    let domain = f.admin.create_domain().await.unwrap();
    let project = f.admin.create_project(&domain.id).await.unwrap();
    let user = f.admin.create_user(&domain.id, None).await.unwrap();
    let member = f.admin.role_id("member").await.unwrap();
    f.admin
        .grant_project_role(&project.id, &user.id, &member)
        .await
        .unwrap();
    let a = flows::password_name_domain_name_project_name(
        &f.session,
        f.ks.auth_url(),
        &creds(&user, &domain.name),
        &project.name,
        &domain.name,
    )
    .await;
    assert_eq!(a.project_id(), Some(project.id.as_str()));
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn password_by_name_domain_scope_by_name_and_by_id() {
    let f = fixture().await;
    let domain = f.admin.create_domain().await.unwrap();
    let user = f.admin.create_user(&domain.id, None).await.unwrap();
    let reader = f.admin.role_id("reader").await.unwrap();
    f.admin
        .grant_domain_role(&domain.id, &user.id, &reader)
        .await
        .unwrap();
    let c = creds(&user, &domain.name);
    flows::password_name_domain_name_domain(&f.session, f.ks.auth_url(), &c, &domain.name).await;
    flows::password_name_domain_id_domain(&f.session, f.ks.auth_url(), &c, &domain.id).await;
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn password_by_name_and_domain_id_system_scope() {
    let f = fixture().await;
    let user = f.admin.create_user("default", None).await.unwrap();
    let reader = f.admin.role_id("reader").await.unwrap();
    f.admin.grant_system_role(&user.id, &reader).await.unwrap();
    flows::password_name_domain_id_system(&f.session, f.ks.auth_url(), &creds(&user, "Default"))
        .await;
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn password_unscoped_and_nocatalog() {
    let f = fixture().await;
    let user = f.admin.create_user("default", None).await.unwrap();
    flows::password_unscoped(&f.session, f.ks.auth_url(), &creds(&user, "Default")).await;
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn session_get_projects_through_the_catalog() {
    let f = fixture().await;
    let user = f.admin.create_user("default", None).await.unwrap();
    let reader = f.admin.role_id("reader").await.unwrap();
    f.admin.grant_system_role(&user.id, &reader).await.unwrap();
    flows::session_get_projects(f.ks.auth_url(), &creds(&user, "Default"), "admin").await;
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn wrong_password_is_unauthorized_with_keystones_message() {
    let f = fixture().await;
    let user = f.admin.create_user("default", None).await.unwrap();
    flows::wrong_password(&f.session, f.ks.auth_url(), &creds(&user, "Default")).await;
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn unknown_project_is_a_typed_error() {
    let f = fixture().await;
    let user = f.admin.create_user("default", None).await.unwrap();
    flows::unknown_project(&f.session, f.ks.auth_url(), &creds(&user, "Default")).await;
    f.admin.cleanup().await.unwrap();
}

// ------------------------------------------------------------------ token, TOTP, MFA

#[tokio::test]
async fn token_rescope_unscoped_to_project() {
    let f = fixture().await;
    let (project, user) = project_user(&f.admin, "member").await;
    flows::token_rescope(
        &f.session,
        f.ks.auth_url(),
        &creds(&user, "Default"),
        &project.id,
    )
    .await;
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn totp_with_a_credential_made_by_the_test() {
    let f = fixture().await;
    let user = f.admin.create_user("default", None).await.unwrap();
    let cred = f.admin.create_totp_credential(&user.id).await.unwrap();
    flows::totp(
        &f.session,
        f.ks.auth_url(),
        &creds(&user, "Default"),
        &cred.passcode_now(),
    )
    .await;
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn mfa_receipt_then_add_method_then_receipt_method_then_multifactor() {
    let f = fixture().await;
    let (project, user) = project_user(&f.admin, "member").await;
    let cred = f.admin.create_totp_credential(&user.id).await.unwrap();
    f.admin
        .enable_mfa(&user.id, &[&["password", "totp"]])
        .await
        .unwrap();
    flows::mfa(
        &f.session,
        f.ks.auth_url(),
        &creds(&user, "Default"),
        &project.id,
        || cred.passcode_now(),
    )
    .await;
    f.admin.cleanup().await.unwrap();
}

// ------------------------------------------------------------------ application credentials, OAuth2

#[tokio::test]
async fn application_credential_by_id_and_by_name_and_restricted() {
    let f = fixture().await;
    let (project, user) = project_user(&f.admin, "member").await;
    let ac = f
        .admin
        .create_application_credential(&user, &project.id, None)
        .await
        .unwrap();
    flows::application_credential(
        &f.session,
        f.ks.auth_url(),
        &creds(&user, "Default"),
        &ac.id,
        &ac.name,
        &ac.secret,
        &project.id,
    )
    .await;
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn oauth2_client_credential_and_get_projects_with_the_bearer() {
    let f = fixture().await;
    // Keystone's default policy lets `admin` (on any project) list projects.
    let (project, user) = project_user(&f.admin, "admin").await;
    let ac = f
        .admin
        .create_application_credential(&user, &project.id, None)
        .await
        .unwrap();
    flows::oauth2_client_credential(&f.session, f.ks.auth_url(), &ac.id, &ac.secret).await;
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn oauth2_client_credential_wrong_secret() {
    let f = fixture().await;
    let (project, user) = project_user(&f.admin, "member").await;
    let ac = f
        .admin
        .create_application_credential(&user, &project.id, None)
        .await
        .unwrap();
    flows::oauth2_client_credential_wrong_secret(&f.session, f.ks.auth_url(), &ac.id).await;
    f.admin.cleanup().await.unwrap();
}

// ------------------------------------------------------------------ service tokens

/// `ServiceTokenAuth` over two real password plugins: requests through a `Session` succeed,
/// and what it sends (on the second request, from the cached tokens) is the user's token in
/// `X-Auth-Token` and the service user's in `X-Service-Token`, both valid at Keystone.
#[tokio::test]
async fn service_token_wrapper_sends_two_valid_tokens() {
    use keystoneauth_core::{AuthPlugin, ServiceTokenAuth};
    let f = fixture().await;
    let (project, user) = project_user(&f.admin, "member").await;
    let (service_project, service) = project_user(&f.admin, "member").await;
    let plugin = |u: &keystoneauth_tests::User, p: &str| {
        Arc::new(
            Password::new(f.ks.auth_url(), &u.password)
                .user_id(&u.id)
                .scope(Scope::ProjectId(p.to_owned()))
                .into_plugin(),
        )
    };
    let both = Arc::new(ServiceTokenAuth::new(
        plugin(&user, &project.id),
        plugin(&service, &service_project.id),
    ));
    let session = Session::new(both.clone()).unwrap();
    for _ in 0..2 {
        let r = session
            .get(format!("{}/auth/projects", f.ks.auth_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let mut sent = keystoneauth_core::http::HeaderMap::new();
    assert!(both.add_ready_auth_headers(&mut sent), "both tokens cached");
    let awaited = both.auth_headers(&session).await.unwrap().unwrap();
    assert_eq!(sent, awaited);
    for (header, who) in [("X-Auth-Token", &user), ("X-Service-Token", &service)] {
        let token = sent[header].to_str().unwrap();
        let v = f.admin.validate_token(token).await.unwrap();
        assert_eq!(v["user"]["id"], who.id.as_str(), "{header}");
    }
    f.admin.cleanup().await.unwrap();
}

// ------------------------------------------------------------------ trusts

#[tokio::test]
async fn trust_scoped_password_token() {
    let f = fixture().await;
    let (project, trustor) = project_user(&f.admin, "member").await;
    let trustee = f.admin.create_user("default", None).await.unwrap();
    let (trust_id, token, as_trustor) = flows::trust_scoped_password(
        &f.session,
        f.ks.auth_url(),
        &creds(&trustor, "Default"),
        &creds(&trustee, "Default"),
        &project.id,
    )
    .await;
    // Keystone itself validates the token as trust-scoped.
    let v = f.admin.validate_token(&token).await.unwrap();
    assert_eq!(v["OS-TRUST:trust"]["id"], trust_id.as_str());
    flows::limited_trusts(
        &f.session,
        f.ks.auth_url(),
        &as_trustor,
        &creds(&trustor, "Default"),
        &creds(&trustee, "Default"),
        &project.id,
    )
    .await;
    flows::delete_trust(&as_trustor, f.ks.auth_url(), &trust_id).await;
    f.admin.cleanup().await.unwrap();
}

// ------------------------------------------------------------------ mTLS: OAuth2 and tokenless

/// An admin call retried (bounded) on 5xx: Keystone on sqlite answers 500 "database is
/// locked" when writers overlap, and the transaction was rolled back.
async fn admin_request(
    admin: &Admin,
    method: Method,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut attempt = 0u64;
    loop {
        attempt += 1;
        let (status, v) = admin.request(method.clone(), path, body).await.unwrap();
        if status.is_server_error() && attempt < 4 {
            tokio::time::sleep(std::time::Duration::from_millis(500 * attempt)).await;
            continue;
        }
        return (status, v);
    }
}

/// The user a client certificate's CN maps to (in `default`). The name is fixed by the
/// certificate, so the user is shared between runs: found or created, never deleted.
async fn ensure_cert_user(admin: &Admin, name: &str) -> String {
    let find = format!("/users?name={name}&domain_id=default");
    let (_, v) = admin_request(admin, Method::GET, &find, None).await;
    if let Some(id) = v["users"][0]["id"].as_str() {
        return id.to_owned();
    }
    let user = json!({"user": {"name": name, "domain_id": "default", "enabled": true}});
    let (status, v) = admin_request(admin, Method::POST, "/users", Some(&user)).await;
    if status == 409 {
        // Created meanwhile by a parallel run.
        let (_, v) = admin_request(admin, Method::GET, &find, None).await;
        return v["users"][0]["id"].as_str().unwrap().to_owned();
    }
    v["user"]["id"].as_str().expect("user id").to_owned()
}

/// PUT, or PATCH when it exists: shared federation objects Keystone's config names.
async fn put_or_patch(admin: &Admin, path: &str, body: serde_json::Value) {
    let (status, v) = admin_request(admin, Method::PUT, path, Some(&body)).await;
    if status == 409 {
        let (status, v) = admin_request(admin, Method::PATCH, path, Some(&body)).await;
        assert!(status.is_success(), "PATCH {path}: {status} {v}");
    } else {
        assert!(status.is_success(), "PUT {path}: {status} {v}");
    }
}

fn tls_session(ks: &Keystone) -> Session {
    Session::builder()
        .verify(Verify::CaBundle(ks.env.ca_cert.clone()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn oauth2_mtls_client_credential_over_the_tls_listener() {
    let f = fixture().await;
    let tls_url = f.ks.tls_auth_url().to_owned();
    let cn = f.ks.raw["oauth2_client_subject"]["CN"]
        .as_str()
        .unwrap_or("ksa-oauth2-client")
        .to_owned();
    let user_id = ensure_cert_user(&f.admin, &cn).await;
    // Keystone's [oauth2] oauth2_cert_dn_mapping_id: the certificate CN is the user name.
    put_or_patch(
        &f.admin,
        &format!("/OS-FEDERATION/mappings/{}", f.ks.env.oauth2_mapping_id),
        json!({"mapping": {"rules": [{
            "local": [{"user": {"name": "{0}", "domain": {"name": "Default"}}}],
            "remote": [{"type": "SSL_CLIENT_SUBJECT_DN_CN"}]}]}}),
    )
    .await;
    // The token is scoped to the user's default project.
    let project = f.admin.create_project("default").await.unwrap();
    let member = f.admin.role_id("member").await.unwrap();
    f.admin
        .grant_project_role(&project.id, &user_id, &member)
        .await
        .unwrap();
    let (status, v) = admin_request(
        &f.admin,
        Method::PATCH,
        &format!("/users/{user_id}"),
        Some(&json!({"user": {"default_project_id": project.id}})),
    )
    .await;
    assert!(status.is_success(), "PATCH user: {status} {v}");

    let plugin = keystoneauth_identity_v3::OAuth2MtlsClientCredential::new(
        &tls_url,
        format!("{tls_url}/OS-OAUTH2/token"),
        &user_id,
    )
    .unwrap()
    .client_cert_files(
        &f.ks.env.oauth2_client_cert,
        Some(&f.ks.env.oauth2_client_key),
    )
    .unwrap()
    .into_plugin();
    let s = tls_session(&f.ks);
    let a = flows::access_of(&s, &plugin).await;
    assert_eq!(a.user_id(), user_id);
    assert_eq!(a.project_id(), Some(project.id.as_str()));
    assert!(a.methods().is_empty(), "{:?}", a.methods());
    assert!(a.oauth2_credential_thumbprint().is_some());
    let h = keystoneauth_core::AuthPlugin::auth_headers(&plugin, &s)
        .await
        .unwrap()
        .unwrap();
    assert!(h["Authorization"].to_str().unwrap().starts_with("Bearer "));
    let token = keystoneauth_core::secrecy::ExposeSecret::expose_secret(a.auth_token()).to_owned();
    let v = f.admin.validate_token(&token).await.unwrap();
    assert_eq!(v["user"]["id"], user_id.as_str());

    // Without the client certificate Keystone refuses.
    let nocert = keystoneauth_identity_v3::OAuth2MtlsClientCredential::new(
        &tls_url,
        format!("{tls_url}/OS-OAUTH2/token"),
        &user_id,
    )
    .unwrap();
    let err = nocert.authenticate(&s).await.unwrap_err();
    assert!(
        err.status().is_some_and(|s| (400..500).contains(&s)),
        "{err:?}"
    );
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn tokenless_auth_over_the_tls_listener() {
    let f = fixture().await;
    let tls_url = f.ks.tls_auth_url().to_owned();
    let cn = f.ks.raw["tokenless_client_subject"]["CN"]
        .as_str()
        .unwrap_or("ksa-tokenless-client")
        .to_owned();
    let user_id = ensure_cert_user(&f.admin, &cn).await;
    // IdP = sha256(issuer DN), protocol x509, mapping on the subject CN.
    let idp = &f.ks.env.tokenless_idp_id;
    let mapping = "ksa_x509_tokenless";
    put_or_patch(
        &f.admin,
        &format!("/OS-FEDERATION/mappings/{mapping}"),
        json!({"mapping": {"rules": [{
            "local": [{"user": {"name": "{0}", "domain": {"id": "default"}, "type": "local"}}],
            "remote": [{"type": "SSL_CLIENT_S_DN_CN"}]}]}}),
    )
    .await;
    let (status, v) = admin_request(
        &f.admin,
        Method::PUT,
        &format!("/OS-FEDERATION/identity_providers/{idp}"),
        Some(&json!({"identity_provider": {"enabled": true}})),
    )
    .await;
    assert!(status.is_success() || status == 409, "{status} {v}");
    put_or_patch(
        &f.admin,
        &format!(
            "/OS-FEDERATION/identity_providers/{idp}/protocols/{}",
            f.ks.env.tokenless_protocol
        ),
        json!({"protocol": {"mapping_id": mapping}}),
    )
    .await;
    let project = f.admin.create_project("default").await.unwrap();
    let reader = f.admin.role_id("reader").await.unwrap();
    f.admin
        .grant_project_role(&project.id, &user_id, &reader)
        .await
        .unwrap();

    let plugin = keystoneauth_identity_v3::TokenlessAuth::new(
        &tls_url,
        Scope::ProjectId(project.id.clone()),
    )
    .client_cert_files(
        &f.ks.env.tokenless_client_cert,
        Some(&f.ks.env.tokenless_client_key),
    )
    .unwrap();
    let s = tls_session(&f.ks).with_auth(Arc::new(plugin));
    let resp = s
        .get(format!("/projects/{}", project.id))
        .endpoint_filter(keystoneauth_core::EndpointFilter::service("identity"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().unwrap();
    assert_eq!(body["project"]["id"], project.id.as_str());

    // By project name + domain id, too.
    let by_name = keystoneauth_identity_v3::TokenlessAuth::new(
        &tls_url,
        Scope::project_in_domain_id(&project.name, "default"),
    )
    .client_cert_files(
        &f.ks.env.tokenless_client_cert,
        Some(&f.ks.env.tokenless_client_key),
    )
    .unwrap();
    let s = tls_session(&f.ks).with_auth(Arc::new(by_name));
    let resp = s
        .get(format!("{tls_url}/projects/{}", project.id))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    f.admin.cleanup().await.unwrap();
}

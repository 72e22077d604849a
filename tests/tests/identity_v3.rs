//! Identity v3 plugins against the real Keystone: password (every user and scope shape),
//! token rescope, TOTP, MFA receipts, application credentials, OAuth2 (secret and mTLS),
//! tokenless, errors, validation and catalog use through a `Session`.
//!
//! Needs `cargo xtask test` (or `cargo xtask keystone up --tls`).
//!
//! The bodies of the checks live in [`flows`]: each takes an auth URL, a `Session` and
//! credentials, so the identity emulator can run the same checks with its own provisioning.

use std::sync::Arc;

use keystoneauth_core::{Authenticator, Error, Session, Verify};
use keystoneauth_identity_v3::{Password, Scope};
use keystoneauth_tests::{Admin, Keystone, Project, User};
use reqwest::Method;
use serde_json::json;

/// The checks, independent of how users and projects were made.
pub mod flows {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use keystoneauth_core::registry::OptionValues;
    use keystoneauth_core::secrecy::ExposeSecret;
    use keystoneauth_core::{
        AccessInfo, AuthPlugin, Authenticator, EndpointFilter, Error, MissingAuthMethods, Session,
    };
    use keystoneauth_identity_v3::{
        ApplicationCredential, MultiFactor, OAuth2ClientCredential, Password, ReceiptMethod, Scope,
        Token, Totp, TotpMethod,
    };

    /// A user that can authenticate with a password.
    #[derive(Debug, Clone)]
    pub struct UserCreds {
        /// Id.
        pub id: String,
        /// Name.
        pub name: String,
        /// Domain id.
        pub domain_id: String,
        /// Domain name.
        pub domain_name: String,
        /// Password.
        pub password: String,
    }

    /// The methods of a token as a set (Keystone does not keep their order).
    pub fn methods(access: &AccessInfo) -> BTreeSet<String> {
        access.methods().iter().cloned().collect()
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// Authenticate `plugin` through `session` and return its access info.
    pub async fn access_of(session: &Session, plugin: &dyn AuthPlugin) -> Arc<AccessInfo> {
        plugin
            .access(session)
            .await
            .unwrap_or_else(|e| panic!("authentication failed: {e}"))
            .expect("an identity plugin has access info")
    }

    /// Password by user id, scoped to a project by id; the catalog has identity.
    pub async fn password_user_id_project(
        s: &Session,
        auth_url: &str,
        u: &UserCreds,
        project_id: &str,
    ) -> Arc<AccessInfo> {
        let p = Password::new(auth_url, &u.password)
            .user_id(&u.id)
            .scope(Scope::ProjectId(project_id.into()))
            .into_plugin();
        let a = access_of(s, &p).await;
        assert_eq!(a.user_id(), u.id);
        assert_eq!(a.project_id(), Some(project_id));
        assert!(a.project_scoped());
        assert_eq!(methods(&a), set(&["password"]));
        let identity = p
            .endpoint(s, &EndpointFilter::service("identity"))
            .await
            .unwrap()
            .expect("identity in the catalog");
        assert!(identity.ends_with("/v3"), "{identity}");
        a
    }

    /// Password by name + domain name, scoped to a project by name + domain name.
    pub async fn password_name_domain_name_project_name(
        s: &Session,
        auth_url: &str,
        u: &UserCreds,
        project_name: &str,
        project_domain_name: &str,
    ) -> Arc<AccessInfo> {
        let p = Password::new(auth_url, &u.password)
            .username(&u.name)
            .user_domain_name(&u.domain_name)
            .scope(Scope::project_in_domain_name(
                project_name,
                project_domain_name,
            ))
            .into_plugin();
        let a = access_of(s, &p).await;
        assert_eq!(a.user_id(), u.id);
        assert_eq!(a.project_name(), Some(project_name));
        a
    }

    /// Password by name + domain name, scoped to a domain by name.
    pub async fn password_name_domain_name_domain(
        s: &Session,
        auth_url: &str,
        u: &UserCreds,
        domain_name: &str,
    ) -> Arc<AccessInfo> {
        let p = Password::new(auth_url, &u.password)
            .username(&u.name)
            .user_domain_name(&u.domain_name)
            .scope(Scope::DomainName(domain_name.into()))
            .into_plugin();
        let a = access_of(s, &p).await;
        assert!(a.domain_scoped());
        assert_eq!(a.domain_name(), Some(domain_name));
        assert!(a.project_id().is_none());
        a
    }

    /// Password by name + domain id, scoped to a domain by id.
    pub async fn password_name_domain_id_domain(
        s: &Session,
        auth_url: &str,
        u: &UserCreds,
        domain_id: &str,
    ) -> Arc<AccessInfo> {
        let p = Password::new(auth_url, &u.password)
            .username(&u.name)
            .user_domain_id(&u.domain_id)
            .scope(Scope::DomainId(domain_id.into()))
            .into_plugin();
        let a = access_of(s, &p).await;
        assert!(a.domain_scoped());
        assert_eq!(a.domain_id(), Some(domain_id));
        a
    }

    /// Password by name + domain id, system scope.
    pub async fn password_name_domain_id_system(
        s: &Session,
        auth_url: &str,
        u: &UserCreds,
    ) -> Arc<AccessInfo> {
        let p = Password::new(auth_url, &u.password)
            .username(&u.name)
            .user_domain_id(&u.domain_id)
            .scope(Scope::System)
            .into_plugin();
        let a = access_of(s, &p).await;
        assert!(a.system_scoped());
        assert!(a.project_id().is_none());
        a
    }

    /// Explicitly unscoped (no catalog, no project) and with no scope at all.
    pub async fn password_unscoped(s: &Session, auth_url: &str, u: &UserCreds) {
        let p = Password::new(auth_url, &u.password)
            .user_id(&u.id)
            .scope(Scope::Unscoped)
            .into_plugin();
        let a = access_of(s, &p).await;
        assert!(!a.scoped());
        assert!(!a.has_service_catalog());
        // Without the catalog: `?nocatalog`.
        let p = Password::new(auth_url, &u.password)
            .user_id(&u.id)
            .include_catalog(false)
            .into_plugin();
        let a = access_of(s, &p).await;
        assert_eq!(a.user_id(), u.id);
        assert!(!a.has_service_catalog());
    }

    /// An unscoped password token rescoped to a project with the token method.
    pub async fn token_rescope(s: &Session, auth_url: &str, u: &UserCreds, project_id: &str) {
        // Explicitly unscoped: without a scope Keystone uses the default project.
        let unscoped = Password::new(auth_url, &u.password)
            .user_id(&u.id)
            .scope(Scope::Unscoped)
            .into_plugin();
        let token = unscoped.token(s).await.unwrap().unwrap();
        let a = access_of(s, &unscoped).await;
        assert!(!a.project_scoped());
        let rescoped = Token::new(auth_url, token.expose_secret())
            .scope(Scope::ProjectId(project_id.into()))
            .into_plugin();
        let b = access_of(s, &rescoped).await;
        assert_eq!(b.project_id(), Some(project_id));
        assert_eq!(b.user_id(), u.id);
        assert_eq!(methods(&b), set(&["password", "token"]));
        assert_eq!(b.audit_chain_id(), a.audit_id());
    }

    /// TOTP by user name + domain id.
    pub async fn totp(s: &Session, auth_url: &str, u: &UserCreds, passcode: &str) {
        let p = Totp::new(auth_url, passcode)
            .username(&u.name)
            .user_domain_id(&u.domain_id)
            .into_plugin();
        let a = access_of(s, &p).await;
        assert_eq!(a.user_id(), u.id);
        assert_eq!(methods(&a), set(&["totp"]));
    }

    /// A user with the MFA rule `[password, totp]`: password alone gives a receipt; adding
    /// the TOTP method, or sending the receipt with TOTP, or both methods from
    /// `MultiFactor`, give a token.
    pub async fn mfa(
        s: &Session,
        auth_url: &str,
        u: &UserCreds,
        project_id: &str,
        passcode: impl Fn() -> String,
    ) {
        let auth = Password::new(auth_url, &u.password)
            .user_id(&u.id)
            .scope(Scope::ProjectId(project_id.into()))
            .into_auth();
        let err = auth.authenticate(s).await.unwrap_err();
        let Error::MissingAuthMethods(m) = err else {
            panic!("expected MissingAuthMethods, got {err:?}")
        };
        check_receipt(&m, u);

        // 1. The same Auth, one more method.
        auth.add_method(TotpMethod::new(passcode()).user_id(&u.id));
        let a = auth.authenticate(s).await.unwrap();
        assert_eq!(methods(&a), set(&["password", "totp"]));
        assert_eq!(a.project_id(), Some(project_id));

        // 2. The receipt plus TOTP.
        let auth = Totp::new(auth_url, passcode())
            .username(&u.name)
            .user_domain_id(&u.domain_id)
            .scope(Scope::ProjectId(project_id.into()))
            .into_auth()
            .with_method(ReceiptMethod::from_secret(m.receipt.clone()));
        let a = auth.authenticate(s).await.unwrap();
        assert_eq!(methods(&a), set(&["password", "totp"]));

        // 3. MultiFactor from plugin names, in one request.
        let values = OptionValues::new()
            .with("user_id", &u.id)
            .with("password", &u.password)
            .with("passcode", passcode())
            .with("project_id", project_id);
        let p = MultiFactor::plugin(auth_url, &["v3password", "v3totp"], &values).unwrap();
        let a = access_of(s, &p).await;
        assert_eq!(methods(&a), set(&["password", "totp"]));
    }

    fn check_receipt(m: &MissingAuthMethods, u: &UserCreds) {
        assert!(m.receipt.expose_secret().len() > 20);
        assert_eq!(
            m.methods.iter().cloned().collect::<BTreeSet<_>>(),
            set(&["password"])
        );
        let rules: Vec<BTreeSet<String>> = m
            .required_auth_methods
            .iter()
            .map(|r| r.iter().cloned().collect())
            .collect();
        assert!(rules.contains(&set(&["password", "totp"])), "{rules:?}");
        assert_eq!(m.user_id.as_deref(), Some(u.id.as_str()));
        assert!(m.expires_at.is_some());
        assert_eq!(
            m.missing_methods()
                .into_iter()
                .map(|r| r.into_iter().collect::<BTreeSet<_>>())
                .collect::<Vec<_>>(),
            vec![set(&["totp"])]
        );
    }

    /// An application credential by id, and by name + user name + domain; a restricted one
    /// cannot create another application credential (403).
    pub async fn application_credential(
        s: &Session,
        auth_url: &str,
        u: &UserCreds,
        id: &str,
        name: &str,
        secret: &str,
        project_id: &str,
    ) {
        let by_id = ApplicationCredential::with_id(auth_url, id, secret).into_plugin();
        let a = access_of(s, &by_id).await;
        assert_eq!(a.user_id(), u.id);
        assert_eq!(a.project_id(), Some(project_id));
        assert_eq!(a.application_credential_id(), Some(id));
        assert_eq!(methods(&a), set(&["application_credential"]));

        let by_name = ApplicationCredential::with_name(auth_url, name, secret)
            .username(&u.name)
            .user_domain_name(&u.domain_name)
            .into_plugin();
        let b = access_of(s, &by_name).await;
        assert_eq!(b.application_credential_id(), Some(id));

        let session = s.with_auth(Arc::new(by_id));
        let err = session
            .post(format!("/users/{}/application_credentials", u.id))
            .endpoint_filter(EndpointFilter::service("identity"))
            .json(&serde_json::json!({"application_credential": {"name": "nested"}}))
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    }

    /// OAuth2 client credentials (an application credential's id and secret) at
    /// `{auth_url}/OS-OAUTH2/token`; the plugin's requests carry the bearer token.
    pub async fn oauth2_client_credential(
        s: &Session,
        auth_url: &str,
        client_id: &str,
        client_secret: &str,
    ) {
        let endpoint = format!("{}/OS-OAUTH2/token", auth_url.trim_end_matches('/'));
        let o = OAuth2ClientCredential::new(auth_url, endpoint, client_id, client_secret)
            .unwrap()
            .into_plugin();
        let h = o.auth_headers(s).await.unwrap().unwrap();
        let bearer = h["Authorization"].to_str().unwrap().to_owned();
        assert!(bearer.starts_with("Bearer "));
        assert!(h.contains_key("X-Auth-Token"));
        let session = s.with_auth(Arc::new(o));
        let resp = session
            .get("/projects")
            .endpoint_filter(EndpointFilter::service("identity"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: serde_json::Value = resp.json().unwrap();
        assert!(body["projects"].is_array());
        // The OAuth2 access token is cached.
        let h2 = session.auth_headers().await.unwrap().unwrap();
        assert_eq!(h2["Authorization"].to_str().unwrap(), bearer);
    }
}

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
    let plugin = Password::new(f.ks.auth_url(), &user.password)
        .user_id(&user.id)
        .scope(Scope::System)
        .into_plugin();
    let session = Session::new(Arc::new(plugin)).unwrap();
    let resp = session
        .get("/projects")
        .endpoint_filter(keystoneauth_core::EndpointFilter::service("identity"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().unwrap();
    let names: Vec<&str> = body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"admin"), "{names:?}");
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn wrong_password_is_unauthorized_with_keystones_message() {
    let f = fixture().await;
    let user = f.admin.create_user("default", None).await.unwrap();
    let err = Password::new(f.ks.auth_url(), "not-the-password")
        .user_id(&user.id)
        .into_auth()
        .authenticate(&f.session)
        .await
        .unwrap_err();
    match &err {
        Error::Unauthorized(h) => {
            assert_eq!(h.status, 401);
            assert_eq!(
                h.message,
                "The request you have made requires authentication."
            );
            assert!(h.request_id.is_some());
        }
        e => panic!("{e:?}"),
    }
    f.admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn unknown_project_is_a_typed_error() {
    let f = fixture().await;
    let user = f.admin.create_user("default", None).await.unwrap();
    let err = Password::new(f.ks.auth_url(), &user.password)
        .user_id(&user.id)
        .scope(Scope::ProjectId("does-not-exist".into()))
        .into_auth()
        .authenticate(&f.session)
        .await
        .unwrap_err();
    // Keystone answers 401 (it does not reveal whether the project exists).
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
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
    let url = f.ks.auth_url();
    let o = keystoneauth_identity_v3::OAuth2ClientCredential::new(
        url,
        format!("{url}/OS-OAUTH2/token"),
        &ac.id,
        "wrong",
    )
    .unwrap();
    let err = o.access_token(&f.session).await.unwrap_err();
    match &err {
        Error::Unauthorized(h) => assert_eq!(
            h.message,
            "The request you have made requires authentication."
        ),
        e => panic!("{e:?}"),
    }
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

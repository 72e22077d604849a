//! The identity v3 checks, independent of how users and projects were made: each takes an
//! auth URL, a `Session` and credentials. `identity_v3.rs` runs them against the real Keystone
//! and `emulator_parity.rs` runs the very same functions against the in-process emulator, so
//! the emulator cannot drift from Keystone.
//!
//! Included by both with `#[path = "identity_v3_flows/mod.rs"] pub mod flows;`.
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

/// A system-scoped password `Session` lists projects through the catalog's identity
/// endpoint; `expected_project` is among them.
pub async fn session_get_projects(auth_url: &str, u: &UserCreds, expected_project: &str) {
    let plugin = Password::new(auth_url, &u.password)
        .user_id(&u.id)
        .scope(Scope::System)
        .into_plugin();
    let session = Session::new(Arc::new(plugin)).unwrap();
    let resp = session
        .get("/projects")
        .endpoint_filter(EndpointFilter::service("identity"))
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
    assert!(names.contains(&expected_project), "{names:?}");
}

/// A wrong password: 401 `Unauthorized` with Keystone's message and a request id.
pub async fn wrong_password(s: &Session, auth_url: &str, u: &UserCreds) {
    let err = Password::new(auth_url, "not-the-password")
        .user_id(&u.id)
        .into_auth()
        .authenticate(s)
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
}

/// A project that does not exist is a typed error: Keystone answers 401 (it does not reveal
/// whether the project exists).
pub async fn unknown_project(s: &Session, auth_url: &str, u: &UserCreds) {
    let err = Password::new(auth_url, &u.password)
        .user_id(&u.id)
        .scope(Scope::ProjectId("does-not-exist".into()))
        .into_auth()
        .authenticate(s)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

/// OAuth2 client credentials with a wrong secret: `Unauthorized` with Keystone's message.
pub async fn oauth2_client_credential_wrong_secret(s: &Session, auth_url: &str, client_id: &str) {
    let o = OAuth2ClientCredential::new(
        auth_url,
        format!("{auth_url}/OS-OAUTH2/token"),
        client_id,
        "wrong",
    )
    .unwrap();
    let err = o.access_token(s).await.unwrap_err();
    match &err {
        Error::Unauthorized(h) => assert_eq!(
            h.message,
            "The request you have made requires authentication."
        ),
        e => panic!("{e:?}"),
    }
}

/// A trust made by the trustor through our own `Session` (its plugin scoped to `project_id`):
/// the trustee's `Scope::Trust` password token carries the trust (id, trustee, trustor, no
/// impersonation), the project, the trustee as user and the delegated `member` role; a trust
/// that does not exist is a typed 401/404. Returns the trust id, the trustee's token and the
/// trustor's session (for [`delete_trust`]).
pub async fn trust_scoped_password(
    s: &Session,
    auth_url: &str,
    trustor: &UserCreds,
    trustee: &UserCreds,
    project_id: &str,
) -> (String, String, Session) {
    let trustor_auth = Arc::new(
        Password::new(auth_url, &trustor.password)
            .user_id(&trustor.id)
            .scope(Scope::ProjectId(project_id.to_owned()))
            .into_plugin(),
    );
    let as_trustor = Session::new(trustor_auth).unwrap();
    let created = as_trustor
        .post(format!("{auth_url}/OS-TRUST/trusts"))
        .json(&serde_json::json!({"trust": {
            "trustor_user_id": trustor.id,
            "trustee_user_id": trustee.id,
            "project_id": project_id,
            "impersonation": false,
            "roles": [{"name": "member"}],
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let trust_id = created.json::<serde_json::Value>().unwrap()["trust"]["id"]
        .as_str()
        .expect("trust id")
        .to_owned();

    let trustee_auth = Password::new(auth_url, &trustee.password)
        .user_id(&trustee.id)
        .scope(Scope::Trust(trust_id.clone()))
        .into_plugin();
    let access = access_of(s, &trustee_auth).await;
    assert!(access.trust_scoped());
    let trust = access.trust().unwrap();
    assert_eq!(trust.id, trust_id);
    assert_eq!(trust.trustee_user_id.as_deref(), Some(trustee.id.as_str()));
    assert_eq!(trust.trustor_user_id.as_deref(), Some(trustor.id.as_str()));
    assert_eq!(trust.impersonation, Some(false));
    assert_eq!(access.project_id(), Some(project_id));
    assert_eq!(access.user_id(), trustee.id);
    assert!(
        access.role_names().contains(&"member"),
        "{:?}",
        access.role_names()
    );
    let token = access.auth_token().expose_secret().to_owned();

    let bogus = Password::new(auth_url, &trustee.password)
        .user_id(&trustee.id)
        .scope(Scope::Trust("0123456789abcdef0123456789abcdef".into()))
        .into_plugin();
    // Keystone's auth turns "trust not found" into a 401.
    let err = bogus.token(s).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    (trust_id, token, as_trustor)
}

/// Creates a `member` trust from `trustor` to `trustee` on the project, with `extra` fields
/// (`remaining_uses`, `expires_at`); the status and body.
async fn post_trust(
    as_trustor: &Session,
    auth_url: &str,
    trustor: &UserCreds,
    trustee: &UserCreds,
    project_id: &str,
    extra: serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut trust = serde_json::json!({
        "trustor_user_id": trustor.id,
        "trustee_user_id": trustee.id,
        "project_id": project_id,
        "impersonation": false,
        "roles": [{"name": "member"}],
    });
    if let (Some(t), Some(e)) = (trust.as_object_mut(), extra.as_object()) {
        t.extend(e.clone());
    }
    let resp = as_trustor
        .post(format!("{auth_url}/OS-TRUST/trusts"))
        .json(&serde_json::json!({ "trust": trust }))
        .raise_exc(false)
        .send()
        .await
        .unwrap();
    let body = resp.json::<serde_json::Value>().unwrap_or_default();
    (resp.status().as_u16(), body)
}

/// The limits Keystone keeps on trusts, seen through the trustee's password plugin:
/// - a one-use trust gives one token, then 401;
/// - a trust's tokens expire no later than the trust, and once it has expired, 401;
/// - an `expires_at` in the past or `remaining_uses: 0` is a 400 at creation.
pub async fn limited_trusts(
    s: &Session,
    auth_url: &str,
    as_trustor: &Session,
    trustor: &UserCreds,
    trustee: &UserCreds,
    project_id: &str,
) {
    let trustee_plugin = |trust_id: &str| {
        Password::new(auth_url, &trustee.password)
            .user_id(&trustee.id)
            .scope(Scope::Trust(trust_id.to_owned()))
            .into_plugin()
    };
    let post = |extra| post_trust(as_trustor, auth_url, trustor, trustee, project_id, extra);

    let (status, body) = post(serde_json::json!({"remaining_uses": 1})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["trust"]["remaining_uses"], 1);
    let once = body["trust"]["id"].as_str().unwrap().to_owned();
    access_of(s, &trustee_plugin(&once)).await;
    let err = trustee_plugin(&once).token(s).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");

    // Keystone keeps whole seconds of a trust's expiry.
    // Room for a slow Keystone to create the trust and issue one token before it expires.
    let end = time::OffsetDateTime::now_utc() + time::Duration::seconds(8);
    let end = end.replace_nanosecond(0).unwrap();
    let end_text = keystoneauth_testing::fixtures::keystone_time(end);
    let (status, body) = post(serde_json::json!({"expires_at": end_text})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["trust"]["expires_at"], end_text.as_str());
    let expiring = body["trust"]["id"].as_str().unwrap().to_owned();
    let access = access_of(s, &trustee_plugin(&expiring)).await;
    assert!(access.expires() <= end, "{} > {end}", access.expires());
    let wait = end - time::OffsetDateTime::now_utc() + time::Duration::milliseconds(1500);
    tokio::time::sleep(wait.try_into().unwrap_or_default()).await;
    let err = trustee_plugin(&expiring).token(s).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");

    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let past = keystoneauth_testing::fixtures::keystone_time(past);
    let (status, body) = post(serde_json::json!({"expires_at": past})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("The 'expires_at' must not be before now.")));
    let (status, body) = post(serde_json::json!({"remaining_uses": 0})).await;
    assert_eq!(status, 400, "{body}");
}

/// The trustor deletes its trust through its session: 204.
pub async fn delete_trust(as_trustor: &Session, auth_url: &str, trust_id: &str) {
    let deleted = as_trustor
        .delete(format!("{auth_url}/OS-TRUST/trusts/{trust_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
}

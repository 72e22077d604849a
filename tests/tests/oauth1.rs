//! OAuth 1.0a against the real Keystone: consumer → request token → authorize → access token
//! → a project token from `V3OAuth1`, and a tampered signature refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;

use keystoneauth_core::registry::{self, OptionValues};
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::{AccessInfo, AccessInfoPlugin, Error, Session};
use keystoneauth_extras::oauth1::{consumer, V3OAuth1};
use keystoneauth_tests::Keystone;

struct Setup {
    ks: Keystone,
    consumer_id: String,
    consumer_secret: SecretString,
    access: consumer::OAuthToken,
    project_id: String,
    user_id: String,
}

async fn oauth1_access(ks: Keystone, admin: &keystoneauth_tests::provision::Admin) -> Setup {
    let c = admin.create_oauth1_consumer().await.unwrap();
    let project = admin.create_project("default").await.unwrap();
    let user = admin
        .create_user("default", Some(&project.id))
        .await
        .unwrap();
    let member = admin.role_id("member").await.unwrap();
    // Keystone's default policy lets only an admin authorize a request token; the user
    // delegates its member role.
    let admin_role = admin.role_id("admin").await.unwrap();
    for role in [&member, &admin_role] {
        admin
            .grant_project_role(&project.id, &user.id, role)
            .await
            .unwrap();
    }
    let secret = SecretString::from(c.secret.clone());

    let anonymous = Session::builder().build().unwrap();
    let request_token =
        consumer::request_token(&anonymous, ks.auth_url(), &c.id, &secret, &project.id)
            .await
            .unwrap();

    // The user authorizes the request token with their own token.
    let user_token = admin.user_token(&user, Some(&project.id)).await.unwrap();
    let body = serde_json::to_vec(&serde_json::json!({"token": user_token.body})).unwrap();
    let access =
        AccessInfo::from_v3_body(&body, SecretString::from(user_token.id.clone())).unwrap();
    let user_session = Session::new(Arc::new(AccessInfoPlugin::new(access, None))).unwrap();
    let verifier =
        consumer::authorize(&user_session, ks.auth_url(), &request_token.key, &[&member])
            .await
            .unwrap();

    let access = consumer::access_token(
        &anonymous,
        ks.auth_url(),
        &c.id,
        &secret,
        &request_token,
        &verifier,
    )
    .await
    .unwrap();
    Setup {
        ks,
        consumer_id: c.id,
        consumer_secret: secret,
        access,
        project_id: project.id,
        user_id: user.id,
    }
}

#[tokio::test]
async fn oauth1_flow_from_consumer_to_project_token() {
    let ks = Keystone::from_env();
    let admin = ks.admin().await;
    let s = oauth1_access(ks, &admin).await;

    let plugin = V3OAuth1::new(
        s.ks.auth_url(),
        s.consumer_id.clone(),
        s.consumer_secret.clone(),
        s.access.key.clone(),
        s.access.secret.clone(),
    )
    .into_plugin();
    let session = Session::new(Arc::new(plugin)).unwrap();
    let access = session
        .auth()
        .unwrap()
        .access(&session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.project_id(), Some(s.project_id.as_str()));
    assert_eq!(access.user_id(), s.user_id);
    assert_eq!(access.oauth_consumer_id(), Some(s.consumer_id.as_str()));
    assert_eq!(access.oauth_access_token_id(), Some(s.access.key.as_str()));
    assert!(access.methods().iter().any(|m| m == "oauth1"));

    // Keystone validates the token our plugin got.
    use keystoneauth_core::secrecy::ExposeSecret;
    let validated = admin
        .validate_token(access.auth_token().expose_secret())
        .await
        .unwrap();
    assert_eq!(validated["project"]["id"], s.project_id.as_str());

    // Loadable by name with keystoneauth1's options.
    let values = OptionValues::new()
        .with("auth_url", s.ks.auth_url())
        .with("consumer_key", s.consumer_id.clone())
        .with("consumer_secret", s.consumer_secret.expose_secret())
        .with("access_key", s.access.key.clone())
        .with("access_secret", s.access.secret.expose_secret());
    let loaded = registry::load("v3oauth1", &values).unwrap();
    let session = Session::new(loaded).unwrap();
    assert_eq!(
        session.project_id().await.unwrap().as_deref(),
        Some(s.project_id.as_str())
    );

    admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn oauth1_tampered_signature_is_refused() {
    let ks = Keystone::from_env();
    let admin = ks.admin().await;
    let s = oauth1_access(ks, &admin).await;
    // Signing with a wrong consumer secret gives a signature Keystone must refuse.
    let plugin = V3OAuth1::new(
        s.ks.auth_url(),
        s.consumer_id.clone(),
        SecretString::from("not-the-secret".to_owned()),
        s.access.key.clone(),
        s.access.secret.clone(),
    )
    .into_plugin();
    let session = Session::new(Arc::new(plugin)).unwrap();
    let err = session.token().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    admin.cleanup().await.unwrap();
}

#[test]
fn v3oauth1_options_match_keystoneauth1() {
    let loader = registry::loader("v3oauth1").unwrap();
    let opts: Vec<(String, bool, bool)> = loader
        .opts()
        .iter()
        .map(|o| (o.name.to_owned(), o.required, o.secret))
        .collect();
    assert_eq!(
        opts,
        vec![
            ("auth-url".into(), true, false),
            ("consumer-key".into(), true, false),
            ("consumer-secret".into(), true, true),
            ("access-key".into(), true, false),
            ("access-secret".into(), true, true),
        ]
    );
}

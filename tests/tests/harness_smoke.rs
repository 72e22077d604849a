//! Smoke tests of the harness itself against the real Keystone: the provisioning
//! client, a raw password token, the TLS listener and its client-certificate
//! export. Needs `cargo xtask test` (or `cargo xtask keystone up --tls`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use keystoneauth_tests::{totp, Keystone};
use serde_json::{json, Value};

#[tokio::test]
async fn project_scoped_password_token_with_raw_reqwest() {
    let ks = Keystone::from_env();
    let admin = ks.admin().await;

    let project = admin.create_project("default").await.unwrap();
    let user = admin
        .create_user("default", Some(&project.id))
        .await
        .unwrap();
    let member = admin.role_id("member").await.unwrap();
    admin
        .grant_project_role(&project.id, &user.id, &member)
        .await
        .unwrap();

    // A project-scoped token, by names, with nothing but reqwest.
    let resp = ks
        .http_client()
        .post(format!("{}/auth/tokens", ks.auth_url()))
        .json(&json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user.name, "domain": {"id": "default"}, "password": user.password}}},
            "scope": {"project": {"name": project.name, "domain": {"id": "default"}}}
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let token = resp.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token"]["project"]["id"], project.id.as_str());
    assert!(body["token"]["catalog"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));

    let validated = admin.validate_token(&token).await.unwrap();
    assert_eq!(validated["user"]["id"], user.id.as_str());
    assert_eq!(validated["project"]["id"], project.id.as_str());
    assert_eq!(validated["methods"], json!(["password"]));
    let roles: Vec<&str> = validated["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(roles.contains(&"member"), "roles {roles:?}");

    admin.cleanup().await.unwrap();
    // The user is gone, so is its token.
    let (status, _) = admin.validate_token_status(&token).await.unwrap();
    assert_eq!(status, 404);
}

#[tokio::test]
async fn provisioning_client_creates_and_deletes_everything() {
    let ks = Keystone::from_env();
    let admin = ks.admin().await;

    let domain = admin.create_domain().await.unwrap();
    let project = admin.create_project(&domain.id).await.unwrap();
    let user = admin
        .create_user(&domain.id, Some(&project.id))
        .await
        .unwrap();
    let role = admin.create_role().await.unwrap();
    let reader = admin.role_id("reader").await.unwrap();
    admin
        .grant_project_role(&project.id, &user.id, &role.id)
        .await
        .unwrap();
    admin
        .grant_domain_role(&domain.id, &user.id, &reader)
        .await
        .unwrap();
    admin.grant_system_role(&user.id, &reader).await.unwrap();

    // TOTP: the base32 blob and RFC 6238 code are what Keystone expects.
    let cred = admin.create_totp_credential(&user.id).await.unwrap();
    assert!(!cred.blob.contains('='));
    let resp = ks
        .http_client()
        .post(format!("{}/auth/tokens", ks.auth_url()))
        .json(
            &json!({"auth": {"identity": {"methods": ["totp"], "totp": {"user": {
            "id": user.id, "passcode": totp::totp_now(&cred.secret)}}}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());

    // MFA rules: password alone now gives 401 + a receipt.
    admin
        .enable_mfa(&user.id, &[&["password", "totp"]])
        .await
        .unwrap();
    let err = admin.user_token(&user, None).await.unwrap_err();
    assert!(err.0.contains("401"), "{err}");

    let appcred = admin
        .create_application_credential(&user, &project.id, None)
        .await;
    // MFA blocks the user's own password token; make a second user for it.
    assert!(appcred.is_err());
    let user2 = admin
        .create_user(&domain.id, Some(&project.id))
        .await
        .unwrap();
    admin
        .grant_project_role(&project.id, &user2.id, &role.id)
        .await
        .unwrap();
    let appcred = admin
        .create_application_credential(&user2, &project.id, Some(json!({"description": "smoke"})))
        .await
        .unwrap();
    assert!(!appcred.secret.is_empty());

    let consumer = admin.create_oauth1_consumer().await.unwrap();
    assert!(!consumer.secret.is_empty());

    let idp = admin
        .create_identity_provider(
            None,
            Some(json!({"remote_ids": [format!("https://{}.invalid", domain.name)]})),
        )
        .await
        .unwrap();
    let idp_id = idp["id"].as_str().unwrap().to_string();
    let mapping = admin
        .create_mapping(
            None,
            json!([{"local": [{"user": {"name": "{0}"}}],
                    "remote": [{"type": "REMOTE_USER"}]}]),
        )
        .await
        .unwrap();
    admin
        .create_protocol(&idp_id, "openid", &mapping)
        .await
        .unwrap();

    admin.cleanup().await.unwrap();
    for path in [
        format!("/domains/{}", domain.id),
        format!("/users/{}", user.id),
        format!("/OS-OAUTH1/consumers/{}", consumer.id),
        format!("/OS-FEDERATION/identity_providers/{idp_id}"),
        format!("/OS-FEDERATION/mappings/{mapping}"),
    ] {
        let (status, _) = admin
            .request(reqwest::Method::GET, &path, None)
            .await
            .unwrap();
        assert_eq!(status, 404, "{path} still exists");
    }
}

#[tokio::test]
async fn tls_listener_exports_client_certificates() {
    let ks = Keystone::from_env();
    let tls_root = ks.tls_auth_url().trim_end_matches("/v3").to_string();

    // Without a client certificate: plain HTTPS works, nothing is exported.
    let resp = ks
        .tls_client()
        .get(format!("{}/", ks.tls_auth_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let peer: Value = ks
        .tls_client()
        .get(format!("{tls_root}/ksa-harness/peer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(peer, json!({}));

    for (client, subject, issuer) in [
        (
            ks.oauth2_mtls_client(),
            &ks.env.oauth2_client_subject_dn,
            &ks.env.oauth2_ca_subject_dn,
        ),
        (
            ks.tokenless_mtls_client(),
            &ks.env.tokenless_client_subject_dn,
            &ks.env.tokenless_ca_subject_dn,
        ),
    ] {
        let peer: Value = client
            .get(format!("{tls_root}/ksa-harness/peer"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(peer["SSL_CLIENT_S_DN"], subject.as_str());
        assert_eq!(peer["SSL_CLIENT_I_DN"], issuer.as_str());
        assert_eq!(peer["SSL_CLIENT_VERIFY"], "SUCCESS");
        assert!(peer["SSL_CLIENT_CERT"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----"));
    }

    // The tokenless certificate's issuer is trusted: a request without a token
    // and without scope headers is refused with 400 (see [tokenless_auth]).
    let resp = ks
        .tokenless_mtls_client()
        .get(format!("{}/auth/catalog", ks.tls_auth_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // ... while the OAuth2 client CA is not a tokenless issuer: 401 (no token).
    let resp = ks
        .oauth2_mtls_client()
        .get(format!("{}/auth/catalog", ks.tls_auth_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[test]
fn env_json_points_at_loopback() {
    let ks = Keystone::from_env();
    assert!(ks.auth_url().starts_with("http://127.0.0.1:"));
    assert!(ks.auth_url().ends_with("/v3"));
    assert_eq!(
        ks.env.tokenless_ca_subject_dn,
        "CN=KSA Tokenless CA,O=Test,C=US"
    );
}

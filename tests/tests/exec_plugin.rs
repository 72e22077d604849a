//! The `exec` plugin (keystoneauth-loading, issue 20) against the real Keystone: a command
//! that prints a token, and one that prints an application credential's options, each loaded
//! through the registry (`auth_type: exec`) and used by a `Session` through the catalog.
//!
//! Needs `cargo xtask test` (or `cargo xtask keystone up`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use keystoneauth_core::registry::OptionValues;
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{EndpointFilter, Error, Session};
use keystoneauth_loading::{CloudConfig, LoadOptions};
use keystoneauth_tests::{Admin, Keystone, Project, User};
use reqwest::Method;
use serde_json::{json, Value};

// The plugins a printed document may name must be linked for the registry to know them.
use keystoneauth_identity_v3 as _;

/// Keystone on sqlite answers 500 "database is locked" when too many writers overlap.
static GATE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A project in `default` and a user holding `member` on it.
async fn project_user(admin: &Admin) -> (Project, User) {
    let project = admin.create_project("default").await.unwrap();
    let user = admin
        .create_user("default", Some(&project.id))
        .await
        .unwrap();
    let role = admin.role_id("member").await.unwrap();
    admin
        .grant_project_role(&project.id, &user.id, &role)
        .await
        .unwrap();
    (project, user)
}

/// An executable script in `dir` that counts its runs in `dir/runs` and prints `dir/doc.json`.
fn credential_script(dir: &Path, doc: &Value) -> String {
    set_doc(dir, doc);
    let path = dir.join("credentials");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho run >> '{d}/runs'\ncat '{d}/doc.json'\n",
            d = dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    path.to_str().unwrap().to_owned()
}

fn set_doc(dir: &Path, doc: &Value) {
    std::fs::write(dir.join("doc.json"), doc.to_string()).unwrap();
}

fn runs(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("runs"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// `GET {identity}/auth/projects` through the catalog: the project ids the token may use.
async fn my_projects(session: &Session) -> Result<Vec<String>, Error> {
    let resp = session
        .get("/auth/projects")
        .endpoint_filter(EndpointFilter::service("identity"))
        .send()
        .await?;
    let body: Value = resp.json()?;
    Ok(body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect())
}

#[tokio::test]
async fn a_printed_token_authenticates_a_session_through_the_catalog() {
    let _permit = GATE.acquire().await.unwrap();
    let ks = Keystone::from_env();
    let admin = ks.admin().await;
    let (project, user) = project_user(&admin).await;
    let token = admin.user_token(&user, Some(&project.id)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // No catalog and no expires_at: the plugin reads the token's body from the auth URL.
    let script = credential_script(
        dir.path(),
        &json!({"version": 1, "token": token.id, "auth_url": ks.auth_url()}),
    );
    let cloud = CloudConfig::from_options(
        "exec",
        OptionValues::new().with("command", json!([script]).to_string()),
    )
    .unwrap();
    let session = cloud.build_session().unwrap();

    assert_eq!(
        my_projects(&session).await.unwrap(),
        vec![project.id.clone()]
    );
    assert_eq!(
        session.project_id().await.unwrap().as_deref(),
        Some(project.id.as_str())
    );
    assert_eq!(
        session.user_id().await.unwrap().as_deref(),
        Some(user.id.as_str())
    );
    let sent = session.token().await.unwrap().unwrap();
    assert_eq!(sent.expose_secret(), token.id);
    assert_eq!(runs(dir.path()), 1, "one run for every request");

    // The same token with its catalog and expiry in the document: no body is fetched.
    let dir2 = tempfile::tempdir().unwrap();
    let script2 = credential_script(
        dir2.path(),
        &json!({"version": 1, "token": token.id, "expires_at": token.body["expires_at"],
                "catalog": token.body["catalog"], "project_id": project.id}),
    );
    let session2 = CloudConfig::from_options(
        "exec",
        OptionValues::new().with("command", json!([script2]).to_string()),
    )
    .unwrap()
    .build_session()
    .unwrap();
    assert_eq!(
        my_projects(&session2).await.unwrap(),
        vec![project.id.clone()]
    );
    assert_eq!(runs(dir2.path()), 1);

    // Revoked: Keystone answers 401, the token is dropped, the command runs again and
    // prints the same dead token; the retry gets a 401 too and the request fails (no loop).
    let resp = ks
        .http_client()
        .delete(format!("{}/auth/tokens", ks.auth_url()))
        .header("X-Auth-Token", admin.token())
        .header("X-Subject-Token", &token.id)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let e = my_projects(&session2).await.unwrap_err();
    assert_eq!(e.status(), Some(401), "{e}");
    assert_eq!(runs(dir2.path()), 2);
    // Without a catalog in the document, the new run reads the token's body with the token
    // itself: Keystone refuses it (401), and that is the error.
    let e = my_projects(&session).await.unwrap_err();
    assert_eq!(e.status(), Some(401), "{e}");
    assert_eq!(runs(dir.path()), 2);
    admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn printed_application_credential_options_authenticate_a_session() {
    let _permit = GATE.acquire().await.unwrap();
    let ks = Keystone::from_env();
    let admin = ks.admin().await;
    let (project, user) = project_user(&admin).await;
    let ac = admin
        .create_application_credential(&user, &project.id, None)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script = credential_script(
        dir.path(),
        &json!({"version": 1, "auth_type": "v3applicationcredential",
                "auth": {"application_credential_id": ac.id,
                         "application_credential_secret": ac.secret}}),
    );
    // From clouds.yaml, with the auth URL there (the printed options have none).
    let clouds = dir.path().join("clouds.yaml");
    std::fs::write(
        &clouds,
        format!(
            "clouds:\n  exec-cloud:\n    auth_type: exec\n    auth:\n      auth_url: {}\n      \
             command: [{script}]\n      timeout: 20\n",
            ks.auth_url()
        ),
    )
    .unwrap();
    let cloud = CloudConfig::load(LoadOptions {
        cloud: Some("exec-cloud".into()),
        env: Some(Default::default()),
        config_files: Some(vec![clouds]),
        secure_files: Some(Vec::new()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(cloud.auth_type, "exec");
    let session = cloud.build_session().unwrap();

    for _ in 0..3 {
        assert_eq!(
            my_projects(&session).await.unwrap(),
            vec![project.id.clone()]
        );
    }
    let access = session
        .auth()
        .unwrap()
        .access(&session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.application_credential_id(), Some(ac.id.as_str()));
    assert_eq!(access.project_id(), Some(project.id.as_str()));
    assert_eq!(
        runs(dir.path()),
        1,
        "the command does not run while the credential works"
    );

    // Rotation: a new credential, the old one deleted. When the plugin's token goes (here
    // dropped; in life, expired), its authentication with the old credential is refused with
    // 401, so the command runs again and prints the new one. (Keystone's own API answers the
    // old credential's token with 404 "Could not find Application Credential", not 401.)
    let ac2 = admin
        .create_application_credential(&user, &project.id, None)
        .await
        .unwrap();
    set_doc(
        dir.path(),
        &json!({"version": 1, "auth_type": "v3applicationcredential",
                "auth": {"application_credential_id": ac2.id,
                         "application_credential_secret": ac2.secret}}),
    );
    admin
        .call(
            Method::DELETE,
            &format!("/users/{}/application_credentials/{}", user.id, ac.id),
            None,
        )
        .await
        .unwrap();
    assert!(session.invalidate().unwrap());
    assert_eq!(
        my_projects(&session).await.unwrap(),
        vec![project.id.clone()]
    );
    let access = session
        .auth()
        .unwrap()
        .access(&session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.application_credential_id(), Some(ac2.id.as_str()));
    assert_eq!(runs(dir.path()), 2);
    admin.cleanup().await.unwrap();
}

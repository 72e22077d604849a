//! The identity resource APIs of the emulator (plain HTTP): `/v3/auth/projects`,
//! `/v3/auth/domains`, `/v3/projects`, application credential creation, OS-OAUTH2 and the
//! request id header, checked against Keystone's shapes, status codes and messages.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use base64::Engine as _;
use common::*;
use keystoneauth_testing::emulator::{AppCredSpec, DomainSpec, Emulator, ProjectSpec, RoleSpec};
use serde_json::{json, Value};

fn password(name: &str, pw: &str, scope: Option<Value>) -> Value {
    let mut a = json!({"auth": {"identity": {"methods": ["password"], "password":
        {"user": {"name": name, "password": pw, "domain": {"id": "default"}}}}}});
    if let Some(s) = scope {
        a["auth"]["scope"] = s;
    }
    a
}

fn project(name: &str) -> Option<Value> {
    Some(json!({"project": {"name": name, "domain": {"id": "default"}}}))
}

/// `POST /v3/auth/tokens` with `body`, whatever the answer.
async fn post_token(emu: &Emulator, body: Value) -> reqwest::Response {
    client()
        .post(format!("{}/auth/tokens", emu.auth_url_v3()))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn token(emu: &Emulator, body: Value) -> (String, Value) {
    let r = post_token(emu, body).await;
    assert_eq!(r.status(), 201);
    let id = r.headers()["x-subject-token"].to_str().unwrap().to_string();
    (id, r.json().await.unwrap())
}

async fn get(emu: &Emulator, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut rb = client().get(format!("{}{path}", emu.url()));
    if let Some(t) = token {
        rb = rb.header("X-Auth-Token", t);
    }
    status_and_json(rb.send().await.unwrap()).await
}

async fn post_json(emu: &Emulator, path: &str, token: &str, body: Value) -> (u16, Value) {
    let r = client()
        .post(format!("{}{path}", emu.url()))
        .header("X-Auth-Token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    status_and_json(r).await
}

fn names(v: &Value, key: &str) -> Vec<String> {
    let mut n: Vec<String> = v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    n.sort();
    n
}

async fn emu() -> Emulator {
    Emulator::builder()
        .default_users()
        .domain(DomainSpec::new("d2", "Other"))
        .project(ProjectSpec::new("other-proj").domain("d2"))
        .role(RoleSpec::domain("demo", "d2", "reader"))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let emu = emu().await;
    let r = client().get(emu.auth_url_v3()).send().await.unwrap();
    let a = r.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(a.starts_with("req-") && a.len() == 40, "{a}");
    let r = post_token(&emu, password("demo", "wrong", None)).await;
    assert_eq!(r.status(), 401);
    let b = r.headers()["x-openstack-request-id"].to_str().unwrap();
    assert_ne!(a, b, "one id per request");
    emu.faults().fail_next(1, 503, None);
    let r = client().get(emu.url()).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("x-openstack-request-id"));
}

#[tokio::test]
async fn auth_projects_and_domains_list_what_the_user_has_roles_on() {
    let emu = emu().await;
    let (unscoped, _) = token(&emu, password("demo", "demopass", None)).await;
    let (status, v) = get(&emu, "/v3/auth/projects", Some(&unscoped)).await;
    assert_eq!(status, 200);
    assert_eq!(names(&v, "projects"), ["demo"]);
    let p = &v["projects"][0];
    assert_eq!(p["id"], emu.project_id("demo").unwrap().as_str());
    assert_eq!(p["domain_id"], "default");
    assert_eq!(p["enabled"], true);
    assert!(p["links"]["self"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/v3/projects/{}", emu.project_id("demo").unwrap())));
    assert!(v["links"]["next"].is_null());
    let (_, v) = get(&emu, "/v3/auth/domains", Some(&unscoped)).await;
    assert_eq!(names(&v, "domains"), ["Other"]);

    let (admin, _) = token(&emu, password("admin", "secretadmin", project("admin"))).await;
    let (_, v) = get(&emu, "/v3/auth/projects", Some(&admin)).await;
    assert_eq!(names(&v, "projects"), ["admin"]);
    let (_, v) = get(&emu, "/v3/auth/domains", Some(&admin)).await;
    assert_eq!(names(&v, "domains"), ["Default"]);

    // No token, or a revoked one: 401.
    assert_eq!(get(&emu, "/v3/auth/projects", None).await.0, 401);
    emu.revoke_all();
    assert_eq!(get(&emu, "/v3/auth/projects", Some(&admin)).await.0, 401);
}

#[tokio::test]
async fn list_projects_follows_the_scope_and_role() {
    let emu = emu().await;
    let all = ["admin", "demo", "other-proj"];
    let system = json!({"system": {"all": true}});
    let (sys, _) = token(&emu, password("admin", "secretadmin", Some(system))).await;
    let (status, v) = get(&emu, "/v3/projects", Some(&sys)).await;
    assert_eq!(status, 200);
    assert_eq!(names(&v, "projects"), all);
    let (_, v) = get(&emu, "/v3/projects?name=demo", Some(&sys)).await;
    assert_eq!(names(&v, "projects"), ["demo"]);
    let (_, v) = get(&emu, "/v3/projects?domain_id=d2", Some(&sys)).await;
    assert_eq!(names(&v, "projects"), ["other-proj"]);

    // `admin` on a project: every project (Keystone's legacy admin rule).
    let (adm, _) = token(&emu, password("admin", "secretadmin", project("admin"))).await;
    assert_eq!(
        names(&get(&emu, "/v3/projects", Some(&adm)).await.1, "projects"),
        all
    );

    // Domain scope: that domain's projects.
    let domain = json!({"domain": {"id": "d2"}});
    let (dom, _) = token(&emu, password("demo", "demopass", Some(domain))).await;
    assert_eq!(
        names(&get(&emu, "/v3/projects", Some(&dom)).await.1, "projects"),
        ["other-proj"]
    );

    // A member of a project: Keystone's 403.
    let (member, _) = token(&emu, password("demo", "demopass", project("demo"))).await;
    let (status, v) = get(&emu, "/v3/projects", Some(&member)).await;
    assert_eq!(status, 403);
    assert_eq!(
        v,
        json!({"error": {"code": 403, "title": "Forbidden", "message":
            "You are not authorized to perform the requested action: identity:list_projects."}})
    );
    assert_eq!(get(&emu, "/v3/projects", None).await.0, 401);
}

#[tokio::test]
async fn application_credentials_created_through_the_api() {
    let emu = emu().await;
    let demo = emu.user_id("demo").unwrap();
    let demo_project = emu.project_id("demo").unwrap();
    let path = format!("/v3/users/{demo}/application_credentials");
    let (tok, _) = token(&emu, password("demo", "demopass", project("demo"))).await;

    let (status, v) = post_json(
        &emu,
        &path,
        &tok,
        json!({"application_credential": {"name": "ci"}}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let ac = &v["application_credential"];
    assert_eq!(ac["name"], "ci");
    assert_eq!(ac["user_id"], demo.as_str());
    assert_eq!(ac["project_id"], demo_project.as_str());
    assert_eq!(ac["unrestricted"], false);
    assert!(!ac["roles"].as_array().unwrap().is_empty());
    let secret = ac["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 64, "{secret}");
    let id = ac["id"].as_str().unwrap().to_owned();

    // It authenticates, scoped to the project, and is restricted.
    let body = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": id, "secret": secret}}}});
    let (restricted, t) = token(&emu, body).await;
    assert_eq!(t["token"]["project"]["id"], demo_project.as_str());
    assert_eq!(t["token"]["application_credential"]["restricted"], true);

    // Same name again: 409.
    let again = json!({"application_credential": {"name": "ci"}});
    assert_eq!(post_json(&emu, &path, &tok, again).await.0, 409);
    // No name: 400.
    let (status, v) = post_json(&emu, &path, &tok, json!({"application_credential": {}})).await;
    assert_eq!(status, 400, "{v}");
    // For another user: 403.
    let admin = emu.user_id("admin").unwrap();
    let other = format!("/v3/users/{admin}/application_credentials");
    let (status, _) = post_json(
        &emu,
        &other,
        &tok,
        json!({"application_credential": {"name": "x"}}),
    )
    .await;
    assert_eq!(status, 403);
    // From a restricted application credential: 403 with Keystone's message.
    let nested = json!({"application_credential": {"name": "nested"}});
    let (status, v) = post_json(&emu, &path, &restricted, nested.clone()).await;
    assert_eq!(status, 403);
    assert_eq!(
        v["error"]["message"],
        "You are not authorized to perform the requested action: Using method \
         'application_credential' is not allowed for managing additional application \
         credentials."
    );

    // An unrestricted one may create another, with the secret it chooses.
    let body = json!({"application_credential": {"name": "free", "unrestricted": true,
        "secret": "my-own-secret"}});
    let (status, v) = post_json(&emu, &path, &tok, body).await;
    assert_eq!(status, 201);
    assert_eq!(v["application_credential"]["secret"], "my-own-secret");
    let body = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"name": "free", "secret": "my-own-secret",
            "user": {"name": "demo", "domain": {"name": "Default"}}}}}});
    let (free, t) = token(&emu, body).await;
    assert_eq!(t["token"]["application_credential"]["restricted"], false);
    assert_eq!(post_json(&emu, &path, &free, nested).await.0, 201);

    // An unscoped token cannot make one (no project).
    let (unscoped, _) = token(&emu, password("demo", "demopass", None)).await;
    let body = json!({"application_credential": {"name": "u"}});
    assert_eq!(post_json(&emu, &path, &unscoped, body).await.0, 400);
}

#[tokio::test]
async fn oauth2_client_credentials_grant() {
    let emu = Emulator::builder()
        .default_users()
        .application_credential(AppCredSpec::new("demo", "demo", "oauth", "oauth-secret").id("ac1"))
        .start()
        .await
        .unwrap();
    let url = format!("{}/OS-OAUTH2/token", emu.auth_url_v3());
    let basic = |id: &str, secret: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    };
    let form = [("grant_type", "client_credentials")];
    let r = client()
        .post(&url)
        .header("Authorization", basic("ac1", "oauth-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    let exp = v["expires_in"].as_i64().unwrap();
    assert!((3500..=3600).contains(&exp), "{exp}");
    // The access token is a Keystone token.
    let access = v["access_token"].as_str().unwrap();
    let (status, v) = get(&emu, "/v3/auth/projects", Some(access)).await;
    assert_eq!(status, 200);
    assert_eq!(names(&v, "projects"), ["demo"]);
    assert_eq!(emu.token_requests(), 0, "not a POST to /v3/auth/tokens");

    // client_secret_post.
    let r = client()
        .post(&url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ac1"),
            ("client_secret", "oauth-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Wrong secret: OAuth 2.0 shaped 401.
    let r = client()
        .post(&url)
        .header("Authorization", basic("ac1", "nope"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"error": "invalid_client", "error_description":
            "The request you have made requires authentication."})
    );
    // No credentials: 401; another grant: 400.
    let r = client().post(&url).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .post(&url)
        .header("Authorization", basic("ac1", "oauth-secret"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn trusts_created_used_and_deleted_like_keystone() {
    let emu = emu().await;
    let (demo_tok, demo_body) = token(&emu, password("demo", "demopass", project("demo"))).await;
    let (admin_tok, admin_body) =
        token(&emu, password("admin", "secretadmin", project("admin"))).await;
    let demo_id = demo_body["token"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin_id = admin_body["token"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let demo_project = demo_body["token"]["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let trust = |impersonation: bool, role: &str| {
        json!({"trust": {"trustor_user_id": demo_id, "trustee_user_id": admin_id,
            "project_id": demo_project, "impersonation": impersonation,
            "roles": [{"name": role}]}})
    };

    // Only the trustor may create it, and only with roles it holds there.
    let (st, _) = post_json(
        &emu,
        "/v3/OS-TRUST/trusts",
        &admin_tok,
        trust(false, "member"),
    )
    .await;
    assert_eq!(st, 403);
    let (st, body) = post_json(
        &emu,
        "/v3/OS-TRUST/trusts",
        &demo_tok,
        trust(false, "admin"),
    )
    .await;
    assert_eq!(st, 403, "{body}");
    let (st, body) = post_json(
        &emu,
        "/v3/OS-TRUST/trusts",
        &demo_tok,
        trust(false, "member"),
    )
    .await;
    assert_eq!(st, 201, "{body}");
    assert_eq!(body["trust"]["roles"][0]["name"], "member");
    let trust_id = body["trust"]["id"].as_str().unwrap().to_owned();

    // The trustee's trust-scoped token: the trust's project and roles, the trustee as user.
    let scope = |id: &str| Some(json!({"OS-TRUST:trust": {"id": id}}));
    let (_, t) = token(&emu, password("admin", "secretadmin", scope(&trust_id))).await;
    let t = &t["token"];
    assert_eq!(t["OS-TRUST:trust"]["id"], trust_id.as_str());
    assert_eq!(t["OS-TRUST:trust"]["impersonation"], false);
    assert_eq!(t["OS-TRUST:trust"]["trustor_user"]["id"], demo_id.as_str());
    assert_eq!(t["OS-TRUST:trust"]["trustee_user"]["id"], admin_id.as_str());
    assert_eq!(t["project"]["id"], demo_project.as_str());
    assert_eq!(t["user"]["id"], admin_id.as_str());
    let roles: Vec<&str> = t["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["member"],
        "the trust's roles, not the trustee's own"
    );
    assert!(t["catalog"].is_array());

    // Not the trustee: 403. No such trust: Keystone's auth makes "not found" a 401.
    let r = post_token(&emu, password("demo", "demopass", scope(&trust_id))).await;
    assert_eq!(r.status(), 403);
    let r = post_token(&emu, password("admin", "secretadmin", scope("nope"))).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "The request you have made requires authentication."
    );

    // Impersonation: the token speaks for the trustor.
    let (_, body) = post_json(
        &emu,
        "/v3/OS-TRUST/trusts",
        &demo_tok,
        trust(true, "member"),
    )
    .await;
    let imp_id = body["trust"]["id"].as_str().unwrap().to_owned();
    let (_, t) = token(&emu, password("admin", "secretadmin", scope(&imp_id))).await;
    assert_eq!(t["token"]["user"]["id"], demo_id.as_str());
    assert_eq!(t["token"]["OS-TRUST:trust"]["impersonation"], true);

    // Deleting: the trustor only; afterwards the trust is gone.
    let delete = |tok: &str| {
        client()
            .delete(format!("{}/v3/OS-TRUST/trusts/{trust_id}", emu.url()))
            .header("X-Auth-Token", tok.to_owned())
            .send()
    };
    assert_eq!(delete(&admin_tok).await.unwrap().status(), 403);
    assert_eq!(delete(&demo_tok).await.unwrap().status(), 204);
    assert_eq!(delete(&demo_tok).await.unwrap().status(), 404);
    let r = post_token(&emu, password("admin", "secretadmin", scope(&trust_id))).await;
    assert_eq!(r.status(), 401);
}

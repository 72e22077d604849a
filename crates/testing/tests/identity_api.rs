//! The identity resource APIs of the emulator (plain HTTP): `/v3/auth/projects`,
//! `/v3/auth/domains`, `/v3/projects`, application credential creation, OS-OAUTH2 and the
//! request id header, checked against Keystone's shapes, status codes and messages.

use std::time::Duration;

use base64::Engine as _;
use keystoneauth_testing::emulator::{AppCredSpec, DomainSpec, Emulator, ProjectSpec, RoleSpec};
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

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

async fn token(emu: &Emulator, body: Value) -> (String, Value) {
    let r = client()
        .post(format!("{}/auth/tokens", emu.auth_url_v3()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.headers()["x-subject-token"].to_str().unwrap().to_string();
    (id, r.json().await.unwrap())
}

async fn get(emu: &Emulator, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut rb = client().get(format!("{}{path}", emu.url()));
    if let Some(t) = token {
        rb = rb.header("X-Auth-Token", t);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post_json(emu: &Emulator, path: &str, token: &str, body: Value) -> (u16, Value) {
    let r = client()
        .post(format!("{}{path}", emu.url()))
        .header("X-Auth-Token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
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
    let r = client()
        .post(format!("{}/auth/tokens", emu.auth_url_v3()))
        .json(&password("demo", "wrong", None))
        .send()
        .await
        .unwrap();
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

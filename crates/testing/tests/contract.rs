//! Contract tests: plain HTTP against the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::time::Duration;

use common::*;
use keystoneauth_testing::emulator::{
    totp_now, AppCredSpec, AuthContext, AuthHandlerResponse, Emulator, ProjectSpec, RoleSpec,
    Unauthorized, UserSpec, DEMO_TOTP_SECRET,
};
use keystoneauth_testing::fixtures::shape_diff;
use serde_json::{json, Value};

fn password(name: &str, pw: &str) -> Value {
    json!({"user": {"name": name, "password": pw, "domain": {"id": "default"}}})
}

fn totp(name: &str) -> Value {
    json!({"user": {"name": name, "passcode": totp_now(DEMO_TOTP_SECRET), "domain": {"name": "Default"}}})
}

async fn post(emu: &Emulator, body: Value, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut rb = client()
        .post(format!("{}/auth/tokens", emu.auth_url_v3()))
        .json(&body);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.send().await.unwrap()
}

async fn token(emu: &Emulator, body: Value) -> (String, Value) {
    let r = post(emu, body, &[]).await;
    assert_eq!(r.status(), 201);
    let id = r.headers()["x-subject-token"].to_str().unwrap().to_string();
    (id, r.json().await.unwrap())
}

fn auth(identity: Value, scope: Option<Value>) -> Value {
    let mut a = json!({"auth": {"identity": identity}});
    if let Some(s) = scope {
        a["auth"]["scope"] = s;
    }
    a
}

async fn emu() -> Emulator {
    Emulator::builder().default_users().start().await.unwrap()
}

#[tokio::test]
async fn discovery_documents() {
    let emu = emu().await;
    let c = client();
    let r = c.get(emu.url()).send().await.unwrap();
    assert_eq!(r.status(), 300);
    let root: Value = r.json().await.unwrap();
    let cap = capture(include_str!("data/discovery_root.json"));
    assert!(shape_diff(&cap, &root).is_empty());
    assert_eq!(root["versions"]["values"].as_array().unwrap().len(), 2);
    let v3: Value = c
        .get(emu.auth_url_v3())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v3["version"]["id"], "v3.14");
    let v2: Value = c
        .get(emu.auth_url_v2())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v2["version"]["id"], "v2.0");
    let compute = c
        .get(format!("{}/compute/", emu.url()))
        .send()
        .await
        .unwrap();
    let compute: Value = compute.json().await.unwrap();
    assert_eq!(compute["versions"][1]["version"], "2.90");
    let pl: Value = c
        .get(emu.service_url("placement").unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pl["versions"][0]["max_version"], "1.39");
}

#[tokio::test]
async fn modern_keystone_has_no_v2() {
    let emu = Emulator::builder().v2(false).start().await.unwrap();
    let c = client();
    assert_eq!(c.get(emu.auth_url_v2()).send().await.unwrap().status(), 404);
    let root: Value = c.get(emu.url()).send().await.unwrap().json().await.unwrap();
    assert_eq!(root["versions"]["values"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn password_project_token_looks_like_keystone() {
    let emu = emu().await;
    let (id, body) = token(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("admin", "secretadmin")}),
            Some(json!({"project": {"name": "admin", "domain": {"name": "Default"}}})),
        ),
    )
    .await;
    assert!(id.starts_with("gAAAAAB"));
    let cap = capture(include_str!("data/token_password_project_scoped.json"));
    let d = shape_diff(&cap, &body);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(emu.token_requests(), 1);
    let cat = body["token"]["catalog"].as_array().unwrap();
    let identity = cat.iter().find(|s| s["type"] == "identity").unwrap();
    assert_eq!(identity["endpoints"][0]["url"], emu.auth_url_v3().as_str());
}

#[tokio::test]
async fn scopes_and_nocatalog() {
    let emu = emu().await;
    let pw = json!({"methods": ["password"], "password": password("admin", "secretadmin")});
    let (_, d) = token(
        &emu,
        auth(pw.clone(), Some(json!({"domain": {"id": "default"}}))),
    )
    .await;
    assert_eq!(d["token"]["domain"]["name"], "Default");
    let (_, s) = token(
        &emu,
        auth(pw.clone(), Some(json!({"system": {"all": true}}))),
    )
    .await;
    assert_eq!(s["token"]["system"]["all"], true);
    let (_, u) = token(&emu, auth(pw.clone(), Some(json!("unscoped")))).await;
    assert!(u["token"].get("catalog").is_none());
    assert!(u["token"].get("roles").is_none());
    let pid = emu.project_id("admin").unwrap();
    let r = client()
        .post(format!("{}/auth/tokens?nocatalog", emu.auth_url_v3()))
        .json(&auth(pw.clone(), Some(json!({"project": {"id": pid}}))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    assert!(b["token"].get("catalog").is_none());
    assert_eq!(b["token"]["project"]["id"], pid.as_str());
    // no role on the project → 401
    let r = post(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("demo", "demopass")}),
            Some(json!({"project": {"name": "admin", "domain": {"id": "default"}}})),
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
    // unknown project → 401
    let r = post(
        &emu,
        auth(pw, Some(json!({"project": {"id": "nope"}}))),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn errors_match_keystone() {
    let emu = emu().await;
    let r = post(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("admin", "nope")}),
            None,
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Keystone uri="));
    let b: Value = r.json().await.unwrap();
    assert_eq!(b, capture(include_str!("data/error_401_bad_password.json")));

    let r = post(
        &emu,
        auth(json!({"methods": ["foo"], "foo": {}}), None),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    let cap = capture(include_str!("data/error_unknown_method.json"));
    assert!(shape_diff(&cap, &b).is_empty());
    assert_eq!(b["error"]["message"], cap["error"]["message"]);

    // malformed: methods not an array, broken JSON, payload key missing
    let r = post(
        &emu,
        json!({"auth": {"identity": {"methods": "password"}}}),
        &[],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = client()
        .post(format!("{}/auth/tokens", emu.auth_url_v3()))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], 400);
    let r = post(&emu, auth(json!({"methods": ["password"]}), None), &[]).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn disabled_methods_are_refused() {
    let emu = Emulator::builder()
        .default_users()
        .methods(&["password"])
        .start()
        .await
        .unwrap();
    let r = post(
        &emu,
        auth(json!({"methods": ["totp"], "totp": totp("demo")}), None),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["identity"]["methods"], json!(["password"]));
    // the MFA rule needs totp, which is disabled: the rule is ignored
    let r = post(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("mfauser", "mfa-pw")}),
            None,
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn methods_run_in_order_and_must_agree() {
    let emu = emu().await;
    // password + totp for the same user
    let (_, b) = token(
        &emu,
        auth(
            json!({"methods": ["password", "totp"], "password": password("demo", "demopass"), "totp": totp("demo")}),
            None,
        ),
    )
    .await;
    assert_eq!(b["token"]["methods"], json!(["password", "totp"]));
    let (_, b) = token(
        &emu,
        auth(
            json!({"methods": ["totp", "password"], "password": password("demo", "demopass"), "totp": totp("demo")}),
            None,
        ),
    )
    .await;
    assert_eq!(b["token"]["methods"], json!(["totp", "password"]));
    // two different users → 401
    let r = post(
        &emu,
        auth(
            json!({"methods": ["password", "totp"], "password": password("admin", "secretadmin"), "totp": totp("demo")}),
            None,
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("conflicting values"));
    // wrong passcode
    let r = post(
        &emu,
        auth(
            json!({"methods": ["totp"], "totp": {"user": {"name": "demo", "domain": {"id": "default"}, "passcode": "000000x"}}}),
            None,
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn receipts() {
    let emu = emu().await;
    let demo = emu.project_id("demo").unwrap();
    let scope = json!({"project": {"id": demo}});
    let r = post(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("mfauser", "mfa-pw")}),
            Some(scope.clone()),
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
    let receipt = r.headers()["openstack-auth-receipt"]
        .to_str()
        .unwrap()
        .to_string();
    let b: Value = r.json().await.unwrap();
    let cap = capture(include_str!("data/receipt_401_password_only.json"));
    assert!(shape_diff(&cap, &b).is_empty());
    assert_eq!(b["required_auth_methods"], json!([["password", "totp"]]));
    assert_eq!(b["receipt"]["user"]["name"], "mfauser");

    let r = post(
        &emu,
        auth(
            json!({"methods": ["totp"], "totp": totp("mfauser")}),
            Some(scope.clone()),
        ),
        &[("Openstack-Auth-Receipt", &receipt)],
    )
    .await;
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["token"]["methods"], json!(["password", "totp"]));
    assert_eq!(b["token"]["project"]["id"], demo.as_str());

    // a bogus receipt
    let r = post(
        &emu,
        auth(
            json!({"methods": ["totp"], "totp": totp("mfauser")}),
            Some(scope.clone()),
        ),
        &[("Openstack-Auth-Receipt", "gAAAAABnope")],
    )
    .await;
    assert_eq!(r.status(), 401);
    // totp alone also yields a receipt (with totp in it)
    let r = post(
        &emu,
        auth(
            json!({"methods": ["totp"], "totp": totp("mfauser")}),
            Some(scope),
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["receipt"]["methods"], json!(["totp"]));
}

#[tokio::test]
async fn external_method() {
    let emu = emu().await;
    let admin = emu.project_id("admin").unwrap();
    let scope = Some(json!({"project": {"id": admin}}));
    let r = post(
        &emu,
        auth(
            json!({"methods": ["external"], "external": {}}),
            scope.clone(),
        ),
        &[("X-Remote-User", "admin")],
    )
    .await;
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["token"]["methods"], json!(["external"]));
    assert_eq!(b["token"]["user"]["name"], "admin");
    // header only, but sent: implicit external runs first
    let r = post(
        &emu,
        auth(json!({"methods": []}), scope.clone()),
        &[("X-Remote-User", "admin")],
    )
    .await;
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["token"]["methods"], json!(["external"]));
    let r = post(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("admin", "secretadmin")}),
            scope.clone(),
        ),
        &[("X-Remote-User", "admin")],
    )
    .await;
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["token"]["methods"], json!(["external", "password"]));
    // external for someone else than the password user → 401
    let r = post(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("demo", "demopass")}),
            None,
        ),
        &[("X-Remote-User", "admin")],
    )
    .await;
    assert_eq!(r.status(), 401);
    // no header → 401; listed without payload → 400
    let r = post(
        &emu,
        auth(
            json!({"methods": ["external"], "external": {}}),
            scope.clone(),
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
    let r = post(
        &emu,
        auth(json!({"methods": ["external"]}), scope),
        &[("X-Remote-User", "admin")],
    )
    .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn token_rescope_carries_methods_and_keeps_expiry() {
    let emu = emu().await;
    let (unscoped, first) = token(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("admin", "secretadmin")}),
            Some(json!("unscoped")),
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let admin = emu.project_id("admin").unwrap();
    let (_, b) = token(
        &emu,
        auth(
            json!({"methods": ["token"], "token": {"id": unscoped}}),
            Some(json!({"project": {"id": admin}})),
        ),
    )
    .await;
    assert_eq!(b["token"]["methods"], json!(["password", "token"]));
    assert_eq!(b["token"]["expires_at"], first["token"]["expires_at"]);
    assert_ne!(b["token"]["issued_at"], first["token"]["issued_at"]);
    let audit = b["token"]["audit_ids"].as_array().unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[1], first["token"]["audit_ids"][0]);
    let cap = capture(include_str!("data/token_token_rescoped_project.json"));
    assert!(shape_diff(&cap, &b).is_empty());
    let r = post(
        &emu,
        auth(
            json!({"methods": ["token"], "token": {"id": "gAAAAABunknown"}}),
            None,
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn application_credentials() {
    let emu = Emulator::builder()
        .default_users()
        .application_credential(AppCredSpec::new("demo", "demo", "ci", "ac-secret").id("ac1"))
        .start()
        .await
        .unwrap();
    let (_, b) = token(
        &emu,
        auth(
            json!({"methods": ["application_credential"], "application_credential": {"id": "ac1", "secret": "ac-secret"}}),
            None,
        ),
    )
    .await;
    assert_eq!(b["token"]["application_credential"]["id"], "ac1");
    assert_eq!(b["token"]["project"]["name"], "demo");
    let (_, b) = token(
        &emu,
        auth(
            json!({"methods": ["application_credential"], "application_credential": {"name": "ci", "secret": "ac-secret", "user": {"name": "demo", "domain": {"name": "Default"}}}}),
            None,
        ),
    )
    .await;
    assert_eq!(b["token"]["methods"], json!(["application_credential"]));
    let r = post(
        &emu,
        auth(
            json!({"methods": ["application_credential"], "application_credential": {"id": "ac1", "secret": "no"}}),
            None,
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn multi_step_custom_handler() {
    // A challenge/response method: step 1 returns a nonce, step 2 must echo it reversed.
    let handler = |payload: &Value, ctx: &mut AuthContext<'_>| {
        let user = ctx
            .find_user(&payload["user"])
            .ok_or_else(Unauthorized::default)?;
        match payload.get("response").and_then(Value::as_str) {
            None => Ok(AuthHandlerResponse::continue_with(json!({"nonce": "abc"}))),
            Some("cba") => Ok(AuthHandlerResponse::complete(user.id.clone())),
            Some(_) => Err(Unauthorized("bad response".into())),
        }
    };
    let emu = Emulator::builder()
        .default_users()
        .handler("challenge", handler)
        .start()
        .await
        .unwrap();
    let user = json!({"name": "demo", "domain": {"id": "default"}});
    let r = post(
        &emu,
        auth(
            json!({"methods": ["challenge"], "challenge": {"user": user}}),
            None,
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["identity"]["methods"], json!(["challenge"]));
    let nonce = b["error"]["identity"]["challenge"]["nonce"]
        .as_str()
        .unwrap();
    let answer: String = nonce.chars().rev().collect();
    let (_, b) = token(
        &emu,
        auth(
            json!({"methods": ["challenge"], "challenge": {"user": user, "response": answer}}),
            None,
        ),
    )
    .await;
    assert_eq!(b["token"]["methods"], json!(["challenge"]));
    assert_eq!(b["token"]["user"]["name"], "demo");
    let r = post(
        &emu,
        auth(
            json!({"methods": ["challenge"], "challenge": {"user": user, "response": "x"}}),
            None,
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["message"], "bad response");
}

#[tokio::test]
async fn handler_without_user_id_is_refused() {
    let emu = Emulator::builder()
        .handler("nobody", |_: &Value, _: &mut AuthContext<'_>| {
            let mut r = AuthHandlerResponse::complete("x");
            r.response_data.user_id = None;
            Ok(r)
        })
        .start()
        .await
        .unwrap();
    let r = post(
        &emu,
        auth(json!({"methods": ["nobody"], "nobody": {}}), None),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn validate_check_revoke() {
    let emu = emu().await;
    let pw = json!({"methods": ["password"], "password": password("admin", "secretadmin")});
    let (admin, _) = token(
        &emu,
        auth(pw.clone(), Some(json!({"system": {"all": true}}))),
    )
    .await;
    let pid = emu.project_id("admin").unwrap();
    let (subject, issued) = token(&emu, auth(pw, Some(json!({"project": {"id": pid}})))).await;
    let c = client();
    let url = format!("{}/auth/tokens", emu.auth_url_v3());
    let r = c
        .get(&url)
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", &subject)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-subject-token"], subject.as_str());
    let b: Value = r.json().await.unwrap();
    assert_eq!(b, issued);
    let r = c
        .head(&url)
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", &subject)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(&url)
        .header("X-Subject-Token", &subject)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no X-Auth-Token");
    let r = c
        .delete(&url)
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", &subject)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .get(&url)
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", &subject)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let b: Value = r.json().await.unwrap();
    assert_eq!(
        b,
        capture(include_str!("data/token_validate_revoked_404.json"))
    );
    let r = c
        .head(&url)
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", &subject)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn v2_tokens() {
    let emu = emu().await;
    let c = client();
    let url = format!("{}/tokens", emu.auth_url_v2());
    let r = c
        .post(&url)
        .json(&json!({"auth": {"passwordCredentials": {"username": "demo", "password": "demopass"}, "tenantName": "demo"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    let a = &b["access"];
    assert_eq!(a["token"]["tenant"]["name"], "demo");
    let id = a["token"]["id"].as_str().unwrap().to_string();
    let ident = a["serviceCatalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "identity")
        .unwrap();
    assert_eq!(
        ident["endpoints"][0]["publicURL"],
        emu.auth_url_v2().as_str()
    );
    assert_eq!(a["user"]["roles"][0]["name"], "member");
    // token → tenantId
    let pid = emu.project_id("demo").unwrap();
    let r = c
        .post(&url)
        .json(&json!({"auth": {"token": {"id": id}, "tenantId": pid}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b2: Value = r.json().await.unwrap();
    assert_eq!(b2["access"]["token"]["expires"], a["token"]["expires"]);
    // the v2 token works against a catalog service
    let servers = c
        .get(format!("{}/servers", emu.service_url("compute").unwrap()))
        .header("X-Auth-Token", &id)
        .send()
        .await
        .unwrap();
    assert_eq!(servers.status(), 200);
    let r = c
        .post(&url)
        .json(&json!({"auth": {"passwordCredentials": {"username": "demo", "password": "x"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c.post(&url).body("[").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(emu.token_requests(), 4);
}

#[tokio::test]
async fn authenticated_request_through_catalog() {
    let emu = emu().await;
    let pid = emu.project_id("demo").unwrap();
    let (tok, body) = token(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("demo", "demopass")}),
            Some(json!({"project": {"id": pid}})),
        ),
    )
    .await;
    let compute = body["token"]["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "compute")
        .unwrap()["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["interface"] == "public")
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let c = client();
    let r = c
        .get(format!("{compute}/servers"))
        .header("X-Auth-Token", &tok)
        .header("OpenStack-API-Version", "compute 2.53")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["openstack-api-version"], "compute 2.53");
    let b: Value = r.json().await.unwrap();
    assert_eq!(b, json!({"servers": []}));
    let r = c
        .get(format!("{compute}/servers"))
        .header("X-Auth-Token", "bogus")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let doc: Value = c.get(&compute).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["version"]["min_version"], "2.1");
    let seen = emu.requests();
    assert!(seen.iter().any(|r| r.path == "/compute/v2.1/servers"
        && r.header("openstack-api-version") == Some("compute 2.53")));
}

#[tokio::test]
async fn faults_5xx_retry_after_delay_truncate_drop() {
    let emu = emu().await;
    let f = emu.faults();
    let c = client();
    f.fail_next(2, 503, Some(2));
    for _ in 0..2 {
        let r = c.get(emu.auth_url_v3()).send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "2");
    }
    assert_eq!(c.get(emu.auth_url_v3()).send().await.unwrap().status(), 200);

    f.delay(Duration::from_millis(300));
    let t = std::time::Instant::now();
    assert_eq!(c.get(emu.auth_url_v3()).send().await.unwrap().status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    f.delay(Duration::ZERO);

    f.truncate_next(1);
    let r = c.get(emu.auth_url_v3()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    f.drop_next(1);
    assert!(c.get(emu.auth_url_v3()).send().await.is_err());
    assert_eq!(c.get(emu.auth_url_v3()).send().await.unwrap().status(), 200);

    // path filter: only token POSTs fail
    f.only_path(Some("/v3/auth/tokens")).fail_next(1, 500, None);
    assert_eq!(c.get(emu.auth_url_v3()).send().await.unwrap().status(), 200);
    let r = post(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("admin", "secretadmin")}),
            None,
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 500);
    assert_eq!(emu.token_requests(), 1);
    f.clear();
}

#[tokio::test]
async fn short_token_ttl_expires() {
    let emu = emu().await;
    // Issue times are whole seconds, so the token lives 4 to 5 s: room for a slow machine.
    emu.faults().token_ttl(Duration::from_secs(5));
    let pid = emu.project_id("demo").unwrap();
    let (tok, _) = token(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("demo", "demopass")}),
            Some(json!({"project": {"id": pid}})),
        ),
    )
    .await;
    let url = format!("{}/servers", emu.service_url("compute").unwrap());
    let c = client();
    assert_eq!(
        c.get(&url)
            .header("X-Auth-Token", &tok)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(5100)).await;
    assert_eq!(
        c.get(&url)
            .header("X-Auth-Token", &tok)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn builder_rejects_dangling_references_and_disabled_users() {
    let err = Emulator::builder()
        .role(RoleSpec::project("ghost", "nowhere", "member"))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let emu = Emulator::builder()
        .user(UserSpec::new("off", "pw").disabled())
        .project(ProjectSpec::new("p"))
        .role(RoleSpec::project("off", "p", "member"))
        .start()
        .await
        .unwrap();
    let r = post(
        &emu,
        auth(
            json!({"methods": ["password"], "password": password("off", "pw")}),
            None,
        ),
        &[],
    )
    .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn shutdown_on_drop() {
    let emu = emu().await;
    let url = emu.auth_url_v3();
    drop(emu);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    assert!(c.get(url).send().await.is_err());
}

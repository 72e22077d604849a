//! Federation in the emulator (plain HTTP): its OpenID provider's discovery document and token
//! endpoint, and Keystone's federation auth URL, checked against the shapes of tokens a real
//! Keystone gave (captures) and against Keystone's and OAuth 2.0's status codes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use common::*;
use keystoneauth_testing::emulator::{
    Emulator, FederatedUserSpec, IdentityProviderSpec, ProjectSpec,
};
use keystoneauth_testing::fixtures::shape_diff;
use serde_json::{json, Value};

const IDP: &str = "testidp";

/// Provider `testidp` (protocol `openid`, client `ks-client`) with `alice` (member of `demo`
/// through group `fed-group`) and `svc` (the client `svc`'s own user).
async fn emu() -> Emulator {
    Emulator::builder()
        .project(ProjectSpec::new("demo"))
        .identity_provider(
            IdentityProviderSpec::new(IDP, "openid")
                .client("ks-client", "client-secret")
                .client("svc", "svc-secret")
                .client("nobody", "nobody-secret")
                .public_client("cli")
                .user(
                    FederatedUserSpec::new("alice")
                        .password("p@ss word&=")
                        .group("fed-group")
                        .project_role("demo", "member"),
                )
                .user(FederatedUserSpec::new("svc").project_role("demo", "reader")),
        )
        .start()
        .await
        .unwrap()
}

/// POSTs a form to the provider's token endpoint with HTTP Basic client authentication.
async fn grant(
    emu: &Emulator,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let r = client()
        .post(format!("{}/token", emu.oidc_issuer(IDP)))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    status_and_json(r).await
}

async fn alice_access_token(emu: &Emulator) -> String {
    let (status, body) = grant(
        emu,
        "ks-client",
        "client-secret",
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "p@ss word&="),
            ("scope", "openid profile"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

fn federated_url(emu: &Emulator, idp: &str, protocol: &str) -> String {
    format!(
        "{}/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth",
        emu.auth_url_v3()
    )
}

async fn federated(emu: &Emulator, bearer: Option<&str>) -> reqwest::Response {
    let mut rb = client().post(federated_url(emu, IDP, "openid"));
    if let Some(t) = bearer {
        rb = rb.bearer_auth(t);
    }
    rb.send().await.unwrap()
}

#[tokio::test]
async fn the_provider_serves_discovery_and_its_grants() {
    let emu = emu().await;
    let issuer = emu.oidc_issuer(IDP);
    let doc: Value = client()
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], issuer.as_str());
    assert_eq!(doc["token_endpoint"], format!("{issuer}/token").as_str());
    assert_eq!(
        doc["grant_types_supported"],
        json!([
            "password",
            "client_credentials",
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:device_code"
        ])
    );
    assert_eq!(
        doc["device_authorization_endpoint"],
        format!("{issuer}/device").as_str()
    );

    // The password grant, with a password that needs form encoding.
    let (status, body) = grant(
        &emu,
        "ks-client",
        "client-secret",
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "p@ss word&="),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["id_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "openid");

    // Client authentication in the form works too.
    let r = client()
        .post(format!("{issuer}/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "svc"),
            ("client_secret", "svc-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let wrong_password = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "p@ss"),
    ];
    let (status, body) = grant(&emu, "ks-client", "client-secret", &wrong_password).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = grant(&emu, "ks-client", "wrong", &[("grant_type", "password")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = grant(
        &emu,
        "ks-client",
        "client-secret",
        &[("grant_type", "implicit")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let r = client()
        .get(format!(
            "{}/.well-known/openid-configuration",
            emu.oidc_issuer("other")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_provider_token_gives_an_unscoped_federated_token_like_keystone() {
    let emu = emu().await;
    let at = alice_access_token(&emu).await;
    let r = federated(&emu, Some(&at)).await;
    assert_eq!(r.status(), 201);
    let id = r.headers()["x-subject-token"].to_str().unwrap().to_owned();
    assert!(id.starts_with("gAAAAAB"));
    let body: Value = r.json().await.unwrap();
    let cap = capture(include_str!("data/token_federated_openid_unscoped.json"));
    let d = shape_diff(&cap, &body);
    assert!(d.is_empty(), "{d:?}");
    let user = &body["token"]["user"];
    assert_eq!(body["token"]["methods"], json!(["openid"]));
    assert_eq!(user["name"], "alice");
    assert_eq!(user["OS-FEDERATION"]["identity_provider"]["id"], IDP);
    assert_eq!(user["OS-FEDERATION"]["protocol"]["id"], "openid");
    assert_eq!(user["OS-FEDERATION"]["groups"].as_array().unwrap().len(), 1);
    // The shadow user: a SHA-256 id, in the provider's own domain (id and name alike).
    let uid = user["id"].as_str().unwrap();
    assert_eq!(uid.len(), 64);
    assert!(uid.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(user["domain"]["id"], user["domain"]["name"]);
    assert_ne!(user["domain"]["id"], "default");
    assert_eq!(emu.token_requests(), 1);

    // The same user again: the same shadow user.
    let again: Value = federated(&emu, Some(&alice_access_token(&emu).await))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["token"]["user"]["id"], uid);
}

#[tokio::test]
async fn a_federated_token_rescopes_and_keeps_its_federation() {
    let emu = emu().await;
    let at = emu.oidc_access_token(IDP, "alice").unwrap();
    let r = federated(&emu, Some(&at)).await;
    let unscoped = r.headers()["x-subject-token"].to_str().unwrap().to_owned();
    let first: Value = r.json().await.unwrap();

    // Projects the federated user may scope to, as OS-FEDERATION clients list them.
    let projects: Value = client()
        .get(format!("{}/auth/projects", emu.auth_url_v3()))
        .header("X-Auth-Token", &unscoped)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let demo = emu.project_id("demo").unwrap();
    assert_eq!(projects["projects"][0]["id"], demo.as_str());

    let r = client()
        .post(format!("{}/auth/tokens", emu.auth_url_v3()))
        .json(&json!({"auth": {
            "identity": {"methods": ["token"], "token": {"id": unscoped}},
            "scope": {"project": {"id": demo}},
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let scoped = r.headers()["x-subject-token"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    let cap = capture(include_str!("data/token_federated_rescoped_project.json"));
    let d = shape_diff(&cap, &body);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(body["token"]["methods"], json!(["openid", "token"]));
    assert_eq!(body["token"]["user"], first["token"]["user"]);
    assert_eq!(body["token"]["project"]["id"], demo.as_str());
    assert_eq!(body["token"]["roles"][0]["name"], "member");
    assert!(body["token"]["catalog"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));

    // Validation shows the same federation data.
    let v: Value = client()
        .get(format!("{}/auth/tokens", emu.auth_url_v3()))
        .header("X-Auth-Token", &scoped)
        .header("X-Subject-Token", &scoped)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["token"]["user"]["OS-FEDERATION"],
        first["token"]["user"]["OS-FEDERATION"]
    );
}

#[tokio::test]
async fn the_federation_url_refuses_what_keystone_refuses() {
    let emu = emu().await;
    let at = alice_access_token(&emu).await;

    // Unknown provider or protocol: Keystone's 404.
    for url in [
        federated_url(&emu, "other", "openid"),
        federated_url(&emu, IDP, "saml2"),
    ] {
        let r = client().post(url).bearer_auth(&at).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let b: Value = r.json().await.unwrap();
        assert!(b["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Could not find"));
    }

    // No token, or one the provider never gave: the web server's Bearer challenge.
    let r = federated(&emu, None).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"testidp\"");
    let r = federated(&emu, Some("forged.jwt.value")).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("error=\"invalid_token\""));

    // A client's own token maps to a user only when one is named like the client.
    let cc = [("grant_type", "client_credentials")];
    let (_, svc) = grant(&emu, "svc", "svc-secret", &cc).await;
    let r = federated(&emu, svc["access_token"].as_str()).await;
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["token"]["user"]["name"], "svc");
    let (_, nobody) = grant(&emu, "nobody", "nobody-secret", &cc).await;
    let r = federated(&emu, nobody["access_token"].as_str()).await;
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(
        b["error"]["message"],
        "Could not map any user from the identity provider's token."
    );

    // The shadow user has no password in Keystone, whatever is sent.
    let uid = emu.user_id("alice").unwrap();
    let r = client()
        .post(format!("{}/auth/tokens", emu.auth_url_v3()))
        .json(&json!({"auth": {"identity": {"methods": ["password"],
            "password": {"user": {"id": uid, "password": "p@ss word&="}}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// POSTs a form as the public client `cli` (no secret) to the provider's `path`.
async fn public_post(emu: &Emulator, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let mut fields = vec![("client_id", "cli")];
    fields.extend_from_slice(form);
    let r = client()
        .post(format!("{}/{path}", emu.oidc_issuer(IDP)))
        .form(&fields)
        .send()
        .await
        .unwrap();
    status_and_json(r).await
}

#[tokio::test]
async fn the_device_grant_waits_for_approval_and_checks_pkce() {
    let emu = emu().await;
    // RFC 7636 appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let (status, dev) = public_post(
        &emu,
        "device",
        &[
            ("scope", "openid"),
            ("code_challenge_method", "S256"),
            ("code_challenge", challenge),
        ],
    )
    .await;
    assert_eq!(status, 200, "{dev}");
    let device_code = dev["device_code"].as_str().unwrap().to_owned();
    let user_code = dev["user_code"].as_str().unwrap().to_owned();
    assert_eq!(user_code.len(), 9);
    assert!(dev["verification_uri"]
        .as_str()
        .unwrap()
        .starts_with(&emu.oidc_issuer(IDP)));
    assert_eq!(dev["interval"], 1);

    let poll = |v: &'static str| {
        let device_code = device_code.clone();
        let emu = &emu;
        async move {
            public_post(
                emu,
                "token",
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("device_code", &device_code),
                    ("code_verifier", v),
                ],
            )
            .await
        }
    };
    let (status, body) = poll(verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    assert!(!emu.oidc_approve_device(IDP, "XXXX-XXXX", "alice"));
    assert!(!emu.oidc_approve_device(IDP, &user_code, "mallory"));
    // The verification page: a form, then the user logs in there and approves.
    let page = client()
        .get(dev["verification_uri_complete"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("value=\"{user_code}\"")), "{page}");
    let verify = |password: &'static str| {
        let url = dev["verification_uri"].as_str().unwrap().to_owned();
        let code = user_code.to_lowercase().replace('-', "");
        async move {
            client()
                .post(url)
                .form(&[
                    ("user_code", code.as_str()),
                    ("username", "alice"),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(verify("wrong").await, 401);
    assert_eq!(verify("p@ss word&=").await, 200);
    let (status, body) = poll("not-the-verifier").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = poll(verifier).await;
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap().to_owned();
    // Used once.
    let (status, body) = poll(verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The token is alice's at Keystone.
    let b: Value = federated(&emu, Some(&at)).await.json().await.unwrap();
    assert_eq!(b["token"]["user"]["name"], "alice");

    // A public client cannot use client_credentials; an unknown one is not a client.
    let (status, body) = public_post(&emu, "token", &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let r = client()
        .post(format!("{}/device", emu.oidc_issuer(IDP)))
        .form(&[("client_id", "stranger")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn an_authorization_code_is_good_once_for_its_redirect_uri() {
    let emu = emu().await;
    let redirect = "http://127.0.0.1:8080/callback";
    let code = emu
        .oidc_authorization_code(IDP, "ks-client", "alice", Some(redirect))
        .unwrap();
    assert!(emu
        .oidc_authorization_code(IDP, "stranger", "alice", Some(redirect))
        .is_none());
    let exchange = |code: String, redirect: &'static str| {
        let emu = &emu;
        async move {
            grant(
                emu,
                "ks-client",
                "client-secret",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                ],
            )
            .await
        }
    };
    let (status, body) = exchange(code.clone(), "http://127.0.0.1:8080/elsewhere").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The failed attempt used the code up, as providers do.
    let (status, _) = exchange(code, redirect).await;
    assert_eq!(status, 400);
    let code = emu
        .oidc_authorization_code(IDP, "ks-client", "alice", Some(redirect))
        .unwrap();
    let (status, body) = exchange(code.clone(), redirect).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = exchange(code, redirect).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn the_builder_refuses_bad_providers() {
    let start = |idp: IdentityProviderSpec| async move {
        Emulator::builder()
            .identity_provider(idp)
            .start()
            .await
            .unwrap_err()
            .to_string()
    };
    let e = start(
        IdentityProviderSpec::new(IDP, "openid")
            .user(FederatedUserSpec::new("alice").project_role("nowhere", "member")),
    )
    .await;
    assert!(e.contains("unknown project nowhere"), "{e}");
    let e = start(IdentityProviderSpec::new(IDP, "password")).await;
    assert!(e.contains("built-in auth method"), "{e}");
    let e = start(
        IdentityProviderSpec::new(IDP, "openid")
            .user(FederatedUserSpec::new("alice"))
            .user(FederatedUserSpec::new("alice")),
    )
    .await;
    assert!(e.contains("given twice"), "{e}");
    let e = Emulator::builder()
        .identity_provider(IdentityProviderSpec::new(IDP, "openid"))
        .identity_provider(IdentityProviderSpec::new(IDP, "openid"))
        .start()
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("given twice"), "{e}");
}

/// WebSSO: the login page, then Keystone's checks of `origin` and its page posting the token.
#[tokio::test]
async fn websso_login_page_origin_checks_and_token_form() {
    let dashboard = "http://127.0.0.1:9990/auth/websso/";
    let emu = Emulator::builder()
        .project(ProjectSpec::new("demo"))
        .identity_provider(
            IdentityProviderSpec::new(IDP, "openid")
                .user(FederatedUserSpec::new("alice").password("pw\"<&>")),
        )
        .trusted_dashboard(dashboard)
        .start()
        .await
        .unwrap();
    let websso = |idp: &str, protocol: &str| {
        format!(
            "{}/auth/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/websso",
            emu.auth_url_v3()
        )
    };
    let with_origin = |url: String, origin: &str| {
        let mut u = reqwest::Url::parse(&url).unwrap();
        u.query_pairs_mut().append_pair("origin", origin);
        u
    };
    let url = with_origin(websso(IDP, "openid"), dashboard);
    let page = client().get(url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("name=\"password\"") && page.contains("action=\"?origin="),
        "{page}"
    );
    for (u, want) in [
        (with_origin(websso("nope", "openid"), dashboard), 404),
        (with_origin(websso(IDP, "saml2"), dashboard), 404),
    ] {
        assert_eq!(client().get(u).send().await.unwrap().status(), want);
    }
    let login = |u: reqwest::Url, password: &'static str| async move {
        let r = client()
            .post(u)
            .form(&[("username", "alice"), ("password", password)])
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(login(url.clone(), "wrong").await.0, 401);
    let (status, body) = login(
        reqwest::Url::parse(&websso(IDP, "openid")).unwrap(),
        "pw\"<&>",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("origin query parameter"), "{body}");
    let (status, body) = login(
        with_origin(websso(IDP, "openid"), "https://evil.example/"),
        "pw\"<&>",
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("is not a trusted dashboard host"), "{body}");
    let (status, body) = login(url, "pw\"<&>").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!("action=\"{dashboard}\" method=\"post\"")),
        "{body}"
    );
    let start = body.find("name=\"token\" id=\"token\" value=\"").unwrap() + 31;
    let token = &body[start..start + body[start..].find('"').unwrap()];
    // An unscoped federated token of alice.
    let r = client()
        .get(format!("{}/auth/tokens", emu.auth_url_v3()))
        .header("X-Auth-Token", token)
        .header("X-Subject-Token", token)
        .send()
        .await
        .unwrap();
    let (status, v) = status_and_json(r).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["token"]["user"]["name"], "alice");
    assert_eq!(v["token"]["methods"], json!(["openid"]));
    assert!(v["token"]["user"]["OS-FEDERATION"].is_object(), "{v}");
    assert!(v["token"].get("project").is_none(), "{v}");
}

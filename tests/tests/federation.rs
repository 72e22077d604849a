//! Federation plugins against the real peers (`cargo xtask test`, or `cargo xtask keystone up`
//! then `cargo xtask peers up`):
//!
//! * OIDC: npm `oidc-provider` (HTTPS) → Apache mod_auth_openidc → Keystone mapping. Password,
//!   client credentials, an access token fetched from the OP first, and the device
//!   authorization grant with PKCE S256 (the OP's verification page driven with plain HTTP
//!   form posts), and the authorization code grant (the OP's login pages driven the same way;
//!   a code used twice is refused) each end with a project-scoped Keystone token. WebSSO
//!   (`v3websso`): mod_auth_openidc as relying party on Keystone's WebSSO URL, the OP's login
//!   pages, Keystone's page posting the token to the plugin's callback.
//! * SAML2 ECP: SimpleSAMLphp (ECP IdP) → Apache mod_auth_mellon → Keystone; a wrong password
//!   (HTTP 200 + SAML status Responder from the IdP) is `Error::Unauthorized`.
//! * K2K between two real Keystones: the harness Keystone is the SAML2 IdP, the peers' second
//!   Keystone behind Apache mod_auth_mellon (PAOS) the service provider `sp1`; the rescoped
//!   token is validated by that Keystone, and a tampered assertion is refused by mellon. A
//!   wiremock SP test keeps the request shapes and the unknown-SP error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AccessInfo, AuthPlugin, Error, Session, Verify};
use keystoneauth_federation::k2k::Keystone2Keystone;
use keystoneauth_federation::oidc::{DeviceCode, OidcAuthorizationCode, OidcDeviceAuthorization};
use keystoneauth_federation::saml2::Saml2Password;
use keystoneauth_federation::websso::WebSso;
use keystoneauth_federation::{Federated, Scope, ScopeParams};
use keystoneauth_identity_v3::Password;
use keystoneauth_tests::Keystone;
use reqwest::Method;
use serde_json::{json, Value};

#[path = "oidc_flows/mod.rs"]
mod oidc_flows;

use oidc_flows::{assert_scoped, OidcSetup};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is one level below the workspace root")
        .to_path_buf()
}

fn peers() -> Value {
    let path = match std::env::var_os("KSA_PEERS_ENV") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => workspace().join("target/ksa-harness/peers/env.json"),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "\n\nNo real OIDC / SAML2 peers for these tests: cannot read {} ({e}).\n\
             Run `cargo xtask test`, or `cargo xtask keystone up` then `cargo xtask peers up`.\n",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("peers env.json is JSON")
}

fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("peers env.json has no {key}"))
        .to_owned()
}

struct Oidc {
    env: Value,
    o: Value,
}

impl Oidc {
    fn new() -> Self {
        let env = peers();
        let o = env["oidc"].clone();
        Oidc { env, o }
    }
    fn get(&self, key: &str) -> String {
        s(&self.o, key)
    }
    fn project(&self) -> Scope {
        Scope::ProjectId(s(&self.env, "project_id"))
    }
    /// A session that trusts the OP's self-signed certificate.
    fn session(&self) -> Session {
        Session::builder()
            .verify(Verify::CaBundle(self.get("ca_file").into()))
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }
    fn http(&self) -> reqwest::Client {
        let pem = std::fs::read(self.get("ca_file")).unwrap();
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }
}

impl Oidc {
    /// The peers as the shared OIDC checks take them.
    fn setup(&self) -> OidcSetup {
        OidcSetup {
            auth_url: self.get("auth_url"),
            identity_provider: self.get("identity_provider"),
            protocol: self.get("protocol"),
            discovery_url: self.get("discovery_url"),
            token_endpoint: self.get("token_endpoint"),
            client_id: self.get("client_id"),
            client_secret: self.get("client_secret"),
            username: self.get("username"),
            password: self.get("password"),
            cc_client_id: self.get("cc_client_id"),
            cc_client_secret: self.get("cc_client_secret"),
            project_id: s(&self.env, "project_id"),
        }
    }
}

#[tokio::test]
async fn oidc_password_through_mod_auth_openidc() {
    let p = Oidc::new();
    oidc_flows::password_grant(&p.setup(), &p.session()).await;
}

#[tokio::test]
async fn oidc_client_credentials_through_mod_auth_openidc() {
    let p = Oidc::new();
    oidc_flows::client_credentials_grant(&p.setup(), &p.session()).await;
}

#[tokio::test]
async fn oidc_access_token_from_the_op() {
    let p = Oidc::new();
    oidc_flows::access_token(&p.setup(), &p.session(), &p.http()).await;
}

/// The value of the form field `name` in an oidc-provider page.
fn form_field(html: &str, name: &str) -> Option<String> {
    let pat = format!("name=\"{name}\" value=\"");
    let i = html.find(&pat)? + pat.len();
    Some(html[i..].split('"').next()?.to_owned())
}

/// Follow oidc-provider's redirects and answer its login and consent prompts with plain form
/// posts, until a page without a prompt (`Ok(None)`) or a redirect to a URL that starts with
/// `stop_at` (`Ok(Some(url))`, not fetched).
async fn answer_prompts(
    p: &Oidc,
    http: &reqwest::Client,
    resp: reqwest::Response,
    stop_at: Option<&str>,
) -> Result<Option<reqwest::Url>, String> {
    match browse(p, http, resp, stop_at).await? {
        Landed::Redirect(url) => Ok(Some(url)),
        Landed::Page { .. } => Ok(None),
    }
}

/// Where [`browse`] ended.
enum Landed {
    /// A redirect to the `stop_at` prefix, not followed.
    Redirect(reqwest::Url),
    /// A page without a prompt: its URL, status and text.
    Page {
        url: reqwest::Url,
        status: u16,
        html: String,
    },
}

/// [`answer_prompts`], keeping the last page.
async fn browse(
    p: &Oidc,
    http: &reqwest::Client,
    mut resp: reqwest::Response,
    stop_at: Option<&str>,
) -> Result<Landed, String> {
    for _ in 0..20 {
        if resp.status().is_redirection() {
            let loc = resp
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .ok_or("redirect without location")?;
            let next = resp.url().join(loc).map_err(|e| e.to_string())?;
            if stop_at.is_some_and(|s| next.as_str().starts_with(s)) {
                return Ok(Landed::Redirect(next));
            }
            resp = http.get(next).send().await.map_err(|e| e.to_string())?;
            continue;
        }
        let url = resp.url().clone();
        let status = resp.status().as_u16();
        let html = resp.text().await.map_err(|e| e.to_string())?;
        let Some(prompt) = form_field(&html, "prompt") else {
            return Ok(Landed::Page { url, status, html });
        };
        let action = html
            .split("<form")
            .nth(1)
            .and_then(|f| f.split("action=\"").nth(1))
            .and_then(|a| a.split('"').next())
            .ok_or_else(|| format!("no form action: {html}"))?;
        let action = url.join(action).map_err(|e| e.to_string())?;
        resp = http
            .post(action)
            .form(&[
                ("prompt", prompt.as_str()),
                ("login", &p.get("username")),
                ("password", &p.get("password")),
            ])
            .send()
            .await
            .map_err(|e| e.to_string())?;
    }
    Err("the provider's pages did not finish in 20 steps".into())
}

/// Approve a device code on oidc-provider's pages: the code form (with its xsrf field), then
/// the login and consent prompts, as plain form posts.
async fn approve_device(p: &Oidc, code: &DeviceCode) -> Result<(), String> {
    let http = p.http();
    let page = http
        .get(&code.verification_uri)
        .query(&[("user_code", &code.user_code)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let base = page.url().clone();
    let html = page.text().await.map_err(|e| e.to_string())?;
    let xsrf = form_field(&html, "xsrf").ok_or_else(|| format!("no xsrf field: {html}"))?;
    let mut action = base.clone();
    action.set_query(None);
    let resp = http
        .post(action)
        .form(&[
            ("xsrf", xsrf.as_str()),
            ("user_code", code.user_code.as_str()),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    answer_prompts(p, &http, resp, None).await.map(|_| ())
}

#[tokio::test]
async fn oidc_authorization_code_from_the_op() {
    // The user logs in at the OP's authorization endpoint (here: plain form posts), the OP
    // redirects to the registered redirect URI with a code, and v3oidcauthcode exchanges the
    // code (with the same redirect URI, client secret by HTTP Basic) and then the OP's token
    // at Keystone.
    let p = Oidc::new();
    let http = p.http();
    let discovery: Value = http
        .get(p.get("discovery_url"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let authorize = discovery["authorization_endpoint"]
        .as_str()
        .expect("authorization_endpoint");
    let redirect_uri = p.get("redirect_uri");
    let resp = http
        .get(authorize)
        .query(&[
            ("client_id", p.get("client_id").as_str()),
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("redirect_uri", redirect_uri.as_str()),
            ("state", "ksa-test-state"),
        ])
        .send()
        .await
        .unwrap();
    let back = answer_prompts(&p, &http, resp, Some(&redirect_uri))
        .await
        .unwrap()
        .expect("the OP redirects to the redirect URI");
    let query: std::collections::HashMap<String, String> =
        back.query_pairs().into_owned().collect();
    assert_eq!(
        query.get("state").map(String::as_str),
        Some("ksa-test-state")
    );
    let code = query
        .get("code")
        .unwrap_or_else(|| panic!("no code in {back}"))
        .clone();

    let flow = |code: &str| {
        OidcAuthorizationCode::new(
            p.get("auth_url"),
            p.get("identity_provider"),
            p.get("protocol"),
            p.get("client_id"),
            code,
        )
        .client_secret(p.get("client_secret"))
        .redirect_uri(redirect_uri.clone())
        .discovery_endpoint(p.get("discovery_url"))
    };
    let plugin = Federated::new(flow(&code), p.project());
    assert_scoped(&plugin, &p.session(), &s(&p.env, "project_id")).await;

    // A code is good once: a second exchange is the OP's invalid_grant.
    let e = Federated::new(flow(&code), p.project())
        .token(&p.session())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("invalid_grant"), "{e}");
}

#[tokio::test]
async fn oidc_device_authorization_with_pkce() {
    let p = Arc::new(Oidc::new());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<DeviceCode>();
    let flow = OidcDeviceAuthorization::new(
        p.get("auth_url"),
        p.get("identity_provider"),
        p.get("protocol"),
        p.get("public_client_id"),
    )
    .discovery_endpoint(p.get("discovery_url"))
    .code_challenge_method("S256")
    .prompt(move |c| {
        let _ = tx.send(c.clone());
    });
    let plugin = Arc::new(Federated::new(flow, p.project()));
    let session = p.session();
    let (pl, se) = (plugin.clone(), session.clone());
    let auth = tokio::spawn(async move { pl.access(&se).await });
    let code = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("the plugin shows a user code")
        .expect("a device code");
    assert!(code.verification_uri.starts_with(&p.get("issuer")));
    approve_device(&p, &code).await.unwrap();
    let access = tokio::time::timeout(Duration::from_secs(60), auth)
        .await
        .expect("the plugin gets the token within a minute of approval")
        .unwrap()
        .unwrap_or_else(|e| panic!("device flow failed: {e}"))
        .unwrap();
    assert_eq!(access.project_id(), Some(s(&p.env, "project_id").as_str()));
    assert!(access.is_federated());
}

fn saml_flow(env: &Value, password: &str) -> Saml2Password {
    let sm = &env["saml"];
    Saml2Password::new(
        s(sm, "auth_url"),
        s(sm, "identity_provider"),
        s(sm, "protocol"),
        s(sm, "idp_ecp_url"),
        s(sm, "username"),
        password,
    )
}

#[tokio::test]
async fn saml2_ecp_through_simplesamlphp_and_mellon() {
    let env = peers();
    let session = Session::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let plugin = Federated::new(
        saml_flow(&env, &s(&env["saml"], "password")),
        Scope::ProjectId(s(&env, "project_id")),
    );
    assert_scoped(&plugin, &session, &s(&env, "project_id")).await;

    let fresh = Session::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let e = Federated::new(saml_flow(&env, "wrong-password"), ScopeParams::default())
        .token(&fresh)
        .await
        .unwrap_err();
    match e {
        Error::Unauthorized(h) => assert!(h.message.contains("Responder"), "{}", h.message),
        other => panic!("want Unauthorized, got {other:?}"),
    }
}

#[tokio::test]
async fn k2k_with_the_harness_keystone_as_identity_provider() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    let ks = Keystone::from_env();
    let admin = ks.admin().await;
    let sp_server = MockServer::start().await;
    let sp_id = keystoneauth_tests::unique_name("ksa-sp");
    let sp_auth_url = format!(
        "{}/v3/OS-FEDERATION/identity_providers/harness-idp/protocols/saml2/auth",
        sp_server.uri()
    );
    let sp_url = format!("{}/Shibboleth.sso/SAML2/ECP", sp_server.uri());
    let path_sp = format!("/OS-FEDERATION/service_providers/{sp_id}");
    admin
        .call(
            Method::PUT,
            &path_sp,
            Some(&json!({"service_provider": {
                "auth_url": sp_auth_url, "sp_url": sp_url, "enabled": true}})),
        )
        .await
        .unwrap();
    admin.delete_on_cleanup(path_sp);

    // The SP accepts the ECP envelope only if it holds Keystone's signed assertion.
    Mock::given(method("POST"))
        .and(path("/Shibboleth.sso/SAML2/ECP"))
        .and(header("Content-Type", "application/vnd.paos+xml"))
        .and(|r: &Request| {
            let b = String::from_utf8_lossy(&r.body);
            b.contains("Envelope") && b.contains("Assertion") && b.contains("SignatureValue")
        })
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/elsewhere"))
        .expect(1)
        .mount(&sp_server)
        .await;
    let mut unscoped = keystoneauth_testing::fixtures::V3Token::new();
    unscoped.federation("harness-idp", "saml2", &[]);
    Mock::given(method("GET"))
        .and(path(
            "/v3/OS-FEDERATION/identity_providers/harness-idp/protocols/saml2/auth",
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", "SP-UNSCOPED")
                .set_body_json(unscoped.to_json()),
        )
        .expect(1)
        .mount(&sp_server)
        .await;
    let mut scoped = keystoneauth_testing::fixtures::V3Token::new();
    scoped.project_scope("SPP", "sp-project", "default", "Default");
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(header("X-Auth-Token", "SP-UNSCOPED"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", "SP-SCOPED")
                .set_body_json(scoped.to_json()),
        )
        .expect(1)
        .mount(&sp_server)
        .await;

    let base = k2k_base(&ks);
    let session = Session::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let remote = Federated::new(
        Keystone2Keystone::new(base.clone(), sp_id.clone()),
        Scope::ProjectId("SPP".into()),
    );
    let token = remote.token(&session).await.unwrap().unwrap();
    assert_eq!(token.expose_secret(), "SP-SCOPED");
    assert_eq!(
        AuthPlugin::auth_url(&remote).as_deref(),
        Some(format!("{}/v3", sp_server.uri()).as_str())
    );

    let e = Federated::new(
        Keystone2Keystone::new(base, "no-such-sp"),
        ScopeParams::default(),
    )
    .token(&session)
    .await
    .unwrap_err();
    assert!(matches!(e, Error::ServiceProviderNotFound(_)), "{e}");
    admin.cleanup().await.unwrap();
}

/// The harness Keystone's admin, project-scoped: the K2K base plugin.
fn k2k_base(ks: &Keystone) -> Arc<dyn AuthPlugin> {
    let env = &ks.env;
    Arc::new(
        Password::new(ks.auth_url(), env.admin_password.clone())
            .username(env.admin_username.clone())
            .user_domain_id(env.admin_user_domain_id.clone())
            .scope(Scope::project_in_domain_id(
                env.admin_project_name.clone(),
                env.admin_project_domain_id.clone(),
            ))
            .into_plugin(),
    )
}

/// A project-scoped admin token of the service-provider Keystone (from the peers' env.json).
async fn k2k_sp_admin_token(http: &reqwest::Client, k: &Value) -> String {
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": s(k, "sp_admin_username"), "password": s(k, "sp_admin_password"),
            "domain": {"id": s(k, "sp_admin_domain_id")}}}},
        "scope": {"project": {"name": s(k, "sp_admin_project_name"),
            "domain": {"id": s(k, "sp_admin_domain_id")}}}}});
    let r = http
        .post(format!(
            "{}/auth/tokens?nocatalog",
            s(k, "sp_keystone_auth_url")
        ))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "SP admin login");
    r.headers()["X-Subject-Token"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn k2k_between_two_real_keystones() {
    let env = peers();
    let k = &env["k2k"];
    assert!(
        k.is_object(),
        "peers env.json has no `k2k` block: re-run `cargo xtask peers up`"
    );
    let ks = Keystone::from_env();
    assert_eq!(
        s(k, "idp_auth_url").trim_end_matches('/'),
        ks.auth_url().trim_end_matches('/'),
        "the peers were started for another harness Keystone"
    );
    let base = k2k_base(&ks);
    let session = Session::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let project_id = s(k, "project_id");
    let remote = Federated::new(
        Keystone2Keystone::new(base.clone(), s(k, "service_provider")),
        Scope::ProjectId(project_id.clone()),
    );
    let access: Arc<AccessInfo> = remote
        .access(&session)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "K2K failed: {e} (logs {}, {})",
                s(k, "frontend_log"),
                s(k, "sp_keystone_log")
            )
        })
        .expect("access info");
    // A project-scoped token of the SP Keystone for a federated user made from the IdP's user.
    assert_eq!(access.project_id(), Some(project_id.as_str()));
    assert!(access.is_federated(), "a federated user");
    let fed = access.federation().expect("OS-FEDERATION");
    assert_eq!(
        fed.identity_provider.as_deref(),
        Some(s(k, "identity_provider").as_str())
    );
    assert_eq!(fed.protocol.as_deref(), Some(s(k, "protocol").as_str()));
    assert_eq!(access.username(), Some(ks.env.admin_username.as_str()));
    assert!(access.role_names().contains(&s(k, "role_name").as_str()));
    assert!(access.has_service_catalog());
    assert_eq!(
        AuthPlugin::auth_url(&remote).as_deref(),
        Some(s(k, "sp_frontend_auth_url").as_str())
    );

    // The service provider validates it (and it is a different Keystone from the IdP).
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let token = access.auth_token().expose_secret().to_owned();
    let sp_admin = k2k_sp_admin_token(&http, k).await;
    let r = http
        .get(format!("{}/auth/tokens", s(k, "sp_keystone_auth_url")))
        .header("X-Auth-Token", &sp_admin)
        .header("X-Subject-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the SP Keystone validates the K2K token");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token"]["project"]["id"], json!(project_id));
    assert_eq!(
        v["token"]["user"]["OS-FEDERATION"]["identity_provider"]["id"],
        json!(s(k, "identity_provider"))
    );
    let r = http
        .get(format!(
            "{}/auth/tokens",
            ks.auth_url().trim_end_matches('/')
        ))
        .header("X-Auth-Token", &token)
        .header("X-Subject-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "the IdP Keystone does not know the SP's token"
    );

    // A tampered assertion (other user name, same signature) is refused by mellon and opens
    // no session at the SP's auth URL.
    let a_token = base.token(&session).await.unwrap().unwrap();
    let r = http
        .post(format!(
            "{}/auth/OS-FEDERATION/saml2/ecp",
            ks.auth_url().trim_end_matches('/')
        ))
        .json(&json!({"auth": {
            "identity": {"methods": ["token"], "token": {"id": a_token.expose_secret()}},
            "scope": {"service_provider": {"id": s(k, "service_provider")}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "ECP assertion from the IdP");
    let good = r.text().await.unwrap();
    let user = format!(">{}</saml:AttributeValue>", ks.env.admin_username);
    let bad = good.replacen(&user, ">mallory</saml:AttributeValue>", 1);
    assert_ne!(bad, good, "the assertion names the IdP user");
    let r = http
        .post(s(k, "sp_url"))
        .header("Content-Type", "application/vnd.paos+xml")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_client_error(),
        "mellon must refuse a tampered assertion, got {}",
        r.status()
    );
    let r = http.get(s(k, "sp_auth_url")).send().await.unwrap();
    assert_ne!(r.status(), 201, "no token without a valid assertion");
    assert!(r.headers().get("X-Subject-Token").is_none());
}

/// The value of `attr="…"` in the first tag after `after` in `html`.
fn attr_after(html: &str, after: &str, attr: &str) -> Option<String> {
    let rest = &html[html.find(after)?..];
    let key = format!("{attr}=\"");
    let start = rest.find(&key)? + key.len();
    Some(rest[start..].split('"').next()?.to_owned())
}

#[tokio::test]
async fn websso_through_mod_auth_openidc() {
    // v3websso against the real chain: Keystone's WebSSO URL behind mod_auth_openidc as a
    // relying party. The test is the browser: it opens the URL the plugin shows, logs in on
    // oidc-provider's pages, comes back through mod_auth_openidc's redirect URI to Keystone,
    // whose page posts the token to the plugin's callback (a trusted dashboard in
    // keystone.conf); the plugin validates it and rescopes it to the project.
    let p = Arc::new(Oidc::new());
    let port = p.o["websso_redirect_port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .expect("peers env.json: oidc.websso_redirect_port");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let flow = WebSso::new(
        p.get("auth_url"),
        p.get("identity_provider"),
        p.get("protocol"),
    )
    .redirect_host("127.0.0.1")
    .redirect_port(port)
    .login_timeout(Duration::from_secs(90))
    .open_browser(false)
    .username(p.get("username"))
    .prompt(move |url| {
        let _ = tx.send(url.to_owned());
    });
    let plugin = Arc::new(Federated::new(flow, p.project()));
    let session = p.session();
    let (pl, se) = (plugin.clone(), session.clone());
    let auth = tokio::spawn(async move { pl.access(&se).await });
    let url = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("the plugin shows the login URL")
        .expect("a login URL");
    assert!(url.starts_with(&p.get("websso_url")), "{url}");

    let http = p.http();
    let first = http.get(&url).send().await.unwrap();
    assert!(
        first.status().is_redirection(),
        "mod_auth_openidc sends the browser to the OP: {}",
        first.status()
    );
    let (page_url, html) = match browse(&p, &http, first, None).await.unwrap() {
        Landed::Page { url, status, html } => {
            assert_eq!(status, 200, "Keystone's WebSSO page at {url}: {html}");
            (url, html)
        }
        Landed::Redirect(u) => panic!("unexpected stop at {u}"),
    };
    let callback = attr_after(&html, "<form", "action")
        .unwrap_or_else(|| panic!("no form in Keystone's page: {html}"));
    assert_eq!(callback, format!("http://127.0.0.1:{port}/auth/websso/"));
    let token = attr_after(&html, "name=\"token\"", "value").expect("a token field");
    let keystone_origin = page_url.origin().ascii_serialization();
    let posted = http
        .post(&callback)
        .header("Sec-Fetch-Mode", "navigate")
        .header("Sec-Fetch-Dest", "document")
        .header("Sec-Fetch-Site", "cross-site")
        .header("Origin", &keystone_origin)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let access = tokio::time::timeout(Duration::from_secs(60), auth)
        .await
        .expect("the plugin finishes once the token is posted")
        .unwrap()
        .unwrap_or_else(|e| panic!("websso failed: {e}"))
        .unwrap();
    assert_eq!(access.project_id(), Some(s(&p.env, "project_id").as_str()));
    assert!(access.is_federated());
    assert!(access.has_service_catalog());
    assert_eq!(access.username(), Some(p.get("username").as_str()));
    // The unscoped WebSSO token was kept: a second plugin state round trip works.
    assert!(plugin.unscoped_auth_state().is_some());
}

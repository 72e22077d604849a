//! Every federation flow against wiremock: payloads as keystoneauth1 sends them (FEATURES §20),
//! client authentication, discovery, PKCE, device polling with paused time, errors, SAML2 ECP
//! and K2K.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use keystoneauth_core::plugin::cache_id_from_elements;
use keystoneauth_core::registry::{self, OptionValues};
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, AccessInfoPlugin, AuthPlugin, Error, Session};
use keystoneauth_federation::k2k::Keystone2Keystone;
use keystoneauth_federation::oidc::{
    DeviceCode, OidcAccessToken, OidcAuthorizationCode, OidcClientCredentials,
    OidcDeviceAuthorization, OidcPassword, OtpSource,
};
use keystoneauth_federation::saml2::Saml2Password;
use keystoneauth_federation::OidcError;
use keystoneauth_federation::{Federated, Scope, ScopeParams, UnscopedAuth};
use keystoneauth_testing::fixtures::V3Token;
use keystoneauth_testing::mock::{json, serve, serve_times, token_created};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use wiremock::matchers::{body_json, body_string, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const FED_PATH: &str = "/v3/OS-FEDERATION/identity_providers/idp/protocols/openid/auth";

fn session() -> Session {
    Session::builder().build().unwrap()
}

fn unscoped_body() -> Value {
    let mut t = V3Token::new();
    t.federation("idp", "openid", &["g1"]);
    t.to_json()
}

fn scoped_body() -> Value {
    let mut t = V3Token::new();
    t.project_scope("P", "proj", "default", "Default");
    t.to_json()
}

fn rescope_body(token: &str) -> Value {
    json!({"auth": {"identity": {"methods": ["token"], "token": {"id": token}},
                     "scope": {"project": {"id": "P"}}}})
}

/// Keystone: the federated auth URL takes `Bearer AT`; rescoping takes UNSCOPED.
async fn mount_keystone(server: &MockServer, access_token: &str, fed_calls: u64) {
    Mock::given(method("POST"))
        .and(path(FED_PATH))
        .and(header(
            "Authorization",
            format!("Bearer {access_token}").as_str(),
        ))
        .respond_with(token_created("UNSCOPED", unscoped_body()))
        .expect(fed_calls)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(header("X-Auth-Token", "UNSCOPED"))
        .and(body_json(rescope_body("UNSCOPED")))
        .respond_with(token_created("SCOPED", scoped_body()))
        .mount(server)
        .await;
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn no_header(name: &'static str) -> impl Fn(&Request) -> bool {
    move |r: &Request| !r.headers.contains_key(name)
}

async fn token_of(plugin: &dyn AuthPlugin, s: &Session) -> keystoneauth_core::Result<String> {
    Ok(plugin
        .token(s)
        .await?
        .expect("a token")
        .expose_secret()
        .to_owned())
}

#[tokio::test]
async fn oidc_password_with_secret_uses_basic_auth_and_rescopes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("Authorization", basic("cid", "csec").as_str()))
        .and(header("Content-Type", "application/x-www-form-urlencoded"))
        .and(body_string(
            "username=u&password=p&scope=openid+profile&grant_type=password",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "AT", "token_type": "Bearer"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_keystone(&server, "AT", 1).await;
    let flow = OidcPassword::new(
        format!("{}/v3", server.uri()),
        "idp",
        "openid",
        "cid",
        "u",
        "p",
    )
    .client_secret("csec")
    .access_token_endpoint(format!("{}/token", server.uri()));
    let plugin = Federated::new(flow, Scope::ProjectId("P".into()));
    let s = session();
    assert_eq!(token_of(&plugin, &s).await.unwrap(), "SCOPED");
    assert_eq!(plugin.project_id(&s).await.unwrap().as_deref(), Some("P"));
    assert_eq!(
        plugin.cache_id(),
        None,
        "federation plugins have no scoped cache id"
    );
    assert_eq!(
        AuthPlugin::auth_url(&plugin).as_deref(),
        Some(format!("{}/v3", server.uri()).as_str())
    );
}

#[tokio::test]
async fn oidc_password_public_client_sends_client_id_and_otp_from_callback() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(no_header("authorization"))
        .and(body_string(
            "username=u&password=p&scope=openid&totp=123456&grant_type=password&client_id=cid",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "AT"})))
        .expect(1)
        .mount(&server)
        .await;
    mount_keystone(&server, "AT", 1).await;
    let asked = Arc::new(AtomicUsize::new(0));
    let a = asked.clone();
    let flow = OidcPassword::new(server.uri(), "idp", "openid", "cid", "u", "p")
        .openid_scope("openid")
        .access_token_endpoint(format!("{}/token", server.uri()))
        .idp_otp_key("totp")
        .otp(OtpSource::Prompt(Arc::new(move || {
            a.fetch_add(1, Ordering::SeqCst);
            Ok(SecretString::from("123456"))
        })));
    let plugin = Federated::new(flow, ScopeParams::default());
    assert_eq!(token_of(&plugin, &session()).await.unwrap(), "UNSCOPED");
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn oidc_password_otp_key_without_a_source_fails_before_any_request() {
    let server = MockServer::start().await;
    let flow = OidcPassword::new(server.uri(), "idp", "openid", "cid", "u", "p")
        .access_token_endpoint(format!("{}/token", server.uri()))
        .idp_otp_key("totp");
    let err = Federated::new(flow, ScopeParams::default())
        .token(&session())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AuthorizationFailure(ref m) if m.contains("totp")),
        "{err}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn oidc_client_credentials_discovery_is_fetched_once_and_invalidate_drops_unscoped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": server.uri(),
            "token_endpoint": format!("{}/token", server.uri()),
            "grant_types_supported": ["client_credentials", "password"],
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("Authorization", basic("cc", "ccsec").as_str()))
        .and(body_string(
            "scope=openid+profile&grant_type=client_credentials",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "AT"})))
        .expect(2)
        .mount(&server)
        .await;
    mount_keystone(&server, "AT", 2).await;
    let flow = OidcClientCredentials::new(server.uri(), "idp", "openid", "cc")
        .client_secret("ccsec")
        .discovery_endpoint(format!("{}/.well-known/openid-configuration", server.uri()));
    let plugin = Federated::new(flow, Scope::ProjectId("P".into()));
    let s = session();
    assert_eq!(token_of(&plugin, &s).await.unwrap(), "SCOPED");
    assert!(plugin.unscoped_auth_state().is_some());
    assert!(plugin.invalidate());
    assert!(
        plugin.unscoped_auth_state().is_none(),
        "invalidate drops the unscoped token"
    );
    assert_eq!(token_of(&plugin, &s).await.unwrap(), "SCOPED");
}

#[tokio::test]
async fn oidc_grant_not_in_discovery_is_not_supported() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/disc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_endpoint": format!("{}/token", server.uri()),
            "grant_types_supported": ["authorization_code"],
        })))
        .mount(&server)
        .await;
    let flow = OidcPassword::new(server.uri(), "idp", "openid", "cid", "u", "p")
        .discovery_endpoint(format!("{}/disc", server.uri()));
    let err = Federated::new(flow, ScopeParams::default())
        .token(&session())
        .await
        .unwrap_err();
    assert!(
        matches!(err.plugin_error::<OidcError>(), Some(OidcError::PluginNotSupported(g)) if g == "password"),
        "{err}"
    );
}

#[tokio::test]
async fn oidc_explicit_token_endpoint_wins_over_discovery() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/disc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_endpoint": format!("{}/wrong", server.uri()),
        })))
        .mount(&server)
        .await;
    serve_times(
        &server,
        "POST /token",
        json(200, json!({"access_token": "AT"})),
        1,
    )
    .await;
    mount_keystone(&server, "AT", 1).await;
    let flow = OidcClientCredentials::new(server.uri(), "idp", "openid", "cid")
        .discovery_endpoint(format!("{}/disc", server.uri()))
        .access_token_endpoint(format!("{}/token", server.uri()));
    assert_eq!(
        token_of(&Federated::new(flow, ScopeParams::default()), &session())
            .await
            .unwrap(),
        "UNSCOPED"
    );
}

#[tokio::test]
async fn oidc_endpoint_and_discovery_errors() {
    let server = MockServer::start().await;
    serve(
        &server,
        "GET /bad",
        ResponseTemplate::new(200).set_body_string("<html>nope</html>"),
    )
    .await;
    serve(&server, "GET /nodisc", ResponseTemplate::new(404)).await;
    serve(&server, "GET /nodevice", json(200, json!({"issuer": "x"}))).await;
    let s = session();
    let none = OidcClientCredentials::new(server.uri(), "idp", "openid", "cid");
    let e = Federated::new(none, ScopeParams::default())
        .token(&s)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.plugin_error::<OidcError>(),
            Some(OidcError::AccessTokenEndpointNotFound)
        ),
        "{e}"
    );

    let bad = OidcClientCredentials::new(server.uri(), "idp", "openid", "cid")
        .discovery_endpoint(format!("{}/bad", server.uri()));
    let e = Federated::new(bad, ScopeParams::default())
        .token(&s)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.plugin_error::<OidcError>(),
            Some(OidcError::InvalidDiscoveryDocument(_))
        ),
        "{e}"
    );

    let missing = OidcClientCredentials::new(server.uri(), "idp", "openid", "cid")
        .discovery_endpoint(format!("{}/nodisc", server.uri()));
    let e = Federated::new(missing, ScopeParams::default())
        .token(&s)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e}");

    let nodev = OidcDeviceAuthorization::new(server.uri(), "idp", "openid", "cid")
        .discovery_endpoint(format!("{}/nodevice", server.uri()));
    let e = Federated::new(nodev, ScopeParams::default())
        .token(&s)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.plugin_error::<OidcError>(),
            Some(OidcError::DeviceAuthorizationEndpointNotFound)
        ),
        "{e}"
    );
}

#[tokio::test]
async fn oidc_authorization_code_payload_and_id_token_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("Authorization", basic("cid", "csec").as_str()))
        .and(body_string(
            "redirect_uri=https%3A%2F%2Fapp%2Fcb&code=C0DE&grant_type=authorization_code",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "AT", "id_token": "IDT"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_keystone(&server, "IDT", 1).await;
    let flow = OidcAuthorizationCode::new(server.uri(), "idp", "openid", "cid", "C0DE")
        .client_secret("csec")
        .redirect_uri("https://app/cb")
        .access_token_type("id_token")
        .access_token_endpoint(format!("{}/token", server.uri()));
    let plugin = Federated::new(flow, Scope::ProjectId("P".into()));
    assert_eq!(token_of(&plugin, &session()).await.unwrap(), "SCOPED");
}

#[tokio::test]
async fn oidc_access_token_goes_straight_to_keystone() {
    let server = MockServer::start().await;
    mount_keystone(&server, "MYTOKEN", 1).await;
    let flow = OidcAccessToken::new(server.uri(), "idp", "openid", "MYTOKEN");
    let plugin = Federated::new(flow, ScopeParams::default());
    let expected = cache_id_from_elements([
        ("auth_url", Some(server.uri())),
        ("identity_provider", Some("idp".to_owned())),
        ("protocol", Some("openid".to_owned())),
        ("client_id", Some(String::new())),
        ("client_secret", Some(String::new())),
        ("access_token", Some("MYTOKEN".to_owned())),
    ]);
    assert_eq!(plugin.unscoped_cache_id(), Some(expected));
    let s = session();
    assert_eq!(token_of(&plugin, &s).await.unwrap(), "UNSCOPED");
    let access = plugin.access(&s).await.unwrap().unwrap();
    assert!(access.is_federated());
    assert!(!access.scoped());
}

#[tokio::test]
async fn oidc_provider_errors_are_typed() {
    let server = MockServer::start().await;
    let cases = [
        (
            "/grant",
            ResponseTemplate::new(400).set_body_json(
                json!({"error": "invalid_grant", "error_description": "invalid credentials provided"}),
            ),
            ("invalid_grant", "invalid credentials provided", 400),
        ),
        (
            "/client",
            ResponseTemplate::new(401).set_body_json(json!({"error": "unauthorized_client"})),
            ("unauthorized_client", "{\"error\":\"unauthorized_client\"}", 401),
        ),
        (
            "/html",
            ResponseTemplate::new(500)
                .insert_header("Content-Type", "text/html")
                .set_body_string("<html><head><title>Oops</title><style>p{}</style></head><body><p>Something   broke</p></body></html>"),
            ("Internal Server Error", "Oops Something broke", 500),
        ),
    ];
    for (p, resp, _) in &cases {
        serve(&server, &format!("POST {}", *p), resp.clone()).await;
    }
    for (p, _, (error, description, status)) in cases {
        let flow = OidcPassword::new(server.uri(), "idp", "openid", "cid", "u", "p")
            .access_token_endpoint(format!("{}{p}", server.uri()));
        let e = Federated::new(flow, ScopeParams::default())
            .token(&session())
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            Error::from(OidcError::Provider {
                error: error.into(),
                description: description.into(),
                status
            })
            .to_string()
        );
    }
}

#[tokio::test]
async fn keystone_refusing_the_bearer_is_unauthorized() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(FED_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}),
        ))
        .mount(&server)
        .await;
    let flow = OidcAccessToken::new(format!("{}/v3/", server.uri()), "idp", "openid", "forged");
    let e = Federated::new(flow, ScopeParams::default())
        .token(&session())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)), "{e}");
}

fn counting_idp_flow(server: &MockServer) -> OidcPassword {
    OidcPassword::new(server.uri(), "idp", "openid", "cid", "u", "p")
        .access_token_endpoint(format!("{}/token", server.uri()))
}

async fn mount_idp(server: &MockServer, calls: u64) {
    serve_times(
        server,
        "POST /token",
        json(200, json!({"access_token": "AT"})),
        calls,
    )
    .await;
    serve_times(
        server,
        &format!("POST {FED_PATH}"),
        token_created("UNSCOPED", unscoped_body()),
        calls,
    )
    .await;
}

#[tokio::test]
async fn unscoped_token_is_reused_for_the_next_rescope() {
    let server = MockServer::start().await;
    mount_idp(&server, 1).await;
    serve_times(
        &server,
        "POST /v3/auth/tokens",
        token_created("SCOPED", scoped_body()),
        2,
    )
    .await;
    let plugin = Federated::new(counting_idp_flow(&server), Scope::ProjectId("P".into()));
    let s = session();
    token_of(&plugin, &s).await.unwrap();
    // Drop only the scoped token: the unscoped one is reused.
    plugin.set_auth_state(None).unwrap();
    token_of(&plugin, &s).await.unwrap();
}

#[tokio::test]
async fn expiring_unscoped_token_is_not_reused() {
    let server = MockServer::start().await;
    let mut t = V3Token::new();
    t.federation("idp", "openid", &[]);
    t.expires(time::OffsetDateTime::now_utc() + time::Duration::seconds(60));
    serve_times(
        &server,
        "POST /token",
        json(200, json!({"access_token": "AT"})),
        2,
    )
    .await;
    serve_times(
        &server,
        &format!("POST {FED_PATH}"),
        token_created("UNSCOPED", t.to_json()),
        2,
    )
    .await;
    serve_times(
        &server,
        "POST /v3/auth/tokens",
        token_created("SCOPED", scoped_body()),
        2,
    )
    .await;
    let plugin = Federated::new(counting_idp_flow(&server), Scope::ProjectId("P".into()));
    let s = session();
    token_of(&plugin, &s).await.unwrap();
    plugin.set_auth_state(None).unwrap();
    token_of(&plugin, &s).await.unwrap();
}

#[tokio::test]
async fn rescope_401_after_reuse_gets_a_fresh_unscoped_token_once() {
    let server = MockServer::start().await;
    mount_idp(&server, 2).await;
    let ok = || token_created("SCOPED", scoped_body());
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(ok())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    serve_times(&server, "POST /v3/auth/tokens", ok(), 1).await;
    let plugin = Federated::new(counting_idp_flow(&server), Scope::ProjectId("P".into()));
    let s = session();
    token_of(&plugin, &s).await.unwrap();
    plugin.set_auth_state(None).unwrap();
    assert_eq!(token_of(&plugin, &s).await.unwrap(), "SCOPED");
}

#[tokio::test]
async fn rescope_401_with_a_fresh_unscoped_token_is_not_retried() {
    let server = MockServer::start().await;
    mount_idp(&server, 1).await;
    serve_times(
        &server,
        "POST /v3/auth/tokens",
        ResponseTemplate::new(401),
        1,
    )
    .await;
    let plugin = Federated::new(counting_idp_flow(&server), Scope::ProjectId("P".into()));
    let e = plugin.token(&session()).await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)), "{e}");
}

#[tokio::test]
async fn unscoped_auth_state_round_trips_and_is_checked() {
    let server = MockServer::start().await;
    mount_idp(&server, 1).await;
    let plugin = Federated::new(counting_idp_flow(&server), ScopeParams::default());
    let s = session();
    token_of(&plugin, &s).await.unwrap();
    let state = plugin.unscoped_auth_state().unwrap();
    let again = Federated::new(counting_idp_flow(&server), ScopeParams::default());
    assert_eq!(
        again.unscoped_cache_id(),
        plugin.unscoped_cache_id(),
        "same credentials, same unscoped cache id"
    );
    again.set_unscoped_auth_state(Some(&state)).unwrap();
    // Served from the saved unscoped token: the IdP mocks expect one call in all.
    assert_eq!(token_of(&again, &s).await.unwrap(), "UNSCOPED");

    let e = again.set_unscoped_auth_state(Some("[1]")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Not an unscoped auth state produced by this API"
    );
    let v2 = json!({"auth_token": "t", "body": {"access": {}}}).to_string();
    let e = again.set_unscoped_auth_state(Some(&v2)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Unscoped auth state is not an identity v3 token"
    );
    again.set_unscoped_auth_state(None).unwrap();
    assert!(again.unscoped_auth_state().is_none());
}

// ---------------------------------------------------------------- device authorization

const DEVICE_GRANT: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code";

fn form(r: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&r.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn mount_device(server: &MockServer, expires_in: u64, interval: u64) {
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_endpoint": format!("{}/token", server.uri()),
            "device_authorization_endpoint": format!("{}/device", server.uri()),
            "grant_types_supported": ["urn:ietf:params:oauth:grant-type:device_code"],
        })))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/device"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "device_code": "DC", "user_code": "UC",
            "verification_uri": "http://idp/verify",
            "expires_in": expires_in, "interval": interval,
        })))
        .expect(1)
        .mount(server)
        .await;
}

/// With paused time, an idle pooled connection's timer would let the clock jump while a
/// request is in flight: no pooling keeps the device-flow timings exact.
fn paused_session() -> Session {
    Session::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

fn pending(error: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"error": error}))
}

#[tokio::test(start_paused = true)]
async fn device_flow_pkce_pending_then_slow_down_then_token() {
    let server = MockServer::start().await;
    mount_device(&server, 600, 5).await;
    for e in ["authorization_pending", "slow_down"] {
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(pending(e))
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    serve(
        &server,
        "POST /token",
        json(200, json!({"access_token": "AT"})),
    )
    .await;
    mount_keystone(&server, "AT", 1).await;
    let shown: Arc<Mutex<Vec<DeviceCode>>> = Arc::default();
    let sh = shown.clone();
    let flow = OidcDeviceAuthorization::new(server.uri(), "idp", "openid", "cid")
        .discovery_endpoint(format!("{}/.well-known/openid-configuration", server.uri()))
        .code_challenge_method("S256")
        .prompt(move |c| sh.lock().unwrap().push(c.clone()));
    let plugin = Federated::new(flow, Scope::ProjectId("P".into()));
    let start = tokio::time::Instant::now();
    assert_eq!(
        token_of(&plugin, &paused_session()).await.unwrap(),
        "SCOPED"
    );
    // 5 s after authorization_pending, then 5 + 5 s after slow_down.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(15) && waited < Duration::from_secs(16),
        "{waited:?}"
    );
    assert_eq!(
        shown.lock().unwrap().as_slice(),
        &[DeviceCode {
            user_code: "UC".into(),
            verification_uri: "http://idp/verify".into(),
            verification_uri_complete: None,
            expires_in: Duration::from_secs(600),
        }]
    );

    let reqs = server.received_requests().await.unwrap();
    let device = reqs.iter().find(|r| r.url.path() == "/device").unwrap();
    let body = String::from_utf8(device.body.clone()).unwrap();
    let f = form(device);
    let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "client_id",
            "scope",
            "code_challenge_method",
            "code_challenge"
        ],
        "{body}"
    );
    assert!(body.starts_with(
        "client_id=cid&scope=openid+profile&code_challenge_method=S256&code_challenge="
    ));
    let challenge = &f[3].1;
    assert_eq!(challenge.len(), 43);
    let polls: Vec<&Request> = reqs.iter().filter(|r| r.url.path() == "/token").collect();
    assert_eq!(polls.len(), 3);
    for p in &polls {
        let body = String::from_utf8(p.body.clone()).unwrap();
        let f = form(p);
        assert_eq!(f[0], ("device_code".into(), "DC".into()));
        assert_eq!(f[1].0, "code_verifier");
        assert_eq!(f[1].1.len(), 56);
        assert_eq!(
            &URL_SAFE_NO_PAD.encode(Sha256::digest(f[1].1.as_bytes())),
            challenge
        );
        assert!(
            body.ends_with(&format!("&grant_type={DEVICE_GRANT}&client_id=cid")),
            "{body}"
        );
        assert!(!p.headers.contains_key("authorization"));
    }
}

#[tokio::test(start_paused = true)]
async fn device_flow_times_out_at_expires_in() {
    let server = MockServer::start().await;
    mount_device(&server, 12, 5).await;
    serve_times(&server, "POST /token", pending("authorization_pending"), 3).await;
    let flow = OidcDeviceAuthorization::new(server.uri(), "idp", "openid", "cid")
        .discovery_endpoint(format!("{}/.well-known/openid-configuration", server.uri()));
    let start = tokio::time::Instant::now();
    let e = Federated::new(flow, ScopeParams::default())
        .token(&paused_session())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.plugin_error::<OidcError>(),
            Some(OidcError::DeviceAuthorizationTimeOut)
        ),
        "{e}"
    );
    assert!(
        start.elapsed() <= Duration::from_secs(12),
        "{:?}",
        start.elapsed()
    );
    // Without PKCE no challenge is sent.
    let reqs = server.received_requests().await.unwrap();
    let device = reqs.iter().find(|r| r.url.path() == "/device").unwrap();
    assert_eq!(
        String::from_utf8(device.body.clone()).unwrap(),
        "client_id=cid&scope=openid+profile"
    );
}

#[tokio::test(start_paused = true)]
async fn device_flow_with_secret_and_denial() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/device"))
        .and(header("Authorization", basic("cid", "csec").as_str()))
        .and(body_string("client_id=cid&scope=openid"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "device_code": "DC", "user_code": "UC",
            "verification_uri": "http://idp/verify",
            "verification_uri_complete": "http://idp/verify?code=UC",
            "expires_in": 60,
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("Authorization", basic("cid", "csec").as_str()))
        .and(body_string(format!(
            "device_code=DC&grant_type={DEVICE_GRANT}&client_id=cid"
        )))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "access_denied", "error_description": "End-User aborted interaction"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let flow = OidcDeviceAuthorization::new(server.uri(), "idp", "openid", "cid")
        .client_secret("csec")
        .openid_scope("openid")
        .device_authorization_endpoint(format!("{}/device", server.uri()))
        .access_token_endpoint(format!("{}/token", server.uri()));
    let e = Federated::new(flow, ScopeParams::default())
        .token(&paused_session())
        .await
        .unwrap_err();
    assert!(
        matches!(e.plugin_error::<OidcError>(), Some(OidcError::Provider { error, status: 400, .. }) if error == "access_denied"),
        "{e}"
    );
    let bad = OidcDeviceAuthorization::new(server.uri(), "idp", "openid", "cid")
        .code_challenge_method("S512")
        .device_authorization_endpoint(format!("{}/device", server.uri()));
    let e = Federated::new(bad, ScopeParams::default())
        .token(&paused_session())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.plugin_error::<OidcError>(),
            Some(OidcError::InvalidCodeChallengeMethod(_))
        ),
        "{e}"
    );
}

// ---------------------------------------------------------------- SAML2 ECP

const SAML_FED: &str = "/v3/OS-FEDERATION/identity_providers/samlidp/protocols/saml2/auth";
const NS: &str = r#"xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecp="urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp""#;

fn sp_envelope(consumer: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<S:Envelope {NS}><S:Header><paos:Request xmlns:paos="urn:liberty:paos:2003-08" S:actor="http://schemas.xmlsoap.org/soap/actor/next" S:mustUnderstand="1" responseConsumerURL="{consumer}" service="urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp"/><ecp:Request S:actor="http://schemas.xmlsoap.org/soap/actor/next" S:mustUnderstand="1" IsPassive="0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sp/metadata</saml:Issuer></ecp:Request><ecp:RelayState S:actor="http://schemas.xmlsoap.org/soap/actor/next" S:mustUnderstand="1">RS-42</ecp:RelayState></S:Header><S:Body><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_req1" Version="2.0" AssertionConsumerServiceURL="{consumer}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:PAOS"/></S:Body></S:Envelope>"#
    )
}

fn idp_envelope(acs: &str, status: &str, message: &str) -> String {
    format!(
        r#"<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Header><ecp:Response xmlns:ecp="urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp" soap-env:mustUnderstand="1" soap-env:actor="http://schemas.xmlsoap.org/soap/actor/next" AssertionConsumerServiceURL="{acs}"/></soap-env:Header><soap-env:Body><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" InResponseTo="_req1" Version="2.0"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:{status}"/>{message}</samlp:Status></samlp:Response></soap-env:Body></soap-env:Envelope>"#
    )
}

async fn mount_sp(server: &MockServer) {
    let consumer = format!("{}/mellon/paosResponse", server.uri());
    Mock::given(method("GET"))
        .and(path(SAML_FED))
        .and(header("Accept", "application/vnd.paos+xml"))
        .and(header(
            "PAOS",
            r#"ver="urn:liberty:paos:2003-08";"urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp""#,
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(sp_envelope(&consumer), "application/vnd.paos+xml"),
        )
        .expect(1)
        .mount(server)
        .await;
}

fn saml_flow(server: &MockServer, password: &str) -> Saml2Password {
    Saml2Password::new(
        format!("{}/v3", server.uri()),
        "samlidp",
        "saml2",
        format!("{}/idp/ecp", server.uri()),
        "alice",
        password,
    )
}

#[tokio::test]
async fn saml2_ecp_end_to_end_with_relay_state_cookie_and_rescope() {
    let server = MockServer::start().await;
    let consumer = format!("{}/mellon/paosResponse", server.uri());
    // The final GET carries the SP's session cookie and gets the token.
    Mock::given(method("GET"))
        .and(path(SAML_FED))
        .and(header("cookie", "mellon-cookie=sess1"))
        .respond_with(token_created("UNSCOPED", unscoped_body()))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_sp(&server).await;
    Mock::given(method("POST"))
        .and(path("/idp/ecp"))
        .and(header("Authorization", basic("alice", "pw").as_str()))
        .and(header("Content-Type", "text/xml"))
        .and(|r: &Request| {
            let b = String::from_utf8_lossy(&r.body);
            b.contains("<samlp:AuthnRequest") && !b.contains("Header") && !b.contains("RelayState")
        })
        .respond_with(
            ResponseTemplate::new(200).set_body_string(idp_envelope(&consumer, "Success", "")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mellon/paosResponse"))
        .and(header("Content-Type", "application/vnd.paos+xml"))
        .and(|r: &Request| {
            let b = String::from_utf8_lossy(&r.body);
            let doc = roxmltree::Document::parse(&b).unwrap();
            let relay = doc
                .descendants()
                .find(|n| n.tag_name().name() == "RelayState")
                .and_then(|n| n.text());
            relay == Some("RS-42") && !b.contains("ecp:Response") && b.contains("samlp:Response")
        })
        .respond_with(
            ResponseTemplate::new(303)
                .insert_header("Location", SAML_FED)
                .insert_header("Set-Cookie", "mellon-cookie=sess1; Path=/"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(body_json(rescope_body("UNSCOPED")))
        .respond_with(token_created("SCOPED", scoped_body()))
        .expect(1)
        .mount(&server)
        .await;
    let plugin = Federated::new(saml_flow(&server, "pw"), Scope::ProjectId("P".into()));
    assert_eq!(token_of(&plugin, &session()).await.unwrap(), "SCOPED");
}

#[tokio::test]
async fn saml2_wrong_password_is_unauthorized_even_with_http_200() {
    let server = MockServer::start().await;
    let consumer = format!("{}/mellon/paosResponse", server.uri());
    mount_sp(&server).await;
    Mock::given(method("POST"))
        .and(path("/idp/ecp"))
        .respond_with(ResponseTemplate::new(200).set_body_string(idp_envelope(
            &consumer,
            "Responder",
            "<samlp:StatusMessage>WRONGUSERPASS</samlp:StatusMessage>",
        )))
        .mount(&server)
        .await;
    serve_times(
        &server,
        "POST /mellon/paosResponse",
        ResponseTemplate::new(400),
        0,
    )
    .await;
    let e = Federated::new(saml_flow(&server, "bad"), ScopeParams::default())
        .token(&session())
        .await
        .unwrap_err();
    match e {
        Error::Unauthorized(h) => {
            assert_eq!(h.status, 401);
            assert!(
                h.message.contains("Responder: WRONGUSERPASS"),
                "{}",
                h.message
            );
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn saml2_idp_http_401_is_unauthorized() {
    let server = MockServer::start().await;
    mount_sp(&server).await;
    serve(&server, "POST /idp/ecp", ResponseTemplate::new(401)).await;
    let e = Federated::new(saml_flow(&server, "bad"), ScopeParams::default())
        .token(&session())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)), "{e}");
}

#[tokio::test]
async fn saml2_consumer_mismatch_sends_a_soap_fault_to_the_sp() {
    let server = MockServer::start().await;
    mount_sp(&server).await;
    Mock::given(method("POST"))
        .and(path("/idp/ecp"))
        .respond_with(ResponseTemplate::new(200).set_body_string(idp_envelope(
            "https://evil.example/acs",
            "Success",
            "",
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mellon/paosResponse"))
        .and(header("Content-Type", "application/vnd.paos+xml"))
        .and(|r: &Request| {
            let b = String::from_utf8_lossy(&r.body);
            b.contains("<faultcode>S:Server</faultcode>") && !b.contains("samlp:Response")
        })
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let e = Federated::new(saml_flow(&server, "pw"), ScopeParams::default())
        .token(&session())
        .await
        .unwrap_err();
    assert!(
        matches!(e.plugin_error::<keystoneauth_federation::SamlError>(), Some(s) if s.message().contains("are not equal") && s.message().contains("evil.example")),
        "{e}"
    );
}

#[tokio::test]
async fn saml2_redirect_to_another_host_is_refused() {
    let server = MockServer::start().await;
    let consumer = format!("{}/mellon/paosResponse", server.uri());
    mount_sp(&server).await;
    Mock::given(method("POST"))
        .and(path("/idp/ecp"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(idp_envelope(&consumer, "Success", "")),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mellon/paosResponse"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("Location", "http://127.0.0.2:1/steal"),
        )
        .mount(&server)
        .await;
    let e = Federated::new(saml_flow(&server, "pw"), ScopeParams::default())
        .token(&session())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidResponse(ref m) if m.contains("is not on the same host")),
        "{e}"
    );
}

#[tokio::test]
async fn saml2_garbage_from_the_sp_is_invalid_response() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SAML_FED))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>",
            "application/vnd.paos+xml",
        ))
        .mount(&server)
        .await;
    let e = Federated::new(saml_flow(&server, "pw"), ScopeParams::default())
        .token(&session())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidResponse(ref m) if m.contains("Service Provider")),
        "{e}"
    );
}

// ---------------------------------------------------------------- K2K

const ECP_XML: &str = include_str!("data/k2k_saml2_ecp_response.xml");

fn idp_access(server: &MockServer) -> AccessInfo {
    let mut t = V3Token::new();
    t.project_scope("LP", "local", "default", "Default");
    t.add_service_provider(
        "sp1",
        &format!(
            "{}/sp/v3/OS-FEDERATION/identity_providers/k2kidp/protocols/saml2/auth",
            server.uri()
        ),
        &format!("{}/sp/Shibboleth.sso/SAML2/ECP", server.uri()),
    );
    let body = serde_json::to_vec(&t.to_json()).unwrap();
    AccessInfo::from_body(&body, Some(SecretString::from("LOCAL"))).unwrap()
}

#[tokio::test]
async fn k2k_gets_a_token_on_the_service_provider_and_rescopes_there() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/OS-FEDERATION/saml2/ecp"))
        .and(header("Accept", "application/json"))
        .and(no_header("x-auth-token"))
        .and(body_json(json!({"auth": {
            "identity": {"methods": ["token"], "token": {"id": "LOCAL"}},
            "scope": {"service_provider": {"id": "sp1"}}}})))
        .respond_with(ResponseTemplate::new(200).set_body_string(ECP_XML))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sp/Shibboleth.sso/SAML2/ECP"))
        .and(header("Content-Type", "application/vnd.paos+xml"))
        .and(body_string(ECP_XML))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/sp/somewhere"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/sp/v3/OS-FEDERATION/identity_providers/k2kidp/protocols/saml2/auth",
        ))
        .respond_with(token_created("UNSCOPED", unscoped_body()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sp/v3/auth/tokens"))
        .and(body_json(rescope_body("UNSCOPED")))
        .respond_with(token_created("SCOPED", scoped_body()))
        .expect(1)
        .mount(&server)
        .await;
    let base = Arc::new(AccessInfoPlugin::new(
        idp_access(&server),
        Some(format!("{}/v3", server.uri())),
    ));
    let k2k = Keystone2Keystone::new(base, "sp1");
    assert_eq!(k2k.auth_url(), "", "unknown before authenticating");
    let plugin = Federated::new(k2k, Scope::ProjectId("P".into()));
    let s = session();
    assert_eq!(token_of(&plugin, &s).await.unwrap(), "SCOPED");
    assert_eq!(
        AuthPlugin::auth_url(&plugin).as_deref(),
        Some(format!("{}/sp/v3", server.uri()).as_str())
    );
}

#[tokio::test]
async fn k2k_errors() {
    let server = MockServer::start().await;
    serve(
        &server,
        "POST /v3/auth/OS-FEDERATION/saml2/ecp",
        ResponseTemplate::new(403),
    )
    .await;
    let base = Arc::new(AccessInfoPlugin::new(
        idp_access(&server),
        Some(format!("{}/v3", server.uri())),
    ));
    let s = session();
    let e = Federated::new(
        Keystone2Keystone::new(base.clone(), "nope"),
        ScopeParams::default(),
    )
    .token(&s)
    .await
    .unwrap_err();
    assert!(
        matches!(e, Error::ServiceProviderNotFound(ref sp) if sp == "nope"),
        "{e}"
    );
    let e = Federated::new(Keystone2Keystone::new(base, "sp1"), ScopeParams::default())
        .token(&s)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Cannot authorize API client: Error while requesting ECP wrapped assertion: response exit code: 403, reason: Forbidden"
    );
}

// ---------------------------------------------------------------- loaders

fn names(loader: &str) -> Vec<&'static str> {
    registry::loader(loader)
        .unwrap()
        .opts()
        .iter()
        .map(|o| o.name)
        .collect()
}

const BASE: [&str; 11] = [
    "auth-url",
    "system-scope",
    "domain-id",
    "domain-name",
    "project-id",
    "project-name",
    "project-domain-id",
    "project-domain-name",
    "trust-id",
    "identity-provider",
    "protocol",
];
const OIDC: [&str; 6] = [
    "client-id",
    "client-secret",
    "openid-scope",
    "access-token-endpoint",
    "discovery-endpoint",
    "access-token-type",
];

#[test]
fn loaders_have_keystoneauth1_options() {
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        BASE.iter().chain(extra).copied().collect()
    };
    let oidc = |extra: &[&'static str]| -> Vec<&'static str> {
        BASE.iter()
            .chain(OIDC.iter())
            .chain(extra)
            .copied()
            .collect()
    };
    assert_eq!(names("v3oidcaccesstoken"), with(&["access-token"]));
    assert_eq!(names("v3oidcauthcode"), oidc(&["redirect-uri", "code"]));
    assert_eq!(names("v3oidcclientcredentials"), oidc(&[]));
    assert_eq!(
        names("v3oidcdeviceauthz"),
        oidc(&["device-authorization-endpoint", "code-challenge-method"])
    );
    assert_eq!(
        names("v3oidcpassword"),
        oidc(&["username", "password", "idp_otp_key"])
    );
    assert_eq!(
        names("v3samlpassword"),
        with(&["identity-provider-url", "username", "password"])
    );
    let opts = registry::loader("v3oidcpassword").unwrap().opts();
    let scope = opts.iter().find(|o| o.name == "openid-scope").unwrap();
    assert_eq!(
        (scope.dest(), scope.default),
        ("scope".into(), Some("openid profile"))
    );
    let otp = opts.iter().find(|o| o.name == "idp_otp_key").unwrap();
    assert_eq!(otp.cli_flags(), vec!["--os-idp_otp_key"]);
    assert!(opts.iter().find(|o| o.name == "password").unwrap().secret);
    let code = registry::loader("v3oidcauthcode").unwrap().opts();
    let code = code.iter().find(|o| o.name == "code").unwrap();
    assert_eq!(code.deprecated, &["authorization-code"]);
    assert!(code.required && code.secret);
}

#[test]
fn loaders_validate_and_build() {
    let base = OptionValues::new()
        .with("auth_url", "http://ks/v3")
        .with("identity_provider", "idp")
        .with("protocol", "openid")
        .with("username", "u")
        .with("password", "p");
    let e = registry::load("v3oidcpassword", &base).unwrap_err();
    assert_eq!(
        e.to_string(),
        "You have to specify either an 'access-token-endpoint' or a 'discovery-endpoint'."
    );
    let ok = base.clone().with(
        "discovery_endpoint",
        "http://op/.well-known/openid-configuration",
    );
    let p = registry::load("v3oidcpassword", &ok).unwrap();
    assert_eq!(p.auth_url().as_deref(), Some("http://ks/v3"));
    assert_eq!(p.cache_id(), None);
    let e = registry::load("v3oidcpassword", &ok.clone().with("project_name", "x")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("You have provided a project_name."),
        "{e}"
    );
    registry::load(
        "v3oidcpassword",
        &ok.clone()
            .with("project_name", "x")
            .with("project_domain_id", "default"),
    )
    .unwrap();

    let e = registry::load("v3samlpassword", &base).unwrap_err();
    assert!(
        matches!(e, Error::MissingRequiredOptions(ref m) if m[0].name == "identity-provider-url"),
        "{e}"
    );
    registry::load(
        "v3samlpassword",
        &base.clone().with("identity_provider_url", "http://idp/ecp"),
    )
    .unwrap();
    registry::load("v3oidcaccesstoken", &base.clone().with("access_token", "t")).unwrap();
    let ep = base
        .clone()
        .with("access_token_endpoint", "http://op/token");
    registry::load("v3oidcclientcredentials", &ep).unwrap();
    registry::load("v3oidcdeviceauthz", &ep).unwrap();
    registry::load("v3oidcauthcode", &ep.clone().with("code", "c")).unwrap();
}

/// docs/keystoneauth1-differences.md §16.22: options left unset are not passed as empty
/// values: a loaded `v3oidcpassword` without `access_token_type` reads `access_token` from the
/// provider's answer (keystoneauth1 passes `None` and fails with a `KeyError`), and the
/// loader's default `openid profile` scope is sent. The rescope asks for the catalog (§16.25).
#[tokio::test]
async fn loaded_oidc_password_without_access_token_type_reads_access_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string(
            "username=u&password=p&scope=openid+profile&grant_type=password&client_id=cid",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "AT", "token_type": "Bearer"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_keystone(&server, "AT", 1).await;
    let values = OptionValues::new()
        .with("auth_url", format!("{}/v3", server.uri()))
        .with("identity_provider", "idp")
        .with("protocol", "openid")
        .with("client_id", "cid")
        .with("username", "u")
        .with("password", "p")
        .with("project_id", "P")
        .with("access_token_endpoint", format!("{}/token", server.uri()));
    let plugin = registry::load("v3oidcpassword", &values).unwrap();
    assert_eq!(
        token_of(plugin.as_ref(), &session()).await.unwrap(),
        "SCOPED"
    );
    // The rescope asks for the catalog (no `?nocatalog`).
    let reqs = server.received_requests().await.unwrap();
    let rescope: Vec<_> = reqs
        .iter()
        .filter(|r| r.url.path() == "/v3/auth/tokens")
        .collect();
    assert_eq!(rescope.len(), 1);
    assert_eq!(rescope[0].url.query(), None);
}

/// Issue 21 item 11: the federated token response's `X-Subject-Token`, when there, must be
/// text and not empty (a v2-style body could otherwise be taken with an empty token).
#[tokio::test]
async fn federated_subject_token_that_is_empty_or_not_text_is_an_error() {
    for (value, expected) in [
        (
            keystoneauth_core::http::HeaderValue::from_static(""),
            "X-Subject-Token header is empty",
        ),
        (
            keystoneauth_core::http::HeaderValue::from_bytes(b"\xe9t\xe9").unwrap(),
            "X-Subject-Token header is not visible ASCII text",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(FED_PATH))
            .respond_with(
                ResponseTemplate::new(201)
                    .insert_header("X-Subject-Token", value)
                    .set_body_json(unscoped_body()),
            )
            .mount(&server)
            .await;
        let flow = OidcAccessToken::new(server.uri(), "idp", "openid", "AT");
        let e = flow.get_unscoped(&session()).await.unwrap_err();
        assert!(matches!(e, Error::InvalidResponse(_)), "{e:?}");
        assert!(e.to_string().contains(expected), "{e}");
    }
}

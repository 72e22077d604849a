//! Unit tests of the Kerberos plugins: option parsing, `WWW-Authenticate` parsing, and the
//! 401 → Negotiate → 201 sequence against wiremock with a stub token source (no KDC).

use std::sync::{Arc, Mutex};

use http::{HeaderMap, HeaderValue};
use keystoneauth_core::registry::{self, OptionValues};
use keystoneauth_core::{AuthPlugin, Authenticator, Error, Result, Session};
use keystoneauth_identity_v3::Scope;
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::negotiate::service_host;
use super::*;

// base64("client-token") and base64("server-token").
const CLIENT_B64: &str = "Y2xpZW50LXRva2Vu";
const SERVER_B64: &str = "c2VydmVyLXRva2Vu";

#[derive(Debug, Default)]
struct Stub {
    calls: Mutex<Vec<(String, bool)>>,
    fail: Option<&'static str>,
}

struct StubCtx {
    complete: bool,
}

impl NegotiateContext for StubCtx {
    fn step(&mut self, server_token: &[u8]) -> Result<Option<Vec<u8>>> {
        if server_token == b"server-token" {
            self.complete = true;
            Ok(None)
        } else {
            Err(KerberosError::error("bad server token"))
        }
    }
    fn is_complete(&self) -> bool {
        self.complete
    }
}

impl NegotiateTokenSource for Stub {
    fn initiate(&self, host: &str, mutual: bool) -> Result<(Box<dyn NegotiateContext>, Vec<u8>)> {
        self.calls.lock().unwrap().push((host.to_owned(), mutual));
        if let Some(msg) = self.fail {
            return Err(KerberosError::error(msg));
        }
        Ok((
            Box::new(StubCtx { complete: false }),
            b"client-token".to_vec(),
        ))
    }
}

fn token_body(project: bool) -> Value {
    let mut t = json!({"token": {
        "methods": ["kerberos"],
        "user": {"id": "u1", "name": "kerbuser", "domain": {"id": "default", "name": "Default"}},
        "expires_at": "2099-01-01T00:00:00.000000Z",
        "issued_at": "2024-01-01T00:00:00.000000Z",
        "catalog": [],
    }});
    if project {
        t["token"]["project"] = json!({"id": "p1", "name": "demo", "domain": {"id": "default"}});
    }
    t
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(*k, HeaderValue::from_static(v));
    }
    h
}

/// Mount the Negotiate dance on `route` for `verb`: no Authorization → 401 Negotiate; the stub
/// token → `ok` (with or without a server token).
async fn mount_dance(server: &MockServer, verb: &str, route: &str, ok: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(route))
        .and(header(
            "Authorization",
            format!("Negotiate {CLIENT_B64}").as_str(),
        ))
        .respond_with(ok)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Negotiate")
                .set_body_string("Unauthorized"),
        )
        .with_priority(5)
        .mount(server)
        .await;
}

fn created(server_token: bool) -> ResponseTemplate {
    let mut r = ResponseTemplate::new(201)
        .insert_header("X-Subject-Token", "tok-1")
        .set_body_json(token_body(true));
    if server_token {
        r = r.insert_header(
            "WWW-Authenticate",
            format!("Negotiate {SERVER_B64}").as_str(),
        );
    }
    r
}

fn session() -> Session {
    Session::builder().build().unwrap()
}

#[test]
fn mutual_auth_values() {
    assert_eq!(
        "required".parse::<MutualAuth>().unwrap(),
        MutualAuth::Required
    );
    assert_eq!(
        "OPTIONAL".parse::<MutualAuth>().unwrap(),
        MutualAuth::Optional
    );
    assert_eq!(
        "Disabled".parse::<MutualAuth>().unwrap(),
        MutualAuth::Disabled
    );
    match "sometimes".parse::<MutualAuth>() {
        Err(Error::OptionError(m)) => assert_eq!(
            m,
            "You need to provide a valid value for kerberos mutual authentication. It can be \
             one of the following: (required, optional, disabled)"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(MutualAuth::lenient(None), MutualAuth::Optional);
    assert_eq!(MutualAuth::lenient(Some("bogus")), MutualAuth::Optional);
    assert_eq!(MutualAuth::lenient(Some("REQUIRED")), MutualAuth::Required);
    assert_eq!(MutualAuth::default().to_string(), "optional");
}

#[test]
fn www_authenticate_parsing() {
    use NegotiateChallenge::*;
    assert_eq!(parse_www_authenticate(&HeaderMap::new()).unwrap(), Absent);
    assert_eq!(
        parse_www_authenticate(&headers(&[("WWW-Authenticate", "Basic realm=\"x\"")])).unwrap(),
        Absent
    );
    assert_eq!(
        parse_www_authenticate(&headers(&[("WWW-Authenticate", "Negotiate")])).unwrap(),
        Bare
    );
    assert_eq!(
        parse_www_authenticate(&headers(&[("WWW-Authenticate", "negotiate   ")])).unwrap(),
        Bare
    );
    assert_eq!(
        parse_www_authenticate(&headers(&[
            ("WWW-Authenticate", "Basic realm=\"Kerberos Login\""),
            ("WWW-Authenticate", "Negotiate"),
        ]))
        .unwrap(),
        Bare
    );
    assert_eq!(
        parse_www_authenticate(&headers(&[(
            "WWW-Authenticate",
            "Basic realm=\"k\", Negotiate c2VydmVyLXRva2Vu"
        )]))
        .unwrap(),
        Token(b"server-token".to_vec())
    );
    assert_eq!(
        parse_www_authenticate(&headers(&[("WWW-Authenticate", "NegotiateX abc")])).unwrap(),
        Absent
    );
    assert!(matches!(
        parse_www_authenticate(&headers(&[("WWW-Authenticate", "Negotiate !!notb64")])),
        Err(ref e) if e.plugin_error::<KerberosError>().is_some()
    ));
}

#[test]
fn service_host_of_urls() {
    assert_eq!(
        service_host("http://127.0.0.1:5000/krb/v3").unwrap(),
        "127.0.0.1"
    );
    assert_eq!(
        service_host("https://KS.Example.com/v3").unwrap(),
        "ks.example.com"
    );
    assert_eq!(service_host("http://[::1]:80/v3").unwrap(), "::1");
    assert!(service_host("not a url").is_err());
}

#[tokio::test]
async fn kerberos_negotiate_sequence_with_mutual_auth() {
    let server = MockServer::start().await;
    mount_dance(&server, "POST", "/krb/v3/auth/tokens", created(true)).await;
    let stub = Arc::new(Stub::default());
    let plugin = Kerberos::new(format!("{}/krb/v3", server.uri()))
        .mutual_auth(MutualAuth::Required)
        .scope(Scope::ProjectId("p1".into()))
        .token_source(stub.clone())
        .into_plugin();
    let s = session();
    let token = plugin.token(&s).await.unwrap().unwrap();
    use keystoneauth_core::secrecy::ExposeSecret;
    assert_eq!(token.expose_secret(), "tok-1");
    assert_eq!(plugin.project_id(&s).await.unwrap().as_deref(), Some("p1"));
    assert_eq!(
        *stub.calls.lock().unwrap(),
        vec![("127.0.0.1".to_owned(), true)]
    );
    assert!(plugin.cache_id().is_none());

    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].headers.get("authorization").is_none());
    let body: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(
        body,
        json!({"auth": {
            "identity": {"methods": ["kerberos"], "kerberos": {}},
            "scope": {"project": {"id": "p1"}},
        }})
    );
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[tokio::test]
async fn required_mutual_auth_without_server_token_fails() {
    let server = MockServer::start().await;
    mount_dance(&server, "POST", "/v3/auth/tokens", created(false)).await;
    let k = Kerberos::new(server.uri())
        .mutual_auth(MutualAuth::Required)
        .token_source(Arc::new(Stub::default()));
    match k.authenticate(&session()).await {
        Err(e) if e.plugin_error::<KerberosError>().is_some() => {
            let m = e.to_string();
            assert!(m.contains("mutual authentication"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    // Optional accepts the same response.
    let k = Kerberos::new(server.uri()).token_source(Arc::new(Stub::default()));
    assert_eq!(k.authenticate(&session()).await.unwrap().user_id(), "u1");
}

#[tokio::test]
async fn bad_server_token_fails_unless_disabled() {
    let server = MockServer::start().await;
    let bad = ResponseTemplate::new(201)
        .insert_header("X-Subject-Token", "tok-1")
        .insert_header("WWW-Authenticate", "Negotiate YmFk")
        .set_body_json(token_body(false));
    mount_dance(&server, "POST", "/v3/auth/tokens", bad).await;
    for mutual in [MutualAuth::Required, MutualAuth::Optional] {
        let k = Kerberos::new(server.uri())
            .mutual_auth(mutual)
            .token_source(Arc::new(Stub::default()));
        assert!(
            matches!(k.authenticate(&session()).await, Err(ref e) if e.plugin_error::<KerberosError>().is_some()),
            "{mutual}"
        );
    }
    let stub = Arc::new(Stub::default());
    let k = Kerberos::new(server.uri())
        .mutual_auth(MutualAuth::Disabled)
        .token_source(stub.clone());
    k.authenticate(&session()).await.unwrap();
    assert_eq!(
        *stub.calls.lock().unwrap(),
        vec![("127.0.0.1".to_owned(), false)]
    );
}

#[tokio::test]
async fn refused_token_and_missing_challenge_are_unauthorized() {
    let server = MockServer::start().await;
    // Always 401 Negotiate: the token is refused.
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", "Negotiate"))
        .mount(&server)
        .await;
    let stub = Arc::new(Stub::default());
    let k = Kerberos::new(server.uri()).token_source(stub.clone());
    assert!(matches!(
        k.authenticate(&session()).await,
        Err(Error::Unauthorized(_))
    ));
    assert_eq!(stub.calls.lock().unwrap().len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // 401 without Negotiate: no token is made.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", "Basic realm=\"x\""),
        )
        .mount(&server)
        .await;
    let stub = Arc::new(Stub::default());
    let k = Kerberos::new(server.uri()).token_source(stub.clone());
    assert!(matches!(
        k.authenticate(&session()).await,
        Err(Error::Unauthorized(_))
    ));
    assert!(stub.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn token_source_error_is_returned() {
    let server = MockServer::start().await;
    mount_dance(&server, "POST", "/v3/auth/tokens", created(true)).await;
    let stub = Arc::new(Stub {
        fail: Some("no ticket: run kinit"),
        ..Default::default()
    });
    let k = Kerberos::new(format!("{}/v3", server.uri())).token_source(stub);
    match k.authenticate(&session()).await {
        Err(e) if e.plugin_error::<KerberosError>().is_some() => {
            assert!(e.to_string().contains("kinit"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn mapped_kerberos_gets_unscoped_then_rescopes() {
    let server = MockServer::start().await;
    let fed = "/v3/OS-FEDERATION/identity_providers/kerberos-idp/protocols/mapped/auth";
    let unscoped = ResponseTemplate::new(201)
        .insert_header("X-Subject-Token", "unscoped-tok")
        .insert_header(
            "WWW-Authenticate",
            format!("Negotiate {SERVER_B64}").as_str(),
        )
        .set_body_json(token_body(false));
    mount_dance(&server, "GET", fed, unscoped).await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(header("X-Auth-Token", "unscoped-tok"))
        .and(body_partial_json(json!({"auth": {
            "identity": {"methods": ["token"], "token": {"id": "unscoped-tok"}},
            "scope": {"project": {"id": "p1"}},
        }})))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", "scoped-tok")
                .set_body_json(token_body(true)),
        )
        .mount(&server)
        .await;
    let stub = Arc::new(Stub::default());
    let plugin = MappedKerberos::new(format!("{}/v3", server.uri()), "kerberos-idp", "mapped")
        .mutual_auth(MutualAuth::Required)
        .scope(Scope::ProjectId("p1".into()))
        .token_source(stub.clone())
        .into_plugin();
    let s = session();
    use keystoneauth_core::secrecy::ExposeSecret;
    assert_eq!(
        plugin.token(&s).await.unwrap().unwrap().expose_secret(),
        "scoped-tok"
    );
    assert_eq!(plugin.project_id(&s).await.unwrap().as_deref(), Some("p1"));
    assert_eq!(stub.calls.lock().unwrap().len(), 1);
    let reqs: Vec<Request> = server.received_requests().await.unwrap();
    assert_eq!(
        reqs.iter()
            .map(|r| r.method.to_string())
            .collect::<Vec<_>>(),
        ["GET", "GET", "POST"]
    );
}

#[test]
fn loaders_are_registered_with_keystoneauth1_options() {
    let k = registry::loader("v3kerberos").unwrap();
    let names: Vec<&str> = k.opts().iter().map(|o| o.name).collect();
    for n in [
        "auth-url",
        "project-id",
        "project-name",
        "system-scope",
        "mutual-auth",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let f = registry::loader("v3fedkerb").unwrap();
    let opts = f.opts();
    for n in ["identity-provider", "protocol"] {
        assert!(opts.iter().any(|o| o.name == n && o.required), "{n}");
    }
    let mutual = opts.iter().find(|o| o.name == "mutual-auth").unwrap();
    assert_eq!(mutual.default, Some("optional"));

    let values = OptionValues::new().with("auth_url", "http://ks/krb/v3");
    let p = registry::load("v3kerberos", &values).unwrap();
    assert_eq!(p.auth_url().as_deref(), Some("http://ks/krb/v3"));
    match registry::load("v3kerberos", &values.clone().with("mutual_auth", "maybe")) {
        Err(Error::OptionError(m)) => assert_eq!(m, MUTUAL_AUTH_ERROR),
        other => panic!("{other:?}"),
    }
    match registry::load("v3fedkerb", &values) {
        Err(Error::MissingRequiredOptions(m)) => assert_eq!(m.len(), 2),
        other => panic!("{other:?}"),
    }
    let fed = values
        .with("identity_provider", "idp")
        .with("protocol", "mapped")
        .with("mutual_auth", "REQUIRED");
    assert!(registry::load("v3fedkerb", &fed).is_ok());
}

#[test]
fn gssapi_without_a_ticket_says_kinit() {
    // The only test in this binary that touches the Kerberos environment.
    let dir = std::env::temp_dir().join(format!("ksa-krb-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("krb5.conf");
    std::fs::write(
        &conf,
        "[libdefaults]\n default_realm = NOWHERE.TEST\n dns_lookup_kdc = false\n",
    )
    .unwrap();
    std::env::set_var("KRB5_CONFIG", &conf);
    std::env::set_var(
        "KRB5CCNAME",
        format!("FILE:{}", dir.join("empty-ccache").display()),
    );
    match GssapiTokenSource.initiate("127.0.0.1", true) {
        Err(e) if e.plugin_error::<KerberosError>().is_some() => {
            let m = e.to_string();
            assert!(m.contains("kinit"), "{m}");
            assert!(m.contains("KRB5CCNAME") && m.contains("KRB5_CONFIG"), "{m}");
            assert!(m.contains("HTTP@127.0.0.1"), "{m}");
        }
        Err(e) => panic!("{e:?}"),
        Ok(_) => panic!("a token without a ticket"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

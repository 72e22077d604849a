//! The generic (version-discovering) plugins and the standalone plugins against the real
//! Keystone, plus the failure cases a real deployment produces (an auth URL that is not
//! Keystone, Keystone's missing v2.0 API) and the fixed-endpoint plugins against a small local
//! HTTP server.
//!
//! Needs `cargo xtask test` (or `cargo xtask keystone up`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::{Arc, Mutex};
use std::time::Duration;

use keystoneauth_core::access::IdentityVersion;
use keystoneauth_core::registry::{self, OptionValues};
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AuthPlugin, EndpointFilter, Error, Session};
use keystoneauth_generic::{Password, Token};
use keystoneauth_standalone::{AdminToken, HttpBasicAuth, NoAuth};
use keystoneauth_tests::{Admin, Keystone, Project, User};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A project, a user with `member` on it, all in the `default` domain.
async fn member(admin: &Admin) -> (Project, User) {
    let project = admin.create_project("default").await.unwrap();
    let user = admin.create_user("default", None).await.unwrap();
    let role = admin.role_id("member").await.unwrap();
    admin
        .grant_project_role(&project.id, &user.id, &role)
        .await
        .unwrap();
    (project, user)
}

#[tokio::test]
async fn generic_password_on_root_discovers_v3_and_uses_the_catalog() {
    let ks = Keystone::from_env();
    let admin = ks.admin().await;
    let (project, user) = member(&admin).await;

    let plugin = Password::new(&ks.env.root_url, &user.password)
        .username(&user.name)
        .user_domain_id("default")
        .project_name(&project.name)
        .project_domain_id("default")
        .into_plugin();
    let s = Session::new(Arc::new(plugin)).unwrap();
    let access = s.auth().unwrap().access(&s).await.unwrap().unwrap();
    assert_eq!(access.version(), IdentityVersion::V3);
    assert_eq!(access.user_id(), user.id);
    assert_eq!(access.project_id(), Some(&*project.id));
    assert!(access.role_names().contains(&"member"));

    // The catalog finds identity, and the token works there.
    let identity = s
        .endpoint(&EndpointFilter::service("identity"))
        .await
        .unwrap()
        .expect("identity in the catalog");
    assert!(identity.starts_with(&ks.env.root_url), "{identity}");
    let me = s
        .get(format!("users/{}", user.id))
        .endpoint_filter(EndpointFilter::service("identity"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let body: serde_json::Value = me.json().unwrap();
    assert_eq!(body["user"]["name"], user.name.as_str());
    // The auth interface is the URL the plugin was given.
    assert_eq!(
        s.endpoint(&EndpointFilter::auth_interface())
            .await
            .unwrap()
            .as_deref(),
        Some(&*ks.env.root_url)
    );

    // Without any domain information Keystone (v3 only) is still chosen; ids need no domain.
    let by_ids = Password::new(&ks.env.root_url, &user.password)
        .user_id(&user.id)
        .project_id(&project.id)
        .into_plugin();
    let a = by_ids.get_access(&s).await.unwrap();
    assert_eq!(a.version(), IdentityVersion::V3);
    assert_eq!(a.project_id(), Some(&*project.id));

    // A wrong password is Keystone's 401.
    let err = Password::new(&ks.env.root_url, "wrong")
        .user_id(&user.id)
        .into_plugin()
        .get_access(&s)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");

    admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn generic_token_rescopes_and_loaders_work() {
    let ks = Keystone::from_env();
    let admin = ks.admin().await;
    let (project, user) = member(&admin).await;
    let s = Session::builder().build().unwrap();

    // An unscoped token through the `password` loader (deprecated `user-name` spelling).
    let opts = OptionValues::new()
        .with("auth_url", &ks.env.root_url)
        .with("user_name", &user.name)
        .with("password", &user.password)
        .with("default_domain_id", "default");
    let unscoped = registry::load("password", &opts).unwrap();
    let unscoped_access = unscoped.access(&s).await.unwrap().unwrap();
    assert!(!unscoped_access.project_scoped());
    let tok = unscoped.token(&s).await.unwrap().unwrap();

    // Rescope with the generic Token, by project name + domain.
    let scoped = Token::new(&ks.env.root_url, tok.expose_secret())
        .project_name(&project.name)
        .project_domain_id("default")
        .into_plugin();
    let a = scoped.get_access(&s).await.unwrap();
    assert_eq!(a.version(), IdentityVersion::V3);
    assert_eq!(a.user_id(), user.id);
    assert_eq!(a.project_id(), Some(&*project.id));
    assert!(
        a.methods().iter().any(|m| m == "token"),
        "{:?}",
        a.methods()
    );
    let validated = admin
        .validate_token(a.auth_token().expose_secret())
        .await
        .unwrap();
    assert_eq!(validated["project"]["id"], project.id.as_str());

    // The `token` loader with the deprecated `tenant-id` spelling of project-id.
    let opts = OptionValues::new()
        .with("auth_url", &ks.env.root_url)
        .with("token", tok.expose_secret())
        .with("tenant_id", &project.id);
    let p = registry::load("token", &opts).unwrap();
    assert_eq!(
        p.project_id(&s).await.unwrap().as_deref(),
        Some(&*project.id)
    );

    admin.cleanup().await.unwrap();
}

#[tokio::test]
async fn keystone_v2_url_falls_back_to_v2_and_gets_keystones_404() {
    // Keystone 30 has no v2.0 (captures/v2.0_absent.json): discovery at /v2.0 fails, the
    // path names v2.0, so a v2.0 request is made and Keystone answers 404.
    let ks = Keystone::from_env();
    let s = Session::builder().build().unwrap();
    let err = Password::new(format!("{}/v2.0", ks.env.root_url), "p")
        .username("nobody")
        .into_plugin()
        .get_access(&s)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    // With a domain, v2.0 is ruled out before any token request.
    let err = Password::new(format!("{}/v2.0", ks.env.root_url), "p")
        .username("nobody")
        .project_name("p")
        .project_domain_id("default")
        .into_plugin()
        .get_access(&s)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::DiscoveryFailure { message, .. }
            if message == "Cannot use v2 authentication with domain scope"),
        "{err:?}"
    );
}

/// A loopback HTTP server that answers every request with `response` and records the request
/// heads. Serves at most `max` connections, each bounded in time; the task ends after that.
async fn local_server(response: &'static str, max: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for _ in 0..max {
            let Ok(Ok((mut sock, _))) =
                tokio::time::timeout(Duration::from_secs(30), listener.accept()).await
            else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let read = async {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                };
                if tokio::time::timeout(Duration::from_secs(10), read)
                    .await
                    .is_err()
                {
                    return;
                }
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf).into_owned());
                let _ = sock.write_all(response.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (url, seen)
}

const NOT_FOUND_HTML: &str = "HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=utf-8\r\n\
Content-Length: 45\r\nConnection: close\r\n\r\n<!doctype html><title>404 Not Found</title>\n";

const OK_JSON: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
Content-Length: 13\r\nConnection: close\r\n\r\n{\"things\":[]}";

#[tokio::test]
async fn auth_url_that_is_not_keystone_is_discovery_failure_naming_it() {
    let (url, seen) = local_server(NOT_FOUND_HTML, 4).await;
    let auth_url = format!("{url}/identity");
    let s = Session::builder().build().unwrap();
    let err = Password::new(&auth_url, "p")
        .username("u")
        .user_domain_id("default")
        .into_plugin()
        .get_access(&s)
        .await
        .unwrap_err();
    match &err {
        Error::DiscoveryFailure { message, url } => {
            assert_eq!(url.as_deref(), Some(&*auth_url));
            assert!(message.contains(&auth_url), "{message}");
            assert!(
                message.starts_with("Could not find versioned identity endpoints"),
                "{message}"
            );
        }
        other => panic!("expected DiscoveryFailure, got {other:?}"),
    }
    // Only the discovery GET was made, without a token.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].starts_with("GET /identity HTTP/1.1"), "{}", seen[0]);
    assert!(!seen[0].to_ascii_lowercase().contains("x-auth-token"));
}

#[tokio::test]
async fn admin_token_against_keystone() {
    let ks = Keystone::from_env();
    let Some(admin_token) = ks.env.admin_token.clone() else {
        panic!("the harness configures [DEFAULT] admin_token; env.json has none");
    };
    let plugin = AdminToken::new(ks.auth_url(), &admin_token);
    assert!(!format!("{plugin:?}").contains(&admin_token));
    let s = Session::new(Arc::new(plugin)).unwrap();
    // The endpoint is fixed whatever the filter says.
    for f in [
        EndpointFilter::service("identity"),
        EndpointFilter::service("compute").region("Elsewhere"),
    ] {
        assert_eq!(
            s.endpoint(&f).await.unwrap().as_deref(),
            Some(ks.auth_url())
        );
    }
    let r = s
        .get("domains")
        .endpoint_filter(EndpointFilter::service("identity"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().unwrap();
    assert!(body["domains"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == "default"));

    // Through the loader, with the deprecated `url` name of the endpoint.
    let p = registry::load(
        "admin_token",
        &OptionValues::new()
            .with("url", ks.auth_url())
            .with("token", &admin_token),
    )
    .unwrap();
    let s = Session::new(p).unwrap();
    let r = s
        .get("domains/default")
        .endpoint_filter(EndpointFilter::service("identity"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A wrong fixed token is refused and not retried (nothing to refresh).
    let s = Session::new(Arc::new(AdminToken::new(ks.auth_url(), "not-the-token"))).unwrap();
    let err = s
        .get("domains")
        .endpoint_filter(EndpointFilter::service("identity"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn noauth_and_http_basic_against_a_local_server() {
    let (url, seen) = local_server(OK_JSON, 4).await;
    let endpoint = format!("{url}/v1");

    let s = Session::new(Arc::new(NoAuth::new().with_endpoint(&endpoint))).unwrap();
    let r = s
        .get("things")
        .endpoint_filter(EndpointFilter::service("any"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let s = Session::new(Arc::new(
        HttpBasicAuth::new("alice", "s3cret").with_endpoint(&endpoint),
    ))
    .unwrap();
    let r = s
        .get("things")
        .endpoint_filter(EndpointFilter::service("any"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let lower: Vec<String> = seen.iter().map(|s| s.to_ascii_lowercase()).collect();
    assert!(
        lower[0].starts_with("get /v1/things http/1.1"),
        "{}",
        seen[0]
    );
    assert!(lower[0].contains("x-auth-token: notused"), "{}", seen[0]);
    assert!(
        lower[1].starts_with("get /v1/things http/1.1"),
        "{}",
        seen[1]
    );
    // base64("alice:s3cret")
    assert!(
        seen[1].contains("YWxpY2U6czNjcmV0"),
        "no Basic credentials in {}",
        seen[1]
    );
    assert!(lower[1].contains("authorization: basic "), "{}", seen[1]);
}

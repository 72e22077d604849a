//! Profiles from clouds-public.yaml and URL profiles (a loopback server).

use super::*;

#[test]
fn profiles_from_clouds_public_yaml_are_defaults_the_cloud_overrides() {
    let files = Files::new(
        "clouds:\n  mine:\n    profile: acme\n    region_name: Mine\n    auth:\n      username: me\n      password: pw\n  old:\n    cloud: acme\n    auth: {username: me, password: pw}\n  gone:\n    profile: no-such-vendor\n    auth: {username: me}\n",
    )
    .public(
        "public-clouds:\n  acme:\n    auth:\n      auth_url: https://keystone.acme.test/v3\n      user_domain_name: AcmeUsers\n    region_name: AcmeOne\n    interface: internal\n    identity_api_version: 3\n",
    );
    let load = |cloud: &str| {
        CloudConfig::load(LoadOptions {
            cloud: Some(cloud.into()),
            config_files: files.list(),
            public_files: files.public_list(),
            env: env(&[]),
            ..Default::default()
        })
    };
    let c = load("mine").unwrap();
    // From the profile:
    assert_eq!(
        c.auth.get("auth_url").as_deref(),
        Some("https://keystone.acme.test/v3")
    );
    assert_eq!(c.auth.get("user_domain_name").as_deref(), Some("AcmeUsers"));
    assert_eq!(c.interfaces, vec![Interface::Internal]);
    // The cloud's own settings win, and its auth is merged key by key:
    assert_eq!(c.region_name.as_deref(), Some("Mine"));
    assert_eq!(c.auth.get("username").as_deref(), Some("me"));
    // The older `cloud:` key names a profile too.
    let c = load("old").unwrap();
    assert_eq!(c.region_name.as_deref(), Some("AcmeOne"));
    // A profile found nowhere is skipped with a warning (as in openstacksdk): here the
    // auth URL is then missing.
    let e = load("gone").unwrap_err().to_string();
    assert!(e.contains("auth-url (env OS_AUTH_URL)"), "{e}");
}

/// A loopback HTTP server answering every request with `status` and `body`, for at most
/// `max` connections or 20 s. Returns its base URL.
pub(super) fn serve(status: u16, body: &'static str, max: usize) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut served = 0;
        while served < max && std::time::Instant::now() < deadline {
            let Ok((mut conn, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            };
            served += 1;
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut buf = [0u8; 4096];
            let mut req = Vec::new();
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let path_ok = req.starts_with(b"GET /.well-known/openstack/api ");
            let (status, body) = if path_ok { (status, body) } else { (404, "{}") };
            let _ = write!(
                conn,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

pub(super) const WELL_KNOWN: &str = r#"{"name": "loopcloud", "profile": {"auth": {"auth_url": "https://keystone.loop.test/v3", "user_domain_name": "LoopUsers"}, "regions": ["L1", "L2"], "identity_api_version": "3", "interface": "internal", "profile": "ignored"}}"#;

#[test]
fn url_profiles_are_fetched_from_the_well_known_document() {
    let url = serve(200, WELL_KNOWN, 4);
    let files = Files::new(&format!(
        "clouds:\n  loop:\n    profile: '{url}/some/path'\n    region_name: Mine\n    auth:\n      username: me\n      password: pw\n"
    ));
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("loop".into()),
        config_files: files.list(),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        c.auth.get("auth_url").as_deref(),
        Some("https://keystone.loop.test/v3")
    );
    assert_eq!(c.auth.get("user_domain_name").as_deref(), Some("LoopUsers"));
    assert_eq!(c.auth.get("username").as_deref(), Some("me"));
    assert_eq!(c.interfaces, vec![Interface::Internal]);
    assert_eq!(c.identity_api_version.as_deref(), Some("3"));
    assert_eq!(c.region_name.as_deref(), Some("Mine"));
}

#[test]
fn unreachable_url_profiles_are_a_config_error() {
    // A port nobody listens on: refused at once.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let load = |profile: String| {
        let files = Files::new(&format!(
            "clouds:\n  c:\n    profile: '{profile}'\n    auth: {{auth_url: 'http://k/v3', username: u, password: p}}\n"
        ));
        let t = std::time::Instant::now();
        let e = CloudConfig::load(LoadOptions {
            cloud: Some("c".into()),
            config_files: files.list(),
            env: env(&[]),
            ..Default::default()
        })
        .unwrap_err();
        (e, t.elapsed())
    };
    let (e, _) = load(format!("http://127.0.0.1:{port}"));
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "vendor profile http://127.0.0.1:{port} could not be fetched from http://127.0.0.1:{port}/.well-known/openstack/api"
        )),
        "{msg}"
    );
    // An error status, and a document that is not JSON.
    let url = serve(503, "{}", 1);
    let msg = load(url.clone()).0.to_string();
    assert!(
        msg.contains("could not be fetched") && msg.contains("503"),
        "{msg}"
    );
    let url = serve(200, "<html>", 1);
    let msg = load(url).0.to_string();
    assert!(msg.ends_with("the document is not JSON"), "{msg}");

    // A server that accepts and never answers: the fetch gives up after FETCH_TIMEOUT.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (e, took) = load(format!("http://{}", silent.local_addr().unwrap()));
    let msg = e.to_string();
    assert!(msg.contains("no answer within 5 s"), "{msg}");
    assert!(
        took >= crate::vendors::FETCH_TIMEOUT && took < std::time::Duration::from_secs(15),
        "{took:?}"
    );
}

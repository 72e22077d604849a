//! TLS: a certificate for another name is an SslError; the right name with the CA works.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::time::Duration;

use common::bounded;
use keystoneauth_core::session::Verify;
use keystoneauth_core::{Error, Session};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A throw-away self-signed certificate (PEM) and PKCS#8 key (PEM) for `name`.
fn self_signed(name: &str) -> (Vec<u8>, Vec<u8>) {
    let rsa = Rsa::generate(2048).unwrap();
    let key = PKey::from_rsa(rsa).unwrap();
    let mut subject = X509NameBuilder::new().unwrap();
    subject.append_entry_by_text("CN", name).unwrap();
    let subject = subject.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&subject).unwrap();
    b.set_issuer_name(&subject).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .dns(name)
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    (
        cert.to_pem().unwrap(),
        key.private_key_to_pem_pkcs8().unwrap(),
    )
}

/// Serve HTTPS on 127.0.0.1 with this certificate; every request gets `200 ok`.
async fn tls_server(cert: &[u8], key: &[u8]) -> u16 {
    let identity = native_tls::Identity::from_pkcs8(cert, key).unwrap();
    let acceptor =
        tokio_native_tls::TlsAcceptor::from(native_tls::TlsAcceptor::new(identity).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        for _ in 0..20 {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(Ok(mut tls)) =
                    tokio::time::timeout(Duration::from_secs(5), acceptor.accept(sock)).await
                else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                        _ => return,
                    }
                }
                // The body is "ok", plus the Cookie header the request carried, if any.
                let head = String::from_utf8_lossy(&buf).to_string();
                let cookie = head
                    .lines()
                    .find_map(|l| l.strip_prefix("cookie: "))
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default();
                let body = format!("ok{cookie}");
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

use tokio_native_tls::native_tls;

fn write_temp(name: &str, data: &[u8]) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!(
        "ksa-core-test-{}-{}-{name}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::write(&p, data).unwrap();
    p
}

#[tokio::test]
async fn certificate_for_another_name_is_ssl_error() {
    let (cert, key) = self_signed("other.example");
    let port = tls_server(&cert, &key).await;
    let ca = write_temp("other.pem", &cert);
    let session = Session::builder()
        .verify(Verify::CaBundle(ca.clone()))
        .build()
        .unwrap();
    let url = format!("https://localhost:{port}/");
    let err = bounded(session.get(&url).send()).await.unwrap_err();
    assert!(matches!(err, Error::SslError { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("SSL exception connecting to {url}")),
        "{err}"
    );
    // An SslError is not retried as a connection failure.
    assert!(!err.is_retriable_connection_failure());

    // Untrusted (system roots) is an SslError too.
    let err = bounded(plain_get(&url)).await.unwrap_err();
    assert!(matches!(err, Error::SslError { .. }), "{err:?}");

    // Insecure accepts it.
    let insecure = Session::builder().verify(Verify::Insecure).build().unwrap();
    let resp = bounded(insecure.get(&url).send()).await.unwrap();
    assert_eq!(resp.text(), "ok");
    let _ = std::fs::remove_file(ca);
}

async fn plain_get(url: &str) -> keystoneauth_core::Result<keystoneauth_core::Response> {
    Session::builder().build().unwrap().get(url).send().await
}

#[tokio::test]
async fn matching_certificate_with_its_ca_bundle_works() {
    let (cert, key) = self_signed("localhost");
    let port = tls_server(&cert, &key).await;
    let ca = write_temp("localhost.pem", &cert);
    let session = Session::builder()
        .verify(Verify::CaBundle(ca.clone()))
        .build()
        .unwrap();
    let resp = bounded(session.get(format!("https://localhost:{port}/")).send())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "ok");
    let _ = std::fs::remove_file(ca);
}

#[tokio::test]
async fn bad_ca_bundles_are_tls_config_errors() {
    let missing = std::env::temp_dir().join("ksa-core-test-no-such-ca.pem");
    let err = Session::builder()
        .verify(Verify::CaBundle(missing))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::TlsConfig(_)), "{err:?}");
    let junk = write_temp("junk.pem", b"not a certificate");
    let err = Session::builder()
        .verify(Verify::CaBundle(junk.clone()))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::TlsConfig(_)), "{err:?}");
    let _ = std::fs::remove_file(junk);
}

/// Plain HTTP on 127.0.0.1: every request is answered `302` to `location` with a cookie.
async fn redirecting_server(location: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        for _ in 0..5 {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut chunk).await {
                    Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                    _ => break,
                }
            }
            let reply = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nSet-Cookie: session=abc; Path=/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    });
    port
}

#[tokio::test]
async fn plain_http_redirected_to_https_is_verified_and_keeps_cookies() {
    // A session sends http:// URLs through a client without TLS and https:// ones through
    // the OpenSSL client; a redirect between them switches clients but keeps the cookie jar
    // and the TLS settings.
    let (cert, key) = self_signed("localhost");
    let tls_port = tls_server(&cert, &key).await;
    let http_port = redirecting_server(format!("https://localhost:{tls_port}/next")).await;
    let ca = write_temp("redirect.pem", &cert);
    let session = Session::builder()
        .verify(Verify::CaBundle(ca.clone()))
        .build()
        .unwrap();
    let resp = bounded(
        session
            .get(format!("http://localhost:{http_port}/start"))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "ok session=abc");

    // Without the CA, the https hop is refused even though the first hop was plain.
    let http_port = redirecting_server(format!("https://localhost:{tls_port}/next")).await;
    let err = bounded(plain_get(&format!("http://localhost:{http_port}/start")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SslError { .. }), "{err:?}");
    let _ = std::fs::remove_file(ca);
}

/// HTTPS on 127.0.0.1 answering every request `302` to `location`.
async fn tls_redirecting_server(cert: &[u8], key: &[u8], location: String) -> u16 {
    let identity = native_tls::Identity::from_pkcs8(cert, key).unwrap();
    let acceptor =
        tokio_native_tls::TlsAcceptor::from(native_tls::TlsAcceptor::new(identity).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        for _ in 0..5 {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let Ok(Ok(mut tls)) =
                tokio::time::timeout(Duration::from_secs(5), acceptor.accept(sock)).await
            else {
                continue;
            };
            let mut buf = [0u8; 4096];
            let _ = tls.read(&mut buf).await;
            let reply = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = tls.write_all(reply.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    });
    port
}

#[tokio::test]
async fn https_is_never_redirected_to_plain_http() {
    // Whatever the request carries: a downgrade would show it to anyone on the path.
    let (cert, key) = self_signed("localhost");
    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_port = plain.local_addr().unwrap().port();
    let tls_port = tls_redirecting_server(
        &cert,
        &key,
        format!("http://localhost:{plain_port}/v3/auth/tokens"),
    )
    .await;
    let ca = write_temp("downgrade.pem", &cert);
    let session = Session::builder()
        .verify(Verify::CaBundle(ca.clone()))
        .build()
        .unwrap();
    let err = bounded(
        session
            .post(format!("https://localhost:{tls_port}/v3/auth/tokens"))
            .json(&serde_json::json!({"password": "hunter2"}))
            .send(),
    )
    .await
    .unwrap_err();
    assert!(err.is_redirect(), "{err:?}");
    assert!(err.to_string().contains("from https to http"), "{err}");
    // Nothing reached the plain listener.
    let accepted = tokio::time::timeout(Duration::from_millis(300), plain.accept()).await;
    assert!(accepted.is_err(), "the plain http server was contacted");
    let _ = std::fs::remove_file(ca);
}

/// What [`compute_tls_server`] saw: the plain-text (non-TLS) connections' first bytes, and
/// each request made over TLS as `(path, X-Auth-Token)`.
#[derive(Default)]
struct Seen {
    plaintext: Vec<String>,
    requests: Vec<(String, Option<String>)>,
}

/// Nova behind a TLS-terminating proxy, on 127.0.0.1: `GET /compute` is a discovery document
/// whose links are `http://` on this same (https) host and port; `/compute/v2.1/servers` is
/// `200`. A connection that does not start with a TLS handshake is recorded and closed.
async fn compute_tls_server(
    cert: &[u8],
    key: &[u8],
) -> (u16, std::sync::Arc<std::sync::Mutex<Seen>>) {
    let identity = native_tls::Identity::from_pkcs8(cert, key).unwrap();
    let acceptor =
        tokio_native_tls::TlsAcceptor::from(native_tls::TlsAcceptor::new(identity).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Seen::default()));
    let record = seen.clone();
    tokio::spawn(async move {
        for _ in 0..20 {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let record = record.clone();
            tokio::spawn(async move {
                let mut first = [0u8; 64];
                let Ok(n) = sock.peek(&mut first).await else {
                    return;
                };
                // 0x16: a TLS handshake record. Anything else is plain text on a TLS port.
                if n == 0 || first[0] != 0x16 {
                    let text = String::from_utf8_lossy(&first[..n]).into_owned();
                    record.lock().unwrap().plaintext.push(text);
                    return;
                }
                let Ok(Ok(mut tls)) =
                    tokio::time::timeout(Duration::from_secs(5), acceptor.accept(sock)).await
                else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                let token = head.lines().find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("x-auth-token")
                        .then(|| value.trim().to_owned())
                });
                record
                    .lock()
                    .unwrap()
                    .requests
                    .push((target.clone(), token));
                let links = format!("http://localhost:{port}/compute");
                let (status, body) = match target.as_str() {
                    "/compute" | "/compute/" => (
                        "200 OK",
                        serde_json::json!({"versions": [
                            {"id": "v2.1", "status": "CURRENT", "version": "2.90",
                             "min_version": "2.1",
                             "links": [{"rel": "self", "href": format!("{links}/v2.1/")}]}
                        ]})
                        .to_string(),
                    ),
                    "/compute/v2.1/servers" => ("200 OK", r#"{"servers": []}"#.to_owned()),
                    _ => ("404 Not Found", "{}".to_owned()),
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, seen)
}

/// Issue 22, case 1 (security): the catalog lists compute as https; its discovery document
/// (as Nova answers behind a TLS-terminating proxy) links to `http://` on the same host and
/// port. An adapter request for compute 2.1 goes to https, and no token (no byte at all)
/// reaches that port in clear text.
#[tokio::test]
async fn same_host_http_links_never_take_the_token_off_tls() {
    use keystoneauth_core::{AccessInfoPlugin, Adapter};
    let (cert, key) = self_signed("localhost");
    let (port, seen) = compute_tls_server(&cert, &key).await;
    let ca = write_temp("compute.pem", &cert);
    let compute_url = format!("https://localhost:{port}/compute");
    let catalog = serde_json::json!([common::service(
        "compute",
        "nova",
        &[("public", "R1", &compute_url)]
    )]);
    let access = common::access_info(
        &common::v3_body(time::Duration::hours(1), "p1", catalog),
        "secret-token",
    );
    let session = Session::builder()
        .auth(std::sync::Arc::new(AccessInfoPlugin::new(access, None)))
        .verify(Verify::CaBundle(ca.clone()))
        .build()
        .unwrap();
    let compute = Adapter::new(session, "compute").version("2.1").unwrap();
    assert_eq!(
        bounded(compute.endpoint()).await.unwrap(),
        format!("https://localhost:{port}/compute/v2.1/")
    );
    let resp = bounded(compute.get("/servers").send()).await.unwrap();
    assert_eq!(resp.status(), 200);

    let seen = seen.lock().unwrap();
    assert!(
        seen.plaintext.is_empty(),
        "plain text reached the TLS port: {:?}",
        seen.plaintext
    );
    assert!(
        seen.requests.contains(&(
            "/compute/v2.1/servers".to_owned(),
            Some("secret-token".to_owned())
        )),
        "{:?}",
        seen.requests
    );
    drop(seen);
    let _ = std::fs::remove_file(ca);
}

use std::time::Instant;

use super::WebSsoError;
use http::{HeaderMap, HeaderValue, Method};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::browser::{browser_commands, try_opener};
use super::callback::{keystone_origin, origin_of, Callback};
use super::*;

const KEYSTONE: &str = "https://keystone.example.com:5000/v3";

fn callback() -> (Callback, oneshot::Receiver<SecretString>) {
    let (tx, rx) = oneshot::channel();
    (Callback::new(keystone_origin(KEYSTONE), tx), rx)
}

/// The headers a browser sends when Keystone's page posts the form to the callback.
fn browser_headers(body_len: usize) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("content-type", "application/x-www-form-urlencoded"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://keystone.example.com:5000"),
        (
            "referer",
            "https://keystone.example.com:5000/v3/auth/OS-FEDERATION/websso",
        ),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    h.insert("content-length", HeaderValue::from(body_len));
    h
}

fn status_of(cb: &Callback, method: Method, path: &str, headers: &HeaderMap, body: &str) -> u16 {
    match cb.handle(&method, path, headers, body.as_bytes()) {
        Ok(()) => 200,
        Err((s, _)) => s.as_u16(),
    }
}

/// `headers` changed by `f`, for a good body.
fn changed(f: impl FnOnce(&mut HeaderMap)) -> HeaderMap {
    let mut h = browser_headers(GOOD_BODY.len());
    f(&mut h);
    h
}

const GOOD_BODY: &str = "token=gAAAAABtoken-123_x";

#[test]
fn a_browser_post_delivers_the_token() {
    let (cb, mut rx) = callback();
    let h = browser_headers(GOOD_BODY.len());
    assert_eq!(
        status_of(&cb, Method::POST, CALLBACK_PATH, &h, GOOD_BODY),
        200
    );
    assert_eq!(rx.try_recv().unwrap().expose_secret(), "gAAAAABtoken-123_x");
    // A second token: 409, and the first one stays.
    assert_eq!(
        status_of(&cb, Method::POST, CALLBACK_PATH, &h, "token=other"),
        409
    );
}

#[test]
fn status_codes_of_bad_callbacks() {
    let (cb, mut rx) = callback();
    let good = || browser_headers(GOOD_BODY.len());
    let post = |h: &HeaderMap, path: &str, body: &str| status_of(&cb, Method::POST, path, h, body);
    let cases: Vec<(&str, u16, u16)> = vec![
        ("other path", post(&good(), "/auth/websso", GOOD_BODY), 404),
        ("root", post(&good(), "/", GOOD_BODY), 404),
        (
            "GET",
            status_of(&cb, Method::GET, CALLBACK_PATH, &good(), GOOD_BODY),
            405,
        ),
        (
            "PUT",
            status_of(&cb, Method::PUT, CALLBACK_PATH, &good(), GOOD_BODY),
            405,
        ),
        (
            "json body",
            post(
                &changed(|h| {
                    h.insert("content-type", HeaderValue::from_static("application/json"));
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            415,
        ),
        (
            "no content type",
            post(
                &changed(|h| {
                    h.remove("content-type");
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            415,
        ),
        (
            "no content length",
            post(
                &changed(|h| {
                    h.remove("content-length");
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            411,
        ),
        (
            "negative content length",
            post(
                &changed(|h| {
                    h.insert("content-length", HeaderValue::from_static("-1"));
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            411,
        ),
        (
            "text content length",
            post(
                &changed(|h| {
                    h.insert("content-length", HeaderValue::from_static("ten"));
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            411,
        ),
        (
            "too large",
            post(
                &changed(|h| {
                    h.insert("content-length", HeaderValue::from(MAX_CALLBACK_BODY + 1));
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            413,
        ),
        (
            "fetch mode cors",
            post(
                &changed(|h| {
                    h.insert("sec-fetch-mode", HeaderValue::from_static("cors"));
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            400,
        ),
        (
            "no fetch mode",
            post(
                &changed(|h| {
                    h.remove("sec-fetch-mode");
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            400,
        ),
        (
            "fetch dest iframe",
            post(
                &changed(|h| {
                    h.insert("sec-fetch-dest", HeaderValue::from_static("iframe"));
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            400,
        ),
        (
            "fetch site none",
            post(
                &changed(|h| {
                    h.insert("sec-fetch-site", HeaderValue::from_static("none"));
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            400,
        ),
        (
            "foreign origin",
            post(
                &changed(|h| {
                    h.insert("origin", HeaderValue::from_static("https://evil.example"));
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            400,
        ),
        (
            "keystone host, other port",
            post(
                &changed(|h| {
                    h.insert(
                        "origin",
                        HeaderValue::from_static("https://keystone.example.com"),
                    );
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            400,
        ),
        (
            "foreign referer",
            post(
                &changed(|h| {
                    h.insert(
                        "referer",
                        HeaderValue::from_static("https://evil.example/keystone.example.com"),
                    );
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            400,
        ),
        (
            "garbage referer",
            post(
                &changed(|h| {
                    h.insert("referer", HeaderValue::from_static("not a url"));
                }),
                CALLBACK_PATH,
                GOOD_BODY,
            ),
            400,
        ),
        ("empty token", post(&good(), CALLBACK_PATH, "token="), 400),
        (
            "blank token",
            post(&good(), CALLBACK_PATH, "token=+%20"),
            400,
        ),
        ("no token", post(&good(), CALLBACK_PATH, "tok=abc"), 400),
        (
            "token with a newline",
            post(&good(), CALLBACK_PATH, "token=a%0Ab"),
            400,
        ),
    ];
    for (what, got, want) in cases {
        assert_eq!(got, want, "{what}");
    }
    // None of them gave a token.
    assert!(rx.try_recv().is_err());
}

#[test]
fn accepted_variants_of_browser_headers() {
    // Origin `null` (a privacy-preserving browser), no Origin, no Referer, no Sec-Fetch-Site,
    // a charset parameter, upper-case scheme and host in the origin: all accepted.
    let variants: Vec<(&str, HeaderMap)> = vec![
        (
            "origin null",
            changed(|h| {
                h.insert("origin", HeaderValue::from_static("null"));
            }),
        ),
        (
            "no origin or referer",
            changed(|h| {
                h.remove("origin");
                h.remove("referer");
            }),
        ),
        (
            "no sec-fetch-site",
            changed(|h| {
                h.remove("sec-fetch-site");
            }),
        ),
        (
            "charset",
            changed(|h| {
                h.insert(
                    "content-type",
                    HeaderValue::from_static("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
                );
            }),
        ),
        (
            "upper-case origin",
            changed(|h| {
                h.insert(
                    "origin",
                    HeaderValue::from_static("HTTPS://Keystone.Example.COM:5000"),
                );
            }),
        ),
    ];
    for (what, h) in variants {
        let (cb, mut rx) = callback();
        assert_eq!(
            status_of(&cb, Method::POST, CALLBACK_PATH, &h, GOOD_BODY),
            200,
            "{what}"
        );
        assert!(rx.try_recv().is_ok(), "{what}");
    }
}

#[test]
fn urls_and_origins() {
    let f = WebSso::new("http://ks:5000/", "idp", "openid");
    assert_eq!(f.redirect_uri(), "http://localhost:9990/auth/websso/");
    assert_eq!(
        f.federated_token_url(),
        "http://ks:5000/v3/auth/OS-FEDERATION/identity_providers/idp/protocols/openid/websso"
    );
    assert_eq!(
        f.clone().redirect_host("::1").redirect_uri(),
        "http://[::1]:9990/auth/websso/"
    );
    assert_eq!(
        origin_of("HTTPS://KS.example:443/v3").as_deref(),
        Some("https://ks.example")
    );
    assert_eq!(origin_of("not a url"), None);
    assert_eq!(origin_of("data:text/plain,x"), None);
}

#[test]
fn cache_id_and_debug() {
    let a = WebSso::new("http://ks/v3", "idp", "openid").username("alice");
    let b = WebSso::new("http://ks/v3", "idp", "openid").username("bob");
    assert_ne!(
        a.unscoped_cache_id_elements(),
        b.unscoped_cache_id_elements()
    );
    let d = format!("{a:?}");
    assert!(d.contains("alice") && d.contains("9990"), "{d}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn flow(port: u16, timeout: Duration) -> WebSso {
    WebSso::new(KEYSTONE, "idp", "openid")
        .redirect_host("127.0.0.1")
        .redirect_port(port)
        .login_timeout(timeout)
        .open_browser(false)
        .prompt(|_| {})
}

/// Start waiting for a token on a free port.
async fn waiting(timeout: Duration) -> (u16, tokio::task::JoinHandle<Result<SecretString>>) {
    let port = free_port();
    let f = flow(port, timeout);
    let addrs = f.loopback_addrs().await.unwrap();
    let listeners = f.bind(&addrs).await.unwrap();
    let task = tokio::spawn(async move { f.wait_for_token(listeners).await });
    (port, task)
}

/// Send raw bytes, read the whole answer (the server closes), return its status.
async fn raw(port: u16, request: &[u8]) -> u16 {
    let exchange = async {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(request).await.unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        out
    };
    let out = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("the callback server answered in time");
    let text = String::from_utf8_lossy(&out);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"))
}

fn post_request(headers: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /auth/websso/ HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

const BROWSER: &str = "Content-Type: application/x-www-form-urlencoded\r\n\
Sec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\nSec-Fetch-Site: cross-site\r\n\
Origin: https://keystone.example.com:5000\r\n";

#[tokio::test]
async fn the_server_refuses_bad_requests_then_takes_a_good_one() {
    let (port, task) = waiting(Duration::from_secs(20)).await;
    assert_eq!(
        raw(port, b"GET /auth/websso/ HTTP/1.1\r\nHost: x\r\n\r\n").await,
        405
    );
    assert_eq!(
        raw(port, b"GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n").await,
        404
    );
    assert_eq!(raw(port, &post_request("", GOOD_BODY)).await, 415);
    // Chunked, no Content-Length.
    let chunked = format!(
        "POST /auth/websso/ HTTP/1.1\r\nHost: x\r\n{BROWSER}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{GOOD_BODY}\r\n0\r\n\r\n",
        GOOD_BODY.len()
    );
    assert_eq!(raw(port, chunked.as_bytes()).await, 411);
    let big = format!("token={}", "a".repeat(MAX_CALLBACK_BODY));
    assert_eq!(raw(port, &post_request(BROWSER, &big)).await, 413);
    assert_eq!(
        raw(
            port,
            &post_request(
                &BROWSER.replace("Sec-Fetch-Site: cross-site", "Sec-Fetch-Site: none"),
                GOOD_BODY
            )
        )
        .await,
        400
    );
    assert_eq!(raw(port, &post_request(BROWSER, "token=")).await, 400);
    // Headers over the 64 KiB buffer: refused, not read on.
    let huge = format!(
        "POST /auth/websso/ HTTP/1.1\r\nX-Pad: {}\r\n\r\n",
        "p".repeat(2 * MAX_CALLBACK_BODY)
    );
    let status = raw(port, huge.as_bytes()).await;
    assert!(status == 431 || status == 400 || status == 413, "{status}");
    assert!(!task.is_finished());
    assert_eq!(raw(port, &post_request(BROWSER, GOOD_BODY)).await, 200);
    let token = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(token.expose_secret(), "gAAAAABtoken-123_x");
    // The server is gone once the token arrived.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
}

#[tokio::test]
async fn no_token_before_the_login_timeout_is_a_typed_error() {
    let started = Instant::now();
    let (port, task) = waiting(Duration::from_millis(400)).await;
    assert_eq!(raw(port, &post_request(BROWSER, "token=")).await, 400);
    let err = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the wait ends at the login timeout")
        .unwrap()
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(400));
    match err.plugin_error::<WebSsoError>() {
        Some(WebSsoError::MissingToken {
            redirect_uri,
            timeout_secs,
        }) => {
            assert_eq!(
                redirect_uri,
                &format!("http://127.0.0.1:{port}/auth/websso/")
            );
            assert!((timeout_secs - 0.4).abs() < 1e-9);
        }
        other => panic!("{other:?}"),
    }
    assert!(err
        .to_string()
        .starts_with("Could not get a token from the WebSSO callback"));
}

#[tokio::test]
async fn a_silent_connection_does_not_hold_the_wait_past_the_timeout() {
    let (port, task) = waiting(Duration::from_millis(300)).await;
    let _idle = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let r = tokio::time::timeout(Duration::from_secs(5), task).await;
    let Ok(Ok(Err(e))) = r else { panic!("{r:?}") };
    assert!(matches!(
        e.plugin_error::<WebSsoError>(),
        Some(WebSsoError::MissingToken { .. })
    ));
}

#[tokio::test]
async fn a_port_in_use_is_a_typed_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let f = flow(port, Duration::from_secs(1));
    let addrs = f.loopback_addrs().await.unwrap();
    match f.bind(&addrs).await {
        Err(e) => match e.plugin_error::<WebSsoError>() {
            Some(WebSsoError::CallbackServer { port: p, .. }) => assert_eq!(*p, port),
            _ => panic!("{e:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_redirect_host_must_be_loopback() {
    for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
        let addrs = flow(9990, Duration::from_secs(1))
            .redirect_host(host)
            .loopback_addrs()
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{host}");
    }
    for host in ["10.1.2.3", "0.0.0.0", "::", "host.invalid"] {
        let r = flow(9990, Duration::from_secs(1))
            .redirect_host(host)
            .loopback_addrs()
            .await;
        match r {
            Err(Error::OptionError(m)) => assert!(m.contains("loopback"), "{host}: {m}"),
            other => panic!("{host}: {other:?}"),
        }
    }
    let session = Session::builder().build().unwrap();
    let r = flow(0, Duration::from_secs(1)).get_unscoped(&session).await;
    assert!(matches!(r, Err(Error::OptionError(_))), "{r:?}");
}

#[test]
fn browser_commands_follow_python_webbrowser() {
    let url = "http://ks/websso?origin=x";
    let desktop = browser_commands(None, url).pop().unwrap();
    assert_eq!(desktop.last().map(String::as_str), Some(url));
    let c = browser_commands(Some("firefox --new-window:chromium %s --incognito::"), url);
    assert_eq!(c.len(), 3);
    assert_eq!(c[0], ["firefox", "--new-window", url]);
    assert_eq!(c[1], ["chromium", url, "--incognito"]);
    assert_eq!(c[2], desktop);
}

#[tokio::test]
async fn openers_report_failure_and_success() {
    if cfg!(windows) {
        return;
    }
    assert!(try_opener(&["true".into()]).await.is_ok());
    let e = try_opener(&["false".into()]).await.unwrap_err();
    assert!(e.contains("false exited"), "{e}");
    let e = try_opener(&["/nonexistent/opener".into()])
        .await
        .unwrap_err();
    assert!(e.contains("/nonexistent/opener"), "{e}");
    assert!(try_opener(&[]).await.is_err());
}

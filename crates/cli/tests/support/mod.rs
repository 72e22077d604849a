//! A canned, possibly hostile, Keystone on 127.0.0.1 for `ksa` tests: `POST /v3/auth/tokens`
//! answers a given token body (any password is taken), `GET /v3` a version document, and
//! every other request is answered by the test's own handler. Every request is counted and
//! its path kept.
#![allow(dead_code)] // each test binary uses its own part of it

use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

/// The token id the canned Keystone hands out.
pub const TOKEN_ID: &str = "gAAAAABcannedtokencannedtokencannedtokencanned";

/// An answer: status, content type, body.
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Answer {
            status,
            content_type: "application/json",
            body: body.into(),
        }
    }
}

/// The test's answer to `(method, path)`, asked first; `None`: the token body for
/// `POST /v3/auth/tokens`, the version document for `GET /v3`, else 404.
pub type Handler = Arc<dyn Fn(&str, &str) -> Option<Answer> + Send + Sync>;

/// A running canned Keystone.
pub struct Canned {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Requests answered so far (token requests included).
    pub requests: Arc<AtomicUsize>,
    /// The paths asked for, in order.
    pub paths: Arc<Mutex<Vec<String>>>,
}

impl Canned {
    pub fn auth_url(&self) -> String {
        format!("{}/v3", self.base)
    }
    pub fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
    /// The `OS_*` variables of a password login to it.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OS_AUTH_TYPE", "v3password".into()),
            ("OS_AUTH_URL", self.auth_url()),
            ("OS_USERNAME", "demo".into()),
            ("OS_PASSWORD", "demopass".into()),
            ("OS_USER_DOMAIN_ID", "default".into()),
            ("OS_PROJECT_NAME", "demo".into()),
            ("OS_PROJECT_DOMAIN_ID", "default".into()),
        ]
    }
}

/// No answer of the test's own: the defaults for every request.
pub fn defaults() -> Handler {
    Arc::new(|_: &str, _: &str| None)
}

/// Start a canned Keystone answering `token_body` to `POST /v3/auth/tokens`.
pub async fn start(token_body: Vec<u8>, other: Handler) -> Canned {
    start_with(|_| token_body, other).await
}

/// [`start`], the token body made from the server's base URL (`http://127.0.0.1:PORT`).
pub async fn start_with(token_body: impl FnOnce(&str) -> Vec<u8>, other: Handler) -> Canned {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let token_body = Arc::new(token_body(&base));
    let requests = Arc::new(AtomicUsize::new(0));
    let paths = Arc::new(Mutex::new(Vec::new()));
    let (r, p, b) = (requests.clone(), paths.clone(), base.clone());
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let (token_body, other, r, p, b) = (
                token_body.clone(),
                other.clone(),
                r.clone(),
                p.clone(),
                b.clone(),
            );
            tokio::spawn(async move {
                let _ = serve(sock, &token_body, &other, &r, &p, &b).await;
            });
        }
    });
    Canned {
        base,
        requests,
        paths,
    }
}

/// Answer the requests of one connection (keep-alive), until the client closes it.
async fn serve(
    mut sock: TcpStream,
    token_body: &[u8],
    other: &Handler,
    requests: &AtomicUsize,
    paths: &Mutex<Vec<String>>,
    base: &str,
) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // The head.
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > 1 << 20 {
                return Ok(());
            }
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let mut words = head.split_whitespace();
        let method = words.next().unwrap_or("").to_owned();
        let path = words.next().unwrap_or("").to_owned();
        let length: usize = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        // The body, read and dropped.
        while buf.len() < end + length {
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..end + length);
        requests.fetch_add(1, Ordering::SeqCst);
        paths.lock().unwrap().push(path.clone());
        let answer = match other(&method, &path) {
            Some(a) => a,
            None => match (method.as_str(), path.trim_end_matches('/')) {
                ("POST", "/v3/auth/tokens") => {
                    let head = answer_head(
                        201,
                        "application/json",
                        token_body.len(),
                        &format!("x-subject-token: {TOKEN_ID}\r\n"),
                    );
                    sock.write_all(head.as_bytes()).await?;
                    sock.write_all(token_body).await?;
                    continue;
                }
                ("GET", "/v3") => v3_version(base),
                _ => Answer::json(404, r#"{"error": {"code": 404, "message": "not found"}}"#),
            },
        };
        let head = answer_head(answer.status, answer.content_type, answer.body.len(), "");
        sock.write_all(head.as_bytes()).await?;
        sock.write_all(&answer.body).await?;
    }
}

fn answer_head(status: u16, ctype: &str, len: usize, extra: &str) -> String {
    format!("HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {len}\r\n{extra}\r\n")
}

/// The identity v3 version document of `base`.
pub fn v3_version(base: &str) -> Answer {
    Answer::json(
        200,
        format!(
            r#"{{"version": {{"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [{{"rel": "self", "href": "{base}/v3/"}}], "media-types": []}}}}"#
        ),
    )
}

/// Run `ksa` with only `env` (and `HOME`), in `home`, for at most 120 s.
pub async fn ksa(home: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    let run = Command::new(env!("CARGO_BIN_EXE_ksa"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("ksa finishes within 120 s")
        .expect("ksa runs")
}

/// Standard output of a run that succeeded.
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "ksa failed ({:?}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("the output is UTF-8")
}

//! Helpers shared by the integration tests: captures, test plugins, log capture, raw servers.
#![allow(dead_code)]

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use keystoneauth_core::{async_trait, AccessInfo, AuthPlugin, Result, Session};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Upper bound for any one networked test step.
pub const BOUND: Duration = Duration::from_secs(20);

/// Run a future with a time bound; panics (fails the test) if it does not finish.
///
/// It then yields once, so the test goes on with a fresh tokio coop budget. A step that
/// awaits many ready futures (a wave of join handles) can spend the whole budget, and
/// wiremock's `MockServer` drop blocks on a tokio lock with `futures::executor::block_on`:
/// with no budget left that lock never becomes ready and the drop spins forever, beyond the
/// reach of any timeout.
pub async fn bounded<F: Future>(fut: F) -> F::Output {
    let out = tokio::time::timeout(BOUND, fut)
        .await
        .expect("test step timed out");
    tokio::task::yield_now().await;
    out
}

pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A capture file as JSON.
pub fn capture(name: &str) -> Value {
    let text = std::fs::read_to_string(data_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Names of all token captures in tests/data.
pub fn token_capture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_path(""))
        .expect("tests/data")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("token_") && n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("format")
}

/// A v3 token body for a project-scoped token with a catalog.
pub fn v3_body(expires_in: time::Duration, project_id: &str, catalog: Value) -> Value {
    let now = OffsetDateTime::now_utc();
    json!({"token": {
        "methods": ["password"],
        "user": {"id": "u1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
        "audit_ids": ["audit-1"],
        "expires_at": rfc3339(now + expires_in),
        "issued_at": rfc3339(now),
        "project": {"id": project_id, "name": "demo", "domain": {"id": "default", "name": "Default"}},
        "is_domain": false,
        "roles": [{"id": "r1", "name": "member"}],
        "catalog": catalog,
    }})
}

/// A catalog entry.
pub fn service(ty: &str, name: &str, endpoints: &[(&str, &str, &str)]) -> Value {
    json!({
        "type": ty,
        "name": name,
        "id": format!("{ty}-id"),
        "endpoints": endpoints.iter().enumerate().map(|(i, (iface, region, url))| json!({
            "id": format!("{ty}-{i}"), "interface": iface, "region_id": region, "region": region, "url": url
        })).collect::<Vec<_>>(),
    })
}

pub fn access_info(body: &Value, token: &str) -> AccessInfo {
    AccessInfo::from_v3_body(
        &serde_json::to_vec(body).unwrap(),
        SecretString::from(token.to_owned()),
    )
    .expect("valid body")
}

/// A plugin that hands out `tok-1`, `tok-2`, … and counts calls.
#[derive(Debug)]
pub struct CountingPlugin {
    pub headers: AtomicUsize,
    pub invalidates: AtomicUsize,
    pub invalidate_result: bool,
    pub project_id: Option<String>,
}

impl CountingPlugin {
    pub fn new() -> Self {
        CountingPlugin {
            headers: AtomicUsize::new(0),
            invalidates: AtomicUsize::new(0),
            invalidate_result: true,
            project_id: Some("proj-1".into()),
        }
    }
    pub fn header_calls(&self) -> usize {
        self.headers.load(Ordering::SeqCst)
    }
    pub fn invalidate_calls(&self) -> usize {
        self.invalidates.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl AuthPlugin for CountingPlugin {
    async fn auth_headers(&self, _session: &Session) -> Result<Option<HeaderMap>> {
        let n = self.headers.fetch_add(1, Ordering::SeqCst) + 1;
        let mut h = HeaderMap::new();
        h.insert(
            "X-Auth-Token",
            HeaderValue::from_str(&format!("tok-{n}")).unwrap(),
        );
        Ok(Some(h))
    }
    fn invalidate(&self) -> bool {
        self.invalidates.fetch_add(1, Ordering::SeqCst);
        self.invalidate_result
    }
    async fn project_id(&self, _session: &Session) -> Result<Option<String>> {
        Ok(self.project_id.clone())
    }
    async fn user_id(&self, _session: &Session) -> Result<Option<String>> {
        Ok(Some("user-1".into()))
    }
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
pub struct LogBuf(pub Arc<Mutex<Vec<u8>>>);

pub struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuf {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LogWriter(self.0.clone())
    }
}

impl LogBuf {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Capture DEBUG logs of this thread until the guard is dropped.
pub fn capture_logs() -> (LogBuf, tracing::subscriber::DefaultGuard) {
    let buf = LogBuf::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buf.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (buf, guard)
}

/// A raw HTTP server on 127.0.0.1: for each connection, read the request head and answer with
/// `response` bytes, then close. Returns the base URL and a counter of connections.
pub async fn raw_server(response: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        for _ in 0..50 {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            c.fetch_add(1, Ordering::SeqCst);
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tokio::time::timeout(Duration::from_secs(5), sock.read(&mut chunk)).await
                    {
                        Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                        _ => return,
                    }
                }
                let _ = sock.write_all(&response).await;
                let _ = sock.flush().await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

/// A port with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// An authenticator that POSTs a password body to `{url}/v3/auth/tokens` and parses the
/// answer; its cache id is made of the URL, so token stores can key it.
#[derive(Debug)]
pub struct PostAuth {
    pub url: String,
}

#[async_trait]
impl keystoneauth_core::Authenticator for PostAuth {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        let resp = session
            .post(format!("{}/v3/auth/tokens", self.url))
            .authenticated(false)
            .json(&json!({"auth": {"identity": {"methods": ["password"],
                "password": {"user": {"name": "u", "password": "p"}}}}}))
            .send()
            .await?;
        let token = resp
            .header("X-Subject-Token")
            .map(|t| SecretString::from(t.to_owned()));
        AccessInfo::from_body(resp.bytes(), token)
    }
    fn auth_url(&self) -> &str {
        &self.url
    }
    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        Some(vec![("auth_url".into(), Some(self.url.clone()))])
    }
}

/// The token each client gets when all of them ask at the same moment (a barrier releases
/// them together, each in its own task), each within 60 s.
pub async fn tokens_at_once(clients: Vec<(Arc<dyn AuthPlugin>, Session)>) -> Vec<String> {
    let start = Arc::new(tokio::sync::Barrier::new(clients.len()));
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(auth, session)| {
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                auth.token(&session)
                    .await
                    .unwrap()
                    .unwrap()
                    .expose_secret()
                    .to_owned()
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(
            tokio::time::timeout(Duration::from_secs(60), t)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    tokens
}

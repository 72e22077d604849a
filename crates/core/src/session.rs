//! [`Session`]: HTTP with authentication, endpoint lookup, retries and redacted logging.
//!
//! ```no_run
//! # async fn demo(auth: std::sync::Arc<dyn keystoneauth_core::AuthPlugin>) -> keystoneauth_core::Result<()> {
//! use keystoneauth_core::{EndpointFilter, Session};
//! let session = Session::builder().auth(auth).app("myapp", "1.0").build()?;
//! let resp = session
//!     .get("/servers")
//!     .endpoint_filter(EndpointFilter::service("compute"))
//!     .microversion("2.10")
//!     .send()
//!     .await?;
//! println!("{}", resp.text());
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER, USER_AGENT};
use http::{HeaderMap, Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::discover::Discover;
use crate::error::{Error, HttpError, MissingAuthMethods, Result};
use crate::plugin::{AuthPlugin, ConnectionParams, EndpointFilter};
use crate::redact;
use crate::service_types;
use crate::version::Version;

/// The default User-Agent product.
pub const USER_AGENT_PRODUCT: &str = concat!("keystoneauth-rs/", env!("CARGO_PKG_VERSION"));
/// Request id header.
pub const REQUEST_ID_HEADER: &str = "X-OpenStack-Request-ID";
/// MFA receipt header.
pub const RECEIPT_HEADER: &str = "Openstack-Auth-Receipt";
/// Statuses retried by `status_code_retries` unless told otherwise.
pub const DEFAULT_RETRIABLE_STATUS_CODES: &[u16] = &[429, 503];
/// Cap of the exponential backoff and of `Retry-After`.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);
/// First delay of the exponential backoff.
pub const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);
/// Default limit of a response body that is read into memory.
pub const DEFAULT_MAX_BODY_SIZE: usize = 64 * 1024 * 1024;
const REDIRECT_STATUSES: &[u16] = &[301, 302, 303, 305, 307, 308];

/// How the server's certificate is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Verify {
    /// Check against the system roots (default).
    #[default]
    System,
    /// Check against this CA bundle (PEM file).
    CaBundle(PathBuf),
    /// Do not check (`--insecure`).
    Insecure,
}

/// The time one request took (with `collect_timing`).
#[derive(Debug, Clone)]
pub struct RequestTiming {
    /// Method.
    pub method: String,
    /// URL of this attempt.
    pub url: String,
    /// Time from sending this attempt to its full response (a redirect hop, a retried status
    /// and the final response are each an entry; an attempt with no response is none).
    pub elapsed: Duration,
}

#[derive(Clone)]
struct ClientConfig {
    verify: Verify,
    client_cert_pem: Option<Vec<u8>>,
    client_key_pem: Option<SecretString>,
    connect_timeout: Option<Duration>,
    pool_max_idle_per_host: Option<usize>,
}

impl ClientConfig {
    /// The settings every client of a session shares: no automatic redirects (the session
    /// follows them itself, hop by hop), one cookie jar, TCP options.
    fn base_builder(&self, jar: &Arc<reqwest::cookie::Jar>) -> reqwest::ClientBuilder {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(Arc::clone(jar))
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(60));
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(t);
        }
        if let Some(n) = self.pool_max_idle_per_host {
            b = b.pool_max_idle_per_host(n);
        }
        b
    }

    /// Read the CA bundle the settings name, so that a bad file fails `build()`.
    fn read_ca_bundle(&self) -> Result<Vec<reqwest::Certificate>> {
        let Verify::CaBundle(path) = &self.verify else {
            return Ok(Vec::new());
        };
        let pem = std::fs::read(path).map_err(|e| {
            Error::TlsConfig(format!("cannot read CA bundle {}: {e}", path.display()))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Error::TlsConfig(format!("invalid CA bundle {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(Error::TlsConfig(format!(
                "CA bundle {} has no certificates",
                path.display()
            )));
        }
        Ok(certs)
    }
}

/// The HTTP clients a session sends through, each built on first use.
///
/// Building an OpenSSL client loads the system CA bundle (OpenSSL 3 takes ~100 ms for
/// Debian's), so a session that only talks plain `http://` never builds one: `http://` URLs go
/// through a client that cannot make TLS connections at all (no trust roots), and every
/// `https://` URL goes through the OpenSSL client, built when the first one is sent. Both
/// share one cookie jar; the session follows redirects itself and picks the client per hop.
struct Clients {
    config: ClientConfig,
    ca_bundle: Vec<reqwest::Certificate>,
    identity: Option<reqwest::Identity>,
    jar: Arc<reqwest::cookie::Jar>,
    /// A client the user gave: used for everything.
    given: Option<reqwest::Client>,
    tls: OnceLock<reqwest::Client>,
    plain: OnceLock<reqwest::Client>,
    building: Mutex<()>,
    /// Clients for per-request client certificates (e.g. OAuth2 mTLS), by certificate + key.
    with_identity: Mutex<HashMap<Vec<u8>, reqwest::Client>>,
    /// An `http_proxy`/`all_proxy` reached over TLS: plain URLs need the TLS client too.
    proxy_is_tls: bool,
}

impl Clients {
    fn new(config: ClientConfig, given: Option<reqwest::Client>) -> Result<Clients> {
        let (ca_bundle, identity) = if given.is_some() {
            (Vec::new(), None)
        } else {
            let identity = match &config.client_cert_pem {
                Some(cert) => Some(client_identity(cert, config.client_key_pem.as_ref())?),
                None => None,
            };
            (config.read_ca_bundle()?, identity)
        };
        let proxy_is_tls = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .any(|v| {
                v.trim()
                    .get(..8)
                    .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            });
        Ok(Clients {
            config,
            ca_bundle,
            identity,
            jar: Arc::new(reqwest::cookie::Jar::default()),
            given,
            tls: OnceLock::new(),
            plain: OnceLock::new(),
            building: Mutex::new(()),
            with_identity: Mutex::new(HashMap::new()),
            proxy_is_tls,
        })
    }

    fn build_tls(&self, identity: Option<reqwest::Identity>) -> Result<reqwest::Client> {
        let mut b = self.config.base_builder(&self.jar).use_native_tls();
        if self.config.verify == Verify::Insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        for c in &self.ca_bundle {
            b = b.add_root_certificate(c.clone());
        }
        if let Some(id) = identity {
            b = b.identity(id);
        }
        b.build()
            .map_err(|e| Error::TlsConfig(format!("cannot build HTTP client: {e}")))
    }

    fn build_plain(&self) -> Result<reqwest::Client> {
        self.config
            .base_builder(&self.jar)
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .build()
            .map_err(|e| Error::TlsConfig(format!("cannot build HTTP client: {e}")))
    }

    fn once(
        &self,
        cell: &OnceLock<reqwest::Client>,
        build: impl FnOnce() -> Result<reqwest::Client>,
    ) -> Result<reqwest::Client> {
        if let Some(c) = cell.get() {
            return Ok(c.clone());
        }
        let _one_builder = self.building.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cell.get() {
            return Ok(c.clone());
        }
        let c = build()?;
        Ok(cell.get_or_init(|| c).clone())
    }

    /// The client for one hop to `url`.
    fn for_url(&self, url: &str, params: &ConnectionParams) -> Result<reqwest::Client> {
        if let Some(c) = &self.given {
            return Ok(c.clone());
        }
        let plain = url
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("http:"));
        if plain && !self.proxy_is_tls {
            return self.once(&self.plain, || self.build_plain());
        }
        let Some(cert) = &params.client_cert_pem else {
            return self.once(&self.tls, || self.build_tls(self.identity.clone()));
        };
        let mut key = cert.clone();
        if let Some(k) = &params.client_key_pem {
            key.extend_from_slice(k.expose_secret().as_bytes());
        }
        let mut clients = self.with_identity.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let id = client_identity(cert, params.client_key_pem.as_ref())?;
        let c = self.build_tls(Some(id))?;
        clients.insert(key, c.clone());
        Ok(c)
    }
}

/// Build a TLS client identity from PEM certificate and key (any key format openssl reads).
fn client_identity(cert_pem: &[u8], key_pem: Option<&SecretString>) -> Result<reqwest::Identity> {
    let key_source: Vec<u8> = match key_pem {
        Some(k) => k.expose_secret().as_bytes().to_vec(),
        None => cert_pem.to_vec(), // key in the same file
    };
    let key = openssl::pkey::PKey::private_key_from_pem(&key_source)
        .map_err(|e| Error::TlsConfig(format!("cannot read client key: {e}")))?;
    let pkcs8 = key
        .private_key_to_pem_pkcs8()
        .map_err(|e| Error::TlsConfig(format!("cannot convert client key: {e}")))?;
    // Keep only the certificates from the cert PEM.
    let certs = openssl::x509::X509::stack_from_pem(cert_pem)
        .map_err(|e| Error::TlsConfig(format!("cannot read client certificate: {e}")))?;
    if certs.is_empty() {
        return Err(Error::TlsConfig(
            "client certificate PEM has no certificate".into(),
        ));
    }
    let mut chain = Vec::new();
    for c in certs {
        chain.extend(
            c.to_pem()
                .map_err(|e| Error::TlsConfig(format!("client certificate: {e}")))?,
        );
    }
    reqwest::Identity::from_pkcs8_pem(&chain, &pkcs8)
        .map_err(|e| Error::TlsConfig(format!("invalid client certificate or key: {e}")))
}

struct Inner {
    clients: Arc<Clients>,
    auth: Option<Arc<dyn AuthPlugin>>,
    timeout: Option<Duration>,
    user_agent: Option<String>,
    ua_parts: Vec<(String, Option<String>)>,
    /// The User-Agent of requests that do not change it (`None`: not a valid header value).
    default_user_agent: Option<HeaderValue>,
    additional_headers: HeaderMap,
    original_ip: Option<String>,
    connect_retries: u32,
    status_code_retries: u32,
    redirect_limit: u32,
    max_body_size: usize,
    max_retry_delay: Duration,
    collect_timing: bool,
    split_loggers: bool,
    timings: Mutex<Vec<RequestTiming>>,
    discovery_cache: Mutex<HashMap<String, Arc<Discover>>>,
}

/// An HTTP session: cheap to clone, safe to share between tasks.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("auth", &self.inner.auth)
            .field("verify", &self.inner.clients.config.verify)
            .field("timeout", &self.inner.timeout)
            .field("connect_retries", &self.inner.connect_retries)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Session`].
pub struct SessionBuilder {
    auth: Option<Arc<dyn AuthPlugin>>,
    config: ClientConfig,
    timeout: Option<Duration>,
    user_agent: Option<String>,
    ua_parts: Vec<(String, Option<String>)>,
    additional_headers: HeaderMap,
    original_ip: Option<String>,
    connect_retries: u32,
    status_code_retries: u32,
    redirect_limit: u32,
    max_body_size: usize,
    max_retry_delay: Duration,
    collect_timing: bool,
    split_loggers: bool,
    client: Option<reqwest::Client>,
}

impl fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionBuilder").finish_non_exhaustive()
    }
}

impl Default for SessionBuilder {
    fn default() -> Self {
        SessionBuilder {
            auth: None,
            config: ClientConfig {
                verify: Verify::System,
                client_cert_pem: None,
                client_key_pem: None,
                connect_timeout: None,
                pool_max_idle_per_host: None,
            },
            timeout: None,
            user_agent: None,
            ua_parts: Vec::new(),
            additional_headers: HeaderMap::new(),
            original_ip: None,
            connect_retries: 0,
            status_code_retries: 0,
            redirect_limit: 30,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_retry_delay: MAX_RETRY_DELAY,
            collect_timing: false,
            split_loggers: false,
            client: None,
        }
    }
}

impl SessionBuilder {
    /// The default auth plugin.
    pub fn auth(mut self, auth: Arc<dyn AuthPlugin>) -> Self {
        self.auth = Some(auth);
        self
    }
    /// Timeout of each request (connect + response).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = Some(timeout);
        self
    }
    /// How to check server certificates.
    pub fn verify(mut self, verify: Verify) -> Self {
        self.config.verify = verify;
        self
    }
    /// A client certificate (PEM) and its key (PEM; `None` if in the certificate file).
    pub fn client_cert(mut self, cert_pem: Vec<u8>, key_pem: Option<SecretString>) -> Self {
        self.config.client_cert_pem = Some(cert_pem);
        self.config.client_key_pem = key_pem;
        self
    }
    /// Replace the whole User-Agent.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }
    /// Application name and version, first in the User-Agent.
    pub fn app(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.ua_parts.insert(0, (name.into(), Some(version.into())));
        self
    }
    /// Another product in the User-Agent.
    pub fn additional_user_agent(
        mut self,
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> Self {
        self.ua_parts.push((name.into(), Some(version.into())));
        self
    }
    /// A header sent with every request unless the request sets it.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.additional_headers.insert(name, value);
        self
    }
    /// Adds `Forwarded: for=<ip>;by=<user agent>`.
    pub fn original_ip(mut self, ip: impl Into<String>) -> Self {
        self.original_ip = Some(ip.into());
        self
    }
    /// Default connect retries.
    pub fn connect_retries(mut self, n: u32) -> Self {
        self.connect_retries = n;
        self
    }
    /// Default status-code retries.
    pub fn status_code_retries(mut self, n: u32) -> Self {
        self.status_code_retries = n;
        self
    }
    /// How many redirects to follow (default 30).
    pub fn redirect_limit(mut self, n: u32) -> Self {
        self.redirect_limit = n;
        self
    }
    /// Largest response body read into memory (default 64 MiB).
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }
    /// Cap of retry delays and of `Retry-After` (default 60 s).
    pub fn max_retry_delay(mut self, d: Duration) -> Self {
        self.max_retry_delay = d;
        self
    }
    /// Record the time of each request.
    pub fn collect_timing(mut self, on: bool) -> Self {
        self.collect_timing = on;
        self
    }
    /// Log requests, responses, response bodies and request ids under their own targets
    /// (`keystoneauth::session::request`, `…::response`, `…::body`, `…::request-id`, like
    /// keystoneauth1's split loggers) instead of all under `keystoneauth::session`, so that
    /// each can be turned on by itself; the lines then drop their `REQ:`/`RESP:` prefixes.
    pub fn split_loggers(mut self, on: bool) -> Self {
        self.split_loggers = on;
        self
    }
    /// Idle connections kept per host.
    pub fn pool_max_idle_per_host(mut self, n: usize) -> Self {
        self.config.pool_max_idle_per_host = Some(n);
        self
    }
    /// Use this reqwest client as is (it must not follow redirects itself).
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }
    /// Build the session.
    pub fn build(self) -> Result<Session> {
        let default_user_agent = HeaderValue::from_str(&user_agent_string(
            self.user_agent.as_deref(),
            &self.ua_parts,
            None,
        ))
        .ok();
        Ok(Session {
            inner: Arc::new(Inner {
                clients: Arc::new(Clients::new(self.config, self.client)?),
                auth: self.auth,
                timeout: self.timeout,
                user_agent: self.user_agent,
                ua_parts: self.ua_parts,
                default_user_agent,
                additional_headers: self.additional_headers,
                original_ip: self.original_ip,
                connect_retries: self.connect_retries,
                status_code_retries: self.status_code_retries,
                redirect_limit: self.redirect_limit,
                max_body_size: self.max_body_size,
                max_retry_delay: self.max_retry_delay,
                collect_timing: self.collect_timing,
                split_loggers: self.split_loggers,
                timings: Mutex::new(Vec::new()),
                discovery_cache: Mutex::new(HashMap::new()),
            }),
        })
    }
}

/// A fully read HTTP response.
#[derive(Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    url: String,
    body: Bytes,
    elapsed: Duration,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("url", &self.url)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Response {
    /// Status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// Headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The final URL.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The body as JSON; `InvalidResponse` if it is not.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::InvalidResponse(format!("{}: body is not the expected JSON: {e}", self.url))
        })
    }
    /// `X-OpenStack-Request-ID` (or `X-Compute-Request-ID`).
    pub fn request_id(&self) -> Option<&str> {
        self.header(REQUEST_ID_HEADER)
            .or_else(|| self.header("x-compute-request-id"))
    }
    /// Time to the full response.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
    /// The error this response stands for (as with `raise_exc`).
    pub fn to_error(&self, method: &Method) -> Error {
        error_from_response(self, method.as_str())
    }
    /// Build a response (for tests and custom transports).
    pub fn from_parts(status: u16, headers: HeaderMap, url: String, body: Bytes) -> Self {
        Response {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            url,
            body,
            elapsed: Duration::ZERO,
        }
    }
}

/// Turn a failed response into the matching [`Error`] (keystoneauth1's `from_response`).
pub fn error_from_response(resp: &Response, method: &str) -> Error {
    let status = resp.status.as_u16();
    if status == 401 {
        if let Some(receipt) = resp.header(RECEIPT_HEADER) {
            let body: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
            let strings = |v: Option<&Value>| -> Vec<String> {
                v.and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let rules = body
                .get("required_auth_methods")
                .and_then(Value::as_array)
                .map(|rules| rules.iter().map(|r| strings(Some(r))).collect())
                .unwrap_or_default();
            let r = body.get("receipt");
            return Error::MissingAuthMethods(Box::new(MissingAuthMethods {
                receipt: SecretString::from(receipt.to_owned()),
                methods: strings(r.and_then(|r| r.get("methods"))),
                required_auth_methods: rules,
                expires_at: r
                    .and_then(|r| r.get("expires_at"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                user_id: r
                    .and_then(|r| r.get("user"))
                    .and_then(|u| u.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                body,
            }));
        }
    }
    let reason = resp
        .status
        .canonical_reason()
        .unwrap_or("HTTP Error")
        .to_owned();
    let content_type = resp
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let (mut message, mut details) = (reason, None);
    if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Value>(&resp.body) {
            Ok(v) => {
                if let Some(err) = v.get("error").filter(|e| e.is_object()) {
                    if let Some(m) = err.get("message").and_then(Value::as_str) {
                        message = m.to_owned();
                    }
                    details = err.get("details").map(|d| match d {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                } else if let Some(errs) = v.get("errors").and_then(Value::as_array) {
                    if let Some(first) = errs.first() {
                        let title = first.get("title").and_then(Value::as_str).unwrap_or("");
                        message = if errs.len() > 1 {
                            format!("Multiple error responses, showing first only: {title}")
                        } else {
                            title.to_owned()
                        };
                        details = first
                            .get("detail")
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                    }
                } else if let Some(desc) = v.get("error_description").and_then(Value::as_str) {
                    // OAuth 2.0 style errors (Keystone's OS-OAUTH2, IdPs).
                    message = desc.to_owned();
                    details = v.get("error").and_then(Value::as_str).map(str::to_owned);
                } else {
                    message = "Unrecognized schema in response body.".into();
                }
            }
            Err(_) => details = Some(String::from_utf8_lossy(&resp.body).into_owned()),
        }
    } else if content_type.starts_with("text/") && !resp.body.is_empty() {
        let text = String::from_utf8_lossy(&resp.body);
        details = Some(text.chars().take(2048).collect());
    }
    let retry_after = resp
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Error::from_http(HttpError {
        status,
        message,
        details,
        request_id: resp.request_id().map(str::to_owned),
        url: resp.url.clone(),
        method: method.to_owned(),
        retry_after,
    })
}

fn map_reqwest_error(url: &str, e: &reqwest::Error) -> Error {
    let mut chain = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        src = s.source();
    }
    let lower = chain.to_ascii_lowercase();
    if e.is_timeout() {
        Error::ConnectTimeout { url: url.into() }
    } else if lower.contains("certificate")
        || lower.contains("ssl")
        || lower.contains("tls")
        || lower.contains("handshake")
    {
        Error::SslError {
            url: url.into(),
            message: chain,
        }
    } else if e.is_connect() {
        Error::ConnectFailure {
            url: url.into(),
            message: chain,
        }
    } else {
        Error::UnknownConnectionError {
            url: url.into(),
            message: chain,
        }
    }
}

/// Exponential backoff (0.5 s doubling, capped) or a fixed delay.
struct Backoff {
    fixed: Option<Duration>,
    next: Duration,
    cap: Duration,
}

impl Backoff {
    fn new(fixed: Option<Duration>, cap: Duration) -> Self {
        Backoff {
            fixed,
            next: FIRST_RETRY_DELAY,
            cap,
        }
    }
    fn next_delay(&mut self) -> Duration {
        if let Some(f) = self.fixed {
            return f.min(self.cap);
        }
        let d = self.next.min(self.cap);
        self.next = (self.next * 2).min(self.cap);
        d
    }
    fn reset(&mut self) {
        self.next = FIRST_RETRY_DELAY;
    }
}

fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

fn is_absolute(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// A request being built; send it with [`send`](RequestBuilder::send).
#[must_use = "a request does nothing until sent"]
pub struct RequestBuilder {
    session: Session,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Option<Bytes>,
    /// A streamed body: sent once, so never replayed (see [`RequestBuilder::body_stream`]).
    stream_body: Option<std::sync::Mutex<Option<reqwest::Body>>>,
    json_body: bool,
    log_body: bool,
    query: Vec<(String, String)>,
    endpoint_filter: Option<EndpointFilter>,
    endpoint_override: Option<String>,
    authenticated: Option<bool>,
    auth: Option<Arc<dyn AuthPlugin>>,
    connection_params: Option<ConnectionParams>,
    raise_exc: bool,
    allow_reauth: bool,
    log: bool,
    connect_retries: Option<u32>,
    status_code_retries: Option<u32>,
    retriable_status_codes: Option<Vec<u16>>,
    connect_retry_delay: Option<Duration>,
    status_code_retry_delay: Option<Duration>,
    microversion: Option<String>,
    microversion_service_type: Option<String>,
    global_request_id: Option<String>,
    timeout: Option<Duration>,
    redirect: Option<u32>,
    client_name: Option<(String, Option<String>)>,
    user_agent: Option<String>,
    limiter: Option<Arc<crate::adapter::RequestLimiter>>,
    error: Option<Error>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A builder.
    pub fn builder() -> SessionBuilder {
        SessionBuilder::default()
    }

    /// A session with default settings and this auth plugin.
    pub fn new(auth: Arc<dyn AuthPlugin>) -> Result<Session> {
        Session::builder().auth(auth).build()
    }

    /// The session's auth plugin.
    pub fn auth(&self) -> Option<&Arc<dyn AuthPlugin>> {
        self.inner.auth.as_ref()
    }

    /// Whether the session's cookie jar holds a cookie it would send to `url` (keystoneauth1's
    /// ADFS plugin checks its session got one); `None` when the session sends through a client
    /// given to [`SessionBuilder::client`], whose cookies it cannot see, or `url` is invalid.
    pub fn has_cookies_for(&self, url: &str) -> Option<bool> {
        use reqwest::cookie::CookieStore as _;
        if self.inner.clients.given.is_some() {
            return None;
        }
        let url = url::Url::parse(url).ok()?;
        Some(self.inner.clients.jar.cookies(&url).is_some())
    }

    /// The same HTTP client and settings with another auth plugin.
    pub fn with_auth(&self, auth: Arc<dyn AuthPlugin>) -> Session {
        Session {
            inner: Arc::new(Inner {
                clients: Arc::clone(&self.inner.clients),
                auth: Some(auth),
                timeout: self.inner.timeout,
                user_agent: self.inner.user_agent.clone(),
                ua_parts: self.inner.ua_parts.clone(),
                default_user_agent: self.inner.default_user_agent.clone(),
                additional_headers: self.inner.additional_headers.clone(),
                original_ip: self.inner.original_ip.clone(),
                connect_retries: self.inner.connect_retries,
                status_code_retries: self.inner.status_code_retries,
                redirect_limit: self.inner.redirect_limit,
                max_body_size: self.inner.max_body_size,
                max_retry_delay: self.inner.max_retry_delay,
                collect_timing: self.inner.collect_timing,
                split_loggers: self.inner.split_loggers,
                timings: Mutex::new(Vec::new()),
                discovery_cache: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Start a request. `url` is absolute, or relative to the endpoint found through
    /// [`endpoint_filter`](RequestBuilder::endpoint_filter) or
    /// [`endpoint_override`](RequestBuilder::endpoint_override).
    pub fn request(&self, method: Method, url: impl Into<String>) -> RequestBuilder {
        RequestBuilder {
            session: self.clone(),
            method,
            url: url.into(),
            // Room for what most requests carry (token, User-Agent, a few more) without growing.
            headers: HeaderMap::with_capacity(8),
            body: None,
            stream_body: None,
            json_body: false,
            log_body: true,
            query: Vec::new(),
            endpoint_filter: None,
            endpoint_override: None,
            authenticated: None,
            auth: None,
            connection_params: None,
            raise_exc: true,
            allow_reauth: true,
            log: true,
            connect_retries: None,
            status_code_retries: None,
            retriable_status_codes: None,
            connect_retry_delay: None,
            status_code_retry_delay: None,
            microversion: None,
            microversion_service_type: None,
            global_request_id: None,
            timeout: None,
            redirect: None,
            client_name: None,
            user_agent: None,
            limiter: None,
            error: None,
        }
    }

    /// `GET`.
    pub fn get(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::GET, url)
    }
    /// `POST`.
    pub fn post(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::POST, url)
    }
    /// `PUT`.
    pub fn put(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::PUT, url)
    }
    /// `PATCH`.
    pub fn patch(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::PATCH, url)
    }
    /// `DELETE`.
    pub fn delete(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }
    /// `HEAD`.
    pub fn head(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::HEAD, url)
    }

    fn require_auth(&self, what: &str) -> Result<&dyn AuthPlugin> {
        self.inner
            .auth
            .as_deref()
            .ok_or_else(|| Error::MissingAuthPlugin(what.into()))
    }

    /// The token of the session's plugin.
    pub async fn token(&self) -> Result<Option<SecretString>> {
        self.require_auth("fetch a token")?.token(self).await
    }
    /// The auth headers of the session's plugin.
    pub async fn auth_headers(&self) -> Result<Option<HeaderMap>> {
        self.require_auth("fetch a token")?.auth_headers(self).await
    }
    /// The endpoint URL for a filter.
    pub async fn endpoint(&self, filter: &EndpointFilter) -> Result<Option<String>> {
        self.require_auth("determine the endpoint URL")?
            .endpoint(self, filter)
            .await
    }
    /// The endpoint data for a filter (with discovery when a version is asked for).
    pub async fn endpoint_data(
        &self,
        filter: &EndpointFilter,
    ) -> Result<Option<crate::catalog::EndpointData>> {
        self.require_auth("determine the endpoint URL")?
            .endpoint_data(self, filter)
            .await
    }
    /// The versions every endpoint in the token's catalog offers, by region, interface and
    /// service type (keystoneauth1's `get_all_version_data`; see
    /// [`discover::all_version_data`](crate::discover::all_version_data)).
    ///
    /// ```no_run
    /// # async fn demo(session: keystoneauth_core::Session) -> keystoneauth_core::Result<()> {
    /// use keystoneauth_core::discover::VersionQuery;
    /// let all = session.all_version_data(&VersionQuery::default()).await?;
    /// for (region, interfaces) in &all {
    ///     for (service_type, versions) in &interfaces["public"] {
    ///         for v in versions {
    ///             println!("{region} {service_type} {} {}", v.version, v.status);
    ///         }
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn all_version_data(
        &self,
        query: &crate::discover::VersionQuery,
    ) -> Result<crate::discover::AllVersionData> {
        let plugin = self.require_auth("get the service catalog")?;
        let access = plugin
            .access(self)
            .await?
            .ok_or_else(|| Error::EmptyCatalog)?;
        let catalog = access.service_catalog();
        Ok(crate::discover::all_version_data(self, &catalog, access.project_id(), query).await)
    }
    /// Drop the plugin's token.
    pub fn invalidate(&self) -> Result<bool> {
        Ok(self.require_auth("validate")?.invalidate())
    }
    /// The user id.
    pub async fn user_id(&self) -> Result<Option<String>> {
        self.require_auth("get a user id")?.user_id(self).await
    }
    /// The project id.
    pub async fn project_id(&self) -> Result<Option<String>> {
        self.require_auth("get a project id")?
            .project_id(self)
            .await
    }
    /// Timings recorded with `collect_timing`.
    pub fn timings(&self) -> Vec<RequestTiming> {
        self.inner
            .timings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    /// Forget recorded timings.
    pub fn reset_timings(&self) {
        self.inner
            .timings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub(crate) fn discovery_cache_get(&self, url: &str) -> Option<Arc<Discover>> {
        self.inner
            .discovery_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(url)
            .cloned()
    }

    pub(crate) fn discovery_cache_put(&self, url: &str, d: Arc<Discover>) {
        self.inner
            .discovery_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(url.to_owned(), d);
    }
}

impl RequestBuilder {
    /// Find the base URL through the auth plugin's catalog.
    pub fn endpoint_filter(mut self, filter: EndpointFilter) -> Self {
        self.endpoint_filter = Some(filter);
        self
    }
    /// Use this base URL (`%(project_id)s` / `%(user_id)s` are substituted).
    pub fn endpoint_override(mut self, url: impl Into<String>) -> Self {
        self.endpoint_override = Some(url.into());
        self
    }
    /// Add a header (replaces one of the same name).
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        match (
            HeaderName::from_bytes(name.as_ref().as_bytes()),
            HeaderValue::from_str(value.as_ref()),
        ) {
            (Ok(n), Ok(mut v)) => {
                if redact::is_secure_header(n.as_str()) {
                    v.set_sensitive(true);
                }
                self.headers.insert(n, v);
            }
            _ => {
                self.error.get_or_insert(Error::OptionError(format!(
                    "invalid header {:?}",
                    name.as_ref()
                )));
            }
        }
        self
    }
    /// The adapter's request limit (rate and concurrency).
    pub(crate) fn limiter(mut self, limiter: Arc<crate::adapter::RequestLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }
    /// Add headers.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        for (k, v) in headers.iter() {
            self.headers.insert(k.clone(), v.clone());
        }
        self
    }
    /// A JSON body (sets `Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(b) => {
                self.body = Some(Bytes::from(b));
                self.json_body = true;
            }
            Err(e) => {
                self.error
                    .get_or_insert(Error::OptionError(format!("cannot encode JSON body: {e}")));
            }
        }
        self
    }
    /// A form body (`application/x-www-form-urlencoded`).
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.body = Some(Bytes::from(body));
        self.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self
    }
    /// A raw body. It is kept, so the request can be sent again: after a 401 and a
    /// reauthentication, on a connection retry, a retriable status or a redirect.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self.stream_body = None;
        self
    }

    /// A streamed body (e.g. a large upload read as it is sent), instead of one held in
    /// memory. It can be sent only once, so a request with it is **never sent again**: a 401
    /// invalidates the token (the next request reauthenticates) and is returned as
    /// [`Error::Unauthorized`] whose message says the body could not be replayed; connection
    /// failures, retriable statuses and redirects are returned as they are, with a warning.
    /// Use [`body`](Self::body) for a request that should be retried.
    ///
    /// ```
    /// # async fn demo(session: keystoneauth_core::Session) -> keystoneauth_core::Result<()> {
    /// let chunks = futures::stream::iter(vec![
    ///     Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"part one, ")),
    ///     Ok(bytes::Bytes::from_static(b"part two")),
    /// ]);
    /// session
    ///     .put("https://swift.example/v1/AUTH_p/container/object")
    ///     .body_stream(chunks)
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn body_stream<S>(mut self, stream: S) -> Self
    where
        S: futures::TryStream + Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        Bytes: From<S::Ok>,
    {
        self.body = None;
        self.stream_body = Some(std::sync::Mutex::new(Some(reqwest::Body::wrap_stream(
            stream,
        ))));
        self
    }

    /// Whether the request's body was streamed and is gone (so it cannot be sent again).
    fn stream_sent(&self) -> bool {
        self.stream_body
            .as_ref()
            .is_some_and(|slot| slot.lock().unwrap_or_else(|e| e.into_inner()).is_none())
    }

    fn warn_not_resent(&self, url: &str, why: &str) {
        tracing::warn!(
            target: "keystoneauth::session",
            "{} {url}: {why}; not sent again: the request body was a stream, which cannot be replayed",
            self.method
        );
    }
    /// Query parameters.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        self.query.extend(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self
    }
    /// Authenticate the request (default: when there is a plugin).
    pub fn authenticated(mut self, on: bool) -> Self {
        self.authenticated = Some(on);
        self
    }
    /// Use this plugin instead of the session's.
    pub fn auth(mut self, auth: Arc<dyn AuthPlugin>) -> Self {
        self.auth = Some(auth);
        self
    }
    /// Use this client certificate for this request.
    pub fn connection_params(mut self, params: ConnectionParams) -> Self {
        self.connection_params = Some(params);
        self
    }
    /// Return failure statuses as errors (default true).
    pub fn raise_exc(mut self, on: bool) -> Self {
        self.raise_exc = on;
        self
    }
    /// On 401, reauthenticate once and retry once (default true).
    pub fn allow_reauth(mut self, on: bool) -> Self {
        self.allow_reauth = on;
        self
    }
    /// Log this request at all (default true).
    pub fn log(mut self, on: bool) -> Self {
        self.log = on;
        self
    }
    /// Log the request body (default true; secrets are masked either way).
    pub fn log_body(mut self, on: bool) -> Self {
        self.log_body = on;
        self
    }
    /// Connect retries for this request.
    pub fn connect_retries(mut self, n: u32) -> Self {
        self.connect_retries = Some(n);
        self
    }
    /// Status-code retries for this request.
    pub fn status_code_retries(mut self, n: u32) -> Self {
        self.status_code_retries = Some(n);
        self
    }
    /// Which statuses to retry (default 429 and 503).
    pub fn retriable_status_codes(mut self, codes: Vec<u16>) -> Self {
        self.retriable_status_codes = Some(codes);
        self
    }
    /// A fixed delay between connect retries (default: exponential backoff).
    pub fn connect_retry_delay(mut self, d: Duration) -> Self {
        self.connect_retry_delay = Some(d);
        self
    }
    /// A fixed delay between status-code retries (default: exponential backoff).
    pub fn status_code_retry_delay(mut self, d: Duration) -> Self {
        self.status_code_retry_delay = Some(d);
        self
    }
    /// Send microversion headers (`OpenStack-API-Version` and the legacy ones).
    pub fn microversion(mut self, v: impl Into<String>) -> Self {
        self.microversion = Some(v.into());
        self
    }
    /// The service type for the microversion header (default: the filter's).
    pub fn microversion_service_type(mut self, t: impl Into<String>) -> Self {
        self.microversion_service_type = Some(t.into());
        self
    }
    /// `X-OpenStack-Request-ID` to send (a global request id).
    pub fn global_request_id(mut self, id: impl Into<String>) -> Self {
        self.global_request_id = Some(id.into());
        self
    }
    /// Timeout for this request.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }
    /// Redirects to follow (0 = none).
    pub fn redirect(mut self, n: u32) -> Self {
        self.redirect = Some(n);
        self
    }
    /// Client name and version for the User-Agent.
    pub fn client_name(mut self, name: impl Into<String>, version: Option<String>) -> Self {
        self.client_name = Some((name.into(), version));
        self
    }
    /// Replace the User-Agent for this request.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    fn set_microversion_headers(&mut self) -> Result<()> {
        let Some(mv) = &self.microversion else {
            return Ok(());
        };
        let v = Version::parse(mv)?;
        if !v.is_latest() && v.parts().contains(&crate::version::Part::Latest) {
            return Err(Error::InvalidVersion(format!(
                "Specifying a '{}.latest' microversion is not allowed.",
                match v.major() {
                    crate::version::Part::Num(n) => n.to_string(),
                    crate::version::Part::Latest => "latest".into(),
                }
            )));
        }
        let st = self
            .microversion_service_type
            .clone()
            .or_else(|| {
                self.endpoint_filter
                    .as_ref()
                    .and_then(|f| f.service_type.clone())
            })
            .ok_or_else(|| {
                Error::OptionError(
                    "microversion requires a service type (endpoint filter or microversion_service_type)"
                        .into(),
                )
            })?;
        let st = service_types::microversion_service_type(&st);
        let value = v.to_string();
        let mut set = |name: &'static str, val: String| {
            if !self.headers.contains_key(name) {
                if let Ok(hv) = HeaderValue::from_str(&val) {
                    self.headers.insert(name, hv);
                }
            }
        };
        set("OpenStack-API-Version", format!("{st} {value}"));
        match st.as_str() {
            "compute" => set("X-OpenStack-Nova-API-Version", value),
            "baremetal" => set("X-OpenStack-Ironic-API-Version", value),
            "shared-file-system" => set("X-OpenStack-Manila-API-Version", value),
            _ => {}
        }
        Ok(())
    }

    /// The absolute URL of a relative one, from the endpoint override or the catalog.
    async fn resolve_url(&self, auth: Option<&dyn AuthPlugin>) -> Result<String> {
        let session = &self.session;
        let base = if let Some(o) = &self.endpoint_override {
            let mut o = o.clone();
            for (key, f) in [("project_id", true), ("user_id", false)] {
                let pats = [format!("%({key})s"), format!("{{{key}}}")];
                if pats.iter().any(|p| o.contains(p.as_str())) {
                    let plugin = auth.ok_or_else(|| {
                        Error::MissingAuthPlugin(format!(
                            "substitute {key} in an endpoint override"
                        ))
                    })?;
                    let val = if f {
                        plugin.project_id(session).await?
                    } else {
                        plugin.user_id(session).await?
                    };
                    let val = val.filter(|v| !v.is_empty()).ok_or_else(|| {
                        Error::OptionError(format!(
                            "This type of authentication does not provide a {key} that can be substituted"
                        ))
                    })?;
                    for p in &pats {
                        o = o.replace(p.as_str(), &val);
                    }
                }
            }
            Some(o)
        } else if let Some(filter) = &self.endpoint_filter {
            match auth {
                Some(a) => a.endpoint(session, filter).await?,
                None => {
                    return Err(Error::MissingAuthPlugin(
                        "determine the endpoint URL".into(),
                    ))
                }
            }
        } else {
            None
        };
        let base = base.ok_or_else(|| {
            Error::EndpointNotFound(format!(
                "Could not find requested endpoint for {:?} in Service Catalog.",
                self.url
            ))
        })?;
        Ok(join_url(&base, &self.url))
    }

    /// Send the request.
    pub async fn send(mut self) -> Result<Response> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let session = self.session.clone();
        let inner = &session.inner;
        let auth = self.auth.clone().or_else(|| inner.auth.clone());
        self.set_microversion_headers()?;
        // Through `&dyn`, not `&Arc<dyn>`: the Arc's forwarding impl would box each future twice.
        let plugin = auth.as_deref();
        let authenticated = self.authenticated.unwrap_or(plugin.is_some());
        if authenticated {
            let plugin = plugin.ok_or_else(|| Error::MissingAuthPlugin("fetch a token".into()))?;
            if !plugin.add_ready_auth_headers(&mut self.headers) {
                let h = plugin.auth_headers(&session).await?.ok_or_else(|| {
                    Error::AuthorizationFailure("No valid authentication is available".into())
                })?;
                self.headers.extend(h);
            }
        }
        let mut url = if is_absolute(&self.url) {
            std::mem::take(&mut self.url)
        } else {
            self.resolve_url(plugin).await?
        };
        if !self.query.is_empty() {
            let mut u = url::Url::parse(&url)
                .map_err(|e| Error::OptionError(format!("invalid URL {url:?}: {e}")))?;
            u.query_pairs_mut().extend_pairs(self.query.iter());
            url = u.to_string();
        }
        // User-Agent
        let ua = match (&self.user_agent, &self.client_name) {
            (None, None) => inner.default_user_agent.clone(),
            (ua, client) => HeaderValue::from_str(&user_agent_string(
                ua.as_deref().or(inner.user_agent.as_deref()),
                &inner.ua_parts,
                client.as_ref(),
            ))
            .ok(),
        };
        if self.user_agent.is_some() || !self.headers.contains_key(USER_AGENT) {
            if let Some(v) = &ua {
                self.headers.insert(USER_AGENT, v.clone());
            }
        }
        if let (Some(ip), Some(ua)) = (
            &inner.original_ip,
            ua.as_ref().and_then(|v| v.to_str().ok()),
        ) {
            if !self.headers.contains_key("forwarded") {
                if let Ok(v) = HeaderValue::from_str(&format!("for={ip};by={ua}")) {
                    self.headers.insert("forwarded", v);
                }
            }
        }
        if self.json_body && !self.headers.contains_key(CONTENT_TYPE) {
            self.headers
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(id) = &self.global_request_id {
            let v = HeaderValue::from_str(id)
                .map_err(|_| Error::OptionError(format!("invalid request id {id:?}")))?;
            self.headers.insert(REQUEST_ID_HEADER, v);
        }
        for (k, v) in inner.additional_headers.iter() {
            if !self.headers.contains_key(k) {
                self.headers.insert(k.clone(), v.clone());
            }
        }
        let params = match &self.connection_params {
            Some(p) => p.clone(),
            None => plugin.map(|a| a.connection_params()).unwrap_or_default(),
        };
        // An adapter's rate and concurrency limit covers the request with its retries.
        let limiter = self.limiter.clone();
        let _turn = match &limiter {
            Some(l) => l.acquire().await,
            None => None,
        };
        let mut resp = self.send_with_retries(&params, &url).await?;
        let mut stream_not_replayed = false;

        if resp.status == StatusCode::UNAUTHORIZED && authenticated && self.allow_reauth {
            if let Some(plugin) = plugin {
                let sent = self
                    .headers
                    .get(crate::plugin::AUTH_TOKEN_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                if self.stream_sent() {
                    // The token goes (the next request reauthenticates), the body cannot.
                    plugin.invalidate_sent(sent.as_deref());
                    self.warn_not_resent(&resp.url, "401 Unauthorized");
                    stream_not_replayed = true;
                } else if plugin.invalidate_sent(sent.as_deref()) {
                    tracing::debug!(target: "keystoneauth::session", "401: reauthenticating once");
                    let h = plugin.auth_headers(&session).await?.ok_or_else(|| {
                        Error::AuthorizationFailure("No valid authentication is available".into())
                    })?;
                    self.headers.extend(h);
                    resp = self.send_with_retries(&params, &url).await?;
                }
            }
        }
        if self.raise_exc && resp.status.as_u16() >= 400 {
            tracing::debug!(target: "keystoneauth::session", "Request returned failure status: {}", resp.status.as_u16());
            let mut err = error_from_response(&resp, self.method.as_str());
            if let (true, Error::Unauthorized(e)) = (stream_not_replayed, &mut err) {
                e.message.push_str(
                    " (not retried after reauthentication: the request body was a stream, \
                     which cannot be replayed; the token was dropped, so the next request \
                     authenticates again)",
                );
            }
            return Err(err);
        }
        Ok(resp)
    }

    async fn send_with_retries(&self, params: &ConnectionParams, url: &str) -> Result<Response> {
        let inner = &self.session.inner;
        let mut url = std::borrow::Cow::Borrowed(url);
        // The request's own headers; a redirect that adds the request id works on a copy.
        let mut headers = std::borrow::Cow::Borrowed(&self.headers);
        let mut redirects_left = self.redirect.unwrap_or(inner.redirect_limit);
        let mut connect_left = self.connect_retries.unwrap_or(inner.connect_retries);
        let mut status_left = self
            .status_code_retries
            .unwrap_or(inner.status_code_retries);
        let retriable = match &self.retriable_status_codes {
            Some(codes) if !codes.is_empty() => codes.as_slice(),
            _ => DEFAULT_RETRIABLE_STATUS_CODES,
        };
        let mut connect_backoff = Backoff::new(self.connect_retry_delay, inner.max_retry_delay);
        let mut status_backoff = Backoff::new(self.status_code_retry_delay, inner.max_retry_delay);
        loop {
            if self.log {
                self.log_request(&url, &headers);
            }
            let started = Instant::now();
            let client = inner.clients.for_url(&url, params)?;
            let mut maybe_delivered = false;
            let result = self
                .send_once(&client, &url, &headers, &mut maybe_delivered)
                .await;
            let resp = match result {
                // A timeout after the request went out may mean the server got it: a POST or
                // PATCH is not sent again (keystoneauth1 would send it twice).
                Err(e)
                    if e.is_retriable_connection_failure()
                        && connect_left > 0
                        && maybe_delivered
                        && !is_idempotent(&self.method) =>
                {
                    tracing::warn!(
                        target: "keystoneauth::session",
                        "Failure: {e}. Not retried: the {} may have reached the server, and sending it again could repeat it",
                        self.method
                    );
                    return Err(e);
                }
                Err(e) if e.is_retriable_connection_failure() && connect_left > 0 => {
                    if self.stream_sent() {
                        self.warn_not_resent(&url, &e.to_string());
                        return Err(e);
                    }
                    let delay = connect_backoff.next_delay();
                    tracing::warn!(
                        target: "keystoneauth::session",
                        "Failure: {e}. Retrying in {:.1}s. {connect_left} retries left",
                        delay.as_secs_f64()
                    );
                    tokio::time::sleep(delay).await;
                    connect_left -= 1;
                    continue;
                }
                Err(e) => return Err(e),
                Ok((status, h, body)) => Response {
                    status,
                    headers: h,
                    url: url.to_string(),
                    body,
                    elapsed: started.elapsed(),
                },
            };
            if self.log {
                log_response(&resp, inner.split_loggers);
            }
            if inner.collect_timing {
                // Every response, as keystoneauth1 records each redirect hop and retry.
                inner
                    .timings
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(RequestTiming {
                        method: self.method.to_string(),
                        url: resp.url.clone(),
                        elapsed: resp.elapsed,
                    });
            }
            let code = resp.status.as_u16();
            if REDIRECT_STATUSES.contains(&code) && redirects_left > 0 && self.stream_sent() {
                self.warn_not_resent(&url, &format!("redirected ({code})"));
                return Ok(resp);
            }
            if retriable.contains(&code) && status_left > 0 && self.stream_sent() {
                self.warn_not_resent(&url, &format!("retriable status {code}"));
                return Ok(resp);
            }
            if REDIRECT_STATUSES.contains(&code) && redirects_left > 0 {
                let Some(location) = resp.header(LOCATION.as_str()) else {
                    tracing::warn!(target: "keystoneauth::session", "Failed to redirect request to {url} as new location was not provided.");
                    return Ok(resp);
                };
                let next = url::Url::parse(&url)
                    .and_then(|base| base.join(location))
                    .map_err(|e| {
                        Error::InvalidResponse(format!("bad redirect {location:?}: {e}"))
                    })?;
                if let Some(id) = resp.headers.get(REQUEST_ID_HEADER) {
                    if !headers.contains_key(REQUEST_ID_HEADER) {
                        headers.to_mut().insert(REQUEST_ID_HEADER, id.clone());
                    }
                }
                redirects_left -= 1;
                connect_backoff.reset();
                status_backoff.reset();
                url = next.to_string().into();
                continue;
            }
            if retriable.contains(&code) && status_left > 0 {
                let delay = resp
                    .header(RETRY_AFTER.as_str())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s).min(inner.max_retry_delay))
                    .unwrap_or_else(|| status_backoff.next_delay());
                tracing::warn!(
                    target: "keystoneauth::session",
                    "Retriable status code {code}. Retrying in {:.1}s. {status_left} retries left",
                    delay.as_secs_f64()
                );
                tokio::time::sleep(delay).await;
                status_left -= 1;
                connect_backoff.reset();
                continue;
            }
            return Ok(resp);
        }
    }

    /// One attempt. `maybe_delivered` is set when it failed after the request went out (a
    /// timeout while waiting for or reading the response), so the server may have acted on it.
    async fn send_once(
        &self,
        client: &reqwest::Client,
        url: &str,
        headers: &HeaderMap,
        maybe_delivered: &mut bool,
    ) -> Result<(StatusCode, HeaderMap, Bytes)> {
        let inner = &self.session.inner;
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| Error::OptionError(format!("invalid URL {url:?}: {e}")))?;
        let mut req = reqwest::Request::new(self.method.clone(), parsed);
        *req.headers_mut() = headers.clone();
        *req.body_mut() = match &self.stream_body {
            None => self.body.clone().map(reqwest::Body::from),
            Some(slot) => Some(
                slot.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .ok_or_else(|| {
                        Error::OptionError(format!(
                            "{url}: the request body was a stream and has been sent already; \
                             it cannot be sent again"
                        ))
                    })?,
            ),
        };
        if let Some(t) = self.timeout.or(inner.timeout) {
            // Only when set: reqwest keeps it in the request's extension map.
            *req.timeout_mut() = Some(t);
        }
        let mut resp = client.execute(req).await.map_err(|e| {
            *maybe_delivered = e.is_timeout() && !e.is_connect();
            map_reqwest_error(url, &e)
        })?;
        // From here on the server has answered.
        *maybe_delivered = true;
        let status = resp.status();
        let headers = std::mem::take(resp.headers_mut());
        let limit = inner.max_body_size;
        if let Some(len) = resp.content_length() {
            if len as usize > limit {
                return Err(Error::InvalidResponse(format!(
                    "{url}: response body of {len} bytes exceeds the limit of {limit} bytes"
                )));
            }
            // The length is known and within the limit (and the connection reads no more
            // than it): one read, no copy.
            return match resp.bytes().await {
                Ok(body) => Ok((status, headers, body)),
                Err(e) => Err(body_read_error(url, &e)),
            };
        }
        let mut body = bytes::BytesMut::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(Error::InvalidResponse(format!(
                            "{url}: response body exceeds the limit of {limit} bytes"
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(body_read_error(url, &e)),
            }
        }
        Ok((status, headers, body.freeze()))
    }

    fn log_request(&self, url: &str, headers: &HeaderMap) {
        let split = self.session.inner.split_loggers;
        let on = if split {
            tracing::enabled!(target: "keystoneauth::session::request", tracing::Level::DEBUG)
        } else {
            tracing::enabled!(target: "keystoneauth::session", tracing::Level::DEBUG)
        };
        if !on {
            return;
        }
        let mut line = String::from("curl -g -i");
        match &self.session.inner.clients.config.verify {
            Verify::Insecure => line.push_str(" --insecure"),
            Verify::CaBundle(p) => line.push_str(&format!(" --cacert \"{}\"", p.display())),
            Verify::System => {}
        }
        line.push_str(&format!(" -X {} {}", self.method, url));
        for (k, v) in headers_for_log(headers) {
            line.push_str(&format!(" -H \"{k}: {v}\""));
        }
        if let Some(b) = &self.body {
            if self.log_body {
                let shown = redact::mask_json(b).unwrap_or_else(|| match std::str::from_utf8(b) {
                    Ok(s) if s.contains('=') => redact::mask_form(s),
                    Ok(_) | Err(_) => "<binary_data>".into(),
                });
                line.push_str(&format!(" -d '{shown}'"));
            } else {
                line.push_str(" -d '<omitted>'");
            }
        } else if self.stream_body.is_some() {
            line.push_str(" -d '<streamed body>'");
        }
        if split {
            tracing::debug!(target: "keystoneauth::session::request", "{line}");
        } else {
            tracing::debug!(target: "keystoneauth::session", "REQ: {line}");
        }
    }
}

/// The User-Agent: the whole override, or the app, the client, the other products and ours.
fn user_agent_string(
    user_agent: Option<&str>,
    ua_parts: &[(String, Option<String>)],
    client_name: Option<&(String, Option<String>)>,
) -> String {
    if let Some(ua) = user_agent {
        return ua.to_owned();
    }
    let part = |(n, v): &(String, Option<String>)| match v {
        Some(v) => format!("{n}/{v}"),
        None => n.clone(),
    };
    let mut parts: Vec<String> = Vec::new();
    parts.extend(ua_parts.first().map(part));
    parts.extend(client_name.map(part));
    parts.extend(ua_parts.iter().skip(1).map(part));
    parts.push(USER_AGENT_PRODUCT.to_owned());
    parts.join(" ")
}

/// Methods that may be sent twice with the effect of once (RFC 9110 §9.2.2).
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

fn body_read_error(url: &str, e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::ConnectTimeout { url: url.into() }
    } else {
        Error::UnknownConnectionError {
            url: url.into(),
            message: format!("error reading the response body: {e}"),
        }
    }
}

/// Headers as logged: sorted by name and value, secure ones hashed.
fn headers_for_log(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                redact::header_for_log(k.as_str(), v.as_bytes()),
            )
        })
        .collect();
    hs.sort();
    hs
}

/// The response lines: status and headers, body, request id (under one target, or each under
/// its own with `split_loggers`).
fn log_response(resp: &Response, split: bool) {
    use tracing::Level;
    let (head_on, body_on, id_on) = if split {
        (
            tracing::enabled!(target: "keystoneauth::session::response", Level::DEBUG),
            tracing::enabled!(target: "keystoneauth::session::body", Level::DEBUG),
            tracing::enabled!(target: "keystoneauth::session::request-id", Level::DEBUG),
        )
    } else {
        let on = tracing::enabled!(target: "keystoneauth::session", Level::DEBUG);
        (on, on, on)
    };
    if head_on {
        let mut line = format!("[{}]", resp.status.as_u16());
        for (k, v) in headers_for_log(&resp.headers) {
            line.push_str(&format!(" {k}: {v}"));
        }
        if split {
            tracing::debug!(target: "keystoneauth::session::response", "{line}");
        } else {
            tracing::debug!(target: "keystoneauth::session", "RESP: {line}");
        }
    }
    if body_on {
        let ct = resp
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = if ct.starts_with("application/json") {
            redact::mask_json(&resp.body).unwrap_or_else(|| "<invalid JSON>".into())
        } else if ct.starts_with("text/plain") {
            String::from_utf8_lossy(&resp.body)
                .chars()
                .take(4096)
                .collect()
        } else {
            format!("Omitted, Content-Type is set to {ct}. Only application/json, text/plain responses have their bodies logged.")
        };
        if split {
            tracing::debug!(target: "keystoneauth::session::body", "{body}");
        } else {
            tracing::debug!(target: "keystoneauth::session", "RESP BODY: {body}");
        }
    }
    if let (true, Some(id)) = (id_on, resp.request_id()) {
        if split {
            tracing::debug!(target: "keystoneauth::session::request-id", "{} used request id {id}", resp.url);
        } else {
            tracing::debug!(target: "keystoneauth::session", "{} used request id {id}", resp.url);
        }
    }
}

#[cfg(test)]
mod client_choice_tests {
    use super::*;

    #[derive(Debug)]
    struct NoHeaders;
    #[async_trait::async_trait]
    impl AuthPlugin for NoHeaders {
        async fn auth_headers(&self, _session: &Session) -> Result<Option<HeaderMap>> {
            Ok(None)
        }
    }

    #[test]
    fn plain_urls_never_build_the_openssl_client() {
        let session = Session::builder().build().unwrap();
        let clients = &session.inner.clients;
        let none = ConnectionParams::default();
        clients.for_url("http://127.0.0.1:1/v3", &none).unwrap();
        clients.for_url("HTTP://localhost/", &none).unwrap();
        assert!(clients.plain.get().is_some());
        assert!(clients.tls.get().is_none() || clients.proxy_is_tls);
        clients.for_url("https://localhost/", &none).unwrap();
        assert!(clients.tls.get().is_some());
        // Sessions made by with_auth share the clients (and so the cookie jar).
        let other = session.with_auth(Arc::new(NoHeaders));
        assert!(Arc::ptr_eq(&other.inner.clients, clients));
    }

    #[test]
    fn has_cookies_for_sees_the_jar_by_url() {
        let session = Session::builder().build().unwrap();
        let sp = url::Url::parse("http://127.0.0.1:1/adfs/ls/").unwrap();
        assert_eq!(session.has_cookies_for(sp.as_str()), Some(false));
        session
            .inner
            .clients
            .jar
            .add_cookie_str("sp=1; Path=/", &sp);
        assert_eq!(
            session.has_cookies_for("http://127.0.0.1:1/v3/x"),
            Some(true)
        );
        assert_eq!(
            session.has_cookies_for("http://127.0.0.2:1/v3/x"),
            Some(false)
        );
        assert_eq!(session.has_cookies_for("not a url"), None);
        // Shared by with_auth sessions.
        let other = session.with_auth(Arc::new(NoHeaders));
        assert_eq!(other.has_cookies_for("http://127.0.0.1:1/"), Some(true));
        let given = Session::builder()
            .client(reqwest::Client::new())
            .build()
            .unwrap();
        assert_eq!(given.has_cookies_for(sp.as_str()), None);
    }
}

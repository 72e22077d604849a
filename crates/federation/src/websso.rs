//! Web single sign-on (keystoneauth1's `v3websso`, `identity/v3/websso.py`).
//!
//! The user logs in with a browser: Keystone's WebSSO URL
//! (`{auth_url}/auth/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/websso`)
//! sends them through the identity provider, then answers a page that posts the unscoped token
//! (form field `token`) to the `origin` it was given. Here the origin is
//! `http://{redirect_host}:{redirect_port}/auth/websso/`, served by a short-lived callback
//! server on the loopback interface, so Keystone's `[federation] trusted_dashboard` must list
//! that URL.
//!
//! [`WebSso::get_unscoped`](crate::UnscopedAuth::get_unscoped):
//!
//! 1. checks that `redirect_host` resolves only to loopback addresses ([`Error::OptionError`]
//!    otherwise, or when it does not resolve);
//! 2. listens on those addresses ([`WebSsoError::CallbackServer`] when the port is taken);
//! 3. shows `To authenticate please go to: <url>` (a `tracing` warning, or your
//!    [`prompt`](WebSso::prompt)) and opens a browser (`xdg-open`, `open`; see
//!    [`open_browser`](WebSso::open_browser));
//! 4. serves the callback until one valid token arrives or `login_timeout` (default 60 s)
//!    elapses ([`WebSsoError::MissingToken`]);
//! 5. validates the token with `GET {auth_url}/auth/tokens` (`X-Auth-Token` and
//!    `X-Subject-Token` both the token), which gives the unscoped token's data.
//!
//! The callback refuses what a browser coming back from Keystone would not send: another path
//! (404), another method than POST (405), another body type than
//! `application/x-www-form-urlencoded` (415), no or a bad `Content-Length` (411), a body over
//! 64 KiB (413), a request that is not a cross-site top-level navigation (`Sec-Fetch-Mode:
//! navigate`, `Sec-Fetch-Dest: document`, `Sec-Fetch-Site` other than `none`), an `Origin`
//! other than Keystone's or `null`, a `Referer` from another origin, or an empty `token`
//! (400); a token after the first one gets 409. Tokens are never logged, only their
//! `{SHA256}` hash.
//!
//! ```no_run
//! # async fn demo() -> keystoneauth_core::Result<()> {
//! use std::sync::Arc;
//! use keystoneauth_core::Session;
//! use keystoneauth_federation::{websso::WebSso, Federated, Scope};
//! let flow = WebSso::new("https://keystone.example.com:5000/v3", "myidp", "openid")
//!     .redirect_port(9990);
//! let auth = Arc::new(Federated::new(flow, Scope::ProjectId("p1".into())));
//! let session = Session::new(auth)?;
//! let _token = session.token().await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{header, HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use keystoneauth_core::access::IdentityVersion;
use keystoneauth_core::redact::hash_secret;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Error, Result, Session, WebSsoError};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinSet;
use url::Url;

use crate::base::{v3_url, CacheIdElements, UnscopedAuth};

/// Default `redirect_host`.
pub const DEFAULT_REDIRECT_HOST: &str = "localhost";
/// Default `redirect_port`.
pub const DEFAULT_REDIRECT_PORT: u16 = 9990;
/// Default `login_timeout`.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(60);
/// The path of the callback.
pub const CALLBACK_PATH: &str = "/auth/websso/";
/// Largest callback body accepted (and the header buffer of the callback server).
pub const MAX_CALLBACK_BODY: usize = 65536;

/// How long one connection to the callback server may take, request and response.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(15);
/// Connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 16;
/// How long a started browser opener is watched for a failure exit.
const BROWSER_WATCH: Duration = Duration::from_secs(5);

/// Shows the login URL to the user.
pub type LoginPrompt = Arc<dyn Fn(&str) + Send + Sync>;

fn default_prompt(url: &str) {
    tracing::warn!(
        target: "keystoneauth::federation",
        "To authenticate please go to: {url}"
    );
}

/// The WebSSO flow (`v3websso`): a browser login that posts the token back to a local
/// callback. Wrap it in [`Federated`](crate::Federated) to rescope.
///
/// ```
/// use std::time::Duration;
/// use keystoneauth_federation::websso::WebSso;
/// let flow = WebSso::new("https://ks:5000/v3", "myidp", "openid")
///     .redirect_host("127.0.0.1")
///     .redirect_port(8990)
///     .login_timeout(Duration::from_secs(120))
///     .open_browser(false)
///     .prompt(|url| eprintln!("Log in at {url}"));
/// assert_eq!(flow.redirect_uri(), "http://127.0.0.1:8990/auth/websso/");
/// assert_eq!(
///     flow.login_url(),
///     "https://ks:5000/v3/auth/OS-FEDERATION/identity_providers/myidp/protocols/openid/websso\
///      ?origin=http%3A%2F%2F127.0.0.1%3A8990%2Fauth%2Fwebsso%2F"
/// );
/// ```
#[derive(Clone)]
pub struct WebSso {
    auth_url: String,
    identity_provider: String,
    protocol: String,
    redirect_host: String,
    redirect_port: u16,
    login_timeout: Duration,
    username: Option<String>,
    open_browser: bool,
    prompt: LoginPrompt,
}

impl fmt::Debug for WebSso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSso")
            .field("auth_url", &self.auth_url)
            .field("identity_provider", &self.identity_provider)
            .field("protocol", &self.protocol)
            .field("redirect_host", &self.redirect_host)
            .field("redirect_port", &self.redirect_port)
            .field("login_timeout", &self.login_timeout)
            .field("username", &self.username)
            .field("open_browser", &self.open_browser)
            .finish_non_exhaustive()
    }
}

impl WebSso {
    /// A WebSSO flow with keystoneauth1's defaults: callback on `localhost:9990`, 60 s to log
    /// in, a browser opened for the user.
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
    ) -> Self {
        WebSso {
            auth_url: auth_url.into(),
            identity_provider: identity_provider.into(),
            protocol: protocol.into(),
            redirect_host: DEFAULT_REDIRECT_HOST.into(),
            redirect_port: DEFAULT_REDIRECT_PORT,
            login_timeout: DEFAULT_LOGIN_TIMEOUT,
            username: None,
            open_browser: true,
            prompt: Arc::new(default_prompt),
        }
    }

    /// The host of the callback URL; it must resolve only to loopback addresses.
    pub fn redirect_host(mut self, host: impl Into<String>) -> Self {
        self.redirect_host = host.into();
        self
    }

    /// The port of the callback URL (1 to 65535).
    pub fn redirect_port(mut self, port: u16) -> Self {
        self.redirect_port = port;
        self
    }

    /// How long to wait for the token to come back from the browser.
    pub fn login_timeout(mut self, timeout: Duration) -> Self {
        self.login_timeout = timeout;
        self
    }

    /// A user name: only a label of the unscoped cache id, so that two accounts at one
    /// identity provider get two cached tokens.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into()).filter(|u: &String| !u.is_empty());
        self
    }

    /// Whether to start a browser on the login URL (default `true`, as keystoneauth1): the
    /// commands of `BROWSER` if set (as Python's `webbrowser`), then `xdg-open` (`open` on
    /// macOS); a failure is a warning, the URL is shown anyway.
    pub fn open_browser(mut self, open: bool) -> Self {
        self.open_browser = open;
        self
    }

    /// How to show the login URL (default: the warning `To authenticate please go to: <url>`).
    pub fn prompt(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.prompt = Arc::new(f);
        self
    }

    /// `http://{redirect_host}:{redirect_port}/auth/websso/`, the `origin` given to Keystone.
    pub fn redirect_uri(&self) -> String {
        let host = &self.redirect_host;
        if host.contains(':') && !host.starts_with('[') {
            format!("http://[{host}]:{}{CALLBACK_PATH}", self.redirect_port)
        } else {
            format!("http://{host}:{}{CALLBACK_PATH}", self.redirect_port)
        }
    }

    /// Keystone's WebSSO URL for this identity provider and protocol.
    pub fn federated_token_url(&self) -> String {
        format!(
            "{}/auth/OS-FEDERATION/identity_providers/{}/protocols/{}/websso",
            v3_url(&self.auth_url),
            self.identity_provider,
            self.protocol
        )
    }

    /// Where the user logs in: the WebSSO URL with the callback as `origin`.
    pub fn login_url(&self) -> String {
        let origin: String =
            url::form_urlencoded::byte_serialize(self.redirect_uri().as_bytes()).collect();
        format!("{}?origin={origin}", self.federated_token_url())
    }

    /// Check the options that need no network.
    fn check_options(&self) -> Result<()> {
        if self.redirect_port == 0 {
            return Err(Error::OptionError(
                "redirect-port must be a port number from 1 to 65535.".into(),
            ));
        }
        if self.redirect_host.trim().is_empty() {
            return Err(Error::OptionError(
                "redirect-host must not be empty.".into(),
            ));
        }
        Ok(())
    }

    /// The addresses `redirect_host` resolves to, all loopback.
    async fn loopback_addrs(&self) -> Result<Vec<SocketAddr>> {
        let host = self
            .redirect_host
            .trim_start_matches('[')
            .trim_end_matches(']');
        let not_loopback = |why: String| {
            Error::OptionError(format!(
                "The redirect host {host:?} must resolve only to loopback addresses: {why}"
            ))
        };
        let resolved: Vec<SocketAddr> = match tokio::time::timeout(Duration::from_secs(10), async {
            tokio::net::lookup_host((host, self.redirect_port)).await
        })
        .await
        {
            Ok(Ok(addrs)) => addrs.collect(),
            Ok(Err(e)) => return Err(not_loopback(format!("it does not resolve ({e})"))),
            Err(_) => return Err(not_loopback("resolving it timed out".into())),
        };
        if resolved.is_empty() {
            return Err(not_loopback("it resolves to no address".into()));
        }
        let others: Vec<String> = resolved
            .iter()
            .filter(|a| !is_loopback(a.ip()))
            .map(|a| a.ip().to_string())
            .collect();
        if !others.is_empty() {
            return Err(not_loopback(format!(
                "it resolves to {}",
                others.join(", ")
            )));
        }
        let mut addrs = Vec::new();
        for a in resolved {
            if !addrs.contains(&a) {
                addrs.push(a);
            }
        }
        Ok(addrs)
    }

    /// Listen on every address of the redirect host. An address in use fails (someone else
    /// would get the browser's requests); an address family the machine lacks is skipped.
    async fn bind(&self, addrs: &[SocketAddr]) -> Result<Vec<TcpListener>> {
        let port = self.redirect_port;
        let fail = |e: &io::Error| {
            tracing::error!(
                target: "keystoneauth::federation",
                "Cannot spawn the callback server on port {port}, please specify a different port."
            );
            Error::WebSso(WebSsoError::CallbackServer {
                port,
                message: e.to_string(),
            })
        };
        let mut listeners = Vec::new();
        let mut last_err = None;
        for a in addrs {
            match TcpListener::bind(a).await {
                Ok(l) => listeners.push(l),
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => return Err(fail(&e)),
                Err(e) => {
                    tracing::debug!(
                        target: "keystoneauth::federation",
                        "not listening on {a}: {e}"
                    );
                    last_err = Some(e);
                }
            }
        }
        if listeners.is_empty() {
            let e = last_err.unwrap_or_else(|| io::Error::other("no address to listen on"));
            return Err(fail(&e));
        }
        Ok(listeners)
    }

    /// Wait for the browser to post the token, at most `login_timeout`.
    async fn wait_for_token(&self, listeners: Vec<TcpListener>) -> Result<SecretString> {
        let (tx, rx) = oneshot::channel();
        let callback = Arc::new(Callback::new(keystone_origin(&self.auth_url), tx));
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut acceptors = JoinSet::new();
        for l in listeners {
            acceptors.spawn(accept_loop(l, callback.clone(), permits.clone()));
        }
        (self.prompt)(&self.login_url());
        if self.open_browser {
            open_browser(&self.login_url());
        }
        let token = tokio::time::timeout(self.login_timeout, rx).await;
        // Dropping the acceptors closes the listeners; a connection being answered finishes
        // on its own (bounded by CONNECTION_TIMEOUT).
        acceptors.abort_all();
        match token {
            Ok(Ok(t)) => Ok(t),
            _ => Err(Error::WebSso(WebSsoError::MissingToken {
                redirect_uri: self.redirect_uri(),
                timeout_secs: self.login_timeout.as_secs_f64(),
            })),
        }
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The ASCII origin (`scheme://host[:port]`, lowercased, default port dropped) of a URL.
fn origin_of(url: &str) -> Option<String> {
    let u = Url::parse(url).ok()?;
    let o = u.origin();
    o.is_tuple().then(|| o.ascii_serialization())
}

fn keystone_origin(auth_url: &str) -> Option<String> {
    origin_of(auth_url)
}

/// The commands that may open `url`, in order: each entry of `BROWSER` (as Python's
/// `webbrowser`, which keystoneauth1 uses: entries separated like `PATH`, `%s` replaced by
/// the URL or else the URL appended), then the desktop's opener.
fn browser_commands(browser_env: Option<&str>, url: &str) -> Vec<Vec<String>> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    let mut cmds: Vec<Vec<String>> = browser_env
        .unwrap_or_default()
        .split(separator)
        .filter_map(|entry| {
            let mut words: Vec<String> = entry
                .split_whitespace()
                .map(|w| w.replace("%s", url))
                .collect();
            if words.is_empty() {
                return None;
            }
            if !entry.contains("%s") {
                words.push(url.to_owned());
            }
            Some(words)
        })
        .collect();
    let desktop: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["rundll32", "url.dll,FileProtocolHandler"]
    } else {
        &["xdg-open"]
    };
    let mut d: Vec<String> = desktop.iter().map(|w| (*w).to_owned()).collect();
    d.push(url.to_owned());
    cmds.push(d);
    cmds
}

/// Run one opener: `Ok` once it exited with success or still runs after `BROWSER_WATCH`.
async fn try_opener(cmd: &[String]) -> std::result::Result<(), String> {
    let (program, args) = cmd.split_first().ok_or("empty command")?;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    let step = Duration::from_millis(50);
    for _ in 0..(BROWSER_WATCH.as_millis() / step.as_millis()) {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{program} exited with {status}")),
            Err(e) => return Err(format!("{program}: {e}")),
            Ok(None) => tokio::time::sleep(step).await,
        }
    }
    // Still running (a browser that stays in the foreground): take it as opened.
    Ok(())
}

/// Open `url` with the first opener that works, in the background; none is a warning.
fn open_browser(url: &str) {
    let cmds = browser_commands(std::env::var("BROWSER").ok().as_deref(), url);
    tokio::spawn(async move {
        let mut why = Vec::new();
        for cmd in &cmds {
            match try_opener(cmd).await {
                Ok(()) => return,
                Err(e) => why.push(e),
            }
        }
        tracing::warn!(
            target: "keystoneauth::federation",
            "A browser could not be opened for you ({}).",
            why.join("; ")
        );
    });
}

/// The callback's state: where the one token goes.
struct Callback {
    keystone_origin: Option<String>,
    slot: Mutex<Option<oneshot::Sender<SecretString>>>,
}

impl Callback {
    fn new(keystone_origin: Option<String>, tx: oneshot::Sender<SecretString>) -> Self {
        Callback {
            keystone_origin,
            slot: Mutex::new(Some(tx)),
        }
    }

    /// Hand the token over; `false` if one was already taken.
    fn deliver(&self, token: SecretString) -> bool {
        let tx = self.slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        match tx {
            Some(tx) => {
                // The receiver is gone only after the login timeout; the token is then lost
                // either way.
                let _ = tx.send(token);
                true
            }
            None => false,
        }
    }

    /// Everything checked before the body is read.
    fn check_head(&self, method: &Method, path: &str, headers: &HeaderMap) -> Refusal {
        if path != CALLBACK_PATH {
            return Err((StatusCode::NOT_FOUND, "Not found."));
        }
        if method != Method::POST {
            return Err((StatusCode::METHOD_NOT_ALLOWED, "Only POST is allowed."));
        }
        let content_type = text(headers, header::CONTENT_TYPE)
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        if content_type.as_deref() != Some("application/x-www-form-urlencoded") {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The body must be application/x-www-form-urlencoded.",
            ));
        }
        let length =
            text(headers, header::CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
        let Some(length) =
            length.filter(|_| headers.get_all(header::CONTENT_LENGTH).iter().count() == 1)
        else {
            return Err((
                StatusCode::LENGTH_REQUIRED,
                "A valid Content-Length is required.",
            ));
        };
        if length > MAX_CALLBACK_BODY as u64 {
            return Err((StatusCode::PAYLOAD_TOO_LARGE, "The body is too large."));
        }
        let bad = |why| Err((StatusCode::BAD_REQUEST, why));
        if !text(headers, "sec-fetch-mode").is_some_and(|v| v.eq_ignore_ascii_case("navigate")) {
            return bad("Not a navigation (Sec-Fetch-Mode).");
        }
        if !text(headers, "sec-fetch-dest").is_some_and(|v| v.eq_ignore_ascii_case("document")) {
            return bad("Not a document request (Sec-Fetch-Dest).");
        }
        if text(headers, "sec-fetch-site").is_some_and(|v| v.eq_ignore_ascii_case("none")) {
            return bad("Not a request from a page (Sec-Fetch-Site).");
        }
        let keystone = self.keystone_origin.as_deref();
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or_default().trim();
            let ok = origin == "null"
                || (keystone.is_some() && origin_of(origin).as_deref() == keystone);
            if !ok {
                return bad("The request does not come from Keystone (Origin).");
            }
        }
        if let Some(referer) = headers.get(header::REFERER) {
            let referer = referer.to_str().ok().and_then(origin_of);
            if keystone.is_none() || referer.as_deref() != keystone {
                return bad("The request does not come from Keystone (Referer).");
            }
        }
        Ok(())
    }

    /// The whole check of one request whose body was read: `Ok` is the 200 page.
    fn handle(&self, method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> Refusal {
        self.check_head(method, path, headers)?;
        let token = url::form_urlencoded::parse(body)
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default();
        if token.is_empty() {
            return Err((StatusCode::BAD_REQUEST, "No token in the form."));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err((
                StatusCode::BAD_REQUEST,
                "The token is not a Keystone token.",
            ));
        }
        tracing::debug!(
            target: "keystoneauth::federation",
            "WebSSO callback received token {}",
            hash_secret(&token)
        );
        if self.deliver(SecretString::from(token)) {
            Ok(())
        } else {
            Err((StatusCode::CONFLICT, "A token was already received."))
        }
    }
}

/// `Err((status, message))`: the callback refuses the request.
type Refusal = std::result::Result<(), (StatusCode, &'static str)>;

fn text(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

const SUCCESS_PAGE: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
<title>Authentication complete</title></head>\
<body><p>Authentication complete. You can close this window.</p>\
<script>window.close();</script></body></html>\n";

fn page(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = if status == StatusCode::OK {
        Bytes::from_static(SUCCESS_PAGE.as_bytes())
    } else {
        Bytes::from(format!("{} {message}\n", status.as_u16()))
    };
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    let content_type = if status == StatusCode::OK {
        "text/html; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    };
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    h.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    if status == StatusCode::METHOD_NOT_ALLOWED {
        h.insert(header::ALLOW, header::HeaderValue::from_static("POST"));
    }
    r
}

async fn respond(callback: Arc<Callback>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    if let Err((status, why)) = callback.check_head(&parts.method, &path, &parts.headers) {
        return page(status, why);
    }
    let body = match Limited::new(body, MAX_CALLBACK_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return page(StatusCode::PAYLOAD_TOO_LARGE, "The body is too large."),
    };
    match callback.handle(&parts.method, &path, &parts.headers, &body) {
        Ok(()) => page(StatusCode::OK, ""),
        Err((status, why)) => page(status, why),
    }
}

async fn accept_loop(listener: TcpListener, callback: Arc<Callback>, permits: Arc<Semaphore>) {
    loop {
        let stream = match listener.accept().await {
            Ok((s, _peer)) => s,
            Err(e) => {
                // Out of descriptors and the like: wait a little rather than spin.
                tracing::debug!(target: "keystoneauth::federation", "callback accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let callback = callback.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ =
                tokio::time::timeout(CONNECTION_TIMEOUT, serve_connection(stream, callback)).await;
        });
    }
}

async fn serve_connection(stream: TcpStream, callback: Arc<Callback>) {
    let service = hyper::service::service_fn(move |req| {
        let callback = callback.clone();
        async move { Ok::<_, std::convert::Infallible>(respond(callback, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(false)
        .max_buf_size(MAX_CALLBACK_BODY)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = conn.await {
        tracing::debug!(target: "keystoneauth::federation", "callback connection: {e}");
    }
}

/// `GET {auth_url}/auth/tokens` for the posted token: its data, as an unscoped v3 token.
async fn validate(session: &Session, auth_url: &str, token: &SecretString) -> Result<AccessInfo> {
    let resp = session
        .get(format!("{}/auth/tokens", v3_url(auth_url)))
        .header("X-Auth-Token", token.expose_secret())
        .header("X-Subject-Token", token.expose_secret())
        .header("Accept", "application/json")
        .authenticated(false)
        .send()
        .await?;
    let subject = resp
        .header("X-Subject-Token")
        .map(|t| SecretString::from(t.to_owned()))
        .unwrap_or_else(|| token.clone());
    let access = AccessInfo::from_body(resp.bytes(), Some(subject))
        .map_err(|e| Error::InvalidResponse(format!("the WebSSO token's data: {e}")))?;
    if access.version() != IdentityVersion::V3 {
        return Err(Error::InvalidResponse(
            "the WebSSO token's data is not an identity v3 token".into(),
        ));
    }
    Ok(access)
}

#[async_trait]
impl UnscopedAuth for WebSso {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        self.check_options()?;
        let addrs = self.loopback_addrs().await?;
        let listeners = self.bind(&addrs).await?;
        let token = self.wait_for_token(listeners).await?;
        validate(session, &self.auth_url, &token).await
    }

    fn auth_url(&self) -> &str {
        &self.auth_url
    }

    fn unscoped_cache_id_elements(&self) -> Option<CacheIdElements> {
        Some(vec![
            ("auth_url".into(), Some(self.auth_url.clone())),
            (
                "identity_provider".into(),
                Some(self.identity_provider.clone()),
            ),
            ("protocol".into(), Some(self.protocol.clone())),
            ("username".into(), self.username.clone()),
        ])
    }
}

#[cfg(test)]
mod tests;

//! The callback server on the loopback interface: where it listens (`redirect_host` must
//! resolve only to loopback addresses), waiting for the token, and what it accepts from the
//! browser.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use keystoneauth_core::redact::hash_secret;
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::{Error, Result};

use super::WebSsoError;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinSet;
use url::Url;

use super::browser::open_browser;
use super::{WebSso, CALLBACK_PATH, MAX_CALLBACK_BODY};

/// How long one connection to the callback server may take, request and response.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(15);
/// Connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 16;

impl WebSso {
    /// The addresses `redirect_host` resolves to, all loopback.
    pub(super) async fn loopback_addrs(&self) -> Result<Vec<SocketAddr>> {
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
    pub(super) async fn bind(&self, addrs: &[SocketAddr]) -> Result<Vec<TcpListener>> {
        let port = self.redirect_port;
        let fail = |e: &io::Error| {
            tracing::error!(
                target: "keystoneauth::federation",
                "Cannot spawn the callback server on port {port}, please specify a different port."
            );
            Error::from(WebSsoError::CallbackServer {
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
    pub(super) async fn wait_for_token(&self, listeners: Vec<TcpListener>) -> Result<SecretString> {
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
            _ => Err(Error::from(WebSsoError::MissingToken {
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
pub(super) fn origin_of(url: &str) -> Option<String> {
    let u = Url::parse(url).ok()?;
    let o = u.origin();
    o.is_tuple().then(|| o.ascii_serialization())
}

/// Keystone's origin, the only `Origin` a browser posting Keystone's page may send (besides
/// `null`).
pub(super) fn keystone_origin(auth_url: &str) -> Option<String> {
    origin_of(auth_url)
}

/// The callback's state: where the one token goes.
pub(super) struct Callback {
    keystone_origin: Option<String>,
    slot: Mutex<Option<oneshot::Sender<SecretString>>>,
}

impl Callback {
    pub(super) fn new(keystone_origin: Option<String>, tx: oneshot::Sender<SecretString>) -> Self {
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
    pub(super) fn handle(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Refusal {
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

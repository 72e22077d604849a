//! The server plumbing: the accept loop, Keystone's request id middleware, the request log and
//! token request count, and fault injection around the router.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode};
use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;
use tower::ServiceExt as _;

use super::response::error;
use super::routes::router;
use super::{lock, RequestRecord, Shared};

#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fault injection: connection dropped")
    }
}

impl std::error::Error for DropConnection {}

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let router = router(shared.clone());
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let shared = shared.clone();
                let router = router.clone();
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let shared = shared.clone();
                    let router = router.clone();
                    async move { handle(shared, router, req.map(Body::new)).await }
                });
                conns.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

/// Keystone's request id middleware: every response carries `X-OpenStack-Request-ID`.
async fn handle(
    shared: Arc<Shared>,
    router: Router,
    req: Request<Body>,
) -> Result<Response<Body>, DropConnection> {
    let mut resp = route(shared, router, req).await?;
    if let Ok(v) = HeaderValue::from_str(&format!("req-{}", request_uuid())) {
        resp.headers_mut().insert("x-openstack-request-id", v);
    }
    Ok(resp)
}

/// A random version 4 UUID, hyphenated.
fn request_uuid() -> String {
    let mut b = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

async fn route(
    shared: Arc<Shared>,
    router: Router,
    req: Request<Body>,
) -> Result<Response<Body>, DropConnection> {
    let path = req.uri().path().to_string();
    {
        let mut log = lock(&shared.log);
        if log.len() >= 10_000 {
            log.remove(0);
        }
        log.push(RequestRecord {
            method: req.method().to_string(),
            path: path.clone(),
            query: req.uri().query().map(String::from),
            headers: req
                .headers()
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect(),
        });
    }
    let federated_auth =
        path.starts_with("/v3/OS-FEDERATION/identity_providers/") && path.ends_with("/auth");
    if federated_auth
        || (req.method() == Method::POST && (path == "/v3/auth/tokens" || path == "/v2.0/tokens"))
    {
        shared.token_requests.fetch_add(1, Ordering::SeqCst);
    }
    let (delay, action) = {
        let mut f = lock(&shared.faults.inner);
        let matches = match &f.path_prefix {
            Some(p) => path.starts_with(p.as_str()),
            None => true,
        };
        if !matches {
            (std::time::Duration::ZERO, None)
        } else if f.drop > 0 {
            f.drop -= 1;
            (f.delay, Some("drop"))
        } else if f.fail > 0 {
            f.fail -= 1;
            (f.delay, Some("fail"))
        } else if f.truncate > 0 {
            f.truncate -= 1;
            (f.delay, Some("truncate"))
        } else {
            (f.delay, None)
        }
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match action {
        Some("drop") => return Err(DropConnection),
        Some("fail") => {
            let (status, retry_after) = {
                let f = lock(&shared.faults.inner);
                (f.fail_status, f.retry_after)
            };
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut resp = error(
                &shared,
                code,
                code.canonical_reason().unwrap_or("Error"),
                "Injected fault.",
            );
            if let Some(s) = retry_after {
                resp.headers_mut()
                    .insert("Retry-After", HeaderValue::from(s));
            }
            return Ok(resp);
        }
        _ => {}
    }
    let resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    if action == Some("truncate") {
        let (mut parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let cut = bytes.slice(0..bytes.len() / 2);
        parts
            .headers
            .insert("content-length", HeaderValue::from(cut.len()));
        return Ok(Response::from_parts(parts, Body::from(cut)));
    }
    Ok(resp)
}

//! Sending a request: authentication, the endpoint, headers, connect and status retries with
//! backoff, redirects hop by hop, one reauthentication on 401, and the body size limit.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER, USER_AGENT};
use http::{HeaderMap, Method, StatusCode};

use super::response::{body_read_error, map_reqwest_error};
use super::stream::Body as StreamBody;
use super::{
    error_from_response, is_absolute, log, user_agent_string, RequestBuilder, RequestOptions,
    RequestTiming, Response, StreamingResponse, FIRST_RETRY_DELAY, REQUEST_ID_HEADER,
};
use crate::error::{Error, Result};
use crate::plugin::ConnectionParams;

const REDIRECT_STATUSES: &[u16] = &[301, 302, 303, 305, 307, 308];

/// Headers that carry a credential: a request with one is not redirected to another origin.
const CREDENTIAL_HEADERS: &[&str] = &[
    "X-Auth-Token",
    "X-Service-Token",
    "X-Subject-Token",
    "Authorization",
    "Proxy-Authorization",
    "Openstack-Auth-Receipt",
    "Cookie",
];

/// A URL as errors show it: no password, no control characters.
fn shown(url: &str) -> String {
    crate::redact::escape_controls(&crate::redact::mask_userinfo(url)).into_owned()
}

/// Copies the headers of `from` that `headers` has not set.
fn add_missing(headers: &mut HeaderMap, from: &HeaderMap) {
    for (name, value) in from {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
}

/// How the final response's body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyMode {
    /// Into memory (within `max_body_size`).
    Buffered,
    /// Left on the connection for a 2xx; other statuses (redirects, retries, errors) are read.
    Streamed,
}

/// The largest body read from a non-2xx response of a streamed request (an error page):
/// enough for any message, and the rest is dropped rather than failing the request.
const STREAMED_ERROR_BODY_LIMIT: usize = 1024 * 1024;

/// A response as the retry loop sees it.
struct Received {
    status: StatusCode,
    headers: HeaderMap,
    url: String,
    elapsed: Duration,
    body: Payload,
}

enum Payload {
    Full(Bytes),
    Stream(reqwest::Response),
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// As a [`Response`]; a streamed body is left out (the caller wants the stream).
    fn into_parts(self) -> (Response, Option<reqwest::Response>) {
        let (body, live) = match self.body {
            Payload::Full(b) => (b, None),
            Payload::Stream(r) => (Bytes::new(), Some(r)),
        };
        let resp = Response {
            status: self.status,
            headers: self.headers,
            url: self.url,
            body,
            elapsed: self.elapsed,
        };
        (resp, live)
    }
}

impl RequestBuilder {
    /// Send the request and read its whole body (within `max_body_size`, 64 MiB by default).
    pub async fn send(self) -> Result<Response> {
        let (resp, _live) = self.execute(BodyMode::Buffered).await?.into_parts();
        Ok(resp)
    }

    /// Send the request and return as soon as the response's headers are in; read the body
    /// from the [`StreamingResponse`] as it arrives (no size limit, constant memory).
    /// Everything before the first body byte is as for [`send`](Self::send). The request's
    /// timeout covers the wait for the headers; the read timeout (default: the same) each
    /// wait for a chunk.
    pub async fn send_streaming(self) -> Result<StreamingResponse> {
        let layers = self.layers();
        let read_timeout = layers.read_timeout().or(layers.timeout());
        let (resp, live) = self.execute(BodyMode::Streamed).await?.into_parts();
        let body = match live {
            Some(r) => StreamBody::Live(r),
            None => StreamBody::Read(Some(resp.body)),
        };
        Ok(StreamingResponse {
            status: resp.status,
            headers: resp.headers,
            url: resp.url,
            elapsed: resp.elapsed,
            body,
            read_timeout,
            received: 0,
        })
    }

    async fn execute(mut self, mode: BodyMode) -> Result<Received> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let session = self.session.clone();
        let inner = &session.inner;
        let auth = self.auth.clone().or_else(|| inner.auth.clone());
        // The request's own headers; the layers' are added below where it has not set them.
        let mut headers = std::mem::take(&mut self.options.headers);
        self.microversion_headers(self.layers(), &mut headers)?;
        // Through `&dyn`, not `&Arc<dyn>`: the Arc's forwarding impl would box each future twice.
        let plugin = auth.as_deref();
        let authenticated = self.authenticated.unwrap_or(plugin.is_some());
        if authenticated {
            let plugin = plugin.ok_or_else(|| Error::MissingAuthPlugin("fetch a token".into()))?;
            if !plugin.add_ready_auth_headers(&mut headers) {
                let h = plugin.auth_headers(&session).await?.ok_or_else(|| {
                    Error::AuthorizationFailure("No valid authentication is available".into())
                })?;
                headers.extend(h);
            }
        }
        // The adapter's headers count as the request's own (the session's come last).
        if let Some(adapter) = &self.adapter_options {
            add_missing(&mut headers, &adapter.headers);
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
        // User-Agent: the session's precomputed one unless the request or adapter changes it.
        let own = |f: fn(&RequestOptions) -> bool| {
            f(&self.options) || self.adapter_options.as_deref().is_some_and(f)
        };
        let own_user_agent = own(|o| o.user_agent.is_some());
        let ua = if !own_user_agent && !own(|o| o.client_name.is_some()) {
            inner.default_user_agent.clone()
        } else {
            let layers = self.layers();
            HeaderValue::from_str(&user_agent_string(
                layers.user_agent(),
                &inner.ua_parts,
                layers.client_name(),
            ))
            .ok()
        };
        if own_user_agent || !headers.contains_key(USER_AGENT) {
            if let Some(v) = &ua {
                headers.insert(USER_AGENT, v.clone());
            }
        }
        if let (Some(ip), Some(ua)) = (
            &inner.original_ip,
            ua.as_ref().and_then(|v| v.to_str().ok()),
        ) {
            if !headers.contains_key("forwarded") {
                if let Ok(v) = HeaderValue::from_str(&format!("for={ip};by={ua}")) {
                    headers.insert("forwarded", v);
                }
            }
        }
        if self.json_body && !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(id) = self.layers().global_request_id() {
            let v = HeaderValue::from_str(id)
                .map_err(|_| Error::OptionError(format!("invalid request id {id:?}")))?;
            headers.insert(REQUEST_ID_HEADER, v);
        }
        add_missing(&mut headers, &inner.options.headers);
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
        let mut resp = self
            .send_with_retries(&params, &url, &headers, mode)
            .await?;
        let mut stream_not_replayed = false;

        if resp.status == StatusCode::UNAUTHORIZED && authenticated && self.layers().allow_reauth()
        {
            if let Some(plugin) = plugin {
                let sent = headers
                    .get(crate::headers::AUTH_TOKEN_HEADER)
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
                    headers.extend(h);
                    resp = self
                        .send_with_retries(&params, &url, &headers, mode)
                        .await?;
                }
            }
        }
        if self.layers().raise_exc() && resp.status.as_u16() >= 400 {
            tracing::debug!(target: "keystoneauth::session", "Request returned failure status: {}", resp.status.as_u16());
            let (failed, _) = resp.into_parts();
            let mut err = error_from_response(&failed, self.method.as_str());
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

    async fn send_with_retries(
        &self,
        params: &ConnectionParams,
        url: &str,
        headers: &HeaderMap,
        mode: BodyMode,
    ) -> Result<Received> {
        let inner = &self.session.inner;
        let layers = self.layers();
        let mut url = std::borrow::Cow::Borrowed(url);
        // The request's headers; a redirect that adds the request id works on a copy.
        let mut headers = std::borrow::Cow::Borrowed(headers);
        let mut redirects_left = layers.redirect_limit();
        let mut connect_left = layers.connect_retries();
        let mut status_left = layers.status_code_retries();
        let retriable = layers.retriable_status_codes();
        let max_delay = layers.max_retry_delay();
        let mut connect_backoff = Backoff::new(layers.connect_retry_delay(), max_delay);
        let mut status_backoff = Backoff::new(layers.status_code_retry_delay(), max_delay);
        let logged = layers.log();
        // The URLs followed so far (for the message of a redirect loop).
        let mut chain = vec![url.to_string()];
        let line = log::RequestLine {
            split: inner.split_loggers,
            verify: &inner.clients.config.verify,
            method: &self.method,
            body: self.body.as_deref(),
            streamed: self.stream_body.is_some(),
            log_body: layers.log_body(),
        };
        loop {
            if logged {
                log::log_request(&line, &url, &headers);
            }
            let started = Instant::now();
            let client = inner.clients.for_url(&url, params)?;
            let mut maybe_delivered = false;
            let result = self
                .send_once(&client, &url, &headers, mode, &mut maybe_delivered)
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
                Ok((status, h, body)) => Received {
                    status,
                    headers: h,
                    url: url.to_string(),
                    elapsed: started.elapsed(),
                    body,
                },
            };
            if logged {
                let body = match &resp.body {
                    Payload::Full(b) => Some(b),
                    Payload::Stream(_) => None,
                };
                log::log_response(
                    resp.status,
                    &resp.headers,
                    &resp.url,
                    body,
                    inner.split_loggers,
                );
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
            if REDIRECT_STATUSES.contains(&code) && redirects_left == 0 && chain.len() > 1 {
                // Followed as many as allowed and still redirected: a loop, most likely.
                return Err(Error::Redirect {
                    message: format!(
                        "too many redirects ({} followed); the chain: {}",
                        chain.len() - 1,
                        chain
                            .iter()
                            .map(|u| shown(u))
                            .collect::<Vec<_>>()
                            .join(" -> ")
                    ),
                    from: shown(&url),
                    to: resp
                        .header(LOCATION.as_str())
                        .map(|l| crate::redact::escape_controls(l).into_owned())
                        .unwrap_or_default(),
                });
            }
            if REDIRECT_STATUSES.contains(&code) && redirects_left > 0 {
                let Some(location) = resp.header(LOCATION.as_str()) else {
                    tracing::warn!(target: "keystoneauth::session", "Failed to redirect request to {url} as new location was not provided.");
                    return Ok(resp);
                };
                let current = url::Url::parse(&url).map_err(|e| {
                    Error::InvalidResponse(format!("bad URL {:?}: {e}", shown(&url)))
                })?;
                let next = current.join(location).map_err(|e| {
                    Error::InvalidResponse(format!(
                        "bad redirect from {} to {:?}: {e}",
                        shown(&url),
                        crate::redact::escape_controls(location)
                    ))
                })?;
                self.check_redirect(layers, &current, &next, &headers)?;
                chain.push(next.to_string());
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
                    .map(|s| Duration::from_secs(s).min(max_delay))
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

    /// Whether a redirect from `from` to `to` may be followed: not from https to http, and not
    /// to another origin (scheme, host, port) while the request carries a credential (a token
    /// or Authorization header, a receipt, a cookie) or a body (an auth request's password),
    /// unless the caller opted in with `allow_cross_origin_redirects`.
    fn check_redirect(
        &self,
        layers: super::options::Layers<'_>,
        from: &url::Url,
        to: &url::Url,
        headers: &HeaderMap,
    ) -> Result<()> {
        if layers.allow_cross_origin_redirects() {
            return Ok(());
        }
        let downgrade = from.scheme().eq_ignore_ascii_case("https")
            && !to.scheme().eq_ignore_ascii_case("https");
        let same_origin = from.scheme() == to.scheme()
            && from.host_str() == to.host_str()
            && from.port_or_known_default() == to.port_or_known_default();
        let credential = CREDENTIAL_HEADERS
            .iter()
            .find(|h| headers.contains_key(**h))
            .map(|h| format!("the {h} header"))
            .or_else(|| {
                (self.body.is_some() || self.stream_body.is_some())
                    .then(|| "a request body".to_owned())
            });
        let why = if downgrade {
            Some("it goes from https to http".to_owned())
        } else if same_origin {
            None
        } else {
            credential.map(|c| format!("it goes to another origin and the request carries {c}"))
        };
        match why {
            None => Ok(()),
            Some(why) => Err(Error::Redirect {
                message: format!(
                    "refused to follow the redirect: {why} (allow it with \
                     allow_cross_origin_redirects)"
                ),
                from: shown(from.as_str()),
                to: shown(to.as_str()),
            }),
        }
    }

    /// One attempt. `maybe_delivered` is set when it failed after the request went out (a
    /// timeout while waiting for or reading the response), so the server may have acted on it.
    async fn send_once(
        &self,
        client: &reqwest::Client,
        url: &str,
        headers: &HeaderMap,
        mode: BodyMode,
        maybe_delivered: &mut bool,
    ) -> Result<(StatusCode, HeaderMap, Payload)> {
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
        let timeout = self.layers().timeout();
        let sent = match (mode, timeout) {
            (BodyMode::Buffered, Some(t)) => {
                // Only when set: reqwest keeps it in the request's extension map. It covers
                // the whole exchange, body included.
                *req.timeout_mut() = Some(t);
                client.execute(req).await
            }
            // A streamed body may take hours: the timeout covers the wait for the headers.
            (BodyMode::Streamed, Some(t)) => {
                match tokio::time::timeout(t, client.execute(req)).await {
                    Ok(r) => r,
                    Err(_) => {
                        *maybe_delivered = true;
                        return Err(Error::timeout(url, Some(t), None));
                    }
                }
            }
            (_, None) => client.execute(req).await,
        };
        let mut resp = sent.map_err(|e| {
            *maybe_delivered = e.is_timeout() && !e.is_connect();
            map_reqwest_error(url, timeout, e)
        })?;
        // From here on the server has answered.
        *maybe_delivered = true;
        let status = resp.status();
        let headers = std::mem::take(resp.headers_mut());
        let mut limit = self.layers().max_body_size();
        if mode == BodyMode::Streamed {
            if status.is_success() {
                return Ok((status, headers, Payload::Stream(resp)));
            }
            limit = limit.min(STREAMED_ERROR_BODY_LIMIT);
        }
        let truncate = mode == BodyMode::Streamed;
        if let Some(len) = resp.content_length().filter(|_| !truncate) {
            if len as usize > limit {
                return Err(Error::InvalidResponse(format!(
                    "{url}: response body of {len} bytes exceeds the limit of {limit} bytes"
                )));
            }
            // The length is known and within the limit (and the connection reads no more
            // than it): one read, no copy.
            return match resp.bytes().await {
                Ok(body) => Ok((status, headers, Payload::Full(body))),
                Err(e) => Err(body_read_error(url, timeout, e)),
            };
        }
        let mut body = bytes::BytesMut::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        if truncate {
                            // An error page of a streamed request: keep its start.
                            let room = limit - body.len();
                            body.extend_from_slice(&chunk[..room]);
                            break;
                        }
                        return Err(Error::InvalidResponse(format!(
                            "{url}: response body exceeds the limit of {limit} bytes"
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(body_read_error(url, timeout, e)),
            }
        }
        Ok((status, headers, Payload::Full(body.freeze())))
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

/// Methods that may be sent twice with the effect of once (RFC 9110 §9.2.2).
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

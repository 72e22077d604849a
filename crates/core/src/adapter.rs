//! [`Adapter`]: a [`Session`] bound to one service.
//!
//! ```no_run
//! # async fn demo(session: keystoneauth_core::Session) -> keystoneauth_core::Result<()> {
//! use keystoneauth_core::Adapter;
//! let compute = Adapter::new(session, "compute").min_version("2.1")?.default_microversion("2.60");
//! let servers: serde_json::Value = compute.get("/servers").send().await?.json()?;
//! # Ok(()) }
//! ```
//!
//! An adapter can also limit its requests, as keystoneauth1's `rate_limit` and `concurrency`
//! do (the limit is shared by the adapter's clones):
//!
//! ```no_run
//! # async fn demo(session: keystoneauth_core::Session) -> keystoneauth_core::Result<()> {
//! use keystoneauth_core::Adapter;
//! let compute = Adapter::new(session, "compute").rate_limit(5.0)?.concurrency(2)?;
//! for _ in 0..10 {
//!     compute.get("/servers").send().await?; // at most 5 a second, 2 at once
//! }
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::plugin::AuthPlugin;

use crate::catalog::{EndpointData, Interface};
use crate::error::{Error, Result};
use crate::plugin::EndpointFilter;
use crate::session::{RequestBuilder, Session};
use crate::version::VersionRange;

/// A session bound to one service: service type, interface, region, version range, endpoint
/// override, default microversion and retries.
#[derive(Clone)]
pub struct Adapter {
    session: Session,
    filter: EndpointFilter,
    endpoint_override: Option<String>,
    default_microversion: Option<String>,
    connect_retries: Option<u32>,
    status_code_retries: Option<u32>,
    global_request_id: Option<String>,
    client_name: Option<(String, Option<String>)>,
    raise_exc: Option<bool>,
    timeout: Option<Duration>,
    connect_retry_delay: Option<Duration>,
    status_code_retry_delay: Option<Duration>,
    retriable_status_codes: Option<Vec<u16>>,
    additional_headers: HeaderMap,
    auth: Option<Arc<dyn AuthPlugin>>,
    user_agent: Option<String>,
    rate_limit: Option<f64>,
    concurrency: Option<usize>,
    limiter: Option<Arc<RequestLimiter>>,
}

/// Header values stay out of `Debug`: an additional header may carry a token.
impl std::fmt::Debug for Adapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.additional_headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("Adapter")
            .field("session", &self.session)
            .field("filter", &self.filter)
            .field("endpoint_override", &self.endpoint_override)
            .field("default_microversion", &self.default_microversion)
            .field("connect_retries", &self.connect_retries)
            .field("status_code_retries", &self.status_code_retries)
            .field("additional_headers", &header_names)
            .field("auth", &self.auth)
            .field("rate_limit", &self.rate_limit)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// The request limit of an adapter (keystoneauth1's `FairSemaphore`): at most `concurrency`
/// requests at once, waiting in turn (first come, first served), and request starts spaced
/// `1 / rate_limit` seconds apart. Unlike keystoneauth1 the spacing does not bank idle time
/// (no burst after a pause), the first request does not wait, and exactly `concurrency`
/// requests run at once (keystoneauth1 lets one more in).
#[derive(Debug)]
pub(crate) struct RequestLimiter {
    permits: Option<Semaphore>,
    spacing: Option<Duration>,
    next_start: std::sync::Mutex<Option<Instant>>,
}

impl RequestLimiter {
    fn new(rate_limit: Option<f64>, concurrency: Option<usize>) -> Self {
        RequestLimiter {
            permits: concurrency.map(Semaphore::new),
            spacing: rate_limit.map(|r| Duration::from_secs_f64(1.0 / r)),
            next_start: std::sync::Mutex::new(None),
        }
    }

    /// Wait for a turn; the permit (if concurrency is limited) is held until dropped.
    pub(crate) async fn acquire(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed, so acquire does not fail.
        let permit = match &self.permits {
            Some(s) => s.acquire().await.ok(),
            None => None,
        };
        if let Some(spacing) = self.spacing {
            let start = {
                let mut next = self.next_start.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let start = next.map_or(now, |n| n.max(now));
                *next = Some(start + spacing);
                start
            };
            tokio::time::sleep_until(start).await;
        }
        permit
    }
}

impl Adapter {
    /// An adapter for a service type.
    pub fn new(session: Session, service_type: impl Into<String>) -> Self {
        Adapter {
            session,
            filter: EndpointFilter::service(service_type),
            endpoint_override: None,
            default_microversion: None,
            connect_retries: None,
            status_code_retries: None,
            global_request_id: None,
            client_name: None,
            raise_exc: None,
            timeout: None,
            connect_retry_delay: None,
            status_code_retry_delay: None,
            retriable_status_codes: None,
            additional_headers: HeaderMap::new(),
            auth: None,
            user_agent: None,
            rate_limit: None,
            concurrency: None,
            limiter: None,
        }
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The endpoint filter.
    pub fn filter(&self) -> &EndpointFilter {
        &self.filter
    }

    /// Preferred interface (call again for a fallback).
    pub fn interface(mut self, interface: Interface) -> Self {
        self.filter.interface.push(interface);
        self
    }
    /// Region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.filter.region_name = Some(region.into());
        self
    }
    /// Service name.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.filter.service_name = Some(name.into());
        self
    }
    /// Major version (`"2"` = 2.0 … 2.latest).
    pub fn version(mut self, v: &str) -> Result<Self> {
        self.filter.version = VersionRange::from_args(Some(v), None, None)?;
        Ok(self)
    }
    /// Minimum version.
    pub fn min_version(mut self, v: &str) -> Result<Self> {
        self.filter = self.filter.min_version(v)?;
        Ok(self)
    }
    /// Maximum version.
    pub fn max_version(mut self, v: &str) -> Result<Self> {
        self.filter = self.filter.max_version(v)?;
        Ok(self)
    }
    /// Use this URL instead of the catalog's.
    pub fn endpoint_override(mut self, url: impl Into<String>) -> Self {
        self.endpoint_override = Some(url.into());
        self
    }
    /// Microversion sent with every request unless the request sets one.
    pub fn default_microversion(mut self, v: impl Into<String>) -> Self {
        self.default_microversion = Some(v.into());
        self
    }
    /// Connect retries.
    pub fn connect_retries(mut self, n: u32) -> Self {
        self.connect_retries = Some(n);
        self
    }
    /// Status-code retries.
    pub fn status_code_retries(mut self, n: u32) -> Self {
        self.status_code_retries = Some(n);
        self
    }
    /// A global request id sent with every request.
    pub fn global_request_id(mut self, id: impl Into<String>) -> Self {
        self.global_request_id = Some(id.into());
        self
    }
    /// Client name and version for the User-Agent.
    pub fn client_name(mut self, name: impl Into<String>, version: Option<String>) -> Self {
        self.client_name = Some((name.into(), version));
        self
    }
    /// Return failure statuses as errors (default true).
    pub fn raise_exc(mut self, on: bool) -> Self {
        self.raise_exc = Some(on);
        self
    }
    /// Timeout of each request.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }
    /// Delay before each connection retry (default: exponential backoff from 0.5 s).
    pub fn connect_retry_delay(mut self, d: Duration) -> Self {
        self.connect_retry_delay = Some(d);
        self
    }
    /// Delay before each status-code retry (default: exponential backoff from 0.5 s;
    /// `Retry-After` wins).
    pub fn status_code_retry_delay(mut self, d: Duration) -> Self {
        self.status_code_retry_delay = Some(d);
        self
    }
    /// Which statuses to retry (default 429 and 503).
    pub fn retriable_status_codes(mut self, codes: Vec<u16>) -> Self {
        self.retriable_status_codes = Some(codes);
        self
    }
    /// A header sent with every request unless the request sets it (it wins over the
    /// session's additional headers).
    pub fn additional_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.additional_headers.insert(name, value);
        self
    }
    /// Authenticate this adapter's requests with another plugin than the session's.
    pub fn auth(mut self, auth: Arc<dyn AuthPlugin>) -> Self {
        self.auth = Some(auth);
        self
    }
    /// The whole User-Agent of this adapter's requests.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }
    /// At most this many requests a second (keystoneauth1's `rate_limit`), shared by the
    /// adapter's clones. Must be a positive number.
    pub fn rate_limit(mut self, requests_per_second: f64) -> Result<Self> {
        if !(requests_per_second.is_finite() && requests_per_second > 0.0) {
            return Err(Error::OptionError(format!(
                "rate_limit must be a positive number of requests per second, got \
                 {requests_per_second}"
            )));
        }
        self.rate_limit = Some(requests_per_second);
        self.limiter = Some(Arc::new(RequestLimiter::new(
            self.rate_limit,
            self.concurrency,
        )));
        Ok(self)
    }
    /// At most this many requests at once (keystoneauth1's `concurrency`), shared by the
    /// adapter's clones; the others wait in turn. Must be at least 1.
    pub fn concurrency(mut self, requests: usize) -> Result<Self> {
        if requests == 0 || requests > Semaphore::MAX_PERMITS {
            return Err(Error::OptionError(format!(
                "concurrency must be at least 1 (and at most {}), got {requests}",
                Semaphore::MAX_PERMITS
            )));
        }
        self.concurrency = Some(requests);
        self.limiter = Some(Arc::new(RequestLimiter::new(
            self.rate_limit,
            self.concurrency,
        )));
        Ok(self)
    }

    /// A request relative to the service's endpoint.
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        let mut r = self.session.request(method, path);
        r = match &self.endpoint_override {
            Some(o) => r.endpoint_override(o.clone()),
            None => r.endpoint_filter(self.filter.clone()),
        };
        if let Some(st) = &self.filter.service_type {
            r = r.microversion_service_type(st.clone());
        }
        if let Some(mv) = &self.default_microversion {
            r = r.microversion(mv.clone());
        }
        if let Some(n) = self.connect_retries {
            r = r.connect_retries(n);
        }
        if let Some(n) = self.status_code_retries {
            r = r.status_code_retries(n);
        }
        if let Some(id) = &self.global_request_id {
            r = r.header(crate::session::REQUEST_ID_HEADER, id);
        }
        if let Some((n, v)) = &self.client_name {
            r = r.client_name(n.clone(), v.clone());
        }
        if let Some(on) = self.raise_exc {
            r = r.raise_exc(on);
        }
        if let Some(t) = self.timeout {
            r = r.timeout(t);
        }
        if let Some(d) = self.connect_retry_delay {
            r = r.connect_retry_delay(d);
        }
        if let Some(d) = self.status_code_retry_delay {
            r = r.status_code_retry_delay(d);
        }
        if let Some(codes) = &self.retriable_status_codes {
            r = r.retriable_status_codes(codes.clone());
        }
        if !self.additional_headers.is_empty() {
            r = r.headers(self.additional_headers.clone());
        }
        if let Some(a) = &self.auth {
            r = r.auth(a.clone());
        }
        if let Some(ua) = &self.user_agent {
            r = r.user_agent(ua.clone());
        }
        if let Some(l) = &self.limiter {
            r = r.limiter(l.clone());
        }
        r
    }

    /// `GET path`.
    pub fn get(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::GET, path)
    }
    /// `POST path`.
    pub fn post(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::POST, path)
    }
    /// `PUT path`.
    pub fn put(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::PUT, path)
    }
    /// `PATCH path`.
    pub fn patch(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }
    /// `DELETE path`.
    pub fn delete(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }
    /// `HEAD path`.
    pub fn head(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::HEAD, path)
    }

    /// The endpoint URL (the override, else the catalog's, through the adapter's own plugin
    /// when it has one, as its requests do).
    pub async fn endpoint(&self) -> Result<String> {
        if let Some(o) = &self.endpoint_override {
            return Ok(o.clone());
        }
        let found = match &self.auth {
            Some(plugin) => plugin.endpoint(&self.session, &self.filter).await,
            None => self.session.endpoint(&self.filter).await,
        };
        found?.ok_or_else(|| Error::EndpointNotFound(format!("no endpoint for {:?}", self.filter)))
    }

    /// Endpoint data after discovery (microversion ranges included), through the adapter's
    /// own plugin when it has one.
    pub async fn endpoint_data(&self) -> Result<EndpointData> {
        let mut f = self.filter.clone();
        f.discover_versions = true;
        if let Some(o) = &self.endpoint_override {
            let base = EndpointData::for_url(o.clone());
            if f.version.is_empty() {
                return Ok(base);
            }
            return crate::discover::versioned_data(&self.session, &base, &f, None).await;
        }
        let found = match &self.auth {
            Some(plugin) => plugin.endpoint_data(&self.session, &f).await,
            None => self.session.endpoint_data(&f).await,
        };
        found?.ok_or_else(|| Error::EndpointNotFound(format!("no endpoint for {:?}", self.filter)))
    }
}

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

use http::{HeaderName, HeaderValue, Method};
use tokio::sync::Semaphore;

use crate::catalog::EndpointFilter;
use crate::catalog::{EndpointData, Interface};
use crate::error::{Error, Result};
use crate::plugin::AuthPlugin;
use crate::session::limit::RequestLimiter;
use crate::session::{RequestBuilder, RequestOptions, Session};
use crate::version::VersionRange;

/// A session bound to one service: where its requests go (service type, interface, region,
/// version range or an endpoint override), its own auth plugin if any, a request limit, and
/// its layer of [`RequestOptions`] (between the session's and each request's).
#[derive(Clone, Debug)]
pub struct Adapter {
    session: Session,
    filter: EndpointFilter,
    endpoint_override: Option<String>,
    options: Arc<RequestOptions>,
    auth: Option<Arc<dyn AuthPlugin>>,
    rate_limit: Option<f64>,
    concurrency: Option<usize>,
    limiter: Option<Arc<RequestLimiter>>,
}

impl Adapter {
    /// An adapter for a service type.
    pub fn new(session: Session, service_type: impl Into<String>) -> Self {
        Adapter {
            session,
            filter: EndpointFilter::service(service_type),
            endpoint_override: None,
            options: Arc::new(RequestOptions::default()),
            auth: None,
            rate_limit: None,
            concurrency: None,
            limiter: None,
        }
    }

    /// The adapter's request options (see [`Adapter::options`]).
    pub fn request_options(&self) -> &RequestOptions {
        &self.options
    }

    /// The adapter's layer of request options: every request takes from them what it does
    /// not set itself, and the session's options fill in the rest. Every value `options`
    /// sets replaces the adapter's (its headers are added).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = Arc::new(self.options.overlay(&options));
        self
    }

    fn set(mut self, f: impl FnOnce(&mut RequestOptions)) -> Self {
        f(Arc::make_mut(&mut self.options));
        self
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
    pub fn default_microversion(self, v: impl Into<String>) -> Self {
        let v = v.into();
        self.set(|o| o.microversion = Some(v))
    }
    /// Connect retries.
    pub fn connect_retries(self, n: u32) -> Self {
        self.set(|o| o.connect_retries = Some(n))
    }
    /// Status-code retries.
    pub fn status_code_retries(self, n: u32) -> Self {
        self.set(|o| o.status_code_retries = Some(n))
    }
    /// A global request id sent with every request.
    pub fn global_request_id(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.set(|o| o.global_request_id = Some(id))
    }
    /// Client name and version for the User-Agent.
    pub fn client_name(self, name: impl Into<String>, version: Option<String>) -> Self {
        let name = name.into();
        self.set(|o| o.client_name = Some((name, version)))
    }
    /// Return failure statuses as errors (default true).
    pub fn raise_exc(self, on: bool) -> Self {
        self.set(|o| o.raise_exc = Some(on))
    }
    /// Timeout of each request.
    pub fn timeout(self, d: Duration) -> Self {
        self.set(|o| o.timeout = Some(d))
    }
    /// Delay before each connection retry (default: exponential backoff from 0.5 s).
    pub fn connect_retry_delay(self, d: Duration) -> Self {
        self.set(|o| o.connect_retry_delay = Some(d))
    }
    /// Delay before each status-code retry (default: exponential backoff from 0.5 s;
    /// `Retry-After` wins).
    pub fn status_code_retry_delay(self, d: Duration) -> Self {
        self.set(|o| o.status_code_retry_delay = Some(d))
    }
    /// Which statuses to retry (default 429 and 503).
    pub fn retriable_status_codes(self, codes: Vec<u16>) -> Self {
        self.set(|o| o.retriable_status_codes = Some(codes))
    }
    /// A header sent with every request unless the request sets it (it wins over the
    /// session's additional headers).
    pub fn additional_header(self, name: HeaderName, value: HeaderValue) -> Self {
        self.set(|o| *o = std::mem::take(o).header(name, value))
    }
    /// Authenticate this adapter's requests with another plugin than the session's.
    pub fn auth(mut self, auth: Arc<dyn AuthPlugin>) -> Self {
        self.auth = Some(auth);
        self
    }
    /// The whole User-Agent of this adapter's requests.
    pub fn user_agent(self, ua: impl Into<String>) -> Self {
        let ua = ua.into();
        self.set(|o| o.user_agent = Some(ua))
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
            if self.options.microversion_service_type.is_none() {
                r = r.microversion_service_type(st.clone());
            }
        }
        if let Some(a) = &self.auth {
            r = r.auth(a.clone());
        }
        r.adapter(self.options.clone(), self.limiter.clone())
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

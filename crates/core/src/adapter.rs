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

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use tokio::sync::Semaphore;

use crate::catalog::EndpointFilter;
use crate::catalog::{EndpointData, Interface};
use crate::error::{Error, Result};
use crate::plugin::AuthPlugin;
use crate::session::limit::RequestLimiter;
use crate::session::{RequestBuilder, RequestOptions, Session};
use crate::version::{Version, VersionRange};

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
    /// The service's microversion range, once discovery told it (shared by clones).
    microversions: Arc<OnceLock<MicroversionBounds>>,
    check_microversion: bool,
}

/// The microversions an endpoint supports, as its version document says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MicroversionBounds {
    pub(crate) service_type: String,
    pub(crate) url: String,
    pub(crate) min: Option<Version>,
    pub(crate) max: Option<Version>,
}

impl MicroversionBounds {
    fn supported(&self) -> String {
        let show = |v: &Option<Version>| v.as_ref().map_or("?".to_owned(), Version::to_string);
        format!("{} - {}", show(&self.min), show(&self.max))
    }

    /// An error unless `requested` is within the bounds (`latest` always is).
    pub(crate) fn check(&self, requested: &Version) -> crate::error::Result<()> {
        if requested.is_latest() || self.max.is_none() {
            return Ok(());
        }
        let below = self.min.as_ref().is_some_and(|min| requested < min);
        let above = self.max.as_ref().is_some_and(|max| requested > max);
        if below || above {
            return Err(Error::MicroversionNotSupported {
                service_type: self.service_type.clone(),
                requested: requested.to_string(),
                supported: self.supported(),
                url: self.url.clone(),
            });
        }
        Ok(())
    }
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
            microversions: Arc::new(OnceLock::new()),
            check_microversion: true,
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
        let bounds = if self.check_microversion {
            Some(self.microversions.clone())
        } else {
            None
        };
        r.adapter(self.options.clone(), self.limiter.clone(), bounds)
    }

    /// Whether requests check their microversion against the range the service advertises
    /// before they are sent (default true). The range is known once
    /// [`negotiate_microversion`](Self::negotiate_microversion) or
    /// [`endpoint_data`](Self::endpoint_data) ran; until then nothing is checked (no extra
    /// request is made for it). `false` sends whatever microversion is asked for.
    pub fn check_microversion(mut self, on: bool) -> Self {
        self.check_microversion = on;
        self
    }

    /// The highest microversion within `[min, max]` (the client's range; `max` may be
    /// `latest`) that the service's version document advertises, found by discovery (one
    /// request, cached by the session). The service's range is remembered, so later requests
    /// with a microversion it does not support fail before they are sent.
    ///
    /// No overlap is [`Error::MicroversionNotSupported`] naming both ranges; a service that
    /// advertises no microversions is an error too.
    ///
    /// ```no_run
    /// # async fn demo(session: keystoneauth_core::Session) -> keystoneauth_core::Result<()> {
    /// use keystoneauth_core::Adapter;
    /// let compute = Adapter::new(session, "compute");
    /// let best = compute.negotiate_microversion("2.1", "2.95").await?;
    /// let compute = compute.default_microversion(best.to_string());
    /// # Ok(()) }
    /// ```
    pub async fn negotiate_microversion(&self, min: &str, max: &str) -> Result<Version> {
        self.negotiate(min, max, None).await
    }

    /// The highest microversion the service advertises (of its newest API version, unless
    /// the adapter asks for a version).
    pub async fn latest_microversion(&self) -> Result<Version> {
        // The API version of the endpoint the catalog (or the override) names.
        let url = self.endpoint().await?;
        let major = crate::version::version_from_url(&url)
            .map(|v| v.major())
            .and_then(|m| match m {
                crate::version::Part::Num(n) => Some(n.to_string()),
                crate::version::Part::Latest => None,
            })
            .unwrap_or_else(|| "latest".to_owned());
        self.negotiate("0.0", "latest", Some(&major)).await
    }

    async fn negotiate(&self, min: &str, max: &str, major: Option<&str>) -> Result<Version> {
        let client_min = Version::parse(min)?;
        let client_max = Version::parse(max)?;
        if client_max < client_min {
            return Err(Error::InvalidVersion(format!(
                "the microversion range {min} - {max} is empty"
            )));
        }
        // Discovery reads the version document of the client's major version unless the
        // adapter asks for a version itself.
        let mut filter = self.filter.clone();
        if filter.version.is_empty() {
            let major = match (major, client_min.major()) {
                (Some(m), _) => m.to_owned(),
                (None, crate::version::Part::Num(n)) => n.to_string(),
                (None, crate::version::Part::Latest) => "latest".to_owned(),
            };
            filter.version = VersionRange::from_args(Some(&major), None, None)?;
        }
        let data = self.endpoint_data_for(filter).await?;
        let bounds = self.bounds_of(&data);
        let no_overlap = || Error::MicroversionNotSupported {
            service_type: bounds.service_type.clone(),
            requested: format!("{client_min} - {client_max}"),
            supported: bounds.supported(),
            url: bounds.url.clone(),
        };
        let server_max = bounds.max.clone().ok_or_else(no_overlap)?;
        let server_min = bounds.min.clone().unwrap_or_else(|| server_max.clone());
        let best = client_max.clone().min(server_max);
        if best < client_min || best < server_min {
            return Err(no_overlap());
        }
        Ok(best)
    }

    /// [`negotiate_microversion`](Self::negotiate_microversion), then that microversion as
    /// this adapter's default.
    pub async fn with_negotiated_microversion(self, min: &str, max: &str) -> Result<Self> {
        let best = self.negotiate_microversion(min, max).await?;
        Ok(self.default_microversion(best.to_string()))
    }

    fn bounds_of(&self, data: &EndpointData) -> MicroversionBounds {
        let bounds = MicroversionBounds {
            service_type: self.filter.service_type.clone().unwrap_or_default(),
            url: data.url().to_owned(),
            min: data.min_microversion.clone(),
            max: data.max_microversion.clone(),
        };
        let _ = self.microversions.set(bounds.clone());
        bounds
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
        self.endpoint_data_for(self.filter.clone()).await
    }

    async fn endpoint_data_for(&self, mut f: EndpointFilter) -> Result<EndpointData> {
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
        let data = found?
            .ok_or_else(|| Error::EndpointNotFound(format!("no endpoint for {:?}", self.filter)))?;
        if data.max_microversion.is_some() {
            self.bounds_of(&data);
        }
        Ok(data)
    }
}

//! A blocking API over the async one, for programs without async: the same names as
//! [`Session`](crate::Session), [`RequestBuilder`](crate::RequestBuilder) and
//! [`Adapter`](crate::Adapter), as `reqwest::blocking` mirrors `reqwest`.
//!
//! Requests run on a small runtime owned by the session, on its own thread, so these calls
//! work from plain threads and from `spawn_blocking` or a multi-thread tokio runtime (the
//! calling thread waits; the runtime's other workers go on). Called on the thread of a
//! *current-thread* tokio runtime, a blocking call would stop the only thread that runs that
//! runtime's tasks — a server on it, say — so it returns [`Error::Runtime`] at once instead of
//! waiting forever.
//!
//! ```no_run
//! # fn demo(auth: std::sync::Arc<dyn keystoneauth_core::AuthPlugin>) -> keystoneauth_core::Result<()> {
//! use keystoneauth_core::blocking;
//! let session = blocking::Session::new(keystoneauth_core::Session::new(auth)?)?;
//! let compute = blocking::Adapter::new(&session, "compute").default_microversion("2.79");
//! let resp = compute.get("/servers").query(&[("limit", "10")]).send()?;
//! println!("{}", resp.status());
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use secrecy::SecretString;

use crate::catalog::{EndpointData, EndpointFilter, Interface};
use crate::error::{Error, Result};
use crate::plugin::{AuthPlugin, ConnectionParams};
use crate::session::{self, RequestOptions, RequestTiming, Response};

/// Whether this thread drives a current-thread tokio runtime (its `block_on` or one of its
/// tasks), where waiting would stop that runtime. tokio has no direct way to ask, so: the
/// runtime is current-thread and this is not one of its blocking-pool threads, which carry
/// tokio's thread name (`spawn_blocking` from such a runtime works; a runtime built with a
/// custom `thread_name` is taken for the driving thread).
fn on_current_thread_runtime() -> bool {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return false;
    };
    handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread
        && !matches!(
            std::thread::current().name(),
            Some("tokio-runtime-worker" | "tokio-rt-worker")
        )
}

struct Runtime {
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            // Never blocks, so dropping inside an async context does not panic.
            rt.shutdown_background();
        }
    }
}

impl Runtime {
    fn new() -> Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("keystoneauth-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::Runtime(format!("cannot start a runtime: {e}")))?;
        Ok(Runtime { rt: Some(rt) })
    }

    fn run<F>(&self, fut: F) -> Result<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if on_current_thread_runtime() {
            {
                return Err(Error::Runtime(
                    "a blocking keystoneauth call was made on the thread of a current-thread \
                     tokio runtime: it would stop that runtime (and anything it serves) for \
                     good. Use the async API there, or call from spawn_blocking or a plain \
                     thread"
                        .into(),
                ));
            }
        }
        let rt = self
            .rt
            .as_ref()
            .ok_or_else(|| Error::Runtime("runtime is shut down".into()))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .map_err(|_| Error::Runtime("the request task was dropped".into()))
    }
}

/// A blocking [`Session`](crate::Session).
#[derive(Clone)]
pub struct Session {
    inner: crate::Session,
    rt: Arc<Runtime>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::Session")
            .field("session", &self.inner)
            .finish()
    }
}

/// A blocking [`RequestBuilder`](crate::RequestBuilder): the same options, and
/// [`send`](RequestBuilder::send) waits.
#[must_use = "a request does nothing until sent"]
pub struct RequestBuilder {
    inner: session::RequestBuilder,
    rt: Arc<Runtime>,
}

impl std::fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

/// Methods that take the builder and give it back, delegated to the async builder.
macro_rules! delegate {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $(where $($bound:tt)*)?; )*) => {
        $(
            $(#[$doc])*
            pub fn $name(self, $($arg: $ty),*) -> Self $(where $($bound)*)? {
                self.with(|r| r.$name($($arg),*))
            }
        )*
    };
}

impl RequestBuilder {
    /// Change the async builder directly, e.g. for a method this one does not have.
    pub fn with(
        mut self,
        f: impl FnOnce(session::RequestBuilder) -> session::RequestBuilder,
    ) -> Self {
        self.inner = f(self.inner);
        self
    }

    delegate! {
        /// See [`crate::RequestBuilder::endpoint_filter`].
        fn endpoint_filter(filter: EndpointFilter);
        /// See [`crate::RequestBuilder::endpoint_override`].
        fn endpoint_override(url: impl Into<String>);
        /// See [`crate::RequestBuilder::options`].
        fn options(options: RequestOptions);
        /// See [`crate::RequestBuilder::header`].
        fn header(name: impl AsRef<str>, value: impl AsRef<str>);
        /// See [`crate::RequestBuilder::headers`].
        fn headers(headers: HeaderMap);
        /// See [`crate::RequestBuilder::form`].
        fn form(pairs: &[(&str, &str)]);
        /// See [`crate::RequestBuilder::body`].
        fn body(body: impl Into<Bytes>);
        /// See [`crate::RequestBuilder::query`].
        fn query(pairs: &[(&str, &str)]);
        /// See [`crate::RequestBuilder::authenticated`].
        fn authenticated(on: bool);
        /// See [`crate::RequestBuilder::auth`].
        fn auth(auth: Arc<dyn AuthPlugin>);
        /// See [`crate::RequestBuilder::connection_params`].
        fn connection_params(params: ConnectionParams);
        /// See [`crate::RequestBuilder::raise_exc`].
        fn raise_exc(on: bool);
        /// See [`crate::RequestBuilder::allow_reauth`].
        fn allow_reauth(on: bool);
        /// See [`crate::RequestBuilder::log`].
        fn log(on: bool);
        /// See [`crate::RequestBuilder::log_body`].
        fn log_body(on: bool);
        /// See [`crate::RequestBuilder::connect_retries`].
        fn connect_retries(n: u32);
        /// See [`crate::RequestBuilder::status_code_retries`].
        fn status_code_retries(n: u32);
        /// See [`crate::RequestBuilder::retriable_status_codes`].
        fn retriable_status_codes(codes: Vec<u16>);
        /// See [`crate::RequestBuilder::connect_retry_delay`].
        fn connect_retry_delay(delay: Duration);
        /// See [`crate::RequestBuilder::status_code_retry_delay`].
        fn status_code_retry_delay(delay: Duration);
        /// See [`crate::RequestBuilder::microversion`].
        fn microversion(version: impl Into<String>);
        /// See [`crate::RequestBuilder::microversion_service_type`].
        fn microversion_service_type(service_type: impl Into<String>);
        /// See [`crate::RequestBuilder::global_request_id`].
        fn global_request_id(id: impl Into<String>);
        /// See [`crate::RequestBuilder::timeout`].
        fn timeout(timeout: Duration);
        /// See [`crate::RequestBuilder::read_timeout`].
        fn read_timeout(timeout: Duration);
        /// See [`crate::RequestBuilder::redirect`].
        fn redirect(limit: u32);
        /// See [`crate::RequestBuilder::allow_cross_origin_redirects`].
        fn allow_cross_origin_redirects(on: bool);
        /// See [`crate::RequestBuilder::client_name`].
        fn client_name(name: impl Into<String>, version: Option<String>);
        /// See [`crate::RequestBuilder::user_agent`].
        fn user_agent(user_agent: impl Into<String>);
    }

    /// See [`crate::RequestBuilder::json`].
    pub fn json<T: serde::Serialize + ?Sized>(self, body: &T) -> Self {
        self.with(|r| r.json(body))
    }

    /// Send and wait for the whole response.
    pub fn send(self) -> Result<Response> {
        self.rt.run(self.inner.send())?
    }

    /// Send and wait for the response's headers; read the body with [`std::io::Read`] (see
    /// [`crate::RequestBuilder::send_streaming`]).
    pub fn send_streaming(self) -> Result<StreamingResponse> {
        let resp = self.rt.run(self.inner.send_streaming())??;
        Ok(StreamingResponse {
            inner: Some(resp),
            rt: self.rt,
            pending: Bytes::new(),
        })
    }
}

/// A blocking [`StreamingResponse`](crate::StreamingResponse): status and headers now, the body
/// through [`std::io::Read`] (each read waits for the next chunk, within the read timeout; a
/// failure is an `io::Error` whose inner error is the [`Error`]).
pub struct StreamingResponse {
    inner: Option<session::StreamingResponse>,
    rt: Arc<Runtime>,
    pending: Bytes,
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::StreamingResponse")
            .field("response", &self.inner)
            .finish_non_exhaustive()
    }
}

impl StreamingResponse {
    fn get(&self) -> Option<&session::StreamingResponse> {
        self.inner.as_ref()
    }
    /// Status code (500 once a failed read lost the response).
    pub fn status(&self) -> http::StatusCode {
        self.get()
            .map_or(http::StatusCode::INTERNAL_SERVER_ERROR, |r| r.status())
    }
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.get().and_then(|r| r.header(name))
    }
    /// Headers.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.get().map(|r| r.headers())
    }
    /// The final URL.
    pub fn url(&self) -> &str {
        self.get().map_or("", |r| r.url())
    }
    /// `Content-Length`, when the server sent one.
    pub fn content_length(&self) -> Option<u64> {
        self.get().and_then(|r| r.content_length())
    }

    /// The next chunk of the body, or `None` at its end.
    pub fn chunk(&mut self) -> Result<Option<Bytes>> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        let Some(mut resp) = self.inner.take() else {
            return Err(Error::Runtime(
                "the response was lost after a failed read".into(),
            ));
        };
        let (resp, chunk) = self.rt.run(async move {
            let chunk = resp.chunk().await;
            (resp, chunk)
        })?;
        self.inner = Some(resp);
        chunk
    }

    /// Writes the whole body to `out`; returns how many bytes were written.
    pub fn copy_to<W: std::io::Write + ?Sized>(&mut self, out: &mut W) -> Result<u64> {
        let mut written = 0u64;
        while let Some(chunk) = self.chunk()? {
            out.write_all(&chunk)
                .map_err(|e| Error::io(format!("cannot write the body of {}", self.url()), e))?;
            written += chunk.len() as u64;
        }
        Ok(written)
    }
}

impl std::io::Read for StreamingResponse {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() {
            match self.chunk().map_err(std::io::Error::other)? {
                Some(chunk) => self.pending = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }
}

impl Session {
    /// Wrap an async session.
    pub fn new(session: crate::Session) -> Result<Self> {
        Ok(Session {
            inner: session,
            rt: Arc::new(Runtime::new()?),
        })
    }

    /// The async session inside.
    pub fn as_async(&self) -> &crate::Session {
        &self.inner
    }

    /// Start a request (see [`crate::Session::request`]).
    pub fn request(&self, method: Method, url: impl Into<String>) -> RequestBuilder {
        RequestBuilder {
            inner: self.inner.request(method, url),
            rt: self.rt.clone(),
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

    /// The token of the session's plugin.
    pub fn token(&self) -> Result<Option<SecretString>> {
        let s = self.inner.clone();
        self.rt.run(async move { s.token().await })?
    }
    /// The auth headers of the session's plugin.
    pub fn auth_headers(&self) -> Result<Option<HeaderMap>> {
        let s = self.inner.clone();
        self.rt.run(async move { s.auth_headers().await })?
    }
    /// The endpoint URL for a filter.
    pub fn endpoint(&self, filter: &EndpointFilter) -> Result<Option<String>> {
        let (s, f) = (self.inner.clone(), filter.clone());
        self.rt.run(async move { s.endpoint(&f).await })?
    }
    /// The endpoint data for a filter (with discovery when a version is asked for).
    pub fn endpoint_data(&self, filter: &EndpointFilter) -> Result<Option<EndpointData>> {
        let (s, f) = (self.inner.clone(), filter.clone());
        self.rt.run(async move { s.endpoint_data(&f).await })?
    }
    /// The user id.
    pub fn user_id(&self) -> Result<Option<String>> {
        let s = self.inner.clone();
        self.rt.run(async move { s.user_id().await })?
    }
    /// The project id.
    pub fn project_id(&self) -> Result<Option<String>> {
        let s = self.inner.clone();
        self.rt.run(async move { s.project_id().await })?
    }
    /// Drop the plugin's token.
    pub fn invalidate(&self) -> Result<bool> {
        self.inner.invalidate()
    }
    /// Timings recorded with `collect_timing`.
    pub fn timings(&self) -> Vec<RequestTiming> {
        self.inner.timings()
    }
    /// Forget recorded timings.
    pub fn reset_timings(&self) {
        self.inner.reset_timings()
    }
    /// Run any future on this session's runtime (for plugin calls without a blocking wrapper).
    pub fn block_on<F>(&self, fut: F) -> Result<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.rt.run(fut)
    }
}

/// A blocking [`Adapter`](crate::Adapter): the same settings, and requests that wait.
#[derive(Clone, Debug)]
pub struct Adapter {
    inner: crate::Adapter,
    session: Session,
}

/// Adapter settings that take the adapter and give it back.
macro_rules! adapter_setters {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*); )*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $($arg: $ty),*) -> Self {
                self.inner = self.inner.$name($($arg),*);
                self
            }
        )*
    };
}

/// Adapter settings that can fail.
macro_rules! adapter_checked_setters {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*); )*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $($arg: $ty),*) -> Result<Self> {
                self.inner = self.inner.$name($($arg),*)?;
                Ok(self)
            }
        )*
    };
}

impl Adapter {
    /// An adapter for a service type on a blocking session.
    pub fn new(session: &Session, service_type: impl Into<String>) -> Self {
        Adapter {
            inner: crate::Adapter::new(session.inner.clone(), service_type),
            session: session.clone(),
        }
    }

    /// Wrap an async adapter, using the blocking session's runtime.
    pub fn from_async(session: &Session, adapter: crate::Adapter) -> Self {
        Adapter {
            inner: adapter,
            session: session.clone(),
        }
    }

    /// The async adapter inside.
    pub fn as_async(&self) -> &crate::Adapter {
        &self.inner
    }

    /// The blocking session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    adapter_setters! {
        /// See [`crate::Adapter::interface`].
        fn interface(interface: Interface);
        /// See [`crate::Adapter::region`].
        fn region(region: impl Into<String>);
        /// See [`crate::Adapter::service_name`].
        fn service_name(name: impl Into<String>);
        /// See [`crate::Adapter::endpoint_override`].
        fn endpoint_override(url: impl Into<String>);
        /// See [`crate::Adapter::options`].
        fn options(options: RequestOptions);
        /// See [`crate::Adapter::default_microversion`].
        fn default_microversion(version: impl Into<String>);
        /// See [`crate::Adapter::connect_retries`].
        fn connect_retries(n: u32);
        /// See [`crate::Adapter::status_code_retries`].
        fn status_code_retries(n: u32);
        /// See [`crate::Adapter::global_request_id`].
        fn global_request_id(id: impl Into<String>);
        /// See [`crate::Adapter::client_name`].
        fn client_name(name: impl Into<String>, version: Option<String>);
        /// See [`crate::Adapter::raise_exc`].
        fn raise_exc(on: bool);
        /// See [`crate::Adapter::timeout`].
        fn timeout(timeout: Duration);
        /// See [`crate::Adapter::connect_retry_delay`].
        fn connect_retry_delay(delay: Duration);
        /// See [`crate::Adapter::status_code_retry_delay`].
        fn status_code_retry_delay(delay: Duration);
        /// See [`crate::Adapter::retriable_status_codes`].
        fn retriable_status_codes(codes: Vec<u16>);
        /// See [`crate::Adapter::additional_header`].
        fn additional_header(name: HeaderName, value: HeaderValue);
        /// See [`crate::Adapter::auth`].
        fn auth(auth: Arc<dyn AuthPlugin>);
        /// See [`crate::Adapter::user_agent`].
        fn user_agent(user_agent: impl Into<String>);
        /// See [`crate::Adapter::check_microversion`].
        fn check_microversion(on: bool);
    }

    adapter_checked_setters! {
        /// See [`crate::Adapter::version`].
        fn version(version: &str);
        /// See [`crate::Adapter::min_version`].
        fn min_version(version: &str);
        /// See [`crate::Adapter::max_version`].
        fn max_version(version: &str);
        /// See [`crate::Adapter::rate_limit`].
        fn rate_limit(requests_per_second: f64);
        /// See [`crate::Adapter::concurrency`].
        fn concurrency(requests: usize);
    }

    /// A request relative to the service's endpoint.
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        RequestBuilder {
            inner: self.inner.request(method, path),
            rt: self.session.rt.clone(),
        }
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
    /// The endpoint URL.
    pub fn endpoint(&self) -> Result<String> {
        let a = self.inner.clone();
        self.session.rt.run(async move { a.endpoint().await })?
    }
    /// See [`crate::Adapter::negotiate_microversion`].
    pub fn negotiate_microversion(&self, min: &str, max: &str) -> Result<crate::version::Version> {
        let (a, min, max) = (self.inner.clone(), min.to_owned(), max.to_owned());
        self.session
            .rt
            .run(async move { a.negotiate_microversion(&min, &max).await })?
    }
    /// See [`crate::Adapter::latest_microversion`].
    pub fn latest_microversion(&self) -> Result<crate::version::Version> {
        let a = self.inner.clone();
        self.session
            .rt
            .run(async move { a.latest_microversion().await })?
    }
    /// See [`crate::Adapter::with_negotiated_microversion`].
    pub fn with_negotiated_microversion(self, min: &str, max: &str) -> Result<Self> {
        let best = self.negotiate_microversion(min, max)?;
        Ok(self.default_microversion(best.to_string()))
    }
    /// Endpoint data after discovery (microversion ranges included).
    pub fn endpoint_data(&self) -> Result<EndpointData> {
        let a = self.inner.clone();
        self.session
            .rt
            .run(async move { a.endpoint_data().await })?
    }
}

//! A blocking API over the async one, for programs without async.
//!
//! Requests run on a small runtime owned by the session, on its own thread, so these calls
//! work from plain threads *and* from inside a tokio runtime (they block the calling thread but
//! never panic).
//!
//! ```no_run
//! # fn demo(auth: std::sync::Arc<dyn keystoneauth_core::AuthPlugin>) -> keystoneauth_core::Result<()> {
//! use keystoneauth_core::{blocking, EndpointFilter};
//! let session = blocking::Session::new(keystoneauth_core::Session::new(auth)?)?;
//! let resp = session.get("/v3/projects").endpoint_filter(EndpointFilter::service("identity")).send()?;
//! println!("{}", resp.status());
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;

use http::Method;
use secrecy::SecretString;

use crate::catalog::EndpointFilter;
use crate::error::{Error, Result};
use crate::session::{self, Response};

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

/// A blocking request builder.
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

impl RequestBuilder {
    /// Change the async builder (any of its options), e.g.
    /// `.with(|r| r.microversion("2.1"))`.
    pub fn with(
        mut self,
        f: impl FnOnce(session::RequestBuilder) -> session::RequestBuilder,
    ) -> Self {
        self.inner = f(self.inner);
        self
    }
    /// Endpoint filter.
    pub fn endpoint_filter(self, filter: EndpointFilter) -> Self {
        self.with(|r| r.endpoint_filter(filter))
    }
    /// Header.
    pub fn header(self, name: &str, value: &str) -> Self {
        self.with(|r| r.header(name, value))
    }
    /// JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(self, body: &T) -> Self {
        self.with(|r| r.json(body))
    }
    /// Send and wait.
    pub fn send(self) -> Result<Response> {
        self.rt.run(self.inner.send())?
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

    /// Start a request.
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
    /// `DELETE`.
    pub fn delete(&self, url: impl Into<String>) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// The token.
    pub fn token(&self) -> Result<Option<SecretString>> {
        let s = self.inner.clone();
        self.rt.run(async move { s.token().await })?
    }
    /// The endpoint URL for a filter.
    pub fn endpoint(&self, filter: &EndpointFilter) -> Result<Option<String>> {
        let (s, f) = (self.inner.clone(), filter.clone());
        self.rt.run(async move { s.endpoint(&f).await })?
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
    /// Run any future on this session's runtime (for plugin calls without a blocking wrapper).
    pub fn block_on<F>(&self, fut: F) -> Result<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.rt.run(fut)
    }
}

/// A blocking [`Adapter`](crate::Adapter).
#[derive(Clone, Debug)]
pub struct Adapter {
    inner: crate::Adapter,
    session: Session,
}

impl Adapter {
    /// Wrap an async adapter, using the blocking session's runtime.
    pub fn new(session: &Session, adapter: crate::Adapter) -> Self {
        Adapter {
            inner: adapter,
            session: session.clone(),
        }
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
    /// The endpoint URL.
    pub fn endpoint(&self) -> Result<String> {
        let a = self.inner.clone();
        self.session.rt.run(async move { a.endpoint().await })?
    }
}

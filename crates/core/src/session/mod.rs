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
//!
//! The modules, one concern each: [`builder`](SessionBuilder) (settings), `client` (TLS and
//! the HTTP clients), `options` ([`RequestOptions`], merged session → adapter → request),
//! `request` ([`RequestBuilder`]), `send` (authentication, retries, redirects, reauthentication),
//! `response` ([`Response`] and the errors of failed responses), `log` (redacted debug logs)
//! and `limit` (an adapter's rate and concurrency limit).

mod builder;
mod client;
pub(crate) mod limit;
mod log;
mod options;
mod request;
mod response;
mod send;
mod stream;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::HeaderValue;
use http::{HeaderMap, Method};
use secrecy::SecretString;

use crate::catalog::EndpointFilter;
use crate::discover::Discover;
use crate::error::{Error, Result};
use crate::plugin::AuthPlugin;

pub use builder::SessionBuilder;
pub use client::Verify;
pub use options::RequestOptions;
pub use request::RequestBuilder;
pub use response::{error_from_response, Response};
pub use stream::StreamingResponse;

use client::Clients;

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
/// How long a session waits for a TCP connection unless told otherwise (keystoneauth1 waits
/// as long as the system does, minutes). A request's own limit is its
/// [`timeout`](RequestOptions#structfield.timeout), unset by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How many redirects a request follows unless told otherwise.
pub const DEFAULT_REDIRECT_LIMIT: u32 = 30;

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

/// What a session holds; its clones share it.
pub(crate) struct Inner {
    pub(crate) clients: Arc<Clients>,
    pub(crate) auth: Option<Arc<dyn AuthPlugin>>,
    /// The session's layer of request options.
    pub(crate) options: RequestOptions,
    pub(crate) ua_parts: Vec<(String, Option<String>)>,
    /// The User-Agent of requests that do not change it (`None`: not a valid header value).
    pub(crate) default_user_agent: Option<HeaderValue>,
    pub(crate) original_ip: Option<String>,
    pub(crate) collect_timing: bool,
    pub(crate) split_loggers: bool,
    pub(crate) timings: Mutex<Vec<RequestTiming>>,
    pub(crate) discovery_cache: Mutex<HashMap<String, Arc<Discover>>>,
    /// Plain-http catalog endpoints already warned about.
    pub(crate) warned_plain_http: Mutex<std::collections::HashSet<String>>,
}

/// An HTTP session: cheap to clone, safe to share between tasks.
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("auth", &self.inner.auth)
            .field("verify", &self.inner.clients.config.verify)
            .field("options", &self.inner.options)
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
        let inner = &self.inner;
        Session {
            inner: Arc::new(Inner {
                clients: Arc::clone(&inner.clients),
                auth: Some(auth),
                options: inner.options.clone(),
                ua_parts: inner.ua_parts.clone(),
                default_user_agent: inner.default_user_agent.clone(),
                original_ip: inner.original_ip.clone(),
                collect_timing: inner.collect_timing,
                split_loggers: inner.split_loggers,
                timings: Mutex::new(Vec::new()),
                discovery_cache: Mutex::new(HashMap::new()),
                warned_plain_http: Mutex::new(Default::default()),
            }),
        }
    }

    /// Warns once per endpoint when the catalog sends requests over plain http although the
    /// auth URL was https (the token would cross the network in clear text).
    pub(crate) fn warn_plain_http_endpoint(&self, auth_url: &str, endpoint: &str) {
        let https_auth = auth_url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
        let plain = endpoint
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
        if !(https_auth && plain) {
            return;
        }
        let mut warned = self
            .inner
            .warned_plain_http
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if warned.insert(endpoint.to_owned()) {
            tracing::warn!(
                target: "keystoneauth::session",
                "the service catalog sends requests to {} over plain http, although the auth \
                 URL {} is https: the token crosses the network in clear text",
                crate::redact::url_for_log(endpoint),
                crate::redact::url_for_log(auth_url)
            );
        }
    }

    /// The session's request options (see [`SessionBuilder::options`]).
    pub fn options(&self) -> &RequestOptions {
        &self.inner.options
    }

    /// Start a request. `url` is absolute, or relative to the endpoint found through
    /// [`endpoint_filter`](RequestBuilder::endpoint_filter) or
    /// [`endpoint_override`](RequestBuilder::endpoint_override).
    pub fn request(&self, method: Method, url: impl Into<String>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, url.into())
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

/// The User-Agent: the whole override, or the app, the client, the other products and ours.
pub(crate) fn user_agent_string(
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

/// `base` and `path` joined by exactly one `/`.
pub(crate) fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Whether `url` is absolute (http or https).
pub(crate) fn is_absolute(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// `value` (the value of `option`) as an absolute `http://` or `https://` URL, or an
/// [`Error::OptionError`] that names the option and the value: checked where URLs enter (auth
/// URLs, endpoint overrides, catalog URLs), before any request is made.
///
/// ```
/// use keystoneauth_core::session::check_http_url;
/// assert!(check_http_url("auth_url", "https://keystone.example.com:5000/v3").is_ok());
/// let e = check_http_url("auth_url", "keystone.example.com:5000/v3").unwrap_err();
/// assert!(e.to_string().contains("auth_url \"keystone.example.com:5000/v3\" has no http:// or https:// scheme"));
/// ```
pub fn check_http_url(option: &str, value: &str) -> Result<url::Url> {
    let shown = crate::redact::escape_controls(value);
    let has_scheme = value.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if !has_scheme {
        return Err(Error::OptionError(format!(
            "{option} {shown:?} has no http:// or https:// scheme (did you mean \"https://{}\"?)",
            shown.trim_start_matches('/')
        )));
    }
    let url = url::Url::parse(value)
        .map_err(|e| Error::OptionError(format!("{option} {shown:?} is not a valid URL: {e}")))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(url),
        "http" | "https" => Err(Error::OptionError(format!(
            "{option} {shown:?} has no host"
        ))),
        other => Err(Error::OptionError(format!(
            "{option} {shown:?} is not an http:// or https:// URL (scheme {other:?})"
        ))),
    }
}

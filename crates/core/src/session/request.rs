//! [`RequestBuilder`]: one request being built — where it goes, its body, and its own layer of
//! [`RequestOptions`].

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method};
use serde::Serialize;

use super::limit::RequestLimiter;
use super::options::Layers;
use super::{join_url, RequestOptions, Session};
use crate::adapter::MicroversionBounds;
use crate::catalog::EndpointFilter;
use crate::error::{Error, Result};
use crate::plugin::{AuthPlugin, ConnectionParams};
use crate::redact;
use crate::service_types;
use crate::version::Version;

/// A request being built; send it with [`send`](RequestBuilder::send).
#[must_use = "a request does nothing until sent"]
pub struct RequestBuilder {
    pub(super) session: Session,
    pub(super) method: Method,
    pub(super) url: String,
    pub(super) body: Option<Bytes>,
    /// A streamed body: sent once, so never replayed (see [`RequestBuilder::body_stream`]).
    pub(super) stream_body: Option<Mutex<Option<reqwest::Body>>>,
    pub(super) json_body: bool,
    pub(super) query: Vec<(String, String)>,
    pub(super) endpoint_filter: Option<EndpointFilter>,
    pub(super) endpoint_override: Option<String>,
    pub(super) authenticated: Option<bool>,
    pub(super) auth: Option<Arc<dyn AuthPlugin>>,
    pub(super) connection_params: Option<ConnectionParams>,
    /// The adapter's layer of options, when the request comes from an adapter.
    pub(super) adapter_options: Option<Arc<RequestOptions>>,
    /// The request's own layer (its headers included).
    pub(super) options: RequestOptions,
    pub(super) limiter: Option<Arc<RequestLimiter>>,
    /// The adapter's knowledge of the service's microversions, to check against.
    pub(super) microversions: Option<Arc<std::sync::OnceLock<MicroversionBounds>>>,
    pub(super) error: Option<Error>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    pub(super) fn new(session: Session, method: Method, url: String) -> Self {
        let options = RequestOptions {
            // Room for what most requests carry (token, User-Agent, a few more) without growing.
            headers: HeaderMap::with_capacity(8),
            ..RequestOptions::default()
        };
        RequestBuilder {
            session,
            method,
            url,
            body: None,
            stream_body: None,
            json_body: false,
            query: Vec::new(),
            endpoint_filter: None,
            endpoint_override: None,
            authenticated: None,
            auth: None,
            connection_params: None,
            adapter_options: None,
            options,
            limiter: None,
            microversions: None,
            error: None,
        }
    }

    /// The layers of options this request uses: its own, its adapter's, its session's.
    pub(super) fn layers(&self) -> Layers<'_> {
        Layers {
            request: &self.options,
            adapter: self.adapter_options.as_deref(),
            session: &self.session.inner.options,
        }
    }

    /// Find the base URL through the auth plugin's catalog.
    pub fn endpoint_filter(mut self, filter: EndpointFilter) -> Self {
        self.endpoint_filter = Some(filter);
        self
    }
    /// Use this base URL (`%(project_id)s` / `%(user_id)s` are substituted).
    pub fn endpoint_override(mut self, url: impl Into<String>) -> Self {
        self.endpoint_override = Some(url.into());
        self
    }
    /// This request's options, over those of its adapter and session: every value `options`
    /// sets replaces what this request had (its headers are added).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = self.options.overlay(&options);
        self
    }
    /// Add a header (replaces one of the same name).
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        match (
            HeaderName::from_bytes(name.as_ref().as_bytes()),
            HeaderValue::from_str(value.as_ref()),
        ) {
            (Ok(n), Ok(mut v)) => {
                if redact::is_secure_header(n.as_str()) {
                    v.set_sensitive(true);
                }
                self.options.headers.insert(n, v);
            }
            _ => {
                self.error.get_or_insert(Error::OptionError(format!(
                    "invalid header {:?}",
                    name.as_ref()
                )));
            }
        }
        self
    }
    /// The adapter's layer of options and request limit (rate and concurrency).
    pub(crate) fn adapter(
        mut self,
        options: Arc<RequestOptions>,
        limiter: Option<Arc<RequestLimiter>>,
        microversions: Option<Arc<std::sync::OnceLock<MicroversionBounds>>>,
    ) -> Self {
        self.adapter_options = Some(options);
        self.limiter = limiter;
        self.microversions = microversions;
        self
    }
    /// Add headers.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        for (k, v) in headers.iter() {
            self.options.headers.insert(k.clone(), v.clone());
        }
        self
    }
    /// A JSON body (sets `Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(b) => {
                self.body = Some(Bytes::from(b));
                self.json_body = true;
            }
            Err(e) => {
                self.error
                    .get_or_insert(Error::OptionError(format!("cannot encode JSON body: {e}")));
            }
        }
        self
    }
    /// A form body (`application/x-www-form-urlencoded`).
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.body = Some(Bytes::from(body));
        self.options.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self
    }
    /// A raw body. It is kept, so the request can be sent again: after a 401 and a
    /// reauthentication, on a connection retry, a retriable status or a redirect.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self.stream_body = None;
        self
    }

    /// A streamed body (e.g. a large upload read as it is sent), instead of one held in
    /// memory. It can be sent only once, so a request with it is **never sent again**: a 401
    /// invalidates the token (the next request reauthenticates) and is returned as
    /// [`Error::Unauthorized`] whose message says the body could not be replayed; connection
    /// failures, retriable statuses and redirects are returned as they are, with a warning.
    /// Use [`body`](Self::body) for a request that should be retried.
    ///
    /// ```
    /// # async fn demo(session: keystoneauth_core::Session) -> keystoneauth_core::Result<()> {
    /// let chunks = futures::stream::iter(vec![
    ///     Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"part one, ")),
    ///     Ok(bytes::Bytes::from_static(b"part two")),
    /// ]);
    /// session
    ///     .put("https://swift.example/v1/AUTH_p/container/object")
    ///     .body_stream(chunks)
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn body_stream<S>(mut self, stream: S) -> Self
    where
        S: futures::TryStream + Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        Bytes: From<S::Ok>,
    {
        self.body = None;
        self.stream_body = Some(std::sync::Mutex::new(Some(reqwest::Body::wrap_stream(
            stream,
        ))));
        self
    }

    /// Whether the request's body was streamed and is gone (so it cannot be sent again).
    pub(super) fn stream_sent(&self) -> bool {
        self.stream_body
            .as_ref()
            .is_some_and(|slot| slot.lock().unwrap_or_else(|e| e.into_inner()).is_none())
    }

    pub(super) fn warn_not_resent(&self, url: &str, why: &str) {
        tracing::warn!(
            target: "keystoneauth::session",
            "{} {url}: {why}; not sent again: the request body was a stream, which cannot be replayed",
            self.method
        );
    }

    /// Query parameters.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        self.query.extend(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self
    }
    /// Authenticate the request (default: when there is a plugin).
    pub fn authenticated(mut self, on: bool) -> Self {
        self.authenticated = Some(on);
        self
    }
    /// Use this plugin instead of the session's.
    pub fn auth(mut self, auth: Arc<dyn AuthPlugin>) -> Self {
        self.auth = Some(auth);
        self
    }
    /// Use this client certificate for this request.
    pub fn connection_params(mut self, params: ConnectionParams) -> Self {
        self.connection_params = Some(params);
        self
    }
    /// Return failure statuses as errors (default true).
    pub fn raise_exc(mut self, on: bool) -> Self {
        self.options.raise_exc = Some(on);
        self
    }
    /// On 401, reauthenticate once and retry once (default true).
    pub fn allow_reauth(mut self, on: bool) -> Self {
        self.options.allow_reauth = Some(on);
        self
    }
    /// Log this request at all (default true).
    pub fn log(mut self, on: bool) -> Self {
        self.options.log = Some(on);
        self
    }
    /// Log the request body (default true; secrets are masked either way).
    pub fn log_body(mut self, on: bool) -> Self {
        self.options.log_body = Some(on);
        self
    }
    /// Connect retries for this request.
    pub fn connect_retries(mut self, n: u32) -> Self {
        self.options.connect_retries = Some(n);
        self
    }
    /// Status-code retries for this request.
    pub fn status_code_retries(mut self, n: u32) -> Self {
        self.options.status_code_retries = Some(n);
        self
    }
    /// Which statuses to retry (default 429 and 503).
    pub fn retriable_status_codes(mut self, codes: Vec<u16>) -> Self {
        self.options.retriable_status_codes = Some(codes);
        self
    }
    /// A fixed delay between connect retries (default: exponential backoff).
    pub fn connect_retry_delay(mut self, d: Duration) -> Self {
        self.options.connect_retry_delay = Some(d);
        self
    }
    /// A fixed delay between status-code retries (default: exponential backoff).
    pub fn status_code_retry_delay(mut self, d: Duration) -> Self {
        self.options.status_code_retry_delay = Some(d);
        self
    }
    /// Send microversion headers (`OpenStack-API-Version` and the legacy ones).
    pub fn microversion(mut self, v: impl Into<String>) -> Self {
        self.options.microversion = Some(v.into());
        self
    }
    /// The service type for the microversion header (default: the filter's).
    pub fn microversion_service_type(mut self, t: impl Into<String>) -> Self {
        self.options.microversion_service_type = Some(t.into());
        self
    }
    /// `X-OpenStack-Request-ID` to send (a global request id).
    pub fn global_request_id(mut self, id: impl Into<String>) -> Self {
        self.options.global_request_id = Some(id.into());
        self
    }
    /// Timeout for this request.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.options.timeout = Some(d);
        self
    }
    /// For [`send_streaming`](Self::send_streaming): the longest wait for each chunk of the
    /// body (default: the timeout).
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.options.read_timeout = Some(d);
        self
    }
    /// Follow redirects to another origin with this request's credentials and body, and from
    /// https to http (keystoneauth1's behaviour; default false).
    pub fn allow_cross_origin_redirects(mut self, on: bool) -> Self {
        self.options.allow_cross_origin_redirects = Some(on);
        self
    }
    /// Redirects to follow (0 = none).
    pub fn redirect(mut self, n: u32) -> Self {
        self.options.redirect_limit = Some(n);
        self
    }
    /// Client name and version for the User-Agent.
    pub fn client_name(mut self, name: impl Into<String>, version: Option<String>) -> Self {
        self.options.client_name = Some((name.into(), version));
        self
    }
    /// Replace the User-Agent for this request.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.options.user_agent = Some(ua.into());
        self
    }

    /// The microversion headers, into `headers` (unless already there).
    pub(super) fn microversion_headers(
        &self,
        layers: Layers<'_>,
        headers: &mut HeaderMap,
    ) -> Result<()> {
        let Some(mv) = layers.microversion() else {
            return Ok(());
        };
        let v = Version::parse(mv)?;
        if let Some(bounds) = self.microversions.as_deref().and_then(|b| b.get()) {
            bounds.check(&v)?;
        }
        if !v.is_latest() && v.parts().contains(&crate::version::Part::Latest) {
            return Err(Error::InvalidVersion(format!(
                "Specifying a '{}.latest' microversion is not allowed.",
                match v.major() {
                    crate::version::Part::Num(n) => n.to_string(),
                    crate::version::Part::Latest => "latest".into(),
                }
            )));
        }
        let st = layers
            .microversion_service_type()
            .or_else(|| {
                self.endpoint_filter
                    .as_ref()
                    .and_then(|f| f.service_type.as_deref())
            })
            .ok_or_else(|| {
                Error::OptionError(
                    "microversion requires a service type (endpoint filter or microversion_service_type)"
                        .into(),
                )
            })?;
        let st = service_types::microversion_service_type(st);
        let value = v.to_string();
        let mut set = |name: &'static str, val: String| {
            if !headers.contains_key(name) {
                if let Ok(hv) = HeaderValue::from_str(&val) {
                    headers.insert(name, hv);
                }
            }
        };
        set("OpenStack-API-Version", format!("{st} {value}"));
        match st.as_str() {
            "compute" => set("X-OpenStack-Nova-API-Version", value),
            "baremetal" => set("X-OpenStack-Ironic-API-Version", value),
            "shared-file-system" => set("X-OpenStack-Manila-API-Version", value),
            _ => {}
        }
        Ok(())
    }

    /// The absolute URL of a relative one, from the endpoint override or the catalog.
    pub(super) async fn resolve_url(&self, auth: Option<&dyn AuthPlugin>) -> Result<String> {
        let session = &self.session;
        let base = if let Some(o) = &self.endpoint_override {
            let mut o = o.clone();
            for (key, f) in [("project_id", true), ("user_id", false)] {
                let pats = [format!("%({key})s"), format!("{{{key}}}")];
                if pats.iter().any(|p| o.contains(p.as_str())) {
                    let plugin = auth.ok_or_else(|| {
                        Error::MissingAuthPlugin(format!(
                            "substitute {key} in an endpoint override"
                        ))
                    })?;
                    let val = if f {
                        plugin.project_id(session).await?
                    } else {
                        plugin.user_id(session).await?
                    };
                    let val = val.filter(|v| !v.is_empty()).ok_or_else(|| {
                        Error::OptionError(format!(
                            "This type of authentication does not provide a {key} that can be substituted"
                        ))
                    })?;
                    for p in &pats {
                        o = o.replace(p.as_str(), &val);
                    }
                }
            }
            super::check_http_url("endpoint_override", &o)?;
            Some(o)
        } else if let Some(filter) = &self.endpoint_filter {
            let found = match auth {
                Some(a) => a.endpoint(session, filter).await?,
                None => {
                    return Err(Error::MissingAuthPlugin(
                        "determine the endpoint URL".into(),
                    ))
                }
            };
            if let Some(url) = &found {
                let what = format!(
                    "the service catalog's {} endpoint",
                    filter.service_type.as_deref().unwrap_or("service")
                );
                super::check_http_url(&what, url)?;
                let auth_url = auth.and_then(|a| a.auth_url());
                if let Some(auth_url) = auth_url {
                    session.warn_plain_http_endpoint(&auth_url, url);
                }
            }
            found
        } else {
            // A URL that is not absolute and has nowhere to be relative to: most often an
            // auth URL or endpoint written without its scheme (`keystone.example.com/v3`).
            super::check_http_url("URL", &self.url)?;
            None
        };
        let base = base.ok_or_else(|| {
            Error::EndpointNotFound(format!(
                "Could not find requested endpoint for {:?} in Service Catalog.",
                self.url
            ))
        })?;
        Ok(join_url(&base, &self.url))
    }
}

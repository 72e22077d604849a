//! [`RequestOptions`]: how a request is sent (retries, timeouts, microversion, headers, error
//! and logging behaviour), set on a session, an adapter or one request and merged in that order.

use std::fmt;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;

use crate::redact;

/// How requests are sent. Each layer sets what it wants and leaves the rest unset; a request
/// takes each value from itself, else from its [`Adapter`](crate::Adapter), else from its
/// [`Session`](crate::Session), else the default given on each field.
///
/// The same options are set through [`SessionBuilder::options`](crate::SessionBuilder::options),
/// [`Adapter::options`](crate::Adapter::options) and
/// [`RequestBuilder::options`](crate::RequestBuilder::options), and through their shorthand
/// setters of the same names (`.timeout(..)`, `.connect_retries(..)`, …). The fields can be
/// read directly; new fields may be added, so build one with [`RequestOptions::new`] (or
/// `default()`) and the setters.
///
/// ```
/// use std::time::Duration;
/// use keystoneauth_core::RequestOptions;
///
/// let session_wide = RequestOptions::new().timeout(Duration::from_secs(30)).connect_retries(3);
/// let for_compute = RequestOptions::new().microversion("2.79").connect_retries(5);
/// let merged = session_wide.overlay(&for_compute);
/// assert_eq!(merged.timeout, Some(Duration::from_secs(30)));
/// assert_eq!(merged.connect_retries, Some(5));
/// assert_eq!(merged.microversion.as_deref(), Some("2.79"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestOptions {
    /// Timeout of each attempt, from connecting to the end of the response. Default: none.
    pub timeout: Option<Duration>,
    /// For a streamed response ([`send_streaming`](crate::RequestBuilder::send_streaming)),
    /// the longest wait for each chunk of the body. Default: [`timeout`](Self#structfield.timeout).
    pub read_timeout: Option<Duration>,
    /// How many times a connection failure is retried. Default 0.
    pub connect_retries: Option<u32>,
    /// How many times a retriable status is retried. Default 0.
    pub status_code_retries: Option<u32>,
    /// The statuses retried by `status_code_retries`. Default 429 and 503.
    pub retriable_status_codes: Option<Vec<u16>>,
    /// A fixed delay before each connect retry. Default: exponential backoff from 0.5 s.
    pub connect_retry_delay: Option<Duration>,
    /// A fixed delay before each status retry (`Retry-After` wins). Default: exponential
    /// backoff from 0.5 s.
    pub status_code_retry_delay: Option<Duration>,
    /// Cap of retry delays and of `Retry-After`. Default 60 s.
    pub max_retry_delay: Option<Duration>,
    /// Follow redirects to another origin (scheme, host, port) with the request's credentials
    /// and body, and from https to http, as keystoneauth1 does. Default false: such a redirect
    /// is [`Error::Redirect`](crate::Error::Redirect).
    pub allow_cross_origin_redirects: Option<bool>,
    /// How many redirects are followed. Default 30.
    pub redirect_limit: Option<u32>,
    /// The largest response body read into memory, in bytes. Default 64 MiB.
    pub max_body_size: Option<usize>,
    /// The microversion sent (`OpenStack-API-Version` and the service's legacy header).
    pub microversion: Option<String>,
    /// The service type named in the microversion header. Default: the endpoint filter's.
    pub microversion_service_type: Option<String>,
    /// Headers sent unless a later layer (or the request) sets the same name.
    pub headers: HeaderMap,
    /// Failure statuses become errors. Default true.
    pub raise_exc: Option<bool>,
    /// On a 401, reauthenticate once and send the request again. Default true.
    pub allow_reauth: Option<bool>,
    /// Log requests and responses at debug level. Default true.
    pub log: Option<bool>,
    /// Log request bodies (secrets masked). Default true.
    pub log_body: Option<bool>,
    /// The `X-OpenStack-Request-ID` sent (a global request id).
    pub global_request_id: Option<String>,
    /// The client name and version put into the User-Agent.
    pub client_name: Option<(String, Option<String>)>,
    /// The whole User-Agent, replacing the composed one.
    pub user_agent: Option<String>,
}

/// Header values stay out of `Debug`: a header may carry a token.
impl fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("read_timeout", &self.read_timeout)
            .field("connect_retries", &self.connect_retries)
            .field("status_code_retries", &self.status_code_retries)
            .field("retriable_status_codes", &self.retriable_status_codes)
            .field("connect_retry_delay", &self.connect_retry_delay)
            .field("status_code_retry_delay", &self.status_code_retry_delay)
            .field("max_retry_delay", &self.max_retry_delay)
            .field(
                "allow_cross_origin_redirects",
                &self.allow_cross_origin_redirects,
            )
            .field("redirect_limit", &self.redirect_limit)
            .field("max_body_size", &self.max_body_size)
            .field("microversion", &self.microversion)
            .field("microversion_service_type", &self.microversion_service_type)
            .field("headers", &header_names)
            .field("raise_exc", &self.raise_exc)
            .field("allow_reauth", &self.allow_reauth)
            .field("log", &self.log)
            .field("log_body", &self.log_body)
            .field("global_request_id", &self.global_request_id)
            .field("client_name", &self.client_name)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.$name = Some(value);
                self
            }
        )*
    };
}

impl RequestOptions {
    /// No option set: every value comes from the layer below, or its default.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Sets [`timeout`](Self#structfield.timeout).
        timeout: Duration;
        /// Sets [`read_timeout`](Self#structfield.read_timeout).
        read_timeout: Duration;
        /// Sets [`connect_retries`](Self#structfield.connect_retries).
        connect_retries: u32;
        /// Sets [`status_code_retries`](Self#structfield.status_code_retries).
        status_code_retries: u32;
        /// Sets [`retriable_status_codes`](Self#structfield.retriable_status_codes).
        retriable_status_codes: Vec<u16>;
        /// Sets [`connect_retry_delay`](Self#structfield.connect_retry_delay).
        connect_retry_delay: Duration;
        /// Sets [`status_code_retry_delay`](Self#structfield.status_code_retry_delay).
        status_code_retry_delay: Duration;
        /// Sets [`max_retry_delay`](Self#structfield.max_retry_delay).
        max_retry_delay: Duration;
        /// Sets [`redirect_limit`](Self#structfield.redirect_limit).
        redirect_limit: u32;
        /// Sets [`allow_cross_origin_redirects`](Self#structfield.allow_cross_origin_redirects).
        allow_cross_origin_redirects: bool;
        /// Sets [`max_body_size`](Self#structfield.max_body_size).
        max_body_size: usize;
        /// Sets [`raise_exc`](Self#structfield.raise_exc).
        raise_exc: bool;
        /// Sets [`allow_reauth`](Self#structfield.allow_reauth).
        allow_reauth: bool;
        /// Sets [`log`](Self#structfield.log).
        log: bool;
        /// Sets [`log_body`](Self#structfield.log_body).
        log_body: bool;
    }

    /// Sets [`microversion`](Self#structfield.microversion).
    pub fn microversion(mut self, version: impl Into<String>) -> Self {
        self.microversion = Some(version.into());
        self
    }
    /// Sets [`microversion_service_type`](Self#structfield.microversion_service_type).
    pub fn microversion_service_type(mut self, service_type: impl Into<String>) -> Self {
        self.microversion_service_type = Some(service_type.into());
        self
    }
    /// Sets [`global_request_id`](Self#structfield.global_request_id).
    pub fn global_request_id(mut self, id: impl Into<String>) -> Self {
        self.global_request_id = Some(id.into());
        self
    }
    /// Sets [`client_name`](Self#structfield.client_name).
    pub fn client_name(mut self, name: impl Into<String>, version: Option<String>) -> Self {
        self.client_name = Some((name.into(), version));
        self
    }
    /// Sets [`user_agent`](Self#structfield.user_agent).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }
    /// Adds a header (replacing one of the same name). Values of secret headers
    /// (`X-Auth-Token`, `Authorization`, …) are marked sensitive.
    pub fn header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        if redact::is_secure_header(name.as_str()) {
            value.set_sensitive(true);
        }
        self.headers.insert(name, value);
        self
    }

    /// These options with every value that `over` sets taken from `over` (its headers replace
    /// those of the same name).
    pub fn overlay(&self, over: &RequestOptions) -> RequestOptions {
        fn pick<T: Clone>(under: &Option<T>, over: &Option<T>) -> Option<T> {
            over.as_ref().or(under.as_ref()).cloned()
        }
        let mut headers = self.headers.clone();
        for (name, value) in &over.headers {
            headers.insert(name.clone(), value.clone());
        }
        RequestOptions {
            timeout: pick(&self.timeout, &over.timeout),
            read_timeout: pick(&self.read_timeout, &over.read_timeout),
            connect_retries: pick(&self.connect_retries, &over.connect_retries),
            status_code_retries: pick(&self.status_code_retries, &over.status_code_retries),
            retriable_status_codes: pick(
                &self.retriable_status_codes,
                &over.retriable_status_codes,
            ),
            connect_retry_delay: pick(&self.connect_retry_delay, &over.connect_retry_delay),
            status_code_retry_delay: pick(
                &self.status_code_retry_delay,
                &over.status_code_retry_delay,
            ),
            max_retry_delay: pick(&self.max_retry_delay, &over.max_retry_delay),
            redirect_limit: pick(&self.redirect_limit, &over.redirect_limit),
            allow_cross_origin_redirects: pick(
                &self.allow_cross_origin_redirects,
                &over.allow_cross_origin_redirects,
            ),
            max_body_size: pick(&self.max_body_size, &over.max_body_size),
            microversion: pick(&self.microversion, &over.microversion),
            microversion_service_type: pick(
                &self.microversion_service_type,
                &over.microversion_service_type,
            ),
            headers,
            raise_exc: pick(&self.raise_exc, &over.raise_exc),
            allow_reauth: pick(&self.allow_reauth, &over.allow_reauth),
            log: pick(&self.log, &over.log),
            log_body: pick(&self.log_body, &over.log_body),
            global_request_id: pick(&self.global_request_id, &over.global_request_id),
            client_name: pick(&self.client_name, &over.client_name),
            user_agent: pick(&self.user_agent, &over.user_agent),
        }
    }
}

/// The layers of one request, most specific first: what a request actually uses, without
/// merging (and so without copying) the layers.
#[derive(Clone, Copy)]
pub(crate) struct Layers<'a> {
    pub(crate) request: &'a RequestOptions,
    pub(crate) adapter: Option<&'a RequestOptions>,
    pub(crate) session: &'a RequestOptions,
}

impl<'a> Layers<'a> {
    /// The first layer's value of a field, most specific first.
    pub(crate) fn get<T: ?Sized>(
        self,
        field: impl Fn(&'a RequestOptions) -> Option<&'a T>,
    ) -> Option<&'a T> {
        field(self.request)
            .or_else(|| self.adapter.and_then(&field))
            .or_else(|| field(self.session))
    }

    pub(crate) fn timeout(self) -> Option<Duration> {
        self.get(|o| o.timeout.as_ref()).copied()
    }
    pub(crate) fn read_timeout(self) -> Option<Duration> {
        self.get(|o| o.read_timeout.as_ref()).copied()
    }
    pub(crate) fn connect_retries(self) -> u32 {
        self.get(|o| o.connect_retries.as_ref())
            .copied()
            .unwrap_or(0)
    }
    pub(crate) fn status_code_retries(self) -> u32 {
        self.get(|o| o.status_code_retries.as_ref())
            .copied()
            .unwrap_or(0)
    }
    pub(crate) fn retriable_status_codes(self) -> &'a [u16] {
        match self.get(|o| o.retriable_status_codes.as_deref()) {
            Some(codes) if !codes.is_empty() => codes,
            _ => super::DEFAULT_RETRIABLE_STATUS_CODES,
        }
    }
    pub(crate) fn connect_retry_delay(self) -> Option<Duration> {
        self.get(|o| o.connect_retry_delay.as_ref()).copied()
    }
    pub(crate) fn status_code_retry_delay(self) -> Option<Duration> {
        self.get(|o| o.status_code_retry_delay.as_ref()).copied()
    }
    pub(crate) fn max_retry_delay(self) -> Duration {
        self.get(|o| o.max_retry_delay.as_ref())
            .copied()
            .unwrap_or(super::MAX_RETRY_DELAY)
    }
    pub(crate) fn redirect_limit(self) -> u32 {
        self.get(|o| o.redirect_limit.as_ref())
            .copied()
            .unwrap_or(super::DEFAULT_REDIRECT_LIMIT)
    }
    pub(crate) fn allow_cross_origin_redirects(self) -> bool {
        self.get(|o| o.allow_cross_origin_redirects.as_ref())
            .copied()
            .unwrap_or(false)
    }
    pub(crate) fn max_body_size(self) -> usize {
        self.get(|o| o.max_body_size.as_ref())
            .copied()
            .unwrap_or(super::DEFAULT_MAX_BODY_SIZE)
    }
    pub(crate) fn microversion(self) -> Option<&'a str> {
        self.get(|o| o.microversion.as_deref())
    }
    pub(crate) fn microversion_service_type(self) -> Option<&'a str> {
        self.get(|o| o.microversion_service_type.as_deref())
    }
    pub(crate) fn raise_exc(self) -> bool {
        self.get(|o| o.raise_exc.as_ref()).copied().unwrap_or(true)
    }
    pub(crate) fn allow_reauth(self) -> bool {
        self.get(|o| o.allow_reauth.as_ref())
            .copied()
            .unwrap_or(true)
    }
    pub(crate) fn log(self) -> bool {
        self.get(|o| o.log.as_ref()).copied().unwrap_or(true)
    }
    pub(crate) fn log_body(self) -> bool {
        self.get(|o| o.log_body.as_ref()).copied().unwrap_or(true)
    }
    pub(crate) fn global_request_id(self) -> Option<&'a str> {
        self.get(|o| o.global_request_id.as_deref())
    }
    pub(crate) fn client_name(self) -> Option<&'a (String, Option<String>)> {
        self.get(|o| o.client_name.as_ref())
    }
    pub(crate) fn user_agent(self) -> Option<&'a str> {
        self.get(|o| o.user_agent.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_layer_wins_field_by_field() {
        let session = RequestOptions::new()
            .timeout(Duration::from_secs(30))
            .connect_retries(1)
            .header(
                HeaderName::from_static("x-a"),
                HeaderValue::from_static("session"),
            )
            .header(
                HeaderName::from_static("x-b"),
                HeaderValue::from_static("session"),
            );
        let adapter = RequestOptions::new()
            .connect_retries(2)
            .microversion("2.1")
            .header(
                HeaderName::from_static("x-b"),
                HeaderValue::from_static("adapter"),
            );
        let request = RequestOptions::new().microversion("2.5");
        let layers = Layers {
            request: &request,
            adapter: Some(&adapter),
            session: &session,
        };
        assert_eq!(layers.timeout(), Some(Duration::from_secs(30)));
        assert_eq!(layers.connect_retries(), 2);
        assert_eq!(layers.microversion(), Some("2.5"));
        assert_eq!(layers.status_code_retries(), 0);
        assert_eq!(layers.redirect_limit(), 30);
        assert!(layers.raise_exc());
        assert_eq!(layers.retriable_status_codes(), &[429, 503]);

        // overlay agrees with the layers.
        let merged = session.overlay(&adapter).overlay(&request);
        assert_eq!(merged.timeout, Some(Duration::from_secs(30)));
        assert_eq!(merged.connect_retries, Some(2));
        assert_eq!(merged.microversion.as_deref(), Some("2.5"));
        assert_eq!(merged.headers["x-b"], "adapter");
    }

    #[test]
    fn debug_names_headers_but_hides_their_values() {
        let o = RequestOptions::new().header(
            HeaderName::from_static("x-auth-token"),
            HeaderValue::from_static("gAAAAsecret"),
        );
        assert!(o.headers["x-auth-token"].is_sensitive());
        let shown = format!("{o:?}");
        assert!(shown.contains("x-auth-token"));
        assert!(!shown.contains("gAAAAsecret"));
    }
}

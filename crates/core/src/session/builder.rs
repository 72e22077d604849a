//! [`SessionBuilder`]: a session's TLS settings, auth plugin, User-Agent and default
//! [`RequestOptions`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use secrecy::SecretString;

use super::client::{ClientConfig, Clients, Verify};
use super::{user_agent_string, Inner, RequestOptions, Session};
use crate::error::Result;
use crate::plugin::AuthPlugin;

/// Builds a [`Session`].
///
/// ```
/// use std::time::Duration;
/// use keystoneauth_core::{RequestOptions, Session};
/// let session = Session::builder()
///     .app("myapp", "1.0")
///     .connect_timeout(Duration::from_secs(5))
///     .options(RequestOptions::new().timeout(Duration::from_secs(60)).connect_retries(2))
///     .build()?;
/// # Ok::<(), keystoneauth_core::Error>(())
/// ```
pub struct SessionBuilder {
    auth: Option<Arc<dyn AuthPlugin>>,
    config: ClientConfig,
    options: RequestOptions,
    ua_parts: Vec<(String, Option<String>)>,
    original_ip: Option<String>,
    collect_timing: bool,
    split_loggers: bool,
    client: Option<reqwest::Client>,
}

impl fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionBuilder")
            .field("auth", &self.auth)
            .field("verify", &self.config.verify)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Default for SessionBuilder {
    fn default() -> Self {
        SessionBuilder {
            auth: None,
            config: ClientConfig {
                verify: Verify::System,
                client_cert_pem: None,
                client_key_pem: None,
                connect_timeout: Some(super::DEFAULT_CONNECT_TIMEOUT),
                pool_max_idle_per_host: None,
            },
            options: RequestOptions::default(),
            ua_parts: Vec::new(),
            original_ip: None,
            collect_timing: false,
            split_loggers: false,
            client: None,
        }
    }
}

impl SessionBuilder {
    /// The default auth plugin.
    pub fn auth(mut self, auth: Arc<dyn AuthPlugin>) -> Self {
        self.auth = Some(auth);
        self
    }
    /// The session's request options: every request takes from them what neither it nor its
    /// adapter sets. Replaces options set before.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }
    /// Timeout of each request (connect + response); see [`RequestOptions::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }
    /// How long to wait for a TCP connection (default
    /// [`DEFAULT_CONNECT_TIMEOUT`](super::DEFAULT_CONNECT_TIMEOUT), 30 s; keystoneauth1 has
    /// none). The whole request's limit is [`timeout`](Self::timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = Some(timeout);
        self
    }
    /// How to check server certificates.
    pub fn verify(mut self, verify: Verify) -> Self {
        self.config.verify = verify;
        self
    }
    /// A client certificate (PEM) and its key (PEM; `None` if in the certificate file).
    pub fn client_cert(mut self, cert_pem: Vec<u8>, key_pem: Option<SecretString>) -> Self {
        self.config.client_cert_pem = Some(cert_pem);
        self.config.client_key_pem = key_pem;
        self
    }
    /// Replace the whole User-Agent.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.options.user_agent = Some(ua.into());
        self
    }
    /// Application name and version, first in the User-Agent.
    pub fn app(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.ua_parts.insert(0, (name.into(), Some(version.into())));
        self
    }
    /// Another product in the User-Agent.
    pub fn additional_user_agent(
        mut self,
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> Self {
        self.ua_parts.push((name.into(), Some(version.into())));
        self
    }
    /// A header sent with every request unless the request (or its adapter) sets it.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.options = self.options.header(name, value);
        self
    }
    /// Adds `Forwarded: for=<ip>;by=<user agent>`.
    pub fn original_ip(mut self, ip: impl Into<String>) -> Self {
        self.original_ip = Some(ip.into());
        self
    }
    /// Default connect retries; see [`RequestOptions::connect_retries`].
    pub fn connect_retries(mut self, n: u32) -> Self {
        self.options.connect_retries = Some(n);
        self
    }
    /// Default status-code retries; see [`RequestOptions::status_code_retries`].
    pub fn status_code_retries(mut self, n: u32) -> Self {
        self.options.status_code_retries = Some(n);
        self
    }
    /// How many redirects to follow (default 30).
    pub fn redirect_limit(mut self, n: u32) -> Self {
        self.options.redirect_limit = Some(n);
        self
    }
    /// Follow redirects to another origin with the request's credentials and body, and from
    /// https to http, for every request of this session (keystoneauth1's behaviour; default
    /// false: such a redirect is [`Error::Redirect`](crate::Error::Redirect)).
    pub fn allow_cross_origin_redirects(mut self, on: bool) -> Self {
        self.options.allow_cross_origin_redirects = Some(on);
        self
    }
    /// Largest response body read into memory (default 64 MiB).
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.options.max_body_size = Some(bytes);
        self
    }
    /// Cap of retry delays and of `Retry-After` (default 60 s).
    pub fn max_retry_delay(mut self, d: Duration) -> Self {
        self.options.max_retry_delay = Some(d);
        self
    }
    /// Record the time of each request.
    pub fn collect_timing(mut self, on: bool) -> Self {
        self.collect_timing = on;
        self
    }
    /// Log requests, responses, response bodies and request ids under their own targets
    /// (`keystoneauth::session::request`, `…::response`, `…::body`, `…::request-id`, like
    /// keystoneauth1's split loggers) instead of all under `keystoneauth::session`, so that
    /// each can be turned on by itself; the lines then drop their `REQ:`/`RESP:` prefixes.
    pub fn split_loggers(mut self, on: bool) -> Self {
        self.split_loggers = on;
        self
    }
    /// Idle connections kept per host.
    pub fn pool_max_idle_per_host(mut self, n: usize) -> Self {
        self.config.pool_max_idle_per_host = Some(n);
        self
    }
    /// Use this reqwest client as is (it must not follow redirects itself).
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }
    /// Build the session.
    pub fn build(self) -> Result<Session> {
        let default_user_agent = HeaderValue::from_str(&user_agent_string(
            self.options.user_agent.as_deref(),
            &self.ua_parts,
            None,
        ))
        .ok();
        Ok(Session {
            inner: Arc::new(Inner {
                clients: Arc::new(Clients::new(self.config, self.client)?),
                auth: self.auth,
                options: self.options,
                ua_parts: self.ua_parts,
                default_user_agent,
                original_ip: self.original_ip,
                collect_timing: self.collect_timing,
                split_loggers: self.split_loggers,
                timings: Mutex::new(Vec::new()),
                discovery_cache: Mutex::new(HashMap::new()),
                warned_plain_http: Mutex::new(Default::default()),
            }),
        })
    }
}

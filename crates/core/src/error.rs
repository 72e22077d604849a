//! The error type shared by every keystoneauth-rs crate.
//!
//! One enum, [`Error`], mirrors keystoneauth1's exception tree. HTTP failures keep the
//! status, the request id, the URL, the method and the server's message in an [`HttpError`].
//! Transport failures keep their cause ([`std::error::Error::source`]). Plugin families with
//! errors of their own (OpenID Connect, SAML2, Kerberos, …) return [`Error::Plugin`], whose
//! source is the family's error type ([`Error::plugin_error`] downcasts to it).
//!
//! Most code handles errors through the predicates rather than by matching variants:
//!
//! ```
//! use keystoneauth_core::Error;
//! fn advice(e: &Error) -> &'static str {
//!     if e.is_unauthorized() {
//!         "check the credentials"
//!     } else if e.is_missing_auth_methods() {
//!         "another authentication method is needed (MFA)"
//!     } else if e.is_timeout() || e.is_connect() {
//!         "the server could not be reached; try again"
//!     } else if e.is_option() {
//!         "fix the configuration"
//!     } else {
//!         "see the message"
//!     }
//! }
//! assert_eq!(advice(&Error::OptionError("bad".into())), "fix the configuration");
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

/// Result alias used throughout keystoneauth-rs.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The cause of an error, shared so that [`Error`] stays `Clone`.
pub type ErrorSource = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Which plugin was authenticating, and against which auth URL, when an HTTP error happened
/// (so that "requires authentication (HTTP 401)" says whose credentials were refused where).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthContext {
    /// The plugin (keystoneauth1's name where it has one, e.g. `v3password`).
    pub plugin: String,
    /// The auth URL it authenticated against.
    pub auth_url: String,
}

/// An HTTP response with a failure status, as the server described it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpError {
    /// The HTTP status code.
    pub status: u16,
    /// The server's message (or the reason phrase when the body has none).
    pub message: String,
    /// Extra details from the body (`error.details`, API-SIG `detail`, or a text body).
    pub details: Option<String>,
    /// `X-OpenStack-Request-ID` of the response, if any.
    pub request_id: Option<String>,
    /// The URL that was requested.
    pub url: String,
    /// The HTTP method.
    pub method: String,
    /// `Retry-After` in seconds (integer form only), if the server sent one.
    pub retry_after: Option<Duration>,
    /// Set when the request was a plugin's authentication.
    pub auth: Option<AuthContext>,
}

impl HttpError {
    /// An HTTP error with a status, a message, the URL and the method; the rest unset.
    pub fn new(
        status: u16,
        message: impl Into<String>,
        url: impl Into<String>,
        method: impl Into<String>,
    ) -> Self {
        HttpError {
            status,
            message: message.into(),
            details: None,
            request_id: None,
            url: url.into(),
            method: method.into(),
            retry_after: None,
            auth: None,
        }
    }

    /// With details.
    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = &self.auth {
            write!(
                f,
                "Authentication with {} at {} failed: ",
                a.plugin, a.auth_url
            )?;
        }
        write!(f, "{} (HTTP {})", self.message, self.status)?;
        if let Some(id) = &self.request_id {
            write!(f, " (Request-ID: {id})")?;
        }
        Ok(())
    }
}

/// Keystone answered 401 with an `Openstack-Auth-Receipt`: more auth methods are needed.
///
/// Continue by authenticating again with a `ReceiptMethod` carrying [`receipt`](Self::receipt)
/// plus one of the missing methods.
#[derive(Clone)]
pub struct MissingAuthMethods {
    /// The receipt (value of the `Openstack-Auth-Receipt` header).
    pub receipt: secrecy::SecretString,
    /// The methods already satisfied.
    pub methods: Vec<String>,
    /// The rules, each a set of methods that together suffice.
    pub required_auth_methods: Vec<Vec<String>>,
    /// When the receipt expires (RFC 3339 text as the server sent it).
    pub expires_at: Option<String>,
    /// The user the receipt is for, if the body named one.
    pub user_id: Option<String>,
    /// The raw response body.
    pub body: Value,
}

impl fmt::Debug for MissingAuthMethods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MissingAuthMethods")
            .field("receipt", &"<redacted>")
            .field("methods", &self.methods)
            .field("required_auth_methods", &self.required_auth_methods)
            .field("expires_at", &self.expires_at)
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl fmt::Display for MissingAuthMethods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Not all required auth rules were satisfied: {:?}",
            self.required_auth_methods
        )
    }
}

impl MissingAuthMethods {
    /// The methods still missing from each rule, with the satisfied ones removed.
    pub fn missing_methods(&self) -> Vec<Vec<String>> {
        self.required_auth_methods
            .iter()
            .map(|rule| {
                rule.iter()
                    .filter(|m| !self.methods.contains(m))
                    .cloned()
                    .collect()
            })
            .collect()
    }
}

/// A required option that was not given when loading a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MissingOption {
    /// Option name, e.g. `auth-url`.
    pub name: String,
    /// Environment variable, e.g. `OS_AUTH_URL`.
    pub env: String,
}

impl MissingOption {
    /// A missing option and its environment variable.
    pub fn new(name: impl Into<String>, env: impl Into<String>) -> Self {
        MissingOption {
            name: name.into(),
            env: env.into(),
        }
    }
}

/// Every error keystoneauth-rs returns.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// 400.
    BadRequest(Box<HttpError>),
    /// 401.
    Unauthorized(Box<HttpError>),
    /// 403.
    Forbidden(Box<HttpError>),
    /// 404.
    NotFound(Box<HttpError>),
    /// 409.
    Conflict(Box<HttpError>),
    /// 429.
    TooManyRequests(Box<HttpError>),
    /// 503.
    ServiceUnavailable(Box<HttpError>),
    /// Any other 4xx.
    HttpClientError(Box<HttpError>),
    /// Any other 5xx.
    HttpServerError(Box<HttpError>),
    /// Any other failure status.
    Http(Box<HttpError>),
    /// Keystone needs more auth methods (MFA); carries the receipt.
    MissingAuthMethods(Box<MissingAuthMethods>),
    /// Authentication could not be attempted or was refused locally.
    AuthorizationFailure(String),
    /// An authenticated request was made without an auth plugin.
    MissingAuthPlugin(String),
    /// No plugin is registered under this name.
    NoMatchingPlugin {
        /// The name asked for.
        name: String,
        /// The registered names.
        available: Vec<String>,
    },
    /// Required plugin options were not given.
    MissingRequiredOptions(Vec<MissingOption>),
    /// An option had a bad value or options conflict.
    OptionError(String),
    /// A configuration file could not be read or parsed.
    Config(String),
    /// The catalog has no such endpoint.
    EndpointNotFound(String),
    /// The token has no service catalog.
    EmptyCatalog,
    /// Version discovery failed.
    DiscoveryFailure {
        /// What failed.
        message: String,
        /// The URL tried, if any.
        url: Option<String>,
    },
    /// A redirect was refused (credentials to another origin, https to http) or there were
    /// too many.
    #[non_exhaustive]
    Redirect {
        /// What happened.
        message: String,
        /// The URL that answered with the redirect.
        from: String,
        /// Where it pointed.
        to: String,
    },
    /// Reading or writing a local file or stream failed.
    #[non_exhaustive]
    Io {
        /// What was being done.
        message: String,
        /// The I/O error.
        source: ErrorSource,
    },
    /// A saved auth state (a token cache entry, `set_auth_state` input) could not be used.
    AuthState(String),
    /// A token store (file, Redis, keyring) failed.
    TokenStore(String),
    /// A plugin family's own error (OpenID Connect, WebSSO, SAML2, Kerberos, …): the source is
    /// that family's error type (`keystoneauth_federation::OidcError`, …; see
    /// [`Error::plugin_error`]), and the message is its message.
    #[non_exhaustive]
    Plugin {
        /// The plugin family, e.g. `oidc`, `saml2`, `kerberos`.
        plugin: &'static str,
        /// The family's error.
        source: ErrorSource,
    },
    /// A version string or range was invalid.
    InvalidVersion(String),
    /// A versioned service-type alias (`volumev3`) implies a major API version that the
    /// version asked for contradicts (keystoneauth1's `ImpliedVersionMismatch`,
    /// `ImpliedMinVersionMismatch` and `ImpliedMaxVersionMismatch`).
    #[non_exhaustive]
    ImpliedVersionMismatch {
        /// The service type asked for (`volumev3`).
        service_type: String,
        /// The major version it implies (3).
        implied: u64,
        /// Which argument contradicts it: `version`, `min_version` or `max_version`.
        argument: &'static str,
        /// That argument's value (`2.0`).
        given: String,
    },
    /// The microversion asked for (or the client's range) is not one the service supports.
    #[non_exhaustive]
    MicroversionNotSupported {
        /// The service type.
        service_type: String,
        /// What was asked for: one microversion, or the client's range `min - max`.
        requested: String,
        /// The range the service advertises, `min - max`.
        supported: String,
        /// The endpoint.
        url: String,
    },
    /// Could not connect (refused, reset, DNS).
    #[non_exhaustive]
    ConnectFailure {
        /// The URL.
        url: String,
        /// The cause.
        message: String,
        /// The transport's error.
        source: Option<ErrorSource>,
    },
    /// Connect or read timed out.
    #[non_exhaustive]
    ConnectTimeout {
        /// The URL.
        url: String,
        /// The timeout that ran out, when known.
        timeout: Option<Duration>,
        /// The transport's error.
        source: Option<ErrorSource>,
    },
    /// TLS failed (bad certificate, wrong name, handshake).
    #[non_exhaustive]
    SslError {
        /// The URL.
        url: String,
        /// The cause.
        message: String,
        /// The TLS library's error.
        source: Option<ErrorSource>,
    },
    /// Any other transport failure.
    #[non_exhaustive]
    UnknownConnectionError {
        /// The URL.
        url: String,
        /// The cause.
        message: String,
        /// The transport's error.
        source: Option<ErrorSource>,
    },
    /// The response could not be understood (bad JSON, missing fields, too large).
    InvalidResponse(String),
    /// The token has no such Keystone-to-Keystone service provider.
    ServiceProviderNotFound(String),
    /// TLS configuration (CA bundle, client certificate) could not be loaded.
    TlsConfig(String),
    /// The blocking API's runtime failed.
    Runtime(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadRequest(v) => write!(f, "{v}"),
            Error::Unauthorized(v) => write!(f, "{v}"),
            Error::Forbidden(v) => write!(f, "{v}"),
            Error::NotFound(v) => write!(f, "{v}"),
            Error::Conflict(v) => write!(f, "{v}"),
            Error::TooManyRequests(v) => write!(f, "{v}"),
            Error::ServiceUnavailable(v) => write!(f, "{v}"),
            Error::HttpClientError(v) => write!(f, "{v}"),
            Error::HttpServerError(v) => write!(f, "{v}"),
            Error::Http(v) => write!(f, "{v}"),
            Error::MissingAuthMethods(v) => write!(f, "{v}"),
            Error::AuthorizationFailure(v) => write!(f, "Cannot authorize API client: {v}"),
            Error::MissingAuthPlugin(v) => write!(f, "An auth plugin is required to {v}"),
            Error::NoMatchingPlugin {
                available, name, ..
            } => write!(
                f,
                "The plugin {name} could not be found. Available plugins: {}",
                available.join(", ")
            ),
            Error::MissingRequiredOptions(v) => write!(
                f,
                "Auth plugin requires parameters which were not given: {}",
                display_missing(v)
            ),
            Error::OptionError(v) => write!(f, "{v}"),
            Error::Config(v) => write!(f, "{v}"),
            Error::EndpointNotFound(v) => write!(f, "{v}"),
            Error::EmptyCatalog => write!(f, "The service catalog is empty."),
            Error::DiscoveryFailure { message, .. } => write!(f, "{message}"),
            Error::Io { message, source } => write!(f, "{message}: {source}"),
            Error::Redirect { message, from, to } => write!(f, "{message}: {from} -> {to}"),
            Error::AuthState(v) => write!(f, "Invalid auth state: {v}"),
            Error::TokenStore(v) => write!(f, "Token store: {v}"),
            Error::Plugin { source, .. } => write!(f, "{source}"),
            Error::InvalidVersion(v) => write!(f, "{v}"),
            Error::ImpliedVersionMismatch {
                service_type,
                implied,
                argument,
                given,
            } => write!(
                f,
                "service_type {service_type} was given which implies major API version \
                 {implied} but {argument} of {given} was also given"
            ),
            Error::MicroversionNotSupported {
                service_type,
                requested,
                supported,
                url,
            } => write!(
                f,
                "The {service_type} service at {url} supports microversions {supported}, \
                 not {requested}"
            ),
            Error::ConnectFailure { message, url, .. } => {
                write!(f, "Unable to establish connection to {url}: {message}")
            }
            Error::ConnectTimeout { timeout, url, .. } => {
                write!(f, "Request to {url} timed out{}", timeout_suffix(timeout))
            }
            Error::SslError { message, url, .. } => {
                write!(f, "SSL exception connecting to {url}: {message}")
            }
            Error::UnknownConnectionError { message, url, .. } => {
                write!(f, "Unexpected exception for {url}: {message}")
            }
            Error::InvalidResponse(v) => write!(f, "Invalid response from server: {v}"),
            Error::ServiceProviderNotFound(v) => {
                write!(f, "The Service Provider {v} could not be found")
            }
            Error::TlsConfig(v) => write!(f, "TLS configuration error: {v}"),
            Error::Runtime(v) => write!(f, "runtime error: {v}"),
        }
    }
}

/// The causes are kept as the concrete errors they were (a `reqwest::Error`, a plugin family's
/// error), so that `source()` can be downcast.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::ConnectFailure { source, .. }
            | Error::ConnectTimeout { source, .. }
            | Error::SslError { source, .. }
            | Error::UnknownConnectionError { source, .. } => source
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
            Error::Plugin { source, .. } | Error::Io { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

fn timeout_suffix(timeout: &Option<Duration>) -> String {
    match timeout {
        Some(t) => format!(" after {:.1} s", t.as_secs_f64()),
        None => String::new(),
    }
}

fn display_missing(opts: &[MissingOption]) -> String {
    opts.iter()
        .map(|o| format!("{} (env {})", o.name, o.env))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Error {
    /// Build the error for a failed HTTP response.
    pub fn from_http(e: HttpError) -> Self {
        let e = Box::new(e);
        match e.status {
            400 => Error::BadRequest(e),
            401 => Error::Unauthorized(e),
            403 => Error::Forbidden(e),
            404 => Error::NotFound(e),
            409 => Error::Conflict(e),
            429 => Error::TooManyRequests(e),
            503 => Error::ServiceUnavailable(e),
            402..=499 => Error::HttpClientError(e),
            500..=599 => Error::HttpServerError(e),
            _ => Error::Http(e),
        }
    }

    /// The HTTP details, if this error came from an HTTP response.
    pub fn http(&self) -> Option<&HttpError> {
        match self {
            Error::BadRequest(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::TooManyRequests(e)
            | Error::ServiceUnavailable(e)
            | Error::HttpClientError(e)
            | Error::HttpServerError(e)
            | Error::Http(e) => Some(e),
            _ => None,
        }
    }

    /// HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::MissingAuthMethods(_) => Some(401),
            _ => self.http().map(|e| e.status),
        }
    }

    /// The request id of the failed response, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.http().and_then(|e| e.request_id.as_deref())
    }

    /// True for connection failures that may be retried (refused, reset, timeout).
    pub fn is_retriable_connection_failure(&self) -> bool {
        matches!(
            self,
            Error::ConnectFailure { .. } | Error::ConnectTimeout { .. }
        )
    }

    /// 401: the credentials or the token were refused (not an MFA receipt: see
    /// [`is_missing_auth_methods`](Self::is_missing_auth_methods)).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Error::Unauthorized(_))
    }
    /// 403.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Error::Forbidden(_))
    }
    /// 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }
    /// 409.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict(_))
    }
    /// Any failure status (the details are in [`http`](Self::http)).
    pub fn is_http(&self) -> bool {
        self.http().is_some()
    }
    /// A connect or read timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::ConnectTimeout { .. })
    }
    /// The server could not be reached (refused, reset, DNS).
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::ConnectFailure { .. })
    }
    /// TLS failed, or its configuration (CA bundle, client certificate) could not be loaded.
    pub fn is_tls(&self) -> bool {
        matches!(self, Error::SslError { .. } | Error::TlsConfig(_))
    }
    /// Keystone needs more authentication methods (MFA); the receipt is in the error.
    pub fn is_missing_auth_methods(&self) -> bool {
        matches!(self, Error::MissingAuthMethods(_))
    }
    /// Bad or missing options or configuration: a fix on the caller's side, not a retry.
    pub fn is_option(&self) -> bool {
        matches!(
            self,
            Error::OptionError(_)
                | Error::MissingRequiredOptions(_)
                | Error::NoMatchingPlugin { .. }
                | Error::Config(_)
                | Error::InvalidVersion(_)
                | Error::ImpliedVersionMismatch { .. }
        )
    }
    /// The service type asked for (`volumev3`) implies a major version that the version asked
    /// for contradicts (also [`is_option`](Self::is_option)).
    pub fn is_implied_version_mismatch(&self) -> bool {
        matches!(self, Error::ImpliedVersionMismatch { .. })
    }
    /// A configuration file could not be read or parsed.
    pub fn is_config(&self) -> bool {
        matches!(self, Error::Config(_))
    }
    /// Version discovery failed, or no endpoint matched.
    pub fn is_discovery(&self) -> bool {
        matches!(
            self,
            Error::DiscoveryFailure { .. } | Error::EndpointNotFound(_) | Error::EmptyCatalog
        )
    }
    /// The microversion (or range) is not one the service supports.
    pub fn is_microversion_not_supported(&self) -> bool {
        matches!(self, Error::MicroversionNotSupported { .. })
    }
    /// A redirect was refused, or there were too many.
    pub fn is_redirect(&self) -> bool {
        matches!(self, Error::Redirect { .. })
    }
    /// A saved auth state could not be used.
    pub fn is_auth_state(&self) -> bool {
        matches!(self, Error::AuthState(_))
    }

    /// The plugin family's error of an [`Error::Plugin`], as its type.
    ///
    /// ```
    /// use keystoneauth_core::Error;
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("the provider said no")]
    /// struct ProviderError;
    /// let e = Error::plugin("oidc", ProviderError);
    /// assert!(e.plugin_error::<ProviderError>().is_some());
    /// assert_eq!(e.to_string(), "the provider said no");
    /// ```
    pub fn plugin_error<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            Error::Plugin { source, .. } => source.downcast_ref::<E>(),
            _ => None,
        }
    }

    /// A plugin family's error.
    pub fn plugin(
        plugin: &'static str,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Plugin {
            plugin,
            source: Arc::new(error),
        }
    }

    /// A local I/O failure while doing `message`.
    pub fn io(message: impl Into<String>, error: std::io::Error) -> Self {
        Error::Io {
            message: message.into(),
            source: Arc::new(error),
        }
    }

    /// A connection failure to `url` with its cause.
    pub fn connect_failure(
        url: impl Into<String>,
        message: impl Into<String>,
        source: Option<ErrorSource>,
    ) -> Self {
        Error::ConnectFailure {
            url: url.into(),
            message: message.into(),
            source,
        }
    }

    /// A timeout on the way to `url`.
    pub fn timeout(
        url: impl Into<String>,
        timeout: Option<Duration>,
        source: Option<ErrorSource>,
    ) -> Self {
        Error::ConnectTimeout {
            url: url.into(),
            timeout,
            source,
        }
    }

    /// A TLS failure with `url`.
    pub fn tls(
        url: impl Into<String>,
        message: impl Into<String>,
        source: Option<ErrorSource>,
    ) -> Self {
        Error::SslError {
            url: url.into(),
            message: message.into(),
            source,
        }
    }

    /// Any other transport failure with `url`.
    pub fn unknown_connection(
        url: impl Into<String>,
        message: impl Into<String>,
        source: Option<ErrorSource>,
    ) -> Self {
        Error::UnknownConnectionError {
            url: url.into(),
            message: message.into(),
            source,
        }
    }

    /// This error, from a plugin's authentication: an HTTP error says which plugin failed
    /// against which auth URL (`Authentication with v3password at https://…/v3 failed: …`).
    pub fn in_authentication(mut self, plugin: &str, auth_url: &str) -> Self {
        let http = match &mut self {
            Error::BadRequest(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::TooManyRequests(e)
            | Error::ServiceUnavailable(e)
            | Error::HttpClientError(e)
            | Error::HttpServerError(e)
            | Error::Http(e) => Some(e),
            _ => None,
        };
        if let Some(e) = http {
            if e.auth.is_none() {
                e.auth = Some(AuthContext {
                    plugin: plugin.to_owned(),
                    auth_url: auth_url.to_owned(),
                });
            }
        }
        self
    }

    pub(crate) fn discovery(message: impl Into<String>, url: Option<&str>) -> Self {
        Error::DiscoveryFailure {
            message: message.into(),
            url: url.map(str::to_owned),
        }
    }
}

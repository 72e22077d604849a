//! The error type shared by every keystoneauth-rs crate.
//!
//! One enum, [`Error`], mirrors keystoneauth1's exception tree. HTTP failures keep the
//! status, the request id, the URL, the method and the server's message in an [`HttpError`].

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// Result alias used throughout keystoneauth-rs.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An HTTP response with a failure status, as the server described it.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
pub struct MissingOption {
    /// Option name, e.g. `auth-url`.
    pub name: String,
    /// Environment variable, e.g. `OS_AUTH_URL`.
    pub env: String,
}

/// What went wrong talking to an identity provider (OIDC).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// No discovery endpoint was configured but one was needed.
    #[error("OpenID Connect Discovery Document endpoint not set.")]
    InvalidDiscoveryEndpoint,
    /// The discovery document was not valid JSON.
    #[error("OpenID Connect Discovery Document is not valid JSON: {0}")]
    InvalidDiscoveryDocument(String),
    /// No token endpoint known.
    #[error("OpenID Connect access token endpoint not provided.")]
    AccessTokenEndpointNotFound,
    /// No authorization endpoint known.
    #[error("OpenID Connect authorization endpoint not provided.")]
    AuthorizationEndpointNotFound,
    /// No device authorization endpoint known.
    #[error("OpenID Connect device authorization endpoint not provided.")]
    DeviceAuthorizationEndpointNotFound,
    /// The device code expired before the user approved it.
    #[error("Timeout for OpenID Connect device authorization.")]
    DeviceAuthorizationTimeOut,
    /// Unsupported PKCE method.
    #[error("Invalid code challenge method: {0}")]
    InvalidCodeChallengeMethod(String),
    /// The provider does not support the grant type.
    #[error("OpenID Connect grant type not supported by provider: {0}")]
    PluginNotSupported(String),
    /// The provider answered with an OAuth 2.0 error.
    #[error("identity provider error {error}: {description}")]
    Provider {
        /// The `error` code, e.g. `invalid_grant`.
        error: String,
        /// The `error_description`, or the body text when there was none.
        description: String,
        /// HTTP status of the answer.
        status: u16,
    },
}

/// What went wrong in the WebSSO flow (`v3websso`), besides bad options and HTTP errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WebSsoError {
    /// The callback server could not listen on the redirect port.
    #[error(
        "Cannot spawn the callback server on port {port}, please specify a different port: \
         {message}"
    )]
    CallbackServer {
        /// The redirect port.
        port: u16,
        /// Why binding failed.
        message: String,
    },
    /// No valid token was posted to the callback before the login timeout.
    #[error(
        "Could not get a token from the WebSSO callback: no token arrived at {redirect_uri} \
         within {timeout_secs} s."
    )]
    MissingToken {
        /// The callback URL the browser had to post the token to.
        redirect_uri: String,
        /// The login timeout, in seconds.
        timeout_secs: f64,
    },
}

/// Every error keystoneauth-rs returns.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400.
    #[error("{0}")]
    BadRequest(Box<HttpError>),
    /// 401.
    #[error("{0}")]
    Unauthorized(Box<HttpError>),
    /// 403.
    #[error("{0}")]
    Forbidden(Box<HttpError>),
    /// 404.
    #[error("{0}")]
    NotFound(Box<HttpError>),
    /// 409.
    #[error("{0}")]
    Conflict(Box<HttpError>),
    /// 429.
    #[error("{0}")]
    TooManyRequests(Box<HttpError>),
    /// 503.
    #[error("{0}")]
    ServiceUnavailable(Box<HttpError>),
    /// Any other 4xx.
    #[error("{0}")]
    HttpClientError(Box<HttpError>),
    /// Any other 5xx.
    #[error("{0}")]
    HttpServerError(Box<HttpError>),
    /// Any other failure status.
    #[error("{0}")]
    Http(Box<HttpError>),
    /// Keystone needs more auth methods (MFA); carries the receipt.
    #[error("{0}")]
    MissingAuthMethods(Box<MissingAuthMethods>),
    /// Authentication could not be attempted or was refused locally.
    #[error("Cannot authorize API client: {0}")]
    AuthorizationFailure(String),
    /// An authenticated request was made without an auth plugin.
    #[error("An auth plugin is required to {0}")]
    MissingAuthPlugin(String),
    /// No plugin is registered under this name.
    #[error("The plugin {name} could not be found. Available plugins: {}", available.join(", "))]
    NoMatchingPlugin {
        /// The name asked for.
        name: String,
        /// The registered names.
        available: Vec<String>,
    },
    /// Required plugin options were not given.
    #[error("Auth plugin requires parameters which were not given: {}", display_missing(.0))]
    MissingRequiredOptions(Vec<MissingOption>),
    /// An option had a bad value or options conflict.
    #[error("{0}")]
    OptionError(String),
    /// A configuration file could not be read or parsed.
    #[error("{0}")]
    Config(String),
    /// The catalog has no such endpoint.
    #[error("{0}")]
    EndpointNotFound(String),
    /// The token has no service catalog.
    #[error("The service catalog is empty.")]
    EmptyCatalog,
    /// Version discovery failed.
    #[error("{message}")]
    DiscoveryFailure {
        /// What failed.
        message: String,
        /// The URL tried, if any.
        url: Option<String>,
    },
    /// A version string or range was invalid.
    #[error("{0}")]
    InvalidVersion(String),
    /// Could not connect (refused, reset, DNS).
    #[error("Unable to establish connection to {url}: {message}")]
    ConnectFailure {
        /// The URL.
        url: String,
        /// The cause.
        message: String,
    },
    /// Connect or read timed out.
    #[error("Request to {url} timed out")]
    ConnectTimeout {
        /// The URL.
        url: String,
    },
    /// TLS failed (bad certificate, wrong name, handshake).
    #[error("SSL exception connecting to {url}: {message}")]
    SslError {
        /// The URL.
        url: String,
        /// The cause.
        message: String,
    },
    /// Any other transport failure.
    #[error("Unexpected exception for {url}: {message}")]
    UnknownConnectionError {
        /// The URL.
        url: String,
        /// The cause.
        message: String,
    },
    /// The response could not be understood (bad JSON, missing fields, too large).
    #[error("Invalid response from server: {0}")]
    InvalidResponse(String),
    /// The token has no such Keystone-to-Keystone service provider.
    #[error("The Service Provider {0} could not be found")]
    ServiceProviderNotFound(String),
    /// An OpenID Connect failure.
    #[error(transparent)]
    Oidc(#[from] OidcError),
    /// A WebSSO failure (the callback server, or no token before the login timeout).
    #[error(transparent)]
    WebSso(#[from] WebSsoError),
    /// A SAML2 / ECP failure.
    #[error("SAML2: {0}")]
    Saml(String),
    /// A Kerberos / GSSAPI failure.
    #[error("Kerberos: {0}")]
    Kerberos(String),
    /// TLS configuration (CA bundle, client certificate) could not be loaded.
    #[error("TLS configuration error: {0}")]
    TlsConfig(String),
    /// The blocking API's runtime failed.
    #[error("runtime error: {0}")]
    Runtime(String),
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

    pub(crate) fn discovery(message: impl Into<String>, url: Option<&str>) -> Self {
        Error::DiscoveryFailure {
            message: message.into(),
            url: url.map(str::to_owned),
        }
    }
}

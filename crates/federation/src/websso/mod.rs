//! Web single sign-on (keystoneauth1's `v3websso`, `identity/v3/websso.py`).
//!
//! The user logs in with a browser: Keystone's WebSSO URL
//! (`{auth_url}/auth/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/websso`)
//! sends them through the identity provider, then answers a page that posts the unscoped token
//! (form field `token`) to the `origin` it was given. Here the origin is
//! `http://{redirect_host}:{redirect_port}/auth/websso/`, served by a short-lived callback
//! server on the loopback interface, so Keystone's `[federation] trusted_dashboard` must list
//! that URL.
//!
//! [`WebSso::get_unscoped`](crate::UnscopedAuth::get_unscoped):
//!
//! 1. checks that `redirect_host` resolves only to loopback addresses ([`Error::OptionError`]
//!    otherwise, or when it does not resolve);
//! 2. listens on those addresses ([`WebSsoError::CallbackServer`] when the port is taken);
//! 3. shows `To authenticate please go to: <url>` (a `tracing` warning, or your
//!    [`prompt`](WebSso::prompt)) and opens a browser (`xdg-open`, `open`; see
//!    [`open_browser`](WebSso::open_browser));
//! 4. serves the callback until one valid token arrives or `login_timeout` (default 60 s)
//!    elapses ([`WebSsoError::MissingToken`]);
//! 5. validates the token with `GET {auth_url}/auth/tokens` (`X-Auth-Token` and
//!    `X-Subject-Token` both the token), which gives the unscoped token's data.
//!
//! The callback refuses what a browser coming back from Keystone would not send: another path
//! (404), another method than POST (405), another body type than
//! `application/x-www-form-urlencoded` (415), no or a bad `Content-Length` (411), a body over
//! 64 KiB (413), a request that is not a cross-site top-level navigation (`Sec-Fetch-Mode:
//! navigate`, `Sec-Fetch-Dest: document`, `Sec-Fetch-Site` other than `none`), an `Origin`
//! other than Keystone's or `null`, a `Referer` from another origin, or an empty `token`
//! (400); a token after the first one gets 409. Tokens are never logged, only their
//! `{SHA256}` hash.
//!
//! ```no_run
//! # async fn demo() -> keystoneauth_core::Result<()> {
//! use std::sync::Arc;
//! use keystoneauth_core::Session;
//! use keystoneauth_federation::{websso::WebSso, Federated, Scope};
//! let flow = WebSso::new("https://keystone.example.com:5000/v3", "myidp", "openid")
//!     .redirect_port(9990);
//! let auth = Arc::new(Federated::new(flow, Scope::ProjectId("p1".into())));
//! let session = Session::new(auth)?;
//! let _token = session.token().await?;
//! # Ok(()) }
//! ```
//!

mod browser;
mod callback;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use keystoneauth_core::access::IdentityVersion;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{AccessInfo, Error, Result, Session};

use crate::base::{v3_url, CacheIdElements, UnscopedAuth};

/// Default `redirect_host`.
pub const DEFAULT_REDIRECT_HOST: &str = "localhost";
/// Default `redirect_port`.
pub const DEFAULT_REDIRECT_PORT: u16 = 9990;
/// Default `login_timeout`.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(60);
/// The path of the callback.
pub const CALLBACK_PATH: &str = "/auth/websso/";
/// Largest callback body accepted (and the header buffer of the callback server).
pub const MAX_CALLBACK_BODY: usize = 65536;

/// Shows the login URL to the user.
pub type LoginPrompt = Arc<dyn Fn(&str) + Send + Sync>;

fn default_prompt(url: &str) {
    tracing::warn!(
        target: "keystoneauth::federation",
        "To authenticate please go to: {url}"
    );
}

/// The WebSSO flow (`v3websso`): a browser login that posts the token back to a local
/// callback. Wrap it in [`Federated`](crate::Federated) to rescope.
///
/// ```
/// use std::time::Duration;
/// use keystoneauth_federation::websso::WebSso;
/// let flow = WebSso::new("https://ks:5000/v3", "myidp", "openid")
///     .redirect_host("127.0.0.1")
///     .redirect_port(8990)
///     .login_timeout(Duration::from_secs(120))
///     .open_browser(false)
///     .prompt(|url| eprintln!("Log in at {url}"));
/// assert_eq!(flow.redirect_uri(), "http://127.0.0.1:8990/auth/websso/");
/// assert_eq!(
///     flow.login_url(),
///     "https://ks:5000/v3/auth/OS-FEDERATION/identity_providers/myidp/protocols/openid/websso\
///      ?origin=http%3A%2F%2F127.0.0.1%3A8990%2Fauth%2Fwebsso%2F"
/// );
/// ```
#[derive(Clone)]
pub struct WebSso {
    auth_url: String,
    identity_provider: String,
    protocol: String,
    redirect_host: String,
    redirect_port: u16,
    login_timeout: Duration,
    username: Option<String>,
    open_browser: bool,
    prompt: LoginPrompt,
}

impl fmt::Debug for WebSso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSso")
            .field("auth_url", &self.auth_url)
            .field("identity_provider", &self.identity_provider)
            .field("protocol", &self.protocol)
            .field("redirect_host", &self.redirect_host)
            .field("redirect_port", &self.redirect_port)
            .field("login_timeout", &self.login_timeout)
            .field("username", &self.username)
            .field("open_browser", &self.open_browser)
            .finish_non_exhaustive()
    }
}

impl WebSso {
    /// A WebSSO flow with keystoneauth1's defaults: callback on `localhost:9990`, 60 s to log
    /// in, a browser opened for the user.
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
    ) -> Self {
        WebSso {
            auth_url: auth_url.into(),
            identity_provider: identity_provider.into(),
            protocol: protocol.into(),
            redirect_host: DEFAULT_REDIRECT_HOST.into(),
            redirect_port: DEFAULT_REDIRECT_PORT,
            login_timeout: DEFAULT_LOGIN_TIMEOUT,
            username: None,
            open_browser: true,
            prompt: Arc::new(default_prompt),
        }
    }

    /// The host of the callback URL; it must resolve only to loopback addresses.
    pub fn redirect_host(mut self, host: impl Into<String>) -> Self {
        self.redirect_host = host.into();
        self
    }

    /// The port of the callback URL (1 to 65535).
    pub fn redirect_port(mut self, port: u16) -> Self {
        self.redirect_port = port;
        self
    }

    /// How long to wait for the token to come back from the browser.
    pub fn login_timeout(mut self, timeout: Duration) -> Self {
        self.login_timeout = timeout;
        self
    }

    /// A user name: only a label of the unscoped cache id, so that two accounts at one
    /// identity provider get two cached tokens.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into()).filter(|u: &String| !u.is_empty());
        self
    }

    /// Whether to start a browser on the login URL (default `true`, as keystoneauth1): the
    /// commands of `BROWSER` if set (as Python's `webbrowser`), then `xdg-open` (`open` on
    /// macOS); a failure is a warning, the URL is shown anyway.
    pub fn open_browser(mut self, open: bool) -> Self {
        self.open_browser = open;
        self
    }

    /// How to show the login URL (default: the warning `To authenticate please go to: <url>`).
    pub fn prompt(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.prompt = Arc::new(f);
        self
    }

    /// `http://{redirect_host}:{redirect_port}/auth/websso/`, the `origin` given to Keystone.
    pub fn redirect_uri(&self) -> String {
        let host = &self.redirect_host;
        if host.contains(':') && !host.starts_with('[') {
            format!("http://[{host}]:{}{CALLBACK_PATH}", self.redirect_port)
        } else {
            format!("http://{host}:{}{CALLBACK_PATH}", self.redirect_port)
        }
    }

    /// Keystone's WebSSO URL for this identity provider and protocol.
    pub fn federated_token_url(&self) -> String {
        format!(
            "{}/auth/OS-FEDERATION/identity_providers/{}/protocols/{}/websso",
            v3_url(&self.auth_url),
            self.identity_provider,
            self.protocol
        )
    }

    /// Where the user logs in: the WebSSO URL with the callback as `origin`.
    pub fn login_url(&self) -> String {
        let origin: String =
            url::form_urlencoded::byte_serialize(self.redirect_uri().as_bytes()).collect();
        format!("{}?origin={origin}", self.federated_token_url())
    }

    /// Check the options that need no network.
    fn check_options(&self) -> Result<()> {
        if self.redirect_port == 0 {
            return Err(Error::OptionError(
                "redirect-port must be a port number from 1 to 65535.".into(),
            ));
        }
        if self.redirect_host.trim().is_empty() {
            return Err(Error::OptionError(
                "redirect-host must not be empty.".into(),
            ));
        }
        Ok(())
    }
}

/// `GET {auth_url}/auth/tokens` for the posted token: its data, as an unscoped v3 token.
async fn validate(session: &Session, auth_url: &str, token: &SecretString) -> Result<AccessInfo> {
    let resp = session
        .get(format!("{}/auth/tokens", v3_url(auth_url)))
        .header("X-Auth-Token", token.expose_secret())
        .header("X-Subject-Token", token.expose_secret())
        .header("Accept", "application/json")
        .authenticated(false)
        .send()
        .await?;
    let subject =
        keystoneauth_core::headers::optional_subject_token(&resp)?.unwrap_or_else(|| token.clone());
    let access = AccessInfo::from_bytes(resp.bytes().clone(), Some(subject))
        .map_err(|e| Error::InvalidResponse(format!("the WebSSO token's data: {e}")))?;
    if access.version() != IdentityVersion::V3 {
        return Err(Error::InvalidResponse(
            "the WebSSO token's data is not an identity v3 token".into(),
        ));
    }
    Ok(access)
}

#[async_trait]
impl UnscopedAuth for WebSso {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        self.check_options()?;
        let addrs = self.loopback_addrs().await?;
        let listeners = self.bind(&addrs).await?;
        let token = self.wait_for_token(listeners).await?;
        validate(session, &self.auth_url, &token).await
    }

    fn auth_url(&self) -> &str {
        &self.auth_url
    }

    fn unscoped_cache_id_elements(&self) -> Option<CacheIdElements> {
        Some(vec![
            ("auth_url".into(), Some(self.auth_url.clone())),
            (
                "identity_provider".into(),
                Some(self.identity_provider.clone()),
            ),
            ("protocol".into(), Some(self.protocol.clone())),
            ("username".into(), self.username.clone()),
        ])
    }
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

impl From<WebSsoError> for Error {
    fn from(e: WebSsoError) -> Self {
        Error::plugin("websso", e)
    }
}

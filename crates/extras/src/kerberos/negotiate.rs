//! SPNEGO `Negotiate` over HTTP (requests-kerberos' `HTTPKerberosAuth`): the mutual
//! authentication setting, the `WWW-Authenticate` challenge, where tokens come from, and one
//! request sent through the 401 → `Authorization: Negotiate` exchange.

use super::KerberosError;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use base64::Engine as _;
use http::{HeaderMap, Method};
use keystoneauth_core::{Error, Response, Result, Session};
use serde_json::Value;

/// keystoneauth1's message for a bad `mutual-auth` value.
pub const MUTUAL_AUTH_ERROR: &str = "You need to provide a valid value for kerberos mutual \
     authentication. It can be one of the following: (required, optional, disabled)";

/// Mutual authentication: whether the server must prove its identity with a `Negotiate` token
/// in its final response (requests-kerberos' `REQUIRED` / `OPTIONAL` / `DISABLED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MutualAuth {
    /// The final response must carry a server token that completes the context.
    Required,
    /// A server token, if sent, must complete the context; none is fine.
    #[default]
    Optional,
    /// Do not ask for mutual authentication and do not check.
    Disabled,
}

impl MutualAuth {
    /// keystoneauth1's `_mutual_auth`: `None` or an unknown value is `Optional`.
    pub fn lenient(value: Option<&str>) -> Self {
        value.and_then(|v| v.parse().ok()).unwrap_or_default()
    }

    /// The loader's name of the value.
    pub fn as_str(&self) -> &'static str {
        match self {
            MutualAuth::Required => "required",
            MutualAuth::Optional => "optional",
            MutualAuth::Disabled => "disabled",
        }
    }
}

impl FromStr for MutualAuth {
    type Err = Error;

    /// `required`, `optional` or `disabled`, in any case; anything else is the loaders'
    /// [`Error::OptionError`].
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "required" => Ok(MutualAuth::Required),
            "optional" => Ok(MutualAuth::Optional),
            "disabled" => Ok(MutualAuth::Disabled),
            _ => Err(Error::OptionError(MUTUAL_AUTH_ERROR.into())),
        }
    }
}

impl fmt::Display for MutualAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a `WWW-Authenticate` header says about `Negotiate`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiateChallenge {
    /// No `Negotiate` challenge.
    Absent,
    /// `Negotiate` without a token (a request for one).
    Bare,
    /// `Negotiate <base64>`: a server token.
    Token(Vec<u8>),
}

/// Find `Negotiate` in the `WWW-Authenticate` headers (several headers, or several challenges
/// in one separated by commas, as requests-kerberos' `(?:.*,)*\s*Negotiate\s*([^,]*),?`).
/// A token that is not valid base64 is an Kerberos error ([`KerberosError`]).
pub fn parse_www_authenticate(headers: &HeaderMap) -> Result<NegotiateChallenge> {
    let mut found = NegotiateChallenge::Absent;
    for value in headers.get_all(http::header::WWW_AUTHENTICATE) {
        let Ok(value) = value.to_str() else { continue };
        for challenge in value.split(',') {
            let c = challenge.trim();
            let Some(scheme) = c.get(..9) else { continue };
            if !scheme.eq_ignore_ascii_case("negotiate") {
                continue;
            }
            let rest = &c[9..];
            if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
                continue; // e.g. "NegotiateX"
            }
            let token = rest.trim();
            if token.is_empty() {
                if found == NegotiateChallenge::Absent {
                    found = NegotiateChallenge::Bare;
                }
                continue;
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(token)
                .map_err(|e| {
                    KerberosError::error(format!(
                        "the server's Negotiate token is not valid base64: {e}"
                    ))
                })?;
            return Ok(NegotiateChallenge::Token(bytes));
        }
    }
    Ok(found)
}

/// One client security context in progress (a GSSAPI `ClientCtx`). Its calls block: they run
/// in `spawn_blocking`.
pub trait NegotiateContext: Send + 'static {
    /// Feed the server's token; returns a further token to send, if the mechanism wants one.
    fn step(&mut self, server_token: &[u8]) -> Result<Option<Vec<u8>>>;
    /// True once the context is established (mutual authentication done).
    fn is_complete(&self) -> bool;
}

/// Where `Negotiate` tokens come from: the system GSSAPI library
/// ([`GssapiTokenSource`](super::GssapiTokenSource)), or a stub in tests. Its calls block: they
/// run in `spawn_blocking`.
pub trait NegotiateTokenSource: Send + Sync + fmt::Debug + 'static {
    /// Start a context for the service `HTTP@<host>`; returns it and the first token.
    /// `mutual` asks the mechanism for mutual authentication.
    fn initiate(&self, host: &str, mutual: bool) -> Result<(Box<dyn NegotiateContext>, Vec<u8>)>;
}

/// Run a blocking GSSAPI call on tokio's blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| KerberosError::error(format!("the GSSAPI task failed: {e}")))?
}

/// The host of a URL as GSSAPI wants it (`HTTP@<host>`): no port, no IPv6 brackets.
pub(super) fn service_host(url: &str) -> Result<String> {
    let u = url::Url::parse(url)
        .map_err(|e| Error::OptionError(format!("invalid URL {url:?}: {e}")))?;
    let host = u
        .host_str()
        .ok_or_else(|| Error::OptionError(format!("URL {url:?} has no host")))?;
    Ok(host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase())
}

/// One HTTP request authenticated with `Negotiate` (requests-kerberos' `HTTPKerberosAuth`):
/// sent as is; on `401` with a `Negotiate` challenge, sent again with a token; then the
/// server's token is checked as `mutual` says. A failed final response is an error.
pub(crate) struct NegotiateRequest<'a> {
    pub session: &'a Session,
    pub method: Method,
    pub url: String,
    pub body: Option<Value>,
    pub headers: HeaderMap,
    pub mutual: MutualAuth,
    pub source: Arc<dyn NegotiateTokenSource>,
}

impl NegotiateRequest<'_> {
    fn builder(&self) -> keystoneauth_core::RequestBuilder {
        let mut b = self
            .session
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone())
            .authenticated(false)
            .raise_exc(false)
            .log_body(false);
        if let Some(body) = &self.body {
            b = b.json(body);
        }
        b
    }

    pub(crate) async fn send(self) -> Result<Response> {
        let first = self.builder().send().await?;
        if first.status().as_u16() != 401 {
            return self.finish(first);
        }
        if parse_www_authenticate(first.headers())? == NegotiateChallenge::Absent {
            tracing::debug!(
                target: "keystoneauth::kerberos",
                url = %self.url,
                "401 without a Negotiate challenge"
            );
            return self.finish(first);
        }
        let host = service_host(&self.url)?;
        let source = self.source.clone();
        let mutual = self.mutual != MutualAuth::Disabled;
        let (mut ctx, token) = blocking(move || source.initiate(&host, mutual)).await?;
        let header = format!(
            "Negotiate {}",
            base64::engine::general_purpose::STANDARD.encode(&token)
        );
        let resp = self
            .builder()
            .header("Authorization", &header)
            .send()
            .await?;
        if resp.status().as_u16() == 401 {
            // The server refused the token (requests-kerberos returns the 401 as is).
            return self.finish(resp);
        }
        if self.mutual == MutualAuth::Disabled {
            return self.finish(resp);
        }
        match parse_www_authenticate(resp.headers())? {
            NegotiateChallenge::Token(server_token) => {
                let complete = blocking(move || {
                    ctx.step(&server_token)?;
                    Ok(ctx.is_complete())
                })
                .await
                .map_err(|e| {
                    KerberosError::error(format!(
                        "mutual authentication of {} failed: {e}",
                        self.url
                    ))
                })?;
                if !complete {
                    return Err(KerberosError::error(format!(
                        "mutual authentication of {} failed: the server's token did not \
                         complete the security context",
                        self.url
                    )));
                }
                self.finish(resp)
            }
            _ if resp.status().as_u16() >= 400 || self.mutual == MutualAuth::Optional => {
                self.finish(resp)
            }
            _ => Err(KerberosError::error(format!(
                "mutual authentication of {} failed: mutual-auth is required and the {} \
                 response carries no WWW-Authenticate: Negotiate token",
                self.url,
                resp.status().as_u16()
            ))),
        }
    }

    fn finish(&self, resp: Response) -> Result<Response> {
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(resp.to_error(&self.method))
        }
    }
}

//! Kerberos (GSSAPI / SPNEGO `Negotiate`) plugins: keystoneauth1's `extras.kerberos`.
//!
//! - [`Kerberos`]: the v3 `kerberos` method. `POST {auth_url}[/v3]/auth/tokens` with
//!   `{"methods": ["kerberos"], "kerberos": {}}`; the server (Apache `mod_auth_gssapi` in front
//!   of Keystone) answers `401 WWW-Authenticate: Negotiate`, the request is sent again with
//!   `Authorization: Negotiate <token>` for the service `HTTP@<host of the URL>`.
//! - [`MappedKerberos`]: federation. `GET {auth_url}/OS-FEDERATION/identity_providers/{idp}/
//!   protocols/{protocol}/auth` with the same dance gives an unscoped token, which is rescoped
//!   with a v3 `token` method request.
//! - Loaders `v3kerberos` and `v3fedkerb`, with `mutual-auth` = `required`, `optional`
//!   (default) or `disabled`.
//!
//! The ticket comes from the default credential cache (`KRB5CCNAME`, set up by `kinit`); the
//! Kerberos configuration from `KRB5_CONFIG`. The blocking GSSAPI calls run in
//! [`tokio::task::spawn_blocking`]. Neither plugin has a cache id (as keystoneauth1).
//!
//! ```no_run
//! # async fn demo() -> keystoneauth_core::Result<()> {
//! use std::sync::Arc;
//! use keystoneauth_core::Session;
//! use keystoneauth_extras::kerberos::{Kerberos, MutualAuth};
//! use keystoneauth_identity_v3::Scope;
//! // `kinit alice@EXAMPLE.COM` first.
//! let auth = Kerberos::new("https://keystone.example/krb/v3")
//!     .mutual_auth(MutualAuth::Required)
//!     .scope(Scope::project_in_domain_id("demo", "default"))
//!     .into_plugin();
//! let session = Session::new(Arc::new(auth))?;
//! let _token = session.token().await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use base64::Engine as _;
use http::{HeaderMap, Method};
use keystoneauth_core::registry::{Opt, OptionValues, PluginLoader};
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::{
    async_trait, AccessInfo, AuthPlugin, Authenticator, Error, IdentityPlugin, Response, Result,
    Session,
};
use keystoneauth_federation::{federated_token_url, Federated, UnscopedAuth};
use keystoneauth_identity_v3::{Auth, AuthMethod, AuthRequest, Scope, ScopeParams};
use serde_json::{json, Value};

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
/// A token that is not valid base64 is an [`Error::Kerberos`].
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
                    Error::Kerberos(format!(
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

/// Where `Negotiate` tokens come from: the system GSSAPI library ([`GssapiTokenSource`]), or a
/// stub in tests. Its calls block: they run in `spawn_blocking`.
pub trait NegotiateTokenSource: Send + Sync + fmt::Debug + 'static {
    /// Start a context for the service `HTTP@<host>`; returns it and the first token.
    /// `mutual` asks the mechanism for mutual authentication.
    fn initiate(&self, host: &str, mutual: bool) -> Result<(Box<dyn NegotiateContext>, Vec<u8>)>;
}

/// `Negotiate` tokens from the system GSSAPI library (MIT krb5), SPNEGO mechanism (as
/// requests-kerberos), with the initiator ticket of the default credential cache.
#[derive(Debug, Clone, Copy, Default)]
pub struct GssapiTokenSource;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// The error for "no usable ticket": names kinit, KRB5CCNAME and KRB5_CONFIG.
fn no_ticket_error(service: &str, cause: impl fmt::Display) -> Error {
    Error::Kerberos(format!(
        "no usable Kerberos ticket to authenticate to {service} ({cause}). Get one with \
         `kinit <principal>` first; the credential cache is KRB5CCNAME ({}) and the Kerberos \
         configuration is KRB5_CONFIG ({})",
        env_or("KRB5CCNAME", "unset: the default cache"),
        env_or("KRB5_CONFIG", "unset: /etc/krb5.conf"),
    ))
}

struct GssapiContext {
    ctx: libgssapi::context::ClientCtx,
}

impl NegotiateContext for GssapiContext {
    fn step(&mut self, server_token: &[u8]) -> Result<Option<Vec<u8>>> {
        self.ctx
            .step(Some(server_token), None)
            .map(|t| t.map(|b| b.to_vec()))
            .map_err(|e| Error::Kerberos(format!("the server's Negotiate token was refused: {e}")))
    }

    fn is_complete(&self) -> bool {
        use libgssapi::context::SecurityContext as _;
        self.ctx.is_complete()
    }
}

impl NegotiateTokenSource for GssapiTokenSource {
    fn initiate(&self, host: &str, mutual: bool) -> Result<(Box<dyn NegotiateContext>, Vec<u8>)> {
        use libgssapi::context::{ClientCtx, CtxFlags};
        use libgssapi::credential::{Cred, CredUsage};
        use libgssapi::error::MajorFlags;
        use libgssapi::name::Name;
        use libgssapi::oid::{OidSet, GSS_MECH_SPNEGO, GSS_NT_HOSTBASED_SERVICE};

        let service = format!("HTTP@{host}");
        let gss = |what: &str, e: libgssapi::error::Error| {
            Error::Kerberos(format!("GSSAPI {what} for {service} failed: {e}"))
        };
        let name = Name::new(service.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
            .map_err(|e| gss("import_name", e))?;
        let mechs = OidSet::singleton(GSS_MECH_SPNEGO).map_err(|e| gss("OID set", e))?;
        let cred = Cred::acquire(None, None, CredUsage::Initiate, Some(&mechs))
            .map_err(|e| no_ticket_error(&service, e))?;
        let mut flags = CtxFlags::GSS_C_SEQUENCE_FLAG;
        if mutual {
            flags |= CtxFlags::GSS_C_MUTUAL_FLAG;
        }
        let mut ctx = ClientCtx::new(Some(cred), name, flags, Some(GSS_MECH_SPNEGO));
        let token = ctx.step(None, None).map_err(|e| {
            if e.major.intersects(
                MajorFlags::GSS_S_NO_CRED
                    | MajorFlags::GSS_S_CREDENTIALS_EXPIRED
                    | MajorFlags::GSS_S_DEFECTIVE_CREDENTIAL,
            ) {
                no_ticket_error(&service, e)
            } else {
                gss("init_sec_context", e)
            }
        })?;
        let token = token
            .map(|b| b.to_vec())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::Kerberos(format!("GSSAPI gave no initial token for {service}"))
            })?;
        Ok((Box::new(GssapiContext { ctx }), token))
    }
}

fn default_source() -> Arc<dyn NegotiateTokenSource> {
    Arc::new(GssapiTokenSource)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Kerberos(format!("the GSSAPI task failed: {e}")))?
}

/// The host of a URL as GSSAPI wants it (`HTTP@<host>`): no port, no IPv6 brackets.
fn service_host(url: &str) -> Result<String> {
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
                    Error::Kerberos(format!("mutual authentication of {} failed: {e}", self.url))
                })?;
                if !complete {
                    return Err(Error::Kerberos(format!(
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
            _ => Err(Error::Kerberos(format!(
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

/// The v3 `kerberos` auth method: `"kerberos": {}` (the proof is the `Negotiate` header).
#[derive(Debug, Clone, Copy, Default)]
pub struct KerberosMethod;

#[async_trait]
impl AuthMethod for KerberosMethod {
    async fn auth_data(
        &self,
        _session: &Session,
        _request: &mut AuthRequest,
    ) -> Result<Option<(String, Value)>> {
        Ok(Some(("kerberos".into(), json!({}))))
    }
}

/// The v3 Kerberos plugin (keystoneauth1's `extras.kerberos.Kerberos`): an
/// [`Authenticator`]; [`into_plugin`](Kerberos::into_plugin) adds the token cache.
pub struct Kerberos {
    auth: Auth,
    mutual: MutualAuth,
    source: Arc<dyn NegotiateTokenSource>,
}

impl fmt::Debug for Kerberos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kerberos")
            .field("auth_url", &Authenticator::auth_url(&self.auth))
            .field("scope", self.auth.scope_parameters())
            .field("mutual_auth", &self.mutual)
            .field("source", &self.source)
            .finish()
    }
}

impl Kerberos {
    /// For this auth URL (the Kerberos-protected Keystone, e.g. `https://ks/krb/v3`), no scope,
    /// mutual authentication optional, tokens from the system GSSAPI.
    pub fn new(auth_url: impl Into<String>) -> Self {
        Kerberos {
            auth: Auth::new(auth_url).with_method(KerberosMethod),
            mutual: MutualAuth::Optional,
            source: default_source(),
        }
    }

    /// Set mutual authentication.
    pub fn mutual_auth(mut self, mutual: MutualAuth) -> Self {
        self.mutual = mutual;
        self
    }

    /// Set the scope.
    pub fn scope(self, scope: Scope) -> Self {
        Kerberos {
            auth: self.auth.scope(scope),
            ..self
        }
    }

    /// Set keystoneauth1's raw scope arguments.
    pub fn scope_params(self, params: ScopeParams) -> Self {
        Kerberos {
            auth: self.auth.scope_params(params),
            ..self
        }
    }

    /// Ask for the service catalog (default true).
    pub fn include_catalog(self, on: bool) -> Self {
        Kerberos {
            auth: self.auth.include_catalog(on),
            ..self
        }
    }

    /// Use another source of `Negotiate` tokens (tests, other GSSAPI providers).
    pub fn token_source(mut self, source: Arc<dyn NegotiateTokenSource>) -> Self {
        self.source = source;
        self
    }

    /// The mutual authentication setting.
    pub fn mutual_auth_setting(&self) -> MutualAuth {
        self.mutual
    }

    /// Wrap in an [`IdentityPlugin`] (token cache, catalog, discovery).
    pub fn into_plugin(self) -> IdentityPlugin<Kerberos> {
        IdentityPlugin::new(self)
    }
}

#[async_trait]
impl Authenticator for Kerberos {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        let (body, headers) = self.auth.request_body(session).await?;
        let resp = NegotiateRequest {
            session,
            method: Method::POST,
            url: self.auth.token_url(),
            body: Some(body),
            headers,
            mutual: self.mutual,
            source: self.source.clone(),
        }
        .send()
        .await?;
        let token = resp
            .header("X-Subject-Token")
            .map(|t| SecretString::from(t.to_owned()))
            .ok_or_else(|| {
                Error::InvalidResponse("The token response has no X-Subject-Token header".into())
            })?;
        AccessInfo::from_v3_body(resp.bytes(), token)
    }

    fn auth_url(&self) -> &str {
        Authenticator::auth_url(&self.auth)
    }

    // No cache id, as keystoneauth1.
}

/// The federation flow of [`MappedKerberos`]: the unscoped token from the Kerberos-protected
/// federation auth URL.
pub struct MappedKerberosFlow {
    auth_url: String,
    identity_provider: String,
    protocol: String,
    mutual: MutualAuth,
    source: Arc<dyn NegotiateTokenSource>,
}

impl fmt::Debug for MappedKerberosFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappedKerberosFlow")
            .field("auth_url", &self.auth_url)
            .field("identity_provider", &self.identity_provider)
            .field("protocol", &self.protocol)
            .field("mutual_auth", &self.mutual)
            .finish()
    }
}

impl MappedKerberosFlow {
    /// `{auth_url}[/v3]/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth`.
    pub fn federated_token_url(&self) -> String {
        federated_token_url(&self.auth_url, &self.identity_provider, &self.protocol)
    }
}

#[async_trait]
impl UnscopedAuth for MappedKerberosFlow {
    async fn get_unscoped(&self, session: &Session) -> Result<AccessInfo> {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        let resp = NegotiateRequest {
            session,
            method: Method::GET,
            url: self.federated_token_url(),
            body: None,
            headers,
            mutual: self.mutual,
            source: self.source.clone(),
        }
        .send()
        .await?;
        let subject = resp
            .header("X-Subject-Token")
            .map(|t| SecretString::from(t.to_owned()));
        AccessInfo::from_body(resp.bytes(), subject)
    }

    fn auth_url(&self) -> &str {
        &self.auth_url
    }
}

/// Kerberos through Keystone federation (keystoneauth1's `extras.kerberos.MappedKerberos`):
/// a builder; [`into_plugin`](MappedKerberos::into_plugin) gives the federated plugin that
/// gets the unscoped token and rescopes it.
#[derive(Debug)]
pub struct MappedKerberos {
    flow: MappedKerberosFlow,
    scope: ScopeParams,
}

impl MappedKerberos {
    /// For this Keystone, identity provider and protocol; no scope (the unscoped token),
    /// mutual authentication optional, tokens from the system GSSAPI.
    pub fn new(
        auth_url: impl Into<String>,
        identity_provider: impl Into<String>,
        protocol: impl Into<String>,
    ) -> Self {
        MappedKerberos {
            flow: MappedKerberosFlow {
                auth_url: auth_url.into(),
                identity_provider: identity_provider.into(),
                protocol: protocol.into(),
                mutual: MutualAuth::Optional,
                source: default_source(),
            },
            scope: ScopeParams::default(),
        }
    }

    /// Set mutual authentication.
    pub fn mutual_auth(mut self, mutual: MutualAuth) -> Self {
        self.flow.mutual = mutual;
        self
    }

    /// Set the scope to rescope to.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope.into();
        self
    }

    /// Set keystoneauth1's raw scope arguments.
    pub fn scope_params(mut self, params: ScopeParams) -> Self {
        self.scope = params;
        self
    }

    /// Use another source of `Negotiate` tokens (tests, other GSSAPI providers).
    pub fn token_source(mut self, source: Arc<dyn NegotiateTokenSource>) -> Self {
        self.flow.source = source;
        self
    }

    /// The federated plugin: unscoped token, rescoped with a v3 `token` request when a scope
    /// is set.
    pub fn into_plugin(self) -> Federated<MappedKerberosFlow> {
        Federated::new(self.flow, self.scope)
    }
}

const MUTUAL_AUTH_OPT: Opt =
    Opt::new("mutual-auth", "Configures Kerberos Mutual Authentication").default("optional");

/// `v3kerberos` options: auth-url, the v3 scope block, mutual-auth.
pub fn kerberos_options() -> Vec<Opt> {
    let mut o = keystoneauth_identity_v3::loaders::v3_base_options();
    o.push(MUTUAL_AUTH_OPT);
    o
}

/// `v3fedkerb` options: auth-url, the v3 scope block, identity-provider, protocol,
/// mutual-auth.
pub fn mapped_kerberos_options() -> Vec<Opt> {
    let mut o = keystoneauth_identity_v3::loaders::v3_base_options();
    o.push(Opt::new("identity-provider", "Identity Provider's name").required());
    o.push(Opt::new("protocol", "Protocol for federated plugin").required());
    o.push(MUTUAL_AUTH_OPT);
    o
}

/// The loaders' check: absent is optional; a bad value is keystoneauth1's `OptionError`.
fn mutual_from_options(values: &OptionValues) -> Result<MutualAuth> {
    match values.get("mutual_auth") {
        None => Ok(MutualAuth::Optional),
        Some(v) => v.parse(),
    }
}

fn required(values: &OptionValues, key: &str) -> Result<String> {
    values
        .get(key)
        .ok_or_else(|| Error::OptionError(format!("{key} is required")))
}

fn create_kerberos(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let mutual = mutual_from_options(values)?;
    Ok(Arc::new(
        Kerberos::new(required(values, "auth_url")?)
            .mutual_auth(mutual)
            .scope_params(ScopeParams::from_options(values))
            .into_plugin(),
    ))
}

fn create_mapped_kerberos(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let mutual = mutual_from_options(values)?;
    Ok(Arc::new(
        MappedKerberos::new(
            required(values, "auth_url")?,
            required(values, "identity_provider")?,
            required(values, "protocol")?,
        )
        .mutual_auth(mutual)
        .scope_params(ScopeParams::from_options(values))
        .into_plugin(),
    ))
}

keystoneauth_core::inventory::submit! {
    PluginLoader {
        name: "v3kerberos",
        description: "Kerberos (GSSAPI Negotiate) v3 authentication",
        options: kerberos_options,
        create: create_kerberos,
    }
}

keystoneauth_core::inventory::submit! {
    PluginLoader {
        name: "v3fedkerb",
        description: "Kerberos through Keystone federation (MappedKerberos)",
        options: mapped_kerberos_options,
        create: create_mapped_kerberos,
    }
}

#[cfg(test)]
#[path = "kerberos_tests.rs"]
mod tests;

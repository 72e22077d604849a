//! The base of identity plugins: a token cache with single-flight refresh, catalog lookup and
//! discovery. A plugin supplies an [`Authenticator`] (how to get a token); [`IdentityPlugin`]
//! does the rest.
//!
//! ```
//! use async_trait::async_trait;
//! use keystoneauth_core::{AccessInfo, Authenticator, IdentityPlugin, Result, Session};
//! #[derive(Debug)]
//! struct Static(AccessInfo);
//! #[async_trait]
//! impl Authenticator for Static {
//!     async fn authenticate(&self, _s: &Session) -> Result<AccessInfo> { Ok(self.0.clone()) }
//!     fn auth_url(&self) -> &str { "http://keystone.example/v3" }
//! }
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use crate::access::AccessInfo;
use crate::catalog::EndpointData;
use crate::error::{Error, Result};
use crate::plugin::{
    token_headers, AuthPlugin, ConnectionParams, EndpointFilter, X_AUTH_TOKEN, X_SERVICE_TOKEN,
};
use crate::session::Session;

/// keystoneauth1's `MIN_TOKEN_LIFE_SECONDS`: a token this close to expiry is refreshed.
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(120);

/// How long to wait before trying again after a refresh failed while the old token was valid.
const FAILED_REFRESH_BACKOFF: Duration = Duration::from_secs(5);

/// How a plugin obtains a token. Pure of caching: [`IdentityPlugin`] caches.
#[async_trait]
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Ask the server for a new token.
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo>;

    /// The identity endpoint this plugin talks to.
    fn auth_url(&self) -> &str;

    /// The plugin's name in errors (keystoneauth1's name where it has one, e.g.
    /// `v3password`). Default: the type's name.
    fn plugin_name(&self) -> String {
        let full = std::any::type_name::<Self>();
        let base = full.split('<').next().unwrap_or(full);
        base.rsplit("::").next().unwrap_or(base).to_owned()
    }

    /// The elements that identify the credentials (see
    /// [`cache_id_from_elements`](crate::plugin::cache_id_from_elements)); `None` means this
    /// plugin has no cache id.
    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        None
    }

    /// Headers for a request made with this access info (default: `X-Auth-Token`).
    async fn headers_for(&self, _session: &Session, access: &AccessInfo) -> Result<HeaderMap> {
        token_headers(access.auth_token())
    }

    /// Puts the same headers as [`headers_for`](Authenticator::headers_for) into `headers`
    /// when that needs no I/O, and returns true: the session's fast path for a cached token
    /// (default: `X-Auth-Token`). An authenticator that overrides `headers_for` overrides this
    /// too, returning false (with `headers` untouched) where it cannot answer at once; the
    /// session then awaits `headers_for`.
    fn add_ready_headers(&self, access: &AccessInfo, headers: &mut HeaderMap) -> bool {
        insert_token_header(access, headers)
    }

    /// Called when the cached token is dropped (e.g. to drop an unscoped federation token too).
    fn on_invalidate(&self) {}

    /// TLS material this plugin needs.
    fn connection_params(&self) -> ConnectionParams {
        ConnectionParams::default()
    }
}

/// Puts the access info's token into `headers` as `X-Auth-Token`; false if it cannot be a
/// header value.
fn insert_token_header(access: &AccessInfo, headers: &mut HeaderMap) -> bool {
    match access.auth_token_header() {
        Some(v) => {
            headers.insert(X_AUTH_TOKEN, v.clone());
            true
        }
        None => false,
    }
}

tokio::task_local! {
    /// The token caches whose refresh this task is running, outermost first: a request made
    /// while authenticating that asks the same cache for a token would otherwise wait for
    /// its own refresh forever.
    static REFRESHING: Vec<usize>;
}

struct Cached {
    access: Arc<AccessInfo>,
    /// When the token enters the refresh window (its expiry less the window), as a plain
    /// clock reading: checked on every request.
    stale_at: SystemTime,
    /// After a failed refresh, do not try again before this.
    retry_after: Option<Instant>,
}

impl Cached {
    fn new(access: Arc<AccessInfo>, refresh_window: Duration) -> Self {
        let stale_at = SystemTime::from(access.expires())
            .checked_sub(refresh_window)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        Cached {
            access,
            stale_at,
            retry_after: None,
        }
    }
}

/// An access-info cache whose refresh is single-flight: many tasks that find the token stale
/// cause one request, and all get its result. A failed refresh keeps a still-valid token.
pub struct TokenCache {
    current: RwLock<Option<Cached>>,
    refresh: tokio::sync::Mutex<()>,
    /// Counts successful fetches, so callers that waited for a flight take its result.
    generation: AtomicU64,
    /// Counts every flight, successful or not.
    flights: AtomicU64,
    /// The error of the last flight, if it failed (with that flight's number): callers that
    /// waited on a failed flight get its error instead of each trying again in turn.
    last_failure: std::sync::Mutex<Option<(u64, Error)>>,
    refresh_window: Duration,
    reauthenticate: bool,
    clock: Clock,
}

/// The wall clock a [`TokenCache`] compares token expiry with: `SystemTime::now` unless a test
/// gives another ([`TokenCache::with_clock`]), so that expiry can be tested without waiting.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// A clock that reads `now`.
    pub fn new(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }
    /// The time now.
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new(SystemTime::now)
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("TokenCache")
            .field("has_token", &guard.is_some())
            .field("refresh_window", &self.refresh_window)
            .field("reauthenticate", &self.reauthenticate)
            .finish()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(DEFAULT_REFRESH_WINDOW, true)
    }
}

impl TokenCache {
    /// A cache that refreshes within `refresh_window` of expiry; with `reauthenticate` false,
    /// a cached token is used until it is invalidated, whatever its expiry.
    pub fn new(refresh_window: Duration, reauthenticate: bool) -> Self {
        TokenCache {
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            flights: AtomicU64::new(0),
            last_failure: std::sync::Mutex::new(None),
            refresh_window,
            reauthenticate,
            clock: Clock::default(),
        }
    }

    /// The same cache reading time from `clock` (for tests: expiry without waiting).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn usable(&self) -> Option<Arc<AccessInfo>> {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        let cached = guard.as_ref()?;
        if !self.reauthenticate || self.clock.now() < cached.stale_at {
            return Some(cached.access.clone());
        }
        // Stale. A recent failed refresh lets a still-valid token be used for a while.
        match cached.retry_after {
            Some(t) if Instant::now() < t && !cached.access.is_expired() => {
                Some(cached.access.clone())
            }
            _ => None,
        }
    }

    /// The cached access info, if any, whatever its age.
    pub fn peek(&self) -> Option<Arc<AccessInfo>> {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map(|c| c.access.clone())
    }

    /// Replace the cached access info.
    pub fn set(&self, access: Option<AccessInfo>) {
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        *guard = access.map(|a| Cached::new(Arc::new(a), self.refresh_window));
    }

    /// Drop the cached token if it is `token` (or whatever it is, for `None`).
    pub fn invalidate_if(&self, token: Option<&str>) {
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        let is_it = match (guard.as_ref(), token) {
            (Some(c), Some(t)) => c.access.auth_token().expose_secret() == t,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if is_it {
            guard.take();
        }
    }

    /// Drop the cached token; true if there was one.
    pub fn invalidate(&self) -> bool {
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        guard.take().is_some()
    }

    /// The cached token if fresh, else the result of `fetch` (run by one caller at a time).
    pub async fn get_or_refresh<F, Fut>(&self, fetch: F) -> Result<Arc<AccessInfo>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<AccessInfo>>,
    {
        if let Some(a) = self.usable() {
            return Ok(a);
        }
        let me = self as *const TokenCache as usize;
        let mut refreshing = REFRESHING.try_with(Vec::clone).unwrap_or_default();
        if refreshing.contains(&me) {
            return Err(Error::AuthorizationFailure(
                "a request made while authenticating asked this plugin for its own token \
                 (e.g. an authenticated discovery retry); it cannot have one before \
                 authenticating"
                    .into(),
            ));
        }
        refreshing.push(me);
        let seen = self.generation.load(Ordering::SeqCst);
        let seen_flights = self.flights.load(Ordering::SeqCst);
        let _flight = self.refresh.lock().await;
        // Someone else may have refreshed while we waited.
        if let Some(a) = self.usable() {
            return Ok(a);
        }
        // A flight finished while we waited: its token is the answer to our call too, even if
        // the server gave one that is already inside the refresh window (one request per wave).
        if self.generation.load(Ordering::SeqCst) != seen {
            if let Some(a) = self.peek() {
                return Ok(a);
            }
        }
        // The flight we waited on failed: share its error rather than hammer the server.
        let flights = self.flights.load(Ordering::SeqCst);
        if flights != seen_flights {
            let last = self.last_failure.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((n, e)) = last.as_ref() {
                if *n == flights {
                    return Err(e.clone());
                }
            }
        }
        let flight = self.flights.fetch_add(1, Ordering::SeqCst) + 1;
        let result = REFRESHING.scope(refreshing, fetch()).await;
        *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) =
            result.as_ref().err().map(|e| (flight, e.clone()));
        match result {
            Ok(access) => {
                let access = Arc::new(access);
                let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
                *guard = Some(Cached::new(access.clone(), self.refresh_window));
                self.generation.fetch_add(1, Ordering::SeqCst);
                Ok(access)
            }
            Err(e) => {
                let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
                if let Some(cached) = guard.as_mut() {
                    if !cached.access.is_expired() && !matches!(e, Error::Unauthorized(_)) {
                        tracing::warn!(
                            target: "keystoneauth::identity",
                            error = %e,
                            "token refresh failed; using the current token until it expires"
                        );
                        cached.retry_after = Some(Instant::now() + FAILED_REFRESH_BACKOFF);
                        return Ok(cached.access.clone());
                    }
                }
                Err(e)
            }
        }
    }
}

/// An identity plugin: an [`Authenticator`] plus a token cache, catalog lookup and discovery.
pub struct IdentityPlugin<A> {
    authenticator: A,
    cache: TokenCache,
}

impl<A: fmt::Debug> fmt::Debug for IdentityPlugin<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityPlugin")
            .field("authenticator", &self.authenticator)
            .field("cache", &self.cache)
            .finish()
    }
}

impl<A: Authenticator> IdentityPlugin<A> {
    /// A plugin with the default refresh window (120 s) that reauthenticates.
    pub fn new(authenticator: A) -> Self {
        IdentityPlugin {
            authenticator,
            cache: TokenCache::default(),
        }
    }

    /// Set the refresh window and whether to reauthenticate when the token is stale.
    pub fn with_refresh(mut self, refresh_window: Duration, reauthenticate: bool) -> Self {
        let clock = self.cache.clock.clone();
        self.cache = TokenCache::new(refresh_window, reauthenticate).with_clock(clock);
        self
    }

    /// The token cache reads time from `clock` (for tests: expiry without waiting).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.cache.clock = clock;
        self
    }

    /// The authenticator.
    pub fn authenticator(&self) -> &A {
        &self.authenticator
    }

    /// The token cache.
    pub fn token_cache(&self) -> &TokenCache {
        &self.cache
    }

    /// The access info, authenticating if there is none or it is stale.
    pub async fn get_access(&self, session: &Session) -> Result<Arc<AccessInfo>> {
        self.cache
            .get_or_refresh(|| async {
                // A scheme-less or broken auth URL is the caller's error, not the catalog's
                // (empty: a plugin that learns its URL while authenticating, such as K2K).
                let auth_url = self.authenticator.auth_url();
                if !auth_url.is_empty() {
                    crate::session::check_http_url("auth_url", auth_url)?;
                }
                self.authenticator.authenticate(session).await.map_err(|e| {
                    let a = &self.authenticator;
                    e.in_authentication(&a.plugin_name(), a.auth_url())
                })
            })
            .await
    }
}

/// Catalog lookup and discovery for identity plugins (keystoneauth1's
/// `BaseIdentityPlugin.get_endpoint_data`).
pub async fn identity_endpoint_data(
    session: &Session,
    auth_url: &str,
    access: Option<&AccessInfo>,
    filter: &EndpointFilter,
) -> Result<Option<EndpointData>> {
    // A versioned alias implies its version (`volumev2`: block storage 2, whatever the
    // catalog's URL says), or contradicts the version asked for.
    let implied;
    let filter = match &filter.service_type {
        Some(service_type) if !filter.is_auth_interface() => {
            let version = filter.version.for_service_type(service_type)?;
            if version == filter.version {
                filter
            } else {
                implied = EndpointFilter {
                    version,
                    ..filter.clone()
                };
                &implied
            }
        }
        _ => filter,
    };
    let data = if filter.is_auth_interface() {
        let mut d = EndpointData::for_url(auth_url);
        d.service_type = Some("identity".into());
        d
    } else {
        let Some(access) = access else {
            return Ok(None);
        };
        if filter.service_type.is_none() {
            tracing::warn!(
                target: "keystoneauth::identity",
                "Plugin cannot return an endpoint without knowing the service type that is required."
            );
            return Ok(None);
        }
        access.service_catalog().endpoint_data_for(filter)?
    };
    if filter.skip_discovery || filter.version.is_empty() {
        return Ok(Some(data));
    }
    let project_id = access.and_then(|a| a.project_id()).map(str::to_owned);
    match crate::discover::versioned_data(session, &data, filter, project_id.as_deref()).await {
        Ok(d) => Ok(Some(d)),
        Err(e) => {
            tracing::debug!(target: "keystoneauth::identity", error = %e, "discovery failed");
            Err(e)
        }
    }
}

#[async_trait]
impl<A: Authenticator> AuthPlugin for IdentityPlugin<A> {
    async fn auth_headers(&self, session: &Session) -> Result<Option<HeaderMap>> {
        let access = self.get_access(session).await?;
        Ok(Some(
            self.authenticator.headers_for(session, &access).await?,
        ))
    }

    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        match self.cache.usable() {
            Some(access) => self.authenticator.add_ready_headers(&access, headers),
            None => false,
        }
    }

    async fn token(&self, session: &Session) -> Result<Option<SecretString>> {
        Ok(Some(self.get_access(session).await?.auth_token().clone()))
    }

    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        let access = if filter.is_auth_interface() {
            None
        } else {
            Some(self.get_access(session).await?)
        };
        identity_endpoint_data(
            session,
            self.authenticator.auth_url(),
            access.as_deref(),
            filter,
        )
        .await
    }

    fn invalidate(&self) -> bool {
        self.authenticator.on_invalidate();
        self.cache.invalidate()
    }

    fn invalidate_sent(&self, sent: Option<&str>) -> bool {
        // Only the stale token is dropped; a newer one fetched meanwhile stays. Either way the
        // retry gets a valid token (the cache refreshes once for everyone).
        let stale = match (sent, self.cache.peek()) {
            (Some(t), Some(cur)) => cur.auth_token().expose_secret() == t,
            _ => true,
        };
        if stale {
            self.authenticator.on_invalidate();
            self.cache.invalidate_if(sent);
        }
        true
    }

    async fn user_id(&self, session: &Session) -> Result<Option<String>> {
        Ok(Some(self.get_access(session).await?.user_id().to_owned()))
    }

    async fn project_id(&self, session: &Session) -> Result<Option<String>> {
        Ok(self
            .get_access(session)
            .await?
            .project_id()
            .map(str::to_owned))
    }

    async fn access(&self, session: &Session) -> Result<Option<Arc<AccessInfo>>> {
        Ok(Some(self.get_access(session).await?))
    }

    fn connection_params(&self) -> ConnectionParams {
        self.authenticator.connection_params()
    }

    fn auth_url(&self) -> Option<String> {
        Some(self.authenticator.auth_url().to_owned())
    }

    fn cache_id(&self) -> Option<String> {
        self.authenticator
            .cache_id_elements()
            .map(crate::plugin::cache_id_from_elements)
    }

    fn auth_state(&self) -> Option<String> {
        self.cache.peek().map(|a| a.to_auth_state())
    }

    fn set_auth_state(&self, state: Option<&str>) -> Result<()> {
        match state {
            None | Some("") => {
                self.cache.set(None);
                Ok(())
            }
            Some(s) => {
                self.cache.set(Some(AccessInfo::from_auth_state(s)?));
                Ok(())
            }
        }
    }
}

/// A plugin built from an existing access info (keystoneauth1's `AccessInfoPlugin`): it never
/// reauthenticates, and `invalidate` returns false so a 401 is not retried.
#[derive(Debug)]
pub struct AccessInfoPlugin {
    access: Arc<AccessInfo>,
    auth_url: Option<String>,
}

impl AccessInfoPlugin {
    /// Wrap access info; `auth_url` serves `EndpointFilter::auth_interface()`.
    pub fn new(access: AccessInfo, auth_url: Option<String>) -> Self {
        AccessInfoPlugin {
            access: Arc::new(access),
            auth_url,
        }
    }
}

#[async_trait]
impl AuthPlugin for AccessInfoPlugin {
    async fn auth_headers(&self, _session: &Session) -> Result<Option<HeaderMap>> {
        Ok(Some(token_headers(self.access.auth_token())?))
    }
    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        insert_token_header(&self.access, headers)
    }
    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        if filter.is_auth_interface() && self.auth_url.is_none() {
            return Ok(None);
        }
        identity_endpoint_data(
            session,
            self.auth_url.as_deref().unwrap_or(""),
            Some(&self.access),
            filter,
        )
        .await
    }
    async fn user_id(&self, _session: &Session) -> Result<Option<String>> {
        Ok(Some(self.access.user_id().to_owned()))
    }
    async fn project_id(&self, _session: &Session) -> Result<Option<String>> {
        Ok(self.access.project_id().map(str::to_owned))
    }
    async fn access(&self, _session: &Session) -> Result<Option<Arc<AccessInfo>>> {
        Ok(Some(self.access.clone()))
    }
    fn auth_url(&self) -> Option<String> {
        self.auth_url.clone()
    }
    fn auth_state(&self) -> Option<String> {
        Some(self.access.to_auth_state())
    }
}

/// Sends the user's token in `X-Auth-Token` and a service's token in `X-Service-Token`
/// (keystoneauth1's `ServiceTokenAuthWrapper`).
#[derive(Debug)]
pub struct ServiceTokenAuth {
    user: Arc<dyn AuthPlugin>,
    service: Arc<dyn AuthPlugin>,
}

impl ServiceTokenAuth {
    /// Wrap a user plugin and a service plugin.
    pub fn new(user: Arc<dyn AuthPlugin>, service: Arc<dyn AuthPlugin>) -> Self {
        ServiceTokenAuth { user, service }
    }
}

#[async_trait]
impl AuthPlugin for ServiceTokenAuth {
    async fn auth_headers(&self, session: &Session) -> Result<Option<HeaderMap>> {
        let mut headers = self.user.auth_headers(session).await?.unwrap_or_default();
        if let Some(tok) = self.service.token(session).await? {
            let v =
                crate::headers::sensitive_header_value(tok.expose_secret()).ok_or_else(|| {
                    Error::InvalidResponse("service token is not a valid header value".into())
                })?;
            headers.insert(X_SERVICE_TOKEN, v);
        }
        Ok(Some(headers))
    }
    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        let mut service = HeaderMap::new();
        if !self.service.add_ready_auth_headers(&mut service)
            || !self.user.add_ready_auth_headers(headers)
        {
            return false;
        }
        if let Some(mut v) = service.remove(X_AUTH_TOKEN) {
            v.set_sensitive(true);
            headers.insert(X_SERVICE_TOKEN, v);
        }
        true
    }
    async fn token(&self, session: &Session) -> Result<Option<SecretString>> {
        self.user.token(session).await
    }
    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        self.user.endpoint_data(session, filter).await
    }
    fn invalidate(&self) -> bool {
        let u = self.user.invalidate();
        let s = self.service.invalidate();
        u || s
    }
    async fn user_id(&self, session: &Session) -> Result<Option<String>> {
        self.user.user_id(session).await
    }
    async fn project_id(&self, session: &Session) -> Result<Option<String>> {
        self.user.project_id(session).await
    }
    async fn access(&self, session: &Session) -> Result<Option<Arc<AccessInfo>>> {
        self.user.access(session).await
    }
    fn connection_params(&self) -> ConnectionParams {
        let u = self.user.connection_params();
        if u.is_empty() {
            self.service.connection_params()
        } else {
            u
        }
    }
    fn auth_url(&self) -> Option<String> {
        self.user.auth_url()
    }
    fn cache_id(&self) -> Option<String> {
        self.user.cache_id()
    }
}

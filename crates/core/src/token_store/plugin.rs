//! [`TokenStoreAuth`]: any plugin with a cache id, taking its token from a [`TokenStore`].

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use http::HeaderMap;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};

use super::{StoreLock, StoredToken, TokenStore};
use crate::access::AccessInfo;
use crate::catalog::EndpointData;
use crate::error::{Error, Result};
use crate::identity::DEFAULT_REFRESH_WINDOW;
use crate::plugin::{AuthPlugin, ConnectionParams, EndpointFilter};
use crate::session::Session;

const TARGET: &str = "keystoneauth::token_store";

/// How long a process waits for another one's refresh before it authenticates on its own.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(15);

/// How many refused tokens are remembered (so a stored copy of one is never used again).
const REMEMBERED_REFUSALS: usize = 8;

tokio::task_local! {
    /// The wrappers whose refresh this task is running: a request made while authenticating
    /// that comes back to the same wrapper goes straight to the plugin (which reports it)
    /// instead of waiting for its own refresh.
    static REFRESHING: Vec<usize>;
}

type TokenHash = [u8; 32];

fn token_hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// The token this process holds, as far as the wrapper knows.
struct Known {
    stale_at: SystemTime,
    token: TokenHash,
}

#[derive(Default)]
struct State {
    known: Option<Known>,
    /// Tokens the server refused (401) or the caller invalidated, newest last.
    refused: VecDeque<TokenHash>,
}

/// Wraps a plugin so that its token is shared through a [`TokenStore`]:
///
/// 1. While the plugin holds a fresh token (outside the refresh window), nothing changes: no
///    store is consulted on a request.
/// 2. Otherwise the store's entry for the plugin's cache key is used if it is fresh.
/// 3. Otherwise the store's lock for the key is taken (waiting at most
///    [`lock_wait`](Self::lock_wait)), the store read again (another process may have
///    refreshed while we waited), and only then does the plugin authenticate; its new token
///    is put in the store and the lock released. So among all processes sharing the store,
///    one authenticates.
///
/// Within one process, concurrent callers wait for a single flight as with
/// [`TokenCache`](crate::TokenCache). A token the server refuses (a 401 that the session
/// reports through [`invalidate_sent`](AuthPlugin::invalidate_sent)) is never taken from the
/// store again, and is deleted from it before the plugin reauthenticates. A store that fails
/// (unreadable, unwritable, unreachable, a lock that is never released) is worked around with
/// a warning: the plugin authenticates on its own.
pub struct TokenStoreAuth {
    inner: Arc<dyn AuthPlugin>,
    store: Arc<dyn TokenStore>,
    key: String,
    refresh_window: Duration,
    lock_wait: Duration,
    flight: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    state: Mutex<State>,
}

impl fmt::Debug for TokenStoreAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is a cache id: a hash of the credentials, so it is not shown.
        f.debug_struct("TokenStoreAuth")
            .field("inner", &self.inner)
            .field("store", &self.store)
            .field("refresh_window", &self.refresh_window)
            .field("lock_wait", &self.lock_wait)
            .finish_non_exhaustive()
    }
}

impl TokenStoreAuth {
    /// Wrap `inner`, storing its token under its [`cache_id`](AuthPlugin::cache_id); an
    /// [`Error::OptionError`] if it has none (it cannot say which credentials a token is for).
    pub fn new(inner: Arc<dyn AuthPlugin>, store: Arc<dyn TokenStore>) -> Result<Self> {
        let key = inner.cache_id().ok_or_else(|| {
            Error::OptionError(
                "this auth plugin has no cache id, so its tokens cannot be stored".into(),
            )
        })?;
        Ok(TokenStoreAuth {
            inner,
            store,
            key,
            refresh_window: DEFAULT_REFRESH_WINDOW,
            lock_wait: DEFAULT_LOCK_WAIT,
            flight: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        })
    }

    /// Store under this key instead of the plain cache id (say,
    /// [`cache_key`](super::cache_key) with the plugin's system scope).
    pub fn with_cache_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// A stored token this close to expiry counts as missing (default: 120 s, as the
    /// plugins' own cache).
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = window;
        self
    }

    /// How long to wait for another process's refresh before authenticating alone (default
    /// [`DEFAULT_LOCK_WAIT`]).
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The wrapped plugin.
    pub fn inner(&self) -> &Arc<dyn AuthPlugin> {
        &self.inner
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    /// The key the token is stored under.
    pub fn cache_key(&self) -> &str {
        &self.key
    }

    /// The stored entry, if any, whatever its age (no authentication).
    pub async fn stored(&self) -> Result<Option<StoredToken>> {
        self.store.get(&self.key).await
    }

    /// Drop the stored token, and the one this process holds.
    pub async fn forget(&self) -> Result<()> {
        self.invalidate();
        self.store.delete(&self.key).await
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn refuse(&self, token: TokenHash) {
        let mut st = self.state();
        if st.known.as_ref().is_some_and(|k| k.token == token) {
            st.known = None;
        }
        if !st.refused.contains(&token) {
            if st.refused.len() >= REMEMBERED_REFUSALS {
                st.refused.pop_front();
            }
            st.refused.push_back(token);
        }
    }

    fn is_refused(&self, token: &TokenHash) -> bool {
        self.state().refused.contains(token)
    }

    fn remember(&self, access: &AccessInfo) {
        let stale_at = SystemTime::from(access.expires())
            .checked_sub(self.refresh_window)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        self.state().known = Some(Known {
            stale_at,
            token: token_hash(access.auth_token().expose_secret()),
        });
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// True if the plugin holds a token that needs no refresh.
    fn fresh(&self) -> bool {
        let mut scratch = HeaderMap::new();
        if self.inner.add_ready_auth_headers(&mut scratch) {
            return true;
        }
        self.state()
            .known
            .as_ref()
            .is_some_and(|k| SystemTime::now() < k.stale_at)
    }

    /// Make sure the plugin holds a fresh token: its own, the store's, or a new one.
    async fn ensure(&self, session: &Session) -> Result<()> {
        if self.fresh() {
            return Ok(());
        }
        let me = self as *const TokenStoreAuth as usize;
        let mut refreshing = REFRESHING.try_with(Vec::clone).unwrap_or_default();
        if refreshing.contains(&me) {
            // Called back while authenticating: the plugin answers (and reports the loop).
            return Ok(());
        }
        refreshing.push(me);
        let seen = self.generation.load(Ordering::SeqCst);
        let _flight = self.flight.lock().await;
        // Someone in this process refreshed while we waited: take that token, even if the
        // server gave one already inside the refresh window (one request per wave).
        if self.fresh() || self.generation.load(Ordering::SeqCst) != seen {
            return Ok(());
        }
        if self.adopt(false).await {
            return Ok(());
        }
        let lock = match self.store.lock(&self.key, self.lock_wait).await {
            Ok(Some(l)) => Some(l),
            Ok(None) => {
                tracing::warn!(target: TARGET, store = self.store.kind(),
                    "waited {:?} for another process to refresh the shared token; authenticating on our own",
                    self.lock_wait);
                None
            }
            Err(e) => {
                tracing::warn!(target: TARGET, store = self.store.kind(), error = %e,
                    "cannot lock the token store; authenticating on our own");
                None
            }
        };
        if lock.is_some() && self.adopt(true).await {
            release(lock).await;
            return Ok(());
        }
        let result = REFRESHING
            .scope(refreshing, self.authenticate(session))
            .await;
        release(lock).await;
        result
    }

    /// Install the stored token if it is fresh and was not refused; true if it was.
    /// Holding the lock, a refused or unreadable entry is deleted.
    async fn adopt(&self, holding_lock: bool) -> bool {
        let stored = match self.store.get(&self.key).await {
            Ok(Some(s)) => s,
            Ok(None) => return false,
            Err(e) => {
                tracing::warn!(target: TARGET, store = self.store.kind(), error = %e,
                    "cannot read the token store; authenticating on our own");
                return false;
            }
        };
        // A token inside the refresh window counts as missing.
        if !stored.is_fresh(self.refresh_window) {
            return false;
        }
        let access = match AccessInfo::from_auth_state(stored.state.expose_secret()) {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(target: TARGET, store = self.store.kind(), error = %e,
                    "ignoring a stored token that cannot be read; it will be replaced");
                if holding_lock {
                    self.delete_entry().await;
                }
                return false;
            }
        };
        if self.is_refused(&token_hash(access.auth_token().expose_secret())) {
            if holding_lock {
                tracing::debug!(target: TARGET, "dropping the stored token the server refused");
                self.delete_entry().await;
            }
            return false;
        }
        if access.will_expire_soon(self.refresh_window) {
            return false;
        }
        if let Err(e) = self
            .inner
            .set_auth_state(Some(stored.state.expose_secret()))
        {
            tracing::debug!(target: TARGET, error = %e, "the plugin does not take stored tokens");
            return false;
        }
        tracing::debug!(target: TARGET, store = self.store.kind(), "using the stored token");
        self.remember(&access);
        true
    }

    async fn delete_entry(&self) {
        if let Err(e) = self.store.delete(&self.key).await {
            tracing::warn!(target: TARGET, store = self.store.kind(), error = %e,
                "cannot delete a stored token");
        }
    }

    /// Authenticate through the plugin and store the token.
    async fn authenticate(&self, session: &Session) -> Result<()> {
        let Some(access) = self.inner.access(session).await? else {
            return Ok(());
        };
        self.remember(&access);
        let Some(state) = self.inner.auth_state() else {
            return Ok(());
        };
        let token = StoredToken {
            state: SecretString::from(state),
            expires_at: access.expires(),
        };
        if let Err(e) = self.store.put(&self.key, &token).await {
            tracing::warn!(target: TARGET, store = self.store.kind(), error = %e,
                "cannot save the token in the token store");
        }
        Ok(())
    }
}

async fn release(lock: Option<Box<dyn StoreLock>>) {
    if let Some(l) = lock {
        if let Err(e) = l.release().await {
            tracing::debug!(target: TARGET, error = %e, "releasing the token store lock failed");
        }
    }
}

#[async_trait]
impl AuthPlugin for TokenStoreAuth {
    async fn auth_headers(&self, session: &Session) -> Result<Option<HeaderMap>> {
        self.ensure(session).await?;
        self.inner.auth_headers(session).await
    }

    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        self.inner.add_ready_auth_headers(headers)
    }

    async fn token(&self, session: &Session) -> Result<Option<SecretString>> {
        self.ensure(session).await?;
        self.inner.token(session).await
    }

    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        if !filter.is_auth_interface() {
            self.ensure(session).await?;
        }
        self.inner.endpoint_data(session, filter).await
    }

    async fn endpoint(&self, session: &Session, filter: &EndpointFilter) -> Result<Option<String>> {
        if !filter.is_auth_interface() {
            self.ensure(session).await?;
        }
        self.inner.endpoint(session, filter).await
    }

    fn invalidate(&self) -> bool {
        let known = self.state().known.as_ref().map(|k| k.token);
        if let Some(t) = known {
            self.refuse(t);
        }
        self.inner.invalidate() || known.is_some()
    }

    fn invalidate_sent(&self, sent: Option<&str>) -> bool {
        match sent {
            Some(t) => self.refuse(token_hash(t)),
            None => {
                let known = self.state().known.as_ref().map(|k| k.token);
                if let Some(t) = known {
                    self.refuse(t);
                }
            }
        }
        self.inner.invalidate_sent(sent)
    }

    async fn user_id(&self, session: &Session) -> Result<Option<String>> {
        self.ensure(session).await?;
        self.inner.user_id(session).await
    }

    async fn project_id(&self, session: &Session) -> Result<Option<String>> {
        self.ensure(session).await?;
        self.inner.project_id(session).await
    }

    async fn access(&self, session: &Session) -> Result<Option<Arc<AccessInfo>>> {
        self.ensure(session).await?;
        self.inner.access(session).await
    }

    fn connection_params(&self) -> ConnectionParams {
        self.inner.connection_params()
    }

    fn auth_url(&self) -> Option<String> {
        self.inner.auth_url()
    }

    fn cache_id(&self) -> Option<String> {
        self.inner.cache_id()
    }

    fn auth_state(&self) -> Option<String> {
        self.inner.auth_state()
    }

    fn set_auth_state(&self, state: Option<&str>) -> Result<()> {
        self.inner.set_auth_state(state)
    }
}

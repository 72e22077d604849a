//! The command's last result, and running the command once for all callers (single
//! flight) when it is missing, stale or refused.

use std::fmt;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use keystoneauth_core::redact::hash_secret;
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AccessInfo, AuthPlugin, Error, Result, Session};

use super::{ExecPlugin, TARGET};

/// After a failed run while the previous token is still valid, wait this long before the next.
const FAILED_RUN_BACKOFF: Duration = Duration::from_secs(5);

/// What the last run of the command gave.
pub(super) struct Loaded {
    /// Which successful run this is (1, 2, …).
    pub(super) generation: u64,
    pub(super) kind: Kind,
}

pub(super) enum Kind {
    Token(TokenState),
    Plugin {
        auth_type: String,
        plugin: Arc<dyn AuthPlugin>,
    },
}

pub(super) struct TokenState {
    pub(super) access: Arc<AccessInfo>,
    pub(super) auth_url: Option<String>,
    pub(super) expires: SystemTime,
    pub(super) stale_at: SystemTime,
    /// After a failed run, the token (still valid) is used until then.
    pub(super) retry_after: Mutex<Option<Instant>>,
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Token(t) => f
                .debug_struct("Token")
                .field("generation", &self.generation)
                .field("token", &hash_secret(t.access.auth_token().expose_secret()))
                .field("expires", &t.access.expires())
                .field("auth_url", &t.auth_url)
                .finish(),
            Kind::Plugin { auth_type, plugin } => f
                .debug_struct("Plugin")
                .field("generation", &self.generation)
                .field("auth_type", auth_type)
                .field("plugin", plugin)
                .finish(),
        }
    }
}

impl ExecPlugin {
    pub(super) fn peek(&self) -> Option<Arc<Loaded>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The current result if it can be used now, with no I/O. `invalid` names a generation
    /// that must not be returned (its plugin was refused).
    pub(super) fn usable(&self, invalid: Option<u64>) -> Option<Arc<Loaded>> {
        let cur = self.peek()?;
        if invalid == Some(cur.generation) {
            return None;
        }
        match &cur.kind {
            Kind::Plugin { .. } => Some(cur),
            Kind::Token(t) => {
                let now = SystemTime::now();
                if now < t.stale_at {
                    return Some(cur);
                }
                let retry_after = *t.retry_after.lock().unwrap_or_else(|e| e.into_inner());
                match retry_after {
                    Some(r) if Instant::now() < r && now < t.expires => Some(cur),
                    _ => None,
                }
            }
        }
    }

    /// The current result, running the command (once for all concurrent callers) when there
    /// is none, it is stale, or it is generation `invalid`.
    async fn load(&self, session: &Session, invalid: Option<u64>) -> Result<Arc<Loaded>> {
        if let Some(l) = self.usable(invalid) {
            return Ok(l);
        }
        let seen_finished = self.finished.load(Ordering::SeqCst);
        let _flight = self.flight.lock().await;
        if let Some(l) = self.usable(invalid) {
            return Ok(l);
        }
        // A run finished while we waited for it: its result is the answer to our call too,
        // its error included (the command is not run again at once for every waiter).
        if self.finished.load(Ordering::SeqCst) != seen_finished {
            let failure = self
                .last_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            match failure {
                Some(e) => return Err(e),
                None => {
                    if let Some(l) = self.peek().filter(|l| Some(l.generation) != invalid) {
                        return Ok(l);
                    }
                }
            }
        }
        let result = self.fetch(session).await;
        *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) =
            result.as_ref().err().cloned();
        self.finished.fetch_add(1, Ordering::SeqCst);
        match result {
            Ok(kind) => {
                let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
                let loaded = Arc::new(Loaded { generation, kind });
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(loaded.clone());
                Ok(loaded)
            }
            Err(e) => {
                if invalid.is_none() {
                    if let Some(cur) = self.peek() {
                        if let Kind::Token(t) = &cur.kind {
                            if SystemTime::now() < t.expires {
                                tracing::warn!(target: TARGET, error = %e,
                                    "the credential command failed; using the current token \
                                     until it expires");
                                *t.retry_after.lock().unwrap_or_else(|e| e.into_inner()) =
                                    Some(Instant::now() + FAILED_RUN_BACKOFF);
                                return Ok(cur);
                            }
                        }
                    }
                }
                Err(e)
            }
        }
    }

    /// Run `op` on the current result; when it is a plugin whose authentication is refused
    /// with 401, run the command again (once) and retry with the new result.
    pub(super) async fn with_current<T, F, Fut>(&self, session: &Session, op: F) -> Result<T>
    where
        F: Fn(Arc<Loaded>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let loaded = self.load(session, None).await?;
        let generation = loaded.generation;
        let is_plugin = matches!(loaded.kind, Kind::Plugin { .. });
        match op(loaded).await {
            Err(e) if is_plugin && credential_refused(&e) => {
                tracing::info!(target: TARGET, error = %e,
                    "the plugin from the credential command was refused; running the command again");
                let loaded = self.load(session, Some(generation)).await?;
                op(loaded).await
            }
            other => other,
        }
    }

    /// Drop the current result if it is still generation `generation`.
    pub(super) fn drop_if(&self, generation: u64) {
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        if guard.as_ref().is_some_and(|l| l.generation == generation) {
            guard.take();
        }
    }
}

/// True when a printed plugin's credential was refused: any 401, or a 404 answering a
/// `POST …/auth/tokens` (Keystone's answer for a deleted application credential).
fn credential_refused(e: &Error) -> bool {
    match e {
        Error::Unauthorized(_) => true,
        Error::NotFound(h) => {
            h.method.eq_ignore_ascii_case("POST")
                && h.url
                    .split(['?', '#'])
                    .next()
                    .is_some_and(|u| u.trim_end_matches('/').ends_with("/auth/tokens"))
        }
        _ => false,
    }
}

//! Token stores: one token per set of credentials, shared by every process (and machine)
//! that uses the same store, with a refresh lock so that exactly one of them asks Keystone
//! for a new token when the shared one is missing or stale.
//!
//! - [`TokenStore`]: get, put and delete a token by cache key, and [`lock`](TokenStore::lock)
//!   a cache key across processes for a bounded time.
//! - [`TokenStoreAuth`]: wraps any [`AuthPlugin`](crate::AuthPlugin) that has a
//!   [`cache_id`](crate::AuthPlugin::cache_id) so that it takes its token from the store while
//!   the stored one is fresh, and otherwise refreshes once for everyone under the store's
//!   lock. A token the server refuses (401) is dropped from the store and replaced.
//! - [`FileStore`] (unix): the default, a private directory of the user's
//!   (`$XDG_CACHE_HOME/keystoneauth-rs`).
//! - `RedisStore` (feature `redis`): one store for a fleet of machines, values encrypted
//!   with a key the user gives.
//! - `KeyringStore` (Linux, feature `keyring`): the user's kernel keyring (keyutils; no
//!   daemon), with the file store's lock files.
//!
//! ```no_run
//! # async fn demo(plugin: std::sync::Arc<dyn keystoneauth_core::AuthPlugin>) -> keystoneauth_core::Result<()> {
//! use std::sync::Arc;
//! use keystoneauth_core::token_store::{FileStore, TokenStoreAuth};
//! use keystoneauth_core::Session;
//! let store = Arc::new(FileStore::open_default()?);
//! let auth = TokenStoreAuth::new(plugin, store)?;
//! let session = Session::new(Arc::new(auth))?;
//! # Ok(()) }
//! ```
//!
//! A store never makes a request fail: when it cannot be read, written or locked, the
//! plugin warns and authenticates on its own.

use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::error::Result;

#[cfg(unix)]
pub mod file;
#[cfg(all(target_os = "linux", feature = "keyring"))]
#[cfg_attr(docsrs, doc(cfg(all(target_os = "linux", feature = "keyring"))))]
pub mod keyring;
#[cfg(unix)]
mod lock;
mod plugin;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;

#[cfg(all(target_os = "linux", feature = "keyring"))]
#[cfg_attr(docsrs, doc(cfg(all(target_os = "linux", feature = "keyring"))))]
pub use self::keyring::KeyringStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
#[cfg(unix)]
pub use file::FileStore;
pub use plugin::{TokenStoreAuth, DEFAULT_LOCK_WAIT};

/// A token as a store keeps it: the plugin's auth state (keystoneauth1's
/// `get_auth_state()`: the token and its body) and when the token expires.
#[derive(Clone)]
pub struct StoredToken {
    /// The auth state (`{"auth_token": …, "body": …}`).
    pub state: SecretString,
    /// When the token expires.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("state", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl StoredToken {
    /// True while the token is outside the refresh window: it expires more than `window`
    /// from now.
    pub fn is_fresh(&self, window: Duration) -> bool {
        SystemTime::from(self.expires_at) > SystemTime::now() + window
    }

    /// The time left before the token expires (zero once it has).
    pub fn time_left(&self) -> Duration {
        SystemTime::from(self.expires_at)
            .duration_since(SystemTime::now())
            .unwrap_or_default()
    }
}

/// A store's hold on a cache key: while it lives, no other holder of the same store and key
/// has one. Dropping it releases the lock; [`release`](StoreLock::release) does so and says
/// whether that worked.
#[async_trait]
pub trait StoreLock: Send + Sync + fmt::Debug {
    /// Release the lock.
    async fn release(self: Box<Self>) -> Result<()>;
}

/// Where tokens are shared between processes: by cache key (a plugin's
/// [`cache_id`](crate::AuthPlugin::cache_id), see [`cache_key`]), with a lock per key that
/// gives single flight across every process sharing the store.
///
/// A store keeps what it is given; whether a token is fresh enough is the caller's decision
/// ([`StoredToken::is_fresh`]), though a store may drop expired entries.
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The entry for a key, if there is one that can be trusted (a store ignores, with a
    /// warning, one it cannot trust: tampered, unreadable, another user's).
    async fn get(&self, key: &str) -> Result<Option<StoredToken>>;

    /// Store (or replace) the entry for a key.
    async fn put(&self, key: &str, token: &StoredToken) -> Result<()>;

    /// Drop the entry for a key (no error if there is none).
    async fn delete(&self, key: &str) -> Result<()>;

    /// Take the refresh lock for a key, waiting at most `max_wait` for another holder;
    /// `Ok(None)` when the wait ran out. A holder that dies does not keep the lock: the file
    /// store's lock goes with the process, the Redis store's expires.
    async fn lock(&self, key: &str, max_wait: Duration) -> Result<Option<Box<dyn StoreLock>>>;

    /// A short name for logs (`file`, `redis`).
    fn kind(&self) -> &'static str;
}

/// The key a plugin's token is stored under: its cache id, and for a system-scoped plugin
/// its scope after it. keystoneauth1's cache ids leave the system scope out, so an unscoped
/// and a system-scoped plugin with the same credentials have one cache id; they must not
/// share a token.
///
/// ```
/// use keystoneauth_core::token_store::cache_key;
/// assert_eq!(cache_key("abc=", None), "abc=");
/// assert_eq!(cache_key("abc=", Some("")), "abc=");
/// assert_eq!(cache_key("abc=", Some("all")), "abc=\0system=all");
/// ```
pub fn cache_key(cache_id: &str, system_scope: Option<&str>) -> String {
    match system_scope.filter(|s| !s.is_empty()) {
        Some(scope) => format!("{cache_id}\0system={scope}"),
        None => cache_id.to_owned(),
    }
}

/// The default token store directory: `$XDG_CACHE_HOME/keystoneauth-rs`, else
/// `$HOME/.cache/keystoneauth-rs`, from the given values of those variables (empty ones
/// count as unset).
///
/// ```
/// use std::path::PathBuf;
/// use keystoneauth_core::token_store::default_dir;
/// assert_eq!(default_dir(Some("/x".into()), Some("/h".into())), Some(PathBuf::from("/x/keystoneauth-rs")));
/// assert_eq!(default_dir(Some("".into()), Some("/h".into())), Some(PathBuf::from("/h/.cache/keystoneauth-rs")));
/// assert_eq!(default_dir(None, None), None);
/// ```
pub fn default_dir(
    xdg_cache_home: Option<String>,
    home: Option<String>,
) -> Option<std::path::PathBuf> {
    let base = xdg_cache_home
        .filter(|s| !s.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            home.filter(|s| !s.is_empty())
                .map(|h| std::path::Path::new(&h).join(".cache"))
        })?;
    Some(base.join("keystoneauth-rs"))
}

/// HMAC-SHA-256 of `parts` (each followed by a NUL byte) under `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    // HMAC takes keys of any length: new_from_slice cannot fail.
    let mut mac = match <Hmac<sha2::Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    for p in parts {
        mac.update(p);
        mac.update(&[0]);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time equality of two byte strings.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

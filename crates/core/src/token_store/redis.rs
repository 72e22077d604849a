//! The Redis store (feature `redis`): one token per cache key for a fleet of machines.
//!
//! - Keys are `keystoneauth-rs:token:<hex>` and `keystoneauth-rs:lock:<hex>`, where `<hex>`
//!   is an HMAC-SHA-256 of the cache key under a key derived from the user's: Redis never
//!   sees a cache id (a hash of the credentials, password included).
//! - Values are `nonce (12 bytes) ‖ AES-256-GCM(JSON of the expiry and auth state)`, with
//!   the Redis key as associated data: whoever can read Redis (or its dumps) cannot use the
//!   tokens, nor move one to another key. A value that does not decrypt is ignored with a
//!   warning.
//! - Entries expire with their token (`SET … PX <time left>`).
//! - The refresh lock is `SET lock <random> NX PX <ttl>`, released by a Lua
//!   compare-and-delete (only the holder's own lock is deleted). A holder that dies keeps
//!   it at most `ttl`.
//! - Every command has a time limit (2 s by default); an unreachable Redis is an error the
//!   plugin turns into a warning, and it authenticates on its own.

use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use base64::Engine as _;
use rand::RngCore as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use super::{hmac_sha256, StoreLock, StoredToken, TokenStore};
use crate::error::{Error, Result};

const TARGET: &str = "keystoneauth::token_store";
const NONCE_LEN: usize = 12;
/// How long a lock holder may take to refresh before its lock expires.
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(30);
/// The time limit of each Redis command (and of connecting).
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

const RELEASE: &str = r"if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
else
  return 0
end";

/// The Redis token store. See the [module documentation](self).
pub struct RedisStore {
    conn: ConnectionManager,
    cipher: Aes256Gcm,
    name_key: [u8; 32],
    prefix: String,
    lock_ttl: Duration,
    timeout: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("lock_ttl", &self.lock_ttl)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct Value {
    expires_at: i64,
    state: String,
}

fn redis_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Config(format!("token store (redis): {what}: {e}"))
}

/// The 32-byte master key for a user-given key: the key itself when it is 32 bytes in
/// base64 (`openssl rand -base64 32`), else the SHA-256 of the text (use a long random text).
fn master_key(key: &SecretString) -> [u8; 32] {
    let text = key.expose_secret().trim();
    if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(text) {
        if raw.len() == 32 {
            let mut k = [0; 32];
            k.copy_from_slice(&raw);
            return k;
        }
    }
    let mut h = Sha256::new();
    h.update(b"keystoneauth-rs token store key\0");
    h.update(text.as_bytes());
    h.finalize().into()
}

impl RedisStore {
    /// Connect to `url` (`redis://[user:password@]host[:port][/db]`, or `rediss://` when
    /// built with TLS support in `redis`), encrypting with a key derived from `key`.
    pub async fn connect(url: &str, key: &SecretString) -> Result<RedisStore> {
        Self::connect_with(url, key, DEFAULT_COMMAND_TIMEOUT).await
    }

    /// [`connect`](Self::connect) with another command time limit.
    pub async fn connect_with(
        url: &str,
        key: &SecretString,
        timeout: Duration,
    ) -> Result<RedisStore> {
        if key.expose_secret().trim().is_empty() {
            return Err(Error::OptionError(
                "the redis token store needs a non-empty key".into(),
            ));
        }
        // The URL may hold a password: it is not repeated in errors.
        let client = redis::Client::open(url).map_err(|e| redis_err("invalid URL", e))?;
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let conn = tokio::time::timeout(
            timeout + Duration::from_millis(500),
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| redis_err("connect", "timed out"))?
        .map_err(|e| redis_err("connect", e))?;
        let master = master_key(key);
        let enc = hmac_sha256(&master, &[b"keystoneauth-rs redis store: encryption"]);
        let name_key = hmac_sha256(&master, &[b"keystoneauth-rs redis store: names"]);
        let cipher = Aes256Gcm::new_from_slice(&enc).map_err(|e| redis_err("key", e))?;
        Ok(RedisStore {
            conn,
            cipher,
            name_key,
            prefix: "keystoneauth-rs:".into(),
            lock_ttl: DEFAULT_LOCK_TTL,
            timeout,
        })
    }

    /// Prefix every Redis key with this (default `keystoneauth-rs:`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a lock lasts if its holder never releases it (default 30 s).
    pub fn lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl;
        self
    }

    /// The Redis key of a cache key's entry.
    pub fn entry_key(&self, key: &str) -> String {
        format!("{}token:{}", self.prefix, self.hashed(key))
    }

    fn lock_key(&self, key: &str) -> String {
        format!("{}lock:{}", self.prefix, self.hashed(key))
    }

    fn hashed(&self, key: &str) -> String {
        hex::encode(hmac_sha256(&self.name_key, &[key.as_bytes()]))
    }

    async fn run<T: redis::FromRedisValue>(&self, what: &str, cmd: &redis::Cmd) -> Result<T> {
        let mut conn = self.conn.clone();
        tokio::time::timeout(self.timeout, cmd.query_async(&mut conn))
            .await
            .map_err(|_| redis_err(what, "timed out"))?
            .map_err(|e| redis_err(what, e))
    }

    fn seal(&self, rkey: &str, plain: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: rkey.as_bytes(),
                },
            )
            .map_err(|_| redis_err("encrypt", "failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn open_value(&self, rkey: &str, data: &[u8]) -> Option<Vec<u8>> {
        if data.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = data.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: rkey.as_bytes(),
                },
            )
            .ok()
    }
}

#[async_trait]
impl TokenStore for RedisStore {
    async fn get(&self, key: &str) -> Result<Option<StoredToken>> {
        let rkey = self.entry_key(key);
        let data: Option<Vec<u8>> = self.run("GET", redis::cmd("GET").arg(&rkey)).await?;
        let Some(data) = data else {
            return Ok(None);
        };
        let Some(plain) = self.open_value(&rkey, &data) else {
            tracing::warn!(target: TARGET,
                "ignoring a token in Redis that does not decrypt (another key, or tampered); it will be replaced");
            return Ok(None);
        };
        let Ok(v) = serde_json::from_slice::<Value>(&plain) else {
            tracing::warn!(target: TARGET, "ignoring an unreadable token in Redis");
            return Ok(None);
        };
        let Ok(expires_at) = OffsetDateTime::from_unix_timestamp(v.expires_at) else {
            return Ok(None);
        };
        Ok(Some(StoredToken {
            state: SecretString::from(v.state),
            expires_at,
        }))
    }

    async fn put(&self, key: &str, token: &StoredToken) -> Result<()> {
        let ttl = token.time_left();
        if ttl < Duration::from_secs(1) {
            return Ok(());
        }
        let rkey = self.entry_key(key);
        let plain = serde_json::to_vec(&Value {
            expires_at: token.expires_at.unix_timestamp(),
            state: token.state.expose_secret().to_owned(),
        })
        .map_err(|e| redis_err("encode", e))?;
        let sealed = self.seal(&rkey, &plain)?;
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        self.run::<()>(
            "SET",
            redis::cmd("SET").arg(&rkey).arg(sealed).arg("PX").arg(ms),
        )
        .await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.run::<()>("DEL", redis::cmd("DEL").arg(self.entry_key(key)))
            .await
    }

    async fn lock(&self, key: &str, max_wait: Duration) -> Result<Option<Box<dyn StoreLock>>> {
        let lkey = self.lock_key(key);
        let mut token = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut token);
        let token = hex::encode(token);
        let ttl_ms = u64::try_from(self.lock_ttl.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let start = Instant::now();
        let mut step = Duration::from_millis(5);
        loop {
            let set: Option<String> = self
                .run(
                    "SET NX",
                    redis::cmd("SET")
                        .arg(&lkey)
                        .arg(&token)
                        .arg("NX")
                        .arg("PX")
                        .arg(ttl_ms),
                )
                .await?;
            if set.is_some() {
                return Ok(Some(Box::new(RedisLock {
                    conn: Some(self.conn.clone()),
                    key: lkey,
                    token,
                    timeout: self.timeout,
                })));
            }
            let waited = start.elapsed();
            if waited >= max_wait {
                return Ok(None);
            }
            tokio::time::sleep(step.min(max_wait - waited)).await;
            step = (step * 2).min(Duration::from_millis(50));
        }
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

/// A held Redis lock: released by compare-and-delete (only if it is still ours).
struct RedisLock {
    conn: Option<ConnectionManager>,
    key: String,
    token: String,
    timeout: Duration,
}

impl std::fmt::Debug for RedisLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLock").finish_non_exhaustive()
    }
}

async fn release_lock(
    mut conn: ConnectionManager,
    key: String,
    token: String,
    timeout: Duration,
) -> Result<()> {
    let script = redis::Script::new(RELEASE);
    let mut inv = script.key(&key);
    inv.arg(&token);
    tokio::time::timeout(timeout, inv.invoke_async::<i64>(&mut conn))
        .await
        .map_err(|_| redis_err("release", "timed out"))?
        .map_err(|e| redis_err("release", e))?;
    Ok(())
}

#[async_trait]
impl StoreLock for RedisLock {
    async fn release(mut self: Box<Self>) -> Result<()> {
        match self.conn.take() {
            Some(conn) => {
                release_lock(
                    conn,
                    std::mem::take(&mut self.key),
                    std::mem::take(&mut self.token),
                    self.timeout,
                )
                .await
            }
            None => Ok(()),
        }
    }
}

impl Drop for RedisLock {
    fn drop(&mut self) {
        // Not released explicitly: release in the background if a runtime is at hand; else
        // the lock expires after its ttl.
        if let (Some(conn), Ok(rt)) = (self.conn.take(), tokio::runtime::Handle::try_current()) {
            let (key, token, timeout) = (
                std::mem::take(&mut self.key),
                std::mem::take(&mut self.token),
                self.timeout,
            );
            rt.spawn(async move {
                let _ = release_lock(conn, key, token, timeout).await;
            });
        }
    }
}

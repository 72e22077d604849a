//! The kernel keyring store (Linux, feature `keyring`): tokens in the user's keyring of the
//! kernel's key retention service (keyutils), which needs no daemon and is shared by every
//! process and thread of the user, in every session.
//!
//! - A key per cache key, of type `user`, described `keystoneauth-rs:<hex>` where `<hex>` is
//!   the file store's HMAC of the cache key under the per-user key of its directory (see
//!   [`FileStore`]); it expires with the token (`keyctl_set_timeout`) and only its owner (and
//!   root) can read it.
//! - A keyring has no lock: the refresh lock is the file store's `flock`, on a lock file in
//!   the same private directory.
//! - Limits: keys live in kernel memory (gone at reboot), and the kernel caps what a user
//!   other than root may keep in keys: `kernel.keys.maxbytes`, 20,000 bytes by default, so
//!   a token with a large catalog may not fit (a warning; the plugin then authenticates on its
//!   own). root's cap is 25 MB.
//!
//! [`FileStore`]: super::FileStore

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use linux_keyutils::{KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::file::{ensure_dir, load_or_create_key, NAME_LABEL};
use super::lock::FileLock;
use super::{hmac_sha256, StoreLock, StoredToken, TokenStore};
use crate::error::{Error, Result};

/// The kernel keyring store. See the [module documentation](self).
pub struct KeyringStore {
    dir: PathBuf,
    key: [u8; 32],
    prefix: String,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("dir", &self.dir)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct Value {
    expires_at: i64,
    state: String,
}

fn keyring_err(what: &str, e: KeyError) -> Error {
    let hint = match e {
        KeyError::QuotaExceeded => {
            " (the kernel's per-user key quota, kernel.keys.maxbytes, is too small for this token)"
        }
        _ => "",
    };
    Error::Config(format!("token store (keyring): {what}: {e:?}{hint}"))
}

fn user_keyring() -> Result<KeyRing> {
    KeyRing::from_special_id(KeyRingIdentifier::User, false)
        .map_err(|e| keyring_err("the user keyring", e))
}

/// "No such key", in the forms the kernel gives it.
fn missing(e: &KeyError) -> bool {
    matches!(
        e,
        KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked
    )
}

impl KeyringStore {
    /// Tokens in the user's kernel keyring; lock files and the naming key in `dir` (created
    /// 0700, checked as [`FileStore::open`](super::FileStore::open) does).
    pub fn open(dir: impl Into<PathBuf>) -> Result<KeyringStore> {
        let dir = dir.into();
        ensure_dir(&dir)?;
        let key = load_or_create_key(&dir)?;
        user_keyring()?;
        Ok(KeyringStore {
            dir,
            key,
            prefix: "keystoneauth-rs:".into(),
        })
    }

    /// Describe keys with this prefix (default `keystoneauth-rs:`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The directory of the lock files and the naming key.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The kernel key's description for a cache key.
    pub fn description(&self, key: &str) -> String {
        format!(
            "{}{}",
            self.prefix,
            hex::encode(hmac_sha256(&self.key, &[NAME_LABEL, key.as_bytes()]))
        )
    }
}

#[async_trait]
impl TokenStore for KeyringStore {
    async fn get(&self, key: &str) -> Result<Option<StoredToken>> {
        let found = match user_keyring()?.search(&self.description(key)) {
            Ok(k) => k,
            Err(e) if missing(&e) => return Ok(None),
            Err(e) => return Err(keyring_err("search", e)),
        };
        let data = match found.read_to_vec() {
            Ok(d) => SecretString::from(String::from_utf8_lossy(&d).into_owned()),
            Err(e) if missing(&e) => return Ok(None),
            Err(e) => return Err(keyring_err("read", e)),
        };
        let Ok(v) = serde_json::from_str::<Value>(data.expose_secret()) else {
            tracing::warn!(target: "keystoneauth::token_store",
                "ignoring an unreadable token in the kernel keyring; it will be replaced");
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
        let left = token.time_left().as_secs();
        if left == 0 {
            return Ok(());
        }
        let data = SecretString::from(
            serde_json::to_string(&Value {
                expires_at: token.expires_at.unix_timestamp(),
                state: token.state.expose_secret().to_owned(),
            })
            .map_err(|e| Error::Config(format!("token store (keyring): encode: {e}")))?,
        );
        // Adding a key of the same description updates it in place.
        let k = user_keyring()?
            .add_key(&self.description(key), data.expose_secret().as_bytes())
            .map_err(|e| keyring_err("add", e))?;
        k.set_timeout(usize::try_from(left).unwrap_or(usize::MAX))
            .map_err(|e| keyring_err("set the timeout", e))?;
        // The owner reads it even from a process that does not possess the keyring (a
        // session of its own); nobody else.
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(
                Permission::VIEW
                    | Permission::READ
                    | Permission::WRITE
                    | Permission::SEARCH
                    | Permission::SETATTR,
            )
            .build();
        k.set_perms(perms)
            .map_err(|e| keyring_err("set the permissions", e))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match user_keyring()?.search(&self.description(key)) {
            Ok(k) => match k.invalidate() {
                Ok(()) => Ok(()),
                Err(e) if missing(&e) => Ok(()),
                Err(e) => Err(keyring_err("invalidate", e)),
            },
            Err(e) if missing(&e) => Ok(()),
            Err(e) => Err(keyring_err("search", e)),
        }
    }

    async fn lock(&self, key: &str, max_wait: Duration) -> Result<Option<Box<dyn StoreLock>>> {
        let name = hex::encode(hmac_sha256(&self.key, &[NAME_LABEL, key.as_bytes()]));
        let path = self.dir.join(format!("{name}.lock"));
        Ok(FileLock::acquire(&path, max_wait)
            .await?
            .map(|l| Box::new(l) as Box<dyn StoreLock>))
    }

    fn kind(&self) -> &'static str {
        "keyring"
    }
}

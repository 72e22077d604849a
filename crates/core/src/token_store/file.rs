//! The file store: one file per cache key in a private directory of the user's.
//!
//! - The directory is created 0700; one that is a symbolic link or another user's is
//!   refused, one that group or others can read or write is made 0700 again (with a warning).
//! - File names are `HMAC-SHA-256(key, cache key)` in hex, under a random per-user key kept
//!   0600 in the directory (`key`): a cache id is the unsalted SHA-256 of the credentials,
//!   password included, so naming files by it would let whoever can list the directory test
//!   password guesses offline.
//! - Entries are JSON holding the auth state, its expiry and an HMAC of both (and of the
//!   file name) under the same key: a corrupt, tampered or moved file is ignored with a
//!   warning, and replaced by the next token.
//! - Files are opened with `O_NOFOLLOW` (a symbolic link at an entry's path is ignored with
//!   a warning, never read or written through); one of another user, or that group or
//!   others can read, is ignored with a warning. Writes go to a temporary file created with
//!   `O_EXCL`, mode 0600, in the same directory, then renamed over the entry.
//! - The refresh lock is an advisory `flock` on `<name>.lock`, polled up to the wait.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::lock::{no_follow_flags, FileLock};
use super::{ct_eq, hmac_sha256, StoreLock, StoredToken, TokenStore};
use crate::error::{Error, Result};

const TARGET: &str = "keystoneauth::token_store";
/// The largest entry read: a token body with a big catalog is far smaller.
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;
const KEY_FILE: &str = "key";
const KEY_LEN: usize = 32;
const ENTRY_MAC_LABEL: &[u8] = b"keystoneauth-rs token store entry v1";
pub(crate) const NAME_LABEL: &[u8] = b"keystoneauth-rs token store file name v1";

/// The file token store. See the [module documentation](self).
pub struct FileStore {
    dir: PathBuf,
    key: [u8; KEY_LEN],
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    v: u32,
    expires_at: i64,
    state: String,
    mac: String,
}

/// What reading one of the store's files gave.
enum Read {
    Missing,
    /// There, but not to be trusted (a warning was logged).
    Untrusted,
    Data(Vec<u8>),
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Config(format!(
        "token store: cannot {what} {}: {e}",
        path.display()
    ))
}

/// Reads one of the store's files, refusing (with a warning) a symbolic link, anything but a
/// regular file, another user's file, one that group or others can read, and one too large.
fn read_private(path: &Path, what: &str) -> Read {
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(no_follow_flags())
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Read::Missing,
        Err(e) => {
            let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if link {
                tracing::warn!(target: TARGET, path = %path.display(),
                    "ignoring the token store's {what}: it is a symbolic link (it is never followed; the next token replaces it)");
            } else {
                tracing::warn!(target: TARGET, path = %path.display(), error = %e,
                    "ignoring the token store's {what}: cannot open it");
            }
            return Read::Untrusted;
        }
    };
    let md = match file.metadata() {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(target: TARGET, path = %path.display(), error = %e,
                "ignoring the token store's {what}: cannot stat it");
            return Read::Untrusted;
        }
    };
    if !md.is_file() {
        tracing::warn!(target: TARGET, path = %path.display(),
            "ignoring the token store's {what}: it is not a regular file");
        return Read::Untrusted;
    }
    if md.uid() != euid() {
        tracing::warn!(target: TARGET, path = %path.display(),
            "ignoring the token store's {what}: it belongs to another user (uid {})", md.uid());
        return Read::Untrusted;
    }
    if md.mode() & 0o077 != 0 {
        tracing::warn!(target: TARGET, path = %path.display(),
            "ignoring the token store's {what}: it is readable by group or others (mode {:o}); it will be replaced with a 0600 file",
            md.mode() & 0o777);
        return Read::Untrusted;
    }
    if md.len() > MAX_ENTRY_BYTES {
        tracing::warn!(target: TARGET, path = %path.display(),
            "ignoring the token store's {what}: it is larger than {MAX_ENTRY_BYTES} bytes");
        return Read::Untrusted;
    }
    let mut buf = Vec::with_capacity(md.len() as usize);
    if let Err(e) = (&mut file).take(MAX_ENTRY_BYTES).read_to_end(&mut buf) {
        tracing::warn!(target: TARGET, path = %path.display(), error = %e,
            "ignoring the token store's {what}: cannot read it");
        return Read::Untrusted;
    }
    Read::Data(buf)
}

/// Writes `data` to a new 0600 file in `dir` (created exclusively, so nothing planted is
/// written through), then renames it to `path`: readers see the old file or the new one.
/// With `replace` false, an existing `path` is kept and `AlreadyExists` returned.
fn write_atomic(dir: &Path, path: &Path, data: &[u8], replace: bool) -> std::io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    if replace {
        tmp.persist(path).map_err(|e| e.error)?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| e.error)?;
    }
    Ok(())
}

/// Creates the directory 0700 (its parents as usual), refuses one that is a symbolic link or
/// another user's, and repairs one that group or others can use.
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| io_err("create", parent, e))?;
    }
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_err("create", dir, e)),
    }
    let md = std::fs::symlink_metadata(dir).map_err(|e| io_err("stat", dir, e))?;
    if md.file_type().is_symlink() {
        return Err(Error::Config(format!(
            "token store: refusing the directory {}: it is a symbolic link",
            dir.display()
        )));
    }
    if !md.is_dir() {
        return Err(Error::Config(format!(
            "token store: {} is not a directory",
            dir.display()
        )));
    }
    if md.uid() != euid() {
        return Err(Error::Config(format!(
            "token store: refusing the directory {}: it belongs to another user (uid {})",
            dir.display(),
            md.uid()
        )));
    }
    if md.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(|e| io_err("chmod", dir, e))?;
        tracing::warn!(target: TARGET, path = %dir.display(),
            "the token store directory was open to group or others (mode {:o}); it is now 0700",
            md.mode() & 0o777);
    }
    Ok(())
}

/// The per-user key in `dir/key`: read if it is there and trusted, else made (32 random
/// bytes, 0600). Two processes making it at once agree on the first one written.
pub(crate) fn load_or_create_key(dir: &Path) -> Result<[u8; KEY_LEN]> {
    let path = dir.join(KEY_FILE);
    let replace = match read_private(&path, "key") {
        Read::Data(b) if b.len() == KEY_LEN => {
            let mut key = [0; KEY_LEN];
            key.copy_from_slice(&b);
            return Ok(key);
        }
        Read::Data(_) => {
            tracing::warn!(target: TARGET, path = %path.display(),
                "the token store's key has the wrong length; making a new one (stored tokens are dropped)");
            true
        }
        Read::Untrusted => true,
        Read::Missing => false,
    };
    let mut key = [0u8; KEY_LEN];
    rand::rngs::OsRng.fill_bytes(&mut key);
    match write_atomic(dir, &path, &key, replace) {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read_private(&path, "key")
        {
            // Another process made it first.
            Read::Data(b) if b.len() == KEY_LEN => {
                key.copy_from_slice(&b);
                Ok(key)
            }
            _ => Err(Error::Config(format!(
                "token store: cannot read the key {} another process wrote",
                path.display()
            ))),
        },
        Err(e) => Err(io_err("write", &path, e)),
    }
}

impl FileStore {
    /// The store in `dir`, created 0700 if missing (see the [module documentation](self)
    /// for what is refused or repaired).
    pub fn open(dir: impl Into<PathBuf>) -> Result<FileStore> {
        let dir = dir.into();
        ensure_dir(&dir)?;
        let key = load_or_create_key(&dir)?;
        Ok(FileStore { dir, key })
    }

    /// The store in the default directory ([`default_dir`](super::default_dir) of
    /// `XDG_CACHE_HOME` and `HOME`).
    pub fn open_default() -> Result<FileStore> {
        let dir = super::default_dir(
            std::env::var("XDG_CACHE_HOME").ok(),
            std::env::var("HOME").ok(),
        )
        .ok_or_else(|| {
            Error::Config("token store: neither XDG_CACHE_HOME nor HOME is set".into())
        })?;
        FileStore::open(dir)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file name of a cache key's entry: hex of an HMAC under the per-user key (the
    /// cache key itself never appears on disk).
    pub fn entry_name(&self, key: &str) -> String {
        hex::encode(hmac_sha256(&self.key, &[NAME_LABEL, key.as_bytes()]))
    }

    /// The path of a cache key's entry.
    pub fn entry_path(&self, key: &str) -> PathBuf {
        self.dir.join(self.entry_name(key))
    }

    fn mac(&self, name: &str, expires_at: i64, state: &str) -> [u8; 32] {
        hmac_sha256(
            &self.key,
            &[
                ENTRY_MAC_LABEL,
                name.as_bytes(),
                expires_at.to_string().as_bytes(),
                state.as_bytes(),
            ],
        )
    }

    fn decode(&self, name: &str, path: &Path, data: &[u8]) -> Option<StoredToken> {
        let warn = |why: &str| {
            tracing::warn!(target: TARGET, path = %path.display(),
                "ignoring a token store entry: {why}; it will be replaced");
        };
        let entry: Entry = match serde_json::from_slice(data) {
            Ok(e) => e,
            Err(_) => {
                warn("it is not a valid entry (corrupt?)");
                return None;
            }
        };
        let mac_ok = hex::decode(&entry.mac)
            .is_ok_and(|m| ct_eq(&m, &self.mac(name, entry.expires_at, &entry.state)));
        if entry.v != 1 || !mac_ok {
            warn("its authentication code does not match (tampered, or written with another key)");
            return None;
        }
        let Ok(expires_at) = OffsetDateTime::from_unix_timestamp(entry.expires_at) else {
            warn("its expiry is out of range");
            return None;
        };
        Some(StoredToken {
            state: SecretString::from(entry.state),
            expires_at,
        })
    }
}

#[async_trait]
impl TokenStore for FileStore {
    async fn get(&self, key: &str) -> Result<Option<StoredToken>> {
        let name = self.entry_name(key);
        let path = self.dir.join(&name);
        match read_private(&path, "entry") {
            Read::Data(d) => Ok(self.decode(&name, &path, &d)),
            Read::Missing | Read::Untrusted => Ok(None),
        }
    }

    async fn put(&self, key: &str, token: &StoredToken) -> Result<()> {
        let name = self.entry_name(key);
        let path = self.dir.join(&name);
        let expires_at = token.expires_at.unix_timestamp();
        let state = token.state.expose_secret();
        let entry = Entry {
            v: 1,
            expires_at,
            state: state.to_owned(),
            mac: hex::encode(self.mac(&name, expires_at, state)),
        };
        let data = serde_json::to_vec(&entry)
            .map_err(|e| Error::Config(format!("token store: cannot encode an entry: {e}")))?;
        write_atomic(&self.dir, &path, &data, true).map_err(|e| io_err("write", &path, e))?;
        tracing::debug!(target: TARGET, path = %path.display(), "stored the token");
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.entry_path(key);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove", &path, e)),
        }
    }

    async fn lock(&self, key: &str, max_wait: Duration) -> Result<Option<Box<dyn StoreLock>>> {
        let path = self.dir.join(format!("{}.lock", self.entry_name(key)));
        Ok(FileLock::acquire(&path, max_wait)
            .await?
            .map(|l| Box::new(l) as Box<dyn StoreLock>))
    }

    fn kind(&self) -> &'static str {
        "file"
    }
}

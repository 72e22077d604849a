//! `--auth-cache` and `--token-store`: the token store around the plugin.
//!
//! `--auth-cache` alone uses the file store in `$XDG_CACHE_HOME/keystoneauth-rs` (default
//! `~/.cache/keystoneauth-rs`). `--token-store` (also `OS_TOKEN_STORE`, clouds.yaml
//! `token_store`) chooses one, and turns the cache on:
//!
//! - `file`: the default directory; `file:DIR` (or `file://DIR`): another directory;
//! - `redis://…`, `rediss://…`: a Redis server, values encrypted with `OS_TOKEN_STORE_KEY`
//!   (clouds.yaml/secure.yaml `token_store_key`), when ksa is built with the `redis` feature;
//! - `keyring`: the user's kernel keyring (Linux), when ksa is built with the `keyring`
//!   feature; lock files in the default directory;
//! - `none`: no store, whatever `--auth-cache` says.
//!
//! A store that cannot be opened is reported with a warning, and ksa goes on without it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use keystoneauth::loading::CloudConfig;
use keystoneauth::token_store::{cache_key, FileStore, TokenStore, TokenStoreAuth};
use keystoneauth::AuthPlugin;

use crate::error::{Failure, Res};

/// Which store a run uses.
#[derive(Debug, PartialEq, Eq)]
pub enum StoreSpec {
    /// A file store in this directory (`None`: the default one).
    File(Option<PathBuf>),
    /// A Redis server.
    Redis(String),
    /// The user's kernel keyring (lock files in the default directory).
    Keyring,
}

/// The store named by `--token-store`/`OS_TOKEN_STORE`/`token_store` (`spec`), or the file
/// store for `--auth-cache`; `None` for no store.
pub fn parse_spec(spec: Option<&str>, auth_cache: bool) -> Res<Option<StoreSpec>> {
    let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(auth_cache.then_some(StoreSpec::File(None)));
    };
    if spec == "none" {
        return Ok(None);
    }
    if spec == "file" {
        return Ok(Some(StoreSpec::File(None)));
    }
    if let Some(dir) = spec
        .strip_prefix("file://")
        .or_else(|| spec.strip_prefix("file:"))
    {
        if dir.is_empty() {
            return Ok(Some(StoreSpec::File(None)));
        }
        return Ok(Some(StoreSpec::File(Some(PathBuf::from(dir)))));
    }
    if spec == "keyring" {
        return Ok(Some(StoreSpec::Keyring));
    }
    if spec.starts_with("redis://") || spec.starts_with("rediss://") {
        return Ok(Some(StoreSpec::Redis(spec.to_owned())));
    }
    Err(Failure::Usage(format!(
        "unknown token store {spec:?}: use file, file:DIR, redis://HOST[:PORT][/DB], keyring or none"
    )))
}

/// Open the store; `None` (with a warning) when it cannot be opened.
async fn open(spec: StoreSpec, config: &CloudConfig) -> Option<Arc<dyn TokenStore>> {
    let opened: keystoneauth::Result<Arc<dyn TokenStore>> = match spec {
        StoreSpec::File(dir) => match dir {
            Some(d) => FileStore::open(d),
            None => FileStore::open_default(),
        }
        .map(|s| Arc::new(s) as Arc<dyn TokenStore>),
        StoreSpec::Redis(url) => open_redis(&url, config).await,
        StoreSpec::Keyring => open_keyring(),
    };
    match opened {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(target: "ksa", "not using the token store: {e}");
            None
        }
    }
}

#[cfg(feature = "redis")]
async fn open_redis(url: &str, config: &CloudConfig) -> keystoneauth::Result<Arc<dyn TokenStore>> {
    use keystoneauth::token_store::RedisStore;
    let key = config.token_store_key.as_ref().ok_or_else(|| {
        keystoneauth::Error::OptionError(
            "the redis token store needs a key to encrypt tokens with: set OS_TOKEN_STORE_KEY \
             (or token_store_key in secure.yaml)"
                .into(),
        )
    })?;
    Ok(Arc::new(RedisStore::connect(url, key).await?))
}

#[cfg(not(feature = "redis"))]
async fn open_redis(_url: &str, _: &CloudConfig) -> keystoneauth::Result<Arc<dyn TokenStore>> {
    Err(keystoneauth::Error::OptionError(
        "this ksa was built without the redis feature".into(),
    ))
}

#[cfg(all(target_os = "linux", feature = "keyring"))]
fn open_keyring() -> keystoneauth::Result<Arc<dyn TokenStore>> {
    let dir = keystoneauth::token_store::default_dir(
        std::env::var("XDG_CACHE_HOME").ok(),
        std::env::var("HOME").ok(),
    )
    .ok_or_else(|| {
        keystoneauth::Error::Config("token store: neither XDG_CACHE_HOME nor HOME is set".into())
    })?;
    Ok(Arc::new(keystoneauth::token_store::KeyringStore::open(
        dir,
    )?))
}

#[cfg(not(all(target_os = "linux", feature = "keyring")))]
fn open_keyring() -> keystoneauth::Result<Arc<dyn TokenStore>> {
    Err(keystoneauth::Error::OptionError(
        "this ksa was built without the keyring feature (Linux only)".into(),
    ))
}

/// Wrap the plugin with the store the options name, if any: the plugin to use, and the
/// wrapper (for `ksa token forget` and `--revoke-cached`).
pub async fn wrap(
    plugin: Arc<dyn AuthPlugin>,
    config: &CloudConfig,
    auth_cache: bool,
    lock_wait: Option<Duration>,
) -> Res<(Arc<dyn AuthPlugin>, Option<Arc<TokenStoreAuth>>)> {
    let Some(spec) = parse_spec(config.token_store.as_deref(), auth_cache)? else {
        return Ok((plugin, None));
    };
    let Some(id) = plugin.cache_id() else {
        tracing::debug!(target: "ksa", auth_type = %config.auth_type,
            "this plugin has no cache id: its token is not stored");
        return Ok((plugin, None));
    };
    let Some(store) = open(spec, config).await else {
        return Ok((plugin, None));
    };
    // keystoneauth1's cache ids leave the system scope out: it goes into the key.
    let key = cache_key(&id, config.auth.get("system_scope").as_deref());
    let mut auth = TokenStoreAuth::new(plugin, store)?.with_cache_key(key);
    if let Some(w) = lock_wait {
        auth = auth.lock_wait(w);
    }
    let auth = Arc::new(auth);
    Ok((auth.clone(), Some(auth)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let p = |s: Option<&str>, c: bool| parse_spec(s, c).map_err(|_| ()).unwrap();
        assert_eq!(p(None, false), None);
        assert_eq!(p(None, true), Some(StoreSpec::File(None)));
        assert_eq!(p(Some(""), true), Some(StoreSpec::File(None)));
        assert_eq!(p(Some("none"), true), None);
        assert_eq!(p(Some("file"), false), Some(StoreSpec::File(None)));
        assert_eq!(
            p(Some("file:/tmp/x"), false),
            Some(StoreSpec::File(Some("/tmp/x".into())))
        );
        assert_eq!(
            p(Some("file:///tmp/x"), false),
            Some(StoreSpec::File(Some("/tmp/x".into())))
        );
        assert_eq!(
            p(Some("redis://127.0.0.1:6379/0"), false),
            Some(StoreSpec::Redis("redis://127.0.0.1:6379/0".into()))
        );
        assert_eq!(p(Some("keyring"), false), Some(StoreSpec::Keyring));
        assert!(matches!(
            parse_spec(Some("memcached://x"), true),
            Err(Failure::Usage(m)) if m.contains("unknown token store")
        ));
    }
}

//! `--auth-cache`: the plugin's token state in `$XDG_CACHE_HOME/keystoneauth-rs/<cache id>`
//! (default `~/.cache/keystoneauth-rs`), mode 0600, reused while valid.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use keystoneauth::AuthPlugin;

/// The cache directory.
pub fn cache_dir(xdg_cache_home: Option<String>, home: Option<String>) -> Option<PathBuf> {
    let base = xdg_cache_home
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            home.filter(|s| !s.is_empty())
                .map(|h| Path::new(&h).join(".cache"))
        })?;
    Some(base.join("keystoneauth-rs"))
}

/// The file name for a cache id: hex of the (base64) id's bytes.
pub fn file_name(cache_id: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cache_id)
        .unwrap_or_else(|_| cache_id.as_bytes().to_vec());
    hex::encode(bytes)
}

/// The entry's file name: [`file_name`] of the cache id, and for a system-scoped plugin its
/// scope after it (`…-system-<hex>`), so that it never shares an entry with the unscoped one.
pub fn entry_name(cache_id: &str, system_scope: Option<&str>) -> String {
    match system_scope.filter(|s| !s.is_empty()) {
        Some(scope) => format!("{}-system-{}", file_name(cache_id), hex::encode(scope)),
        None => file_name(cache_id),
    }
}

/// A cache entry for one plugin.
#[derive(Debug)]
pub struct AuthCache {
    path: PathBuf,
    /// The state that was loaded (to skip writing it back unchanged).
    loaded: Option<String>,
}

/// The file's text, unless others can read it: a token cache that group or other can read
/// is ignored with a warning (its token may have been seen; a new one is fetched and saved
/// 0600 in its place).
fn read_private(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            eprintln!(
                "ksa: warning: ignoring the auth cache {}: it is readable by group or others (mode {:o}); it will be replaced with a 0600 file",
                path.display(),
                mode & 0o777
            );
            return None;
        }
    }
    std::io::read_to_string(file).ok()
}

impl AuthCache {
    /// Open the entry for this plugin and install its state; `None` when the plugin has no
    /// cache id or there is no cache directory. `system_scope` is the plugin's system scope,
    /// if any: keystoneauth1's cache ids leave it out (an unscoped and a system-scoped plugin
    /// with the same credentials share one), so it is added to the file name here.
    pub fn open(
        plugin: &dyn AuthPlugin,
        dir: Option<PathBuf>,
        system_scope: Option<&str>,
    ) -> Option<AuthCache> {
        let id = plugin.cache_id()?;
        let path = dir?.join(entry_name(&id, system_scope));
        let mut loaded = None;
        if let Some(state) = read_private(&path) {
            match plugin.set_auth_state(Some(&state)) {
                Ok(()) => {
                    tracing::debug!(path = %path.display(), "using the cached token");
                    loaded = Some(state);
                }
                Err(e) => {
                    tracing::debug!(path = %path.display(), "dropping a cached state: {e}");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        Some(AuthCache { path, loaded })
    }

    /// Save the plugin's current state (0600, written to a temporary file then renamed).
    pub fn save(&self, plugin: &dyn AuthPlugin) -> std::io::Result<()> {
        let Some(state) = plugin.auth_state() else {
            return Ok(());
        };
        if self.loaded.as_deref() == Some(state.as_str()) {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
        let tmp = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(state.as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &self.path)
    }

    /// Remove the entry (the token was refused).
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_dirs() {
        assert_eq!(file_name("AAEC"), "000102");
        assert_eq!(file_name("not base64!"), hex::encode("not base64!"));
        assert_eq!(
            cache_dir(Some("/x".into()), Some("/h".into())),
            Some(PathBuf::from("/x/keystoneauth-rs"))
        );
        assert_eq!(
            cache_dir(Some(String::new()), Some("/h".into())),
            Some(PathBuf::from("/h/.cache/keystoneauth-rs"))
        );
        assert_eq!(cache_dir(None, None), None);
        assert_eq!(entry_name("AAEC", None), "000102");
        assert_eq!(entry_name("AAEC", Some("")), "000102");
        assert_eq!(entry_name("AAEC", Some("all")), "000102-system-616c6c");
    }
}

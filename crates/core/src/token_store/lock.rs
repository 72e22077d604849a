//! The file store's refresh lock: an advisory `flock` on `<entry>.lock`, taken with a bounded
//! wait. The kernel releases it when the holder's file is closed, so a holder that dies
//! (even by SIGKILL) never keeps it.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::Path;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::StoreLock;
use crate::error::{Error, Result};

/// A held lock; dropping it (closing the file) releases it.
#[derive(Debug)]
pub(crate) struct FileLock {
    file: File,
}

/// Open flags for every file of the store: never through a symbolic link, and never
/// blocking on a FIFO planted at the path.
pub(crate) fn no_follow_flags() -> i32 {
    (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32
}

impl FileLock {
    /// Take the lock on `path` (created 0600 if missing), waiting at most `max_wait`;
    /// `Ok(None)` when another holder kept it that long.
    pub(crate) async fn acquire(path: &Path, max_wait: Duration) -> Result<Option<FileLock>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(no_follow_flags())
            .open(path)
            .map_err(|e| {
                Error::Config(format!(
                    "token store: cannot open the lock file {}: {e}",
                    path.display()
                ))
            })?;
        let md = file
            .metadata()
            .map_err(|e| Error::Config(format!("token store: {}: {e}", path.display())))?;
        if !md.is_file() || md.uid() != rustix::process::geteuid().as_raw() {
            return Err(Error::Config(format!(
                "token store: the lock file {} is not a regular file of this user",
                path.display()
            )));
        }
        let start = Instant::now();
        let mut step = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(FileLock { file })),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => {
                    return Err(Error::Config(format!(
                        "token store: cannot lock {}: {e}",
                        path.display()
                    )))
                }
            }
            let waited = start.elapsed();
            if waited >= max_wait {
                return Ok(None);
            }
            // Poll: a blocking flock could not be given up at the deadline. Short steps
            // at first (the holder's refresh usually takes one round trip), then 50 ms.
            tokio::time::sleep(step.min(max_wait - waited)).await;
            step = (step * 2).min(Duration::from_millis(50));
        }
    }
}

#[async_trait]
impl StoreLock for FileLock {
    async fn release(self: Box<Self>) -> Result<()> {
        self.file
            .unlock()
            .map_err(|e| Error::Config(format!("token store: cannot unlock: {e}")))
    }
}

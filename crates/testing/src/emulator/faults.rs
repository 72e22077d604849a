//! Fault injection: [`Faults`], the handle that makes a running emulator delay, fail, drop or
//! truncate responses, or issue short-lived tokens.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::lock;

#[derive(Debug, Default)]
pub(crate) struct FaultState {
    pub delay: Duration,
    pub fail: u32,
    pub fail_status: u16,
    pub retry_after: Option<u64>,
    pub drop: u32,
    pub truncate: u32,
    pub token_ttl: Option<Duration>,
    pub path_prefix: Option<String>,
}

/// Makes a running emulator misbehave. Cloning shares the same settings.
///
/// Faults (other than the TTL) apply to every path, or only to paths starting with the prefix
/// set by [`Faults::only_path`]. Counted faults apply to the next N matching requests.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub(crate) inner: Arc<Mutex<FaultState>>,
}

impl Faults {
    /// Delays every matching response by `delay` (zero turns it off).
    pub fn delay(&self, delay: Duration) -> &Self {
        lock(&self.inner).delay = delay;
        self
    }

    /// The next `n` matching requests get `status` (e.g. 503) with a Keystone-style error body
    /// and, if given, `Retry-After: <seconds>`.
    pub fn fail_next(&self, n: u32, status: u16, retry_after: Option<u64>) -> &Self {
        let mut f = lock(&self.inner);
        f.fail = n;
        f.fail_status = status;
        f.retry_after = retry_after;
        self
    }

    /// The next `n` matching requests have their connection closed without a response.
    pub fn drop_next(&self, n: u32) -> &Self {
        lock(&self.inner).drop = n;
        self
    }

    /// The next `n` matching responses have their body cut in half (invalid JSON, consistent
    /// `Content-Length`).
    pub fn truncate_next(&self, n: u32) -> &Self {
        lock(&self.inner).truncate = n;
        self
    }

    /// Tokens issued from now on expire after `ttl` (overrides the builder's TTL).
    pub fn token_ttl(&self, ttl: Duration) -> &Self {
        lock(&self.inner).token_ttl = Some(ttl);
        self
    }

    /// Limits faults to paths starting with `prefix` (`None`: every path).
    pub fn only_path(&self, prefix: Option<&str>) -> &Self {
        lock(&self.inner).path_prefix = prefix.map(Into::into);
        self
    }

    /// Removes every fault.
    pub fn clear(&self) -> &Self {
        *lock(&self.inner) = FaultState::default();
        self
    }
}

//! The request limit of an adapter: a rate and a number of requests at once.

use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// The request limit of an adapter (keystoneauth1's `FairSemaphore`): at most `concurrency`
/// requests at once, waiting in turn (first come, first served), and request starts spaced
/// `1 / rate_limit` seconds apart. Unlike keystoneauth1 the spacing does not bank idle time
/// (no burst after a pause), the first request does not wait, and exactly `concurrency`
/// requests run at once (keystoneauth1 lets one more in).
#[derive(Debug)]
pub(crate) struct RequestLimiter {
    permits: Option<Semaphore>,
    spacing: Option<Duration>,
    next_start: std::sync::Mutex<Option<Instant>>,
}

impl RequestLimiter {
    pub(crate) fn new(rate_limit: Option<f64>, concurrency: Option<usize>) -> Self {
        RequestLimiter {
            permits: concurrency.map(Semaphore::new),
            spacing: rate_limit.map(|r| Duration::from_secs_f64(1.0 / r)),
            next_start: std::sync::Mutex::new(None),
        }
    }

    /// Wait for a turn; the permit (if concurrency is limited) is held until dropped.
    pub(crate) async fn acquire(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed, so acquire does not fail.
        let permit = match &self.permits {
            Some(s) => s.acquire().await.ok(),
            None => None,
        };
        if let Some(spacing) = self.spacing {
            let start = {
                let mut next = self.next_start.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let start = next.map_or(now, |n| n.max(now));
                *next = Some(start + spacing);
                start
            };
            tokio::time::sleep_until(start).await;
        }
        permit
    }
}

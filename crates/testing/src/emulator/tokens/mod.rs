//! The token API: issuing v3 tokens ([`v3`], with [`methods`] and [`scope`]) and v2.0 tokens ([`v2`]),
//! validating and revoking them ([`validate`]), and the clock and lifetime they share.

use axum::body::Body;
use axum::http::Response;
use time::OffsetDateTime;

use super::{lock, Shared};

mod methods;
mod scope;
mod v2;
mod v3;
mod validate;

pub(crate) use v2::issue_v2;
pub(crate) use v3::issue_v3;
pub(crate) use validate::{check, revoke, validate};

/// A step's result: its value, or the response that ends the request (boxed: responses are
/// large).
type Reply<T> = Result<T, Box<Response<Body>>>;

/// Whether the query asks for no catalog (`nocatalog`, `nocatalog=…`).
fn nocatalog(q: &Option<String>) -> bool {
    q.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|p| p == "nocatalog" || p.starts_with("nocatalog="))
    })
}

/// Now, to the second (Keystone's tokens carry no fraction).
fn now() -> OffsetDateTime {
    let n = OffsetDateTime::now_utc();
    n.replace_nanosecond(0).unwrap_or(n)
}

/// A new token's lifetime: the fault-injected TTL, else the builder's.
fn ttl(s: &Shared) -> time::Duration {
    let d = lock(&s.faults.inner)
        .token_ttl
        .unwrap_or(s.config.token_ttl);
    time::Duration::try_from(d).unwrap_or(time::Duration::hours(1))
}

//! Heap allocations per request: an authenticated `Session` GET with a cached token against
//! the same GET through bare reqwest on the same client (both figures include the in-process
//! server's own allocations, which are the same for both).
//!
//! `cargo run --release -p keystoneauth-bench --example allocs`
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counting calls and bytes.
struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(l.size(), Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds GlobalAlloc::alloc's contract.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded unchanged; the caller upholds GlobalAlloc::dealloc's contract.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(n, Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds GlobalAlloc::realloc's contract.
        unsafe { System.realloc(p, l, n) }
    }
}
#[global_allocator]
static A: Counting = Counting;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    use keystoneauth_bench::*;
    let addr = start_plain_server().await.unwrap();
    let base = format!("http://{addr}/compute/v2.1");
    let url = format!("{base}/servers");
    let client = bare_client();
    let session = static_session(&base, client.clone());
    for _ in 0..10 {
        session.get(url.as_str()).send().await.unwrap();
    }
    let n = 1000;
    let (a0, b0) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    for _ in 0..n {
        let r = client
            .get(url.as_str())
            .header("x-auth-token", TOKEN)
            .header("user-agent", session_user_agent())
            .send()
            .await
            .unwrap();
        r.bytes().await.unwrap();
    }
    let (a1, b1) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    for _ in 0..n {
        session.get(url.as_str()).send().await.unwrap();
    }
    let (a2, b2) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    println!(
        "bare: {} allocs {} bytes per request (incl. server)",
        (a1 - a0) / n,
        (b1 - b0) / n
    );
    println!(
        "ours: {} allocs {} bytes per request (incl. server)",
        (a2 - a1) / n,
        (b2 - b1) / n
    );
}

//! (b) An authenticated `Session` GET with a cached token against a local HTTP server, against
//! the same request through bare reqwest with the same client. Target: ≤ 1.05×.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use keystoneauth_bench::{
    bare_client, session_user_agent, start_plain_server, static_session, TOKEN,
};
use keystoneauth_core::EndpointFilter;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let addr = rt.block_on(start_plain_server()).expect("server starts");
    let base = format!("http://{addr}/compute/v2.1");
    let url = format!("{base}/servers");
    let client = bare_client();
    let session = static_session(&base, client.clone());
    // Warm the token cache and the connection pools.
    rt.block_on(async {
        session.get(url.as_str()).send().await.expect("session GET");
        client.get(url.as_str()).send().await.expect("reqwest GET");
    });

    let mut g = c.benchmark_group("get");
    g.bench_function("reqwest", |b| {
        b.to_async(&rt).iter(|| async {
            let resp = client
                .get(url.as_str())
                .header("x-auth-token", TOKEN)
                .header("user-agent", session_user_agent())
                .send()
                .await
                .expect("GET");
            assert!(resp.status().is_success());
            black_box(resp.bytes().await.expect("body"))
        })
    });
    g.bench_function("session", |b| {
        b.to_async(&rt).iter(|| async {
            let resp = session.get(url.as_str()).send().await.expect("GET");
            black_box(resp)
        })
    });
    g.bench_function("session_catalog", |b| {
        b.to_async(&rt).iter(|| async {
            let resp = session
                .get("/servers")
                .endpoint_filter(EndpointFilter::service("compute"))
                .send()
                .await
                .expect("GET");
            black_box(resp)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! (a) Parse a ~1 MB v3 token body (200 services × 3 interfaces × 10 regions) into
//! `AccessInfo` and look up 1,000 endpoints, against a bare `serde_json::Value` parse of the
//! same bytes. Target: ratio ≤ 1.3×.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keystoneauth_bench::{large_v3_token_body, lookups, parse_and_lookup};

fn bench(c: &mut Criterion) {
    let body = large_v3_token_body();
    let filters = lookups();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            let v: serde_json::Value =
                serde_json::from_slice(black_box(&body)).expect("valid JSON");
            black_box(v)
        })
    });
    g.bench_function("access_info_and_1000_lookups", |b| {
        b.iter(|| black_box(parse_and_lookup(black_box(&body), &filters)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

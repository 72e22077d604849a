//! (a) Parse a ~1 MB v3 token body (200 services × 3 interfaces × 10 regions) into
//! `AccessInfo` and look up 1,000 endpoints, against a bare `serde_json::Value` parse of the
//! same bytes. Target: ratio ≤ 1.3×.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keystoneauth_bench::{large_v3_token_body, lookups, parse_and_lookup, TOKEN};
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::AccessInfo;

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
    // The two halves of the above, to see where the time goes.
    g.bench_function("access_info_parse_only", |b| {
        b.iter(|| {
            black_box(
                AccessInfo::from_body(black_box(&body), Some(SecretString::from(TOKEN)))
                    .expect("parses"),
            )
        })
    });
    let catalog = AccessInfo::from_body(&body, Some(SecretString::from(TOKEN)))
        .expect("parses")
        .service_catalog();
    g.bench_function("lookups_only_1000", |b| {
        b.iter(|| {
            for f in &filters {
                black_box(catalog.endpoint_data_for(f).expect("matches"));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! `ksa versions show` against a hostile catalog of 2,000 services makes at most 50
//! discovery requests, and says so (issue 21 item 11): it used to fire one or more per
//! endpoint, all at once. The endpoints past the bound show the version their URL names,
//! status UNKNOWN; `--max-requests` moves the bound.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use std::sync::{Arc, OnceLock};

use keystoneauth_testing::fixtures::V3Token;
use serde_json::Value;
use support::Answer;

const SERVICES: usize = 2000;

fn token_body(base: &str) -> Vec<u8> {
    let mut t = V3Token::new();
    t.project_scope(
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "demo",
        "default",
        "Default",
    )
    .add_role("1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a", "member");
    for s in 0..SERVICES {
        t.add_service(&format!("svc-{s}"), &format!("name-{s}"))
            .add_endpoint("public", &format!("{base}/svc{s}/v2.1"), Some("R1"));
    }
    serde_json::to_vec(&t.to_json()).unwrap()
}

/// Discovery requests made so far (every path under `/svc`).
fn discovery_requests(canned: &support::Canned) -> usize {
    canned
        .paths
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.starts_with("/svc"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_show_bounds_discovery_and_says_so() {
    // Every service answers its own version document.
    let base: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let b = base.clone();
    let handler: support::Handler = Arc::new(move |method: &str, path: &str| {
        (method == "GET" && path.starts_with("/svc")).then(|| {
            let href = format!("{}{}", b.get().unwrap(), path);
            Answer::json(
                200,
                serde_json::json!({"version": {"id": "v2.1", "status": "CURRENT",
                    "updated": "2020-01-01T00:00:00Z",
                    "links": [{"rel": "self", "href": href}]}})
                .to_string(),
            )
        })
    });
    let canned = support::start_with(token_body, handler).await;
    base.set(canned.base.clone()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = canned.env();

    let run = |extra: &'static [&'static str]| {
        let mut args = vec!["versions", "show", "-f", "json"];
        args.extend_from_slice(extra);
        args
    };
    for (extra, bound) in [(&[][..], 50), (&["--max-requests", "120"][..], 120)] {
        let before = discovery_requests(&canned);
        let out = support::ksa(home.path(), &env, &run(extra)).await;
        let rows: Value = serde_json::from_str(&support::ok(&out)).unwrap();
        let asked = discovery_requests(&canned) - before;
        assert_eq!(asked, bound, "{extra:?}: discovery requests");
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), SERVICES, "{extra:?}: every endpoint is listed");
        let current = rows.iter().filter(|r| r["Status"] == "CURRENT").count();
        let unknown = rows.iter().filter(|r| r["Status"] == "UNKNOWN").count();
        assert_eq!((current, unknown), (bound, SERVICES - bound), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let said = format!(
            "{} of {SERVICES} endpoints were not asked for their versions: at most {bound} discovery requests",
            SERVICES - bound
        );
        assert_eq!(err.matches(&said).count(), 1, "{extra:?}: {err}");
    }
}

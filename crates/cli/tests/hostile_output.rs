//! Control characters and escape sequences from a server never reach the terminal raw
//! (issue 21 item 8): catalog names, types, regions and URLs in every output format, the
//! server's error messages on stderr, and `--debug` log lines (a CR/LF in a catalog URL
//! cannot split a line). Text formats show them escaped (`\u{1b}`); json and yaml escape
//! them in their own syntax and read back to the server's exact text.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use std::sync::Arc;

use keystoneauth_testing::fixtures::V3Token;
use serde_json::Value;
use support::Answer;

/// OSC (set the window title), BEL, CSI (clear the screen), the one-character C1 CSI, DEL.
const NAME: &str = "nova\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{7f}";
/// Backspaces that would overwrite the region shown.
const REGION: &str = "RegionOne\u{8}\u{8}\u{8}Two";
/// A URL path with a CR/LF and a header-like line after it, and an ESC.
const URL_TAIL: &str = "/v2.1\r\nINJECTED: forged\u{1b}[31m";
/// An error message that clears the screen and rewrites the line.
const MESSAGE: &str = "denied\u{1b}[2J\rall good\u{9b}0m";

/// Raw control characters in `text` other than the line break (and, for logs, none at all).
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect()
}

fn token_body(base: &str) -> Vec<u8> {
    let mut t = V3Token::new();
    t.project_scope(
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "demo",
        "default",
        "Default",
    )
    .add_role("1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a", "member");
    t.add_service("compute", NAME).add_endpoint(
        "public",
        &format!("{base}{URL_TAIL}"),
        Some(REGION),
    );
    t.add_service("identity", "keystone").add_endpoint(
        "public",
        &format!("{base}/v3"),
        Some(REGION),
    );
    serde_json::to_vec(&t.to_json()).unwrap()
}

/// A canned Keystone whose catalog is hostile, and whose compute service answers every
/// request with a 403 carrying [`MESSAGE`].
async fn hostile() -> support::Canned {
    let handler: support::Handler = Arc::new(|method: &str, path: &str| {
        (method == "GET" && !path.starts_with("/v3")).then(|| {
            Answer::json(
                403,
                serde_json::json!({"error": {"code": 403, "title": "Forbidden", "message": MESSAGE}})
                    .to_string(),
            )
        })
    });
    support::start_with(token_body, handler).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_text_from_the_server_is_escaped_in_every_format() {
    let canned = hostile().await;
    let home = tempfile::tempdir().unwrap();
    let env = canned.env();
    let cases: &[&[&str]] = &[
        &["catalog", "list"],
        &["catalog", "list", "-f", "value"],
        &["catalog", "list", "-f", "csv"],
        &["catalog", "list", "-f", "json"],
        &["catalog", "list", "-f", "yaml"],
        &["catalog", "show", "compute"],
        &["catalog", "show", "compute", "-f", "value"],
        &["catalog", "show", "compute", "-f", "shell"],
        &["catalog", "show", "compute", "-f", "json"],
        &["catalog", "show", "compute", "-f", "yaml"],
        &["endpoint", "compute"],
    ];
    for args in cases {
        let out = support::ksa(home.path(), &env, args).await;
        let text = support::ok(&out);
        assert_eq!(
            raw_controls(&text),
            Vec::<char>::new(),
            "{args:?} printed:\n{text}"
        );
        let format = args
            .iter()
            .position(|a| *a == "-f")
            .map(|i| args[i + 1])
            .unwrap_or("table");
        match format {
            // Their own escapes: the data reads back exactly.
            "json" | "yaml" => {
                let v: Value = if format == "json" {
                    serde_json::from_str(&text).unwrap()
                } else {
                    serde_saphyr::from_str(&text).unwrap()
                };
                let compute = if args[1] == "list" {
                    v.as_array()
                        .unwrap()
                        .iter()
                        .find(|s| s["Type"] == "compute")
                        .unwrap()
                        .clone()
                } else {
                    v.clone()
                };
                let name = compute.get("Name").or(compute.get("name")).unwrap();
                assert_eq!(name, NAME, "{args:?}");
                let endpoints = compute
                    .get("Endpoints")
                    .or(compute.get("endpoints"))
                    .unwrap();
                assert_eq!(endpoints[0]["region"], REGION, "{args:?}");
                let url = endpoints[0]["url"].as_str().unwrap();
                assert!(url.ends_with(URL_TAIL), "{args:?}: {url:?}");
            }
            // Shown escaped, on the line they belong to.
            _ if args[0] == "endpoint" => {
                assert!(text.contains("\\r\\nINJECTED: forged\\u{1b}[31m"), "{text}");
                assert_eq!(text.lines().count(), 1, "{text}");
            }
            _ => {
                // csv and shell write a backslash as two (Python's csv module, a shell word).
                let text = if format == "csv" || format == "shell" {
                    text.replace("\\\\", "\\")
                } else {
                    text
                };
                assert!(
                    text.contains("nova\\u{1b}]0;pwned\\u{7}"),
                    "{args:?}: {text}"
                );
                assert!(text.contains("RegionOne\\u{8}"), "{args:?}: {text}");
                assert!(
                    !text.lines().any(|l| l.trim_start().starts_with("INJECTED")),
                    "{args:?}: a URL's line break split the output:\n{text}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_servers_error_message_and_the_debug_log_are_escaped() {
    let canned = hostile().await;
    let home = tempfile::tempdir().unwrap();
    let env = canned.env();

    // A refused login's message on stderr: one line, escaped.
    let refusing = support::start(
        Vec::new(),
        Arc::new(|method: &str, path: &str| {
            (method == "POST" && path == "/v3/auth/tokens").then(|| {
                Answer::json(
                    401,
                    serde_json::json!({"error": {"code": 401, "title": "Unauthorized", "message": MESSAGE}})
                        .to_string(),
                )
            })
        }),
    )
    .await;
    let out = support::ksa(home.path(), &refusing.env(), &["token", "issue"]).await;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{err}");
    assert_eq!(raw_controls(&err), Vec::<char>::new(), "{err}");
    assert!(
        err.contains("denied\\u{1b}[2J"),
        "the message is shown, escaped: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // --debug: every line of the log is whole; nothing raw.
    let out = support::ksa(
        home.path(),
        &env,
        &["--debug", "request", "GET", "compute", "/servers"],
    )
    .await;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(raw_controls(&err), Vec::<char>::new(), "{err}");
    assert!(
        !err.lines().any(|l| l.trim_start().starts_with("INJECTED")),
        "a catalog URL split a log line:\n{err}"
    );
    assert!(
        err.contains("REQ: curl") || err.contains("curl -g -i"),
        "{err}"
    );
    // The status line names the server's reason as HTTP does, not the body.
    assert!(err.contains("403 Forbidden"), "{err}");
}

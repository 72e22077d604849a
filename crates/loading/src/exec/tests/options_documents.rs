//! Documents that hold the options of another plugin.

use super::*;

#[tokio::test]
async fn options_document_loads_and_delegates_to_the_plugin() {
    let d = Dir::new();
    let mut doc = options_doc("sec-opt-1");
    doc["auth"]["old-hint"] = json!("hint-1"); // a deprecated spelling, with a dash
    let plugin = ExecPlugin::new([d.printing(&doc)])
        .unwrap()
        .default_auth_url("http://127.0.0.1:9/v3");
    let s = session();
    for _ in 0..3 {
        assert_eq!(
            auth_token(&plugin.auth_headers(&s).await.unwrap().unwrap()),
            "sec-opt-1"
        );
    }
    assert_eq!(
        plugin.project_id(&s).await.unwrap().as_deref(),
        Some("hint-1")
    );
    // The exec plugin's auth_url is the default of the inner plugin's.
    assert_eq!(
        AuthPlugin::auth_url(&plugin).as_deref(),
        Some("http://127.0.0.1:9/v3")
    );
    assert_eq!(
        d.runs(),
        1,
        "the command does not run while the plugin works"
    );
    let dbg = format!("{plugin:?}");
    assert!(dbg.contains("t-exec-inner"), "{dbg}");
}

#[tokio::test]
async fn a_refused_plugin_runs_the_command_again_once() {
    let d = Dir::new();
    let plugin = ExecPlugin::new([d.printing(&options_doc("sec-rot-1"))]).unwrap();
    let s = session();
    assert_eq!(
        auth_token(&plugin.auth_headers(&s).await.unwrap().unwrap()),
        "sec-rot-1"
    );
    // The credential is rotated: the old one is refused, the command prints the new one.
    revoke("sec-rot-1");
    d.set_doc(&options_doc("sec-rot-2"));
    assert_eq!(
        auth_token(&plugin.auth_headers(&s).await.unwrap().unwrap()),
        "sec-rot-2"
    );
    assert_eq!(d.runs(), 2);
    // Deleted, as Keystone answers it (404 to POST /v3/auth/tokens): the same.
    delete("sec-rot-2");
    d.set_doc(&options_doc("sec-rot-3"));
    assert_eq!(
        auth_token(&plugin.auth_headers(&s).await.unwrap().unwrap()),
        "sec-rot-3"
    );
    assert_eq!(d.runs(), 3);
    // Still refused after the new run: the 401 is returned, with one run more, no loop.
    revoke("sec-rot-3");
    let e = plugin.auth_headers(&s).await.unwrap_err();
    assert_eq!(e.status(), Some(401), "{e}");
    assert_eq!(d.runs(), 4);
    // Another 404 is not a refused credential: the command does not run again.
    d.set_doc(&options_doc("missing-1"));
    let plugin = ExecPlugin::new([d.printing(&options_doc("missing-1"))]).unwrap();
    let e = plugin.auth_headers(&s).await.unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
    assert_eq!(d.runs(), 5);
}

#[tokio::test]
async fn options_document_errors() {
    let d = Dir::new();
    let cases = [
        (
            json!({"version": 1, "auth_type": "exec", "auth": {}}),
            "auth_type exec",
        ),
        (
            json!({"version": 1, "auth_type": "t-exec-inner", "auth": {"secret": "s-unk", "pasword": "hunter2"}}),
            "pasword",
        ),
        (
            json!({"version": 1, "auth_type": "t-exec-inner", "auth": {}}),
            "without secret",
        ),
        (
            json!({"version": 1, "auth_type": "t-exec-inner", "auth": "x"}),
            "`auth` is a string",
        ),
        (
            json!({"version": 1, "auth_type": "no-such-plugin"}),
            "no-such-plugin",
        ),
    ];
    for (doc, want) in cases {
        let plugin = ExecPlugin::new([d.printing(&doc)]).unwrap();
        let e = headers_of(&plugin).await.unwrap_err();
        let text = err_text(&e);
        assert!(text.contains(want), "{want}: {text}");
        assert!(
            !text.contains("hunter2") && !text.contains("s-unk"),
            "{text}"
        );
    }
}

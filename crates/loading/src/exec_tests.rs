//! Tests of the `exec` plugin with small shell scripts written into a temporary directory.
#![cfg(unix)]

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keystoneauth_core::http::{HeaderMap, HeaderValue};
use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AuthPlugin, EndpointFilter, Error, HttpError, Result, Session};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

// ------------------------------------------------------------------ helpers

/// A temporary directory with scripts and the file each run appends to.
struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Write an executable `/bin/sh` script; `$D` is this directory. Every run appends a line
    /// to `$D/runs` first.
    fn script(&self, name: &str, body: &str) -> String {
        let p = self.path(name);
        let text = format!(
            "#!/bin/sh\nD='{}'\necho run >> \"$D/runs\"\n{body}\n",
            self.dir.path().display()
        );
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p.to_str().unwrap().to_owned()
    }

    /// A script printing `doc` (kept in a file, so the test can change it between runs).
    fn printing(&self, doc: &Value) -> String {
        self.set_doc(doc);
        self.script("print-doc", "cat \"$D/doc.json\"")
    }

    fn set_doc(&self, doc: &Value) {
        std::fs::write(self.path("doc.json"), doc.to_string()).unwrap();
    }

    fn runs(&self) -> usize {
        std::fs::read_to_string(self.path("runs"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

fn rfc3339_in(d: Duration) -> String {
    (time::OffsetDateTime::now_utc() + d)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn rfc3339_ago(d: Duration) -> String {
    (time::OffsetDateTime::now_utc() - d)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn session() -> Session {
    Session::builder().build().unwrap()
}

fn catalog(base: &str) -> Value {
    json!([{
        "type": "compute", "name": "nova", "id": "svc-compute",
        "endpoints": [{"id": "ep-1", "interface": "public", "region_id": "RegionOne",
                       "url": format!("{base}/compute/v2.1")}]
    }])
}

fn token_doc(token: &str, expires_in: Duration) -> Value {
    json!({"version": 1, "token": token, "expires_at": rfc3339_in(expires_in)})
}

fn err_text(e: &Error) -> String {
    e.to_string()
}

async fn headers_of(p: &ExecPlugin) -> Result<HeaderMap> {
    Ok(p.auth_headers(&session()).await?.unwrap())
}

fn auth_token(h: &HeaderMap) -> &str {
    h.get("x-auth-token").unwrap().to_str().unwrap()
}

// ------------------------------------------------------------------ a plugin for options documents

/// Secrets `t-exec-inner` refuses with 401 (each test uses its own), and those it refuses
/// as Keystone refuses a deleted application credential (404 to `POST /v3/auth/tokens`).
static REVOKED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
static DELETED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn revoke(secret: &str) {
    REVOKED
        .lock()
        .unwrap()
        .get_or_insert_with(HashSet::new)
        .insert(secret.to_owned());
}

fn delete(secret: &str) {
    DELETED
        .lock()
        .unwrap()
        .get_or_insert_with(HashSet::new)
        .insert(secret.to_owned());
}

fn is_in(set: &Mutex<Option<HashSet<String>>>, secret: &str) -> bool {
    set.lock()
        .unwrap()
        .as_ref()
        .is_some_and(|r| r.contains(secret))
}

fn http_error(status: u16, url: &str, method: &str) -> Error {
    Error::from_http(HttpError::new(status, "refused", url, method))
}

#[derive(Debug)]
struct Inner {
    secret: String,
    auth_url: Option<String>,
    region: Option<String>,
}

#[keystoneauth_core::async_trait]
impl AuthPlugin for Inner {
    async fn auth_headers(&self, _s: &Session) -> Result<Option<HeaderMap>> {
        let tokens = "http://keystone.invalid/v3/auth/tokens";
        if is_in(&REVOKED, &self.secret) {
            return Err(http_error(401, tokens, "POST"));
        }
        if is_in(&DELETED, &self.secret) {
            return Err(http_error(404, tokens, "POST"));
        }
        if self.secret.starts_with("missing-") {
            return Err(http_error(
                404,
                "http://keystone.invalid/v3/projects/x",
                "GET",
            ));
        }
        let mut h = HeaderMap::new();
        h.insert("x-auth-token", HeaderValue::from_str(&self.secret).unwrap());
        Ok(Some(h))
    }
    fn auth_url(&self) -> Option<String> {
        self.auth_url.clone()
    }
    async fn project_id(&self, _s: &Session) -> Result<Option<String>> {
        Ok(self.region.clone())
    }
}

fn inner_opts() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Authentication URL"),
        Opt::new("secret", "The secret").secret().required(),
        Opt::new("region-hint", "Anything").deprecated(&["old-hint"]),
    ]
}

fn create_inner(v: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(Inner {
        secret: v.get("secret").unwrap_or_default(),
        auth_url: v.get("auth_url"),
        region: v.get("region_hint"),
    }))
}

keystoneauth_core::register_plugin! {
    name: "t-exec-inner",
    description: "test",
    options: inner_opts,
    create: create_inner,
}

fn options_doc(secret: &str) -> Value {
    json!({"version": 1, "auth_type": "t-exec-inner", "auth": {"secret": secret}})
}

// ------------------------------------------------------------------ options and parsing

#[test]
fn command_forms() {
    assert_eq!(
        parse_command(" [\"a b\", \"c,d\"] ").unwrap(),
        vec!["a b", "c,d"]
    );
    assert_eq!(
        parse_command("sh, -c ,echo hi").unwrap(),
        vec!["sh", "-c", "echo hi"]
    );
    assert!(matches!(
        parse_command("[\"unterminated\""),
        Err(Error::OptionError(_))
    ));
    assert!(matches!(parse_command("[]"), Err(Error::OptionError(_))));
    assert!(matches!(parse_command(" , "), Err(Error::OptionError(_))));
    assert!(matches!(
        ExecPlugin::new(Vec::<String>::new()),
        Err(Error::OptionError(_))
    ));
}

#[test]
fn env_and_timeout_forms() {
    let names = |v: Vec<(String, SecretString)>| {
        v.into_iter()
            .map(|(k, v)| format!("{k}={}", v.expose_secret()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(parse_env(r#"{"A": "1", "B": 2}"#).unwrap()),
        vec!["A=1", "B=2"]
    );
    assert_eq!(
        names(parse_env("A=1, B=x=y").unwrap()),
        vec!["A=1", "B=x=y"]
    );
    assert_eq!(names(parse_env(r#"["A=1,2"]"#).unwrap()), vec!["A=1,2"]);
    let e = parse_env("A=1,VAULT_TOKEN:s.hunter2").unwrap_err();
    assert!(matches!(e, Error::OptionError(_)), "{e}");
    assert!(
        e.to_string().contains("item 2") && !e.to_string().contains("hunter2"),
        "{e}"
    );
    assert!(parse_env(r#"{"A": {"x": 1}}"#).is_err());
    assert!(parse_env("=v").is_err());
    assert_eq!(parse_timeout("2.5").unwrap(), Duration::from_millis(2500));
    for bad in ["0", "-1", "abc", "1e9", "NaN"] {
        assert!(
            matches!(parse_timeout(bad), Err(Error::OptionError(_))),
            "{bad}"
        );
    }
}

#[test]
fn from_options_and_debug_show_no_values() {
    let values = OptionValues::new()
        .with("command", r#"["/usr/bin/vault", "kv", "get", "secret/x"]"#)
        .with("timeout", "7")
        .with("env", r#"{"VAULT_TOKEN": "s.hunter2hunter2"}"#)
        .with("auth_url", "http://127.0.0.1:1/v3");
    let p = ExecPlugin::from_options(&values).unwrap();
    assert_eq!(p.command().program(), "/usr/bin/vault");
    assert_eq!(p.command().timeout(), Duration::from_secs(7));
    let dbg = format!("{p:?}");
    assert!(
        dbg.contains("/usr/bin/vault") && dbg.contains("VAULT_TOKEN"),
        "{dbg}"
    );
    assert!(
        !dbg.contains("hunter2") && !dbg.contains("secret/x"),
        "{dbg}"
    );
    assert!(ExecPlugin::from_options(&OptionValues::new()).is_err());
}

#[test]
fn registered_as_exec() {
    let loader = keystoneauth_core::registry::loader("exec").unwrap();
    let opts = loader.opts();
    let cmd = opts.iter().find(|o| o.dest() == "command").unwrap();
    assert_eq!(cmd.env_vars(), vec!["OS_EXEC_COMMAND"]);
    assert_eq!(cmd.cli_flags(), vec!["--os-exec-command"]);
    let e = loader.load(&OptionValues::new()).unwrap_err();
    assert!(err_text(&e).contains("OS_EXEC_COMMAND"), "{e}");
}

#[test]
fn unusable_output_is_described_without_secrets() {
    let d = describe_output(b"gAAAAABlveryLongTokenValue1234567890\n");
    assert!(!d.contains("gAAAA") && d.contains("one word"), "{d}");
    let d = describe_output(b"hunter2\nusername: demo\nurl: https://x\n");
    assert!(
        !d.contains("hunter2") && d.contains("username: demo"),
        "{d}"
    );
    let d = describe_output(b"Error: vault is sealed, token=abc123 password: s3cr3t ok\n");
    assert!(d.contains("vault is sealed"), "{d}");
    assert!(!d.contains("abc123") && !d.contains("s3cr3t"), "{d}");
    let d = describe_output(br#"{"version": 1, "token": "hunter2""#);
    assert!(
        !d.contains("hunter2") && d.contains("look like JSON"),
        "{d}"
    );
    let d = describe_output("x ".repeat(500).as_bytes());
    assert!(d.chars().count() < 250, "{d}");
}

// ------------------------------------------------------------------ token documents

#[tokio::test]
async fn token_with_catalog_authenticates_a_session_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers"))
        .and(header("x-auth-token", "tok-catalog-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": []})))
        .expect(1)
        .mount(&server)
        .await;
    let d = Dir::new();
    let mut doc = token_doc("tok-catalog-1", Duration::from_secs(3600));
    doc["catalog"] = catalog(&server.uri());
    doc["project_id"] = json!("p-1");
    doc["user_id"] = json!("u-1");
    let plugin = Arc::new(ExecPlugin::new([d.printing(&doc)]).unwrap());
    let s = Session::new(plugin.clone()).unwrap();
    let resp = s
        .get("/servers")
        .endpoint_filter(EndpointFilter::service("compute"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(s.project_id().await.unwrap().as_deref(), Some("p-1"));
    assert_eq!(s.user_id().await.unwrap().as_deref(), Some("u-1"));
    assert_eq!(d.runs(), 1);
    let dbg = format!("{plugin:?}");
    assert!(
        !dbg.contains("tok-catalog-1") && dbg.contains("{SHA256}"),
        "{dbg}"
    );
}

#[tokio::test]
async fn token_without_catalog_reads_its_body_from_the_auth_url() {
    let server = MockServer::start().await;
    let body = json!({"token": {
        "methods": ["password"], "expires_at": rfc3339_in(Duration::from_secs(7200)),
        "user": {"id": "u-body", "name": "demo", "domain": {"id": "default"}},
        "project": {"id": "p-body", "name": "demo", "domain": {"id": "default"}},
        "catalog": catalog(&server.uri()),
    }});
    Mock::given(method("GET"))
        .and(path("/v3/auth/tokens"))
        .and(header("x-auth-token", "tok-body-1"))
        .and(header("x-subject-token", "tok-body-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Subject-Token", "tok-body-1")
                .set_body_json(body),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors"))
        .and(header("x-auth-token", "tok-body-1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(2)
        .mount(&server)
        .await;
    let d = Dir::new();
    // No expires_at: the body's expiry is used. The auth URL comes from the options.
    let doc = json!({"version": 1, "token": "tok-body-1"});
    let plugin = ExecPlugin::new([d.printing(&doc)])
        .unwrap()
        .default_auth_url(format!("{}/v3", server.uri()));
    let s = Session::new(Arc::new(plugin)).unwrap();
    for _ in 0..2 {
        s.get("/flavors")
            .endpoint_filter(EndpointFilter::service("compute"))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(s.project_id().await.unwrap().as_deref(), Some("p-body"));
    assert_eq!(d.runs(), 1);
}

#[tokio::test]
async fn token_refused_by_keystone_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"error": {"code": 404, "message": "Could not find token", "title": "Not Found"}}),
        ))
        .mount(&server)
        .await;
    let d = Dir::new();
    let mut doc = token_doc("tok-bad-1", Duration::from_secs(3600));
    doc["auth_url"] = json!(format!("{}/v3", server.uri()));
    let plugin = ExecPlugin::new([d.printing(&doc)]).unwrap();
    let e = headers_of(&plugin).await.unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
    assert!(!err_text(&e).contains("tok-bad-1"));
}

#[tokio::test]
async fn expired_and_soon_stale_tokens() {
    let d = Dir::new();
    let doc = json!({"version": 1, "token": "tok-old", "expires_at": rfc3339_ago(Duration::from_secs(5))});
    let plugin = ExecPlugin::new([d.printing(&doc)]).unwrap();
    let e = headers_of(&plugin).await.unwrap_err();
    assert!(matches!(e, Error::AuthorizationFailure(_)), "{e}");
    assert!(err_text(&e).contains("expired"), "{e}");
    assert!(!err_text(&e).contains("tok-old"), "{e}");
}

#[tokio::test]
async fn expiry_runs_the_command_again() {
    let d = Dir::new();
    // 2 s of life: with a 120 s window it is stale after half of it (1 s).
    let plugin =
        ExecPlugin::new([d.printing(&token_doc("tok-exp-1", Duration::from_secs(2)))]).unwrap();
    let s = session();
    let h = plugin.auth_headers(&s).await.unwrap().unwrap();
    assert_eq!(auth_token(&h), "tok-exp-1");
    let h = plugin.auth_headers(&s).await.unwrap().unwrap();
    assert_eq!(auth_token(&h), "tok-exp-1");
    assert_eq!(d.runs(), 1, "a fresh token does not run the command");
    let mut ready = HeaderMap::new();
    assert!(plugin.add_ready_auth_headers(&mut ready));
    d.set_doc(&token_doc("tok-exp-2", Duration::from_secs(3600)));
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(!plugin.add_ready_auth_headers(&mut HeaderMap::new()));
    let h = plugin.auth_headers(&s).await.unwrap().unwrap();
    assert_eq!(auth_token(&h), "tok-exp-2");
    assert_eq!(d.runs(), 2);
    assert_eq!(plugin.successful_runs(), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_valid_token() {
    let d = Dir::new();
    // 3 s of life: stale after 1.5 s.
    let plugin =
        ExecPlugin::new([d.printing(&token_doc("tok-keep-1", Duration::from_secs(3)))]).unwrap();
    let s = session();
    assert_eq!(
        auth_token(&plugin.auth_headers(&s).await.unwrap().unwrap()),
        "tok-keep-1"
    );
    std::fs::write(d.path("doc.json"), "not json at all").unwrap();
    tokio::time::sleep(Duration::from_millis(1700)).await;
    // Stale, the command fails, the token is still valid: it is used (and not retried at once).
    assert_eq!(
        auth_token(&plugin.auth_headers(&s).await.unwrap().unwrap()),
        "tok-keep-1"
    );
    assert_eq!(
        auth_token(&plugin.auth_headers(&s).await.unwrap().unwrap()),
        "tok-keep-1"
    );
    assert_eq!(d.runs(), 2);
}

#[tokio::test]
async fn a_401_drops_the_token_and_the_next_request_runs_the_command() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/x"))
        .and(header("x-auth-token", "tok-401-old"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/x"))
        .and(header("x-auth-token", "tok-401-new"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let d = Dir::new();
    let mut doc = token_doc("tok-401-old", Duration::from_secs(3600));
    doc["catalog"] = catalog(&server.uri());
    let plugin = ExecPlugin::new([d.printing(&doc)]).unwrap();
    let s = Session::new(Arc::new(plugin)).unwrap();
    s.auth_headers().await.unwrap();
    doc["token"] = json!("tok-401-new");
    d.set_doc(&doc);
    let resp = s
        .get("/x")
        .endpoint_filter(EndpointFilter::service("compute"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(d.runs(), 2);
}

// ------------------------------------------------------------------ options documents

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

// ------------------------------------------------------------------ bad commands and output

#[tokio::test]
async fn a_missing_program_is_named() {
    let plugin = ExecPlugin::new(["/nonexistent/ksa-no-such-program", "arg"]).unwrap();
    let e = headers_of(&plugin).await.unwrap_err();
    assert!(matches!(e, Error::AuthorizationFailure(_)), "{e}");
    assert!(
        err_text(&e).contains("/nonexistent/ksa-no-such-program does not exist"),
        "{e}"
    );
    let plugin = ExecPlugin::new(["ksa-no-such-program-in-path"]).unwrap();
    let e = headers_of(&plugin).await.unwrap_err();
    assert!(
        err_text(&e).contains("ksa-no-such-program-in-path was not found in PATH"),
        "{e}"
    );
    let d = Dir::new();
    std::fs::write(d.path("not-exec"), "#!/bin/sh\n").unwrap();
    let plugin = ExecPlugin::new([d.path("not-exec").to_str().unwrap()]).unwrap();
    let e = headers_of(&plugin).await.unwrap_err();
    assert!(err_text(&e).contains("not executable"), "{e}");
}

#[tokio::test]
async fn a_failing_command_reports_its_status() {
    let d = Dir::new();
    let script = d.script(
        "fail",
        "echo 'vault: permission denied' >&2\necho 'Error: no such secret'\nexit 3",
    );
    let plugin = ExecPlugin::new([script.as_str()]).unwrap();
    let e = headers_of(&plugin).await.unwrap_err();
    let text = err_text(&e);
    assert!(matches!(e, Error::AuthorizationFailure(_)), "{e}");
    assert!(text.contains("exit status: 3"), "{text}");
    assert!(text.contains("no such secret"), "{text}");
    assert!(text.contains(&script), "the program is named: {text}");
    let killed = d.script("killed", "kill -9 $$");
    let e = headers_of(&ExecPlugin::new([killed]).unwrap())
        .await
        .unwrap_err();
    assert!(err_text(&e).contains("signal: 9"), "{e}");
}

/// The command's stderr is this process's stderr: run this test again in a child process
/// and look at what it wrote.
#[tokio::test]
async fn stderr_passes_through() {
    const CHILD: &str = "KSA_EXEC_TEST_STDERR_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let d = Dir::new();
        let script = d.script(
            "prompt",
            "echo 'Passphrase for openstack/mycloud:' >&2\nexit 7",
        );
        let e = headers_of(&ExecPlugin::new([script]).unwrap())
            .await
            .unwrap_err();
        println!("ERROR<{e}>");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let child = tokio::process::Command::new(exe)
        .args([
            "--exact",
            "exec::tests::stderr_passes_through",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), child)
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Passphrase for openstack/mycloud:"),
        "stderr: {stderr}"
    );
    assert!(!stdout.contains("Passphrase"), "not in the error: {stdout}");
    assert!(stdout.contains("exit status: 7"), "{stdout}");
}

#[tokio::test]
async fn a_hanging_command_is_killed_at_the_timeout() {
    let d = Dir::new();
    let script = d.script("hang", "echo $$ > \"$D/pid\"\nexec sleep 30");
    let plugin = ExecPlugin::new([script])
        .unwrap()
        .timeout(Duration::from_millis(800));
    let started = Instant::now();
    let e = headers_of(&plugin).await.unwrap_err();
    let took = started.elapsed();
    assert!(err_text(&e).contains("timed out after 0.8 s"), "{e}");
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(5),
        "{took:?}"
    );
    let pid = std::fs::read_to_string(d.path("pid")).unwrap();
    let proc_dir = Path::new("/proc").join(pid.trim());
    if Path::new("/proc/self").exists() {
        assert!(
            !proc_dir.exists(),
            "the command (pid {}) still runs",
            pid.trim()
        );
    }
}

#[tokio::test]
async fn garbage_is_described_not_echoed_when_secret() {
    let d = Dir::new();
    let cases: [(&str, &[&str], &[&str]); 4] = [
        (
            "echo 'usage: mytool [-h] show NAME'",
            &["not one JSON document", "usage: mytool"],
            &[],
        ),
        (
            "echo gAAAAABlSecretTokenValue0123456789",
            &["one word"],
            &["gAAAA"],
        ),
        (
            "printf 'hunter2\\nlogin: demo\\n'",
            &["login: demo"],
            &["hunter2"],
        ),
        (
            "printf '{\"version\": 1, \"token\": \"hunter2'",
            &["ends too early"],
            &["hunter2"],
        ),
    ];
    for (i, (body, want, never)) in cases.iter().enumerate() {
        let script = d.script(&format!("garbage-{i}"), body);
        let e = headers_of(&ExecPlugin::new([script]).unwrap())
            .await
            .unwrap_err();
        let text = err_text(&e);
        assert!(matches!(e, Error::AuthorizationFailure(_)), "{text}");
        for w in *want {
            assert!(text.contains(w), "{w:?} in {text}");
        }
        for n in *never {
            assert!(!text.contains(n), "{n:?} not in {text}");
        }
    }
    let e = headers_of(&ExecPlugin::new([d.script("empty", "true")]).unwrap())
        .await
        .unwrap_err();
    assert!(err_text(&e).contains("nothing on stdout"), "{e}");
}

#[tokio::test]
async fn too_much_output_is_refused() {
    let d = Dir::new();
    let script = d.script("flood", "head -c 3000000 /dev/zero | tr '\\0' a");
    let started = Instant::now();
    let e = headers_of(&ExecPlugin::new([script]).unwrap())
        .await
        .unwrap_err();
    assert!(err_text(&e).contains("more than 1048576 bytes"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn wrong_documents_name_the_field_and_never_the_token() {
    let d = Dir::new();
    let secret = "tok-wrong-SECRET";
    let cases = [
        (json!({"token": secret}), "without `version`"),
        (json!({"version": 2, "token": secret}), "version 2"),
        (
            json!({"version": "1", "token": secret}),
            "`version` is a string",
        ),
        (json!({"version": 1}), "neither `token`"),
        (
            json!({"version": 1, "token": secret, "auth_type": "x"}),
            "both",
        ),
        (json!({"version": 1, "token": 42}), "`token` is a number"),
        (
            json!({"version": 1, "token": "a\nb"}),
            "`token` cannot be sent",
        ),
        (
            json!({"version": 1, "token": secret}),
            "without `expires_at`",
        ),
        (
            json!({"version": 1, "token": secret, "expires_at": "tomorrow"}),
            "`expires_at` is not an RFC 3339",
        ),
        (
            json!({"version": 1, "token": secret, "expires_at": rfc3339_in(Duration::from_secs(99)), "catalog": {}}),
            "`catalog` is an object",
        ),
        (
            json!({"version": 1, "token": secret, "expires_at": rfc3339_in(Duration::from_secs(99)), "project_id": 5}),
            "`project_id` is a number",
        ),
        (json!([secret]), "not an object (a list)"),
    ];
    for (doc, want) in cases {
        let plugin = ExecPlugin::new([d.printing(&doc)]).unwrap();
        let e = headers_of(&plugin).await.unwrap_err();
        let text = err_text(&e);
        assert!(matches!(e, Error::AuthorizationFailure(_)), "{text}");
        assert!(text.contains(want), "{want:?} in {text}");
        assert!(!text.contains(secret), "{text}");
    }
}

#[tokio::test]
async fn the_command_gets_its_env_and_depth() {
    let d = Dir::new();
    let script = d.script(
        "env",
        "printf '{\"version\":1,\"token\":\"%s-%s\",\"expires_at\":\"%s\"}' \
         \"$KSA_TEST_VALUE\" \"$KEYSTONEAUTH_EXEC_DEPTH\" \"$EXP\"",
    );
    let plugin = ExecPlugin::new([script])
        .unwrap()
        .env("KSA_TEST_VALUE", "v1")
        .env("EXP", rfc3339_in(Duration::from_secs(3600)));
    assert_eq!(auth_token(&headers_of(&plugin).await.unwrap()), "v1-1");
}

// ------------------------------------------------------------------ single flight

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_run_the_command_once() {
    let d = Dir::new();
    d.set_doc(&token_doc("tok-flight-1", Duration::from_secs(3600)));
    let script = d.script("slow", "sleep 0.3\ncat \"$D/doc.json\"");
    let plugin = Arc::new(ExecPlugin::new([script]).unwrap());
    let s = session();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (p, s) = (plugin.clone(), s.clone());
        tasks.spawn(async move { p.auth_headers(&s).await });
    }
    let all = tokio::time::timeout(Duration::from_secs(30), tasks.join_all())
        .await
        .unwrap();
    assert_eq!(all.len(), 50);
    for h in all {
        assert_eq!(auth_token(&h.unwrap().unwrap()), "tok-flight-1");
    }
    assert_eq!(d.runs(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_share_one_failure() {
    let d = Dir::new();
    let script = d.script("slow-fail", "sleep 0.3\nexit 1");
    let plugin = Arc::new(ExecPlugin::new([script]).unwrap());
    let s = session();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (p, s) = (plugin.clone(), s.clone());
        tasks.spawn(async move { p.auth_headers(&s).await });
    }
    let all = tokio::time::timeout(Duration::from_secs(30), tasks.join_all())
        .await
        .unwrap();
    assert!(all.iter().all(|r| r.is_err()));
    assert_eq!(d.runs(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_session_requests_through_an_options_document() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/thing"))
        .and(header("x-auth-token", "sec-many-1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(50)
        .mount(&server)
        .await;
    let d = Dir::new();
    d.set_doc(&options_doc("sec-many-1"));
    let script = d.script("slow-opts", "sleep 0.3\ncat \"$D/doc.json\"");
    let s = Session::new(Arc::new(ExecPlugin::new([script]).unwrap())).unwrap();
    let url = format!("{}/v1/thing", server.uri());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (s, url) = (s.clone(), url.clone());
        tasks.spawn(async move { s.get(url).send().await.map(|r| r.status()) });
    }
    let all = tokio::time::timeout(Duration::from_secs(30), tasks.join_all())
        .await
        .unwrap();
    assert!(all.into_iter().all(|r| r.unwrap() == 200));
    assert_eq!(d.runs(), 1);
}

// ------------------------------------------------------------------ loading

#[tokio::test]
async fn loaded_from_os_variables() {
    let d = Dir::new();
    let script = d.printing(&token_doc("tok-env-1", Duration::from_secs(3600)));
    let env = [
        ("OS_AUTH_TYPE", "exec".to_owned()),
        ("OS_EXEC_COMMAND", json!([script]).to_string()),
        ("OS_EXEC_TIMEOUT", "9".to_owned()),
    ];
    let cloud = crate::CloudConfig::load(crate::LoadOptions {
        env: Some(env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
        config_files: Some(Vec::new()),
        secure_files: Some(Vec::new()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(cloud.auth_type, "exec");
    let s = cloud.build_session().unwrap();
    assert_eq!(
        auth_token(&s.auth_headers().await.unwrap().unwrap()),
        "tok-env-1"
    );
    // The simple form: words separated by spaces.
    let env = [
        ("OS_AUTH_TYPE", "exec".to_owned()),
        ("OS_EXEC_COMMAND", format!("/bin/sh {script}")),
    ];
    let cloud = crate::CloudConfig::load(crate::LoadOptions {
        env: Some(env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
        config_files: Some(Vec::new()),
        secure_files: Some(Vec::new()),
        ..Default::default()
    })
    .unwrap();
    let s = cloud.build_session().unwrap();
    assert_eq!(
        auth_token(&s.auth_headers().await.unwrap().unwrap()),
        "tok-env-1"
    );
}

#[tokio::test]
async fn loaded_from_clouds_yaml_with_a_list_env_and_timeout() {
    let d = Dir::new();
    let script = d.script(
        "args",
        "printf '{\"version\":1,\"token\":\"%s|%s|%s\",\"expires_at\":\"%s\"}' \"$1\" \"$2\" \"$KSA_YAML_VAR\" \"$EXP\"",
    );
    let clouds = format!(
        "clouds:\n  c:\n    auth_type: exec\n    auth:\n      command: [{script}, plain, \"a,b\"]\n      \
         timeout: 5\n      env:\n        KSA_YAML_VAR: from-yaml\n        EXP: \"{}\"\n",
        rfc3339_in(Duration::from_secs(3600))
    );
    std::fs::write(d.path("clouds.yaml"), clouds).unwrap();
    let cloud = crate::CloudConfig::load(crate::LoadOptions {
        cloud: Some("c".into()),
        env: Some(Default::default()),
        config_files: Some(vec![d.path("clouds.yaml")]),
        secure_files: Some(Vec::new()),
        ..Default::default()
    })
    .unwrap();
    let s = cloud.build_session().unwrap();
    assert_eq!(
        auth_token(&s.auth_headers().await.unwrap().unwrap()),
        "plain|a,b|from-yaml"
    );
    // The same list without commas arrives comma-joined and is split back.
    let clouds = format!(
        "clouds:\n  c:\n    auth_type: exec\n    auth:\n      command: [/bin/sh, {script}, x, y]\n      \
         env: [\"KSA_YAML_VAR=v2\", \"EXP={}\"]\n",
        rfc3339_in(Duration::from_secs(3600))
    );
    std::fs::write(d.path("clouds.yaml"), clouds).unwrap();
    let cloud = crate::CloudConfig::load(crate::LoadOptions {
        cloud: Some("c".into()),
        env: Some(Default::default()),
        config_files: Some(vec![d.path("clouds.yaml")]),
        secure_files: Some(Vec::new()),
        ..Default::default()
    })
    .unwrap();
    let s = cloud.build_session().unwrap();
    assert_eq!(
        auth_token(&s.auth_headers().await.unwrap().unwrap()),
        "x|y|v2"
    );
}

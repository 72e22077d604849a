//! `ksa` against the real Keystone of the harness (`cargo xtask keystone up`, or `cargo xtask
//! test`). Each run gets an empty environment, its own HOME and working directory, so nothing
//! from the developer's shell leaks in.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

struct Harness {
    env: Value,
    clouds_yaml: PathBuf,
}

fn harness() -> Harness {
    let path = match std::env::var_os("KSA_KEYSTONE_ENV") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/ksa-harness/keystone/env.json"),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "no Keystone harness ({}: {e}): run `cargo xtask test` or `cargo xtask keystone up`",
            path.display()
        )
    });
    let env: Value = serde_json::from_str(&text).expect("env.json");
    let clouds_yaml = PathBuf::from(env["state_dir"].as_str().unwrap()).join("clouds.yaml");
    assert!(clouds_yaml.is_file(), "{} missing", clouds_yaml.display());
    Harness { env, clouds_yaml }
}

impl Harness {
    fn s(&self, k: &str) -> String {
        self.env[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k}"))
            .to_owned()
    }

    fn os_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OS_AUTH_URL", self.s("auth_url")),
            ("OS_USERNAME", self.s("admin_username")),
            ("OS_PASSWORD", self.s("admin_password")),
            ("OS_PROJECT_NAME", self.s("admin_project_name")),
            ("OS_USER_DOMAIN_ID", self.s("admin_user_domain_id")),
            ("OS_PROJECT_DOMAIN_ID", self.s("admin_project_domain_id")),
            ("OS_IDENTITY_API_VERSION", "3".into()),
        ]
    }

    fn port(&self) -> u16 {
        self.env["port"].as_u64().unwrap() as u16
    }
}

struct Run {
    home: tempfile::TempDir,
}

impl Run {
    fn new() -> Run {
        Run {
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn ksa(&self, args: &[&str], env: &[(&str, String)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ksa"));
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .current_dir(self.home.path())
            .stdin(Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run ksa")
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "ksa failed ({:?}): {}",
        o.status,
        stderr(o)
    );
    stdout(o)
}

/// One error line `ksa: …` and the exit code.
fn fails(o: &Output, code: i32, contains: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(err.starts_with("ksa: "), "{err}");
    assert!(err.contains(contains), "{contains:?} not in {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `GET /v3/auth/tokens` with the token as both X-Auth-Token and X-Subject-Token, over a raw
/// connection (no keystoneauth code involved): Keystone's status.
fn keystone_validates(h: &Harness, token: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET /v3/auth/tokens HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Auth-Token: {token}\r\n\
         X-Subject-Token: {token}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        h.port()
    )
    .unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn issued(out: &str) -> Value {
    let v: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"));
    for k in ["expires", "id", "project_id", "user_id"] {
        assert!(v[k].is_string(), "{k} missing in {out}");
    }
    assert!(v["expires"].as_str().unwrap().ends_with("+0000"), "{out}");
    v
}

#[test]
fn token_issue_from_os_variables() {
    let h = harness();
    let r = Run::new();
    let mut env = h.os_env();
    env.push(("OS_AUTH_TYPE", "password".into()));
    let v = issued(&ok(&r.ksa(&["token", "issue", "-f", "json"], &env)));
    assert_eq!(keystone_validates(&h, v["id"].as_str().unwrap()), 200);
}

/// `ksa --debug` against the real Keystone: discovery, the token request and its answer
/// are logged, the issued token only as its `{SHA256}` hash (in `X-Subject-Token`), and the
/// password nowhere. The token itself is on stdout, where it was asked for.
#[test]
fn debug_logs_hash_the_token_and_hide_the_password() {
    let h = harness();
    let r = Run::new();
    let mut env = h.os_env();
    env.push(("OS_AUTH_TYPE", "password".into()));
    let out = r.ksa(&["--debug", "token", "issue", "-f", "json"], &env);
    let token = issued(&ok(&out))["id"].as_str().unwrap().to_owned();
    let err = stderr(&out);
    assert!(err.contains("POST "), "the token request is logged: {err}");
    assert!(
        err.contains(&format!(
            "x-subject-token: {}",
            keystoneauth::redact::hash_secret(&token)
        )),
        "{err}"
    );
    assert!(!err.contains(&token), "{err}");
    assert!(!err.contains(&h.s("admin_password")), "{err}");
}

#[test]
fn token_issue_from_flags() {
    let h = harness();
    let r = Run::new();
    let out = ok(&r.ksa(
        &[
            "token",
            "issue",
            "-f",
            "json",
            "--os-auth-type",
            "v3password",
            "--os-auth-url",
            &h.s("auth_url"),
            "--os-username",
            &h.s("admin_username"),
            &format!("--os-password={}", h.s("admin_password")),
            "--os-project-name",
            &h.s("admin_project_name"),
            "--os-user-domain-id",
            "default",
            "--os-project-domain-id",
            "default",
        ],
        &[],
    ));
    let v = issued(&out);
    assert_eq!(keystone_validates(&h, v["id"].as_str().unwrap()), 200);
}

#[test]
fn token_issue_from_clouds_yaml() {
    let h = harness();
    let r = Run::new();
    let env = [("OS_CLIENT_CONFIG_FILE", h.clouds_yaml.display().to_string())];
    let v = issued(&ok(&r.ksa(
        &["--os-cloud", "ksa-keystone", "token", "issue", "-f", "json"],
        &env,
    )));
    assert_eq!(keystone_validates(&h, v["id"].as_str().unwrap()), 200);

    // OS_CLOUD, and the other formats.
    let mut env = env.to_vec();
    env.push(("OS_CLOUD", "ksa-keystone".into()));
    let out = ok(&r.ksa(&["token", "issue", "-f", "value"], &env));
    assert_eq!(out.lines().count(), 4, "{out}");
    let out = ok(&r.ksa(&["token", "issue", "-f", "shell"], &env));
    assert!(out.lines().any(|l| l.starts_with("id=\"")), "{out}");
    let out = ok(&r.ksa(&["token", "issue"], &env));
    assert!(out.starts_with("+-"), "{out}");
    assert!(out.contains("| project_id |"), "{out}");

    // Flags beat clouds.yaml: a wrong password on the command line fails.
    let o = r.ksa(&["--os-password", "wrong", "token", "issue"], &env);
    fails(&o, 1, "HTTP 401");
}

#[test]
fn token_issue_with_a_profile_from_clouds_public_yaml() {
    // The profile carries where the cloud is; the cloud entry only who the user is.
    let h = harness();
    let r = Run::new();
    let public = format!(
        "public-clouds:\n  harness:\n    auth:\n      auth_url: {}\n      user_domain_id: {}\n      project_domain_id: {}\n    identity_api_version: 3\n    region_name: RegionOne\n",
        h.s("auth_url"),
        h.s("admin_user_domain_id"),
        h.s("admin_project_domain_id"),
    );
    let clouds = format!(
        "clouds:\n  via-profile:\n    profile: harness\n    auth:\n      username: {}\n      password: {}\n      project_name: {}\n",
        h.s("admin_username"),
        h.s("admin_password"),
        h.s("admin_project_name"),
    );
    std::fs::write(r.home.path().join("clouds-public.yaml"), public).unwrap();
    std::fs::write(r.home.path().join("clouds.yaml"), clouds).unwrap();
    let v = issued(&ok(&r.ksa(
        &["--os-cloud", "via-profile", "token", "issue", "-f", "json"],
        &[],
    )));
    assert_eq!(keystone_validates(&h, v["id"].as_str().unwrap()), 200);
}

#[test]
fn catalog_and_request() {
    let h = harness();
    let r = Run::new();
    let mut env = h.os_env();
    env.push(("OS_AUTH_TYPE", "v3password".into()));
    let out = ok(&r.ksa(&["catalog", "list", "-f", "json"], &env));
    let list: Value = serde_json::from_str(&out).unwrap();
    let identity = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Type"] == "identity")
        .unwrap_or_else(|| panic!("no identity in {out}"));
    assert!(identity["Endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["url"] == h.s("auth_url")));
    let out = ok(&r.ksa(&["catalog", "list"], &env));
    assert!(out.contains("| identity |"), "{out}");
    let out = ok(&r.ksa(&["catalog", "show", "identity", "-f", "json"], &env));
    assert!(out.contains(&h.s("auth_url")), "{out}");

    let o = r.ksa(&["request", "GET", "identity", "/projects"], &env);
    let body: Value = serde_json::from_str(&ok(&o)).unwrap();
    assert!(body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == h.s("admin_project_name")));
    assert!(stderr(&o).starts_with("200 OK"), "{}", stderr(&o));

    let o = r.ksa(&["request", "GET", "identity", "/projects/nope"], &env);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("404"), "{}", stderr(&o));

    let out = ok(&r.ksa(&["endpoint", "identity", "--version", "3"], &env));
    assert!(
        out.trim_end().trim_end_matches('/').ends_with("/v3"),
        "{out}"
    );
}

#[test]
fn validate_and_revoke() {
    let h = harness();
    let r = Run::new();
    let mut env = h.os_env();
    env.push(("OS_AUTH_TYPE", "v3password".into()));
    let v = issued(&ok(&r.ksa(&["token", "issue", "-f", "json"], &env)));
    let token = v["id"].as_str().unwrap();
    let checked: Value = serde_json::from_str(&ok(
        &r.ksa(&["token", "validate", token, "-f", "json"], &env)
    ))
    .unwrap();
    assert_eq!(checked["user_id"], v["user_id"]);
    ok(&r.ksa(&["token", "revoke", token], &env));
    // Keystone refuses a revoked token: 401 when its auth middleware sees the revocation
    // first, 404 when the validation does (both seen with two gunicorn workers).
    let code = keystone_validates(&h, token);
    assert!(
        matches!(code, 401 | 404),
        "revoked token validated with {code}"
    );
    fails(&r.ksa(&["token", "validate", token], &env), 1, "HTTP 404");
}

#[test]
fn discover_needs_no_credentials() {
    let h = harness();
    let r = Run::new();
    let out = ok(&r.ksa(&["discover", &h.s("root_url"), "-f", "json"], &[]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["Version"].as_str().unwrap().starts_with("3.")));
}

/// `ksa versions show` asks the real Keystone's catalog endpoints for their versions: the
/// identity service offers v3 (3.x, CURRENT) at the auth URL.
#[test]
fn versions_show_lists_the_catalogs_versions() {
    let h = harness();
    let r = Run::new();
    let mut env = h.os_env();
    env.push(("OS_AUTH_TYPE", "v3password".into()));
    let out = ok(&r.ksa(
        &["versions", "show", "--service", "identity", "-f", "json"],
        &env,
    ));
    let rows: Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    let v3 = rows
        .iter()
        .find(|row| row["Version"].as_str().is_some_and(|v| v.starts_with("3.")))
        .unwrap_or_else(|| panic!("no identity v3 in {out}"));
    assert_eq!(v3["Status"], "CURRENT", "{out}");
    assert_eq!(v3["Service Type"], "identity", "{out}");
    assert_eq!(v3["Region Name"], h.s("region"), "{out}");
    assert_eq!(
        v3["Endpoint"].as_str().unwrap().trim_end_matches('/'),
        h.s("auth_url"),
        "{out}"
    );
    let table = ok(&r.ksa(&["versions", "show", "--status", "current"], &env));
    assert!(table.contains("| identity"), "{table}");
    assert!(!table.contains("DEPRECATED"), "{table}");
}

/// keystoneauth1's cache id leaves the system scope out, so an unscoped and a system-scoped
/// login with the same credentials have one id; `--auth-cache` keeps them in two entries, and
/// each run gets the token it asked for.
#[test]
fn auth_cache_keeps_unscoped_and_system_scoped_tokens_apart() {
    let h = harness();
    let r = Run::new();
    let json = |out: &str| -> Value { serde_json::from_str(out).unwrap() };
    let env: Vec<(&str, String)> = h
        .os_env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("OS_PROJECT"))
        .chain([("OS_AUTH_TYPE", "v3password".to_string())])
        .collect();
    let unscoped = json(&ok(
        &r.ksa(&["--auth-cache", "token", "issue", "-f", "json"], &env)
    ));
    assert!(unscoped.get("system").is_none(), "{unscoped}");
    assert!(unscoped.get("project_id").is_none(), "{unscoped}");
    let mut sys_env = env.clone();
    sys_env.push(("OS_SYSTEM_SCOPE", "all".into()));
    let system = json(&ok(
        &r.ksa(&["--auth-cache", "token", "issue", "-f", "json"], &sys_env)
    ));
    assert_eq!(system["system"], "all", "{system}");
    assert_ne!(system["id"], unscoped["id"]);
    let dir = r.home.path().join("cache/keystoneauth-rs");
    assert_eq!(entries(&dir).len(), 2);
    // Each is reused for its own scope.
    let again = json(&ok(
        &r.ksa(&["--auth-cache", "token", "issue", "-f", "json"], &env)
    ));
    assert_eq!(again["id"], unscoped["id"]);
    let again = json(&ok(
        &r.ksa(&["--auth-cache", "token", "issue", "-f", "json"], &sys_env)
    ));
    assert_eq!(again["id"], system["id"]);
}

/// The token store's entries in `dir`: files named by 64 hex digits (not its key, lock files
/// or temporary files).
fn entries(dir: &std::path::Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .collect()
}

#[test]
fn auth_cache_reuses_the_token() {
    let h = harness();
    let r = Run::new();
    let mut env = h.os_env();
    env.push(("OS_AUTH_TYPE", "v3password".into()));
    let a = issued(&ok(
        &r.ksa(&["--auth-cache", "token", "issue", "-f", "json"], &env)
    ));
    let dir = r.home.path().join("cache/keystoneauth-rs");
    let files = entries(&dir);
    assert_eq!(files.len(), 1);
    let f = files[0].clone();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let name = f.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );
    let b = issued(&ok(
        &r.ksa(&["--auth-cache", "token", "issue", "-f", "json"], &env)
    ));
    assert_eq!(a["id"], b["id"]);
    // A cache file that others can read is ignored with a warning, and replaced (0600).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = r.ksa(&["--auth-cache", "token", "issue", "-f", "json"], &env);
        let d = issued(&ok(&o));
        assert_ne!(a["id"], d["id"], "a group/other-readable cache was used");
        assert!(
            stderr(&o).contains("readable by group or others"),
            "{}",
            stderr(&o)
        );
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Without the flag nothing is reused.
    let c = issued(&ok(&r.ksa(&["token", "issue", "-f", "json"], &env)));
    assert_ne!(a["id"], c["id"]);
}

#[test]
fn errors_are_one_line() {
    let h = harness();
    let r = Run::new();
    let env = [("OS_CLIENT_CONFIG_FILE", h.clouds_yaml.display().to_string())];

    // Unknown cloud: the clouds found are listed.
    fails(
        &r.ksa(&["--os-cloud", "nosuch", "token", "issue"], &env),
        1,
        "clouds found: ksa-keystone",
    );
    // Missing options name their variables.
    fails(
        &r.ksa(&["--os-auth-type", "v3password", "token", "issue"], &[]),
        1,
        "auth-url (env OS_AUTH_URL)",
    );
    // Unknown auth type lists the registered ones.
    fails(
        &r.ksa(&["--os-auth-type", "bogus", "token", "issue"], &[]),
        1,
        "Available plugins: admin_token",
    );
    // A password never comes from a prompt without a terminal.
    let mut env2 = h.os_env();
    env2.retain(|(k, _)| *k != "OS_PASSWORD");
    env2.push(("OS_AUTH_TYPE", "v3password".into()));
    fails(
        &r.ksa(&["token", "issue"], &env2),
        1,
        "password (env OS_PASSWORD)",
    );
    // A wrong password: Keystone's 401 with its request id.
    let mut env3 = h.os_env();
    env3.retain(|(k, _)| *k != "OS_PASSWORD");
    env3.push(("OS_PASSWORD", "wrong".into()));
    let o = r.ksa(&["token", "issue"], &env3);
    fails(&o, 1, "HTTP 401");
    assert!(stderr(&o).contains("Request-ID: req-"), "{}", stderr(&o));
    // An option the plugin does not have is a usage error.
    fails(
        &r.ksa(
            &[
                "--os-cloud",
                "ksa-keystone",
                "--os-pasword",
                "x",
                "token",
                "issue",
            ],
            &env,
        ),
        2,
        "unknown option --os-pasword",
    );
}

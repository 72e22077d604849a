//! `ksa` output as openstackclient (cliff) prints it, for scripts written around
//! `openstack token issue -f value -c id`: `-c/--column`, `-f value|shell|json|yaml|csv`,
//! `--noindent`, `--max-width`, `--quote`, `--prefix`/`--variable`; against the in-process
//! identity emulator (its catalog has identity, compute and placement).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use keystoneauth_testing::emulator::Emulator;
use serde_json::Value;
use tokio::process::Command;

async fn emulator() -> Emulator {
    Emulator::builder().default_users().start().await.unwrap()
}

/// `demo` in project `demo`, as `OS_*` variables.
fn demo_env(emu: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("OS_AUTH_TYPE", "v3password".into()),
        ("OS_AUTH_URL", emu.auth_url_v3()),
        ("OS_USERNAME", "demo".into()),
        ("OS_PASSWORD", "demopass".into()),
        ("OS_USER_DOMAIN_ID", "default".into()),
        ("OS_PROJECT_NAME", "demo".into()),
        ("OS_PROJECT_DOMAIN_ID", "default".into()),
    ]
}

/// `ksa ARGS` with only `env` (and `HOME`) in its environment; stdout is a pipe.
async fn ksa(home: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    let run = Command::new(env!("CARGO_BIN_EXE_ksa"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(home)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("ksa finishes within 60 s")
        .expect("ksa runs")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "ksa failed ({:?}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The usual way scripts take a token: `-f value -c id` prints the id and a newline, nothing
/// else. With `--auth-cache` both runs use one token, so the id is compared exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_issue_value_column_id_prints_exactly_the_id() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(&emu);
    let issued = json(&ok(&ksa(
        home.path(),
        &env,
        &["--auth-cache", "token", "issue", "-f", "json"],
    )
    .await));
    let id = issued["id"].as_str().unwrap();
    let out = ok(&ksa(
        home.path(),
        &env,
        &["--auth-cache", "token", "issue", "-f", "value", "-c", "id"],
    )
    .await);
    assert_eq!(out, format!("{id}\n"));
    // --column is -c.
    let out = ok(&ksa(
        home.path(),
        &env,
        &[
            "--auth-cache",
            "token",
            "issue",
            "--format",
            "value",
            "--column",
            "id",
        ],
    )
    .await);
    assert_eq!(out, format!("{id}\n"));
    // And the id is a token the emulator accepts.
    let checked = json(&ok(&ksa(
        home.path(),
        &env,
        &[
            "token",
            "validate",
            out.trim_end(),
            "-f",
            "json",
            "-c",
            "user_id",
        ],
    )
    .await));
    assert_eq!(checked, serde_json::json!({"user_id": issued["user_id"]}));
}

/// Columns come out in the command's order whatever the order of `-c`, as cliff prints them
/// (`openstack token issue -f value -c id -c expires` prints the expiry first), in every
/// format.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_keep_the_commands_order() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(&emu);
    for args in [["-c", "expires", "-c", "id"], ["-c", "id", "-c", "expires"]] {
        let mut argv = vec!["--auth-cache", "token", "issue", "-f", "value"];
        argv.extend(args);
        let out = ok(&ksa(home.path(), &env, &argv).await);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[0].ends_with("+0000"), "{out}");
        assert!(lines[1].starts_with("gAAAA"), "{out}");
        assert!(out.ends_with('\n'));

        let mut argv = vec!["--auth-cache", "token", "issue", "-f", "json"];
        argv.extend(args);
        let out = ok(&ksa(home.path(), &env, &argv).await);
        let v = json(&out);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["expires", "id"], "{out}");
        assert!(out.find("\"expires\"") < out.find("\"id\""), "{out}");
    }
    // Lists too: the value format joins a row's values with spaces.
    let out = ok(&ksa(
        home.path(),
        &env,
        &["catalog", "list", "-f", "value", "-c", "Type", "-c", "Name"],
    )
    .await);
    assert_eq!(
        out,
        "keystone identity\nnova compute\nplacement placement\n"
    );
}

/// A name the command does not have is ignored when another is known, and an error that
/// lists the known ones when none is (cliff's rule).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_column() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(&emu);
    let o = ksa(home.path(), &env, &["token", "issue", "-c", "nope"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err,
        "ksa: No recognized column names in ['nope']. Recognized columns are \
         ['expires', 'id', 'project_id', 'user_id'].\n"
    );
    let o = ksa(
        home.path(),
        &env,
        &["catalog", "list", "-c", "name", "-c", "Url"],
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Recognized columns are ['Name', 'Type', 'Endpoints']"),
        "{err}"
    );
    let out = ok(&ksa(
        home.path(),
        &env,
        &[
            "token",
            "issue",
            "-f",
            "value",
            "-c",
            "nope",
            "-c",
            "project_id",
        ],
    )
    .await);
    assert_eq!(out, format!("{}\n", emu.project_id("demo").unwrap()));
}

/// cliff's csv: a header row; `--quote nonnumeric` (the default) quotes every text field,
/// absent values included; `minimal` only fields with `,`, `"` or a line break; `all` every
/// field; `none` none, escaping with `\`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_quoting() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(&emu);
    let cols = ["-c", "Name", "-c", "Type"];
    let run = |quote: Option<&'static str>| {
        let mut argv = vec!["catalog", "list", "-f", "csv"];
        argv.extend(cols);
        if let Some(q) = quote {
            argv.extend(["--quote", q]);
        }
        let home = home.path().to_owned();
        let env = env.clone();
        async move { ok(&ksa(&home, &env, &argv).await) }
    };
    let quoted = "\"Name\",\"Type\"\n\"keystone\",\"identity\"\n\"nova\",\"compute\"\n\
                  \"placement\",\"placement\"\n";
    assert_eq!(run(None).await, quoted);
    assert_eq!(run(Some("nonnumeric")).await, quoted);
    assert_eq!(run(Some("all")).await, quoted);
    let bare = "Name,Type\nkeystone,identity\nnova,compute\nplacement,placement\n";
    assert_eq!(run(Some("minimal")).await, bare);
    assert_eq!(run(Some("none")).await, bare);

    // The endpoints cell spans lines: quoted when minimal, escaped when none.
    let out = ok(&ksa(
        home.path(),
        &env,
        &["catalog", "list", "-f", "csv", "--quote", "minimal"],
    )
    .await);
    assert!(
        out.starts_with("Name,Type,Endpoints\nkeystone,identity,\"RegionOne\n  public: "),
        "{out}"
    );
    let out = ok(&ksa(
        home.path(),
        &env,
        &["catalog", "list", "-f", "csv", "--quote", "none"],
    )
    .await);
    assert!(
        out.starts_with("Name,Type,Endpoints\nkeystone,identity,RegionOne\\\n  public: "),
        "{out}"
    );

    // An absent value (identity has no microversions) is "" when quoted, empty when not.
    let out = ok(&ksa(
        home.path(),
        &env,
        &[
            "versions",
            "show",
            "--service",
            "identity",
            "--status",
            "current",
            "-f",
            "csv",
        ],
    )
    .await);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("\"Region Name\",\"Service Type\",\"Version\",\"Status\",\"Endpoint\",\"Min Microversion\",\"Max Microversion\"")
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with("\"RegionOne\",\"identity\",\"3."), "{out}");
    assert!(row.ends_with(",\"\",\"\""), "{out}");
    let out = ok(&ksa(
        home.path(),
        &env,
        &[
            "versions",
            "show",
            "--service",
            "identity",
            "--status",
            "current",
            "-f",
            "csv",
            "--quote",
            "minimal",
            "-c",
            "Service Type",
            "-c",
            "Min Microversion",
        ],
    )
    .await);
    assert_eq!(out, "Service Type,Min Microversion\nidentity,\n");
}

/// `--noindent`: one line of JSON, `", "` and `": "` between items as Python writes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_noindent() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(&emu);
    let out = ok(&ksa(
        home.path(),
        &env,
        &["token", "issue", "-f", "json", "--noindent"],
    )
    .await);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("{\"expires\": \""), "{out}");
    assert!(out.ends_with("\"}\n"), "{out}");
    let v = json(&out);
    assert_eq!(v["project_id"], emu.project_id("demo").unwrap().as_str());

    // One token for both runs (the emulator's endpoint ids differ per token).
    let out = ok(&ksa(
        home.path(),
        &env,
        &[
            "--auth-cache",
            "catalog",
            "list",
            "-f",
            "json",
            "--noindent",
        ],
    )
    .await);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("[{\"Name\": \"keystone\", \"Type\": \"identity\", \"Endpoints\": [{"),
        "{out}"
    );
    let indented = ok(&ksa(
        home.path(),
        &env,
        &["--auth-cache", "catalog", "list", "-f", "json"],
    )
    .await);
    assert!(
        indented.starts_with("[\n  {\n    \"Name\": \"keystone\",\n"),
        "{indented}"
    );
    assert_eq!(json(&out), json(&indented));
}

/// `--max-width N`: the widest columns shrink and their cells wrap until the table fits (a
/// pipe is not a terminal, so without it nothing is fitted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_width_fits_the_table() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(&emu);
    let width = |t: &str| t.lines().map(|l| l.chars().count()).max().unwrap();

    let full = ok(&ksa(home.path(), &env, &["catalog", "list"]).await);
    assert!(width(&full) > 60, "{full}");
    let fitted = ok(&ksa(home.path(), &env, &["catalog", "list", "--max-width", "60"]).await);
    assert_eq!(width(&fitted), 60, "{fitted}");
    assert!(fitted.lines().all(|l| l.chars().count() == 60), "{fitted}");
    assert!(fitted.lines().count() > full.lines().count(), "{fitted}");
    // Every character of the cells is still there (wrapping drops only spaces).
    let cells = |t: &str| -> usize {
        t.lines()
            .filter(|l| l.starts_with('|'))
            .flat_map(str::chars)
            .filter(|c| *c != '|' && !c.is_whitespace())
            .count()
    };
    assert_eq!(cells(&fitted), cells(&full));

    // A record: the long token id wraps in a 40-column table.
    let out = ok(&ksa(home.path(), &env, &["token", "issue", "--max-width", "40"]).await);
    assert!(width(&out) <= 40, "{out}");
    assert!(out.lines().count() > 8, "{out}");
    // CLIFF_MAX_TERM_WIDTH does the same; --max-width 0 turns it off.
    let mut env_w = env.clone();
    env_w.push(("CLIFF_MAX_TERM_WIDTH", "60".into()));
    let out = ok(&ksa(home.path(), &env_w, &["catalog", "list"]).await);
    assert_eq!(out, fitted);
    let out = ok(&ksa(
        home.path(),
        &env_w,
        &["catalog", "list", "--max-width", "0"],
    )
    .await);
    assert_eq!(out, full);
}

/// `-f yaml` reads back (with the workspace's YAML reader) as `-f json` does; `-f shell`
/// takes `--prefix` and `--variable`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yaml_and_shell() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(&emu);
    for argv in [
        vec!["--auth-cache", "token", "issue"],
        vec!["--auth-cache", "catalog", "list"],
        vec!["--auth-cache", "catalog", "show", "compute"],
        vec!["--auth-cache", "versions", "show"],
        vec!["plugins", "show", "v3password"],
    ] {
        let yaml = ok(&ksa(home.path(), &env, &[&argv[..], &["-f", "yaml"]].concat()).await);
        let from_yaml: Value =
            serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{e}: {yaml}"));
        let from_json = json(&ok(&ksa(
            home.path(),
            &env,
            &[&argv[..], &["-f", "json"]].concat(),
        )
        .await));
        assert_eq!(from_yaml, from_json, "{argv:?}:\n{yaml}");
    }

    let out = ok(&ksa(
        home.path(),
        &env,
        &[
            "--auth-cache",
            "token",
            "issue",
            "-f",
            "shell",
            "--prefix",
            "os_",
            "--variable",
            "id",
        ],
    )
    .await);
    let id = ok(&ksa(
        home.path(),
        &env,
        &["--auth-cache", "token", "issue", "-f", "value", "-c", "id"],
    )
    .await);
    assert_eq!(out, format!("os_id=\"{}\"\n", id.trim_end()));
    let out = ok(&ksa(
        home.path(),
        &env,
        &[
            "token",
            "issue",
            "-f",
            "shell",
            "-c",
            "project_id",
            "-c",
            "user_id",
        ],
    )
    .await);
    assert_eq!(
        out,
        format!(
            "project_id=\"{}\"\nuser_id=\"{}\"\n",
            emu.project_id("demo").unwrap(),
            emu.user_id("demo").unwrap()
        )
    );
}

/// Commands that need no cloud take the same options.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_take_the_list_options() {
    let home = tempfile::tempdir().unwrap();
    let out = ok(&ksa(home.path(), &[], &["plugins", "-f", "csv", "-c", "Name"]).await);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("\"Name\""));
    assert!(lines.any(|l| l == "\"v3password\""), "{out}");
    let out = ok(&ksa(
        home.path(),
        &[],
        &[
            "plugins",
            "show",
            "v3password",
            "-f",
            "value",
            "-c",
            "Option",
            "-c",
            "Required",
        ],
    )
    .await);
    assert!(out.lines().any(|l| l == "password False"), "{out}");
    let o = ksa(home.path(), &[], &["plugins", "-f", "shell"]).await;
    assert_eq!(o.status.code(), Some(2));
}

/// `ksa request --microversion`: `auto` takes the service's highest, a range the highest both
/// support (the emulator's compute advertises 2.1 to 2.90 and echoes the header), a range
/// with no overlap fails before the request with both ranges named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_microversion_auto_and_ranges_are_negotiated() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let env = demo_env(&emu);
    for (given, sent) in [
        ("auto", "compute 2.90"),
        ("2.1-2.95", "compute 2.90"),
        ("2.10-2.60", "compute 2.60"),
        ("2.42", "compute 2.42"),
    ] {
        let out = ksa(
            home.path(),
            &env,
            &[
                "--debug",
                "request",
                "GET",
                "compute",
                "/servers",
                "--microversion",
                given,
            ],
        )
        .await;
        ok(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("openstack-api-version: {sent}")),
            "{given}: {stderr}"
        );
    }
    let out = ksa(
        home.path(),
        &env,
        &[
            "request",
            "GET",
            "compute",
            "/servers",
            "--microversion",
            "2.91-2.99",
        ],
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("supports microversions 2.1 - 2.90, not 2.91 - 2.99"),
        "{stderr}"
    );
}

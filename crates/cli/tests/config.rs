//! `ksa config show`: the merged configuration of a cloud from files in a temporary directory
//! (clouds.yaml, secure.yaml, clouds-public.yaml found on the search path), secrets masked,
//! each value with the file, profile, variable or flag it came from.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;

const PASSWORD: &str = "hunter2-from-secure-yaml";

/// A home with `$XDG_CONFIG_HOME/openstack/{clouds,secure,clouds-public}.yaml` and an empty
/// directory to run in (the search path starts with the current directory).
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let os = dir.path().join("xdg").join("openstack");
        std::fs::create_dir_all(&os).unwrap();
        std::fs::create_dir_all(dir.path().join("cwd")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::write(
            os.join("clouds.yaml"),
            "clouds:\n  mycloud:\n    profile: acme\n    auth:\n      username: demo\n      \
             project_name: demo\n      project_domain_id: default\n      user_domain_id: default\n    \
             interface: internal\n    compute_api_version: '2.95'\n  vendor:\n    profile: elastx\n    \
             auth: {username: u, password: in-clouds-yaml}\n",
        )
        .unwrap();
        std::fs::write(
            os.join("secure.yaml"),
            format!("clouds:\n  mycloud:\n    auth:\n      password: {PASSWORD}\n"),
        )
        .unwrap();
        std::fs::write(
            os.join("clouds-public.yaml"),
            "public-clouds:\n  acme:\n    auth:\n      auth_url: https://keystone.acme.test/v3\n    \
             region_name: AcmeOne\n    identity_api_version: 3\n",
        )
        .unwrap();
        Files { dir }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join("xdg").join("openstack").join(name)
    }

    /// `ksa ARGS` with only `env`, `HOME` and `XDG_CONFIG_HOME` in its environment.
    async fn ksa(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let run = Command::new(env!("CARGO_BIN_EXE_ksa"))
            .args(args)
            .env_clear()
            .env("HOME", self.dir.path().join("home"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .envs(env.iter().copied())
            .current_dir(self.dir.path().join("cwd"))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .expect("ksa finishes within 60 s")
            .expect("ksa runs")
    }

    /// `ksa config show ARGS -f json`, as rows by setting.
    async fn show(&self, env: &[(&str, &str)], args: &[&str]) -> Rows {
        let mut all = vec!["config", "show"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-f", "json"]);
        let text = ok(&self.ksa(env, &all).await);
        assert!(!text.contains(PASSWORD), "{text}");
        Rows(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
    }
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

/// The rows of `-f json`: `[{"Setting": …, "Value": …, "Source": …}]`.
struct Rows(Value);

impl Rows {
    fn row(&self, setting: &str) -> &Value {
        self.0
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["Setting"] == setting)
            .unwrap_or_else(|| panic!("no row {setting}: {:#}", self.0))
    }

    fn value(&self, setting: &str) -> &Value {
        &self.row(setting)["Value"]
    }

    fn source(&self, setting: &str) -> String {
        self.row(setting)["Source"].as_str().unwrap().to_owned()
    }
}

fn in_file(kind: &str, path: &Path) -> String {
    format!("{kind} ({})", path.display())
}

#[tokio::test]
async fn config_show_names_each_file_and_masks_the_password_from_secure_yaml() {
    let f = Files::new();
    let rows = f.show(&[], &["--cloud", "mycloud"]).await;
    let clouds = in_file("clouds.yaml", &f.file("clouds.yaml"));
    let secure = in_file("secure.yaml", &f.file("secure.yaml"));
    let profile = format!(
        "profile acme in {}",
        in_file("clouds-public.yaml", &f.file("clouds-public.yaml"))
    );
    assert_eq!(rows.value("cloud"), "mycloud");
    assert_eq!(rows.source("cloud"), "--cloud");
    assert_eq!(rows.value("profile"), "acme");
    assert_eq!(rows.source("profile"), clouds);
    assert_eq!(rows.value("auth_type"), "password");
    assert_eq!(rows.source("auth_type"), "default");
    assert_eq!(rows.value("auth.password"), "***");
    assert_eq!(rows.source("auth.password"), secure);
    assert_eq!(rows.value("auth.username"), "demo");
    assert_eq!(rows.source("auth.username"), clouds);
    assert_eq!(rows.value("auth.auth_url"), "https://keystone.acme.test/v3");
    assert_eq!(rows.source("auth.auth_url"), profile);
    assert_eq!(rows.value("region_name"), "AcmeOne");
    assert_eq!(rows.source("region_name"), profile);
    assert_eq!(rows.value("interface"), "internal");
    assert_eq!(rows.value("compute.api_version"), "2.95");
    assert_eq!(rows.source("compute.api_version"), clouds);
    // The files read, and the paths searched before them (the current directory first).
    for name in ["clouds.yaml", "secure.yaml", "clouds-public.yaml"] {
        let path = f.file(name).display().to_string();
        assert_eq!(rows.value(name), path.as_str(), "{name}");
        assert_eq!(rows.source(name), "read");
        let searched = rows.value(&format!("{name} searched")).as_array().unwrap();
        assert_eq!(searched.last().unwrap(), path.as_str());
        assert!(
            searched[0]
                .as_str()
                .unwrap()
                .ends_with(&format!("cwd/{name}")),
            "{searched:?}"
        );
    }

    // The table says the same, and names every file too.
    let table = ok(&f.ksa(&[], &["config", "show", "--cloud", "mycloud"]).await);
    assert!(!table.contains(PASSWORD), "{table}");
    for name in ["clouds.yaml", "secure.yaml", "clouds-public.yaml"] {
        assert!(
            table.contains(&f.file(name).display().to_string()),
            "{name}: {table}"
        );
    }
    assert!(table.contains("| auth.password "), "{table}");
    // `-c` and `-f value`.
    let value = ok(&f
        .ksa(
            &[],
            &[
                "config", "show", "--cloud", "mycloud", "-f", "value", "-c", "Setting", "-c",
                "Value",
            ],
        )
        .await);
    assert!(value.contains("auth.password ***\n"), "{value}");
    assert!(value.contains("region_name AcmeOne\n"), "{value}");
    assert!(!value.contains(PASSWORD), "{value}");
    // YAML reads back as the same rows.
    let yaml = ok(&f
        .ksa(&[], &["config", "show", "--cloud", "mycloud", "-f", "yaml"])
        .await);
    let read: Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(read, rows.0);
}

#[tokio::test]
async fn config_show_says_which_values_come_from_the_environment_and_flags() {
    let f = Files::new();
    let rows = f
        .show(
            &[
                ("OS_CLOUD", "mycloud"),
                ("OS_USERNAME", "env-user"),
                ("OS_INTERFACE", "public"),
                ("OS_IMAGE_API_VERSION", "2"),
            ],
            &[
                "--os-project-name",
                "flag-project",
                "--os-region-name",
                "AcmeOne",
            ],
        )
        .await;
    assert_eq!(rows.source("cloud"), "env OS_CLOUD");
    assert_eq!(rows.value("auth.username"), "env-user");
    assert_eq!(rows.source("auth.username"), "env OS_USERNAME");
    assert_eq!(rows.value("interface"), "public");
    assert_eq!(rows.source("interface"), "env OS_INTERFACE");
    assert_eq!(rows.source("image.api_version"), "env OS_IMAGE_API_VERSION");
    assert_eq!(rows.value("auth.project_name"), "flag-project");
    assert_eq!(rows.source("auth.project_name"), "flag --os-project-name");
    assert_eq!(rows.source("region_name"), "flag --os-region-name");
    assert_eq!(rows.value("auth.password"), "***");

    // No cloud named: the OS_* variables make one, and no file is read. A token is masked.
    let rows = f
        .show(
            &[
                ("OS_AUTH_URL", "http://127.0.0.1:1/v3"),
                ("OS_TOKEN", "tok-secret"),
            ],
            &[],
        )
        .await;
    assert_eq!(rows.value("cloud"), &Value::Null);
    assert_eq!(rows.value("auth_type"), "token");
    assert_eq!(rows.value("auth.token"), "***");
    assert_eq!(rows.source("auth.token"), "env OS_TOKEN");
    assert_eq!(rows.value("clouds.yaml"), &Value::Null);
    assert!(!rows.0.to_string().contains("tok-secret"));
}

#[tokio::test]
async fn config_show_built_in_profiles_missing_and_unused_options() {
    let f = Files::new();
    let rows = f.show(&[], &["--cloud", "vendor"]).await;
    assert_eq!(rows.source("auth.auth_url"), "built-in profile elastx");
    assert_eq!(rows.value("region_name"), "se-sto");
    assert_eq!(rows.value("auth.password"), "***");

    // Another plugin: its missing required option is listed (nothing fails: the cloud is
    // shown so that it can be fixed), and the password it does not use is shown masked.
    let rows = f
        .show(
            &[("OS_AUTH_TYPE", "v3applicationcredential")],
            &["--cloud", "mycloud"],
        )
        .await;
    assert_eq!(rows.source("auth_type"), "env OS_AUTH_TYPE");
    assert_eq!(
        rows.value("auth.application_credential_secret"),
        &Value::Null
    );
    assert_eq!(
        rows.source("auth.application_credential_secret"),
        "missing: required (env OS_APPLICATION_CREDENTIAL_SECRET)"
    );
    assert_eq!(rows.value("auth.password"), "***");
    assert!(
        rows.source("auth.password")
            .ends_with("unused: not an option of v3applicationcredential"),
        "{}",
        rows.source("auth.password")
    );
    // The secret given on the command line is masked too.
    let rows = f
        .show(
            &[("OS_AUTH_TYPE", "v3applicationcredential")],
            &[
                "--cloud",
                "mycloud",
                "--os-application-credential-secret",
                "appcred-secret",
            ],
        )
        .await;
    assert_eq!(rows.value("auth.application_credential_secret"), "***");
    assert!(!rows.0.to_string().contains("appcred-secret"));

    // An unknown cloud is an error naming the files read.
    let o = f.ksa(&[], &["config", "show", "--cloud", "nope"]).await;
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cloud nope was not found") && err.contains("clouds found: mycloud, vendor"),
        "{err}"
    );
}

/// A `./clouds.yaml` in the current directory wins over the user's cloud of the same name (as
/// in openstacksdk), and says so; a secure.yaml every user can read is used, with a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_shadowed_by_the_current_directory_and_a_readable_secure_yaml_are_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let files = Files::new();
    std::fs::set_permissions(
        files.file("secure.yaml"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let quiet = files
        .ksa(&[], &["config", "show", "--cloud", "mycloud"])
        .await;
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");

    let planted = files.dir.path().join("cwd").join("clouds.yaml");
    std::fs::write(
        &planted,
        "clouds:\n  mycloud:\n    auth:\n      auth_url: https://evil.example/v3\n",
    )
    .unwrap();
    std::fs::set_permissions(
        files.file("secure.yaml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = files
        .ksa(&[], &["config", "show", "--cloud", "mycloud"])
        .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cloud \"mycloud\" is defined in")
            && stderr.contains(&planted.display().to_string())
            && stderr.contains(&files.file("clouds.yaml").display().to_string()),
        "{stderr}"
    );
    assert!(
        stderr.contains("readable by every user") && stderr.contains("chmod 600"),
        "{stderr}"
    );
}

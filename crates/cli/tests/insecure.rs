//! Turning TLS verification off is never silent (issue 21 item 10): `--insecure`,
//! `OS_INSECURE` and clouds.yaml `verify: false` each print one warning, as keystoneauth1
//! warns; with verification on, nothing is said.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use keystoneauth_testing::fixtures::V3Token;

/// What is run, in which home, with which variables and arguments, and how many warnings.
type Case<'a> = (
    &'a str,
    &'a std::path::Path,
    Vec<(&'a str, String)>,
    Vec<&'a str>,
    usize,
);

const WARNING: &str = "TLS certificates are not verified";

fn token_body() -> Vec<u8> {
    let mut t = V3Token::new();
    t.project_scope(
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "demo",
        "default",
        "Default",
    )
    .add_role("1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a", "member");
    serde_json::to_vec(&t.to_json()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_is_warned_about_once() {
    let canned = support::start(token_body(), support::defaults()).await;
    let home = tempfile::tempdir().unwrap();
    let env = canned.env();
    let with = |extra: &[(&'static str, &str)]| {
        let mut e = env.clone();
        e.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        e
    };
    // clouds.yaml in a home of its own: its only cloud would be every other case's default.
    let lax_home = tempfile::tempdir().unwrap();
    let dir = lax_home.path().join(".config/openstack");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("clouds.yaml"),
        format!(
            "clouds:\n  lax:\n    verify: false\n    auth:\n      auth_url: {}\n      \
             username: demo\n      password: demopass\n      user_domain_id: default\n      \
             project_name: demo\n      project_domain_id: default\n",
            canned.auth_url()
        ),
    )
    .unwrap();
    let v3 = canned.auth_url();
    let (plain, lax) = (home.path(), lax_home.path());
    let cases: Vec<Case<'_>> = vec![
        ("verified", plain, env.clone(), vec!["token", "issue"], 0),
        (
            "--insecure",
            plain,
            env.clone(),
            vec!["--insecure", "token", "issue"],
            1,
        ),
        (
            "--insecure --debug",
            plain,
            env.clone(),
            vec!["--debug", "--insecure", "token", "issue"],
            1,
        ),
        (
            "OS_INSECURE",
            plain,
            with(&[("OS_INSECURE", "true")]),
            vec!["token", "issue"],
            1,
        ),
        (
            "clouds.yaml verify: false",
            lax,
            vec![("OS_CLOUD", "lax".to_owned())],
            vec!["token", "issue"],
            1,
        ),
        (
            "discover --insecure",
            plain,
            vec![],
            vec!["--insecure", "discover", &v3],
            1,
        ),
        ("discover", plain, vec![], vec!["discover", &v3], 0),
    ];
    for (what, home, env, args, warnings) in cases {
        let out = support::ksa(home, &env, &args).await;
        support::ok(&out);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.matches(WARNING).count(), warnings, "{what}: {err}");
    }
}

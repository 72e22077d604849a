//! Commands that cannot run, fail, hang, or print something that is not a document.

use super::*;

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
            "exec::tests::bad_commands::stderr_passes_through",
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

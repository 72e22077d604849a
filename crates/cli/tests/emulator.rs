//! `ksa` against the in-process identity emulator (no Keystone needed): flows that need a
//! person in the middle, like the OIDC device authorization grant and WebSSO.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::process::Stdio;
use std::time::Duration;

use keystoneauth_testing::emulator::{
    Emulator, FederatedUserSpec, IdentityProviderSpec, ProjectSpec,
};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const IDP: &str = "ksa-idp";

async fn emulator() -> Emulator {
    Emulator::builder()
        .project(ProjectSpec::new("demo"))
        .identity_provider(
            IdentityProviderSpec::new(IDP, "openid")
                .public_client("ksa-cli")
                .user(FederatedUserSpec::new("alice").project_role("demo", "member")),
        )
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_authorization_shows_the_code_and_waits_for_approval() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let discovery = format!("{}/.well-known/openid-configuration", emu.oidc_issuer(IDP));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ksa"))
        .args([
            "--os-auth-type",
            "v3oidcdeviceauthz",
            "--os-auth-url",
            &emu.auth_url_v3(),
            "--os-identity-provider",
            IDP,
            "--os-protocol",
            "openid",
            "--os-discovery-endpoint",
            &discovery,
            "--os-client-id",
            "ksa-cli",
            "--os-code-challenge-method",
            "S256",
            "--os-project-name",
            "demo",
            "--os-project-domain-id",
            "default",
            "token",
            "issue",
            "-f",
            "json",
        ])
        .env_clear()
        .env("HOME", home.path())
        .current_dir(home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    // Without --debug, the prompt still reaches the user: one warning line on stderr.
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), stderr.next_line())
        .await
        .expect("ksa shows the verification URI")
        .unwrap()
        .expect("a line on stderr");
    let prefix = "ksa: warning: To authenticate please go to: ";
    assert!(line.starts_with(prefix), "{line}");
    let uri = &line[prefix.len()..];
    assert!(uri.starts_with(&emu.oidc_issuer(IDP)), "{uri}");
    let user_code = uri.rsplit_once("user_code=").expect("a user code").1;

    // Nothing until the user approves; then the token.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "ksa waits for approval"
    );
    assert!(emu.oidc_approve_device(IDP, user_code, "alice"));
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("ksa finishes after approval")
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["project_id"], emu.project_id("demo").unwrap().as_str());
    assert_eq!(v["user_id"].as_str().map(str::len), Some(64));
}

/// The value of `attr="…"` in the first tag after `after` in `html`.
fn attr_after(html: &str, after: &str, attr: &str) -> String {
    let rest = &html[html
        .find(after)
        .unwrap_or_else(|| panic!("{after} in {html}"))..];
    let key = format!("{attr}=\"");
    let start = rest.find(&key).unwrap() + key.len();
    rest[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websso_shows_the_login_url_and_takes_the_token_from_the_browser() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let callback = format!("http://127.0.0.1:{port}/auth/websso/");
    let emu = Emulator::builder()
        .project(ProjectSpec::new("demo"))
        .identity_provider(
            IdentityProviderSpec::new(IDP, "openid").user(
                FederatedUserSpec::new("alice")
                    .password("alice-pw")
                    .project_role("demo", "member"),
            ),
        )
        .trusted_dashboard(&callback)
        .start()
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let port_s = port.to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ksa"))
        .args([
            "--os-auth-type",
            "v3websso",
            "--os-auth-url",
            &emu.auth_url_v3(),
            "--os-identity-provider",
            IDP,
            "--os-protocol",
            "openid",
            "--os-redirect-host",
            "127.0.0.1",
            "--os-redirect-port",
            &port_s,
            "--os-project-name",
            "demo",
            "--os-project-domain-id",
            "default",
            "token",
            "issue",
            "-f",
            "json",
        ])
        .env_clear()
        .env("HOME", home.path())
        // The "browser" ksa starts: `true`, so no real one opens; the test browses.
        .env("BROWSER", "true")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), stderr.next_line())
        .await
        .expect("ksa shows the login URL")
        .unwrap()
        .expect("a line on stderr");
    let prefix = "ksa: warning: To authenticate please go to: ";
    assert!(line.starts_with(prefix), "{line}");
    let url = &line[prefix.len()..];
    assert!(url.contains("/websso?origin="), "{url}");

    // The user logs in; Keystone's page posts the token to ksa's callback.
    let browser = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let login = browser
        .post(url)
        .form(&[("username", "alice"), ("password", "alice-pw")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let page = login.text().await.unwrap();
    assert_eq!(attr_after(&page, "<form", "action"), callback);
    let token = attr_after(&page, "name=\"token\"", "value");
    let posted = browser
        .post(&callback)
        .header("Sec-Fetch-Mode", "navigate")
        .header("Sec-Fetch-Dest", "document")
        .header("Sec-Fetch-Site", "cross-site")
        .header("Origin", emu.url())
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("ksa finishes once the token is posted")
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["project_id"], emu.project_id("demo").unwrap().as_str());
}

/// `ksa` with keystoneauth1's `v3adfspassword` options, as `OS_*` variables, against the
/// emulator's ADFS (WS-Trust STS, Shibboleth SP, Keystone's cookie-protected federated URL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adfs_password_from_os_variables_issues_a_project_token() {
    const ADFS: &str = "corp-adfs";
    let emu = Emulator::builder()
        .project(ProjectSpec::new("demo"))
        .identity_provider(
            IdentityProviderSpec::new(ADFS, "saml2").adfs().user(
                FederatedUserSpec::new("alice@corp")
                    .password("s3cr&t")
                    .project_role("demo", "member"),
            ),
        )
        .start()
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let run = |password: &str| {
        Command::new(env!("CARGO_BIN_EXE_ksa"))
            .args(["token", "issue", "-f", "json"])
            .env_clear()
            .env("HOME", home.path())
            .env("OS_AUTH_TYPE", "v3adfspassword")
            .env("OS_AUTH_URL", emu.auth_url_v3())
            .env("OS_IDENTITY_PROVIDER", ADFS)
            .env("OS_PROTOCOL", "saml2")
            .env("OS_IDENTITY_PROVIDER_URL", emu.adfs_sts_url(ADFS))
            .env("OS_SERVICE_PROVIDER_ENDPOINT", emu.adfs_sp_endpoint(ADFS))
            .env("OS_SERVICE_PROVIDER_ENTITY_ID", emu.adfs_sp_entity_id(ADFS))
            .env("OS_USERNAME", "alice@corp")
            .env("OS_PASSWORD", password)
            .env("OS_PROJECT_NAME", "demo")
            .env("OS_PROJECT_DOMAIN_ID", "default")
            .current_dir(home.path())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
    };
    let out = tokio::time::timeout(Duration::from_secs(60), run("s3cr&t"))
        .await
        .expect("ksa finishes")
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["project_id"], emu.project_id("demo").unwrap().as_str());
    let out = tokio::time::timeout(Duration::from_secs(60), run("wrong"))
        .await
        .expect("ksa finishes")
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("a:FailedAuthentication"), "{stderr}");
    assert!(!stderr.contains("wrong"), "{stderr}");
}

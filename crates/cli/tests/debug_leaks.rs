//! `ksa --debug` never shows a secret. For every plugin the in-process emulator can serve
//! without a person in the middle, loaded by its keystoneauth1 name from `OS_*` variables as
//! users write them, `ksa --debug request GET compute /servers` authenticates in full
//! (discovery, token requests, federation and rescoping where the plugin does them) and makes
//! one authenticated request, with every request and response logged to stderr. Neither
//! stderr nor stdout may hold any secret the plugin was given (password, passcode, secret,
//! token, access token, code) nor any credential the client sent on the wire (each
//! `X-Auth-Token`, `X-Subject-Token`, `Authorization` and cookie value the emulator saw).
//! The token of the authenticated request must be there as keystoneauth1 logs it:
//! `{SHA256}` and its hash.
//!
//! As in keystoneauth1, the v2.0 token request is not logged at all (its response body holds
//! the token), so for `v2password` and `v2token` only the request to the service is.
//!
//! The device authorization grant has a person in the middle: its test approves the code
//! that `ksa` shows. WebSSO's logs are checked in `crates/federation/tests/websso_logging.rs`.
//! SAML2 ECP, K2K,
//! OAuth 1.0a, Kerberos, OAuth2 mTLS and tokenless need the real peers or TLS listeners,
//! which the emulator does not have.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::process::{Output, Stdio};
use std::time::Duration;

use keystoneauth_testing::emulator::{
    totp_now, AppCredSpec, Emulator, FederatedUserSpec, IdentityProviderSpec, DEMO_TOTP_SECRET,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const IDP: &str = "ksa-idp";
const ADFS: &str = "ksa-adfs";
const APP_CRED_ID: &str = "leak-test-app-cred-id";
const APP_CRED_SECRET: &str = "app-cred-secret-Q7";
const CLIENT_SECRET: &str = "oidc-client-secret-W3";
const ALICE_PASSWORD: &str = "alice-secret-pw-E5";
const BOB_PASSWORD: &str = "bob-adfs-pw-R9";
const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

async fn emulator() -> Emulator {
    Emulator::builder()
        .default_users()
        .application_credential(
            AppCredSpec::new("demo", "demo", "leak-cred", APP_CRED_SECRET).id(APP_CRED_ID),
        )
        .identity_provider(
            IdentityProviderSpec::new(IDP, "openid")
                .client("ksa-client", CLIENT_SECRET)
                .public_client("ksa-cli")
                .user(
                    FederatedUserSpec::new("alice")
                        .password(ALICE_PASSWORD)
                        .project_role("demo", "member"),
                )
                // A client credentials token speaks for the user named like the client.
                .user(FederatedUserSpec::new("ksa-client").project_role("demo", "member")),
        )
        .identity_provider(
            IdentityProviderSpec::new(ADFS, "saml2").adfs().user(
                FederatedUserSpec::new("bob")
                    .password(BOB_PASSWORD)
                    .project_role("demo", "member"),
            ),
        )
        .start()
        .await
        .unwrap()
}

/// One plugin's `OS_*` variables and the secret values among them.
struct Case {
    auth_type: &'static str,
    env: Vec<(&'static str, String)>,
    secrets: Vec<String>,
}

impl Case {
    fn new(auth_type: &'static str) -> Case {
        Case {
            auth_type,
            env: vec![("OS_AUTH_TYPE", auth_type.to_owned())],
            secrets: vec![],
        }
    }
    fn var(mut self, name: &'static str, value: impl Into<String>) -> Case {
        self.env.push((name, value.into()));
        self
    }
    fn secret(mut self, name: &'static str, value: impl Into<String>) -> Case {
        let value = value.into();
        self.secrets.push(value.clone());
        self.env.push((name, value));
        self
    }
    fn project_demo(self) -> Case {
        self.var("OS_PROJECT_NAME", "demo")
            .var("OS_PROJECT_DOMAIN_ID", "default")
    }
    fn demo_user(self) -> Case {
        self.var("OS_USERNAME", "demo")
            .var("OS_USER_DOMAIN_ID", "default")
    }
    fn oidc(self, emu: &Emulator) -> Case {
        self.var("OS_AUTH_URL", emu.auth_url_v3())
            .var("OS_IDENTITY_PROVIDER", IDP)
            .var("OS_PROTOCOL", "openid")
            .var(
                "OS_DISCOVERY_ENDPOINT",
                format!("{}/.well-known/openid-configuration", emu.oidc_issuer(IDP)),
            )
            .project_demo()
    }
}

/// `ksa ARGS` with only `env` (and `HOME`) in its environment.
fn ksa_command(home: &std::path::Path, env: &[(&str, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ksa"));
    cmd.args(args)
        .env_clear()
        .env("HOME", home)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(home)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

async fn ksa(home: &std::path::Path, env: &[(&str, String)], args: &[&str]) -> Output {
    tokio::time::timeout(
        Duration::from_secs(60),
        ksa_command(home, env, args).output(),
    )
    .await
    .expect("ksa finishes within 60 s")
    .expect("ksa runs")
}

/// What every case asserts once `ksa` has run: the last request the emulator saw was the
/// authenticated GET, its token is in stderr as its `{SHA256}` hash, and neither stream holds
/// a secret given to the plugin or any credential the emulator received.
fn assert_shows_no_secret(
    name: &str,
    emu: &Emulator,
    given: &[String],
    stdout: &str,
    stderr: &str,
) {
    let requests = emu.requests();
    let last = requests.last().expect("the emulator saw requests");
    assert!(last.path.ends_with("/servers"), "{name}: {}", last.path);
    let sent_token = last
        .header("x-auth-token")
        .expect("an authenticated request");
    assert!(
        stderr.contains(&keystoneauth::redact::hash_secret(sent_token)),
        "{name}: the request's token is not logged as its hash:\n{stderr}"
    );
    let mut secrets = given.to_vec();
    secrets.extend(sent_credentials(emu));
    for secret in &secrets {
        for (stream, text) in [("stderr", stderr), ("stdout", stdout)] {
            assert!(
                !shows(text, secret),
                "{name}: a secret ({} chars) is in {stream}:\n{text}",
                secret.len()
            );
        }
    }
}

/// A token for `v3token`, `token`, `v2token` and `admin_token`: issued without `--debug`.
async fn token(home: &std::path::Path, emu: &Emulator, v2: bool) -> String {
    let auth_url = if v2 {
        emu.auth_url_v2()
    } else {
        emu.auth_url_v3()
    };
    let env = Case::new(if v2 { "v2password" } else { "v3password" })
        .var("OS_AUTH_URL", auth_url)
        .var("OS_USERNAME", "demo")
        .var("OS_PASSWORD", "demopass");
    let env = if v2 {
        env.var("OS_TENANT_NAME", "demo").env
    } else {
        env.var("OS_USER_DOMAIN_ID", "default").project_demo().env
    };
    let out = ksa(home, &env, &["token", "issue", "-f", "json"]).await;
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["id"].as_str().expect("a token id").to_owned()
}

/// `secret` stands in `text` as a value of its own. Digit-only secrets (TOTP passcodes) are
/// looked for with non-alphanumeric characters around them: six digits in a row turn up by
/// chance in hashes and request ids.
fn shows(text: &str, secret: &str) -> bool {
    if !secret.bytes().all(|b| b.is_ascii_digit()) {
        return text.contains(secret);
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    text.match_indices(secret).any(|(i, _)| {
        !alnum(text[..i].chars().next_back()) && !alnum(text[i + secret.len()..].chars().next())
    })
}

/// Every credential the client sent on the wire, as the emulator received them.
fn sent_credentials(emu: &Emulator) -> Vec<String> {
    let mut out = vec![];
    for r in emu.requests() {
        for (name, value) in &r.headers {
            match name.as_str() {
                "x-auth-token" | "x-subject-token" | "openstack-auth-receipt" => {
                    out.push(value.clone())
                }
                // `Basic <b64>` / `Bearer <token>`: the credential, not the scheme.
                "authorization" => out.extend(value.split_whitespace().last().map(str::to_owned)),
                "cookie" => out.extend(
                    value
                        .split(';')
                        .filter_map(|c| c.split_once('=').map(|(_, v)| v.trim().to_owned())),
                ),
                _ => {}
            }
        }
    }
    out.retain(|v| v.len() >= 8);
    out.sort();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ksa_debug_shows_no_secret_for_any_plugin() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let v3_token = token(home.path(), &emu, false).await;
    let v2_token = token(home.path(), &emu, true).await;
    let auth_url = emu.auth_url_v3();
    let code = emu
        .oidc_authorization_code(IDP, "ksa-client", "alice", Some(REDIRECT_URI))
        .unwrap();
    let access_token = emu.oidc_access_token(IDP, "alice").unwrap();
    let cases = vec![
        Case::new("v3password")
            .var("OS_AUTH_URL", &auth_url)
            .demo_user()
            .secret("OS_PASSWORD", "demopass")
            .project_demo(),
        Case::new("password")
            .var("OS_AUTH_URL", emu.url())
            .demo_user()
            .secret("OS_PASSWORD", "demopass")
            .project_demo(),
        Case::new("v2password")
            .var("OS_AUTH_URL", emu.auth_url_v2())
            .var("OS_USERNAME", "demo")
            .secret("OS_PASSWORD", "demopass")
            .var("OS_TENANT_NAME", "demo"),
        Case::new("v3token")
            .var("OS_AUTH_URL", &auth_url)
            .secret("OS_TOKEN", &v3_token)
            .project_demo(),
        Case::new("token")
            .var("OS_AUTH_URL", emu.url())
            .secret("OS_TOKEN", &v3_token)
            .project_demo(),
        Case::new("v2token")
            .var("OS_AUTH_URL", emu.auth_url_v2())
            .secret("OS_TOKEN", &v2_token)
            .var("OS_TENANT_NAME", "demo"),
        Case::new("admin_token")
            .var("OS_ENDPOINT", emu.service_url("compute").unwrap())
            .secret("OS_TOKEN", &v3_token),
        Case::new("v3totp")
            .var("OS_AUTH_URL", &auth_url)
            .demo_user()
            .secret("OS_PASSCODE", totp_now(DEMO_TOTP_SECRET))
            .project_demo(),
        Case::new("v3multifactor")
            .var("OS_AUTH_URL", &auth_url)
            .var("OS_AUTH_METHODS", "v3password,v3totp")
            .var("OS_USERNAME", "mfauser")
            .var("OS_USER_DOMAIN_ID", "default")
            .secret("OS_PASSWORD", "mfa-pw")
            .secret("OS_PASSCODE", totp_now(DEMO_TOTP_SECRET))
            .project_demo(),
        Case::new("v3applicationcredential")
            .var("OS_AUTH_URL", &auth_url)
            .var("OS_APPLICATION_CREDENTIAL_ID", APP_CRED_ID)
            .secret("OS_APPLICATION_CREDENTIAL_SECRET", APP_CRED_SECRET),
        Case::new("v3oauth2clientcredential")
            .var("OS_AUTH_URL", &auth_url)
            .var("OS_OAUTH2_ENDPOINT", format!("{auth_url}/OS-OAUTH2/token"))
            .var("OS_OAUTH2_CLIENT_ID", APP_CRED_ID)
            .secret("OS_OAUTH2_CLIENT_SECRET", APP_CRED_SECRET),
        Case::new("v3oidcpassword")
            .oidc(&emu)
            .var("OS_CLIENT_ID", "ksa-client")
            .secret("OS_CLIENT_SECRET", CLIENT_SECRET)
            .var("OS_USERNAME", "alice")
            .secret("OS_PASSWORD", ALICE_PASSWORD),
        Case::new("v3oidcclientcredentials")
            .oidc(&emu)
            .var("OS_CLIENT_ID", "ksa-client")
            .secret("OS_CLIENT_SECRET", CLIENT_SECRET),
        Case::new("v3oidcauthcode")
            .oidc(&emu)
            .var("OS_CLIENT_ID", "ksa-client")
            .secret("OS_CLIENT_SECRET", CLIENT_SECRET)
            .var("OS_REDIRECT_URI", REDIRECT_URI)
            .secret("OS_CODE", code),
        Case::new("v3oidcaccesstoken")
            .oidc(&emu)
            .secret("OS_ACCESS_TOKEN", access_token),
        Case::new("v3adfspassword")
            .var("OS_AUTH_URL", &auth_url)
            .var("OS_IDENTITY_PROVIDER", ADFS)
            .var("OS_PROTOCOL", "saml2")
            .var("OS_IDENTITY_PROVIDER_URL", emu.adfs_sts_url(ADFS))
            .var("OS_SERVICE_PROVIDER_ENDPOINT", emu.adfs_sp_endpoint(ADFS))
            .var("OS_SERVICE_PROVIDER_ENTITY_ID", emu.adfs_sp_entity_id(ADFS))
            .var("OS_USERNAME", "bob")
            .secret("OS_PASSWORD", BOB_PASSWORD)
            .project_demo(),
    ];
    let mut checked = 0;
    for case in cases {
        let before = emu.requests().len();
        let out = ksa(
            home.path(),
            &case.env,
            &["--debug", "request", "GET", "compute", "/servers"],
        )
        .await;
        let name = case.auth_type;
        assert!(out.status.success(), "{name}: {out:?}");
        assert!(
            emu.requests().len() > before && !case.secrets.is_empty(),
            "{name}: nothing to look for"
        );
        assert_shows_no_secret(
            name,
            &emu,
            &case.secrets,
            &String::from_utf8_lossy(&out.stdout),
            &String::from_utf8_lossy(&out.stderr),
        );
        checked += 1;
    }
    assert_eq!(checked, 16);
}

/// The device authorization grant with `--debug`: `ksa` shows the verification URI, the user
/// approves, and neither the OpenID provider's tokens nor Keystone's reach the output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ksa_debug_device_authorization_shows_no_secret() {
    let emu = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let env = Case::new("v3oidcdeviceauthz")
        .oidc(&emu)
        .var("OS_CLIENT_ID", "ksa-cli")
        .var("OS_CODE_CHALLENGE_METHOD", "S256")
        .env;
    let mut child = ksa_command(
        home.path(),
        &env,
        &["--debug", "request", "GET", "compute", "/servers"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut stderr = String::new();
    let prompt = "To authenticate please go to: ";
    let user_code = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            stderr.push_str(&line);
            stderr.push('\n');
            if let Some((_, uri)) = line.split_once(prompt) {
                let uri = uri.split_whitespace().next().unwrap_or_default();
                return uri
                    .rsplit_once("user_code=")
                    .expect("a user code")
                    .1
                    .to_owned();
            }
        }
        panic!("no verification URI on stderr:\n{stderr}");
    })
    .await
    .expect("ksa shows the verification URI");
    assert!(emu.oidc_approve_device(IDP, &user_code, "alice"));
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            stderr.push_str(&line);
            stderr.push('\n');
        }
    })
    .await
    .expect("ksa finishes after approval");
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("ksa exits")
        .unwrap();
    assert!(out.status.success(), "{out:?}\n{stderr}");
    // The OpenID provider's access token (a Bearer), the unscoped and the scoped token.
    let sent = sent_credentials(&emu);
    assert!(sent.len() >= 3, "{sent:?}");
    assert_shows_no_secret(
        "v3oidcdeviceauthz",
        &emu,
        &[],
        &String::from_utf8_lossy(&out.stdout),
        &stderr,
    );
}

#[test]
fn digit_secrets_are_found_only_on_their_own() {
    assert!(shows(r#"{"passcode": "123456"}"#, "123456"));
    assert!(shows("passcode=123456&x", "123456"));
    assert!(!shows("{SHA256}ab1234567f", "123456"));
    assert!(!shows("req-9123456a", "123456"));
    assert!(shows("token abc-secret-1 here", "abc-secret-1"));
}

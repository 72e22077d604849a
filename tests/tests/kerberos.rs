//! Kerberos against the real peers: an MIT KDC, Apache mod_auth_gssapi in front of Keystone
//! (the `kerberos` method under /krb/v3, and the `mapped` federation protocol on /v3).
//!
//! KRB5_CONFIG and KRB5CCNAME are process-global, so every case runs in ONE test, in order,
//! with a test-private credential cache under target/.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use keystoneauth_core::registry::{self, OptionValues};
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AuthPlugin, Error, Session};
use keystoneauth_extras::kerberos::KerberosError;
use keystoneauth_extras::kerberos::{Kerberos, MappedKerberos, MutualAuth, MUTUAL_AUTH_ERROR};
use serde_json::Value;

/// The `kerberos` block of the peers' env.json, plus the top-level project.
struct Krb {
    raw: Value,
    project_id: String,
}

impl Krb {
    fn s(&self, key: &str) -> String {
        self.raw[key]
            .as_str()
            .unwrap_or_else(|| panic!("peers env.json has no kerberos.{key}"))
            .to_owned()
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is one level below the workspace root")
        .to_path_buf()
}

fn peers() -> Krb {
    let path = match std::env::var_os("KSA_PEERS_ENV") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => workspace().join("target/ksa-harness/peers/env.json"),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "\n\nNo real KDC / Kerberos front end for these tests: cannot read {} ({e}).\n\
             Run `cargo xtask test`, or `cargo xtask keystone up` then `cargo xtask peers up`.\n",
            path.display()
        )
    });
    let env: Value = serde_json::from_str(&text).expect("peers env.json is JSON");
    Krb {
        raw: env["kerberos"].clone(),
        project_id: env["project_id"]
            .as_str()
            .expect("peers env.json project_id")
            .to_owned(),
    }
}

/// Run a program with a deadline; returns (success, stdout+stderr).
fn run(cmd: &mut Command, stdin: Option<&str>) -> (bool, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (install krb5-user)"));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} did not finish in 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn set_ccache(path: &Path) {
    let _ = std::fs::remove_file(path);
    std::env::set_var("KRB5CCNAME", format!("FILE:{}", path.display()));
}

fn expect_kinit_error(r: keystoneauth_core::Result<impl std::fmt::Debug>, what: &str) {
    match r {
        Err(e) if e.plugin_error::<KerberosError>().is_some() => {
            let m = e.to_string();
            assert!(m.contains("kinit"), "{what}: {m}");
            assert!(
                m.contains("KRB5CCNAME") && m.contains("KRB5_CONFIG"),
                "{what}: {m}"
            );
            println!("{what}: {m}");
        }
        other => panic!("{what}: expected the kinit error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_against_real_kdc_and_mod_auth_gssapi() {
    let krb = peers();
    let dir = workspace()
        .join("target/ksa-harness/kerberos-tests")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    // Before any GSSAPI call: this process's Kerberos configuration and a private cache.
    std::env::set_var("KRB5_CONFIG", krb.s("krb5_config"));
    let ccache = dir.join("ccache");
    set_ccache(&ccache);

    let auth_url = krb.s("auth_url");
    let mapped_url = krb.s("mapped_auth_url");
    let idp = krb.s("identity_provider");
    let protocol = krb.s("protocol");
    let user_id = krb.s("keystone_user_id");
    let session = Session::builder().build().unwrap();

    // 1. Empty cache: both plugins fail with the error that names kinit, before any token.
    expect_kinit_error(
        Kerberos::new(&auth_url).into_plugin().token(&session).await,
        "Kerberos, empty ccache",
    );
    expect_kinit_error(
        MappedKerberos::new(&mapped_url, &idp, &protocol)
            .into_plugin()
            .token(&session)
            .await,
        "MappedKerberos, empty ccache",
    );

    // 2. kinit the test principal into the private cache (keytab; the password otherwise).
    let principal = krb.s("principal");
    let keytab = krb.s("keytab");
    let (ok, out) = if Path::new(&keytab).exists() {
        run(
            Command::new("kinit").args(["-k", "-t", &keytab, &principal]),
            None,
        )
    } else {
        run(
            Command::new("kinit").arg(&principal),
            Some(&format!("{}\n", krb.s("password"))),
        )
    };
    assert!(ok, "kinit {principal} failed: {out}");
    let (ok, out) = run(Command::new("klist").arg("-s"), None);
    assert!(ok, "klist -s after kinit: {out}");

    // 3. Kerberos (v3 `kerberos` method), unscoped, mutual authentication required.
    let plugin = Arc::new(
        Kerberos::new(&auth_url)
            .mutual_auth(MutualAuth::Required)
            .into_plugin(),
    );
    let s = Session::new(plugin.clone()).unwrap();
    let access = plugin.access(&s).await.unwrap().unwrap();
    assert_eq!(access.user_id(), user_id);
    assert_eq!(
        access.username(),
        Some(krb.s("keystone_user_name").as_str())
    );
    assert!(
        access.methods().iter().any(|m| m == "kerberos"),
        "{:?}",
        access.methods()
    );
    assert!(plugin.cache_id().is_none());
    println!(
        "Kerberos: user {} methods {:?}",
        access.user_id(),
        access.methods()
    );

    // 4. v3kerberos by name, project-scoped; the token works against Keystone.
    let values = OptionValues::new()
        .with("auth_url", &auth_url)
        .with("project_id", &krb.project_id)
        .with("mutual_auth", "required");
    let plugin = registry::load("v3kerberos", &values).unwrap();
    let s = Session::new(plugin.clone()).unwrap();
    assert_eq!(
        s.user_id().await.unwrap().as_deref(),
        Some(user_id.as_str())
    );
    assert_eq!(
        s.project_id().await.unwrap().as_deref(),
        Some(krb.project_id.as_str())
    );
    let projects = s
        .get(format!("{mapped_url}/auth/projects"))
        .send()
        .await
        .unwrap();
    assert!(
        projects.text().contains(&krb.project_id),
        "{}",
        projects.text()
    );
    // A bad mutual-auth value is keystoneauth1's OptionError.
    match registry::load("v3kerberos", &values.clone().with("mutual_auth", "maybe")) {
        Err(Error::OptionError(m)) => assert_eq!(m, MUTUAL_AUTH_ERROR),
        other => panic!("{other:?}"),
    }

    // 5. The SPN follows the URL host: localhost → HTTP/localhost.
    let local = Kerberos::new(krb.s("auth_url_localhost")).into_plugin();
    let a = local.access(&session).await.unwrap().unwrap();
    assert_eq!(a.user_id(), user_id);

    // 6. MappedKerberos: unscoped federated token (mutual auth required).
    let unscoped = MappedKerberos::new(&mapped_url, &idp, &protocol)
        .mutual_auth(MutualAuth::Required)
        .into_plugin();
    let a = unscoped.access(&session).await.unwrap().unwrap();
    assert!(a.is_federated(), "{:?}", a.body());
    assert!(!a.scoped());
    let fed = a.federation().unwrap();
    assert_eq!(fed.identity_provider.as_deref(), Some(idp.as_str()));
    assert_eq!(fed.protocol.as_deref(), Some(protocol.as_str()));
    println!("MappedKerberos unscoped: user {} {:?}", a.user_id(), fed);

    // 7. v3fedkerb by name → rescoped to the project.
    let values = OptionValues::new()
        .with("auth_url", &mapped_url)
        .with("identity_provider", &idp)
        .with("protocol", &protocol)
        .with("project_id", &krb.project_id);
    let plugin = registry::load("v3fedkerb", &values).unwrap();
    let s = Session::new(plugin.clone()).unwrap();
    let a = plugin.access(&s).await.unwrap().unwrap();
    assert_eq!(a.project_id(), Some(krb.project_id.as_str()));
    assert!(a.is_federated());
    assert!(a.role_names().contains(&"member"), "{:?}", a.role_names());
    let token = s.token().await.unwrap().unwrap();
    assert!(!token.expose_secret().is_empty());
    println!("MappedKerberos scoped: project {:?}", a.project_id());

    // 8. A fresh empty cache again: the kinit error, not a stale ticket.
    set_ccache(&dir.join("empty-ccache"));
    expect_kinit_error(
        registry::load("v3fedkerb", &values)
            .unwrap()
            .token(&session)
            .await,
        "v3fedkerb after switching to an empty ccache",
    );

    let _ = std::fs::remove_dir_all(&dir);
}

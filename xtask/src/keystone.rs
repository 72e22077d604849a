//! `cargo xtask keystone up [--tls] | down | status`: a real Keystone on 127.0.0.1.
//!
//! Keystone comes from PyPI into a venv (`target/ksa-harness/venv`); its state
//! (config, sqlite db, keys, certificates, logs, pid files, env files) lives in
//! `target/ksa-harness/keystone/`. gunicorn serves it (`--preload`, 1 worker per listener) on a
//! free port, and with `--tls` a second gunicorn serves it over TLS and asks for
//! client certificates (OAuth2 mTLS and x509 tokenless auth).
//!
//! Outputs, rewritten on each start: `env.json` (read by the `keystoneauth-tests`
//! harness through `KSA_KEYSTONE_ENV`), `env.sh` (`OS_*` exports for the admin)
//! and `clouds.yaml` (clouds `ksa-keystone`, `ksa-keystone-admin`,
//! `ksa-keystone-tls`).

use crate::util::{
    harness_dir, http_get_status, port_from_env_or_free, run_quiet, secs, send_signal, tail_file,
    wait_until,
};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The venv's packages come from `xtask/locks/keystone.txt` (see `locks.rs`). Keystone brings
/// keystoneauth1; with lxml the venv's python is also the keystoneauth1 oracle of the ADFS
/// tests (`KSA_ADFS_PYTHON`, set by `cargo xtask test`).
const KEYSTONE_VERSION: &str = "30.0.0";
const ADMIN_USER: &str = "admin";
const ADMIN_PROJECT: &str = "admin";
const REGION: &str = "RegionOne";
const DEFAULT_ADMIN_PASSWORD: &str = "ksa-admin-secret";
const READY_LIMIT: Duration = Duration::from_secs(60);

/// Subjects of the throw-away PKI (openssl `-subj` form, most significant first).
const SERVER_CA_SUBJ: &str = "/C=US/O=Test/CN=KSA Server CA";
const SERVER_SUBJ: &str = "/C=US/O=Test/CN=127.0.0.1";
const OAUTH2_CA_SUBJ: &str = "/C=US/O=Test/CN=KSA OAuth2 Client CA";
const OAUTH2_CLIENT_SUBJ: &str = "/C=US/O=Test/OU=eng/CN=ksa-oauth2-client";
const TOKENLESS_CA_SUBJ: &str = "/C=US/O=Test/CN=KSA Tokenless CA";
const TOKENLESS_CLIENT_SUBJ: &str = "/C=US/O=Test/OU=svc/CN=ksa-tokenless-client";
const SAML_IDP_SUBJ: &str = "/C=US/O=Test/CN=ksa-keystone-saml-idp";

const ASSET_WSGI: &str = include_str!("../assets/ksa_wsgi.py");
const ASSET_SETUP: &str = include_str!("../assets/ksa_setup.py");
const ASSET_PROBE: &str = include_str!("../assets/ksa_probe.py");

/// All the paths of the harness.
pub struct Paths {
    pub venv: PathBuf,
    pub state: PathBuf,
    pub pki: PathBuf,
    pub app: PathBuf,
    pub env_json: PathBuf,
}

impl Paths {
    /// The paths of the shared instance (`target/ksa-harness/keystone`).
    pub fn shared() -> Paths {
        Paths::named("keystone")
    }

    /// The paths of an instance with its own state dir `target/ksa-harness/<name>`
    /// (the venv is shared).
    pub fn named(name: &str) -> Paths {
        let h = harness_dir();
        let state = h.join(name);
        Paths {
            venv: h.join("venv"),
            pki: state.join("pki"),
            app: state.join("app"),
            env_json: state.join("env.json"),
            state,
        }
    }

    pub fn bin(&self, name: &str) -> PathBuf {
        self.venv.join("bin").join(name)
    }

    fn pid_file(&self, listener: &str) -> PathBuf {
        self.state.join(format!("gunicorn-{listener}.pid"))
    }

    fn pki_file(&self, name: &str) -> PathBuf {
        self.pki.join(name)
    }
}

pub fn main(args: &[String]) -> Result<ExitCode> {
    let sub = args.first().map(String::as_str);
    let rest = args.get(1..).unwrap_or_default();
    match sub {
        Some("up") => {
            let mut tls = false;
            for a in rest {
                match a.as_str() {
                    "--tls" => tls = true,
                    other => bail!("keystone up: unknown argument `{other}` (only --tls)"),
                }
            }
            up(&Paths::shared(), tls)?;
            Ok(ExitCode::SUCCESS)
        }
        Some("down") => {
            down(&Paths::shared())?;
            Ok(ExitCode::SUCCESS)
        }
        Some("status") => Ok(if status(&Paths::shared())? {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }),
        _ => {
            eprintln!("usage: cargo xtask keystone up [--tls] | down | status");
            Ok(ExitCode::from(2))
        }
    }
}

/// What [`up`] did.
pub struct UpOutcome {
    pub env_json: PathBuf,
}

/// The recorded state of a running (or dead) harness: env.json.
fn read_env(paths: &Paths) -> Option<Value> {
    let text = std::fs::read_to_string(&paths.env_json).ok()?;
    serde_json::from_str(&text).ok()
}

fn read_pid(file: impl AsRef<Path>) -> Option<u32> {
    std::fs::read_to_string(file.as_ref())
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn http_alive(paths: &Paths, env: &Value) -> bool {
    let Some(port) = env["port"].as_u64() else {
        return false;
    };
    let pid_ok =
        read_pid(paths.pid_file("http")).is_some_and(|p| crate::util::pid_alive(p, "gunicorn"));
    pid_ok
        && matches!(
            http_get_status(port as u16, "/v3", Duration::from_secs(5)),
            Ok(200)
        )
}

fn tls_alive(paths: &Paths, env: &Value) -> bool {
    let Some(url) = env["tls_root_url"].as_str() else {
        return false;
    };
    let pid_ok =
        read_pid(paths.pid_file("tls")).is_some_and(|p| crate::util::pid_alive(p, "gunicorn"));
    pid_ok && tls_probe(paths, &format!("{url}/v3")).is_ok()
}

/// One mTLS GET with the OAuth2 client certificate, via the venv's python.
fn tls_probe(paths: &Paths, url: &str) -> Result<String> {
    let out = Command::new(paths.bin("python"))
        .arg(paths.app.join("ksa_probe.py"))
        .arg(url)
        .arg(paths.pki_file("server-ca.crt"))
        .arg(paths.pki_file("oauth2-client.crt"))
        .arg(paths.pki_file("oauth2-client.key"))
        .output()
        .context("run ksa_probe.py")?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim())
    }
}

/// `keystone up [--tls]`.
pub fn up(paths: &Paths, tls: bool) -> Result<UpOutcome> {
    let _lock = Lock::acquire(&paths.state.with_extension("lock"))?;
    let t0 = Instant::now();

    // Already running?
    if let Some(env) = read_env(paths) {
        if http_alive(paths, &env) {
            if !tls || tls_alive(paths, &env) {
                println!("keystone: already up (nothing to do)");
                print_info(&env);
                return Ok(UpOutcome {
                    env_json: paths.env_json.clone(),
                });
            }
            // HTTP is up, the TLS listener is wanted but missing: add it.
            let http_port = env["port"].as_u64().context("env.json: port")? as u16;
            let t = Instant::now();
            let tls_port = port_from_env_or_free("KSA_KEYSTONE_TLS_PORT")?;
            stop_listeners(paths, &["tls"]);
            spawn_gunicorn(paths, "tls", tls_port)?;
            wait_tls(paths, tls_port)?;
            let env = write_env_files(paths, http_port, Some(tls_port), &admin_password(paths))?;
            println!("keystone: TLS listener added in {}", secs(t.elapsed()));
            print_info(&env);
            return Ok(UpOutcome {
                env_json: paths.env_json.clone(),
            });
        }
    }
    // Anything left over from a dead or half-dead run goes.
    stop_listeners(paths, &["tls", "http"]);

    let t = Instant::now();
    let installed = ensure_venv(paths)?;
    let t_install = t.elapsed();

    let t = Instant::now();
    if paths.state.exists() {
        std::fs::remove_dir_all(&paths.state)
            .with_context(|| format!("remove {}", paths.state.display()))?;
    }
    std::fs::create_dir_all(&paths.app)?;
    std::fs::write(paths.app.join("ksa_wsgi.py"), ASSET_WSGI)?;
    std::fs::write(paths.app.join("ksa_setup.py"), ASSET_SETUP)?;
    std::fs::write(paths.app.join("ksa_probe.py"), ASSET_PROBE)?;
    let http_port = port_from_env_or_free("KSA_KEYSTONE_PORT")?;
    let password = std::env::var("KSA_KEYSTONE_ADMIN_PASSWORD")
        .unwrap_or_else(|_| DEFAULT_ADMIN_PASSWORD.to_string());
    std::fs::write(paths.state.join("admin-password"), &password)?;
    make_pki(paths)?;
    let admin_token = random_hex(16);
    std::fs::write(paths.state.join("admin-token"), &admin_token)?;
    // The WebSSO callback of the keystoneauth-tests (v3websso): a trusted dashboard.
    let mut websso_port = port_from_env_or_free("KSA_WEBSSO_PORT")?;
    for _ in 0..5 {
        if websso_port != http_port {
            break;
        }
        websso_port = crate::util::free_port()?;
    }
    std::fs::write(paths.state.join("websso-port"), websso_port.to_string())?;
    write_keystone_conf(paths, http_port, websso_port, &admin_token)?;
    let t_pki_conf = t.elapsed();

    let t = Instant::now();
    keystone_manage(paths, http_port, &password)?;
    let t_setup = t.elapsed();

    let t = Instant::now();
    spawn_gunicorn(paths, "http", http_port)?;
    let tls_port = if tls {
        let p = port_from_env_or_free("KSA_KEYSTONE_TLS_PORT")?;
        spawn_gunicorn(paths, "tls", p)?;
        Some(p)
    } else {
        None
    };
    let ok = wait_until(READY_LIMIT, || {
        matches!(
            http_get_status(http_port, "/v3", Duration::from_secs(5)),
            Ok(200)
        )
    });
    if !ok {
        bail!(
            "keystone did not answer GET /v3 on 127.0.0.1:{http_port} within {}s\n--- gunicorn-http.log\n{}\n--- keystone.log\n{}",
            READY_LIMIT.as_secs(),
            tail_file(paths.state.join("gunicorn-http.log"), 30),
            tail_file(paths.state.join("keystone.log"), 30)
        );
    }
    if let Some(p) = tls_port {
        wait_tls(paths, p)?;
    }
    let t_start = t.elapsed();

    let env = write_env_files(paths, http_port, tls_port, &password)?;
    println!(
        "keystone: up in {} (install {}{}, pki+conf {}, keystone-manage {}, start {})",
        secs(t0.elapsed()),
        secs(t_install),
        if installed { "" } else { " (venv reused)" },
        secs(t_pki_conf),
        secs(t_setup),
        secs(t_start),
    );
    print_info(&env);
    Ok(UpOutcome {
        env_json: paths.env_json.clone(),
    })
}

fn wait_tls(paths: &Paths, port: u16) -> Result<()> {
    let url = format!("https://127.0.0.1:{port}/v3");
    let mut last = String::new();
    let ok = wait_until(READY_LIMIT, || match tls_probe(paths, &url) {
        Ok(_) => true,
        Err(e) => {
            last = e.to_string();
            false
        }
    });
    if !ok {
        bail!(
            "the TLS listener did not answer {url} within {}s: {last}\n--- gunicorn-tls.log\n{}",
            READY_LIMIT.as_secs(),
            tail_file(paths.state.join("gunicorn-tls.log"), 30)
        );
    }
    // The peer certificate must reach the WSGI environ.
    let peer = tls_probe(paths, &format!("https://127.0.0.1:{port}/ksa-harness/peer"))?;
    let peer: Value = serde_json::from_str(&peer).context("parse /ksa-harness/peer")?;
    if peer["SSL_CLIENT_S_DN"].as_str() != Some(&rfc4514(OAUTH2_CLIENT_SUBJ)) {
        bail!("the TLS listener did not export the client certificate: {peer}");
    }
    Ok(())
}

fn admin_password(paths: &Paths) -> String {
    std::fs::read_to_string(paths.state.join("admin-password"))
        .unwrap_or_else(|_| DEFAULT_ADMIN_PASSWORD.to_string())
}

/// Creates the venv and installs the locked Keystone set unless it is already there.
/// Returns whether it installed anything.
fn ensure_venv(paths: &Paths) -> Result<bool> {
    let installed = crate::locks::ensure_python_venv(&paths.venv, "keystone")?;
    if !keystone_installed(paths) || !paths.bin("gunicorn").exists() {
        bail!(
            "keystone {KEYSTONE_VERSION} or gunicorn is not in {} after installing \
             xtask/locks/keystone.txt",
            paths.venv.display()
        );
    }
    Ok(installed)
}

fn keystone_installed(paths: &Paths) -> bool {
    let Ok(lib) = std::fs::read_dir(paths.venv.join("lib")) else {
        return false;
    };
    lib.flatten().any(|py| {
        py.path()
            .join("site-packages")
            .join(format!("keystone-{KEYSTONE_VERSION}.dist-info"))
            .is_dir()
    })
}

/// `/C=US/O=Test/CN=x` → `CN=x,O=Test,C=US` (RFC 4514 order, as Keystone sees it).
pub fn rfc4514(subj: &str) -> String {
    let mut parts: Vec<&str> = subj.split('/').filter(|p| !p.is_empty()).collect();
    parts.reverse();
    parts.join(",")
}

/// `/C=US/O=Test/CN=x` → `{"C": "US", "O": "Test", "CN": "x"}`.
fn dn_fields(subj: &str) -> Value {
    let mut m = serde_json::Map::new();
    for p in subj.split('/').filter(|p| !p.is_empty()) {
        if let Some((k, v)) = p.split_once('=') {
            m.insert(k.to_string(), Value::String(v.to_string()));
        }
    }
    Value::Object(m)
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut buf);
    } else {
        let n = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (n >> ((i % 16) * 8)) as u8 ^ (std::process::id() as u8);
        }
    }
    hex::encode(buf)
}

/// Throw-away CAs and certificates, made with the `openssl` CLI.
fn make_pki(paths: &Paths) -> Result<()> {
    let dir = &paths.pki;
    std::fs::create_dir_all(dir)?;
    std::fs::create_dir_all(paths.state.join("saml"))?;
    let ext = |name: &str, body: &str| std::fs::write(dir.join(format!("{name}.ext")), body);
    ext(
        "ca",
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n",
    )?;
    ext(
        "server",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )?;
    ext(
        "client",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )?;
    ext("leaf", "basicConstraints=critical,CA:FALSE\n")?;

    // PKCS#8 PEM keys (`genpkey` always writes "BEGIN PRIVATE KEY"). TLS keys are
    // EC P-256 (instant; RSA 2048 takes ~0.3 s each on a busy 2-core machine);
    // the SAML signing key is RSA because Keystone signs assertions rsa-sha1.
    let ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
    let rsa = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
    let keys = [
        (dir.join("server-ca.key"), ec),
        (dir.join("server.key"), ec),
        (dir.join("oauth2-ca.key"), ec),
        (dir.join("oauth2-client.key"), ec),
        (dir.join("tokenless-ca.key"), ec),
        (dir.join("tokenless-client.key"), ec),
        (paths.state.join("saml").join("idp.key"), rsa),
    ];
    for (key, alg) in &keys {
        run_quiet(
            Command::new("openssl")
                .arg("genpkey")
                .args(alg)
                .arg("-out")
                .arg(key),
        )
        .context("openssl genpkey (is openssl installed?)")?;
    }

    let openssl = |args: &[&str]| -> Result<()> {
        run_quiet(Command::new("openssl").current_dir(dir).args(args))
    };
    let self_signed = |key: &Path, subj: &str, ext: &str, out: &Path| -> Result<()> {
        let csr = out.with_extension("csr");
        run_quiet(
            Command::new("openssl")
                .current_dir(dir)
                .args(["req", "-new", "-key"])
                .arg(key)
                .args(["-subj", subj, "-out"])
                .arg(&csr),
        )?;
        run_quiet(
            Command::new("openssl")
                .current_dir(dir)
                .args(["x509", "-req", "-sha256", "-days", "7", "-in"])
                .arg(&csr)
                .arg("-signkey")
                .arg(key)
                .args(["-extfile", ext, "-out"])
                .arg(out),
        )
    };
    let signed = |name: &str, subj: &str, ca: &str, ext: &str| -> Result<()> {
        openssl(&[
            "req",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            subj,
            "-out",
            &format!("{name}.csr"),
        ])?;
        openssl(&[
            "x509",
            "-req",
            "-sha256",
            "-days",
            "7",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-extfile",
            ext,
            "-out",
            &format!("{name}.crt"),
        ])
    };
    for (name, subj) in [
        ("server-ca", SERVER_CA_SUBJ),
        ("oauth2-ca", OAUTH2_CA_SUBJ),
        ("tokenless-ca", TOKENLESS_CA_SUBJ),
    ] {
        self_signed(
            &dir.join(format!("{name}.key")),
            subj,
            "ca.ext",
            &dir.join(format!("{name}.crt")),
        )?;
    }
    signed("server", SERVER_SUBJ, "server-ca", "server.ext")?;
    signed(
        "oauth2-client",
        OAUTH2_CLIENT_SUBJ,
        "oauth2-ca",
        "client.ext",
    )?;
    signed(
        "tokenless-client",
        TOKENLESS_CLIENT_SUBJ,
        "tokenless-ca",
        "client.ext",
    )?;
    let saml = paths.state.join("saml");
    self_signed(
        &saml.join("idp.key"),
        SAML_IDP_SUBJ,
        "leaf.ext",
        &saml.join("idp.crt"),
    )?;

    // The TLS listener accepts client certificates of both client CAs.
    let mut bundle = std::fs::read_to_string(dir.join("oauth2-ca.crt"))?;
    bundle.push_str(&std::fs::read_to_string(dir.join("tokenless-ca.crt"))?);
    std::fs::write(dir.join("client-cas.crt"), bundle)?;
    Ok(())
}

fn write_keystone_conf(
    paths: &Paths,
    port: u16,
    websso_port: u16,
    admin_token: &str,
) -> Result<()> {
    let s = paths.state.display();
    let url = format!("http://127.0.0.1:{port}");
    let trusted_issuer = rfc4514(TOKENLESS_CA_SUBJ);
    let sso_template = paths
        .venv
        .join("etc/keystone/sso_callback_template.html")
        .display()
        .to_string();
    let conf = format!(
        r#"# Generated by `cargo xtask keystone up`. TEST ONLY: loopback, throw-away keys.
[DEFAULT]
debug = false
log_file = {s}/keystone.log
max_token_size = 16384
# static bypass token for the standalone AdminToken plugin tests
admin_token = {admin_token}

[database]
# wait up to 30 s for a lock instead of failing with 'database is locked'
connection = sqlite:///{s}/keystone.db?timeout=30

[identity]
# bcrypt cost 4 instead of 12: ~250 ms less per password authentication
password_hash_rounds = 4

[token]
provider = fernet
expiration = 3600

[fernet_tokens]
key_repository = {s}/fernet-keys

[fernet_receipts]
key_repository = {s}/receipt-keys

[credential]
key_repository = {s}/credential-keys

[auth]
methods = external,password,token,oauth1,mapped,application_credential,totp,openid,saml2,kerberos

[oauth2]
oauth2_authn_methods = tls_client_auth,client_secret_basic
oauth2_cert_dn_mapping_id = oauth2_mapping

[tokenless_auth]
# Only the tokenless CA: if the OAuth2 client CA were trusted here too, every
# request with such a certificate but without X-Project-*/X-Domain-* headers
# (POST /v3/OS-OAUTH2/token included) would get 400.
trusted_issuer = {trusted_issuer}
protocol = x509
issuer_attribute = SSL_CLIENT_I_DN

[openid]
remote_id_attribute = OIDC-iss

[saml2]
remote_id_attribute = Shib-Identity-Provider

[federation]
trusted_dashboard = {url}/dashboard/auth/websso/
# keystoneauth's v3websso callback (the tests' redirect port)
trusted_dashboard = http://127.0.0.1:{websso_port}/auth/websso/
# the page that posts the token to the dashboard, as the keystone wheel installs it
sso_callback_template = {sso_template}

[saml]
# Keystone as a SAML2 IdP (K2K); signing needs the xmlsec1 binary
certfile = {s}/saml/idp.crt
keyfile = {s}/saml/idp.key
idp_entity_id = {url}/v3/OS-FEDERATION/saml2/idp
idp_sso_endpoint = {url}/v3/OS-FEDERATION/saml2/sso
idp_metadata_path = {s}/saml/idp-metadata.xml
"#
    );
    std::fs::write(paths.state.join("keystone.conf"), conf)?;
    Ok(())
}

/// db_sync, fernet_setup, receipt_setup, credential_setup and bootstrap in one
/// python process.
fn keystone_manage(paths: &Paths, port: u16, password: &str) -> Result<()> {
    let (uid, gid) = ids();
    let url = format!("http://127.0.0.1:{port}/v3");
    let owner = |cmd: &str| json!([cmd, "--keystone-user", uid, "--keystone-group", gid]);
    let steps = json!([
        ["db_sync"],
        owner("fernet_setup"),
        owner("receipt_setup"),
        owner("credential_setup"),
        [
            "bootstrap",
            "--bootstrap-username",
            ADMIN_USER,
            "--bootstrap-password",
            password,
            "--bootstrap-project-name",
            ADMIN_PROJECT,
            "--bootstrap-role-name",
            "admin",
            "--bootstrap-service-name",
            "keystone",
            "--bootstrap-region-id",
            REGION,
            "--bootstrap-admin-url",
            url,
            "--bootstrap-internal-url",
            url,
            "--bootstrap-public-url",
            url
        ]
    ]);
    let log = std::fs::File::create(paths.state.join("manage.log"))?;
    let mut child = Command::new(paths.bin("python"))
        .arg(paths.app.join("ksa_setup.py"))
        .arg(paths.state.join("keystone.conf"))
        .stdin(Stdio::piped())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("run ksa_setup.py")?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().context("stdin")?;
        stdin.write_all(steps.to_string().as_bytes())?;
    }
    let st = child.wait()?;
    if !st.success() {
        bail!(
            "keystone-manage steps failed ({st}):\n{}",
            tail_file(paths.state.join("manage.log"), 40)
        );
    }
    Ok(())
}

fn ids() -> (String, String) {
    let id = |flag: &str| {
        Command::new("id")
            .arg(flag)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "0".to_string())
    };
    (id("-u"), id("-g"))
}

/// Starts one daemonized gunicorn master (`listener` = "http" or "tls").
fn spawn_gunicorn(paths: &Paths, listener: &str, port: u16) -> Result<()> {
    let pid_file = paths.pid_file(listener);
    let _ = std::fs::remove_file(&pid_file);
    let mut cmd = Command::new(paths.bin("gunicorn"));
    cmd.arg("--chdir")
        .arg(&paths.app)
        .args([
            // One worker per listener: Keystone's sqlite transactions read then write, and
            // two processes doing that at once get "database is locked" at once (SQLite does
            // not wait on a lock upgrade), which clients see as 500s.
            "--workers",
            "1",
            "--preload",
            "--no-control-socket",
            "--daemon",
        ])
        .args(["--timeout", "120", "--graceful-timeout", "5"])
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .arg("--pid")
        .arg(&pid_file)
        .arg("--error-logfile")
        .arg(paths.state.join(format!("gunicorn-{listener}.log")))
        .arg("--capture-output")
        .arg("--env")
        .arg(format!("OS_KEYSTONE_CONFIG_DIR={}", paths.state.display()))
        .args(["--env", "OS_KEYSTONE_CONFIG_FILES=keystone.conf"])
        .env("OS_KEYSTONE_CONFIG_DIR", &paths.state)
        .env("OS_KEYSTONE_CONFIG_FILES", "keystone.conf");
    if listener == "tls" {
        // --cert-reqs 1 = ssl.CERT_OPTIONAL: a client certificate is asked for
        // and verified against client-cas.crt when the client sends one.
        cmd.arg("--certfile")
            .arg(paths.pki_file("server.crt"))
            .arg("--keyfile")
            .arg(paths.pki_file("server.key"))
            .arg("--ca-certs")
            .arg(paths.pki_file("client-cas.crt"))
            .args(["--cert-reqs", "1"]);
    }
    cmd.arg("ksa_wsgi:application");
    run_quiet(&mut cmd).with_context(|| format!("start gunicorn ({listener})"))?;
    // --daemon returns at once; the master writes its pid file after the preload.
    if !wait_until(READY_LIMIT, || read_pid(&pid_file).is_some()) {
        bail!(
            "gunicorn ({listener}) wrote no pid file within {}s\n{}",
            READY_LIMIT.as_secs(),
            tail_file(paths.state.join(format!("gunicorn-{listener}.log")), 30)
        );
    }
    Ok(())
}

/// Writes env.json, env.sh and clouds.yaml; returns the env.json value.
fn write_env_files(
    paths: &Paths,
    http_port: u16,
    tls_port: Option<u16>,
    password: &str,
) -> Result<Value> {
    let root = format!("http://127.0.0.1:{http_port}");
    let tls_root = tls_port.map(|p| format!("https://127.0.0.1:{p}"));
    let pki = |n: &str| paths.pki_file(n).display().to_string();
    let http_pid = read_pid(paths.pid_file("http"));
    let tls_pid = tls_port.and_then(|_| read_pid(paths.pid_file("tls")));
    let tokenless_issuer = rfc4514(TOKENLESS_CA_SUBJ);
    let admin_token = std::fs::read_to_string(paths.state.join("admin-token")).unwrap_or_default();
    let websso_port: Option<u16> = std::fs::read_to_string(paths.state.join("websso-port"))
        .ok()
        .and_then(|p| p.trim().parse().ok());
    let env = json!({
        "keystone_version": KEYSTONE_VERSION,
        "auth_url": format!("{root}/v3"),
        "root_url": root,
        "port": http_port,
        "admin_username": ADMIN_USER,
        "admin_password": password,
        "admin_project_name": ADMIN_PROJECT,
        "admin_user_domain_id": "default",
        "admin_project_domain_id": "default",
        "admin_domain_id": "default",
        "admin_token": admin_token.trim(),
        "region": REGION,
        "tls_auth_url": tls_root.as_ref().map(|r| format!("{r}/v3")),
        "tls_root_url": tls_root,
        "tls_port": tls_port,
        "ca_cert": pki("server-ca.crt"),
        "oauth2_ca_cert": pki("oauth2-ca.crt"),
        "oauth2_ca_subject_dn": rfc4514(OAUTH2_CA_SUBJ),
        "oauth2_client_cert": pki("oauth2-client.crt"),
        "oauth2_client_key": pki("oauth2-client.key"),
        "oauth2_client_subject_dn": rfc4514(OAUTH2_CLIENT_SUBJ),
        "oauth2_client_subject": dn_fields(OAUTH2_CLIENT_SUBJ),
        "oauth2_mapping_id": "oauth2_mapping",
        "tokenless_ca_cert": pki("tokenless-ca.crt"),
        "tokenless_ca_subject_dn": tokenless_issuer,
        "tokenless_client_cert": pki("tokenless-client.crt"),
        "tokenless_client_key": pki("tokenless-client.key"),
        "tokenless_client_subject_dn": rfc4514(TOKENLESS_CLIENT_SUBJ),
        "tokenless_client_subject": dn_fields(TOKENLESS_CLIENT_SUBJ),
        "tokenless_protocol": "x509",
        "tokenless_idp_id": hex::encode(Sha256::digest(tokenless_issuer.as_bytes())),
        "environ_header": "X-Test-Environ",
        "websso_redirect_port": websso_port,
        "websso_redirect_uri": websso_port.map(|p| format!("http://127.0.0.1:{p}/auth/websso/")),
        "saml_idp_cert": paths.state.join("saml").join("idp.crt").display().to_string(),
        "state_dir": paths.state.display().to_string(),
        "keystone_log": paths.state.join("keystone.log").display().to_string(),
        "pid": http_pid,
        "pids": { "http": http_pid, "tls": tls_pid },
    });
    std::fs::write(&paths.env_json, serde_json::to_string_pretty(&env)? + "\n")?;

    let q = |v: &str| format!("'{}'", v.replace('\'', r"'\''"));
    let mut sh =
        String::from("# Generated by `cargo xtask keystone up`: source it for the admin.\n");
    for (k, v) in [
        ("KSA_KEYSTONE_ENV", paths.env_json.display().to_string()),
        ("OS_AUTH_URL", format!("{root}/v3")),
        ("OS_AUTH_TYPE", "password".into()),
        ("OS_IDENTITY_API_VERSION", "3".into()),
        ("OS_INTERFACE", "public".into()),
        ("OS_USERNAME", ADMIN_USER.into()),
        ("OS_PASSWORD", password.into()),
        ("OS_PROJECT_NAME", ADMIN_PROJECT.into()),
        ("OS_USER_DOMAIN_ID", "default".into()),
        ("OS_PROJECT_DOMAIN_ID", "default".into()),
        ("OS_REGION_NAME", REGION.into()),
    ] {
        sh.push_str(&format!("export {k}={}\n", q(&v)));
    }
    std::fs::write(paths.state.join("env.sh"), sh)?;

    let y = |v: &str| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
    let mut yaml = format!(
        "# Generated by `cargo xtask keystone up`.\nclouds:\n  ksa-keystone:\n    auth_type: password\n    auth:\n      auth_url: {}\n      username: {}\n      password: {}\n      project_name: {}\n      user_domain_id: default\n      project_domain_id: default\n    region_name: {REGION}\n    interface: public\n    identity_api_version: 3\n  ksa-keystone-admin:\n    auth_type: password\n    auth:\n      auth_url: {}\n      username: {}\n      password: {}\n      user_domain_id: default\n      system_scope: all\n    region_name: {REGION}\n    interface: public\n    identity_api_version: 3\n",
        y(&format!("{root}/v3")),
        y(ADMIN_USER),
        y(password),
        y(ADMIN_PROJECT),
        y(&format!("{root}/v3")),
        y(ADMIN_USER),
        y(password),
    );
    if let Some(t) = &tls_root {
        yaml.push_str(&format!(
            "  ksa-keystone-tls:\n    auth_type: password\n    auth:\n      auth_url: {}\n      username: {}\n      password: {}\n      project_name: {}\n      user_domain_id: default\n      project_domain_id: default\n    region_name: {REGION}\n    interface: public\n    identity_api_version: 3\n    cacert: {}\n    cert: {}\n    key: {}\n",
            y(&format!("{t}/v3")),
            y(ADMIN_USER),
            y(password),
            y(ADMIN_PROJECT),
            y(&pki("server-ca.crt")),
            y(&pki("oauth2-client.crt")),
            y(&pki("oauth2-client.key")),
        ));
    }
    std::fs::write(paths.state.join("clouds.yaml"), yaml)?;
    Ok(env)
}

fn print_info(env: &Value) {
    let s = |k: &str| env[k].as_str().unwrap_or("-").to_string();
    println!(
        "  auth_url      {}  (port {}, pid {})",
        s("auth_url"),
        env["port"],
        env["pid"]
    );
    if env["tls_auth_url"].is_string() {
        println!(
            "  tls_auth_url  {}  (port {}, pid {}; mTLS optional)",
            s("tls_auth_url"),
            env["tls_port"],
            env["pids"]["tls"]
        );
    }
    println!(
        "  admin         {} / {} (project {}, domain default)",
        s("admin_username"),
        s("admin_password"),
        s("admin_project_name")
    );
    let state = s("state_dir");
    println!("  env           {state}/env.json  (export KSA_KEYSTONE_ENV=... ; `source {state}/env.sh`; {state}/clouds.yaml)");
    println!("  logs          {state}/keystone.log, {state}/gunicorn-*.log");
}

/// Stops listeners by their recorded PIDs: INT (gunicorn's quick shutdown) to
/// all of them, then waits; KILL after 10 s. Returns the `(listener, pid)`s stopped.
fn stop_listeners(paths: &Paths, listeners: &[&'static str]) -> Vec<(&'static str, u32)> {
    let alive = |pid: u32| crate::util::pid_alive(pid, "gunicorn");
    let mut stopped = Vec::new();
    for &listener in listeners {
        let pid_file = paths.pid_file(listener);
        if let Some(pid) = read_pid(&pid_file) {
            if alive(pid) {
                send_signal(pid, "INT");
                stopped.push((listener, pid));
            }
        }
        let _ = std::fs::remove_file(&pid_file);
    }
    let all_gone = || stopped.iter().all(|&(_, pid)| !alive(pid));
    if !wait_until(Duration::from_secs(10), all_gone) {
        for &(_, pid) in &stopped {
            if alive(pid) {
                send_signal(pid, "KILL");
            }
        }
        wait_until(Duration::from_secs(5), all_gone);
    }
    stopped
}

/// `keystone down`.
pub fn down(paths: &Paths) -> Result<()> {
    let _lock = Lock::acquire(&paths.state.with_extension("lock"))?;
    let t = Instant::now();
    let stopped = stop_listeners(paths, &["tls", "http"]);
    for (listener, pid) in &stopped {
        println!("keystone: stopped {listener} listener (pid {pid})");
    }
    if stopped.is_empty() {
        println!("keystone: was not running");
    } else {
        println!("keystone: down in {}", secs(t.elapsed()));
    }
    Ok(())
}

/// `keystone status`: prints the state; returns whether Keystone answers.
pub fn status(paths: &Paths) -> Result<bool> {
    let Some(env) = read_env(paths) else {
        println!("keystone: not running (no {})", paths.env_json.display());
        return Ok(false);
    };
    if !http_alive(paths, &env) {
        println!(
            "keystone: not running (last state in {})",
            paths.state.display()
        );
        return Ok(false);
    }
    let tls = if env["tls_root_url"].is_string() {
        if tls_alive(paths, &env) {
            "TLS listener up"
        } else {
            "TLS listener DOWN"
        }
    } else {
        "no TLS listener"
    };
    println!("keystone: up ({tls})");
    print_info(&env);
    Ok(true)
}

/// A lock file (created with O_EXCL, holding our PID) so that two `up`/`down`
/// runs on the same state dir do not interleave. A lock whose PID is dead is
/// taken over.
struct Lock(PathBuf);

impl Lock {
    fn acquire(path: &Path) -> Result<Lock> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let start = Instant::now();
        let mut told = false;
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    write!(f, "{}", std::process::id())?;
                    return Ok(Lock(path.to_path_buf()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = read_pid(path);
                    let alive = holder.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
                    if !alive && start.elapsed() > Duration::from_secs(1) {
                        // dead holder (or one that never wrote its PID): take over
                        let _ = std::fs::remove_file(path);
                        continue;
                    }
                    if start.elapsed() > Duration::from_secs(300) {
                        bail!("{} is held by pid {holder:?} for 300 s", path.display());
                    }
                    if !told && alive {
                        println!("keystone: waiting for pid {holder:?} ({})", path.display());
                        told = true;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(e).with_context(|| format!("create {}", path.display())),
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

//! `cargo xtask peers up|down|status`: the real identity-provider peers for the federation
//! and Kerberos tests, all on 127.0.0.1, state under `target/ksa-harness/peers/`.
//!
//! | peer | what | in front of Keystone |
//! |---|---|---|
//! | OIDC OP | npm `oidc-provider@9` + `assets/peers/oidc/server.mjs`, HTTPS | Apache + mod_auth_openidc (JWKS resource server) |
//! | SAML2 IdP | Debian `simplesamlphp` under `php -S`, ECP on | Apache + mod_auth_mellon (PAOS) |
//! | Kerberos | MIT `krb5kdc`, realm `KSA.TEST` | Apache + mod_auth_gssapi |
//! | K2K SP | a second Keystone (`k2k.rs`), the harness Keystone is its SAML2 IdP | Apache + mod_auth_mellon (PAOS, unsolicited assertion) |
//!
//! `up` needs the harness Keystone (`cargo xtask keystone up`): it registers IdPs, mappings
//! and protocols there (idempotent), checks every chain end to end, and writes
//! `target/ksa-harness/peers/env.json`. Debian packages: `assets/apt-packages.txt`.

mod apache;
mod http;
mod k2k;
mod krb;
mod oidc;
pub(crate) mod proc;
mod provision;
mod saml;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub const OIDC_IDP: &str = "oidc-idp";
pub const OIDC_PROTOCOL: &str = "openid";
pub const OIDC_MAPPING: &str = "oidc-mapping";
pub const SAML_IDP: &str = "saml-idp";
pub const SAML_PROTOCOL: &str = "saml2";
pub const SAML_MAPPING: &str = "saml-mapping";
pub const KRB_IDP: &str = "kerberos-idp";
/// Not `kerberos`: Keystone routes the federation URL's protocol id to the auth method of
/// that name, and method `kerberos` is the REMOTE_USER plugin, not the mapping engine.
pub const KRB_PROTOCOL: &str = "mapped";
pub const KRB_MAPPING: &str = "kerberos-mapping";

/// The components in start order; `down` stops them in reverse.
const COMPONENTS: &[(&str, &str)] = &[
    ("krb", "Kerberos KDC"),
    ("oidc", "OIDC OP (oidc-provider)"),
    ("saml-idp", "SAML2 IdP (simplesamlphp)"),
    ("apache-mellon", "Apache mod_auth_mellon"),
    ("apache-openidc", "Apache mod_auth_openidc"),
    ("apache-gssapi", "Apache mod_auth_gssapi"),
    (k2k::KEYSTONE_DIR, "Keystone (K2K SP)"),
    (k2k::APACHE_DIR, "Apache mod_auth_mellon (K2K SP)"),
];

/// What every component needs: where state lives, ports taken so far, per-run secrets.
pub struct Ctx {
    pub root: PathBuf,
    pub ports: Vec<u16>,
    seed: String,
}

impl Ctx {
    /// A per-run secret derived from a random seed (cookie keys, salts, ...).
    pub fn secret(&self, what: &str) -> String {
        use sha2::{Digest, Sha256};
        let h = Sha256::digest(format!("{}:{what}", self.seed).as_bytes());
        hex::encode(&h[..12])
    }
}

/// The default state dir: `<workspace>/target/ksa-harness/peers`.
pub fn default_root() -> PathBuf {
    crate::util::harness_dir().join("peers")
}

/// `$KSA_KEYSTONE_ENV`, else the shared harness instance's env.json.
fn default_keystone_env() -> PathBuf {
    match std::env::var_os("KSA_KEYSTONE_ENV") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => default_root().with_file_name("keystone").join("env.json"),
    }
}

/// The env.json `up` writes under state dir `root`.
pub fn env_json_path(root: &Path) -> PathBuf {
    root.join("env.json")
}

pub fn main(args: &[String]) -> Result<ExitCode> {
    match args.first().map(String::as_str) {
        Some("up") => up(&default_root(), &default_keystone_env()).map(|_| ExitCode::SUCCESS),
        Some("down") => down(&default_root()).map(|_| ExitCode::SUCCESS),
        Some("status") => Ok(if status(&default_root())? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
        _ => {
            eprintln!("usage: cargo xtask peers up|down|status");
            Ok(ExitCode::from(2))
        }
    }
}

/// Stops every peer recorded under `r` by its PID (Apache first, the KDC last).
pub fn down(r: &Path) -> Result<()> {
    for (dir, label) in COMPONENTS.iter().rev() {
        if let Some(pid) = proc::stop(&r.join(dir).join("pid"), Duration::from_secs(15)) {
            println!("peers: stopped {label} (pid {pid})");
        }
    }
    let _ = std::fs::remove_file(env_json_path(r));
    Ok(())
}

/// Prints each peer's state; `Ok(false)` when one is not running.
pub fn status(r: &Path) -> Result<bool> {
    let mut all = true;
    for (dir, label) in COMPONENTS {
        match proc::read_pid_file(&r.join(dir).join("pid")) {
            Some((pid, needle)) if proc::alive(pid, &needle) => {
                println!("peers: {label:<28} running (pid {pid})")
            }
            _ => {
                all = false;
                println!("peers: {label:<28} not running");
            }
        }
    }
    let env = env_json_path(r);
    if env.is_file() {
        println!("peers: env {}", env.display());
    } else {
        all = false;
        println!("peers: no {}", env.display());
    }
    Ok(all)
}

fn random_seed() -> Result<String> {
    use std::io::Read;
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(hex::encode(b))
}

/// Starts every peer with state under `root` for the Keystone described by `keystone_env`
/// (its env.json), registers them there, checks each chain and writes `root/env.json`
/// (returned). On failure, whatever was started is stopped again and the error names the log.
pub fn up(root: &Path, keystone_env: &Path) -> Result<PathBuf> {
    down(root)?;
    let result = start_all(root, keystone_env);
    if result.is_err() {
        let _ = down(root);
    }
    result.map(|_| env_json_path(root))
}

struct Timer(Vec<(String, f64)>);
impl Timer {
    fn lap<T>(&mut self, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let t = Instant::now();
        let v = f().with_context(|| format!("peers up: {what}"))?;
        let s = t.elapsed().as_secs_f64();
        println!("peers: {what:<44} {s:>6.2}s");
        self.0.push((what.to_string(), s));
        Ok(v)
    }
}

fn start_all(root: &Path, ks_env_path: &Path) -> Result<Value> {
    let t0 = Instant::now();
    let ks_env: Value =
        serde_json::from_str(&std::fs::read_to_string(ks_env_path).with_context(|| {
            format!(
                "{}: run `cargo xtask keystone up` first",
                ks_env_path.display()
            )
        })?)
        .with_context(|| format!("parse {}", ks_env_path.display()))?;
    let ks_base = ks_env["auth_url"]
        .as_str()
        .context("keystone env.json: auth_url")?
        .trim_end_matches('/')
        .to_string();
    let ks_root = ks_env["root_url"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| ks_base.trim_end_matches("/v3").to_string());
    let environ_header = ks_env["environ_header"]
        .as_str()
        .unwrap_or("X-Test-Environ")
        .to_string();
    let keystone = provision::Keystone::login(&ks_env)?;

    let mut ctx = Ctx {
        root: root.to_path_buf(),
        ports: Vec::new(),
        seed: random_seed()?,
    };
    std::fs::create_dir_all(&ctx.root)?;
    let mut tm = Timer(Vec::new());

    let realm = tm.lap("Kerberos KDC (realm, principals, kinit)", || {
        krb::start_kdc(&mut ctx)
    })?;
    // mod_auth_openidc's port first: its WebSSO redirect URI is registered at the OP.
    let openidc_port = proc::free_port(&mut ctx.ports)?;
    let websso_rp_redirect = format!(
        "http://127.0.0.1:{openidc_port}/v3/auth/OS-FEDERATION/identity_providers/{OIDC_IDP}/protocols/{OIDC_PROTOCOL}/websso/redirect"
    );
    let op = tm.lap("OIDC OP (oidc-provider, https)", || {
        oidc::start(&mut ctx, std::slice::from_ref(&websso_rp_redirect))
    })?;
    let saml = tm.lap("SAML2 IdP (simplesamlphp) + mod_auth_mellon", || {
        saml::start(&mut ctx, &ks_root, &environ_header, SAML_IDP, SAML_PROTOCOL)
    })?;
    let openidc = tm.lap("Apache mod_auth_openidc", || {
        let d = apache::dir(&ctx, "apache-openidc");
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d)?;
        let port = openidc_port;
        let jwks = op.discovery["jwks_uri"]
            .as_str()
            .context("discovery: jwks_uri")?;
        let pass = ctx.secret("openidc-passphrase");
        let ds = d.display().to_string();
        let body = proc::render(
            apache::OPENIDC,
            &[
                ("MODULES", apache::MODULES),
                ("DIR", &ds),
                ("PASSPHRASE", &pass),
                ("JWKS_URI", jwks),
                ("KEYSTONE", &ks_root),
                ("ENVIRON_HEADER", &environ_header),
                (
                    "DISCOVERY_URL",
                    &format!("{}/.well-known/openid-configuration", op.issuer),
                ),
                ("CLIENT_ID", oidc::CLIENT_ID),
                ("CLIENT_SECRET", oidc::CLIENT_SECRET),
                ("RP_REDIRECT_URI", &websso_rp_redirect),
            ],
        )?;
        apache::start("Apache mod_auth_openidc", &d, port, &body, &[])
    })?;
    let gssapi = tm.lap("Apache mod_auth_gssapi", || {
        krb::start_front(
            &mut ctx,
            &realm,
            &ks_root,
            &environ_header,
            KRB_IDP,
            KRB_PROTOCOL,
        )
    })?;

    let prov = tm.lap("Keystone: project, group, IdPs, mappings", || {
        provision::provision(
            &keystone,
            &[
                provision::Idp {
                    id: OIDC_IDP,
                    protocol: OIDC_PROTOCOL,
                    mapping: OIDC_MAPPING,
                    remote_ids: vec![op.issuer.clone()],
                    remote_id_attribute: Some("HTTP_X_FED_ISS"),
                    user_attribute: "HTTP_X_FED_SUB",
                },
                provision::Idp {
                    id: SAML_IDP,
                    protocol: SAML_PROTOCOL,
                    mapping: SAML_MAPPING,
                    remote_ids: vec![saml.idp_entity_id.clone()],
                    remote_id_attribute: Some("HTTP_X_FED_IDP"),
                    user_attribute: "HTTP_X_FED_UID",
                },
                provision::Idp {
                    id: KRB_IDP,
                    protocol: KRB_PROTOCOL,
                    mapping: KRB_MAPPING,
                    remote_ids: vec![],
                    remote_id_attribute: None,
                    user_attribute: "HTTP_X_FED_USER",
                },
            ],
            krb::USER,
        )
    })?;

    let fed_url = |front: &str, idp: &str, protocol: &str| {
        format!("{front}/v3/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth")
    };
    let oidc_fed = fed_url(&openidc.url, OIDC_IDP, OIDC_PROTOCOL);
    let saml_fed = fed_url(&saml.sp.url, SAML_IDP, SAML_PROTOCOL);
    let krb_fed = fed_url(&gssapi.url, KRB_IDP, KRB_PROTOCOL);

    // End-to-end self-checks: each peer must give a scoped Keystone token.
    tm.lap("check: OIDC password + client_credentials", || {
        for (grant, at) in [
            ("password", oidc::password_token(&op)?),
            ("client_credentials", oidc::client_credentials_token(&op)?),
        ] {
            let r = http::request(
                "POST",
                &oidc_fed,
                &[("Authorization", &format!("Bearer {at}"))],
                None,
                &[],
            )?;
            let unscoped = match (r.status, r.header("X-Subject-Token")) {
                (201, Some(t)) => t.to_string(),
                _ => bail!(
                    "OIDC {grant}: {oidc_fed}: HTTP {}: {} (logs {}, {})",
                    r.status,
                    r.body,
                    openidc.dir.join("error.log").display(),
                    ks_env["keystone_log"].as_str().unwrap_or("keystone.log")
                ),
            };
            provision::scope(&ks_base, &unscoped, &prov.project_id)?;
        }
        let r = http::request(
            "POST",
            &oidc_fed,
            &[("Authorization", "Bearer forged.jwt.value")],
            None,
            &[],
        )?;
        if r.status != 401 {
            bail!("OIDC: a forged bearer got HTTP {} (want 401)", r.status);
        }
        Ok(())
    })?;
    tm.lap("check: Kerberos method + MappedKerberos", || {
        let env = realm.client_env();
        let neg = ["--negotiate", "-u", ":"];
        let body = json!({"auth": {
            "identity": {"methods": ["kerberos"], "kerberos": {}},
            "scope": {"project": {"id": prov.project_id}}}})
        .to_string();
        let r = http::request_env(
            "POST",
            &format!("{}/krb/v3/auth/tokens?nocatalog", gssapi.url),
            &[("Content-Type", "application/json")],
            Some(&body),
            &neg,
            &env,
        )?;
        if r.status != 201 {
            bail!(
                "kerberos method: HTTP {}: {} (log {})",
                r.status,
                r.body,
                gssapi.dir.join("error.log").display()
            );
        }
        let r = http::request_env("GET", &krb_fed, &[], None, &neg, &env)?;
        let unscoped = match (r.status, r.header("X-Subject-Token")) {
            (201, Some(t)) => t.to_string(),
            _ => bail!(
                "MappedKerberos {krb_fed}: HTTP {}: {} (log {})",
                r.status,
                r.body,
                gssapi.dir.join("error.log").display()
            ),
        };
        provision::scope(&ks_base, &unscoped, &prov.project_id)?;
        Ok(())
    })?;
    let k2k = tm.lap("K2K: second Keystone + mellon SP, whole chain", || {
        k2k::start(&mut ctx, &ks_env, &environ_header)
    })?;
    tm.lap("check: mellon answers ECP with a PAOS request", || {
        let r = http::request(
            "GET",
            &saml_fed,
            &[
                ("Accept", "text/html, application/vnd.paos+xml"),
                (
                    "PAOS",
                    "ver=\"urn:liberty:paos:2003-08\";\"urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp\"",
                ),
            ],
            None,
            &[],
        )?;
        if r.status != 200 || !r.body.contains("AuthnRequest") {
            bail!(
                "mellon ECP: HTTP {}: {} (log {})",
                r.status,
                proc::tail(&r.body, 5),
                saml.sp.dir.join("error.log").display()
            );
        }
        Ok(())
    })?;

    let p = |p: &Path| p.display().to_string();
    let d = &op.discovery;
    let env = json!({
        "state_dir": p(&ctx.root),
        "keystone_auth_url": ks_base,
        "project_name": provision::PROJECT,
        "project_id": prov.project_id,
        "project_domain_id": "default",
        "group_name": provision::GROUP,
        "group_id": prov.group_id,
        "role_name": provision::ROLE,
        "oidc": {
            "issuer": op.issuer,
            "discovery_url": format!("{}/.well-known/openid-configuration", op.issuer),
            "token_endpoint": d["token_endpoint"],
            "authorization_endpoint": d["authorization_endpoint"],
            "device_authorization_endpoint": d["device_authorization_endpoint"],
            "jwks_uri": d["jwks_uri"],
            "introspection_endpoint": d["introspection_endpoint"],
            "ca_file": p(&op.ca_file),
            "client_id": oidc::CLIENT_ID,
            "client_secret": oidc::CLIENT_SECRET,
            "client_post_id": oidc::POST_CLIENT_ID,
            "client_post_secret": oidc::CLIENT_SECRET,
            "cc_client_id": oidc::CC_CLIENT_ID,
            "cc_client_secret": oidc::CC_CLIENT_SECRET,
            "public_client_id": oidc::PUBLIC_CLIENT_ID,
            "redirect_uri": op.redirect_uri,
            "username": oidc::USER,
            "password": oidc::PASSWORD,
            "scope": "openid profile",
            "identity_provider": OIDC_IDP,
            "protocol": OIDC_PROTOCOL,
            "mapping": OIDC_MAPPING,
            "auth_url": format!("{}/v3", openidc.url),
            "federation_auth_url": oidc_fed,
            "websso_url": format!(
                "{}/v3/auth/OS-FEDERATION/identity_providers/{OIDC_IDP}/protocols/{OIDC_PROTOCOL}/websso",
                openidc.url
            ),
            "websso_rp_redirect_uri": websso_rp_redirect,
            "websso_redirect_port": ks_env["websso_redirect_port"],
            "op_port": op.port,
            "op_log": p(&oidc::dir(&ctx).join("op.log")),
            "frontend_log": p(&openidc.dir.join("error.log")),
        },
        "saml": {
            "idp_entity_id": saml.idp_entity_id,
            "idp_ecp_url": saml.idp_ecp_url,
            "idp_metadata_url": saml.idp_metadata_url,
            "idp_cert": p(&saml.idp_cert),
            "sp_entity_id": saml.sp_entity_id,
            "username": saml::USER,
            "password": saml::PASSWORD,
            "identity_provider": SAML_IDP,
            "protocol": SAML_PROTOCOL,
            "mapping": SAML_MAPPING,
            "auth_url": format!("{}/v3", saml.sp.url),
            "federation_auth_url": saml_fed,
            "frontend_log": p(&saml.sp.dir.join("error.log")),
        },
        "kerberos": {
            "realm": krb::REALM,
            "krb5_config": p(&realm.krb5_config),
            "kdc_port": realm.kdc_port,
            "ccache": format!("FILE:{}", realm.ccache.display()),
            "principal": format!("{}@{}", krb::USER, krb::REALM),
            "username": krb::USER,
            "password": krb::PASSWORD,
            "keytab": p(&realm.user_keytab),
            "service_principals": ["HTTP/localhost", "HTTP/127.0.0.1"],
            "keystone_user_name": krb::USER,
            "keystone_user_id": prov.kerberos_user_id,
            "keystone_user_domain_id": "default",
            // the `kerberos` method (keystoneauth v3 Kerberos): Negotiate on POST auth/tokens
            "auth_url": format!("{}/krb/v3", gssapi.url),
            "auth_url_localhost": format!("http://localhost:{}/krb/v3", gssapi.port),
            // MappedKerberos: Negotiate on the federation URL only
            "mapped_auth_url": format!("{}/v3", gssapi.url),
            "mapped_auth_url_localhost": format!("http://localhost:{}/v3", gssapi.port),
            "identity_provider": KRB_IDP,
            "protocol": KRB_PROTOCOL,
            "mapping": KRB_MAPPING,
            "federation_auth_url": krb_fed,
            "frontend_log": p(&gssapi.dir.join("error.log")),
            "kdc_log": p(&realm.dir.join("kdc.log")),
        },
        "k2k": k2k.env,
        "timings_s": tm.0.iter().map(|(k, v)| (k.clone(), json!((v * 100.0).round() / 100.0))).collect::<serde_json::Map<_, _>>(),
    });
    proc::write(
        &env_json_path(root),
        serde_json::to_string_pretty(&env)? + "\n",
    )?;
    proc::write(
        &ctx.root.join("env.sh"),
        format!(
            "export KSA_PEERS_ENV={}\nexport KRB5_CONFIG={}\nexport KRB5CCNAME=FILE:{}\n",
            env_json_path(root).display(),
            realm.krb5_config.display(),
            realm.ccache.display()
        ),
    )?;
    println!(
        "peers: up in {:.1}s; env {} (export KSA_PEERS_ENV=...; source {}/env.sh)",
        t0.elapsed().as_secs_f64(),
        env_json_path(root).display(),
        ctx.root.display()
    );
    Ok(env)
}

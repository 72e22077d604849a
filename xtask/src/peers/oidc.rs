//! The OpenID Provider: npm `oidc-provider` 9 (locked in assets/peers/oidc/package-lock.json) with our `server.mjs`, over HTTPS.

use super::{http, proc, Ctx};
use anyhow::{Context, Result};
use serde_json::json;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const SERVER_MJS: &str = include_str!("../../assets/peers/oidc/server.mjs");

pub const USER: &str = "alice";
pub const PASSWORD: &str = "alice-oidc-pw";
pub const CLIENT_ID: &str = "keystone";
pub const CLIENT_SECRET: &str = "keystone-client-secret";
pub const POST_CLIENT_ID: &str = "keystone-post";
pub const PUBLIC_CLIENT_ID: &str = "ksa-cli";
pub const CC_CLIENT_ID: &str = "ksa-service";
pub const CC_CLIENT_SECRET: &str = "ksa-service-secret";
pub const RESOURCE: &str = "https://keystone.ksa.test";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

pub struct Op {
    pub issuer: String,
    pub port: u16,
    pub ca_file: PathBuf,
    pub discovery: serde_json::Value,
    pub redirect_uri: String,
}

pub fn dir(ctx: &Ctx) -> PathBuf {
    ctx.root.join("oidc")
}

/// Installs `oidc-provider` from the committed package-lock.json (`npm ci`) into
/// `<state>/oidc/node_modules`, unless that lock is already installed there.
fn npm_install(ctx: &Ctx) -> Result<()> {
    proc::need_program(
        "npm",
        "install Node.js >= 20 with npm (e.g. from nodesource)",
    )?;
    let t = std::time::Instant::now();
    if crate::locks::ensure_npm_project(&dir(ctx), Duration::from_secs(300))? {
        println!(
            "  oidc: npm ci oidc-provider ({:.1}s)",
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// oidc-provider 9 needs Node.js 20 or later.
fn check_node() -> Result<()> {
    proc::need_program("node", "install Node.js >= 20 (e.g. from nodesource)")?;
    let mut c = Command::new("node");
    c.arg("--version");
    let v = proc::run(c, Duration::from_secs(20))?;
    let major: u32 = v
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .with_context(|| format!("node --version: {v:?}"))?;
    if major < 20 {
        anyhow::bail!(
            "node {} is too old for oidc-provider 9: need >= 20",
            v.trim()
        );
    }
    Ok(())
}

/// `extra_redirect_uris`: more redirect URIs of the authorization code clients (mod_auth_openidc's
/// WebSSO redirect URI).
pub fn start(ctx: &mut Ctx, extra_redirect_uris: &[String]) -> Result<Op> {
    check_node()?;
    npm_install(ctx)?;
    let d = dir(ctx);
    let port = proc::free_port(&mut ctx.ports)?;
    let issuer = format!("https://127.0.0.1:{port}");
    let (cert, key) = (d.join("tls/op.crt"), d.join("tls/op.key"));
    fs::create_dir_all(d.join("tls"))?;
    proc::self_signed_cert(&cert, &key, "ksa-test-op")?;
    let redirect_uri = "http://127.0.0.1:18999/callback".to_string();
    let all = [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        DEVICE_GRANT,
        "password",
    ];
    let config = json!({
        "issuer": issuer,
        "port": port,
        "resource": RESOURCE,
        "tls_cert": cert,
        "tls_key": key,
        "cookie_key": ctx.secret("op-cookie"),
        "redirect_uris": std::iter::once(redirect_uri.clone())
            .chain(extra_redirect_uris.iter().cloned())
            .collect::<Vec<_>>(),
        "users": {
            USER: { "password": PASSWORD, "email": format!("{USER}@example.test"), "groups": ["ksa-users"] },
            "bob": { "password": "bob-oidc-pw", "email": "bob@example.test", "groups": [] }
        },
        "clients": [
            // confidential, HTTP Basic: every grant (keystoneauth's default)
            { "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "auth_method": "client_secret_basic", "grant_types": all },
            // confidential, secret in the form body
            { "client_id": POST_CLIENT_ID, "client_secret": CLIENT_SECRET,
              "auth_method": "client_secret_post", "grant_types": all },
            // a service account: client_credentials only
            { "client_id": CC_CLIENT_ID, "client_secret": CC_CLIENT_SECRET,
              "auth_method": "client_secret_basic", "grant_types": ["client_credentials"] },
            // public (no secret): device flow / authorization code with PKCE
            { "client_id": PUBLIC_CLIENT_ID, "auth_method": "none",
              "grant_types": ["authorization_code", "refresh_token", DEVICE_GRANT] }
        ]
    });
    let cfg_path = d.join("op-config.json");
    proc::write(&cfg_path, serde_json::to_string_pretty(&config)?)?;
    proc::write(&d.join("server.mjs"), SERVER_MJS)?;

    let mut cmd = Command::new("node");
    cmd.current_dir(&d)
        .arg(d.join("server.mjs"))
        .env("OP_CONFIG", &cfg_path)
        .env("NODE_ENV", "production");
    let log = d.join("op.log");
    let _ = fs::remove_file(&log);
    let mut srv = proc::spawn("oidc OP (node)", cmd, &log, &d.join("pid"), "server.mjs")?;
    let disc_url = format!("{issuer}/.well-known/openid-configuration");
    let ca = cert.display().to_string();
    srv.wait_ready(Duration::from_secs(30), || {
        http::request("GET", &disc_url, &[], None, &["--cacert", &ca])
            .map(|r| r.status == 200)
            .unwrap_or(false)
    })?;
    let discovery = http::request("GET", &disc_url, &[], None, &["--cacert", &ca])?.json()?;
    Ok(Op {
        issuer,
        port,
        ca_file: cert,
        discovery,
        redirect_uri,
    })
}

/// Asks the OP for a token with the password grant (self-check of `peers up`).
pub fn password_token(op: &Op) -> Result<String> {
    let token_url = op.discovery["token_endpoint"]
        .as_str()
        .context("discovery: token_endpoint")?;
    let ca = op.ca_file.display().to_string();
    let basic = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    let body =
        format!("grant_type=password&username={USER}&password={PASSWORD}&scope=openid%20profile");
    let r = http::request(
        "POST",
        token_url,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&body),
        &["--cacert", &ca, "-u", &basic],
    )?;
    let v = r.json()?;
    v["access_token"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("password grant: HTTP {}: {}", r.status, r.body))
}

/// A client_credentials token for the service client.
pub fn client_credentials_token(op: &Op) -> Result<String> {
    let token_url = op.discovery["token_endpoint"]
        .as_str()
        .context("discovery: token_endpoint")?;
    let ca = op.ca_file.display().to_string();
    let basic = format!("{CC_CLIENT_ID}:{CC_CLIENT_SECRET}");
    let r = http::request(
        "POST",
        token_url,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some("grant_type=client_credentials&scope=openid"),
        &["--cacert", &ca, "-u", &basic],
    )?;
    let v = r.json()?;
    v["access_token"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("client_credentials grant: HTTP {}: {}", r.status, r.body))
}

//! Shared helpers for the integration suites against the real Keystone.
//!
//! Start the server with `cargo xtask test` (which runs the whole suite) or, for
//! manual work, `cargo xtask keystone up [--tls]`. A test then does:
//!
//! ```no_run
//! # async fn t() {
//! let ks = keystoneauth_tests::Keystone::from_env();
//! let admin = ks.admin().await;
//! let project = admin.create_project("default").await.unwrap();
//! // ...
//! admin.cleanup().await.unwrap();
//! # }
//! ```
//!
//! [`Keystone::from_env`] panics when no harness is running: a suite must never
//! pass silently without a server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

pub mod provision;
pub mod totp;

pub use provision::{
    unique_name, Admin, AppCredential, Consumer, Domain, Error, Project, Role, Token,
    TotpCredential, User,
};

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The environment variable that points at the harness's `env.json`.
pub const ENV_VAR: &str = "KSA_KEYSTONE_ENV";

/// The fields of `env.json` written by `cargo xtask keystone up`.
#[derive(Debug, Clone, Deserialize)]
pub struct KeystoneEnv {
    /// `http://127.0.0.1:PORT/v3`
    pub auth_url: String,
    /// `http://127.0.0.1:PORT`
    pub root_url: String,
    /// The HTTP listener's port on 127.0.0.1.
    pub port: u16,
    /// The admin user's name.
    pub admin_username: String,
    /// The admin user's password.
    pub admin_password: String,
    /// The admin project's name.
    pub admin_project_name: String,
    /// The admin user's domain id.
    pub admin_user_domain_id: String,
    /// The admin project's domain id.
    pub admin_project_domain_id: String,
    /// The static `[DEFAULT] admin_token` (for the AdminToken plugin).
    #[serde(default)]
    pub admin_token: Option<String>,
    /// The region of the catalog's endpoints.
    pub region: String,
    /// `https://127.0.0.1:TLS_PORT/v3` when the TLS listener runs (`--tls`).
    #[serde(default)]
    pub tls_auth_url: Option<String>,
    /// `https://127.0.0.1:TLS_PORT` when the TLS listener runs.
    #[serde(default)]
    pub tls_root_url: Option<String>,
    /// The TLS listener's port when it runs.
    #[serde(default)]
    pub tls_port: Option<u16>,
    /// The CA of the TLS listener's server certificate (for 127.0.0.1 and localhost).
    pub ca_cert: PathBuf,
    /// The CA of the OAuth2 mTLS client certificate.
    pub oauth2_ca_cert: PathBuf,
    /// The OAuth2 client CA's subject DN (RFC 4514).
    pub oauth2_ca_subject_dn: String,
    /// The OAuth2 mTLS client certificate (PEM).
    pub oauth2_client_cert: PathBuf,
    /// PKCS#8 PEM.
    pub oauth2_client_key: PathBuf,
    /// RFC 4514, e.g. `CN=ksa-oauth2-client,OU=eng,O=Test,C=US`.
    pub oauth2_client_subject_dn: String,
    /// Keystone's `[oauth2] oauth2_cert_dn_mapping_id`.
    pub oauth2_mapping_id: String,
    /// The CA of the tokenless client certificate = `[tokenless_auth] trusted_issuer`.
    pub tokenless_ca_cert: PathBuf,
    /// The tokenless CA's subject DN (RFC 4514).
    pub tokenless_ca_subject_dn: String,
    /// The tokenless client certificate (PEM).
    pub tokenless_client_cert: PathBuf,
    /// PKCS#8 PEM.
    pub tokenless_client_key: PathBuf,
    /// The tokenless client certificate's subject DN (RFC 4514).
    pub tokenless_client_subject_dn: String,
    /// `sha256(tokenless_ca_subject_dn)` hex: the identity provider id Keystone
    /// looks up for x509 tokenless requests.
    pub tokenless_idp_id: String,
    /// The federation protocol for tokenless auth (`x509`).
    pub tokenless_protocol: String,
    /// A JSON object in this request header is merged into the WSGI environ
    /// (`REMOTE_USER`, `AUTH_TYPE`, ... for the external/kerberos methods).
    pub environ_header: String,
    /// Keystone's state directory (config, logs).
    pub state_dir: PathBuf,
}

/// A handle on the running Keystone harness.
#[derive(Debug, Clone)]
pub struct Keystone {
    /// The typed fields of `env.json`.
    pub env: KeystoneEnv,
    /// The whole `env.json`, for keys added after this struct was written.
    pub raw: serde_json::Value,
    /// Where `env.json` was read from.
    pub env_path: PathBuf,
}

/// `<workspace>/target/ksa-harness/keystone/env.json`.
pub fn default_env_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives one level below the workspace root")
        .join("target/ksa-harness/keystone/env.json")
}

impl Keystone {
    /// Reads `env.json` from `$KSA_KEYSTONE_ENV` or the default path.
    ///
    /// # Panics
    /// When there is no harness: run `cargo xtask test` or `cargo xtask keystone up`.
    pub fn from_env() -> Keystone {
        match Keystone::try_from_env() {
            Ok(k) => k,
            Err(e) => panic!(
                "\n\nNo real Keystone for the integration tests: {e}\n\
                 Run the suite with `cargo xtask test`, or start the server with \
                 `cargo xtask keystone up --tls` (it writes {}) and run `cargo test` again.\n",
                default_env_path().display()
            ),
        }
    }

    /// Like [`Keystone::from_env`] but returns an error instead of panicking.
    pub fn try_from_env() -> Result<Keystone, String> {
        let path = match std::env::var_os(ENV_VAR) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => default_env_path(),
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {} ({e})", path.display()))?;
        let raw: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not valid JSON ({e})", path.display()))?;
        let env: KeystoneEnv = serde_json::from_value(raw.clone())
            .map_err(|e| format!("{} lacks a field ({e})", path.display()))?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], env.port));
        std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(5)).map_err(
            |e| {
                format!(
                    "{} says Keystone listens on {addr}, but it does not answer ({e}); \
                     it was probably stopped",
                    path.display()
                )
            },
        )?;
        Ok(Keystone {
            env,
            raw,
            env_path: path,
        })
    }

    /// `http://127.0.0.1:PORT/v3`.
    pub fn auth_url(&self) -> &str {
        &self.env.auth_url
    }

    /// `https://127.0.0.1:TLS_PORT/v3`.
    ///
    /// # Panics
    /// When the harness runs without its TLS listener (start it with `--tls`).
    pub fn tls_auth_url(&self) -> &str {
        self.env.tls_auth_url.as_deref().unwrap_or_else(|| {
            panic!(
                "this test needs the TLS listener: run `cargo xtask test` or \
                 `cargo xtask keystone up --tls`"
            )
        })
    }

    /// A plain HTTP client for the loopback server.
    pub fn http_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("build reqwest client")
    }

    /// A client that trusts the TLS listener's CA and presents no certificate.
    pub fn tls_client(&self) -> reqwest::Client {
        self.tls_builder().build().expect("build TLS client")
    }

    /// A client that trusts the TLS listener's CA and presents the OAuth2 client
    /// certificate.
    pub fn oauth2_mtls_client(&self) -> reqwest::Client {
        self.mtls_client(&self.env.oauth2_client_cert, &self.env.oauth2_client_key)
    }

    /// A client that trusts the TLS listener's CA and presents the tokenless client
    /// certificate (issued by `[tokenless_auth] trusted_issuer`).
    pub fn tokenless_mtls_client(&self) -> reqwest::Client {
        self.mtls_client(
            &self.env.tokenless_client_cert,
            &self.env.tokenless_client_key,
        )
    }

    /// A client presenting `cert` + `key` (PEM, key in PKCS#8).
    pub fn mtls_client(&self, cert: &Path, key: &Path) -> reqwest::Client {
        let cert = read(cert);
        let key = read(key);
        let id = reqwest::Identity::from_pkcs8_pem(&cert, &key).expect("client identity");
        self.tls_builder()
            .identity(id)
            .build()
            .expect("build mTLS client")
    }

    fn tls_builder(&self) -> reqwest::ClientBuilder {
        let ca = reqwest::Certificate::from_pem(&read(&self.env.ca_cert)).expect("CA cert");
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .add_root_certificate(ca)
    }

    /// An admin provisioning client (system-scoped admin token).
    ///
    /// # Panics
    /// When the admin cannot authenticate.
    pub async fn admin(&self) -> Admin {
        Admin::connect(self)
            .await
            .unwrap_or_else(|e| panic!("admin login to {} failed: {e}", self.env.auth_url))
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

//! The HTTP clients a session sends through: TLS settings, client certificates, one cookie
//! jar, built on first use.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};
use crate::plugin::ConnectionParams;

/// How the server's certificate is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verify {
    /// Check against the system roots (default).
    #[default]
    System,
    /// Check against this CA bundle (PEM file).
    CaBundle(PathBuf),
    /// Do not check (`--insecure`).
    Insecure,
}

#[derive(Clone)]
pub(crate) struct ClientConfig {
    pub(crate) verify: Verify,
    pub(crate) client_cert_pem: Option<Vec<u8>>,
    pub(crate) client_key_pem: Option<SecretString>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) pool_max_idle_per_host: Option<usize>,
}

impl ClientConfig {
    /// The settings every client of a session shares: no automatic redirects (the session
    /// follows them itself, hop by hop), one cookie jar, TCP options.
    fn base_builder(&self, jar: &Arc<reqwest::cookie::Jar>) -> reqwest::ClientBuilder {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(Arc::clone(jar))
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(60));
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(t);
        }
        if let Some(n) = self.pool_max_idle_per_host {
            b = b.pool_max_idle_per_host(n);
        }
        b
    }

    /// Read the CA bundle the settings name, so that a bad file fails `build()`.
    fn read_ca_bundle(&self) -> Result<Vec<reqwest::Certificate>> {
        let Verify::CaBundle(path) = &self.verify else {
            return Ok(Vec::new());
        };
        let pem = std::fs::read(path).map_err(|e| {
            Error::TlsConfig(format!("cannot read CA bundle {}: {e}", path.display()))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Error::TlsConfig(format!("invalid CA bundle {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(Error::TlsConfig(format!(
                "CA bundle {} has no certificates",
                path.display()
            )));
        }
        Ok(certs)
    }
}

/// The HTTP clients a session sends through, each built on first use.
///
/// Building an OpenSSL client loads the system CA bundle (OpenSSL 3 takes ~100 ms for
/// Debian's), so a session that only talks plain `http://` never builds one: `http://` URLs go
/// through a client that cannot make TLS connections at all (no trust roots), and every
/// `https://` URL goes through the OpenSSL client, built when the first one is sent. Both
/// share one cookie jar; the session follows redirects itself and picks the client per hop.
pub(crate) struct Clients {
    pub(crate) config: ClientConfig,
    ca_bundle: Vec<reqwest::Certificate>,
    identity: Option<reqwest::Identity>,
    pub(crate) jar: Arc<reqwest::cookie::Jar>,
    /// A client the user gave: used for everything.
    pub(crate) given: Option<reqwest::Client>,
    tls: OnceLock<reqwest::Client>,
    plain: OnceLock<reqwest::Client>,
    building: Mutex<()>,
    /// Clients for per-request client certificates (e.g. OAuth2 mTLS), by certificate + key.
    with_identity: Mutex<HashMap<Vec<u8>, reqwest::Client>>,
    /// An `http_proxy`/`all_proxy` reached over TLS: plain URLs need the TLS client too.
    proxy_is_tls: bool,
}

impl Clients {
    pub(crate) fn new(config: ClientConfig, given: Option<reqwest::Client>) -> Result<Clients> {
        let (ca_bundle, identity) = if given.is_some() {
            (Vec::new(), None)
        } else {
            let identity = match &config.client_cert_pem {
                Some(cert) => Some(client_identity(cert, config.client_key_pem.as_ref())?),
                None => None,
            };
            (config.read_ca_bundle()?, identity)
        };
        let proxy_is_tls = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .any(|v| {
                v.trim()
                    .get(..8)
                    .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            });
        Ok(Clients {
            config,
            ca_bundle,
            identity,
            jar: Arc::new(reqwest::cookie::Jar::default()),
            given,
            tls: OnceLock::new(),
            plain: OnceLock::new(),
            building: Mutex::new(()),
            with_identity: Mutex::new(HashMap::new()),
            proxy_is_tls,
        })
    }

    fn build_tls(&self, identity: Option<reqwest::Identity>) -> Result<reqwest::Client> {
        let mut b = self.config.base_builder(&self.jar).use_native_tls();
        if self.config.verify == Verify::Insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        for c in &self.ca_bundle {
            b = b.add_root_certificate(c.clone());
        }
        if let Some(id) = identity {
            b = b.identity(id);
        }
        b.build()
            .map_err(|e| Error::TlsConfig(format!("cannot build HTTP client: {e}")))
    }

    fn build_plain(&self) -> Result<reqwest::Client> {
        self.config
            .base_builder(&self.jar)
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .build()
            .map_err(|e| Error::TlsConfig(format!("cannot build HTTP client: {e}")))
    }

    fn once(
        &self,
        cell: &OnceLock<reqwest::Client>,
        build: impl FnOnce() -> Result<reqwest::Client>,
    ) -> Result<reqwest::Client> {
        if let Some(c) = cell.get() {
            return Ok(c.clone());
        }
        let _one_builder = self.building.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cell.get() {
            return Ok(c.clone());
        }
        let c = build()?;
        Ok(cell.get_or_init(|| c).clone())
    }

    /// The client for one hop to `url`.
    pub(crate) fn for_url(&self, url: &str, params: &ConnectionParams) -> Result<reqwest::Client> {
        if let Some(c) = &self.given {
            return Ok(c.clone());
        }
        let plain = url
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("http:"));
        if plain && !self.proxy_is_tls {
            return self.once(&self.plain, || self.build_plain());
        }
        let Some(cert) = &params.client_cert_pem else {
            return self.once(&self.tls, || self.build_tls(self.identity.clone()));
        };
        let mut key = cert.clone();
        if let Some(k) = &params.client_key_pem {
            key.extend_from_slice(k.expose_secret().as_bytes());
        }
        let mut clients = self.with_identity.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let id = client_identity(cert, params.client_key_pem.as_ref())?;
        let c = self.build_tls(Some(id))?;
        clients.insert(key, c.clone());
        Ok(c)
    }
}

/// Build a TLS client identity from PEM certificate and key (any key format openssl reads).
fn client_identity(cert_pem: &[u8], key_pem: Option<&SecretString>) -> Result<reqwest::Identity> {
    let key_source: Vec<u8> = match key_pem {
        Some(k) => k.expose_secret().as_bytes().to_vec(),
        None => cert_pem.to_vec(), // key in the same file
    };
    let key = openssl::pkey::PKey::private_key_from_pem(&key_source)
        .map_err(|e| Error::TlsConfig(format!("cannot read client key: {e}")))?;
    let pkcs8 = key
        .private_key_to_pem_pkcs8()
        .map_err(|e| Error::TlsConfig(format!("cannot convert client key: {e}")))?;
    // Keep only the certificates from the cert PEM.
    let certs = openssl::x509::X509::stack_from_pem(cert_pem)
        .map_err(|e| Error::TlsConfig(format!("cannot read client certificate: {e}")))?;
    if certs.is_empty() {
        return Err(Error::TlsConfig(
            "client certificate PEM has no certificate".into(),
        ));
    }
    let mut chain = Vec::new();
    for c in certs {
        chain.extend(
            c.to_pem()
                .map_err(|e| Error::TlsConfig(format!("client certificate: {e}")))?,
        );
    }
    reqwest::Identity::from_pkcs8_pem(&chain, &pkcs8)
        .map_err(|e| Error::TlsConfig(format!("invalid client certificate or key: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::AuthPlugin;
    use crate::session::Session;
    use http::HeaderMap;

    #[derive(Debug)]
    struct NoHeaders;
    #[async_trait::async_trait]
    impl AuthPlugin for NoHeaders {
        async fn auth_headers(&self, _session: &Session) -> Result<Option<HeaderMap>> {
            Ok(None)
        }
    }

    #[test]
    fn plain_urls_never_build_the_openssl_client() {
        let session = Session::builder().build().unwrap();
        let clients = &session.inner.clients;
        let none = ConnectionParams::default();
        clients.for_url("http://127.0.0.1:1/v3", &none).unwrap();
        clients.for_url("HTTP://localhost/", &none).unwrap();
        assert!(clients.plain.get().is_some());
        assert!(clients.tls.get().is_none() || clients.proxy_is_tls);
        clients.for_url("https://localhost/", &none).unwrap();
        assert!(clients.tls.get().is_some());
        // Sessions made by with_auth share the clients (and so the cookie jar).
        let other = session.with_auth(Arc::new(NoHeaders));
        assert!(Arc::ptr_eq(&other.inner.clients, clients));
    }

    #[test]
    fn has_cookies_for_sees_the_jar_by_url() {
        let session = Session::builder().build().unwrap();
        let sp = url::Url::parse("http://127.0.0.1:1/adfs/ls/").unwrap();
        assert_eq!(session.has_cookies_for(sp.as_str()), Some(false));
        session
            .inner
            .clients
            .jar
            .add_cookie_str("sp=1; Path=/", &sp);
        assert_eq!(
            session.has_cookies_for("http://127.0.0.1:1/v3/x"),
            Some(true)
        );
        assert_eq!(
            session.has_cookies_for("http://127.0.0.2:1/v3/x"),
            Some(false)
        );
        assert_eq!(session.has_cookies_for("not a url"), None);
        // Shared by with_auth sessions.
        let other = session.with_auth(Arc::new(NoHeaders));
        assert_eq!(other.has_cookies_for("http://127.0.0.1:1/"), Some(true));
        let given = Session::builder()
            .client(reqwest::Client::new())
            .build()
            .unwrap();
        assert_eq!(given.has_cookies_for(sp.as_str()), None);
    }
}

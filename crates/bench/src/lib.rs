//! Shared pieces of the keystoneauth-rs benchmarks: a large v3 token body, endpoint lookups,
//! a tiny local HTTP server, a static authenticator, and the reqwest client settings the
//! [`Session`] uses (for the bare-reqwest baseline).
//!
//! The criterion benches are in `benches/`; the whole-process load figures (10,000 concurrent
//! requests on an expired token, refresh under load) are the `ksa-bench` binary; `cargo xtask
//! bench` runs both and prints one table.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use keystoneauth_core::catalog::Interface;
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::{
    async_trait, AccessInfo, Authenticator, EndpointFilter, IdentityPlugin, Session,
};
use keystoneauth_testing::fixtures::V3Token;

/// Services in the large catalog.
pub const SERVICES: usize = 200;
/// Regions per service.
pub const REGIONS: usize = 10;
/// Interfaces per region (`public`, `internal`, `admin`).
pub const INTERFACES: usize = 3;

/// The token id used with the large body.
pub const TOKEN: &str = "gAAAAABbenchmarktokenbenchmarktokenbenchmarktokenbenchmarktoken";

/// A v3 project-scoped token body with 200 services × 10 regions × 3 interfaces (about 1 MB).
pub fn large_v3_token_body() -> Vec<u8> {
    v3_token_body(SERVICES, REGIONS)
}

/// A v3 project-scoped token body with `services` services × `regions` regions × 3 interfaces
/// (about 170 bytes per endpoint: 2,000 × 60 is about 62 MB).
pub fn v3_token_body(services: usize, regions: usize) -> Vec<u8> {
    let mut t = V3Token::new();
    t.user(
        "5f0c2a1b9d8e4f7a8b6c5d4e3f2a1b0c",
        "admin",
        "default",
        "Default",
    )
    .project_scope(
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "admin",
        "default",
        "Default",
    )
    .add_role("1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a", "admin")
    .add_role("2d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a", "member")
    .add_role("3d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a", "reader");
    for s in 0..services {
        let kind = service_type(s);
        let mut svc = t.add_service(&kind, &format!("{kind}-name"));
        for r in 0..regions {
            let host = format!("{kind}.region{r}.cloud.example");
            svc.add_standard_endpoints(
                &format!("https://{host}:8774/v2.1"),
                &format!("http://{host}.internal:8774/v2.1"),
                &format!("http://{host}.admin:8774/v2.1"),
                &format!("Region{r}"),
            );
        }
    }
    serde_json::to_vec(&t.to_json()).expect("a Value serialises")
}

/// The service type of service number `i` of the large catalog.
pub fn service_type(i: usize) -> String {
    format!("service-{i:03}")
}

/// The 1,000 lookups of the large catalog as (service type, interface, region), spread over
/// every service, interface and region. [`lookups`] makes them filters; `ksa-bench
/// large-body` writes them out for the keystoneauth1 comparison.
pub fn lookup_triples() -> Vec<(String, &'static str, String)> {
    const NAMES: [&str; INTERFACES] = ["public", "internal", "admin"];
    (0..1000)
        .map(|i| {
            (
                service_type((i * 7) % SERVICES),
                NAMES[i % INTERFACES],
                format!("Region{}", (i * 3) % REGIONS),
            )
        })
        .collect()
}

/// 1,000 endpoint filters spread over the large catalog (every interface and region).
pub fn lookups() -> Vec<EndpointFilter> {
    lookup_triples()
        .into_iter()
        .map(|(service, interface, region)| {
            let interface: Interface = interface.parse().expect("a known interface name");
            EndpointFilter::service(service)
                .interface(interface)
                .region(region)
        })
        .collect()
}

/// Parse the body and look up every filter; returns the total URL length (to keep the work).
pub fn parse_and_lookup(body: &[u8], filters: &[EndpointFilter]) -> usize {
    let access = AccessInfo::from_body(body, Some(SecretString::from(TOKEN)))
        .expect("the large body parses");
    let catalog = access.service_catalog();
    filters
        .iter()
        .map(|f| {
            catalog
                .endpoint_data_for(f)
                .expect("every lookup matches")
                .catalog_url
                .len()
        })
        .sum()
}

/// An authenticator that always returns the same access info (a token that never expires
/// within a benchmark): a Session with it has a cached token after the first request.
#[derive(Debug)]
pub struct StaticAuth(pub AccessInfo);

#[async_trait]
impl Authenticator for StaticAuth {
    async fn authenticate(&self, _session: &Session) -> keystoneauth_core::Result<AccessInfo> {
        Ok(self.0.clone())
    }
    fn auth_url(&self) -> &str {
        "http://127.0.0.1:1/v3"
    }
}

/// A small project-scoped token whose catalog has `compute` at `compute_url`.
pub fn small_access(compute_url: &str) -> AccessInfo {
    let mut t = V3Token::new();
    t.project_scope(
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "admin",
        "default",
        "Default",
    )
    .add_role("1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a", "admin");
    t.add_service("compute", "nova").add_standard_endpoints(
        compute_url,
        compute_url,
        compute_url,
        "RegionOne",
    );
    let body = serde_json::to_vec(&t.to_json()).expect("a Value serialises");
    AccessInfo::from_body(&body, Some(SecretString::from(TOKEN))).expect("fixture parses")
}

/// A Session with a [`StaticAuth`] plugin (its token is cached after the first request) that
/// sends through `client`, so that it and bare reqwest share one client and one connection
/// pool: the comparison is then of the code in between, not of two connections.
pub fn static_session(compute_url: &str, client: reqwest::Client) -> Session {
    let plugin = IdentityPlugin::new(StaticAuth(small_access(compute_url)));
    Session::builder()
        .auth(Arc::new(plugin))
        .client(client)
        .build()
        .expect("session builds")
}

/// A reqwest client with the settings [`Session`] uses for its own `http://` client.
pub fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .tcp_nodelay(true)
        .tcp_keepalive(Duration::from_secs(60))
        .build()
        .expect("client builds")
}

/// The User-Agent a Session sends by default.
pub fn session_user_agent() -> &'static str {
    keystoneauth_core::session::USER_AGENT_PRODUCT
}

/// The body the plain server answers with.
pub const PLAIN_BODY: &str = r#"{"servers": [{"id": "6a0e0b5c", "name": "vm-1"}]}"#;

/// Starts a tiny HTTP/1.1 server on 127.0.0.1 answering every request with `200`
/// [`PLAIN_BODY`]; it runs until the runtime stops.
pub async fn start_plain_server() -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|_req: Request<hyper::body::Incoming>| async {
                    Ok::<_, Infallible>(
                        Response::builder()
                            .status(200)
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from_static(PLAIN_BODY.as_bytes())))
                            .expect("static response"),
                    )
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_body_is_about_one_megabyte_and_every_lookup_matches() {
        let body = large_v3_token_body();
        assert!(
            (800_000..1_600_000).contains(&body.len()),
            "{} bytes",
            body.len()
        );
        let filters = lookups();
        assert_eq!(filters.len(), 1000);
        assert!(parse_and_lookup(&body, &filters) > 0);
    }
}

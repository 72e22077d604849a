//! Version discovery on captured Keystone documents and through a Session.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::Arc;

use common::*;
use keystoneauth_core::discover::{Discover, VersionQuery};
use keystoneauth_core::version::{Version, VersionRange};
use keystoneauth_core::{AccessInfoPlugin, EndpointFilter, Error, Session};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn raw(name: &str) -> Vec<u8> {
    std::fs::read(data_path(name)).unwrap()
}

fn range(v: Option<&str>, min: Option<&str>, max: Option<&str>) -> VersionRange {
    VersionRange::from_args(v, min, max).unwrap()
}

#[test]
fn captured_documents_parse() {
    for (name, url) in [
        ("discovery_root.body.json", "http://127.0.0.1:35357/"),
        ("discovery_v3.body.json", "http://127.0.0.1:35357/v3"),
        ("discovery_v3_slash.body.json", "http://127.0.0.1:35357/v3/"),
    ] {
        let d = Discover::parse(url, &raw(name)).unwrap();
        assert_eq!(d.versions().len(), 1, "{name}");
        let v = &d.versions()[0];
        assert_eq!(v.version, Version::new(3, 14), "{name}");
        assert_eq!(v.url, "http://127.0.0.1:35357/v3/", "{name}");
        assert_eq!(v.status, "CURRENT");
        assert_eq!(v.raw_status, "stable");
    }
    // Served from another address, the self link keeps the discovery host.
    let d = Discover::parse(
        "https://keystone.example.com/identity",
        &raw("discovery_root.body.json"),
    )
    .unwrap();
    assert_eq!(
        d.versions()[0].url,
        "https://keystone.example.com/identity/v3/"
    );
}

#[test]
fn versioned_data_for_ranges() {
    let d = Discover::parse("http://127.0.0.1:35357/", &raw("discovery_root.body.json")).unwrap();
    let find = |r: VersionRange| {
        d.versioned_data_for(None, &r)
            .map(|v| v.version.to_string())
    };
    assert_eq!(find(range(Some("3"), None, None)).as_deref(), Some("3.14"));
    assert_eq!(
        find(range(None, Some("3.10"), None)).as_deref(),
        Some("3.14")
    );
    assert_eq!(
        find(range(None, Some("latest"), None)).as_deref(),
        Some("3.14")
    );
    assert_eq!(find(range(None, Some("3.15"), None)), None);
    assert_eq!(find(range(Some("2"), None, None)), None);
    assert_eq!(find(range(None, None, Some("2.0"))), None);
    assert_eq!(find(VersionRange::default()).as_deref(), Some("3.14"));
    assert!(d
        .versioned_data_for(Some("http://127.0.0.1:35357/v3"), &VersionRange::default())
        .is_some());

    let compute = compute_root("http://nova.internal:8774");
    let d = Discover::parse("http://n/compute", &serde_json::to_vec(&compute).unwrap()).unwrap();
    let find = |r: VersionRange| {
        d.versioned_data_for(None, &r)
            .map(|v| v.version.to_string())
    };
    assert_eq!(find(range(Some("2"), None, None)).as_deref(), Some("2.1"));
    assert_eq!(find(range(None, None, Some("2.0"))).as_deref(), Some("2.0"));
    assert_eq!(
        find(range(None, Some("2.0"), Some("2.0"))).as_deref(),
        Some("2.0")
    );
    assert_eq!(
        find(range(None, Some("2.1"), Some("2.latest"))).as_deref(),
        Some("2.1")
    );
    assert_eq!(find(range(None, Some("3"), None)), None);
    let v21 = d
        .versioned_data_for(None, &range(Some("2.1"), None, None))
        .unwrap();
    assert_eq!(v21.min_microversion, Some(Version::new(2, 1)));
    assert_eq!(v21.max_microversion, Some(Version::new(2, 90)));
    assert_eq!(v21.url, "http://n/compute/v2.1/");
    // EXPERIMENTAL entries are not offered.
    assert!(d.versions().iter().all(|v| v.version != Version::new(3, 0)));
}

fn compute_root(link_host: &str) -> Value {
    json!({"versions": [
        {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
         "links": [{"rel": "self", "href": format!("{link_host}/v2/")}]},
        {"id": "v2.1", "status": "CURRENT", "version": "2.90", "min_version": "2.1",
         "links": [{"rel": "self", "href": format!("{link_host}/v2.1/")}]},
        {"id": "v3.0", "status": "EXPERIMENTAL",
         "links": [{"rel": "self", "href": format!("{link_host}/v3/")}]}
    ]})
}

#[test]
fn malformed_documents_are_discovery_failures() {
    for body in [
        &b"[]"[..],
        b"{}",
        b"not json",
        b"",
        br#"{"versions": 3}"#,
        br#"{"version": "v3"}"#,
        br#"{"versions": {"values": {"id": "v3"}}}"#,
    ] {
        let r = Discover::parse("http://x/", body);
        assert!(
            matches!(r, Err(Error::DiscoveryFailure { .. })),
            "{:?}: {r:?}",
            String::from_utf8_lossy(body)
        );
    }
    // Entries without id/links/self link, or with bad ids, are skipped, not fatal.
    let d = Discover::parse(
        "http://x/",
        br#"{"versions": [{"status": "CURRENT"}, {"id": "vX", "status": "CURRENT", "links": []},
            {"id": "v2", "status": "CURRENT"}, {"id": "v3", "status": "CURRENT", "links": [{"rel": "self"}]}]}"#,
    )
    .unwrap();
    assert!(d.versions().is_empty());
}

async fn setup() -> (MockServer, Session) {
    let server = MockServer::start().await;
    let uri = server.uri();
    let catalog = json!([
        service(
            "identity",
            "keystone",
            &[("public", "R1", &format!("{uri}/identity"))]
        ),
        service(
            "compute",
            "nova",
            &[("public", "R1", &format!("{uri}/compute/v2.1/proj-1"))]
        ),
        service(
            "volumev3",
            "cinder",
            &[("public", "R1", &format!("{uri}/volume/v3/proj-1"))]
        ),
    ]);
    let access = access_info(&v3_body(time::Duration::hours(1), "proj-1", catalog), "tok");
    let session = Session::new(Arc::new(AccessInfoPlugin::new(access, None))).unwrap();
    (server, session)
}

async fn discovery_gets(server: &MockServer, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == p)
        .count()
}

#[tokio::test]
async fn discovery_pops_and_restores_the_project_id() {
    let (server, session) = setup().await;
    Mock::given(method("GET"))
        .and(path("/compute/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(compute_root("http://nova.internal:8774")),
        )
        .mount(&server)
        .await;
    Mock::given(path("/compute/v2.1/proj-1/servers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": []})))
        .mount(&server)
        .await;
    let filter = EndpointFilter::service("compute").min_version("2").unwrap();
    let d = bounded(session.endpoint_data(&filter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.url(), format!("{}/compute/v2.1/proj-1", server.uri()));
    assert_eq!(
        d.catalog_url,
        format!("{}/compute/v2.1/proj-1", server.uri())
    );
    assert_eq!(d.api_version, Some(Version::new(2, 1)));
    assert_eq!(d.max_microversion, Some(Version::new(2, 90)));
    assert_eq!(d.status.as_deref(), Some("CURRENT"));
    // The document was asked for without a token.
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs[0].headers.get("x-auth-token").is_none());
    assert_eq!(reqs[0].headers.get("accept").unwrap(), "application/json");
    // A request through the same filter: discovery is cached.
    let resp = bounded(session.get("/servers").endpoint_filter(filter).send())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(discovery_gets(&server, "/compute/").await, 1);
}

#[tokio::test]
async fn exact_catalog_match_does_no_http() {
    let (server, session) = setup().await;
    let filter = EndpointFilter::service("compute").version("2.1").unwrap();
    let d = bounded(session.endpoint_data(&filter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.url(), format!("{}/compute/v2.1/proj-1", server.uri()));
    assert_eq!(d.api_version, Some(Version::new(2, 1)));
    let filter = EndpointFilter::service("block-storage")
        .version("3")
        .unwrap();
    let d = bounded(session.endpoint_data(&filter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.url(), format!("{}/volume/v3/proj-1", server.uri()));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn discover_versions_reads_the_versioned_document() {
    let (server, session) = setup().await;
    Mock::given(path("/compute/v2.1/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": {
            "id": "v2.1", "status": "CURRENT", "version": "2.95", "min_version": "2.1",
            "links": [{"rel": "self", "href": "http://nova.internal:8774/v2.1/"}]}})))
        .mount(&server)
        .await;
    let mut filter = EndpointFilter::service("compute").version("2.1").unwrap();
    filter.discover_versions = true;
    let d = bounded(session.endpoint_data(&filter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.url(), format!("{}/compute/v2.1/proj-1", server.uri()));
    assert_eq!(d.max_microversion, Some(Version::new(2, 95)));
    assert_eq!(discovery_gets(&server, "/compute/v2.1/").await, 1);
}

#[tokio::test]
async fn identity_root_document_from_the_capture() {
    let (server, session) = setup().await;
    Mock::given(path("/identity"))
        .respond_with(
            ResponseTemplate::new(300)
                .set_body_raw(raw("discovery_root.body.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let filter = EndpointFilter::service("identity").version("3").unwrap();
    let d = bounded(session.endpoint_data(&filter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.url(), format!("{}/identity/v3/", server.uri()));
    assert_eq!(d.api_version, Some(Version::new(3, 14)));
    // Asking for a version the server does not have is a DiscoveryFailure.
    let filter = EndpointFilter::service("identity")
        .min_version("4")
        .unwrap();
    let err = bounded(session.endpoint_data(&filter)).await.unwrap_err();
    assert!(matches!(err, Error::DiscoveryFailure { .. }), "{err:?}");
    assert_eq!(err.to_string(), "Minimum version 4.0 was not found");
}

#[tokio::test]
async fn no_document_anywhere() {
    let (server, session) = setup().await;
    Mock::given(path("/identity"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .mount(&server)
        .await;
    // Version hack on: fall back to the catalog URL.
    let filter = EndpointFilter::service("identity").version("3").unwrap();
    let d = bounded(session.endpoint_data(&filter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.url(), format!("{}/identity", server.uri()));
    // Version hack off: DiscoveryFailure naming the URL and the range.
    let mut filter = EndpointFilter::service("identity").version("3").unwrap();
    filter.no_version_hack = true;
    let err = bounded(session.endpoint_data(&filter)).await.unwrap_err();
    let Error::DiscoveryFailure { message, url } = &err else {
        panic!("{err:?}");
    };
    assert!(
        message.starts_with("Unable to find a version discovery document"),
        "{message}"
    );
    assert!(
        message.contains("Required version range (3.0 - 3.latest)"),
        "{message}"
    );
    assert_eq!(
        url.as_deref(),
        Some(format!("{}/identity", server.uri()).as_str())
    );
}

#[tokio::test]
async fn discovery_retries_with_a_token_on_401() {
    let (server, session) = setup().await;
    Mock::given(path("/identity"))
        .and(wiremock::matchers::header("x-auth-token", "tok"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(raw("discovery_root.body.json"), "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/identity"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let d = bounded(Discover::fetch(
        &session,
        &format!("{}/identity", server.uri()),
    ))
    .await
    .unwrap();
    assert_eq!(d.versions()[0].version, Version::new(3, 14));
    assert_eq!(discovery_gets(&server, "/identity").await, 2);
}

/// `Session::all_version_data` (keystoneauth1's `get_all_version_data`): every public
/// endpoint's versions by region, interface and official service type; the project id taken
/// off the URL for discovery; an endpoint without a discovery document gets the version its URL
/// names; the query narrows it down.
#[tokio::test]
async fn all_version_data_by_region_interface_and_official_type() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex("^/compute/?$"))
        .respond_with(
            ResponseTemplate::new(300).set_body_json(compute_root(&format!("{base}/compute"))),
        )
        .mount(&server)
        .await;
    // Block storage has no discovery document at all (404 everywhere).
    let catalog = json!([
        service(
            "compute",
            "nova",
            &[
                ("public", "R1", &format!("{base}/compute/v2.1/p1")),
                ("internal", "R1", &format!("{base}/compute/v2.1/p1")),
                ("public", "R2", &format!("{base}/compute/v2.1/p1")),
            ]
        ),
        service(
            "volumev3",
            "cinder",
            &[("public", "R1", &format!("{base}/volume/v3/p1"))]
        ),
        service(
            "unversioned",
            "x",
            &[("public", "R1", &format!("{base}/nothing"))]
        ),
    ]);
    let access = access_info(&v3_body(time::Duration::hours(1), "p1", catalog), "tok");
    let session = Session::new(Arc::new(AccessInfoPlugin::new(access, None))).unwrap();

    let all = bounded(session.all_version_data(&VersionQuery::default()))
        .await
        .unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["R1", "R2"]);
    let r1 = &all["R1"]["public"];
    assert_eq!(
        r1.keys().collect::<Vec<_>>(),
        ["block-storage", "compute", "unversioned"],
        "official type names"
    );
    let compute: Vec<(String, &str)> = r1["compute"]
        .iter()
        .map(|v| (v.version.to_string(), v.status.as_str()))
        .collect();
    assert_eq!(
        compute,
        [
            ("2.0".to_string(), "SUPPORTED"),
            ("2.1".to_string(), "CURRENT")
        ],
        "experimental versions are left out, as keystoneauth1 does"
    );
    assert_eq!(r1["compute"][1].url, format!("{base}/compute/v2.1/"));
    assert_eq!(r1["compute"][1].max_microversion, Some(Version::new(2, 90)));
    let volume = &r1["block-storage"];
    assert_eq!(volume.len(), 1);
    assert_eq!(
        volume[0].version,
        Version::new(3, 0),
        "inferred from the URL"
    );
    assert_eq!(volume[0].status, "UNKNOWN");
    assert_eq!(
        volume[0].url,
        format!("{base}/volume/v3/"),
        "project id taken off"
    );
    assert!(
        r1["unversioned"].is_empty(),
        "no document, no version in the URL"
    );
    assert!(
        !all["R1"].contains_key("internal"),
        "public only by default"
    );

    let narrowed = bounded(session.all_version_data(&VersionQuery {
        interface: Some(keystoneauth_core::Interface::Internal),
        region_name: Some("R1".into()),
        service_type: Some("compute".into()),
        ..Default::default()
    }))
    .await
    .unwrap();
    assert_eq!(narrowed.len(), 1);
    assert_eq!(narrowed["R1"].keys().collect::<Vec<_>>(), ["internal"]);
    assert_eq!(narrowed["R1"]["internal"]["compute"].len(), 2);

    let by_alias = bounded(session.all_version_data(&VersionQuery {
        service_type: Some("block-storage".into()),
        ..Default::default()
    }))
    .await
    .unwrap();
    assert_eq!(
        by_alias["R1"]["public"].keys().collect::<Vec<_>>(),
        ["block-storage"]
    );

    // Without a plugin: a typed error.
    let err = Session::builder()
        .build()
        .unwrap()
        .all_version_data(&VersionQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MissingAuthPlugin(_)), "{err:?}");
}

/// docs/keystoneauth1-differences.md §16.26: endpoint data for an endpoint override does not
/// authenticate: the discovery document is fetched without a token and the plugin is not
/// asked for anything.
#[tokio::test]
async fn endpoint_data_for_an_override_does_not_authenticate() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/compute/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(compute_root(&server.uri())))
        .mount(&server)
        .await;
    let plugin = Arc::new(CountingPlugin::new());
    let session = Session::new(plugin.clone()).unwrap();
    let adapter = keystoneauth_core::Adapter::new(session, "compute")
        .endpoint_override(format!("{}/compute/v2.1", server.uri()))
        .version("2")
        .unwrap();
    let d = bounded(adapter.endpoint_data()).await.unwrap();
    assert_eq!(d.api_version, Some(Version::new(2, 1)));
    assert_eq!(d.max_microversion, Some(Version::new(2, 90)));
    assert_eq!(plugin.header_calls(), 0, "no token was fetched");
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs.iter().all(|r| r.headers.get("x-auth-token").is_none()));
}

/// §16.35: `latest` on an empty version list is no match (not a panic); through a session it
/// is a `DiscoveryFailure`.
#[tokio::test]
async fn latest_on_an_empty_version_list_is_a_discovery_failure() {
    let d = Discover::parse("http://x/", br#"{"versions": {"values": []}}"#).unwrap();
    assert!(d.versions().is_empty());
    assert!(d
        .versioned_data_for(None, &range(None, None, Some("latest")))
        .is_none());
    assert!(d
        .versioned_data_for(None, &range(None, Some("latest"), Some("latest")))
        .is_none());

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"versions": []})))
        .mount(&server)
        .await;
    let adapter = keystoneauth_core::Adapter::new(Session::builder().build().unwrap(), "compute")
        .endpoint_override(server.uri())
        .max_version("latest")
        .unwrap();
    let err = bounded(adapter.endpoint_data()).await.unwrap_err();
    assert!(matches!(err, Error::DiscoveryFailure { .. }), "{err:?}");
}

#[tokio::test]
async fn an_adapter_negotiates_the_highest_common_microversion() {
    let (server, session) = setup().await;
    Mock::given(path("/compute/v2.1/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": {
            "id": "v2.1", "status": "CURRENT", "version": "2.90", "min_version": "2.1",
            "links": [{"rel": "self", "href": "http://nova.internal:8774/v2.1/"}]}})))
        .mount(&server)
        .await;
    Mock::given(path("/compute/v2.1/proj-1/servers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": []})))
        .mount(&server)
        .await;
    let compute = keystoneauth_core::Adapter::new(session, "compute");
    // The client's range is cut at the server's maximum; latest means "the server's".
    let best = bounded(compute.negotiate_microversion("2.1", "2.95"))
        .await
        .unwrap();
    assert_eq!(best, Version::new(2, 90));
    let best = bounded(compute.negotiate_microversion("2.60", "latest"))
        .await
        .unwrap();
    assert_eq!(best, Version::new(2, 90));
    let best = bounded(compute.latest_microversion()).await.unwrap();
    assert_eq!(best, Version::new(2, 90));
    // No overlap: a typed error naming both ranges.
    let err = bounded(compute.negotiate_microversion("2.91", "2.99"))
        .await
        .unwrap_err();
    assert!(err.is_microversion_not_supported(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("2.91 - 2.99") && text.contains("2.1 - 2.90"),
        "{text}"
    );
    // The version document was read once (the session caches it).
    assert_eq!(discovery_gets(&server, "/compute/v2.1/").await, 1);

    // Once the range is known, a microversion above it fails before the request is sent.
    let sent = || async {
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path().ends_with("/servers"))
            .count()
    };
    let err = bounded(compute.get("/servers").microversion("2.95").send())
        .await
        .unwrap_err();
    assert!(err.is_microversion_not_supported(), "{err:?}");
    assert!(err.to_string().contains("not 2.95"), "{err}");
    assert_eq!(sent().await, 0);
    // Within the range, or with the check turned off, the request goes out.
    let negotiated = bounded(compute.clone().with_negotiated_microversion("2.1", "2.95"))
        .await
        .unwrap();
    bounded(negotiated.get("/servers").send()).await.unwrap();
    bounded(
        compute
            .clone()
            .check_microversion(false)
            .get("/servers")
            .microversion("2.95")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(sent().await, 2);
    let versions: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/servers"))
        .map(|r| {
            r.headers["openstack-api-version"]
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(versions, ["compute 2.90", "compute 2.95"]);
}

/// A session whose token (project `project_id`) has this catalog.
fn session_with_catalog(catalog: Value, project_id: &str) -> Session {
    let access = access_info(
        &v3_body(time::Duration::hours(1), project_id, catalog),
        "tok",
    );
    Session::new(Arc::new(AccessInfoPlugin::new(access, None))).unwrap()
}

/// Issue 22, case 1: a link on the catalog URL's host and port keeps the catalog URL's
/// scheme, as in keystoneauth1. Nova behind a TLS-terminating proxy advertises `http://`
/// links on the https port: the endpoint stays https. The reverse (https links, plain http
/// catalog on the same host and port) stays http. (The request over TLS is in
/// `tls.rs::same_host_http_links_never_take_the_token_off_tls`.)
#[tokio::test]
async fn same_host_links_keep_the_catalog_scheme() {
    let doc = serde_json::to_vec(&compute_root("http://cloud:8774/compute")).unwrap();
    let d = Discover::parse("https://cloud:8774/compute", &doc).unwrap();
    let v21 = d
        .versioned_data_for(None, &range(Some("2.1"), None, None))
        .unwrap();
    assert_eq!(v21.url, "https://cloud:8774/compute/v2.1/");
    // Default ports: `https://cloud` and `http://cloud` are the same host and port as
    // written, so the link's path is kept, with the catalog's scheme.
    let doc = serde_json::to_vec(&compute_root("http://cloud/nova")).unwrap();
    let d = Discover::parse("https://cloud/compute", &doc).unwrap();
    assert_eq!(d.versions()[1].url, "https://cloud/nova/v2.1/");

    // http catalog, https links on the same host and port: stays http (the loopback server
    // speaks no TLS, so following the link's scheme would fail).
    let server = MockServer::start().await;
    let base = server.uri();
    let https_links = base.replacen("http://", "https://", 1);
    Mock::given(method("GET"))
        .and(path("/compute"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(compute_root(&format!("{https_links}/compute"))),
        )
        .mount(&server)
        .await;
    Mock::given(path("/compute/v2.1/servers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": []})))
        .mount(&server)
        .await;
    let session = session_with_catalog(
        json!([service(
            "compute",
            "nova",
            &[("public", "R1", &format!("{base}/compute"))]
        )]),
        "p1",
    );
    let filter = EndpointFilter::service("compute").version("2.1").unwrap();
    let d = bounded(session.endpoint_data(&filter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.url(), format!("{base}/compute/v2.1/"));
    let resp = bounded(session.get("/servers").endpoint_filter(filter).send())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// Cinder's root document (keystoneauth1's CINDER_EXAMPLES): v1, v2 and v3 (3.0 to 3.27),
/// links under `{base}/volume/`.
fn cinder_root(base: &str) -> Value {
    json!({"versions": [
        {"id": "v1.0", "status": "CURRENT", "updated": "2012-01-04T11:33:21Z",
         "links": [{"rel": "self", "href": format!("{base}/volume/v1/")}]},
        {"id": "v2.0", "status": "CURRENT", "updated": "2012-11-21T11:33:21Z",
         "links": [{"rel": "self", "href": format!("{base}/volume/v2/")}]},
        {"id": "v3.0", "status": "CURRENT", "updated": "2012-11-21T11:33:21Z",
         "version": "3.27", "min_version": "3.0", "next_min_version": "3.4",
         "not_before": "2019-12-31",
         "links": [{"rel": "collection", "href": format!("{base}/volume/")},
                   {"rel": "self", "href": format!("{base}/volume/v3/")}]}
    ]})
}

/// Issue 22, case 2: `volumev2` and `volumev3` imply their major version, as in
/// keystoneauth1 (os-service-types' aliases ending in `v<digit>`). With only `block-storage`
/// at `…/volume/v3` in the catalog, `volumev2` discovers v2; `volumev3` with version 2 is
/// `Error::ImpliedVersionMismatch`.
#[tokio::test]
async fn versioned_aliases_imply_a_version() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex("^/volume/?$"))
        .respond_with(ResponseTemplate::new(300).set_body_json(cinder_root(&base)))
        .mount(&server)
        .await;
    let session = session_with_catalog(
        json!([service(
            "block-storage",
            "cinder",
            &[("public", "R1", &format!("{base}/volume/v3"))]
        )]),
        "p1",
    );

    // No version given: volumev2 means 2.
    let v2 = bounded(session.endpoint(&EndpointFilter::service("volumev2")))
        .await
        .unwrap();
    assert_eq!(v2.as_deref(), Some(format!("{base}/volume/v2/").as_str()));
    let d = bounded(session.endpoint_data(&EndpointFilter::service("volumev2")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.api_version, Some(Version::new(2, 0)));
    // The same through an adapter, and with a version of the implied major.
    let adapter = keystoneauth_core::Adapter::new(session.clone(), "volumev2");
    assert_eq!(
        bounded(adapter.endpoint()).await.unwrap(),
        format!("{base}/volume/v2/")
    );
    let filter = EndpointFilter::service("volumev2").version("2").unwrap();
    let d = bounded(session.endpoint_data(&filter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.url(), format!("{base}/volume/v2/"));

    // volumev3: the catalog's v3 matches; its microversions come from the document.
    let mut filter = EndpointFilter::service("volumev3");
    filter.discover_versions = true;
    let d = bounded(session.endpoint_data(&filter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.url(), format!("{base}/volume/v3/"));
    assert_eq!(d.max_microversion, Some(Version::new(3, 27)));

    // The official type implies nothing: the catalog URL as it is, without discovery.
    let before = server.received_requests().await.unwrap().len();
    let plain = bounded(session.endpoint(&EndpointFilter::service("block-storage")))
        .await
        .unwrap();
    assert_eq!(plain.as_deref(), Some(format!("{base}/volume/v3").as_str()));
    assert_eq!(server.received_requests().await.unwrap().len(), before);

    // A contradiction is a typed error, before any request.
    let filter = EndpointFilter::service("volumev3").version("2").unwrap();
    let err = bounded(session.endpoint_data(&filter)).await.unwrap_err();
    assert!(err.is_implied_version_mismatch(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "service_type volumev3 was given which implies major API version 3 but version of \
         2.0 was also given"
    );
    let filter = EndpointFilter::service("volumev2")
        .min_version("3")
        .unwrap();
    let err = bounded(session.endpoint(&filter)).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::ImpliedVersionMismatch {
                argument: "min_version",
                implied: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

/// Issue 22, case 3: older Ironic answers `GET /v1/` with a bare version document without
/// `min_version`/`version`; the microversion range is in its headers, and keystoneauth1
/// reads it from there (any `X-OpenStack-…-API-Minimum-Version` / `…-Maximum-Version`).
#[tokio::test]
async fn microversion_ranges_in_headers() {
    let server = MockServer::start().await;
    let base = server.uri();
    let bare = json!({"id": "v1", "links": [{"rel": "self", "href": format!("{base}/v1/")}]});
    Mock::given(method("GET"))
        .and(path("/v1/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(bare.clone())
                .insert_header("X-OpenStack-Ironic-API-Minimum-Version", "1.1")
                .insert_header("X-OpenStack-Ironic-API-Maximum-Version", "1.31"),
        )
        .mount(&server)
        .await;

    // What `ksa discover` shows.
    let d = bounded(Discover::fetch(
        &Session::builder().build().unwrap(),
        &format!("{base}/v1/"),
    ))
    .await
    .unwrap();
    let v = &d.versions()[0];
    assert_eq!(v.version, Version::new(1, 0));
    assert_eq!(v.min_microversion, Some(Version::new(1, 1)));
    assert_eq!(v.max_microversion, Some(Version::new(1, 31)));

    // Through the catalog, for an adapter.
    let session = session_with_catalog(
        json!([service(
            "baremetal",
            "ironic",
            &[("public", "R1", &format!("{base}/v1"))]
        )]),
        "p1",
    );
    let ironic = keystoneauth_core::Adapter::new(session, "baremetal")
        .version("1")
        .unwrap();
    let d = bounded(ironic.endpoint_data()).await.unwrap();
    assert_eq!(d.min_microversion, Some(Version::new(1, 1)));
    assert_eq!(d.max_microversion, Some(Version::new(1, 31)));
    assert_eq!(
        bounded(ironic.latest_microversion()).await.unwrap(),
        Version::new(1, 31)
    );

    // Values in the body win; other headers and other document shapes are not read.
    let mut headers = keystoneauth_core::http::HeaderMap::new();
    headers.insert(
        "x-openstack-ironic-api-minimum-version",
        "1.1".parse().unwrap(),
    );
    headers.insert(
        "x-openstack-ironic-api-maximum-version",
        "1.31".parse().unwrap(),
    );
    headers.insert("openstack-api-maximum-version", "9.9".parse().unwrap());
    let mut with_body = bare.clone();
    with_body["version"] = json!("1.40");
    let d = Discover::parse_response(
        "http://i/v1/",
        &serde_json::to_vec(&with_body).unwrap(),
        &headers,
    )
    .unwrap();
    assert_eq!(d.versions()[0].min_microversion, Some(Version::new(1, 1)));
    assert_eq!(d.versions()[0].max_microversion, Some(Version::new(1, 40)));
    let mut entry = bare.clone();
    entry["status"] = json!("CURRENT");
    let listed = json!({"versions": [entry]});
    let d = Discover::parse_response("http://i/", &serde_json::to_vec(&listed).unwrap(), &headers)
        .unwrap();
    assert_eq!(d.versions()[0].max_microversion, None);
    let mut other = keystoneauth_core::http::HeaderMap::new();
    other.insert("openstack-api-minimum-version", "1.1".parse().unwrap());
    other.insert("openstack-api-maximum-version", "1.31".parse().unwrap());
    let d = Discover::parse_response("http://i/v1/", &serde_json::to_vec(&bare).unwrap(), &other)
        .unwrap();
    assert_eq!(d.versions()[0].max_microversion, None);
}

/// Issue 22, case 4: Swift's catalog URL ends with `AUTH_<project id>`. `ksa versions show
/// --service object-store` (`Session::all_version_data`) gives `…/v1/`, as keystoneauth1
/// does: the project id goes as a whole segment, `AUTH_` included, never as a substring
/// (which left `…/v1/AUTH_/`). Discovery tries the unversioned URL `http://…/`.
#[tokio::test]
async fn swift_project_segment_is_removed_whole() {
    let server = MockServer::start().await;
    let base = server.uri();
    // Swift: an account GET with a token lists containers (a JSON list, no discovery
    // document); without one it is 401. Anything else is 404.
    Mock::given(method("GET"))
        .and(path("/v1/AUTH_p1"))
        .and(wiremock::matchers::header("x-auth-token", "tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/AUTH_p1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let session = session_with_catalog(
        json!([service(
            "object-store",
            "swift",
            &[("public", "R1", &format!("{base}/v1/AUTH_p1"))]
        )]),
        "p1",
    );
    let all = bounded(session.all_version_data(&VersionQuery {
        service_type: Some("object-store".into()),
        ..Default::default()
    }))
    .await
    .unwrap();
    let swift = &all["R1"]["public"]["object-store"];
    assert_eq!(swift.len(), 1, "{swift:?}");
    assert_eq!(swift[0].url, format!("{base}/v1/"));
    assert_eq!(swift[0].version, Version::new(1, 0));
    assert_eq!(swift[0].status, "UNKNOWN");
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths.first().map(String::as_str), Some("/"), "{paths:?}");
    assert!(
        paths.iter().all(|p| p == "/" || p == "/v1/AUTH_p1"),
        "{paths:?}"
    );

    // With a version, the project segment is put back after discovery.
    let filter = EndpointFilter::service("object-store")
        .version("1")
        .unwrap();
    let url = bounded(session.endpoint(&filter)).await.unwrap();
    assert_eq!(url, Some(format!("{base}/v1/AUTH_p1")));
}

// Deliberate differences from keystoneauth1 in discovery (docs/keystoneauth1-differences.md,
// "Versions and discovery", items 36 to 42).

/// §16.37: a self link that is a bare host on another host (`http://internal:8774/`) is not
/// taken for a version: the discovery URL's path is kept. keystoneauth1 appends the host as
/// if it were the version (`https://public/compute/internal:8774/`).
#[test]
fn a_bare_host_self_link_is_not_taken_as_a_version() {
    let doc = json!({"versions": [{"id": "v2.1", "status": "CURRENT",
        "links": [{"rel": "self", "href": "http://internal:8774/"}]}]});
    let d = Discover::parse("https://public/compute", &serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!(d.versions()[0].url, "https://public/compute/");
}

/// §16.38: a numeric segment after the version that is not the token's project id
/// (`…/volume/v3/12345`, project `p1`) is kept: it is not a version (versions in URLs start
/// with `v`), so discovery does not cut the URL to `…/volume/v3/`. keystoneauth1 reads
/// `12345` as version 12345.0, tries `…/volume/v3/` and returns that, without the segment.
#[tokio::test]
async fn a_numeric_segment_after_the_version_is_kept() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex("^/volume(/v3)?/?$"))
        .respond_with(ResponseTemplate::new(300).set_body_json(cinder_root(&base)))
        .mount(&server)
        .await;
    let session = session_with_catalog(
        json!([service(
            "block-storage",
            "cinder",
            &[("public", "R1", &format!("{base}/volume/v3/12345"))]
        )]),
        "p1",
    );
    let filter = EndpointFilter::service("block-storage")
        .version("3")
        .unwrap();
    let url = bounded(session.endpoint(&filter)).await.unwrap();
    assert_eq!(url, Some(format!("{base}/volume/v3/12345")));
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert!(
        paths.iter().all(|p| p == "/volume/v3/12345"),
        "only the catalog URL is asked: {paths:?}"
    );
}

/// §16.39: `block_storage` (underscore) is the same type as `block-storage`; os-service-types
/// does not know it, so keystoneauth1 finds only a catalog entry spelled that way.
#[test]
fn block_storage_with_an_underscore_is_accepted() {
    let access = access_info(
        &v3_body(
            time::Duration::hours(1),
            "p1",
            json!([service(
                "volumev3",
                "cinder",
                &[("public", "R1", "http://cinder/v3/p1")]
            )]),
        ),
        "tok",
    );
    let catalog = access.service_catalog();
    for st in ["block_storage", "Block_Storage", "block-storage"] {
        assert_eq!(
            catalog.url_for(&EndpointFilter::service(st)).unwrap(),
            "http://cinder/v3/p1",
            "{st}"
        );
    }
}

/// §16.36: a relative `Location` in answer to a discovery GET is resolved against the URL
/// asked for and followed (keystoneauth1 passes it on as the next URL and fails).
#[tokio::test]
async fn relative_redirects_in_discovery_are_followed() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/identity"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/identity/"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/identity/"))
        .respond_with(
            ResponseTemplate::new(300)
                .set_body_raw(raw("discovery_root.body.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let d = bounded(Discover::fetch(
        &Session::builder().build().unwrap(),
        &format!("{base}/identity"),
    ))
    .await
    .unwrap();
    assert_eq!(d.versions()[0].version, Version::new(3, 14));
    assert_eq!(discovery_gets(&server, "/identity/").await, 1);
}

/// §16.41: `all_version_data` (`ksa versions show`) lists every catalog entry of a type:
/// `volumev2` and `volumev3` are both `block-storage`, and both are listed. keystoneauth1
/// keeps the last entry it visits for each type, region and interface.
#[tokio::test]
async fn all_version_data_lists_every_catalog_entry_of_a_type() {
    let server = MockServer::start().await;
    let base = server.uri();
    let session = session_with_catalog(
        json!([
            service(
                "volumev2",
                "cinderv2",
                &[("public", "R1", &format!("{base}/volume/v2/p1"))]
            ),
            service(
                "volumev3",
                "cinderv3",
                &[("public", "R1", &format!("{base}/volume/v3/p1"))]
            ),
        ]),
        "p1",
    );
    let all = bounded(session.all_version_data(&VersionQuery::default()))
        .await
        .unwrap();
    let urls: Vec<&str> = all["R1"]["public"]["block-storage"]
        .iter()
        .map(|v| v.url.as_str())
        .collect();
    assert_eq!(
        urls,
        [format!("{base}/volume/v2/"), format!("{base}/volume/v3/")]
    );
}

/// §16.42: `latest` when the service offers only EXPERIMENTAL versions is "not found"
/// (experimental versions are never chosen); keystoneauth1 raises `IndexError`.
#[tokio::test]
async fn latest_with_only_experimental_versions_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"versions": [
            {"id": "v3.0", "status": "EXPERIMENTAL",
             "links": [{"rel": "self", "href": format!("{}/v3/", server.uri())}]}]})),
        )
        .mount(&server)
        .await;
    let adapter = keystoneauth_core::Adapter::new(Session::builder().build().unwrap(), "compute")
        .endpoint_override(server.uri())
        .max_version("latest")
        .unwrap();
    let err = bounded(adapter.endpoint_data()).await.unwrap_err();
    assert!(matches!(err, Error::DiscoveryFailure { .. }), "{err:?}");
    assert_eq!(err.to_string(), "Maximum version latest was not found");
}

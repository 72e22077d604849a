//! openstacksdk's spellings and `{name}` references.

use super::*;

#[test]
fn openstacksdk_spellings_and_references() {
    let files = Files::new(
        "\
clouds:
  city:
    profile: citycloud
    auth: {username: u, password: p, project_name: pa}
    project_name: top
    compute_endpoint_type: internalURL
    endpoint_type: admin
    cacert: ~/ca.pem
    cert: ~/c.pem
    key: /abs/k.pem
    api_timeout: 12
  rax:
    profile: rackspace
    auth: {username: u, password: p, tenant_name: t}
  v2:
    auth_type: v2password
    auth: {auth_url: 'http://k/v2.0', username: u, password: p, project_id: pid}
  bad:
    auth_type: t-password
    auth: {auth_url: 'http://{nope}/v3', username: u, password: p}
",
    );
    let load = |cloud: &str, vars: &[(&str, &str)]| {
        CloudConfig::load(LoadOptions {
            cloud: Some(cloud.into()),
            config_files: files.list(),
            env: env(vars),
            ..Default::default()
        })
    };
    let c = load("city", &[("OS_REGION_NAME", "Kna1"), ("HOME", "/home/u")]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("Kna1"));
    assert_eq!(
        c.auth.get("auth_url").as_deref(),
        Some("https://Kna1.citycloud.com:5000/v3/")
    );
    // The top level wins over auth: for project and domain settings (openstacksdk).
    assert_eq!(c.auth.get("project_name").as_deref(), Some("top"));
    assert_eq!(c.interfaces, vec![Interface::Admin]);
    assert_eq!(
        c.service("compute").interface.as_deref(),
        Some("internalURL")
    );
    assert_eq!(
        c.adapter_options("compute").unwrap().interfaces,
        vec![Interface::Internal]
    );
    assert_eq!(c.session.verify, Verify::CaBundle("/home/u/ca.pem".into()));
    assert_eq!(
        c.session.cert.as_deref(),
        Some(std::path::Path::new("/home/u/c.pem"))
    );
    assert_eq!(
        c.session.key.as_deref(),
        Some(std::path::Path::new("/abs/k.pem"))
    );
    assert_eq!(
        c.session.request.timeout,
        Some(std::time::Duration::from_secs(12))
    );
    // The first region is the default.
    let c = load("city", &[]).unwrap();
    assert_eq!(
        c.auth.get("auth_url").as_deref(),
        Some("https://Buf1.citycloud.com:5000/v3/")
    );

    let c = load("rax", &[("OS_REGION_NAME", "IAD")]).unwrap();
    assert_eq!(c.auth.get("project_name").as_deref(), Some("t"));
    assert_eq!(
        c.service("block-storage").endpoint_override.as_deref(),
        Some("https://IAD.blockstorage.api.rackspacecloud.com/v2/")
    );
    assert_eq!(c.service("block-storage").api_version.as_deref(), Some("2"));
    assert_eq!(
        c.service("database").service_type.as_deref(),
        Some("rax:database")
    );
    assert_eq!(
        c.service("compute").service_name.as_deref(),
        Some("cloudServersOpenStack")
    );

    // The v2 plugins take project_* as tenant_*.
    let c = load("v2", &[]).unwrap();
    assert_eq!(c.auth.get("tenant_id").as_deref(), Some("pid"));

    let e = load("bad", &[]).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(
        e.to_string()
            .contains("cannot expand auth_url: {nope} names no setting"),
        "{e}"
    );
}

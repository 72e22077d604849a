//! Loading tests with plugins registered here (the real ones are tested through the facade).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use keystoneauth_core::registry::{Opt, OptKind, OptionValues};
use keystoneauth_core::{AuthPlugin, Error, Interface, Result, Session, Verify};

use crate::{CloudConfig, LoadOptions, Source};

#[derive(Debug)]
struct Dummy;

#[keystoneauth_core::async_trait]
impl AuthPlugin for Dummy {
    async fn auth_headers(
        &self,
        _s: &Session,
    ) -> Result<Option<keystoneauth_core::http::HeaderMap>> {
        Ok(None)
    }
}

fn create(_v: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(Dummy))
}

fn scope_opts() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Authentication URL").required(),
        Opt::new("domain-id", "Domain ID to scope to"),
        Opt::new("domain-name", "Domain name to scope to"),
        Opt::new("project-id", "Project ID").deprecated(&["tenant-id"]),
        Opt::new("project-name", "Project name").deprecated(&["tenant-name"]),
        Opt::new("project-domain-id", "Project domain ID"),
        Opt::new("project-domain-name", "Project domain name"),
    ]
}

fn password_opts() -> Vec<Opt> {
    let mut o = scope_opts();
    o.extend([
        Opt::new("user-id", "User ID"),
        Opt::new("username", "Username").deprecated(&["user-name"]),
        Opt::new("user-domain-id", "User's domain id"),
        Opt::new("user-domain-name", "User's domain name"),
        Opt::new("password", "User's password")
            .secret()
            .prompt("Password: "),
    ]);
    o
}

fn totp_opts() -> Vec<Opt> {
    let mut o = scope_opts();
    o.extend([
        Opt::new("user-id", "User ID"),
        Opt::new("passcode", "TOTP passcode")
            .secret()
            .required()
            .prompt("TOTP passcode: "),
    ]);
    o
}

fn multi_opts() -> Vec<Opt> {
    let mut o = scope_opts();
    o.push(
        Opt::new("auth_methods", "Methods to authenticate with.")
            .required()
            .kind(OptKind::List),
    );
    o
}

fn appcred_opts() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Authentication URL").required(),
        Opt::new("application_credential_secret", "secret")
            .secret()
            .required(),
        Opt::new("application_credential_id", "id"),
    ]
}

keystoneauth_core::register_plugin! {
    name: "t-password",
    description: "test",
    options: password_opts,
    create: create,
}
keystoneauth_core::register_plugin! {
    name: "password",
    description: "test default",
    options: password_opts,
    create: create,
}
keystoneauth_core::register_plugin! {
    name: "t-totp",
    description: "test",
    options: totp_opts,
    create: create,
}
keystoneauth_core::register_plugin! {
    name: "t-multi",
    description: "test",
    options: multi_opts,
    create: create,
}
keystoneauth_core::register_plugin! {
    name: "t-appcred",
    description: "test",
    options: appcred_opts,
    create: create,
}

fn token_opts() -> Vec<Opt> {
    let mut o = scope_opts();
    o.push(Opt::new("token", "Token").secret());
    o
}

fn v2_opts() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Authentication URL").required(),
        Opt::new("tenant-id", "Tenant ID"),
        Opt::new("tenant-name", "Tenant Name"),
        Opt::new("username", "Username"),
        Opt::new("password", "Password").secret(),
    ]
}

keystoneauth_core::register_plugin! {
    name: "token",
    description: "test",
    options: token_opts,
    create: create,
}

fn refuse(_v: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Err(Error::OptionError(
        "the plugin refuses these options".into(),
    ))
}

keystoneauth_core::register_plugin! {
    name: "t-refuses",
    description: "test",
    options: scope_opts,
    create: refuse,
}
keystoneauth_core::register_plugin! {
    name: "v3token",
    description: "test",
    options: token_opts,
    create: create,
}
keystoneauth_core::register_plugin! {
    name: "v2token",
    description: "test",
    options: token_opts,
    create: create,
}
keystoneauth_core::register_plugin! {
    name: "v2password",
    description: "test",
    options: v2_opts,
    create: create,
}

fn env(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn flags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new(clouds: &str) -> Files {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("clouds.yaml"), clouds).unwrap();
        Files { dir }
    }
    fn secure(self, text: &str) -> Files {
        std::fs::write(self.dir.path().join("secure.yaml"), text).unwrap();
        self
    }
    fn public(self, text: &str) -> Files {
        std::fs::write(self.dir.path().join("clouds-public.yaml"), text).unwrap();
        self
    }
    fn list(&self) -> Option<Vec<PathBuf>> {
        Some(vec![self.dir.path().join("clouds.yaml")])
    }
    /// The secure.yaml of this directory (openstacksdk does not look beside clouds.yaml).
    fn secure_list(&self) -> Option<Vec<PathBuf>> {
        Some(vec![self.dir.path().join("secure.yaml")])
    }
    fn public_list(&self) -> Option<Vec<PathBuf>> {
        Some(vec![self.dir.path().join("clouds-public.yaml")])
    }
}

const CLOUDS: &str = "\
clouds:
  c1:
    auth_type: t-password
    auth:
      auth_url: http://yaml/v3
      username: yaml-user
      user_domain_id: default
      project-name: yaml-project
      project_domain_id: default
    region_name: YamlRegion
    interface: internal
    verify: false
    compute_api_version: '2.1'
    block_storage_endpoint_override: http://cinder/v3
  nopass:
    auth:
      auth_url: http://yaml/v3
      username: u
  domainy:
    auth_type: t-password
    auth:
      auth_url: http://yaml/v3
      username: u
      password: p
      project_name: p
      domain_id: d1
";

#[test]
fn precedence_flags_env_yaml() {
    let files = Files::new(CLOUDS);
    let base = LoadOptions {
        cloud: Some("c1".into()),
        config_files: files.list(),
        env: env(&[("OS_USERNAME", "env-user"), ("OS_PASSWORD", "env-pass")]),
        ..Default::default()
    };
    let c = CloudConfig::load(base.clone()).unwrap();
    assert_eq!(c.auth_type, "t-password");
    assert_eq!(c.auth.get("username").as_deref(), Some("env-user"));
    assert_eq!(c.auth_sources["username"], Source::Env);
    assert_eq!(c.auth.get("auth_url").as_deref(), Some("http://yaml/v3"));
    assert_eq!(c.auth_sources["auth_url"], Source::CloudsYaml);
    assert_eq!(c.auth.get("project_name").as_deref(), Some("yaml-project"));
    assert_eq!(c.region_name.as_deref(), Some("YamlRegion"));
    assert_eq!(c.interfaces, vec![Interface::Internal]);
    assert_eq!(c.session.verify, Verify::Insecure);

    let c = CloudConfig::load(LoadOptions {
        flags: flags(&[
            ("--os-username", "flag-user"),
            ("--os-region-name", "YamlRegion"),
        ]),
        ..base.clone()
    })
    .unwrap();
    assert_eq!(c.auth.get("username").as_deref(), Some("flag-user"));
    assert_eq!(c.auth_sources["username"], Source::Flag);
    assert_eq!(c.region_name.as_deref(), Some("YamlRegion"));
    // The cloud knows one region (its region_name): another one is refused, as openstacksdk
    // refuses it.
    let e = CloudConfig::load(LoadOptions {
        flags: flags(&[("--os-region-name", "FlagRegion")]),
        ..base.clone()
    })
    .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(
        e.to_string()
            .contains("Region FlagRegion is not a valid region name for cloud c1. Valid choices are YamlRegion."),
        "{e}"
    );

    // Explicit options win over everything.
    let c = CloudConfig::load(LoadOptions {
        options: OptionValues::new().with("username", "explicit"),
        flags: flags(&[("--os-username", "flag-user")]),
        ..base
    })
    .unwrap();
    assert_eq!(c.auth.get("username").as_deref(), Some("explicit"));
}

#[test]
fn os_cloud_from_env_and_flag() {
    let files = Files::new(CLOUDS);
    let c = CloudConfig::load(LoadOptions {
        config_files: files.list(),
        env: env(&[("OS_CLOUD", "c1"), ("OS_PASSWORD", "x")]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.cloud.as_deref(), Some("c1"));
    assert_eq!(c.config_file, files.list().unwrap().pop());
    let e = CloudConfig::load(LoadOptions {
        config_files: files.list(),
        env: env(&[("OS_CLOUD", "c1")]),
        flags: flags(&[("--os-cloud", "missing")]),
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("cloud missing was not found"), "{msg}");
    assert!(msg.contains("clouds found: c1, domainy, nopass"), "{msg}");
}

#[test]
fn secure_yaml_merges() {
    let files = Files::new(CLOUDS)
        .secure("clouds:\n  c1:\n    auth:\n      password: s3cret\n      username: secure-user\n");
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("c1".into()),
        config_files: files.list(),
        secure_files: files.secure_list(),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth.get("password").as_deref(), Some("s3cret"));
    assert_eq!(c.auth.get("username").as_deref(), Some("secure-user"));
    assert_eq!(c.auth.get("auth_url").as_deref(), Some("http://yaml/v3"));
    assert!(c.secure_file.is_some());
}

/// clouds.yaml written for PyYAML: booleans in any case, numeric ids, anchors and merge keys.
#[test]
fn pyyaml_style_scalars_and_merge_keys() {
    for (verify, want) in [
        ("false", Verify::Insecure),
        ("False", Verify::Insecure),
        ("FALSE", Verify::Insecure),
        ("no", Verify::Insecure),
        ("off", Verify::Insecure),
        ("'false'", Verify::Insecure),
        ("true", Verify::System),
        ("True", Verify::System),
        ("yes", Verify::System),
        ("/etc/ca.pem", Verify::CaBundle("/etc/ca.pem".into())),
    ] {
        let files = Files::new(&format!(
            "\
base: &base
  auth_type: t-password
  region_name: R1
  api_timeout: 30
  auth: &auth
    auth_url: http://yaml/v3
    project_id: 12345
    user_domain_id: 0042
clouds:
  c:
    <<: *base
    verify: {verify}
    insecure: no
    auth:
      <<: *auth
      username: u
      password: on
"
        ));
        let c = CloudConfig::load(LoadOptions {
            cloud: Some("c".into()),
            config_files: files.list(),
            env: env(&[]),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("verify: {verify}: {e}"));
        assert_eq!(c.session.verify, want, "verify: {verify}");
        assert_eq!(c.auth_type, "t-password");
        assert_eq!(c.region_name.as_deref(), Some("R1"));
        assert_eq!(
            c.session.request.timeout,
            Some(std::time::Duration::from_secs(30))
        );
        assert_eq!(c.auth.get("project_id").as_deref(), Some("12345"));
        assert_eq!(c.auth.get("user_domain_id").as_deref(), Some("0042"));
        assert_eq!(c.auth.get("auth_url").as_deref(), Some("http://yaml/v3"));
        assert_eq!(c.auth.get("password").as_deref(), Some("on"));
    }
}

#[test]
fn profiles_from_clouds_public_yaml_are_defaults_the_cloud_overrides() {
    let files = Files::new(
        "clouds:\n  mine:\n    profile: acme\n    region_name: Mine\n    auth:\n      username: me\n      password: pw\n  old:\n    cloud: acme\n    auth: {username: me, password: pw}\n  gone:\n    profile: no-such-vendor\n    auth: {username: me}\n",
    )
    .public(
        "public-clouds:\n  acme:\n    auth:\n      auth_url: https://keystone.acme.test/v3\n      user_domain_name: AcmeUsers\n    region_name: AcmeOne\n    interface: internal\n    identity_api_version: 3\n",
    );
    let load = |cloud: &str| {
        CloudConfig::load(LoadOptions {
            cloud: Some(cloud.into()),
            config_files: files.list(),
            public_files: files.public_list(),
            env: env(&[]),
            ..Default::default()
        })
    };
    let c = load("mine").unwrap();
    // From the profile:
    assert_eq!(
        c.auth.get("auth_url").as_deref(),
        Some("https://keystone.acme.test/v3")
    );
    assert_eq!(c.auth.get("user_domain_name").as_deref(), Some("AcmeUsers"));
    assert_eq!(c.interfaces, vec![Interface::Internal]);
    // The cloud's own settings win, and its auth is merged key by key:
    assert_eq!(c.region_name.as_deref(), Some("Mine"));
    assert_eq!(c.auth.get("username").as_deref(), Some("me"));
    // The older `cloud:` key names a profile too.
    let c = load("old").unwrap();
    assert_eq!(c.region_name.as_deref(), Some("AcmeOne"));
    // A profile found nowhere is skipped with a warning (as in openstacksdk): here the
    // auth URL is then missing.
    let e = load("gone").unwrap_err().to_string();
    assert!(e.contains("auth-url (env OS_AUTH_URL)"), "{e}");
}

/// A loopback HTTP server answering every request with `status` and `body`, for at most
/// `max` connections or 20 s. Returns its base URL.
fn serve(status: u16, body: &'static str, max: usize) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut served = 0;
        while served < max && std::time::Instant::now() < deadline {
            let Ok((mut conn, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            };
            served += 1;
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut buf = [0u8; 4096];
            let mut req = Vec::new();
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let path_ok = req.starts_with(b"GET /.well-known/openstack/api ");
            let (status, body) = if path_ok { (status, body) } else { (404, "{}") };
            let _ = write!(
                conn,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

const WELL_KNOWN: &str = r#"{"name": "loopcloud", "profile": {"auth": {"auth_url": "https://keystone.loop.test/v3", "user_domain_name": "LoopUsers"}, "regions": ["L1", "L2"], "identity_api_version": "3", "interface": "internal", "profile": "ignored"}}"#;

#[test]
fn url_profiles_are_fetched_from_the_well_known_document() {
    let url = serve(200, WELL_KNOWN, 4);
    let files = Files::new(&format!(
        "clouds:\n  loop:\n    profile: '{url}/some/path'\n    region_name: Mine\n    auth:\n      username: me\n      password: pw\n"
    ));
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("loop".into()),
        config_files: files.list(),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        c.auth.get("auth_url").as_deref(),
        Some("https://keystone.loop.test/v3")
    );
    assert_eq!(c.auth.get("user_domain_name").as_deref(), Some("LoopUsers"));
    assert_eq!(c.auth.get("username").as_deref(), Some("me"));
    assert_eq!(c.interfaces, vec![Interface::Internal]);
    assert_eq!(c.identity_api_version.as_deref(), Some("3"));
    assert_eq!(c.region_name.as_deref(), Some("Mine"));
}

#[test]
fn unreachable_url_profiles_are_a_config_error() {
    // A port nobody listens on: refused at once.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let load = |profile: String| {
        let files = Files::new(&format!(
            "clouds:\n  c:\n    profile: '{profile}'\n    auth: {{auth_url: 'http://k/v3', username: u, password: p}}\n"
        ));
        let t = std::time::Instant::now();
        let e = CloudConfig::load(LoadOptions {
            cloud: Some("c".into()),
            config_files: files.list(),
            env: env(&[]),
            ..Default::default()
        })
        .unwrap_err();
        (e, t.elapsed())
    };
    let (e, _) = load(format!("http://127.0.0.1:{port}"));
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "vendor profile http://127.0.0.1:{port} could not be fetched from http://127.0.0.1:{port}/.well-known/openstack/api"
        )),
        "{msg}"
    );
    // An error status, and a document that is not JSON.
    let url = serve(503, "{}", 1);
    let msg = load(url.clone()).0.to_string();
    assert!(
        msg.contains("could not be fetched") && msg.contains("503"),
        "{msg}"
    );
    let url = serve(200, "<html>", 1);
    let msg = load(url).0.to_string();
    assert!(msg.ends_with("the document is not JSON"), "{msg}");

    // A server that accepts and never answers: the fetch gives up after FETCH_TIMEOUT.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (e, took) = load(format!("http://{}", silent.local_addr().unwrap()));
    let msg = e.to_string();
    assert!(msg.contains("no answer within 5 s"), "{msg}");
    assert!(
        took >= crate::vendors::FETCH_TIMEOUT && took < std::time::Duration::from_secs(15),
        "{took:?}"
    );
}

const REGIONS: &str = "\
clouds:
  listed:
    auth_type: t-password
    auth: {auth_url: 'http://k/v3', username: u, password: p}
    interface: public
    regions: [R1, R2]
  valued:
    auth_type: t-password
    auth: {auth_url: 'http://k/v3', username: u, password: p}
    interface: public
    regions:
      - name: R1
      - name: R2
        values:
          interface: internal
          compute_api_version: '2.95'
          auth: {auth_url: 'http://k2/v3'}
  comma:
    auth_type: t-password
    auth: {auth_url: 'http://k/v3', username: u, password: p}
    region_name: C1,C2
  vendor:
    profile: zetta
    auth: {username: u, password: p}
  bad:
    auth_type: t-password
    auth: {auth_url: 'http://k/v3', username: u, password: p}
    regions: [{name: R1, value: {}}]
";

fn load_region(
    cloud: &str,
    env_pairs: &[(&str, &str)],
    flag_pairs: &[(&str, &str)],
) -> Result<CloudConfig> {
    let files = Files::new(REGIONS);
    CloudConfig::load(LoadOptions {
        cloud: Some(cloud.into()),
        config_files: files.list(),
        env: env(env_pairs),
        flags: flags(flag_pairs),
        ..Default::default()
    })
}

#[test]
fn regions_list_the_first_is_the_default() {
    let c = load_region("listed", &[], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R1"));
    let c = load_region("listed", &[("OS_REGION_NAME", "R2")], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R2"));
    let c = load_region(
        "listed",
        &[("OS_REGION_NAME", "R2")],
        &[("--os-region-name", "R1")],
    )
    .unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R1"));
    let e = load_region("listed", &[], &[("--os-region-name", "R3")]).unwrap_err();
    assert!(
        e.to_string().contains(
            "Region R3 is not a valid region name for cloud listed. Valid choices are R1,R2. \
             Please note that region names are case sensitive."
        ),
        "{e}"
    );
    // A comma-separated region_name is a list too (deprecated).
    let c = load_region("comma", &[], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("C1"));
    let c = load_region("comma", &[("OS_REGION_NAME", "C2")], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("C2"));
}

#[test]
fn region_values_apply_in_their_region_only() {
    let c = load_region("valued", &[], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R1"));
    assert_eq!(c.interfaces, vec![Interface::Public]);
    assert_eq!(c.auth.get("auth_url").as_deref(), Some("http://k/v3"));
    assert_eq!(c.service("compute").api_version, None);
    let c = load_region("valued", &[("OS_REGION_NAME", "R2")], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R2"));
    assert_eq!(c.interfaces, vec![Interface::Internal]);
    // Region values merge into auth key by key.
    assert_eq!(c.auth.get("auth_url").as_deref(), Some("http://k2/v3"));
    assert_eq!(c.auth.get("username").as_deref(), Some("u"));
    assert_eq!(c.service("compute").api_version.as_deref(), Some("2.95"));
    // Flags still win over region values.
    let c = load_region(
        "valued",
        &[("OS_REGION_NAME", "R2")],
        &[("--os-interface", "admin")],
    )
    .unwrap();
    assert_eq!(c.interfaces, vec![Interface::Admin]);

    let e = load_region("bad", &[], &[]).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(e.to_string().contains("invalid region entry"), "{e}");
}

#[test]
fn regions_of_a_vendor_profile() {
    // zetta's profile: regions [no-osl1].
    let c = load_region("vendor", &[], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("no-osl1"));
    assert_eq!(
        c.auth.get("auth_url").as_deref(),
        Some("https://identity.api.zetta.io/v3")
    );
    let e = load_region("vendor", &[("OS_REGION_NAME", "RegionOne")], &[]).unwrap_err();
    assert!(e.to_string().contains("Valid choices are no-osl1."), "{e}");
}

#[test]
fn default_auth_type_is_password() {
    let files = Files::new(CLOUDS);
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("nopass".into()),
        config_files: files.list(),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth_type, "password");
}

#[test]
fn aliases_deprecated_names_dashes_underscores() {
    let c = CloudConfig::load(LoadOptions {
        auth_type: Some("t-password".into()),
        env: env(&[
            ("OS_AUTH_URL", "http://env/v3"),
            ("OS_USER_NAME", "deprecated-env"),
            ("OS_TENANT_NAME", "tenant"),
            ("OS_PROJECT_DOMAIN_ID", "default"),
        ]),
        flags: flags(&[("--os-user_domain_id", "dom")]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth.get("username").as_deref(), Some("deprecated-env"));
    assert_eq!(c.auth.get("project_name").as_deref(), Some("tenant"));
    assert_eq!(c.auth.get("user_domain_id").as_deref(), Some("dom"));

    // The current name beats the deprecated one in the same source.
    let c = CloudConfig::load(LoadOptions {
        auth_type: Some("t-password".into()),
        env: env(&[
            ("OS_AUTH_URL", "http://env/v3"),
            ("OS_USER_NAME", "old"),
            ("OS_USERNAME", "new"),
        ]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth.get("username").as_deref(), Some("new"));

    // OS_AUTH_PLUGIN is the old OS_AUTH_TYPE; underscore flags for underscore options.
    let c = CloudConfig::load(LoadOptions {
        env: env(&[("OS_AUTH_PLUGIN", "t-appcred"), ("OS_AUTH_URL", "http://a")]),
        flags: flags(&[
            ("--os-application-credential-secret", "s"),
            ("--os-application_credential_id", "i"),
        ]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth_type, "t-appcred");
    assert_eq!(
        c.auth.get("application_credential_secret").as_deref(),
        Some("s")
    );
    assert_eq!(
        c.auth.get("application_credential_id").as_deref(),
        Some("i")
    );
}

#[test]
fn auth_methods_list_adds_method_options() {
    let c = CloudConfig::load(LoadOptions {
        auth_type: Some("t-multi".into()),
        env: env(&[
            ("OS_AUTH_URL", "http://a"),
            ("OS_AUTH_METHODS", "t-password, t-totp"),
            ("OS_USERNAME", "u"),
            ("OS_PASSWORD", "p"),
            ("OS_PASSCODE", "123456"),
        ]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        c.auth.get_list("auth_methods").unwrap(),
        vec!["t-password", "t-totp"]
    );
    assert_eq!(c.auth.get("password").as_deref(), Some("p"));
    assert_eq!(c.auth.get("passcode").as_deref(), Some("123456"));

    // A required option of a method is reported.
    let e = CloudConfig::load(LoadOptions {
        auth_type: Some("t-multi".into()),
        env: env(&[("OS_AUTH_URL", "http://a"), ("OS_AUTH_METHODS", "t-totp")]),
        ..Default::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("passcode (env OS_PASSCODE)"), "{e}");

    // An unknown method.
    let e = CloudConfig::load(LoadOptions {
        auth_type: Some("t-multi".into()),
        env: env(&[("OS_AUTH_URL", "http://a"), ("OS_AUTH_METHODS", "nope")]),
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(e, Error::NoMatchingPlugin { .. }), "{e:?}");

    // From clouds.yaml as a YAML list.
    let files = Files::new(
        "clouds:\n  m:\n    auth_type: t-multi\n    auth:\n      auth_url: http://a\n      auth_methods: [t-password]\n",
    );
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("m".into()),
        config_files: files.list(),
        env: env(&[]),
        flags: flags(&[("--os-password", "p")]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth.get("password").as_deref(), Some("p"));
}

#[test]
fn missing_and_unknown() {
    let e = CloudConfig::load(LoadOptions {
        auth_type: Some("t-appcred".into()),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap_err();
    match &e {
        Error::MissingRequiredOptions(m) => {
            let names: Vec<_> = m
                .iter()
                .map(|o| (o.name.as_str(), o.env.as_str()))
                .collect();
            assert_eq!(
                names,
                vec![
                    ("auth-url", "OS_AUTH_URL"),
                    (
                        "application_credential_secret",
                        "OS_APPLICATION_CREDENTIAL_SECRET"
                    )
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let e = CloudConfig::load(LoadOptions {
        auth_type: Some("nosuch".into()),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("nosuch could not be found"), "{msg}");
    assert!(msg.contains("t-password"), "{msg}");

    let e = CloudConfig::load(LoadOptions {
        auth_type: Some("t-appcred".into()),
        env: env(&[]),
        flags: flags(&[("--os-auth-url", "http://a"), ("--os-pasword", "x")]),
        ..Default::default()
    })
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("unknown option --os-pasword for auth type t-appcred"),
        "{msg}"
    );
    assert!(msg.contains("--os-application_credential_secret"), "{msg}");
}

#[test]
fn malformed_yaml_location() {
    let files = Files::new("clouds:\n  c1:\n    auth: {auth_url: x\n    region_name: R\n");
    let e = CloudConfig::load(LoadOptions {
        cloud: Some("c1".into()),
        config_files: files.list(),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    let msg = e.to_string();
    let path = files.list().unwrap()[0].display().to_string();
    assert!(msg.starts_with(&format!("{path}:")), "{msg}");
    let rest: Vec<&str> = msg[path.len() + 1..].splitn(3, ':').collect();
    let line: usize = rest[0].parse().unwrap();
    let col: usize = rest[1].parse().unwrap();
    assert!(line >= 3 && col >= 1, "{msg}");

    let files = Files::new("- just\n- a list\n");
    let e = CloudConfig::load(LoadOptions {
        cloud: Some("c1".into()),
        config_files: files.list(),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("top level must be a mapping"), "{e}");
}

#[test]
fn prompt_fills_prompted_options() {
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let a2 = asked.clone();
    let c = CloudConfig::load(LoadOptions {
        auth_type: Some("t-totp".into()),
        env: env(&[("OS_AUTH_URL", "http://a")]),
        prompt: Some(Arc::new(move |o: &Opt| {
            a2.lock().unwrap().push(o.prompt.unwrap().to_owned());
            Ok(Some("654321".to_owned()))
        })),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth.get("passcode").as_deref(), Some("654321"));
    assert_eq!(c.auth_sources["passcode"], Source::Prompt);
    assert_eq!(*asked.lock().unwrap(), vec!["TOTP passcode: "]);

    // Not asked when a required option without a prompt is missing.
    let asked = Arc::new(std::sync::Mutex::new(0));
    let a2 = asked.clone();
    let e = CloudConfig::load(LoadOptions {
        auth_type: Some("t-totp".into()),
        env: env(&[]),
        prompt: Some(Arc::new(move |_: &Opt| {
            *a2.lock().unwrap() += 1;
            Ok(None)
        })),
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(e, Error::MissingRequiredOptions(_)));
    assert_eq!(*asked.lock().unwrap(), 0);
}

#[test]
fn domain_id_shorthand() {
    let files = Files::new(CLOUDS);
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("domainy".into()),
        config_files: files.list(),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth.get("user_domain_id").as_deref(), Some("d1"));
    assert_eq!(c.auth.get("project_domain_id").as_deref(), Some("d1"));
    assert_eq!(c.auth.get("domain_id"), None);
}

#[test]
fn services_and_adapters() {
    let files = Files::new(CLOUDS);
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("c1".into()),
        config_files: files.list(),
        env: env(&[
            ("OS_PASSWORD", "p"),
            ("OS_IDENTITY_API_VERSION", "3"),
            ("OS_CONNECT_RETRIES", "2"),
        ]),
        flags: flags(&[("--os-compute-api-version", "2.60")]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.identity_api_version.as_deref(), Some("3"));
    assert_eq!(c.service("compute").api_version.as_deref(), Some("2.60"));
    assert_eq!(
        c.service("volumev3").endpoint_override.as_deref(),
        Some("http://cinder/v3")
    );
    let o = c.adapter_options("identity").unwrap();
    assert_eq!(o.version.as_deref(), Some("3"));
    assert_eq!(o.region_name.as_deref(), Some("YamlRegion"));
    assert_eq!(o.interfaces, vec![Interface::Internal]);
    assert_eq!(o.request.connect_retries, Some(2));
    let s = c.session_builder().unwrap().build().unwrap();
    let a = c.adapter(&s, "block-storage").unwrap();
    assert_eq!(a.filter().service_type.as_deref(), Some("block-storage"));

    let e = CloudConfig::load(LoadOptions {
        auth_type: Some("t-appcred".into()),
        env: env(&[("OS_INTERFACE", "private")]),
        options: OptionValues::new()
            .with("auth_url", "x")
            .with("application_credential_secret", "s"),
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        e.to_string().contains("'private' is not a valid value"),
        "{e}"
    );
}

#[test]
fn session_options_from_flags() {
    let c = CloudConfig::load(LoadOptions {
        auth_type: Some("t-appcred".into()),
        env: env(&[("OS_CACERT", "/env/ca.pem"), ("OS_AUTH_URL", "http://a")]),
        flags: flags(&[
            ("--timeout", "30"),
            ("--os-application-credential-secret", "s"),
            ("--collect-timing", "true"),
        ]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.session.verify, Verify::CaBundle("/env/ca.pem".into()));
    assert_eq!(
        c.session.request.timeout,
        Some(std::time::Duration::from_secs(30))
    );
    assert!(c.session.collect_timing);
    let c = CloudConfig::load(LoadOptions {
        auth_type: Some("t-appcred".into()),
        env: env(&[("OS_CACERT", "/env/ca.pem"), ("OS_AUTH_URL", "http://a")]),
        flags: flags(&[
            ("--insecure", "true"),
            ("--os-application-credential-secret", "s"),
        ]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.session.verify, Verify::Insecure);
}

#[test]
fn from_options_and_build() {
    let c = CloudConfig::from_options(
        "t-appcred",
        OptionValues::new()
            .with("auth_url", "http://a")
            .with("application_credential_secret", "s")
            .with("region_name", "R"),
    )
    .unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R"));
    assert!(c.build_plugin().is_ok());
    assert!(c.build_session().is_ok());
    // Debug never shows values.
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("\"s\""), "{dbg}");
}

#[test]
fn envvars_cloud_and_the_only_cloud() {
    let one = Files::new("clouds:\n  only:\n    auth_type: t-appcred\n    auth: {auth_url: 'http://only/v3', application_credential_secret: s}\n    region_name: OnlyRegion\n");
    let base = LoadOptions {
        config_files: one.list(),
        secure_files: Some(vec![]),
        public_files: Some(vec![]),
        ..Default::default()
    };
    // No OS_CLOUD and no OS_* variables: the only cloud of clouds.yaml.
    let c = CloudConfig::load(LoadOptions {
        env: env(&[("OS_REGION_NAME", "OnlyRegion")]),
        ..base.clone()
    })
    .unwrap();
    assert_eq!(c.cloud.as_deref(), Some("only"));
    assert_eq!(c.auth_type, "t-appcred");
    assert_eq!(c.region_name.as_deref(), Some("OnlyRegion"));
    // OS_* variables make the `envvars` cloud: clouds.yaml is not used.
    let c = CloudConfig::load(LoadOptions {
        env: env(&[
            ("OS_AUTH_TYPE", "t-password"),
            ("OS_AUTH_URL", "http://env/v3"),
            ("OS_USERNAME", "u"),
            ("OS_PASSWORD", "p"),
            ("OS_REGION_NAME", "EnvRegion"),
        ]),
        ..base.clone()
    })
    .unwrap();
    assert_eq!(c.cloud, None);
    assert_eq!(c.auth.get("auth_url").as_deref(), Some("http://env/v3"));
    assert_eq!(c.region_name.as_deref(), Some("EnvRegion"));
    assert_eq!(c.config_file, None);
    // Named, it is the same cloud; OS_CLOUD_NAME renames it.
    let vars = [
        ("OS_AUTH_TYPE", "t-password"),
        ("OS_AUTH_URL", "http://env/v3"),
        ("OS_USERNAME", "u"),
    ];
    let c = CloudConfig::load(LoadOptions {
        env: env(&vars),
        flags: flags(&[("--os-cloud", "envvars")]),
        ..base.clone()
    })
    .unwrap();
    assert_eq!(c.cloud.as_deref(), Some("envvars"));
    assert_eq!(c.auth.get("auth_url").as_deref(), Some("http://env/v3"));
    // clouds.yaml was read only to look for a cloud of that name.
    assert_eq!(c.config_file, None);
    let mut renamed = vars.to_vec();
    renamed.push(("OS_CLOUD_NAME", "fromenv"));
    renamed.push(("OS_CLOUD", "fromenv"));
    let c = CloudConfig::load(LoadOptions {
        env: env(&renamed),
        ..base.clone()
    })
    .unwrap();
    assert_eq!(c.cloud.as_deref(), Some("fromenv"));
    // Named while clouds.yaml has a cloud of that name: openstacksdk refuses the ambiguity.
    let e = CloudConfig::load(LoadOptions {
        env: env(&vars),
        cloud: Some("envvars".into()),
        config_files: Files::new("clouds:\n  envvars: {}\n").list(),
        ..base.clone()
    })
    .unwrap_err();
    assert!(
        e.to_string().contains("defines a cloud named \"envvars\""),
        "{e}"
    );
    // Two clouds and nothing named: none is used.
    let two = Files::new("clouds:\n  a: {auth_type: t-totp}\n  b: {auth_type: t-totp}\n");
    let c = CloudConfig::load(LoadOptions {
        env: env(&[]),
        auth_type: Some("t-appcred".into()),
        options: OptionValues::new()
            .with("auth_url", "x")
            .with("application_credential_secret", "s"),
        config_files: two.list(),
        ..base.clone()
    })
    .unwrap();
    assert_eq!(c.cloud, None);
    // An unreadable clouds.yaml that nobody asked for is skipped.
    let broken = Files::new("clouds: [");
    let c = CloudConfig::load(LoadOptions {
        env: env(&[]),
        auth_type: Some("t-appcred".into()),
        options: OptionValues::new()
            .with("auth_url", "x")
            .with("application_credential_secret", "s"),
        config_files: broken.list(),
        ..base
    })
    .unwrap();
    assert_eq!(c.cloud, None);
}

#[test]
fn a_token_alone_selects_a_token_plugin() {
    let guess = |vars: &[(&str, &str)]| {
        CloudConfig::load(LoadOptions {
            env: env(vars),
            config_files: Some(vec![]),
            ..Default::default()
        })
        .map(|c| c.auth_type)
    };
    let url = ("OS_AUTH_URL", "http://k/v3");
    assert_eq!(guess(&[url, ("OS_TOKEN", "t")]).unwrap(), "token");
    assert_eq!(
        guess(&[url, ("OS_TOKEN", "t"), ("OS_IDENTITY_API_VERSION", "3")]).unwrap(),
        "v3token"
    );
    assert_eq!(
        guess(&[
            url,
            ("OS_AUTH_TOKEN", "t"),
            ("OS_IDENTITY_API_VERSION", "2.0")
        ])
        .unwrap(),
        "v2token"
    );
    // A user or password given: the password plugin, as before.
    assert_eq!(
        guess(&[url, ("OS_TOKEN", "t"), ("OS_USERNAME", "u")]).unwrap(),
        "password"
    );
    assert_eq!(guess(&[url, ("OS_PASSWORD", "p")]).unwrap(), "password");
    // An auth type given wins.
    assert_eq!(
        guess(&[url, ("OS_TOKEN", "t"), ("OS_AUTH_TYPE", "t-password")]).unwrap(),
        "t-password"
    );
    // A token in clouds.yaml (any spelling) counts too.
    let files = Files::new(
        "clouds:\n  t:\n    identity_api_version: 3\n    auth: {auth_url: 'http://k/v3', auth-token: tok, project_name: p}\n",
    );
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("t".into()),
        config_files: files.list(),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth_type, "v3token");
    assert_eq!(c.auth.get("token").as_deref(), Some("tok"));
    assert_eq!(c.auth.get("project_name").as_deref(), Some("p"));
}

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

#[test]
fn errors_name_the_cloud_and_the_files() {
    let files = Files::new(
        "\
clouds:
  nourl:
    auth_type: t-appcred
    auth: {application_credential_secret: s}
  regional:
    auth_type: t-appcred
    auth: {auth_url: 'http://k/v3', application_credential_secret: s}
    regions: [R1, R2]
  gone:
    profile: betacloud
  lost:
    profile: no-such-vendor
    auth_type: t-appcred
    auth: {application_credential_secret: s}
  typo:
    auth_type: t-pasword
  iface:
    auth_type: t-appcred
    auth: {auth_url: 'http://k/v3', application_credential_secret: s}
    interface: private
  refuses:
    auth_type: t-refuses
    auth: {auth_url: 'http://k/v3'}
",
    )
    .secure("clouds:\n  nourl:\n    auth: {application_credential_id: i}\n");
    let dir = files.dir.path().display().to_string();
    let load = |cloud: &str, flag_pairs: &[(&str, &str)]| {
        CloudConfig::load(LoadOptions {
            cloud: Some(cloud.into()),
            config_files: files.list(),
            secure_files: files.secure_list(),
            env: env(&[]),
            flags: flags(flag_pairs),
            ..Default::default()
        })
    };
    let from = |cloud: &str| format!("cloud {cloud:?} (from {dir}/clouds.yaml, secure.yaml)");

    let e = load("nourl", &[]).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: Auth plugin requires parameters which were not given: auth-url (env OS_AUTH_URL)",
            from("nourl")
        )
    );
    let e = load("regional", &[("--os-region-name", "R3")]).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "{}: Region R3 is not a valid region",
            from("regional")
        )),
        "{e}"
    );
    let e = load("gone", &[]).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: betacloud references a cloud that no longer exists: betacloud.de has ceased business",
            from("gone")
        )
    );
    let e = load("lost", &[]).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "cloud \"lost\" (from {dir}/clouds.yaml, secure.yaml; its profile \"no-such-vendor\" was not found): Auth plugin requires"
        )),
        "{e}"
    );
    let e = load("typo", &[]).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "{}: The plugin t-pasword could not be found",
            from("typo")
        )),
        "{e}"
    );
    let e = load("iface", &[]).unwrap_err();
    assert!(matches!(e, Error::OptionError(_)), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "{}: 'private' is not a valid value",
            from("iface")
        )),
        "{e}"
    );
    // A renamed flag is named as it was written.
    let e = load("regional", &[("--os-auth-token", "x")]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("unknown option --os-auth-token for auth type t-appcred"),
        "{e}"
    );
    // An unknown flag is about the command line, not the cloud.
    let e = load("regional", &[("--os-pasword", "x")]).unwrap_err();
    assert!(
        e.to_string().starts_with("unknown option --os-pasword"),
        "{e}"
    );
    // The plugin's own errors, when it is built.
    let c = load("refuses", &[]).unwrap();
    let e = c.build_plugin().unwrap_err();
    assert!(matches!(e, Error::OptionError(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("{}: the plugin refuses these options", from("refuses"))
    );
    // An unknown cloud lists the clouds and the files, once.
    let e = load("nosuch", &[]).unwrap_err().to_string();
    assert!(e.starts_with("cloud nosuch was not found (read "), "{e}");
    // Without clouds.yaml, errors are as they were.
    let e = CloudConfig::load(LoadOptions {
        auth_type: Some("t-appcred".into()),
        env: env(&[("OS_AUTH_URL", "http://k/v3")]),
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(e, Error::MissingRequiredOptions(_)), "{e:?}");
}

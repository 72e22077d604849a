//! The sources and their order: explicit options, flags, variables, clouds.yaml and
//! secure.yaml.

use super::*;

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

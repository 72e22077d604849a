//! Errors name the cloud, the files and the place in them.

use super::*;

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

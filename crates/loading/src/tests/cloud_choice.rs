//! Which cloud is read: the `envvars` cloud, the only cloud, a token alone.

use super::*;

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

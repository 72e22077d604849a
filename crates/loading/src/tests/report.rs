//! Where each value came from ([`crate::LoadReport`]), the files searched and read, unused
//! keys, missing options in inspect mode, and which options are secrets.

use std::path::Path;

use super::*;
use crate::clouds::FileKind;
use crate::ValueSource;

fn source(c: &CloudConfig, key: &str) -> ValueSource {
    c.report
        .sources
        .get(key)
        .cloned()
        .unwrap_or_else(|| panic!("no source for {key}: {:?}", c.report.sources))
}

fn path_in(files: &Files, name: &str) -> PathBuf {
    files.dir.path().join(name)
}

#[test]
fn each_value_names_its_file_profile_variable_or_flag() {
    let files = Files::new(
        "clouds:\n  c:\n    profile: acme\n    auth_type: t-password\n    auth:\n      username: yaml-user\n      project_name: p\n      not_an_option: nope\n    interface: internal\n    compute_api_version: '2.1'\n    block-storage-endpoint-override: http://cinder/v3\n",
    )
    .secure("clouds:\n  c:\n    auth:\n      password: s3cret\n    api_timeout: 30\n")
    .public(
        "public-clouds:\n  acme:\n    auth:\n      auth_url: https://keystone.acme.test/v3\n      user_domain_name: AcmeUsers\n    region_name: AcmeOne\n    identity_api_version: 3\n",
    );
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("c".into()),
        config_files: files.list(),
        secure_files: files.secure_list(),
        public_files: files.public_list(),
        env: env(&[("OS_USERNAME", "env-user"), ("OS_IMAGE_API_VERSION", "2")]),
        flags: flags(&[("--os-project-domain-id", "default")]),
        ..Default::default()
    })
    .unwrap();
    let clouds = ValueSource::CloudsYaml(path_in(&files, "clouds.yaml"));
    let secure = ValueSource::SecureYaml(path_in(&files, "secure.yaml"));
    let profile = ValueSource::PublicProfile {
        name: "acme".into(),
        path: path_in(&files, "clouds-public.yaml"),
    };
    assert_eq!(source(&c, "cloud"), ValueSource::Options);
    assert_eq!(source(&c, "profile"), clouds);
    assert_eq!(source(&c, "auth_type"), clouds);
    assert_eq!(source(&c, "auth.auth_url"), profile);
    assert_eq!(source(&c, "auth.user_domain_name"), profile);
    assert_eq!(source(&c, "auth.password"), secure);
    assert_eq!(
        source(&c, "auth.username"),
        ValueSource::Env("OS_USERNAME".into())
    );
    assert_eq!(source(&c, "auth.project_name"), clouds);
    assert_eq!(
        source(&c, "auth.project_domain_id"),
        ValueSource::Flag("--os-project-domain-id".into())
    );
    assert_eq!(source(&c, "region_name"), profile);
    assert_eq!(source(&c, "identity_api_version"), profile);
    assert_eq!(source(&c, "interface"), clouds);
    assert_eq!(source(&c, "api_timeout"), secure);
    assert_eq!(source(&c, "compute.api_version"), clouds);
    assert_eq!(source(&c, "block-storage.endpoint_override"), clouds);
    assert_eq!(
        source(&c, "image.api_version"),
        ValueSource::Env("OS_IMAGE_API_VERSION".into())
    );
    // The coarse kinds agree with auth_sources.
    for (dest, kind) in &c.auth_sources {
        assert_eq!(
            source(&c, &format!("auth.{dest}")).kind(),
            Some(*kind),
            "{dest}"
        );
    }
    // Texts name the file.
    assert_eq!(
        secure.to_string(),
        format!("secure.yaml ({})", path_in(&files, "secure.yaml").display())
    );
    assert_eq!(
        profile.to_string(),
        format!(
            "profile acme in clouds-public.yaml ({})",
            path_in(&files, "clouds-public.yaml").display()
        )
    );
    assert_eq!(
        ValueSource::Env("OS_USERNAME".into()).to_string(),
        "env OS_USERNAME"
    );
    // The settings as given, unused keys, and the files.
    assert_eq!(c.report.settings["region_name"], "AcmeOne");
    assert_eq!(c.report.settings["api_timeout"], "30");
    assert_eq!(c.report.settings["interface"], "internal");
    assert!(!c.report.settings.contains_key("auth_type"));
    assert_eq!(c.report.unused_auth["not_an_option"], "nope");
    assert_eq!(c.report.unused_auth.len(), 1);
    assert_eq!(source(&c, "auth.not_an_option"), clouds);
    let read: Vec<(FileKind, Option<&Path>)> = c
        .report
        .files
        .iter()
        .map(|f| (f.kind, f.read.as_deref()))
        .collect();
    assert_eq!(
        read,
        [
            (
                FileKind::Clouds,
                Some(path_in(&files, "clouds.yaml").as_path())
            ),
            (
                FileKind::Secure,
                Some(path_in(&files, "secure.yaml").as_path())
            ),
            (
                FileKind::Public,
                Some(path_in(&files, "clouds-public.yaml").as_path())
            ),
        ]
    );
    assert_eq!(c.report.files[0].searched, [path_in(&files, "clouds.yaml")]);
}

#[test]
fn built_in_and_url_profiles_and_regions() {
    let files = Files::new(
        "clouds:\n  el:\n    profile: elastx\n    auth_type: t-password\n    auth: {username: u, password: p}\n  r:\n    auth_type: t-password\n    auth: {auth_url: 'http://k/v3', username: u, password: p}\n    regions:\n      - R1\n      - name: R2\n        values: {interface: admin}\n",
    );
    let load = |cloud: &str, flags: Vec<(String, String)>| {
        CloudConfig::load(LoadOptions {
            cloud: Some(cloud.into()),
            config_files: files.list(),
            secure_files: Some(Vec::new()),
            public_files: Some(Vec::new()),
            env: env(&[]),
            flags,
            ..Default::default()
        })
        .unwrap()
    };
    let c = load("el", Vec::new());
    let elastx = ValueSource::BuiltinProfile("elastx".into());
    assert_eq!(source(&c, "auth.auth_url"), elastx);
    assert_eq!(source(&c, "region_name"), elastx);
    assert_eq!(elastx.to_string(), "built-in profile elastx");
    // A region's name and values come from where `regions:` is written; a region asked for
    // comes from the flag.
    let clouds = ValueSource::CloudsYaml(path_in(&files, "clouds.yaml"));
    let c = load("r", Vec::new());
    assert_eq!(c.region_name.as_deref(), Some("R1"));
    assert_eq!(source(&c, "region_name"), clouds);
    let c = load("r", flags(&[("--os-region-name", "R2")]));
    assert_eq!(
        source(&c, "region_name"),
        ValueSource::Flag("--os-region-name".into())
    );
    assert_eq!(c.report.settings["interface"], "admin");
    assert_eq!(source(&c, "interface"), clouds);

    let url = super::profiles::serve(200, super::profiles::WELL_KNOWN, 4);
    let files = Files::new(&format!(
        "clouds:\n  loop:\n    profile: '{url}'\n    auth_type: t-password\n    auth: {{username: me, password: pw}}\n"
    ));
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("loop".into()),
        config_files: files.list(),
        secure_files: Some(Vec::new()),
        public_files: Some(Vec::new()),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(source(&c, "auth.auth_url"), ValueSource::UrlProfile(url));
    assert_eq!(c.region_name.as_deref(), Some("L1"));
    assert!(matches!(
        source(&c, "region_name"),
        ValueSource::UrlProfile(_)
    ));
}

#[test]
fn envvars_the_only_cloud_renames_and_defaults() {
    // No cloud named and OS_* variables set: the files are not looked for.
    let c = CloudConfig::load(LoadOptions {
        env: env(&[
            ("OS_AUTH_URL", "http://k/v3"),
            ("OS_AUTH_TOKEN", "tok"),
            ("OS_ENDPOINT_TYPE", "internal"),
        ]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth_type, "token");
    assert_eq!(source(&c, "auth_type"), ValueSource::Default);
    assert_eq!(
        source(&c, "auth.token"),
        ValueSource::Env("OS_AUTH_TOKEN".into())
    );
    assert_eq!(
        source(&c, "interface"),
        ValueSource::Env("OS_ENDPOINT_TYPE".into())
    );
    assert!(c.report.files.is_empty());
    assert!(!c.report.sources.contains_key("cloud"));
    // The only cloud of clouds.yaml is chosen by the file.
    let files = Files::new(CLOUDS.replace("  nopass:", "  x_nopass:").as_str());
    let only = Files::new(
        "clouds:\n  solo:\n    auth_type: t-password\n    auth: {auth_url: 'http://k/v3', password: p}\n",
    );
    let c = CloudConfig::load(LoadOptions {
        config_files: only.list(),
        secure_files: Some(Vec::new()),
        public_files: Some(Vec::new()),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.cloud.as_deref(), Some("solo"));
    assert_eq!(
        source(&c, "cloud"),
        ValueSource::CloudsYaml(path_in(&only, "clouds.yaml"))
    );
    // OS_CLOUD names it.
    let c = CloudConfig::load(LoadOptions {
        config_files: files.list(),
        secure_files: Some(Vec::new()),
        public_files: Some(Vec::new()),
        env: env(&[("OS_CLOUD", "c1"), ("OS_PASSWORD", "x")]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(source(&c, "cloud"), ValueSource::Env("OS_CLOUD".into()));
}

#[test]
fn the_domain_shorthand_moves_the_sources_too() {
    let files = Files::new(CLOUDS);
    let c = CloudConfig::load(LoadOptions {
        cloud: Some("domainy".into()),
        config_files: files.list(),
        secure_files: Some(Vec::new()),
        public_files: Some(Vec::new()),
        env: env(&[]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.auth.get("user_domain_id").as_deref(), Some("d1"));
    assert!(!c.auth.contains("domain_id"));
    let clouds = ValueSource::CloudsYaml(path_in(&files, "clouds.yaml"));
    assert_eq!(source(&c, "auth.user_domain_id"), clouds);
    assert_eq!(source(&c, "auth.project_domain_id"), clouds);
    assert!(!c.report.sources.contains_key("auth.domain_id"));
    assert_eq!(c.auth_sources["user_domain_id"], Source::CloudsYaml);
    assert!(!c.auth_sources.contains_key("domain_id"));
}

#[test]
fn inspect_lists_missing_options_instead_of_failing() {
    let files = Files::new(CLOUDS);
    let opts = LoadOptions {
        cloud: Some("nopass".into()),
        config_files: files.list(),
        secure_files: Some(Vec::new()),
        public_files: Some(Vec::new()),
        auth_type: Some("t-totp".into()),
        env: env(&[]),
        ..Default::default()
    };
    let e = CloudConfig::load(opts.clone()).unwrap_err();
    assert!(e.to_string().contains("passcode"), "{e}");
    let c = CloudConfig::load(LoadOptions {
        inspect: true,
        ..opts
    })
    .unwrap();
    let missing: Vec<&str> = c.report.missing.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(missing, ["passcode"]);
    assert_eq!(c.report.missing[0].env, "OS_PASSCODE");
    // t-totp has no username: the cloud's is not used.
    assert_eq!(c.report.unused_auth["username"], "u");
}

#[test]
fn secret_options_by_flag_then_by_name() {
    let c = CloudConfig::from_options(
        "t-password",
        OptionValues::new().with("auth_url", "http://k/v3"),
    )
    .unwrap();
    assert!(c.is_secret_option("password"));
    assert!(!c.is_secret_option("username"));
    assert!(!c.is_secret_option("auth_url"));
    // Not an option of the plugin: by name.
    assert!(c.is_secret_option("client_secret"));
    assert!(c.is_secret_option("application_credential_secret"));
    assert!(!c.is_secret_option("region_hint"));
    // v3multifactor: the methods' options count.
    let c = CloudConfig::from_options(
        "t-multi",
        OptionValues::new()
            .with("auth_url", "http://k/v3")
            .with("auth_methods", "t-password,t-totp")
            .with("passcode", "123456"),
    )
    .unwrap();
    assert!(c.is_secret_option("passcode"));
    assert!(c.is_secret_option("password"));
    assert!(!c.is_secret_option("user_id"));
}

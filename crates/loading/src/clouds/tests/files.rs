//! Finding and merging the files.

use super::*;

#[test]
fn merge_is_recursive() {
    let mut a = yaml("clouds: {c: {auth: {username: u, auth_url: x}, region_name: R}}");
    let b = yaml("clouds: {c: {auth: {password: p}}}");
    merge(&mut a, b);
    let f = CloudsFile {
        doc: a,
        ..Default::default()
    };
    let c = f.cloud("c").unwrap();
    assert_eq!(c.auth["username"], "u");
    assert_eq!(c.auth["password"], "p");
    assert_eq!(c.settings["region_name"], "R");
}

#[test]
fn values_flatten() {
    let doc = yaml(
            "clouds:\n  c:\n    verify: false\n    identity_api_version: 3\n    auth:\n      auth_methods: [v3password, v3totp]\n      user-domain-id: default\n",
        );
    let f = CloudsFile {
        doc,
        ..Default::default()
    };
    let c = f.cloud("c").unwrap();
    assert_eq!(c.settings["verify"], "false");
    assert_eq!(c.settings["identity_api_version"], "3");
    assert_eq!(c.auth["auth_methods"], "v3password,v3totp");
    assert_eq!(c.auth["user_domain_id"], "default");
    let e = f.cloud("nope").unwrap_err().to_string();
    assert!(e.contains("cloud nope was not found"), "{e}");
    assert!(e.contains("clouds found: c"), "{e}");
}

#[test]
fn search_path_order() {
    let env = Env::from_map(
        &[
            ("OS_CLIENT_CONFIG_FILE", "/custom/c.yaml"),
            ("HOME", "/home/u"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    );
    let c = candidates(&env, "clouds", "OS_CLIENT_CONFIG_FILE");
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(c[0], PathBuf::from("/custom/c.yaml"));
    assert_eq!(c[1], cwd.join("clouds.yaml"));
    assert_eq!(c[2], cwd.join("clouds.yml"));
    assert_eq!(c[3], cwd.join("clouds.json"));
    assert_eq!(c[4], PathBuf::from("/home/u/.config/openstack/clouds.yaml"));
    assert_eq!(c[7], PathBuf::from("/etc/xdg/openstack/clouds.yaml"));
    assert_eq!(c[10], PathBuf::from("/etc/openstack/clouds.yaml"));
    assert_eq!(c.len(), 13);
    let env = Env::from_map(
        &[
            ("XDG_CONFIG_HOME", "/xdg"),
            ("HOME", "/home/u"),
            ("SNAP_REAL_HOME", "/real"),
            ("XDG_CONFIG_DIRS", "/site"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    );
    let c = candidates(&env, "secure", "OS_CLIENT_SECURE_FILE");
    assert_eq!(c[3], PathBuf::from("/xdg/openstack/secure.yaml"));
    assert_eq!(c[6], PathBuf::from("/real/.config/openstack/secure.yaml"));
    assert_eq!(c[9], PathBuf::from("/site/openstack/secure.yaml"));
    assert_eq!(c[12], PathBuf::from("/etc/openstack/secure.yaml"));
    // Several XDG_CONFIG_DIRS: openstacksdk's path for them never exists.
    let env = Env::from_map(
        &[("XDG_CONFIG_DIRS", "/a:/b")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    let c = candidates(&env, "clouds", "OS_CLIENT_CONFIG_FILE");
    assert_eq!(c[3], PathBuf::from("/etc/openstack/clouds.yaml"));
    assert_eq!(c.len(), 6);
}

/// openstacksdk finds secure.yaml by `OS_CLIENT_SECURE_FILE` and the search path only,
/// however clouds.yaml was found.
#[test]
fn secure_yaml_is_found_as_openstacksdk_finds_it() {
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let clouds = elsewhere.path().join("clouds.yaml");
    std::fs::write(&clouds, "clouds: {c: {auth: {auth_url: x}}}\n").unwrap();
    std::fs::write(
        elsewhere.path().join("secure.yaml"),
        "clouds: {c: {auth: {password: beside}}}\n",
    )
    .unwrap();
    let cfg = home.path().join("openstack");
    std::fs::create_dir(&cfg).unwrap();
    let password = |f: &CloudsFile| f.cloud("c").unwrap().auth.get("password").cloned();

    // Named by OS_CLIENT_CONFIG_FILE or by config_files: the secure.yaml beside it is not
    // read.
    let by_env =
        CloudsFile::load(&env_of(&[("OS_CLIENT_CONFIG_FILE", &clouds)]), None, None).unwrap();
    let by_list =
        CloudsFile::load(&Env::default(), Some(std::slice::from_ref(&clouds)), None).unwrap();
    for f in [&by_env, &by_list] {
        assert_eq!(f.path.as_deref(), Some(clouds.as_path()));
        assert_eq!(f.secure_path, None);
        assert_eq!(password(f), None);
    }
    // OS_CLIENT_SECURE_FILE names it.
    let secure = elsewhere.path().join("secure.yaml");
    let f = CloudsFile::load(
        &env_of(&[
            ("OS_CLIENT_CONFIG_FILE", &clouds),
            ("OS_CLIENT_SECURE_FILE", &secure),
        ]),
        None,
        None,
    )
    .unwrap();
    assert_eq!(password(&f).as_deref(), Some("beside"));
    // A secure.yaml in a search directory is merged over a clouds.yaml from anywhere.
    std::fs::write(
        cfg.join("secure.yml"),
        "clouds: {c: {auth: {password: searched}}}\n",
    )
    .unwrap();
    let f = CloudsFile::load(
        &env_of(&[
            ("OS_CLIENT_CONFIG_FILE", &clouds),
            ("XDG_CONFIG_HOME", home.path()),
        ]),
        None,
        None,
    )
    .unwrap();
    assert_eq!(f.secure_path, Some(cfg.join("secure.yml")));
    assert_eq!(password(&f).as_deref(), Some("searched"));
    // OS_CLIENT_CONFIG_FILE comes before config_files, as in openstacksdk.
    let other = home.path().join("other.yaml");
    std::fs::write(&other, "clouds: {o: {}}\n").unwrap();
    let f = CloudsFile::load(
        &env_of(&[("OS_CLIENT_CONFIG_FILE", &clouds)]),
        Some(&[other]),
        Some(&[]),
    )
    .unwrap();
    assert_eq!(f.cloud_names(), ["c"]);
}

#[test]
fn secure_only_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let clouds = dir.path().join("clouds.json");
    std::fs::write(
        &clouds,
        r#"{"clouds": {"j": {"auth": {"auth_url": "http://j"}}}}"#,
    )
    .unwrap();
    let f = CloudsFile::load(&Env::default(), Some(&[clouds]), None).unwrap();
    assert_eq!(f.cloud("j").unwrap().auth["auth_url"], "http://j");
    assert!(f.secure_path.is_none());
}

#[test]
fn bad_clouds_public_yaml_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let clouds = dir.path().join("clouds.yaml");
    std::fs::write(&clouds, "clouds: {}\n").unwrap();
    std::fs::write(
        dir.path().join("clouds-public.yaml"),
        "public-clouds: [a]\n",
    )
    .unwrap();
    let e = in_dir(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("clouds-public.yaml") && e.contains("public-clouds"),
        "{e}"
    );
}

/// Each flattened value says which file (or the profile) it came from, through secure.yaml's
/// merge, the profile, `auth` spellings written at the top level, and a region's values.
#[test]
fn flattened_values_name_their_layer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clouds.yaml"),
        "clouds:\n  c:\n    profile: p\n    auth: {username: u, project_name: in-auth}\n    interface: internal\n    regions:\n      - name: R1\n        values: {auth: {auth_url: 'http://r1/v3'}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("secure.yaml"),
        "clouds:\n  c:\n    project_name: top\n    auth: {password: s}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("clouds-public.yaml"),
        "public-clouds:\n  p:\n    auth: {auth_url: 'http://p/v3', user_domain_id: d}\n    api_timeout: 9\n",
    )
    .unwrap();
    let f = in_dir(dir.path()).unwrap();
    assert_eq!(
        f.secure,
        yaml("clouds:\n  c:\n    project_name: top\n    auth: {password: s}\n")
    );
    let c = f.resolve("c").unwrap();
    let flat = c.flatten();
    let auth = |k: &str| flat.auth_from[k];
    let setting = |k: &str| flat.settings_from[k];
    assert_eq!(flat.auth["username"], "u");
    assert_eq!(auth("username"), CloudLayer::CloudsYaml);
    assert_eq!(auth("password"), CloudLayer::SecureYaml);
    // The top level wins over `auth:`, secure.yaml's here.
    assert_eq!(flat.auth["project_name"], "top");
    assert_eq!(auth("project_name"), CloudLayer::SecureYaml);
    assert_eq!(auth("user_domain_id"), CloudLayer::Profile);
    assert_eq!(setting("api_timeout"), CloudLayer::Profile);
    assert_eq!(setting("interface"), CloudLayer::CloudsYaml);
    // The region's values and name: where `regions:` is written.
    assert_eq!(flat.auth["auth_url"], "http://r1/v3");
    assert_eq!(auth("auth_url"), CloudLayer::CloudsYaml);
    assert_eq!(setting("region_name"), CloudLayer::CloudsYaml);
    assert_eq!(flat.settings_from.len(), flat.settings.len());
    assert_eq!(flat.auth_from.len(), flat.auth.len());
    // How each file was found.
    let found: Vec<_> = f
        .searched
        .iter()
        .map(|s| (s.kind, s.read.clone(), s.searched.len(), s.from_env))
        .collect();
    assert_eq!(
        found,
        [
            (
                FileKind::Clouds,
                Some(dir.path().join("clouds.yaml")),
                1,
                false
            ),
            (
                FileKind::Secure,
                Some(dir.path().join("secure.yaml")),
                1,
                false
            ),
            (
                FileKind::Public,
                Some(dir.path().join("clouds-public.yaml")),
                1,
                false
            ),
        ]
    );
    let none = CloudsFile::load_with(
        &env_of(&[("OS_CLIENT_SECURE_FILE", &dir.path().join("nope.yaml"))]),
        Some(&[]),
        Some(&[dir.path().join("missing.yaml")]),
        Some(&[]),
    )
    .unwrap();
    assert_eq!(none.searched[1].read, None);
    assert!(none.searched[1].from_env);
    assert_eq!(
        none.searched[1].searched,
        [
            dir.path().join("nope.yaml"),
            dir.path().join("missing.yaml")
        ]
    );
}

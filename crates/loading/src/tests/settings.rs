//! Session, adapter and per-service settings.

use super::*;

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

/// `token_store` and `token_store_key`: clouds.yaml (the key from secure.yaml), `OS_*`
/// variables and `--os-*` flags, in the usual order; empty means unset.
#[test]
fn token_store_settings() {
    use secrecy::ExposeSecret;
    let files = Files::new(&CLOUDS.replace(
        "    region_name: YamlRegion\n",
        "    region_name: YamlRegion\n    token_store: redis://u:pw@127.0.0.1:1/0\n",
    ))
    .secure("clouds:\n  c1:\n    token_store_key: yaml-key\n");
    let base = LoadOptions {
        cloud: Some("c1".into()),
        config_files: files.list(),
        env: env(&[("OS_PASSWORD", "p")]),
        secure_files: files.secure_list(),
        public_files: Some(vec![]),
        ..Default::default()
    };
    let c = CloudConfig::load(base.clone()).unwrap();
    assert_eq!(c.token_store.as_deref(), Some("redis://u:pw@127.0.0.1:1/0"));
    // The report (`ksa config show`) shows neither the key nor the URL's password.
    assert!(!c.report.settings["token_store"].contains("pw"));
    assert_eq!(
        c.token_store_key
            .as_ref()
            .map(|k| k.expose_secret().to_owned()),
        Some("yaml-key".to_owned())
    );
    assert!(!format!("{c:?}").contains("yaml-key"));
    assert_eq!(c.report.settings["token_store_key"], "***");
    let c = CloudConfig::load(LoadOptions {
        env: env(&[
            ("OS_PASSWORD", "p"),
            ("OS_TOKEN_STORE", "file"),
            ("OS_TOKEN_STORE_KEY", "env-key"),
        ]),
        ..base.clone()
    })
    .unwrap();
    assert_eq!(c.token_store.as_deref(), Some("file"));
    assert_eq!(c.token_store_key.unwrap().expose_secret(), "env-key");
    let c = CloudConfig::load(LoadOptions {
        flags: flags(&[("--os-token-store", "")]),
        env: env(&[("OS_PASSWORD", "p"), ("OS_TOKEN_STORE", "file")]),
        ..base
    })
    .unwrap();
    assert_eq!(c.token_store, None);
}

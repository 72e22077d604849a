//! The auth type and its options: names, deprecated names, methods, required options, the
//! prompt and the domain shorthand.

use super::*;

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

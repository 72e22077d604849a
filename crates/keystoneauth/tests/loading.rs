//! Every registered plugin loads through keystoneauth-loading, or says what is missing.
#![cfg(feature = "loading")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::HashMap;

use keystoneauth::loading::{CloudConfig, LoadOptions};
use keystoneauth::registry::{self, OptKind, OptionValues};
use keystoneauth::Error;

fn load(
    name: &str,
    env: &[(&str, &str)],
    options: OptionValues,
) -> keystoneauth::Result<CloudConfig> {
    CloudConfig::load(LoadOptions {
        auth_type: Some(name.to_owned()),
        env: Some(
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        ),
        options,
        config_files: Some(vec![]),
        secure_files: Some(vec![]),
        ..Default::default()
    })
}

fn dummy(dest: &str, kind: OptKind) -> String {
    match (dest, kind) {
        ("auth_methods", _) => "v3password".into(),
        (d, _) if d.ends_with("url") || d.contains("endpoint") => "http://127.0.0.1:9/v3".into(),
        (_, OptKind::Int) => "1".into(),
        (_, OptKind::Float) => "1.5".into(),
        (_, OptKind::Bool) => "true".into(),
        _ => "x".into(),
    }
}

#[test]
fn each_plugin_loads_or_reports_missing_options() {
    let names = keystoneauth::registered_plugins();
    assert!(!names.is_empty());
    for name in names {
        let loader = registry::loader(name).unwrap();
        let opts = loader.opts();
        match load(name, &[], OptionValues::new()) {
            Ok(c) => assert_eq!(c.auth_type, name),
            Err(Error::MissingRequiredOptions(missing)) => {
                for m in &missing {
                    let opt = opts
                        .iter()
                        .find(|o| o.name == m.name)
                        .unwrap_or_else(|| panic!("{name}: {} is not one of its options", m.name));
                    assert!(opt.required, "{name}: {} is not required", m.name);
                    assert_eq!(m.env, opt.env_vars()[0], "{name}");
                }
            }
            Err(Error::OptionError(_)) => {}
            Err(e) => panic!("{name}: {e:?}"),
        }
        // With every required option given (through its OS_* variable), the loader runs.
        let env: Vec<(String, String)> = opts
            .iter()
            .filter(|o| o.required)
            .map(|o| (o.env_vars()[0].clone(), dummy(&o.dest(), o.kind)))
            .collect();
        let env_ref: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        match load(name, &env_ref, OptionValues::new()) {
            Ok(c) => {
                for (k, _) in &env {
                    let opt = opts.iter().find(|o| &o.env_vars()[0] == k).unwrap();
                    assert!(c.auth.contains(&opt.dest()), "{name}: {k} not read");
                }
                match c.build_plugin() {
                    Ok(_) | Err(Error::OptionError(_)) | Err(Error::MissingRequiredOptions(_)) => {}
                    Err(e) => panic!("{name}: build_plugin: {e:?}"),
                }
            }
            Err(Error::OptionError(_)) | Err(Error::MissingRequiredOptions(_)) => {}
            Err(e) => panic!("{name}: {e:?}"),
        }
    }
}

#[cfg(feature = "identity-v3")]
#[test]
fn v3password_from_env_builds() {
    let c = load(
        "v3password",
        &[
            ("OS_AUTH_URL", "http://127.0.0.1:9/v3"),
            ("OS_USERNAME", "u"),
            ("OS_USER_DOMAIN_ID", "default"),
            ("OS_PASSWORD", "p"),
            ("OS_PROJECT_NAME", "p"),
            ("OS_PROJECT_DOMAIN_ID", "default"),
        ],
        OptionValues::new(),
    )
    .unwrap();
    let plugin = c.build_plugin().unwrap();
    assert_eq!(plugin.auth_url().as_deref(), Some("http://127.0.0.1:9/v3"));
}

#[cfg(feature = "identity-v3")]
#[test]
fn v3multifactor_with_os_auth_methods() {
    let c = load(
        "v3multifactor",
        &[
            ("OS_AUTH_URL", "http://127.0.0.1:9/v3"),
            ("OS_AUTH_METHODS", "v3password,v3totp"),
            ("OS_USER_ID", "u1"),
            ("OS_PASSWORD", "p"),
            ("OS_PASSCODE", "123456"),
        ],
        OptionValues::new(),
    )
    .unwrap();
    assert_eq!(c.auth.get("passcode").as_deref(), Some("123456"));
    c.build_plugin().unwrap();
}

#[test]
fn unknown_auth_type_lists_names() {
    let e = load("nosuch", &[], OptionValues::new()).unwrap_err();
    match e {
        Error::NoMatchingPlugin { name, available } => {
            assert_eq!(name, "nosuch");
            assert_eq!(available, keystoneauth::registered_plugins());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_plugin_shows_its_secret_options_in_debug_output() {
    // Every registered plugin, loaded with all its options given and every secret one
    // (password, token, secret, passcode, …) set to a marker: neither the loaded config nor
    // the plugin built from it shows a marker in its `Debug` output.
    let (mut checked_plugins, mut secrets_checked) = (0, 0);
    for name in keystoneauth::registered_plugins() {
        let opts = registry::loader(name).unwrap().opts();
        let markers: Vec<String> = opts
            .iter()
            .filter(|o| o.secret)
            .map(|o| format!("marker-{}-{}", name, o.dest()))
            .collect();
        let env: Vec<(String, String)> = opts
            .iter()
            .filter(|o| o.required || o.secret)
            .map(|o| {
                let value = if o.secret {
                    format!("marker-{}-{}", name, o.dest())
                } else {
                    dummy(&o.dest(), o.kind)
                };
                (o.env_vars()[0].clone(), value)
            })
            .collect();
        let env_ref: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let Ok(config) = load(name, &env_ref, OptionValues::new()) else {
            continue;
        };
        for o in opts.iter().filter(|o| o.secret) {
            assert!(
                config.auth.contains(&o.dest()),
                "{name}: {} not loaded",
                o.dest()
            );
            secrets_checked += 1;
        }
        let mut shown = vec![format!("{config:?}"), format!("{:?}", config.auth)];
        if let Ok(plugin) = config.build_plugin() {
            shown.push(format!("{plugin:?}"));
            shown.push(format!("{plugin:#?}"));
            checked_plugins += 1;
        }
        for text in &shown {
            for m in &markers {
                assert!(!text.contains(m.as_str()), "{name}: {m} in {text}");
            }
        }
    }
    assert!(
        checked_plugins >= 10,
        "only {checked_plugins} plugins built"
    );
    assert!(
        secrets_checked >= 15,
        "only {secrets_checked} secret options"
    );
}

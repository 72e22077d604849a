//! The plugin registry with a loader registered in this test binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::Arc;

use keystoneauth_core::registry::{self, Opt, OptionValues};
use keystoneauth_core::{AccessInfoPlugin, AuthPlugin, Error, Result};

fn opts() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Authentication URL").required(),
        Opt::new("username", "Username")
            .required()
            .deprecated(&["user-name"]),
        Opt::new("password", "Password").secret().required(),
        Opt::new("region-name", "Region").default("RegionOne"),
    ]
}

fn create(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let region = values.get("region_name").unwrap();
    let body = common::v3_body(time::Duration::hours(1), &region, serde_json::json!([]));
    let access = common::access_info(&body, &values.get("password").unwrap());
    Ok(Arc::new(AccessInfoPlugin::new(
        access,
        values.get("auth_url"),
    )))
}

keystoneauth_core::register_plugin! {
    name: "core-test-loader",
    description: "A loader registered by the core integration tests",
    options: opts,
    create: create,
}

#[test]
fn registered_loader_is_listed() {
    let names = registry::names();
    assert!(names.contains(&"core-test-loader"), "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let l = registry::loader("core-test-loader").unwrap();
    assert_eq!(l.opts().len(), 4);
    assert_eq!(l.opts()[1].env_vars(), vec!["OS_USERNAME", "OS_USER_NAME"]);
}

#[test]
fn loads_with_options_and_defaults() {
    let values = OptionValues::new()
        .with("auth-url", "http://k/v3")
        .with("username", "u")
        .with("password", "p");
    let plugin = registry::load("core-test-loader", &values).unwrap();
    assert_eq!(plugin.auth_url().as_deref(), Some("http://k/v3"));
    let state: serde_json::Value = serde_json::from_str(&plugin.auth_state().unwrap()).unwrap();
    // The default region was filled in (the test plugin uses it as its project id).
    assert_eq!(state["body"]["token"]["project"]["id"], "RegionOne");
}

#[test]
fn missing_required_options_name_each_option_and_variable() {
    let values = OptionValues::new()
        .with("username", "u")
        .with("password", "");
    let err = registry::load("core-test-loader", &values).unwrap_err();
    let Error::MissingRequiredOptions(missing) = &err else {
        panic!("{err:?}");
    };
    let got: Vec<(&str, &str)> = missing
        .iter()
        .map(|m| (m.name.as_str(), m.env.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![("auth-url", "OS_AUTH_URL"), ("password", "OS_PASSWORD")]
    );
    assert_eq!(
        err.to_string(),
        "Auth plugin requires parameters which were not given: auth-url (env OS_AUTH_URL), password (env OS_PASSWORD)"
    );
}

#[test]
fn unknown_names_list_the_available_plugins() {
    let err = registry::load("no-such-plugin", &OptionValues::new()).unwrap_err();
    let Error::NoMatchingPlugin { name, available } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(name, "no-such-plugin");
    assert!(available.iter().any(|n| n == "core-test-loader"));
    let text = err.to_string();
    assert!(text.starts_with("The plugin no-such-plugin could not be found. Available plugins:"));
    assert!(text.contains("core-test-loader"), "{text}");
}

#[test]
fn option_values() {
    let v = OptionValues::new()
        .with("flag", "Yes")
        .with("bad", "maybe")
        .with("list", "a, b,,c")
        .with("json-list", r#"["x","y"]"#);
    assert_eq!(v.get_bool("flag").unwrap(), Some(true));
    assert!(matches!(v.get_bool("bad"), Err(Error::OptionError(_))));
    assert_eq!(v.get_bool("absent").unwrap(), None);
    assert_eq!(v.get_list("list").unwrap(), vec!["a", "b", "c"]);
    assert_eq!(v.get_list("json_list").unwrap(), vec!["x", "y"]);
}

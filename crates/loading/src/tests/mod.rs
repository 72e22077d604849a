//! Loading tests with plugins registered here (the real ones are tested through the facade).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use keystoneauth_core::registry::{Opt, OptKind, OptionValues};
use keystoneauth_core::{AuthPlugin, Error, Interface, Result, Session, Verify};

use crate::{CloudConfig, LoadOptions, Source};

mod cloud_choice;
mod errors;
mod openstacksdk;
mod plugin_options;
mod precedence;
mod profiles;
mod regions;
mod report;
mod settings;

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

//! Writing your own auth plugin: `cargo run -p keystoneauth --example custom_plugin`.
//!
//! A plugin for an identity service that keystoneauth-rs does not know needs three things:
//!
//! 1. an [`Authenticator`]: how to get a token (here: a v3 password request written by hand,
//!    standing in for a site-specific login);
//! 2. [`IdentityPlugin`] around it, which brings the token cache (one refresh for all tasks,
//!    120 s before expiry), the service catalog and version discovery, so that relative URLs
//!    such as `/servers` on a `compute` adapter work;
//! 3. [`register_plugin!`](keystoneauth::register_plugin) with a name and its options, so that
//!    `auth_type: site-password` in clouds.yaml (or `OS_AUTH_TYPE`, or `ksa --os-auth-type`)
//!    loads it like any built-in plugin.
//!
//! The example serves the in-process identity emulator, writes a clouds.yaml that names the
//! plugin, loads the cloud, and lists servers through the catalog. It runs as a test too
//! (`cargo test -p keystoneauth --example custom_plugin`).

use std::sync::Arc;

use keystoneauth::identity::IdentityPlugin;
use keystoneauth::loading::{CloudConfig, LoadOptions};
use keystoneauth::registry::{Opt, OptionValues};
use keystoneauth::secrecy::{ExposeSecret, SecretString};
use keystoneauth::{AccessInfo, AuthPlugin, Authenticator, Error, Result, Session};
use keystoneauth_testing::emulator::Emulator;
use serde_json::json;

/// How `site-password` gets a token: a v3 password request for a project, by hand.
#[derive(Debug)]
struct SitePassword {
    auth_url: String,
    username: String,
    password: SecretString,
    project: String,
}

#[keystoneauth::async_trait]
impl Authenticator for SitePassword {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.username,
                "domain": {"id": "default"},
                "password": self.password.expose_secret(),
            }}},
            "scope": {"project": {"name": self.project, "domain": {"id": "default"}}},
        }});
        let resp = session
            .post(format!(
                "{}/auth/tokens",
                self.auth_url.trim_end_matches('/')
            ))
            .json(&body)
            .authenticated(false) // this is the login itself
            .log_body(false) // the body holds the password
            .send()
            .await?;
        // There, visible text and not empty; the access info keeps the response's buffer.
        let token = keystoneauth::headers::subject_token(&resp)?;
        AccessInfo::from_bytes(resp.bytes().clone(), Some(token))
    }

    fn auth_url(&self) -> &str {
        &self.auth_url
    }

    fn plugin_name(&self) -> String {
        "site-password".into()
    }
}

/// The options, with keystoneauth1's naming rules: `auth-url` is `auth_url` in clouds.yaml,
/// `OS_AUTH_URL` in the environment and `--os-auth-url` on the command line.
fn site_password_options() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Identity v3 URL").required(),
        Opt::new("username", "User name").required(),
        Opt::new("password", "Password").secret().required(),
        Opt::new("project-name", "Project name").required(),
    ]
}

/// Builds the plugin from option values (required ones are checked before this is called).
fn create_site_password(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    let get = |k: &str| values.get(k).unwrap_or_default();
    let auth = SitePassword {
        auth_url: get("auth_url"),
        username: get("username"),
        password: values.get_secret("password").unwrap_or_default(),
        project: get("project_name"),
    };
    Ok(Arc::new(IdentityPlugin::new(auth)))
}

keystoneauth::register_plugin! {
    name: "site-password",
    description: "A site's password login (example)",
    options: site_password_options,
    create: create_site_password,
}

async fn run() -> Result<()> {
    let emulator = Emulator::builder()
        .default_users()
        .start()
        .await
        .map_err(|e| Error::Config(format!("cannot start the emulator: {e}")))?;
    let dir = std::env::temp_dir().join(format!("ksa-custom-plugin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Config(e.to_string()))?;
    let clouds = dir.join("clouds.yaml");
    std::fs::write(
        &clouds,
        format!(
            "clouds:\n  site:\n    auth_type: site-password\n    auth:\n      auth_url: {}\n      \
             username: demo\n      password: demopass\n      project_name: demo\n",
            emulator.auth_url_v3()
        ),
    )
    .map_err(|e| Error::Config(e.to_string()))?;

    let cloud = CloudConfig::load(LoadOptions {
        cloud: Some("site".into()),
        config_files: Some(vec![clouds]),
        env: Some(Default::default()),
        ..Default::default()
    })?;
    println!("cloud site: auth_type {}", cloud.auth_type);
    let session = cloud.build_session()?;
    let compute = cloud.adapter(&session, "compute")?;
    let servers: serde_json::Value = compute.get("/servers").send().await?.json()?;
    println!("GET compute /servers -> {servers}");
    println!("project {:?}", session.project_id().await?);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(servers, json!({"servers": []}));
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("custom_plugin: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    /// `cargo test -p keystoneauth --example custom_plugin` runs the whole example.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_example_runs() {
        if let Err(e) = super::run().await {
            panic!("{e}");
        }
    }
}

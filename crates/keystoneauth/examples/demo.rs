//! The keystoneauth-rs demo: `cargo run -p keystoneauth --example demo`.
//!
//! With no arguments it starts the in-process identity emulator (no cloud needed) and walks
//! through password auth, token rescope, TOTP, MFA with a receipt, an application credential
//! and an authenticated request through the catalog, printing each step.
//!
//! `-- --os-cloud NAME` runs the steps a real cloud allows with the credentials of that
//! clouds.yaml entry (steps that need a TOTP secret or MFA rules set up are skipped, and the
//! demo says so).

use std::sync::Arc;

use keystoneauth::identity_v3::{
    ApplicationCredential, Password, ReceiptMethod, Scope, Token, Totp,
};
use keystoneauth::loading::{CloudConfig, LoadOptions};
use keystoneauth::secrecy::ExposeSecret;
use keystoneauth::{AccessInfo, Adapter, AuthPlugin, Authenticator, Error, Result, Session};
use keystoneauth_testing::emulator::{totp_now, AppCredSpec, Emulator, DEMO_TOTP_SECRET};

fn show(step: &str, access: &AccessInfo) {
    let mut methods: Vec<&str> = access.methods().iter().map(String::as_str).collect();
    methods.sort_unstable();
    println!(
        "  ok  {step}: user {} ({}), scope {}, methods {:?}, expires {}",
        access.username().unwrap_or("?"),
        access.user_id(),
        match (
            access.project_name(),
            access.domain_name(),
            access.system_scoped()
        ) {
            (Some(p), _, _) => format!("project {p}"),
            (None, Some(d), _) => format!("domain {d}"),
            (None, None, true) => "system".to_owned(),
            _ => "unscoped".to_owned(),
        },
        methods,
        access
            .expires()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| access.expires().to_string())
    );
}

async fn access_of(session: &Session) -> Result<Arc<AccessInfo>> {
    let plugin = session
        .auth()
        .ok_or_else(|| Error::MissingAuthPlugin("show the token".into()))?;
    plugin
        .access(session)
        .await?
        .ok_or_else(|| Error::AuthorizationFailure("the plugin has no token".into()))
}

async fn catalog_request(session: &Session) -> Result<()> {
    let access = access_of(session).await?;
    let services: Vec<String> = access
        .service_catalog()
        .services()
        .iter()
        .map(|s| s.service_type.clone())
        .collect();
    println!("  ok  catalog: {}", services.join(", "));
    let identity = Adapter::new(session.clone(), "identity");
    println!("  ok  identity endpoint: {}", identity.endpoint().await?);
    if services.iter().any(|s| s == "compute") {
        let compute = Adapter::new(session.clone(), "compute")
            .min_version("2.1")?
            .default_microversion("2.60");
        let data = compute.endpoint_data().await?;
        println!(
            "  ok  compute after discovery: {} (API {}, microversions {} to {})",
            data.url(),
            data.api_version
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
            data.min_microversion
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
            data.max_microversion
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
        );
        let resp = compute.get("/servers").send().await?;
        println!(
            "  ok  GET compute /servers → {} {}",
            resp.status(),
            resp.text()
        );
    } else {
        let resp = identity.get("/auth/projects").send().await?;
        println!("  ok  GET identity /auth/projects → {}", resp.status());
    }
    Ok(())
}

async fn run_emulator() -> Result<()> {
    let emulator = Emulator::builder()
        .default_users()
        .application_credential(AppCredSpec::new("demo", "demo", "demo-cred", "app-secret"))
        .start()
        .await
        .map_err(|e| Error::Config(format!("cannot start the emulator: {e}")))?;
    let url = emulator.auth_url_v3();
    println!("identity emulator at {url} (users from Emulator::builder().default_users())");
    let http = Session::builder().build()?;

    println!("1. password, project scoped");
    let session = Session::new(Arc::new(
        Password::new(&url, "demopass")
            .username("demo")
            .user_domain_id("default")
            .scope(Scope::project_in_domain_id("demo", "default"))
            .into_plugin(),
    ))?;
    show("password", &*access_of(&session).await?);

    println!("2. token rescope: unscoped password token → project via the token method");
    let unscoped = Password::new(&url, "demopass")
        .username("demo")
        .user_domain_id("default")
        .into_auth()
        .authenticate(&http)
        .await?;
    show("unscoped", &unscoped);
    let rescoped = Token::new(&url, unscoped.auth_token().expose_secret())
        .scope(Scope::project_in_domain_id("demo", "default"))
        .into_auth()
        .authenticate(&http)
        .await?;
    show("rescoped", &rescoped);

    println!("3. TOTP (RFC 6238 passcode computed now)");
    let totp = Totp::new(&url, totp_now(DEMO_TOTP_SECRET))
        .username("demo")
        .user_domain_id("default")
        .scope(Scope::project_in_domain_id("demo", "default"))
        .into_auth()
        .authenticate(&http)
        .await?;
    show("totp", &totp);

    println!("4. MFA: user mfauser must use password AND totp");
    let password_only = Password::new(&url, "mfa-pw")
        .username("mfauser")
        .user_domain_id("default")
        .scope(Scope::project_in_domain_id("demo", "default"));
    match password_only.into_auth().authenticate(&http).await {
        Err(Error::MissingAuthMethods(missing)) => {
            println!(
                "  ok  password alone → 401 with a receipt; satisfied {:?}, rules {:?}",
                missing.methods, missing.required_auth_methods
            );
            let second = Totp::new(&url, totp_now(DEMO_TOTP_SECRET))
                .username("mfauser")
                .user_domain_id("default")
                .scope(Scope::project_in_domain_id("demo", "default"))
                .into_auth()
                .with_method(ReceiptMethod::from_secret(missing.receipt.clone()));
            show("receipt + totp", &second.authenticate(&http).await?);
        }
        Ok(_) => return Err(Error::AuthorizationFailure("MFA was not enforced".into())),
        Err(e) => return Err(e),
    }

    println!("5. application credential (by name + user)");
    let app = ApplicationCredential::with_name(&url, "demo-cred", "app-secret")
        .username("demo")
        .user_domain_id("default")
        .into_auth()
        .authenticate(&http)
        .await?;
    show("application credential", &app);

    println!("6. an authenticated request through the catalog");
    catalog_request(&session).await?;
    println!(
        "done: {} token requests served by the emulator",
        emulator.token_requests()
    );
    Ok(())
}

async fn run_cloud(cloud: String) -> Result<()> {
    let config = CloudConfig::load(LoadOptions {
        cloud: Some(cloud.clone()),
        ..Default::default()
    })?;
    let session = config.build_session()?;
    println!("cloud {cloud} (auth type {})", config.auth_type);
    println!("1. authenticate with the cloud's credentials");
    let access = access_of(&session).await?;
    show(&config.auth_type, &access);
    println!("2. token rescope with the token method");
    let plugin = session
        .auth()
        .and_then(|a| a.auth_url())
        .ok_or_else(|| Error::Config("this plugin has no auth URL".into()))?;
    let mut token = Token::new(&plugin, access.auth_token().expose_secret());
    if let Some(pid) = access.project_id() {
        token = token.scope(Scope::ProjectId(pid.to_owned()));
    }
    show("rescoped", &token.into_auth().authenticate(&session).await?);
    println!("3. TOTP, 4. MFA, 5. application credential: skipped against a real cloud (they need a TOTP secret, MFA rules or a credential set up for this user)");
    println!("6. an authenticated request through the catalog");
    catalog_request(&session).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut cloud = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--os-cloud" => cloud = args.next(),
            s if s.starts_with("--os-cloud=") => cloud = Some(s["--os-cloud=".len()..].to_owned()),
            "-h" | "--help" => {
                println!("usage: demo [--os-cloud NAME]");
                return;
            }
            other => {
                eprintln!("demo: unknown argument {other}; usage: demo [--os-cloud NAME]");
                std::process::exit(2);
            }
        }
    }
    let result = match cloud {
        Some(c) => run_cloud(c).await,
        None => run_emulator().await,
    };
    if let Err(e) = result {
        eprintln!("demo: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    /// The README's main command stays true: every step of the embedded demo succeeds.
    #[tokio::test]
    async fn the_embedded_demo_runs_every_step() {
        super::run_emulator()
            .await
            .expect("demo against the emulator");
    }
}

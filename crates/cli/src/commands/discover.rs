//! `ksa discover URL`: the versions and microversion ranges a service advertises, without
//! authentication.

use clap::Args;
use keystoneauth::loading::{self, LoadOptions};
use keystoneauth::Session;
use serde_json::{json, Value};

use crate::error::Res;
use crate::output::{optional_version, print, ListOutput};

/// `ksa discover …`
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// The service's URL
    pub url: String,
    #[command(flatten)]
    pub out: ListOutput,
}

/// The session for `ksa discover`: built from the `--os-*` flags (TLS, timeouts), with no
/// auth plugin.
pub fn session(flags: Vec<(String, String)>) -> Res<Session> {
    let opts = loading::load_session_options(&LoadOptions {
        flags,
        ..Default::default()
    })?;
    crate::context::warn_if_insecure(&opts.verify);
    Ok(opts.builder()?.build()?)
}

/// Run `ksa discover …`.
pub async fn run(session: &Session, args: &DiscoverArgs) -> Res<()> {
    let d = keystoneauth::discover::Discover::fetch(session, &args.url).await?;
    let rows: Vec<Vec<Value>> = d
        .versions()
        .iter()
        .map(|v| {
            vec![
                json!(v.version.to_string()),
                json!(v.status),
                json!(v.url),
                optional_version(&v.min_microversion),
                optional_version(&v.max_microversion),
            ]
        })
        .collect();
    print(&args.out.render(
        &[
            "Version",
            "Status",
            "URL",
            "Min Microversion",
            "Max Microversion",
        ],
        &rows,
    )?)
}

//! `ksa token issue|revoke|validate`.

use clap::Subcommand;
use keystoneauth::AccessInfo;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::Res;
use crate::output::{print, RecordOutput};

/// `ksa token …`
#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Get a token (fields as `openstack token issue` prints them)
    Issue {
        #[command(flatten)]
        out: RecordOutput,
    },
    /// Revoke a token
    Revoke {
        /// The token
        token: String,
    },
    /// Check a token and show what it is
    Validate {
        /// The token
        token: String,
        #[command(flatten)]
        out: RecordOutput,
    },
}

/// Run `ksa token …`.
pub async fn run(ctx: &Ctx, cmd: &TokenCmd) -> Res<()> {
    match cmd {
        TokenCmd::Issue { out } => {
            let a = ctx.access().await?;
            print(&out.render(&token_fields(&a))?)
        }
        TokenCmd::Revoke { token } => {
            let id = ctx.identity().await?;
            id.delete("/auth/tokens")
                .header("X-Subject-Token", token)
                .send()
                .await?;
            Ok(())
        }
        TokenCmd::Validate { token, out } => {
            let id = ctx.identity().await?;
            let resp = id
                .get("/auth/tokens")
                .header("X-Subject-Token", token)
                .send()
                .await?;
            let a = AccessInfo::from_body(
                resp.bytes(),
                Some(secrecy::SecretString::from(token.clone())),
            )?;
            print(&out.render(&token_fields(&a))?)
        }
    }
}

/// The expiry as `openstack token issue` prints it: `2030-01-01T00:00:00+0000`.
fn expires_text(a: &AccessInfo) -> String {
    let fmt =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+0000");
    a.expires()
        .to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// The fields `openstack token issue` prints.
fn token_fields(a: &AccessInfo) -> Vec<(&'static str, Value)> {
    use secrecy::ExposeSecret;
    let mut f = vec![
        ("expires", json!(expires_text(a))),
        ("id", json!(a.auth_token().expose_secret())),
    ];
    if let Some(p) = a.project_id() {
        f.push(("project_id", json!(p)));
    } else if let Some(d) = a.domain_id() {
        f.push(("domain_id", json!(d)));
    } else if a.system_scoped() {
        f.push(("system", json!("all")));
    }
    f.push(("user_id", json!(a.user_id())));
    f
}

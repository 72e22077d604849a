//! `ksa token issue|revoke|validate|forget`.

use clap::Subcommand;
use keystoneauth::{AccessInfo, Error};
use secrecy::ExposeSecret as _;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::{Failure, Res};
use crate::output::{print, RecordOutput};

/// `ksa token …`
#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Get a token (fields as `openstack token issue` prints them)
    Issue {
        /// With a token store (--auth-cache, --token-store): first revoke the stored token
        /// at Keystone and drop it, then issue a new one (which is stored)
        #[arg(long = "revoke-cached")]
        revoke_cached: bool,
        #[command(flatten)]
        out: RecordOutput,
    },
    /// Drop the stored token of these credentials from the token store (--auth-cache,
    /// --token-store)
    Forget {
        /// Revoke it at Keystone first
        #[arg(long)]
        revoke: bool,
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
        TokenCmd::Issue { revoke_cached, out } => {
            if *revoke_cached {
                forget(ctx, true).await?;
            }
            let a = ctx.access().await?;
            print(&out.render(&token_fields(&a))?)
        }
        TokenCmd::Forget { revoke } => forget(ctx, *revoke).await,
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

/// Drop the stored token (after revoking it at Keystone, with `revoke`).
async fn forget(ctx: &Ctx, revoke: bool) -> Res<()> {
    let stored = ctx.stored.as_ref().ok_or_else(|| {
        Failure::Usage(
            "no token store: use --auth-cache or --token-store (and a plugin that has a cache id)"
                .into(),
        )
    })?;
    if revoke {
        let entry = stored.stored().await?;
        let token = entry
            .and_then(|e| AccessInfo::from_auth_state(e.state.expose_secret()).ok())
            .filter(|a| !a.is_expired())
            .map(|a| a.auth_token().expose_secret().to_owned());
        if let Some(token) = token {
            // Authenticated by the stored token itself while it is fresh (a token may
            // revoke itself); else by a new one.
            let id = ctx.identity().await?;
            match id
                .delete("/auth/tokens")
                .header("X-Subject-Token", token.as_str())
                .send()
                .await
            {
                Ok(_) => tracing::debug!(target: "ksa", "revoked the stored token"),
                // Revoked or expired already.
                Err(Error::NotFound(_) | Error::Unauthorized(_)) => {
                    tracing::debug!(target: "ksa", "the stored token was no longer valid")
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    stored.forget().await?;
    Ok(())
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

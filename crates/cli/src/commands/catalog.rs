//! `ksa catalog list|show`: the service catalog of the token.

use clap::Subcommand;
use keystoneauth::catalog::CatalogService;
use keystoneauth::redact::escape_controls;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::{Failure, Res};
use crate::output::{print, ListOutput, RecordOutput, RowsFn};

/// `ksa catalog …`
#[derive(Debug, Subcommand)]
pub enum CatalogCmd {
    /// List the services
    List {
        #[command(flatten)]
        out: ListOutput,
    },
    /// Show one service by type or name
    Show {
        /// Service type or name
        service: String,
        #[command(flatten)]
        out: RecordOutput,
    },
}

/// Run `ksa catalog …`.
pub async fn run(ctx: &Ctx, cmd: &CatalogCmd) -> Res<()> {
    let a = ctx.access().await?;
    let catalog = a.service_catalog();
    match cmd {
        CatalogCmd::List { out } => {
            // Each row is made when it is written: the rows of a huge catalog (and their
            // text) are never all in memory at once.
            let services = catalog.services();
            let structured = out.format.structured();
            let rows = RowsFn(services.len(), |i: usize| {
                let s = &services[i];
                vec![
                    json!(s.name),
                    json!(s.service_type),
                    endpoints(s, structured),
                ]
            });
            out.print(&["Name", "Type", "Endpoints"], &rows)
        }
        CatalogCmd::Show { service, out } => {
            let s = catalog
                .services()
                .iter()
                .find(|s| {
                    keystoneauth::service_types::is_match(service, &s.service_type)
                        || s.name.as_deref() == Some(service.as_str())
                })
                .ok_or_else(|| Failure::Msg(format!("service {service} is not in the catalog")))?;
            print(&out.render(&[
                ("endpoints", endpoints(s, out.format.structured())),
                ("id", json!(s.id)),
                ("name", json!(s.name)),
                ("type", json!(s.service_type)),
            ])?)
        }
    }
}

/// A service's endpoints: a list of objects in JSON and YAML, else text as openstackclient
/// shows them (the region, then `interface: url` under it).
fn endpoints(s: &CatalogService, structured: bool) -> Value {
    if structured {
        endpoints_json(s)
    } else {
        json!(endpoints_text(s))
    }
}

fn endpoints_json(s: &CatalogService) -> Value {
    Value::Array(
        s.endpoints
            .iter()
            .map(|e| {
                json!({
                    "id": e.id,
                    "interface": e.interface.as_str(),
                    "region_id": e.region,
                    "url": e.url,
                    "region": e.region,
                })
            })
            .collect(),
    )
}

fn endpoints_text(s: &CatalogService) -> String {
    s.endpoints
        .iter()
        .map(|e| {
            // The server's text escaped whole (its line breaks too): only ksa's own line
            // breaks separate the lines of the cell.
            format!(
                "{}\n  {}: {}",
                escape_controls(e.region.as_deref().unwrap_or("")),
                e.interface.as_str(),
                escape_controls(&e.url)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

//! `ksa versions show`: the versions every service in the catalog offers.

use clap::Subcommand;
use keystoneauth::loading;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::Res;
use crate::output::{optional_version, print, ListOutput};

/// `ksa versions …`
#[derive(Debug, Subcommand)]
pub enum VersionsCmd {
    /// Region, service type, version, status, endpoint and microversion range of each
    /// version of each service, found by version discovery on the catalog's endpoints
    Show {
        /// Only this service type (or an alias of it: volumev3, …)
        #[arg(long)]
        service: Option<String>,
        /// Interface to ask: public, internal or admin (default: --os-interface, else public)
        #[arg(long)]
        interface: Option<String>,
        /// Only this region (default: every region)
        #[arg(long = "region-name", alias = "region")]
        region_name: Option<String>,
        /// Only versions with this status (CURRENT, SUPPORTED, DEPRECATED, UNKNOWN)
        #[arg(long)]
        status: Option<String>,
        /// At most this many discovery requests (default 50); the endpoints past it show the
        /// version their URL names, status UNKNOWN, and a warning says how many
        #[arg(long, value_name = "N")]
        max_requests: Option<usize>,
        #[command(flatten)]
        out: ListOutput,
    },
}

/// Run `ksa versions …`.
pub async fn run(ctx: &Ctx, cmd: &VersionsCmd) -> Res<()> {
    let VersionsCmd::Show {
        service,
        interface,
        region_name,
        status,
        max_requests,
        out,
    } = cmd;
    let interface = match interface {
        Some(i) => loading::adapter_opts::parse_interfaces(&[i.trim().to_owned()])?.pop(),
        None => ctx.config.interfaces.first().cloned(),
    };
    let query = keystoneauth::discover::VersionQuery {
        interface,
        region_name: region_name.clone(),
        service_type: service.clone(),
        max_requests: *max_requests,
    };
    let all = ctx.session.all_version_data(&query).await?;
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for (region, interfaces) in &all {
        for services in interfaces.values() {
            for (service_type, versions) in services {
                for v in versions {
                    if status
                        .as_deref()
                        .is_some_and(|s| !s.eq_ignore_ascii_case(&v.status))
                    {
                        continue;
                    }
                    rows.push(vec![
                        json!(region),
                        json!(service_type),
                        json!(v.version.to_string()),
                        json!(v.status),
                        json!(v.url),
                        optional_version(&v.min_microversion),
                        optional_version(&v.max_microversion),
                    ]);
                }
            }
        }
    }
    print(&out.render(
        &[
            "Region Name",
            "Service Type",
            "Version",
            "Status",
            "Endpoint",
            "Min Microversion",
            "Max Microversion",
        ],
        &rows,
    )?)
}

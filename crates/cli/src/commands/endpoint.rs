//! `ksa endpoint SERVICE_TYPE`: the URL of a service's endpoint.

use clap::Args;
use keystoneauth::loading;

use crate::context::Ctx;
use crate::error::Res;
use crate::output::print;

/// `ksa endpoint …`
#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// Service type (compute, identity, block-storage, …)
    pub service_type: String,
    /// Interface(s), comma separated: public, internal, admin
    #[arg(long)]
    pub interface: Option<String>,
    /// Region
    #[arg(long)]
    pub region: Option<String>,
    /// API major version (`2`, `3`, `2.1`)
    #[arg(long)]
    pub version: Option<String>,
}

/// Run `ksa endpoint …`: print the URL (after version discovery when `--version` is given).
pub async fn run(ctx: &Ctx, args: &EndpointArgs) -> Res<()> {
    let mut o = ctx.config.adapter_options(&args.service_type)?;
    if let Some(i) = &args.interface {
        let l: Vec<String> = i.split(',').map(|s| s.trim().to_owned()).collect();
        o.interfaces = loading::adapter_opts::parse_interfaces(&l)?;
    }
    if let Some(r) = &args.region {
        o.region_name = Some(r.clone());
    }
    if let Some(v) = &args.version {
        o.version = Some(v.clone());
        o.min_version = None;
        o.max_version = None;
    }
    let a = o.build(ctx.session.clone())?;
    let data = if o.version.is_some() {
        a.endpoint_data().await?
    } else {
        keystoneauth::EndpointData::for_url(a.endpoint().await?)
    };
    // The catalog's URL, its control characters escaped (issue 21 item 8).
    let url = data.url().to_string();
    print(&format!(
        "{}\n",
        keystoneauth::redact::escape_controls(&url)
    ))
}

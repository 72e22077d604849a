//! `ksa plugins [show NAME]`: the auth plugins this build has, and their options.

use clap::Subcommand;
use keystoneauth::registry;
use serde_json::{json, Value};

use crate::error::Res;
use crate::output::{print, ListOutput};

/// `ksa plugins …`
#[derive(Debug, Subcommand)]
pub enum PluginsCmd {
    /// A plugin's options, with their flags, variables and defaults
    Show {
        /// Plugin name
        name: String,
        #[command(flatten)]
        out: ListOutput,
    },
}

/// Run `ksa plugins` (the list, printed as `out` says) or `ksa plugins show NAME`.
pub fn run(cmd: Option<&PluginsCmd>, out: &ListOutput) -> Res<()> {
    match cmd {
        None => {
            let rows: Vec<Vec<Value>> = keystoneauth::registered_plugins()
                .iter()
                .filter_map(|n| registry::loader(n).ok())
                .map(|l| vec![json!(l.name), json!(l.description)])
                .collect();
            print(&out.render(&["Name", "Description"], &rows)?)
        }
        Some(PluginsCmd::Show { name, out }) => {
            let l = registry::loader(name)?;
            let json = out.format.structured();
            let joined = |v: Vec<String>| {
                if json {
                    json!(v)
                } else {
                    json!(v.join("\n"))
                }
            };
            let rows: Vec<Vec<Value>> = l
                .opts()
                .iter()
                .map(|o| {
                    vec![
                        json!(o.name),
                        joined(o.cli_flags()),
                        joined(o.env_vars()),
                        json!(o.required),
                        json!(o.secret),
                        json!(o.default),
                        json!(o.help),
                    ]
                })
                .collect();
            print(&out.render(
                &[
                    "Option",
                    "Flags",
                    "Environment",
                    "Required",
                    "Secret",
                    "Default",
                    "Help",
                ],
                &rows,
            )?)
        }
    }
}

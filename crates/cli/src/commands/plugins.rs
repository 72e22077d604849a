//! `ksa plugins [show NAME]`: the auth plugins this build has, and their options.

use clap::Subcommand;
use keystoneauth::registry;
use serde_json::{json, Value};

use crate::error::{Failure, Res};
use crate::output::{list, print, Format};

/// `ksa plugins …`
#[derive(Debug, Subcommand)]
pub enum PluginsCmd {
    /// A plugin's options, with their flags, variables and defaults
    Show {
        /// Plugin name
        name: String,
        /// Output format
        #[arg(short = 'f', long = "format", value_enum, default_value_t)]
        format: Format,
    },
}

/// Run `ksa plugins` (the list, in `format`) or `ksa plugins show NAME`.
pub fn run(cmd: Option<&PluginsCmd>, format: Format) -> Res<()> {
    match cmd {
        None => {
            let rows: Vec<Vec<Value>> = keystoneauth::registered_plugins()
                .iter()
                .filter_map(|n| registry::loader(n).ok())
                .map(|l| vec![json!(l.name), json!(l.description)])
                .collect();
            print(&list(&["Name", "Description"], &rows, format).map_err(Failure::Usage)?)
        }
        Some(PluginsCmd::Show { name, format }) => {
            let l = registry::loader(name)?;
            let json = *format == Format::Json;
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
            print(
                &list(
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
                    *format,
                )
                .map_err(Failure::Usage)?,
            )
        }
    }
}

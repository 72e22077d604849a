//! The command line.

use clap::{Parser, Subcommand};
use clap_complete::Shell;

use crate::commands::catalog::CatalogCmd;
use crate::commands::config::ConfigCmd;
use crate::commands::discover::DiscoverArgs;
use crate::commands::endpoint::EndpointArgs;
use crate::commands::plugins::PluginsCmd;
use crate::commands::request::RequestArgs;
use crate::commands::token::TokenCmd;
use crate::commands::versions::VersionsCmd;
use crate::output::ListOutput;

/// Flags this parser defines itself; every other `--os-*` flag is taken out before parsing and
/// handed to loading, which checks it against the chosen plugin's options.
pub const KNOWN_FLAGS: &[&str] = &[
    "--os-cloud",
    "--os-auth-type",
    "--os-auth-plugin",
    "--os-region-name",
    "--os-interface",
    "--os-cacert",
    "--os-cert",
    "--os-key",
    "--insecure",
    "--timeout",
];

const AFTER_HELP: &str = "\
Authentication options: any --os-<option> of the chosen auth plugin (see `ksa plugins show \
<name>`), e.g. --os-auth-url, --os-username, --os-password, --os-project-name,
--os-user-domain-id. Each also reads its OS_* variable (OS_AUTH_URL, …); --os-cloud / OS_CLOUD \
select a cloud in clouds.yaml. Flags win over variables, variables over clouds.yaml.";

/// OpenStack authentication from the command line (keystoneauth-rs).
#[derive(Debug, Parser)]
#[command(name = "ksa", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Cloud name in clouds.yaml [env: OS_CLOUD]
    #[arg(long = "os-cloud", global = true, value_name = "NAME")]
    pub os_cloud: Option<String>,
    /// Auth plugin (`ksa plugins` lists them) [env: OS_AUTH_TYPE]
    #[arg(
        long = "os-auth-type",
        alias = "os-auth-plugin",
        global = true,
        value_name = "NAME"
    )]
    pub os_auth_type: Option<String>,
    /// Region [env: OS_REGION_NAME]
    #[arg(long = "os-region-name", global = true, value_name = "REGION")]
    pub os_region_name: Option<String>,
    /// Interface: public, internal or admin [env: OS_INTERFACE]
    #[arg(long = "os-interface", global = true, value_name = "INTERFACE")]
    pub os_interface: Option<String>,
    /// CA bundle to verify the server's certificate [env: OS_CACERT]
    #[arg(long = "os-cacert", global = true, value_name = "PEM")]
    pub os_cacert: Option<String>,
    /// Client certificate [env: OS_CERT]
    #[arg(long = "os-cert", global = true, value_name = "PEM")]
    pub os_cert: Option<String>,
    /// Client key [env: OS_KEY]
    #[arg(long = "os-key", global = true, value_name = "PEM")]
    pub os_key: Option<String>,
    /// Do not verify the server's certificate
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Request timeout in seconds
    #[arg(long, global = true, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Log HTTP requests and responses (secrets redacted) to stderr
    #[arg(long, global = true)]
    pub debug: bool,
    /// Keep the token in the user's cache directory (the file token store) and reuse it
    /// while it is valid; concurrent runs share one token request
    #[arg(long = "auth-cache", global = true)]
    pub auth_cache: bool,
    /// Share tokens through this store (implies --auth-cache): file, file:DIR,
    /// `redis://HOST[:PORT][/DB]` (with OS_TOKEN_STORE_KEY), keyring (when built with it) or
    /// none [env: OS_TOKEN_STORE]
    #[arg(long = "token-store", global = true, value_name = "STORE")]
    pub token_store: Option<String>,
    /// How long to wait for another process that is refreshing the shared token before
    /// authenticating alone (default 15)
    #[arg(
        long = "token-store-wait",
        global = true,
        value_name = "SECONDS",
        env = "OS_TOKEN_STORE_WAIT",
        value_parser = parse_wait
    )]
    pub token_store_wait: Option<std::time::Duration>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Issue, revoke and validate tokens
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// The service catalog of the token
    Catalog {
        #[command(subcommand)]
        cmd: CatalogCmd,
    },
    /// The URL of a service's endpoint (after version discovery when --version is given)
    Endpoint(EndpointArgs),
    /// Call a service: the body goes to stdout, the status to stderr
    Request(RequestArgs),
    /// The versions every service in the catalog offers (as `openstack versions show`)
    Versions {
        #[command(subcommand)]
        cmd: VersionsCmd,
    },
    /// Versions and microversion ranges a service advertises (no authentication)
    Discover(DiscoverArgs),
    /// The configuration of a cloud as it is loaded: values, secrets masked, where each came
    /// from, and the files read (no authentication)
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
    /// The auth plugins this build has, and their options
    Plugins {
        #[command(subcommand)]
        cmd: Option<PluginsCmd>,
        #[command(flatten)]
        out: ListOutput,
    },
    /// Print a shell completion script
    Completion {
        /// bash, zsh, fish, elvish or powershell
        shell: Shell,
    },
}

impl Cli {
    /// The flags for loading: the parsed well-known ones, then the other `--os-*` flags.
    pub fn load_flags(&self, extra: Vec<(String, String)>) -> Vec<(String, String)> {
        let mut flags = Vec::new();
        let mut push = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                flags.push((k.to_owned(), v.clone()));
            }
        };
        push("--os-cloud", &self.os_cloud);
        push("--os-auth-type", &self.os_auth_type);
        push("--os-region-name", &self.os_region_name);
        push("--os-interface", &self.os_interface);
        push("--os-cacert", &self.os_cacert);
        push("--os-cert", &self.os_cert);
        push("--os-key", &self.os_key);
        push("--timeout", &self.timeout.map(|t| t.to_string()));
        push("--os-token-store", &self.token_store);
        if self.insecure {
            flags.push(("--insecure".into(), "true".into()));
        }
        flags.extend(extra);
        flags
    }
}

/// `--token-store-wait`: seconds, 0 to 3600.
fn parse_wait(s: &str) -> Result<std::time::Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=3600.0).contains(&v) => {
            Ok(std::time::Duration::from_secs_f64(v))
        }
        _ => Err(format!("{s:?} is not a number of seconds from 0 to 3600")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{ListFormat, RecordFormat};
    use clap::CommandFactory;
    use keystoneauth::loading::args::extract_os_args;

    fn parse(argv: &[&str]) -> (Cli, Vec<(String, String)>) {
        let args: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let (extra, rest) = extract_os_args(&args, KNOWN_FLAGS).unwrap();
        let cli = Cli::try_parse_from(rest).unwrap();
        let flags = cli.load_flags(extra);
        (cli, flags)
    }

    #[test]
    fn command_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn os_flags_anywhere() {
        let (cli, flags) = parse(&[
            "ksa",
            "--os-username",
            "u",
            "token",
            "issue",
            "-f",
            "json",
            "--os-cloud",
            "c",
            "--os-password=p",
            "--insecure",
            "--os-user-domain-id",
            "default",
        ]);
        assert!(matches!(
            &cli.cmd,
            Cmd::Token {
                cmd: TokenCmd::Issue { out, .. }
            } if out.format == RecordFormat::Json
        ));
        assert_eq!(cli.os_cloud.as_deref(), Some("c"));
        assert!(cli.insecure);
        let f: Vec<(&str, &str)> = flags
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            f,
            vec![
                ("--os-cloud", "c"),
                ("--insecure", "true"),
                ("--os-username", "u"),
                ("--os-password", "p"),
                ("--os-user-domain-id", "default"),
            ]
        );
    }

    #[test]
    fn request_args() {
        let (cli, _) = parse(&[
            "ksa",
            "request",
            "POST",
            "compute",
            "/servers",
            "--data",
            "@body.json",
            "-H",
            "X-A: b",
            "--microversion",
            "2.60",
            "--os-auth-type=v3token",
        ]);
        match cli.cmd {
            Cmd::Request(RequestArgs {
                method,
                service_type,
                path,
                data,
                microversion,
                headers,
                output,
            }) => {
                assert_eq!(output, None);
                assert_eq!(method, "POST");
                assert_eq!(service_type, "compute");
                assert_eq!(path, "/servers");
                assert_eq!(data.as_deref(), Some("@body.json"));
                assert_eq!(microversion.as_deref(), Some("2.60"));
                assert_eq!(headers, vec!["X-A: b"]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(cli.os_auth_type.as_deref(), Some("v3token"));
    }

    #[test]
    fn output_options() {
        let (cli, _) = parse(&[
            "ksa",
            "token",
            "issue",
            "-f",
            "shell",
            "-c",
            "id",
            "--column",
            "expires",
            "--prefix",
            "os_",
            "--variable",
            "id",
            "--noindent",
            "--max-width",
            "-1",
            "--fit-width",
        ]);
        let Cmd::Token {
            cmd: TokenCmd::Issue { out, .. },
        } = &cli.cmd
        else {
            panic!("{cli:?}")
        };
        assert_eq!(out.format, RecordFormat::Shell);
        assert_eq!(out.common.columns, ["id", "expires"]);
        assert_eq!(out.prefix, "os_");
        assert_eq!(out.variables, ["id"]);
        assert!(out.common.noindent && out.common.fit_width);
        assert_eq!(out.common.max_width, Some(-1));
        let (cli, _) = parse(&["ksa", "versions", "show", "-f", "csv", "--quote", "minimal"]);
        let Cmd::Versions {
            cmd: VersionsCmd::Show { out, .. },
        } = &cli.cmd
        else {
            panic!("{cli:?}")
        };
        assert_eq!(out.format, ListFormat::Csv);
        assert_eq!(format!("{:?}", out.quote), "Minimal");
        let (cli, _) = parse(&["ksa", "discover", "http://x", "-f", "yaml", "--print-empty"]);
        assert!(
            matches!(&cli.cmd, Cmd::Discover(d) if d.out.format == ListFormat::Yaml && d.out.common.print_empty)
        );
    }

    #[test]
    fn token_store_flags() {
        let (cli, flags) = parse(&[
            "ksa",
            "--token-store",
            "redis://127.0.0.1/0",
            "--token-store-wait",
            "2.5",
            "token",
            "issue",
            "--revoke-cached",
        ]);
        assert_eq!(
            cli.token_store_wait,
            Some(std::time::Duration::from_millis(2500))
        );
        assert!(flags.contains(&("--os-token-store".into(), "redis://127.0.0.1/0".into())));
        assert!(matches!(
            cli.cmd,
            Cmd::Token {
                cmd: TokenCmd::Issue {
                    revoke_cached: true,
                    ..
                }
            }
        ));
        for bad in ["1e20", "-1", "NaN", "inf", "x"] {
            let e = Cli::try_parse_from(["ksa", "--token-store-wait", bad, "token", "forget"])
                .unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn formats_and_usage_errors() {
        let (cli, _) = parse(&["ksa", "plugins", "show", "v3password", "-f", "value"]);
        assert!(matches!(
            &cli.cmd,
            Cmd::Plugins {
                cmd: Some(PluginsCmd::Show { out, .. }),
                ..
            } if out.format == ListFormat::Value
        ));
        // csv is for lists, shell for records (as in openstackclient).
        let e = Cli::try_parse_from(["ksa", "token", "issue", "-f", "csv"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = Cli::try_parse_from(["ksa", "catalog", "list", "-f", "shell"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = Cli::try_parse_from(["ksa", "token", "issue", "-f", "xml"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = Cli::try_parse_from(["ksa", "catalog", "list", "--quote", "some"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = Cli::try_parse_from(["ksa", "token", "issue", "--quote", "all"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = Cli::try_parse_from(["ksa", "frobnicate"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let (cli, _) = parse(&["ksa", "--os-auth-plugin", "none", "catalog", "list"]);
        assert_eq!(cli.os_auth_type.as_deref(), Some("none"));
    }
}

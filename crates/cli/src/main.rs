//! `ksa`: get tokens, look at the catalog, find endpoints and call OpenStack services with
//! keystoneauth-rs, configured the way the `openstack` command is (`OS_*` variables,
//! `--os-*` flags, clouds.yaml).
//!
//! This file parses the arguments and dispatches; each command family is a module of
//! [`commands`], and their output goes through [`output`].
//!
//! Nothing here prints with `println!`/`eprintln!`: they panic when the stream cannot be
//! written (`2>/dev/full`). Stdout goes through [`output::print`] (a failure is an exit
//! status), stderr through [`error::say`] (a failure is ignored).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod commands;
mod context;
mod error;
mod logging;
mod output;
mod store;

use std::io::Write;

use clap::Parser;
use keystoneauth::loading::args::extract_os_args;

use crate::cli::{Cli, Cmd, KNOWN_FLAGS};
use crate::context::Ctx;
use crate::error::{one_line, Failure, Res};

fn main() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        error::say(&format!("ksa: internal error: {}", one_line(&msg)));
    }));
    let mut code = run();
    if let Err(e) = std::io::stdout().flush() {
        let failed = Failure::Output(e).report();
        if code == 0 {
            code = failed;
        }
    }
    std::process::exit(code);
}

fn run() -> i32 {
    let args: Vec<String> = match std::env::args_os()
        .map(|a| a.into_string())
        .collect::<Result<_, _>>()
    {
        Ok(a) => a,
        Err(_) => {
            error::say("ksa: arguments must be valid UTF-8");
            return 2;
        }
    };
    let (extra, rest) = match extract_os_args(&args, KNOWN_FLAGS) {
        Ok(x) => x,
        Err(e) => {
            error::say(&format!("ksa: {}", one_line(&e.to_string())));
            return 2;
        }
    };
    let cli = match Cli::try_parse_from(&rest) {
        Ok(c) => c,
        Err(e) => {
            // `--help` and `--version` print to stdout (exit 0): a failed write is a failure.
            // A usage error goes to stderr, whose failure is ignored as everywhere.
            return match e.print() {
                Err(w) if e.exit_code() == 0 => Failure::Output(w).report(),
                _ => e.exit_code(),
            };
        }
    };
    if cli.debug {
        logging::init_debug_logging();
    } else {
        logging::init_warning_logging();
    }
    match dispatch(cli, extra) {
        Ok(()) => 0,
        Err(f) => f.report(),
    }
}

/// Run the command: those that need no configuration at once, `config` with the configuration
/// alone, `discover` with a session of its own, the others with a [`Ctx`] (and the token
/// store around the plugin, with `--auth-cache` or `--token-store`).
fn dispatch(cli: Cli, extra: Vec<(String, String)>) -> Res<()> {
    match &cli.cmd {
        Cmd::Plugins { cmd, out } => return commands::plugins::run(cmd.as_ref(), out),
        Cmd::Completion { shell } => return commands::completion::run(*shell),
        _ => {}
    }
    let flags = cli.load_flags(extra);
    if let Cmd::Config { cmd } = &cli.cmd {
        return commands::config::run(cmd, flags);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Msg(format!("cannot start the runtime: {e}")))?;
    if let Cmd::Discover(args) = &cli.cmd {
        let session = commands::discover::session(flags)?;
        return rt.block_on(commands::discover::run(&session, args));
    }
    let (config, plugin) = Ctx::load_config(flags)?;
    rt.block_on(async {
        let (plugin, stored) =
            store::wrap(plugin, &config, cli.auth_cache, cli.token_store_wait).await?;
        let ctx = Ctx::new(config, plugin, stored)?;
        command(&ctx, &cli.cmd).await
    })
}

/// The commands that authenticate.
async fn command(ctx: &Ctx, cmd: &Cmd) -> Res<()> {
    match cmd {
        Cmd::Token { cmd } => commands::token::run(ctx, cmd).await,
        Cmd::Catalog { cmd } => commands::catalog::run(ctx, cmd).await,
        Cmd::Endpoint(args) => commands::endpoint::run(ctx, args).await,
        Cmd::Request(args) => commands::request::run(ctx, args).await,
        Cmd::Versions { cmd } => commands::versions::run(ctx, cmd).await,
        // Run by `dispatch` before a configuration is loaded.
        Cmd::Plugins { .. } | Cmd::Completion { .. } | Cmd::Discover(_) | Cmd::Config { .. } => {
            Ok(())
        }
    }
}

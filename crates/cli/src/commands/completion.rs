//! `ksa completion SHELL`: a shell completion script.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Res;
use crate::output::print;

/// Print the completion script for `shell`.
pub fn run(shell: Shell) -> Res<()> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "ksa", &mut buf);
    print(&String::from_utf8_lossy(&buf))
}

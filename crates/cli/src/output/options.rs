//! The output options, as cliff's formatters add them to a command: `-f`, `-c`, and each
//! format's own (`--noindent`, `--max-width`, `--fit-width`, `--print-empty`, `--quote`,
//! `--prefix`, `--variable`).

use std::io::IsTerminal;

use clap::{Args, ValueEnum};

use super::csv::Quote;

/// Formats of a command that prints one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum RecordFormat {
    /// JSON, an object.
    Json,
    /// `name="value"` lines for a shell's `eval`.
    Shell,
    /// A table of fields and values.
    #[default]
    Table,
    /// Values only, one per line.
    Value,
    /// YAML, a mapping.
    Yaml,
}

/// Formats of a command that prints a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    /// Comma-separated values, a header row first.
    Csv,
    /// JSON, a list of objects.
    Json,
    /// A table.
    #[default]
    Table,
    /// Values only, space-separated, one row per line.
    Value,
    /// YAML, a list of mappings.
    Yaml,
}

impl RecordFormat {
    /// JSON or YAML: values may be lists and objects, not text made of them.
    pub fn structured(self) -> bool {
        matches!(self, RecordFormat::Json | RecordFormat::Yaml)
    }
}

impl ListFormat {
    /// JSON or YAML: values may be lists and objects, not text made of them.
    pub fn structured(self) -> bool {
        matches!(self, ListFormat::Json | ListFormat::Yaml)
    }
}

/// Options every format-taking command has (cliff's `-c`, json's and table's).
#[derive(Debug, Clone, Default, Args)]
pub struct Common {
    /// Only this column (repeatable). Columns keep the command's order; names it does not
    /// have are ignored, unless none is known
    #[arg(short = 'c', long = "column", value_name = "COLUMN")]
    pub columns: Vec<String>,
    /// json: do not indent
    #[arg(long)]
    pub noindent: bool,
    /// table: maximum display width, <1 to disable [env: CLIFF_MAX_TERM_WIDTH]
    #[arg(long, value_name = "INTEGER", allow_negative_numbers = true)]
    pub max_width: Option<i64>,
    /// table: fit the table to the terminal's width (implied by --max-width greater than 0;
    /// always on a terminal) [env: CLIFF_FIT_WIDTH=1]
    #[arg(long)]
    pub fit_width: bool,
    /// table: print an empty table when there is no data
    #[arg(long)]
    pub print_empty: bool,
}

/// Output options of a command that prints one record (`openstack … show`).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Output formatters")]
pub struct RecordOutput {
    /// Output format
    #[arg(short = 'f', long = "format", value_enum, default_value_t)]
    pub format: RecordFormat,
    #[command(flatten)]
    pub common: Common,
    /// shell: a prefix for every variable name
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub prefix: String,
    /// shell: only this variable (repeatable)
    #[arg(long = "variable", value_name = "VARIABLE")]
    pub variables: Vec<String>,
}

/// Output options of a command that prints a list (`openstack … list`).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Output formatters")]
pub struct ListOutput {
    /// Output format
    #[arg(short = 'f', long = "format", value_enum, default_value_t)]
    pub format: ListFormat,
    #[command(flatten)]
    pub common: Common,
    /// csv: when to quote fields
    #[arg(long, value_enum, default_value_t)]
    pub quote: Quote,
}

fn env_int(name: &str) -> Option<i64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// The terminal's width, when stdout is a terminal.
fn terminal_width() -> Option<usize> {
    #[cfg(unix)]
    {
        let size = rustix::termios::tcgetwinsize(std::io::stdout()).ok()?;
        Some(usize::from(size.ws_col)).filter(|&w| w > 0)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

impl Common {
    /// The width a table must fit, as cliff decides it: `--max-width` (else
    /// `CLIFF_MAX_TERM_WIDTH`) when greater than 0; else the terminal's width with
    /// `--fit-width` (or `CLIFF_FIT_WIDTH=1`) or when stdout is a terminal; else none.
    pub(super) fn table_width(&self) -> Option<usize> {
        let max = self
            .max_width
            .or_else(|| env_int("CLIFF_MAX_TERM_WIDTH"))
            .unwrap_or(0);
        if max > 0 {
            return usize::try_from(max).ok();
        }
        let fit = self.fit_width || env_int("CLIFF_FIT_WIDTH").is_some_and(|v| v != 0);
        if fit || std::io::stdout().is_terminal() {
            terminal_width()
        } else {
            None
        }
    }
}

//! Parsing YAML within limits, and errors that name the file, line and column.

use std::path::Path;

use keystoneauth_core::{Error, Result};
use serde_json::Value;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::ErrorKind as ScanErrorKind;
use serde_saphyr::{
    DuplicateKeyPolicy, MergeKeyPolicy, NonFiniteFloatPolicy, UserMessageFormatter,
};

/// Files (and texts) of this many bytes or more are refused before they are parsed: 10 MiB.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// How deep mappings and sequences may nest.
pub const MAX_DEPTH: usize = 64;
/// How many nodes (mappings, sequences and scalars) a document may have.
pub const MAX_NODES: usize = 100_000;
/// How many aliases (`*name`), and how many anchors (`&name`), a document may have.
const MAX_ALIASES: usize = 1_000;
/// Events replayed by aliases, and events recorded for anchors, in all.
const MAX_ALIAS_EVENTS: usize = 20_000;
/// Merge keys (`<<`) in a document.
const MAX_MERGE_KEYS: usize = 1_000;

fn too_big(path: &Path, len: u64) -> Result<()> {
    if len >= MAX_FILE_BYTES {
        return Err(Error::Config(format!(
            "{} is {len} bytes; the limit is 10 MiB",
            path.display()
        )));
    }
    Ok(())
}

/// Read and parse one YAML (or JSON) file. A syntax error names the file, line and column; a
/// file of [`MAX_FILE_BYTES`] or more is refused unread.
pub fn read_yaml(path: &Path) -> Result<Value> {
    use std::io::Read;

    let cannot_read =
        |e: std::io::Error| Error::Config(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    too_big(path, file.metadata().map_err(cannot_read)?.len())?;
    // The file may grow after the size check: read at most one byte past the limit, which
    // `parse_yaml` then refuses.
    let mut text = String::new();
    file.take(MAX_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(cannot_read)?;
    parse_yaml(path, &text)
}

/// Parse YAML text read from `path`, within the limits of the module documentation.
///
/// ```
/// use std::path::Path;
/// use keystoneauth_loading::clouds::parse_yaml;
///
/// let doc = parse_yaml(Path::new("clouds.yaml"), "clouds: {c: {verify: False}}").unwrap();
/// assert_eq!(doc["clouds"]["c"]["verify"], serde_json::Value::Bool(false));
/// let deep = "[".repeat(200_000);
/// let e = parse_yaml(Path::new("clouds.yaml"), &deep).unwrap_err().to_string();
/// assert!(e.contains("nested deeper than 64 levels"), "{e}");
/// ```
pub fn parse_yaml(path: &Path, text: &str) -> Result<Value> {
    too_big(path, u64::try_from(text.len()).unwrap_or(u64::MAX))?;
    serde_saphyr::from_str_with_options::<Value>(text, yaml_options())
        .map_err(|e| yaml_error(path, &e))
}

fn yaml_options() -> serde_saphyr::Options {
    // Usize on every supported target (the limit is 10 MiB).
    let max_text = usize::try_from(MAX_FILE_BYTES).unwrap_or(usize::MAX);
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(max_text),
            max_depth: MAX_DEPTH,
            // Flow collections (`[[[…`) are refused by the scanner at the same depth.
            flow_nesting_limit: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_events: 4 * MAX_NODES,
            max_documents: 1,
            max_aliases: MAX_ALIASES,
            max_anchors: MAX_ALIASES,
            max_recorded_anchor_events: MAX_ALIAS_EVENTS,
            max_recorded_anchor_bytes: max_text,
            max_merge_keys: MAX_MERGE_KEYS,
            // One anchor used by every cloud is normal; expansion is bounded above.
            enforce_alias_anchor_ratio: false,
            // All scalar text, aliases expanded: no more than the largest file.
            max_total_scalar_bytes: max_text,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_EVENTS,
            max_replay_stack_depth: MAX_DEPTH,
        },
        duplicate_keys: DuplicateKeyPolicy::Error,
        merge_keys: MergeKeyPolicy::Merge,
        // YAML 1.2 scalars, as serde_yaml read them: `yes`/`no`/`on`/`off` stay text, and so do
        // `0123` and `1_000` (ids keep their spelling); `.inf`/`.nan` stay text.
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        non_finite_float_policy: NonFiniteFloatPolicy::AsString,
        // Messages must not quote the file: secure.yaml holds passwords.
        with_snippet: false,
    }
}

/// `Error::Config` for a YAML error: `path:line:column: invalid YAML: …`.
fn yaml_error(path: &Path, e: &serde_saphyr::Error) -> Error {
    let what = match explain(e) {
        Some(why) => format!("{why}; {}", e.render_with_formatter(&UserMessageFormatter)),
        None => e.render_with_formatter(&UserMessageFormatter),
    };
    match e.location() {
        Some(loc) => Error::Config(format!(
            "{}:{}:{}: invalid YAML: {what}",
            path.display(),
            loc.line(),
            loc.column()
        )),
        None => Error::Config(format!("{}: invalid YAML: {what}", path.display())),
    }
}

/// What `e` means here, when the parser's message alone would not say: which of our limits
/// it is, or that a key is not a string.
fn explain(e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::{Error as E, ExternalMessageSource};

    // The error itself, under its snippet and alias wrappers (bounded: each wraps one).
    let mut e = e;
    while let E::WithSnippet { error, .. } | E::AliasError { error, .. } = e {
        e = error;
    }
    let alias_bomb = || {
        Some(format!(
            "anchors and aliases expand beyond the limits ({MAX_ALIASES} aliases, \
             {MAX_ALIAS_EVENTS} replayed events, 10 MiB of text)"
        ))
    };
    match e {
        E::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => Some(format!("nested deeper than {MAX_DEPTH} levels")),
            BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => {
                Some(format!("more than {MAX_NODES} nodes"))
            }
            BudgetBreach::Documents { .. } => Some("more than one YAML document".to_owned()),
            BudgetBreach::MergeKeys { .. } => {
                Some(format!("more than {MAX_MERGE_KEYS} merge keys (<<)"))
            }
            BudgetBreach::Aliases { .. }
            | BudgetBreach::Anchors { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. }
            | BudgetBreach::ScalarBytes { .. } => alias_bomb(),
            _ => Some("a parser limit was exceeded".to_owned()),
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => alias_bomb(),
        E::ExternalMessage { source, .. } => match &**source {
            ExternalMessageSource::Parser(scan)
                if matches!(scan.kind(), ScanErrorKind::RecursionLimitExceeded) =>
            {
                Some(format!("nested deeper than {MAX_DEPTH} levels"))
            }
            _ => None,
        },
        // A `serde_json::Value` asks for strings only as mapping keys.
        E::Unexpected {
            expected: "string scalar",
            ..
        }
        | E::NullIntoString { .. } => Some("mapping keys must be strings".to_owned()),
        _ => None,
    }
}

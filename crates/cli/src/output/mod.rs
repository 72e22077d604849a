//! Output, as openstackclient's (cliff's) formatters write it: `table`, `json`, `value`,
//! `yaml`, `shell` for records (`openstack … show`), `csv` for lists; `-c/--column` to pick
//! columns, and each format's options (`--noindent`, `--max-width`, `--fit-width`,
//! `--print-empty`, `--quote`, `--prefix`, `--variable`).
//!
//! A command builds its data as JSON values, then calls [`RecordOutput::render`] for one
//! record (ordered fields) or [`ListOutput::render`] for rows under headers, and [`print()`]s
//! the text.

mod csv;
mod json;
mod node;
mod options;
mod table;
mod wrap;
mod yaml;

use std::io::Write as _;

use serde_json::Value;

use crate::error::{Failure, Res};
use node::Node;
pub use options::{ListFormat, ListOutput, RecordFormat, RecordOutput};
use table::Table;

/// Write `s` to stdout. A write that fails (a closed pipe, a full disk) is
/// [`Failure::Output`]: a non-zero exit status.
pub fn print(s: &str) -> Res<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|_| out.flush())
        .map_err(Failure::Output)
}

/// A version that may be absent (a microversion range's ends): its text, or null.
pub fn optional_version(v: &Option<keystoneauth::version::Version>) -> Value {
    match v {
        Some(v) => Value::String(v.to_string()),
        None => Value::Null,
    }
}

/// Text of a value as cliff prints it (Python's `str`): `None`, `True`/`False`, numbers and
/// strings as they are, lists and objects as compact JSON.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// `['a', 'b']`, as Python shows a list of names.
fn py_list<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{}'", n.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

/// The indices of the columns to print, as cliff picks them: every column without `-c`;
/// else those named, in the command's order, names it does not have ignored; an error
/// naming the known columns when none is known.
fn select(names: &[&str], wanted: &[String]) -> Res<Vec<usize>> {
    if wanted.is_empty() {
        return Ok((0..names.len()).collect());
    }
    let keep: Vec<usize> = (0..names.len())
        .filter(|&i| wanted.iter().any(|w| w == names[i]))
        .collect();
    if keep.is_empty() {
        return Err(Failure::Usage(format!(
            "No recognized column names in {}. Recognized columns are {}.",
            py_list(wanted),
            py_list(names)
        )));
    }
    Ok(keep)
}

/// A shell variable's name for a field, as cliff makes it: lower case, `_` for spaces.
fn shell_name(field: &str) -> String {
    field.to_lowercase().replace(' ', "_")
}

/// A double-quoted shell word that `eval` turns back into exactly `v`.
fn shell_quote(v: &str) -> String {
    let mut s = String::from("\"");
    for c in v.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

impl RecordOutput {
    /// One record (fields in order), as `openstack … show` prints it.
    pub fn render(&self, fields: &[(&str, Value)]) -> Res<String> {
        let names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
        let picked: Vec<&(&str, Value)> = select(&names, &self.common.columns)?
            .into_iter()
            .map(|i| &fields[i])
            .collect();
        Ok(match self.format {
            RecordFormat::Json | RecordFormat::Yaml => {
                let doc = Node::Map(picked.iter().map(|(k, v)| (*k, v.into())).collect());
                if self.format == RecordFormat::Json {
                    json::write(&doc, self.common.noindent)
                } else {
                    yaml::write(&doc)
                }
            }
            RecordFormat::Table => Table {
                headers: &["Field", "Value"],
                rows: picked
                    .iter()
                    .map(|(k, v)| vec![table::clean(k), table::clean(&text(v))])
                    .collect(),
                right: vec![false, false],
            }
            .render(self.common.table_width(), table::RECORD_MIN_WIDTH),
            RecordFormat::Value => picked.iter().map(|(_, v)| text(v) + "\n").collect(),
            RecordFormat::Shell => picked
                .iter()
                .filter_map(|(k, v)| {
                    let name = shell_name(k);
                    if !self.variables.is_empty() && !self.variables.contains(&name) {
                        return None;
                    }
                    let name = name.replace([':', '-'], "_");
                    Some(format!("{}{name}={}\n", self.prefix, shell_quote(&text(v))))
                })
                .collect(),
        })
    }
}

impl ListOutput {
    /// Rows under `headers`, as `openstack … list` prints them.
    pub fn render(&self, headers: &[&str], rows: &[Vec<Value>]) -> Res<String> {
        let keep = select(headers, &self.common.columns)?;
        let headers: Vec<&str> = keep.iter().map(|&i| headers[i]).collect();
        let rows: Vec<Vec<&Value>> = rows
            .iter()
            .map(|r| keep.iter().filter_map(|&i| r.get(i)).collect())
            .collect();
        Ok(match self.format {
            ListFormat::Json | ListFormat::Yaml => {
                let doc = Node::Seq(
                    rows.iter()
                        .map(|r| {
                            Node::Map(
                                headers
                                    .iter()
                                    .zip(r)
                                    .map(|(h, v)| (*h, (*v).into()))
                                    .collect(),
                            )
                        })
                        .collect(),
                );
                if self.format == ListFormat::Json {
                    json::write(&doc, self.common.noindent)
                } else {
                    yaml::write(&doc)
                }
            }
            ListFormat::Table if rows.is_empty() && !self.common.print_empty => "\n".into(),
            ListFormat::Table => Table {
                headers: &headers,
                right: (0..headers.len())
                    .map(|i| {
                        rows.first()
                            .and_then(|r| r.get(i))
                            .is_some_and(|v| v.is_number())
                    })
                    .collect(),
                rows: rows
                    .iter()
                    .map(|r| r.iter().map(|v| table::clean(&text(v))).collect())
                    .collect(),
            }
            .render(self.common.table_width(), table::LIST_MIN_WIDTH),
            ListFormat::Value => rows
                .iter()
                .map(|r| r.iter().map(|v| text(v)).collect::<Vec<_>>().join(" ") + "\n")
                .collect(),
            ListFormat::Csv => {
                let field = |v: &Value| csv::Field {
                    text: match v {
                        Value::Null => String::new(),
                        v => text(v),
                    },
                    numeric: v.is_number() || v.is_boolean(),
                };
                let header: Vec<csv::Field> = headers
                    .iter()
                    .map(|h| field(&Value::String((*h).to_owned())))
                    .collect();
                let body = rows.iter().map(|r| r.iter().map(|v| field(v)).collect());
                csv::write(
                    &std::iter::once(header).chain(body).collect::<Vec<_>>(),
                    self.quote,
                )
            }
        })
    }
}

#[cfg(test)]
mod tests;

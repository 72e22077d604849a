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

use std::borrow::Cow;
use std::io::Write;

use serde_json::Value;

use keystoneauth::redact::escape_controls;

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
fn text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Null => Cow::Borrowed("None"),
        Value::String(s) => Cow::Borrowed(s),
        Value::Bool(true) => Cow::Borrowed("True"),
        Value::Bool(false) => Cow::Borrowed("False"),
        Value::Number(n) => Cow::Owned(n.to_string()),
        other => Cow::Owned(other.to_string()),
    }
}

/// Text from a server made safe for a terminal: every control character but the line
/// break (ESC, CR, BEL, backspace, DEL, the C1 controls such as CSI) is written as an escape
/// (`\u{1b}`, `\r`), so that a catalog name, URL or message cannot drive the terminal
/// (colours, cursor moves, the window title, a line overwritten by CR). Line breaks stay:
/// cells of several lines are cliff's, and ksa builds some (a service's endpoints).
pub fn shown(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && c.is_control()) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(escape_controls).collect();
    Cow::Owned(lines.join("\n"))
}

/// [`text`], [`shown`]: a value as the text formats print it.
fn display(v: &Value) -> Cow<'_, str> {
    match text(v) {
        Cow::Borrowed(s) => shown(s),
        Cow::Owned(s) => Cow::Owned(shown(&s).into_owned()),
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
                    .map(|(k, v)| {
                        vec![table::clean(k), shown(&table::clean(&text(v))).into_owned()]
                    })
                    .collect(),
                right: vec![false, false],
            }
            .render(self.common.table_width(), table::RECORD_MIN_WIDTH),
            RecordFormat::Value => picked.iter().map(|(_, v)| display(v) + "\n").collect(),
            RecordFormat::Shell => picked
                .iter()
                .filter_map(|(k, v)| {
                    let name = shell_name(k);
                    if !self.variables.is_empty() && !self.variables.contains(&name) {
                        return None;
                    }
                    let name = name.replace([':', '-'], "_");
                    Some(format!(
                        "{}{name}={}\n",
                        self.prefix,
                        shell_quote(&display(v))
                    ))
                })
                .collect(),
        })
    }
}

/// The rows of a list, made one at a time when asked for: a list of a large catalog is
/// written row by row, never held whole (as values or as text). A table visits them twice
/// (three times with a width limit).
pub trait Rows {
    /// How many rows.
    fn count(&self) -> usize;
    /// Row `i` (`i < count()`): one value per header.
    fn row(&self, i: usize) -> Cow<'_, [Value]>;
}

impl Rows for &[Vec<Value>] {
    fn count(&self) -> usize {
        self.len()
    }
    fn row(&self, i: usize) -> Cow<'_, [Value]> {
        Cow::Borrowed(self.get(i).map(Vec::as_slice).unwrap_or_default())
    }
}

impl Rows for Vec<Vec<Value>> {
    fn count(&self) -> usize {
        self.len()
    }
    fn row(&self, i: usize) -> Cow<'_, [Value]> {
        Cow::Borrowed(self.get(i).map(Vec::as_slice).unwrap_or_default())
    }
}

/// `count` rows made by `make(i)` when asked for.
pub struct RowsFn<F>(pub usize, pub F);

impl<F: Fn(usize) -> Vec<Value>> Rows for RowsFn<F> {
    fn count(&self) -> usize {
        self.0
    }
    fn row(&self, i: usize) -> Cow<'_, [Value]> {
        Cow::Owned((self.1)(i))
    }
}

/// The cells of a list's table: the kept columns' text, row by row.
struct ListCells<'r> {
    rows: &'r dyn Rows,
    keep: &'r [usize],
}

impl table::Cells for ListCells<'_> {
    fn each(&self, f: &mut dyn FnMut(&[&str]) -> std::io::Result<()>) -> std::io::Result<()> {
        for i in 0..self.rows.count() {
            let row = self.rows.row(i);
            let texts: Vec<Cow<'_, str>> = self
                .keep
                .iter()
                .filter_map(|&k| row.get(k))
                .map(table_cell)
                .collect();
            let cells: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
            f(&cells)?;
        }
        Ok(())
    }
}

/// A value's text in a table cell: cliff's clean-up of CR, then [`shown`].
fn table_cell(v: &Value) -> Cow<'_, str> {
    match text(v) {
        Cow::Borrowed(s) => match table::clean_cow(s) {
            Cow::Borrowed(s) => shown(s),
            Cow::Owned(s) => Cow::Owned(shown(&s).into_owned()),
        },
        Cow::Owned(s) => Cow::Owned(shown(&table::clean_cow(&s)).into_owned()),
    }
}

impl ListOutput {
    /// Rows under `headers`, as `openstack … list` prints them.
    pub fn render(&self, headers: &[&str], rows: &[Vec<Value>]) -> Res<String> {
        let mut out = Vec::new();
        self.write(&mut out, headers, &rows)?;
        String::from_utf8(out).map_err(|e| Failure::Msg(format!("the output is not text: {e}")))
    }

    /// [`render`](Self::render) straight to stdout, row by row, through a buffer: the output
    /// of a long list is never all in memory. A write that fails is [`Failure::Output`].
    pub fn print(&self, headers: &[&str], rows: &dyn Rows) -> Res<()> {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
        self.write(&mut out, headers, rows)?;
        out.flush().map_err(Failure::Output)
    }

    /// Write the rows under `headers` into `out`.
    fn write(&self, out: &mut dyn Write, headers: &[&str], rows: &dyn Rows) -> Res<()> {
        let keep = select(headers, &self.common.columns)?;
        let headers: Vec<&str> = keep.iter().map(|&i| headers[i]).collect();
        let count = rows.count();
        let kept = |row: &[Value]| -> Vec<Value> {
            keep.iter().filter_map(|&i| row.get(i)).cloned().collect()
        };
        let put =
            |out: &mut dyn Write, s: &str| out.write_all(s.as_bytes()).map_err(Failure::Output);
        match self.format {
            ListFormat::Json => {
                put(out, "[")?;
                for i in 0..count {
                    let row = rows.row(i);
                    let values: Vec<&Value> = keep.iter().filter_map(|&k| row.get(k)).collect();
                    let item = Node::Map(
                        headers
                            .iter()
                            .zip(values)
                            .map(|(h, v)| (*h, v.into()))
                            .collect(),
                    );
                    let mut text = String::new();
                    json::list_item(&mut text, &item, self.common.noindent, i == 0);
                    put(out, &text)?;
                }
                let mut end = String::new();
                json::list_end(&mut end, self.common.noindent, count == 0);
                put(out, &end)
            }
            ListFormat::Yaml => {
                if count == 0 {
                    return put(out, "[]\n");
                }
                for i in 0..count {
                    let row = rows.row(i);
                    let values: Vec<&Value> = keep.iter().filter_map(|&k| row.get(k)).collect();
                    let item = Node::Map(
                        headers
                            .iter()
                            .zip(values)
                            .map(|(h, v)| (*h, v.into()))
                            .collect(),
                    );
                    put(out, &yaml::write(&Node::Seq(vec![item])))?;
                }
                Ok(())
            }
            ListFormat::Table if count == 0 && !self.common.print_empty => put(out, "\n"),
            ListFormat::Table => {
                let right: Vec<bool> = if count == 0 {
                    vec![false; headers.len()]
                } else {
                    let first = kept(&rows.row(0));
                    (0..headers.len())
                        .map(|i| first.get(i).is_some_and(Value::is_number))
                        .collect()
                };
                let cells = ListCells { rows, keep: &keep };
                table::draw(
                    out,
                    &headers,
                    &right,
                    &cells,
                    self.common.table_width(),
                    table::LIST_MIN_WIDTH,
                )
                .map_err(Failure::Output)
            }
            ListFormat::Value => {
                for i in 0..count {
                    let row = rows.row(i);
                    let mut line = keep
                        .iter()
                        .filter_map(|&k| row.get(k))
                        .map(display)
                        .collect::<Vec<_>>()
                        .join(" ");
                    line.push('\n');
                    put(out, &line)?;
                }
                Ok(())
            }
            ListFormat::Csv => {
                let field = |v: &Value| csv::Field {
                    text: match v {
                        Value::Null => String::new(),
                        v => display(v).into_owned(),
                    },
                    numeric: v.is_number() || v.is_boolean(),
                };
                let header: Vec<csv::Field> = headers
                    .iter()
                    .map(|h| field(&Value::String((*h).to_owned())))
                    .collect();
                let mut line = String::new();
                csv::write_row(&mut line, &header, self.quote);
                put(out, &line)?;
                for i in 0..count {
                    let row = rows.row(i);
                    let fields: Vec<csv::Field> =
                        keep.iter().filter_map(|&k| row.get(k)).map(field).collect();
                    let mut line = String::new();
                    csv::write_row(&mut line, &fields, self.quote);
                    put(out, &line)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests;

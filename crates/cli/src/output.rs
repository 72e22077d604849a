//! Output formats: `table` (openstackclient's boxes), `json`, `value`, `shell`.

use std::fmt::Write as _;
use std::io::Write as _;

use clap::ValueEnum;
use serde_json::{Map, Value};

use crate::error::{Failure, Res};

/// How to print a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// A table with a box around it.
    #[default]
    Table,
    /// JSON.
    Json,
    /// Values only, one per line (records) or space-separated per row (lists).
    Value,
    /// `name="value"` lines for a shell's `eval` (records only).
    Shell,
}

/// Write `s` to stdout; a closed pipe (`ksa … | head`) is not an error.
pub fn print(s: &str) -> Res<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Msg(format!("cannot write the output: {e}"))),
    }
}

/// A version that may be absent (a microversion range's ends): its text, or null.
pub fn optional_version(v: &Option<keystoneauth::version::Version>) -> Value {
    match v {
        Some(v) => Value::String(v.to_string()),
        None => Value::Null,
    }
}

/// Text of a JSON value for table/value/shell output.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// A table with a header row; cells may span several lines.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let ncols = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(ncols) {
            for line in cell.lines() {
                widths[i] = widths[i].max(line.chars().count());
            }
        }
    }
    let sep = {
        let mut s = String::from("+");
        for w in &widths {
            s.push_str(&"-".repeat(w + 2));
            s.push('+');
        }
        s
    };
    let line = |cells: &[&str]| {
        let mut s = String::from("|");
        for (i, w) in widths.iter().enumerate() {
            let c = cells.get(i).copied().unwrap_or("");
            let _ = write!(s, " {c}{} |", " ".repeat(w - c.chars().count()));
        }
        s
    };
    let mut out = String::new();
    out.push_str(&sep);
    out.push('\n');
    out.push_str(&line(headers));
    out.push('\n');
    out.push_str(&sep);
    out.push('\n');
    for row in rows {
        let split: Vec<Vec<&str>> = row.iter().map(|c| c.lines().collect()).collect();
        let height = split.iter().map(Vec::len).max().unwrap_or(0).max(1);
        for i in 0..height {
            let cells: Vec<&str> = split
                .iter()
                .map(|l| l.get(i).copied().unwrap_or(""))
                .collect();
            out.push_str(&line(&cells));
            out.push('\n');
        }
    }
    out.push_str(&sep);
    out.push('\n');
    out
}

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

/// A single record (ordered fields), as `openstack … show` prints one.
pub fn record(fields: &[(&str, Value)], format: Format) -> String {
    match format {
        Format::Json => {
            let mut m = Map::new();
            for (k, v) in fields {
                m.insert((*k).to_owned(), v.clone());
            }
            let mut s = serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Table => table(
            &["Field", "Value"],
            &fields
                .iter()
                .map(|(k, v)| vec![(*k).to_owned(), text(v)])
                .collect::<Vec<_>>(),
        ),
        Format::Value => fields.iter().map(|(_, v)| text(v) + "\n").collect(),
        Format::Shell => fields
            .iter()
            .map(|(k, v)| format!("{k}={}\n", shell_quote(&text(v))))
            .collect(),
    }
}

/// A list of rows with columns; `json` gives a list of objects keyed by column.
pub fn list(headers: &[&str], rows: &[Vec<Value>], format: Format) -> Result<String, String> {
    match format {
        Format::Json => {
            let items: Vec<Value> = rows
                .iter()
                .map(|r| {
                    Value::Object(
                        headers
                            .iter()
                            .zip(r)
                            .map(|(h, v)| ((*h).to_owned(), v.clone()))
                            .collect(),
                    )
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&Value::Array(items)).unwrap_or_default();
            s.push('\n');
            Ok(s)
        }
        Format::Table => Ok(table(
            headers,
            &rows
                .iter()
                .map(|r| r.iter().map(text).collect())
                .collect::<Vec<_>>(),
        )),
        Format::Value => Ok(rows
            .iter()
            .map(|r| r.iter().map(text).collect::<Vec<_>>().join(" ") + "\n")
            .collect()),
        Format::Shell => Err("the shell format is for single records, not lists".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_formats() {
        let f = [
            ("expires", json!("2030-01-01T00:00:00+0000")),
            ("id", json!("t\"k")),
        ];
        assert_eq!(
            record(&f, Format::Table),
            "\
+---------+--------------------------+
| Field   | Value                    |
+---------+--------------------------+
| expires | 2030-01-01T00:00:00+0000 |
| id      | t\"k                      |
+---------+--------------------------+
"
        );
        assert_eq!(
            record(&f, Format::Value),
            "2030-01-01T00:00:00+0000\nt\"k\n"
        );
        assert_eq!(
            record(&f, Format::Shell),
            "expires=\"2030-01-01T00:00:00+0000\"\nid=\"t\\\"k\"\n"
        );
        let j: Value = serde_json::from_str(&record(&f, Format::Json)).unwrap();
        assert_eq!(j["id"], "t\"k");
    }

    #[test]
    fn multiline_cells() {
        let t = table(&["A", "B"], &[vec!["x".into(), "one\n  two".into()]]);
        assert_eq!(
            t,
            "+---+-------+\n| A | B     |\n+---+-------+\n| x | one   |\n|   |   two |\n+---+-------+\n"
        );
    }

    #[test]
    fn list_formats() {
        let rows = vec![vec![json!("keystone"), json!("identity")]];
        assert_eq!(
            list(&["Name", "Type"], &rows, Format::Value).unwrap(),
            "keystone identity\n"
        );
        let j: Value =
            serde_json::from_str(&list(&["Name", "Type"], &rows, Format::Json).unwrap()).unwrap();
        assert_eq!(j[0]["Type"], "identity");
        assert!(list(&["Name"], &rows, Format::Shell).is_err());
    }
}

//! The csv format, as cliff writes it with Python's `csv` module: a header row, `,` between
//! fields, `"` to quote (doubled inside a quoted field), `\` to escape, `\n` after each row.

use clap::ValueEnum;

/// When to quote a field (`--quote`, as Python's `csv.QUOTE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Quote {
    /// Every field.
    All,
    /// Only fields that hold a `,`, a `"` or a line break.
    Minimal,
    /// Never: those characters are escaped with `\` instead.
    None,
    /// Every field but numbers.
    #[default]
    Nonnumeric,
}

/// One field: its text (empty for an absent value), and whether it is a number (which
/// `nonnumeric` does not quote).
#[derive(Debug)]
pub struct Field {
    /// The text.
    pub text: String,
    /// A number (or a boolean, which Python counts as one).
    pub numeric: bool,
}

fn field(out: &mut String, f: &Field, quote: Quote) {
    let mut quoted = match quote {
        Quote::All => true,
        Quote::Nonnumeric => !f.numeric,
        Quote::Minimal | Quote::None => false,
    };
    let mut body = String::with_capacity(f.text.len());
    for c in f.text.chars() {
        if matches!(c, ',' | '"' | '\\' | '\n' | '\r') {
            let escape = match quote {
                Quote::None => true,
                _ if c == '"' => {
                    body.push('"');
                    false
                }
                _ => c == '\\',
            };
            if escape {
                body.push('\\');
            } else {
                quoted = true;
            }
        }
        body.push(c);
    }
    if quoted {
        out.push('"');
        out.push_str(&body);
        out.push('"');
    } else {
        out.push_str(&body);
    }
}

/// The rows, the header first.
#[cfg(test)]
pub fn write(rows: &[Vec<Field>], quote: Quote) -> String {
    let mut out = String::new();
    for row in rows {
        write_row(&mut out, row, quote);
    }
    out
}

/// One row and its `\n`.
pub fn write_row(out: &mut String, row: &[Field], quote: Quote) {
    // Python quotes a row of one empty field, or it would read back as no field.
    if let [only] = row {
        if only.text.is_empty() {
            out.push_str("\"\"\n");
            return;
        }
    }
    for (i, f) in row.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, f, quote);
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Field {
        Field {
            text: t.into(),
            numeric: false,
        }
    }

    fn n(t: &str) -> Field {
        Field {
            text: t.into(),
            numeric: true,
        }
    }

    fn rows() -> Vec<Vec<Field>> {
        vec![
            vec![s("a"), s("b"), s("c")],
            vec![s("x,y"), s("say \"hi\""), n("3")],
            vec![s("back\\slash"), s("two\nlines"), s("")],
        ]
    }

    // What Python's csv.writer(quoting=…, lineterminator="\n", escapechar="\\") writes.
    #[test]
    fn quoting_modes() {
        assert_eq!(
            write(&rows(), Quote::Nonnumeric),
            "\"a\",\"b\",\"c\"\n\"x,y\",\"say \"\"hi\"\"\",3\n\"back\\\\slash\",\"two\nlines\",\"\"\n"
        );
        assert_eq!(
            write(&rows(), Quote::All),
            "\"a\",\"b\",\"c\"\n\"x,y\",\"say \"\"hi\"\"\",\"3\"\n\"back\\\\slash\",\"two\nlines\",\"\"\n"
        );
        assert_eq!(
            write(&rows(), Quote::Minimal),
            "a,b,c\n\"x,y\",\"say \"\"hi\"\"\",3\nback\\\\slash,\"two\nlines\",\n"
        );
        assert_eq!(
            write(&rows(), Quote::None),
            "a,b,c\nx\\,y,say \\\"hi\\\",3\nback\\\\slash,two\\\nlines,\n"
        );
        assert_eq!(write(&[vec![s("")]], Quote::Minimal), "\"\"\n");
        assert_eq!(write(&[vec![s("高兴")]], Quote::None), "高兴\n");
    }
}

//! The yaml format, in the block style PyYAML's `safe_dump` writes (cliff's yaml formatter):
//! `key: value` lines, `- ` items, a sequence under a key at the key's indentation, and
//! scalars quoted whenever a YAML 1.1 or 1.2 reader could take them for something else.

use serde_json::Value;

use super::node::Node;

/// Words that YAML 1.1 (PyYAML) or 1.2 read as null or a boolean, or that mean something
/// to a YAML reader (`<<` merge key, `=` value key).
const RESERVED: &[&str] = &[
    "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", "<<", "=",
];

/// A character that must be written as an escape: not printable in YAML, a line break, a
/// tab, or the byte order mark.
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// A string that, written bare, could read as a number, a date or a time (`3.14`, `0x1f`,
/// `1_000`, `12:30`, `2030-01-01`, `.inf`): starts like a number and holds only characters
/// numbers, dates and times are made of. Hexadecimal ids are caught too, which is harmless.
fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let starts = body
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.');
    starts
        && body
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "xXoO_.:+-tTzZ ".contains(c))
        || body.to_ascii_lowercase().starts_with(".inf")
        || body.to_ascii_lowercase().starts_with(".nan")
}

/// Written bare, the string reads back as itself.
fn plain_ok(s: &str) -> bool {
    let (Some(first), Some(last)) = (s.chars().next(), s.chars().last()) else {
        return false;
    };
    !(first == ' '
        || last == ' '
        || last == ':'
        || "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || s.contains(": ")
        || s.contains(" #")
        || RESERVED.contains(&s.to_ascii_lowercase().as_str())
        || looks_numeric(s))
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) < 0x100 && needs_escape(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string as a YAML scalar: bare when that reads back the same, else in single quotes,
/// else (line breaks, control characters) in double quotes with escapes.
pub fn string(s: &str) -> String {
    if s.chars().any(needs_escape) {
        double_quoted(s)
    } else if plain_ok(s) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// A scalar, or an empty collection, on one line.
fn inline(n: &Node<'_>) -> String {
    match n {
        Node::Map(_) => "{}".into(),
        Node::Seq(_) => "[]".into(),
        Node::Scalar(Value::String(s)) => string(s),
        Node::Scalar(Value::Null) => "null".into(),
        Node::Scalar(v) => v.to_string(),
    }
}

/// A collection with something in it, each line indented by `indent` spaces.
fn block(out: &mut String, n: &Node<'_>, indent: usize) {
    let pad = " ".repeat(indent);
    match n {
        Node::Map(m) => {
            for (k, v) in m {
                out.push_str(&pad);
                out.push_str(&string(k));
                out.push(':');
                match v {
                    Node::Map(_) if !v.is_empty_collection() => {
                        out.push('\n');
                        block(out, v, indent + 2);
                    }
                    // PyYAML's style: a sequence under a key is not indented.
                    Node::Seq(_) if !v.is_empty_collection() => {
                        out.push('\n');
                        block(out, v, indent);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&inline(v));
                        out.push('\n');
                    }
                }
            }
        }
        Node::Seq(items) => {
            for item in items {
                if item.is_empty_collection() || matches!(item, Node::Scalar(_)) {
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&inline(item));
                    out.push('\n');
                } else {
                    // The item's lines two further in, with `- ` in place of its first line's
                    // indentation.
                    let mut inner = String::new();
                    block(&mut inner, item, indent + 2);
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&inner[indent + 2..]);
                }
            }
        }
        Node::Scalar(_) => {
            out.push_str(&pad);
            out.push_str(&inline(n));
            out.push('\n');
        }
    }
}

/// The document.
pub fn write(doc: &Node<'_>) -> String {
    let mut out = String::new();
    if matches!(doc, Node::Scalar(_)) || doc.is_empty_collection() {
        out.push_str(&inline(doc));
        out.push('\n');
    } else {
        block(&mut out, doc, 0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: &Value) -> String {
        let text = write(&Node::from(v));
        let back: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
        assert_eq!(&back, v, "\n{text}");
        text
    }

    #[test]
    fn records_and_lists_in_block_style() {
        let expires = json!("2030-01-01T00:00:00+0000");
        let id = json!("gAAAAABn-x_y");
        let doc = Node::Map(vec![
            ("expires", Node::Scalar(&expires)),
            ("id", Node::Scalar(&id)),
        ]);
        assert_eq!(
            write(&doc),
            "expires: '2030-01-01T00:00:00+0000'\nid: gAAAAABn-x_y\n"
        );

        let v = json!([
            {"Name": "keystone", "Type": "identity",
             "Endpoints": [{"interface": "public", "url": "http://127.0.0.1:5000/v3"}]},
            {"Name": "nova", "Type": "compute", "Endpoints": []},
        ]);
        let text = round_trip(&v);
        assert_eq!(
            text,
            "\
- Endpoints:
  - interface: public
    url: http://127.0.0.1:5000/v3
  Name: keystone
  Type: identity
- Endpoints: []
  Name: nova
  Type: compute
"
        );
    }

    #[test]
    fn nested_collections() {
        round_trip(&json!({"a": {"b": {"c": [1, [2, 3], [], {}, {"d": null}]}}, "e": [[["f"]]]}));
        round_trip(&json!([]));
        round_trip(&json!({}));
        round_trip(&json!([{}, [], [[]], null, true, 0, -1, 2.5]));
        assert_eq!(
            write(&Node::from(&json!([[1, 2], [3]]))),
            "- - 1\n  - 2\n- - 3\n"
        );
    }

    #[test]
    fn strings_that_must_be_quoted_read_back_as_strings() {
        let tricky = [
            "",
            " ",
            " lead",
            "trail ",
            "true",
            "False",
            "YES",
            "no",
            "on",
            "Off",
            "y",
            "N",
            "null",
            "Null",
            "~",
            "<<",
            "=",
            "0",
            "123",
            "-1",
            "+1",
            "0123",
            "1_000",
            "0x1f",
            "0o17",
            "0b101",
            "1e3",
            "1.5",
            ".5",
            "-.inf",
            ".NaN",
            ".inf",
            "12:30:45",
            "2001-12-14",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "3.14",
            "1.",
            "-",
            "--",
            "---",
            "...",
            "- a",
            "-a",
            "? x",
            "?x",
            ": x",
            ":x",
            "a: b",
            "a:",
            "a #b",
            "a#b",
            "#x",
            "[a]",
            "{a}",
            "a, b",
            "a,b",
            "&a",
            "*a",
            "!a",
            "|a",
            ">a",
            "'a",
            "\"a",
            "%a",
            "@a",
            "`a",
            "a'b",
            "a\"b",
            "a\\b",
            "a\nb",
            "a\n",
            "\n",
            "a\tb",
            "a\rb",
            "\u{1b}[0m",
            "\u{7f}",
            "\u{85}",
            "\u{a0}x",
            "a\u{2028}b",
            "\u{feff}x",
            "é",
            "高兴",
            "😀",
            "a  b",
            "http://127.0.0.1:5000/v3",
            "8a8b5c2e-0f1e-4a55-9b0e-3c1d2e3f4a5b",
            "c0ffee",
            "RegionOne",
            "v3",
            "2.1",
        ];
        for s in tricky {
            round_trip(&json!({ s: s }));
            round_trip(&json!([s]));
        }
        assert_eq!(string("keystone"), "keystone");
        assert_eq!(string("yes"), "'yes'");
        assert_eq!(string("it's"), "it's");
        assert_eq!(string("'q'"), "'''q'''");
        assert_eq!(string("a\nb"), "\"a\\nb\"");
        assert_eq!(string("a\u{2028}"), "\"a\\L\"");
        assert_eq!(string("\u{1}"), "\"\\x01\"");
    }
}

//! The json format as cliff writes it with Python's `json.dump`: keys in the columns' order,
//! indented by 2 (`", "`/`": "` between items and after keys with `--noindent`), and a
//! newline at the end.

use super::node::Node;

/// A JSON string as `serde_json` writes it, with DEL and the C1 controls (U+0080–U+009F,
/// CSI among them) escaped too (`\u009b`): JSON readers read the same string back, and a
/// terminal shows it without acting on it. `serde_json` escapes only U+0000–U+001F.
fn string(out: &mut String, s: &str) {
    let quoted = serde_json::Value::from(s).to_string();
    if !quoted.chars().any(char::is_control) {
        out.push_str(&quoted);
        return;
    }
    for c in quoted.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
}

fn newline(out: &mut String, indent: bool, level: usize) {
    if indent {
        out.push('\n');
        out.push_str(&"  ".repeat(level));
    }
}

fn node(out: &mut String, n: &Node<'_>, indent: bool, level: usize) {
    let sep = if indent { "," } else { ", " };
    match n {
        Node::Scalar(serde_json::Value::String(s)) => string(out, s),
        Node::Scalar(v) => out.push_str(&v.to_string()),
        Node::Map(m) if m.is_empty() => out.push_str("{}"),
        Node::Seq(s) if s.is_empty() => out.push_str("[]"),
        Node::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, indent, level + 1);
                string(out, k);
                out.push_str(": ");
                node(out, v, indent, level + 1);
            }
            newline(out, indent, level);
            out.push('}');
        }
        Node::Seq(s) => {
            out.push('[');
            for (i, v) in s.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, indent, level + 1);
                node(out, v, indent, level + 1);
            }
            newline(out, indent, level);
            out.push(']');
        }
    }
}

/// One item of a list written item by item (after `[`): as [`write()`] writes the items of a
/// sequence. `first`: no separator before it.
pub fn list_item(out: &mut String, item: &Node<'_>, noindent: bool, first: bool) {
    let indent = !noindent;
    if !first {
        out.push_str(if indent { "," } else { ", " });
    }
    newline(out, indent, 1);
    node(out, item, indent, 1);
}

/// The end of a list written item by item: `]` (on its own line after items, when indented)
/// and a newline.
pub fn list_end(out: &mut String, noindent: bool, empty: bool) {
    if !empty {
        newline(out, !noindent, 0);
    }
    out.push_str("]\n");
}

/// The document, indented unless `noindent`, with a newline at the end.
pub fn write(doc: &Node<'_>, noindent: bool) -> String {
    let mut out = String::new();
    node(&mut out, doc, !noindent, 0);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn as_python_writes_it() {
        let eps = json!([{"id": "e1", "url": "http://x"}]);
        let name = json!("keystone \"ks\"");
        let empty = json!([]);
        let doc = Node::Seq(vec![Node::Map(vec![
            ("Name", Node::Scalar(&name)),
            ("Type", Node::Scalar(&Value::Null)),
            ("Endpoints", (&eps).into()),
            ("None", (&empty).into()),
        ])]);
        assert_eq!(
            write(&doc, false),
            r#"[
  {
    "Name": "keystone \"ks\"",
    "Type": null,
    "Endpoints": [
      {
        "id": "e1",
        "url": "http://x"
      }
    ],
    "None": []
  }
]
"#
        );
        assert_eq!(
            write(&doc, true),
            r#"[{"Name": "keystone \"ks\"", "Type": null, "Endpoints": [{"id": "e1", "url": "http://x"}], "None": []}]
"#
        );
        let back: Value = serde_json::from_str(&write(&doc, true)).unwrap();
        assert_eq!(back[0]["Endpoints"], eps);
        assert_eq!(write(&Node::Map(vec![]), false), "{}\n");
    }
}

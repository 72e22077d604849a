//! XML helpers shared by the SAML2 ECP and ADFS flows: bounded parsing (no DTD, a node limit,
//! a nesting limit checked before roxmltree recurses) and escaping of text written into XML.

use roxmltree::{Document, Node, ParsingOptions};

const MAX_NODES: u32 = 100_000;
/// roxmltree recurses per nesting level: deeper documents are refused before parsing.
pub(crate) const MAX_DEPTH: usize = 128;

/// An upper bound of the element nesting depth (comments and CDATA may only make it larger).
pub(crate) fn nesting_depth(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(b'?') | Some(b'!') => {}
            _ => {
                // Find the end of the tag, skipping quoted attribute values.
                let mut j = i + 1;
                let mut quote = None;
                while j < b.len() {
                    match (quote, b[j]) {
                        (None, q @ (b'"' | b'\'')) => quote = Some(q),
                        (Some(q), c) if c == q => quote = None,
                        (None, b'>') => break,
                        _ => {}
                    }
                    j += 1;
                }
                if !(j < b.len() && j > 0 && b[j - 1] == b'/') {
                    depth += 1;
                    max = max.max(depth);
                }
                i = j;
            }
        }
        i += 1;
    }
    max
}

/// Parse untrusted XML; the error is the reason, for the caller's message.
pub(crate) fn parse_bounded(text: &str) -> std::result::Result<Document<'_>, String> {
    if nesting_depth(text) > MAX_DEPTH {
        return Err(format!("nested deeper than {MAX_DEPTH}"));
    }
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    Document::parse_with_options(text, opts).map_err(|e| e.to_string())
}

/// Whether `node` is the element `{ns}name`.
pub(crate) fn is(node: &Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

/// The first child element `{ns}name`.
#[cfg(feature = "saml2")]
pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| is(c, ns, name))
}

/// Escape text for XML content (`attr`: also quotes, for attribute values).
pub(crate) fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

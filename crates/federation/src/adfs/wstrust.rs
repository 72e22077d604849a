//! The WS-Trust text: values for the request (ids, timestamps, escaping) and the reading of
//! ADFS's answer (the SOAP fault, the one `RequestSecurityTokenResponse` with its namespaces,
//! the service provider's form body).

use std::fmt;

use keystoneauth_core::{Error, Result};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use roxmltree::Node;
use time::OffsetDateTime;

use super::{NS_SOAP12, NS_TRUST_13, NS_TRUST_2005};
use crate::xml::{escape, is, parse_bounded};

/// What Python's `urllib.parse.quote` leaves alone: letters, digits, `_.-~` and `/`.
const QUOTE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/');

/// A version 4 UUID as 32 hex digits (Python's `uuid.uuid4().hex`).
pub(super) fn uuid_hex() -> String {
    let mut v: u128 = rand::random();
    v = (v & !(0xf << 76)) | (0x4 << 76);
    v = (v & !(0x3 << 62)) | (0x2 << 62);
    format!("{v:032x}")
}

/// `%Y-%m-%dT%H:%M:%S.%fZ` in UTC.
pub(super) fn timestamp(t: OffsetDateTime) -> Result<String> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.format(&fmt)
        .map_err(|e| Error::Runtime(format!("ADFS: cannot format a timestamp: {e}")))
}

/// Characters XML 1.0 cannot carry at all (not even as character references).
pub(super) fn check_xml_chars(what: &str, value: &str) -> Result<()> {
    let bad = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    if value.chars().any(bad) {
        return Err(Error::OptionError(format!(
            "ADFS: the {what} contains a control character that XML cannot carry"
        )));
    }
    Ok(())
}

/// Text content with quotes escaped too, and carriage returns kept as references (a parser
/// would turn a literal one into a line feed).
pub(super) fn xml_text(s: &str) -> String {
    escape(s, true).replace('\r', "&#13;")
}

/// The SOAP 1.2 fault subcode of an HTTP 500 body, if it has exactly one.
pub(super) fn fault_subcode(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let doc = parse_bounded(text).ok()?;
    let root = doc.root_element();
    if !is(&root, NS_SOAP12, "Envelope") {
        return None;
    }
    let values: Vec<Node<'_, '_>> = children(root, NS_SOAP12, "Body")
        .flat_map(|b| children(b, NS_SOAP12, "Fault"))
        .flat_map(|f| children(f, NS_SOAP12, "Code"))
        .flat_map(|c| children(c, NS_SOAP12, "Subcode"))
        .flat_map(|s| children(s, NS_SOAP12, "Value"))
        .collect();
    let [value] = values.as_slice() else {
        return None;
    };
    let text: String = value
        .children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| is(c, ns, name))
}

/// The one `RequestSecurityTokenResponse` of ADFS's answer, serialised with the namespace
/// declarations it inherits, its WS-Trust 1.3 namespace rewritten to WS-Trust 2005/02 (a byte
/// replacement, as keystoneauth1's).
pub(super) fn security_token_response(body: &[u8]) -> Result<String> {
    Ok(token_response_element(body)?.replace(NS_TRUST_13, NS_TRUST_2005))
}

/// The one `RequestSecurityTokenResponse`, serialised with its inherited namespaces.
pub(super) fn token_response_element(body: &[u8]) -> Result<String> {
    let parse_error = |reason: &dyn fmt::Display| {
        Error::AuthorizationFailure(format!(
            "Error parsing XML returned from the ADFS Identity Provider, reason: {reason}"
        ))
    };
    let text = std::str::from_utf8(body).map_err(|e| parse_error(&e))?;
    let doc = parse_bounded(text).map_err(|e| parse_error(&e))?;
    let root = doc.root_element();
    let found: Vec<Node<'_, '_>> = if is(&root, NS_SOAP12, "Envelope") {
        children(root, NS_SOAP12, "Body")
            .flat_map(|b| children(b, NS_TRUST_13, "RequestSecurityTokenResponseCollection"))
            .flat_map(|c| children(c, NS_TRUST_13, "RequestSecurityTokenResponse"))
            .collect()
    } else {
        Vec::new()
    };
    let [rstr] = found.as_slice() else {
        return Err(Error::InvalidResponse(format!(
            "ADFS: the Identity Provider's answer has {} RequestSecurityTokenResponse \
             elements under s:Envelope/s:Body/t:RequestSecurityTokenResponseCollection \
             (want exactly 1)",
            found.len()
        )));
    };
    with_inherited_namespaces(text, *rstr)
}

/// The element's source text, with the namespace declarations of its ancestors it does not
/// declare itself added to its start tag (as lxml serialises a sub-element).
fn with_inherited_namespaces(text: &str, node: Node<'_, '_>) -> Result<String> {
    let range = node.range();
    let source = &text[range];
    let tag_end = start_tag_end(source)
        .ok_or_else(|| Error::InvalidResponse("ADFS: cannot find the end of a start tag".into()))?;
    let start_tag = &source[..tag_end];
    let declared = declared_prefixes(start_tag);
    let name_end = start_tag
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_whitespace() || *c == '>' || *c == '/')
        .map(|(i, _)| i)
        .unwrap_or(tag_end);
    let mut extra = String::new();
    for ns in node.namespaces() {
        let prefix = ns.name();
        if prefix == Some("xml") || declared.iter().any(|d| d.as_deref() == prefix) {
            continue;
        }
        match prefix {
            Some(p) => extra.push_str(&format!(" xmlns:{p}=\"{}\"", escape(ns.uri(), true))),
            None => extra.push_str(&format!(" xmlns=\"{}\"", escape(ns.uri(), true))),
        }
    }
    Ok(format!(
        "{}{extra}{}",
        &source[..name_end],
        &source[name_end..]
    ))
}

/// The byte index just past the `>` of the start tag at the beginning of `s`.
fn start_tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The prefixes a start tag declares (`None`: the default namespace).
pub(super) fn declared_prefixes(start_tag: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut quote = None;
    // The name being read, and the last complete one (`name = "v"` has spaces around `=`).
    let (mut word, mut last) = (String::new(), String::new());
    for c in start_tag.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => {
                quote = Some(c);
                word.clear();
                last.clear();
            }
            (None, '=') => {
                let name = if word.is_empty() { &last } else { &word };
                if name == "xmlns" {
                    out.push(None);
                } else if let Some(p) = name.strip_prefix("xmlns:") {
                    out.push(Some(p.to_owned()));
                }
                word.clear();
                last.clear();
            }
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    last = std::mem::take(&mut word);
                }
            }
            (None, c) => word.push(c),
        }
    }
    out
}

/// `wa=wsignin1.0&wresult=` and the percent-quoted token response.
pub(super) fn sp_form_body(rstr: &str) -> String {
    format!("wa=wsignin1.0&wresult={}", utf8_percent_encode(rstr, QUOTE))
}

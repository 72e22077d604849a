//! The JSON document the command prints, and its validation.

use std::collections::BTreeMap;
use std::time::SystemTime;

use keystoneauth_core::access::parse_timestamp;
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::Result;
use serde_json::{Map, Value};

use super::command::{describe_output, ExecCommand};
use super::DOCUMENT_VERSION;

/// A parsed document.
pub(super) enum Document {
    Token(Box<TokenDoc>),
    Options {
        auth_type: String,
        auth: Map<String, Value>,
    },
}

pub(super) struct TokenDoc {
    pub(super) token: SecretString,
    pub(super) expires_at: Option<SystemTime>,
    pub(super) expires_text: Option<String>,
    pub(super) auth_url: Option<String>,
    pub(super) catalog: Option<Value>,
    pub(super) ids: BTreeMap<&'static str, String>,
}

/// The ids a token document may carry.
const TOKEN_IDS: &[&str] = &[
    "user_id",
    "project_id",
    "project_name",
    "project_domain_id",
    "domain_id",
];

pub(super) fn parse_document(cmd: &ExecCommand, out: &[u8]) -> Result<Document> {
    let bad = |what: String| cmd.fail(format_args!("printed {what}"));
    if out.iter().all(u8::is_ascii_whitespace) {
        return Err(bad("nothing on stdout (a JSON document is expected)".into()));
    }
    let value: Value = serde_json::from_slice(out).map_err(|e| {
        let at = format!("line {} column {}", e.line(), e.column());
        let why = match e.classify() {
            serde_json::error::Category::Eof => "ends too early".to_owned(),
            _ => format!("is not valid JSON at {at}"),
        };
        bad(format!(
            "something that is not one JSON document: it {why}; {}",
            describe_output(out)
        ))
    })?;
    let Value::Object(mut doc) = value else {
        return Err(bad(format!(
            "JSON that is not an object ({}); the document is {{\"version\": 1, …}}",
            kind_of(&value)
        )));
    };
    let field = |name: &str| format!("a document whose field `{name}`");
    match doc.get("version") {
        None => {
            return Err(bad(
                "a document without `version`; add \"version\": 1".into()
            ))
        }
        Some(Value::Number(n)) if n.as_u64() == Some(DOCUMENT_VERSION) => {}
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => {
            return Err(bad(format!(
                "a document of version {n}; this library reads version {DOCUMENT_VERSION}"
            )))
        }
        Some(v) => {
            return Err(bad(format!(
                "{} is {}, not the number {DOCUMENT_VERSION}",
                field("version"),
                kind_of(v)
            )))
        }
    }
    let string = |doc: &mut Map<String, Value>, name: &str| -> Result<Option<String>> {
        match doc.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err(bad(format!("{} is empty", field(name))))
            }
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(bad(format!(
                "{} is {}, not a string",
                field(name),
                kind_of(&v)
            ))),
        }
    };
    let has_token = doc.contains_key("token");
    let has_type = doc.contains_key("auth_type");
    match (has_token, has_type) {
        (true, true) => Err(bad(
            "a document with both `token` and `auth_type`; give one of them".into(),
        )),
        (false, false) => Err(bad(
            "a document with neither `token` (a ready token) nor `auth_type` (the options \
             of a plugin)"
                .into(),
        )),
        (false, true) => {
            let auth_type = string(&mut doc, "auth_type")?.unwrap_or_default();
            let auth = match doc.remove("auth") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(m)) => m,
                Some(v) => {
                    return Err(bad(format!(
                        "{} is {}, not an object of options",
                        field("auth"),
                        kind_of(&v)
                    )))
                }
            };
            Ok(Document::Options {
                auth_type: auth_type.trim().to_owned(),
                auth,
            })
        }
        (true, false) => {
            let token = string(&mut doc, "token")?.unwrap_or_default();
            if token.trim() != token || token.chars().any(|c| c.is_control() || !c.is_ascii()) {
                return Err(bad(format!(
                    "{} cannot be sent in a header (white space, control or non-ASCII \
                     characters)",
                    field("token")
                )));
            }
            let expires_text = string(&mut doc, "expires_at")?;
            let expires_at = match &expires_text {
                Some(t) => Some(SystemTime::from(parse_timestamp(t).map_err(|_| {
                    bad(format!(
                        "{} is not an RFC 3339 time such as 2026-12-06T18:00:00Z",
                        field("expires_at")
                    ))
                })?)),
                None => None,
            };
            let auth_url = string(&mut doc, "auth_url")?;
            let catalog = match doc.remove("catalog") {
                None | Some(Value::Null) => None,
                Some(v @ Value::Array(_)) => Some(v),
                Some(v) => {
                    return Err(bad(format!(
                        "{} is {}, not a list of services (a v3 catalog)",
                        field("catalog"),
                        kind_of(&v)
                    )))
                }
            };
            let mut ids = BTreeMap::new();
            for name in TOKEN_IDS {
                if let Some(v) = string(&mut doc, name)? {
                    ids.insert(*name, v);
                }
            }
            Ok(Document::Token(Box::new(TokenDoc {
                token: SecretString::from(token),
                expires_at,
                expires_text,
                auth_url,
                catalog,
                ids,
            })))
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An option value from a document as the registry reads it.
pub(super) fn option_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => Some(v.to_string()),
    }
}

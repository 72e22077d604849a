//! What the structured formats (json, yaml) print: mappings keep the order of their keys.

use serde_json::Value;

/// A document: mappings in the order given (a record's fields, a row's columns), sequences,
/// and scalars.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// Keys and values, in this order.
    Map(Vec<(&'a str, Node<'a>)>),
    /// Items.
    Seq(Vec<Node<'a>>),
    /// Null, a boolean, a number or a string (never an array or an object).
    Scalar(&'a Value),
}

impl<'a> From<&'a Value> for Node<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Object(m) => Node::Map(m.iter().map(|(k, v)| (k.as_str(), v.into())).collect()),
            Value::Array(a) => Node::Seq(a.iter().map(Node::from).collect()),
            scalar => Node::Scalar(scalar),
        }
    }
}

impl Node<'_> {
    /// A mapping or sequence with nothing in it.
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Node::Map(m) => m.is_empty(),
            Node::Seq(s) => s.is_empty(),
            Node::Scalar(_) => false,
        }
    }
}

//! The resolved YAML tree: values as the API server reads them (YAML 1.1 scalars, merge keys applied,
//! aliases expanded, the last duplicate key kept), each node carrying where it came from in the text.

use std::fmt;

/// A byte range in the document's source text. (How the node was reached, and so whether its text
/// also stands for other places, is its [`Origin`].)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// How a node was reached from the document root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Origin {
    /// Written here, in place.
    #[default]
    Direct,
    /// Reached through an `*alias`: the text is elsewhere and stands for several places.
    Alias,
    /// Reached through a `<<` merge key: the key exists in the JSON but not in this mapping's text.
    Merge,
}

/// How a scalar was written (quoting matters when the tool writes a value back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// A node of the resolved tree.
#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    /// Where the node's own text is (for a block collection: from its first child to the end of its last).
    pub span: Span,
    pub origin: Origin,
    /// Block or flow notation (collections only; scalars are `false`).
    pub flow: bool,
}

/// A JSON number as `sigs.k8s.io/yaml` produces it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    /// Above i64::MAX (still an integer in JSON).
    UInt(u64),
    Float(f64),
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String, Style),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One mapping entry. `key_span` is the key's text; `dup` is true when the key was written more than
/// once in the same mapping (the entry kept is the last, as the API server keeps it).
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
    pub dup: bool,
}

/// The JSON type names Go's decoder uses in its error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Null => "null",
            Kind::Bool => "bool",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        })
    }
}

impl Node {
    pub fn new(value: Value, span: Span) -> Node {
        Node { value, span, origin: Origin::Direct, flow: false }
    }

    pub fn kind(&self) -> Kind {
        match &self.value {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::String(..) => Kind::String,
            Value::Seq(_) => Kind::Array,
            Value::Map(_) => Kind::Object,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The entry for `key` in a mapping (None for other kinds).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The value of `key` in a mapping, `None` when absent or when `self` is not a mapping.
    /// A `null` value is returned as a node; use [`Node::field`] to treat null as absent.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The value of `key`, treating an explicit `null` as absent (as Go's decoder leaves a nil pointer).
    pub fn field(&self, key: &str) -> Option<&Node> {
        self.get(key).filter(|n| !n.is_null())
    }

    /// Walk a path of keys, treating null as absent.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        let mut node = self;
        for k in keys {
            node = node.field(k)?;
        }
        Some(node)
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s, _) => Some(s),
            _ => None,
        }
    }

    /// An integer value (a float with no fraction counts, as Go's decoder accepts `1.0` for an int).
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Number(Number::Int(i)) => Some(i),
            Value::Number(Number::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i64),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items of a sequence; empty for null/absent or other kinds.
    pub fn items(&self) -> &[Node] {
        self.as_seq().unwrap_or(&[])
    }

    /// Convert to JSON exactly as `sigs.k8s.io/yaml` would hand it to the API server's decoder.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(Number::Int(i)) => J::from(*i),
            Value::Number(Number::UInt(u)) => J::from(*u),
            Value::Number(Number::Float(f)) => {
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    J::from(*f as i64)
                } else if f.fract() == 0.0 && f.abs() < 1e21 {
                    // Go's encoding/json writes such a float64 without exponent, in its shortest
                    // digits (Rust's `{}` too): the API server's decoder reads that integer.
                    let text = f.to_string();
                    match (text.parse::<i64>(), text.parse::<u64>()) {
                        (Ok(i), _) => J::from(i),
                        (_, Ok(u)) => J::from(u),
                        _ => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
                    }
                } else {
                    serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null)
                }
            }
            Value::String(s, _) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(entries.iter().map(|e| (e.key.clone(), e.value.to_json())).collect()),
        }
    }
}

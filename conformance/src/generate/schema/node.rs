//! Reading a schema (JSON Schema 2020-12, as our specs write it; local `$ref`s followed
//! through the spec) into a [`Node`]: the keywords we model, and the ones that make a node
//! opaque.

use serde_json::Value;

use super::string::StrRule;
use crate::spec::Spec;

/// Deeper schemas (recursion) are treated as opaque.
const MAX_DEPTH: usize = 12;

#[derive(Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    /// The schema's description makes a `Choice:` here: the real service's behaviour is
    /// unverified, so a violation accepted by the target is only a warning.
    pub lenient: bool,
    pub read_only: bool,
    /// `examples` and `default`, for opaque nodes.
    pub(super) examples: Vec<Value>,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Any,
    Enum(Vec<Value>),
    Bool,
    Int(IntRule),
    Num { min: Option<f64>, max: Option<f64> },
    Str(StrRule),
    Array { items: Box<Node>, min: usize, max: Option<usize> },
    Object(ObjectRule),
    Nullable(Box<Node>),
    Opaque,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct IntRule {
    /// Explicit bounds (inclusive; exclusive bounds already moved by one).
    pub(super) min: Option<i64>,
    pub(super) max: Option<i64>,
    pub(super) bits: Option<u8>,
}

impl IntRule {
    pub(super) fn range(self) -> (i64, i64) {
        let (flo, fhi) = match self.bits {
            Some(32) => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        (self.min.unwrap_or(flo).max(flo), self.max.unwrap_or(fhi).min(fhi))
    }
}

#[derive(Debug)]
pub(crate) struct ObjectRule {
    pub props: Vec<(String, Node)>,
    pub required: Vec<String>,
    pub additional: Additional,
}

#[derive(Debug)]
pub(crate) enum Additional {
    Allowed,
    Forbidden,
    Schema(Box<Node>),
}

fn has_choice(s: &Value) -> bool {
    s.get("description").and_then(Value::as_str).is_some_and(|d| d.contains("Choice:"))
}

impl Node {
    /// Reads `schema` (resolving `$ref`s in `spec`); `lenient` is inherited from an enclosing
    /// parameter or array.
    pub(crate) fn build(spec: &Spec, schema: &Value, lenient: bool, depth: usize) -> Node {
        let s = spec.resolve(schema);
        let lenient = lenient || has_choice(schema) || has_choice(s);
        let read_only = [schema, s].iter().any(|x| x.get("readOnly") == Some(&Value::Bool(true)));
        let mut examples: Vec<Value> =
            s.get("examples").and_then(Value::as_array).cloned().unwrap_or_default();
        examples.extend(s.get("default").cloned());
        let node = |kind| Node { kind, lenient, read_only, examples: examples.clone() };
        if depth > MAX_DEPTH || !s.is_object() {
            return node(if s == &Value::Bool(true) { Kind::Any } else { Kind::Opaque });
        }
        const OPAQUE: [&str; 8] =
            ["allOf", "anyOf", "oneOf", "not", "if", "$dynamicRef", "prefixItems", "$ref"];
        if let Some(c) = s.get("const") {
            return node(Kind::Enum(vec![c.clone()]));
        }
        if OPAQUE.iter().any(|k| s.get(k).is_some()) {
            return node(Kind::Opaque);
        }
        if let Some(values) = s.get("enum").and_then(Value::as_array) {
            return node(Kind::Enum(values.clone()));
        }
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ if s.get("properties").is_some() => vec!["object"],
            _ if s.get("items").is_some() => vec!["array"],
            _ => Vec::new(),
        };
        let nullable = types.contains(&"null");
        let others: Vec<&str> = types.iter().copied().filter(|t| *t != "null").collect();
        let kind = match others.as_slice() {
            [] if nullable => Kind::Enum(vec![Value::Null]),
            [t] => Self::single(spec, s, t, lenient, depth),
            _ => Kind::Any,
        };
        if nullable && others.len() == 1 {
            let inner = Node { kind, lenient, read_only, examples: examples.clone() };
            return node(Kind::Nullable(Box::new(inner)));
        }
        node(kind)
    }

    fn single(spec: &Spec, s: &Value, t: &str, lenient: bool, depth: usize) -> Kind {
        let num = |k: &str| s.get(k).and_then(Value::as_f64);
        match t {
            "boolean" => Kind::Bool,
            "integer" => {
                let min = match (num("minimum"), num("exclusiveMinimum")) {
                    (a, Some(e)) => Some(a.unwrap_or(f64::MIN).max(e.floor() + 1.0)),
                    (a, None) => a.map(f64::ceil),
                };
                let max = match (num("maximum"), num("exclusiveMaximum")) {
                    (a, Some(e)) => Some(a.unwrap_or(f64::MAX).min(e.ceil() - 1.0)),
                    (a, None) => a.map(f64::floor),
                };
                let bits = match s.get("format").and_then(Value::as_str) {
                    Some("int32") => Some(32),
                    Some("int64") => Some(64),
                    _ => None,
                };
                let clamp = |f: f64| f.clamp(i64::MIN as f64, i64::MAX as f64) as i64;
                Kind::Int(IntRule { min: min.map(clamp), max: max.map(clamp), bits })
            }
            "number" => Kind::Num {
                min: num("minimum").or(num("exclusiveMinimum").map(|e| e + 1.0)),
                max: num("maximum").or(num("exclusiveMaximum").map(|e| e - 1.0)),
            },
            "string" => match StrRule::new(s) {
                Some(rule) => Kind::Str(rule),
                None => Kind::Opaque,
            },
            "array" => {
                let items = s.get("items").cloned().unwrap_or(Value::Bool(true));
                Kind::Array {
                    items: Box::new(Node::build(spec, &items, lenient, depth + 1)),
                    min: s.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize,
                    max: s.get("maxItems").and_then(Value::as_u64).map(|m| m as usize),
                }
            }
            "object" => {
                let props = s
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), Node::build(spec, v, false, depth + 1)))
                    .collect();
                let required = s
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                let additional = match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => Additional::Forbidden,
                    Some(a @ Value::Object(_)) => {
                        Additional::Schema(Box::new(Node::build(spec, a, false, depth + 1)))
                    }
                    _ => Additional::Allowed,
                };
                Kind::Object(ObjectRule { props, required, additional })
            }
            _ => Kind::Opaque,
        }
    }
}

/// Properties that name a resource; in requests with side effects they get this run's names.
pub(crate) fn identity(key: &str) -> bool {
    matches!(key, "name" | "namespace" | "repository") || key.ends_with("_name")
}

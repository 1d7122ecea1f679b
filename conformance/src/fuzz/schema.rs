//! A request schema as a generator. [`Node::build`] reads a JSON Schema (2020-12, as our specs
//! write it; local `$ref`s followed through the spec) into a [`Node`], which gives
//!
//! - a proptest strategy for values that satisfy it ([`Node::positive`]), leaning on the bounds;
//! - a deterministic minimal value ([`Node::minimal`]) and boundary values ([`Node::boundaries`]);
//! - negative [`Site`]s ([`Node::sites`]): each breaks one constraint at one place in the value
//!   (wrong type, out of range, enum outsider, pattern, length, item count, missing required
//!   property, unknown property), with a deterministic boundary value and a random strategy.
//!
//! How the value travels matters ([`Wire`]): path, query and header values are text, so a
//! "wrong type" there is a string that does not parse as the declared type, `null` is never
//! sent, a path segment is never empty, and a header value is printable ASCII without outer
//! spaces. Wrong-type values are chosen so that no common coercion (a numeric string for a
//! number, `1` for `true`, `null` for "absent") turns them back into valid input. Keywords we do
//! not model (`oneOf`, `anyOf`, `allOf`, `not`, ...) make a node opaque: its examples are used
//! as positives and it has no negatives.

use std::sync::Arc;

use jsonschema::Validator;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Just, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};

use super::pattern;
use crate::spec::Spec;

/// Deeper schemas (recursion) are treated as opaque.
const MAX_DEPTH: usize = 12;
/// Longest text value the tester puts in a path, query or header.
const MAX_TEXT: usize = 2048;
/// Longest string it puts in a JSON body.
const MAX_JSON_STRING: usize = 8192;
/// Most array items it generates for `maxItems` + 1.
const MAX_ITEMS: usize = 128;

/// Where a value is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wire {
    Json,
    Path,
    Query,
    Header,
}

impl Wire {
    fn text(self) -> bool {
        self != Wire::Json
    }

    /// Whether a string can be sent this way and arrive unchanged.
    pub(crate) fn carries(self, s: &str) -> bool {
        match self {
            Wire::Json | Wire::Query => true,
            Wire::Path => !s.is_empty() && s != "." && s != "..",
            Wire::Header => {
                !s.is_empty()
                    && s.bytes().all(|b| (0x20..0x7f).contains(&b))
                    && !s.starts_with(' ')
                    && !s.ends_with(' ')
            }
        }
    }

    fn max_len(self) -> usize {
        if self.text() { MAX_TEXT } else { MAX_JSON_STRING }
    }
}

/// One schema, ready to generate from.
#[derive(Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    /// The schema's description makes a `Choice:` here: the real service's behaviour is
    /// unverified, so a violation accepted by the target is only a warning.
    pub lenient: bool,
    pub read_only: bool,
    /// `examples` and `default`, for opaque nodes.
    examples: Vec<Value>,
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
    min: Option<i64>,
    max: Option<i64>,
    bits: Option<u8>,
}

impl IntRule {
    fn range(self) -> (i64, i64) {
        let (flo, fhi) = match self.bits {
            Some(32) => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        (self.min.unwrap_or(flo).max(flo), self.max.unwrap_or(fhi).min(fhi))
    }
}

pub(crate) struct StrRule {
    min: usize,
    max: Option<usize>,
    pattern: Option<String>,
    format: Option<String>,
    /// The rewritten pattern proptest generates from, and a variant with every repetition
    /// capped short (drawn more often: short failing values shrink within the step budget).
    regex: Option<String>,
    short_regex: Option<String>,
    /// The whole string schema (type, lengths, pattern, format).
    check: Arc<Validator>,
    /// The pattern alone.
    pattern_check: Option<Arc<Validator>>,
    /// The pattern's simplest string (the regex strategy shrunk all the way).
    shrunk: Option<String>,
    examples: Vec<String>,
}

impl std::fmt::Debug for StrRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrRule")
            .field("min", &self.min)
            .field("max", &self.max)
            .field("pattern", &self.pattern)
            .field("format", &self.format)
            .finish_non_exhaustive()
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

/// One step into a value: an object key, or the first item of an array (`None`); `fill` is
/// the child's minimal value, put there when the base value lacks it.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub key: Option<String>,
    pub fill: Value,
}

/// A place in a value and one constraint broken there.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub path: Vec<Step>,
    /// What is broken, e.g. `maximum 400` or `required property \`name\``.
    pub constraint: String,
    pub lenient: bool,
    /// `jsonschema` cannot see this violation (an integer format's range), so the guard does
    /// not ask it to.
    pub unchecked: bool,
    pub change: Change,
}

#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// Put a value at the path: `boundary` in the boundary phase, drawn from `random` after.
    Set { boundary: Value, random: BoxedStrategy<Value> },
    /// Remove the key the path ends with.
    Remove,
}

fn has_choice(s: &Value) -> bool {
    s.get("description").and_then(Value::as_str).is_some_and(|d| d.contains("Choice:"))
}

/// A validator for a self-contained schema (no `$ref`s), formats asserted like the spec's.
fn compile(schema: &Value) -> Option<Arc<Validator>> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .ok()
        .map(Arc::new)
}

/// A runner for deterministic work (minimal values), independent of the run's seed.
pub(crate) fn fixed_runner(seed: u64) -> TestRunner {
    use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
    TestRunner::new(Config {
        cases: 1,
        max_local_rejects: 4096,
        max_global_rejects: 4096,
        max_flat_map_regens: 1000,
        failure_persistence: None,
        max_shrink_iters: 0,
        max_default_size_range: 16,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        verbose: 0,
        ..Config::default()
    })
}

/// The value `strategy` shrinks to when every step simplifies.
fn simplest<T: std::fmt::Debug>(strategy: &BoxedStrategy<T>) -> Option<T> {
    let mut runner = fixed_runner(0);
    let mut tree = strategy.new_tree(&mut runner).ok()?;
    for _ in 0..10_000 {
        if !tree.simplify() {
            break;
        }
    }
    Some(tree.current())
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

    /// A strategy for values that satisfy the schema; `None` when we cannot make any.
    /// `fresh`: names of this run, used for identity-like properties (`name`, ...) so that a
    /// request with side effects never addresses someone else's resource.
    pub(crate) fn positive(&self, wire: Wire, fresh: &[String]) -> Option<BoxedStrategy<Value>> {
        Some(match &self.kind {
            Kind::Any if wire.text() => "[a-z0-9]{1,8}".prop_map(Value::from).boxed(),
            Kind::Any => prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                (-1000i64..1000).prop_map(Value::from),
                "[a-z]{0,8}".prop_map(Value::from),
            ]
            .boxed(),
            Kind::Enum(values) => {
                let values: Vec<Value> =
                    values.iter().filter(|v| sendable(v, wire)).cloned().collect();
                if values.is_empty() {
                    return None;
                }
                select(values).boxed()
            }
            Kind::Bool => any::<bool>().prop_map(Value::from).boxed(),
            Kind::Int(rule) => {
                let (lo, hi) = rule.range();
                if lo > hi {
                    return None;
                }
                prop_oneof![6 => (lo..=hi).prop_map(Value::from), 1 => Just(Value::from(lo)), 1 => Just(Value::from(hi))]
                    .boxed()
            }
            Kind::Num { min, max } => {
                let lo = min.unwrap_or(-1e9);
                let hi = max.unwrap_or(1e9);
                if lo > hi {
                    return None;
                }
                if lo == hi {
                    return Some(Just(json!(lo)).boxed());
                }
                (lo..hi).prop_map(|f| json!(f)).boxed()
            }
            Kind::Str(rule) => rule.positive(wire)?.prop_map(Value::from).boxed(),
            Kind::Array { items, min, max } => {
                let item = items.positive(wire, fresh)?;
                let hi = max.unwrap_or(usize::MAX).min(min + 4);
                if hi < *min {
                    return None;
                }
                proptest::collection::vec(item, *min..=hi).prop_map(Value::Array).boxed()
            }
            Kind::Object(rule) => {
                let mut parts: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
                for (name, node) in &rule.props {
                    if node.read_only {
                        continue;
                    }
                    let pinned = identity(name).then(|| node.pin(fresh)).flatten();
                    let strategy = match pinned {
                        Some(v) => Just(v).boxed(),
                        None => match node.positive(Wire::Json, fresh) {
                            Some(s) => s,
                            None if rule.required.contains(name) => return None,
                            None => continue,
                        },
                    };
                    let name = name.clone();
                    parts.push(if rule.required.contains(&name) {
                        strategy.prop_map(move |v| Some((name.clone(), v))).boxed()
                    } else {
                        proptest::option::of(strategy)
                            .prop_map(move |v| v.map(|v| (name.clone(), v)))
                            .boxed()
                    });
                }
                if rule.required.iter().any(|r| !rule.props.iter().any(|(n, _)| n == r)) {
                    return None;
                }
                parts
                    .prop_map(|kv| Value::Object(kv.into_iter().flatten().collect::<Map<_, _>>()))
                    .boxed()
            }
            Kind::Nullable(inner) if wire.text() => inner.positive(wire, fresh)?,
            Kind::Nullable(inner) => {
                prop_oneof![4 => inner.positive(wire, fresh)?, 1 => Just(Value::Null)].boxed()
            }
            Kind::Opaque => {
                let values: Vec<Value> =
                    self.examples.iter().filter(|v| sendable(v, wire)).cloned().collect();
                if values.is_empty() {
                    return None;
                }
                select(values).boxed()
            }
        })
    }

    /// A fixed value of this run for an identity-like string, if the schema takes one.
    pub(crate) fn pin(&self, fresh: &[String]) -> Option<Value> {
        match &self.kind {
            Kind::Str(rule) => fresh
                .iter()
                .find(|f| rule.check.is_valid(&Value::from(f.as_str())))
                .map(|f| Value::from(f.as_str())),
            Kind::Nullable(inner) => inner.pin(fresh),
            _ => None,
        }
    }

    /// A deterministic simple value that satisfies the schema (only required properties, the
    /// smallest number in range, the pattern's simplest string).
    pub(crate) fn minimal(&self, wire: Wire, fresh: &[String]) -> Option<Value> {
        Some(match &self.kind {
            Kind::Any if wire.text() => Value::from("a"),
            Kind::Any => Value::Null,
            Kind::Enum(values) => values.iter().find(|v| sendable(v, wire))?.clone(),
            Kind::Bool => Value::Bool(false),
            Kind::Int(rule) => {
                let (lo, hi) = rule.range();
                if lo > hi {
                    return None;
                }
                Value::from(0i64.clamp(lo, hi))
            }
            Kind::Num { min, max } => {
                json!(0f64.clamp(min.unwrap_or(f64::MIN), max.unwrap_or(f64::MAX)))
            }
            Kind::Str(rule) => Value::from(rule.minimal(wire)?),
            Kind::Array { items, min, .. } => {
                let item = if *min > 0 { Some(items.minimal(wire, fresh)?) } else { None };
                Value::Array(item.map(|i| vec![i; *min]).unwrap_or_default())
            }
            Kind::Object(rule) => {
                let mut map = Map::new();
                for name in &rule.required {
                    let (_, node) = rule.props.iter().find(|(n, _)| n == name)?;
                    let v = match identity(name).then(|| node.pin(fresh)).flatten() {
                        Some(v) => v,
                        None => node.minimal(Wire::Json, fresh)?,
                    };
                    map.insert(name.clone(), v);
                }
                Value::Object(map)
            }
            Kind::Nullable(inner) => inner.minimal(wire, fresh)?,
            Kind::Opaque => self.examples.iter().find(|v| sendable(v, wire))?.clone(),
        })
    }

    /// Deterministic values on the edges of what the schema allows: both bounds, every enum
    /// member, the shortest and longest strings, the smallest and largest arrays.
    pub(crate) fn boundaries(&self, wire: Wire, fresh: &[String]) -> Vec<Value> {
        let mut out: Vec<Value> = match &self.kind {
            Kind::Enum(values) => {
                values.iter().filter(|v| sendable(v, wire)).take(16).cloned().collect()
            }
            Kind::Bool => vec![Value::Bool(true), Value::Bool(false)],
            Kind::Int(rule) => {
                let (lo, hi) = rule.range();
                if lo > hi { Vec::new() } else { vec![Value::from(lo), Value::from(hi)] }
            }
            Kind::Num { min, max } => min.iter().chain(max).map(|f| json!(f)).collect(),
            Kind::Str(rule) if rule.pattern.is_none() && rule.format.is_none() => {
                let mut lens = vec![rule.min];
                lens.extend(rule.max.filter(|m| *m <= wire.max_len()));
                lens.into_iter()
                    .map(|n| Value::from("a".repeat(n)))
                    .filter(|v| {
                        rule.check.is_valid(v) && v.as_str().is_some_and(|s| wire.carries(s))
                    })
                    .collect()
            }
            Kind::Array { items, min, max } => {
                let Some(item) = items.minimal(wire, fresh) else { return Vec::new() };
                let mut lens = vec![*min];
                lens.extend(max.filter(|m| *m <= 32 && *m > *min));
                lens.into_iter().map(|n| Value::Array(vec![item.clone(); n])).collect()
            }
            Kind::Nullable(inner) => inner.boundaries(wire, fresh),
            _ => Vec::new(),
        };
        out.dedup();
        out
    }

    /// Every negative site of this node (and, for containers, of its children) under `path`.
    pub(crate) fn sites(&self, wire: Wire, path: &[Step], fresh: &[String], out: &mut Vec<Site>) {
        let site = |constraint: String, lenient: bool, unchecked: bool, change: Change| Site {
            path: path.to_vec(),
            constraint,
            lenient: self.lenient || lenient,
            unchecked,
            change,
        };
        let set = |boundary: Value, random: BoxedStrategy<Value>| Change::Set { boundary, random };
        match &self.kind {
            Kind::Any | Kind::Opaque => {}
            Kind::Enum(values) => {
                let strings = values.iter().all(|v| v.is_string() || v.is_null());
                let outsider = |s: &String| !values.iter().any(|v| text_of(v) == *s);
                if strings || wire.text() {
                    let members = values.clone();
                    let random = "imagespec-[a-z]{1,6}"
                        .prop_filter("an enum member", move |s| {
                            !members.iter().any(|v| text_of(v) == *s)
                        })
                        .prop_map(Value::from)
                        .boxed();
                    let boundary = "imagespec-not-a-member".to_owned();
                    if outsider(&boundary) {
                        out.push(site("enum".into(), false, false, set(boundary.into(), random)));
                    }
                } else if let Some(top) = values.iter().filter_map(Value::as_i64).max() {
                    let v = Value::from(top.saturating_add(1));
                    out.push(site("enum".into(), false, false, set(v.clone(), Just(v).boxed())));
                }
                if !wire.text() && strings {
                    string_type_sites(&site, out);
                }
            }
            Kind::Bool => {
                out.push(site(
                    "type boolean".into(),
                    false,
                    false,
                    wrong_type(if wire.text() { WrongFor::TextBool } else { WrongFor::Bool }),
                ));
            }
            Kind::Int(rule) => {
                if let Some(min) = rule.min.filter(|m| *m > i64::MIN) {
                    let near = min.saturating_sub(1000);
                    let random =
                        prop_oneof![2 => Just(min - 1), 2 => near..=(min - 1), 1 => i64::MIN..min]
                            .prop_map(Value::from)
                            .boxed();
                    out.push(site(
                        format!("minimum {min}"),
                        false,
                        false,
                        set(Value::from(min - 1), random),
                    ));
                }
                if let Some(max) = rule.max.filter(|m| *m < i64::MAX) {
                    let near = max.saturating_add(1000);
                    let random = prop_oneof![2 => Just(max + 1), 2 => (max + 1)..=near, 1 => (max + 1)..=i64::MAX].prop_map(Value::from).boxed();
                    out.push(site(
                        format!("maximum {max}"),
                        false,
                        false,
                        set(Value::from(max + 1), random),
                    ));
                }
                // The format's range: `format` is an annotation in 2020-12, so these are lenient.
                let top32 = i64::from(i32::MAX);
                let bottom32 = i64::from(i32::MIN);
                if rule.bits == Some(32) {
                    if rule.max.is_none_or(|m| m > top32) {
                        let random = prop_oneof![2 => Just(top32 + 1), 1 => (top32 + 1)..=i64::MAX]
                            .prop_map(Value::from)
                            .boxed();
                        out.push(site(
                            "format int32 (above 2^31-1)".into(),
                            true,
                            true,
                            set(Value::from(top32 + 1), random),
                        ));
                    }
                    if rule.min.is_none_or(|m| m < bottom32) {
                        let random = prop_oneof![2 => Just(bottom32 - 1), 1 => i64::MIN..bottom32]
                            .prop_map(Value::from)
                            .boxed();
                        out.push(site(
                            "format int32 (below -2^31)".into(),
                            true,
                            true,
                            set(Value::from(bottom32 - 1), random),
                        ));
                    }
                }
                if rule.bits == Some(64) && rule.max.is_none() {
                    let first = i64::MAX as u64 + 1;
                    let random = prop_oneof![2 => Just(first), 1 => first..=u64::MAX]
                        .prop_map(Value::from)
                        .boxed();
                    out.push(site(
                        "format int64 (above 2^63-1)".into(),
                        true,
                        true,
                        set(Value::from(first), random),
                    ));
                }
                out.push(site(
                    "type integer".into(),
                    false,
                    false,
                    wrong_type(if wire.text() { WrongFor::TextNumber } else { WrongFor::Number }),
                ));
            }
            Kind::Num { min, max } => {
                if let Some(min) = min {
                    let v = json!(min - 1.0);
                    out.push(site(
                        format!("minimum {min}"),
                        false,
                        false,
                        set(v.clone(), Just(v).boxed()),
                    ));
                }
                if let Some(max) = max {
                    let v = json!(max + 1.0);
                    out.push(site(
                        format!("maximum {max}"),
                        false,
                        false,
                        set(v.clone(), Just(v).boxed()),
                    ));
                }
                out.push(site(
                    "type number".into(),
                    false,
                    false,
                    wrong_type(if wire.text() { WrongFor::TextNumber } else { WrongFor::Number }),
                ));
            }
            Kind::Str(rule) => rule.sites(wire, &site, out),
            Kind::Array { items, min, max } => {
                if let Some(item) = items.minimal(wire, fresh) {
                    // An empty repeated query parameter is an absent one, not an empty array.
                    if *min > 0 && !(wire.text() && *min == 1) {
                        let v = Value::Array(vec![item.clone(); min - 1]);
                        out.push(site(
                            format!("minItems {min}"),
                            false,
                            false,
                            set(v.clone(), Just(v).boxed()),
                        ));
                    }
                    if let Some(max) = max.filter(|m| *m < MAX_ITEMS) {
                        let v = Value::Array(vec![item.clone(); max + 1]);
                        out.push(site(
                            format!("maxItems {max}"),
                            false,
                            false,
                            set(v.clone(), Just(v).boxed()),
                        ));
                    }
                    let mut inner = path.to_vec();
                    inner.push(Step { key: None, fill: item });
                    items.sites(wire, &inner, fresh, out);
                }
                if !wire.text() {
                    out.push(site("type array".into(), false, false, wrong_type(WrongFor::Array)));
                }
            }
            Kind::Object(rule) => {
                if wire.text() {
                    return;
                }
                out.push(site("type object".into(), false, false, wrong_type(WrongFor::Object)));
                for name in &rule.required {
                    let mut p = path.to_vec();
                    p.push(Step { key: Some(name.clone()), fill: Value::Null });
                    out.push(Site {
                        path: p,
                        constraint: format!("required property `{name}`"),
                        lenient: self.lenient,
                        unchecked: false,
                        change: Change::Remove,
                    });
                }
                let extra = "imagespec_unknown".to_owned();
                match &rule.additional {
                    Additional::Forbidden if !rule.props.iter().any(|(n, _)| *n == extra) => {
                        let mut p = path.to_vec();
                        p.push(Step { key: Some(extra), fill: Value::Null });
                        let random = prop_oneof![
                            "[a-z]{1,8}".prop_map(Value::from),
                            (0i64..1000).prop_map(Value::from)
                        ]
                        .boxed();
                        out.push(Site {
                            path: p,
                            constraint: "additionalProperties false".into(),
                            lenient: self.lenient,
                            unchecked: false,
                            change: Change::Set { boundary: Value::from("x"), random },
                        });
                    }
                    Additional::Schema(node) => {
                        if let Some(fill) = node.minimal(Wire::Json, fresh) {
                            let mut p = path.to_vec();
                            p.push(Step { key: Some(extra), fill });
                            node.sites(Wire::Json, &p, fresh, out);
                        }
                    }
                    _ => {}
                }
                for (name, node) in &rule.props {
                    if node.read_only {
                        continue;
                    }
                    let Some(fill) = node.minimal(Wire::Json, fresh) else { continue };
                    let mut p = path.to_vec();
                    p.push(Step { key: Some(name.clone()), fill });
                    node.sites(Wire::Json, &p, fresh, out);
                }
            }
            Kind::Nullable(inner) => inner.sites(wire, path, fresh, out),
        }
    }
}

/// Properties that name a resource; in requests with side effects they get this run's names.
pub(crate) fn identity(key: &str) -> bool {
    matches!(key, "name" | "namespace" | "repository") || key.ends_with("_name")
}

/// Whether a value can be sent this way (no `null` or containers as text).
fn sendable(v: &Value, wire: Wire) -> bool {
    match v {
        Value::Null | Value::Array(_) | Value::Object(_) => !wire.text(),
        Value::String(s) => wire.carries(s),
        _ => true,
    }
}

/// The text a value is sent as in a path, query or header.
pub(crate) fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[derive(Clone, Copy)]
enum WrongFor {
    Bool,
    Number,
    Array,
    Object,
    /// In a path, query or header: a word that is not `true`/`false` or a usual alias.
    TextBool,
    /// In a path, query or header: a word that does not parse as a number.
    TextNumber,
}

/// A string's wrong types: an object or array (refused by every JSON binding), and, only as a
/// warning, a number or boolean, which some bindings turn into a string (Jackson by default,
/// poem-openapi) although the contract says refuse.
fn string_type_sites(site: &dyn Fn(String, bool, bool, Change) -> Site, out: &mut Vec<Site>) {
    let strict = select(vec![json!({}), json!([]), json!({"imagespec": 1})]).boxed();
    out.push(site(
        "type string".into(),
        false,
        false,
        Change::Set { boundary: json!({}), random: strict },
    ));
    let coercible =
        prop_oneof![(-1000i64..1000).prop_map(Value::from), any::<bool>().prop_map(Value::from)]
            .boxed();
    out.push(site(
        "type string (a number or boolean, which some bindings coerce)".into(),
        true,
        false,
        Change::Set { boundary: json!(1), random: coercible },
    ));
}

/// Values of another JSON type that no common coercion accepts: never `null` (often "absent"),
/// never a numeric string for a number, never `0`/`1` for a boolean.
fn wrong_type(target: WrongFor) -> Change {
    // Letters g-z only: no hex digits, no `e` (exponent), no `inf`/`nan`/`true`/`false`/`yes`.
    let word = || {
        "[g-z]{2,8}"
            .prop_filter("an alias", |w| !matches!(w.as_str(), "no" | "on" | "ok"))
            .prop_map(Value::from)
    };
    let (boundary, random): (Value, BoxedStrategy<Value>) = match target {
        WrongFor::Bool => {
            (json!("imagespec"), prop_oneof![word(), Just(json!({})), Just(json!([]))].boxed())
        }
        WrongFor::Number => {
            (json!("imagespec"), prop_oneof![word(), Just(json!({})), Just(json!([]))].boxed())
        }
        WrongFor::Array => (
            json!("imagespec"),
            prop_oneof![word(), Just(json!({})), (0i64..100).prop_map(Value::from)].boxed(),
        ),
        WrongFor::Object => (
            json!("imagespec"),
            prop_oneof![word(), Just(json!([])), (0i64..100).prop_map(Value::from)].boxed(),
        ),
        WrongFor::TextBool | WrongFor::TextNumber => (json!("imagespec"), word().boxed()),
    };
    Change::Set { boundary, random }
}

impl StrRule {
    fn new(s: &Value) -> Option<StrRule> {
        let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = s.get("maxLength").and_then(Value::as_u64).map(|m| m as usize);
        let pattern = s.get("pattern").and_then(Value::as_str).map(str::to_owned);
        let format = s.get("format").and_then(Value::as_str).map(str::to_owned);
        let mut own = json!({"type": "string", "minLength": min});
        if let Some(m) = max {
            own["maxLength"] = m.into();
        }
        if let Some(p) = &pattern {
            own["pattern"] = p.clone().into();
        }
        if let Some(f) = &format {
            own["format"] = f.clone().into();
        }
        let check = compile(&own)?;
        let pattern_check = pattern.as_ref().and_then(|p| compile(&json!({"pattern": p})));
        if pattern.is_some() && pattern_check.is_none() {
            return None;
        }
        let short_regex = pattern.as_ref().and_then(|p| pattern::for_generation(p, 8, true));
        let regex = match (&pattern, format.as_deref()) {
            (Some(p), _) => pattern::for_generation(p, 8, false),
            (None, Some("uuid")) => {
                Some("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}".into())
            }
            (None, Some("date-time")) => Some(
                "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])".into(),
            ),
            (None, Some("date")) => Some("20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])".into()),
            _ => None,
        };
        let examples = s
            .get("examples")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(s.get("default"))
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        let mut rule = StrRule {
            min,
            max,
            pattern,
            format,
            regex,
            short_regex,
            check,
            pattern_check,
            shrunk: None,
            examples,
        };
        rule.shrunk = rule.generated(Wire::Json).and_then(|s| simplest(&s));
        Some(rule)
    }

    fn valid(&self, s: &str) -> bool {
        self.check.is_valid(&Value::from(s))
    }

    fn pattern_ok(&self, s: &str) -> bool {
        self.pattern_check.as_ref().is_none_or(|c| c.is_valid(&Value::from(s)))
    }

    /// Strings from the pattern or format, filtered by the whole schema.
    fn generated(&self, wire: Wire) -> Option<BoxedStrategy<String>> {
        let regex = self.regex.as_ref()?;
        let full = proptest::string::string_regex(regex).ok()?.boxed();
        let strategy = match self.short_regex.as_ref().filter(|s| *s != regex) {
            Some(short) => match proptest::string::string_regex(short) {
                Ok(short) => prop_oneof![3 => short.boxed(), 1 => full].boxed(),
                Err(_) => full,
            },
            None => full,
        };
        let check = self.check.clone();
        let filtered = strategy
            .prop_filter("the schema", move |s| {
                check.is_valid(&Value::from(s.as_str())) && wire.carries(s)
            })
            .boxed();
        // A filter that (almost) never passes would stall generation: try it once.
        let mut runner = fixed_runner(1);
        filtered.new_tree(&mut runner).ok()?;
        Some(filtered)
    }

    fn positive(&self, wire: Wire) -> Option<BoxedStrategy<String>> {
        if let Some(s) = self.generated(wire) {
            return Some(s);
        }
        if self.pattern.is_some() || self.format.is_some() {
            // Unusable pattern: the fixed candidates that satisfy it.
            let values: Vec<String> = self.candidates(wire);
            return (!values.is_empty()).then(|| select(values).boxed());
        }
        let lo = if wire == Wire::Json || wire == Wire::Query { self.min } else { self.min.max(1) };
        let hi = self.max.unwrap_or(lo + 32).min(lo + 32).min(wire.max_len());
        if hi < lo {
            return None;
        }
        let check = self.check.clone();
        let ascii = format!("[a-zA-Z0-9_.~-]{{{lo},{hi}}}");
        let any = if wire == Wire::Header {
            format!("[!-~]([ -~]{{0,{}}}[!-~])?", hi.saturating_sub(2))
        } else {
            format!("(?s).{{{lo},{hi}}}")
        };
        let a = proptest::string::string_regex(&ascii).ok()?;
        let b = proptest::string::string_regex(&any).ok()?;
        Some(
            prop_oneof![3 => a, 1 => b]
                .prop_filter("the schema", move |s| {
                    check.is_valid(&Value::from(s.as_str())) && wire.carries(s)
                })
                .boxed(),
        )
    }

    /// Simple strings to try, in order, keeping those that satisfy the schema.
    fn candidates(&self, wire: Wire) -> Vec<String> {
        let n = self.min.max(usize::from(wire == Wire::Path || wire == Wire::Header));
        let mut list: Vec<String> = Vec::new();
        match self.format.as_deref() {
            Some("uuid") => list.push("00000000-0000-4000-8000-000000000000".into()),
            Some("date-time") => list.push("2024-01-01T00:00:00Z".into()),
            Some("date") => list.push("2024-01-01".into()),
            _ => {}
        }
        for c in ['a', 'A', '0'] {
            list.push(c.to_string().repeat(n.max(1)));
        }
        if n == 0 {
            list.push(String::new());
        }
        list.extend(["a0", "imagespec", "a-b", "a_b", "a.b"].map(str::to_owned));
        list.extend(self.shrunk.clone());
        list.extend(self.examples.iter().cloned());
        let mut out: Vec<String> = Vec::new();
        for s in list {
            if self.valid(&s) && wire.carries(&s) && !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    fn minimal(&self, wire: Wire) -> Option<String> {
        let mut c = self.candidates(wire);
        (!c.is_empty()).then(|| c.remove(0))
    }

    fn sites(
        &self,
        wire: Wire,
        site: &dyn Fn(String, bool, bool, Change) -> Site,
        out: &mut Vec<Site>,
    ) {
        let Some(base) = self.minimal(wire) else { return };
        let base_strategy = self.positive(wire);
        // minLength: ASCII only, so that a server counting bytes or UTF-16 units agrees.
        if self.min > 0 {
            let short = self.min - 1;
            let empty_query = short == 0 && wire == Wire::Query;
            if wire.carries(&"a".repeat(short)) || empty_query {
                let mut values: Vec<String> = Vec::new();
                let prefix: String = base.chars().take(short).collect();
                for v in [prefix, "a".repeat(short), "A".repeat(short), "0".repeat(short)] {
                    if v.is_ascii() && v.chars().count() == short && !values.contains(&v) {
                        values.push(v);
                    }
                }
                values.sort_by_key(|v| !self.pattern_ok(v));
                if let Some(first) = values.first().cloned() {
                    // `?name=` is read as "absent" by many frameworks: only a warning.
                    out.push(site(
                        format!("minLength {}", self.min),
                        empty_query,
                        false,
                        Change::Set {
                            boundary: Value::from(first),
                            random: select(values).prop_map(Value::from).boxed(),
                        },
                    ));
                }
            }
        }
        if let Some(max) = self.max.filter(|m| *m < wire.max_len()) {
            let fills: Vec<char> =
                base.chars().last().into_iter().chain(['a', '0', 'A', '_', '-', '.']).collect();
            let grow = move |s: &str, c: char, extra: usize| -> String {
                let mut s = s.to_owned();
                while s.chars().count() < max + extra {
                    s.push(c);
                }
                s
            };
            let mut values: Vec<String> = fills.iter().map(|c| grow(&base, *c, 1)).collect();
            values.retain(|v| wire.carries(v));
            values.sort_by_key(|v| !self.pattern_ok(v));
            if let (Some(first), Some(positive)) = (values.first().cloned(), base_strategy.clone())
            {
                let random = (positive, select(fills), 1usize..=8)
                    .prop_filter_map("not carried", move |(s, c, extra)| {
                        let v = grow(&s, c, extra);
                        wire.carries(&v).then(|| Value::from(v))
                    })
                    .boxed();
                out.push(site(
                    format!("maxLength {max}"),
                    false,
                    false,
                    Change::Set { boundary: Value::from(first), random },
                ));
            }
        }
        if let (Some(p), Some(pc)) = (&self.pattern, &self.pattern_check) {
            let (min, max) = (self.min, self.max);
            let pc = pc.clone();
            let breaks = move |v: &str| {
                let n = v.chars().count();
                n >= min
                    && max.is_none_or(|m| n <= m)
                    && !pc.is_valid(&Value::from(v))
                    && wire.carries(v)
            };
            let values: Vec<String> = (0..TRANSFORMS)
                .flat_map(|t| BREAKERS.iter().map(move |c| (t, *c)))
                .filter_map(|(t, c)| transform(&base, t, c))
                .filter(|v| breaks(v))
                .collect();
            if let (Some(first), Some(positive)) = (values.first().cloned(), base_strategy.clone())
            {
                let breaks = breaks.clone();
                let random = (positive, 0..TRANSFORMS, select(BREAKERS.to_vec()))
                    .prop_filter_map("still matches", move |(s, t, c)| {
                        transform(&s, t, c).filter(|v| breaks(v)).map(Value::from)
                    })
                    .boxed();
                // A filter that never passes (every string matches) would stall: try it once.
                let mut runner = fixed_runner(2);
                if random.new_tree(&mut runner).is_ok() {
                    out.push(site(
                        format!("pattern {p}"),
                        false,
                        false,
                        Change::Set { boundary: Value::from(first), random },
                    ));
                } else {
                    let fixed = select(values).prop_map(Value::from).boxed();
                    out.push(site(
                        format!("pattern {p}"),
                        false,
                        false,
                        Change::Set { boundary: Value::from(first), random: fixed },
                    ));
                }
            }
        }
        if !wire.text() {
            string_type_sites(site, out);
        }
    }
}

/// ASCII characters that break typical patterns. A space only ever replaces a middle
/// character: servers that trim values would otherwise see a valid one.
const BREAKERS: [char; 12] = ['!', '#', '*', 'A', 'Z', 'a', '0', '-', '_', '.', ':', ' '];
/// Ways to put a breaker into a string: replace the first/last character, prepend, append,
/// replace the middle character, replace every character, join two copies with it.
const TRANSFORMS: u8 = 7;

fn transform(s: &str, t: u8, c: char) -> Option<String> {
    if c == ' ' && t != 4 && t != 6 {
        return None;
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let out: String = match t {
        0 if n > 0 => std::iter::once(c).chain(chars[1..].iter().copied()).collect(),
        1 if n > 0 => chars[..n - 1].iter().copied().chain(std::iter::once(c)).collect(),
        2 => std::iter::once(c).chain(chars.iter().copied()).collect(),
        3 => chars.iter().copied().chain(std::iter::once(c)).collect(),
        4 if n > 2 => {
            let mut v = chars.clone();
            v[n / 2] = c;
            v.into_iter().collect()
        }
        5 if n > 0 => std::iter::repeat_n(c, n).collect(),
        6 if n > 0 => format!("{s}{c}{s}"),
        _ => return None,
    };
    (out != s).then_some(out)
}

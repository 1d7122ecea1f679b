//! The values a [`Node`] allows: a proptest strategy leaning on the bounds, a deterministic
//! minimal value, this run's name for an identity-like string, and the boundary values.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Just};
use serde_json::{Map, Value, json};

use super::node::{Kind, Node, identity};
use super::wire::{Wire, sendable};

impl Node {
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
}

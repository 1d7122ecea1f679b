//! The values a [`Node`] refuses: every negative [`Site`] of a node and of its children, each
//! breaking one constraint at one place.

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Just};
use serde_json::{Value, json};

use super::node::{Additional, Kind, Node};
use super::site::{Change, Site, Step, WrongFor, string_type_sites, wrong_type};
use super::wire::{Wire, text_of};

/// Most array items it generates for `maxItems` + 1.
const MAX_ITEMS: usize = 128;

impl Node {
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

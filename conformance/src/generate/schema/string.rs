//! String schemas, both ways: the values that satisfy `minLength`, `maxLength`, `pattern` and
//! `format` (from the pattern rewritten for generation, or fixed candidates), and the values
//! that break exactly one of them.

use std::sync::Arc;

use jsonschema::Validator;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::BoxedStrategy;
use serde_json::{Value, json};

use super::pattern;
use super::runner::{fixed_runner, simplest};
use super::site::{Change, Site, string_type_sites};
use super::wire::Wire;

/// A string schema's constraints, compiled once, with what generating from them needs.
pub(crate) struct StrRule {
    pub(super) min: usize,
    pub(super) max: Option<usize>,
    pub(super) pattern: Option<String>,
    pub(super) format: Option<String>,
    /// The rewritten pattern proptest generates from, and a variant with every repetition
    /// capped short (drawn more often: short failing values shrink within the step budget).
    regex: Option<String>,
    short_regex: Option<String>,
    /// The whole string schema (type, lengths, pattern, format).
    pub(super) check: Arc<Validator>,
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

/// A validator for a self-contained schema (no `$ref`s), formats asserted like the spec's.
fn compile(schema: &Value) -> Option<Arc<Validator>> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .ok()
        .map(Arc::new)
}

impl StrRule {
    pub(super) fn new(s: &Value) -> Option<StrRule> {
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

    pub(super) fn positive(&self, wire: Wire) -> Option<BoxedStrategy<String>> {
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

    pub(super) fn minimal(&self, wire: Wire) -> Option<String> {
        let mut c = self.candidates(wire);
        (!c.is_empty()).then(|| c.remove(0))
    }

    pub(super) fn sites(
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

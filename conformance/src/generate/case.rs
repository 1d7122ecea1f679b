//! One generated request before encoding ([`Case`]), and the cases a [`Model`] gives: positive
//! and negative strategies, the deterministic minimal case and its boundary variants, and the
//! guard that holds every case to what it claims.

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Just};
use serde_json::Value;

use super::model::{Body, Model, OpSite, Target};
use super::schema::{Change, Step, Wire, encodable};

/// One generated request, before encoding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Case {
    /// Per parameter; `None` is absent.
    pub params: Vec<Option<Value>>,
    pub body: Option<Value>,
    pub send_body: bool,
    pub unknown_query: bool,
    /// The negative site this case breaks (`None`: a positive case).
    pub site: Option<usize>,
}

impl Model<'_> {
    /// Cases that satisfy every schema: required parameters always, optional ones half the time.
    pub(crate) fn positive(&self) -> Option<BoxedStrategy<Case>> {
        let mut params: Vec<BoxedStrategy<Option<Value>>> = Vec::new();
        for p in &self.params {
            let strategy = match (&p.pinned, p.usable) {
                (Some(v), _) => Just(v.clone()).boxed(),
                (None, true) => p.node.positive(p.wire, &self.fresh)?,
                (None, false) => {
                    params.push(Just(None).boxed());
                    continue;
                }
            };
            params.push(if p.required {
                strategy.prop_map(Some).boxed()
            } else {
                proptest::option::of(strategy).boxed()
            });
        }
        let (send_body, body): (bool, BoxedStrategy<Option<Value>>) = match &self.body {
            None => (false, Just(None).boxed()),
            Some(Body { json: None, .. }) => (true, Just(None).boxed()),
            Some(Body { json: Some((node, _, _)), required, .. }) => {
                match node.positive(Wire::Json, &self.fresh) {
                    Some(s) => (true, s.prop_map(Some).boxed()),
                    None if *required => return None,
                    None => (false, Just(None).boxed()),
                }
            }
        };
        Some(
            (params, body)
                .prop_map(move |(params, body)| Case {
                    params,
                    body,
                    send_body,
                    unknown_query: false,
                    site: None,
                })
                .boxed(),
        )
    }

    /// Cases that break site `i` and nothing else.
    pub(crate) fn negative(&self, i: usize) -> Option<BoxedStrategy<Case>> {
        let base = self.positive()?;
        let fills = self.fills();
        let site = self.sites[i].clone_parts();
        Some(match &self.sites[i].site.change {
            // The broken value first: shrinking simplifies it before the rest of the request.
            Change::Set { random, .. } => (random.clone(), base)
                .prop_map(move |(v, case)| apply(case, i, &site, &fills, Some(v)))
                .boxed(),
            Change::Remove => {
                base.prop_map(move |case| apply(case, i, &site, &fills, None)).boxed()
            }
        })
    }

    /// The deterministic base: required parameters and body at their minimal values.
    pub(crate) fn minimal_case(&self) -> Option<Case> {
        let mut params = Vec::new();
        for p in &self.params {
            params.push(if p.required { Some(p.minimal.clone()?) } else { None });
        }
        let (send_body, body) = match &self.body {
            None => (false, None),
            Some(Body { json: None, .. }) => (true, None),
            Some(Body { json: Some((_, _, minimal)), required, .. }) => match minimal {
                Some(m) => (true, Some(m.clone())),
                None if *required => return None,
                None => (false, None),
            },
        };
        Some(Case { params, body, send_body, unknown_query: false, site: None })
    }

    /// `base` with each parameter in turn at each of its boundary values.
    pub(crate) fn positive_boundaries(&self, base: &Case) -> Vec<Case> {
        let mut out = Vec::new();
        for (i, p) in self.params.iter().enumerate() {
            if !p.usable || p.pinned.is_some() {
                continue;
            }
            for v in p.node.boundaries(p.wire, &self.fresh) {
                let mut c = base.clone();
                c.params[i] = Some(v);
                if c != *base && !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// `base` with site `i` broken by its boundary value.
    pub(crate) fn negative_boundary(&self, base: &Case, i: usize) -> Case {
        let value = match &self.sites[i].site.change {
            Change::Set { boundary, .. } => Some(boundary.clone()),
            Change::Remove => None,
        };
        apply(base.clone(), i, &self.sites[i].clone_parts(), &self.fills(), value)
    }

    fn fills(&self) -> Fills {
        Fills {
            params: self.params.iter().map(|p| p.minimal.clone()).collect(),
            body: self.body.as_ref().and_then(|b| b.json.as_ref()).and_then(|(_, _, m)| m.clone()),
        }
    }

    /// Whether `case` is what it claims: a positive case satisfies every schema; a negative
    /// one breaks its site (as `jsonschema` sees it, unless the site is unchecked) and nothing
    /// else.
    pub(crate) fn guard(&self, case: &Case) -> bool {
        let target = case.site.map(|i| (self.sites[i].target, self.sites[i].site.unchecked));
        for (j, p) in self.params.iter().enumerate() {
            let aimed = matches!(target, Some((Target::Param(k), _)) if k == j);
            match &case.params[j] {
                None if p.required && !aimed => return false,
                None => {}
                Some(v) => {
                    if !encodable(v, p.wire) {
                        return false;
                    }
                    let valid = p.validator.as_ref().is_none_or(|val| val.is_valid(v));
                    match target {
                        Some((_, unchecked)) if aimed && valid && !unchecked => return false,
                        Some(_) if aimed => {}
                        _ if !valid => return false,
                        _ => {}
                    }
                }
            }
        }
        if let Some(body) = &self.body {
            let aimed = matches!(target, Some((Target::Body, _)));
            let missing_on_purpose = matches!(target, Some((Target::NoBody, _)));
            if !case.send_body && body.required && !missing_on_purpose {
                return false;
            }
            if let (Some((_, validator, _)), true) = (&body.json, case.send_body) {
                let Some(value) = &case.body else { return false };
                let valid = validator.is_valid(value);
                match target {
                    Some((_, unchecked)) if aimed && valid && !unchecked => return false,
                    Some(_) if aimed => {}
                    _ if !valid => return false,
                    _ => {}
                }
            }
        }
        true
    }
}

/// Minimal values to start from when a case lacks the parameter or body a site is in.
#[derive(Clone)]
struct Fills {
    params: Vec<Option<Value>>,
    body: Option<Value>,
}

/// What [`apply`] needs of a site (cheap to move into a strategy).
#[derive(Clone)]
struct SiteParts {
    target: Target,
    path: Vec<Step>,
}

impl OpSite {
    fn clone_parts(&self) -> SiteParts {
        SiteParts { target: self.target, path: self.site.path.clone() }
    }
}

impl std::fmt::Debug for SiteParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.target)
    }
}

/// `case` with site `i` broken: `value` put at the site's path, or (`None`) the key removed.
fn apply(mut case: Case, i: usize, site: &SiteParts, fills: &Fills, value: Option<Value>) -> Case {
    case.site = Some(i);
    match site.target {
        Target::Param(j) => {
            case.params[j] = match value {
                None if site.path.is_empty() => None,
                _ => {
                    let root = case.params[j].take().or_else(|| fills.params[j].clone());
                    Some(put(root.unwrap_or(Value::Null), &site.path, value))
                }
            };
        }
        Target::Body => {
            let root = case.body.take().or_else(|| fills.body.clone()).unwrap_or(Value::Null);
            case.body = Some(put(root, &site.path, value));
            case.send_body = true;
        }
        Target::NoBody => {
            case.body = None;
            case.send_body = false;
        }
        Target::UnknownQuery => case.unknown_query = true,
    }
    case
}

/// `root` with `value` at `path` (containers filled in as needed), or the last key removed.
fn put(root: Value, path: &[Step], value: Option<Value>) -> Value {
    let Some((step, rest)) = path.split_first() else {
        return value.unwrap_or(Value::Null);
    };
    match &step.key {
        Some(key) => {
            let mut map = match root {
                Value::Object(m) => m,
                _ => serde_json::Map::new(),
            };
            if rest.is_empty() && value.is_none() {
                map.remove(key);
            } else {
                let child = map.remove(key).unwrap_or_else(|| step.fill.clone());
                map.insert(key.clone(), put(child, rest, value));
            }
            Value::Object(map)
        }
        None => {
            let mut items = match root {
                Value::Array(a) if !a.is_empty() => a,
                _ => vec![step.fill.clone()],
            };
            let first = std::mem::take(&mut items[0]);
            items[0] = put(first, rest, value);
            Value::Array(items)
        }
    }
}

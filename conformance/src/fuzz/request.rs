//! One operation as a generator of requests: its path, query and header parameters and its
//! JSON body as [`Node`]s, the negative sites of all of them, and the encoding of a [`Case`]
//! into a request (percent-encoded path segments, `form` query parameters with `explode`,
//! header text, a JSON body in the operation's media type).

use std::sync::Arc;

use jsonschema::Validator;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Just};
use serde_json::Value;

use super::schema::{Change, Node, Site, Step, Wire, text_of};
use crate::spec::{Operation, Spec};

/// One parameter.
pub(crate) struct Param {
    pub name: String,
    pub wire: Wire,
    pub required: bool,
    explode: bool,
    node: Node,
    validator: Option<Arc<Validator>>,
    /// The value used when the parameter must be present but is not being varied.
    minimal: Option<Value>,
    /// For requests with side effects: this run's name, for path parameters.
    pinned: Option<Value>,
    /// Whether we can generate and send it at all (objects in a query cannot be).
    usable: bool,
    /// The parameter's and its schema's descriptions, for `C110`.
    doc: String,
}

/// The request body.
pub(crate) struct Body {
    pub media: String,
    required: bool,
    /// JSON bodies: schema and validator. Other media types get a fixed payload.
    json: Option<(Node, Arc<Validator>, Option<Value>)>,
}

/// What a negative site breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Param(usize),
    Body,
    /// The required body is left out.
    NoBody,
    /// An undeclared query parameter, where the spec says they are refused.
    UnknownQuery,
}

pub(crate) struct OpSite {
    pub target: Target,
    pub site: Site,
    /// E.g. ``query `limit`: minimum 0`` or ``body `/image_cache_size`: maximum 400``.
    pub label: String,
}

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

/// A request ready for `Session::call_with`.
pub(crate) struct Encoded {
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<(String, Vec<u8>)>,
}

pub(crate) struct Model<'s> {
    pub op: &'s Operation,
    /// GET and HEAD: positive cases are sent too.
    pub safe: bool,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub sites: Vec<OpSite>,
    fresh: Vec<String>,
    /// Why the operation cannot be fuzzed (a required parameter we cannot generate).
    pub skip: Option<String>,
}

const RESERVED_HEADERS: [&str; 6] =
    ["content-type", "content-length", "accept", "authorization", "x-auth-token", "host"];

/// Follows `$ref`s from a JSON pointer: the final pointer and value.
fn follow(doc: &Value, mut pointer: String) -> Option<(String, &Value)> {
    for _ in 0..16 {
        let v = doc.pointer(&pointer)?;
        match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(next) => pointer = next.to_owned(),
            None => return Some((pointer, v)),
        }
    }
    None
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `op`'s path with every path parameter filled in: this run's name where the schema takes one,
/// else the parameter's minimal value; `true` with it when every parameter got this run's name
/// (so the path names nothing that exists).
pub(crate) fn concrete_path(
    spec: &Spec,
    op: &Operation,
    fresh: &[String],
) -> Option<(String, bool)> {
    let model = Model::build(spec, op, fresh);
    let (mut target, mut pinned) = (op.path.clone(), true);
    for p in model.params.iter().filter(|p| p.wire == Wire::Path) {
        let value = match p.node.pin(fresh) {
            Some(v) => v,
            None => {
                pinned = false;
                p.minimal.clone()?
            }
        };
        target = target.replace(&format!("{{{}}}", p.name), &encode(&text_of(&value)));
    }
    (!target.contains('{')).then_some((target, pinned))
}

impl<'s> Model<'s> {
    /// `fresh`: this run's names (only used when the operation has side effects).
    pub(crate) fn build(spec: &'s Spec, op: &'s Operation, fresh: &[String]) -> Model<'s> {
        let doc = spec.document();
        let safe = matches!(op.method.as_str(), "GET" | "HEAD");
        let fresh: Vec<String> = if safe { Vec::new() } else { fresh.to_vec() };
        let mut model = Model {
            op,
            safe,
            params: Vec::new(),
            body: None,
            sites: Vec::new(),
            fresh: fresh.clone(),
            skip: None,
        };
        let item_pointer =
            op.pointer.rsplit_once('/').map(|(p, _)| p.to_owned()).unwrap_or_default();
        let mut entries: Vec<String> = Vec::new();
        for base in [&op.pointer, &item_pointer] {
            let n = doc
                .pointer(&format!("{base}/parameters"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            entries.extend((0..n).map(|i| format!("{base}/parameters/{i}")));
        }
        let mut seen: Vec<(String, String)> = Vec::new();
        for entry in entries {
            let Some((pointer, p)) = follow(doc, entry) else { continue };
            let name = p.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            let location = p.get("in").and_then(Value::as_str).unwrap_or_default().to_owned();
            // Operation-level parameters come first and override path-level ones.
            if seen.contains(&(name.clone(), location.clone())) {
                continue;
            }
            seen.push((name.clone(), location.clone()));
            let required = p.get("required") == Some(&Value::Bool(true)) || location == "path";
            let wire = match location.as_str() {
                "path" => Wire::Path,
                "query" => Wire::Query,
                "header" if !RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) => {
                    Wire::Header
                }
                _ => {
                    if required {
                        model.skip = Some(format!("the required {location} parameter `{name}`"));
                    }
                    continue;
                }
            };
            let explode = p.get("explode").and_then(Value::as_bool).unwrap_or(
                matches!(p.get("style").and_then(Value::as_str), None | Some("form"))
                    && wire == Wire::Query,
            );
            let lenient =
                p.get("description").and_then(Value::as_str).is_some_and(|d| d.contains("Choice:"));
            let schema = p.get("schema").cloned().unwrap_or(Value::Bool(true));
            let node = Node::build(spec, &schema, lenient, 0);
            let validator = spec.validator(&format!("{pointer}/schema")).ok();
            let pinned = (!safe && wire == Wire::Path).then(|| node.pin(&fresh)).flatten();
            let minimal = pinned.clone().or_else(|| node.minimal(wire, &fresh));
            let usable = minimal.as_ref().is_some_and(|v| encodable(v, wire))
                && node.positive(wire, &fresh).is_some();
            if required && !usable {
                model.skip = Some(format!("cannot generate the {location} parameter `{name}`"));
            }
            let doc = [p.get("description"), spec.resolve(&schema).get("description")]
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ");
            model.params.push(Param {
                name,
                wire,
                required,
                explode,
                node,
                validator,
                minimal,
                pinned,
                usable,
                doc,
            });
        }
        if let Some((rb_pointer, rb)) = follow(doc, format!("{}/requestBody", op.pointer)) {
            let required = rb.get("required") == Some(&Value::Bool(true));
            let content = rb.get("content").and_then(Value::as_object);
            // `application/json`, else the last JSON-ish type (vendor types sort by version,
            // e.g. Glance's v2.1 JSON-patch after v2.0), else whatever the operation takes.
            let media = content.and_then(|c| {
                c.keys()
                    .find(|k| *k == "application/json")
                    .or_else(|| c.keys().rfind(|k| k.contains("json")))
                    .or_else(|| c.keys().next())
                    .cloned()
            });
            if let Some(media) = media {
                let schema_pointer = format!("{rb_pointer}/content/{}/schema", escape(&media));
                let json = match (media.contains("json"), doc.pointer(&schema_pointer)) {
                    (true, Some(schema)) => {
                        let node = Node::build(spec, schema, false, 0);
                        let minimal = node.minimal(Wire::Json, &fresh);
                        spec.validator(&schema_pointer).ok().map(|v| (node, v, minimal))
                    }
                    _ => None,
                };
                if media.contains("json")
                    && json.as_ref().is_none_or(|(_, _, m)| m.is_none())
                    && required
                {
                    model.skip = Some(format!("cannot generate a {media} body"));
                }
                model.body = Some(Body { media, required, json });
            }
        }
        model.collect_sites(doc.get("x-unknown-query-parameters") == Some(&Value::from("reject")));
        model
    }

    fn collect_sites(&mut self, reject_unknown_query: bool) {
        let mut out = Vec::new();
        for (i, p) in self.params.iter().enumerate() {
            if !p.usable {
                continue;
            }
            let location = match p.wire {
                Wire::Path => "path",
                Wire::Query => "query",
                Wire::Header => "header",
                Wire::Json => "body",
            };
            let mut sites = Vec::new();
            p.node.sites(p.wire, &[], &self.fresh, &mut sites);
            if p.required && p.wire != Wire::Path {
                sites.push(Site {
                    path: Vec::new(),
                    constraint: "required".into(),
                    lenient: p.node.lenient,
                    unchecked: true,
                    change: Change::Remove,
                });
            }
            for site in sites {
                let label = format!("{location} `{}`: {}", p.name, site.constraint);
                out.push(OpSite { target: Target::Param(i), site, label });
            }
        }
        if let Some(body) = &self.body {
            if let Some((node, _, Some(_))) = &body.json {
                let mut sites = Vec::new();
                node.sites(Wire::Json, &[], &self.fresh, &mut sites);
                for site in sites {
                    // A missing or unknown property is a fault of the object that holds it.
                    let of_parent = matches!(site.change, Change::Remove)
                        || site.constraint.starts_with("additionalProperties");
                    let shown = &site.path
                        [..site.path.len() - usize::from(of_parent && !site.path.is_empty())];
                    let at: String = shown
                        .iter()
                        .map(|s| format!("/{}", s.key.as_deref().unwrap_or("0")))
                        .collect();
                    let at = if at.is_empty() { "/".to_owned() } else { at };
                    let label = format!("body `{at}`: {}", site.constraint);
                    out.push(OpSite { target: Target::Body, site, label });
                }
            }
            if body.required {
                out.push(OpSite {
                    target: Target::NoBody,
                    site: Site {
                        path: Vec::new(),
                        constraint: "required".into(),
                        lenient: false,
                        unchecked: true,
                        change: Change::Remove,
                    },
                    label: "the required request body is missing".into(),
                });
            }
        }
        if reject_unknown_query {
            // The spec says unknown query parameters are refused; where it adds that the real
            // service is unverified, a target that ignores them is only warned about.
            out.push(OpSite {
                target: Target::UnknownQuery,
                site: Site {
                    path: Vec::new(),
                    constraint: "x-unknown-query-parameters: reject".into(),
                    lenient: true,
                    unchecked: true,
                    change: Change::Remove,
                },
                label: "query: an undeclared parameter `imagespec_unknown`".into(),
            });
        }
        self.sites = out;
    }

    /// Why a 4xx answer to the positive `case` is not one the spec documents for that input
    /// (`C110`), or `None` when it is. Documented: 401 and 403 (credentials and policy, not
    /// data), 409 (the target's state), 404 where the path has a parameter (a generated id
    /// names nothing), and any status that a parameter present in the request, the operation's
    /// description, or the status's own response description mentions by number, or whose
    /// response description names a present parameter in backticks.
    pub(crate) fn undocumented_refusal(
        &self,
        spec: &Spec,
        case: &Case,
        status: u16,
    ) -> Option<String> {
        if !(400..500).contains(&status) || matches!(status, 401 | 403 | 409) {
            return None;
        }
        let present: Vec<&Param> = self
            .params
            .iter()
            .zip(&case.params)
            .filter(|(_, v)| v.is_some())
            .map(|(p, _)| p)
            .collect();
        if status == 404 && self.params.iter().any(|p| p.wire == Wire::Path) {
            return None;
        }
        let number = status.to_string();
        let says = |text: &str| text.split(|c: char| !c.is_ascii_digit()).any(|w| w == number);
        if present.iter().any(|p| says(&p.doc)) {
            return None;
        }
        let doc = spec.document();
        let op = doc.pointer(&self.op.pointer);
        let op_text = op.and_then(|o| o.get("description")).and_then(Value::as_str).unwrap_or("");
        let response = op
            .and_then(|o| o.pointer(&format!("/responses/{number}")))
            .or_else(|| op.and_then(|o| o.pointer(&format!("/responses/{}XX", status / 100))))
            .map(|r| spec.resolve(r));
        let response_text =
            response.and_then(|r| r.get("description")).and_then(Value::as_str).unwrap_or("");
        let names_one = present.iter().any(|p| response_text.contains(&format!("`{}`", p.name)));
        if says(op_text) || says(response_text) || names_one {
            return None;
        }
        let sent: Vec<&str> = present.iter().map(|p| p.name.as_str()).collect();
        Some(format!(
            "a request the spec makes valid (parameters: {}) was refused with {status}, which the \
             spec does not document for that input",
            if sent.is_empty() { "none".to_owned() } else { sent.join(", ") }
        ))
    }

    /// Whether random cases would all be the same request.
    pub(crate) fn is_fixed(&self) -> bool {
        self.params.iter().all(|p| !p.usable || p.pinned.is_some())
            && self.body.as_ref().is_none_or(|b| b.json.is_none())
    }

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

    /// The request for `case`.
    pub(crate) fn encode(&self, case: &Case) -> Encoded {
        let mut target = self.op.path.clone();
        let mut query: Vec<String> = Vec::new();
        let mut headers = Vec::new();
        for (p, v) in self.params.iter().zip(&case.params) {
            let Some(v) = v else { continue };
            match p.wire {
                Wire::Path => {
                    target = target.replace(&format!("{{{}}}", p.name), &encode(&text_of(v)));
                }
                Wire::Query => match v {
                    Value::Array(items) if p.explode => {
                        for item in items {
                            query.push(format!("{}={}", encode(&p.name), encode(&text_of(item))));
                        }
                    }
                    Value::Array(items) => {
                        let joined: Vec<String> =
                            items.iter().map(|i| encode(&text_of(i))).collect();
                        query.push(format!("{}={}", encode(&p.name), joined.join(",")));
                    }
                    scalar => {
                        query.push(format!("{}={}", encode(&p.name), encode(&text_of(scalar))))
                    }
                },
                Wire::Header => {
                    let text = match v {
                        Value::Array(items) => {
                            items.iter().map(text_of).collect::<Vec<_>>().join(",")
                        }
                        scalar => text_of(scalar),
                    };
                    headers.push((p.name.clone(), text));
                }
                Wire::Json => {}
            }
        }
        if case.unknown_query {
            query.push("imagespec_unknown=1".into());
        }
        if !query.is_empty() {
            target = format!("{target}?{}", query.join("&"));
        }
        let body = match (&self.body, case.send_body) {
            (Some(b), true) => Some(match (&b.json, &case.body) {
                (Some(_), Some(v)) => (b.media.clone(), serde_json::to_vec(v).unwrap_or_default()),
                _ => (b.media.clone(), b"imagespec fuzz payload".to_vec()),
            }),
            _ => None,
        };
        Encoded { target, headers, body }
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

/// Whether a value can be sent as this kind of parameter.
fn encodable(v: &Value, wire: Wire) -> bool {
    let scalar = |v: &Value| match v {
        Value::String(s) => wire.carries(s),
        Value::Number(_) | Value::Bool(_) => true,
        _ => false,
    };
    match (wire, v) {
        (Wire::Json, _) => true,
        (Wire::Query | Wire::Header, Value::Array(items)) => items.iter().all(scalar),
        (_, v) => scalar(v),
    }
}

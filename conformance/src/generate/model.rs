//! One operation as a model for generating requests: its path, query and header parameters and
//! its JSON body as [`Node`]s, and the negative sites of all of them, labelled for findings.

use std::sync::Arc;

use jsonschema::Validator;
use serde_json::Value;

use super::schema::{Change, Node, Site, Wire, encodable};
use crate::spec::{Operation, Spec};

/// One parameter.
pub(crate) struct Param {
    pub name: String,
    pub wire: Wire,
    pub required: bool,
    pub(super) explode: bool,
    pub(super) node: Node,
    pub(super) validator: Option<Arc<Validator>>,
    /// The value used when the parameter must be present but is not being varied.
    pub(super) minimal: Option<Value>,
    /// For requests with side effects: this run's name, for path parameters.
    pub(super) pinned: Option<Value>,
    /// Whether we can generate and send it at all (objects in a query cannot be).
    pub(super) usable: bool,
    /// The parameter's and its schema's descriptions, for `C110`.
    pub(crate) doc: String,
}

/// The request body.
pub(crate) struct Body {
    pub media: String,
    pub(super) required: bool,
    /// JSON bodies: schema and validator. Other media types get a fixed payload.
    pub(super) json: Option<(Node, Arc<Validator>, Option<Value>)>,
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

/// One negative site of the operation: what it breaks, how, and the label findings give it.
pub(crate) struct OpSite {
    pub target: Target,
    pub site: Site,
    /// E.g. ``query `limit`: minimum 0`` or ``body `/image_cache_size`: maximum 400``.
    pub label: String,
}

/// One operation, ready to generate requests from.
pub(crate) struct Model<'s> {
    pub op: &'s Operation,
    /// GET and HEAD: positive cases are sent too.
    pub safe: bool,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub sites: Vec<OpSite>,
    pub(super) fresh: Vec<String>,
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

    /// Whether random cases would all be the same request.
    pub(crate) fn is_fixed(&self) -> bool {
        self.params.iter().all(|p| !p.usable || p.pinned.is_some())
            && self.body.as_ref().is_none_or(|b| b.json.is_none())
    }
}

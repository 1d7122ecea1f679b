//! A [`Case`] as the request it stands for: percent-encoded path segments, `form` query
//! parameters with `explode`, header text, a JSON body in the operation's media type.

use serde_json::Value;

use super::case::Case;
use super::model::Model;
use super::schema::{Wire, text_of};
use crate::spec::{Operation, Spec};

/// A request ready for `Session::call_with`.
pub(crate) struct Encoded {
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<(String, Vec<u8>)>,
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

impl Model<'_> {
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

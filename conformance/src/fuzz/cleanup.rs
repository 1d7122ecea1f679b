//! After a request with side effects was wrongly accepted: what to delete, and this run's names
//! made unique again for the operation's later requests.

use serde_json::Value;

use crate::generate::identity;

/// Appends `n` to this run's names in identity-like properties of a body.
pub(super) fn renumber(v: &mut Value, n: usize) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                match child {
                    Value::String(s)
                        if identity(k)
                            && (s.to_ascii_lowercase().starts_with("imagespec")
                                || s.starts_with("isfz")) =>
                    {
                        s.push_str(&format!("{n}"));
                    }
                    other => renumber(other, n),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| renumber(i, n)),
        _ => {}
    }
}

/// The id an answer gives the resource it created: `id` at the top or one level down.
pub(super) fn created_id(body: &Value) -> Option<String> {
    let id = |v: &Value| v.get("id").and_then(Value::as_str).map(str::to_owned);
    id(body).or_else(|| body.as_object()?.values().find_map(id))
}

pub(super) fn without_origin(location: &str) -> &str {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => location,
    }
}

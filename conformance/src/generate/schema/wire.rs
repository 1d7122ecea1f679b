//! How a value travels: in a JSON body, or as the text of a path segment, a query parameter or a
//! header, and what each of them can carry unchanged.

use serde_json::Value;

/// Longest text value the tester puts in a path, query or header.
const MAX_TEXT: usize = 2048;
/// Longest string it puts in a JSON body.
const MAX_JSON_STRING: usize = 8192;

/// Where a value is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wire {
    Json,
    Path,
    Query,
    Header,
}

impl Wire {
    pub(super) fn text(self) -> bool {
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

    pub(super) fn max_len(self) -> usize {
        if self.text() { MAX_TEXT } else { MAX_JSON_STRING }
    }
}

/// Whether a value can be sent this way (no `null` or containers as text).
pub(super) fn sendable(v: &Value, wire: Wire) -> bool {
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

/// Whether a value can be sent as this kind of parameter.
pub(crate) fn encodable(v: &Value, wire: Wire) -> bool {
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

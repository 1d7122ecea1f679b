//! A loaded spec: the document as JSON (3.0.x translated to 3.1 first), its operations, and a
//! cache of compiled response validators.

mod dialect;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// A spec could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("the spec is not YAML or JSON: {0}")]
    Parse(String),
    #[error("the spec is not an OpenAPI 3.0 or 3.1 document: {0}")]
    NotOpenApi(String),
    #[error("a schema in the spec does not compile: {0}")]
    Schema(String),
    #[error("the spec uses a construct the tester does not support: {0}")]
    Unsupported(String),
}

/// One operation: where it lives and what it may answer.
#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    /// JSON pointer of the operation in the document.
    pub pointer: String,
}

pub struct Spec {
    doc: Value,
    operations: Vec<Operation>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

impl Spec {
    /// Reads an OpenAPI 3.1 or 3.0.x document (YAML or JSON).
    pub fn from_text(text: &str) -> Result<Self, SpecError> {
        let doc: Value = yaml_serde::from_str(text).map_err(|e| SpecError::Parse(e.to_string()))?;
        let doc = dialect::to_3_1(doc).map_err(SpecError::NotOpenApi)?;
        if let Some(r) = external_ref(&doc) {
            return Err(SpecError::Unsupported(format!(
                "`$ref: {r}` points outside the document; bundle it into one file first"
            )));
        }
        serde_json::from_value::<utoipa::openapi::OpenApi>(doc.clone())
            .map_err(|e| SpecError::NotOpenApi(e.to_string()))?;
        let mut operations = Vec::new();
        for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let pointer =
                        format!("/paths/{}/{method}", path.replace('~', "~0").replace('/', "~1"));
                    let id = op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    operations.push(Operation {
                        id,
                        method: method.to_uppercase(),
                        path: path.clone(),
                        pointer,
                    });
                }
            }
        }
        Ok(Self { doc, operations, validators: Mutex::new(HashMap::new()) })
    }

    pub fn document(&self) -> &Value {
        &self.doc
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation a request for `method` and `path` (no query) addresses.
    pub fn find(&self, method: &str, path: &str) -> Option<&Operation> {
        let path = path.split('?').next().unwrap_or(path);
        let fits = |op: &&Operation| template_matches(&op.path, path);
        let custom = self.operations.iter().filter(fits).any(|op| is_custom_method(&op.path));
        self.operations.iter().filter(fits).find(|op| {
            op.method.eq_ignore_ascii_case(method) && (!custom || is_custom_method(&op.path))
        })
    }

    /// Follows local `$ref`s.
    pub fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(p) => self.doc.pointer(p).map_or(value, |v| self.resolve(v)),
            None => value,
        }
    }

    /// A compiled validator for a schema found at `pointer` (built once, then cached).
    pub(crate) fn validator(&self, pointer: &str) -> Result<Arc<jsonschema::Validator>, SpecError> {
        let mut cache = self.validators.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = cache.get(pointer) {
            return Ok(v.clone());
        }
        let schema = self
            .doc
            .pointer(pointer)
            .ok_or_else(|| SpecError::Schema(format!("nothing at {pointer}")))?;
        // The schema becomes a document of its own with the spec's components beside it, so
        // local `$ref`s (`#/components/schemas/X`) resolve without a registry.
        let mut root = match schema {
            Value::Object(m) => m.clone(),
            other => {
                [("allOf".to_owned(), Value::Array(vec![other.clone()]))].into_iter().collect()
            }
        };
        if let Some(c) = self.doc.get("components") {
            root.insert("components".into(), c.clone());
        }
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .map_err(|e| SpecError::Schema(format!("{pointer}: {e}")))?;
        let validator = Arc::new(validator);
        cache.insert(pointer.to_owned(), validator.clone());
        Ok(validator)
    }
}

/// The first `$ref` that is not local to the document (`#/...`).
fn external_ref(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref")
                && !r.starts_with('#')
            {
                return Some(r.clone());
            }
            m.values().find_map(external_ref)
        }
        Value::Array(a) => a.iter().find_map(external_ref),
        _ => None,
    }
}

fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| segment_matches(t, p))
}

/// `{x}` matches any non-empty segment; `{x}:verb` (a custom method, as Snowflake's
/// `{name}:set-tags`) one that ends in `:verb` after a non-empty name; anything else itself.
fn segment_matches(template: &str, segment: &str) -> bool {
    match template.strip_prefix('{').and_then(|t| t.split_once('}')) {
        Some((_, "")) => !segment.is_empty(),
        Some((_, verb)) => segment.strip_suffix(verb).is_some_and(|name| !name.is_empty()),
        None => template == segment,
    }
}

/// Whether a template ends in a custom method (`.../{name}:verb`): the more specific reading
/// of a path that also fits `.../{name}`.
fn is_custom_method(template: &str) -> bool {
    template.rsplit('/').next().is_some_and(|last| last.starts_with('{') && !last.ends_with('}'))
}

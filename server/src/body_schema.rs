//! JSON request bodies checked against the spec's request schema before poem-openapi parses
//! them. poem-openapi reads a JSON number or boolean into a `String` field; the contract says
//! such a body is malformed, so this guard refuses it (400) with the schema's reason.

use std::sync::Arc;

use poem::{Body, Endpoint, Middleware, Request, error::ResponseError, http::StatusCode};
use serde_json::Value;

use crate::contract::template_matches;

/// A body that breaks the operation's request schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the request body does not match the schema: {message}")]
pub struct BodyMismatch {
    pub message: String,
    /// The JSON pointer of the offending value (`""` for the whole body).
    pub at: String,
    /// Whether a required property is missing.
    pub missing: bool,
}

impl ResponseError for BodyMismatch {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

/// Every JSON request body schema of one spec, by method and path template.
pub struct BodySchemas {
    operations: Vec<(String, String, jsonschema::Validator)>,
}

impl BodySchemas {
    /// Compiles the `application/json` request schemas of a spec (YAML text). A schema that does
    /// not compile is a spec bug: the lint tests prove every one does.
    pub fn from_spec(text: &str) -> Self {
        let doc: Value = yaml_serde::from_str(text).unwrap_or(Value::Null);
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let body = resolve(&doc, &op["requestBody"]);
                let Some(schema) = body.pointer("/content/application~1json/schema") else {
                    continue;
                };
                let mut root = match schema {
                    Value::Object(m) => m.clone(),
                    other => [("allOf".to_owned(), Value::Array(vec![other.clone()]))]
                        .into_iter()
                        .collect(),
                };
                if let Some(c) = doc.get("components") {
                    root.insert("components".into(), c.clone());
                }
                if let Ok(v) = jsonschema::draft202012::options().build(&Value::Object(root)) {
                    operations.push((method.to_ascii_uppercase(), path.clone(), v));
                }
            }
        }
        Self { operations }
    }

    /// Why `body` breaks the schema of the operation at `method path`, if it does.
    pub fn check(&self, method: &str, path: &str, body: &Value) -> Result<(), BodyMismatch> {
        let Some((_, _, v)) = self
            .operations
            .iter()
            .find(|(m, t, _)| m.eq_ignore_ascii_case(method) && template_matches(t, path))
        else {
            return Ok(());
        };
        match v.iter_errors(body).next() {
            None => Ok(()),
            Some(e) => Err(BodyMismatch {
                message: format!("{e} (at `{}`)", e.instance_path()),
                at: e.instance_path().to_string(),
                missing: matches!(
                    e.kind(),
                    jsonschema::error::ValidationErrorKind::Required { .. }
                ),
            }),
        }
    }
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).map_or(v, |t| resolve(doc, t)),
        None => v,
    }
}

/// Checks JSON bodies (read whole; put a size limit in front of it) against the schemas.
pub struct JsonBodyGuard(pub Arc<BodySchemas>);

impl<E: Endpoint> Middleware<E> for JsonBodyGuard {
    type Output = JsonBodyGuardEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        JsonBodyGuardEndpoint { inner, schemas: self.0.clone() }
    }
}

pub struct JsonBodyGuardEndpoint<E> {
    inner: E,
    schemas: Arc<BodySchemas>,
}

impl<E: Endpoint> Endpoint for JsonBodyGuardEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<E::Output> {
        let json = req
            .headers()
            .get(poem::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.split(';').next().is_some_and(|m| m.trim().ends_with("json")));
        if json {
            let bytes = req.take_body().into_bytes().await?;
            // Malformed JSON is left to the route, which reports it in its own words.
            if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
                self.schemas.check(req.method().as_str(), req.uri().path(), &value)?;
            }
            req.set_body(Body::from(bytes));
        }
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cce_bodies_must_match_their_schema() {
        let schemas = BodySchemas::from_spec(crate::docs::spec_text("cce"));
        let good = json!({"name": "a", "images": ["busybox"], "building_config": {"cluster": "c"}});
        assert_eq!(schemas.check("POST", "/v5/imagecaches", &good), Ok(()));
        for bad in [
            json!({"name": "a", "images": ["busybox"], "building_config": {"cluster": 1}}),
            json!({"name": false, "images": ["busybox"], "building_config": {"cluster": "c"}}),
            json!({"name": "a", "images": [1], "building_config": {"cluster": "c"}}),
        ] {
            assert!(schemas.check("POST", "/v5/imagecaches", &bad).is_err(), "{bad}");
        }
        assert_eq!(schemas.check("GET", "/v5/imagecaches", &json!(1)), Ok(()), "no body schema");
    }
}

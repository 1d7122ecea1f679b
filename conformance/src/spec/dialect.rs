//! The one place that bridges OpenAPI 3.0.x and 3.1: a 3.0 document is rewritten so its schemas
//! are JSON Schema 2020-12 (as Snowflake's own published specs are 3.0.0).
//!
//! Rewrites: `nullable: true` → a `null` branch in `type` (and `null` in an `enum`);
//! boolean `exclusiveMinimum`/`exclusiveMaximum` → numeric bounds; `example` → `examples`;
//! siblings of `$ref` dropped as 3.0 ignores them. Then `openapi` becomes `3.1.0`.

use serde_json::{Map, Value, json};

/// The document as 3.1, or why its `openapi` version cannot be read as 3.0 or 3.1.
pub fn to_3_1(mut doc: Value) -> Result<Value, String> {
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or_default().to_owned();
    if version.starts_with("3.1.") {
        return Ok(doc);
    }
    if !version.starts_with("3.0.") {
        return Err(format!("unsupported openapi version `{version}`"));
    }
    rewrite(&mut doc, false);
    doc["openapi"] = json!("3.1.0");
    Ok(doc)
}

/// Walks every value; `in_schema` says whether `v` is a schema object.
fn rewrite(v: &mut Value, in_schema: bool) {
    match v {
        Value::Object(map) => {
            if in_schema {
                schema(map);
            }
            for (key, child) in map.iter_mut() {
                let child_is_schema =
                    in_schema && SCHEMA_CHILDREN.contains(&key.as_str()) || key == "schema";
                match key.as_str() {
                    "properties" | "patternProperties" | "$defs" | "definitions" | "schemas"
                        if in_schema || key == "schemas" =>
                    {
                        if let Value::Object(m) = child {
                            m.values_mut().for_each(|s| rewrite(s, true));
                        }
                    }
                    "allOf" | "anyOf" | "oneOf" | "prefixItems" if in_schema => {
                        if let Value::Array(a) = child {
                            a.iter_mut().for_each(|s| rewrite(s, true));
                        }
                    }
                    _ => rewrite(child, child_is_schema),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite(x, false)),
        _ => {}
    }
}

const SCHEMA_CHILDREN: [&str; 5] =
    ["items", "additionalProperties", "not", "contains", "propertyNames"];

fn schema(map: &mut Map<String, Value>) {
    if map.contains_key("$ref") {
        map.retain(|k, _| k == "$ref");
        return;
    }
    if map.remove("nullable") == Some(Value::Bool(true)) {
        match map.get_mut("type") {
            Some(Value::String(t)) => {
                let t = t.clone();
                map.insert("type".into(), json!([t, "null"]));
            }
            Some(Value::Array(a)) if !a.contains(&json!("null")) => a.push(json!("null")),
            _ => {}
        }
        if let Some(Value::Array(values)) = map.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
    }
    for (flag, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(Value::Bool(b)) = map.get(flag).cloned() {
            map.remove(flag);
            if b && let Some(n) = map.remove(bound) {
                map.insert(flag.into(), n);
            }
        }
    }
    if let Some(example) = map.remove("example") {
        map.insert("examples".into(), json!([example]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_and_exclusive_bounds_become_2020_12() {
        let doc = json!({
            "openapi": "3.0.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"A": {"type": "object", "properties": {
                "n": {"type": "string", "nullable": true, "enum": ["x"]},
                "m": {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "example": 3},
                "r": {"$ref": "#/components/schemas/B", "description": "dropped"}
            }}}}
        });
        let out = to_3_1(doc).expect("translates");
        let props = &out["components"]["schemas"]["A"]["properties"];
        assert_eq!(props["n"], json!({"type": ["string", "null"], "enum": ["x", null]}));
        assert_eq!(props["m"], json!({"type": "integer", "exclusiveMinimum": 0, "examples": [3]}));
        assert_eq!(props["r"], json!({"$ref": "#/components/schemas/B"}));
        assert_eq!(out["openapi"], "3.1.0");
    }

    #[test]
    fn other_versions_are_refused() {
        assert!(to_3_1(json!({"swagger": "2.0"})).is_err());
    }
}

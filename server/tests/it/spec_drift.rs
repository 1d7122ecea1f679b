//! The contract the running server exposes (poem-openapi's emitted document) against the
//! hand-written spec, compared as a normalised summary so the two cannot drift.
//!
//! Compared: operations (method, path, operationId), parameters (name, location, required) with
//! their constraints, request media types, response statuses with media types and headers, and
//! every component schema's properties, required set and constraints.
//!
//! Not compared, by design (the allowlist):
//! - `openapi` version and `info`: poem-openapi emits 3.0.0 (poem#914); ours are 3.1.0.
//! - security: authentication is middleware in front of the routes, so poem-openapi never sees it.
//! - headers named in the spec's `x-middleware-headers` (e.g. `X-Request-Id`): middleware adds them
//!   to every response.
//! - descriptions, titles, examples, `charset` parameters on media types, `explode`/`style`
//!   metadata: presentation, not contract.
//! - components poem-openapi adds for inline enums; a hand-written component missing from the
//!   emitted document is still a difference.
//! - `text/*` renderings declared next to `application/json` (Glance's content-negotiated error
//!   bodies): middleware renders them from the JSON form, so poem-openapi only knows the JSON one.
//! - `required` on array query parameters: poem-openapi marks every `Vec` parameter required
//!   although it accepts the parameter's absence (an empty list), which the tests exercise.
//! - `null` inside an `enum`: nullability is compared through `required` (poem-openapi expresses
//!   it with `Option`, not with an enum member).
//! - custom-method paths: `{name}:verb` in the spec is routed as `{name}/__verb` (poem's router
//!   cannot match a literal after a parameter within a segment); the served path is read back
//!   in the spec's form.
//! - an `allOf` around a `$ref`: poem-openapi's way of attaching a description or a default to a
//!   reference to a generated enum; the referenced schema is compared.

use std::collections::BTreeSet;

use imagespec_server::store::{State, Store, SystemClock};
use serde_json::Value;

type Summary = BTreeSet<String>;

fn handwritten(family: &str) -> Value {
    let path = crate::support::root().join("specs").join(format!("{family}.yaml"));
    let text = std::fs::read_to_string(&path).expect("the spec is readable");
    yaml_serde::from_str(&text).expect("the spec is YAML")
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => resolve(doc, doc.pointer(pointer).expect("refs resolve")),
        None => v,
    }
}

fn media(mt: &str) -> &str {
    mt.split(';').next().unwrap_or(mt).trim()
}

/// The constraint keywords that carry contract meaning, for arrays taken from their items.
fn constraints(doc: &Value, schema: &Value) -> String {
    let referenced = schema
        .get("allOf")
        .and_then(Value::as_array)
        .and_then(|all| all.iter().find(|s| s.get("$ref").is_some()));
    let schema = referenced.unwrap_or(schema);
    let schema = resolve(doc, schema);
    let element = schema.get("items").map_or(schema, |i| resolve(doc, i));
    let mut out = Vec::new();
    for (s, keys) in [
        (element, &["pattern", "minLength", "maxLength", "minimum", "maximum", "enum"][..]),
        (schema, &["minItems", "maxItems"][..]),
    ] {
        for key in keys {
            if let Some(v) = s.get(*key) {
                let v = match v {
                    Value::Number(n) => n.as_f64().map_or(v.to_string(), |f| f.to_string()),
                    Value::Array(values) if *key == "enum" => {
                        Value::Array(values.iter().filter(|v| !v.is_null()).cloned().collect())
                            .to_string()
                    }
                    other => other.to_string(),
                };
                out.push(format!("{key}={v}"));
            }
        }
    }
    out.join(",")
}

fn summarise(doc: &Value, middleware_headers: &[String]) -> Summary {
    let mut s = Summary::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        // Custom methods are routed as `{name}/__verb` (poem cannot match `{name}:verb`).
        let path = path.replace("}/__", "}:");
        for (method, op) in item.as_object().expect("path item") {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else { continue };
            let at = format!("{} {path} ({id})", method.to_uppercase());
            s.insert(at.to_string());
            for p in op.get("parameters").and_then(Value::as_array).into_iter().flatten() {
                let p = resolve(doc, p);
                let array =
                    resolve(doc, &p["schema"]).get("type").and_then(Value::as_str) == Some("array");
                let required =
                    !array && p.get("required").and_then(Value::as_bool).unwrap_or(false);
                s.insert(format!(
                    "{at} param {} in {} required={required} [{}]",
                    p["name"].as_str().unwrap_or_default(),
                    p["in"].as_str().unwrap_or_default(),
                    constraints(doc, &p["schema"])
                ));
            }
            if let Some(rb) = op.get("requestBody") {
                for mt in resolve(doc, rb)["content"].as_object().expect("content").keys() {
                    s.insert(format!("{at} body {}", media(mt)));
                }
            }
            for (status, resp) in op["responses"].as_object().expect("responses") {
                let resp = resolve(doc, resp);
                let mut mts: Vec<&str> = resp
                    .get("content")
                    .and_then(Value::as_object)
                    .map(|c| c.keys().map(|k| media(k)).collect())
                    .unwrap_or_default();
                if mts.contains(&"application/json") {
                    mts.retain(|m| !m.starts_with("text/"));
                }
                s.insert(format!("{at} {status} {}", mts.join(",")));
                for name in resp
                    .get("headers")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|h| h.keys())
                {
                    if !middleware_headers.contains(&name.to_ascii_lowercase()) {
                        s.insert(format!("{at} {status} header {}", name.to_ascii_lowercase()));
                    }
                }
            }
        }
    }
    let schemas =
        doc.pointer("/components/schemas").and_then(Value::as_object).cloned().unwrap_or_default();
    for (name, schema) in &schemas {
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if let Some(values) = schema.get("enum") {
            s.insert(format!("schema {name} enum {values}"));
        }
        for (prop, ps) in schema.get("properties").and_then(Value::as_object).into_iter().flatten()
        {
            let nullable = ps
                .get("type")
                .and_then(Value::as_array)
                .is_some_and(|t| t.iter().any(|t| t == "null"));
            let req = required.contains(prop.as_str()) && !nullable;
            s.insert(format!("schema {name}.{prop} required={req} [{}]", constraints(doc, ps)));
        }
    }
    s
}

fn check(family: &str, emitted: &str) {
    let mine = handwritten(family);
    let middleware: Vec<String> = mine["x-middleware-headers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h.as_str().map(str::to_ascii_lowercase))
        .collect();
    let served: Value = serde_json::from_str(emitted).expect("poem-openapi emits JSON");
    let (expected, actual) = (summarise(&mine, &middleware), summarise(&served, &middleware));
    let served_schemas = served
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let extra_inline_enum = |line: &String| {
        line.strip_prefix("schema ").and_then(|l| l.split([' ', '.']).next()).is_some_and(|name| {
            mine.pointer(&format!("/components/schemas/{name}")).is_none()
                && served_schemas.get(name).is_some_and(|s| s.get("enum").is_some())
        })
    };
    let missing: Vec<&String> = expected.difference(&actual).collect();
    let unexpected: Vec<&String> =
        actual.difference(&expected).filter(|l| !extra_inline_enum(l)).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "the server's contract drifted from specs/{family}.yaml.\nIn the spec but not served:\n  {}\nServed but not in the spec:\n  {}\n\
         Run `cargo codegen` after changing the spec; if the handwritten layer is right, fix the spec.",
        missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  "),
        unexpected.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn cce_serves_exactly_the_handwritten_contract() {
    let store = Store::new(State::default(), std::sync::Arc::new(SystemClock)).expect("temp dir");
    check("cce", &imagespec_server::cce::service(store).spec());
}

#[test]
fn glance_serves_exactly_the_handwritten_contract() {
    let store = Store::new(State::default(), std::sync::Arc::new(SystemClock)).expect("temp dir");
    check("glance", &imagespec_server::glance::service(store).spec());
}

#[test]
fn swr_serves_exactly_the_handwritten_contract() {
    let store = Store::new(State::default(), std::sync::Arc::new(SystemClock)).expect("temp dir");
    check("swr", &imagespec_server::swr::service(store, "cn-north-4").spec());
}

#[test]
fn snowflake_serves_exactly_the_handwritten_contract() {
    let store = Store::new(State::default(), std::sync::Arc::new(SystemClock)).expect("temp dir");
    check("snowflake", &imagespec_server::snowflake::service(store).spec());
}

//! Spec lint: the official OpenAPI 3.1 meta-schema, JSON Schema 2020-12 for every component,
//! utoipa's typed model, and our own rules (specs/README.md). Findings are data; each message
//! names the place and links to the rule.

use std::collections::{BTreeSet, HashSet};

use anyhow::{Result, bail};
use serde_json::Value;

use crate::util::{FAMILIES, load_spec, resolve, schema_ref_name, spec_path};

const META_SCHEMA: &str = include_str!("../../specs/meta/openapi-3.1.schema.json");
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/// Lints every spec; fails listing every finding.
pub fn run() -> Result<()> {
    let mut findings = Vec::new();
    for family in FAMILIES {
        if spec_path(family).exists() {
            let doc = load_spec(family)?;
            findings.extend(lint(&doc).into_iter().map(|f| format!("specs/{family}.yaml: {f}")));
        }
    }
    if findings.is_empty() {
        return Ok(());
    }
    bail!("{} finding(s):\n{}", findings.len(), findings.join("\n"))
}

/// Every finding for one document.
pub fn lint(doc: &Value) -> Vec<String> {
    let mut out = meta_schema(doc);
    if let Err(e) = serde_json::from_value::<utoipa::openapi::OpenApi>(doc.clone()) {
        out.push(format!(
            "utoipa's OpenAPI 3.1 model rejects {}: {e} (specs/README.md#r1)",
            utoipa_culprit(doc)
        ));
    }
    if doc.get("openapi").and_then(Value::as_str) != Some("3.1.0") {
        out.push("`openapi` must be 3.1.0 (specs/README.md#r1)".into());
    }
    for key in ["title", "version", "description"] {
        if doc.pointer(&format!("/info/{key}")).and_then(Value::as_str).is_none_or(str::is_empty) {
            out.push(format!("info.{key} is missing (specs/README.md#r1)"));
        }
    }
    let envelopes: Vec<&str> = doc
        .get("x-error-schemas")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if envelopes.is_empty() {
        out.push("`x-error-schemas` must name the family's error envelope schema(s) (specs/README.md#r3)".into());
    }
    for name in &envelopes {
        if doc.pointer(&format!("/components/schemas/{name}")).is_none() {
            out.push(format!("x-error-schemas names {name}, which is not in components.schemas (specs/README.md#r3)"));
        }
    }
    if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, schema) in schemas {
            if let Err(e) = jsonschema::draft202012::meta::validate(schema) {
                out.push(format!("components.schemas.{name} is not valid JSON Schema 2020-12: {e} (specs/README.md#r6)"));
            }
        }
    }
    let mut ids = HashSet::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let at = format!("{} {path}", method.to_uppercase());
                out.extend(
                    operation(doc, path, item, op, &envelopes, &mut ids)
                        .into_iter()
                        .map(|f| format!("{at}: {f}")),
                );
            }
        }
    }
    out
}

/// Narrows utoipa's "did not match any variant" down to the component or path it refused.
fn utoipa_culprit(doc: &Value) -> String {
    use utoipa::openapi::{RefOr, path::PathItem, schema::Schema};
    for (name, schema) in
        doc.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten()
    {
        if serde_json::from_value::<RefOr<Schema>>(schema.clone()).is_err() {
            for (prop, ps) in
                schema.get("properties").and_then(Value::as_object).into_iter().flatten()
            {
                if serde_json::from_value::<RefOr<Schema>>(ps.clone()).is_err() {
                    return format!("components.schemas.{name}.properties.{prop}");
                }
            }
            return format!("components.schemas.{name}");
        }
    }
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        if serde_json::from_value::<PathItem>(item.clone()).is_err() {
            return format!("paths.{path}");
        }
    }
    "the document".into()
}

fn meta_schema(doc: &Value) -> Vec<String> {
    let meta: Value = match serde_json::from_str(META_SCHEMA) {
        Ok(m) => m,
        Err(e) => return vec![format!("the bundled meta-schema is unreadable: {e}")],
    };
    let validator = match jsonschema::draft202012::options().build(&meta) {
        Ok(v) => v,
        Err(e) => return vec![format!("the bundled meta-schema does not compile: {e}")],
    };
    validator
        .iter_errors(doc)
        .map(|e| {
            format!("at `{}`: {e} (OpenAPI 3.1 meta-schema; specs/README.md#r1)", e.instance_path())
        })
        .collect()
}

fn operation(
    doc: &Value,
    path: &str,
    item: &Value,
    op: &Value,
    envelopes: &[&str],
    ids: &mut HashSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    match op.get("operationId").and_then(Value::as_str) {
        None => out.push("operationId is missing (specs/README.md#r2)".into()),
        Some(id) => {
            let snake = !id.is_empty()
                && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && id.starts_with(|c: char| c.is_ascii_lowercase());
            if !snake {
                out.push(format!("operationId `{id}` must be snake_case (specs/README.md#r2)"));
            }
            if !ids.insert(id.to_owned()) {
                out.push(format!("operationId `{id}` is used twice (specs/README.md#r2)"));
            }
        }
    }
    for key in ["summary", "description"] {
        if op.get(key).and_then(Value::as_str).is_none_or(str::is_empty) {
            out.push(format!("{key} is missing (specs/README.md#r2)"));
        }
    }
    if op.get("tags").and_then(Value::as_array).is_none_or(Vec::is_empty) {
        out.push("tags is missing (specs/README.md#r2)".into());
    }
    let params: Vec<&Value> = item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten())
        .map(|p| resolve(doc, p).unwrap_or(p))
        .collect();
    let in_template: BTreeSet<&str> = path
        .split('/')
        // `{name}` or a custom method segment `{name}:verb`.
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.split_once('}')).map(|(n, _)| n))
        .collect();
    let declared: BTreeSet<&str> = params
        .iter()
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("path"))
        .filter_map(|p| p.get("name").and_then(Value::as_str))
        .collect();
    for name in in_template.difference(&declared) {
        out.push(format!(
            "path parameter `{name}` is not declared `in: path` (specs/README.md#r4)"
        ));
    }
    for name in declared.difference(&in_template) {
        out.push(format!(
            "path parameter `{name}` is not in the path template (specs/README.md#r4)"
        ));
    }
    for p in params.iter().filter(|p| p.get("in").and_then(Value::as_str) == Some("path")) {
        if p.get("required").and_then(Value::as_bool) != Some(true) {
            out.push(format!(
                "path parameter `{}` must be required (specs/README.md#r4)",
                p["name"]
            ));
        }
    }
    for p in &params {
        if p.get("explode").and_then(Value::as_bool) == Some(false) {
            out.push(format!("parameter `{}` uses explode: false, which poem-openapi cannot parse safely (specs/README.md#r7)", p["name"]));
        }
    }
    let responses = op.get("responses").and_then(Value::as_object).cloned().unwrap_or_default();
    let has_input = !params.is_empty() || op.get("requestBody").is_some();
    if has_input && !responses.contains_key("400") {
        out.push("takes parameters or a body but declares no 400 (specs/README.md#r8)".into());
    }
    let secured = op
        .get("security")
        .or_else(|| doc.get("security"))
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    if secured && !responses.contains_key("401") {
        out.push("has security but declares no 401 (specs/README.md#r8)".into());
    }
    let mut has_example = false;
    for (status, resp) in &responses {
        let resp = resolve(doc, resp).unwrap_or(resp);
        let content = resp.get("content").and_then(Value::as_object);
        if content
            .into_iter()
            .flatten()
            .any(|(_, m)| m.get("example").is_some() || m.get("examples").is_some())
        {
            has_example = true;
        }
        if status.starts_with('4') || status.starts_with('5') {
            let schema =
                content.and_then(|c| c.get("application/json")).and_then(|m| m.get("schema"));
            let name = schema.and_then(schema_ref_name);
            if !name.is_some_and(|n| envelopes.contains(&n)) {
                out.push(format!(
                    "response {status} does not use the error envelope; give it application/json with a $ref to one of [{}] (specs/README.md#r3)",
                    envelopes.join(", ")
                ));
            }
        }
    }
    if !has_example {
        out.push("no response carries an example (specs/README.md#r5)".into());
    }
    out
}

/// The diagnostics for a test document, one per line, for snapshot comparison.
#[cfg(test)]
fn lint_file(rel: &str) -> String {
    let text =
        std::fs::read_to_string(crate::util::project_root().join(rel)).expect("test data exists");
    let doc: Value = yaml_serde::from_str(&text).expect("test data is YAML");
    lint(&doc).join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_passes_lint() {
        if let Err(e) = run() {
            panic!("{e:#}");
        }
    }

    #[test]
    fn a_bad_spec_gets_every_diagnostic() {
        let actual = lint_file("xtask/test_data/lint/bad.yaml");
        let expected_path = crate::util::project_root().join("xtask/test_data/lint/bad.out");
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&expected_path, &actual).expect("writable");
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        assert_eq!(
            actual, expected,
            "lint output changed; rerun with UPDATE_EXPECT=1 if the change is intended"
        );
    }
}

/// Glance serves `specs/glance/schemas/*.json` at `/v2/schemas/*`; they must describe the same
/// properties (names, types, enums, additionalProperties) as the spec's components.
#[cfg(test)]
fn served_schema_differences(doc: &Value, file: &Value, component: &str) -> Vec<String> {
    let Some(comp) = doc.pointer(&format!("/components/schemas/{component}")) else {
        return vec![format!("components.schemas.{component} is missing")];
    };
    let props =
        |s: &Value| s.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let (fp, cp) = (props(file), props(comp));
    let mut out = Vec::new();
    let types = |s: &Value| {
        let mut t: Vec<String> = match s.get("type") {
            Some(Value::String(x)) => vec![x.clone()],
            Some(Value::Array(a)) => {
                a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()
            }
            _ => Vec::new(),
        };
        t.sort();
        t
    };
    for (name, f) in &fp {
        match cp.get(name) {
            None => out.push(format!("{component}.{name} is served but not in the spec")),
            Some(c) => {
                let c = resolve(doc, c).unwrap_or(c);
                if c.get("$ref").is_none() && types(f) != types(c) {
                    out.push(format!(
                        "{component}.{name}: served type {:?}, spec type {:?}",
                        types(f),
                        types(c)
                    ));
                }
                if f.get("enum") != c.get("enum") && c.get("$ref").is_none() {
                    out.push(format!("{component}.{name}: enums differ"));
                }
            }
        }
    }
    out.extend(
        cp.keys()
            .filter(|k| !fp.contains_key(*k))
            .map(|k| format!("{component}.{k} is in the spec but not served")),
    );
    if file.get("additionalProperties") != comp.get("additionalProperties") {
        out.push(format!("{component}: additionalProperties differ"));
    }
    out
}

#[cfg(test)]
mod glance_schemas {
    use super::*;

    #[test]
    fn served_schemas_agree_with_the_spec() {
        let doc = load_spec("glance").expect("the glance spec loads");
        let dir = crate::util::project_root().join("specs/glance/schemas");
        let read = |name: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(dir.join(name)).expect("schema file"))
                .expect("JSON")
        };
        let mut out = Vec::new();
        out.extend(served_schema_differences(&doc, &read("image.json"), "Image"));
        out.extend(served_schema_differences(&doc, &read("member.json"), "Member"));
        out.extend(served_schema_differences(&doc, &read("images.json"), "ImageList"));
        out.extend(served_schema_differences(&doc, &read("members.json"), "MemberList"));
        assert!(
            out.is_empty(),
            "specs/glance/schemas/ and specs/glance.yaml disagree:\n{}",
            out.join("\n")
        );
    }
}

//! The spec, reduced to what the generator needs: named types, operations, parameters, responses.
//!
//! Anything outside the supported subset (specs/README.md#r6) is an error naming the place, so a
//! spec never generates code that silently means something else.

use anyhow::{Context, Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_json::Value;

use crate::util::{resolve, schema_ref_name};

/// One family's spec, ready for generation.
pub struct Api {
    pub family: String,
    pub types: Vec<NamedType>,
    pub operations: Vec<Operation>,
    pub reject_unknown_query: bool,
}

pub struct NamedType {
    pub name: String,
    pub description: Option<String>,
    pub kind: TypeKind,
}

pub enum TypeKind {
    Object { fields: Vec<Field>, deny_unknown: bool, extra: Option<Ty> },
    Enum { values: Vec<String> },
}

pub struct Field {
    pub wire: String,
    pub rust: String,
    pub ty: Ty,
    pub required: bool,
    pub nullable: bool,
    pub default: Option<Value>,
    pub validators: Validators,
    pub description: Option<String>,
}

/// A value type: scalars, named components, containers.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    String,
    Int32,
    Int64,
    Number,
    Bool,
    Any,
    Binary,
    Named(String),
    Array(Box<Ty>),
    Map(Box<Ty>),
}

#[derive(Default, Clone)]
pub struct Validators {
    pub pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.pattern.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
    }
}

pub struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub responses: Vec<Response>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    Path,
    Query,
    Header,
}

pub struct Param {
    pub wire: String,
    pub rust: String,
    pub description: Option<String>,
    pub location: ParamIn,
    pub required: bool,
    pub ty: Ty,
    pub default: Option<Value>,
    pub validators: Validators,
}

pub struct Body {
    pub required: bool,
    /// (media type, type) in spec order.
    pub media: Vec<(String, Ty)>,
}

pub struct Response {
    pub status: u16,
    pub description: String,
    pub media: Option<(String, Ty)>,
    pub headers: Vec<(String, bool)>,
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Builds the IR of `doc`, the spec of `family`.
pub fn build(family: &str, doc: &Value) -> Result<Api> {
    let mut types = Vec::new();
    if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, schema) in schemas {
            let ty = named_type(name, schema, &mut types)
                .with_context(|| format!("components.schemas.{name}"))?;
            types.push(ty);
        }
    }
    let middleware_headers: Vec<String> = doc
        .get("x-middleware-headers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|h| h.as_str().map(str::to_ascii_lowercase)).collect())
        .unwrap_or_default();
    let mut operations = Vec::new();
    let paths = doc.get("paths").and_then(Value::as_object).context("the spec has no paths")?;
    for (path, item) in paths {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let built = operation(doc, path, method, item, op, &middleware_headers, &mut types)
                    .with_context(|| format!("{} {path}", method.to_uppercase()))?;
                operations.push(built);
            }
        }
    }
    let reject_unknown_query =
        doc.get("x-unknown-query-parameters").and_then(Value::as_str) == Some("reject");
    Ok(Api { family: family.to_owned(), types, operations, reject_unknown_query })
}

fn named_type(name: &str, schema: &Value, extra: &mut Vec<NamedType>) -> Result<NamedType> {
    let description = text(schema, "description");
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Ok(NamedType { name: name.to_owned(), description, kind: enum_kind(values)? });
    }
    if type_names(schema).first().map(String::as_str) != Some("object") {
        bail!("a component schema must be an object or a string enum");
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields = Vec::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (wire, prop) in props {
            let (ty, nullable) =
                value_type(&format!("{name}{}", wire.to_upper_camel_case()), prop, extra)
                    .with_context(|| format!("property {wire}"))?;
            fields.push(Field {
                wire: wire.clone(),
                rust: rust_ident(wire),
                ty,
                required: required.contains(&wire.as_str()),
                nullable,
                default: prop.get("default").cloned(),
                validators: validators(prop),
                description: text(prop, "description"),
            });
        }
    }
    let (deny_unknown, extra_ty) = match schema.get("additionalProperties") {
        Some(Value::Bool(false)) => (true, None),
        None => (false, None),
        Some(Value::Bool(true)) => (false, Some(Ty::Any)),
        Some(ap) => (false, Some(value_type(name, ap, extra)?.0)),
    };
    Ok(NamedType {
        name: name.to_owned(),
        description,
        kind: TypeKind::Object { fields, deny_unknown, extra: extra_ty },
    })
}

fn enum_kind(values: &[Value]) -> Result<TypeKind> {
    let values = values
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| v.as_str().map(str::to_owned).context("only string enums are supported"))
        .collect::<Result<Vec<_>>>()?;
    Ok(TypeKind::Enum { values })
}

/// The type of a property or parameter schema; inline enums become named types called `hint`.
fn value_type(hint: &str, schema: &Value, extra: &mut Vec<NamedType>) -> Result<(Ty, bool)> {
    if let Some(name) = schema_ref_name(schema) {
        return Ok((Ty::Named(name.to_owned()), false));
    }
    let types = type_names(schema);
    let nullable = types.iter().any(|t| t == "null");
    let main = types.iter().find(|t| *t != "null").map(String::as_str);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        if !extra.iter().any(|t| t.name == hint) {
            extra.push(NamedType {
                name: hint.to_owned(),
                description: text(schema, "description"),
                kind: enum_kind(values)?,
            });
        }
        return Ok((Ty::Named(hint.to_owned()), nullable));
    }
    let concrete = types.iter().filter(|t| *t != "null").count();
    let ty = match main {
        None => Ty::Any,
        Some(_) if concrete > 1 => Ty::Any,
        Some("string") if schema.get("format").and_then(Value::as_str) == Some("binary") => {
            Ty::Binary
        }
        Some("string") => Ty::String,
        Some("integer") if schema.get("format").and_then(Value::as_str) == Some("int32") => {
            Ty::Int32
        }
        Some("integer") => Ty::Int64,
        Some("number") => Ty::Number,
        Some("boolean") => Ty::Bool,
        Some("array") => {
            let items = schema.get("items").context("an array needs items")?;
            Ty::Array(Box::new(value_type(&format!("{hint}Item"), items, extra)?.0))
        }
        Some("object") => {
            if schema.get("properties").is_some() {
                bail!(
                    "inline object schemas are not supported; name it in components.schemas (specs/README.md#r6)"
                );
            }
            match schema.get("additionalProperties") {
                Some(Value::Bool(true)) | None => Ty::Map(Box::new(Ty::Any)),
                Some(ap) => Ty::Map(Box::new(value_type(hint, ap, extra)?.0)),
            }
        }
        Some(other) => bail!("unsupported type {other}"),
    };
    Ok((ty, nullable))
}

fn operation(
    doc: &Value,
    path: &str,
    method: &str,
    item: &Value,
    op: &Value,
    middleware_headers: &[String],
    extra: &mut Vec<NamedType>,
) -> Result<Operation> {
    let id =
        op.get("operationId").and_then(Value::as_str).context("operationId is missing")?.to_owned();
    let hint = id.to_upper_camel_case();
    let mut params = Vec::new();
    let declared = item.get("parameters").and_then(Value::as_array).into_iter().flatten();
    for p in declared.chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten()) {
        let p = resolve(doc, p)?;
        let wire = p.get("name").and_then(Value::as_str).context("a parameter has no name")?;
        let location = match p.get("in").and_then(Value::as_str) {
            Some("path") => ParamIn::Path,
            Some("query") => ParamIn::Query,
            Some("header") => ParamIn::Header,
            other => bail!("parameter {wire}: unsupported location {other:?}"),
        };
        let schema = p.get("schema").context("a parameter needs a schema")?;
        let (ty, _) = value_type(&format!("{hint}{}", wire.to_upper_camel_case()), schema, extra)?;
        params.push(Param {
            wire: wire.to_owned(),
            rust: rust_ident(wire),
            description: text(p, "description"),
            location,
            required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
            ty,
            default: schema.get("default").cloned(),
            validators: validators(schema),
        });
    }
    let body = match op.get("requestBody") {
        None => None,
        Some(rb) => {
            let rb = resolve(doc, rb)?;
            let mut media = Vec::new();
            for (mt, content) in
                rb.get("content").and_then(Value::as_object).context("requestBody needs content")?
            {
                let schema = content.get("schema").context("request media types need a schema")?;
                media.push((mt.clone(), value_type(&format!("{hint}Body"), schema, extra)?.0));
            }
            Some(Body {
                required: rb.get("required").and_then(Value::as_bool).unwrap_or(false),
                media,
            })
        }
    };
    let mut responses = Vec::new();
    for (status, resp) in
        op.get("responses").and_then(Value::as_object).context("responses are missing")?
    {
        let status: u16 =
            status.parse().with_context(|| format!("status {status} must be a number"))?;
        let resp = resolve(doc, resp)?;
        let media = match resp.get("content").and_then(Value::as_object) {
            None => None,
            Some(c) if c.len() == 1 || alternatives_of_json(c) => {
                let (mt, content) = c
                    .iter()
                    .find(|(mt, _)| c.len() == 1 || mt.as_str() == "application/json")
                    .context("content")?;
                let schema = content.get("schema").context("response media types need a schema")?;
                Some((mt.clone(), value_type(&format!("{hint}Response{status}"), schema, extra)?.0))
            }
            Some(_) => bail!(
                "response {status}: one media type per response is supported, or \
                 application/json with text/plain and text/html renderings of it"
            ),
        };
        let headers = resp
            .get("headers")
            .and_then(Value::as_object)
            .map(|h| {
                h.iter()
                    .filter(|(name, _)| !middleware_headers.contains(&name.to_ascii_lowercase()))
                    .map(|(name, header)| {
                        let header = resolve(doc, header)?;
                        Ok((
                            name.clone(),
                            header.get("required").and_then(Value::as_bool).unwrap_or(false),
                        ))
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?
            .unwrap_or_default();
        responses.push(Response {
            status,
            description: text(resp, "description").unwrap_or_default(),
            media,
            headers,
        });
    }
    Ok(Operation {
        id,
        method: method.to_owned(),
        path: path.to_owned(),
        summary: text(op, "summary"),
        description: text(op, "description"),
        params,
        body,
        responses,
    })
}

/// `application/json` plus only `text/*` alternatives: the JSON form is generated, the text
/// renderings are made by the family's middleware (Glance's content-negotiated errors).
fn alternatives_of_json(content: &serde_json::Map<String, Value>) -> bool {
    content.contains_key("application/json")
        && content.keys().all(|mt| mt == "application/json" || mt.starts_with("text/"))
}

/// poem-openapi applies element rules to each item of a container, so an array's item rules
/// (pattern, lengths, bounds) and its own (item counts) become one validator list.
fn validators(schema: &Value) -> Validators {
    let element = match schema.get("items") {
        Some(items) if type_names(schema).iter().any(|t| t == "array") => items,
        _ => schema,
    };
    let n = |s: &Value, k: &str| s.get(k).and_then(Value::as_u64);
    let f = |k: &str| element.get(k).and_then(Value::as_f64);
    Validators {
        pattern: text(element, "pattern"),
        min_length: n(element, "minLength"),
        max_length: n(element, "maxLength"),
        minimum: f("minimum"),
        maximum: f("maximum"),
        min_items: n(schema, "minItems"),
        max_items: n(schema, "maxItems"),
    }
}

fn type_names(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(|s| s.trim_end().to_owned())
}

/// A Rust identifier for a wire name: snake case, with keywords suffixed by `_`.
pub fn rust_ident(wire: &str) -> String {
    let snake = wire.trim_start_matches(['$', '@', '_']).to_snake_case();
    let snake = if snake.is_empty() { "value".to_owned() } else { snake };
    let snake =
        if snake.starts_with(|c: char| c.is_ascii_digit()) { format!("n{snake}") } else { snake };
    match snake.as_str() {
        "type" | "self" | "ref" | "match" | "in" | "fn" | "mod" | "use" | "impl" | "loop"
        | "move" | "static" | "struct" | "enum" | "trait" | "where" | "async" | "await" | "box"
        | "crate" | "super" | "let" | "const" | "dyn" | "else" | "if" | "for" | "while"
        | "return" | "override" | "final" | "abstract" | "virtual" | "yield" | "macro" | "priv"
        | "pub" | "unsafe" | "extern" | "true" | "false" | "as" | "break" | "continue" | "gen"
        | "try" | "typeof" | "unsized" | "do" | "become" => format!("{snake}_"),
        _ => snake,
    }
}

//! Response validation: status declared, media type declared, body valid against the schema.

use serde_json::Value;

use crate::spec::{Operation, Spec, SpecError};

/// One deviation from the contract, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `C101` undeclared status, `C102` undeclared media type, `C103` body is not JSON,
    /// `C104` body breaks the schema, `C105` required header missing.
    pub code: &'static str,
    pub message: String,
}

/// Checks one response of `op`. `content_type` is the response's header (if any).
pub fn validate_response(
    spec: &Spec,
    op: &Operation,
    status: u16,
    content_type: Option<&str>,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Result<Vec<Violation>, SpecError> {
    let responses =
        spec.document().pointer(&format!("{}/responses", op.pointer)).cloned().unwrap_or_default();
    let code = status.to_string();
    let wildcard = format!("{}XX", status / 100);
    let Some((key, response)) = [code.as_str(), wildcard.as_str(), "default"]
        .into_iter()
        .find_map(|k| responses.get(k).map(|r| (k.to_owned(), r.clone())))
    else {
        return Ok(vec![Violation {
            code: "C101",
            message: format!(
                "{} {} answered {status}, which the operation does not declare",
                op.method, op.path
            ),
        }]);
    };
    let response = spec.resolve(&response).clone();
    let mut out = Vec::new();
    for (name, h) in response.get("headers").and_then(Value::as_object).into_iter().flatten() {
        let h = spec.resolve(h);
        if h.get("required").and_then(Value::as_bool) == Some(true)
            && header(&name.to_ascii_lowercase()).is_none()
        {
            out.push(Violation {
                code: "C105",
                message: format!("required header {name} is missing"),
            });
        }
    }
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Ok(out);
    };
    let media = content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase());
    let Some(media) = media.filter(|m| content.contains_key(m)) else {
        out.push(Violation {
            code: "C102",
            message: format!(
                "content type {content_type:?} is not one of {:?} declared for {status}",
                content.keys().collect::<Vec<_>>()
            ),
        });
        return Ok(out);
    };
    if !media.contains("json") || content[&media].get("schema").is_none() {
        return Ok(out);
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            out.push(Violation { code: "C103", message: format!("the body is not JSON: {e}") });
            return Ok(out);
        }
    };
    let pointer = format!(
        "{}/responses/{key}{}/content/{}/schema",
        op.pointer,
        "",
        media.replace('~', "~0").replace('/', "~1")
    );
    let pointer = if spec.document().pointer(&pointer).is_some() {
        pointer
    } else {
        resolved_pointer(&responses, &key, &media)?
    };
    let validator = spec.validator(&pointer)?;
    for e in validator.iter_errors(&value) {
        out.push(Violation {
            code: "C104",
            message: format!("at `{}`: {e} (schema path {})", e.instance_path(), e.schema_path()),
        });
    }
    Ok(out)
}

/// The pointer of a response schema reached through `components/responses`.
fn resolved_pointer(responses: &Value, key: &str, media: &str) -> Result<String, SpecError> {
    let target = responses
        .get(key)
        .and_then(|r| r.get("$ref"))
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .ok_or_else(|| SpecError::Schema(format!("no schema for response {key}")))?;
    Ok(format!("{target}/content/{}/schema", media.replace('~', "~0").replace('/', "~1")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cce() -> Spec {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/cce.yaml");
        Spec::from_text(&std::fs::read_to_string(path).expect("spec")).expect("loads")
    }

    fn codes(
        spec: &Spec,
        method: &str,
        path: &str,
        status: u16,
        ct: Option<&str>,
        body: &str,
    ) -> Vec<&'static str> {
        let op = spec.find(method, path).expect("operation");
        let header = |_: &str| None;
        validate_response(spec, op, status, ct, &header, body.as_bytes())
            .expect("validates")
            .into_iter()
            .map(|v| v.code)
            .fold(Vec::new(), |mut seen, c| {
                if !seen.contains(&c) {
                    seen.push(c);
                }
                seen
            })
    }

    const CACHE: &str = r#"{"name":"a","id":"1","created_at":"t","images":[],"image_cache_size":20,
        "retention_days":0,"building_config":{"cluster":"c"},"status":"Available"}"#;

    #[test]
    fn a_conforming_response_has_no_violations() {
        let spec = cce();
        let body = format!(r#"{{"image_cache":{CACHE}}}"#);
        assert_eq!(
            codes(
                &spec,
                "GET",
                "/v5/imagecaches/1",
                200,
                Some("application/json; charset=utf-8"),
                &body
            ),
            [""; 0]
        );
        let err = r#"{"errorCode":"CCE.01404001","errorMessage":"Resource not found."}"#;
        assert_eq!(
            codes(&spec, "GET", "/v5/imagecaches/1", 404, Some("application/json"), err),
            [""; 0]
        );
        let gw = r#"{"error_code":"APIGW.0301","error_msg":"no","request_id":"r"}"#;
        assert_eq!(
            codes(&spec, "GET", "/v5/imagecaches", 401, Some("application/json"), gw),
            [""; 0]
        );
    }

    #[test]
    fn each_kind_of_deviation_has_its_code() {
        let spec = cce();
        let bad_status =
            format!(r#"{{"image_caches":[{}]}}"#, CACHE.replace("Available", "Expired"));
        let op = spec.find("GET", "/v5/imagecaches").expect("op");
        let v = validate_response(
            &spec,
            op,
            200,
            Some("application/json"),
            &|_| None,
            bad_status.as_bytes(),
        )
        .expect("ok");
        assert_eq!(v.len(), 1, "{v:#?}");
        assert_eq!(
            codes(&spec, "GET", "/v5/imagecaches", 200, Some("application/json"), "{}"),
            ["C104"]
        );
        assert_eq!(
            codes(&spec, "GET", "/v5/imagecaches", 418, Some("application/json"), "{}"),
            ["C101"]
        );
        assert_eq!(codes(&spec, "GET", "/v5/imagecaches", 200, Some("text/plain"), "{}"), ["C102"]);
        assert_eq!(
            codes(&spec, "GET", "/v5/imagecaches", 200, Some("application/json"), "{"),
            ["C103"]
        );
        let wrong_envelope = r#"{"message":"not found"}"#;
        assert_eq!(
            codes(&spec, "GET", "/v5/imagecaches/1", 404, Some("application/json"), wrong_envelope),
            ["C104"]
        );
    }
}

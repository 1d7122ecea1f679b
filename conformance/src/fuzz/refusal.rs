//! `C110`'s rule: which refusals of a valid request the spec documents for that input.

use serde_json::Value;

use crate::generate::{Case, Model, Param, Wire};
use crate::spec::Spec;

/// Why a 4xx answer to the positive `case` of `model` is not one the spec documents for that
/// input (`C110`), or `None` when it is. Documented: 401 and 403 (credentials and policy, not
/// data), 409 (the target's state), 404 where the path has a parameter (a generated id names
/// nothing), and any status that a parameter present in the request, the operation's
/// description, or the status's own response description mentions by number, or whose response
/// description names a present parameter in backticks.
pub(super) fn undocumented(
    model: &Model<'_>,
    spec: &Spec,
    case: &Case,
    status: u16,
) -> Option<String> {
    if !(400..500).contains(&status) || matches!(status, 401 | 403 | 409) {
        return None;
    }
    let present: Vec<&Param> = model
        .params
        .iter()
        .zip(&case.params)
        .filter(|(_, v)| v.is_some())
        .map(|(p, _)| p)
        .collect();
    if status == 404 && model.params.iter().any(|p| p.wire == Wire::Path) {
        return None;
    }
    let number = status.to_string();
    let says = |text: &str| text.split(|c: char| !c.is_ascii_digit()).any(|w| w == number);
    if present.iter().any(|p| says(&p.doc)) {
        return None;
    }
    let doc = spec.document();
    let op = doc.pointer(&model.op.pointer);
    let op_text = op.and_then(|o| o.get("description")).and_then(Value::as_str).unwrap_or("");
    let response = op
        .and_then(|o| o.pointer(&format!("/responses/{number}")))
        .or_else(|| op.and_then(|o| o.pointer(&format!("/responses/{}XX", status / 100))))
        .map(|r| spec.resolve(r));
    let response_text =
        response.and_then(|r| r.get("description")).and_then(Value::as_str).unwrap_or("");
    let names_one = present.iter().any(|p| response_text.contains(&format!("`{}`", p.name)));
    if says(op_text) || says(response_text) || names_one {
        return None;
    }
    let sent: Vec<&str> = present.iter().map(|p| p.name.as_str()).collect();
    Some(format!(
        "a request the spec makes valid (parameters: {}) was refused with {status}, which the \
         spec does not document for that input",
        if sent.is_empty() { "none".to_owned() } else { sent.join(", ") }
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::undocumented;
    use crate::family::Family;
    use crate::generate::Model;
    use crate::names::fresh_names;
    use crate::spec::Spec;

    fn model<'s>(spec: &'s Spec, method: &str, path: &str) -> Model<'s> {
        let op = spec.find(method, path).expect("operation");
        Model::build(spec, op, &fresh_names("imagespec-7"))
    }

    #[test]
    fn refusals_of_valid_requests_are_judged_by_what_the_spec_documents() {
        let spec = Spec::from_text(Family::Cce.builtin_spec()).expect("the built-in spec loads");
        let show = model(&spec, "GET", "/v5/imagecaches/x");
        let base = show.minimal_case().expect("a minimal case");
        assert_eq!(undocumented(&show, &spec, &base, 404), None, "an absent id is a 404");
        let list = model(&spec, "GET", "/v5/imagecaches");
        let mut named = list.minimal_case().expect("a minimal case");
        let at = list.params.iter().position(|p| p.name == "name").expect("a name parameter");
        named.params[at] = Some(json!("abc"));
        for status in [401, 403, 409] {
            assert_eq!(undocumented(&list, &spec, &named, status), None, "{status}");
        }
        for status in [400, 404] {
            let why = undocumented(&list, &spec, &named, status);
            assert!(
                why.as_ref().is_some_and(|w| w.contains("parameters: name")),
                "{status}: {why:?}"
            );
        }
        assert_eq!(undocumented(&list, &spec, &named, 200), None);
    }
}

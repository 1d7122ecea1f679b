//! `C110`'s rule: which refusals of a valid request the spec documents for that input.

use serde_json::Value;

use super::case::Case;
use super::model::{Model, Param};
use super::schema::Wire;
use crate::spec::Spec;

impl Model<'_> {
    /// Why a 4xx answer to the positive `case` is not one the spec documents for that input
    /// (`C110`), or `None` when it is. Documented: 401 and 403 (credentials and policy, not
    /// data), 409 (the target's state), 404 where the path has a parameter (a generated id
    /// names nothing), and any status that a parameter present in the request, the operation's
    /// description, or the status's own response description mentions by number, or whose
    /// response description names a present parameter in backticks.
    pub(crate) fn undocumented_refusal(
        &self,
        spec: &Spec,
        case: &Case,
        status: u16,
    ) -> Option<String> {
        if !(400..500).contains(&status) || matches!(status, 401 | 403 | 409) {
            return None;
        }
        let present: Vec<&Param> = self
            .params
            .iter()
            .zip(&case.params)
            .filter(|(_, v)| v.is_some())
            .map(|(p, _)| p)
            .collect();
        if status == 404 && self.params.iter().any(|p| p.wire == Wire::Path) {
            return None;
        }
        let number = status.to_string();
        let says = |text: &str| text.split(|c: char| !c.is_ascii_digit()).any(|w| w == number);
        if present.iter().any(|p| says(&p.doc)) {
            return None;
        }
        let doc = spec.document();
        let op = doc.pointer(&self.op.pointer);
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
}

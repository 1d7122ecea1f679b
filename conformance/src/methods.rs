//! `C108`, undeclared methods: every path of the spec is sent the methods the spec does not
//! declare for it, and must refuse them the way the spec says.
//!
//! **What the spec says** is read from the spec itself, never from knowledge of a server. A
//! sentence of `info.description` about methods a path does not list (or unknown methods) that
//! names a 4xx status gives the expected answer: Glance's "answered 405 with an `Allow` header
//! naming the methods it does list", SWR's "unknown paths and methods answer 404 `APIGW.0101`"
//! (a backticked error code in the sentence must then appear in the body). Failing that, a 405
//! response that the path's operations declare (Snowflake's `MethodNotAllowed`) means 405, with
//! `Allow` required when that response declares the header. A spec that says neither (CCE) is
//! ambiguous: 404 and 405 both pass, another 4xx is a warning.
//!
//! **Verdicts.** A 5xx, or a 2xx/3xx (the method was accepted), is a violation; so is another
//! status than a stated 405, or an `Allow` header missing or not listing exactly the declared
//! methods where the spec says it carries them. Lenient (a warning): an expectation stated after
//! the spec's word "choice" (the spec's list of behaviour choices: the real service is
//! unverified there), a 401 (credentials are judged before methods by many stacks), a 2xx to
//! `OPTIONS` (HTTP stacks and CORS layers answer it themselves) or to `HEAD` where `GET` is
//! declared (RFC 9110 makes it GET without a body) unless the spec states the answer, an
//! `Allow` the spec does not promise, and a 2xx/3xx from a path whose every operation is a GET
//! needing no credentials (a public document such as Glance's version list, which real Glance
//! answers for any method).
//!
//! **No side effects.** `GET`, `HEAD` and `OPTIONS` are sent to every path. `POST`, `PUT`,
//! `PATCH` and `DELETE` are sent without a body, and only where nothing real can be addressed:
//! paths whose every path parameter carries this run's name (`imagespec-<seed>-<nonce>-fz`, a
//! resource that does not exist), or paths where the spec declares no mutating method at all.
//! A collection such as `/v5/imagecaches` (declared GET and POST) is never sent an undeclared
//! `DELETE`, `PUT` or `PATCH`.

use serde_json::Value;

use crate::exchange::{HttpRequest, HttpResponse};
use crate::generate::concrete_path;
use crate::names::fresh_names;
use crate::session::Session;
use crate::spec::Spec;

/// The check's id.
const CHECK: &str = "C108";

/// The methods tried on every path (TRACE is left out: proxies answer it on their own).
const METHODS: [&str; 7] = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];

/// How the spec says an undeclared method is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// 405, with an `Allow` header when `allow`. `choice`: stated among the spec's choices.
    MethodNotAllowed { allow: bool, choice: bool },
    /// Another status (e.g. 404), with an error code in the body if the spec names one.
    Status { status: u16, code: Option<String>, choice: bool },
    /// The spec does not say.
    Unstated,
}

/// Sends every path its undeclared methods; findings go to `session`. `names` is the run's
/// resource prefix. Returns the transport's error if the target stopped answering.
pub fn phase(session: &Session<'_>, names: &str) -> Result<(), String> {
    let spec = session.spec;
    let fresh = fresh_names(names);
    let stated = stated(spec);
    for (path, declared) in paths(spec) {
        let Some(op) = spec.operations().iter().find(|o| o.path == path) else { continue };
        let Some((target, pinned)) = concrete_path(spec, op, &fresh) else { continue };
        let expected = stated.clone().unwrap_or_else(|| structural(spec, &path));
        let open = open_document(spec, &path);
        let mutable = declared.iter().any(|m| !matches!(m.as_str(), "GET" | "HEAD"));
        let has_params = path.contains('{');
        for method in METHODS {
            if declared.iter().any(|m| m == method) || spec.find(method, &target).is_some() {
                continue;
            }
            let safe = matches!(method, "GET" | "HEAD" | "OPTIONS");
            if !safe && mutable && !(has_params && pinned) {
                continue;
            }
            let Some((req, resp)) = session.call_with(method, &target, &[], None) else {
                return Err(session
                    .unreachable()
                    .unwrap_or_else(|| format!("{method} {target}: no answer")));
            };
            for (warning, message) in judge(&expected, &declared, &req, &resp) {
                // An open read-only document (Glance's version discovery) accepting another
                // method changes nothing; real services often answer it for any method.
                let warning = warning || (open && resp.status < 400);
                if warning {
                    session.lenient(CHECK, false, &req, || message);
                } else {
                    session.expect(CHECK, false, &req, || message);
                }
            }
            session.expect(CHECK, true, &req, String::new);
        }
    }
    Ok(())
}

/// The spec's paths, each with its declared methods, in document order.
fn paths(spec: &Spec) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for op in spec.operations() {
        match out.iter_mut().find(|(p, _)| *p == op.path) {
            Some((_, methods)) => methods.push(op.method.clone()),
            None => out.push((op.path.clone(), vec![op.method.clone()])),
        }
    }
    out
}

/// Whether every operation of `path` is a GET or HEAD that needs no credentials (no security
/// requirement, or an empty one): a public document such as a version list.
fn open_document(spec: &Spec, path: &str) -> bool {
    let doc = spec.document();
    spec.operations().iter().filter(|o| o.path == path).all(|op| {
        let security = doc
            .pointer(&format!("{}/security", op.pointer))
            .or_else(|| doc.get("security"))
            .and_then(Value::as_array);
        matches!(op.method.as_str(), "GET" | "HEAD")
            && security.is_none_or(|s| {
                s.is_empty() || s.iter().any(|r| r.as_object().is_some_and(|m| m.is_empty()))
            })
    })
}

/// What `info.description` says about undeclared methods, if it says anything.
pub fn stated(spec: &Spec) -> Option<Expected> {
    let text = spec.document().pointer("/info/description")?.as_str()?;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut before = 0;
    for sentence in text.split_inclusive(';').flat_map(|s| s.split_inclusive(". ")) {
        let start = before;
        before += sentence.len();
        let lower = sentence.to_ascii_lowercase();
        let about_methods = lower.contains("method")
            && ["not list", "unknown", "undeclared", "not declare", "not allowed"]
                .iter()
                .any(|w| lower.contains(w));
        let Some(status) = statuses(sentence).into_iter().next() else { continue };
        if !about_methods {
            continue;
        }
        let choice = text[..start].to_ascii_lowercase().contains("choice");
        if status == 405 {
            return Some(Expected::MethodNotAllowed { allow: lower.contains("allow`"), choice });
        }
        return Some(Expected::Status { status, code: code_in(sentence), choice });
    }
    None
}

/// A 405 the path's operations declare, if any.
fn structural(spec: &Spec, path: &str) -> Expected {
    for op in spec.operations().iter().filter(|o| o.path == path) {
        let pointer = format!("{}/responses/405", op.pointer);
        let Some(response) = spec.document().pointer(&pointer) else { continue };
        let response = spec.resolve(response);
        let allow = response
            .get("headers")
            .and_then(Value::as_object)
            .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("allow")));
        return Expected::MethodNotAllowed { allow, choice: false };
    }
    Expected::Unstated
}

/// The 4xx statuses a sentence names.
fn statuses(sentence: &str) -> Vec<u16> {
    sentence
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 3)
        .filter_map(|w| w.parse().ok())
        .filter(|s| (400..500).contains(s))
        .collect()
}

/// A backticked error code such as `APIGW.0101` in a sentence.
fn code_in(sentence: &str) -> Option<String> {
    sentence
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|w| w.contains('.') && w.chars().any(|c| c.is_ascii_digit()) && !w.contains(' '))
        .map(str::to_owned)
}

/// The findings for one answer: `(warning, message)` each.
fn judge(
    expected: &Expected,
    declared: &[String],
    req: &HttpRequest,
    resp: &HttpResponse,
) -> Vec<(bool, String)> {
    let status = resp.status;
    let what =
        format!("{} is not declared for this path (declared: {})", req.method, declared.join(", "));
    if status >= 500 {
        return vec![(false, format!("{what}, and it was answered {status}, a server error"))];
    }
    let stated = !matches!(expected, Expected::Unstated);
    if status < 400 {
        let lenient = req.method == "OPTIONS"
            || (req.method == "HEAD" && declared.iter().any(|m| m == "GET") && !stated);
        return vec![(lenient, format!("{what}, but it was accepted ({status})"))];
    }
    if status == 401 {
        return vec![(true, format!("{what}; it was answered 401, so its method was not judged"))];
    }
    match expected {
        Expected::MethodNotAllowed { allow, choice } => {
            if status != 405 {
                return vec![(
                    *choice,
                    format!("{what}; the spec says 405, the answer was {status}"),
                )];
            }
            allow_header(declared, resp, !allow || *choice).into_iter().collect()
        }
        Expected::Status { status: want, code, choice } => {
            if status != *want {
                return vec![(
                    *choice,
                    format!("{what}; the spec says {want}, the answer was {status}"),
                )];
            }
            match code {
                // A HEAD answer has no body (RFC 9110 §9.3.2), so only its status can be judged.
                Some(code) if req.method != "HEAD" && !mentions(&resp.json(), code) => vec![(
                    *choice,
                    format!("{what}; the spec says {want} `{code}`, the body is {}", resp.json()),
                )],
                _ => Vec::new(),
            }
        }
        Expected::Unstated if status == 404 => Vec::new(),
        Expected::Unstated if status == 405 => {
            allow_header(declared, resp, true).into_iter().collect()
        }
        Expected::Unstated => vec![(
            true,
            format!(
                "{what}; the spec does not say how, and the answer was {status}, neither 404 nor 405"
            ),
        )],
    }
}

/// A 405's `Allow` must list exactly the declared methods (RFC 9110 requires the header).
fn allow_header(declared: &[String], resp: &HttpResponse, lenient: bool) -> Option<(bool, String)> {
    let Some(allow) = resp.header("allow") else {
        return Some((lenient, "a 405 without an `Allow` header".to_owned()));
    };
    let mut listed: Vec<String> =
        allow.split(',').map(|m| m.trim().to_ascii_uppercase()).filter(|m| !m.is_empty()).collect();
    let mut want: Vec<String> = declared.to_vec();
    listed.sort();
    listed.dedup();
    want.sort();
    (listed != want).then(|| {
        (lenient, format!("a 405 with `Allow: {allow}`, but the path declares {}", want.join(", ")))
    })
}

/// Whether any string in `body` is `code`.
fn mentions(body: &Value, code: &str) -> bool {
    match body {
        Value::String(s) => s == code,
        Value::Array(items) => items.iter().any(|v| mentions(v, code)),
        Value::Object(map) => map.values().any(|v| mentions(v, code)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::Family;

    fn spec(family: Family) -> Spec {
        Spec::from_text(family.builtin_spec()).expect("the spec loads")
    }

    #[test]
    fn only_public_read_only_paths_are_open_documents() {
        let glance = spec(Family::Glance);
        assert!(open_document(&glance, "/") && open_document(&glance, "/versions"));
        assert!(!open_document(&glance, "/v2/schemas/image"), "it needs credentials");
        assert!(!open_document(&glance, "/v2/images"));
    }

    #[test]
    fn each_spec_says_what_it_says() {
        assert_eq!(
            stated(&spec(Family::Glance)),
            Some(Expected::MethodNotAllowed { allow: true, choice: false })
        );
        assert_eq!(
            stated(&spec(Family::Swr)),
            Some(Expected::Status { status: 404, code: Some("APIGW.0101".into()), choice: true })
        );
        assert_eq!(stated(&spec(Family::Cce)), None);
        assert_eq!(structural(&spec(Family::Cce), "/v5/imagecaches"), Expected::Unstated);
        assert_eq!(stated(&spec(Family::Snowflake)), None);
        assert_eq!(
            structural(&spec(Family::Snowflake), "/api/v2/databases"),
            Expected::MethodNotAllowed { allow: false, choice: false }
        );
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        let headers = headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        HttpResponse { status, headers, body: body.as_bytes().to_vec() }
    }

    fn request(method: &str) -> HttpRequest {
        HttpRequest { method: method.into(), target: "/p".into(), headers: vec![], body: vec![] }
    }

    /// `(warning, ..)` of each finding, or an empty list when the answer passes.
    fn verdict(expected: &Expected, method: &str, resp: &HttpResponse) -> Vec<bool> {
        let declared = ["GET".to_owned(), "POST".to_owned()];
        judge(expected, &declared, &request(method), resp).into_iter().map(|(w, _)| w).collect()
    }

    #[test]
    fn answers_are_judged_by_what_the_spec_says() {
        let glance = Expected::MethodNotAllowed { allow: true, choice: false };
        let swr = Expected::Status { status: 404, code: Some("APIGW.0101".into()), choice: true };
        let allow = [("allow", "POST, GET")];
        let gateway = r#"{"error_code":"APIGW.0101","error_msg":"no"}"#;
        let cases: [(&Expected, &str, HttpResponse, &[bool]); 16] = [
            (&glance, "PUT", answer(405, &allow, ""), &[]),
            (&glance, "PUT", answer(405, &[], ""), &[false]),
            (&glance, "PUT", answer(405, &[("allow", "GET")], ""), &[false]),
            (&glance, "PUT", answer(404, &[], ""), &[false]),
            (&glance, "DELETE", answer(204, &[], ""), &[false]),
            (&glance, "HEAD", answer(200, &[], ""), &[false]),
            (&glance, "OPTIONS", answer(200, &[], ""), &[true]),
            (&glance, "PUT", answer(500, &[], ""), &[false]),
            (&glance, "PUT", answer(401, &[], ""), &[true]),
            (&swr, "PUT", answer(404, &[], gateway), &[]),
            (&swr, "PUT", answer(404, &[], ""), &[true]),
            (&swr, "HEAD", answer(404, &[], ""), &[]),
            (&swr, "PUT", answer(405, &allow, ""), &[true]),
            (&Expected::Unstated, "PUT", answer(405, &[], ""), &[true]),
            (&Expected::Unstated, "HEAD", answer(200, &[], ""), &[true]),
            (&Expected::Unstated, "PATCH", answer(400, &[], ""), &[true]),
        ];
        for (expected, method, resp, want) in cases {
            assert_eq!(verdict(expected, method, &resp), want, "{expected:?} {method} {resp:?}");
        }
        assert_eq!(verdict(&Expected::Unstated, "PUT", &answer(404, &[], "")), [false; 0]);
    }
}

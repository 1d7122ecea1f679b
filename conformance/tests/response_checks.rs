//! The response checks `C101`–`C105` on recorded responses, without a server: each
//! `tests/fixtures/responses/<case>.json` is a response (status, headers, body) to a request for
//! an operation of the small spec beside it, and `<case>.expected` next to it holds the findings
//! the checks must give, one `ID message` line each (nothing for a conformant response).
//!
//! After an intended change, `UPDATE_EXPECT=1 cargo test -p imagespec-conformance --test
//! response_checks` rewrites the `.expected` files; review the diff.

use std::path::{Path, PathBuf};

use imagespec_conformance::{Spec, validate_response};
use serde_json::Value;

/// The checks these fixtures cover; each needs a conformant and a deviating case.
const CHECKS: [&str; 5] = ["C101", "C102", "C103", "C104", "C105"];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/responses")
}

/// Every fixture, by case name, in name order.
fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("reads the fixtures")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// The findings of the response checks for one fixture, one `ID message` line each.
fn check(spec: &Spec, case: &str) -> String {
    let text = std::fs::read_to_string(dir().join(format!("{case}.json"))).expect("reads");
    let fixture: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    let request = fixture["request"].as_str().expect("a request line");
    let (method, target) = request.split_once(' ').expect("METHOD /path");
    let path = target.split('?').next().unwrap_or(target);
    let op = spec.find(method, path).unwrap_or_else(|| panic!("{case}: no operation {request}"));
    let status = fixture["status"].as_u64().and_then(|s| u16::try_from(s).ok()).expect("status");
    let headers = fixture["headers"].as_object().cloned().unwrap_or_default();
    let header = |name: &str| {
        let found = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name));
        found.and_then(|(_, v)| v.as_str()).map(str::to_owned)
    };
    let body = match (&fixture["text"], &fixture["body"]) {
        (Value::String(text), _) => text.clone().into_bytes(),
        (_, Value::Null) => Vec::new(),
        (_, json) => json.to_string().into_bytes(),
    };
    let content_type = header("content-type");
    let violations = validate_response(spec, op, status, content_type.as_deref(), &header, &body)
        .unwrap_or_else(|e| panic!("{case}: the spec's schema cannot be used: {e}"));
    violations.iter().map(|v| format!("{} {}\n", v.code, v.message)).collect()
}

/// The small spec the fixtures' responses answer.
fn spec() -> Spec {
    let text = std::fs::read_to_string(dir().join("spec.yaml")).expect("reads spec.yaml");
    Spec::from_text(&text).expect("the fixtures' spec loads")
}

#[test]
fn every_fixture_gives_the_findings_expected() {
    let spec = spec();
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut wrong = Vec::new();
    for case in cases() {
        let got = check(&spec, &case);
        let file = dir().join(format!("{case}.expected"));
        if update {
            std::fs::write(&file, &got).expect("writes");
        }
        match std::fs::read_to_string(&file) {
            Ok(expected) if expected == got => {}
            Ok(expected) => wrong.push(format!("{case}:\n  expected:\n{expected}  got:\n{got}")),
            Err(_) => wrong.push(format!("{case}: no {case}.expected; got:\n{got}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "findings differ (UPDATE_EXPECT=1 rewrites the .expected files):\n{}",
        wrong.join("\n")
    );
}

/// A fixture named after a check is about that check alone, and every check has one that
/// conforms and one that deviates, so each check is seen both passing and failing.
#[test]
fn every_response_check_has_a_conformant_and_a_deviating_fixture() {
    let spec = spec();
    let mut seen: Vec<(String, bool)> = Vec::new();
    for case in cases() {
        let id = case.split('-').next().unwrap_or_default().to_ascii_uppercase();
        assert!(CHECKS.contains(&id.as_str()), "{case}: named after no check of {CHECKS:?}");
        let found = check(&spec, &case);
        let others: Vec<&str> =
            found.lines().filter(|line| !line.starts_with(&format!("{id} "))).collect();
        assert!(others.is_empty(), "{case} is about {id}, but also finds {others:?}");
        seen.push((id, !found.is_empty()));
    }
    for id in CHECKS {
        for deviating in [false, true] {
            let kind = if deviating { "deviating" } else { "conformant" };
            assert!(seen.contains(&(id.to_owned(), deviating)), "no {kind} fixture for {id}");
        }
    }
}

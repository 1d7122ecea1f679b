//! A [`Report`] as JUnit XML for CI: one test case per check, a failure for a check with
//! violations, warnings in the test case's `system-out` (a warning never fails a build).
//!
//! The report does not record which family a check belongs to, so every check goes into one
//! suite, `imagespec-conformance`. JUnit allows one `<failure>` per test case, so a failing check
//! has one `<failure>` whose text lists every violation (message, operation, curl line); its
//! `message` attribute names the first. The output is deterministic: no timestamps or durations,
//! the seed and request count as suite properties.

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use crate::report::{CheckOutcome, Finding, Report};

/// The name of the report, its one suite and every test case's class.
pub const SUITE: &str = "imagespec-conformance";

pub fn render(report: &Report) -> String {
    let mut suite = TestSuite::new(SUITE);
    suite.add_property(Property::new("seed", report.seed.to_string()));
    suite.add_property(Property::new("requests", report.requests.to_string()));
    suite.add_test_cases(report.by_check().iter().map(test_case));
    let mut junit = quick_junit::Report::new(SUITE);
    junit.add_test_suite(suite);
    // Serializing into memory fails only on invalid UTF-8, which `String`s cannot hold.
    junit.to_string().unwrap_or_default()
}

fn test_case(outcome: &CheckOutcome<'_>) -> TestCase {
    let status = match outcome.violations.as_slice() {
        [] => TestCaseStatus::success(),
        violations @ [first, ..] => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let message = match violations.len() {
                1 => format!("{}: {}", first.operation, first.message),
                n => format!("{n} violations; first on {}: {}", first.operation, first.message),
            };
            status.set_message(message).set_type("violation").set_description(blocks(violations));
            status
        }
    };
    let mut case = TestCase::new(outcome.check, status);
    case.set_classname(SUITE);
    if !outcome.warnings.is_empty() {
        case.set_system_out(blocks(&outcome.warnings));
    }
    case
}

/// One block per finding: what and where, then the curl line that reproduces it.
fn blocks(findings: &[&Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let kind = if f.warning { "warning" } else { "violation" };
        out.push_str(&format!(
            "{kind} {} on {}: {}\n  {}\n",
            f.check, f.operation, f.message, f.curl
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use quick_junit::{TestCaseStatus, TestSuite};

    use super::SUITE;
    use crate::report::{Finding, Report};
    use crate::transport::HttpRequest;

    fn finding(check: &str, message: &str, warning: bool) -> Finding {
        let request = HttpRequest {
            method: "GET".into(),
            target: "/v5/imagecaches/x?a=1".into(),
            headers: vec![("X-Auth-Token".into(), "t".into())],
            body: Vec::new(),
        };
        Finding {
            check: check.into(),
            operation: "GET /v5/imagecaches/x".into(),
            message: message.into(),
            curl: request.curl("http://127.0.0.1:1"),
            warning,
            request,
        }
    }

    /// A report with a passing, a failing (two violations and a warning) and a warning-only
    /// check, rendered and parsed back.
    fn parsed() -> TestSuite {
        let report = Report {
            seed: 7,
            requests: 12,
            checks: vec!["C100".into(), "C104".into(), "CCE-S06".into()],
            findings: vec![
                finding("C104", "status is missing & <required>", false),
                finding("CCE-S06", "still Available after delete", true),
                finding("C104", "size is a string", false),
                finding("C104", "an odd header", true),
            ],
        };
        let xml = report.to_junit();
        assert_eq!(xml, report.to_junit(), "the output is deterministic");
        let mut junit = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
        let name = junit.name.as_ref().map(|n| n.as_str());
        assert_eq!((name, junit.tests, junit.failures), (Some(SUITE), 3, 1), "{xml}");
        assert_eq!(junit.test_suites.len(), 1, "{xml}");
        junit.test_suites.remove(0)
    }

    #[test]
    fn one_test_case_per_check_and_suite_counts() {
        let suite = parsed();
        let names: Vec<_> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["C100", "C104", "CCE-S06"]);
        assert_eq!(
            (suite.name.as_str(), suite.tests, suite.failures, suite.errors),
            (SUITE, 3, 1, 0)
        );
        let props: Vec<_> =
            suite.properties.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
        assert_eq!(props, [("seed", "7"), ("requests", "12")]);
        assert!(suite.timestamp.is_none() && suite.time.is_none());
    }

    #[test]
    fn a_failing_check_has_a_failure_listing_every_violation() {
        let suite = parsed();
        let case = &suite.test_cases[1];
        let TestCaseStatus::NonSuccess { message, description, .. } = &case.status else {
            panic!("C104 is not a failure: {case:?}");
        };
        let message = message.as_ref().map(|m| m.as_str());
        assert_eq!(
            message,
            Some("2 violations; first on GET /v5/imagecaches/x: status is missing & <required>")
        );
        let text = description.as_ref().map_or("", |d| d.as_str());
        assert!(text.contains("size is a string") && text.contains("status is missing"), "{text}");
        assert!(
            text.contains("curl -i -X GET 'http://127.0.0.1:1/v5/imagecaches/x?a=1'"),
            "{text}"
        );
        assert!(!text.contains("an odd header"), "a warning is not a failure: {text}");
        let out = case.system_out.as_ref().map_or("", |o| o.as_str());
        assert!(out.contains("warning C104 on GET /v5/imagecaches/x: an odd header"), "{out}");
    }

    #[test]
    fn warnings_alone_do_not_fail_a_check() {
        let suite = parsed();
        for case in [&suite.test_cases[0], &suite.test_cases[2]] {
            assert!(matches!(case.status, TestCaseStatus::Success { .. }), "{case:?}");
        }
        assert!(suite.test_cases[0].system_out.is_none());
        let out = suite.test_cases[2].system_out.as_ref().map_or("", |o| o.as_str());
        assert!(out.contains("still Available after delete"), "{out}");
    }
}

//! A [`Report`] as JUnit XML for CI: one `<testsuite>` per family tested (named after the family,
//! `glance`, `cce`, ...), holding one test case per check that ran for that family, a failure for
//! a check with violations, warnings in the test case's `system-out` (a warning never fails a
//! build). A check that ran for two families is a test case in each, with that family's findings.
//!
//! Checks and findings the report does not attribute to a family (a report built by hand) go
//! into one more suite, `imagespec-conformance`. JUnit allows one `<failure>` per test case, so a failing check
//! has one `<failure>` whose text lists every violation (message, operation, curl line); its
//! `message` attribute names the first. The output is deterministic: no timestamps or durations,
//! the seed and request count as suite properties.

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use crate::report::{CheckOutcome, Finding, Report};

/// The name of the report, and of the suite for checks of no family.
pub const SUITE: &str = "imagespec-conformance";

impl Report {
    /// JUnit XML for CI: one test suite per family, one test case per check (see the module).
    pub fn to_junit(&self) -> String {
        render(self)
    }
}

pub fn render(report: &Report) -> String {
    let mut junit = quick_junit::Report::new(SUITE);
    for (family, requests, outcomes) in report.by_family() {
        let name = if family.is_empty() { SUITE } else { family };
        let mut suite = TestSuite::new(name);
        if !family.is_empty() {
            suite.add_property(Property::new("family", family));
        }
        suite.add_property(Property::new("seed", report.seed.to_string()));
        suite.add_property(Property::new("requests", requests.to_string()));
        let class = if family.is_empty() { SUITE.to_owned() } else { format!("{SUITE}.{family}") };
        suite.add_test_cases(outcomes.iter().map(|o| test_case(o, &class)));
        junit.add_test_suite(suite);
    }
    // Serializing into memory fails only on invalid UTF-8, which `String`s cannot hold.
    junit.to_string().unwrap_or_default()
}

fn test_case(outcome: &CheckOutcome<'_>, class: &str) -> TestCase {
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
    case.set_classname(class);
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
    use crate::exchange::HttpRequest;
    use crate::report::{Finding, Report};

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
            family: String::new(),
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
            families: Vec::new(),
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

    #[test]
    fn one_suite_per_family_each_with_its_own_checks_and_findings() {
        let part = |checks: &[&str], findings: Vec<Finding>, requests| Report {
            requests,
            checks: checks.iter().map(|c| (*c).to_owned()).collect(),
            findings,
            ..Report::default()
        };
        let mut report = Report { seed: 3, ..Report::default() };
        report.absorb("glance", part(&["C100", "GLANCE-S01"], Vec::new(), 5));
        let cce =
            vec![finding("C100", "server error 500", false), finding("CCE-S06", "slow", true)];
        report.absorb("cce", part(&["C100", "CCE-S01", "CCE-S06"], cce, 7));
        let xml = report.to_junit();
        let junit = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
        let suites: Vec<_> = junit
            .test_suites
            .iter()
            .map(|s| {
                let cases: Vec<_> = s.test_cases.iter().map(|c| c.name.as_str()).collect();
                (s.name.as_str(), cases, s.failures)
            })
            .collect();
        assert_eq!(
            suites,
            [
                ("glance", vec!["C100", "GLANCE-S01"], 0),
                ("cce", vec!["C100", "CCE-S01", "CCE-S06"], 1)
            ],
            "{xml}"
        );
        let props = |i: usize| -> Vec<(String, String)> {
            junit.test_suites[i]
                .properties
                .iter()
                .map(|p| (p.name.to_string(), p.value.to_string()))
                .collect()
        };
        let expected = |family: &str, requests: &str| {
            [("family", family), ("seed", "3"), ("requests", requests)]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .to_vec()
        };
        assert_eq!(props(0), expected("glance", "5"));
        assert_eq!(props(1), expected("cce", "7"));
        let glance_c100 = &junit.test_suites[0].test_cases[0];
        assert!(matches!(glance_c100.status, TestCaseStatus::Success { .. }), "{xml}");
        assert_eq!(
            glance_c100.classname.as_ref().map(|c| c.as_str()),
            Some("imagespec-conformance.glance")
        );
        let cce_c100 = &junit.test_suites[1].test_cases[0];
        assert!(matches!(cce_c100.status, TestCaseStatus::NonSuccess { .. }), "{xml}");
        assert!(report.findings.iter().all(|f| f.family == "cce"), "{:?}", report.findings);
    }
}

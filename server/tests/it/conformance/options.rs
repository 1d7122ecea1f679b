//! The run's options against our server: a spec given instead of the built-in one (either
//! OpenAPI dialect) and `--check`'s selection of what runs and is reported.

use imagespec_conformance::{Config, Family, run};
use poem::EndpointExt;

use super::{app, cce::faulty, fuzz_config, in_process};

/// A spec given instead of the built-in one is what the run checks against: our CCE spec
/// written as OpenAPI 3.0.3 (translated by the tester's dialect module) finds nothing, and the
/// same spec with a status removed reports the server's 404 as undeclared.
#[test]
fn a_given_spec_replaces_the_built_in_one_in_either_dialect() {
    let text = Family::Cce.builtin_spec().replacen("openapi: 3.1.0", "openapi: 3.0.3", 1);
    assert!(text.contains("openapi: 3.0.3"), "the CCE spec names its version");
    let transport = in_process(app().boxed());
    let config = Config { specs: vec![(Family::Cce, text)], ..fuzz_config(vec![Family::Cce], 5) };
    let report = run(&config, &transport).expect("the run completes");
    assert!(report.findings.is_empty(), "{}", report.to_text());
    let narrowed = Family::Cce.builtin_spec().replace("'404':", "'418':");
    let config =
        Config { specs: vec![(Family::Cce, narrowed)], ..fuzz_config(vec![Family::Cce], 0) };
    let report = run(&config, &transport).expect("the run completes");
    assert!(
        report.findings.iter().any(|f| f.check == "C101" && !f.warning),
        "a 404 the given spec does not declare is C101:\n{}",
        report.to_text()
    );
}

/// `--check` (Config::checks) runs and reports only the selected checks: the CCE suite alone
/// sends no fuzz cases, and a planted fault outside the selection is not reported.
#[test]
fn selected_checks_are_the_only_ones_run_and_reported() {
    let transport = in_process(app().boxed());
    let all = run(&fuzz_config(vec![Family::Cce], 5), &transport).expect("the run completes");
    let only_suite = Config { checks: vec!["CCE-*".into()], ..fuzz_config(vec![Family::Cce], 5) };
    let report = run(&only_suite, &transport).expect("the run completes");
    assert!(report.checks.iter().all(|c| c.starts_with("CCE-")), "{:?}", report.checks);
    assert!(report.checks.len() >= 7, "{:?}", report.checks);
    assert!(report.requests < all.requests / 2, "{} vs {}", report.requests, all.requests);
    let one = Config { checks: vec!["C107".into()], ..fuzz_config(vec![Family::Cce], 5) };
    let report = run(&one, &transport).expect("the run completes");
    assert_eq!(report.checks, ["C107"]);
    let faulty = in_process(faulty(|s, v| (s == 409).then_some((400, v))));
    let not_selected =
        Config { checks: vec!["CCE-S01".into()], ..fuzz_config(vec![Family::Cce], 0) };
    let report = run(&not_selected, &faulty).expect("the run completes");
    assert!(
        report.findings.is_empty(),
        "CCE-S04's fault is outside the selection:\n{}",
        report.to_text()
    );
    let selected = Config { checks: vec!["CCE-S04".into()], ..fuzz_config(vec![Family::Cce], 0) };
    let report = run(&selected, &faulty).expect("the run completes");
    assert!(report.findings.iter().any(|f| f.check == "CCE-S04"), "{}", report.to_text());
}

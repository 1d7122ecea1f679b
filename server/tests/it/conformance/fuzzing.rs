//! The fuzzing phase against our server: no violation as it is; planted accepted negatives
//! (C107), server errors (C100, shrunk) and refused valid requests (C110) found with their
//! reproducers; the same findings in the same order at any concurrency.

use imagespec_conformance::{Config, Family, run};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, endpoint::BoxEndpoint, http::StatusCode};

use super::{app, fuzz_config, in_process};

#[test]
fn fuzzing_finds_no_violation_against_our_server() {
    let transport = in_process(app().boxed());
    let started = std::time::Instant::now();
    let report = run(&fuzz_config(vec![Family::Cce, Family::Glance], 20), &transport)
        .expect("the run completes");
    eprintln!(
        "cce + glance, suites and fuzzing: {} requests in {:?}",
        report.requests,
        started.elapsed()
    );
    assert!(report.conformant(), "{}", report.to_text());
    assert!(report.checks.iter().any(|c| c == "C107"), "{}", report.to_text());
    assert!(report.requests > 500, "{}", report.to_text());
    // Bodies are checked against the spec's request schemas before poem-openapi reads them
    // (it would turn `"cluster": 1` into a string), so not even a warning is left.
    assert!(report.findings.is_empty(), "{}", report.to_text());
}

/// A create with an out-of-range image_cache_size is accepted (201, a valid body) instead of
/// refused with 400.
fn accepts_out_of_range_sizes() -> BoxEndpoint<'static> {
    app()
        .around(|ep, req| async move {
            let create =
                req.method() == poem::http::Method::POST && req.uri().path() == "/v5/imagecaches";
            let (parts, body) = req.into_parts();
            let bytes = body.into_vec().await.unwrap_or_default();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let size = v["image_cache_size"].as_i64();
            if create && size.is_some_and(|n| !(20..=400).contains(&n)) {
                let cache = serde_json::json!({"image_cache": {
                    "name": v["name"], "id": "planted", "created_at": "t", "images": v["images"],
                    "image_cache_size": size, "retention_days": 0,
                    "building_config": {"cluster": "c"}, "status": "Creating"}});
                return Ok((StatusCode::CREATED, poem::web::Json(cache)).into_response());
            }
            ep.call(Request::from_parts(parts, bytes.into())).await.map(IntoResponse::into_response)
        })
        .boxed()
}

#[test]
fn fuzzing_reports_accepted_negatives_and_shrinks_server_errors() {
    let accepts = accepts_out_of_range_sizes();
    let report = imagespec_conformance::fuzz::fuzz_only(
        &fuzz_config(vec![Family::Cce], 20),
        &in_process(accepts),
    )
    .expect("the run completes");
    let accepted: Vec<_> =
        report.findings.iter().filter(|f| f.check == "C107" && !f.warning).collect();
    assert!(!accepted.is_empty() && !accepted[0].warning, "{}", report.to_text());
    assert!(
        accepted.iter().all(|f| f.operation == "POST /v5/imagecaches"
            && f.message.contains("image_cache_size")
            && f.message.contains("seed 7")),
        "{}",
        report.to_text()
    );
    assert!(
        accepted.iter().any(|f| f.curl.contains(r#""image_cache_size":401"#))
            && accepted.iter().any(|f| f.curl.contains(r#""image_cache_size":19"#)),
        "the boundary values are the reproducers:\n{}",
        report.to_text()
    );

    // A name filter with a `7` in it crashes the server: found by random cases, shrunk to a
    // short name that still has the `7`.
    let crashes = app()
        .around(|ep, req| async move {
            if req.uri().path() == "/v5/imagecaches"
                && req.uri().query().is_some_and(|q| {
                    q.split('&').any(|p| p.starts_with("name=") && p.contains('7'))
                })
            {
                return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
            }
            ep.call(req).await.map(IntoResponse::into_response)
        })
        .boxed();
    let report = imagespec_conformance::fuzz::fuzz_only(
        &fuzz_config(vec![Family::Cce], 20),
        &in_process(crashes),
    )
    .expect("the run completes");
    let crash = report
        .findings
        .iter()
        .find(|f| f.check == "C100" && f.operation == "GET /v5/imagecaches")
        .unwrap_or_else(|| panic!("no C100:\n{}", report.to_text()));
    let url = crash.curl.split('\'').nth(1).unwrap_or_default();
    let name = url.split("name=").nth(1).unwrap_or_default();
    assert!(name.contains('7') && name.len() <= 3, "not shrunk: {}", crash.curl);
    assert!(!url.contains('&'), "other parameters shrink away: {}", crash.curl);
    assert!(
        crash.message.contains("shrunk in") && crash.message.contains("seed 7"),
        "{}",
        crash.message
    );
}

#[test]
fn concurrent_fuzzing_gives_the_same_verdict() {
    let transport = in_process(app().boxed());
    let config = Config { concurrency: 4, ..fuzz_config(vec![Family::Cce, Family::Glance], 20) };
    let report = run(&config, &transport).expect("the run completes");
    assert!(report.findings.is_empty(), "{}", report.to_text());
    for check in ["C107", "C108", "C110", "CCE-S01", "GLANCE-S01"] {
        assert!(report.checks.iter().any(|c| c == check), "{check}:\n{}", report.to_text());
    }
    assert!(report.requests > 500, "{}", report.to_text());
}

#[test]
fn concurrent_fuzzing_finds_planted_faults_in_the_same_order() {
    let findings = |concurrency| {
        let config = Config { concurrency, ..fuzz_config(vec![Family::Cce], 20) };
        let transport = in_process(accepts_out_of_range_sizes());
        let report =
            imagespec_conformance::fuzz::fuzz_only(&config, &transport).expect("the run completes");
        let found: Vec<(String, String, String, bool)> = report
            .findings
            .iter()
            .map(|f| (f.check.clone(), f.operation.clone(), f.message.clone(), f.warning))
            .collect();
        (found, report.requests)
    };
    let (one, sent_one) = findings(1);
    let (four, sent_four) = findings(4);
    assert!(
        one.iter().any(|(check, op, _, warning)| check == "C107"
            && op == "POST /v5/imagecaches"
            && !warning),
        "{one:#?}"
    );
    assert_eq!(one, four, "the same seed gives the same findings, in the same order");
    assert_eq!(sent_one, sent_four);
}

/// Our CCE server with list requests refused by `refuse` (given the query) as `status`.
fn refuses_lists(status: u16, refuse: fn(&str) -> bool) -> BoxEndpoint<'static> {
    app()
        .around(move |ep, req| async move {
            let query = req.uri().query().unwrap_or_default().to_owned();
            if req.method() == poem::http::Method::GET
                && req.uri().path() == "/v5/imagecaches"
                && refuse(&query)
            {
                let body = serde_json::json!({"errorCode": "CCE.01400001", "errorMessage": "no"});
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
                return Ok((status, poem::web::Json(body)).into_response());
            }
            ep.call(req).await.map(IntoResponse::into_response)
        })
        .boxed()
}

#[test]
fn valid_requests_refused_without_the_spec_saying_so_are_reported_by_c110() {
    let cases: Vec<(&str, BoxEndpoint<'static>)> = vec![
        (
            "a name filter with a digit refused with 400",
            refuses_lists(400, |q| {
                q.split('&')
                    .any(|p| p.starts_with("name=") && p.contains(|c: char| c.is_ascii_digit()))
            }),
        ),
        ("a filtered list answered 404", refuses_lists(404, |q| q.starts_with("name="))),
    ];
    for (what, app) in cases {
        let report = imagespec_conformance::fuzz::fuzz_only(
            &fuzz_config(vec![Family::Cce], 20),
            &in_process(app),
        )
        .expect("the run completes");
        let found: Vec<_> = report.findings.iter().filter(|f| f.check == "C110").collect();
        assert!(
            !found.is_empty()
                && found.iter().all(|f| !f.warning && f.operation == "GET /v5/imagecaches"),
            "{what}: expected a C110 violation on the list, got:\n{}",
            report.to_text()
        );
        assert!(found[0].message.contains("parameters: name"), "{}", found[0].message);
    }
}

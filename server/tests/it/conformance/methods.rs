//! Undeclared methods against our server (C108): refused as each spec says, and each planted
//! fault in the refusal reported.

use imagespec_conformance::{Family, run};
use poem::{Endpoint, EndpointExt, Response, endpoint::BoxEndpoint, http::StatusCode};

use super::{app, fuzz_config, in_process};

/// Our server with every response passed through `f` (status, headers, body).
fn rewrite_responses(
    f: fn(&str, &mut u16, &mut poem::http::HeaderMap, &mut Vec<u8>),
) -> BoxEndpoint<'static> {
    app()
        .around(move |ep, req| async move {
            let method = req.method().to_string();
            let resp = ep.call(req).await?;
            let mut status = resp.status().as_u16();
            let mut headers = resp.headers().clone();
            let mut bytes = resp.into_body().into_vec().await.unwrap_or_default();
            f(&method, &mut status, &mut headers, &mut bytes);
            headers.remove("content-length");
            let mut out = Response::builder()
                .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
                .body(bytes);
            *out.headers_mut() = headers;
            Ok(out)
        })
        .boxed()
}

#[test]
fn undeclared_methods_are_refused_as_each_spec_says() {
    let report =
        run(&fuzz_config(vec![Family::Cce, Family::Glance], 0), &in_process(app().boxed()))
            .expect("the run completes");
    assert!(report.findings.is_empty(), "{}", report.to_text());
    for family in &report.families {
        assert!(family.checks.iter().any(|c| c == "C108"), "{family:?}");
    }
    assert_eq!(report.families.len(), 2, "{:?}", report.families);
}

#[test]
fn planted_method_faults_are_reported_by_c108() {
    let cases: Vec<(&str, Family, BoxEndpoint<'static>)> = vec![
        (
            "a 405 without Allow",
            Family::Glance,
            rewrite_responses(|_, s, h, _| {
                if *s == 405 {
                    h.remove("allow");
                }
            }),
        ),
        (
            "a 405 whose Allow lists one method too few",
            Family::Glance,
            rewrite_responses(|_, s, h, _| {
                if *s == 405 {
                    h.insert("allow", "GET".parse().expect("value"));
                }
            }),
        ),
        (
            "an undeclared method accepted",
            Family::Glance,
            rewrite_responses(|_, s, _, _| {
                if *s == 405 {
                    *s = 200;
                }
            }),
        ),
        (
            "an undeclared method answered 404 where the spec says 405",
            Family::Glance,
            rewrite_responses(|_, s, _, _| {
                if *s == 405 {
                    *s = 404;
                }
            }),
        ),
        (
            "an undeclared PATCH accepted",
            Family::Cce,
            rewrite_responses(|m, s, _, b| {
                if m == "PATCH" {
                    *s = 200;
                    *b = b"{}".to_vec();
                }
            }),
        ),
        (
            "an undeclared method is a server error",
            Family::Cce,
            rewrite_responses(|m, s, _, _| {
                if m == "OPTIONS" {
                    *s = 500;
                }
            }),
        ),
    ];
    for (what, family, app) in cases {
        let report =
            run(&fuzz_config(vec![family], 0), &in_process(app)).expect("the run completes");
        assert!(
            report.findings.iter().any(|f| f.check == "C108" && !f.warning),
            "{what}: expected a C108 violation, got:\n{}",
            report.to_text()
        );
    }
}

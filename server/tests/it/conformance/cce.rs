//! The CCE suite against our server: conformant as it is, each planted fault reported by its
//! check, and AK/SK-signed requests checked like tokens.

use imagespec_conformance::{Config, Family, Report, run};
use poem::{
    Endpoint, EndpointExt, IntoResponse, Response, endpoint::BoxEndpoint, http::StatusCode,
};

use super::{InProcess, app};

/// The CCE suite as alice.
fn check(app: BoxEndpoint<'static>) -> Report {
    let transport = InProcess { app, rt: tokio::runtime::Runtime::new().expect("runtime") };
    let config = Config {
        base_url: "http://127.0.0.1:8080".into(),
        families: vec![Family::Cce],
        seed: 7,
        auth: vec![(Family::Cce, vec![("X-Auth-Token".into(), "alice-token".into())])],
        other_auth: Vec::new(),
        // These check the suite; the fuzzing phase has its own tests (`fuzzing`).
        fuzz_cases: 0,
        ..Config::default()
    };
    run(&config, &transport).expect("the run completes")
}

#[test]
fn our_server_conforms() {
    let report = check(app().boxed());
    assert!(report.conformant() && report.findings.is_empty(), "{}", report.to_text());
    assert!(report.checks.len() >= 7 && report.requests >= 15, "{}", report.to_text());
}

/// A fault planted in front of the server: rewrites some responses.
async fn mutate(
    resp: Response,
    rewrite: fn(u16, serde_json::Value) -> Option<(u16, serde_json::Value)>,
) -> Response {
    let status = resp.status().as_u16();
    let bytes = resp.into_body().into_vec().await.unwrap_or_default();
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    match rewrite(status, value.clone()) {
        Some((s, v)) => {
            (StatusCode::from_u16(s).unwrap_or(StatusCode::OK), poem::web::Json(v)).into_response()
        }
        None => (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), poem::web::Json(value))
            .into_response(),
    }
}

/// Our server with every JSON response passed through `rewrite` (status, body); `None` keeps it.
pub(super) fn faulty(
    rewrite: fn(u16, serde_json::Value) -> Option<(u16, serde_json::Value)>,
) -> BoxEndpoint<'static> {
    app()
        .around(move |ep, req| async move { Ok(mutate(ep.call(req).await?, rewrite).await) })
        .boxed()
}

#[test]
fn planted_faults_are_reported_by_their_checks() {
    let cases: Vec<(&str, &str, BoxEndpoint<'static>)> = vec![
        (
            "a required field dropped",
            "C104",
            faulty(|s, mut v| {
                v.get_mut("image_cache")
                    .and_then(|c| c.as_object_mut())
                    .map(|c| c.remove("status"));
                Some((s, v))
            }),
        ),
        ("not found becomes a server error", "C100", faulty(|s, v| (s == 404).then_some((500, v)))),
        ("an undeclared status", "C101", faulty(|s, v| (s == 404).then_some((410, v)))),
        ("a duplicate name accepted", "CCE-S04", faulty(|s, v| (s == 409).then_some((400, v)))),
        (
            "a rule-breaking body accepted",
            "CCE-S05",
            faulty(|s, _| {
                (s == 400).then(|| (201, serde_json::json!({"image_cache": {"id": "x"}})))
            }),
        ),
        (
            "delete answers the wrong status",
            "CCE-S06",
            faulty(|s, mut v| {
                if s != 202 {
                    return None;
                }
                v["image_cache"]["status"] = "Available".into();
                Some((202, v))
            }),
        ),
        (
            "the name filter ignored",
            "CCE-S03",
            app()
                .around(|ep, mut req| async move {
                    if req.uri().query().is_some_and(|q| q.starts_with("name=")) {
                        *req.uri_mut() = "/v5/imagecaches".parse().expect("uri");
                    }
                    ep.call(req).await.map(IntoResponse::into_response)
                })
                .boxed(),
        ),
    ];
    for (what, expected, app) in cases {
        let report = check(app);
        assert!(
            report.findings.iter().any(|f| f.check == expected),
            "{what}: expected a {expected} finding, got:\n{}",
            report.to_text()
        );
    }
}

#[test]
fn signed_requests_conform_too() {
    let transport =
        InProcess { app: app().boxed(), rt: tokio::runtime::Runtime::new().expect("rt") };
    let key = "ALICEAK0000000000001:alice-secret-key-0000000000000000000001:0123456789abcdef0123456789abcdef";
    let config = Config {
        families: vec![Family::Cce],
        signing: vec![(Family::Cce, key.parse().expect("a key"))],
        fuzz_cases: 5,
        ..Config::default()
    };
    let report = run(&config, &transport).expect("the run completes");
    assert!(report.findings.is_empty(), "{}", report.to_text());
    assert!(report.checks.iter().any(|c| c == "CCE-S01"), "{}", report.to_text());
    let wrong = "ALICEAK0000000000001:not-the-secret";
    let config = Config { signing: vec![(Family::Cce, wrong.parse().expect("a key"))], ..config };
    let report = run(&config, &transport).expect("the run completes");
    assert!(report.findings.iter().any(|f| f.check == "CCE-S01"), "a bad signature must fail");
}

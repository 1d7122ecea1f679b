//! The Snowflake suite against our server: conformant as it is (fuzzing included), each planted
//! fault reported by its check.

use imagespec_conformance::{Config, Family, Report, run};
use poem::{EndpointExt, endpoint::BoxEndpoint};

use super::{InProcess, app, same_request, same_response, with_fault};

/// The Snowflake suite as alice with a programmatic access token, fuzzing included.
fn check_snowflake(app: BoxEndpoint<'static>, fuzz_cases: usize) -> Report {
    let transport = InProcess { app, rt: tokio::runtime::Runtime::new().expect("runtime") };
    let auth = vec![
        ("Authorization".to_owned(), "Bearer alice-snowflake-token".to_owned()),
        ("X-Snowflake-Authorization-Token-Type".to_owned(), "PROGRAMMATIC_ACCESS_TOKEN".to_owned()),
    ];
    let config = Config {
        base_url: "http://127.0.0.1:8080".into(),
        families: vec![Family::Snowflake],
        seed: 7,
        auth: vec![(Family::Snowflake, auth)],
        fuzz_cases,
        ..Config::default()
    };
    run(&config, &transport).expect("the run completes")
}

#[test]
fn our_snowflake_conforms() {
    let report = check_snowflake(app().boxed(), 5);
    assert!(report.findings.is_empty(), "{}", report.to_text());
    for id in (1..=9).map(|n| format!("SF-S{n:02}")) {
        assert!(report.checks.contains(&id), "{id} did not run:\n{}", report.to_text());
    }
}

#[test]
fn planted_snowflake_faults_are_reported_by_their_checks() {
    let cases: Vec<(&str, &str, BoxEndpoint<'static>)> = vec![
        (
            "a duplicate name is accepted",
            "SF-S03",
            with_fault(same_request, |_, s, b| if s == 409 { (200, b) } else { (s, b) }),
        ),
        (
            "like matches nothing",
            "SF-S04",
            with_fault(
                |req| {
                    let q = req.uri().query().unwrap_or_default().to_owned();
                    if let Some(p) = q.strip_prefix("like=") {
                        let uri = format!("{}?like=X{p}", req.uri().path());
                        *req.uri_mut() = uri.parse().expect("uri");
                    }
                },
                same_response,
            ),
        ),
        (
            "a database is returned under its lower-case name",
            "SF-S01",
            with_fault(same_request, |seen, s, b| {
                let one_database =
                    seen.path.strip_prefix("/api/v2/databases/").is_some_and(|r| !r.contains('/'));
                if seen.method == "GET" && one_database && s == 200 {
                    (s, lower_name(b))
                } else {
                    (s, b)
                }
            }),
        ),
        (
            "a repository is returned under its lower-case name",
            "SF-S02",
            with_fault(same_request, |seen, s, b| {
                let one_repo = seen
                    .path
                    .rsplit_once("/image-repositories/")
                    .is_some_and(|(_, r)| !r.contains('/'));
                if seen.method == "GET" && one_repo && s == 200 {
                    (s, lower_name(b))
                } else {
                    (s, b)
                }
            }),
        ),
        (
            "deleting a missing repository succeeds without ifExists",
            "SF-S05",
            with_fault(same_request, |seen, s, b| {
                if seen.method == "DELETE" && s == 404 {
                    (200, br#"{"status":"ok"}"#.to_vec())
                } else {
                    (s, b)
                }
            }),
        ),
        (
            "delete keeps the repository",
            "SF-S06",
            with_fault(
                |req| {
                    if req.method() == poem::http::Method::DELETE
                        && req.uri().path().contains("/image-repositories/")
                    {
                        req.set_method(poem::http::Method::GET);
                    }
                },
                same_response,
            ),
        ),
        (
            "a new repository lists an image",
            "SF-S08",
            with_fault(same_request, |seen, s, b| {
                if seen.method == "GET" && seen.path.ends_with("/images") && s == 200 {
                    (s, br#"[{"image_name":"ghost","tags":"latest","digest":"sha256:00","image_path":"x/ghost","created_on":"2026-01-01T00:00:00Z"}]"#.to_vec())
                } else {
                    (s, b)
                }
            }),
        ),
        (
            "unset-tags removes nothing",
            "SF-S09",
            with_fault(
                |req| {
                    if req.uri().path().ends_with(":unset-tags") {
                        let uri = req.uri().path().replace(":unset-tags", ":get-tags");
                        req.set_method(poem::http::Method::GET);
                        *req.uri_mut() = uri.parse().expect("uri");
                    }
                },
                same_response,
            ),
        ),
        (
            "a missing schema lists nothing",
            "SF-S07",
            with_fault(same_request, |seen, s, b| {
                if seen.method == "GET" && seen.path.ends_with("/image-repositories") && s == 404 {
                    (200, b"[]".to_vec())
                } else {
                    (s, b)
                }
            }),
        ),
    ];
    for (what, expected, app) in cases {
        let report = check_snowflake(app, 0);
        assert!(
            report.findings.iter().any(|f| f.check == expected),
            "{what}: expected a {expected} finding, got:\n{}",
            report.to_text()
        );
    }
}

/// A JSON object's `name` in lower case (the body unchanged otherwise).
fn lower_name(bytes: Vec<u8>) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&bytes) else { return bytes };
    if let Some(name) = v.get("name").and_then(|n| n.as_str()).map(str::to_lowercase) {
        v["name"] = serde_json::Value::String(name);
    }
    serde_json::to_vec(&v).unwrap_or(bytes)
}

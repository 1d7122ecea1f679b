//! The Glance suite against our server: conformant as it is, each planted fault reported by
//! its check (bob as the principal, carol as the other project).

use imagespec_conformance::{Config, Family, Report, run};
use poem::{EndpointExt, endpoint::BoxEndpoint};

use super::{InProcess, app, same_request, same_response, with_fault};

/// The Glance suite as bob, with carol (another project) as the second principal.
fn check_glance(app: BoxEndpoint<'static>) -> Report {
    let transport = InProcess { app, rt: tokio::runtime::Runtime::new().expect("runtime") };
    let token = |t: &str| vec![("X-Auth-Token".to_owned(), t.to_owned())];
    let config = Config {
        base_url: "http://127.0.0.1:8080".into(),
        families: vec![Family::Glance],
        seed: 7,
        auth: vec![(Family::Glance, token("bob-token"))],
        other_auth: vec![(Family::Glance, token("carol-token"))],
        fuzz_cases: 0,
        ..Config::default()
    };
    run(&config, &transport).expect("the run completes")
}

#[test]
fn our_glance_conforms() {
    let report = check_glance(app().boxed());
    assert!(report.findings.is_empty(), "{}", report.to_text());
    for id in (1..=10).map(|n| format!("GLANCE-S{n:02}")).chain(["C106".into(), "C109".into()]) {
        assert!(report.checks.contains(&id), "{id} did not run:\n{}", report.to_text());
    }
}

/// Applies `f` to every image object of a JSON body.
fn each_image(bytes: Vec<u8>, f: fn(&mut serde_json::Value)) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&bytes) else { return bytes };
    if let Some(list) = v.get_mut("images").and_then(|l| l.as_array_mut()) {
        list.iter_mut().for_each(f);
    } else if v.get("schema").and_then(|s| s.as_str()) == Some("/v2/schemas/image") {
        f(&mut v);
    }
    serde_json::to_vec(&v).unwrap_or(bytes)
}

#[test]
fn planted_glance_faults_are_reported_by_their_checks() {
    let cases: Vec<(&str, &str, BoxEndpoint<'static>)> = vec![
        (
            "image sizes as strings",
            "C106",
            with_fault(same_request, |_, s, b| (s, each_image(b, |i| i["min_ram"] = "0".into()))),
        ),
        (
            "a served schema loosened while images use an unknown disk format",
            "C109",
            with_fault(same_request, |seen, s, b| {
                if seen.path == "/v2/schemas/image" {
                    let mut v: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
                    v["properties"]["disk_format"] =
                        serde_json::json!({"type": ["null", "string"]});
                    return (s, serde_json::to_vec(&v).unwrap_or(b));
                }
                (s, each_image(b, |i| i["disk_format"] = "raw-ish".into()))
            }),
        ),
        (
            "new images default to private",
            "GLANCE-S01",
            with_fault(same_request, |seen, s, b| {
                if seen.method == "POST" && seen.path == "/v2/images" {
                    return (s, each_image(b, |i| i["visibility"] = "private".into()));
                }
                (s, b)
            }),
        ),
        (
            "an unknown image is a 400",
            "GLANCE-S02",
            with_fault(same_request, |seen, s, b| {
                let show = seen.method == "GET" && seen.path.matches('/').count() == 3;
                if show && s == 404 { (400, b) } else { (s, b) }
            }),
        ),
        (
            "downloads lose their last byte",
            "GLANCE-S03",
            with_fault(same_request, |seen, s, mut b| {
                if s == 200 && seen.path.ends_with("/file") {
                    b.pop();
                }
                (s, b)
            }),
        ),
        (
            "a JSON-patch sent as application/json is applied",
            "GLANCE-S04",
            with_fault(
                |req| {
                    let json =
                        req.headers().get("content-type").is_some_and(|v| v == "application/json");
                    if req.method() == poem::http::Method::PATCH && json {
                        req.headers_mut().insert(
                            "content-type",
                            "application/openstack-images-v2.1-json-patch".parse().expect("value"),
                        );
                    }
                },
                same_response,
            ),
        ),
        (
            "deleting a missing tag is a 204",
            "GLANCE-S05",
            with_fault(same_request, |seen, s, b| {
                if seen.method == "DELETE" && seen.path.contains("/tags/") && s == 404 {
                    (204, Vec::new())
                } else {
                    (s, b)
                }
            }),
        ),
        (
            "next links are dropped",
            "GLANCE-S06",
            with_fault(same_request, |seen, s, b| {
                if seen.path != "/v2/images" || !seen.query.contains("limit=2") {
                    return (s, b);
                }
                let mut v: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
                v.as_object_mut().map(|o| o.remove("next"));
                (s, serde_json::to_vec(&v).unwrap_or(b))
            }),
        ),
        (
            "the name filter is ignored",
            "GLANCE-S07",
            with_fault(
                |req| {
                    let q = req.uri().query().unwrap_or_default().to_owned();
                    if req.uri().path() == "/v2/images" && q.starts_with("name=") {
                        let rest: Vec<&str> =
                            q.split('&').filter(|p| !p.starts_with("name=")).collect();
                        let uri = format!("/v2/images?{}", rest.join("&"));
                        *req.uri_mut() = uri.parse().expect("uri");
                    }
                },
                same_response,
            ),
        ),
        (
            "deactivate does nothing",
            "GLANCE-S08",
            with_fault(
                |req| {
                    let path = req.uri().path().to_owned();
                    if let Some(base) = path.strip_suffix("/actions/deactivate") {
                        let uri = format!("{base}/actions/reactivate");
                        *req.uri_mut() = uri.parse().expect("uri");
                    }
                },
                same_response,
            ),
        ),
        (
            "a deleted id can be created again",
            "GLANCE-S09",
            with_fault(same_request, |seen, s, b| {
                if seen.method == "POST" && s == 409 {
                    let image = serde_json::json!({"id": "x"});
                    (201, serde_json::to_vec(&image).unwrap_or(b))
                } else {
                    (s, b)
                }
            }),
        ),
        (
            "every token acts as bob",
            "GLANCE-S10",
            with_fault(
                |req| {
                    if req.headers().get("x-auth-token").is_some_and(|t| t == "carol-token") {
                        req.headers_mut().insert("x-auth-token", "bob-token".parse().expect("v"));
                    }
                },
                same_response,
            ),
        ),
    ];
    for (what, expected, app) in cases {
        let report = check_glance(app);
        assert!(
            report.findings.iter().any(|f| f.check == expected),
            "{what}: expected a {expected} finding, got:\n{}",
            report.to_text()
        );
    }
}

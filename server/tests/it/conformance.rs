//! The conformance library against our own server, in-process: zero findings when correct, and
//! each planted fault reported by the check meant for it.

use std::sync::Arc;

use imagespec_conformance::{
    Config, Family, HttpRequest, HttpResponse, Report, Transport, TransportError, run,
};
use imagespec_server::{
    auth::Credentials,
    store::{State, Store, SystemClock},
};
use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, endpoint::BoxEndpoint, http::StatusCode,
};

/// Sends each request straight into the app on a private runtime.
pub(crate) struct InProcess {
    pub(crate) app: BoxEndpoint<'static>,
    pub(crate) rt: tokio::runtime::Runtime,
}

impl Transport for InProcess {
    fn send(&self, r: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = Request::builder()
            .method(r.method.parse().map_err(|_| TransportError("method".into()))?);
        if !r.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            builder = builder.header("Host", "127.0.0.1:8080");
        }
        for (k, v) in &r.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let req = builder
            .uri(r.target.parse().map_err(|_| TransportError("uri".into()))?)
            .body(r.body.clone());
        self.rt.block_on(async {
            let resp = self.app.get_response(req).await;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                .collect();
            let body =
                resp.into_body().into_vec().await.map_err(|e| TransportError(e.to_string()))?;
            Ok(HttpResponse { status, headers, body })
        })
    }
}

fn app() -> impl Endpoint<Output = Response> {
    let store = Store::new(State::default(), Arc::new(SystemClock)).expect("temp dir");
    imagespec_server::app(store, Arc::new(Credentials::development())).map_to_response()
}

fn check(app: BoxEndpoint<'static>) -> Report {
    let transport = InProcess { app, rt: tokio::runtime::Runtime::new().expect("runtime") };
    let config = Config {
        base_url: "http://127.0.0.1:8080".into(),
        families: vec![Family::Cce],
        seed: 7,
        auth: vec![(Family::Cce, vec![("X-Auth-Token".into(), "alice-token".into())])],
        other_auth: Vec::new(),
        // These check the suites; the fuzzing phase has its own tests (at the end).
        fuzz_cases: 0,
        ..Config::default()
    };
    run(&config, &transport).expect("the run completes")
}

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

fn faulty(
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

#[test]
fn our_glance_conforms() {
    let report = check_glance(app().boxed());
    assert!(report.findings.is_empty(), "{}", report.to_text());
    for id in (1..=10).map(|n| format!("GLANCE-S{n:02}")).chain(["C106".into(), "C109".into()]) {
        assert!(report.checks.contains(&id), "{id} did not run:\n{}", report.to_text());
    }
}

/// A request as a Glance fault sees it.
struct Seen {
    method: String,
    path: String,
    query: String,
}

type RequestFault = fn(&mut Request);
type ResponseFault = fn(&Seen, u16, Vec<u8>) -> (u16, Vec<u8>);

/// Our server with a request rewrite in front and a response rewrite behind.
fn glance_fault(on_request: RequestFault, on_response: ResponseFault) -> BoxEndpoint<'static> {
    app()
        .around(move |ep, mut req| async move {
            let seen = Seen {
                method: req.method().to_string(),
                path: req.uri().path().to_owned(),
                query: req.uri().query().unwrap_or_default().to_owned(),
            };
            on_request(&mut req);
            let resp = ep.call(req).await?;
            let status = resp.status().as_u16();
            let mut headers = resp.headers().clone();
            let bytes = resp.into_body().into_vec().await.unwrap_or_default();
            let (status, bytes) = on_response(&seen, status, bytes);
            headers.remove("content-length");
            let mut out = Response::builder()
                .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
                .body(bytes);
            *out.headers_mut() = headers;
            Ok(out)
        })
        .boxed()
}

fn same_request(_: &mut Request) {}

fn same_response(_: &Seen, status: u16, bytes: Vec<u8>) -> (u16, Vec<u8>) {
    (status, bytes)
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
            glance_fault(same_request, |_, s, b| (s, each_image(b, |i| i["min_ram"] = "0".into()))),
        ),
        (
            "a served schema loosened while images use an unknown disk format",
            "C109",
            glance_fault(same_request, |seen, s, b| {
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
            glance_fault(same_request, |seen, s, b| {
                if seen.method == "POST" && seen.path == "/v2/images" {
                    return (s, each_image(b, |i| i["visibility"] = "private".into()));
                }
                (s, b)
            }),
        ),
        (
            "an unknown image is a 400",
            "GLANCE-S02",
            glance_fault(same_request, |seen, s, b| {
                let show = seen.method == "GET" && seen.path.matches('/').count() == 3;
                if show && s == 404 { (400, b) } else { (s, b) }
            }),
        ),
        (
            "downloads lose their last byte",
            "GLANCE-S03",
            glance_fault(same_request, |seen, s, mut b| {
                if s == 200 && seen.path.ends_with("/file") {
                    b.pop();
                }
                (s, b)
            }),
        ),
        (
            "a JSON-patch sent as application/json is applied",
            "GLANCE-S04",
            glance_fault(
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
            glance_fault(same_request, |seen, s, b| {
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
            glance_fault(same_request, |seen, s, b| {
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
            glance_fault(
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
            glance_fault(
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
            glance_fault(same_request, |seen, s, b| {
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
            glance_fault(
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

/// Every family's suite and fuzzing, each family as its usual principal.
fn fuzz_config(families: Vec<Family>, cases: usize) -> Config {
    let token = |t: &str| vec![("X-Auth-Token".to_owned(), t.to_owned())];
    let bearer = |t: &str| vec![("Authorization".to_owned(), format!("Bearer {t}"))];
    Config {
        base_url: "http://127.0.0.1:8080".into(),
        families,
        seed: 7,
        auth: vec![
            (Family::Cce, token("alice-token")),
            (Family::Glance, token("bob-token")),
            (Family::Swr, token("alice-token")),
            (Family::Snowflake, bearer("alice-snowflake-token")),
        ],
        other_auth: vec![(Family::Glance, token("carol-token"))],
        fuzz_cases: cases,
        ..Config::default()
    }
}

fn in_process(app: BoxEndpoint<'static>) -> InProcess {
    InProcess { app, rt: tokio::runtime::Runtime::new().expect("runtime") }
}

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
            glance_fault(same_request, |_, s, b| if s == 409 { (200, b) } else { (s, b) }),
        ),
        (
            "like matches nothing",
            "SF-S04",
            glance_fault(
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
            glance_fault(same_request, |seen, s, b| {
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
            glance_fault(same_request, |seen, s, b| {
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
            glance_fault(same_request, |seen, s, b| {
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
            glance_fault(
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
            glance_fault(same_request, |seen, s, b| {
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
            glance_fault(
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
            glance_fault(same_request, |seen, s, b| {
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

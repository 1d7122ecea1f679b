//! The conformance tester's SWR suite against our server in-process, two regions over one
//! store: zero findings when correct, and each planted fault reported by the check meant for it.

use std::sync::Arc;

use imagespec_conformance::{Config, Family, Report, run_with_regions};
use imagespec_server::{
    app::{app, swr_region_app},
    auth::Credentials,
    store::{State, Store, SystemClock},
};
use poem::{Body, Endpoint, EndpointExt, Response, endpoint::BoxEndpoint, http::StatusCode};

use super::InProcess;

/// One request as a fault sees it.
struct Exchange {
    method: String,
    path: String,
    token: String,
    body: Vec<u8>,
}

/// Rewrites the request in place, or answers it without the server.
type Before = fn(&mut Exchange) -> Option<(u16, Vec<u8>)>;
/// Rewrites the server's answer.
type After = fn(&Exchange, u16, Vec<u8>) -> (u16, Vec<u8>);

fn store() -> Store {
    let text = std::fs::read_to_string(crate::support::root().join("server/demo/state.json"))
        .expect("the demo state");
    let state: State = serde_json::from_str(&text).expect("it loads");
    Store::new(state, Arc::new(SystemClock)).expect("temp dir")
}

fn faulty(home: BoxEndpoint<'static>, before: Before, after: After) -> BoxEndpoint<'static> {
    home.around(move |ep, mut req| async move {
        let body = req.take_body().into_vec().await.unwrap_or_default();
        let token = req.header("x-auth-token").unwrap_or_default().to_owned();
        let mut ex = Exchange {
            method: req.method().to_string(),
            path: req.uri().path().to_owned(),
            token: token.clone(),
            body,
        };
        if let Some((status, bytes)) = before(&mut ex) {
            return Ok(answer(status, bytes, None));
        }
        if ex.token != token
            && let Ok(v) = ex.token.parse()
        {
            req.headers_mut().insert("x-auth-token", v);
        }
        req.set_body(Body::from(ex.body.clone()));
        let resp = ep.call(req).await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().into_vec().await.unwrap_or_default();
        let (status, bytes) = after(&ex, status, bytes);
        Ok(answer(status, bytes, Some(headers)))
    })
    .boxed()
}

fn answer(status: u16, bytes: Vec<u8>, headers: Option<poem::http::HeaderMap>) -> Response {
    let mut out = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .body(bytes);
    let mut headers = headers.unwrap_or_default();
    headers.remove("content-length");
    if !headers.contains_key("x-request-id") {
        headers.insert("x-request-id", poem::http::HeaderValue::from_static("0123abcd"));
    }
    if !headers.contains_key("content-type") {
        headers.insert("content-type", poem::http::HeaderValue::from_static("application/json"));
    }
    *out.headers_mut() = headers;
    out
}

fn pass(_: &mut Exchange) -> Option<(u16, Vec<u8>)> {
    None
}

fn same(_: &Exchange, status: u16, bytes: Vec<u8>) -> (u16, Vec<u8>) {
    (status, bytes)
}

/// The SWR suite as bob (owner of the demo's `demo/library/nginx`), carol as the other account,
/// cn-east-3 as the sync target.
fn check(fault: Option<(Before, After)>) -> Report {
    check_from("demo/library/nginx", fault).expect("the run completes")
}

fn check_from(
    source: &str,
    fault: Option<(Before, After)>,
) -> Result<Report, imagespec_conformance::RunError> {
    let store = store();
    let creds = Arc::new(Credentials::development());
    let home = app(store.clone(), creds.clone()).map_to_response().boxed();
    let home = match fault {
        Some((before, after)) => faulty(home, before, after),
        None => home,
    };
    let east = swr_region_app(store, creds, "cn-east-3".into(), Default::default())
        .map_to_response()
        .boxed();
    let rt = || tokio::runtime::Runtime::new().expect("runtime");
    let home = InProcess { app: home, rt: rt() };
    let east = InProcess { app: east, rt: rt() };
    let token = |t: &str| vec![("X-Auth-Token".to_owned(), t.to_owned())];
    let config = Config {
        families: vec![Family::Swr],
        seed: 7,
        auth: vec![(Family::Swr, token("bob-token"))],
        other_auth: vec![(Family::Swr, token("carol-token"))],
        swr_regions: vec![("cn-east-3".into(), "http://127.0.0.1:8081".into())],
        swr_source: Some(source.into()),
        fuzz_cases: 0,
        ..Config::default()
    };
    run_with_regions(&config, &home, &[&east])
}

/// A source the target does not hold (or holds without tags) cannot feed the sync checks the
/// run was asked for: the run is refused with the reason (exit 2 in the CLI), not reported
/// conformant without them.
#[test]
fn a_source_repository_the_target_does_not_hold_stops_the_run() {
    for (source, why) in
        [("demo/no-such-repo", "answers 404"), ("nobody/library/nginx", "answers 404")]
    {
        match check_from(source, None) {
            Err(imagespec_conformance::RunError::Setup(message)) => {
                assert!(message.contains(source) && message.contains(why), "{message}");
            }
            other => panic!("{source}: {other:?}"),
        }
    }
}

#[test]
fn our_swr_conforms_with_every_semantic_check_run() {
    let report = check(None);
    assert!(report.conformant() && report.findings.is_empty(), "{}", report.to_text());
    for n in 1..=10 {
        let id = format!("SWR-S{n:02}");
        assert!(report.checks.contains(&id), "{id} did not run:\n{}", report.to_text());
    }
}

fn is(ex: &Exchange, method: &str, tail: &str) -> bool {
    ex.method == method && ex.path.ends_with(tail)
}

#[test]
fn planted_swr_faults_are_reported_by_their_checks() {
    let ns_show: After = |ex, s, b| {
        let own = ex.method == "GET" && ex.path.starts_with("/v2/manage/namespaces/imagespec-");
        if own && s == 200 && !ex.path.contains("/repos") {
            (200, br#"{"id":1,"name":"someone-else","creator_name":"x","auth":7}"#.to_vec())
        } else {
            (s, b)
        }
    };
    let cases: Vec<(&str, &str, Before, After)> = vec![
        ("show_namespace names another namespace", "SWR-S01", pass, ns_show),
        ("a rule-breaking namespace accepted", "SWR-S02", pass, |ex, s, b| {
            if is(ex, "POST", "/v2/manage/namespaces") && s == 400 {
                (201, Vec::new())
            } else {
                (s, b)
            }
        }),
        ("a duplicate accepted", "SWR-S03", pass, |_, s, b| {
            if s == 409 { (201, Vec::new()) } else { (s, b) }
        }),
        ("the repository list drops everything", "SWR-S04", pass, |ex, s, b| {
            if is(ex, "GET", "/v2/manage/repos") { (s, b"[]".to_vec()) } else { (s, b) }
        }),
        ("a namespace with repositories deleted", "SWR-S05", pass, |ex, s, b| {
            if ex.method == "DELETE" && s == 406 { (204, Vec::new()) } else { (s, b) }
        }),
        (
            "sync answers 200 and copies nothing",
            "SWR-S06",
            |ex| is(ex, "POST", "/sync_images").then(|| (200, b"[]".to_vec())),
            same,
        ),
        (
            "override false replaces anyway",
            "SWR-S07",
            |ex| {
                if is(ex, "POST", "/sync_images") {
                    let text = String::from_utf8_lossy(&ex.body)
                        .replace("\"override\":false", "\"override\":true");
                    ex.body = text.into_bytes();
                }
                None
            },
            same,
        ),
        ("an absent repository reported as an empty one", "SWR-S08", pass, |ex, s, b| {
            if ex.path.ends_with("/repos/absent/tags") && s == 404 {
                (200, b"[]".to_vec())
            } else {
                (s, b)
            }
        }),
        (
            "delete answers 204 and keeps the repository",
            "SWR-S09",
            |ex| (is(ex, "DELETE", "/repos/conf$app")).then(|| (204, Vec::new())),
            same,
        ),
        (
            "another account reads the namespace",
            "SWR-S10",
            |ex| {
                if ex.token == "carol-token" {
                    ex.token = "bob-token".into();
                }
                None
            },
            same,
        ),
    ];
    for (what, id, before, after) in cases {
        let report = check(Some((before, after)));
        assert!(
            report.findings.iter().any(|f| f.check == id && !f.warning),
            "{what}: {id} reported nothing:\n{}",
            report.to_text()
        );
    }
}

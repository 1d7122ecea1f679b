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
struct InProcess {
    app: BoxEndpoint<'static>,
    rt: tokio::runtime::Runtime,
}

impl Transport for InProcess {
    fn send(&self, r: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = Request::builder()
            .method(r.method.parse().map_err(|_| TransportError("method".into()))?);
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

//! The conformance library against our own server, in-process: zero findings when correct, and
//! each planted fault reported by the check meant for it. One module per family's suite, and
//! one per phase or option of the run that holds for every family.

use std::sync::Arc;

use imagespec_conformance::{Config, Family, HttpRequest, HttpResponse, Transport, TransportError};
use imagespec_server::{
    auth::Credentials,
    store::{State, Store, SystemClock},
};
use poem::{Endpoint, EndpointExt, Request, Response, endpoint::BoxEndpoint, http::StatusCode};

/// CCE image caches: the suite, planted faults, signed requests.
mod cce;
/// The fuzzing phase: no violation against our server, planted accepted negatives and server
/// errors shrunk, the same verdict at any concurrency, C110.
mod fuzzing;
/// Glance images v2: the suite and planted faults.
mod glance;
/// Undeclared methods (C108), as each spec says they are refused.
mod methods;
/// What the run's options select: a given spec in either dialect, `--check`.
mod options;
/// Snowflake image repositories: the suite and planted faults.
mod snowflake;
/// Huawei SWR, two regions over one store: the suite, the sync checks, planted faults.
mod swr;

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

fn in_process(app: BoxEndpoint<'static>) -> InProcess {
    InProcess { app, rt: tokio::runtime::Runtime::new().expect("runtime") }
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

/// A request as a planted fault sees it.
struct Seen {
    method: String,
    path: String,
    query: String,
}

type RequestFault = fn(&mut Request);
type ResponseFault = fn(&Seen, u16, Vec<u8>) -> (u16, Vec<u8>);

/// Our server with a request rewrite in front and a response rewrite behind.
fn with_fault(on_request: RequestFault, on_response: ResponseFault) -> BoxEndpoint<'static> {
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

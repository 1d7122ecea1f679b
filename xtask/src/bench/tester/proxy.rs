//! The fault proxy: a counting HTTP reverse proxy in front of a target, which can plant one fault.
//!
//! Both testers talk to the target through it, so their requests are counted the same way (one
//! per request forwarded). It runs in a background thread with its own tokio runtime (poem on the
//! server side) and forwards with a blocking ureq agent configured to add nothing: no
//! `User-Agent`, `Accept` or `Accept-Encoding` of its own, no redirects followed, the client's
//! `Host` kept (so the `Location` and links the target builds name the proxy, not the target).

use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{Context, Result};
use poem::http::{HeaderName, HeaderValue, Method, StatusCode};
use poem::listener::TcpAcceptor;
use poem::{Body, Request, Response};
use serde_json::Value;
use ureq::config::AutoHeaderValue;

/// A deviation from `specs/glance.yaml` the proxy can plant in the target's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `GET /v2/images/{image_id}` answers 200 with an image object that lacks `status`, a
    /// property the spec's `Image` schema requires.
    ShowWithoutStatus,
}

impl Fault {
    /// What the fault does, for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Fault::ShowWithoutStatus => {
                "GET /v2/images/{image_id} 200 answers lose the required property `status`"
            }
        }
    }

    /// Applies the fault to one exchange; true if the response was changed.
    fn apply(self, method: &Method, path: &str, status: u16, body: &mut Vec<u8>) -> bool {
        match self {
            Fault::ShowWithoutStatus => {
                let is_show = method == Method::GET
                    && path
                        .strip_prefix("/v2/images/")
                        .is_some_and(|id| !id.is_empty() && !id.contains('/'));
                if !is_show || status != 200 {
                    return false;
                }
                let Ok(mut image) = serde_json::from_slice::<Value>(body) else { return false };
                let removed = image.as_object_mut().and_then(|o| o.remove("status")).is_some();
                if removed {
                    *body = serde_json::to_vec(&image).expect("a JSON value serializes");
                }
                removed
            }
        }
    }
}

/// What the proxy has seen so far, shared with its handler.
struct Counters {
    forwarded: AtomicU64,
    first_fault: Mutex<Option<Instant>>,
}

/// A running proxy; dropping it shuts it down and waits for its thread.
pub struct FaultProxy {
    url: String,
    counters: Arc<Counters>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 (a free port) that forwards every request to `target` (a base
    /// URL such as `http://127.0.0.1:8080`) and plants `fault`, if any.
    pub fn start(target: &str, fault: Option<Fault>) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the fault proxy")?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let counters =
            Arc::new(Counters { forwarded: AtomicU64::new(0), first_fault: Mutex::new(None) });
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .allow_non_standard_methods(true)
            .user_agent(AutoHeaderValue::None)
            .accept(AutoHeaderValue::None)
            .accept_encoding(AutoHeaderValue::None)
            .build()
            .new_agent();
        let forward = Forward {
            target: target.trim_end_matches('/').to_owned(),
            agent,
            fault,
            counters: counters.clone(),
        };
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("building the fault proxy's runtime")?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let acceptor = TcpAcceptor::from_std(listener).expect("a bound listener");
                let forward = Arc::new(forward);
                let endpoint = poem::endpoint::make(move |req: Request| {
                    let forward = forward.clone();
                    async move { forward.handle(req).await }
                });
                let stopped = async {
                    let _ = stop.await;
                };
                let server = poem::Server::new_with_acceptor(acceptor);
                let _ = server.run_with_graceful_shutdown(endpoint, stopped, None).await;
            });
        });
        Ok(Self { url, counters, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// The proxy's base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many requests it has forwarded.
    pub fn forwarded(&self) -> u64 {
        self.counters.forwarded.load(Ordering::SeqCst)
    }

    /// Seconds from `since` until the first response the fault changed, if one was.
    pub fn first_fault_after(&self, since: Instant) -> Option<f64> {
        let first = *self.counters.first_fault.lock().expect("not poisoned");
        first.map(|t| t.saturating_duration_since(since).as_secs_f64())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Forward {
    target: String,
    agent: ureq::Agent,
    fault: Option<Fault>,
    counters: Arc<Counters>,
}

/// Headers that belong to one connection, not to the message.
const HOP_BY_HOP: [&str; 4] = ["connection", "keep-alive", "transfer-encoding", "upgrade"];

impl Forward {
    async fn handle(self: Arc<Self>, req: Request) -> Response {
        let (parts, body) = req.into_parts();
        let body = match body.into_vec().await {
            Ok(body) => body,
            Err(e) => return failure(format!("reading the request body: {e}")),
        };
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let this = self.clone();
        let method = parts.method.clone();
        let headers = parts.headers;
        let answer = tokio::task::spawn_blocking(move || {
            this.counters.forwarded.fetch_add(1, Ordering::SeqCst);
            this.send(&method, &target, &headers, body)
        })
        .await;
        match answer {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => failure(format!("forwarding {} {}: {e:#}", parts.method, parts.uri)),
            Err(e) => failure(format!("the forwarding task failed: {e}")),
        }
    }

    /// Sends one request to the target and turns its answer into the proxy's (blocking).
    fn send(
        &self,
        method: &Method,
        target: &str,
        headers: &poem::http::HeaderMap,
        body: Vec<u8>,
    ) -> Result<Response> {
        let mut builder = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(format!("{}{target}", self.target));
        for (name, value) in headers {
            if !HOP_BY_HOP.contains(&name.as_str()) && name != "content-length" {
                builder = builder.header(name.as_str(), value.as_bytes());
            }
        }
        // An empty body is sent as none, so a GET does not gain a `Content-Length: 0`.
        let mut answer = if body.is_empty() {
            self.agent.run(builder.body(())?)?
        } else {
            self.agent.run(builder.body(body)?)?
        };
        let status = answer.status().as_u16();
        let mut out = answer.body_mut().with_config().limit(u64::MAX).read_to_vec()?;
        let path = target.split('?').next().unwrap_or_default();
        let faulted = self.fault.is_some_and(|f| f.apply(method, path, status, &mut out));
        if faulted {
            let mut first = self.counters.first_fault.lock().expect("not poisoned");
            first.get_or_insert_with(Instant::now);
        }
        let mut response = Response::builder().status(StatusCode::from_u16(status)?);
        for (name, value) in answer.headers() {
            let keep_length = method == Method::HEAD && !faulted;
            if HOP_BY_HOP.contains(&name.as_str()) || (name == "content-length" && !keep_length) {
                continue;
            }
            response = response.header(
                HeaderName::from_bytes(name.as_str().as_bytes())?,
                HeaderValue::from_bytes(value.as_bytes())?,
            );
        }
        Ok(response.body(Body::from(out)))
    }
}

/// The proxy's own failure: a 502 that names itself, so it is never mistaken for the target's.
fn failure(message: String) -> Response {
    Response::builder()
        .status(StatusCode::BAD_GATEWAY)
        .content_type("text/plain")
        .body(format!("fault proxy: {message}"))
}

//! [`Inject`], the middleware that applies the plan to a family's requests, and what it leaves
//! for the family's own layers: [`Injected`] errors for its error converter, the [`Deferred`]
//! mark for its 202 protocol.

use poem::{
    Body, Endpoint, IntoResponse, Middleware, Request, Response,
    error::ResponseError,
    http::{HeaderValue, StatusCode, header},
};

use super::plan::{Fault, Faults};
use crate::contract::Contract;

/// The mark an `async` fault leaves in a request's extensions: the family answers the request
/// with its 202 protocol, as if the client had asked for it. Fault injection does not know how;
/// only a family with such a protocol (Snowflake's `deferral`) reads the mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deferred;

/// An injected error, raised by [`Inject`] and rendered by the family's error converter, which
/// finishes its response with [`Injected::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("injected fault: {status}")]
pub struct Injected {
    pub status: u16,
    pub retry_after: Option<u32>,
}

impl ResponseError for Injected {
    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl Injected {
    /// The family's rendered error with `Retry-After` where due.
    pub fn finish(&self, mut resp: Response) -> Response {
        if let Some(seconds) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        resp
    }
}

/// The middleware: finds the request's operation in `contract` (only when rules are installed)
/// and applies the plan's decision for `family`.
pub struct Inject {
    pub faults: Faults,
    pub family: &'static str,
    pub contract: &'static Contract,
}

impl<E: Endpoint> Middleware<E> for Inject {
    type Output = InjectEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        InjectEndpoint {
            inner,
            faults: self.faults.clone(),
            family: self.family,
            contract: self.contract,
        }
    }
}

pub struct InjectEndpoint<E> {
    inner: E,
    faults: Faults,
    family: &'static str,
    contract: &'static Contract,
}

impl<E: Endpoint> Endpoint for InjectEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let decision = if self.faults.is_active() {
            self.contract
                .check(req.method().as_str(), req.uri().path(), req.uri().query())
                .ok()
                .and_then(|op| Some((op.id, self.faults.decide(self.family, op.id)?)))
        } else {
            None
        };
        let Some((operation, decision)) = decision else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        if decision.fault != Fault::Pass || !decision.latency.is_zero() {
            tracing::info!(
                target: "imagespec::faults",
                family = self.family,
                operation,
                fault = ?decision.fault,
                latency_ms = decision.latency.as_millis() as u64,
            );
        }
        if !decision.latency.is_zero() {
            tokio::time::sleep(decision.latency).await;
        }
        match decision.fault {
            Fault::Pass => {}
            Fault::Error { status, retry_after } => {
                return Err(Injected { status, retry_after }.into());
            }
            Fault::Drop => return Ok(dropped()),
            Fault::Async => {
                req.extensions_mut().insert(Deferred);
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// A response whose body fails before its first byte, so the connection is closed without an
/// HTTP answer. The declared length matters: hyper aborts a body that fails, but poem polls the
/// connection once more, and hyper would then end an unknown-length (chunked) body cleanly,
/// flushing the head; a body shorter than its `Content-Length` cannot be ended, so the
/// connection is closed with the head still unsent (`a_dropped_connection_gets_no_http_answer`).
/// The access log records it as 444 ([`crate::middleware::NoAnswer`]).
fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<bytes::Bytes, _>(std::io::Error::other("connection dropped by fault injection"))
    });
    let mut resp = Response::builder()
        .header(header::CONTENT_LENGTH, 1)
        .body(Body::from_bytes_stream(failing));
    resp.extensions_mut().insert(crate::middleware::NoAnswer);
    resp
}

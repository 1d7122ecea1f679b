//! How the tester talks to a target: one request in, one response out. The library only sees
//! this trait, so the same checks run against a third-party URL or an in-process server.

use crate::exchange::{HttpRequest, HttpResponse};
use crate::report::Finding;

/// The target could not be reached or answered something that is not HTTP.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// `Sync`, so that fuzzing can send from several threads at once (`--concurrency`).
pub trait Transport: Sync {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Called with every finding as a session records it, for observers that wrap a transport
    /// (the CLI's progress line); riding on the transport, it reaches every session of a run
    /// without being threaded through `run`. The default ignores it.
    fn on_finding(&self, _finding: &Finding) {}
}

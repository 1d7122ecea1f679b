//! CCE's wire errors: the one place that decides what a client sees for a store refusal or a
//! framework error. CCE answers `{"errorCode", "errorMessage"}`; the API gateway in front of it
//! answers authentication failures and unknown paths in its own envelope
//! ([`crate::huawei_gateway`]).

use poem::{IntoResponse, Response, http::StatusCode, web::Json};

use super::generated::models::{CceError, GatewayError};
use crate::auth::huawei::HuaweiAuthError;
use crate::contract::{FromError, Mismatch};
use crate::faults::Injected;
use crate::huawei_gateway::{self as gateway, Envelope};
use crate::store::cce::CceStoreError;

const INVALID: &str = "CCE.01400001";
const FORBIDDEN: &str = "CCE.01403001";
const NOT_FOUND: &str = "CCE.01404001";
const EXISTS: &str = "CCE.01409001";
const INTERNAL: &str = "CCE.01500001";
/// Not in CCE's error table (the reference lists no 503); chosen after its numbering.
const UNAVAILABLE: &str = "CCE.01503001";

impl Envelope for GatewayError {
    fn from_fields(error_code: String, error_msg: String, request_id: Option<String>) -> Self {
        Self { error_code, error_msg, request_id }
    }
}

/// A store refusal's status and CCE code.
fn status_and_code(e: &CceStoreError) -> (u16, &'static str) {
    match e {
        CceStoreError::NotFound(_) => (404, NOT_FOUND),
        CceStoreError::AlreadyExists(_) => (409, EXISTS),
        CceStoreError::QuotaExceeded(_) => (400, INVALID),
    }
}

/// A store refusal as a declared response of the operation.
pub fn reply<R: FromError<CceError>>(e: CceStoreError) -> R {
    let (status, code) = status_and_code(&e);
    match R::from_error(status, body(code, e.to_string())) {
        Ok(r) => r,
        Err(b) => {
            tracing::error!(status, code = %b.error_code, "status not declared by the operation; answering 400");
            R::from_error(400, b).unwrap_or_else(|_| unreachable_status(400))
        }
    }
}

/// The 401 of an operation reached without a principal (the auth middleware always sets one).
pub fn unauthenticated<R: FromError<GatewayError>>() -> R {
    gateway::unauthenticated::<GatewayError, R>().unwrap_or_else(|_| unreachable_status(401))
}

/// Turns every error poem or our middleware raises into CCE's (or the gateway's) JSON.
pub async fn convert(err: poem::Error) -> Response {
    if let Some(f) = err.downcast_ref::<Injected>() {
        return f.finish(injected(f.status));
    }
    if let Some(auth) = err.downcast_ref::<HuaweiAuthError>() {
        return match auth {
            HuaweiAuthError::WrongProject(_) => json(403, &body(FORBIDDEN, auth.to_string())),
            HuaweiAuthError::BodyTooLarge(_) => json(413, &body(INVALID, auth.to_string())),
            _ => gateway::unauthorized::<GatewayError>(auth),
        };
    }
    if let Some(mismatch) = err.downcast_ref::<Mismatch>() {
        return match mismatch {
            Mismatch::UnknownQuery(_) | Mismatch::RepeatedQuery(_) => {
                json(400, &body(INVALID, mismatch.to_string()))
            }
            _ => gateway::not_found::<GatewayError>(),
        };
    }
    let status = err.status();
    let message = err.to_string();
    match status.as_u16() {
        404 | 405 => gateway::not_found::<GatewayError>(),
        code @ 400..=499 => json(code, &body(INVALID, format!("Invalid request: {message}"))),
        _ => {
            tracing::error!(%status, %message, "internal error");
            json(500, &body(INTERNAL, "Internal error.".to_owned()))
        }
    }
}

/// An injected fault's body: 429 is the gateway's throttling (`APIGW.0308`; CCE also documents
/// its own `CCE.02429001`, but a client meets the gateway's first), 500 CCE's documented internal
/// error, 503 CCE's envelope with a code we chose ([`UNAVAILABLE`]).
fn injected(status: u16) -> Response {
    match status {
        429 => gateway::throttled::<GatewayError>(),
        503 => json(503, &body(UNAVAILABLE, "Service unavailable, please try again later.".into())),
        _ => json(500, &body(INTERNAL, "Internal error.".to_owned())),
    }
}

/// Every CCE operation declares 400 and 401 (lint rule R8), so this is a spec bug, reported loudly
/// in tests through the panic-catching layer rather than a silent wrong answer.
fn unreachable_status(status: u16) -> ! {
    panic!("specs/cce.yaml: an operation does not declare {status}; see specs/README.md#r8")
}

fn body(code: &str, message: String) -> CceError {
    CceError { error_code: code.to_owned(), error_message: message }
}

fn json<T: poem_openapi::types::ToJSON>(status: u16, value: &T) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(value.to_json().unwrap_or_default())).into_response()
}

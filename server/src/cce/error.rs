//! CCE's wire errors: the one place that decides what a client sees for a store error or a
//! framework error. CCE answers `{"errorCode", "errorMessage"}`; the API gateway in front of it
//! answers authentication failures and unknown paths as `{"error_code", "error_msg", "request_id"}`.

use poem::{IntoResponse, Response, http::StatusCode, web::Json};

use super::generated::models::{CceError, GatewayError};
use crate::auth::huawei::HuaweiAuthError;
use crate::contract::{FromError, Mismatch};
use crate::faults::Injected;
use crate::middleware::current_request_id;
use crate::store::cce::CceStoreError;

const INVALID: &str = "CCE.01400001";
const FORBIDDEN: &str = "CCE.01403001";
const NOT_FOUND: &str = "CCE.01404001";
const EXISTS: &str = "CCE.01409001";
const INTERNAL: &str = "CCE.01500001";
/// Not in CCE's error table (the reference lists no 503); chosen after its numbering.
const UNAVAILABLE: &str = "CCE.01503001";
/// The API gateway's flow control (in front of every Huawei Cloud service), and its words.
const THROTTLED: &str = "APIGW.0308";
const THROTTLED_MESSAGE: &str = "The throttling threshold has been reached.";

/// A store refusal as a declared response of the operation.
pub fn reply<R: FromError<CceError>>(e: CceStoreError) -> R {
    let (status, code) = match &e {
        CceStoreError::NotFound(_) => (404, NOT_FOUND),
        CceStoreError::AlreadyExists(_) => (409, EXISTS),
        CceStoreError::QuotaExceeded(_) => (400, INVALID),
    };
    declared(status, body(code, e.to_string()))
}

/// The 401 of an operation reached without a principal (the auth middleware always sets one).
pub fn unauthenticated<R: FromError<GatewayError>>() -> R {
    match R::from_error(401, gateway("APIGW.0301", HuaweiAuthError::Missing.to_string())) {
        Ok(r) => r,
        Err(_) => unreachable_status(401),
    }
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
            _ => json(401, &gateway("APIGW.0301", auth.to_string())),
        };
    }
    if let Some(mismatch) = err.downcast_ref::<Mismatch>() {
        return match mismatch {
            Mismatch::UnknownQuery(_) | Mismatch::RepeatedQuery(_) => {
                json(400, &body(INVALID, mismatch.to_string()))
            }
            _ => json(
                404,
                &gateway(
                    "APIGW.0101",
                    "The API does not exist or has not been published in the environment",
                ),
            ),
        };
    }
    let status = err.status();
    let message = err.to_string();
    match status.as_u16() {
        404 | 405 => json(
            404,
            &gateway(
                "APIGW.0101",
                "The API does not exist or has not been published in the environment",
            ),
        ),
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
        429 => json(429, &gateway(THROTTLED, THROTTLED_MESSAGE)),
        503 => json(503, &body(UNAVAILABLE, "Service unavailable, please try again later.".into())),
        _ => json(500, &body(INTERNAL, "Internal error.".to_owned())),
    }
}

fn declared<R: FromError<CceError>>(status: u16, b: CceError) -> R {
    match R::from_error(status, b) {
        Ok(r) => r,
        Err(b) => {
            tracing::error!(status, code = %b.error_code, "status not declared by the operation; answering 400");
            R::from_error(400, b).unwrap_or_else(|_| unreachable_status(400))
        }
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

fn gateway(code: &str, message: impl Into<String>) -> GatewayError {
    GatewayError {
        error_code: code.to_owned(),
        error_msg: message.into(),
        request_id: Some(current_request_id()),
    }
}

fn json<T: poem_openapi::types::ToJSON>(status: u16, value: &T) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(value.to_json().unwrap_or_default())).into_response()
}

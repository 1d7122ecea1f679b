//! Snowflake's wire errors: the one place that decides what a client sees for a store error, an
//! authentication failure or a framework error. Every 4xx and 5xx is an `ErrorResponse`,
//! `{"code", "message", "error_code", "request_id"}`, with `code` equal to `error_code` and
//! `request_id` equal to the `X-Snowflake-Request-ID` header.

use poem::{IntoResponse, Response, http::StatusCode, web::Json};

use super::generated::models::ErrorResponse;
use crate::auth::snowflake::SnowflakeAuthError;
use crate::body_schema::BodyMismatch;
use crate::contract::{FromError, Mismatch};
use crate::faults::Injected;
use crate::middleware::current_request_id;
use crate::store::snowflake::SnowflakeError;

/// A store refusal's status.
fn status(e: &SnowflakeError) -> u16 {
    match e {
        SnowflakeError::NotFound { .. } | SnowflakeError::NoResult { .. } => 404,
        SnowflakeError::AlreadyExists(_) => 409,
        SnowflakeError::InvalidIdentifier(_)
        | SnowflakeError::QuotedRepositoryName(_)
        | SnowflakeError::QuotedContainer
        | SnowflakeError::EmptyImageName
        | SnowflakeError::BadDigest(_)
        | SnowflakeError::TagValueTooLong
        | SnowflakeError::TooManyTags => 400,
    }
}

/// A store refusal as a declared response of the operation.
pub fn reply<R: FromError<ErrorResponse>>(e: SnowflakeError) -> R {
    let status = status(&e);
    declared(status, envelope(status, e.to_string()))
}

/// A store refusal as a plain response (the admin endpoint, which has no generated replies).
pub fn refusal(e: &SnowflakeError) -> Response {
    response(status(e), e.to_string())
}

/// A stored object the contract's model cannot hold (properties loaded from a state file that
/// do not fit): a 400 rather than a body that breaks the contract.
pub fn unrepresentable<R: FromError<ErrorResponse>>() -> R {
    let message = "the stored object has properties the contract cannot represent";
    declared(400, envelope(400, message))
}

/// A deferred operation's error, replayed by the poll that releases it.
pub fn replayed<R: FromError<ErrorResponse>>(status: u16, body: &serde_json::Value) -> R {
    let message = body["message"].as_str().unwrap_or("the deferred request failed");
    declared(status, envelope(status, message))
}

/// An error of any declared status (used when a deferred result replays its error).
pub fn declared<R: FromError<ErrorResponse>>(status: u16, body: ErrorResponse) -> R {
    match R::from_error(status, body) {
        Ok(r) => r,
        Err(b) => {
            tracing::error!(status, "status not declared by the operation; answering 400");
            R::from_error(400, b).unwrap_or_else(|_| unreachable_status(400))
        }
    }
}

/// The 401 of an operation reached without a principal (the auth middleware always sets one).
pub fn unauthenticated<R: FromError<ErrorResponse>>() -> R {
    declared(401, envelope(401, SnowflakeAuthError::Missing.to_string()))
}

/// The envelope for a status: Snowflake's code for it, the message, this request's id.
pub fn envelope(status: u16, message: impl Into<String>) -> ErrorResponse {
    let code = match status {
        404 => "002003".to_owned(),
        409 => "002002".to_owned(),
        401 => "390303".to_owned(),
        403 => "003001".to_owned(),
        other => format!("{other:06}"),
    };
    ErrorResponse {
        code: Some(code.clone()),
        error_code: Some(code),
        message: Some(message.into()),
        request_id: Some(current_request_id()),
    }
}

/// The envelope as a response.
pub fn response(status: u16, message: impl Into<String>) -> Response {
    let status_code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = envelope(status_code.as_u16(), message);
    let value = poem_openapi::types::ToJSON::to_json(&body).unwrap_or_default();
    (status_code, Json(value)).into_response()
}

/// Turns every error poem or our middleware raises into Snowflake's JSON.
pub async fn convert(err: poem::Error) -> Response {
    if let Some(f) = err.downcast_ref::<Injected>() {
        return f.finish(response(f.status, injected_message(f.status)));
    }
    if let Some(auth) = err.downcast_ref::<SnowflakeAuthError>() {
        return response(401, auth.to_string());
    }
    if let Some(mismatch) = err.downcast_ref::<Mismatch>() {
        return match mismatch {
            Mismatch::MethodNotAllowed { allow, .. } => {
                // RFC 9110 §15.5.6: a 405 names the methods the path does allow.
                let mut resp = response(405, mismatch.to_string());
                if let Ok(v) = allow.join(", ").parse() {
                    resp.headers_mut().insert(poem::http::header::ALLOW, v);
                }
                resp
            }
            Mismatch::UnknownQuery(_) | Mismatch::RepeatedQuery(_) => {
                response(400, mismatch.to_string())
            }
            Mismatch::UnknownPath(_) => response(404, "Not found: no such endpoint."),
        };
    }
    if let Some(b) = err.downcast_ref::<BodyMismatch>() {
        return response(400, b.to_string());
    }
    let status = err.status();
    let message = err.to_string();
    match status.as_u16() {
        code @ 400..=499 => response(code, message),
        _ => {
            tracing::error!(%status, %message, "internal error");
            response(500, "Internal error.")
        }
    }
}

/// An injected fault's message. The spec declares 429, 500 and 503 as `ErrorResponse`s and
/// snowflake-core retries 429 and 503 (reference §5), but no source gives the real codes or words:
/// the code is the status in six digits, as for every status without a known code ([`envelope`]),
/// and the messages are ours.
fn injected_message(status: u16) -> &'static str {
    match status {
        429 => "Too many requests. Please retry later.",
        503 => "Service temporarily unavailable. Please retry later.",
        _ => "Internal error.",
    }
}

/// Every Snowflake operation declares 400 and 401 (lint rule R8), so this is a spec bug,
/// reported loudly in tests through the panic-catching layer rather than a silent wrong answer.
fn unreachable_status(status: u16) -> ! {
    panic!("specs/snowflake.yaml: an operation does not declare {status}; see specs/README.md#r8")
}

//! SWR's wire errors: the one place that decides what a client sees for a store refusal or a
//! framework error. SWR answers `{"errorCode", "errorMessage"}`; the API gateway in front of it
//! answers failed authentication and unknown paths in its own envelope
//! ([`crate::huawei_gateway`]).

use poem::{IntoResponse, Response, http::StatusCode, web::Json};
use poem_openapi::error::ParseParamError;

use super::generated::models::{GatewayError, SwrError};
use crate::auth::huawei::HuaweiAuthError;
use crate::body_schema::BodyMismatch;
use crate::contract::{FromError, Mismatch};
use crate::faults::Injected;
use crate::huawei_gateway::{self as gateway, Envelope};
use crate::store::swr::SwrStoreError;

const INVALID: &str = "SVCSTG.SWR.4000014";
const MISSING: &str = "SVCSTG.SWR.4001014";
const BAD_NAMESPACE: &str = "SVCSTG.SWR.4001028";
const BAD_REPOSITORY: &str = "SVCSTG.SWR.4001029";
const BAD_TAG: &str = "SVCSTG.SWR.4009021";
const INTERNAL: &str = "SVCSTG.SWR.5000007";
/// Not in SWR's error table (the reference lists no 503); chosen after its numbering.
const UNAVAILABLE: &str = "SVCSTG.SWR.5030001";

impl Envelope for GatewayError {
    fn from_fields(error_code: String, error_msg: String, request_id: Option<String>) -> Self {
        Self { error_code, error_msg, request_id }
    }
}

/// A store refusal's status and SWR code.
pub fn status_and_code(e: &SwrStoreError) -> (u16, &'static str) {
    match e {
        SwrStoreError::InvalidNamespace(_) => (400, BAD_NAMESPACE),
        SwrStoreError::InvalidRepository(_) => (400, BAD_REPOSITORY),
        SwrStoreError::InvalidTag(_) => (400, BAD_TAG),
        SwrStoreError::InvalidParameter(_) | SwrStoreError::UnknownRegion(_) => (400, INVALID),
        SwrStoreError::MissingParameter(_) => (400, MISSING),
        SwrStoreError::QuotaExceeded(_) => (400, "SVCSTG.SWR.4000097"),
        SwrStoreError::RuleNotFound => (400, "SVCSTG.SWR.4001158"),
        SwrStoreError::NamespaceNotFound(_) => (404, "SVCSTG.SWR.4040058"),
        SwrStoreError::RepositoryNotFound(_) => (404, "SVCSTG.SWR.4040010"),
        SwrStoreError::TagNotFound(_) => (404, "SVCSTG.SWR.4040048"),
        SwrStoreError::NamespaceNotEmpty(_) => (406, "SVCSTG.SWR.4060074"),
        SwrStoreError::NamespaceExists(_) => (409, "SVCSTG.SWR.4090060"),
        SwrStoreError::RepositoryExists(_) => (409, "SVCSTG.SWR.4090006"),
    }
}

/// A store refusal as a declared response of the operation.
pub fn reply<R: FromError<SwrError>>(e: SwrStoreError) -> R {
    let (status, code) = status_and_code(&e);
    let b = body(code, e.to_string());
    match R::from_error(status, b) {
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

/// A store refusal as a plain response (the admin endpoint, which has no generated replies).
pub fn response(e: &SwrStoreError) -> Response {
    let (status, code) = status_and_code(e);
    json(status, &body(code, e.to_string()))
}

/// Turns every error poem or our middleware raises into SWR's (or the gateway's) JSON.
pub async fn convert(err: poem::Error) -> Response {
    if let Some(f) = err.downcast_ref::<Injected>() {
        return f.finish(injected(f.status));
    }
    if let Some(auth) = err.downcast_ref::<HuaweiAuthError>() {
        return match auth {
            HuaweiAuthError::BodyTooLarge(_) => json(413, &body(INVALID, auth.to_string())),
            _ => gateway::unauthorized::<GatewayError>(auth),
        };
    }
    if let Some(mismatch) = err.downcast_ref::<Mismatch>() {
        return match mismatch {
            Mismatch::UnknownQuery(_) | Mismatch::RepeatedQuery(_) => {
                json(400, &body(INVALID, format!("Invalid parameters: {mismatch}")))
            }
            _ => gateway::not_found::<GatewayError>(),
        };
    }
    if let Some(e) = err.downcast_ref::<SwrStoreError>() {
        return response(e);
    }
    if let Some(m) = err.downcast_ref::<BodyMismatch>() {
        let code = match m.at.as_str() {
            "/namespace" | "/remoteNamespace" => BAD_NAMESPACE,
            "/repository" => BAD_REPOSITORY,
            "/destination_tag" | "/source_tag" => BAD_TAG,
            at if at.starts_with("/imageTag/") => BAD_TAG,
            _ if m.missing => MISSING,
            _ => INVALID,
        };
        return json(400, &body(code, format!("Invalid parameters: {m}")));
    }
    if let Some(p) = err.downcast_ref::<ParseParamError>() {
        let code = match p.name {
            "namespace" => BAD_NAMESPACE,
            "repository" => BAD_REPOSITORY,
            "tag" => BAD_TAG,
            _ => INVALID,
        };
        return json(400, &body(code, format!("Invalid parameters: {err}")));
    }
    let status = err.status();
    let message = err.to_string();
    match status.as_u16() {
        404 | 405 => gateway::not_found::<GatewayError>(),
        code @ 400..=499 => json(code, &body(INVALID, format!("Invalid parameters: {message}"))),
        _ => {
            tracing::error!(%status, %message, "internal error");
            json(500, &body(INTERNAL, "Internal error".to_owned()))
        }
    }
}

/// An injected fault's body: 429 is the API gateway's throttling (`APIGW.0308`), 500 SWR's
/// documented internal error, 503 SWR's envelope with a code we chose ([`UNAVAILABLE`]).
fn injected(status: u16) -> Response {
    match status {
        429 => gateway::throttled::<GatewayError>(),
        503 => json(503, &body(UNAVAILABLE, "Service unavailable, please try again later".into())),
        _ => json(500, &body(INTERNAL, "Internal error".to_owned())),
    }
}

/// Every SWR operation declares 400 and 401 (lint rule R8), so this is a spec bug, reported
/// loudly in tests through the panic-catching layer rather than a silent wrong answer.
fn unreachable_status(status: u16) -> ! {
    panic!("specs/swr.yaml: an operation does not declare {status}; see specs/README.md#r8")
}

fn body(code: &str, message: String) -> SwrError {
    SwrError { detail: None, error_code: code.to_owned(), error_message: message }
}

fn json<T: poem_openapi::types::ToJSON>(status: u16, value: &T) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(value.to_json().unwrap_or_default())).into_response()
}

//! The Huawei Cloud API gateway's error envelope, `{"error_code", "error_msg", "request_id"}`:
//! what the gateway in front of CCE and SWR answers by itself (failed authentication, a path
//! with no API, flow control) before the service sees the request.
//!
//! Each family's spec declares the envelope as its own `GatewayError` schema, so each family's
//! generated code has its own type; [`Envelope`] lets this one module fill either. The codes
//! and words are the gateway's, the same for every service behind it.

use poem::{IntoResponse, Response, http::StatusCode, web::Json};
use poem_openapi::types::ToJSON;

use crate::auth::huawei::HuaweiAuthError;
use crate::contract::FromError;
use crate::middleware::current_request_id;

/// Authentication failed: every [`HuaweiAuthError`] the gateway answers with a 401.
pub const UNAUTHORIZED: &str = "APIGW.0301";
/// No API at this path and method.
pub const NOT_FOUND: &str = "APIGW.0101";
const NOT_FOUND_MESSAGE: &str =
    "The API does not exist or has not been published in the environment";
/// Flow control.
pub const THROTTLED: &str = "APIGW.0308";
const THROTTLED_MESSAGE: &str = "The throttling threshold has been reached.";

/// A family's generated `GatewayError` model.
pub trait Envelope: ToJSON {
    fn from_fields(error_code: String, error_msg: String, request_id: Option<String>) -> Self;
}

/// The envelope with `code`, carrying the request's id as the gateway does.
pub fn body<G: Envelope>(code: &str, message: impl Into<String>) -> G {
    G::from_fields(code.to_owned(), message.into(), Some(current_request_id()))
}

/// The 401 of a failed authentication.
pub fn unauthorized<G: Envelope>(e: &HuaweiAuthError) -> Response {
    json(StatusCode::UNAUTHORIZED, &body::<G>(UNAUTHORIZED, e.to_string()))
}

/// The 404 of a path or method that has no API.
pub fn not_found<G: Envelope>() -> Response {
    json(StatusCode::NOT_FOUND, &body::<G>(NOT_FOUND, NOT_FOUND_MESSAGE))
}

/// The 429 of the gateway's flow control.
pub fn throttled<G: Envelope>() -> Response {
    json(StatusCode::TOO_MANY_REQUESTS, &body::<G>(THROTTLED, THROTTLED_MESSAGE))
}

/// The declared 401 of an operation reached without a principal (the authentication layer
/// always sets one, so only a mistake in the stack gets here); `Err` gives the body back when
/// the operation does not declare 401.
pub fn unauthenticated<G: Envelope, R: FromError<G>>() -> Result<R, G> {
    R::from_error(401, body(UNAUTHORIZED, HuaweiAuthError::Missing.to_string()))
}

fn json<G: Envelope>(status: StatusCode, envelope: &G) -> Response {
    (status, Json(envelope.to_json().unwrap_or_default())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, poem_openapi::Object)]
    struct Model {
        error_code: String,
        error_msg: String,
        request_id: Option<String>,
    }

    impl Envelope for Model {
        fn from_fields(error_code: String, error_msg: String, request_id: Option<String>) -> Self {
            Self { error_code, error_msg, request_id }
        }
    }

    #[tokio::test]
    async fn the_gateway_answers_with_its_codes_and_words() {
        let r = not_found::<Model>();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let text = r.into_body().into_string().await.expect("text");
        assert_eq!(
            text,
            r#"{"error_code":"APIGW.0101","error_msg":"The API does not exist or has not been published in the environment","request_id":""}"#
        );
        assert_eq!(throttled::<Model>().status(), StatusCode::TOO_MANY_REQUESTS);
        let r = unauthorized::<Model>(&HuaweiAuthError::BadToken);
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let text = r.into_body().into_string().await.expect("text");
        assert!(text.contains(r#""error_code":"APIGW.0301""#), "{text}");
    }
}

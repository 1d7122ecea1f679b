//! Glance's wire errors: why a request is refused ([`Refusal`]: the store's reasons and those of
//! the checks made before the store is asked) and the one `match` that decides each refusal's
//! status ([`status_of`]). Glance renders every error through WebOb: the body is JSON
//! (`{"message", "code", "title"}`), HTML or plain text, whichever the request's `Accept` prefers
//! among `text/html`, `application/json` and `text/plain` (in that order on ties; plain text when
//! `Accept` is absent). Handlers and [`convert`] build the JSON form; [`Negotiate`] re-renders it.

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response,
    http::{HeaderValue, StatusCode, header},
    web::Json,
};

use super::generated::models::GlanceError;
use crate::auth::keystone::Unauthenticated;
use crate::contract::{FromError, Mismatch};
use crate::faults::Injected;
use crate::store::glance::ImageError;

/// WebOb's layout of a message: explanation, then the detail.
pub fn body(status: u16, explanation: &str, detail: &str) -> GlanceError {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let title = code.canonical_reason().unwrap_or("Error");
    GlanceError {
        code: format!("{} {title}", code.as_u16()),
        title: title.to_owned(),
        message: format!("{explanation}<br /><br />\n{detail}\n\n"),
    }
}

/// Why Glance refuses a request: the store's refusals, and those Glance's router, request
/// deserializers and WSGI layer make before the store is asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Store(#[from] ImageError),
    /// A path with a trailing slash.
    #[error("The resource could not be found.")]
    NoRoute,
    #[error("Invalid content type {0}")]
    MediaType(String),
    /// A PATCH whose media type is none of the `accepted` JSON-patch ones.
    #[error("Image PATCH expects Content-Type one of: {accepted}")]
    PatchMediaType { media: String, accepted: &'static str },
    #[error("The request body is larger than {limit} bytes.")]
    BodyTooLarge { limit: usize },
    #[error("reading the body: {0}")]
    BodyUnreadable(String),
    #[error("A body is not expected with this request.")]
    UnexpectedBody,
    #[error("Body expected in request.")]
    NoBody,
    #[error("Malformed JSON in request body.")]
    MalformedJson,
    #[error("Request body must be a JSON array of operation objects.")]
    PatchNotArray,
    #[error("Operations must be JSON objects.")]
    PatchNotObjects,
    #[error("Request body must be a JSON object with a string \"member\".")]
    NoMember,
    #[error("Request body must be a JSON object with a string \"status\".")]
    NoMemberStatus,
    #[error("Unexpected body type. Expected dict.")]
    NotAnObject,
    /// A query that is not UTF-8 once percent-decoded.
    #[error(
        "Error decoding your request. Either the URL or the request body contained characters that could not be decoded by Glance"
    )]
    Undecodable,
}

impl poem::error::ResponseError for Refusal {
    fn status(&self) -> StatusCode {
        StatusCode::from_u16(status_of(self)).unwrap_or(StatusCode::BAD_REQUEST)
    }
}

/// The status of each refusal: the one place that decides it.
pub fn status_of(r: &Refusal) -> u16 {
    match r {
        Refusal::Store(e) => store_status(e),
        Refusal::NoRoute => 404,
        Refusal::BodyTooLarge { .. } => 413,
        Refusal::MediaType(_) | Refusal::PatchMediaType { .. } => 415,
        Refusal::BodyUnreadable(_)
        | Refusal::UnexpectedBody
        | Refusal::NoBody
        | Refusal::MalformedJson
        | Refusal::PatchNotArray
        | Refusal::PatchNotObjects
        | Refusal::NoMember
        | Refusal::NoMemberStatus
        | Refusal::NotAnObject
        | Refusal::Undecodable => 400,
    }
}

fn store_status(e: &ImageError) -> u16 {
    use ImageError as E;
    match e {
        E::PropertyNameTooLong
        | E::OutOfRange { .. }
        | E::InvalidVisibility(_)
        | E::SchemaMismatch(_)
        | E::SchemaUnusable(_)
        | E::NoOperation
        | E::BadPointer(_)
        | E::MissingValue(_)
        | E::TagTooLong
        | E::EmptyMember
        | E::FormatsUnset(_)
        | E::DataUnreadable(_)
        | E::SizeMismatch { .. }
        | E::MultipleRanges
        | E::Query(_)
        | E::NoMarker(_) => 400,
        E::Denied(_)
        | E::ForeignOwner(_)
        | E::OwnerNeedsAdmin
        | E::Protected(_)
        | E::Deactivated
        | E::ReadOnly(_)
        | E::Reserved(_)
        | E::LocationsHidden
        | E::NotRemovable(_)
        | E::FormatLocked(_)
        | E::NotSwitchable { .. }
        | E::NotShared { .. }
        | E::MarkerNotVisible(_) => 403,
        E::NotVisible(_)
        | E::NoImageToDelete(_)
        | E::NoSuchTag(_)
        | E::NoSuchMember(_)
        | E::DataMissing(_) => 404,
        E::IdTaken(_)
        | E::NoSuchProperty(_)
        | E::AlreadyPresent(_)
        | E::AlreadyMember { .. }
        | E::NotQueued(_) => 409,
        E::DeletedDuringUpload(_) => 410,
        E::QuotaExceeded(_) | E::OverSizeCap => 413,
        E::FormatMismatch { .. } => 415,
        E::RangeUnsatisfiable(_) | E::RangeUnreadable => 416,
    }
}

/// A refusal's status and body.
fn envelope(r: &Refusal) -> (u16, GlanceError) {
    let status = status_of(r);
    let b = match r {
        Refusal::PatchMediaType { media, .. } => {
            let explanation =
                format!("The request media type {media} is not supported by this server.");
            body(415, &explanation, &r.to_string())
        }
        _ if status == 415 => unsupported(&r.to_string()),
        _ => body(status, &r.to_string(), ""),
    };
    (status, b)
}

/// A refusal as a declared response of the operation.
pub fn reply<R: FromError<GlanceError>>(e: impl Into<Refusal>) -> R {
    let (status, b) = envelope(&e.into());
    match R::from_error(status, b) {
        Ok(r) => r,
        Err(b) => {
            tracing::error!(status, message = %b.message, "status not declared by the operation; answering 400");
            R::from_error(400, b).unwrap_or_else(|_| {
                panic!(
                    "specs/glance.yaml: an operation does not declare 400; see specs/README.md#r8"
                )
            })
        }
    }
}

fn unsupported(detail: &str) -> GlanceError {
    let media = detail.rsplit(' ').next().unwrap_or_default();
    GlanceError {
        code: "415 Unsupported Media Type".into(),
        title: "Unsupported Media Type".into(),
        message: format!(
            "The request media type {media} is not supported by this server.\n<br /><br />\n{detail}"
        ),
    }
}

/// A response in Glance's JSON error form.
pub fn respond(status: u16, b: &GlanceError) -> Response {
    let value = serde_json::json!({"message": b.message, "code": b.code, "title": b.title});
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (code, Json(value)).into_response()
}

/// Every error poem or our middleware raises, in Glance's form.
pub async fn convert(err: poem::Error) -> Response {
    if let Some(f) = err.downcast_ref::<Injected>() {
        return f.finish(respond(f.status, &body(f.status, injected_explanation(f.status), "")));
    }
    if let Some(e) = err.downcast_ref::<Unauthenticated>() {
        return respond(401, &body(401, &e.to_string(), ""));
    }
    if let Some(r) = err.downcast_ref::<Refusal>() {
        let (status, b) = envelope(r);
        let mut resp = respond(status, &b);
        if let Refusal::PatchMediaType { accepted, .. } = r {
            resp.headers_mut().insert("Accept-Patch", HeaderValue::from_static(accepted));
        }
        return resp;
    }
    if let Some(m) = err.downcast_ref::<Mismatch>() {
        return match m {
            Mismatch::MethodNotAllowed { allow, .. } => {
                let mut r = respond(
                    405,
                    &body(405, "The method specified is not allowed for this resource.", ""),
                );
                if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                    r.headers_mut().insert(header::ALLOW, v);
                }
                r
            }
            _ => respond(404, &body(404, "The resource could not be found.", "")),
        };
    }
    let status = err.status().as_u16();
    let message = err.to_string();
    match status {
        404 | 405 => respond(404, &body(404, "The resource could not be found.", "")),
        413 => respond(413, &body(413, "The request body is too large.", "")),
        415 => respond(415, &unsupported(&format!("Invalid content type {message}"))),
        400..=499 => respond(
            400,
            &body(400, &format!("Provided object does not match schema 'image': {message}"), ""),
        ),
        _ => {
            tracing::error!(status, %message, "internal error");
            respond(
                500,
                &body(
                    500,
                    "The server has either erred or is incapable of performing the requested operation.",
                    "",
                ),
            )
        }
    }
}

/// WebOb's default explanation of the statuses fault injection raises (`webob.exc`'s
/// `HTTPTooManyRequests`, `HTTPServiceUnavailable`, `HTTPInternalServerError`). Glance itself never
/// answers 429 or 503 (the reference is silent on both: it has no rate limiter); they come from
/// WSGI middleware in front of it, which raises the same WebOb exceptions, so the bodies are
/// WebOb's, negotiated by `Accept` like every other Glance error.
fn injected_explanation(status: u16) -> &'static str {
    match status {
        429 => "The client has sent too many requests in a given amount of time.",
        503 => "The server is currently unavailable. Please try again at a later time.",
        _ => "The server has either erred or is incapable of performing the requested operation.",
    }
}

/// What WebOb would pick for this `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    Html,
    Json,
    Plain,
}

/// WebOb's `best_match(["text/html", "application/json", "text/plain"])`: the offer with the
/// highest quality (the most specific matching range decides an offer's quality), earlier offers
/// winning ties, plain text when nothing matches or there is no header.
pub fn negotiate(accept: Option<&str>) -> Rendering {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else { return Rendering::Plain };
    let ranges: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let range = parts.next()?.trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse().ok()))
                .next()
                .unwrap_or(1.0);
            (!range.is_empty()).then_some((range, q))
        })
        .collect();
    let quality = |offer: &str| -> f32 {
        let (kind, _) = offer.split_once('/').unwrap_or((offer, ""));
        let mut best: Option<(u8, f32)> = None;
        for (range, q) in &ranges {
            let specificity = if range == offer {
                3
            } else if range.strip_suffix("/*") == Some(kind) {
                2
            } else if range == "*/*" {
                1
            } else {
                continue;
            };
            if best.is_none_or(|(s, _)| specificity > s) {
                best = Some((specificity, *q));
            }
        }
        best.map_or(0.0, |(_, q)| q)
    };
    let offers = [
        (Rendering::Html, "text/html"),
        (Rendering::Json, "application/json"),
        (Rendering::Plain, "text/plain"),
    ];
    let mut pick = (Rendering::Plain, 0.0_f32);
    for (r, offer) in offers {
        let q = quality(offer);
        if q > pick.1 {
            pick = (r, q);
        }
    }
    pick.0
}

/// Re-renders JSON error bodies as HTML or plain text when the client prefers those.
pub struct Negotiate;

impl<E: Endpoint> Middleware<E> for Negotiate {
    type Output = NegotiateEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        NegotiateEndpoint(inner)
    }
}

pub struct NegotiateEndpoint<E>(E);

impl<E: Endpoint> Endpoint for NegotiateEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let rendering = negotiate(req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()));
        let resp = match self.0.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let status = resp.status();
        if status.as_u16() < 400 || rendering == Rendering::Json {
            return Ok(resp);
        }
        let (mut parts, body) = resp.into_parts();
        let bytes = body.into_bytes().await.unwrap_or_default();
        let Ok(err) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            return Ok(Response::from_parts(parts, bytes.into()));
        };
        let message = err.get("message").and_then(|m| m.as_str()).unwrap_or_default();
        let code = err.get("code").and_then(|m| m.as_str()).unwrap_or_default();
        let (explanation, detail) = message.split_once("<br /><br />\n").unwrap_or((message, ""));
        let (text, content_type) = match rendering {
            Rendering::Html => (
                format!(
                    "<html>\n <head>\n  <title>{code}</title>\n </head>\n <body>\n  <h1>{code}</h1>\n  {}<br /><br />\n{}\n\n\n </body>\n</html>",
                    html_escape(explanation),
                    html_escape(detail.trim_end())
                ),
                "text/html; charset=UTF-8",
            ),
            _ => (
                format!("{code}\n\n{}\n\n{}   ", explanation.trim_end(), detail.trim_end()),
                "text/plain; charset=UTF-8",
            ),
        };
        parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        parts.headers.remove(header::CONTENT_LENGTH);
        Ok(Response::from_parts(parts, text.into()))
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_pick_webobs_rendering() {
        assert_eq!(negotiate(None), Rendering::Plain);
        assert_eq!(negotiate(Some("")), Rendering::Plain);
        assert_eq!(negotiate(Some("*/*")), Rendering::Html);
        assert_eq!(negotiate(Some("application/json")), Rendering::Json);
        assert_eq!(negotiate(Some("text/plain")), Rendering::Plain);
        assert_eq!(negotiate(Some("text/*")), Rendering::Html);
        assert_eq!(negotiate(Some("application/json, */*;q=0.5")), Rendering::Json);
        assert_eq!(negotiate(Some("text/html;q=0.1, application/json")), Rendering::Json);
        assert_eq!(negotiate(Some("image/png")), Rendering::Plain);
    }

    #[test]
    fn bodies_follow_webobs_layout() {
        let b = body(404, "The resource could not be found.", "");
        assert_eq!(b.code, "404 Not Found");
        assert_eq!(b.title, "Not Found");
        assert_eq!(b.message, "The resource could not be found.<br /><br />\n\n\n");
    }
}

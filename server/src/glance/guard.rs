//! What Glance's router and request deserializers refuse before any controller runs: paths
//! with a trailing slash, unknown routes and methods (through the contract), wrong media types,
//! and request bodies that are too large, malformed or of the wrong shape.

use poem::{Body, Endpoint, Middleware, Request, http::header};

use super::error::Refusal;
use super::generated::api::CONTRACT;
use crate::store::glance::schema;

/// The largest JSON request body accepted (image data is streamed and not limited by this).
pub const BODY_LIMIT: usize = 1 << 20;
/// The media types PATCH accepts, as `Accept-Patch` lists them.
pub const PATCH_MEDIA_TYPES: &str =
    "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch";

/// What Glance's router and request deserializers refuse before any controller runs.
pub struct Guard;

impl<E: Endpoint> Middleware<E> for Guard {
    type Output = GuardEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        GuardEndpoint(inner)
    }
}

pub struct GuardEndpoint<E>(E);

fn bad(refusal: Refusal) -> poem::Error {
    poem::Error::from(refusal)
}

impl<E: Endpoint> Endpoint for GuardEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<E::Output> {
        let path = req.uri().path();
        if path.len() > 1 && path.ends_with('/') {
            return Err(bad(Refusal::NoRoute));
        }
        let op = CONTRACT.check(req.method().as_str(), req.uri().path(), req.uri().query())?;
        let media = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let essence = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match op.id {
            "upload_image_data" => {
                if essence != "application/octet-stream" {
                    return Err(bad(Refusal::MediaType(media)));
                }
                return self.0.call(req).await;
            }
            "update_image" if !PATCH_MEDIA_TYPES.split(", ").any(|m| m == essence) => {
                return Err(bad(Refusal::PatchMediaType { media, accepted: PATCH_MEDIA_TYPES }));
            }
            "create_image" | "create_image_member" | "update_image_member"
                if essence != "application/json" =>
            {
                return Err(bad(Refusal::MediaType(media)));
            }
            _ => {}
        }
        let bytes = read_limited(req.take_body()).await?;
        let takes_body = matches!(
            op.id,
            "create_image" | "update_image" | "create_image_member" | "update_image_member"
        );
        if !takes_body {
            if !bytes.is_empty() {
                return Err(bad(Refusal::UnexpectedBody));
            }
            return self.0.call(req).await;
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(bad(Refusal::NoBody));
        }
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            return Err(bad(Refusal::MalformedJson));
        };
        match (op.id, &json) {
            ("update_image", serde_json::Value::Array(ops)) => {
                if !ops.iter().all(serde_json::Value::is_object) {
                    return Err(bad(Refusal::PatchNotObjects));
                }
            }
            ("update_image", _) => {
                return Err(bad(Refusal::PatchNotArray));
            }
            ("create_image", serde_json::Value::Object(_)) => {
                schema::check_create(&json).map_err(|e| bad(e.into()))?;
            }
            ("create_image_member", serde_json::Value::Object(fields))
                if !fields.get("member").is_some_and(serde_json::Value::is_string) =>
            {
                return Err(bad(Refusal::NoMember));
            }
            ("update_image_member", serde_json::Value::Object(fields))
                if !fields.get("status").is_some_and(serde_json::Value::is_string) =>
            {
                return Err(bad(Refusal::NoMemberStatus));
            }
            (_, serde_json::Value::Object(_)) => {}
            _ => return Err(bad(Refusal::NotAnObject)),
        }
        req.set_body(Body::from(bytes));
        self.0.call(req).await
    }
}

/// The whole body, refusing more than [`BODY_LIMIT`] bytes with 413.
async fn read_limited(body: Body) -> poem::Result<Vec<u8>> {
    let bytes = body.into_bytes_limit(BODY_LIMIT).await.map_err(|e| match e {
        poem::error::ReadBodyError::PayloadTooLarge => Refusal::BodyTooLarge { limit: BODY_LIMIT },
        other => Refusal::BodyUnreadable(other.to_string()),
    })?;
    Ok(bytes.to_vec())
}

//! OpenStack Glance images v2 (`glance`): generated routes, handlers over the store, WebOb-style
//! errors, and the checks Glance's router and deserializers make before a controller runs.
//!
//! The stack, outermost first: error rendering by `Accept` ([`error::Negotiate`]) →
//! authentication (token or trusted headers; `/` and `/versions` are open) → request id
//! (`x-openstack-request-id: req-<uuid>`) → conversion of every error to Glance's JSON → fault
//! injection ([`crate::faults::Inject`], a no-op without rules) → [`Guard`] (404/405 with
//! `Allow`, media types, bodies) → the generated poem-openapi routes.

pub mod error;
pub mod generated;
pub mod handlers;

use std::sync::Arc;

use poem::{Body, Endpoint, EndpointExt, Middleware, Request, http::header};
use poem_openapi::OpenApiService;

use crate::auth::{Credentials, keystone::KeystoneAuth};
use crate::faults::{Faults, Inject};
use crate::middleware::RequestId;
use crate::store::{
    Store,
    glance::{ImageError, schema},
};
use error::Refusal;
use generated::api::{CONTRACT, GlanceRoutes};
use handlers::Glance;

/// The largest JSON request body accepted (image data is streamed and not limited by this).
pub const BODY_LIMIT: usize = 1 << 20;
/// The media types PATCH accepts, as `Accept-Patch` lists them.
pub const PATCH_MEDIA_TYPES: &str =
    "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch";

/// Whether a path belongs to Glance: the version documents and everything under `/v2/` except
/// SWR's `/v2/manage/`.
pub fn owns(path: &str) -> bool {
    path == "/"
        || path == "/versions"
        || path == "/v2"
        || (path.starts_with("/v2/") && !path.starts_with("/v2/manage/"))
}

pub fn service(store: Store) -> OpenApiService<GlanceRoutes<Glance>, ()> {
    OpenApiService::new(
        GlanceRoutes(Glance { store }),
        "OpenStack Images API v2 (imagespec)",
        "2.18",
    )
}

pub fn endpoint(store: Store, credentials: Arc<Credentials>, faults: Faults) -> impl Endpoint {
    service(store)
        .with(Guard)
        .with(Inject { faults, family: "glance", contract: &CONTRACT })
        .catch_all_error(error::convert)
        .with(RequestId::openstack("x-openstack-request-id"))
        .with(KeystoneAuth { credentials, open: &["/", "/versions"] })
        .catch_all_error(error::convert)
        .with(error::Negotiate)
}

/// A PATCH whose Content-Type is neither JSON-patch media type (415 with `Accept-Patch`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Image PATCH expects Content-Type one of: {PATCH_MEDIA_TYPES}")]
pub struct WrongPatchMedia(pub String);

impl poem::error::ResponseError for WrongPatchMedia {
    fn status(&self) -> poem::http::StatusCode {
        poem::http::StatusCode::UNSUPPORTED_MEDIA_TYPE
    }
}

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
                return Err(WrongPatchMedia(media).into());
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
            ("create_image", serde_json::Value::Object(fields)) => {
                for key in ["direct_url", "self", "file", "schema", "stores"] {
                    if fields.contains_key(key) {
                        return Err(bad(ImageError::ReadOnly(key.to_owned()).into()));
                    }
                }
                schema::check_image(&json).map_err(|e| bad(e.into()))?;
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
        poem::error::ReadBodyError::PayloadTooLarge => Refusal::BodyTooLarge,
        other => Refusal::BodyUnreadable(other.to_string()),
    })?;
    Ok(bytes.to_vec())
}

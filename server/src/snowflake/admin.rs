//! The admin endpoint that seeds images, which the vendor API cannot push:
//! `POST /admin/snowflake/databases/{database}/schemas/{schema}/image-repositories/{name}/images`
//! with `{"image_name": "...", "tags": ["latest"], "digest": "sha256:...", "created_on": "..."}`
//! (`tags` may also be one string; `digest` defaults to the SHA-256 of the name, `created_on` to
//! now). An image of the same name is replaced. The answer is 200 with the repository's image
//! list, shaped like `listImagesInRepository`. Authenticated like the family; errors in the
//! family's envelope. Not part of the vendor spec.

use poem::{Endpoint, IntoResponse, Request, Response, http::Method, web::Json};
use serde::Deserialize;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use super::convert::image_list;
use super::error::{refusal, response};
use crate::auth::Principal;
use crate::store::{Store, snowflake::NewImage};

/// The route (poem syntax).
pub const PATH: &str =
    "/admin/snowflake/databases/:database/schemas/:schema/image-repositories/:name/images";

/// The body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    image_name: String,
    #[serde(default)]
    tags: Tags,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    created_on: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Tags {
    One(String),
    Many(Vec<String>),
}

impl Default for Tags {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl Body {
    /// The image to add, or why the body does not describe one.
    fn image(bytes: &[u8]) -> Result<NewImage, String> {
        let body: Body = serde_json::from_slice(bytes)
            .map_err(|e| format!("the request body is invalid: {e}"))?;
        let created_on =
            match body.created_on.as_deref().map(|t| OffsetDateTime::parse(t, &Rfc3339)) {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(_)) => return Err("created_on must be an RFC 3339 timestamp".into()),
            };
        let tags = match body.tags {
            Tags::One(t) => vec![t],
            Tags::Many(ts) => ts,
        };
        Ok(NewImage { image_name: body.image_name, tags, digest: body.digest, created_on })
    }
}

/// The endpoint.
pub struct AddImages {
    pub store: Store,
}

impl Endpoint for AddImages {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        if req.method() != Method::POST {
            let message = format!("{} is not allowed here; allowed: POST", req.method());
            return Ok(response(405, message));
        }
        let Some(p) = req.extensions().get::<Principal>().cloned() else {
            return Ok(response(401, "Authorization header is missing."));
        };
        let param = |n: &str| req.raw_path_param(n).unwrap_or_default().to_owned();
        let (db, schema, name) = (param("database"), param("schema"), param("name"));
        let image = match Body::image(&req.take_body().into_bytes().await?) {
            Ok(image) => image,
            Err(message) => return Ok(response(400, message)),
        };
        Ok(match self.store.snowflake().add_image(&p.project_id, (&db, &schema), &name, image) {
            Ok(found) => Json(image_list(&found)).into_response(),
            Err(e) => refusal(&e),
        })
    }
}

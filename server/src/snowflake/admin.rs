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

use super::error::response;
use super::handlers::image_list;
use crate::auth::Principal;
use crate::store::{Store, StoreError, snowflake::NewImage};

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

/// The endpoint.
pub struct AddImages {
    pub store: Store,
}

impl Endpoint for AddImages {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        if req.method() != Method::POST {
            return Ok(response(
                405,
                format!("{} is not allowed here; allowed: POST", req.method()),
            ));
        }
        let Some(p) = req.extensions().get::<Principal>().cloned() else {
            return Ok(response(401, "Authorization header is missing."));
        };
        let param = |n: &str| req.raw_path_param(n).unwrap_or_default().to_owned();
        let (db, schema, name) = (param("database"), param("schema"), param("name"));
        let bytes = req.take_body().into_bytes().await?;
        let body: Body = match serde_json::from_slice(&bytes) {
            Ok(b) => b,
            Err(e) => return Ok(response(400, format!("the request body is invalid: {e}"))),
        };
        let created_on =
            match body.created_on.as_deref().map(|t| OffsetDateTime::parse(t, &Rfc3339)) {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(_)) => {
                    return Ok(response(400, "created_on must be an RFC 3339 timestamp"));
                }
            };
        let image = NewImage {
            image_name: body.image_name,
            tags: match body.tags {
                Tags::One(t) => vec![t],
                Tags::Many(ts) => ts,
            },
            digest: body.digest,
            created_on,
        };
        let acct = &p.project_id;
        let added = self.store.add_image(acct, &db, &schema, &name, image).and_then(|_| {
            let d = self.store.fetch_database(acct, &db)?;
            let s = self.store.fetch_schema(acct, &db, &schema)?;
            let r = self.store.fetch_image_repository(acct, &db, &schema, &name)?;
            Ok(image_list(&d.name, &s.name, &r))
        });
        Ok(match added {
            Ok(list) => Json(list).into_response(),
            Err(e @ StoreError::NotFound(_)) => response(404, e.to_string()),
            Err(e @ StoreError::AlreadyExists(_)) => response(409, e.to_string()),
            Err(e) => response(400, e.to_string()),
        })
    }
}

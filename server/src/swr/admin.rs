//! The fake's `docker push`: `PUT /admin/swr/namespaces/{namespace}/repos/{repository}/tags/{tag}`
//! stores an image under a tag in the region served, creating the repository on first push and
//! running its automatic sync rules, as a push to the real registry does.
//!
//! Not part of the vendor API (images reach SWR through the registry protocol). Authenticated
//! like every SWR call; errors in SWR's envelope. The body is optional JSON:
//! `{"digest": "sha256:<64 hex>", "size": 1234, "manifest": "{...}"}`; left-out fields are
//! made up (a fresh manifest and its digest), so two pushes without a digest differ.

use percent_encoding::percent_decode_str;
use poem::{Endpoint, IntoResponse, Request, Response, http::Method, http::StatusCode, web::Json};
use serde::Deserialize;

use super::convert::stamp;
use super::error::response;
use super::handlers::actor;
use crate::store::Store;
use crate::store::swr::{SwrStoreError, names::repository_from_path, sync::Push};

/// Where the admin endpoint is mounted.
pub const PREFIX: &str = "/admin/swr/";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PushBody {
    digest: Option<String>,
    size: Option<u64>,
    manifest: Option<String>,
}

/// The push endpoint of one region.
pub struct Admin {
    pub store: Store,
    pub region: String,
}

impl Endpoint for Admin {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let Some((ns, repo, tag)) = target(req.uri().path()) else {
            return Err(poem::Error::from_status(StatusCode::NOT_FOUND));
        };
        if req.method() != Method::PUT {
            return Err(poem::Error::from_status(StatusCode::METHOD_NOT_ALLOWED));
        }
        let Some(actor) = actor(&req) else {
            return Err(poem::Error::from_status(StatusCode::UNAUTHORIZED));
        };
        let bytes = req.take_body().into_bytes().await?;
        let body: PushBody = if bytes.iter().all(u8::is_ascii_whitespace) {
            PushBody::default()
        } else {
            match serde_json::from_slice(&bytes) {
                Ok(b) => b,
                Err(e) => {
                    let e = SwrStoreError::InvalidParameter(format!("the body is not valid: {e}"));
                    return Ok(response(&e));
                }
            }
        };
        let push = Push {
            tag: tag.clone(),
            digest: body.digest,
            size: body.size,
            manifest: body.manifest,
        };
        let pushed = self.store.swr().push(&self.region, &actor, &ns, &repo, push);
        Ok(match pushed {
            Ok((t, created)) => {
                let status = if created { StatusCode::CREATED } else { StatusCode::OK };
                let body = serde_json::json!({
                    "tag": tag,
                    "digest": t.digest,
                    "size": t.size,
                    "created": stamp(t.created),
                    "updated": stamp(t.updated),
                });
                (status, Json(body)).into_response()
            }
            Err(e) => response(&e),
        })
    }
}

/// `(namespace, repository, tag)` from the path, each segment percent-decoded and `$` read as
/// `/` in the repository.
fn target(path: &str) -> Option<(String, String, String)> {
    let rest = path.strip_prefix(PREFIX)?;
    let parts: Vec<String> = rest
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8().map(|c| c.into_owned()))
        .collect::<Result<_, _>>()
        .ok()?;
    match parts.as_slice() {
        [n, ns, r, repo, t, tag] if n == "namespaces" && r == "repos" && t == "tags" => {
            Some((ns.clone(), repository_from_path(repo), tag.clone()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn push_paths_decode_each_segment() {
        assert_eq!(
            super::target("/admin/swr/namespaces/team/repos/a%2Fb/tags/v1"),
            Some(("team".into(), "a/b".into(), "v1".into()))
        );
        assert_eq!(
            super::target("/admin/swr/namespaces/team/repos/a$b/tags/v1").map(|t| t.1),
            Some("a/b".into())
        );
        assert_eq!(super::target("/admin/swr/namespaces/team/repos/a/b/tags/v1"), None);
        assert_eq!(super::target("/admin/swr/namespaces/team/repos/%FF/tags/v1"), None);
    }
}

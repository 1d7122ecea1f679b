//! `/admin/faults`: the plan read, replaced and cleared at run time (admin principals only).

use std::sync::Arc;

use poem::{
    Endpoint, IntoResponse, Request, Response,
    error::ResponseError,
    http::{HeaderValue, StatusCode, header},
    web::Json,
};
use serde::Deserialize;

use super::plan::{Faults, Plan};
use super::rule::Rule;
use crate::auth::Credentials;

/// Where the admin endpoint is served (on the main address).
pub const ADMIN_PATH: &str = "/admin/faults";
/// The largest admin request body accepted.
const ADMIN_BODY_LIMIT: usize = 1 << 20;

/// Whether a path is the admin endpoint's.
pub fn owns_admin(path: &str) -> bool {
    path.strip_prefix(ADMIN_PATH).is_some_and(|rest| rest.is_empty() || rest == "/")
}

/// `GET /admin/faults` (the plan), `PUT` (replace it: `{"seed"?, "rules"}`; the generator
/// restarts from the seed, the current one when none is given) and `DELETE` (remove every
/// rule). Only for principals with the `admin` role, by `X-Auth-Token`; every answer is JSON,
/// errors `{"message"}`.
pub struct Admin {
    pub faults: Faults,
    pub credentials: Arc<Credentials>,
}

/// The body of a `PUT`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Replace {
    #[serde(default)]
    seed: Option<u64>,
    rules: Vec<Rule>,
}

impl Endpoint for Admin {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let principal = match crate::admin::require_admin(&self.credentials, &req) {
            Ok(principal) => principal,
            Err(refused) => return Ok(refused.into_response()),
        };
        let done = match req.method().as_str() {
            "GET" => Ok(()),
            "PUT" => self.replace(&mut req, &principal.name).await,
            "DELETE" => {
                self.faults.clear();
                tracing::info!(target: "imagespec::faults", by = %principal.name, "plan cleared");
                Ok(())
            }
            _ => Err(not_allowed(&req)),
        };
        Ok(match done {
            Ok(()) => Json(self.faults.plan()).into_response(),
            Err(refused) => refused,
        })
    }
}

impl Admin {
    /// A `PUT`: the body's plan installed, its seed defaulting to the current one.
    async fn replace(&self, req: &mut Request, by: &str) -> Result<(), Response> {
        let bytes = match req.take_body().into_bytes_limit(ADMIN_BODY_LIMIT).await {
            Ok(b) => b,
            Err(e) => return Err(refuse(e.status(), &format!("reading the body: {e}"))),
        };
        let replace: Replace = serde_json::from_slice(&bytes)
            .map_err(|e| refuse(StatusCode::BAD_REQUEST, &format!("not a fault plan: {e}")))?;
        let seed = replace.seed.unwrap_or_else(|| self.faults.plan().seed);
        let plan = Plan { seed, rules: replace.rules };
        self.faults.set(plan).map_err(|e| refuse(StatusCode::BAD_REQUEST, &e.to_string()))?;
        tracing::info!(target: "imagespec::faults", by = %by, "plan replaced");
        Ok(())
    }
}

fn not_allowed(req: &Request) -> Response {
    let message = format!("{} is not allowed on {ADMIN_PATH}", req.method());
    let mut resp = refuse(StatusCode::METHOD_NOT_ALLOWED, &message);
    resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, PUT, DELETE"));
    resp
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "message": message }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_path_is_exact() {
        assert!(owns_admin("/admin/faults") && owns_admin("/admin/faults/"));
        assert!(!owns_admin("/admin/faultsx") && !owns_admin("/admin/faults/x"));
    }
}

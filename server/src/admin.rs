//! Endpoints for operators, outside every vendor spec: `GET /healthz` (open) and
//! `GET /admin/state` (the whole state in the `--state` format, for an admin token).

use std::sync::Arc;

use poem::{
    EndpointExt, IntoResponse, Request, Response, Route, get, handler,
    http::StatusCode,
    web::{Data, Json},
};

use crate::{
    auth::{Credentials, Principal},
    store::Store,
};

/// Adds the operator routes to the main address's routes.
pub fn mount(route: Route, store: Store, credentials: Arc<Credentials>) -> Route {
    route
        .at("/healthz", get(healthz).data(store.clone()))
        .at("/admin/state", get(state).data(store).data(credentials))
}

/// 200 while the server answers, with whether the state is kept on disk.
#[handler]
fn healthz(store: Data<&Store>) -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok", "durable": store.is_durable()}))
}

/// Why an operator request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdminAuthError {
    #[error("an admin token is required in X-Auth-Token")]
    Missing,
    #[error("the token is not known")]
    Unknown,
    #[error("the token's principal does not have the admin role")]
    NotAdmin,
}

impl AdminAuthError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Missing | Self::Unknown => StatusCode::UNAUTHORIZED,
            Self::NotAdmin => StatusCode::FORBIDDEN,
        }
    }

    /// `{"message": ...}` with the status.
    pub fn into_response(self) -> Response {
        let body = Json(serde_json::json!({"message": self.to_string()}));
        (self.status(), body).into_response()
    }
}

/// The principal whose `X-Auth-Token` the request carries, if it has the `admin` role.
pub fn require_admin<'a>(
    credentials: &'a Credentials,
    req: &Request,
) -> Result<&'a Principal, AdminAuthError> {
    let token = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AdminAuthError::Missing)?;
    let principal = credentials.by_token(token).ok_or(AdminAuthError::Unknown)?;
    if principal.roles.iter().any(|r| r.eq_ignore_ascii_case("admin")) {
        Ok(principal)
    } else {
        Err(AdminAuthError::NotAdmin)
    }
}

/// The whole state as `--state` loads it (Snowflake's deferred results are not state).
#[handler]
fn state(req: &Request, store: Data<&Store>, credentials: Data<&Arc<Credentials>>) -> Response {
    if let Err(e) = require_admin(&credentials, req) {
        return e.into_response();
    }
    match serde_json::to_vec(&store.snapshot()) {
        Ok(bytes) => Response::builder().content_type("application/json").body(bytes),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({"message": format!("serializing the state: {e}")})),
        )
            .into_response(),
    }
}

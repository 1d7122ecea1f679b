//! `app(...)`: every live family mounted at its real paths, plus `/specs/` and `/docs/`.
//!
//! Live today: `cce`. Glance, SWR and Snowflake have generated contract layers but no handlers
//! yet, so their paths answer 404 rather than 501.

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, IntoResponse, Route, http::StatusCode, middleware::CatchPanic};

use crate::{auth::Credentials, cce, docs, store::Store};

/// The families this build serves.
pub const LIVE_FAMILIES: [&str; 1] = ["cce"];

pub fn app(store: Store, credentials: Arc<Credentials>) -> impl Endpoint {
    Route::new()
        .nest_no_strip("/v5/imagecaches", cce::endpoint(store, credentials))
        .nest("/", docs::routes())
        .catch_error(|_: poem::error::NotFoundError| async {
            (
                StatusCode::NOT_FOUND,
                poem::web::Json(serde_json::json!({"message": "no such API on this server"})),
            )
                .into_response()
        })
        .with(CatchPanic::new())
}

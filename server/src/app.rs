//! `app(...)`: every live family at its real paths, plus `/specs/` and `/docs/`.
//!
//! Requests are dispatched to a family by path prefix before any routing, so everything under a
//! family's prefix (even a path poem cannot decode) is answered by that family's stack in that
//! family's error format. Live today: `cce`. Glance, SWR and Snowflake have generated contract
//! layers but no handlers yet, so their paths answer 404 rather than 501.

use std::sync::Arc;

use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, Route,
    endpoint::BoxEndpoint,
    http::StatusCode,
    middleware::{CatchPanic, Tracing},
};

use crate::{auth::Credentials, cce, docs, store::Store};

/// The families this build serves.
pub const LIVE_FAMILIES: [&str; 1] = ["cce"];

pub fn app(store: Store, credentials: Arc<Credentials>) -> impl Endpoint {
    let families: Vec<(&'static str, BoxEndpoint<'static>)> =
        vec![("/v5/imagecaches", cce::endpoint(store, credentials).map_to_response().boxed())];
    let rest = Route::new()
        .nest("/", docs::routes())
        .catch_all_error(|_| async {
            (
                StatusCode::NOT_FOUND,
                poem::web::Json(serde_json::json!({"message": "no such API on this server"})),
            )
                .into_response()
        })
        .boxed();
    Dispatch { families, rest }.with(CatchPanic::new()).with(Tracing)
}

/// Routes by path prefix: a family's whole subtree, or everything else.
struct Dispatch {
    families: Vec<(&'static str, BoxEndpoint<'static>)>,
    rest: BoxEndpoint<'static>,
}

impl Endpoint for Dispatch {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        let family = self.families.iter().find(|(prefix, _)| {
            path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        match family {
            Some((_, endpoint)) => endpoint.call(req).await,
            None => self.rest.call(req).await,
        }
    }
}

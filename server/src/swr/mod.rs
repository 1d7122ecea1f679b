//! Huawei Cloud SWR v2 (`swr`): generated routes, handlers over the store for one region, SWR's
//! error envelope, the admin push endpoint, and the middleware stack the real service has.
//!
//! Each region is served by its own endpoint (see [`endpoint`]), as in the real cloud where
//! every region has its own `swr-api.{region}` host. The stack, outermost first: request id
//! (`X-Request-Id`) → error conversion to SWR's JSON → Huawei authentication (token or AK/SK
//! signature; the body is read once, up to 1 MiB) → the admin push endpoint, or the contract
//! guard (unknown paths answer the gateway's `APIGW.0101`, unknown query parameters 400) → fault
//! injection ([`crate::faults::Inject`], a no-op without rules) → JSON bodies checked against
//! the spec's request schema → the generated poem-openapi routes.

pub mod admin;
pub mod convert;
pub mod error;
pub mod generated;
pub mod handlers;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, Request, Response, endpoint::BoxEndpoint};
use poem_openapi::OpenApiService;

use crate::auth::{Credentials, huawei::HuaweiAuth};
use crate::body_schema::{BodySchemas, JsonBodyGuard};
use crate::faults::{Faults, Inject};
use crate::middleware::{ContractGuard, RequestId};
use crate::store::Store;
use generated::api::{CONTRACT, SwrRoutes};
use handlers::Swr;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 1 << 20;

/// Whether a path belongs to SWR: everything under `/v2/manage/` and the admin push endpoint.
pub fn owns(path: &str) -> bool {
    path == "/v2/manage" || path.starts_with("/v2/manage/") || path.starts_with(admin::PREFIX)
}

/// The poem-openapi service of one region (its `spec()` is what the drift test compares).
pub fn service(store: Store, region: &str) -> OpenApiService<SwrRoutes<Swr>, ()> {
    OpenApiService::new(
        SwrRoutes(Swr { store, region: region.to_owned() }),
        "Huawei Cloud SWR v2 (imagespec)",
        "2.0.0",
    )
}

/// The whole family for one region, mounted at the root (its paths are the real ones).
pub fn endpoint(
    store: Store,
    credentials: Arc<Credentials>,
    region: String,
    faults: Faults,
) -> impl Endpoint {
    let clock = store.clock();
    // Compiled once for all regions.
    static SCHEMAS: std::sync::OnceLock<Arc<BodySchemas>> = std::sync::OnceLock::new();
    let schemas = SCHEMAS
        .get_or_init(|| Arc::new(BodySchemas::from_spec(crate::docs::spec_text("swr"))))
        .clone();
    let api = service(store.clone(), &region)
        .with(JsonBodyGuard(schemas))
        .with(Inject { faults, family: "swr", contract: &CONTRACT })
        .with(ContractGuard(&CONTRACT))
        .map_to_response()
        .boxed();
    let admin = admin::Admin { store, region }.boxed();
    Split { admin, api }
        .with(HuaweiAuth { credentials, clock, body_limit: BODY_LIMIT })
        .catch_all_error(error::convert)
        .with(RequestId::hex("X-Request-Id"))
}

/// The admin push endpoint or the API, by path.
struct Split {
    admin: BoxEndpoint<'static>,
    api: BoxEndpoint<'static>,
}

impl Endpoint for Split {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if req.uri().path().starts_with(admin::PREFIX) {
            self.admin.call(req).await
        } else {
            self.api.call(req).await
        }
    }
}

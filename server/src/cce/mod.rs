//! Huawei Cloud CCE v5 image caches (`cce`): generated routes, handlers over the store, CCE's
//! error envelope, and the middleware stack the real service puts in front of them.
//!
//! The stack, outermost first: request id (`X-Request-Id`) → error conversion to CCE's JSON →
//! contract guard (unknown paths answer the gateway's `APIGW.0101`, unknown query parameters
//! 400) → Huawei authentication (token or AK/SK signature; the body is read once, up to 1 MiB) →
//! fault injection ([`crate::faults::Inject`], a no-op without rules) → JSON bodies checked
//! against the spec's request schema → the generated poem-openapi routes.

pub mod convert;
pub mod error;
pub mod generated;
pub mod handlers;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt};
use poem_openapi::OpenApiService;

use crate::auth::{Credentials, huawei::HuaweiAuth};
use crate::body_schema::{BodySchemas, JsonBodyGuard};
use crate::faults::{Faults, Inject};
use crate::middleware::{ContractGuard, RequestId};
use crate::store::Store;
use generated::api::{CONTRACT, CceRoutes};
use handlers::Cce;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 1 << 20;

/// Whether a path belongs to CCE: everything under `/v5/imagecaches`.
pub fn owns(path: &str) -> bool {
    path.strip_prefix("/v5/imagecaches")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The poem-openapi service of the family (its `spec()` is what the drift test compares).
pub fn service(store: Store) -> OpenApiService<CceRoutes<Cce>, ()> {
    OpenApiService::new(
        CceRoutes(Cce { store }),
        "Huawei Cloud CCE v5 image caches (imagespec)",
        "v5",
    )
}

/// The whole family as one endpoint, mounted at the root (its paths are the real ones).
pub fn endpoint(store: Store, credentials: Arc<Credentials>, faults: Faults) -> impl Endpoint {
    let clock = store.clock();
    let schemas = Arc::new(BodySchemas::from_spec(crate::docs::spec_text("cce")));
    service(store)
        .with(JsonBodyGuard(schemas))
        .with(Inject { faults, family: "cce", contract: &CONTRACT })
        .with(HuaweiAuth { credentials, clock, body_limit: BODY_LIMIT })
        .with(ContractGuard(&CONTRACT))
        .catch_all_error(error::convert)
        .with(RequestId::hex("X-Request-Id"))
}

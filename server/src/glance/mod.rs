//! OpenStack Glance images v2 (`glance`): generated routes, handlers over the store, WebOb-style
//! errors, and the checks Glance's router and deserializers make before a controller runs.
//!
//! The stack, outermost first: error rendering by `Accept` ([`error::Negotiate`]) →
//! authentication (token or trusted headers; `/` and `/versions` are open) → request id
//! (`x-openstack-request-id: req-<uuid>`) → conversion of every error to Glance's JSON → fault
//! injection ([`crate::faults::Inject`], a no-op without rules) → [`Guard`] (404/405 with
//! `Allow`, media types, bodies) → the generated poem-openapi routes.

pub mod convert;
pub mod error;
pub mod generated;
mod guard;
pub mod handlers;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt};
use poem_openapi::OpenApiService;

use crate::auth::{Credentials, keystone::KeystoneAuth};
use crate::faults::{Faults, Inject};
use crate::middleware::RequestId;
use crate::store::Store;
use generated::api::{CONTRACT, GlanceRoutes};
pub use guard::{BODY_LIMIT, Guard, PATCH_MEDIA_TYPES};
use handlers::Glance;

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

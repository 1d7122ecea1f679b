//! `app(...)`: every live family at its real paths, plus `/specs/` and `/docs/`.
//!
//! Requests are dispatched to a family by path before any routing, so everything a family owns
//! (even a path poem cannot decode) is answered by that family's stack in that family's error
//! format. Live today: `glance` (`/`, `/versions`, `/v2/...`), `cce` (`/v5/imagecaches`) and
//! `swr` (`/v2/manage/...`, in the home region; [`swr_region_app`] serves another region on its
//! own address) and `snowflake` (`/api/v2/...`, plus its admin endpoint under
//! `/admin/snowflake/`). Nothing answers 501. Beside them, the operator routes (`/healthz`,
//! `/admin/state`, see [`admin`]) and `/admin/faults` (fault injection, not part of any vendor
//! spec; see `faults.rs`), dispatched the same way; the one [`Faults`] plan reaches every
//! family's stack and every SWR region's address.

use std::sync::Arc;

use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, Route, endpoint::BoxEndpoint,
    http::StatusCode, middleware::CatchPanic,
};

use crate::{
    admin,
    auth::Credentials,
    cce, docs,
    faults::{self, Faults},
    glance,
    middleware::{AccessLog, Prefetch},
    snowflake,
    store::Store,
    swr,
};

/// The families this build serves.
pub const LIVE_FAMILIES: [&str; 4] = ["glance", "swr", "cce", "snowflake"];

/// Every family with the default options.
pub fn app(store: Store, credentials: Arc<Credentials>) -> impl Endpoint {
    app_with(store, credentials, Options::default())
}

/// Options that change how families answer (the server's flags).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Snowflake's 202 protocol and result paging (`--snowflake-async`, `--snowflake-page-size`).
    pub snowflake: snowflake::Options,
    /// The fault plan (`--fault`, `--fault-seed`, `/admin/faults`); off by default. Clones share
    /// one plan, so pass a clone to [`swr_region_app`] too.
    pub faults: Faults,
}

/// The main address: every live family (SWR in its home region, the first one), the specs and
/// Swagger UI.
pub fn app_with(store: Store, credentials: Arc<Credentials>, options: Options) -> impl Endpoint {
    let home = store.swr().region_ids().into_iter().next().unwrap_or_default();
    let Options { snowflake: snowflake_options, faults } = options;
    let families: Vec<(Owns, BoxEndpoint<'static>)> = vec![
        (
            faults::owns_admin,
            faults::Admin { faults: faults.clone(), credentials: credentials.clone() }.boxed(),
        ),
        (
            cce::owns,
            cce::endpoint(store.clone(), credentials.clone(), faults.clone())
                .map_to_response()
                .boxed(),
        ),
        (
            swr::owns,
            swr::endpoint(store.clone(), credentials.clone(), home, faults.clone())
                .map_to_response()
                .boxed(),
        ),
        (
            snowflake::owns,
            snowflake::endpoint(
                store.clone(),
                credentials.clone(),
                snowflake_options,
                faults.clone(),
            )
            .map_to_response()
            .boxed(),
        ),
        (
            glance::owns,
            glance::endpoint(store.clone(), credentials.clone(), faults).map_to_response().boxed(),
        ),
    ];
    let rest = admin::mount(Route::new(), store, credentials)
        .nest("/", docs::routes())
        .catch_all_error(|_| async {
            (
                StatusCode::NOT_FOUND,
                poem::web::Json(serde_json::json!({"message": "no such API on this server"})),
            )
                .into_response()
        })
        .boxed();
    Dispatch { families, rest }.with(Prefetch).with(CatchPanic::new()).with(AccessLog)
}

/// The address of another SWR region: only SWR, as on the real `swr-api.{region}` hosts, with
/// the main address's fault plan (`faults`, a clone of [`Options::faults`]).
pub fn swr_region_app(
    store: Store,
    credentials: Arc<Credentials>,
    region: String,
    faults: Faults,
) -> impl Endpoint {
    swr::endpoint(store, credentials, region, faults)
        .with(Prefetch)
        .with(CatchPanic::new())
        .with(AccessLog)
}

/// Whether a family owns a request path.
type Owns = fn(&str) -> bool;

/// Routes by path: to the family that owns it, or to everything else.
struct Dispatch {
    families: Vec<(Owns, BoxEndpoint<'static>)>,
    rest: BoxEndpoint<'static>,
}

impl Endpoint for Dispatch {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        let family = self.families.iter().find(|(owns, _)| owns(path));
        match family {
            Some((_, endpoint)) => endpoint.call(req).await,
            None => self.rest.call(req).await,
        }
    }
}

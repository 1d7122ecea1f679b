//! Snowflake REST API v2 image repositories (`snowflake`): generated routes, handlers over the
//! store, Snowflake's error envelope, the 202 protocol, and the middleware stack in front.
//!
//! The stack, outermost first: request id (`X-Snowflake-Request-ID`, a UUID) → error conversion
//! to `ErrorResponse` → [`Normalize`] (trailing slashes, percent-decoded path segments,
//! case-insensitive booleans, JSON as the default body type) → either the admin endpoint
//! (`/admin/snowflake/...`, see `admin.rs`) or: contract guard (unknown paths 404, wrong methods
//! 405) → authentication (`auth::snowflake`) → fault injection ([`crate::faults::Inject`], a
//! no-op without rules; its `async` sets `X-Imagespec-Async`) → [`deferral`] (202 and paging) →
//! the spec's request schemas → [`CustomMethods`] (`{name}:set-tags` to the route's form) → the
//! generated poem-openapi routes. [`Normalize`] also reads the body once, up to [`BODY_LIMIT`].
//!
//! Why this shape: snowflake-core percent-encodes every path segment and sends Python-cased
//! booleans (`ifExists=True`), and snowflake-cli probes collection paths with a trailing slash;
//! poem-openapi would refuse all three, so they are normalised before routing.

pub mod admin;
pub mod convert;
pub mod deferral;
pub mod error;
pub mod generated;
pub mod handlers;

use std::sync::Arc;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use poem::{Body, Endpoint, EndpointExt, Middleware, Request, Route, http::Uri};
use poem_openapi::OpenApiService;

use crate::auth::{Credentials, snowflake::SnowflakeAuth};
use crate::body_schema::{BodySchemas, JsonBodyGuard};
use crate::faults::{Faults, Inject};
use crate::middleware::{ContractGuard, RequestId};
use crate::store::Store;
pub use deferral::Options;
use generated::api::{CONTRACT, SnowflakeRoutes};
use handlers::Snowflake;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 1 << 20;
/// The query parameters that are booleans, parsed case-insensitively.
const BOOLEANS: [&str; 4] = ["ifExists", "restrict", "history", "withLineage"];
/// What must stay percent-encoded in a path segment after decoding: what `http::Uri` cannot
/// carry raw, and the delimiters.
const KEEP_ENCODED: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'%')
    .add(b'/')
    .add(b'?')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`');

/// Whether a path belongs to Snowflake: everything under `/api/v2/`, and the admin endpoint.
pub fn owns(path: &str) -> bool {
    path == "/api/v2" || path.starts_with("/api/v2/") || path.starts_with("/admin/snowflake/")
}

/// The poem-openapi service of the family (its `spec()` is what the drift test compares).
pub fn service(store: Store) -> OpenApiService<SnowflakeRoutes<Snowflake>, ()> {
    OpenApiService::new(
        SnowflakeRoutes(Snowflake { store }),
        "Snowflake REST API v2 image repositories (imagespec)",
        "v2",
    )
}

/// The whole family as one endpoint, mounted at the root (its paths are the real ones).
pub fn endpoint(
    store: Store,
    credentials: Arc<Credentials>,
    options: Options,
    faults: Faults,
) -> impl Endpoint {
    let schemas = Arc::new(BodySchemas::from_spec(crate::docs::spec_text("snowflake")));
    let api = service(store.clone())
        .with(CustomMethods)
        .with(JsonBodyGuard(schemas))
        .with(deferral::Deferral { store: store.clone(), options })
        .with(Inject { faults, family: "snowflake", contract: &CONTRACT })
        .with(SnowflakeAuth { credentials: credentials.clone() })
        .with(ContractGuard(&CONTRACT));
    let admin = admin::AddImages { store }.with(SnowflakeAuth { credentials });
    Route::new()
        .at(admin::PATH, admin)
        .nest("/", api)
        .with(Normalize)
        .catch_all_error(error::convert)
        .with(RequestId {
            header: "X-Snowflake-Request-ID",
            make: || uuid::Uuid::new_v4().to_string(),
        })
}

/// The last step before the generated routes: a custom method path (`.../{name}:set-tags`)
/// becomes the route's form (`.../{name}/__set-tags`, see `contract::route_path`). Everything in
/// front of it, the contract guard included, sees the path as the client sent it.
pub struct CustomMethods;

impl<E: Endpoint> Middleware<E> for CustomMethods {
    type Output = CustomMethodsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CustomMethodsEndpoint(inner)
    }
}

pub struct CustomMethodsEndpoint<E>(E);

impl<E: Endpoint> Endpoint for CustomMethodsEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<E::Output> {
        let path = crate::contract::route_path(req.uri().path());
        if path != req.uri().path() {
            let target = match req.uri().query() {
                Some(q) => format!("{path}?{q}"),
                None => path,
            };
            if let Ok(uri) = target.parse::<Uri>() {
                *req.uri_mut() = uri;
            }
        }
        self.0.call(req).await
    }
}

/// Rewrites a request into the form the routes expect, before routing.
pub struct Normalize;

impl<E: Endpoint> Middleware<E> for Normalize {
    type Output = NormalizeEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        NormalizeEndpoint(inner)
    }
}

pub struct NormalizeEndpoint<E>(E);

impl<E: Endpoint> Endpoint for NormalizeEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<E::Output> {
        let path = normal_path(req.uri().path());
        let query = req.uri().query().map(normal_query);
        let target = match query {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(uri) = target.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
        if !req.headers().contains_key(poem::http::header::CONTENT_TYPE)
            && req.method() == poem::http::Method::POST
        {
            req.headers_mut().insert(
                poem::http::header::CONTENT_TYPE,
                poem::http::HeaderValue::from_static("application/json"),
            );
        }
        let bytes = req.take_body().into_bytes_limit(BODY_LIMIT).await?;
        req.set_body(Body::from(bytes));
        self.0.call(req).await
    }
}

/// No trailing slash; every segment decoded as far as a URI can carry it raw.
fn normal_path(path: &str) -> String {
    let trimmed = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    trimmed
        .split('/')
        .map(|seg| match percent_decode_str(seg).decode_utf8() {
            Ok(decoded) => utf8_percent_encode(&decoded, KEEP_ENCODED).to_string(),
            Err(_) => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Boolean parameters lower-cased when they spell `true` or `false` in any case.
fn normal_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v))
                if BOOLEANS.contains(&k)
                    && (v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")) =>
            {
                format!("{k}={}", v.to_ascii_lowercase())
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_queries_are_normalised() {
        assert_eq!(normal_path("/api/v2/databases/"), "/api/v2/databases");
        assert_eq!(
            normal_path("/api/v2/databases/%22DB%22/schemas"),
            "/api/v2/databases/\"DB\"/schemas"
        );
        assert_eq!(normal_path("/api/v2/databases/a%24b"), "/api/v2/databases/a$b");
        assert_eq!(normal_path("/api/v2/databases/%22a%20b%22"), "/api/v2/databases/\"a%20b\"");
        assert_eq!(normal_path("/api/v2/databases/a%2Fb"), "/api/v2/databases/a%2Fb");
        assert_eq!(normal_query("ifExists=True&like=a%25"), "ifExists=true&like=a%25");
        assert_eq!(normal_query("ifExists=yes"), "ifExists=yes");
    }
}

//! What explorers read: each hand-written spec served verbatim under `/specs/`, and Swagger UI
//! (utoipa-swagger-ui, vendored) at `/docs/` with a selector over the four specs.

use std::sync::Arc;

use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, Route, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

/// The hand-written specs, embedded at build time: (family, YAML text).
pub const SPECS: [(&str, &str); 4] = [
    ("glance", include_str!("../../specs/glance.yaml")),
    ("swr", include_str!("../../specs/swr.yaml")),
    ("cce", include_str!("../../specs/cce.yaml")),
    ("snowflake", include_str!("../../specs/snowflake.yaml")),
];

/// The spec files as served: `<family>.yaml` verbatim and `<family>.json` converted.
struct SpecFiles(Vec<(String, &'static str, String)>);

/// `/specs/:file` and `/docs/*`.
/// The spec of a family, as written.
pub fn spec_text(family: &str) -> &'static str {
    SPECS.iter().find(|(f, _)| *f == family).map_or("", |(_, text)| text)
}

pub fn routes() -> impl Endpoint {
    let mut files = Vec::new();
    for (family, yaml) in SPECS {
        files.push((format!("{family}.yaml"), "application/yaml", yaml.to_owned()));
        let json = yaml_serde::from_str::<serde_json::Value>(yaml)
            .map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
            .unwrap_or_default();
        files.push((format!("{family}.json"), "application/json", json));
    }
    let urls: Vec<utoipa_swagger_ui::Url<'static>> = SPECS
        .iter()
        .map(|(family, _)| {
            let url: &'static str = Box::leak(format!("/specs/{family}.json").into_boxed_str());
            utoipa_swagger_ui::Url::with_primary(family, url, *family == "glance")
        })
        .collect();
    let config = Arc::new(utoipa_swagger_ui::Config::new(urls));
    Route::new()
        .at("/specs/:file", spec_file.data(Arc::new(SpecFiles(files))))
        .nest("/docs", swagger.data(config))
}

#[handler]
fn spec_file(Path(file): Path<String>, files: Data<&Arc<SpecFiles>>) -> Response {
    match files.0.0.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => {
            Response::builder().content_type(*content_type).body(body.clone())
        }
        None => (StatusCode::NOT_FOUND, format!("no spec called {file}; try /specs/cce.yaml"))
            .into_response(),
    }
}

/// Swagger UI's files; the bare `/docs` redirects to `/docs/` because the page uses relative
/// asset URLs.
#[handler]
fn swagger(req: &Request, config: Data<&Arc<utoipa_swagger_ui::Config<'static>>>) -> Response {
    if req.original_uri().path() == "/docs" {
        return Response::builder()
            .status(StatusCode::PERMANENT_REDIRECT)
            .header(header::LOCATION, "/docs/")
            .finish();
    }
    let tail = req.uri().path().trim_start_matches('/');
    match utoipa_swagger_ui::serve(tail, config.0.clone()) {
        Ok(Some(file)) => {
            Response::builder().content_type(file.content_type).body(file.bytes.to_vec())
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

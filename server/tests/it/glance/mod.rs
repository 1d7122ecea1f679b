//! Glance images v2 through the in-process app. Every response is checked against
//! `specs/glance.yaml` with the conformance library, and every image body against the image
//! schema the server itself serves.

mod bad_input;
mod bad_patch;
mod data;
mod images;
mod list;
mod members;
mod tenancy;

use std::sync::Arc;

use imagespec_server::{
    auth::Credentials,
    store::{ManualClock, State, Store},
};
use poem::{Endpoint, EndpointExt, http::Method, test::TestClient};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// Admin (project 0123…), members of two other projects, and a reader in bob's project.
pub const ALICE: &str = "alice-token";
pub const BOB: &str = "bob-token";
pub const CAROL: &str = "carol-token";
pub const DAVE: &str = "dave-token";
pub const BOB_PROJECT: &str = "fedcba9876543210fedcba9876543210";
pub const CAROL_PROJECT: &str = "11111111111111111111111111111111";
pub const V21: &str = "application/openstack-images-v2.1-json-patch";
pub const V20: &str = "application/openstack-images-v2.0-json-patch";

pub struct Glance<E> {
    pub cli: TestClient<E>,
    pub clock: Arc<ManualClock>,
}

/// A response reduced to what the tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: poem::http::HeaderMap,
    pub bytes: Vec<u8>,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_else(|| panic!("no id in {self:#?}")).to_owned()
    }

    /// The ids of an image list.
    pub fn ids(&self) -> Vec<String> {
        self.body["images"]
            .as_array()
            .unwrap_or_else(|| panic!("not a list: {self:#?}"))
            .iter()
            .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Asserts a Glance error (JSON form, as the tests send `Accept: application/json`).
    #[track_caller]
    pub fn assert_error(&self, status: u16) {
        assert_eq!(self.status, status, "{self:#?}");
        let code = self.body["code"].as_str().unwrap_or_default();
        assert!(code.starts_with(&status.to_string()), "{self:#?}");
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{self:#?}");
    }
}

pub fn glance() -> Glance<impl Endpoint> {
    glance_with(State::default())
}

pub fn glance_with(state: State) -> Glance<impl Endpoint> {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let store = Store::new(state, clock.clone()).expect("temp dir");
    let app = imagespec_server::app(store, Arc::new(Credentials::development())).map_to_response();
    Glance { cli: TestClient::new(app), clock }
}

pub fn spec() -> &'static imagespec_conformance::Spec {
    static SPEC: std::sync::OnceLock<imagespec_conformance::Spec> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(crate::support::root().join("specs/glance.yaml"))
            .expect("spec");
        imagespec_conformance::Spec::from_text(&text).expect("the spec loads")
    })
}

fn image_schema() -> &'static jsonschema::Validator {
    static V: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let schema: Value =
            serde_json::from_str(imagespec_server::store::glance::schema::IMAGE).expect("json");
        jsonschema::draft202012::options().build(&schema).expect("compiles")
    })
}

impl<E: Endpoint> Glance<E> {
    /// One request with `Accept: application/json` unless `headers` says otherwise.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut req = self.cli.request(method.clone(), uri);
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("accept")) {
            req = req.header("Accept", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.body(body).send().await;
        let status = resp.0.status().as_u16();
        let headers = resp.0.headers().clone();
        let bytes = resp.0.into_body().into_vec().await.expect("a body");
        let path = uri.split('?').next().unwrap_or(uri);
        if let Some(op) = spec().find(method.as_str(), path) {
            let lookup = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let ct = headers.get("content-type").and_then(|v| v.to_str().ok());
            let violations =
                imagespec_conformance::validate_response(spec(), op, status, ct, &lookup, &bytes)
                    .expect("the spec's schemas compile");
            assert!(
                violations.is_empty(),
                "{method} {uri} -> {status} breaks specs/glance.yaml: {violations:#?}\n{}",
                String::from_utf8_lossy(&bytes)
            );
        }
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        for image in body["images"]
            .as_array()
            .into_iter()
            .flatten()
            .chain((status < 300 && body.get("self").is_some()).then_some(&body))
        {
            let errors: Vec<String> =
                image_schema().iter_errors(image).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{uri}: image breaks the served schema: {errors:?}");
        }
        Reply { status, headers, bytes, body }
    }

    pub async fn get(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::GET, uri, Some(token), &[], Vec::new()).await
    }

    pub async fn delete(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::DELETE, uri, Some(token), &[], Vec::new()).await
    }

    pub async fn post_json(&self, uri: &str, token: &str, body: &Value) -> Reply {
        let ct = [("Content-Type", "application/json")];
        self.call(Method::POST, uri, Some(token), &ct, body.to_string().into_bytes()).await
    }

    pub async fn post(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::POST, uri, Some(token), &[], Vec::new()).await
    }

    pub async fn put(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::PUT, uri, Some(token), &[], Vec::new()).await
    }

    pub async fn create(&self, token: &str, body: Value) -> Reply {
        self.post_json("/v2/images", token, &body).await
    }

    /// Creates a raw/bare image and returns its id.
    pub async fn image(&self, token: &str, extra: Value) -> String {
        let mut body = json!({"disk_format": "raw", "container_format": "bare"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let r = self.create(token, body).await;
        assert_eq!(r.status, 201, "{r:#?}");
        r.id()
    }

    pub async fn patch(&self, id: &str, token: &str, media: &str, ops: Value) -> Reply {
        let uri = format!("/v2/images/{id}");
        let ct = [("Content-Type", media)];
        self.call(Method::PATCH, &uri, Some(token), &ct, ops.to_string().into_bytes()).await
    }

    pub async fn upload(&self, id: &str, token: &str, data: &[u8]) -> Reply {
        let uri = format!("/v2/images/{id}/file");
        let ct = [("Content-Type", "application/octet-stream")];
        self.call(Method::PUT, &uri, Some(token), &ct, data.to_vec()).await
    }

    /// Moves the clock so the next image is strictly newer (Glance keeps seconds).
    pub fn tick(&self) {
        self.clock.advance(time::Duration::seconds(1));
    }
}

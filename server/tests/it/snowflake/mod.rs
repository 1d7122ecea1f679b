//! Snowflake image repositories through the in-process app. Every response is checked against
//! `specs/snowflake.yaml` with the conformance library.

mod async_protocol;
mod bad_input;
mod repositories;
mod tags;

use std::sync::Arc;

use imagespec_server::{
    app::Options,
    auth::Credentials,
    store::{ManualClock, State, Store},
};
use poem::{Endpoint, EndpointExt, http::Method, test::TestClient};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// Alice is an admin (role `ACCOUNTADMIN`); bob is in another account (role `BOB`).
pub const ALICE: &str = "alice-snowflake-token";
pub const BOB: &str = "bob-snowflake-token";
pub const BASE: &str = "/api/v2/databases/TEST_DB/schemas/PUBLIC/image-repositories";

pub struct Snowflake<E> {
    pub cli: TestClient<E>,
    pub store: Store,
}

/// A response reduced to what the tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: poem::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `name`s of a list.
    pub fn names(&self) -> Vec<String> {
        self.body
            .as_array()
            .unwrap_or_else(|| panic!("not a list: {self:#?}"))
            .iter()
            .map(|i| i["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Asserts Snowflake's error envelope with this status.
    #[track_caller]
    pub fn assert_error(&self, status: u16) {
        assert_eq!(self.status, status, "{self:#?}");
        let id = self.header("x-snowflake-request-id").unwrap_or_default();
        assert_eq!(self.body["request_id"], id, "{self:#?}");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{self:#?}");
        assert_eq!(self.body["code"], self.body["error_code"], "{self:#?}");
        assert!(self.body["code"].as_str().is_some_and(|c| c.len() == 6), "{self:#?}");
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{self:#?}");
    }
}

pub fn snowflake() -> Snowflake<impl Endpoint> {
    snowflake_with(Options::default())
}

pub fn snowflake_with(options: Options) -> Snowflake<impl Endpoint> {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let store = Store::new(State::default(), clock).expect("temp dir");
    let creds = Arc::new(Credentials::development());
    let app = imagespec_server::app::app_with(store.clone(), creds, options).map_to_response();
    Snowflake { cli: TestClient::new(app), store }
}

pub fn spec() -> &'static imagespec_conformance::Spec {
    static SPEC: std::sync::OnceLock<imagespec_conformance::Spec> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(crate::support::root().join("specs/snowflake.yaml"))
            .expect("spec");
        imagespec_conformance::Spec::from_text(&text).expect("the spec loads")
    })
}

impl<E: Endpoint> Snowflake<E> {
    /// One request; `headers` may override the bearer token's `Authorization`.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut req = self.cli.request(method.clone(), uri);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if body.is_some() && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            req = req.header("Content-Type", "application/json");
        }
        let resp = req.body(body.unwrap_or_default()).send().await;
        let status = resp.0.status().as_u16();
        let headers = resp.0.headers().clone();
        let bytes = resp.0.into_body().into_vec().await.expect("a body");
        let path = uri.split('?').next().unwrap_or(uri);
        assert!(headers.contains_key("x-snowflake-request-id"), "{method} {uri}: no request id");
        if status >= 400 {
            let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert!(ct.starts_with("application/json"), "{method} {uri} -> {status}: {ct}");
        }
        if let Some(op) = spec().find(method.as_str(), path) {
            let lookup = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let ct = headers.get("content-type").and_then(|v| v.to_str().ok());
            let violations =
                imagespec_conformance::validate_response(spec(), op, status, ct, &lookup, &bytes)
                    .expect("the spec's schemas compile");
            assert!(
                violations.is_empty(),
                "{method} {uri} -> {status} breaks specs/snowflake.yaml: {violations:#?}\n{}",
                String::from_utf8_lossy(&bytes)
            );
        }
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, body }
    }

    pub async fn get(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::GET, uri, Some(token), &[], None).await
    }

    pub async fn delete(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::DELETE, uri, Some(token), &[], None).await
    }

    pub async fn post(&self, uri: &str, token: &str, body: &Value) -> Reply {
        self.call(Method::POST, uri, Some(token), &[], Some(body.to_string().into_bytes())).await
    }

    /// `TEST_DB` (with its `PUBLIC` schema) for `token`.
    pub async fn test_db(&self, token: &str) {
        let r = self.post("/api/v2/databases", token, &json!({"name": "test_db"})).await;
        assert_eq!(r.status, 200, "{r:#?}");
    }

    /// Creates repositories under `TEST_DB.PUBLIC`.
    pub async fn repos(&self, token: &str, names: &[&str]) {
        for n in names {
            let r = self.post(BASE, token, &json!({"name": n})).await;
            assert_eq!(r.status, 200, "{r:#?}");
        }
    }
}

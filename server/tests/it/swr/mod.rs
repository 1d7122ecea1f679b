//! Huawei SWR through the in-process app, with two regions on their own endpoints over one
//! store. Every response is checked against `specs/swr.yaml` with the conformance library.

mod api;
mod bad_input;
mod sync;

use std::sync::Arc;

use imagespec_server::{
    app::{app, swr_region_app},
    auth::Credentials,
    auth::huawei::{SignedParts, canonical_request, format_sdk_date, sign},
    store::{ManualClock, State, Store, swr::SwrState},
};
use poem::{EndpointExt, Response, endpoint::BoxEndpoint, http::Method, test::TestClient};
use serde_json::{Value, json};
use time::OffsetDateTime;

pub const ALICE: &str = "alice-token";
pub const BOB: &str = "bob-token";
pub const ALICE_AK: &str = "ALICEAK0000000000001";
pub const ALICE_SK: &str = "alice-secret-key-0000000000000000000001";
pub const HOME: &str = "cn-north-4";
pub const EAST: &str = "cn-east-3";

/// The home region (main address) and cn-east-3 (its own address), sharing one store.
pub struct Swr {
    pub home: TestClient<BoxEndpoint<'static, Response>>,
    pub east: TestClient<BoxEndpoint<'static, Response>>,
    pub store: Store,
    pub clock: Arc<ManualClock>,
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

    /// Asserts SWR's own error body with `code`.
    #[track_caller]
    pub fn assert_swr_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.body["errorCode"].as_str()),
            (status, Some(code)),
            "{self:#?}"
        );
        assert!(self.body["errorMessage"].as_str().is_some_and(|m| !m.is_empty()), "{self:#?}");
    }

    /// Asserts the API gateway's error body with `code`.
    #[track_caller]
    pub fn assert_gateway_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.body["error_code"].as_str()),
            (status, Some(code)),
            "{self:#?}"
        );
        assert_eq!(self.body["request_id"].as_str(), self.header("x-request-id"), "{self:#?}");
    }

    /// The `Tag`/`tag` names of a tag list, or the names of a repository list.
    pub fn names(&self, key: &str) -> Vec<String> {
        self.body
            .as_array()
            .unwrap_or_else(|| panic!("not a list: {self:#?}"))
            .iter()
            .map(|v| v[key].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

pub fn swr() -> Swr {
    swr_with(State::default())
}

pub fn swr_with(state: State) -> Swr {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let store = Store::new(state, clock.clone()).expect("temp dir");
    let creds = Arc::new(Credentials::development());
    let home = app(store.clone(), creds.clone()).map_to_response().boxed();
    let east = swr_region_app(store.clone(), creds, EAST.to_owned(), Default::default())
        .map_to_response()
        .boxed();
    Swr { home: TestClient::new(home), east: TestClient::new(east), store, clock }
}

fn spec() -> &'static imagespec_conformance::Spec {
    static SPEC: std::sync::OnceLock<imagespec_conformance::Spec> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let text =
            std::fs::read_to_string(crate::support::root().join("specs/swr.yaml")).expect("spec");
        imagespec_conformance::Spec::from_text(&text).expect("the spec loads")
    })
}

impl Swr {
    pub fn client(&self, region: &str) -> &TestClient<BoxEndpoint<'static, Response>> {
        match region {
            HOME => &self.home,
            EAST => &self.east,
            other => panic!("no test client for {other}"),
        }
    }

    /// One request with a token (or none) and the raw body given.
    pub async fn call(
        &self,
        region: &str,
        method: Method,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut req = self.client(region).request(method.clone(), uri);
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.body(body).send().await;
        reply(method, uri, resp).await
    }

    /// A JSON request as the SDK sends it, with `alice`'s token unless `token` says otherwise.
    pub async fn json(
        &self,
        region: &str,
        method: Method,
        uri: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.call(region, method, uri, Some(token), &[("Content-Type", "application/json")], bytes)
            .await
    }

    pub async fn get(&self, region: &str, uri: &str) -> Reply {
        self.json(region, Method::GET, uri, ALICE, None).await
    }

    pub async fn post(&self, region: &str, uri: &str, body: Value) -> Reply {
        self.json(region, Method::POST, uri, ALICE, Some(body)).await
    }

    pub async fn delete(&self, region: &str, uri: &str) -> Reply {
        self.json(region, Method::DELETE, uri, ALICE, None).await
    }

    /// The admin push: an image under `tag`, with `digest` or a made-up one.
    pub async fn push(
        &self,
        region: &str,
        ns: &str,
        repo: &str,
        tag: &str,
        digest: Option<&str>,
    ) -> Reply {
        let body = digest.map(|d| json!({"digest": d, "size": 42}));
        let uri = format!("/admin/swr/namespaces/{ns}/repos/{repo}/tags/{tag}");
        self.json(region, Method::PUT, &uri, ALICE, body).await
    }

    /// A namespace in `region` and a repository with the tags given, all alice's.
    pub async fn seed(&self, region: &str, ns: &str, repo: &str, tags: &[&str]) {
        let created = self.post(region, "/v2/manage/namespaces", json!({"namespace": ns})).await;
        assert!(matches!(created.status, 201 | 409), "{created:#?}");
        for tag in tags {
            let pushed = self.push(region, ns, &repo.replace('/', "$"), tag, None).await;
            assert!(matches!(pushed.status, 200 | 201), "{pushed:#?}");
        }
    }

    /// SWR's whole state (to prove a refusal changed nothing).
    pub fn state(&self) -> SwrState {
        self.store.snapshot().swr
    }

    /// A request signed with alice's AK/SK at `date`, with the body given.
    pub async fn signed(
        &self,
        method: Method,
        uri: &str,
        body: &[u8],
        date: OffsetDateTime,
        sk: &str,
    ) -> Reply {
        let sdk_date = format_sdk_date(date);
        let (path, query) = uri.split_once('?').map_or((uri, None), |(p, q)| (p, Some(q)));
        let header = |n: &str| match n {
            "content-type" => Some("application/json".to_owned()),
            "x-sdk-date" => Some(sdk_date.clone()),
            _ => None,
        };
        let parts = SignedParts {
            method: method.as_str(),
            raw_path: path,
            raw_query: query,
            header: &header,
            body,
        };
        let signed = "content-type;x-sdk-date";
        let signature = hex::encode(sign(sk, &sdk_date, &canonical_request(&parts, signed)));
        let auth = format!(
            "SDK-HMAC-SHA256 Access={ALICE_AK}, SignedHeaders={signed}, Signature={signature}"
        );
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Sdk-Date", sdk_date.as_str()),
            ("Authorization", auth.as_str()),
        ];
        self.call(HOME, method, uri, None, &headers, body.to_vec()).await
    }
}

async fn reply(method: Method, uri: &str, resp: poem::test::TestResponse) -> Reply {
    let status = resp.0.status().as_u16();
    let headers = resp.0.headers().clone();
    let text = resp.0.into_body().into_string().await.expect("a text body");
    let path = uri.split('?').next().unwrap_or(uri);
    if let Some(op) = spec().find(method.as_str(), path) {
        let lookup = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let ct = headers.get("content-type").and_then(|v| v.to_str().ok());
        let violations = imagespec_conformance::validate_response(
            spec(),
            op,
            status,
            ct,
            &lookup,
            text.as_bytes(),
        )
        .expect("the spec's schemas compile");
        assert!(
            violations.is_empty(),
            "{method} {uri} -> {status} breaks specs/swr.yaml: {violations:#?}\n{text}"
        );
    }
    assert!(headers.contains_key("x-request-id"), "{method} {uri}: no X-Request-Id");
    assert!(status < 500, "{method} {uri} -> {status}: {text}");
    Reply {
        status,
        headers,
        body: if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        },
    }
}

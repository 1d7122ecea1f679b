//! CCE image caches, in-process: API transcripts, every class of bad input, AK/SK signatures,
//! tenancy, quota and the clock-driven lifecycle.

use imagespec_server::auth::huawei::{SignedParts, canonical_request, format_sdk_date, sign};
use poem::{Endpoint, http::Method, test::TestClient};
use serde_json::{Value, json};
use time::Duration;

use crate::support::in_process;

const ALICE: &str = "alice-token";
const BOB: &str = "bob-token";
const ALICE_AK: &str = "ALICEAK0000000000001";
const ALICE_SK: &str = "alice-secret-key-0000000000000000000001";

/// A response reduced to what the tests look at.
#[derive(Debug)]
struct Reply {
    status: u16,
    request_id: String,
    content_type: String,
    body: Value,
}

async fn call(
    cli: &TestClient<impl Endpoint>,
    method: Method,
    uri: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let mut req = cli.request(method.clone(), uri);
    if let Some(t) = token {
        req = req.header("X-Auth-Token", t);
    }
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    reply(method, uri, req.body(body).send().await).await
}

/// Every response is also checked against `specs/cce.yaml` with the conformance library.
async fn reply(method: Method, uri: &str, resp: poem::test::TestResponse) -> Reply {
    let status = resp.0.status().as_u16();
    let headers = resp.0.headers().clone();
    let text = resp.0.into_body().into_string().await.expect("a text body");
    let header =
        |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
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
            "{method} {uri} -> {status} breaks specs/cce.yaml: {violations:#?}\n{text}"
        );
    }
    Reply {
        status,
        request_id: header("x-request-id"),
        content_type: header("content-type"),
        body: if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        },
    }
}

fn spec() -> &'static imagespec_conformance::Spec {
    static SPEC: std::sync::OnceLock<imagespec_conformance::Spec> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let text =
            std::fs::read_to_string(crate::support::root().join("specs/cce.yaml")).expect("spec");
        imagespec_conformance::Spec::from_text(&text).expect("the spec loads")
    })
}

async fn get(cli: &TestClient<impl Endpoint>, uri: &str, token: &str) -> Reply {
    call(cli, Method::GET, uri, Some(token), None, Vec::new()).await
}

async fn post(cli: &TestClient<impl Endpoint>, token: &str, body: &Value) -> Reply {
    call(
        cli,
        Method::POST,
        "/v5/imagecaches",
        Some(token),
        Some("application/json"),
        body.to_string().into_bytes(),
    )
    .await
}

fn cache(name: &str) -> Value {
    json!({"name": name, "images": ["busybox:latest"], "building_config": {"cluster": "c271e39f-1a6e-4d3d-8fa8-2a36329c68d2"}})
}

fn assert_cce_error(r: &Reply, status: u16, code: &str) {
    assert_eq!((r.status, r.body["errorCode"].as_str()), (status, Some(code)), "{r:#?}");
    assert!(r.body["errorMessage"].as_str().is_some_and(|m| !m.is_empty()), "{r:#?}");
    assert!(r.content_type.starts_with("application/json"), "{r:#?}");
}

fn assert_gateway_error(r: &Reply, status: u16, code: &str) {
    assert_eq!((r.status, r.body["error_code"].as_str()), (status, Some(code)), "{r:#?}");
    assert_eq!(r.body["request_id"].as_str(), Some(r.request_id.as_str()), "{r:#?}");
    assert!(!r.request_id.is_empty());
}

#[tokio::test]
async fn create_list_show_delete_transcript() {
    let (cli, clock) = in_process();
    let created = post(&cli, ALICE, &cache("test-imagecache")).await;
    assert_eq!(created.status, 201, "{created:#?}");
    let c = &created.body["image_cache"];
    assert_eq!(
        (c["status"].as_str(), c["image_cache_size"].as_i64(), c["retention_days"].as_i64()),
        (Some("Creating"), Some(20), Some(0))
    );
    assert!(c["created_at"].as_str().is_some_and(|t| t.ends_with(" +0000 UTC")));
    let id = c["id"].as_str().expect("an id").to_owned();

    let listed = get(&cli, "/v5/imagecaches", ALICE).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["image_caches"][0]["id"].as_str(), Some(id.as_str()));
    let filtered = get(&cli, "/v5/imagecaches?name=test-imagecache", ALICE).await;
    assert_eq!(filtered.body["image_caches"].as_array().map(Vec::len), Some(1));
    let other = get(&cli, "/v5/imagecaches?name=test", ALICE).await;
    assert_eq!(other.body["image_caches"], json!([]), "the name filter is exact, not fuzzy");

    clock.advance(Duration::seconds(10));
    let shown = get(&cli, &format!("/v5/imagecaches/{id}"), ALICE).await;
    assert_eq!(
        (shown.status, shown.body["image_cache"]["status"].as_str()),
        (200, Some("Available"))
    );

    let deleted =
        call(&cli, Method::DELETE, &format!("/v5/imagecaches/{id}"), Some(ALICE), None, Vec::new())
            .await;
    assert_eq!(
        (deleted.status, deleted.body["image_cache"]["status"].as_str()),
        (202, Some("Deleting"))
    );
    let still = get(&cli, &format!("/v5/imagecaches/{id}"), ALICE).await;
    assert_eq!(still.body["image_cache"]["status"].as_str(), Some("Deleting"));
    clock.advance(Duration::seconds(5));
    assert_cce_error(
        &get(&cli, &format!("/v5/imagecaches/{id}"), ALICE).await,
        404,
        "CCE.01404001",
    );
    assert_eq!(get(&cli, "/v5/imagecaches", ALICE).await.body["image_caches"], json!([]));
}

#[tokio::test]
async fn retention_expiry_makes_a_cache_unavailable_then_deletes_it() {
    let (cli, clock) = in_process();
    let mut body = cache("short-lived");
    body["retention_days"] = json!(1);
    let id =
        post(&cli, ALICE, &body).await.body["image_cache"]["id"].as_str().expect("id").to_owned();
    clock.advance(Duration::days(1));
    let shown = get(&cli, &format!("/v5/imagecaches/{id}"), ALICE).await;
    assert_eq!(shown.body["image_cache"]["status"].as_str(), Some("Unavailable"));
    assert!(shown.body["image_cache"]["message"].as_str().is_some_and(|m| m.contains("expired")));
    clock.advance(Duration::days(1));
    assert_cce_error(
        &get(&cli, &format!("/v5/imagecaches/{id}"), ALICE).await,
        404,
        "CCE.01404001",
    );
}

#[tokio::test]
async fn names_are_unique_quota_is_fifty_and_projects_are_isolated() {
    let (cli, _) = in_process();
    let id = post(&cli, ALICE, &cache("shared-name")).await.body["image_cache"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_cce_error(&post(&cli, ALICE, &cache("shared-name")).await, 409, "CCE.01409001");
    assert_eq!(
        post(&cli, BOB, &cache("shared-name")).await.status,
        201,
        "names are unique per project only"
    );
    assert_cce_error(&get(&cli, &format!("/v5/imagecaches/{id}"), BOB).await, 404, "CCE.01404001");
    let bob_list = get(&cli, "/v5/imagecaches", BOB).await;
    assert!(!bob_list.body.to_string().contains(&id), "bob must not see alice's cache");
    let bob_delete =
        call(&cli, Method::DELETE, &format!("/v5/imagecaches/{id}"), Some(BOB), None, Vec::new())
            .await;
    assert_cce_error(&bob_delete, 404, "CCE.01404001");
    for i in 1..50 {
        assert_eq!(post(&cli, ALICE, &cache(&format!("c{i}"))).await.status, 201);
    }
    let over = post(&cli, ALICE, &cache("c50")).await;
    assert_cce_error(&over, 400, "CCE.01400001");
    assert!(over.body["errorMessage"].as_str().is_some_and(|m| m.contains("50")));
}

/// Every malformed request gets a 4xx in CCE's envelope, and nothing is created.
#[tokio::test]
async fn bad_input_gets_cce_errors_and_changes_nothing() {
    let (cli, _) = in_process();
    let long = "a".repeat(129);
    let with = |key: &str, value: Value| {
        let mut b = cache("ok-name");
        b[key] = value;
        b.to_string().into_bytes()
    };
    let without = |key: &str| {
        let mut b = cache("ok-name");
        b.as_object_mut().expect("object").remove(key);
        b.to_string().into_bytes()
    };
    let json_ct = Some("application/json");
    let cases: Vec<(&str, Option<&str>, Vec<u8>, u16)> = vec![
        ("malformed JSON", json_ct, b"{\"name\": ".to_vec(), 400),
        ("not an object", json_ct, b"[1, 2]".to_vec(), 400),
        ("null body", json_ct, b"null".to_vec(), 400),
        ("empty body", json_ct, Vec::new(), 400),
        ("wrong type for size", json_ct, with("image_cache_size", json!("big")), 400),
        ("size below 20", json_ct, with("image_cache_size", json!(19)), 400),
        ("size above 400", json_ct, with("image_cache_size", json!(401)), 400),
        ("fractional size", json_ct, with("image_cache_size", json!(20.5)), 400),
        ("retention below 0", json_ct, with("retention_days", json!(-1)), 400),
        ("retention above 10000", json_ct, with("retention_days", json!(10001)), 400),
        ("upper-case name", json_ct, with("name", json!("Bad")), 400),
        ("name ending in -", json_ct, with("name", json!("bad-")), 400),
        ("name of 129 characters", json_ct, with("name", json!(long)), 400),
        ("empty name", json_ct, with("name", json!("")), 400),
        ("name with NUL", json_ct, with("name", json!("a\u{0}b")), 400),
        ("name with markup", json_ct, with("name", json!("<script>alert(1)</script>")), 400),
        ("name with path traversal", json_ct, with("name", json!("../../etc/passwd")), 400),
        ("name as a number", json_ct, with("name", json!(7)), 400),
        ("no images", json_ct, without("images"), 400),
        ("empty images", json_ct, with("images", json!([])), 400),
        ("image with spaces", json_ct, with("images", json!(["busy box"])), 400),
        ("images not an array", json_ct, with("images", json!("busybox")), 400),
        ("no building_config", json_ct, without("building_config"), 400),
        ("building_config without cluster", json_ct, with("building_config", json!({})), 400),
        ("cluster as a number", json_ct, with("building_config", json!({"cluster": 1})), 400),
        ("image as a number", json_ct, with("images", json!([1])), 400),
        ("name as a boolean", json_ct, with("name", json!(false)), 400),
        ("unknown field", json_ct, with("surprise", json!(true)), 400),
        ("text/plain body", Some("text/plain"), cache("ok-name").to_string().into_bytes(), 415),
        ("no content type", None, cache("ok-name").to_string().into_bytes(), 415),
        ("oversized body", json_ct, vec![b' '; (1 << 20) + 1], 413),
    ];
    for (what, ct, body, status) in cases {
        let r = call(&cli, Method::POST, "/v5/imagecaches", Some(ALICE), ct, body).await;
        assert_eq!(r.status, status, "{what}: {r:#?}");
        assert_eq!(r.body["errorCode"].as_str(), Some("CCE.01400001"), "{what}: {r:#?}");
    }
    let query_cases = [
        ("/v5/imagecaches?surprise=1", "unknown query parameter"),
        ("/v5/imagecaches?name=Bad", "bad name filter"),
        ("/v5/imagecaches?name=", "empty name filter"),
        ("/v5/imagecaches?name=%00", "NUL in the name filter"),
        ("/v5/imagecaches?name=%FF", "invalid UTF-8 in the name filter"),
        ("/v5/imagecaches?name=a&name=b", "a repeated single-valued parameter"),
        ("/v5/imagecaches/%FF", "invalid UTF-8 in the id"),
        (
            "/v5/imagecaches/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "an id of 65 characters",
        ),
    ];
    for (uri, what) in query_cases {
        let r = get(&cli, uri, ALICE).await;
        assert_eq!(
            (r.status, r.body["errorCode"].as_str()),
            (400, Some("CCE.01400001")),
            "{what}: {r:#?}"
        );
    }
    assert_eq!(
        get(&cli, "/v5/imagecaches", ALICE).await.body,
        json!({"image_caches": []}),
        "nothing was created"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_get_the_gateway_404() {
    let (cli, _) = in_process();
    for (method, uri) in [
        (Method::GET, "/v5/imagecaches/x/y"),
        (Method::PUT, "/v5/imagecaches/x"),
        (Method::PATCH, "/v5/imagecaches"),
    ] {
        let r = call(&cli, method.clone(), uri, Some(ALICE), None, Vec::new()).await;
        assert_gateway_error(&r, 404, "APIGW.0101");
    }
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let (cli, _) = in_process();
    let missing = call(&cli, Method::GET, "/v5/imagecaches", None, None, Vec::new()).await;
    assert_gateway_error(&missing, 401, "APIGW.0301");
    let bad = get(&cli, "/v5/imagecaches", "not-a-token").await;
    assert_gateway_error(&bad, 401, "APIGW.0301");
    let ok = get(&cli, "/v5/imagecaches", ALICE).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.request_id.len(), 32, "every response carries X-Request-Id");
}

/// Who signs a request: the secret key, how far from now its date is, the project header.
struct Signer<'a> {
    sk: &'a str,
    skew: Duration,
    project: Option<&'a str>,
}

/// Sends a request signed the way the Huawei SDKs sign, with `sk` and a date `skew` from now.
async fn signed(
    cli: &TestClient<impl Endpoint>,
    method: Method,
    path: &str,
    query: Option<&str>,
    body: &[u8],
    key: Signer<'_>,
) -> Reply {
    let Signer { sk, skew, project } = key;
    let date = format_sdk_date(time::OffsetDateTime::now_utc() + skew);
    let mut headers =
        vec![("content-type", "application/json".to_owned()), ("x-sdk-date", date.clone())];
    if let Some(p) = project {
        headers.push(("x-project-id", p.to_owned()));
    }
    let names = headers.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(";");
    let lookup = |n: &str| headers.iter().find(|(h, _)| *h == n).map(|(_, v)| v.clone());
    let parts = SignedParts {
        method: method.as_str(),
        raw_path: path,
        raw_query: query,
        header: &lookup,
        body,
    };
    let signature = hex::encode(sign(sk, &date, &canonical_request(&parts, &names)));
    let uri = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let mut req = cli.request(method.clone(), uri.clone()).header(
        "Authorization",
        format!("SDK-HMAC-SHA256 Access={ALICE_AK}, SignedHeaders={names}, Signature={signature}"),
    );
    for (n, v) in &headers {
        req = req.header(*n, v);
    }
    reply(method, &uri, req.body(body.to_vec()).send().await).await
}

#[tokio::test]
async fn aksk_signatures_are_verified() {
    let (cli, _) = in_process();
    let body = cache("signed-cache").to_string().into_bytes();
    let created = signed(
        &cli,
        Method::POST,
        "/v5/imagecaches",
        None,
        &body,
        Signer { sk: ALICE_SK, skew: Duration::ZERO, project: None },
    )
    .await;
    assert_eq!(created.status, 201, "{created:#?}");
    let listed = signed(
        &cli,
        Method::GET,
        "/v5/imagecaches",
        Some("name=signed-cache"),
        b"",
        Signer { sk: ALICE_SK, skew: Duration::ZERO, project: None },
    )
    .await;
    assert_eq!(listed.body["image_caches"].as_array().map(Vec::len), Some(1), "{listed:#?}");
    let token_view = get(&cli, "/v5/imagecaches", ALICE).await;
    assert_eq!(
        token_view.body["image_caches"].as_array().map(Vec::len),
        Some(1),
        "same principal by token and AK/SK"
    );

    let wrong = signed(
        &cli,
        Method::GET,
        "/v5/imagecaches",
        None,
        b"",
        Signer { sk: "wrong-sk", skew: Duration::ZERO, project: None },
    )
    .await;
    assert_gateway_error(&wrong, 401, "APIGW.0301");
    assert!(
        wrong.body["error_msg"].as_str().is_some_and(|m| m.contains("verify aksk signature fail"))
    );
    let stale = signed(
        &cli,
        Method::GET,
        "/v5/imagecaches",
        None,
        b"",
        Signer { sk: ALICE_SK, skew: Duration::minutes(-16), project: None },
    )
    .await;
    assert_gateway_error(&stale, 401, "APIGW.0301");
    let skewed = signed(
        &cli,
        Method::GET,
        "/v5/imagecaches",
        None,
        b"",
        Signer { sk: ALICE_SK, skew: Duration::minutes(14), project: None },
    )
    .await;
    assert_eq!(skewed.status, 200, "within the 15-minute window");
    let own = Some("0123456789abcdef0123456789abcdef");
    assert_eq!(
        signed(
            &cli,
            Method::GET,
            "/v5/imagecaches",
            None,
            b"",
            Signer { sk: ALICE_SK, skew: Duration::ZERO, project: own }
        )
        .await
        .status,
        200
    );
    let foreign = Some("fedcba9876543210fedcba9876543210");
    let r = signed(
        &cli,
        Method::GET,
        "/v5/imagecaches",
        None,
        b"",
        Signer { sk: ALICE_SK, skew: Duration::ZERO, project: foreign },
    )
    .await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (403, Some("CCE.01403001")), "{r:#?}");
}

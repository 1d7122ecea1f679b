//! Fault injection: injected errors in each family's envelope, scoping to one operation, seeds,
//! latency, dropped connections, Snowflake's 202 answers, and the `/admin/faults` endpoint.

use std::sync::Arc;
use std::time::{Duration, Instant};

use imagespec_server::{
    app::{Options, app_with, swr_region_app},
    auth::Credentials,
    faults::{Faults, Plan, Rule},
    store::{ManualClock, State, Store},
};
use poem::{EndpointExt, Response, endpoint::BoxEndpoint, http::Method, test::TestClient};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::snowflake::{ALICE as ALICE_SF, BASE as SF_BASE, snowflake_with};
use crate::support::{spawn, spawn_logging};

type Client = TestClient<BoxEndpoint<'static, Response>>;

/// The main address and SWR's cn-east-3 address over one store and one fault plan.
struct Fake {
    home: Client,
    east: Client,
    faults: Faults,
}

fn plan(seed: u64, rules: &[&str]) -> Plan {
    let rules = rules.iter().map(|r| r.parse::<Rule>().expect("a valid rule")).collect();
    Plan { seed, rules }
}

fn fake(seed: u64, rules: &[&str]) -> Fake {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let store = Store::new(State::default(), clock).expect("temp dir");
    let creds = Arc::new(Credentials::development());
    let faults = Faults::new(plan(seed, rules)).expect("a valid plan");
    let options = Options { faults: faults.clone(), ..Default::default() };
    let home = app_with(store.clone(), creds.clone(), options).map_to_response().boxed();
    let east =
        swr_region_app(store, creds, "cn-east-3".into(), faults.clone()).map_to_response().boxed();
    Fake { home: TestClient::new(home), east: TestClient::new(east), faults }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: poem::http::HeaderMap,
    text: String,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(
    cli: &Client,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Reply {
    let mut req = cli.request(method, path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.header("Content-Type", "application/json").body(b);
    }
    let resp = req.send().await.0;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.into_body().into_string().await.expect("a text body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, headers, text, body }
}

const GLANCE: [(&str, &str); 2] = [("X-Auth-Token", "alice-token"), ("Accept", "application/json")];
const HUAWEI: [(&str, &str); 1] = [("X-Auth-Token", "alice-token")];
const SNOWFLAKE: [(&str, &str); 1] = [("Authorization", "Bearer alice-snowflake-token")];

async fn get(cli: &Client, path: &str, headers: &[(&str, &str)]) -> Reply {
    send(cli, Method::GET, path, headers, None).await
}

/// `status` with the rule's `Retry-After` on 429 and 503 and none on 500.
#[track_caller]
fn assert_retry_after(r: &Reply, status: u16, seconds: &str) {
    assert_eq!(r.status, status, "{r:#?}");
    let expected = (status != 500).then_some(seconds);
    assert_eq!(r.header("retry-after"), expected, "{r:#?}");
}

#[tokio::test]
async fn glance_faults_are_webob_errors_with_the_request_id() {
    let f = fake(0, &["glance:list_images:503=1,retry-after=4"]);
    for (status, code, explanation) in [
        (503, "503 Service Unavailable", "The server is currently unavailable."),
        (429, "429 Too Many Requests", "The client has sent too many requests"),
        (500, "500 Internal Server Error", "The server has either erred"),
    ] {
        f.faults
            .set(plan(0, &[&format!("glance:list_images:{status}=1,retry-after=4")]))
            .expect("valid");
        let r = get(&f.home, "/v2/images", &GLANCE).await;
        assert_retry_after(&r, status, "4");
        assert_eq!(r.body["code"], code, "{r:#?}");
        assert_eq!(r.body["title"], code.split_once(' ').map(|c| c.1).unwrap_or_default());
        let message = r.body["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(explanation) && message.contains("<br /><br />"), "{r:#?}");
        let id = r.header("x-openstack-request-id").unwrap_or_default();
        assert!(id.starts_with("req-") && id.len() == 40, "{r:#?}");
    }
    // Rendered by Accept like any Glance error, the header kept.
    let html = get(&f.home, "/v2/images", &[("X-Auth-Token", "alice-token")]).await;
    assert_eq!(html.status, 500);
    assert!(html.text.contains("500 Internal Server Error"), "{html:#?}");
    assert!(html.header("content-type").is_some_and(|c| c.starts_with("text/plain")));
}

#[tokio::test]
async fn cce_and_swr_faults_are_huawei_errors_in_every_region() {
    let f = fake(0, &[]);
    let paths: [(&str, &Client, &str); 3] = [
        ("cce", &f.home, "/v5/imagecaches"),
        ("swr", &f.home, "/v2/manage/namespaces"),
        ("swr", &f.east, "/v2/manage/namespaces"),
    ];
    for (family, cli, path) in paths {
        for status in [429, 500, 503] {
            f.faults.set(plan(0, &[&format!("{family}:*:{status}=1")])).expect("valid");
            let r = get(cli, path, &HUAWEI).await;
            assert_retry_after(&r, status, "1");
            let id = r.header("x-request-id").unwrap_or_default().to_owned();
            assert_eq!(id.len(), 32, "{r:#?}");
            let (code, message) = match (family, status) {
                (_, 429) => {
                    assert_eq!(r.body["request_id"], id, "{r:#?}");
                    (&r.body["error_code"], &r.body["error_msg"])
                }
                _ => (&r.body["errorCode"], &r.body["errorMessage"]),
            };
            let expected = match (family, status) {
                (_, 429) => "APIGW.0308",
                ("cce", 500) => "CCE.01500001",
                ("cce", _) => "CCE.01503001",
                (_, 500) => "SVCSTG.SWR.5000007",
                _ => "SVCSTG.SWR.5030001",
            };
            assert_eq!(code, expected, "{family} {path} {r:#?}");
            assert!(message.as_str().is_some_and(|m| !m.is_empty()), "{r:#?}");
        }
    }
}

#[tokio::test]
async fn snowflake_faults_are_error_responses_with_the_request_id() {
    let f = fake(0, &[]);
    for status in [429, 500, 503] {
        f.faults.set(plan(0, &[&format!("snowflake:list_databases:{status}=1")])).expect("valid");
        let r = get(&f.home, "/api/v2/databases", &SNOWFLAKE).await;
        assert_retry_after(&r, status, "1");
        let id = r.header("x-snowflake-request-id").unwrap_or_default();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{r:#?}");
        assert_eq!(r.body["request_id"], id, "{r:#?}");
        assert_eq!(r.body["code"], format!("{status:06}"), "{r:#?}");
        assert_eq!(r.body["code"], r.body["error_code"], "{r:#?}");
        assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{r:#?}");
    }
}

#[tokio::test]
async fn a_rule_for_one_operation_leaves_the_others_alone() {
    let f = fake(0, &["glance:show_image:503=1", "cce:create_image_cache:500=1"]);
    assert_eq!(get(&f.home, "/v2/images", &GLANCE).await.status, 200);
    let missing = "/v2/images/00000000-0000-0000-0000-000000000000";
    assert_eq!(get(&f.home, missing, &GLANCE).await.status, 503, "before the handler");
    assert_eq!(get(&f.home, "/v5/imagecaches", &HUAWEI).await.status, 200);
    let create = json!({"name": "c1", "images": ["nginx:latest"]}).to_string();
    let r = send(&f.home, Method::POST, "/v5/imagecaches", &HUAWEI, Some(create)).await;
    assert_eq!(r.status, 500, "{r:#?}");
    assert_eq!(get(&f.home, "/v2/manage/namespaces", &HUAWEI).await.status, 200);
    assert_eq!(get(&f.home, "/api/v2/databases", &SNOWFLAKE).await.status, 200);
    // Requests refused before an operation (authentication) are not faulted.
    let anonymous = get(&f.home, missing, &[("Accept", "application/json")]).await;
    assert_eq!(anonymous.status, 401);
    // The first matching rule decides: an empty rule exempts an operation.
    f.faults.set(plan(0, &["cce:list_image_caches", "cce:*:503=1"])).expect("valid");
    assert_eq!(get(&f.home, "/v5/imagecaches", &HUAWEI).await.status, 200);
    assert_eq!(get(&f.home, "/v5/imagecaches/nope", &HUAWEI).await.status, 503);
}

/// The statuses of `n` lists of image caches.
async fn statuses(cli: &Client, n: usize) -> Vec<u16> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(get(cli, "/v5/imagecaches", &HUAWEI).await.status);
    }
    out
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults_and_another_seed_others() {
    let rule = "cce:list_image_caches:429=0.2,500=0.1,503=0.2";
    let first = statuses(&fake(11, &[rule]).home, 200).await;
    assert_eq!(first, statuses(&fake(11, &[rule]).home, 200).await);
    assert_ne!(first, statuses(&fake(12, &[rule]).home, 200).await);
    for status in [200, 429, 500, 503] {
        assert!(first.contains(&status), "{status} never drawn: {first:?}");
    }
    // Installing the plan again (here through the admin endpoint) restarts the sequence.
    let f = fake(11, &[rule]);
    statuses(&f.home, 50).await;
    let rules = serde_json::to_value(plan(11, &[rule]).rules).expect("json");
    let put = json!({ "seed": 11, "rules": rules }).to_string();
    let r = send(&f.home, Method::PUT, "/admin/faults", &HUAWEI, Some(put)).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(statuses(&f.home, 200).await, first);
}

#[tokio::test]
async fn latency_is_applied() {
    let f = fake(0, &["cce:list_image_caches:latency=150ms", "swr:*:latency=100..120"]);
    let start = Instant::now();
    assert_eq!(get(&f.home, "/v5/imagecaches", &HUAWEI).await.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(150), "{:?}", start.elapsed());
    let start = Instant::now();
    assert_eq!(get(&f.east, "/v2/manage/namespaces", &HUAWEI).await.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(100), "{:?}", start.elapsed());
}

/// A raw HTTP/1.1 GET: every byte the server sent before closing, or the read error.
fn raw_get(base: &str, path: &str) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: alice-token\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(req.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}

#[test]
fn a_dropped_connection_gets_no_http_answer() {
    let server = spawn(&["--fault", "cce:list_image_caches:drop=1", "--fault-seed", "3"]);
    match raw_get(&server.base, "/v5/imagecaches") {
        Ok(bytes) => assert!(
            bytes.is_empty(),
            "expected the connection closed without an answer, got {:?}",
            String::from_utf8_lossy(&bytes)
        ),
        // A reset is a connection error too.
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    // The server is fine, and other operations answer.
    let (status, _) = server.get("/v5/imagecaches/nope", &[("X-Auth-Token", "alice-token")]);
    assert!(status.contains(" 404 "), "{status}");
}

/// The access log tells a dropped request from an answered one: status 444, nginx's code for a
/// connection closed without a response (the head poem had built says 200).
#[test]
fn a_dropped_connection_is_logged_as_444() {
    let log = std::env::temp_dir().join(format!("imagespec-dropped-{}.log", std::process::id()));
    let file = std::fs::File::create(&log).expect("a log file");
    let server = spawn_logging(&["--fault", "cce:list_image_caches:drop=1"], file);
    let _ = raw_get(&server.base, "/v5/imagecaches");
    let (status, _) = server.get("/v5/imagecaches/nope", &[("X-Auth-Token", "alice-token")]);
    assert!(status.contains(" 404 "), "{status}");
    assert!(server.terminate().success());
    let text = std::fs::read_to_string(&log).expect("the log");
    let _ = std::fs::remove_file(&log);
    let access: Vec<&str> = text.lines().filter(|l| l.contains("imagespec::access")).collect();
    let dropped: Vec<&&str> =
        access.iter().filter(|l| l.contains(r#"path="/v5/imagecaches" "#)).collect();
    assert_eq!(dropped.len(), 1, "{text}");
    assert!(dropped[0].contains("status=444"), "{}", dropped[0]);
    assert!(access.iter().any(|l| l.contains("status=404")), "{text}");
}

#[test]
fn a_bad_fault_flag_stops_the_server_with_the_reason() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_imagespec-server"))
        .args(["--port", "0", "--fault", "glance:list_imagez:503=0.5"])
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--fault <RULE>") && stderr.contains("list_imagez"), "{stderr}");
}

#[tokio::test]
async fn snowflake_async_answers_202_and_the_location_yields_the_result() {
    let faults = Faults::default();
    let sf = snowflake_with(Options { faults: faults.clone(), ..Default::default() });
    sf.test_db(ALICE_SF).await;
    sf.repos(ALICE_SF, &["r1"]).await;
    faults.set(plan(5, &["snowflake:*:async=1"])).expect("valid");
    let r = sf.get(SF_BASE, ALICE_SF).await;
    assert_eq!(r.status, 202, "{r:#?}");
    assert_eq!(r.body["code"], "392604");
    let location = r.header("location").unwrap_or_default().to_owned();
    assert!(location.starts_with("/api/v2/results/"), "{r:#?}");
    let mut polls = 0;
    let done = loop {
        let r = sf.get(&location, ALICE_SF).await;
        polls += 1;
        if r.status != 202 || polls > 5 {
            break r;
        }
    };
    assert_eq!((done.status, done.names()), (200, vec!["R1".to_owned()]), "{done:#?}");
    // Scoped to one operation, the others answer at once.
    faults.set(plan(5, &["snowflake:fetch_image_repository:async=1"])).expect("valid");
    assert_eq!(sf.get(SF_BASE, ALICE_SF).await.status, 200);
    assert_eq!(sf.get(&format!("{SF_BASE}/r1"), ALICE_SF).await.status, 202);
}

#[tokio::test]
async fn the_admin_endpoint_sets_reads_and_clears_the_plan() {
    let f = fake(9, &[]);
    let r = get(&f.home, "/admin/faults", &HUAWEI).await;
    assert_eq!((r.status, r.body.clone()), (200, json!({"seed": 9, "rules": []})), "{r:#?}");
    let put = json!({"rules": [
        {"family": "cce", "operation": "list_image_caches", "errors": {"503": 1}, "retry_after": 2},
        {"family": "snowflake", "operation": "*", "latency_ms": {"min": 1, "max": 3}, "async": 0.5}
    ]});
    let r = send(&f.home, Method::PUT, "/admin/faults", &HUAWEI, Some(put.to_string())).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body["seed"], 9, "no seed keeps the current one");
    assert_eq!(r.body["rules"][0]["errors"], json!({"503": 1.0}));
    assert_eq!(r.body["rules"][1]["retry_after"], 1, "the default is filled in");
    assert_eq!(get(&f.home, "/admin/faults", &HUAWEI).await.body, r.body);
    let faulted = get(&f.home, "/v5/imagecaches", &HUAWEI).await;
    assert_retry_after(&faulted, 503, "2");
    let seeded = json!({"seed": 4, "rules": []}).to_string();
    let r = send(&f.home, Method::PUT, "/admin/faults", &HUAWEI, Some(seeded)).await;
    assert_eq!((r.status, r.body.clone()), (200, json!({"seed": 4, "rules": []})));
    assert_eq!(get(&f.home, "/v5/imagecaches", &HUAWEI).await.status, 200);
    send(&f.home, Method::PUT, "/admin/faults", &HUAWEI, Some(put.to_string())).await;
    let r = send(&f.home, Method::DELETE, "/admin/faults", &HUAWEI, None).await;
    assert_eq!((r.status, r.body.clone()), (200, json!({"seed": 4, "rules": []})), "{r:#?}");
    assert_eq!(get(&f.home, "/v5/imagecaches", &HUAWEI).await.status, 200);
}

#[tokio::test]
async fn the_admin_endpoint_refuses_strangers_non_admins_and_bad_plans() {
    let f = fake(0, &["cce:*:latency=1"]);
    let before = f.faults.plan();
    let r = get(&f.home, "/admin/faults", &[]).await;
    assert!(r.status == 401 && r.body["message"].is_string(), "{r:#?}");
    let r = get(&f.home, "/admin/faults", &[("X-Auth-Token", "nobody")]).await;
    assert_eq!(r.status, 401, "{r:#?}");
    let bob = [("X-Auth-Token", "bob-token")];
    let r = get(&f.home, "/admin/faults", &bob).await;
    assert!(r.status == 403 && r.body["message"].is_string(), "{r:#?}");
    let clear = send(&f.home, Method::DELETE, "/admin/faults", &bob, None).await;
    assert_eq!(clear.status, 403);
    let snowflake_token = get(&f.home, "/admin/faults", &SNOWFLAKE).await;
    assert_eq!(snowflake_token.status, 401, "only X-Auth-Token");
    let rule = |extra: Value| {
        let mut r = json!({"family": "cce", "operation": "*"});
        r.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        json!({ "rules": [r] }).to_string()
    };
    for (body, says) in [
        ("{".to_owned(), "not a fault plan"),
        ("[]".to_owned(), "not a fault plan"),
        (String::new(), "not a fault plan"),
        (json!({"rules": [], "extra": 1}).to_string(), "unknown field `extra`"),
        (json!({"seed": -1, "rules": []}).to_string(), "not a fault plan"),
        (rule(json!({"dorp": 0.5})), "unknown field `dorp`"),
        (rule(json!({"errors": {"404": 0.5}})), "unknown field `404`"),
        (rule(json!({"errors": {"503": 1.5}})), "probability from 0 to 1"),
        (rule(json!({"drop": -0.5})), "probability from 0 to 1"),
        (rule(json!({"drop": "often"})), "not a fault plan"),
        (rule(json!({"errors": {"503": 0.7}, "drop": 0.7})), "add up to"),
        (rule(json!({"async": 0.5})), "snowflake"),
        (rule(json!({"operation": "list_images"})), "no operation `list_images`"),
        (rule(json!({"family": "nova"})), "`nova` is not a family"),
        (rule(json!({"latency_ms": {"min": 5, "max": 1}})), "minimum is larger"),
        (rule(json!({"latency_ms": 5})), "not a fault plan"),
    ] {
        let r = send(&f.home, Method::PUT, "/admin/faults", &HUAWEI, Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {r:#?}");
        let message = r.body["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
    }
    let r = send(&f.home, Method::POST, "/admin/faults", &HUAWEI, Some("{}".into())).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, PUT, DELETE")), "{r:#?}");
    assert_eq!(f.faults.plan(), before, "a refused request changes nothing");
}

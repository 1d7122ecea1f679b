//! Every class of bad input gets a 4xx in SWR's (or the gateway's) format, and leaves the state
//! exactly as it was.

use poem::http::Method;
use serde_json::json;

use super::*;

/// Runs `call`, expects `status` with `code` in SWR's body, and checks nothing changed.
macro_rules! refused {
    ($s:expr, $status:expr, $code:expr, $call:expr) => {{
        let before = $s.state();
        let r = $call.await;
        r.assert_swr_error($status, $code);
        assert_eq!($s.state(), before, "a refusal changed the state: {r:#?}");
    }};
}

#[tokio::test]
async fn every_naming_rule_violation_of_the_seed_is_refused() {
    let s = swr();
    let long_ns = format!("a{}", "b".repeat(64));
    for bad in [
        "",
        "1team",
        "-team",
        "team-",
        "team.",
        "team_",
        "Team",
        "tEam",
        "te..am",
        "te._am",
        "te-.am",
        "te___am",
        "te am",
        "te/am",
        "tëam",
        long_ns.as_str(),
    ] {
        refused!(
            s,
            400,
            "SVCSTG.SWR.4001028",
            s.post(HOME, "/v2/manage/namespaces", json!({"namespace": bad}))
        );
    }
    s.seed(HOME, "team", "x", &[]).await;
    let long_repo = "r".repeat(129);
    for bad in [
        "",
        "/app",
        "app/",
        "a//b",
        "a/.b",
        "a._b",
        "App",
        "a___b",
        "a b",
        "-app",
        "app-",
        long_repo.as_str(),
    ] {
        refused!(
            s,
            400,
            "SVCSTG.SWR.4001029",
            s.post(
                HOME,
                "/v2/manage/namespaces/team/repos",
                json!({"repository": bad, "is_public": false})
            )
        );
    }
    // The same rules on path segments.
    refused!(s, 400, "SVCSTG.SWR.4001028", s.get(HOME, "/v2/manage/namespaces/Team"));
    refused!(s, 400, "SVCSTG.SWR.4001028", s.get(HOME, "/v2/manage/namespaces/a___b/repos/x"));
    refused!(s, 400, "SVCSTG.SWR.4001029", s.get(HOME, "/v2/manage/namespaces/team/repos/A$b"));
    refused!(s, 400, "SVCSTG.SWR.4001029", s.get(HOME, "/v2/manage/namespaces/team/repos/a$$b"));
    refused!(s, 400, "SVCSTG.SWR.4001029", s.get(HOME, "/v2/manage/namespaces/team/repos/%2Fa"));
    // `/` not sent as `$` (or `%2F`): the path has too many segments for any operation.
    let before = s.state();
    s.get(HOME, "/v2/manage/namespaces/team/repos/a/b/tags")
        .await
        .assert_gateway_error(404, "APIGW.0101");
    assert_eq!(s.state(), before);
    // Tag names, where a tag is created.
    s.seed(HOME, "team", "app", &["v1"]).await;
    for bad in [".v", "-v", "v:1", "v 1", &"t".repeat(129)] {
        refused!(
            s,
            400,
            "SVCSTG.SWR.4009021",
            s.post(
                HOME,
                "/v2/manage/namespaces/team/repos/app/tags",
                json!({"source_tag": "v1", "destination_tag": bad})
            )
        );
    }
    let r = s.push(HOME, "team", "app", "bad%20tag", None).await;
    r.assert_swr_error(400, "SVCSTG.SWR.4009021");
}

#[tokio::test]
async fn malformed_bodies_and_wrong_types_are_400() {
    let s = swr();
    s.seed(HOME, "team", "app", &["v1"]).await;
    s.seed(EAST, "dr", "x", &[]).await;
    let sync = "/v2/manage/namespaces/team/repos/app/sync_images";
    let raw = |uri: &'static str, body: &'static str| {
        s.call(
            HOME,
            Method::POST,
            uri,
            Some(ALICE),
            &[("Content-Type", "application/json")],
            body.as_bytes().to_vec(),
        )
    };
    refused!(s, 400, "SVCSTG.SWR.4000014", raw("/v2/manage/namespaces", "{\"namespace\": "));
    refused!(s, 400, "SVCSTG.SWR.4000014", raw("/v2/manage/namespaces", "[1, 2]"));
    refused!(s, 400, "SVCSTG.SWR.4001014", raw("/v2/manage/namespaces", "{}"));
    refused!(s, 400, "SVCSTG.SWR.4001028", raw("/v2/manage/namespaces", "{\"namespace\": 7}"));
    refused!(
        s,
        400,
        "SVCSTG.SWR.4000014",
        raw("/v2/manage/namespaces/team/repos", "{\"repository\": \"a\", \"is_public\": \"yes\"}")
    );
    refused!(
        s,
        400,
        "SVCSTG.SWR.4000014",
        raw(
            "/v2/manage/namespaces/team/repos",
            "{\"repository\": \"a\", \"is_public\": false, \"category\": \"games\"}"
        )
    );
    refused!(
        s,
        400,
        "SVCSTG.SWR.4001014",
        raw(sync, "{\"imageTag\": [\"v1\"], \"remoteRegionId\": \"cn-east-3\"}")
    );
    refused!(
        s,
        400,
        "SVCSTG.SWR.4009021",
        raw(
            sync,
            "{\"imageTag\": [1], \"remoteNamespace\": \"dr\", \"remoteRegionId\": \"cn-east-3\"}"
        )
    );
    refused!(
        s,
        400,
        "SVCSTG.SWR.4000014",
        raw(
            sync,
            "{\"imageTag\": \"v1\", \"remoteNamespace\": \"dr\", \"remoteRegionId\": \"cn-east-3\"}"
        )
    );
    refused!(
        s,
        400,
        "SVCSTG.SWR.4000014",
        raw(
            sync,
            "{\"imageTag\": [\"v1\"], \"override\": \"true\", \"remoteNamespace\": \"dr\", \"remoteRegionId\": \"cn-east-3\"}"
        )
    );
    // No body at all, and a body that is not JSON.
    refused!(
        s,
        415,
        "SVCSTG.SWR.4000014",
        s.call(HOME, Method::POST, "/v2/manage/namespaces", Some(ALICE), &[], vec![])
    );
    refused!(s, 400, "SVCSTG.SWR.4000014", raw("/v2/manage/namespaces", ""));
    let r = s
        .call(
            HOME,
            Method::POST,
            "/v2/manage/namespaces",
            Some(ALICE),
            &[("Content-Type", "text/plain")],
            b"team".to_vec(),
        )
        .await;
    assert!(r.status == 400 || r.status == 415, "{r:#?}");
    assert!(r.body["errorCode"].is_string(), "{r:#?}");
}

#[tokio::test]
async fn sync_bodies_are_checked_before_anything_is_copied() {
    let s = swr();
    s.seed(HOME, "team", "app", &["v1"]).await;
    s.seed(EAST, "dr", "x", &[]).await;
    let sync = "/v2/manage/namespaces/team/repos/app/sync_images";
    let body = |tags: serde_json::Value, region: &str| json!({"imageTag": tags, "remoteNamespace": "dr", "remoteRegionId": region});
    refused!(s, 400, "SVCSTG.SWR.4000014", s.post(HOME, sync, body(json!([]), EAST)));
    refused!(s, 400, "SVCSTG.SWR.4009021", s.post(HOME, sync, body(json!([""]), EAST)));
    refused!(
        s,
        400,
        "SVCSTG.SWR.4009021",
        s.post(HOME, sync, body(json!(["v1", "bad tag"]), EAST))
    );
    refused!(s, 400, "SVCSTG.SWR.4000014", s.post(HOME, sync, body(json!(["v1"]), "mars-1")));
    refused!(s, 400, "SVCSTG.SWR.4000014", s.post(HOME, sync, body(json!(["v1"]), HOME)));
    refused!(
        s,
        400,
        "SVCSTG.SWR.4001028",
        s.post(
            HOME,
            sync,
            json!({"imageTag": ["v1"], "remoteNamespace": "DR", "remoteRegionId": EAST})
        )
    );
    let rules = "/v2/manage/namespaces/team/repos/app/sync_repo";
    refused!(
        s,
        400,
        "SVCSTG.SWR.4000014",
        s.post(HOME, rules, json!({"remoteRegionId": "nowhere", "remoteNamespace": "dr"}))
    );
}

#[tokio::test]
async fn bad_queries_and_filters_are_400() {
    let s = swr();
    s.seed(HOME, "team", "app", &["v1"]).await;
    for uri in [
        "/v2/manage/repos?limit=0",
        "/v2/manage/repos?limit=1001",
        "/v2/manage/repos?limit=ten",
        "/v2/manage/repos?offset=-1",
        "/v2/manage/repos?order_column=size",
        "/v2/manage/repos?order_type=up",
        "/v2/manage/repos?category=games",
        "/v2/manage/repos?filter=namespace=team",
        "/v2/manage/repos?filter=colour::red",
        "/v2/manage/repos?filter=limit::5%7Climit::6",
        "/v2/manage/repos?filter=center::elsewhere",
        "/v2/manage/repos?unknown=1",
        "/v2/manage/repos?limit=1&limit=2",
        "/v2/manage/namespaces?filter=mode::everything",
        "/v2/manage/namespaces?filter=namespace",
        "/v2/manage/namespaces/team/repos/app/tags?order_column=name",
        "/v2/manage/namespaces/team/repos/app/tags?filter=tag::v%7Cfoo::bar",
        "/v2/manage/namespaces/team/repos/app/sync_job",
        "/v2/manage/namespaces/team/repos/app/sync_job?filter=limit::10",
        "/v2/manage/namespaces/team/repos/app/sync_job?filter=limit::0%7Coffset::0",
        "/v2/manage/namespaces/team/repos/app/sync_job?filter=limit::5%7Coffset::0%7Corder::sideways",
    ] {
        let r = s.get(HOME, uri).await;
        assert_eq!(r.status, 400, "{uri}: {r:#?}");
        let code = r.body["errorCode"].as_str().unwrap_or_default();
        assert!(["SVCSTG.SWR.4000014", "SVCSTG.SWR.4001014"].contains(&code), "{uri}: {r:#?}");
    }
}

#[tokio::test]
async fn hostile_strings_and_oversized_bodies_are_refused_cleanly() {
    let s = swr();
    for uri in [
        "/v2/manage/namespaces/%00",
        "/v2/manage/namespaces/%FF%FE",
        "/v2/manage/namespaces/..%2F..%2Fetc",
        "/v2/manage/namespaces/%3Cscript%3E",
    ] {
        let r = s.get(HOME, uri).await;
        assert!((400..500).contains(&r.status), "{uri}: {r:#?}");
        assert!(
            r.body["errorCode"].is_string() || r.body["error_code"].is_string(),
            "{uri}: {r:#?}"
        );
    }
    let big = format!("{{\"namespace\": \"{}\"}}", "a".repeat(2 << 20));
    let r = s
        .call(
            HOME,
            Method::POST,
            "/v2/manage/namespaces",
            Some(ALICE),
            &[("Content-Type", "application/json")],
            big.into_bytes(),
        )
        .await;
    assert_eq!(r.status, 413, "{r:#?}");
    assert!(r.body["errorCode"].is_string(), "{r:#?}");
    let r = s.json(HOME, Method::PUT, "/v2/manage/namespaces", ALICE, None).await;
    r.assert_gateway_error(404, "APIGW.0101");
    let r =
        s.json(HOME, Method::DELETE, "/admin/swr/namespaces/a/repos/b/tags/c", ALICE, None).await;
    r.assert_gateway_error(404, "APIGW.0101");
    assert_eq!(s.state(), SwrState::default());
}

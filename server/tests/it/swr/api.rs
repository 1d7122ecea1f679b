//! Namespaces, repositories, tags and regions: the documented operations and their rules.

use poem::http::Method;
use serde_json::json;

use super::*;

#[tokio::test]
async fn each_region_lists_the_others_as_sync_targets() {
    let s = swr();
    let home = s.get(HOME, "/v2/manage/regions").await;
    assert_eq!(home.status, 200);
    assert_eq!(home.names("regionID"), ["cn-east-3", "cn-south-1"]);
    assert_eq!(
        s.get(EAST, "/v2/manage/regions").await.names("regionID"),
        ["cn-north-4", "cn-south-1"]
    );
    // The other region's address serves SWR only, as a real `swr-api.{region}` host.
    s.json(EAST, Method::GET, "/v5/imagecaches", ALICE, None)
        .await
        .assert_gateway_error(404, "APIGW.0101");
}

#[tokio::test]
async fn namespaces_are_created_listed_shown_and_deleted() {
    let s = swr();
    let created = s.post(HOME, "/v2/manage/namespaces", json!({"namespace": "team"})).await;
    assert_eq!((created.status, &created.body), (201, &serde_json::Value::Null));
    s.post(HOME, "/v2/manage/namespaces", json!({"namespace": "team"}))
        .await
        .assert_swr_error(409, "SVCSTG.SWR.4090060");
    // Unique per region across accounts, yet invisible to the other account.
    s.json(HOME, Method::POST, "/v2/manage/namespaces", BOB, Some(json!({"namespace": "team"})))
        .await
        .assert_swr_error(409, "SVCSTG.SWR.4090060");
    s.json(HOME, Method::GET, "/v2/manage/namespaces/team", BOB, None)
        .await
        .assert_swr_error(404, "SVCSTG.SWR.4040058");
    s.post(HOME, "/v2/manage/namespaces", json!({"namespace": "other.ns"})).await;

    let shown = s.get(HOME, "/v2/manage/namespaces/team").await;
    assert_eq!(shown.status, 200);
    assert_eq!((shown.body["name"].as_str(), shown.body["auth"].as_i64()), (Some("team"), Some(7)));
    assert_eq!(shown.body["creator_name"], "alice");

    let all = s.get(HOME, "/v2/manage/namespaces").await;
    let names: Vec<&str> = all.body["namespaces"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, ["other.ns", "team"]);
    for uri in [
        "/v2/manage/namespaces?namespace=team",
        "/v2/manage/namespaces?filter=namespace::team",
        "/v2/manage/namespaces?filter=namespace::team%7Cmode::visible",
        "/v2/manage/namespaces?namespace=other.ns&filter=namespace::team",
    ] {
        let one = s.get(HOME, uri).await;
        assert_eq!(one.body["namespaces"].as_array().map(Vec::len), Some(1), "{uri}: {one:#?}");
        assert_eq!(one.body["namespaces"][0]["name"], "team", "{uri}");
    }
    let none = s.get(HOME, "/v2/manage/namespaces?namespace=absent").await;
    assert_eq!((none.status, none.body["namespaces"].as_array().map(Vec::len)), (200, Some(0)));
    assert_eq!(
        s.get(EAST, "/v2/manage/namespaces").await.body["namespaces"],
        json!([]),
        "per region"
    );

    assert_eq!(s.delete(HOME, "/v2/manage/namespaces/other.ns").await.status, 204);
    s.delete(HOME, "/v2/manage/namespaces/other.ns")
        .await
        .assert_swr_error(404, "SVCSTG.SWR.4040058");
}

#[tokio::test]
async fn a_namespace_holding_repositories_is_not_deleted() {
    let s = swr();
    s.seed(HOME, "team", "app", &[]).await;
    let repo = json!({"repository": "app", "is_public": false});
    assert_eq!(s.post(HOME, "/v2/manage/namespaces/team/repos", repo).await.status, 201);
    s.delete(HOME, "/v2/manage/namespaces/team").await.assert_swr_error(406, "SVCSTG.SWR.4060074");
    assert_eq!(s.get(HOME, "/v2/manage/namespaces/team").await.status, 200, "still there");
    assert_eq!(s.delete(HOME, "/v2/manage/namespaces/team/repos/app").await.status, 204);
    assert_eq!(s.delete(HOME, "/v2/manage/namespaces/team").await.status, 204);
}

#[tokio::test]
async fn the_namespace_quota_is_five_per_account() {
    let s = swr();
    for i in 1..=5 {
        let r = s.post(HOME, "/v2/manage/namespaces", json!({"namespace": format!("ns{i}")})).await;
        assert_eq!(r.status, 201, "{r:#?}");
    }
    s.post(HOME, "/v2/manage/namespaces", json!({"namespace": "ns6"}))
        .await
        .assert_swr_error(400, "SVCSTG.SWR.4000097");
    let bob = s
        .json(HOME, Method::POST, "/v2/manage/namespaces", BOB, Some(json!({"namespace": "ns6"})))
        .await;
    assert_eq!(bob.status, 201, "bob has his own quota");
}

#[tokio::test]
async fn repositories_round_trip_with_slashes_sent_either_way() {
    let s = swr();
    s.seed(HOME, "team", "x", &[]).await;
    let body = json!({"repository": "base/busybox", "is_public": true, "category": "linux", "description": "d"});
    assert_eq!(s.post(HOME, "/v2/manage/namespaces/team/repos", body.clone()).await.status, 201);
    s.post(HOME, "/v2/manage/namespaces/team/repos", body)
        .await
        .assert_swr_error(409, "SVCSTG.SWR.4090006");
    for uri in [
        "/v2/manage/namespaces/team/repos/base$busybox",
        "/v2/manage/namespaces/team/repos/base%24busybox",
        "/v2/manage/namespaces/team/repos/base%2Fbusybox",
    ] {
        let r = s.get(HOME, uri).await;
        assert_eq!(r.status, 200, "{uri}: {r:#?}");
        assert_eq!(r.body["name"], "base/busybox");
        assert_eq!(
            (r.body["category"].as_str(), r.body["is_public"].as_bool()),
            (Some("linux"), Some(true))
        );
        assert_eq!(r.body["path"], "swr.cn-north-4.myhuaweicloud.com/team/base/busybox");
    }
    // A raw slash splits the path: the gateway knows no such API.
    s.get(HOME, "/v2/manage/namespaces/team/repos/base/busybox")
        .await
        .assert_gateway_error(404, "APIGW.0101");

    let update = json!({"is_public": false, "description": "changed"});
    let r = s
        .json(
            HOME,
            Method::PATCH,
            "/v2/manage/namespaces/team/repos/base$busybox",
            ALICE,
            Some(update),
        )
        .await;
    assert_eq!(r.status, 201, "{r:#?}");
    let r = s.get(HOME, "/v2/manage/namespaces/team/repos/base$busybox").await;
    assert_eq!(
        (r.body["is_public"].as_bool(), r.body["description"].as_str()),
        (Some(false), Some("changed"))
    );
    assert_eq!(r.body["category"], "linux", "left-out fields keep their values");

    let plain = json!({"repository": "plain", "is_public": false});
    s.post(HOME, "/v2/manage/namespaces/team/repos", plain).await;
    let r = s.get(HOME, "/v2/manage/namespaces/team/repos/plain").await;
    assert_eq!(
        (r.body["category"].as_str(), r.body["description"].as_str()),
        (Some("other"), Some(""))
    );

    assert_eq!(s.delete(HOME, "/v2/manage/namespaces/team/repos/base%2Fbusybox").await.status, 204);
    s.get(HOME, "/v2/manage/namespaces/team/repos/base$busybox")
        .await
        .assert_swr_error(404, "SVCSTG.SWR.4040010");
    s.get(HOME, "/v2/manage/namespaces/absent/repos/plain")
        .await
        .assert_swr_error(404, "SVCSTG.SWR.4040058");
}

#[tokio::test]
async fn the_repository_list_pages_filters_and_reports_its_range() {
    let s = swr();
    s.seed(HOME, "team", "x", &[]).await;
    s.seed(HOME, "ops", "x", &[]).await;
    for (i, name) in ["a1", "a2", "b1", "b2", "c1"].iter().enumerate() {
        s.clock.advance(time::Duration::seconds(1));
        let ns = if i % 2 == 0 { "team" } else { "ops" };
        let body = json!({"repository": name, "is_public": false, "category": if i == 4 {"lang"} else {"other"}});
        assert_eq!(
            s.post(HOME, &format!("/v2/manage/namespaces/{ns}/repos"), body).await.status,
            201
        );
    }
    let all = s.get(HOME, "/v2/manage/repos").await;
    assert_eq!(all.header("content-range"), Some("0-5/5"));
    assert_eq!(all.names("name"), ["c1", "b2", "b1", "a2", "a1"], "newest update first");
    assert_eq!(all.body[0]["total_range"], 5);

    let page = s.get(HOME, "/v2/manage/repos?limit=2&offset=1&order_type=asc").await;
    assert_eq!(
        (page.names("name"), page.header("content-range")),
        (vec!["a2".into(), "b1".into()], Some("1-2/5"))
    );
    let team =
        s.get(HOME, "/v2/manage/repos?namespace=team&order_column=name&order_type=asc").await;
    assert_eq!(team.names("name"), ["a1", "b1", "c1"]);
    assert!(team.body.as_array().expect("list").iter().all(|r| r["namespace"] == "team"));
    let filtered = s
        .get(HOME, "/v2/manage/repos?namespace=ops&filter=namespace::team%7Cname::1%7Climit::1")
        .await;
    assert_eq!(
        (filtered.names("name"), filtered.header("content-range")),
        (vec!["c1".into()], Some("0-1/3"))
    );
    let lang = s.get(HOME, "/v2/manage/repos?category=lang").await;
    assert_eq!(lang.names("name"), ["c1"]);
    let bob = s.json(HOME, Method::GET, "/v2/manage/repos", BOB, None).await;
    assert_eq!((bob.body.clone(), bob.header("content-range")), (json!([]), Some("0-0/0")));
}

#[tokio::test]
async fn tags_are_listed_shown_retagged_and_deleted() {
    let s = swr();
    s.seed(HOME, "team", "app", &["v1", "v2", "v3"]).await;
    let base = "/v2/manage/namespaces/team/repos/app/tags";
    let all = s.get(HOME, base).await;
    assert_eq!(
        (all.names("Tag"), all.header("content-range")),
        (vec!["v3".into(), "v2".into(), "v1".into()], Some("0-3/3"))
    );
    let page =
        s.get(HOME, &format!("{base}?order_column=tag&order_type=asc&limit=2&offset=1")).await;
    assert_eq!(page.names("Tag"), ["v2", "v3"]);
    let filtered = s.get(HOME, &format!("{base}?filter=tag::2%7Climit::5%7Coffset::0")).await;
    assert_eq!(
        (filtered.names("Tag"), filtered.header("content-range")),
        (vec!["v2".into()], Some("0-1/1"))
    );

    let one = s.get(HOME, &format!("{base}/v1")).await;
    assert_eq!((one.status, one.body["tag"].as_str()), (200, Some("v1")));
    assert_eq!(one.body["path"], "swr.cn-north-4.myhuaweicloud.com/team/app:v1");

    let retag = json!({"source_tag": "v1", "destination_tag": "latest"});
    assert_eq!(s.post(HOME, base, retag.clone()).await.status, 201);
    assert_eq!(s.get(HOME, &format!("{base}/latest")).await.body["digest"], one.body["digest"]);
    s.post(HOME, base, json!({"source_tag": "v2", "destination_tag": "latest"}))
        .await
        .assert_swr_error(409, "SVCSTG.SWR.4090006");
    let moved = s
        .post(
            HOME,
            base,
            json!({"source_tag": "v2", "destination_tag": "latest", "override": true}),
        )
        .await;
    assert_eq!(moved.status, 201);
    let v2 = s.get(HOME, &format!("{base}/v2")).await.body["digest"].clone();
    assert_eq!(s.get(HOME, &format!("{base}/latest")).await.body["digest"], v2);
    s.post(HOME, base, json!({"source_tag": "nope", "destination_tag": "x"}))
        .await
        .assert_swr_error(404, "SVCSTG.SWR.4040048");

    assert_eq!(s.delete(HOME, &format!("{base}/v1")).await.status, 204);
    s.get(HOME, &format!("{base}/v1")).await.assert_swr_error(404, "SVCSTG.SWR.4040048");
    s.delete(HOME, &format!("{base}/v1")).await.assert_swr_error(404, "SVCSTG.SWR.4040048");
    let repo = s.get(HOME, "/v2/manage/namespaces/team/repos/app").await;
    assert_eq!(repo.body["num_images"], 3, "v2, v3 and latest");
}

#[tokio::test]
async fn the_state_file_seeds_namespaces_repositories_and_tags() {
    let text = std::fs::read_to_string(crate::support::root().join("server/demo/state.json"))
        .expect("demo");
    let state: State = serde_json::from_str(&text).expect("the demo state loads");
    let s = swr_with(state);
    let tags = s
        .json(HOME, Method::GET, "/v2/manage/namespaces/demo/repos/library$nginx/tags", BOB, None)
        .await;
    assert_eq!(tags.status, 200, "{tags:#?}");
    assert!(tags.names("Tag").contains(&"1.27".to_owned()), "{tags:#?}");
    let east = s.json(EAST, Method::GET, "/v2/manage/namespaces", BOB, None).await;
    assert_eq!(east.body["namespaces"][0]["name"], "demo-dr", "{east:#?}");
}

#[tokio::test]
async fn signed_requests_are_verified_and_tokens_checked() {
    let s = swr();
    let now = s.store.now();
    let body = br#"{"namespace":"signed"}"#;
    let r = s.signed(Method::POST, "/v2/manage/namespaces", body, now, ALICE_SK).await;
    assert_eq!(r.status, 201, "{r:#?}");
    let r =
        s.signed(Method::GET, "/v2/manage/namespaces?namespace=signed", b"", now, ALICE_SK).await;
    assert_eq!(r.body["namespaces"][0]["name"], "signed", "{r:#?}");
    s.signed(Method::GET, "/v2/manage/namespaces", b"", now, "wrong-secret")
        .await
        .assert_gateway_error(401, "APIGW.0301");
    s.signed(
        Method::GET,
        "/v2/manage/namespaces",
        b"",
        now - time::Duration::minutes(16),
        ALICE_SK,
    )
    .await
    .assert_gateway_error(401, "APIGW.0301");
    s.call(HOME, Method::GET, "/v2/manage/namespaces", None, &[], vec![])
        .await
        .assert_gateway_error(401, "APIGW.0301");
    s.call(HOME, Method::GET, "/v2/manage/namespaces", Some("nobody"), &[], vec![])
        .await
        .assert_gateway_error(401, "APIGW.0301");
    s.call(
        HOME,
        Method::GET,
        "/v2/manage/namespaces",
        Some(ALICE),
        &[("X-Project-Id", "fedcba9876543210fedcba9876543210")],
        vec![],
    )
    .await
    .assert_gateway_error(401, "APIGW.0301");
    let own = s
        .call(
            HOME,
            Method::GET,
            "/v2/manage/namespaces",
            Some(ALICE),
            &[("X-Project-Id", "0123456789abcdef0123456789abcdef")],
            vec![],
        )
        .await;
    assert_eq!(own.status, 200);
}

#[tokio::test]
async fn charset_media_types_trailing_newlines_and_bodiless_json_gets_are_accepted() {
    let s = swr();
    for (i, ct) in
        ["application/json;charset=utf-8", "application/json; charset=UTF-8"].iter().enumerate()
    {
        let body = format!("{{\"namespace\": \"cs{i}\"}}\n").into_bytes();
        let r = s
            .call(
                HOME,
                Method::POST,
                "/v2/manage/namespaces",
                Some(ALICE),
                &[("Content-Type", ct)],
                body,
            )
            .await;
        assert_eq!(r.status, 201, "{ct}: {r:#?}");
    }
    // The SDK sends Content-Type: application/json on GET and DELETE without a body.
    let r = s
        .call(
            HOME,
            Method::GET,
            "/v2/manage/namespaces/cs0",
            Some(ALICE),
            &[("Content-Type", "application/json")],
            vec![],
        )
        .await;
    assert_eq!(r.status, 200, "{r:#?}");
    let r = s
        .call(
            HOME,
            Method::DELETE,
            "/v2/manage/namespaces/cs0",
            Some(ALICE),
            &[("Content-Type", "application/json")],
            vec![],
        )
        .await;
    assert_eq!(r.status, 204, "{r:#?}");
}

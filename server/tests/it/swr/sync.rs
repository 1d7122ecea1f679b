//! Manual synchronization observed through the target region's own endpoint, `override`, the
//! job history, and automatic rules applied to later pushes.

use poem::http::Method;
use serde_json::json;

use super::*;

const DIGEST_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const DIGEST_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const SYNC: &str = "/v2/manage/namespaces/team/repos/base$app/sync_images";

fn sync_body(tags: &[&str], override_: Option<bool>) -> serde_json::Value {
    let mut b = json!({"imageTag": tags, "remoteNamespace": "dr", "remoteRegionId": EAST});
    if let Some(o) = override_ {
        b["override"] = json!(o);
    }
    b
}

#[tokio::test]
async fn manual_sync_delivers_tags_to_the_target_region() {
    let s = swr();
    s.seed(HOME, "team", "base/app", &["v1", "v2"]).await;
    s.seed(EAST, "dr", "unused", &[]).await;
    s.json(
        HOME,
        Method::PATCH,
        "/v2/manage/namespaces/team/repos/base$app",
        ALICE,
        Some(json!({"is_public": true, "category": "lang"})),
    )
    .await;

    let r = s.post(HOME, SYNC, sync_body(&["v1", "v2"], None)).await;
    assert_eq!((r.status, &r.body), (200, &json!([])), "full success is an empty array");

    // Observed through cn-east-3's own endpoint, as the seed's success check describes.
    let tags = s.get(EAST, "/v2/manage/namespaces/dr/repos/base$app/tags").await;
    assert_eq!(tags.names("Tag"), ["v2", "v1"]);
    assert_eq!(tags.body[0]["path"], "swr.cn-east-3.myhuaweicloud.com/dr/base/app:v2");
    let repo = s.get(EAST, "/v2/manage/namespaces/dr/repos/base%2Fapp").await;
    assert_eq!(
        (repo.body["is_public"].as_bool(), repo.body["category"].as_str()),
        (Some(true), Some("lang"))
    );
    let home_v1 = s.get(HOME, "/v2/manage/namespaces/team/repos/base$app/tags/v1").await;
    let east_v1 = s.get(EAST, "/v2/manage/namespaces/dr/repos/base$app/tags/v1").await;
    assert_eq!(home_v1.body["digest"], east_v1.body["digest"]);

    let jobs = s
        .get(
            HOME,
            "/v2/manage/namespaces/team/repos/base$app/sync_job?filter=limit::10%7Coffset::0",
        )
        .await;
    assert_eq!(jobs.header("content-range"), Some("0-2/2"));
    assert_eq!(jobs.names("status"), ["success", "success"]);
    assert_eq!(jobs.names("tag"), ["v2", "v1"], "newest first");
    assert_eq!(jobs.body[0]["remoteRegionId"], EAST);
    let asc = s.get(HOME, "/v2/manage/namespaces/team/repos/base$app/sync_job?filter=limit::1%7Coffset::0%7Corder::asc").await;
    assert_eq!(
        (asc.names("tag"), asc.header("content-range")),
        (vec!["v1".to_owned()], Some("0-1/2"))
    );
}

#[tokio::test]
async fn override_decides_whether_a_different_target_image_is_replaced() {
    let s = swr();
    s.seed(HOME, "team", "base/app", &[]).await;
    s.seed(EAST, "dr", "unused", &[]).await;
    s.push(HOME, "team", "base$app", "v1", Some(DIGEST_A)).await;
    s.push(EAST, "dr", "base$app", "v1", Some(DIGEST_B)).await;

    let kept = s.post(HOME, SYNC, sync_body(&["v1"], Some(false))).await;
    assert_eq!(
        (kept.status, &kept.body),
        (200, &json!(["v1"])),
        "the tag that was not synchronized"
    );
    let east = s.get(EAST, "/v2/manage/namespaces/dr/repos/base$app/tags/v1").await;
    assert_eq!(east.body["digest"], DIGEST_B, "left alone without override");

    let replaced = s.post(HOME, SYNC, sync_body(&["v1"], Some(true))).await;
    assert_eq!((replaced.status, &replaced.body), (200, &json!([])));
    let east = s.get(EAST, "/v2/manage/namespaces/dr/repos/base$app/tags/v1").await;
    assert_eq!(east.body["digest"], DIGEST_A, "replaced with override");

    let again = s.post(HOME, SYNC, sync_body(&["v1"], None)).await;
    assert_eq!(again.body, json!([]), "the identical image is a success without override");
    let jobs = s.get(HOME, "/v2/manage/namespaces/team/repos/base$app/sync_job?filter=limit::10%7Coffset::0%7Corder::asc").await;
    assert_eq!(jobs.names("status"), ["existed", "success", "success"]);
    assert_eq!(jobs.body[0]["override"], false);
    assert_eq!(jobs.body[1]["override"], true);
}

#[tokio::test]
async fn a_missing_target_organization_fails_the_jobs_and_copies_nothing() {
    let s = swr();
    s.seed(HOME, "team", "base/app", &["v1"]).await;
    let r = s.post(HOME, SYNC, sync_body(&["v1"], None)).await;
    assert_eq!((r.status, &r.body), (200, &json!(["v1"])));
    let jobs = s
        .get(
            HOME,
            "/v2/manage/namespaces/team/repos/base$app/sync_job?filter=limit::10%7Coffset::0",
        )
        .await;
    assert_eq!(jobs.names("status"), ["failed"]);
    // Another account's organization of that name is no target either.
    s.json(EAST, Method::POST, "/v2/manage/namespaces", BOB, Some(json!({"namespace": "dr"})))
        .await;
    assert_eq!(s.post(HOME, SYNC, sync_body(&["v1"], None)).await.body, json!(["v1"]));
    let bob = s.json(EAST, Method::GET, "/v2/manage/repos", BOB, None).await;
    assert_eq!(bob.body, json!([]), "nothing was written into bob's namespace");
}

#[tokio::test]
async fn missing_sources_are_404_and_leave_nothing_behind() {
    let s = swr();
    s.seed(HOME, "team", "base/app", &["v1"]).await;
    s.seed(EAST, "dr", "unused", &[]).await;
    let before = s.state();
    for (uri, body, code) in [
        (SYNC, sync_body(&["v1", "v9"], None), "SVCSTG.SWR.4040048"),
        (
            "/v2/manage/namespaces/team/repos/nope/sync_images",
            sync_body(&["v1"], None),
            "SVCSTG.SWR.4040010",
        ),
        (
            "/v2/manage/namespaces/nope/repos/base$app/sync_images",
            sync_body(&["v1"], None),
            "SVCSTG.SWR.4040058",
        ),
    ] {
        s.post(HOME, uri, body).await.assert_swr_error(404, code);
        assert_eq!(s.state(), before, "{uri}: nothing synchronized, no job recorded");
    }
}

#[tokio::test]
async fn automatic_rules_apply_to_later_pushes_only() {
    let s = swr();
    s.seed(HOME, "team", "base/app", &["old"]).await;
    s.seed(EAST, "dr", "unused", &[]).await;
    let rules = "/v2/manage/namespaces/team/repos/base$app/sync_repo";
    let rule = json!({"remoteRegionId": EAST, "remoteNamespace": "dr", "syncAuto": true});
    let r = s.post(HOME, rules, rule.clone()).await;
    assert_eq!((r.status, &r.body), (200, &serde_json::Value::Null));
    assert_eq!(s.post(HOME, rules, json!({"remoteRegionId": EAST, "remoteNamespace": "dr", "syncAuto": true, "override": true})).await.status, 200);
    let listed = s.get(HOME, rules).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1), "one rule per target");
    assert_eq!(
        (listed.body[0]["override"].as_bool(), listed.body[0]["repoName"].as_str()),
        (Some(true), Some("base/app"))
    );

    s.get(EAST, "/v2/manage/namespaces/dr/repos/base$app")
        .await
        .assert_swr_error(404, "SVCSTG.SWR.4040010");
    s.push(HOME, "team", "base$app", "new", None).await;
    let tags = s.get(EAST, "/v2/manage/namespaces/dr/repos/base$app/tags").await;
    assert_eq!(tags.names("Tag"), ["new"], "only the push after the rule");

    let target = json!({"remoteRegionId": EAST, "remoteNamespace": "dr"});
    assert_eq!(s.json(HOME, Method::DELETE, rules, ALICE, Some(target.clone())).await.status, 200);
    s.json(HOME, Method::DELETE, rules, ALICE, Some(target))
        .await
        .assert_swr_error(400, "SVCSTG.SWR.4001158");
    assert_eq!(s.get(HOME, rules).await.body, json!([]));
    s.push(HOME, "team", "base$app", "later", None).await;
    let tags = s.get(EAST, "/v2/manage/namespaces/dr/repos/base$app/tags").await;
    assert_eq!(tags.names("Tag"), ["new"], "no rule, no copy");
}

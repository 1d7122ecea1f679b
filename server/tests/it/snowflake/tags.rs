//! The tag custom methods `{name}:set-tags`, `:unset-tags` and `:get-tags`: the router reads the
//! colon as the method, identifiers resolve, values change, `ifExists`, bad input, tenancy.

use poem::http::Method;
use serde_json::json;

use super::{ALICE, BASE, BOB, snowflake};

#[tokio::test]
async fn tags_are_set_changed_listed_and_unset() {
    let sf = snowflake();
    sf.test_db(ALICE).await;
    sf.repos(ALICE, &["repo1"]).await;
    let set = json!([
        {"tag_name": "cost_center", "tag_value": "finance"},
        {"tag_database": "GOV", "tag_schema": "TAGS", "tag_name": "\"Owner\"", "tag_value": "data team", "level": "ignored"}
    ]);
    let r = sf.post(&format!("{BASE}/repo1:set-tags"), ALICE, &set).await;
    assert_eq!((r.status, &r.body), (200, &json!({"status": "Request successfully completed"})));
    let got = sf.get(&format!("{BASE}/Repo1:get-tags"), ALICE).await;
    assert_eq!(got.status, 200, "{got:#?}");
    assert_eq!(
        got.body,
        json!([
            {"tag_database": "GOV", "tag_schema": "TAGS", "tag_name": "Owner", "tag_value": "data team", "level": "IMAGE REPOSITORY"},
            {"tag_database": "TEST_DB", "tag_schema": "PUBLIC", "tag_name": "COST_CENTER", "tag_value": "finance", "level": "IMAGE REPOSITORY"}
        ])
    );
    // The same tag again changes its value; the repository itself is untouched.
    let again = json!([{"tag_name": "COST_CENTER", "tag_value": "ops"}]);
    assert_eq!(sf.post(&format!("{BASE}/repo1:set-tags"), ALICE, &again).await.status, 200);
    let got = sf.get(&format!("{BASE}/repo1:get-tags?withLineage=True"), ALICE).await;
    assert_eq!(got.body.as_array().map(Vec::len), Some(2));
    assert_eq!(got.body[1]["tag_value"], "ops");
    assert_eq!(sf.get(&format!("{BASE}/repo1"), ALICE).await.body["name"], "REPO1");

    let unset = json!([{"tag_name": "cost_center"}, {"tag_name": "never_set"}]);
    assert_eq!(sf.post(&format!("{BASE}/repo1:unset-tags"), ALICE, &unset).await.status, 200);
    let got = sf.get(&format!("{BASE}/repo1:get-tags"), ALICE).await;
    assert_eq!(got.body.as_array().map(|a| a.len()), Some(1));
    assert_eq!(got.body[0]["tag_name"], "Owner");
}

#[tokio::test]
async fn missing_repositories_follow_if_exists_and_tenancy_holds() {
    let sf = snowflake();
    sf.test_db(ALICE).await;
    sf.repos(ALICE, &["mine"]).await;
    let tag = json!([{"tag_name": "t", "tag_value": "v"}]);
    sf.post(&format!("{BASE}/nope:set-tags"), ALICE, &tag).await.assert_error(404);
    let r = sf.post(&format!("{BASE}/nope:set-tags?ifExists=true"), ALICE, &tag).await;
    assert_eq!(r.status, 200, "{r:#?}");
    sf.post(&format!("{BASE}/nope:unset-tags"), ALICE, &json!([{"tag_name": "t"}]))
        .await
        .assert_error(404);
    sf.get(&format!("{BASE}/nope:get-tags"), ALICE).await.assert_error(404);
    // Bob has no TEST_DB: alice's repository does not exist for him.
    sf.post(&format!("{BASE}/mine:set-tags"), BOB, &tag).await.assert_error(404);
    sf.get(&format!("{BASE}/mine:get-tags"), BOB).await.assert_error(404);
    assert_eq!(sf.get(&format!("{BASE}/mine:get-tags"), ALICE).await.body, json!([]));
}

#[tokio::test]
async fn bad_tag_requests_are_refused_and_change_nothing() {
    let sf = snowflake();
    sf.test_db(ALICE).await;
    sf.repos(ALICE, &["repo1"]).await;
    let url = format!("{BASE}/repo1:set-tags");
    let long = "x".repeat(257);
    let too_many: Vec<_> =
        (0..51).map(|i| json!({"tag_name": format!("t{i}"), "tag_value": "v"})).collect();
    for bad in [
        json!({"tag_name": "t", "tag_value": "v"}),
        json!([{"tag_value": "v"}]),
        json!([{"tag_name": "t"}]),
        json!([{"tag_name": "bad name", "tag_value": "v"}]),
        json!([{"tag_name": "t", "tag_value": 7}]),
        json!([{"tag_name": "t", "tag_value": long}]),
        json!(too_many),
    ] {
        let r = sf.post(&url, ALICE, &bad).await;
        r.assert_error(400);
        assert_eq!(sf.get(&format!("{BASE}/repo1:get-tags"), ALICE).await.body, json!([]), "{bad}");
    }
    let r = sf.call(Method::POST, &url, Some(ALICE), &[], Some(b"[{".to_vec())).await;
    r.assert_error(400);
    // A custom method answers only its own method; an unknown one is no operation.
    sf.call(Method::GET, &url, Some(ALICE), &[], None).await.assert_error(405);
    sf.get(&format!("{BASE}/repo1:frobnicate"), ALICE).await.assert_error(404);
    // With no name before the colon the segment is a (bad) repository name, not a custom method.
    sf.post(&format!("{BASE}/:set-tags"), ALICE, &json!([])).await.assert_error(405);
}

//! Containers and image repositories: the five seed operations, createMode, ifExists, like,
//! identifier case, tenancy, images seeded through the admin endpoint, and auth.

use poem::http::Method;
use serde_json::json;

use super::{ALICE, BASE, BOB, snowflake};

#[tokio::test]
async fn the_five_operations_as_a_transcript() {
    let sf = snowflake();
    sf.test_db(ALICE).await;
    let r = sf.get(BASE, ALICE).await;
    assert_eq!((r.status, r.body.clone()), (200, json!([])));
    let r = sf
        .post(&format!("{BASE}?createMode=errorIfExists"), ALICE, &json!({"name": "repo1"}))
        .await;
    assert_eq!(
        (r.status, r.body.clone()),
        (200, json!({"status": "Request successfully completed"}))
    );
    let r = sf.get(&format!("{BASE}/repo1"), ALICE).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body["name"], "REPO1");
    assert_eq!(r.body["database_name"], "TEST_DB");
    assert_eq!(r.body["schema_name"], "PUBLIC");
    assert_eq!(r.body["owner"], "ACCOUNTADMIN");
    assert_eq!(r.body["owner_role_type"], "ROLE");
    let url = r.body["repository_url"].as_str().unwrap_or_default();
    assert!(
        url.ends_with(".registry.snowflakecomputing.com/test_db/public/repo1")
            && !url.contains("://"),
        "{url}"
    );
    let created = r.body["created_on"].as_str().unwrap_or_default();
    assert!(
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{created}"
    );
    assert_eq!(sf.get(BASE, ALICE).await.names(), ["REPO1"]);
    let r = sf.get(&format!("{BASE}/REPO1/images"), ALICE).await;
    assert_eq!((r.status, r.body.clone()), (200, json!([])));
    let r = sf.delete(&format!("{BASE}/Repo1"), ALICE).await;
    assert_eq!(
        (r.status, r.body["status"].clone()),
        (200, json!("Request successfully completed"))
    );
    sf.get(&format!("{BASE}/repo1"), ALICE).await.assert_error(404);
    sf.get(&format!("{BASE}/repo1/images"), ALICE).await.assert_error(404);
}

#[tokio::test]
async fn create_modes_and_if_exists() {
    let sf = snowflake();
    sf.test_db(ALICE).await;
    sf.repos(ALICE, &["r"]).await;
    let seed = json!({"image_name": "app", "tags": ["v1", "latest"]});
    let r = sf
        .post(
            "/admin/snowflake/databases/test_db/schemas/public/image-repositories/r/images",
            ALICE,
            &seed,
        )
        .await;
    assert_eq!(r.status, 200, "{r:#?}");
    let before = sf.get(&format!("{BASE}/r"), ALICE).await.body;
    let r = sf.post(BASE, ALICE, &json!({"name": "R"})).await;
    r.assert_error(409);
    assert_eq!(r.body["code"], "002002");
    let r = sf.post(&format!("{BASE}?createMode=ifNotExists"), ALICE, &json!({"name": "r"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        sf.get(&format!("{BASE}/r"), ALICE).await.body,
        before,
        "ifNotExists leaves it alone"
    );
    assert_eq!(
        sf.get(&format!("{BASE}/r/images"), ALICE).await.body.as_array().map(Vec::len),
        Some(2)
    );
    let r = sf.post(&format!("{BASE}?createMode=orReplace"), ALICE, &json!({"name": "r"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        sf.get(&format!("{BASE}/r/images"), ALICE).await.body,
        json!([]),
        "orReplace empties it"
    );
    let r =
        sf.post(&format!("{BASE}?createMode=orReplace"), ALICE, &json!({"name": "fresh"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(sf.get(BASE, ALICE).await.names(), ["FRESH", "R"]);
    for q in ["", "?ifExists=false", "?ifExists=False"] {
        sf.delete(&format!("{BASE}/gone{q}"), ALICE).await.assert_error(404);
    }
    for q in ["?ifExists=true", "?ifExists=True", "?ifExists=TRUE"] {
        let r = sf.delete(&format!("{BASE}/gone{q}"), ALICE).await;
        assert_eq!(r.status, 200, "{q}: {r:#?}");
    }
    let r = sf.delete(&format!("{BASE}/r?ifExists=True"), ALICE).await;
    assert_eq!(r.status, 200);
    assert_eq!(sf.get(BASE, ALICE).await.names(), ["FRESH"]);
}

#[tokio::test]
async fn like_is_a_case_insensitive_whole_name_pattern() {
    let sf = snowflake();
    sf.test_db(ALICE).await;
    sf.repos(ALICE, &["test_ir_1", "test_ir_2", "other", "testxir_9"]).await;
    for (like, expected) in [
        ("TEst_Ir_%25", &["TESTXIR_9", "TEST_IR_1", "TEST_IR_2"][..]),
        ("TEst_Ir_3%25", &[][..]),
        ("test%5C_ir%25", &["TEST_IR_1", "TEST_IR_2"][..]),
        ("%25er", &["OTHER"][..]),
        ("other", &["OTHER"][..]),
        ("oth", &[][..]),
        ("_ther", &["OTHER"][..]),
    ] {
        assert_eq!(sf.get(&format!("{BASE}?like={like}"), ALICE).await.names(), expected, "{like}");
    }
}

#[tokio::test]
async fn identifiers_resolve_like_snowflake() {
    let sf = snowflake();
    sf.test_db(ALICE).await;
    sf.repos(ALICE, &["MixedCase", "a$b"]).await;
    for path in ["mixedcase", "MIXEDCASE", "%22MIXEDCASE%22", "%6Dixedcase"] {
        let r = sf.get(&format!("{BASE}/{path}"), ALICE).await;
        assert_eq!((r.status, r.body["name"].clone()), (200, json!("MIXEDCASE")), "{path}");
    }
    sf.get(&format!("{BASE}/%22MixedCase%22"), ALICE).await.assert_error(404);
    sf.get(&format!("{BASE}/%22My%20Repo%22"), ALICE).await.assert_error(404);
    assert_eq!(sf.get(&format!("{BASE}/a%24b"), ALICE).await.status, 200);
    let slash = sf.get(&format!("{BASE}/"), ALICE).await;
    assert_eq!(slash.names(), ["A$B", "MIXEDCASE"], "a trailing slash names the same collection");
    for db in ["test_db", "%22TEST_DB%22", "Test_Db"] {
        let r = sf
            .get(&format!("/api/v2/databases/{db}/schemas/public/image-repositories"), ALICE)
            .await;
        assert_eq!(r.status, 200, "{db}");
    }
    let r = sf.post(BASE, ALICE, &json!({"name": "\"Quoted\""})).await;
    r.assert_error(400);
    let r = sf.post("/api/v2/databases", ALICE, &json!({"name": "\"lower db\""})).await;
    assert_eq!(r.status, 200);
    let r = sf.get("/api/v2/databases?like=lower%25", ALICE).await;
    assert_eq!(r.names(), ["\"lower db\""], "a name that needs quotes is returned quoted");
    let r = sf.post("/api/v2/databases", ALICE, &json!({"name": "\"low\""})).await;
    assert_eq!(r.status, 200);
    let r = sf
        .post(
            "/api/v2/databases/%22low%22/schemas/public/image-repositories",
            ALICE,
            &json!({"name": "r"}),
        )
        .await;
    r.assert_error(400);
}

#[tokio::test]
async fn containers_list_fetch_create_and_delete() {
    let sf = snowflake();
    let r = sf
        .post(
            "/api/v2/databases?createMode=ifNotExists",
            ALICE,
            &json!({"name": "test_db", "kind": "PERMANENT", "dropped_on": null, "comment": "c"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:#?}");
    let r = sf.get("/api/v2/databases/TEST_DB", ALICE).await;
    assert_eq!(
        (r.body["name"].clone(), r.body["comment"].clone(), r.body["kind"].clone()),
        (json!("TEST_DB"), json!("c"), json!("PERMANENT"))
    );
    sf.post("/api/v2/databases", ALICE, &json!({"name": "test_db"})).await.assert_error(409);
    let body =
        json!({"name": "public", "kind": "PERMANENT", "managed_access": false, "dropped_on": null});
    let r = sf.post("/api/v2/databases/test_db/schemas?createMode=ifNotExists", ALICE, &body).await;
    assert_eq!(r.status, 200);
    sf.post("/api/v2/databases/test_db/schemas", ALICE, &body).await.assert_error(409);
    let r = sf
        .post(
            "/api/v2/databases/test_db/schemas",
            ALICE,
            &json!({"name": "s2", "managed_access": true}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = sf.get("/api/v2/databases/test_db/schemas/S2", ALICE).await;
    assert_eq!(
        (r.body["database_name"].clone(), r.body["managed_access"].clone()),
        (json!("TEST_DB"), json!(true))
    );
    assert_eq!(sf.get("/api/v2/databases/test_db/schemas", ALICE).await.names(), ["PUBLIC", "S2"]);
    assert_eq!(sf.get("/api/v2/databases/test_db/schemas?like=s%25", ALICE).await.names(), ["S2"]);
    assert_eq!(
        sf.get("/api/v2/databases?startsWith=TEST&showLimit=1", ALICE).await.names(),
        ["TEST_DB"]
    );
    sf.get("/api/v2/databases/nodb/schemas/public/image-repositories", ALICE)
        .await
        .assert_error(404);
    sf.get("/api/v2/databases/test_db/schemas/nosc/image-repositories", ALICE)
        .await
        .assert_error(404);
    sf.post(
        "/api/v2/databases/test_db/schemas/nosc/image-repositories",
        ALICE,
        &json!({"name": "r"}),
    )
    .await
    .assert_error(404);
    sf.delete("/api/v2/databases/nodb/schemas/public/image-repositories/r?ifExists=true", ALICE)
        .await
        .assert_error(404);
    let r = sf
        .post(
            "/api/v2/databases/test_db/schemas/s2/image-repositories",
            ALICE,
            &json!({"name": "r"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(sf.delete("/api/v2/databases/test_db/schemas/s2", ALICE).await.status, 200);
    sf.get("/api/v2/databases/test_db/schemas/s2/image-repositories/r", ALICE)
        .await
        .assert_error(404);
    sf.delete("/api/v2/databases/test_db/schemas/s2", ALICE).await.assert_error(404);
    assert_eq!(
        sf.delete("/api/v2/databases/test_db/schemas/s2?ifExists=True", ALICE).await.status,
        200
    );
    assert_eq!(sf.delete("/api/v2/databases/test_db", ALICE).await.status, 200);
    sf.get("/api/v2/databases/test_db", ALICE).await.assert_error(404);
    sf.delete("/api/v2/databases/test_db", ALICE).await.assert_error(404);
    assert_eq!(sf.delete("/api/v2/databases/test_db?ifExists=true", ALICE).await.status, 200);
    sf.get("/api/v2/image-repositories/", ALICE).await.assert_error(404);
    sf.get("/api/v2/databases/x/image-repositories/", ALICE).await.assert_error(404);
    let wrong = sf.call(Method::PUT, "/api/v2/databases/x", Some(ALICE), &[], None).await;
    wrong.assert_error(405);
    assert_eq!(wrong.header("allow"), Some("DELETE, GET"), "a 405 names the allowed methods");
}

#[tokio::test]
async fn accounts_do_not_see_each_other_and_owner_is_the_role() {
    let sf = snowflake();
    sf.test_db(ALICE).await;
    sf.repos(ALICE, &["r"]).await;
    sf.get(&format!("{BASE}/r"), BOB).await.assert_error(404);
    assert_eq!(sf.get("/api/v2/databases", BOB).await.names(), Vec::<String>::new());
    sf.test_db(BOB).await;
    sf.repos(BOB, &["r"]).await;
    assert_eq!(sf.get(&format!("{BASE}/r"), BOB).await.body["owner"], "BOB");
    assert_eq!(sf.get(&format!("{BASE}/r"), ALICE).await.body["owner"], "ACCOUNTADMIN");
}

#[tokio::test]
async fn images_are_seeded_through_the_admin_endpoint_and_listed_as_strings() {
    let sf = snowflake();
    sf.test_db(ALICE).await;
    sf.repos(ALICE, &["r"]).await;
    let admin = "/admin/snowflake/databases/test_db/schemas/public/image-repositories/r/images";
    let digest = format!("sha256:{}", "ab".repeat(32));
    let body = json!({"image_name": "svc", "tags": "1.0", "digest": digest, "created_on": "2024-04-18T13:41:53.481-07:00"});
    assert_eq!(sf.post(admin, ALICE, &body).await.status, 200);
    assert_eq!(
        sf.post(admin, ALICE, &json!({"image_name": "api", "tags": ["a", "b"]})).await.status,
        200
    );
    let r = sf.get(&format!("{BASE}/r/images"), ALICE).await;
    let list = r.body.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 3, "{r:#?}");
    assert!(
        list.iter().all(|i| ["created_on", "image_name", "tags", "digest", "image_path"]
            .iter()
            .all(|k| i[k].is_string())),
        "{list:#?}"
    );
    let svc = list.iter().find(|i| i["image_name"] == "svc").cloned().unwrap_or_default();
    assert_eq!(svc["image_path"], "test_db/public/r/svc:1.0");
    assert_eq!(svc["digest"], json!(digest));
    sf.post(admin, BOB, &body).await.assert_error(404);
    sf.post(admin, ALICE, &json!({"image_name": 1})).await.assert_error(400);
    sf.post(admin, ALICE, &json!({"image_name": "x", "digest": "md5:1"})).await.assert_error(400);
    sf.call(Method::POST, admin, None, &[], Some(b"{}".to_vec())).await.assert_error(401);
    sf.call(Method::GET, admin, Some(ALICE), &[], None).await.assert_error(405);
}

#[tokio::test]
async fn every_token_form_authenticates_and_bad_ones_are_401() {
    let sf = snowflake();
    for kind in
        ["KEYPAIR_JWT", "OAUTH", "PROGRAMMATIC_ACCESS_TOKEN", "PAT_WITH_EXTERNAL_SESSION_ID"]
    {
        let h = [("X-Snowflake-Authorization-Token-Type", kind)];
        let r = sf.call(Method::GET, "/api/v2/databases", Some(ALICE), &h, None).await;
        assert_eq!(r.status, 200, "{kind}");
    }
    let session = [("Authorization", "Snowflake Token=\"alice-snowflake-token\"")];
    assert_eq!(sf.call(Method::GET, "/api/v2/databases", None, &session, None).await.status, 200);
    for headers in [
        vec![],
        vec![("Authorization", "Bearer nope")],
        vec![("Authorization", "Bearer alice-token")],
        vec![("Authorization", "Snowflake Token=\"nope\"")],
        vec![("Authorization", "Basic YTpi")],
        vec![
            ("Authorization", "Bearer alice-snowflake-token"),
            ("X-Snowflake-Authorization-Token-Type", "PASSWORD"),
        ],
    ] {
        let r = sf.call(Method::GET, "/api/v2/databases", None, &headers, None).await;
        r.assert_error(401);
        assert_eq!(r.body["code"], "390303");
    }
}

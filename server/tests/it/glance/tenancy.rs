//! Tenancy and visibility: who sees, lists and may change which image, administrators and
//! readers, and the trusted-header identity and its roles.

use poem::http::Method;
use serde_json::json;

use super::members::{OTHER_PROJECT, activate, every_call_on_image, listed, post_empty, show};
use super::{ALICE, BOB, BOB_PROJECT, CAROL, CAROL_PROJECT, DAVE, V21, glance};

#[tokio::test]
async fn private_and_shared_images_of_another_project_are_not_found_for_every_call() {
    let g = glance();
    for visibility in ["private", "shared"] {
        let id =
            g.image(BOB, json!({"name": "bobs", "visibility": visibility, "tags": ["keep"]})).await;
        activate(&g, &id, BOB).await;
        let before = show(&g, &id, BOB).await;

        every_call_on_image(&g, &id, CAROL, 404).await;

        assert_eq!(show(&g, &id, BOB).await, before, "{visibility}: carol changed bob's image");
        for query in ["", "visibility=all", &format!("visibility={visibility}")] {
            let ids = listed(&g, CAROL, query).await;
            assert!(!ids.contains(&id), "{visibility} image in carol's list ?{query}: {ids:?}");
        }
        assert!(listed(&g, BOB, "").await.contains(&id), "{visibility} not in bob's own list");
    }
}

#[tokio::test]
async fn public_image_is_listed_and_shown_for_everyone_but_only_its_owner_may_change_it() {
    let g = glance();
    let r = g
        .create(
            ALICE,
            json!({"name": "golden", "visibility": "public", "disk_format": "raw",
                   "container_format": "bare"}),
        )
        .await;
    assert_eq!(r.status, 201, "admin creates a public image: {r:#?}");
    assert_eq!(r.body["visibility"], "public", "{r:#?}");
    let id = r.id();
    let before = show(&g, &id, ALICE).await;

    for token in [BOB, CAROL, DAVE] {
        assert!(listed(&g, token, "").await.contains(&id), "{token}: public image not listed");
        assert_eq!(show(&g, &id, token).await["id"], id.as_str(), "{token} shows it");
    }

    let rename = json!([{"op": "replace", "path": "/name", "value": "mine now"}]);
    let r = g.patch(&id, BOB, V21, rename).await;
    r.assert_error(403);
    let r = g.delete(&format!("/v2/images/{id}"), BOB).await;
    r.assert_error(403);
    let r = g.put(&format!("/v2/images/{id}/tags/bobs"), BOB).await;
    r.assert_error(403);
    assert_eq!(show(&g, &id, ALICE).await, before, "bob's refused writes changed the image");
}

#[tokio::test]
async fn only_an_administrator_may_create_a_public_image() {
    let g = glance();
    let before = listed(&g, BOB, "visibility=all").await;
    let r = g.create(BOB, json!({"name": "wannabe", "visibility": "public"})).await;
    r.assert_error(403);
    assert_eq!(listed(&g, BOB, "visibility=all").await, before, "a refused create left an image");

    let r = g.create(ALICE, json!({"name": "official", "visibility": "public"})).await;
    assert_eq!(r.status, 201, "{r:#?}");
    assert_eq!(r.body["visibility"], "public", "{r:#?}");
}

#[tokio::test]
async fn community_image_is_listed_for_others_only_when_asked_for_and_not_writable_by_them() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "bobs-community", "visibility": "community"})).await;
    let before = show(&g, &id, BOB).await;
    assert_eq!(before["visibility"], "community", "{before:#?}");

    assert!(listed(&g, BOB, "").await.contains(&id), "the owner's default list has it");
    assert!(!listed(&g, CAROL, "").await.contains(&id), "not in carol's default list");
    for query in ["visibility=community", "visibility=all"] {
        assert!(listed(&g, CAROL, query).await.contains(&id), "carol's ?{query} lists it");
    }
    assert_eq!(show(&g, &id, CAROL).await["id"], id.as_str(), "anyone may show it");

    let rename = json!([{"op": "replace", "path": "/name", "value": "carols"}]);
    let r = g.patch(&id, CAROL, V21, rename).await;
    r.assert_error(403);
    let r = g.delete(&format!("/v2/images/{id}"), CAROL).await;
    r.assert_error(403);
    assert_eq!(show(&g, &id, BOB).await, before, "carol's refused writes changed the image");
}

#[tokio::test]
async fn a_reader_may_list_and_show_its_projects_images_but_not_write() {
    let g = glance();
    let queued = g.image(BOB, json!({"name": "queued", "tags": ["keep"]})).await;
    let active = g.image(BOB, json!({"name": "active"})).await;
    activate(&g, &active, BOB).await;
    let before_queued = show(&g, &queued, BOB).await;
    let before_active = show(&g, &active, BOB).await;

    let ids = listed(&g, DAVE, "").await;
    assert!(ids.contains(&queued) && ids.contains(&active), "dave lists bob's images: {ids:?}");
    assert_eq!(show(&g, &queued, DAVE).await, before_queued, "dave shows the same image");

    let r = g.create(DAVE, json!({"name": "readers-image"})).await;
    r.assert_error(403);
    let rename = json!([{"op": "replace", "path": "/name", "value": "daves"}]);
    g.patch(&queued, DAVE, V21, rename).await.assert_error(403);
    g.delete(&format!("/v2/images/{queued}"), DAVE).await.assert_error(403);
    g.upload(&queued, DAVE, b"reader data").await.assert_error(403);
    g.put(&format!("/v2/images/{queued}/tags/daves"), DAVE).await.assert_error(403);
    let deactivate = format!("/v2/images/{active}/actions/deactivate");
    post_empty(&g, &deactivate, DAVE).await.assert_error(403);

    assert_eq!(show(&g, &queued, BOB).await, before_queued, "dave's writes changed the image");
    assert_eq!(show(&g, &active, BOB).await, before_active, "dave deactivated the image");
    let ids = listed(&g, BOB, "visibility=all").await;
    assert_eq!(ids.len(), 2, "dave's refused create left an image: {ids:?}");
}

#[tokio::test]
async fn trusted_identity_headers_work_like_a_token() {
    let g = glance();
    let project = "abcdefabcdefabcdefabcdefabcdef01";
    let with_project = [
        ("X-Identity-Status", "Confirmed"),
        ("X-Project-Id", project),
        ("X-Roles", "member,reader"),
        ("Content-Type", "application/json"),
    ];
    let body = json!({"name": "by-headers"}).to_string().into_bytes();
    let r = g.call(Method::POST, "/v2/images", None, &with_project, body).await;
    assert_eq!(r.status, 201, "{r:#?}");
    assert_eq!(r.body["owner"], project, "{r:#?}");
    let id = r.id();
    let r = g.call(Method::GET, "/v2/images", None, &with_project[..3], Vec::new()).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.ids(), vec![id.clone()], "the header identity lists its own image");

    let tenant = "abcdefabcdefabcdefabcdefabcdef02";
    let with_tenant = [
        ("X-Identity-Status", "Confirmed"),
        ("X-Tenant-Id", tenant),
        ("X-Roles", "member,reader"),
        ("Content-Type", "application/json"),
    ];
    let body = json!({"name": "by-tenant"}).to_string().into_bytes();
    let r = g.call(Method::POST, "/v2/images", None, &with_tenant, body).await;
    assert_eq!(r.status, 201, "X-Tenant-Id is the fallback for the project: {r:#?}");
    assert_eq!(r.body["owner"], tenant, "{r:#?}");
    let tenant_id = r.id();
    let r = g.call(Method::GET, "/v2/images", None, &with_tenant[..3], Vec::new()).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.ids(), vec![tenant_id], "each project sees only its own image");
}

#[tokio::test]
async fn requests_without_valid_credentials_are_unauthorized() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "guarded"})).await;
    let show = format!("/v2/images/{id}");
    let unconfirmed: [&[(&str, &str)]; 3] = [
        &[("X-Project-Id", BOB_PROJECT), ("X-Roles", "member,reader")],
        &[
            ("X-Identity-Status", "Invalid"),
            ("X-Project-Id", BOB_PROJECT),
            ("X-Roles", "member,reader"),
        ],
        &[],
    ];
    for headers in unconfirmed {
        for uri in ["/v2/images", show.as_str()] {
            let r = g.call(Method::GET, uri, None, headers, Vec::new()).await;
            assert_eq!(r.status, 401, "{uri} with {headers:?}: {r:#?}");
            r.assert_error(401);
        }
    }
    let r = g.get("/v2/images", "no-such-token").await;
    r.assert_error(401);
    let r = g.create("no-such-token", json!({"name": "sneaky"})).await;
    r.assert_error(401);
    assert_eq!(listed(&g, BOB, "visibility=all").await, vec![id], "nothing was created");

    let r = g.call(Method::GET, "/", None, &[], Vec::new()).await;
    assert_eq!(r.status, 300, "the root needs no credentials: {r:#?}");
    assert!(r.body["versions"].as_array().is_some_and(|v| !v.is_empty()), "{r:#?}");
    let r = g.call(Method::GET, "/versions", None, &[], Vec::new()).await;
    assert_eq!(r.status, 200, "/versions needs no credentials: {r:#?}");
    assert!(r.body["versions"].as_array().is_some_and(|v| !v.is_empty()), "{r:#?}");
}

#[tokio::test]
async fn an_administrator_sees_every_image_but_not_others_community_images_by_default() {
    let g = glance();
    let private = g.image(BOB, json!({"visibility": "private"})).await;
    let shared = g.image(CAROL, json!({})).await;
    let community = g.image(BOB, json!({"visibility": "community"})).await;
    let ids = listed(&g, ALICE, "").await;
    assert!(ids.contains(&private) && ids.contains(&shared), "admin lists all: {ids:?}");
    assert!(!ids.contains(&community), "others' community images need a filter: {ids:?}");
    assert!(listed(&g, ALICE, "visibility=community").await.contains(&community));
    assert!(listed(&g, ALICE, "visibility=all").await.contains(&community));
    assert_eq!(show(&g, &private, ALICE).await["id"], private.as_str());
    let rename = json!([{"op": "replace", "path": "/name", "value": "by admin"}]);
    let r = g.patch(&private, ALICE, V21, rename).await;
    assert_eq!(r.status, 200, "{r:#?}");
}

#[tokio::test]
async fn trusted_headers_roles_decide_what_the_caller_may_do() {
    let g = glance();
    let bobs = g.image(BOB, json!({"visibility": "private"})).await;
    let reader = [
        ("X-Identity-Status", "Confirmed"),
        ("X-Project-Id", BOB_PROJECT),
        ("X-Roles", "reader"),
        ("Content-Type", "application/json"),
    ];
    let body = json!({"name": "by a reader"}).to_string().into_bytes();
    let r = g.call(Method::POST, "/v2/images", None, &reader, body).await;
    r.assert_error(403);
    let r = g.call(Method::GET, "/v2/images", None, &reader[..3], Vec::new()).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.ids(), vec![bobs.clone()], "a reader lists its project's images only");

    let mixed_case = [
        ("X-Identity-Status", "Confirmed"),
        ("X-Project-Id", BOB_PROJECT),
        ("X-Roles", "Member,Reader"),
        ("Content-Type", "application/json"),
    ];
    let body = json!({"name": "by a member"}).to_string().into_bytes();
    let r = g.call(Method::POST, "/v2/images", None, &mixed_case, body).await;
    assert_eq!(r.status, 201, "roles are compared in lower case: {r:#?}");

    let admin =
        [("X-Identity-Status", "Confirmed"), ("X-Project-Id", CAROL_PROJECT), ("X-Roles", "admin")];
    let r = g.call(Method::GET, &format!("/v2/images/{bobs}"), None, &admin, Vec::new()).await;
    assert_eq!(r.status, 200, "the admin role sees every image: {r:#?}");
    let r =
        g.call(Method::GET, &format!("/v2/images/{bobs}"), None, &reader[..3], Vec::new()).await;
    assert_eq!(r.status, 200, "{r:#?}");
    let other = [
        ("X-Identity-Status", "Confirmed"),
        ("X-Project-Id", OTHER_PROJECT),
        ("X-Roles", "member,reader"),
    ];
    let r = g.call(Method::GET, &format!("/v2/images/{bobs}"), None, &other, Vec::new()).await;
    r.assert_error(404);
}

//! Discovery, schemas and the image lifecycle: create defaults, show, JSON-patch semantics,
//! tags, deactivate/reactivate and delete (reference §1, §3 and checklist items 1, 4, 11, 12,
//! 16, 18, 19).

use poem::http::Method;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn version_documents_need_no_credentials() {
    let g = glance();
    let root = g.call(Method::GET, "/", None, &[], Vec::new()).await;
    assert_eq!(root.status, 300, "{root:#?}");
    let versions = root.body["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 14);
    assert_eq!(
        (versions[0]["id"].as_str(), versions[0]["status"].as_str()),
        (Some("v2.18"), Some("CURRENT"))
    );
    for v in versions {
        assert!(v["links"][0]["href"].as_str().is_some_and(|h| h.ends_with("/v2/")), "{v}");
        assert!(v["id"].as_str().is_some() && v["status"].as_str().is_some());
    }
    let ids: Vec<&str> = versions.iter().filter_map(|v| v["id"].as_str()).collect();
    assert!(!ids.contains(&"v2.8") && !ids.contains(&"v2.12"), "{ids:?}");
    let listed = g.call(Method::GET, "/versions", None, &[], Vec::new()).await;
    assert_eq!((listed.status, &listed.body), (200, &root.body));
}

#[tokio::test]
async fn schemas_are_the_served_documents() {
    let g = glance();
    for (name, file) in [
        ("image", "image.json"),
        ("images", "images.json"),
        ("member", "member.json"),
        ("members", "members.json"),
    ] {
        let r = g.get(&format!("/v2/schemas/{name}"), BOB).await;
        assert_eq!(r.status, 200, "{r:#?}");
        let stored: Value = serde_json::from_str(
            &std::fs::read_to_string(
                crate::support::root().join("specs/glance/schemas").join(file),
            )
            .expect("schema file"),
        )
        .expect("json");
        assert_eq!(r.body, stored, "{name}");
        assert_eq!(r.body["name"], name);
    }
    let image = g.get("/v2/schemas/image", BOB).await;
    assert_eq!(image.body["additionalProperties"], json!({"type": "string"}));
    let unauthenticated = g.call(Method::GET, "/v2/schemas/image", None, &[], Vec::new()).await;
    unauthenticated.assert_error(401);
}

#[tokio::test]
async fn create_fills_glance_defaults() {
    let g = glance();
    let r = g
        .create(BOB, json!({"name": "tour", "os_distro": "debian", "tags": ["a", "b", "a"]}))
        .await;
    assert_eq!(r.status, 201, "{r:#?}");
    let b = &r.body;
    let id = r.id();
    assert_eq!(b["visibility"], "shared", "checklist 1: the default visibility is shared");
    assert_eq!(b["status"], "queued");
    assert_eq!((b["protected"].as_bool(), b["os_hidden"].as_bool()), (Some(false), Some(false)));
    assert_eq!((b["min_ram"].as_i64(), b["min_disk"].as_i64()), (Some(0), Some(0)));
    assert_eq!(b["owner"], BOB_PROJECT);
    assert_eq!(b["os_distro"], "debian");
    for key in [
        "size",
        "virtual_size",
        "checksum",
        "os_hash_algo",
        "os_hash_value",
        "disk_format",
        "container_format",
    ] {
        assert!(b[key].is_null(), "{key} is null on a new image: {b}");
    }
    let mut tags: Vec<&str> =
        b["tags"].as_array().expect("tags").iter().filter_map(Value::as_str).collect();
    tags.sort_unstable();
    assert_eq!(tags, ["a", "b"], "duplicate tags collapse");
    assert_eq!(b["self"], format!("/v2/images/{id}"));
    assert_eq!(b["file"], format!("/v2/images/{id}/file"));
    assert_eq!(b["schema"], "/v2/schemas/image");
    let location = r.header("location").expect("Location");
    assert!(
        location.starts_with("http://") && location.ends_with(&format!("/v2/images/{id}")),
        "checklist 4: {location}"
    );
    assert_eq!(
        r.header("openstack-image-import-methods"),
        Some("glance-direct,web-download,copy-image")
    );
    assert!(r.header("x-openstack-request-id").is_some_and(|h| h.starts_with("req-")));
    let shown = g.get(&format!("/v2/images/{id}"), BOB).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body, r.body);
}

#[tokio::test]
async fn ids_are_never_reused_even_after_delete() {
    let g = glance();
    let id = "0b4c6a0e-7a3c-4f7c-9a41-1f2b3c4d5e6f";
    assert_eq!(g.create(BOB, json!({"id": id})).await.status, 201);
    g.create(BOB, json!({"id": id})).await.assert_error(409);
    assert_eq!(g.delete(&format!("/v2/images/{id}"), BOB).await.status, 204);
    g.get(&format!("/v2/images/{id}"), BOB).await.assert_error(404);
    g.get(&format!("/v2/images/{id}"), ALICE).await.assert_error(404);
    g.delete(&format!("/v2/images/{id}"), BOB).await.assert_error(404);
    g.create(BOB, json!({"id": id})).await.assert_error(409);
}

#[tokio::test]
async fn admins_choose_owners_and_publicize() {
    let g = glance();
    g.create(BOB, json!({"owner": CAROL_PROJECT})).await.assert_error(403);
    g.create(BOB, json!({"visibility": "public"})).await.assert_error(403);
    let r = g.create(ALICE, json!({"owner": CAROL_PROJECT, "visibility": "public"})).await;
    assert_eq!((r.status, r.body["owner"].as_str()), (201, Some(CAROL_PROJECT)), "{r:#?}");
    let community = g.create(BOB, json!({"visibility": "community"})).await;
    assert_eq!(community.status, 201);
}

#[tokio::test]
async fn patch_v21_adds_replaces_and_removes() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "old", "os_distro": "debian"})).await;
    let r = g
        .patch(
            &id,
            BOB,
            V21,
            json!([
                {"op": "replace", "path": "/name", "value": "new"},
                {"op": "add", "path": "/os_version", "value": "12"},
                {"op": "add", "path": "/os_distro", "value": "ubuntu"},
                {"op": "remove", "path": "/os_distro"},
                {"op": "replace", "path": "/tags", "value": ["x", "y"]},
                {"op": "replace", "path": "/min_ram", "value": 512},
                {"op": "replace", "path": "/protected", "value": true},
                {"op": "add", "path": "/path~1with~0tilde", "value": "v"},
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!((r.body["name"].as_str(), r.body["os_version"].as_str()), (Some("new"), Some("12")));
    assert!(r.body.get("os_distro").is_none(), "removed: {}", r.body);
    assert_eq!(r.body["min_ram"], 512);
    assert_eq!(r.body["protected"], true);
    assert_eq!(r.body["path/with~tilde"], "v");
    let mut tags: Vec<&str> =
        r.body["tags"].as_array().expect("tags").iter().filter_map(Value::as_str).collect();
    tags.sort_unstable();
    assert_eq!(tags, ["x", "y"]);
    let empty = g.patch(&id, BOB, V21, json!([])).await;
    assert_eq!(
        (empty.status, &empty.body["name"]),
        (200, &json!("new")),
        "an empty patch is a no-op"
    );
}

#[tokio::test]
async fn patch_conflicts_and_forbidden_paths() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "n"})).await;
    g.patch(&id, BOB, V21, json!([{"op": "replace", "path": "/nope", "value": "x"}]))
        .await
        .assert_error(409);
    g.patch(&id, BOB, V21, json!([{"op": "remove", "path": "/nope"}])).await.assert_error(409);
    g.patch(&id, BOB, V21, json!([{"op": "remove", "path": "/name"}])).await.assert_error(403);
    g.patch(&id, BOB, V21, json!([{"op": "replace", "path": "/owner", "value": CAROL_PROJECT}]))
        .await
        .assert_error(403);
    g.patch(&id, BOB, V21, json!([{"op": "replace", "path": "/visibility", "value": "public"}]))
        .await
        .assert_error(403);
    let v20 = g.patch(&id, BOB, V20, json!([{"add": "/name", "value": "x"}])).await;
    v20.assert_error(409);
    let ok = g
        .patch(
            &id,
            BOB,
            V20,
            json!([{"replace": "/min_ram", "value": 512}, {"add": "/fresh", "value": "v"}]),
        )
        .await;
    assert_eq!(
        (ok.status, &ok.body["min_ram"], &ok.body["fresh"]),
        (200, &json!(512), &json!("v")),
        "{ok:#?}"
    );
    g.patch(&id, BOB, V20, json!([{"add": "/fresh", "value": "again"}])).await.assert_error(409);
    // checklist 12: read-only paths and the media type are judged before the image is looked up.
    let unknown = "9d3f5c1e-2b4a-4c6d-8e7f-0a1b2c3d4e5f";
    g.patch(unknown, BOB, V21, json!([{"op": "replace", "path": "/status", "value": "active"}]))
        .await
        .assert_error(403);
    let media = g.patch(unknown, BOB, "application/json", json!([])).await;
    media.assert_error(415);
    assert!(media.header("accept-patch").is_some_and(|h| h.contains(V20) && h.contains(V21)));
    g.patch(unknown, BOB, V21, json!([{"op": "replace", "path": "/name", "value": "x"}]))
        .await
        .assert_error(404);
    let admin = g
        .patch(
            &id,
            ALICE,
            V21,
            json!([{"op": "replace", "path": "/owner", "value": CAROL_PROJECT}]),
        )
        .await;
    assert_eq!((admin.status, &admin.body["owner"]), (200, &json!(CAROL_PROJECT)), "{admin:#?}");
}

#[tokio::test]
async fn formats_change_only_while_queued() {
    let g = glance();
    let id = g.image(BOB, json!({})).await;
    let queued = g
        .patch(&id, BOB, V21, json!([{"op": "replace", "path": "/disk_format", "value": "qcow2"}]))
        .await;
    assert_eq!(queued.status, 200, "{queued:#?}");
    g.patch(&id, BOB, V21, json!([{"op": "replace", "path": "/disk_format", "value": "raw"}]))
        .await;
    assert_eq!(g.upload(&id, BOB, b"data").await.status, 204);
    g.patch(&id, BOB, V21, json!([{"op": "replace", "path": "/disk_format", "value": "qcow2"}]))
        .await
        .assert_error(403);
    g.patch(&id, BOB, V21, json!([{"op": "replace", "path": "/container_format", "value": "ovf"}]))
        .await
        .assert_error(403);
    let same = g
        .patch(&id, BOB, V21, json!([{"op": "replace", "path": "/name", "value": "still fine"}]))
        .await;
    assert_eq!(same.status, 200);
}

#[tokio::test]
async fn protected_images_cannot_be_deleted() {
    let g = glance();
    let id = g.image(BOB, json!({"protected": true})).await;
    g.delete(&format!("/v2/images/{id}"), BOB).await.assert_error(403);
    g.delete(&format!("/v2/images/{id}"), ALICE).await.assert_error(403);
    assert_eq!(g.get(&format!("/v2/images/{id}"), BOB).await.status, 200);
    g.patch(&id, BOB, V21, json!([{"op": "replace", "path": "/protected", "value": false}])).await;
    assert_eq!(g.delete(&format!("/v2/images/{id}"), BOB).await.status, 204);
    assert!(!g.get("/v2/images", BOB).await.ids().contains(&id));
}

#[tokio::test]
async fn tags_are_idempotent_and_missing_ones_are_404() {
    let g = glance();
    let id = g.image(BOB, json!({})).await;
    let before = g.get(&format!("/v2/images/{id}"), BOB).await.body["updated_at"].clone();
    g.tick();
    assert_eq!(g.put(&format!("/v2/images/{id}/tags/blue"), BOB).await.status, 204);
    assert_eq!(g.put(&format!("/v2/images/{id}/tags/blue"), BOB).await.status, 204);
    let shown = g.get(&format!("/v2/images/{id}"), BOB).await;
    assert_eq!(shown.body["tags"], json!(["blue"]));
    assert_ne!(shown.body["updated_at"], before, "tags refresh updated_at");
    assert_eq!(g.delete(&format!("/v2/images/{id}/tags/blue"), BOB).await.status, 204);
    g.delete(&format!("/v2/images/{id}/tags/blue"), BOB).await.assert_error(404);
    g.put("/v2/images/9d3f5c1e-2b4a-4c6d-8e7f-0a1b2c3d4e5f/tags/x", BOB).await.assert_error(404);
    for i in 0..128 {
        assert_eq!(g.put(&format!("/v2/images/{id}/tags/t{i}"), BOB).await.status, 204);
    }
    g.put(&format!("/v2/images/{id}/tags/one-too-many"), BOB).await.assert_error(413);
}

#[tokio::test]
async fn deactivate_and_reactivate_follow_the_state_machine() {
    let g = glance();
    let id = g.image(BOB, json!({})).await;
    let action = |a: &str| format!("/v2/images/{id}/actions/{a}");
    g.post(&action("deactivate"), BOB).await.assert_error(403);
    assert_eq!(g.upload(&id, BOB, b"bytes").await.status, 204);
    assert_eq!(
        g.post(&action("reactivate"), BOB).await.status,
        204,
        "active → reactivate is a no-op"
    );
    assert_eq!(g.post(&action("deactivate"), BOB).await.status, 204);
    assert_eq!(
        g.post(&action("deactivate"), BOB).await.status,
        204,
        "already deactivated is a no-op"
    );
    let shown = g.get(&format!("/v2/images/{id}"), BOB).await;
    assert_eq!(shown.body["status"], "deactivated");
    assert!(g.get("/v2/images", BOB).await.ids().contains(&id), "deactivated images are listed");
    g.get(&format!("/v2/images/{id}/file"), BOB).await.assert_error(403);
    let admin = g.get(&format!("/v2/images/{id}/file"), ALICE).await;
    assert_eq!((admin.status, admin.bytes.as_slice()), (200, &b"bytes"[..]));
    g.upload(&id, BOB, b"more").await.assert_error(409);
    assert_eq!(g.post(&action("reactivate"), BOB).await.status, 204);
    let back = g.get(&format!("/v2/images/{id}/file"), BOB).await;
    assert_eq!((back.status, back.bytes.as_slice()), (200, &b"bytes"[..]));
    let body = g.call(Method::POST, &action("deactivate"), Some(BOB), &[], b"{}".to_vec()).await;
    body.assert_error(400);
}

#[tokio::test]
async fn killed_images_are_shown_but_never_listed() {
    let id = "5e4f3a2b-1c0d-4e9f-8a7b-6c5d4e3f2a1b";
    let state: imagespec_server::store::State = serde_json::from_value(json!({
        "glance": {"images": {id: {
            "id": id, "status": "killed", "visibility": "public", "owner": BOB_PROJECT,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        }}}
    }))
    .expect("a valid state");
    let g = glance_with(state);
    let shown = g.get(&format!("/v2/images/{id}"), BOB).await;
    assert_eq!((shown.status, &shown.body["status"]), (200, &json!("killed")));
    assert!(g.get("/v2/images", BOB).await.ids().is_empty());
    assert!(g.get("/v2/images?status=killed", ALICE).await.ids().is_empty());
}

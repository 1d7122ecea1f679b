//! Image members: the member workflow (share, accept, reject, remove), its bad requests, the
//! 128-member cap, and what members see when an image stops being shared.

use poem::{Endpoint, http::Method};
use serde_json::{Value, json};

use super::{BOB, CAROL, CAROL_PROJECT, DAVE, Glance, Reply, V21, glance};

/// A raw request body.
type Body = Vec<u8>;

/// A project that is neither bob's nor carol's, used as a second member.
pub(super) const OTHER_PROJECT: &str = "22222222222222222222222222222222";

/// A JSON request with any method (member create and update, image create by headers).
pub(super) async fn send_json<E: Endpoint>(
    g: &Glance<E>,
    method: Method,
    uri: &str,
    token: &str,
    body: &Value,
) -> Reply {
    let ct = [("Content-Type", "application/json")];
    g.call(method, uri, Some(token), &ct, body.to_string().into_bytes()).await
}

pub(super) async fn post_empty<E: Endpoint>(g: &Glance<E>, uri: &str, token: &str) -> Reply {
    g.call(Method::POST, uri, Some(token), &[], Vec::new()).await
}

/// The ids of the caller's list with this query (empty for the default list).
pub(super) async fn listed<E: Endpoint>(g: &Glance<E>, token: &str, query: &str) -> Vec<String> {
    let uri =
        if query.is_empty() { "/v2/images".to_owned() } else { format!("/v2/images?{query}") };
    let r = g.get(&uri, token).await;
    assert_eq!(r.status, 200, "{uri}: {r:#?}");
    r.ids()
}

/// The image as `token` sees it (which must be allowed to).
pub(super) async fn show<E: Endpoint>(g: &Glance<E>, id: &str, token: &str) -> Value {
    let r = g.get(&format!("/v2/images/{id}"), token).await;
    assert_eq!(r.status, 200, "{r:#?}");
    r.body
}

/// Uploads a few raw bytes so the image becomes active.
pub(super) async fn activate<E: Endpoint>(g: &Glance<E>, id: &str, token: &str) {
    let r = g.upload(id, token, b"0123456789abcdef").await;
    assert_eq!(r.status, 204, "{r:#?}");
    assert_eq!(show(g, id, token).await["status"], "active");
}

pub(super) async fn share<E: Endpoint>(
    g: &Glance<E>,
    id: &str,
    token: &str,
    project: &str,
) -> Reply {
    let uri = format!("/v2/images/{id}/members");
    send_json(g, Method::POST, &uri, token, &json!({"member": project})).await
}

pub(super) async fn set_status<E: Endpoint>(
    g: &Glance<E>,
    id: &str,
    token: &str,
    project: &str,
    status: &str,
) -> Reply {
    let uri = format!("/v2/images/{id}/members/{project}");
    send_json(g, Method::PUT, &uri, token, &json!({"status": status})).await
}

/// Every read and write a caller can aim at one image, each expected to give `status`.
pub(super) async fn every_call_on_image<E: Endpoint>(
    g: &Glance<E>,
    id: &str,
    token: &str,
    status: u16,
) {
    let base = format!("/v2/images/{id}");
    let rename = json!([{"op": "replace", "path": "/name", "value": "taken-over"}]);
    let calls: Vec<(&str, Reply)> = vec![
        ("show", g.get(&base, token).await),
        ("patch", g.patch(id, token, V21, rename).await),
        ("upload", g.upload(id, token, b"intruder").await),
        ("download", g.get(&format!("{base}/file"), token).await),
        ("tag put", g.put(&format!("{base}/tags/intruder"), token).await),
        ("tag delete", g.delete(&format!("{base}/tags/keep"), token).await),
        ("deactivate", post_empty(g, &format!("{base}/actions/deactivate"), token).await),
        ("members list", g.get(&format!("{base}/members"), token).await),
        ("delete", g.delete(&base, token).await),
    ];
    for (what, r) in calls {
        assert_eq!(r.status, status, "{what} on {id}: {r:#?}");
        r.assert_error(status);
    }
}

#[tokio::test]
async fn sharing_an_image_with_a_project_then_accepting_rejecting_and_removing_it() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "to-share"})).await;
    assert_eq!(show(&g, &id, BOB).await["visibility"], "shared", "the default visibility");

    let r = share(&g, &id, BOB, CAROL_PROJECT).await;
    assert_eq!(r.status, 200, "member create answers 200, not 201: {r:#?}");
    assert_eq!(r.body["status"], "pending", "{r:#?}");
    assert_eq!(r.body["member_id"], CAROL_PROJECT, "{r:#?}");
    assert_eq!(r.body["image_id"], id.as_str(), "{r:#?}");
    assert_eq!(r.body["schema"], "/v2/schemas/member", "{r:#?}");

    let r = share(&g, &id, BOB, CAROL_PROJECT).await;
    r.assert_error(409);

    // Pending: carol may show it, but it is not in her default list.
    assert_eq!(show(&g, &id, CAROL).await["id"], id.as_str());
    assert!(!listed(&g, CAROL, "").await.contains(&id), "listed before carol accepted");
    let pending = listed(&g, CAROL, "member_status=pending&visibility=shared").await;
    assert_eq!(pending, vec![id.clone()], "exactly the pending share");

    // The owner cannot answer for the member.
    let r = set_status(&g, &id, BOB, CAROL_PROJECT, "accepted").await;
    r.assert_error(403);
    let member = format!("/v2/images/{id}/members/{CAROL_PROJECT}");
    let r = g.get(&member, BOB).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body["status"], "pending", "the owner's refused PUT changed it: {r:#?}");
    assert!(!listed(&g, CAROL, "").await.contains(&id), "listed after the owner's refused PUT");

    let r = set_status(&g, &id, CAROL, CAROL_PROJECT, "accepted").await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body["status"], "accepted", "{r:#?}");
    assert_eq!(r.body["member_id"], CAROL_PROJECT, "{r:#?}");
    assert!(listed(&g, CAROL, "").await.contains(&id), "accepted, so in carol's default list");

    let r = set_status(&g, &id, CAROL, CAROL_PROJECT, "maybe").await;
    r.assert_error(400);
    let r = g.get(&member, CAROL).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body["status"], "accepted", "an invalid status changed the membership: {r:#?}");

    let r = set_status(&g, &id, CAROL, CAROL_PROJECT, "rejected").await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body["status"], "rejected", "{r:#?}");
    assert!(!listed(&g, CAROL, "").await.contains(&id), "rejected, yet still in the default list");
    assert_eq!(show(&g, &id, CAROL).await["id"], id.as_str(), "a rejected member may still show");

    // A member sees only its own membership; the owner sees all of them.
    let r = share(&g, &id, BOB, OTHER_PROJECT).await;
    assert_eq!(r.status, 200, "{r:#?}");
    let members = format!("/v2/images/{id}/members");
    let r = g.get(&members, CAROL).await;
    assert_eq!(r.status, 200, "{r:#?}");
    let seen: Vec<&str> = r.body["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members array: {r:#?}"))
        .iter()
        .filter_map(|m| m["member_id"].as_str())
        .collect();
    assert_eq!(seen, vec![CAROL_PROJECT], "carol sees only herself: {r:#?}");
    let r = g.get(&members, BOB).await;
    assert_eq!(r.status, 200, "{r:#?}");
    let mut seen: Vec<&str> = r.body["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members array: {r:#?}"))
        .iter()
        .filter_map(|m| m["member_id"].as_str())
        .collect();
    seen.sort_unstable();
    let mut expected = vec![CAROL_PROJECT, OTHER_PROJECT];
    expected.sort_unstable();
    assert_eq!(seen, expected, "the owner sees every member: {r:#?}");

    let r = g.get(&format!("/v2/images/{id}/members/33333333333333333333333333333333"), BOB).await;
    r.assert_error(404);

    let r = g.delete(&member, BOB).await;
    assert_eq!(r.status, 204, "{r:#?}");
    g.get(&format!("/v2/images/{id}"), CAROL).await.assert_error(404);
    g.get(&member, BOB).await.assert_error(404);
    assert!(!listed(&g, CAROL, "visibility=all&member_status=all").await.contains(&id));
}

#[tokio::test]
async fn only_shared_images_can_have_members() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "private", "visibility": "private"})).await;
    let r = share(&g, &id, BOB, CAROL_PROJECT).await;
    r.assert_error(403);
    g.get(&format!("/v2/images/{id}"), CAROL).await.assert_error(404);
    // Once shared, the image shows that the refused share left no member behind.
    let to_shared = json!([{"op": "replace", "path": "/visibility", "value": "shared"}]);
    let r = g.patch(&id, BOB, V21, to_shared).await;
    assert_eq!(r.status, 200, "{r:#?}");
    let r = g.get(&format!("/v2/images/{id}/members"), BOB).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body["members"], json!([]), "the refused share left a member: {r:#?}");
    g.get(&format!("/v2/images/{id}"), CAROL).await.assert_error(404);
}

/// The member ids of an image as its owner lists them, sorted.
async fn member_ids<E: Endpoint>(g: &Glance<E>, id: &str) -> Vec<String> {
    let r = g.get(&format!("/v2/images/{id}/members"), BOB).await;
    assert_eq!(r.status, 200, "{r:#?}");
    let mut ids: Vec<String> = r.body["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members array: {r:#?}"))
        .iter()
        .filter_map(|m| m["member_id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn member_requests_with_bad_bodies_or_from_the_wrong_caller_change_nothing() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "shared"})).await;
    let r = share(&g, &id, BOB, CAROL_PROJECT).await;
    assert_eq!(r.status, 200, "{r:#?}");
    let hidden = g.image(BOB, json!({"name": "not for carol"})).await;
    let members = format!("/v2/images/{id}/members");
    let carol = format!("{members}/{CAROL_PROJECT}");
    let ct = [("Content-Type", "application/json")];
    let raw = |body: &str| body.as_bytes().to_vec();

    // (what, method, uri, caller, body, expected status)
    let cases: Vec<(&str, Method, String, &str, Body, u16)> = vec![
        ("create without member", Method::POST, members.clone(), BOB, raw("{}"), 400),
        (
            "create with an empty member",
            Method::POST,
            members.clone(),
            BOB,
            raw(r#"{"member": ""}"#),
            400,
        ),
        ("create with a number", Method::POST, members.clone(), BOB, raw(r#"{"member": 5}"#), 400),
        (
            "create with malformed JSON",
            Method::POST,
            members.clone(),
            BOB,
            raw(r#"{"member": "#),
            400,
        ),
        ("create with a list", Method::POST, members.clone(), BOB, raw(r#"["x"]"#), 400),
        ("create with no body", Method::POST, members.clone(), BOB, Vec::new(), 400),
        (
            "create by the member",
            Method::POST,
            members.clone(),
            CAROL,
            raw(r#"{"member": "x"}"#),
            403,
        ),
        ("create by a reader", Method::POST, members.clone(), DAVE, raw(r#"{"member": "x"}"#), 403),
        (
            "create on an invisible image",
            Method::POST,
            format!("/v2/images/{hidden}/members"),
            CAROL,
            raw(r#"{"member": "x"}"#),
            404,
        ),
        (
            "create on an unknown image",
            Method::POST,
            "/v2/images/6c4b7f62-2a51-4d5e-9c3e-0f6b1d2a3c4e/members".to_owned(),
            BOB,
            raw(r#"{"member": "x"}"#),
            404,
        ),
        ("update without status", Method::PUT, carol.clone(), CAROL, raw("{}"), 400),
        ("update with a number", Method::PUT, carol.clone(), CAROL, raw(r#"{"status": 1}"#), 400),
        (
            "update with a capital",
            Method::PUT,
            carol.clone(),
            CAROL,
            raw(r#"{"status": "Accepted"}"#),
            400,
        ),
        ("update with malformed JSON", Method::PUT, carol.clone(), CAROL, raw("{"), 400),
        (
            "update of an unknown member",
            Method::PUT,
            format!("{members}/{OTHER_PROJECT}"),
            BOB,
            raw(r#"{"status": "accepted"}"#),
            404,
        ),
        ("delete by the member", Method::DELETE, carol.clone(), CAROL, Vec::new(), 403),
        ("delete by a reader", Method::DELETE, carol.clone(), DAVE, Vec::new(), 403),
        (
            "delete of an unknown member",
            Method::DELETE,
            format!("{members}/{OTHER_PROJECT}"),
            BOB,
            Vec::new(),
            404,
        ),
    ];
    let mut problems = Vec::new();
    for (label, method, uri, token, body, status) in cases {
        let headers: &[(&str, &str)] = if method == Method::DELETE { &[] } else { &ct };
        let r = g.call(method, &uri, Some(token), headers, body).await;
        let code = r.body["code"].as_str().unwrap_or_default();
        if r.status != status || !code.starts_with(&status.to_string()) {
            let text = String::from_utf8_lossy(&r.bytes);
            problems.push(format!("{label}: expected {status}, got {} {text}", r.status));
        }
        let now = member_ids(&g, &id).await;
        if now != vec![CAROL_PROJECT.to_owned()] {
            problems.push(format!("{label} changed the members: {now:?}"));
            // Remove what the refused request added, so the next case starts clean.
            for extra in now.iter().filter(|m| *m != CAROL_PROJECT) {
                g.delete(&format!("{members}/{extra}"), BOB).await;
            }
        }
        let r = g.get(&carol, BOB).await;
        if r.body["status"] != "pending" {
            problems.push(format!("{label} changed carol's status: {}", r.body));
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
    assert_eq!(member_ids(&g, &hidden).await, Vec::<String>::new());
}

// Choice in the contract: member create and update take `application/json` only (415
// otherwise, as create_image); a refused request leaves the memberships as they were.

#[tokio::test]
async fn member_create_needs_a_json_content_type() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "shared"})).await;
    let uri = format!("/v2/images/{id}/members");
    for headers in [&[("Content-Type", "text/plain")][..], &[]] {
        let body = json!({"member": CAROL_PROJECT}).to_string().into_bytes();
        let r = g.call(Method::POST, &uri, Some(BOB), headers, body).await;
        r.assert_error(415);
        assert!(member_ids(&g, &id).await.is_empty(), "a refused create added a member");
    }
}

#[tokio::test]
async fn member_update_needs_a_json_content_type() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "shared"})).await;
    assert_eq!(share(&g, &id, BOB, CAROL_PROJECT).await.status, 200);
    let uri = format!("/v2/images/{id}/members/{CAROL_PROJECT}");
    let body = json!({"status": "accepted"}).to_string().into_bytes();
    let r = g.call(Method::PUT, &uri, Some(CAROL), &[("Content-Type", "text/plain")], body).await;
    r.assert_error(415);
    assert_eq!(g.get(&uri, CAROL).await.body["status"], "pending");
}

#[tokio::test]
async fn an_image_has_at_most_128_members() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "popular"})).await;
    for i in 0..128 {
        let r = share(&g, &id, BOB, &format!("{i:032x}")).await;
        assert_eq!(r.status, 200, "member {i}: {r:#?}");
    }
    let r = share(&g, &id, BOB, CAROL_PROJECT).await;
    r.assert_error(413);
    let ids = member_ids(&g, &id).await;
    assert_eq!(ids.len(), 128, "the refused member was added");
    assert!(!ids.contains(&CAROL_PROJECT.to_owned()), "the refused member was added");
    g.get(&format!("/v2/images/{id}"), CAROL).await.assert_error(404);
}

#[tokio::test]
async fn a_membership_on_an_image_the_caller_cannot_see_is_not_found() {
    // glance-tempest-plugin: accepting a share meant for another project is a 404.
    let g = glance();
    let id = g.image(BOB, json!({"name": "for other"})).await;
    assert_eq!(share(&g, &id, BOB, OTHER_PROJECT).await.status, 200);
    let r = set_status(&g, &id, CAROL, OTHER_PROJECT, "accepted").await;
    r.assert_error(404);
    let r = set_status(&g, &id, CAROL, CAROL_PROJECT, "accepted").await;
    r.assert_error(404);
    let r = g.get(&format!("/v2/images/{id}/members/{OTHER_PROJECT}"), CAROL).await;
    r.assert_error(404);
    let r = g.get(&format!("/v2/images/{id}/members/{OTHER_PROJECT}"), BOB).await;
    assert_eq!(r.body["status"], "pending", "{r:#?}");
}

#[tokio::test]
async fn members_of_an_image_made_private_lose_sight_of_it_until_it_is_shared_again() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "on and off"})).await;
    assert_eq!(share(&g, &id, BOB, CAROL_PROJECT).await.status, 200);
    assert_eq!(set_status(&g, &id, CAROL, CAROL_PROJECT, "accepted").await.status, 200);
    assert!(listed(&g, CAROL, "").await.contains(&id));

    let visibility = |v: &str| json!([{"op": "replace", "path": "/visibility", "value": v}]);
    let r = g.patch(&id, BOB, V21, visibility("private")).await;
    assert_eq!(r.status, 200, "{r:#?}");
    g.get(&format!("/v2/images/{id}"), CAROL).await.assert_error(404);
    for query in ["", "visibility=all", "visibility=shared"] {
        assert!(!listed(&g, CAROL, query).await.contains(&id), "private yet listed ?{query}");
    }
    let r = set_status(&g, &id, CAROL, CAROL_PROJECT, "rejected").await;
    r.assert_error(404);

    let r = g.patch(&id, BOB, V21, visibility("shared")).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(show(&g, &id, CAROL).await["id"], id.as_str(), "shared again, the member sees it");
    assert!(listed(&g, CAROL, "").await.contains(&id), "the acceptance was kept");
}

//! Bad JSON-patch requests get Glance's 4xx and leave the image as it was: wrong media types,
//! malformed documents, bad values, read-only and reserved paths, too many properties.

use poem::http::Method;
use serde_json::{Value, json};

use super::bad_input::{UNKNOWN, assert_none, long, problem, send, show};
use super::{BOB, V20, V21, glance};

#[tokio::test]
async fn patch_with_a_wrong_media_type_is_415_with_accept_patch_even_for_an_unknown_image() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "orig"})).await;
    let before = show(&g, &id).await;
    let ops = json!([{"op": "replace", "path": "/name", "value": "new"}]);
    for target in [id.as_str(), UNKNOWN] {
        for media in ["application/json", "text/plain"] {
            let r = g.patch(target, BOB, media, ops.clone()).await;
            r.assert_error(415);
            let allowed = r.header("Accept-Patch").unwrap_or_default();
            assert!(allowed.contains(V20) && allowed.contains(V21), "{media} on {target}: {r:#?}");
        }
    }
    assert_eq!(show(&g, &id).await, before, "a refused PATCH changed the image");
}

#[tokio::test]
async fn patch_refuses_malformed_documents_and_bad_values_without_changing_the_image() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "orig", "keep": "this"})).await;
    let before = show(&g, &id).await;
    let add = |path: &str| json!([{"op": "add", "path": path, "value": "x"}]);
    let replace =
        |path: &str, value: Value| json!([{"op": "replace", "path": path, "value": value}]);
    let cases: Vec<(&str, &str, Value, u16)> = vec![
        ("body not a list", V21, json!({"op": "replace", "path": "/name", "value": "x"}), 400),
        ("element not an object", V21, json!(["replace"]), 400),
        ("op move", V21, json!([{"op": "move", "from": "/keep", "path": "/moved"}]), 400),
        ("op copy", V21, json!([{"op": "copy", "from": "/keep", "path": "/copied"}]), 400),
        ("missing op", V21, json!([{"path": "/name", "value": "x"}]), 400),
        ("missing path", V21, json!([{"op": "add", "value": "x"}]), 400),
        ("missing value on add", V21, json!([{"op": "add", "path": "/foo"}]), 400),
        ("missing value on replace", V21, json!([{"op": "replace", "path": "/name"}]), 400),
        ("path without a leading slash", V21, add("name"), 400),
        ("path /tags/-", V21, add("/tags/-"), 400),
        ("path of two segments", V21, add("/a/b"), 400),
        ("bad escape ~2", V21, add("/~2x"), 400),
        ("read-only /status", V21, replace("/status", json!("active")), 403),
        ("read-only /id", V21, replace("/id", json!(UNKNOWN)), 403),
        ("read-only /checksum", V21, replace("/checksum", json!("abc")), 403),
        ("reserved /os_glance_x", V21, add("/os_glance_x"), 403),
        ("reserved /deleted", V21, add("/deleted"), 403),
        ("visibility everyone", V21, replace("/visibility", json!("everyone")), 400),
        ("protected as a string", V21, replace("/protected", json!("true")), 400),
        ("name of 256", V21, replace("/name", json!(long(256))), 400),
        ("custom value a number", V21, json!([{"op": "add", "path": "/foo", "value": 5}]), 400),
        ("custom value a boolean", V21, json!([{"op": "add", "path": "/foo", "value": true}]), 400),
        ("custom value null", V21, json!([{"op": "add", "path": "/foo", "value": null}]), 400),
        ("replace custom with a number", V21, replace("/keep", json!(5)), 400),
        ("a tag that is a number", V21, replace("/tags", json!([1])), 400),
        ("name a number", V21, replace("/name", json!(5)), 400),
        ("min_ram a string", V21, replace("/min_ram", json!("512")), 400),
        ("negative min_ram", V21, replace("/min_ram", json!(-1)), 400),
        ("negative min_disk", V21, replace("/min_disk", json!(-1)), 400),
        ("tags a string", V21, replace("/tags", json!("a")), 400),
        (
            "all or nothing",
            V21,
            json!([
                {"op": "replace", "path": "/name", "value": "new"},
                {"op": "replace", "path": "/missing_prop", "value": "x"}
            ]),
            409,
        ),
        ("remove a missing property", V21, json!([{"op": "remove", "path": "/nope"}]), 409),
        ("remove a base attribute", V21, json!([{"op": "remove", "path": "/name"}]), 403),
        (
            "v2.0 add of an existing base attribute",
            V20,
            json!([{"add": "/name", "value": "x"}]),
            409,
        ),
        ("v2.0 add of an existing property", V20, json!([{"add": "/keep", "value": "x"}]), 409),
        (
            "v2.0 with two operation keys",
            V20,
            json!([{"add": "/a", "replace": "/b", "value": "x"}]),
            400,
        ),
        ("v2.0 with no operation key", V20, json!([{"value": "x"}]), 400),
        ("v2.0 replace without value", V20, json!([{"replace": "/name"}]), 400),
        ("v2.0 path not a string", V20, json!([{"add": 5, "value": "x"}]), 400),
        ("op not a string", V21, json!([{"op": 1, "path": "/name", "value": "x"}]), 400),
        ("path not a string", V21, json!([{"op": "add", "path": 5, "value": "x"}]), 400),
        ("path /", V21, add("/"), 400),
        ("path with a trailing slash", V21, add("/name/"), 400),
        ("path //", V21, add("//"), 400),
        ("a tag of 256", V21, replace("/tags", json!([long(256)])), 400),
        (
            "129 tags",
            V21,
            replace("/tags", json!((0..129).map(|i| format!("t{i}")).collect::<Vec<_>>())),
            413,
        ),
        ("replace /owner", V21, replace("/owner", json!("11111111111111111111111111111111")), 403),
        ("add /owner", V21, json!([{"op": "add", "path": "/owner", "value": "x"}]), 403),
        ("visibility public", V21, replace("/visibility", json!("public")), 403),
        (
            "ramdisk_id not a UUID",
            V21,
            json!([{"op": "add", "path": "/ramdisk_id", "value": "abc"}]),
            400,
        ),
    ];
    let mut problems = Vec::new();
    for (label, media, ops, status) in cases {
        let r = g.patch(&id, BOB, media, ops).await;
        problems.extend(problem(&format!("PATCH {label}"), &r, status));
        let now = show(&g, &id).await;
        if now != before {
            problems.push(format!("PATCH {label} changed the image: {now:#}"));
            // Put it back so the next case starts from the same image.
            let name = before["name"].clone();
            let keep = before["keep"].clone();
            let undo = json!([{"op": "replace", "path": "/name", "value": name},
                              {"op": "add", "path": "/keep", "value": keep}]);
            assert_eq!(g.patch(&id, BOB, V21, undo).await.status, 200);
        }
    }
    assert_none(&problems);
    // The same document is fine once every operation can apply.
    let ok = json!([{"op": "replace", "path": "/name", "value": "new"}]);
    let r = g.patch(&id, BOB, V21, ok).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body["name"], "new", "{r:#?}");
}

#[tokio::test]
async fn patch_refuses_bodies_that_are_not_json_and_a_129th_property() {
    let g = glance();
    let props: serde_json::Map<String, Value> =
        (0..128).map(|i| (format!("p{i}"), json!("v"))).collect();
    let r = g.create(BOB, Value::Object(props)).await;
    assert_eq!(r.status, 201, "{r:#?}");
    let id = r.id();
    let before = show(&g, &id).await;
    let uri = format!("/v2/images/{id}");
    let mut problems = Vec::new();
    for (label, body) in [
        ("an empty body", &b""[..]),
        ("malformed JSON", b"[{\"op\": "),
        ("invalid UTF-8", b"[\"\xff\"]"),
    ] {
        let r = send(&g, Method::PATCH, &uri, Some(V21), body.to_vec()).await;
        problems.extend(problem(&format!("PATCH with {label}"), &r, 400));
    }
    let one_more = json!([{"op": "add", "path": "/p128", "value": "v"}]);
    let r = g.patch(&id, BOB, V21, one_more).await;
    problems.extend(problem("PATCH adding a 129th property", &r, 413));
    let rename = json!([{"op": "add", "path": "/p0", "value": "w"}]);
    let r = g.patch(&id, BOB, V21, rename).await;
    if r.status != 200 {
        problems.push(format!("overwriting one of 128 properties: {}", r.status));
    }
    let mut expected = before.clone();
    expected["p0"] = json!("w");
    let now = show(&g, &id).await;
    let unchanged = |v: &Value| {
        let mut v = v.clone();
        v["updated_at"] = Value::Null;
        v
    };
    if unchanged(&now) != unchanged(&expected) {
        problems.push(format!("the properties after the refusals: {now:#}"));
    }
    assert_none(&problems);
}

#[tokio::test]
async fn patch_of_read_only_or_reserved_paths_is_403_even_for_an_unknown_image() {
    let g = glance();
    let cases = [
        json!([{"op": "replace", "path": "/status", "value": "active"}]),
        json!([{"op": "add", "path": "/os_glance_x", "value": "y"}]),
    ];
    for ops in cases {
        let r = g.patch(UNKNOWN, BOB, V21, ops.clone()).await;
        assert_eq!(r.status, 403, "{ops} on an unknown image: {r:#?}");
        r.assert_error(403);
    }
    let r = g.patch(UNKNOWN, BOB, V21, json!([])).await;
    r.assert_error(404);
}

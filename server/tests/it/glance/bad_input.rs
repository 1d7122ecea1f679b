//! Every class of bad input gets a clear 4xx in Glance's error format, never a 500, and a refused
//! write changes nothing: after each one the image (or the list) is read back unchanged.

use poem::{Endpoint, http::Method};
use serde_json::{Value, json};

use super::{BOB, Glance, Reply, V21, glance};

/// Request headers as the harness takes them.
pub(super) type Headers<'a> = &'a [(&'a str, &'a str)];

/// A well-formed UUID that no image has.
pub(super) const UNKNOWN: &str = "6c4b7f62-2a51-4d5e-9c3e-0f6b1d2a3c4e";

pub(super) async fn send<E: Endpoint>(
    g: &Glance<E>,
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let ct: Vec<(&str, &str)> = content_type.map(|c| ("Content-Type", c)).into_iter().collect();
    g.call(method, uri, Some(BOB), &ct, body).await
}

/// The image as its owner sees it.
pub(super) async fn show<E: Endpoint>(g: &Glance<E>, id: &str) -> Value {
    let r = g.get(&format!("/v2/images/{id}"), BOB).await;
    assert_eq!(r.status, 200, "{r:#?}");
    r.body
}

/// Every image bob may list, hidden ones included, sorted.
pub(super) async fn all_ids<E: Endpoint>(g: &Glance<E>) -> Vec<String> {
    let mut ids = Vec::new();
    for hidden in ["false", "true"] {
        let r =
            g.get(&format!("/v2/images?visibility=all&os_hidden={hidden}&limit=1000"), BOB).await;
        assert_eq!(r.status, 200, "{r:#?}");
        ids.extend(r.ids());
    }
    ids.sort();
    ids
}

/// Why `r` is not the Glance error `status` (JSON `code` and a non-empty `message`), if it is not.
pub(super) fn problem(what: &str, r: &Reply, status: u16) -> Option<String> {
    let code = r.body["code"].as_str().unwrap_or_default();
    let message = r.body["message"].as_str().unwrap_or_default();
    let ok = r.status == status && code.starts_with(&status.to_string()) && !message.is_empty();
    (!ok).then(|| {
        let text = String::from_utf8_lossy(&r.bytes);
        format!("{what}: expected {status}, got {} {text}", r.status)
    })
}

/// Fails with every collected problem at once, so one run shows them all.
#[track_caller]
pub(super) fn assert_none(problems: &[String]) {
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

pub(super) fn long(n: usize) -> String {
    "n".repeat(n)
}

#[tokio::test]
async fn create_refuses_bad_bodies_with_4xx_and_creates_nothing() {
    let g = glance();
    g.image(BOB, json!({"name": "existing"})).await;

    let json_ct = Some("application/json");
    let mut cases: Vec<(String, Option<&str>, Vec<u8>, u16)> = vec![
        ("malformed JSON".into(), json_ct, b"{\"name\": ".to_vec(), 400),
        ("a JSON list".into(), json_ct, b"[\"x\"]".to_vec(), 400),
        ("a JSON string".into(), json_ct, b"\"x\"".to_vec(), 400),
        ("a JSON number".into(), json_ct, b"1".to_vec(), 400),
        ("an empty body".into(), json_ct, Vec::new(), 400),
        ("text/plain".into(), Some("text/plain"), b"{\"name\": \"x\"}".to_vec(), 415),
    ];
    let bodies: Vec<(&str, Value, u16)> = vec![
        ("min_ram a string", json!({"min_ram": "x"}), 400),
        ("protected a string", json!({"protected": "yes"}), 400),
        ("tags a string", json!({"tags": "a"}), 400),
        ("custom property a number", json!({"foo": 1}), 400),
        ("custom property a boolean", json!({"foo": true}), 400),
        ("custom property null", json!({"foo": null}), 400),
        ("custom property a list", json!({"foo": ["a"]}), 400),
        ("custom property an object", json!({"foo": {"a": "b"}}), 400),
        ("custom property name of 256", json!({long(256): "v"}), 400),
        ("ramdisk_id not a UUID", json!({"ramdisk_id": "abc"}), 400),
        (
            "cinder_encryption_key_deletion_policy off its enum",
            json!({"cinder_encryption_key_deletion_policy": "sometimes"}),
            400,
        ),
        ("visibility off its enum", json!({"visibility": "everyone"}), 400),
        ("os_hidden a string", json!({"os_hidden": "true"}), 400),
        ("min_disk a float", json!({"min_disk": 1.5}), 400),
        ("min_ram above 2^31-1", json!({"min_ram": 2_147_483_648_i64}), 400),
        ("a tag of 256", json!({"tags": [long(256)]}), 400),
        ("a tag that is a number", json!({"tags": [1]}), 400),
        ("another project as owner", json!({"owner": "11111111111111111111111111111111"}), 403),
        ("name of 256", json!({"name": long(256)}), 400),
        ("unknown disk_format", json!({"disk_format": "wrong"}), 400),
        ("unknown container_format", json!({"container_format": "wrong"}), 400),
        ("id not a UUID", json!({"id": "not-a-uuid"}), 400),
        ("negative min_ram", json!({"min_ram": -1}), 400),
        ("negative min_disk", json!({"min_disk": -1}), 400),
        ("read-only status", json!({"status": "active"}), 403),
        ("read-only checksum", json!({"checksum": "d41d8cd98f00b204e9800998ecf8427e"}), 403),
        ("read-only size", json!({"size": 1}), 403),
        ("read-only virtual_size", json!({"virtual_size": 1}), 403),
        ("read-only created_at", json!({"created_at": "2020-01-01T00:00:00Z"}), 403),
        ("read-only updated_at", json!({"updated_at": "2020-01-01T00:00:00Z"}), 403),
        ("read-only self", json!({"self": "/v2/images/x"}), 403),
        ("read-only file", json!({"file": "/v2/images/x/file"}), 403),
        ("read-only schema", json!({"schema": "/v2/schemas/image"}), 403),
        ("read-only direct_url", json!({"direct_url": "file:///x"}), 403),
        ("read-only stores", json!({"stores": "file"}), 403),
        ("a schema-valid locations list", json!({"locations": []}), 403),
        ("read-only status off its enum", json!({"status": "bogus"}), 400),
        ("read-only os_hash_algo", json!({"os_hash_algo": "sha512"}), 403),
        ("reserved os_glance_x", json!({"os_glance_x": "y"}), 403),
        ("reserved location", json!({"location": "y"}), 403),
        ("read-only os_hash_value", json!({"os_hash_value": "00"}), 403),
        ("reserved deleted", json!({"deleted": "y"}), 403),
        ("reserved deleted_at", json!({"deleted_at": "y"}), 403),
        ("reserved os_glance prefix alone", json!({"os_glance": "y"}), 403),
    ];
    for (label, body, status) in bodies {
        cases.push((label.into(), json_ct, body.to_string().into_bytes(), status));
    }
    let props: serde_json::Map<String, Value> =
        (0..129).map(|i| (format!("p{i}"), json!("v"))).collect();
    cases.push((
        "129 custom properties".into(),
        json_ct,
        Value::Object(props).to_string().into(),
        413,
    ));
    let tags: Vec<String> = (0..129).map(|i| format!("t{i}")).collect();
    cases.push(("129 tags".into(), json_ct, json!({"tags": tags}).to_string().into_bytes(), 413));
    let deep = format!("{{\"a\": {}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    cases.push(("JSON nested 100000 deep".into(), json_ct, deep.into_bytes(), 400));
    cases.push(("invalid UTF-8".into(), json_ct, b"{\"name\": \"\xff\xfe\"}".to_vec(), 400));
    let huge = json!({"name": "big", "description": "a".repeat((1 << 20) + 16)});
    cases.push(("a body over 1 MiB".into(), json_ct, huge.to_string().into_bytes(), 413));

    let mut problems = Vec::new();
    for (label, ct, body, status) in cases {
        let before = all_ids(&g).await;
        let r = send(&g, Method::POST, "/v2/images", ct, body).await;
        problems.extend(problem(&format!("create with {label}"), &r, status));
        if all_ids(&g).await != before {
            problems.push(format!("create with {label} left an image behind"));
        }
    }
    assert_none(&problems);
    // The limits are exact: 128 properties and 128 tags are fine.
    let props: serde_json::Map<String, Value> =
        (0..128).map(|i| (format!("p{i}"), json!("v"))).collect();
    let r = g.create(BOB, Value::Object(props)).await;
    assert_eq!(r.status, 201, "128 custom properties are allowed: {r:#?}");
    let tags: Vec<String> = (0..128).map(|i| format!("t{i}")).collect();
    let r = g.create(BOB, json!({"tags": tags})).await;
    assert_eq!(r.status, 201, "128 tags are allowed: {r:#?}");
    let r = g.create(BOB, json!({"name": long(255)})).await;
    assert_eq!(r.status, 201, "a name of 255 is allowed: {r:#?}");
}

#[tokio::test]
async fn hostile_strings_round_trip_exactly() {
    let g = glance();
    let hostile = "Ünïcødé 名前 🚀 \"quoted\" 'single' <script>alert(1)</script> ../../etc/passwd \
                   back\\slash tab\tnewline\ncontrol\u{1}\u{1f}\u{7f} &amp; %2F %00";
    let tags = ["<script>", "../..", "名前 🚀", "quote\"d", "ctl\u{1}x", "a,b;c"];
    let r = g
        .create(
            BOB,
            json!({
                "name": hostile,
                "описание": hostile,
                "<key>../\"x\"": "v",
                "description": "",
                "tags": tags,
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:#?}");
    let id = r.id();
    for body in [r.body.clone(), show(&g, &id).await] {
        assert_eq!(body["name"], hostile, "{body:#?}");
        assert_eq!(body["описание"], hostile, "{body:#?}");
        assert_eq!(body["<key>../\"x\""], "v", "{body:#?}");
        assert_eq!(body["description"], "", "{body:#?}");
        let mut got: Vec<&str> =
            body["tags"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        got.sort_unstable();
        let mut want = tags.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{body:#?}");
    }
    let r = g.get("/v2/images", BOB).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body["images"][0]["name"], hostile, "{r:#?}");

    // Through PATCH, too.
    let ops = json!([{"op": "add", "path": "/notes", "value": hostile}]);
    let r = g.patch(&id, BOB, V21, ops).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(show(&g, &id).await["notes"], hostile);

    // A percent-encoded tag in the path is decoded once.
    let r = g.put(&format!("/v2/images/{id}/tags/%3Cb%3E%20%22q%22"), BOB).await;
    assert_eq!(r.status, 204, "{r:#?}");
    let body = show(&g, &id).await;
    assert!(body["tags"].as_array().is_some_and(|t| t.contains(&json!("<b> \"q\""))), "{body:#?}");
}

#[tokio::test]
async fn a_tag_longer_than_255_is_refused() {
    let g = glance();
    let id = g.image(BOB, json!({"tags": ["keep"]})).await;
    let before = show(&g, &id).await;
    let r = g.put(&format!("/v2/images/{id}/tags/{}", "t".repeat(256)), BOB).await;
    r.assert_error(400);
    assert_eq!(show(&g, &id).await, before, "the refused tag changed the image");
    let r = g.put(&format!("/v2/images/{id}/tags/{}", "t".repeat(255)), BOB).await;
    assert_eq!(r.status, 204, "a tag of 255 is fine: {r:#?}");

    let tags: Vec<String> = (0..128).map(|i| format!("t{i}")).collect();
    let full = g.image(BOB, json!({"tags": tags})).await;
    let before = show(&g, &full).await;
    let r = g.put(&format!("/v2/images/{full}/tags/one-more"), BOB).await;
    r.assert_error(413);
    assert_eq!(show(&g, &full).await, before, "the refused 129th tag changed the image");
    let r = g.put(&format!("/v2/images/{full}/tags/t0"), BOB).await;
    assert_eq!(r.status, 204, "re-adding an existing tag is not a 129th: {r:#?}");
}

#[tokio::test]
async fn a_query_that_is_not_utf8_is_refused() {
    let g = glance();
    g.image(BOB, json!({"name": "x"})).await;
    for uri in ["/v2/images?name=%FF", "/v2/images?%FF=x", "/v2/images?tag=%C3%28"] {
        let r = g.get(uri, BOB).await;
        assert_eq!(r.status, 400, "{uri}: {r:#?}");
        r.assert_error(400);
    }
}

#[tokio::test]
async fn a_body_on_a_bodiless_request_is_refused() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "keep", "tags": ["t"]})).await;
    let before = show(&g, &id).await;
    let base = format!("/v2/images/{id}");
    let calls = [
        (Method::GET, base.clone()),
        (Method::DELETE, base.clone()),
        (Method::GET, format!("{base}/file")),
        (Method::PUT, format!("{base}/tags/new")),
        (Method::DELETE, format!("{base}/tags/t")),
        (Method::GET, format!("{base}/members")),
        (Method::GET, "/v2/schemas/image".to_owned()),
    ];
    let mut problems = Vec::new();
    for (method, uri) in calls {
        let r = g.call(method.clone(), &uri, Some(BOB), &[], b"{}".to_vec()).await;
        let what = format!("{method} {uri} with a body");
        problems.extend(problem(&what, &r, 400));
        let message = r.body["message"].as_str().unwrap_or_default();
        if r.status == 400 && !message.contains("A body is not expected") {
            problems.push(format!("{what}: unexpected message {message:?}"));
        }
    }
    assert_none(&problems);
    assert_eq!(show(&g, &id).await, before, "a refused request changed the image");
}

#[tokio::test]
async fn unknown_ids_paths_and_methods() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "keep"})).await;
    let too_long = format!("{id}0");
    for uri in [
        "/v2/images/not-a-uuid".to_owned(),
        format!("/v2/images/{too_long}"),
        format!("/v2/images/{}", "a".repeat(300)),
        format!("/v2/images/{UNKNOWN}"),
        "/v2/images/".to_owned(),
        "/v2/nothing".to_owned(),
    ] {
        let r = g.get(&uri, BOB).await;
        assert_eq!(r.status, 404, "GET {uri}: {r:#?}");
        r.assert_error(404);
        if uri.starts_with("/v2/images/") {
            let r = g.delete(&uri, BOB).await;
            assert_eq!(r.status, 404, "DELETE {uri}: {r:#?}");
            r.assert_error(404);
        }
    }
    let r = g.call(Method::PUT, "/v2/images", Some(BOB), &[], Vec::new()).await;
    r.assert_error(405);
    assert_eq!(r.header("Allow"), Some("GET, POST"), "{r:#?}");
    // The order of methods in `Allow` carries no meaning, so only the set is compared here.
    let r = g.call(Method::POST, &format!("/v2/images/{id}"), Some(BOB), &[], Vec::new()).await;
    r.assert_error(405);
    let mut allow: Vec<&str> = r.header("Allow").unwrap_or_default().split(", ").collect();
    allow.sort_unstable();
    assert_eq!(allow, ["DELETE", "GET", "PATCH"], "{r:#?}");
    assert_eq!(show(&g, &id).await["name"], "keep");
}

#[tokio::test]
async fn list_refuses_bad_parameters_with_400() {
    let g = glance();
    g.image(BOB, json!({"name": "listed"})).await;
    let mut problems = Vec::new();
    for query in [
        "limit=-1",
        "limit=abc",
        "limit=1.5",
        "sort_key=bogus",
        "sort_dir=up",
        "sort=name:up",
        "sort=bogus",
        "sort=name&sort_key=name",
        "sort=name&sort_dir=asc",
        "sort_key=name&sort_dir=asc&sort_dir=desc",
        "visibility=bogus",
        "member_status=bogus",
        "protected=True",
        "protected=yes",
        "os_hidden=maybe",
        "size_min=abc",
        "size_max=abc",
        "created_at=gt:notadate",
        "created_at=in:2020-01-01T00:00:00Z",
        "updated_at=bogus:2020-01-01T00:00:00Z",
        "name=foo:bar",
        "name=in:%22a",
        "changes-since=2020-01-01T00:00:00Z",
        "marker=not-a-uuid",
        "marker=6c4b7f62-2a51-4d5e-9c3e-0f6b1d2a3c4e",
        "marker=",
        "sort_dir=asc&sort_dir=desc",
        "sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc",
        "created_at=gt:2020-13-45T00:00:00Z",
        "created_at=notadate",
        "name=in:a%22b%22",
        "name=in:%22a%22b",
        "id=foo:bar",
        "status=foo:bar",
        "size=abc",
        "min_ram=abc",
        "min_disk=abc",
        "virtual_size_min=abc",
        "bogus_min=1",
        "bogus_max=1",
    ] {
        let uri = format!("/v2/images?{query}");
        let r = g.get(&uri, BOB).await;
        problems.extend(problem(&uri, &r, 400));
    }
    assert_none(&problems);
    let r = g.get("/v2/images?status=bogus", BOB).await;
    assert_eq!(r.status, 200, "an unknown status is not validated: {r:#?}");
    assert!(r.ids().is_empty(), "{r:#?}");
    // Controls: the valid spellings next to the refused ones are accepted.
    for query in [
        "os_hidden=FALSE",
        "protected=false",
        "member_status=all",
        "visibility=all",
        "sort=name:asc,size",
        "sort_key=name&sort_key=size&sort_dir=asc",
        "created_at=gte:2000-01-01T00:00:00Z",
        "name=eq:listed",
        "name=in:listed,%22a,b%22",
        "limit=0",
        "limit=5000",
        "no_such_property=x",
    ] {
        let uri = format!("/v2/images?{query}");
        let r = g.get(&uri, BOB).await;
        if r.status != 200 {
            problems.push(format!("{uri}: expected 200, got {}", r.status));
        }
    }
    assert_none(&problems);
}

#[tokio::test]
async fn errors_are_rendered_by_the_accept_header() {
    let g = glance();
    let uri = format!("/v2/images/{UNKNOWN}");

    // No Accept header at all: plain text.
    let resp = g.cli.get(&uri).header("X-Auth-Token", BOB).send().await;
    let status = resp.0.status().as_u16();
    let ct = resp
        .0
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = resp.0.into_body().into_string().await.expect("a text body");
    assert_eq!(status, 404, "{text}");
    assert!(ct.starts_with("text/plain"), "{ct}: {text}");
    assert!(text.starts_with("404 Not Found"), "{text:?}");

    let r = g.call(Method::GET, &uri, Some(BOB), &[("Accept", "*/*")], Vec::new()).await;
    assert_eq!(r.status, 404, "{r:#?}");
    assert!(r.header("Content-Type").is_some_and(|c| c.starts_with("text/html")), "{r:#?}");
    let html = String::from_utf8_lossy(&r.bytes);
    assert!(html.contains("<title>404 Not Found</title>"), "{html}");

    let r = g.call(Method::GET, &uri, Some(BOB), &[("Accept", "text/plain")], Vec::new()).await;
    assert_eq!(r.status, 404, "{r:#?}");
    assert!(r.header("Content-Type").is_some_and(|c| c.starts_with("text/plain")), "{r:#?}");
    assert!(String::from_utf8_lossy(&r.bytes).starts_with("404 Not Found"), "{r:#?}");

    // JSON wins when it has the higher quality, HTML on a tie.
    let accept = [("Accept", "text/html;q=0.1, application/json")];
    let r = g.call(Method::GET, &uri, Some(BOB), &accept, Vec::new()).await;
    assert!(r.header("Content-Type").is_some_and(|c| c.starts_with("application/json")), "{r:#?}");
    r.assert_error(404);
    let accept = [("Accept", "application/json, text/html")];
    let r = g.call(Method::GET, &uri, Some(BOB), &accept, Vec::new()).await;
    assert!(r.header("Content-Type").is_some_and(|c| c.starts_with("text/html")), "{r:#?}");

    // The 401 of the authentication layer is negotiated the same way.
    let r = g.call(Method::GET, &uri, None, &[("Accept", "*/*")], Vec::new()).await;
    assert_eq!(r.status, 401, "{r:#?}");
    assert!(r.header("Content-Type").is_some_and(|c| c.starts_with("text/html")), "{r:#?}");
    assert!(String::from_utf8_lossy(&r.bytes).contains("<title>401 Unauthorized</title>"));

    let r = g.get(&uri, BOB).await;
    assert!(r.header("Content-Type").is_some_and(|c| c.starts_with("application/json")), "{r:#?}");
    r.assert_error(404);
    assert_eq!(r.body["code"], "404 Not Found", "{r:#?}");
    assert_eq!(r.body["title"], "Not Found", "{r:#?}");
}

#[tokio::test]
async fn refused_uploads_leave_the_image_queued_and_empty() {
    let g = glance();
    let id = g.image(BOB, json!({"name": "to-upload"})).await;
    let before = show(&g, &id).await;
    let file = format!("/v2/images/{id}/file");
    let cases: [(&str, Headers, &[u8], u16); 6] = [
        ("text/plain", &[("Content-Type", "text/plain")], b"data", 415),
        ("no Content-Type", &[], b"data", 415),
        (
            "a size that is not a number",
            &[("Content-Type", "application/octet-stream"), ("x-openstack-image-size", "abc")],
            b"data",
            400,
        ),
        (
            "a size that differs from the body",
            &[("Content-Type", "application/octet-stream"), ("x-openstack-image-size", "10")],
            b"12345",
            400,
        ),
        (
            "a negative size",
            &[("Content-Type", "application/octet-stream"), ("x-openstack-image-size", "-1")],
            b"12345",
            400,
        ),
        (
            "a size smaller than the body",
            &[("Content-Type", "application/octet-stream"), ("x-openstack-image-size", "2")],
            b"12345",
            400,
        ),
    ];
    let mut problems = Vec::new();
    for (label, headers, data, status) in cases {
        let r = g.call(Method::PUT, &file, Some(BOB), headers, data.to_vec()).await;
        problems.extend(problem(&format!("upload with {label}"), &r, status));
        let now = show(&g, &id).await;
        if now["status"] != "queued" || now["size"] != Value::Null || now != before {
            problems.push(format!("upload with {label} changed the image: {now:#}"));
        }
        let r = g.get(&file, BOB).await;
        if r.status != 204 {
            problems.push(format!("download after upload with {label}: {}", r.status));
        }
    }
    assert_none(&problems);
    let r = g.upload(UNKNOWN, BOB, b"data").await;
    r.assert_error(404);
    // Nothing is stuck: a correct upload still works.
    let r = g.upload(&id, BOB, b"12345").await;
    assert_eq!(r.status, 204, "{r:#?}");
    let r = g.get(&file, BOB).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.bytes, b"12345");
}

#[tokio::test]
async fn an_upload_needs_both_formats() {
    let g = glance();
    for formats in [json!({}), json!({"disk_format": "raw"}), json!({"container_format": "bare"})] {
        let r = g.create(BOB, formats.clone()).await;
        assert_eq!(r.status, 201, "{r:#?}");
        let id = r.id();
        let before = show(&g, &id).await;
        let r = g.upload(&id, BOB, b"data").await;
        assert_eq!(r.status, 400, "upload with {formats}: {r:#?}");
        r.assert_error(400);
        assert_eq!(show(&g, &id).await, before, "upload with {formats} changed the image");
    }
}

//! Glance images v2, stateful: create/show/update/delete round trips, data with hashes, tags,
//! status transitions, listings walked with `next`, filters, and visibility between two
//! principals. Every image object the target returns is also validated against the schema the
//! target serves at `/v2/schemas/image` and against the canonical one.
//!
//! Check ids:
//! - `GLANCE-S01` create answers 201 with an absolute `Location` and Glance's defaults
//!   (status queued, visibility shared, protected and os_hidden false, min_ram and min_disk 0)
//!   and echoes the name, formats, tags and custom property.
//! - `GLANCE-S02` show returns the created image; an unknown id is 404.
//! - `GLANCE-S03` upload answers 204; the image is then active with size, MD5 checksum,
//!   os_hash_algo sha512 and os_hash_value of the bytes; download returns the same bytes; a
//!   second upload is 409.
//! - `GLANCE-S04` a v2.1 JSON-patch replaces, adds and removes; another media type is 415.
//! - `GLANCE-S05` tag PUT is idempotent (204 twice, one tag), DELETE of a missing tag is 404.
//! - `GLANCE-S06` the pages of a listing walked with `next` are exactly the filtered set, without
//!   duplicates, in the requested order (default order, and `sort=name:asc`).
//! - `GLANCE-S07` filters return exactly the matching images: `name`, `name=in:`, `tag` (all must
//!   match), `size_min`/`size_max`, a custom property.
//! - `GLANCE-S08` deactivate and reactivate move between active and deactivated (204).
//! - `GLANCE-S09` delete answers 204; show is then 404 and the id cannot be created again (409).
//! - `GLANCE-S10` (with a second principal) another project's private image is 404 and not listed.
//! - `C106` every image object validates against the schema the target serves.
//! - `C109` every image object validates against the canonical schema (a warning only: the
//!   format enums depend on the deployment's configuration).
//!
//! Leniency for known upstream quirks: the suite never repeats a query parameter while
//! following `next` (real Glance drops all but the last value of a repeated one), uses raw/bare
//! images with random bytes (format inspection passes), and accepts a listing filtered by a
//! single tag.

use md5::{Digest, Md5};
use serde_json::{Value, json};
use sha2::Sha512;

use crate::exchange::HttpRequest;
use crate::session::{Outcome, Session};

const V21: &str = "application/openstack-images-v2.1-json-patch";
const CANONICAL: &str = include_str!("../../../specs/glance/schemas/image.json");

/// Runs the suite; names and tags start with `prefix`. `other` is a second principal in another
/// project, for the isolation check.
pub fn run(s: &Session<'_>, other: Option<&Session<'_>>, prefix: &str) {
    install_schema_checks(s);
    let mut created = Vec::new();
    if let Some(id) = lifecycle(s, prefix) {
        created.push(id);
    }
    created.extend(listing(s, prefix));
    if let Some(o) = other {
        isolation(s, o, prefix, &mut created);
    }
    for id in created {
        let _ = s.call("DELETE", &format!("/v2/images/{id}"), None);
    }
}

/// Images in a response body: a list's `images`, or the body itself when it is an image.
fn images_in(body: &Value) -> Vec<&Value> {
    match body.get("images").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None if body.get("schema").and_then(Value::as_str) == Some("/v2/schemas/image") => {
            vec![body]
        }
        None => Vec::new(),
    }
}

fn compile(schema: &Value) -> Option<jsonschema::Validator> {
    jsonschema::draft202012::options().build(schema).ok()
}

fn install_schema_checks(s: &Session<'_>) {
    let served = s
        .call("GET", "/v2/schemas/image", None)
        .filter(|(_, r)| r.status == 200)
        .and_then(|(_, r)| compile(&r.json()));
    let canonical = serde_json::from_str::<Value>(CANONICAL).ok().and_then(|v| compile(&v));
    s.add_exchange_check(Box::new(move |_req, resp| {
        if resp.status >= 300 {
            return Vec::new();
        }
        let body = resp.json();
        let mut out = Vec::new();
        for image in images_in(&body) {
            for (check, validator, warning) in
                [("C106", &served, false), ("C109", &canonical, true)]
            {
                let Some(v) = validator else { continue };
                let problem = v.iter_errors(image).next().map(|e| {
                    let which = if warning { "the canonical" } else { "the target's own" };
                    format!(
                        "image {} breaks {which} image schema at `{}`: {e}",
                        image["id"],
                        e.instance_path()
                    )
                });
                out.push(Outcome { check, problem, warning });
            }
        }
        out
    }));
}

fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

fn create(s: &Session<'_>, body: &Value) -> Option<String> {
    let (req, resp) = s.call("POST", "/v2/images", Some(body))?;
    s.expect("GLANCE-S01", resp.status == 201, &req, || {
        format!("create answered {}, not 201", resp.status)
    });
    if resp.status != 201 {
        return None;
    }
    resp.json()["id"].as_str().map(str::to_owned)
}

fn lifecycle(s: &Session<'_>, prefix: &str) -> Option<String> {
    let name = format!("{prefix}-lifecycle");
    let body = json!({"name": name, "disk_format": "raw", "container_format": "bare",
        "tags": [format!("{prefix}-a")], "imagespec_probe": "yes"});
    let (req, resp) = s.call("POST", "/v2/images", Some(&body))?;
    let image = resp.json();
    s.expect("GLANCE-S01", resp.status == 201, &req, || {
        format!("create answered {}, not 201", resp.status)
    });
    if resp.status != 201 {
        return None;
    }
    let id = image["id"].as_str().unwrap_or_default().to_owned();
    let defaults = image["status"] == "queued"
        && image["visibility"] == "shared"
        && image["protected"] == false
        && image["os_hidden"] == false
        && image["min_ram"] == 0
        && image["min_disk"] == 0
        && image["name"] == json!(name)
        && image["disk_format"] == "raw"
        && image["container_format"] == "bare"
        && image["imagespec_probe"] == "yes"
        && image["tags"] == body["tags"];
    s.expect("GLANCE-S01", defaults, &req, || {
        format!("the new image does not carry the request and Glance's defaults: {image}")
    });
    let location = resp.header("location").unwrap_or_default();
    let absolute = (location.starts_with("http://") || location.starts_with("https://"))
        && location.ends_with(&format!("/v2/images/{id}"));
    s.expect("GLANCE-S01", absolute, &req, || {
        format!("Location `{location}` is not the image's absolute URL")
    });

    if let Some((req, resp)) = s.call("GET", &format!("/v2/images/{id}"), None) {
        let same = resp.status == 200 && resp.json()["id"] == json!(id);
        s.expect("GLANCE-S02", same, &req, || format!("show answered {}", resp.status));
    }
    let unknown = format!("/v2/images/{}", uuid_like(prefix));
    if let Some((req, resp)) = s.call("GET", &unknown, None) {
        s.expect("GLANCE-S02", resp.status == 404, &req, || {
            format!("an unknown id answered {}, not 404", resp.status)
        });
    }
    data(s, &id, prefix);
    patch(s, &id);
    tags(s, &id, prefix);
    transitions(s, &id);
    if let Some((req, resp)) = s.call("DELETE", &format!("/v2/images/{id}"), None) {
        s.expect("GLANCE-S09", resp.status == 204, &req, || {
            format!("delete answered {}, not 204", resp.status)
        });
        if resp.status == 204 {
            if let Some((req, resp)) = s.call("GET", &format!("/v2/images/{id}"), None) {
                s.expect("GLANCE-S09", resp.status == 404, &req, || {
                    format!("a deleted image answered {}, not 404", resp.status)
                });
            }
            let again = json!({"id": id, "name": format!("{prefix}-reuse")});
            if let Some((req, resp)) = s.call("POST", "/v2/images", Some(&again)) {
                s.expect("GLANCE-S09", resp.status == 409, &req, || {
                    format!("re-creating a deleted id answered {}, not 409", resp.status)
                });
                if resp.status == 201 {
                    let _ = s.call("DELETE", &format!("/v2/images/{id}"), None);
                }
            }
            return None;
        }
    }
    Some(id)
}

/// A syntactically valid image id nobody has: the prefix's hex digits, padded.
fn uuid_like(prefix: &str) -> String {
    let hex: String = prefix.chars().filter(char::is_ascii_hexdigit).collect();
    let digits = format!("{hex:0<32}");
    let d = &digits[..32];
    format!("{}-{}-{}-{}-{}", &d[..8], &d[8..12], &d[12..16], &d[16..20], &d[20..32])
}

fn data(s: &Session<'_>, id: &str, prefix: &str) {
    let bytes = random_bytes(prefix.len() as u64 * 7919, 64 * 1024 + 17);
    let file = format!("/v2/images/{id}/file");
    if let Some((req, resp)) = s.call("GET", &file, None) {
        s.expect("GLANCE-S03", resp.status == 204, &req, || {
            format!("downloading an image without data answered {}, not 204", resp.status)
        });
    }
    let Some((req, resp)) =
        s.call_raw("PUT", &file, Some(("application/octet-stream", bytes.clone())))
    else {
        return;
    };
    s.expect("GLANCE-S03", resp.status == 204, &req, || {
        format!("upload answered {}, not 204", resp.status)
    });
    if resp.status != 204 {
        return;
    }
    if let Some((req, resp)) = s.call("GET", &format!("/v2/images/{id}"), None) {
        let i = resp.json();
        let md5 = hex::encode(Md5::digest(&bytes));
        let sha = hex::encode(Sha512::digest(&bytes));
        let ok = i["status"] == "active"
            && i["size"] == json!(bytes.len())
            && i["checksum"] == json!(md5)
            && i["os_hash_algo"] == "sha512"
            && i["os_hash_value"] == json!(sha);
        s.expect("GLANCE-S03", ok, &req, || {
            format!("after the upload the image's status, size or hashes are wrong: {i}")
        });
    }
    if let Some((req, resp)) = s.call("GET", &file, None) {
        s.expect("GLANCE-S03", resp.status == 200 && resp.body == bytes, &req, || {
            format!(
                "download answered {} with {} bytes, not the uploaded ones",
                resp.status,
                resp.body.len()
            )
        });
    }
    if let Some((req, resp)) =
        s.call_raw("PUT", &file, Some(("application/octet-stream", b"x".to_vec())))
    {
        s.expect("GLANCE-S03", resp.status == 409, &req, || {
            format!("a second upload answered {}, not 409", resp.status)
        });
    }
}

fn patch(s: &Session<'_>, id: &str) {
    let uri = format!("/v2/images/{id}");
    let ops = json!([
        {"op": "replace", "path": "/min_ram", "value": 256},
        {"op": "add", "path": "/imagespec_extra", "value": "1"},
        {"op": "remove", "path": "/imagespec_probe"},
    ]);
    if let Some((req, resp)) = s.call_raw("PATCH", &uri, Some((V21, ops.to_string().into_bytes())))
    {
        let i = resp.json();
        let ok = resp.status == 200
            && i["min_ram"] == 256
            && i["imagespec_extra"] == "1"
            && i.get("imagespec_probe").is_none();
        s.expect("GLANCE-S04", ok, &req, || format!("the patch answered {} with {i}", resp.status));
    }
    let body = json!([{"op": "replace", "path": "/min_ram", "value": 1}]).to_string().into_bytes();
    if let Some((req, resp)) = s.call_raw("PATCH", &uri, Some(("application/json", body))) {
        s.expect("GLANCE-S04", resp.status == 415, &req, || {
            format!("a patch sent as application/json answered {}, not 415", resp.status)
        });
    }
}

fn tags(s: &Session<'_>, id: &str, prefix: &str) {
    let tag = format!("{prefix}-t");
    let uri = format!("/v2/images/{id}/tags/{tag}");
    for _ in 0..2 {
        if let Some((req, resp)) = s.call("PUT", &uri, None) {
            s.expect("GLANCE-S05", resp.status == 204, &req, || {
                format!("tag PUT answered {}, not 204", resp.status)
            });
        }
    }
    if let Some((req, resp)) = s.call("GET", &format!("/v2/images/{id}"), None) {
        let n = resp.json()["tags"]
            .as_array()
            .map_or(0, |t| t.iter().filter(|x| x.as_str() == Some(tag.as_str())).count());
        s.expect("GLANCE-S05", n == 1, &req, || {
            format!("the tag appears {n} times after two PUTs")
        });
    }
    let _ = s.call("DELETE", &uri, None);
    if let Some((req, resp)) = s.call("DELETE", &uri, None) {
        s.expect("GLANCE-S05", resp.status == 404, &req, || {
            format!("deleting a missing tag answered {}, not 404", resp.status)
        });
    }
}

fn transitions(s: &Session<'_>, id: &str) {
    for (action, status) in [("deactivate", "deactivated"), ("reactivate", "active")] {
        let Some((req, resp)) = s.call("POST", &format!("/v2/images/{id}/actions/{action}"), None)
        else {
            return;
        };
        s.expect("GLANCE-S08", resp.status == 204, &req, || {
            format!("{action} answered {}, not 204", resp.status)
        });
        if let Some((req, resp)) = s.call("GET", &format!("/v2/images/{id}"), None) {
            let now = resp.json()["status"].clone();
            s.expect("GLANCE-S08", now == status, &req, || {
                format!("after {action} the status is {now}, not {status}")
            });
        }
    }
}

/// Five images with one shared tag; returns their ids (for cleanup).
fn listing(s: &Session<'_>, prefix: &str) -> Vec<String> {
    let tag = format!("{prefix}-list");
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    for i in 0..5usize {
        let tags = if i % 2 == 0 { json!([tag, format!("{prefix}-even")]) } else { json!([tag]) };
        let body = json!({"name": format!("{prefix}-n{}", 4 - i), "disk_format": "raw",
            "container_format": "bare", "tags": tags, "imagespec_group": if i < 2 { "low" } else { "high" }});
        let Some(id) = create(s, &body) else { continue };
        let bytes = random_bytes(i as u64 + 11, 100 * (i + 1));
        let _ = s.call_raw(
            "PUT",
            &format!("/v2/images/{id}/file"),
            Some(("application/octet-stream", bytes)),
        );
        sizes.push(100 * (i + 1));
        ids.push(id);
    }
    if ids.len() != 5 {
        return ids;
    }
    let Some((req, all)) = walk(s, &format!("/v2/images?tag={tag}&limit=2")) else { return ids };
    let mut expected = ids.clone();
    expected.sort();
    let mut seen: Vec<String> = all.iter().map(id_of).collect();
    let dupes = seen.len();
    seen.sort();
    seen.dedup();
    s.expect("GLANCE-S06", dupes == seen.len() && seen == expected, &req, || {
        format!(
            "walking the pages gave {dupes} images ({} distinct) instead of the 5 tagged ones",
            seen.len()
        )
    });
    let created: Vec<String> =
        all.iter().map(|i| i["created_at"].as_str().unwrap_or_default().to_owned()).collect();
    let newest_first = created.windows(2).all(|w| w[0] >= w[1]);
    s.expect("GLANCE-S06", newest_first, &req, || {
        format!("the default order is not created_at descending: {created:?}")
    });
    if let Some((req, by_name)) = walk(s, &format!("/v2/images?tag={tag}&limit=2&sort=name:asc")) {
        let names: Vec<&str> = by_name.iter().filter_map(|i| i["name"].as_str()).collect();
        let want: Vec<String> = (0..5).map(|i| format!("{prefix}-n{i}")).collect();
        s.expect("GLANCE-S06", names == want, &req, || {
            format!("sort=name:asc walked as {names:?}")
        });
    }
    let filters: Vec<(String, Vec<usize>)> = vec![
        (format!("name={prefix}-n3"), vec![1]),
        (format!("name=in:{prefix}-n0,{prefix}-n2"), vec![4, 2]),
        (format!("tag={tag}&tag={prefix}-even"), vec![0, 2, 4]),
        (format!("tag={tag}&size_min=200&size_max=400"), vec![1, 2, 3]),
        (format!("tag={tag}&imagespec_group=low"), vec![0, 1]),
    ];
    for (query, indices) in filters {
        let Some((req, resp)) = s.call("GET", &format!("/v2/images?{query}&limit=100"), None)
        else {
            continue;
        };
        let mut got: Vec<String> = resp.json()["images"]
            .as_array()
            .map(|l| l.iter().map(id_of).collect())
            .unwrap_or_default();
        got.sort();
        let mut want: Vec<String> = indices.iter().map(|i| ids[*i].clone()).collect();
        want.sort();
        s.expect("GLANCE-S07", resp.status == 200 && got == want, &req, || {
            format!(
                "`{query}` listed {} images, not exactly the {} matching ones",
                got.len(),
                want.len()
            )
        });
    }
    ids
}

fn id_of(image: &Value) -> String {
    image["id"].as_str().unwrap_or_default().to_owned()
}

/// Follows `next` from `first` (at most 50 pages): the first request and every image seen.
fn walk(s: &Session<'_>, first: &str) -> Option<(HttpRequest, Vec<Value>)> {
    let mut out = Vec::new();
    let mut target = first.to_owned();
    let mut head: Option<HttpRequest> = None;
    for _ in 0..50 {
        let (req, resp) = s.call("GET", &target, None)?;
        let head = head.get_or_insert_with(|| req.clone()).clone();
        if resp.status != 200 {
            s.expect("GLANCE-S06", false, &req, || format!("a page answered {}", resp.status));
            return None;
        }
        let body = resp.json();
        out.extend(body["images"].as_array().cloned().unwrap_or_default());
        match body["next"].as_str() {
            Some(next) if next.starts_with("/v2/") => target = next.to_owned(),
            Some(next) => {
                s.expect("GLANCE-S06", false, &req, || {
                    format!("`next` is `{next}`, not a path starting with /v2/")
                });
                return None;
            }
            None => return Some((head, out)),
        }
    }
    if let Some(req) = head {
        s.expect("GLANCE-S06", false, &req, || "`next` still present after 50 pages".into());
    }
    None
}

fn isolation(s: &Session<'_>, other: &Session<'_>, prefix: &str, created: &mut Vec<String>) {
    let body = json!({"name": format!("{prefix}-private"), "visibility": "private"});
    let Some(id) = create(s, &body) else { return };
    created.push(id.clone());
    if let Some((req, resp)) = other.call("GET", &format!("/v2/images/{id}"), None) {
        s.expect("GLANCE-S10", resp.status == 404, &req, || {
            format!("another project's private image answered {}, not 404", resp.status)
        });
    }
    if let Some((req, resp)) = other.call("GET", &format!("/v2/images?name={prefix}-private"), None)
    {
        let listed = resp.json()["images"].as_array().map_or(0, Vec::len);
        s.expect("GLANCE-S10", listed == 0, &req, || {
            format!("another project's private image is listed ({listed})")
        });
    }
}

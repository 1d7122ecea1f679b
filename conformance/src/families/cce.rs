//! CCE image caches, stateful: the name rule and ranges both ways, defaults, the exact `name`
//! filter, duplicate names, and delete then `Deleting`/404.
//!
//! Check ids: `CCE-S01` create answers 201 with the request echoed and the documented defaults;
//! `CCE-S02` show finds it; `CCE-S03` the `name` filter is exact; `CCE-S04` a duplicate name is
//! 409 `CCE.01409001`; `CCE-S05` every rule-breaking body is a 400 `CCE.01400001` and creates
//! nothing; `CCE-S06` delete answers 202 `Deleting`, and the cache then answers `Deleting` or 404;
//! `CCE-S07` an unknown id is 404 `CCE.01404001`. The delay before a deleted cache disappears is
//! not documented, so `CCE-S06` accepts both answers.

use serde_json::{Value, json};

use crate::session::Session;

/// Runs the suite; resource names start with `prefix`.
pub fn run(s: &Session<'_>, prefix: &str) {
    let name = format!("{prefix}-cache");
    let body = json!({"name": name, "images": ["busybox:latest"], "building_config": {"cluster": "imagespec-conformance"}});
    let Some((req, resp)) = s.call("POST", "/v5/imagecaches", Some(&body)) else { return };
    let cache = resp.json()["image_cache"].clone();
    s.expect("CCE-S01", resp.status == 201, &req, || {
        format!("create answered {}, not 201", resp.status)
    });
    if resp.status != 201 {
        return;
    }
    let echoed = cache["name"] == json!(name)
        && cache["images"] == body["images"]
        && cache["image_cache_size"] == json!(20)
        && cache["retention_days"] == json!(0)
        && cache["building_config"]["cluster"] == body["building_config"]["cluster"]
        && matches!(cache["status"].as_str(), Some("Creating" | "Available"));
    s.expect("CCE-S01", echoed, &req, || {
        format!("the created cache does not echo the request with the defaults: {cache}")
    });
    let id = cache["id"].as_str().unwrap_or_default().to_owned();

    if let Some((req, resp)) = s.call("GET", &format!("/v5/imagecaches/{id}"), None) {
        let found = resp.status == 200 && resp.json()["image_cache"]["id"] == json!(id);
        s.expect("CCE-S02", found, &req, || {
            format!("show answered {} without the cache", resp.status)
        });
    }
    exact_filter(s, &name, &id);
    if let Some((req, resp)) = s.call("POST", "/v5/imagecaches", Some(&body)) {
        let ok = resp.status == 409 && resp.json()["errorCode"] == json!("CCE.01409001");
        s.expect("CCE-S04", ok, &req, || {
            format!("a duplicate name answered {} {}", resp.status, resp.json())
        });
    }
    rules(s, prefix, &body);
    delete(s, &id);
    if let Some((req, resp)) = s.call("GET", &format!("/v5/imagecaches/{prefix}-no-such-id"), None)
    {
        let ok = resp.status == 404 && resp.json()["errorCode"] == json!("CCE.01404001");
        s.expect("CCE-S07", ok, &req, || {
            format!("an unknown id answered {} {}", resp.status, resp.json())
        });
    }
}

fn exact_filter(s: &Session<'_>, name: &str, id: &str) {
    if let Some((req, resp)) = s.call("GET", &format!("/v5/imagecaches?name={name}"), None) {
        let caches = resp.json()["image_caches"].as_array().cloned().unwrap_or_default();
        let ok = caches.len() == 1 && caches[0]["id"] == json!(id);
        s.expect("CCE-S03", ok, &req, || format!("name={name} listed {} caches", caches.len()));
    }
    let shorter = &name[..name.len() - 1];
    if let Some((req, resp)) = s.call("GET", &format!("/v5/imagecaches?name={shorter}"), None) {
        let listed = resp.json()["image_caches"].as_array().map_or(0, Vec::len);
        s.expect("CCE-S03", resp.status == 200 && listed == 0, &req, || {
            format!("name={shorter} (a prefix of an existing name) listed {listed} caches; the filter must be exact")
        });
    }
}

fn rules(s: &Session<'_>, prefix: &str, valid: &Value) {
    let with = |key: &str, value: Value| {
        let mut b = valid.clone();
        b["name"] = json!(format!("{prefix}-bad"));
        b[key] = value;
        b
    };
    let cases = [
        with("name", json!(format!("{prefix}-Upper"))),
        with("name", json!(format!("{prefix}-"))),
        with("name", json!("a".repeat(129))),
        with("image_cache_size", json!(19)),
        with("image_cache_size", json!(401)),
        with("retention_days", json!(-1)),
        with("retention_days", json!(10001)),
        with("images", json!("busybox")),
        with("building_config", json!({})),
    ];
    for body in &cases {
        if let Some((req, resp)) = s.call("POST", "/v5/imagecaches", Some(body)) {
            let ok = resp.status == 400 && resp.json()["errorCode"] == json!("CCE.01400001");
            s.expect("CCE-S05", ok, &req, || {
                format!("a rule-breaking body answered {} {}", resp.status, resp.json())
            });
            if resp.status == 201
                && let Some(id) = resp.json()["image_cache"]["id"].as_str()
            {
                let _ = s.call("DELETE", &format!("/v5/imagecaches/{id}"), None);
            }
        }
    }
}

fn delete(s: &Session<'_>, id: &str) {
    let Some((req, resp)) = s.call("DELETE", &format!("/v5/imagecaches/{id}"), None) else {
        return;
    };
    let ok = resp.status == 202 && resp.json()["image_cache"]["status"] == json!("Deleting");
    s.expect("CCE-S06", ok, &req, || format!("delete answered {} {}", resp.status, resp.json()));
    if let Some((req, resp)) = s.call("GET", &format!("/v5/imagecaches/{id}"), None) {
        let ok = resp.status == 404
            || (resp.status == 200 && resp.json()["image_cache"]["status"] == json!("Deleting"));
        s.expect("CCE-S06", ok, &req, || {
            format!("after delete, show answered {} {}", resp.status, resp.json())
        });
    }
}

//! Many clients at once on one server: mixed creates, updates, deletes and lists. The final
//! state is what a sequential model of the acknowledged operations gives, and no listing ever
//! shows an image twice or half-written.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use crate::support::{Spawned, spawn};

const WRITERS: usize = 6;
const OPS: usize = 60;
const JSON: (&str, &str) = ("Content-Type", "application/json");
const PATCH: (&str, &str) = ("Content-Type", "application/openstack-images-v2.1-json-patch");
const ALICE: (&str, &str) = ("X-Auth-Token", "alice-token");

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Every image a listing shows, page by page; panics on a duplicate or a torn image. A listing
/// whose marker was deleted meanwhile is refused (400, as Glance does) and starts again.
fn list_all(base: &str) -> Vec<Value> {
    loop {
        if let Some(images) = list_once(base) {
            return images;
        }
    }
}

fn list_once(base: &str) -> Option<Vec<Value>> {
    let mut seen = BTreeMap::new();
    let mut page = "/v2/images?limit=50".to_owned();
    loop {
        let (status, body) = Spawned::send_at(base, "GET", &page, &[ALICE], b"").expect("answers");
        if status.contains(" 400 ")
            && page.contains("marker=")
            && body.contains("No image found with ID")
        {
            return None;
        }
        assert!(status.contains(" 200 "), "{status} {body}");
        let body = parse(&body);
        for image in body["images"].as_array().expect("images") {
            // A rename writes the name and `mark` in one PATCH: never one without the other.
            if let Some(mark) = image.get("mark") {
                assert_eq!(&image["name"], mark, "a half-written image was listed: {image}");
            }
            let id = image["id"].as_str().expect("id").to_owned();
            assert!(seen.insert(id, image.clone()).is_none(), "listed twice: {image}");
        }
        match body["next"].as_str() {
            Some(next) => page = next.to_owned(),
            None => return Some(seen.into_values().collect()),
        }
    }
}

#[test]
fn concurrent_mixed_writes_end_in_the_state_a_sequential_model_of_them_gives() {
    let server = spawn(&[]);
    let stop = Arc::new(AtomicBool::new(false));
    let listers: Vec<_> = (0..2)
        .map(|_| {
            let (base, stop) = (server.base.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut lists = 0;
                while !stop.load(Ordering::Relaxed) {
                    list_all(&base);
                    lists += 1;
                }
                lists
            })
        })
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let base = server.base.clone();
            std::thread::spawn(move || {
                // The model: each writer's images (it touches no other), id → expected name,
                // `None` once deleted.
                let mut model: BTreeMap<String, Option<String>> = BTreeMap::new();
                let token = ("X-Auth-Token", if w % 2 == 0 { "bob-token" } else { "carol-token" });
                for i in 0..OPS {
                    let live: Vec<String> = model
                        .iter()
                        .filter(|(_, n)| n.is_some())
                        .map(|(id, _)| id.clone())
                        .collect();
                    let send = |method: &str, path: &str, ct: (&str, &str), body: Value| {
                        let body = body.to_string();
                        Spawned::send_at(&base, method, path, &[token, ct], body.as_bytes())
                            .expect("answers")
                    };
                    match (i % 5, live.get(i % live.len().max(1))) {
                        (0..=1, _) | (_, None) => {
                            let name = format!("w{w}-{i}");
                            let (status, body) = send(
                                "POST",
                                "/v2/images",
                                JSON,
                                json!({"name": name, "mark": name}),
                            );
                            assert!(status.contains(" 201 "), "{status} {body}");
                            model.insert(
                                parse(&body)["id"].as_str().expect("id").into(),
                                Some(name),
                            );
                        }
                        (2..=3, Some(id)) => {
                            let name = format!("w{w}-{i}-renamed");
                            let ops = json!([
                                {"op": "replace", "path": "/name", "value": name},
                                {"op": "replace", "path": "/mark", "value": name},
                            ]);
                            let (status, body) =
                                send("PATCH", &format!("/v2/images/{id}"), PATCH, ops);
                            assert!(status.contains(" 200 "), "{status} {body}");
                            model.insert(id.clone(), Some(name));
                        }
                        (_, Some(id)) => {
                            let path = format!("/v2/images/{id}");
                            let (status, body) =
                                Spawned::send_at(&base, "DELETE", &path, &[token], b"")
                                    .expect("answers");
                            assert!(status.contains(" 204 "), "{status} {body}");
                            model.insert(id.clone(), None);
                        }
                    }
                }
                model
            })
        })
        .collect();
    let mut expected = BTreeMap::new();
    for w in writers {
        expected.extend(w.join().expect("a writer failed"));
    }
    stop.store(true, Ordering::Relaxed);
    for l in listers {
        assert!(l.join().expect("a lister failed") > 0, "every lister listed at least once");
    }
    let listed: BTreeMap<String, String> = list_all(&server.base)
        .into_iter()
        .filter(|i| i["name"].as_str().is_some_and(|n| n.starts_with('w')))
        .map(|i| (i["id"].as_str().expect("id").into(), i["name"].as_str().expect("name").into()))
        .collect();
    let live: BTreeMap<String, String> =
        expected.into_iter().filter_map(|(id, name)| name.map(|n| (id, n))).collect();
    assert_eq!(listed, live, "the final state is the model's");
}

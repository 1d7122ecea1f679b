//! `--data-dir`: every family's writes survive a restart and a `kill -9` under load, and the
//! saved state exports in the `--state` format.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use imagespec_server::store::State;
use serde_json::Value;

use crate::support::{Spawned, root, spawn};

const BOB: (&str, &str) = ("X-Auth-Token", "bob-token");
const ALICE: (&str, &str) = ("X-Auth-Token", "alice-token");
const JSON: (&str, &str) = ("Content-Type", "application/json");
const SNOWFLAKE: (&str, &str) = ("Authorization", "Bearer alice-snowflake-token");
const REPOS: &str = "/api/v2/databases/tutorial_db/schemas/data_schema/image-repositories";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("imagespec-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn demo() -> String {
    root().join("server/demo/state.json").to_str().expect("utf-8 path").to_owned()
}

fn with_data_dir(dir: &Path, extra: &[&str]) -> Spawned {
    let mut args = vec!["--data-dir", dir.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    spawn(&args)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// One write in each family, each checked to be acknowledged.
fn write_in_every_family(server: &Spawned) -> String {
    let (status, created) = server
        .send(
            "POST",
            "/v2/images",
            &[BOB, JSON],
            br#"{"name": "kept-image", "disk_format": "raw", "container_format": "bare"}"#,
        )
        .expect("answers");
    assert!(status.contains(" 201 "), "{status} {created}");
    let id = json(&created)["id"].as_str().expect("an id").to_owned();
    let octets = ("Content-Type", "application/octet-stream");
    let (status, _) = server
        .send("PUT", &format!("/v2/images/{id}/file"), &[BOB, octets], b"kept bytes")
        .expect("answers");
    assert!(status.contains(" 204 "), "{status}");
    let cache = br#"{"name": "kept-cache", "images": ["busybox:latest"], "building_config": {"cluster": "c271e39f-1a6e-4d3d-8fa8-2a36329c68d2"}}"#;
    let (status, body) =
        server.send("POST", "/v5/imagecaches", &[ALICE, JSON], cache).expect("answers");
    assert!(status.contains(" 201 ") || status.contains(" 200 "), "{status} {body}");
    let (status, body) = server
        .send("PUT", "/admin/swr/namespaces/demo/repos/library$nginx/tags/kept-tag", &[BOB], b"")
        .expect("answers");
    assert!(status.contains(" 201 "), "{status} {body}");
    let (status, body) = server
        .send("POST", REPOS, &[SNOWFLAKE, JSON], br#"{"name": "kept_repo"}"#)
        .expect("answers");
    assert!(status.contains(" 200 ") || status.contains(" 201 "), "{status} {body}");
    id
}

fn assert_every_write_is_there(server: &Spawned, id: &str) {
    let (status, image) = server.get(&format!("/v2/images/{id}"), &[BOB]);
    assert!(status.contains(" 200 "), "{status}");
    let image = json(&image);
    assert_eq!(
        (image["name"].as_str(), image["status"].as_str()),
        (Some("kept-image"), Some("active"))
    );
    assert_eq!(image["size"], 10);
    let (status, data) = server.get(&format!("/v2/images/{id}/file"), &[BOB]);
    assert!(status.contains(" 200 ") && data.contains("kept bytes"), "{status} {data}");
    let (_, caches) = server.get("/v5/imagecaches?name=kept-cache", &[ALICE]);
    assert_eq!(json(&caches)["image_caches"].as_array().map(Vec::len), Some(1), "{caches}");
    let (status, tag) = server.get("/v2/manage/namespaces/demo/repos/library$nginx/tags", &[BOB]);
    assert!(status.contains(" 200 ") && tag.contains("kept-tag"), "{status} {tag}");
    let (status, repo) = server.get(&format!("{REPOS}/kept_repo"), &[SNOWFLAKE]);
    assert!(status.contains(" 200 "), "{status} {repo}");
    // The demo state is still there beside them.
    let (_, caches) = server.get("/v5/imagecaches", &[ALICE]);
    assert!(caches.contains("test-imagecache"), "{caches}");
}

#[test]
fn a_restart_on_the_same_data_dir_keeps_every_familys_writes() {
    let dir = temp_dir("durable-restart");
    let server = with_data_dir(&dir, &["--state", &demo()]);
    let id = write_in_every_family(&server);
    let (status, health) = server.get("/healthz", &[]);
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(json(&health), serde_json::json!({"status": "ok", "durable": true}));
    assert!(server.terminate().success());
    // Started again, with --state too: the saved state wins over the file.
    let server = with_data_dir(&dir, &["--state", &demo()]);
    assert_every_write_is_there(&server, &id);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_saved_state_exports_in_the_state_format_from_the_server_and_the_command() {
    let dir = temp_dir("durable-export");
    let server = with_data_dir(&dir, &["--state", &demo()]);
    let id = write_in_every_family(&server);
    let (status, body) = server.get("/admin/state", &[BOB]);
    assert!(status.contains(" 403 "), "bob is not an admin: {status} {body}");
    let (status, _) = server.get("/admin/state", &[]);
    assert!(status.contains(" 401 "), "{status}");
    let (status, exported) = server.get("/admin/state", &[ALICE]);
    assert!(status.contains(" 200 "), "{status}");
    let from_server: State = serde_json::from_str(&exported).expect("the --state format");
    assert!(from_server.glance.images().any(|i| i.id == id));
    assert!(server.terminate().success());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_imagespec-server"))
        .args(["export", "--from", dir.to_str().expect("utf-8 path")])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let from_command: State = serde_json::from_slice(&out.stdout).expect("the --state format");
    assert_eq!(from_command, from_server, "the stopped directory holds what the server served");
    // The export loads as a state file into a fresh in-memory server.
    let file = dir.join("exported.json");
    std::fs::write(&file, &out.stdout).expect("writes");
    let fresh = spawn(&["--state", file.to_str().expect("utf-8 path")]);
    let (status, _) = fresh.get(&format!("/v2/images/{id}"), &[BOB]);
    assert!(status.contains(" 200 "), "{status}");
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_imagespec-server"))
        .args(["export", "--from", temp_dir("durable-empty").to_str().expect("utf-8 path")])
        .output()
        .expect("runs");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("holds no saved state"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kill_9_in_the_middle_of_a_write_load_loses_no_acknowledged_write() {
    let dir = temp_dir("durable-kill");
    let server = with_data_dir(&dir, &[]);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let base = server.base.clone();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (acknowledged, stop, base) = (acknowledged.clone(), stop.clone(), base.clone());
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let name = format!("load-{w}-{i}");
                    let body = format!(r#"{{"name": "{name}", "tags": ["t{i}"]}}"#);
                    match Spawned::send_at(
                        &base,
                        "POST",
                        "/v2/images",
                        &[BOB, JSON],
                        body.as_bytes(),
                    ) {
                        Ok((status, _)) if status.contains(" 201 ") => {
                            acknowledged.lock().expect("lock").push(name)
                        }
                        Ok((status, body)) => panic!("{status} {body}"),
                        // The server was killed: this write was never acknowledged.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // Let the load run, then kill the server in the middle of it.
    while acknowledged.lock().expect("lock").len() < 200 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(server); // SIGKILL
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.join().expect("a writer panicked");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let server = with_data_dir(&dir, &[]);
    let mut listed = Vec::new();
    let mut page = "/v2/images?limit=100".to_owned();
    loop {
        let (status, body) = server.get(&page, &[ALICE]);
        assert!(status.contains(" 200 "), "{status}");
        let body = json(&body);
        for image in body["images"].as_array().expect("images") {
            // Each saved image is whole: its tag came with it.
            assert_eq!(image["tags"].as_array().map(Vec::len), Some(1), "{image}");
            listed.push(image["name"].as_str().unwrap_or_default().to_owned());
        }
        match body["next"].as_str() {
            Some(next) => page = next.to_owned(),
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "no image twice");
    assert!(acknowledged.len() >= 200);
    for name in &acknowledged {
        assert!(unique.contains(name), "{name} was acknowledged and is gone after kill -9");
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

//! The server binary as users run it: `--port 0`, `--state`, `--credentials`, SIGTERM.

use crate::support::{root, spawn};

#[test]
fn serves_the_demo_state_and_stops_cleanly_on_sigterm() {
    let state = root().join("server/demo/state.json");
    let server = spawn(&["--state", state.to_str().expect("utf-8 path")]);
    let (status, body) = server.get("/v5/imagecaches", &[("X-Auth-Token", "alice-token")]);
    assert!(status.contains(" 200 "), "{status}");
    assert!(body.contains("test-imagecache") && body.contains("\"Failed\""), "{body}");
    let (_, bobs) = server.get("/v5/imagecaches", &[("X-Auth-Token", "bob-token")]);
    assert!(bobs.contains("bobs-cache") && !bobs.contains("test-imagecache"), "{bobs}");
    let (status, images) = server.get("/v2/images", &[("X-Auth-Token", "carol-token")]);
    assert!(status.contains(" 200 "), "{status}");
    for (name, listed) in [
        ("cirros-0.6.2-x86_64", true),
        ("bobs-build-base", true),
        ("carols-private-scratch", true),
        ("debian-12-genericcloud", false),
    ] {
        assert_eq!(images.contains(name), listed, "{name} in carol's default list: {images}");
    }
    let repo =
        "/api/v2/databases/tutorial_db/schemas/data_schema/image-repositories/tutorial_repository";
    let alice = [("Authorization", "Bearer alice-snowflake-token")];
    let (status, listed) = server.get(&format!("{repo}/images"), &alice);
    assert!(status.contains(" 200 "), "{status}");
    assert!(listed.contains("my_echo_service_image") && listed.contains("\"v1\""), "{listed}");
    let (status, _) = server.get(repo, &[("Authorization", "Bearer bob-snowflake-token")]);
    assert!(status.contains(" 404 "), "bob is in another account: {status}");
    let exit = server.terminate();
    assert!(exit.success(), "the server exited with {exit}");
}

#[test]
fn a_credentials_file_replaces_the_development_set() {
    let dir = std::env::temp_dir().join(format!("imagespec-creds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("credentials.toml");
    std::fs::write(
        &file,
        "[[principal]]\nname = \"carol\"\nproject_id = \"p-carol\"\ntokens = [\"carol-token\"]\n",
    )
    .expect("writes");
    let server = spawn(&["--credentials", file.to_str().expect("utf-8 path")]);
    let (carol, _) = server.get("/v5/imagecaches", &[("X-Auth-Token", "carol-token")]);
    let (alice, body) = server.get("/v5/imagecaches", &[("X-Auth-Token", "alice-token")]);
    assert!(carol.contains(" 200 "), "{carol}");
    assert!(alice.contains(" 401 ") && body.contains("APIGW.0301"), "{alice} {body}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_swr_region_gets_its_own_address() {
    let server = spawn(&["--swr-regions", "ap-southeast-1,eu-west-101,la-south-2"]);
    let ids: Vec<&str> = server.swr_regions.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(ids, ["ap-southeast-1", "eu-west-101", "la-south-2"]);
    assert_eq!(server.swr_regions[0].1, server.base, "the home region is the main address");
    let token = [("X-Auth-Token", "alice-token")];
    for (region, url) in &server.swr_regions {
        let other = crate::support::Spawned::get_at(url, "/v2/manage/regions", &token);
        assert!(other.0.contains(" 200 "), "{region}: {other:?}");
        assert!(!other.1.contains(&format!("\"{region}\"")), "{region} lists itself: {}", other.1);
        assert_eq!(other.1.matches("regionID").count(), 2, "{region}: {}", other.1);
    }
    // The other regions serve SWR only.
    let (status, _) =
        crate::support::Spawned::get_at(&server.swr_regions[1].1, "/v2/images", &token);
    assert!(status.contains(" 404 "), "{status}");
    let exit = server.terminate();
    assert!(exit.success(), "the server exited with {exit}");
}

#[test]
fn bad_swr_region_lists_stop_the_server_with_a_message() {
    for regions in ["cn-north-4,cn-north-4", "Bad_Region", ""] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_imagespec-server"))
            .args(["--port", "0", "--swr-regions", regions])
            .output()
            .expect("the binary runs");
        assert!(!out.status.success(), "{regions}: the server started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("region"), "{regions}: {stderr}");
    }
}

#[test]
fn the_snowflake_async_flag_defers_every_operation() {
    let server = spawn(&["--snowflake-async", "--snowflake-page-size", "1"]);
    let alice = [("Authorization", "Bearer alice-snowflake-token")];
    let (status, body) = server.get("/api/v2/databases", &alice);
    assert!(status.contains(" 202 "), "{status}");
    assert!(body.contains("\"resultHandler\"") && body.contains("392604"), "{body}");
    let sync = [alice[0], ("X-Imagespec-Async", "false")];
    let (status, body) = server.get("/api/v2/databases", &sync);
    assert!(status.contains(" 200 ") && body.trim() == "[]", "{status} {body}");
}

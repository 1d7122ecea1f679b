//! `--ready-file`: the addresses tools read, written once every one answers, and the same
//! addresses in the human banner.

use std::time::Duration;

use imagespec_harness::Options;

#[test]
fn the_ready_file_and_the_banner_list_the_same_addresses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let banner = dir.path().join("banner");
    let mut server = Options::new(env!("CARGO_BIN_EXE_imagespec-server"))
        .args(["--swr-regions", "cn-north-4,cn-east-3"])
        .stdout(std::fs::File::create(&banner).expect("a file"))
        .start()
        .expect("the server starts");
    let regions = server.swr_regions().to_vec();
    let ids: Vec<&str> = regions.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["cn-north-4", "cn-east-3"]);
    assert_eq!(regions[0].1, server.base(), "the home region is the main address");
    let east = server.swr_region("cn-east-3").expect("cn-east-3").to_owned();
    for url in [server.base(), &east] {
        let token = [("X-Auth-Token", "alice-token")];
        let (status, _) = crate::support::Spawned::get_at(url, "/v2/manage/regions", &token);
        assert!(status.contains(" 200 "), "{url}: {status}");
    }
    assert!(server.terminate(Duration::from_secs(10)).expect("stops").success());
    let text = std::fs::read_to_string(&banner).expect("the banner");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(format!("imagespec-server listening on {}", server.base())).as_deref()
    );
    for (id, url) in &regions {
        assert!(text.contains(&format!("\n  SWR region {id}: {url}\n")), "{text}");
    }
    assert!(text.contains("\n  live families: "), "{text}");
}

#[test]
fn a_server_that_cannot_start_is_reported_with_its_exit_status() {
    let err = Options::new(env!("CARGO_BIN_EXE_imagespec-server"))
        .args(["--swr-regions", "Bad_Region"])
        .start()
        .expect_err("a bad region id");
    assert!(matches!(err, imagespec_harness::Error::Exited(s) if !s.success()), "{err}");
}

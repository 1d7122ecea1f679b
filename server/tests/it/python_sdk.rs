//! The Huawei Cloud Python SDK (huaweicloudsdkcce and huaweicloudsdkswr, pinned in
//! `server/tests/python/requirements.txt`) drives a spawned server unmodified: for CCE create,
//! list, show, delete and its error handling; for SWR the seed's cross-region sync through each
//! region's own endpoint, `override`, jobs, rules and every documented error.

use std::process::Command;

use crate::support::{required_tool, root, spawn};

#[test]
fn huaweicloudsdkcce_works_against_the_server_unmodified() {
    let python = required_tool("IMAGESPEC_PYTHON", root().join("target/py/bin/python"));
    let server = spawn(&[]);
    let output = Command::new(python)
        .arg(root().join("server/tests/python/cce_sdk.py"))
        .arg(&server.base)
        .output()
        .expect("python starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the SDK run failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" passed, 0 failed"), "unexpected SDK output:\n{stdout}");
}

#[test]
fn huaweicloudsdkswr_syncs_between_regions_unmodified() {
    let python = required_tool("IMAGESPEC_PYTHON", root().join("target/py/bin/python"));
    let server = spawn(&[]);
    let region = |id: &str| {
        server.swr_regions.iter().find(|(r, _)| r == id).map(|(_, url)| url.clone()).unwrap_or_else(
            || panic!("the banner lists no SWR region {id}: {:?}", server.swr_regions),
        )
    };
    assert_eq!(region("cn-north-4"), server.base, "the home region is the main address");
    let output = Command::new(python)
        .arg(root().join("server/tests/python/swr_sdk.py"))
        .arg(region("cn-north-4"))
        .arg(region("cn-east-3"))
        .output()
        .expect("python starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the SDK run failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" passed, 0 failed"), "unexpected SDK output:\n{stdout}");
}

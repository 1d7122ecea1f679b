//! The Huawei Cloud Python SDK (huaweicloudsdkcce, pinned in `server/tests/python/requirements.txt`)
//! drives a spawned server unmodified: create, list, show, delete, and its error handling.

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

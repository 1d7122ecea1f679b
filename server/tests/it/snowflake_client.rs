//! snowflake-core (pinned in `server/tests/python/snowflake-requirements.txt`) drives a spawned
//! server unmodified: containers, the five operations, like, every createMode, ifExists, 404,
//! 409, tenancy, the 202 polling path and Link paging.

use std::process::Command;

use crate::support::{required_tool, root, spawn};

#[test]
fn snowflake_core_works_against_the_server_unmodified() {
    let python =
        required_tool("IMAGESPEC_SNOWFLAKE_PYTHON", root().join("target/py-snowflake/bin/python"));
    let server = spawn(&[]);
    let output = Command::new(python)
        .arg(root().join("server/tests/python/snowflake_core.py"))
        .arg(&server.base)
        .output()
        .expect("python starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the snowflake-core run failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" passed, 0 failed"), "unexpected snowflake-core output:\n{stdout}");
}

//! python-glanceclient and openstacksdk (pinned in `server/tests/python/openstack-requirements.txt`)
//! drive a spawned server's Glance images v2 unmodified: create, upload, download, paging,
//! filters, sort, update, tags, tenancy, errors, deactivation and delete.

use std::process::Command;

use crate::support::{required_tool, root, spawn};

#[test]
fn glanceclient_and_openstacksdk_work_against_the_server_unmodified() {
    let python =
        required_tool("IMAGESPEC_OPENSTACK_PYTHON", root().join("target/py-openstack/bin/python"));
    let server = spawn(&[]);
    // bob and carol (server/demo/credentials.toml) are members of two different projects.
    let output = Command::new(python)
        .arg(root().join("server/tests/python/glance_clients.py"))
        .args([server.base.as_str(), "bob-token", "carol-token"])
        .output()
        .expect("python starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the client run failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" passed, 0 failed"), "unexpected client output:\n{stdout}");
}

//! The CLI's contract: documented exit codes, and exit 2 (never a panic) when a run cannot be done.

use std::process::Command;

fn cli(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_imagespec-conformance"))
        .args(args)
        .output()
        .expect("runs");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[test]
fn help_documents_the_exit_codes() {
    let (code, text) = cli(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(
        text.contains("Exit codes: 0 conformant") && text.contains("2 the run could not be done"),
        "{text}"
    );
}

#[test]
fn runs_that_cannot_be_done_exit_2() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    for args in [
        vec!["--base-url", closed.as_str(), "--token", "cce=t"],
        vec!["--base-url", closed.as_str(), "--family", "nope"],
        vec!["--base-url", closed.as_str(), "--token", "no-equals-sign"],
        vec!["--family", "cce"],
    ] {
        let (code, text) = cli(&args);
        assert_eq!(code, Some(2), "{args:?}: {text}");
        assert!(!text.contains("panicked"), "{text}");
    }
}

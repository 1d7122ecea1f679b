//! Test helpers: the app in-process (no sockets) with a manual clock, and the server binary
//! spawned on a free loopback port for real clients and browsers.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use imagespec_server::{
    auth::Credentials,
    store::{ManualClock, State, Store},
};
use poem::{Endpoint, EndpointExt, test::TestClient};
use time::OffsetDateTime;

/// The app over a fresh store whose clock only moves when the test says so.
pub fn in_process() -> (TestClient<impl Endpoint>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let store = Store::new(State::default(), clock.clone());
    let app = imagespec_server::app(store, Arc::new(Credentials::development())).map_to_response();
    (TestClient::new(app), clock)
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("server/ has a parent").to_path_buf()
}

/// A server process on a free port, killed when dropped.
pub struct Spawned {
    child: Child,
    pub base: String,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `imagespec-server --port 0` with `args` and waits for its address.
pub fn spawn(args: &[&str]) -> Spawned {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imagespec-server"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).expect("the server prints its address");
    // Keep draining the banner so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let base = line.trim().rsplit(' ').next().expect("address at the end of the line").to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "unexpected banner: {line}");
    Spawned { child, base }
}

/// A tool the test command installs (`cargo xtask ci`); its absence is a failure, not a skip.
pub fn required_tool(env: &str, default: PathBuf) -> PathBuf {
    let path = std::env::var_os(env).map(PathBuf::from).unwrap_or(default);
    assert!(
        path.exists(),
        "{} not found: run `cargo xtask ci` (the README's test command) once to install it, or set {env}",
        path.display()
    );
    path
}

//! Test helpers: the app in-process (no sockets) with a manual clock, and the server binary
//! spawned on a free loopback port for real clients and browsers.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use imagespec_server::{
    auth::Credentials,
    store::{ManualClock, State, Store},
};
use poem::{Endpoint, EndpointExt, test::TestClient};
use time::OffsetDateTime;

/// The app over a fresh store whose clock only moves when the test says so.
pub fn in_process() -> (TestClient<impl Endpoint>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let store = Store::new(State::default(), clock.clone()).expect("temp dir");
    let app = imagespec_server::app(store, Arc::new(Credentials::development())).map_to_response();
    (TestClient::new(app), clock)
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("server/ has a parent").to_path_buf()
}

/// A server process on a free port, killed when dropped.
pub struct Spawned {
    server: imagespec_harness::Server,
    pub base: String,
    /// Each SWR region and its address, as the ready file lists them (the home region first).
    pub swr_regions: Vec<(String, String)>,
}

impl Spawned {
    /// Sends SIGTERM and waits (up to 10 s) for the process to exit on its own.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        match self.server.terminate(Duration::from_secs(10)) {
            Ok(status) => status,
            Err(e) => panic!("the server did not stop within 10 s of SIGTERM: {e}"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.server.pid()
    }

    /// A plain HTTP/1.1 GET over loopback: (status line, body).
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> (String, String) {
        Self::get_at(&self.base, path, headers)
    }

    /// The same GET against another of the server's addresses (`http://127.0.0.1:PORT`).
    pub fn get_at(base: &str, path: &str, headers: &[(&str, &str)]) -> (String, String) {
        Self::send_at(base, "GET", path, headers, b"").expect("the server answers")
    }

    /// Any request with a body (`Content-Length` is added): (status line, body), or the I/O
    /// error when the server is gone.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<(String, String)> {
        Self::send_at(&self.base, method, path, headers, body)
    }

    /// [`Spawned::send`] to an address, from a thread that does not own the server.
    pub fn send_at(
        base: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<(String, String)> {
        use std::io::{Read, Write};
        let addr = base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr)?;
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method != "GET" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes())?;
        stream.write_all(body)?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        let answer = String::from_utf8_lossy(&answer);
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        if head.is_empty() {
            return Err(std::io::Error::other("the connection closed without an answer"));
        }
        Ok((head.lines().next().unwrap_or_default().to_owned(), body.to_owned()))
    }
}

/// Starts `imagespec-server --port 0` with `args` and waits for its addresses.
pub fn spawn(args: &[&str]) -> Spawned {
    spawn_logging(args, Stdio::null())
}

/// [`spawn`], with the server's log (its stderr) going to `log`.
pub fn spawn_logging(args: &[&str], log: impl Into<Stdio>) -> Spawned {
    let server = imagespec_harness::Options::new(env!("CARGO_BIN_EXE_imagespec-server"))
        .args(args)
        .log(log)
        .start()
        .unwrap_or_else(|e| panic!("the server starts: {e}"));
    let base = server.base().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "unexpected address: {base}");
    let swr_regions = server.swr_regions().to_vec();
    Spawned { server, base, swr_regions }
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

//! Starts `imagespec-server` for tests and tools: its options, the wait for its ready file, its
//! addresses, and the process killed when the handle is dropped.
//!
//! The server writes every address it serves to `--ready-file` once each of them answers; the
//! human banner on stdout is for people and is not read here.
//!
//! ```no_run
//! let server = imagespec_harness::Options::new("target/debug/imagespec-server")
//!     .state("server/demo/state.json")
//!     .start()?;
//! println!("Glance at {}, SWR cn-east-3 at {:?}", server.base(), server.swr_region("cn-east-3"));
//! # Ok::<(), imagespec_harness::Error>(())
//! ```

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How often the ready file and the process are looked at while starting or stopping.
const POLL: Duration = Duration::from_millis(5);

/// What went wrong starting or stopping a server.
#[derive(Debug)]
pub enum Error {
    /// The binary could not be started.
    Spawn { bin: PathBuf, source: std::io::Error },
    /// The server exited before it was ready (a bad flag or file; its log says why).
    Exited(ExitStatus),
    /// The server was not ready within the timeout; it has been killed.
    NotReady(Duration),
    /// The ready file is not what the server writes.
    ReadyFile(String),
    /// The server was still running this long after SIGTERM.
    StillRunning(Duration),
    /// Creating the ready file's directory, sending a signal or waiting failed.
    Io(std::io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Spawn { bin, source } => write!(f, "starting {}: {source}", bin.display()),
            Self::Exited(status) => {
                write!(f, "imagespec-server exited before it was ready: {status}")
            }
            Self::NotReady(t) => write!(f, "imagespec-server was not ready within {t:?}"),
            Self::ReadyFile(why) => write!(f, "imagespec-server's ready file: {why}"),
            Self::StillRunning(t) => write!(f, "imagespec-server still ran {t:?} after SIGTERM"),
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Spawn { source, .. } | Self::Io(source) => Some(source),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// How to start the server: by default on a free loopback port, empty, with the development
/// credentials, its banner and log discarded.
pub struct Options {
    bin: PathBuf,
    port: u16,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdout: Stdio,
    log: Stdio,
    timeout: Duration,
}

impl Options {
    /// The server binary at `bin` (e.g. `env!("CARGO_BIN_EXE_imagespec-server")`).
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        Self {
            bin: bin.into(),
            port: 0,
            args: Vec::new(),
            env: Vec::new(),
            stdout: Stdio::null(),
            log: Stdio::null(),
            timeout: Duration::from_secs(60),
        }
    }

    /// The main port; 0 (the default) picks free ports for it and every other SWR region.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// `--state FILE`: every family's initial state.
    pub fn state(self, file: impl AsRef<Path>) -> Self {
        self.arg("--state").arg(file.as_ref())
    }

    /// `--credentials FILE`, instead of the development set.
    pub fn credentials(self, file: impl AsRef<Path>) -> Self {
        self.arg("--credentials").arg(file.as_ref())
    }

    /// `--data-dir DIR`: the state kept across restarts.
    pub fn data_dir(self, dir: impl AsRef<Path>) -> Self {
        self.arg("--data-dir").arg(dir.as_ref())
    }

    /// Any other flag or value, in order.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// [`Options::arg`] for each of `args`.
    pub fn args(self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Self {
        args.into_iter().fold(self, Self::arg)
    }

    /// An environment variable of the server's process (it inherits the rest).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Where the log (the server's stderr) goes, e.g. a `File`.
    pub fn log(mut self, to: impl Into<Stdio>) -> Self {
        self.log = to.into();
        self
    }

    /// Where the banner (the server's stdout) goes.
    pub fn stdout(mut self, to: impl Into<Stdio>) -> Self {
        self.stdout = to.into();
        self
    }

    /// How long the server may take to be ready (60 s by default).
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Starts the server and returns once every address answers.
    pub fn start(self) -> Result<Server, Error> {
        // The ready file's directory is removed when this returns, ready or not.
        let dir = tempfile::Builder::new().prefix("imagespec-harness-").tempdir()?;
        let ready = dir.path().join("ready.json");
        let child = Command::new(&self.bin)
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--ready-file")
            .arg(&ready)
            .args(&self.args)
            .envs(self.env)
            .stdin(Stdio::null())
            .stdout(self.stdout)
            .stderr(self.log)
            .spawn()
            .map_err(|source| Error::Spawn { bin: self.bin.clone(), source })?;
        // Killed on drop from here on, should it never get ready.
        let mut server = Server { child, base: String::new(), swr_regions: Vec::new() };
        let text = server.wait_for(&ready, self.timeout)?;
        (server.base, server.swr_regions) = parse_ready(&text)?;
        Ok(server)
    }
}

/// The ready file's addresses: the base URL and each SWR region's, the home region first.
fn parse_ready(text: &str) -> Result<(String, Vec<(String, String)>), Error> {
    let bad = |why: &str| Error::ReadyFile(format!("{why}: {text}"));
    let ready: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let base = ready["base"].as_str().ok_or_else(|| bad("no base"))?.to_owned();
    let regions = ready["swr_regions"].as_array().ok_or_else(|| bad("no swr_regions"))?;
    let regions = regions
        .iter()
        .map(|r| match (r["id"].as_str(), r["url"].as_str()) {
            (Some(id), Some(url)) => Ok((id.to_owned(), url.to_owned())),
            _ => Err(bad("a region without id or url")),
        })
        .collect::<Result<_, _>>()?;
    Ok((base, regions))
}

/// A running server, killed (and waited for) when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    base: String,
    swr_regions: Vec<(String, String)>,
}

impl Server {
    /// The main address, `http://HOST:PORT`: every family, the docs and `/admin/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Each SWR region's id and address, the home region (served at [`Server::base`]) first.
    pub fn swr_regions(&self) -> &[(String, String)] {
        &self.swr_regions
    }

    /// The address of SWR region `id`, if it is served.
    pub fn swr_region(&self, id: &str) -> Option<&str> {
        self.swr_regions.iter().find(|(r, _)| r == id).map(|(_, url)| url.as_str())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits up to `within` for the server to finish its requests and exit.
    /// A server that has already exited gets no signal, only its status returned.
    pub fn terminate(&mut self, within: Duration) -> Result<ExitStatus, Error> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        // Not reaped yet, so the pid is still this process's, even if it has just exited.
        self.signal("-TERM")?;
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(POLL);
        }
        Err(Error::StillRunning(within))
    }

    /// Sends SIGKILL (nothing is flushed) and waits for the process to be gone.
    pub fn kill(&mut self) -> Result<ExitStatus, Error> {
        self.child.kill()?;
        Ok(self.child.wait()?)
    }

    /// The exit status, if the server has exited.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, Error> {
        Ok(self.child.try_wait()?)
    }

    /// `kill SIGNAL PID`: std sends SIGKILL only.
    fn signal(&self, signal: &str) -> Result<(), Error> {
        let sent = Command::new("kill").args([signal, &self.pid().to_string()]).status()?;
        if sent.success() {
            Ok(())
        } else {
            Err(Error::Io(std::io::Error::other(format!("kill {signal} answered {sent}"))))
        }
    }

    /// The ready file's text once it appears; an error if the process exits or time runs out.
    fn wait_for(&mut self, ready: &Path, timeout: Duration) -> Result<String, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            // The server renames the file into place, so once it exists it is whole.
            match std::fs::read_to_string(ready) {
                Ok(text) => return Ok(text),
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                Err(_) => {}
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(Error::Exited(status));
            }
            if Instant::now() >= deadline {
                return Err(Error::NotReady(timeout));
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

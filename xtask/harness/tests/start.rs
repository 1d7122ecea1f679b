//! The harness against a stand-in server (a shell script that answers the flags the way
//! imagespec-server does), so these tests need no server build.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use imagespec_harness::{Error, Options};

/// The stand-in: records its pid, flags, `FAKE_ENV` and ready-file path in `$FAKE_RECORD`,
/// then does what `$FAKE_MODE` says.
const FAKE: &str = r#"#!/bin/sh
echo "pid $$" >> "$FAKE_RECORD"
echo "env $FAKE_ENV" >> "$FAKE_RECORD"
while [ $# -gt 0 ]; do
  echo "arg $1" >> "$FAKE_RECORD"
  [ "$1" = --ready-file ] && ready="$2"
  shift
done
echo "ready $ready" >> "$FAKE_RECORD"
# Signals are set up before the ready file appears, as the server does.
[ "$FAKE_MODE" = trap ] && trap 'kill $! 2>/dev/null; exit 0' TERM
[ "$FAKE_MODE" = deaf ] && trap '' TERM
case "$FAKE_MODE" in
  exit) echo "bad flag" >&2; exit 3 ;;
  never) exec sleep 60 ;;
  garbled) echo '{"base": 1}' > "$ready.partial" ;;
  *) echo '{"base":"http://127.0.0.1:7","swr_regions":[{"id":"cn-north-4","url":"http://127.0.0.1:7"},{"id":"cn-east-3","url":"http://127.0.0.1:8"}]}' > "$ready.partial" ;;
esac
mv "$ready.partial" "$ready"
echo "imagespec-server listening on http://127.0.0.1:7"
[ "$FAKE_MODE" = trap ] && { sleep 60 & wait; }
exec sleep 60
"#;

/// The stand-in's path, written once per test run: a script written while another thread
/// spawns a process can fail to start ("text file busy"), so it is written before any spawn.
fn fake_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fake-imagespec-server");
        let partial = bin.with_extension("partial");
        std::fs::write(&partial, FAKE).expect("writes the stand-in");
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::rename(&partial, &bin).expect("renames the stand-in");
        bin
    })
}

/// One test's run of the stand-in, its record in a directory of its own.
struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    fn new() -> Self {
        fake_bin();
        Self { dir: tempfile::tempdir().expect("temp dir") }
    }

    fn options(&self, mode: &str) -> Options {
        Options::new(fake_bin()).env("FAKE_MODE", mode).env("FAKE_RECORD", self.record_path())
    }

    fn record_path(&self) -> PathBuf {
        self.dir.path().join("record")
    }

    /// The recorded lines starting with `key `, without it.
    fn recorded(&self, key: &str) -> Vec<String> {
        let text = std::fs::read_to_string(self.record_path()).unwrap_or_default();
        let prefix = format!("{key} ");
        text.lines().filter_map(|l| l.strip_prefix(&prefix)).map(str::to_owned).collect()
    }

    fn pid(&self) -> String {
        self.recorded("pid").pop().expect("the stand-in ran")
    }
}

fn alive(pid: &str) -> bool {
    let status = std::process::Command::new("kill")
        .args(["-0", pid])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("kill runs");
    status.success()
}

#[test]
fn the_addresses_come_from_the_ready_file_and_its_directory_is_removed() {
    let fake = Fake::new();
    let server = fake
        .options("ready")
        .state("demo/state.json")
        .credentials("creds.toml")
        .args(["--fault", "glance:*:503=1"])
        .env("FAKE_ENV", "passed")
        .start()
        .expect("ready");
    assert_eq!(server.base(), "http://127.0.0.1:7");
    let ids: Vec<&str> = server.swr_regions().iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["cn-north-4", "cn-east-3"]);
    assert_eq!(server.swr_region("cn-east-3"), Some("http://127.0.0.1:8"));
    assert_eq!(server.swr_region("la-south-2"), None);
    let ready = PathBuf::from(fake.recorded("ready").pop().expect("a ready file path"));
    let args = fake.recorded("arg");
    let expected = ["--port", "0", "--ready-file", ready.to_str().expect("utf-8")]
        .into_iter()
        .chain(["--state", "demo/state.json", "--credentials", "creds.toml"])
        .chain(["--fault", "glance:*:503=1"]);
    assert!(args.iter().map(String::as_str).eq(expected), "{args:?}");
    assert_eq!(fake.recorded("env"), ["passed"]);
    let dir = ready.parent().expect("a directory");
    assert!(!dir.exists(), "{} was left behind", dir.display());
    assert_eq!(server.pid().to_string(), fake.pid());
}

#[test]
fn a_server_that_exits_before_it_is_ready_is_an_error_with_its_status() {
    let fake = Fake::new();
    let log = fake.dir.path().join("log");
    let file = std::fs::File::create(&log).expect("a log file");
    let err = fake.options("exit").log(file).start().expect_err("not ready");
    assert!(matches!(&err, Error::Exited(s) if s.code() == Some(3)), "{err}");
    assert_eq!(std::fs::read_to_string(&log).expect("the log"), "bad flag\n");
    assert_gone(&fake);
}

#[test]
fn a_server_never_ready_is_killed_after_the_timeout() {
    let fake = Fake::new();
    let err = fake
        .options("never")
        .ready_timeout(Duration::from_millis(300))
        .start()
        .expect_err("not ready");
    assert!(matches!(err, Error::NotReady(t) if t == Duration::from_millis(300)), "{err}");
    assert!(!alive(&fake.pid()), "the process outlived the failed start");
    assert_gone(&fake);
}

#[test]
fn a_garbled_ready_file_is_an_error_and_the_process_is_killed() {
    let fake = Fake::new();
    let err = fake.options("garbled").start().expect_err("not ready");
    assert!(matches!(&err, Error::ReadyFile(why) if why.contains("no base")), "{err}");
    assert!(!alive(&fake.pid()));
}

#[test]
fn dropping_the_handle_kills_the_server() {
    let fake = Fake::new();
    let server = fake.options("ready").start().expect("ready");
    let pid = server.pid().to_string();
    assert!(alive(&pid));
    drop(server);
    assert!(!alive(&pid), "the server outlived its handle");
}

#[test]
fn terminate_sends_sigterm_and_returns_the_exit_status() {
    let fake = Fake::new();
    let mut server = fake.options("trap").start().expect("ready");
    let status = server.terminate(Duration::from_secs(10)).expect("stopped");
    assert!(status.success(), "{status}");
    let mut deaf = fake.options("deaf").start().expect("ready");
    let err = deaf.terminate(Duration::from_millis(200)).expect_err("SIGTERM is ignored");
    assert!(matches!(err, Error::StillRunning(_)), "{err}");
    let pid = deaf.pid().to_string();
    drop(deaf);
    assert!(!alive(&pid), "dropping the handle kills what SIGTERM did not stop");
}

#[test]
fn the_banner_can_be_kept() {
    let fake = Fake::new();
    let out = fake.dir.path().join("stdout");
    let file = std::fs::File::create(&out).expect("a file");
    let mut server = fake.options("trap").stdout(file).start().expect("ready");
    server.terminate(Duration::from_secs(10)).expect("stopped");
    let banner = std::fs::read_to_string(&out).expect("the banner");
    assert_eq!(banner, "imagespec-server listening on http://127.0.0.1:7\n");
}

/// The ready file's directory is gone after a failed start too.
fn assert_gone(fake: &Fake) {
    let ready = fake.recorded("ready").pop().expect("a ready file path");
    let dir = Path::new(&ready).parent().expect("a directory");
    assert!(!dir.exists(), "{} was left behind", dir.display());
}

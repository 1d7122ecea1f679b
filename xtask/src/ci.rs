//! `cargo xtask ci`, the README's test command: install what the tests need on a fresh machine
//! (Debian's Chromium, three Python venvs with the pinned clients), then run every check.
//!
//! Order: installs → `cargo fmt --check` → `cargo clippy` (warnings are errors) →
//! `cargo test --workspace --locked` → the benchmarks'
//! smoke runs (`--bench glance_list`, `cargo xtask fuzz --smoke` (the fuzz campaign, small),
//! `cargo xtask soak --smoke` (the sustained load run, 60 s),
//! `cargo xtask bench --smoke`, which installs wrk, real
//! Glance, Prism and Schemathesis under `target/bench/`) → the conformance
//! CLI against a freshly started server for every live family. The venvs are separate because
//! their pins must not mix: `target/py` holds the Huawei Cloud SDK
//! (`server/tests/python/requirements.txt`, which must stay without python-dateutil) and
//! `target/py-openstack` holds python-glanceclient and openstacksdk
//! (`server/tests/python/openstack-requirements.txt`), and `target/py-snowflake` holds
//! snowflake-core (`server/tests/python/snowflake-requirements.txt`). The tests that need
//! Chromium or a venv find them through `IMAGESPEC_CHROMIUM`, `IMAGESPEC_PYTHON`,
//! `IMAGESPEC_OPENSTACK_PYTHON` and `IMAGESPEC_SNOWFLAKE_PYTHON`, and fail (never skip) when
//! they are missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::util::{apt_install, cargo, project_root, run_step};

const CHROMIUM: &str = "/usr/bin/chromium";
/// The Huawei Cloud SDK, for server/tests/python/cce_sdk.py.
const HUAWEI_REQUIREMENTS: &str = "server/tests/python/requirements.txt";
/// python-glanceclient and openstacksdk, for server/tests/python/glance_clients.py.
const OPENSTACK_REQUIREMENTS: &str = "server/tests/python/openstack-requirements.txt";
/// snowflake-core, for server/tests/python/snowflake_core.py.
const SNOWFLAKE_REQUIREMENTS: &str = "server/tests/python/snowflake-requirements.txt";

pub fn run() -> Result<()> {
    let root = project_root();
    ensure_chromium()?;
    let python = ensure_venv(&root, "target/py", HUAWEI_REQUIREMENTS)?;
    let openstack_python = ensure_venv(&root, "target/py-openstack", OPENSTACK_REQUIREMENTS)?;
    let snowflake_python = ensure_venv(&root, "target/py-snowflake", SNOWFLAKE_REQUIREMENTS)?;
    step(
        "cargo fmt --all --check",
        Command::new(cargo()).args(["fmt", "--all", "--check"]).current_dir(&root),
    )?;
    step(
        "cargo clippy --workspace --all-targets --locked -- -D warnings",
        Command::new(cargo())
            .args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"])
            .current_dir(&root),
    )?;
    step(
        "cargo test --workspace --locked",
        Command::new(cargo())
            .args(["test", "--workspace", "--locked"])
            .env("IMAGESPEC_PYTHON", &python)
            .env("IMAGESPEC_OPENSTACK_PYTHON", &openstack_python)
            .env("IMAGESPEC_SNOWFLAKE_PYTHON", &snowflake_python)
            .env("IMAGESPEC_CHROMIUM", CHROMIUM)
            .current_dir(&root),
    )?;
    // The benchmark's smoke version: proves `cargo bench` works, judges no time.
    step(
        "cargo test -p imagespec-server --bench glance_list --locked",
        Command::new(cargo())
            .args(["test", "-p", "imagespec-server", "--bench", "glance_list", "--locked"])
            .current_dir(&root),
    )?;
    // The fuzz campaign's smoke version: a few thousand requests over every family, no 5xx.
    step(
        "cargo xtask fuzz --smoke",
        Command::new(cargo()).args(["xtask", "fuzz", "--smoke"]).current_dir(&root),
    )?;
    // The sustained load run's smoke version: 60 s of every family at once, memory flat after
    // the warm-up, every answer the one expected.
    step(
        "cargo xtask soak --smoke",
        Command::new(cargo()).args(["xtask", "soak", "--smoke"]).current_dir(&root),
    )?;
    // The side-by-side benchmark's smoke version: every step briefly, output under target/bench.
    step(
        "cargo xtask bench --smoke",
        Command::new(cargo()).args(["xtask", "bench", "--smoke"]).current_dir(&root),
    )?;
    self_test(&root)?;
    eprintln!("ci: every check passed");
    Ok(())
}

fn ensure_chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    eprintln!("ci: installing Debian's chromium for the Swagger UI test");
    apt_install("ci", &["chromium"])
}

/// A venv at `dir` with the clients pinned in `requirements` (both relative to `root`);
/// returns its python. Reinstalled when the requirements file changes (a stamp file in the venv
/// holds the text it was installed from).
fn ensure_venv(root: &Path, dir: &str, requirements: &str) -> Result<PathBuf> {
    let venv = root.join(dir);
    let python = venv.join("bin/python");
    let wanted = std::fs::read_to_string(root.join(requirements))
        .with_context(|| format!("reading {requirements}"))?;
    let stamp = venv.join("requirements.installed");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    eprintln!("ci: creating the Python venv at {dir}");
    step(
        &format!("python3 -m venv --clear {dir}"),
        Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv),
    )?;
    step(
        &format!("pip install -r {requirements}"),
        Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r"])
            .arg(root.join(requirements)),
    )?;
    std::fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(python)
}

fn step(what: &str, cmd: &mut Command) -> Result<()> {
    run_step("ci", what, cmd)
}

/// The conformance CLI against our own server (started on a free port with the demo state, whose
/// SWR repository `demo/library/nginx` is the sync checks' source), fixed seed.
fn self_test(root: &Path) -> Result<()> {
    use std::io::{BufRead, BufReader};
    eprintln!("ci: conformance self-test against imagespec-server");
    let mut server = Command::new(crate::util::target_dir().join("debug/imagespec-server"))
        .args(["--port", "0", "--state"])
        .arg(root.join("server/demo/state.json"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting the debug imagespec-server")?;
    let mut reader = BufReader::new(server.stdout.take().context("server stdout")?);
    let mut banner = String::new();
    reader.read_line(&mut banner)?;
    let base = banner.trim().rsplit(' ').next().unwrap_or_default().to_owned();
    // The banner lists each SWR region's address; cn-east-3 is the sync target.
    let mut east = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.contains("live families:") {
            break;
        }
        if let Some(url) = line.trim().strip_prefix("SWR region cn-east-3: ") {
            east = Some(format!("cn-east-3={url}"));
        }
    }
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let east = east.context("the server's banner lists no SWR region cn-east-3")?;
    let args = [
        "--base-url",
        &base,
        "--family",
        "cce",
        "--family",
        "glance",
        "--family",
        "swr",
        "--aksk",
        "swr=BOBAK000000000000001:bob-secret-key-00000000000000000000001:fedcba9876543210fedcba9876543210",
        "--other-token",
        "swr=carol-token",
        "--swr-region",
        &east,
        "--swr-source",
        "demo/library/nginx",
        "--aksk",
        "cce=ALICEAK0000000000001:alice-secret-key-0000000000000000000001:0123456789abcdef0123456789abcdef",
        "--token",
        "glance=bob-token",
        "--other-token",
        "glance=carol-token",
        "--family",
        "snowflake",
        "--token",
        "snowflake=PROGRAMMATIC_ACCESS_TOKEN:alice-snowflake-token",
        "--seed",
        "1",
        "--fuzz-cases",
        "20",
    ];
    let result = step(
        &format!("imagespec-conformance {}", args.join(" ")),
        Command::new(crate::util::target_dir().join("debug/imagespec-conformance")).args(args),
    );
    let _ = server.kill();
    let _ = server.wait();
    result
}

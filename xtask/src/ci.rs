//! `cargo xtask ci`, the README's test command: install what the tests need on a fresh machine
//! (Debian's Chromium, a Python venv with the pinned vendor SDKs), then run every check.
//!
//! Order: installs → `cargo fmt --check` → `cargo test --workspace --locked` → the conformance
//! CLI against a freshly started server for every live family. The tests that need
//! Chromium or the venv find them through `IMAGESPEC_CHROMIUM` and `IMAGESPEC_PYTHON`, and fail
//! (never skip) when they are missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::project_root;

const CHROMIUM: &str = "/usr/bin/chromium";
const REQUIREMENTS: &str = "server/tests/python/requirements.txt";

pub fn run() -> Result<()> {
    let root = project_root();
    ensure_chromium()?;
    let python = ensure_venv(&root)?;
    step(
        "cargo fmt --all --check",
        Command::new(cargo()).args(["fmt", "--all", "--check"]).current_dir(&root),
    )?;
    step(
        "cargo test --workspace --locked",
        Command::new(cargo())
            .args(["test", "--workspace", "--locked"])
            .env("IMAGESPEC_PYTHON", &python)
            .env("IMAGESPEC_CHROMIUM", CHROMIUM)
            .current_dir(&root),
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
    let sudo = if is_root() { vec![] } else { vec!["sudo".to_owned(), "-n".to_owned()] };
    for args in [
        vec!["apt-get", "update", "-q"],
        vec!["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"],
    ] {
        let mut full: Vec<String> = sudo.clone();
        full.extend(args.iter().map(|s| (*s).to_owned()));
        step(
            &full.join(" "),
            Command::new(&full[0]).args(&full[1..]).env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }
    Ok(())
}

/// A venv under `target/py` with the pinned clients; reinstalled when the requirements change.
fn ensure_venv(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/py");
    let python = venv.join("bin/python");
    let requirements = std::fs::read_to_string(root.join(REQUIREMENTS))
        .with_context(|| format!("reading {REQUIREMENTS}"))?;
    let stamp = venv.join("requirements.installed");
    if python.exists()
        && std::fs::read_to_string(&stamp).ok().as_deref() == Some(requirements.as_str())
    {
        return Ok(python);
    }
    eprintln!("ci: creating the Python venv at target/py");
    step("python3 -m venv target/py", Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    step(
        "pip install -r server/tests/python/requirements.txt",
        Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r"])
            .arg(root.join(REQUIREMENTS)),
    )?;
    std::fs::write(&stamp, requirements)?;
    Ok(python)
}

fn step(what: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("ci: {what}");
    let status = cmd.status().with_context(|| format!("starting `{what}`"))?;
    if !status.success() {
        bail!("`{what}` failed ({status})");
    }
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The conformance CLI against our own server (started on a free port), fixed seed.
fn self_test(root: &Path) -> Result<()> {
    use std::io::{BufRead, BufReader};
    eprintln!("ci: conformance self-test against imagespec-server");
    let mut server = Command::new(root.join("target/debug/imagespec-server"))
        .args(["--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting target/debug/imagespec-server")?;
    let mut reader = BufReader::new(server.stdout.take().context("server stdout")?);
    let mut banner = String::new();
    reader.read_line(&mut banner)?;
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let base = banner.trim().rsplit(' ').next().unwrap_or_default().to_owned();
    let result = step(
        &format!("imagespec-conformance --base-url {base} --family cce --seed 1"),
        Command::new(root.join("target/debug/imagespec-conformance")).args([
            "--base-url",
            &base,
            "--family",
            "cce",
            "--token",
            "cce=alice-token",
            "--seed",
            "1",
        ]),
    );
    let _ = server.kill();
    let _ = server.wait();
    result
}

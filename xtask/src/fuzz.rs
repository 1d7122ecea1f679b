//! `cargo xtask fuzz`: the fuzz campaign. Our tester's generators (boundary and random cases
//! from every operation's schemas, in all four families) drive our own server until the
//! requested number of requests has been sent; the campaign fails on any 5xx (`C100`), on a
//! panic in the server's log, or if the server stops answering.
//!
//! `--requests 1000000` is the documented campaign (release builds); `--smoke` (CI) sends a
//! few thousand with debug builds.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::util::{cargo, project_root};

#[derive(clap::Args)]
pub struct Options {
    /// Requests to send in all (rounded up to whole rounds).
    #[arg(long, default_value_t = 1_000_000)]
    requests: usize,
    /// Random cases per operation and round.
    #[arg(long, default_value_t = 2_000)]
    cases: usize,
    /// Operations fuzzed at once.
    #[arg(long, default_value_t = 4)]
    concurrency: u16,
    /// The first round's seed; each round adds one.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A small run with debug builds (what CI runs).
    #[arg(long)]
    smoke: bool,
}

/// Every family, with the demo state's credentials.
const FAMILIES: [&str; 16] = [
    "--family",
    "glance",
    "--token",
    "glance=bob-token",
    "--family",
    "cce",
    "--aksk",
    "cce=ALICEAK0000000000001:alice-secret-key-0000000000000000000001:0123456789abcdef0123456789abcdef",
    "--family",
    "swr",
    "--aksk",
    "swr=BOBAK000000000000001:bob-secret-key-00000000000000000000001:fedcba9876543210fedcba9876543210",
    "--family",
    "snowflake",
    "--token",
    "snowflake=alice-snowflake-token",
];

pub fn run(mut opts: Options) -> Result<()> {
    let root = project_root();
    if opts.smoke {
        (opts.requests, opts.cases) = (3_000, 20);
    }
    let profile = if opts.smoke { "dev" } else { "release" };
    let bin = crate::util::target_dir().join(if opts.smoke { "debug" } else { "release" });
    crate::util::run_step(
        "fuzz",
        "cargo build (server, tester)",
        Command::new(cargo())
            .args(["build", "--locked", "--profile", profile])
            .args(["-p", "imagespec-server", "-p", "imagespec-conformance", "--bins"])
            .current_dir(&root),
    )?;
    let work = tempfile::tempdir()?;
    let started = Instant::now();
    let (mut sent, mut server_errors, mut other_findings) = (0usize, Vec::new(), 0usize);
    let mut panics = Vec::new();
    let mut seed = opts.seed;
    while sent < opts.requests {
        // A fresh server per round: the tester's resources accumulate otherwise, until a
        // family's quotas (SWR's namespaces per account) refuse the next round's set-up.
        let log = work.path().join(format!("server-{seed}.log"));
        let mut server = Server::start(&bin.join("imagespec-server"), &root, &log)?;
        let report = round(&bin, &server.url, &opts, seed, work.path())?;
        sent += report["requests"].as_u64().unwrap_or(0) as usize;
        for f in report["findings"].as_array().into_iter().flatten() {
            if f["check"] == "C100" {
                server_errors.push(format!(
                    "{} (seed {seed}): {}",
                    f["operation"].as_str().unwrap_or("?"),
                    f["message"].as_str().unwrap_or("?")
                ));
            } else {
                other_findings += 1;
            }
        }
        if let Some(status) = server.child.try_wait()? {
            bail!("the server exited ({status}) during round {seed}");
        }
        server.stop();
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        panics.extend(text.lines().filter(|l| l.contains("panicked")).map(str::to_owned));
        eprintln!(
            "fuzz: round {seed}: {sent} requests in {:.0} s, {} server errors, {} panics",
            started.elapsed().as_secs_f64(),
            server_errors.len(),
            panics.len()
        );
        seed += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "fuzz: {sent} requests over every family in {elapsed:.0} s ({:.0}/s): {} 5xx, {} panics, \
         {other_findings} other findings",
        sent as f64 / elapsed.max(1e-9),
        server_errors.len(),
        panics.len(),
    );
    for line in server_errors.iter().take(20) {
        println!("  5xx: {line}");
    }
    for line in panics.iter().take(20) {
        println!("  panic: {line}");
    }
    if !server_errors.is_empty() || !panics.is_empty() {
        bail!("the fuzz campaign found server errors or panics");
    }
    Ok(())
}

/// One run of the tester in fuzz-only mode: its JSON report.
fn round(bin: &Path, url: &str, opts: &Options, seed: u64, work: &Path) -> Result<Value> {
    let out = work.join(format!("round-{seed}.json"));
    let errors = work.join(format!("round-{seed}.stderr"));
    let status = Command::new(bin.join("imagespec-conformance"))
        .args(["--base-url", url])
        .args(FAMILIES)
        .args(["--fuzz-only", "--format", "json", "--seed", &seed.to_string()])
        .args(["--fuzz-cases", &opts.cases.to_string()])
        .args(["--concurrency", &opts.concurrency.to_string()])
        .stdout(std::fs::File::create(&out)?)
        .stderr(std::fs::File::create(&errors)?)
        .status()
        .context("starting imagespec-conformance")?;
    if status.code() == Some(2) {
        let said = std::fs::read_to_string(&errors).unwrap_or_default();
        bail!("imagespec-conformance could not run (seed {seed}): {}", said.trim());
    }
    let text = std::fs::read_to_string(&out)?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", out.display()))
}

/// Our server with the demo state, its log in a file.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(bin: &Path, root: &Path, log: &Path) -> Result<Self> {
        let mut child = Command::new(bin)
            .args(["--port", "0", "--state"])
            .arg(root.join("server/demo/state.json"))
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .context("starting imagespec-server")?;
        let mut reader = BufReader::new(child.stdout.take().context("stdout")?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("imagespec-server listening on ")
            .with_context(|| format!("unexpected banner: {line}"))?
            .to_owned();
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        Ok(Self { child, url })
    }

    /// SIGTERM, so the log is flushed, then waits.
    fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

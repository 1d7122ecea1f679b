//! `cargo xtask soak`: a sustained mixed load on every family at once, with the server's memory
//! sampled every second; it fails if memory keeps growing once the load has settled, if any
//! request gets an answer the workload did not expect, or if the server stops or panics.
//!
//! Each client keeps to one family and one principal and keeps a bounded set of live resources
//! (creating below it, deleting above it, and reading, listing and changing in between), so the
//! state the server must hold stays the same size while the load runs: whatever memory grows
//! after the warm-up is a leak, except Glance's reserved ids of deleted images, which the report
//! counts. The load is `--clients` blocking HTTP clients (ureq) on keep-alive connections, each
//! replaced by a new one every 500 requests.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

use crate::util::{cargo, project_root};

#[derive(clap::Args)]
pub struct Options {
    /// How long the load runs, in seconds.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// Clients at once; client `i` drives family `i % 4` (Glance, CCE, SWR, Snowflake).
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// The most the server's resident memory may grow from just after the warm-up to the end of
    /// the run, in MiB.
    #[arg(long, default_value_t = 16)]
    max_growth_mib: u64,
    /// Run the server with `--data-dir` (every write committed to its database, fsynced).
    #[arg(long)]
    durable: bool,
    /// The seed of the clients' choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Soak this server binary instead of building ours (say, an older build, to compare).
    #[arg(long, value_name = "PATH")]
    server_bin: Option<std::path::PathBuf>,
    /// A 60 s run with debug builds (what CI runs).
    #[arg(long)]
    smoke: bool,
}

/// The families, in the order clients are dealt to them.
const FAMILIES: [&str; 4] = ["glance", "cce", "swr", "snowflake"];

pub fn run(mut opts: Options) -> Result<()> {
    let root = project_root();
    if opts.smoke {
        opts.seconds = 60;
    }
    anyhow::ensure!(opts.clients >= 1, "--clients must be at least 1");
    anyhow::ensure!(opts.seconds >= 30, "--seconds must be at least 30 (10 s are warm-up)");
    let (profile, dir) = if opts.smoke { ("dev", "debug") } else { ("release", "release") };
    let bin = match &opts.server_bin {
        Some(bin) => bin.clone(),
        None => {
            crate::util::run_step(
                "soak",
                "cargo build (server)",
                Command::new(cargo())
                    .args(["build", "--locked", "--profile", profile])
                    .args(["-p", "imagespec-server", "--bins"])
                    .current_dir(&root),
            )?;
            crate::util::target_dir().join(dir).join("imagespec-server")
        }
    };
    let out = root.join("target/soak");
    std::fs::create_dir_all(&out)?;
    let data = tempfile::tempdir()?;
    let mut server = Server::start(&root, &bin, &out, opts.durable.then(|| data.path()))?;
    eprintln!(
        "soak: server at {} (pid {}), {} clients for {} s",
        server.url,
        server.pid(),
        opts.clients,
        opts.seconds
    );

    let shared = Arc::new(Shared::default());
    let mut workers = Vec::new();
    for i in 0..opts.clients {
        let mut client = Client::new(&server, i, shared.clone());
        let mut driver = Driver::new(i, opts.seed);
        driver.setup(&mut client).with_context(|| format!("setting up client {i}"))?;
        let stop = shared.clone();
        workers.push(std::thread::spawn(move || {
            let mut rng = StdRng::seed_from_u64(opts.seed.wrapping_mul(1000) + i as u64);
            while !stop.stop.load(Ordering::Relaxed) {
                if let Err(e) = driver.step(&mut client, &mut rng) {
                    stop.unexpected(format!("client {i} ({}): {e:#}", driver.family()));
                    if client.broken {
                        break;
                    }
                }
            }
            driver.deleted()
        }));
    }

    let samples = sample(&server, &shared, Duration::from_secs(opts.seconds), &out);
    let mut deleted_images = 0;
    for w in workers {
        deleted_images += w.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))?;
    }
    let (samples, elapsed) = samples?;
    let alive = server.child.try_wait()?.is_none();
    server.stop();
    let log = std::fs::read_to_string(out.join("server.log")).unwrap_or_default();
    let panics: Vec<&str> = log.lines().filter(|l| l.contains("panicked")).take(5).collect();

    let verdict = Verdict::of(&samples, opts.seconds as f64);
    let per_family = FAMILIES
        .iter()
        .zip(&shared.by_family)
        .map(|(f, n)| format!("{f} {}", n.load(Ordering::Relaxed)))
        .collect::<Vec<_>>()
        .join(", ");
    let sent = shared.requests();
    println!(
        "soak: {sent} requests in {elapsed:.0} s ({:.0}/s; {per_family}), {} clients{}",
        sent as f64 / elapsed,
        opts.clients,
        if opts.durable { ", --data-dir" } else { "" }
    );
    println!(
        "soak: RSS {:.1} MiB after the {:.0} s warm-up, {:.1} MiB at the end ({:+.1} MiB; \
         trend {:+.1} MiB/hour), peak {:.1} MiB; limit +{} MiB",
        verdict.base_kib as f64 / 1024.0,
        verdict.warmup_s,
        verdict.end_kib as f64 / 1024.0,
        verdict.growth_kib() as f64 / 1024.0,
        verdict.slope_kib_per_s * 3600.0 / 1024.0,
        verdict.peak_kib as f64 / 1024.0,
        opts.max_growth_mib,
    );
    println!(
        "soak: {deleted_images} Glance images deleted (their ids stay reserved, about 30 bytes \
         each: {:.1} MiB of the growth at most)",
        deleted_images as f64 * 30.0 / (1024.0 * 1024.0)
    );
    println!("soak: the samples are in {}", out.join("rss.csv").display());
    let unexpected = shared.unexpected.lock().expect("not poisoned");
    for line in unexpected.first.iter() {
        println!("  unexpected: {line}");
    }
    for line in &panics {
        println!("  panic: {line}");
    }
    let mut failures = Vec::new();
    if unexpected.count > 0 {
        failures.push(format!("{} unexpected answers", unexpected.count));
    }
    if !panics.is_empty() {
        failures.push("a panic in the server's log".to_owned());
    }
    if !alive {
        failures.push("the server exited during the run".to_owned());
    }
    if verdict.growth_kib() > (opts.max_growth_mib * 1024) as i64 {
        failures.push(format!(
            "memory grew {:.1} MiB after the warm-up (limit {} MiB)",
            verdict.growth_kib() as f64 / 1024.0,
            opts.max_growth_mib
        ));
    }
    if !failures.is_empty() {
        bail!("the soak failed: {}", failures.join("; "));
    }
    Ok(())
}

/// Reads the server's RSS every second for `total` into `out/rss.csv`, printing progress every
/// 30 s; the samples and the seconds elapsed. The clients are stopped when it returns.
fn sample(
    server: &Server,
    shared: &Shared,
    total: Duration,
    out: &Path,
) -> Result<(Vec<Sample>, f64)> {
    let result = sample_until(server, shared, total, out);
    shared.stop.store(true, Ordering::Relaxed);
    result
}

fn sample_until(
    server: &Server,
    shared: &Shared,
    total: Duration,
    out: &Path,
) -> Result<(Vec<Sample>, f64)> {
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut csv = std::fs::File::create(out.join("rss.csv"))?;
    writeln!(csv, "seconds,rss_kib,requests")?;
    let mut next_print = Duration::from_secs(30);
    while started.elapsed() < total {
        std::thread::sleep(Duration::from_secs(1));
        let at = started.elapsed();
        let Some(rss) = rss_kib(server.pid()) else {
            bail!("the server stopped after {:.0} s", at.as_secs_f64());
        };
        let sent = shared.requests();
        writeln!(csv, "{:.1},{rss},{sent}", at.as_secs_f64())?;
        samples.push(Sample { at: at.as_secs_f64(), rss_kib: rss });
        if at >= next_print {
            eprintln!(
                "soak: {:>4.0} s  {:>9} requests ({:.0}/s)  RSS {:.1} MiB",
                at.as_secs_f64(),
                sent,
                sent as f64 / at.as_secs_f64(),
                rss as f64 / 1024.0
            );
            next_print += Duration::from_secs(30);
        }
    }
    Ok((samples, started.elapsed().as_secs_f64()))
}

/// One reading of the server's resident memory.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: f64,
    rss_kib: u64,
}

/// What the samples say: memory just after the warm-up, at the end, and its trend in between.
#[derive(Debug)]
struct Verdict {
    warmup_s: f64,
    base_kib: u64,
    end_kib: u64,
    peak_kib: u64,
    slope_kib_per_s: f64,
}

impl Verdict {
    /// The warm-up is the first fifth of the run (at least 10 s); the base is the median of the
    /// next tenth of the run, the end the median of its last tenth.
    fn of(samples: &[Sample], seconds: f64) -> Self {
        let warmup_s = (seconds / 5.0).max(10.0);
        let window = (seconds / 10.0).max(3.0);
        let median = |from: f64, to: f64| {
            let mut v: Vec<u64> =
                samples.iter().filter(|s| s.at >= from && s.at <= to).map(|s| s.rss_kib).collect();
            v.sort_unstable();
            v.get(v.len() / 2).copied().unwrap_or(0)
        };
        let settled: Vec<&Sample> = samples.iter().filter(|s| s.at >= warmup_s).collect();
        Verdict {
            warmup_s,
            base_kib: median(warmup_s, warmup_s + window),
            end_kib: median(seconds - window, f64::MAX),
            peak_kib: samples.iter().map(|s| s.rss_kib).max().unwrap_or(0),
            slope_kib_per_s: slope(&settled),
        }
    }

    fn growth_kib(&self) -> i64 {
        self.end_kib as i64 - self.base_kib as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(rss: impl Fn(f64) -> u64) -> Vec<Sample> {
        (1..=100).map(|t| Sample { at: t as f64, rss_kib: rss(t as f64) }).collect()
    }

    #[test]
    fn flat_memory_after_the_warm_up_is_no_growth() {
        // Growing during the warm-up (the first 20 s), flat after, with one spike.
        let v = Verdict::of(
            &samples(|t| if t == 70.0 { 99_000 } else { 40_000 + (t.min(20.0) as u64) * 100 }),
            100.0,
        );
        assert_eq!((v.warmup_s, v.base_kib, v.end_kib, v.growth_kib()), (20.0, 42_000, 42_000, 0));
        assert_eq!(v.peak_kib, 99_000);
    }

    #[test]
    fn steady_growth_is_measured_from_the_warm_up_to_the_end() {
        // 10 KiB a second: the base is the median of 20..=30 s, the end of 90..=100 s.
        let v = Verdict::of(&samples(|t| 40_000 + t as u64 * 10), 100.0);
        assert_eq!((v.base_kib, v.end_kib, v.growth_kib()), (40_250, 40_950, 700));
        assert!((v.slope_kib_per_s - 10.0).abs() < 1e-9, "{}", v.slope_kib_per_s);
    }

    #[test]
    fn rss_is_read_from_proc() {
        let own = rss_kib(std::process::id()).expect("this process's RSS");
        assert!(own > 100, "{own} KiB");
        assert_eq!(rss_kib(u32::MAX), None);
    }
}

/// The least-squares slope of RSS over time.
fn slope(samples: &[&Sample]) -> f64 {
    let n = samples.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mean_t = samples.iter().map(|s| s.at).sum::<f64>() / n;
    let mean_m = samples.iter().map(|s| s.rss_kib as f64).sum::<f64>() / n;
    let cov: f64 = samples.iter().map(|s| (s.at - mean_t) * (s.rss_kib as f64 - mean_m)).sum();
    let var: f64 = samples.iter().map(|s| (s.at - mean_t).powi(2)).sum();
    if var == 0.0 { 0.0 } else { cov / var }
}

/// The process's resident set (`VmRSS`), `None` once it is gone.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What every client adds to: request counts, unexpected answers, and the stop flag.
#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    by_family: [AtomicU64; 4],
    unexpected: Mutex<Unexpected>,
}

#[derive(Default)]
struct Unexpected {
    count: u64,
    first: Vec<String>,
}

impl Shared {
    fn requests(&self) -> u64 {
        self.by_family.iter().map(|n| n.load(Ordering::Relaxed)).sum()
    }

    fn unexpected(&self, what: String) {
        let mut u = self.unexpected.lock().expect("not poisoned");
        u.count += 1;
        if u.first.len() < 20 {
            u.first.push(what);
        }
    }
}

/// Our server on free ports: the demo state, its log in `out/server.log`; SIGTERM on stop.
struct Server {
    child: Child,
    url: String,
    east: String,
}

impl Server {
    fn start(root: &Path, bin: &Path, out: &Path, data_dir: Option<&Path>) -> Result<Self> {
        let mut cmd = Command::new(bin);
        cmd.args(["--port", "0", "--state"]).arg(root.join("server/demo/state.json"));
        if let Some(dir) = data_dir {
            cmd.arg("--data-dir").arg(dir);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(out.join("server.log"))?)
            .spawn()
            .context("starting imagespec-server")?;
        let mut reader = BufReader::new(child.stdout.take().context("stdout")?);
        let (mut url, mut east) = (None, None);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line.contains("live families:") {
                break;
            }
            let line = line.trim();
            if let Some(u) = line.strip_prefix("imagespec-server listening on ") {
                url = Some(u.to_owned());
            }
            if let Some(u) = line.strip_prefix("SWR region cn-east-3: ") {
                east = Some(u.to_owned());
            }
        }
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let url = url.context("the server printed no address")?;
        let east = east.context("the server's banner lists no SWR region cn-east-3")?;
        Ok(Self { child, url, east })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The principals clients act as, by client number: bob for the first four, carol for the
/// next four, and so on.
struct Principal {
    token: &'static str,
    snowflake: &'static str,
    /// The other principal's project, for Glance memberships.
    other_project: &'static str,
}

const BOB: Principal = Principal {
    token: "bob-token",
    snowflake: "Bearer bob-snowflake-token",
    other_project: "11111111111111111111111111111111",
};
const CAROL: Principal = Principal {
    token: "carol-token",
    snowflake: "Bearer carol-snowflake-token",
    other_project: "fedcba9876543210fedcba9876543210",
};

/// One client's connection to the server (and to the SWR region cn-east-3).
struct Client {
    agent: ureq::Agent,
    /// Requests sent on the current connection.
    sent: u64,
    base: String,
    east: String,
    family: usize,
    shared: Arc<Shared>,
    /// Set when the server could not be reached: the client stops.
    broken: bool,
}

/// An answer: status, body and `Location`.
struct Reply {
    status: u16,
    body: Vec<u8>,
    location: Option<String>,
}

impl Reply {
    fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).context("the body is not JSON")
    }
}

/// Requests per connection: then the client drops its connection and opens a new one, so
/// connections come and go all through the run (the server keeps per-connection state).
const REQUESTS_PER_CONNECTION: u64 = 500;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

impl Client {
    fn new(server: &Server, i: usize, shared: Arc<Shared>) -> Self {
        Self {
            agent: agent(),
            sent: 0,
            base: server.url.clone(),
            east: server.east.clone(),
            family: i % 4,
            shared,
            broken: false,
        }
    }

    /// Sends a request to `base` (`self.base` or `self.east`) and checks its status is one of
    /// `expect`.
    fn send_to(
        &mut self,
        base: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        expect: &[u16],
    ) -> Result<Reply> {
        let mut builder =
            ureq::http::Request::builder().method(method).uri(format!("{base}{path}"));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.shared.by_family[self.family].fetch_add(1, Ordering::Relaxed);
        self.sent += 1;
        if self.sent.is_multiple_of(REQUESTS_PER_CONNECTION) {
            self.agent = agent();
        }
        let answer = if body.is_empty() {
            self.agent.run(builder.body(())?)
        } else {
            self.agent.run(builder.body(body.to_vec())?)
        };
        let mut answer = match answer {
            Ok(a) => a,
            Err(e) => {
                self.broken = true;
                bail!("{method} {path}: no answer: {e}");
            }
        };
        let status = answer.status().as_u16();
        let location =
            answer.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = answer.body_mut().with_config().limit(64 << 20).read_to_vec()?;
        if !expect.contains(&status) {
            bail!(
                "{method} {path} answered {status} (expected {expect:?}): {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            );
        }
        Ok(Reply { status, body, location })
    }

    fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        expect: &[u16],
    ) -> Result<Reply> {
        let base = self.base.clone();
        self.send_to(&base, method, path, headers, body, expect)
    }
}

/// What one client does, by family.
enum Driver {
    Glance(Glance),
    Cce(Cce),
    Swr(Swr),
    Snowflake(Snowflake),
}

impl Driver {
    fn new(i: usize, seed: u64) -> Self {
        let who = if (i / 4).is_multiple_of(2) { &BOB } else { &CAROL };
        let name = format!("soak{seed}w{i}");
        match i % 4 {
            0 => Driver::Glance(Glance { who, name, live: Vec::new(), made: 0, deleted: 0 }),
            1 => {
                Driver::Cce(Cce { who, name, live: Vec::new(), deleting: VecDeque::new(), made: 0 })
            }
            2 => Driver::Swr(Swr { who, name, live: Vec::new(), made: 0 }),
            _ => Driver::Snowflake(Snowflake {
                who,
                name: name.to_uppercase(),
                live: Vec::new(),
                made: 0,
            }),
        }
    }

    fn family(&self) -> &'static str {
        match self {
            Driver::Glance(_) => "glance",
            Driver::Cce(_) => "cce",
            Driver::Swr(_) => "swr",
            Driver::Snowflake(_) => "snowflake",
        }
    }

    fn setup(&mut self, c: &mut Client) -> Result<()> {
        match self {
            Driver::Glance(_) | Driver::Cce(_) => Ok(()),
            Driver::Swr(d) => d.setup(c),
            Driver::Snowflake(d) => d.setup(c),
        }
    }

    fn step(&mut self, c: &mut Client, rng: &mut StdRng) -> Result<()> {
        match self {
            Driver::Glance(d) => d.step(c, rng),
            Driver::Cce(d) => d.step(c, rng),
            Driver::Swr(d) => d.step(c, rng),
            Driver::Snowflake(d) => d.step(c, rng),
        }
    }

    /// How many Glance images this client deleted.
    fn deleted(&self) -> u64 {
        match self {
            Driver::Glance(d) => d.deleted,
            _ => 0,
        }
    }
}

/// Whether to create (below half of `max` live), delete (at `max`), or do something else.
enum Size {
    Grow,
    Shrink,
    Steady,
}

fn size(live: usize, max: usize, rng: &mut StdRng) -> Size {
    if live < max / 2 {
        Size::Grow
    } else if live >= max {
        Size::Shrink
    } else {
        match rng.random_range(0..10) {
            0 => Size::Grow,
            1 => Size::Shrink,
            _ => Size::Steady,
        }
    }
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

// --- Glance --------------------------------------------------------------------------------

struct Glance {
    who: &'static Principal,
    name: String,
    live: Vec<GlanceImage>,
    made: u64,
    deleted: u64,
}

struct GlanceImage {
    id: String,
    uploaded: bool,
    deactivated: bool,
}

/// Live images per Glance client.
const GLANCE_LIVE: usize = 60;
/// The bytes of each upload.
const UPLOAD: usize = 16 << 10;

impl Glance {
    fn step(&mut self, c: &mut Client, rng: &mut StdRng) -> Result<()> {
        let auth = ("X-Auth-Token", self.who.token);
        match size(self.live.len(), GLANCE_LIVE, rng) {
            Size::Grow => {
                self.made += 1;
                let body = json!({"name": format!("{}-{}", self.name, self.made),
                    "disk_format": "raw", "container_format": "bare",
                    "tags": ["soak", self.name], "mark": "0"});
                let made = c.send(
                    "POST",
                    "/v2/images",
                    &[auth, JSON],
                    body.to_string().as_bytes(),
                    &[201],
                )?;
                let id = made.json()?["id"].as_str().context("no id")?.to_owned();
                self.live.push(GlanceImage { id, uploaded: false, deactivated: false });
                return Ok(());
            }
            Size::Shrink => {
                let image = self.live.swap_remove(rng.random_range(0..self.live.len()));
                c.send("DELETE", &format!("/v2/images/{}", image.id), &[auth], b"", &[204])?;
                self.deleted += 1;
                return Ok(());
            }
            Size::Steady => {}
        }
        let at = rng.random_range(0..self.live.len());
        let url = format!("/v2/images/{}", self.live[at].id);
        match rng.random_range(0..20) {
            0..=3 => {
                c.send("GET", &url, &[auth], b"", &[200])?;
            }
            4..=7 => {
                // A listing of this client's images, two pages of 20 by name, then by default.
                let sort = if rng.random_bool(0.5) { "&sort_key=name&sort_dir=asc" } else { "" };
                let mut next = Some(format!("/v2/images?limit=20&tag={}{sort}", self.name));
                for _ in 0..2 {
                    let Some(path) = next.take() else { break };
                    let page = c.send("GET", &path, &[auth], b"", &[200])?.json()?;
                    next = page["next"].as_str().map(str::to_owned);
                }
            }
            8..=10 => {
                let patch = json!([{"op": "replace", "path": "/name", "value": format!("{}-r{}", self.name, rng.random_range(0..1000))},
                                   {"op": "add", "path": "/mark", "value": rng.random_range(0..1000).to_string()}]);
                let media = ("Content-Type", "application/openstack-images-v2.1-json-patch");
                c.send("PATCH", &url, &[auth, media], patch.to_string().as_bytes(), &[200])?;
            }
            11..=12 => {
                let tag = format!("t{}", rng.random_range(0..100));
                c.send("PUT", &format!("{url}/tags/{tag}"), &[auth], b"", &[204])?;
                c.send("DELETE", &format!("{url}/tags/{tag}"), &[auth], b"", &[204])?;
            }
            13..=14 => {
                let image = &mut self.live[at];
                if image.uploaded {
                    if !image.deactivated {
                        let data = c.send("GET", &format!("{url}/file"), &[auth], b"", &[200])?;
                        anyhow::ensure!(
                            data.body.len() == UPLOAD,
                            "downloaded {} bytes",
                            data.body.len()
                        );
                    }
                } else {
                    let bytes = vec![rng.random_range(0..=255u8); UPLOAD];
                    let octets = ("Content-Type", "application/octet-stream");
                    c.send("PUT", &format!("{url}/file"), &[auth, octets], &bytes, &[204])?;
                    image.uploaded = true;
                }
            }
            15 => {
                let image = &mut self.live[at];
                if image.uploaded {
                    let action = if image.deactivated { "reactivate" } else { "deactivate" };
                    c.send("POST", &format!("{url}/actions/{action}"), &[auth], b"", &[204])?;
                    image.deactivated = !image.deactivated;
                }
            }
            16 => {
                let member = json!({"member": self.who.other_project}).to_string();
                c.send(
                    "POST",
                    &format!("{url}/members"),
                    &[auth, JSON],
                    member.as_bytes(),
                    &[200],
                )?;
                let gone = format!("{url}/members/{}", self.who.other_project);
                c.send("DELETE", &gone, &[auth], b"", &[204])?;
            }
            _ => {
                c.send("GET", "/v2/images?limit=5", &[auth], b"", &[200])?;
            }
        }
        Ok(())
    }
}

// --- CCE -----------------------------------------------------------------------------------

struct Cce {
    who: &'static Principal,
    name: String,
    live: Vec<String>,
    /// When each cache this client deleted was deleted: it counts against the project's quota of
    /// 50 until it is gone, 5 s later.
    deleting: VecDeque<Instant>,
    made: u64,
}

/// Live caches per CCE client; with the ones still `Deleting`, below the quota of 50.
const CCE_LIVE: usize = 20;

impl Cce {
    fn step(&mut self, c: &mut Client, rng: &mut StdRng) -> Result<()> {
        let auth = ("X-Auth-Token", self.who.token);
        while self.deleting.front().is_some_and(|t| t.elapsed() > Duration::from_secs(7)) {
            self.deleting.pop_front();
        }
        let room = self.live.len() + self.deleting.len() < 45;
        match size(self.live.len(), CCE_LIVE, rng) {
            Size::Grow if room => {
                self.made += 1;
                let body = json!({"name": format!("{}-{}", self.name, self.made),
                    "images": ["busybox:latest", "nginx:1.27"], "image_cache_size": 20,
                    "retention_days": 7,
                    "building_config": {"cluster": "c271e39f-1a6e-4d3d-8fa8-2a36329c68d2"}});
                let made = c.send(
                    "POST",
                    "/v5/imagecaches",
                    &[auth, JSON],
                    body.to_string().as_bytes(),
                    &[201],
                )?;
                let id = made.json()?["image_cache"]["id"].as_str().context("no id")?.to_owned();
                self.live.push(id);
                return Ok(());
            }
            Size::Shrink => {
                let id = self.live.swap_remove(rng.random_range(0..self.live.len()));
                c.send("DELETE", &format!("/v5/imagecaches/{id}"), &[auth], b"", &[202])?;
                self.deleting.push_back(Instant::now());
                return Ok(());
            }
            _ => {}
        }
        if self.live.is_empty() {
            c.send("GET", "/v5/imagecaches", &[auth], b"", &[200])?;
            return Ok(());
        }
        let id = &self.live[rng.random_range(0..self.live.len())];
        match rng.random_range(0..3) {
            0 => c.send("GET", &format!("/v5/imagecaches/{id}"), &[auth], b"", &[200])?,
            1 => c.send("GET", "/v5/imagecaches", &[auth], b"", &[200])?,
            _ => {
                let name = format!("{}-{}", self.name, rng.random_range(1..=self.made));
                c.send("GET", &format!("/v5/imagecaches?name={name}"), &[auth], b"", &[200])?
            }
        };
        Ok(())
    }
}

// --- SWR -----------------------------------------------------------------------------------

struct Swr {
    who: &'static Principal,
    /// The client's organization, in the home region and in cn-east-3.
    name: String,
    live: Vec<SwrRepo>,
    made: u64,
}

struct SwrRepo {
    name: String,
    tags: Vec<String>,
    /// Whether a sync created it in cn-east-3 too.
    synced: bool,
}

const SWR_LIVE: usize = 8;
const SWR_TAGS: usize = 6;

impl Swr {
    fn setup(&mut self, c: &mut Client) -> Result<()> {
        let auth = ("X-Auth-Token", self.who.token);
        let body = json!({"namespace": self.name}).to_string();
        c.send("POST", "/v2/manage/namespaces", &[auth, JSON], body.as_bytes(), &[201])?;
        let east = c.east.clone();
        c.send_to(&east, "POST", "/v2/manage/namespaces", &[auth, JSON], body.as_bytes(), &[201])?;
        Ok(())
    }

    fn step(&mut self, c: &mut Client, rng: &mut StdRng) -> Result<()> {
        let auth = ("X-Auth-Token", self.who.token);
        let ns = &self.name;
        match size(self.live.len(), SWR_LIVE, rng) {
            Size::Grow => {
                self.made += 1;
                let repo = format!("app{}", self.made);
                let push = format!("/admin/swr/namespaces/{ns}/repos/{repo}/tags/v1");
                c.send("PUT", &push, &[auth], b"", &[201])?;
                self.live.push(SwrRepo { name: repo, tags: vec!["v1".into()], synced: false });
                return Ok(());
            }
            Size::Shrink => {
                let repo = self.live.swap_remove(rng.random_range(0..self.live.len()));
                let path = format!("/v2/manage/namespaces/{ns}/repos/{}", repo.name);
                c.send("DELETE", &path, &[auth], b"", &[204])?;
                if repo.synced {
                    let east = c.east.clone();
                    c.send_to(&east, "DELETE", &path, &[auth], b"", &[204])?;
                }
                return Ok(());
            }
            Size::Steady => {}
        }
        let at = rng.random_range(0..self.live.len());
        let repo = &mut self.live[at];
        let path = format!("/v2/manage/namespaces/{ns}/repos/{}", repo.name);
        match rng.random_range(0..8) {
            0 => {
                if repo.tags.len() >= SWR_TAGS {
                    let tag = repo.tags.remove(rng.random_range(0..repo.tags.len()));
                    c.send("DELETE", &format!("{path}/tags/{tag}"), &[auth], b"", &[204])?;
                } else {
                    let tag = format!("v{}", rng.random_range(2..1000));
                    let push = format!("/admin/swr/namespaces/{ns}/repos/{}/tags/{tag}", repo.name);
                    let fresh = !repo.tags.contains(&tag);
                    c.send("PUT", &push, &[auth], b"", if fresh { &[201] } else { &[200] })?;
                    if fresh {
                        repo.tags.push(tag);
                    }
                }
            }
            1 => {
                let tag = repo.tags[rng.random_range(0..repo.tags.len())].clone();
                let body = json!({"imageTag": [tag], "remoteNamespace": ns,
                    "remoteRegionId": "cn-east-3", "override": true});
                c.send(
                    "POST",
                    &format!("{path}/sync_images"),
                    &[auth, JSON],
                    body.to_string().as_bytes(),
                    &[200],
                )?;
                repo.synced = true;
            }
            2 => {
                let filter = "filter=limit%3A%3A10%7Coffset%3A%3A0";
                c.send("GET", &format!("{path}/sync_job?{filter}"), &[auth], b"", &[200])?;
            }
            3 | 4 => {
                c.send("GET", &format!("{path}/tags"), &[auth], b"", &[200])?;
            }
            5 => {
                c.send("GET", &path, &[auth], b"", &[200])?;
            }
            _ => {
                c.send("GET", &format!("/v2/manage/repos?namespace={ns}"), &[auth], b"", &[200])?;
            }
        }
        Ok(())
    }
}

// --- Snowflake -----------------------------------------------------------------------------

struct Snowflake {
    who: &'static Principal,
    /// The client's database (its schema is `S`).
    name: String,
    /// Live repositories, with how many images each holds.
    live: Vec<(String, usize)>,
    made: u64,
}

const SNOWFLAKE_LIVE: usize = 12;
const SNOWFLAKE_IMAGES: usize = 5;

impl Snowflake {
    fn setup(&mut self, c: &mut Client) -> Result<()> {
        let auth = ("Authorization", self.who.snowflake);
        let db = json!({"name": self.name}).to_string();
        c.send("POST", "/api/v2/databases", &[auth, JSON], db.as_bytes(), &[200])?;
        let schema = json!({"name": "S"}).to_string();
        let path = format!("/api/v2/databases/{}/schemas", self.name);
        c.send("POST", &path, &[auth, JSON], schema.as_bytes(), &[200])?;
        Ok(())
    }

    fn step(&mut self, c: &mut Client, rng: &mut StdRng) -> Result<()> {
        let auth = ("Authorization", self.who.snowflake);
        let repos = format!("/api/v2/databases/{}/schemas/S/image-repositories", self.name);
        match size(self.live.len(), SNOWFLAKE_LIVE, rng) {
            Size::Grow => {
                self.made += 1;
                let name = format!("R{}", self.made);
                let body = json!({"name": name}).to_string();
                c.send("POST", &repos, &[auth, JSON], body.as_bytes(), &[200])?;
                self.live.push((name, 0));
                return Ok(());
            }
            Size::Shrink => {
                let (name, _) = self.live.swap_remove(rng.random_range(0..self.live.len()));
                c.send("DELETE", &format!("{repos}/{name}?ifExists=true"), &[auth], b"", &[200])?;
                return Ok(());
            }
            Size::Steady => {}
        }
        let at = rng.random_range(0..self.live.len());
        let (name, images) = &mut self.live[at];
        let url = format!("{repos}/{name}");
        match rng.random_range(0..8) {
            0 => {
                // Through the 202 protocol: accepted, polled until it is done.
                let deferred = [auth, ("X-Imagespec-Async", "true")];
                let accepted = c.send("GET", &url, &deferred, b"", &[202])?;
                let location = accepted.location.context("a 202 without Location")?;
                for _ in 0..10 {
                    if c.send("GET", &location, &[auth], b"", &[200, 202])?.status == 200 {
                        return Ok(());
                    }
                }
                bail!("{location} was still running after 10 polls");
            }
            1 => {
                if *images >= SNOWFLAKE_IMAGES {
                    // Replaced by an empty repository of the same name.
                    let body = json!({"name": name}).to_string();
                    let replace = format!("{repos}?createMode=orReplace");
                    c.send("POST", &replace, &[auth, JSON], body.as_bytes(), &[200])?;
                    *images = 0;
                } else {
                    let image = json!({"image_name": format!("img{images}"), "tags": ["latest"]});
                    let admin = format!("/admin/snowflake{}/images", &url["/api/v2".len()..]);
                    c.send("POST", &admin, &[auth, JSON], image.to_string().as_bytes(), &[200])?;
                    *images += 1;
                }
            }
            2 => {
                c.send("GET", &format!("{url}/images"), &[auth], b"", &[200])?;
            }
            3 => {
                let body = json!({"name": name}).to_string();
                let keep = format!("{repos}?createMode=ifNotExists");
                c.send("POST", &keep, &[auth, JSON], body.as_bytes(), &[200])?;
            }
            4 | 5 => {
                c.send("GET", &format!("{repos}?like=R%25"), &[auth], b"", &[200])?;
            }
            _ => {
                c.send("GET", &url, &[auth], b"", &[200])?;
            }
        }
        Ok(())
    }
}

//! `cargo xtask bench`: issue 7's side-by-side benchmarks, run on this machine in one go and
//! written into `docs/benchmarks.md` with the date and the machine.
//!
//! Every figure is a ratio against a baseline measured in the same run: our server against a
//! minimal poem server answering the same bytes (the framework's ceiling,
//! `server/examples/bench_baseline.rs`), against real
//! OpenStack Glance and Stoplight Prism loaded with the same images; uploads against the speed of
//! hashing the same bytes; the conformance tester against Schemathesis. `--smoke` runs the whole
//! pipeline briefly with debug binaries and writes to `target/bench/` instead: CI runs it to
//! prove the command works, and judges no time.

mod load;
mod report;
mod tester;
mod upload;
mod upstream;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::util::{cargo, project_root};
use load::Shape;
use report::{HttpRow, Results};

/// `cargo xtask bench` options.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// A short run of every step (debug binaries, 1 s per load, few images), written under
    /// target/bench/ instead of docs/: proves the command works.
    #[arg(long)]
    pub smoke: bool,
    /// Seconds of load per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u32,
    /// Open connections (wrk -c); two load threads.
    #[arg(long, default_value_t = 8)]
    pub connections: u32,
    /// Glance images loaded into every Glance measured.
    #[arg(long, default_value_t = 1000)]
    pub images: usize,
    /// Measurements per server and operation, alternating with its baseline; the median counts.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Steps to leave out: `upstream` (real Glance), `prism`, `upload`, `tester`; their tables
    /// are carried over from the file being rewritten, marked with the date they were measured.
    #[arg(long, value_delimiter = ',', value_parser = ["upstream", "prism", "upload", "tester"])]
    pub skip: Vec<String>,
}

/// Development tokens of `server/demo/credentials.toml`.
const ADMIN: (&str, &str) = ("X-Auth-Token", "alice-token");
const MEMBER: (&str, &str) = ("X-Auth-Token", "bob-token");

pub fn run(mut opts: Options) -> Result<()> {
    let root = project_root();
    if opts.smoke {
        (opts.seconds, opts.images, opts.rounds) = (1, 30, 1);
    }
    let profile = if opts.smoke { "dev" } else { "release" };
    let bin = crate::util::target_dir().join(if opts.smoke { "debug" } else { "release" });
    crate::util::run_step(
        "bench",
        "cargo build (server, tester, baseline)",
        Command::new(cargo())
            .args(["build", "--locked", "--profile", profile])
            .args(["-p", "imagespec-server", "-p", "imagespec-conformance"])
            .args(["--bins", "--example", "bench_baseline"])
            .current_dir(&root),
    )?;
    let wrk = load::ensure_wrk()?;
    let shape = Shape { threads: 2, connections: opts.connections, seconds: opts.seconds };
    let skip = |step: &str| opts.skip.iter().any(|s| s == step);

    let ours = start_ours(&root, &bin)?;
    eprintln!("bench: loading {} Glance images into imagespec", opts.images);
    let ids = upstream::create_glance_images(&ours.url, &[ADMIN], opts.images)?;
    let show = format!("/v2/images/{}", ids[ids.len() / 2]);

    let snowflake = ("Authorization", "Bearer alice-snowflake-token");
    let ops: Vec<(&str, &str, String, (&str, &str))> = vec![
        ("glance", "list images", "/v2/images?limit=25".into(), MEMBER),
        ("glance", "show image", show.clone(), MEMBER),
        ("cce", "list image caches", "/v5/imagecaches".into(), ADMIN),
        ("swr", "list repositories", "/v2/manage/repos".into(), MEMBER),
        (
            "snowflake",
            "list image repositories",
            "/api/v2/databases/tutorial_db/schemas/data_schema/image-repositories".into(),
            snowflake,
        ),
    ];
    // The ceiling answers each path with the bytes our server gave for it.
    let work = tempfile::tempdir()?;
    let mut routes = Vec::new();
    for (i, (_, _, path, header)) in ops.iter().enumerate() {
        let (body, content_type) = fetch(&format!("{}{path}", ours.url), *header)?;
        let body_file = work.path().join(format!("body-{i}"));
        std::fs::write(&body_file, body)?;
        let path = path.split('?').next().unwrap_or(path).to_owned();
        routes.push(serde_json::json!({
            "path": path, "content_type": content_type, "body_file": body_file,
        }));
    }
    let routes_file = work.path().join("routes.json");
    std::fs::write(&routes_file, serde_json::to_vec(&routes)?)?;
    let ceiling = Spawned::start(
        "ceiling",
        Command::new(bin.join("examples/bench_baseline")).arg("serve").arg(&routes_file),
        |line| line.strip_prefix("ceiling listening on ").map(str::to_owned),
    )?;
    let mut http = Vec::new();
    for (family, operation, path, header) in &ops {
        eprintln!("bench: {family} {operation}");
        let headers = vec![(header.0.to_owned(), header.1.to_owned())];
        let (ours_load, ceiling_load) = alternate(opts.rounds, || {
            Ok((
                load::run(&wrk, &format!("{}{path}", ours.url), &headers, shape)?,
                load::run(&wrk, &format!("{}{path}", ceiling.url), &headers, shape)?,
            ))
        })?;
        if ours_load.errors + ceiling_load.errors > 0 {
            bail!(
                "{family} {operation}: wrk saw errors or non-2xx answers ({ours_load:?}, ceiling {ceiling_load:?})"
            );
        }
        let bytes = std::fs::metadata(work.path().join(format!("body-{}", http.len())))?.len();
        http.push(HttpRow {
            family,
            operation,
            path: path.replace(&show, "/v2/images/{id}"),
            bytes,
            ours: ours_load,
            baseline: ceiling_load,
        });
    }
    drop(ceiling);

    let mut results =
        Results { opts: report::Settings::from(&opts, shape), http, ..Default::default() };
    if !skip("upstream") {
        eprintln!("bench: real OpenStack Glance");
        let glance = upstream::start_glance(&root)?;
        let real_ids = upstream::create_glance_images(&glance.base_url, &[], opts.images)?;
        let real_show = format!("/v2/images/{}", real_ids[real_ids.len() / 2]);
        results.upstream = Some(versus(
            &wrk,
            shape,
            opts.rounds,
            &ours.url,
            &glance.base_url,
            &[("/v2/images?limit=25", "/v2/images?limit=25"), (&show, &real_show)],
        )?);
    }
    if !skip("prism") {
        eprintln!("bench: Stoplight Prism mocking specs/glance.yaml");
        let prism = upstream::start_prism(&root, &root.join("specs/glance.yaml"))?;
        results.prism = Some(versus(
            &wrk,
            shape,
            opts.rounds,
            &ours.url,
            &prism.base_url,
            &[("/v2/images?limit=25", "/v2/images?limit=25"), (&show, &show)],
        )?);
    }
    if !skip("upload") {
        eprintln!("bench: uploads");
        let (mib, count) = if opts.smoke { (4, 2) } else { (256, 4) };
        let baseline = bin.join("examples/bench_baseline");
        results.upload = Some(upload::measure(&ours.url, ADMIN.1, &baseline, mib, count)?);
    }
    drop(ours);
    if !skip("tester") {
        eprintln!("bench: the conformance tester against Schemathesis");
        // A fresh server with the demo state, so neither tool sees the thousand images.
        let server = start_ours(&root, &bin)?;
        let budget = if opts.smoke { 5 } else { 100 };
        let tester_bin = bin.join("imagespec-conformance");
        results.tester = Some(tester::compare(&root, &server.url, &tester_bin, budget)?);
    }

    let target = root.join(if opts.smoke {
        "target/bench/benchmarks-smoke.md"
    } else {
        "docs/benchmarks.md"
    });
    let previous = std::fs::read_to_string(&target).unwrap_or_default();
    let section = report::render(&results, opts.smoke, &previous);
    report::write_section(&target, &section)?;
    eprintln!("bench: wrote {}", target.display());
    Ok(())
}

/// Our server from `bin`, on a free port, with the demo state.
fn start_ours(root: &Path, bin: &Path) -> Result<Spawned> {
    Spawned::start(
        "imagespec-server",
        Command::new(bin.join("imagespec-server"))
            .args(["--port", "0", "--state"])
            .arg(root.join("server/demo/state.json")),
        |line| line.strip_prefix("imagespec-server listening on ").map(str::to_owned),
    )
}

/// Ours against another server, path by path (ours first in each pair), alternating.
fn versus(
    wrk: &Path,
    shape: Shape,
    rounds: usize,
    ours: &str,
    other: &str,
    paths: &[(&str, &str)],
) -> Result<Vec<(load::Load, load::Load)>> {
    let mut out = Vec::new();
    for (ours_path, other_path) in paths {
        let headers = vec![(MEMBER.0.to_owned(), MEMBER.1.to_owned())];
        out.push(alternate(rounds, || {
            Ok((
                load::run(wrk, &format!("{ours}{ours_path}"), &headers, shape)?,
                load::run(wrk, &format!("{other}{other_path}"), &headers, shape)?,
            ))
        })?);
    }
    Ok(out)
}

/// Runs a pair of measurements `rounds` times and keeps each side's median round.
fn alternate(
    rounds: usize,
    mut pair: impl FnMut() -> Result<(load::Load, load::Load)>,
) -> Result<(load::Load, load::Load)> {
    let mut firsts = Vec::new();
    let mut seconds = Vec::new();
    for _ in 0..rounds.max(1) {
        let (a, b) = pair()?;
        firsts.push(a);
        seconds.push(b);
    }
    Ok((median(firsts), median(seconds)))
}

fn median(mut loads: Vec<load::Load>) -> load::Load {
    loads.sort_by(|a, b| a.requests_per_s.total_cmp(&b.requests_per_s));
    loads[loads.len() / 2]
}

/// One GET: the body and its content type; anything but 200 is an error.
fn fetch(url: &str, header: (&str, &str)) -> Result<(Vec<u8>, String)> {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = agent.get(url).header(header.0, header.1).call()?;
    if resp.status() != 200 {
        bail!("GET {url} answered {}", resp.status());
    }
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    Ok((resp.body_mut().read_to_vec()?, content_type))
}

/// A process this benchmark started: its URL, read off its output; killed on drop.
pub struct Spawned {
    pub url: String,
    child: Child,
}

impl Spawned {
    /// Starts `cmd` and waits for the line of its stdout that `url_of` reads a URL from.
    fn start(
        what: &str,
        cmd: &mut Command,
        url_of: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {what}"))?;
        let mut reader = BufReader::new(child.stdout.take().context("stdout")?);
        let mut line = String::new();
        let url = loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                let _ = child.kill();
                bail!("{what} exited before printing its address");
            }
            if let Some(url) = url_of(line.trim()) {
                break url;
            }
        };
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        Ok(Self { url, child })
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Our conformance tester against Schemathesis 4.x on the Glance spec: speed and time to a fault.
//!
//! Both tools test the Glance family of the same server through the same [`FaultProxy`], which
//! counts the requests each sends, with the same budget of generated cases per operation and the
//! same seed, one request at a time (`--concurrency 1`, `--workers 1`). Each runs twice:
//!
//! - **clean**: the proxy only counts. Figures: forwarded requests, wall time, checked requests
//!   per second (every response is checked by both tools), and what each reports against our
//!   server, which is conformant by our own tests (so every Schemathesis finding is either a real
//!   deviation our tester misses or a false positive; the report says which).
//! - **faulty**: the proxy plants [`Fault::ShowWithoutStatus`]. Neither tool streams its verdicts
//!   (both print them when the run ends) and neither can stop at the first failure without also
//!   stopping at unrelated ones, so "time to report the fault" is the wall time of the whole
//!   default run, and the report is checked to name the fault. The proxy also records when the
//!   first faulted response went out: how deep into its run each tool reaches the operation.
//!
//! Our tester runs its default phases (boundary and `--fuzz-cases` random cases per operation,
//! the Glance semantic suite, the undeclared-methods probe). Schemathesis runs its defaults too:
//! every phase (examples, coverage, fuzzing, stateful) and every check (the 4.x default),
//! `--max-examples` being its per-operation budget for the fuzzing phase; the coverage and
//! stateful phases generate cases of their own beyond it. Equal budgets therefore do not mean
//! equal request counts, which is why throughput is per request and the counts are reported.

mod proxy;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

pub use proxy::{Fault, FaultProxy};

/// Where the venv and the run outputs live, relative to the workspace root.
const BENCH_DIR: &str = "target/bench";
/// Schemathesis pinned, relative to the workspace root.
const REQUIREMENTS: &str = "xtask/bench/schemathesis-requirements.txt";
/// The seed both tools are given.
const SEED: &str = "1";

/// The figures of one comparison, for docs/benchmarks.md.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Cases per operation given to both tools.
    pub budget: u32,
    /// `st --version`'s answer.
    pub schemathesis_version: String,
    /// Seconds the venv install took in this call; `None` when it was already there.
    pub install_seconds: Option<f64>,
    /// The planted fault, in words.
    pub fault: &'static str,
    pub ours: ToolFigures,
    pub schemathesis: ToolFigures,
}

/// One tool's two runs.
#[derive(Debug, Clone)]
pub struct ToolFigures {
    /// The clean run's command line (the proxy's URL as `PROXY`); the faulty run is the same.
    pub command: String,
    pub clean: CleanRun,
    pub faulty: FaultyRun,
}

/// A run against the unmodified server.
#[derive(Debug, Clone)]
pub struct CleanRun {
    /// Requests the proxy forwarded.
    pub requests: u64,
    pub seconds: f64,
    /// `requests / seconds`.
    pub requests_per_second: f64,
    pub exit_code: Option<i32>,
    /// What the tool reported, one line per finding (a check on an operation, with a count).
    pub findings: Vec<String>,
}

/// A run with the fault planted.
#[derive(Debug, Clone)]
pub struct FaultyRun {
    pub requests: u64,
    /// Wall time of the whole run: both tools report when they end.
    pub seconds: f64,
    pub exit_code: Option<i32>,
    /// Seconds from the start until the proxy first served a faulted response.
    pub first_faulted_response: Option<f64>,
    /// Whether the report names the fault (the operation and the missing `status`).
    pub reported: bool,
    /// The report's words for it.
    pub evidence: Vec<String>,
}

/// Runs both tools twice against `server_base_url` (our server, Glance mounted, the demo
/// principals `bob-token` and `carol-token`). `conformance_bin` is the release build of
/// `imagespec-conformance`.
pub fn compare(
    root: &Path,
    server_base_url: &str,
    conformance_bin: &Path,
    budget: u32,
) -> Result<Comparison> {
    let out_dir = root.join(BENCH_DIR).join("tester");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let (st, install_seconds) = ensure_schemathesis(root)?;
    let schemathesis_version = capture(Command::new(&st).arg("--version"))?.trim().to_owned();
    let fault = Fault::ShowWithoutStatus;

    // Ours first: it deletes what it creates; Schemathesis's stateful phase leaves images behind.
    let ours = ToolFigures {
        command: format!(
            "imagespec-conformance {} > ours.json",
            ours_args("PROXY", budget).join(" ")
        ),
        clean: clean_run(server_base_url, |proxy| {
            run_ours(conformance_bin, proxy, budget, &out_dir, "clean")
        })?,
        faulty: faulty_run(server_base_url, fault, |proxy| {
            run_ours(conformance_bin, proxy, budget, &out_dir, "faulty")
        })?,
    };
    let schemathesis = ToolFigures {
        command: format!("st {}", st_args(root, "PROXY", budget, Path::new("st.json")).join(" ")),
        clean: clean_run(server_base_url, |proxy| {
            run_schemathesis(root, &st, proxy, budget, &out_dir, "clean")
        })?,
        faulty: faulty_run(server_base_url, fault, |proxy| {
            run_schemathesis(root, &st, proxy, budget, &out_dir, "faulty")
        })?,
    };
    Ok(Comparison {
        budget,
        schemathesis_version,
        install_seconds,
        fault: fault.describe(),
        ours,
        schemathesis,
    })
}

/// What one tool run left behind: its exit code and its parsed report.
struct Outcome {
    exit_code: Option<i32>,
    report: Report,
}

/// A tool's findings, read from its JSON report.
struct Report {
    /// One line per finding.
    findings: Vec<String>,
    /// The lines that name the planted fault.
    fault_lines: Vec<String>,
}

fn clean_run(server: &str, run: impl FnOnce(&str) -> Result<Outcome>) -> Result<CleanRun> {
    let proxy = FaultProxy::start(server, None)?;
    let started = Instant::now();
    let outcome = run(proxy.url())?;
    let seconds = started.elapsed().as_secs_f64();
    let requests = proxy.forwarded();
    Ok(CleanRun {
        requests,
        seconds,
        requests_per_second: requests as f64 / seconds,
        exit_code: outcome.exit_code,
        findings: outcome.report.findings,
    })
}

fn faulty_run(
    server: &str,
    fault: Fault,
    run: impl FnOnce(&str) -> Result<Outcome>,
) -> Result<FaultyRun> {
    let proxy = FaultProxy::start(server, Some(fault))?;
    let started = Instant::now();
    let outcome = run(proxy.url())?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(FaultyRun {
        requests: proxy.forwarded(),
        seconds,
        exit_code: outcome.exit_code,
        first_faulted_response: proxy.first_fault_after(started),
        reported: !outcome.report.fault_lines.is_empty(),
        evidence: outcome.report.fault_lines,
    })
}

// --- imagespec-conformance ---

fn ours_args(proxy: &str, budget: u32) -> Vec<String> {
    let args = [
        "--base-url",
        proxy,
        "--family",
        "glance",
        "--token",
        "glance=bob-token",
        "--other-token",
        "glance=carol-token",
        "--seed",
        SEED,
        "--fuzz-cases",
        &budget.to_string(),
        "--concurrency",
        "1",
        "--format",
        "json",
    ];
    args.iter().map(|a| a.to_string()).collect()
}

fn run_ours(bin: &Path, proxy: &str, budget: u32, out_dir: &Path, label: &str) -> Result<Outcome> {
    let json_path = out_dir.join(format!("ours-{label}.json"));
    let args = ours_args(proxy, budget);
    let stdout = std::fs::File::create(&json_path)?;
    let stderr = std::fs::File::create(out_dir.join(format!("ours-{label}.stderr")))?;
    eprintln!("bench: imagespec-conformance {} ({label})", args.join(" "));
    let status = Command::new(bin)
        .args(&args)
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .with_context(|| format!("starting {}", bin.display()))?;
    if status.code() == Some(2) {
        bail!("imagespec-conformance could not run ({label}); see {}", out_dir.display());
    }
    let text = std::fs::read_to_string(&json_path)?;
    let report: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", json_path.display()))?;
    Ok(Outcome { exit_code: status.code(), report: ours_report(&report) })
}

/// Our JSON report's findings, grouped by check, operation and severity, with a count.
fn ours_report(report: &Value) -> Report {
    let mut groups: Vec<(String, usize)> = Vec::new();
    let mut fault_lines = Vec::new();
    for f in report["findings"].as_array().into_iter().flatten() {
        let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
        let kind = if f["warning"].as_bool() == Some(true) { "warning" } else { "violation" };
        let key = format!("{} {} on {}", text("check"), kind, text("operation"));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => groups.push((key, 1)),
        }
        let message = text("message");
        let on_show = text("operation").starts_with("GET /v2/images/")
            && !text("operation")["GET /v2/images/".len()..].contains('/');
        let schema_check = matches!(text("check").as_str(), "C104" | "C106");
        let line = format!("{} {}: {}", text("check"), text("operation"), message);
        if on_show && schema_check && message.contains("\"status\"") && !fault_lines.contains(&line)
        {
            fault_lines.push(line);
        }
    }
    let findings = groups.into_iter().map(|(k, n)| format!("{k} (x{n})")).collect();
    Report { findings, fault_lines }
}

// --- Schemathesis ---

/// The venv's `st`, installing it from the pinned requirements when missing or changed; with the
/// seconds the install took when it ran.
fn ensure_schemathesis(root: &Path) -> Result<(PathBuf, Option<f64>)> {
    let venv = root.join(BENCH_DIR).join("py-schemathesis");
    let st = venv.join("bin/st");
    let wanted = std::fs::read_to_string(root.join(REQUIREMENTS))
        .with_context(|| format!("reading {REQUIREMENTS}"))?;
    let stamp = venv.join("requirements.installed");
    if st.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok((st, None));
    }
    let started = Instant::now();
    eprintln!("bench: installing Schemathesis into {}", venv.display());
    step(Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv))?;
    step(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r"])
            .arg(root.join(REQUIREMENTS)),
    )?;
    std::fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok((st, Some(started.elapsed().as_secs_f64())))
}

fn st_args(root: &Path, proxy: &str, budget: u32, json: &Path) -> Vec<String> {
    let spec = root.join("specs/glance.yaml");
    let budget = budget.to_string();
    let args = [
        "run",
        spec.to_str().unwrap_or("specs/glance.yaml"),
        "--url",
        proxy,
        "--header",
        "X-Auth-Token: bob-token",
        "--max-examples",
        &budget,
        "--seed",
        SEED,
        "--workers",
        "1",
        // Its example database would replay one run's failures in the next.
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        json.to_str().unwrap_or("st.json"),
    ];
    args.iter().map(|a| a.to_string()).collect()
}

fn run_schemathesis(
    root: &Path,
    st: &Path,
    proxy: &str,
    budget: u32,
    out_dir: &Path,
    label: &str,
) -> Result<Outcome> {
    let json_path = out_dir.join(format!("st-{label}.json"));
    let stdout_path = out_dir.join(format!("st-{label}.txt"));
    let _ = std::fs::remove_file(&json_path);
    let args = st_args(root, proxy, budget, &json_path);
    eprintln!("bench: st {} ({label})", args.join(" "));
    let status = Command::new(st)
        .args(&args)
        .current_dir(out_dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path)?)
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("starting {}", st.display()))?;
    let text = std::fs::read_to_string(&json_path).with_context(|| {
        format!("Schemathesis wrote no report ({label}); see {}", stdout_path.display())
    })?;
    let report: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", json_path.display()))?;
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    Ok(Outcome { exit_code: status.code(), report: st_report(&report, &stdout) })
}

/// Schemathesis's JSON report's failures (per check code and operation) and errors; the fault is
/// reported when a response-schema failure (ST108) on the show operation is listed and the run's
/// text output names the missing `status`.
fn st_report(report: &Value, stdout: &str) -> Report {
    let mut findings = Vec::new();
    let mut fault_lines = Vec::new();
    for f in report["failures"].as_array().into_iter().flatten() {
        let code = f["code"].as_str().unwrap_or_default();
        let title = f["title"].as_str().unwrap_or_default();
        for op in f["operations"].as_array().into_iter().flatten() {
            let op = op.as_str().unwrap_or_default();
            findings.push(format!("{code} {title} on {op}"));
            // ST108 is response_schema_conformance's code.
            if op == "GET /v2/images/{image_id}" && code == "ST108" {
                fault_lines.push(format!("{code} {title} on {op}"));
            }
        }
    }
    for e in report["errors"].as_array().into_iter().flatten() {
        let title = e["title"].as_str().unwrap_or_default();
        findings.push(format!("error: {title} (x{})", e["count"]));
    }
    // The JSON report has no messages; the text output names the missing property.
    let named = stdout.lines().find(|l| l.contains("\"status\" is a required property"));
    match named {
        Some(line) if !fault_lines.is_empty() => fault_lines.push(line.trim().to_owned()),
        _ => fault_lines.clear(),
    }
    Report { findings, fault_lines }
}

fn step(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}

fn capture(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("starting {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl std::fmt::Display for Comparison {
    /// Every figure, as plain text (the `bench-tester-try` printout).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "budget: {} cases per operation; {}", self.budget, self.schemathesis_version)?;
        if let Some(s) = self.install_seconds {
            writeln!(f, "Schemathesis installed in {s:.1} s")?;
        }
        writeln!(f, "planted fault: {}", self.fault)?;
        for (name, tool) in
            [("imagespec-conformance", &self.ours), ("Schemathesis", &self.schemathesis)]
        {
            let (c, x) = (&tool.clean, &tool.faulty);
            writeln!(f, "\n{name}: {}", tool.command)?;
            writeln!(
                f,
                "  clean: {} requests in {:.2} s = {:.0} checked requests/s, exit {:?}, \
                 {} findings",
                c.requests,
                c.seconds,
                c.requests_per_second,
                c.exit_code,
                c.findings.len()
            )?;
            for line in &c.findings {
                writeln!(f, "    - {line}")?;
            }
            let first =
                x.first_faulted_response.map_or("never".to_owned(), |s| format!("{s:.2} s"));
            writeln!(
                f,
                "  faulty: {} requests in {:.2} s, exit {:?}, first faulted response at {first}, \
                 fault reported: {}",
                x.requests, x.seconds, x.exit_code, x.reported
            )?;
            for line in &x.evidence {
                writeln!(f, "    - {line}")?;
            }
        }
        Ok(())
    }
}

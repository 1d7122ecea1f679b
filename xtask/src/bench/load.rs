//! The load generator: wrk (Debian's package), installed when missing, driven with a Lua
//! `done` hook that prints its summary as one JSON line.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

const WRK: &str = "/usr/bin/wrk";

/// What wrk saw in one run.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub requests_per_s: f64,
    /// Answers outside 2xx/3xx, plus connect, read, write and timeout errors.
    pub errors: u64,
    pub p50_us: f64,
    pub p99_us: f64,
}

/// How hard and how long to push.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub threads: u32,
    pub connections: u32,
    pub seconds: u32,
}

/// The wrk binary, installed from Debian's packages if it is not there yet.
pub fn ensure_wrk() -> Result<PathBuf> {
    if Path::new(WRK).exists() {
        return Ok(WRK.into());
    }
    eprintln!("bench: installing Debian's wrk");
    crate::util::apt_install("bench", &["wrk"])?;
    Ok(WRK.into())
}

/// The Lua hook: wrk calls `done` once with the run's summary and latency distribution.
const REPORT_LUA: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%f,"p99_us":%f}\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"#;

/// Runs wrk against `url` (GET) with the given headers.
pub fn run(wrk: &Path, url: &str, headers: &[(String, String)], shape: Shape) -> Result<Load> {
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("report.lua");
    std::fs::write(&script, REPORT_LUA)?;
    let mut cmd = Command::new(wrk);
    cmd.arg(format!("-t{}", shape.threads))
        .arg(format!("-c{}", shape.connections))
        .arg(format!("-d{}s", shape.seconds))
        .arg("-s")
        .arg(&script);
    for (name, value) in headers {
        cmd.arg("-H").arg(format!("{name}: {value}"));
    }
    let out = cmd.arg(url).output().context("starting wrk")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk {url} failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WRKJSON "))
        .with_context(|| format!("wrk printed no summary for {url}: {stdout}"))?;
    let v: Value = serde_json::from_str(json).context("wrk's summary")?;
    let num = |k: &str| v[k].as_f64().unwrap_or_default();
    let seconds = num("duration_us") / 1e6;
    Ok(Load {
        requests_per_s: if seconds > 0.0 { num("requests") / seconds } else { 0.0 },
        errors: num("errors") as u64,
        p50_us: num("p50_us"),
        p99_us: num("p99_us"),
    })
}

//! The benchmark's figures as a Markdown section of `docs/benchmarks.md`: tables with ratios,
//! the goals of issue 7 next to them, and the date, machine and settings of the run.

use std::path::Path;

use anyhow::{Context, Result};

use super::load::{Load, Shape};
use super::tester::Comparison;
use super::upload::Upload;

const BEGIN: &str = "<!-- cargo xtask bench: begin (generated; edits here are overwritten) -->";
const END: &str = "<!-- cargo xtask bench: end -->";

/// How the run was made.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    pub seconds: u32,
    pub threads: u32,
    pub connections: u32,
    pub images: usize,
    pub rounds: usize,
}

impl Settings {
    pub fn from(opts: &super::Options, shape: Shape) -> Self {
        Self {
            seconds: shape.seconds,
            threads: shape.threads,
            connections: shape.connections,
            images: opts.images,
            rounds: opts.rounds,
        }
    }
}

/// One operation of ours against its baseline.
#[derive(Debug)]
pub struct HttpRow {
    pub family: &'static str,
    pub operation: &'static str,
    pub path: String,
    pub bytes: u64,
    pub ours: Load,
    pub baseline: Load,
}

#[derive(Debug, Default)]
pub struct Results {
    pub opts: Settings,
    /// Ours against the framework's ceiling, per operation.
    pub http: Vec<HttpRow>,
    /// Glance list and show: (ours, real Glance).
    pub upstream: Option<Vec<(Load, Load)>>,
    /// Glance list and show: (ours, Prism).
    pub prism: Option<Vec<(Load, Load)>>,
    pub upload: Option<Upload>,
    pub tester: Option<Comparison>,
}

/// The generated section; a step skipped in this run (`--skip`) keeps its table from
/// `previous` (the file's current text), marked as carried over with the date it was measured.
pub fn render(r: &Results, smoke: bool, previous: &str) -> String {
    let previous = generated(previous);
    let mut out = String::new();
    let s = &r.opts;
    let today = time::OffsetDateTime::now_utc().date();
    out += "## Side by side: `cargo xtask bench` (issue 7, items 2 and 3)\n\n";
    if smoke {
        out += "**Smoke run** (`cargo xtask bench --smoke`, debug binaries): proves the command \
                works; the figures mean nothing.\n\n";
    }
    out += &format!(
        "Measured {today} on {}. Load: wrk {} threads, {} connections, {} s per measurement, \
         {} round(s) alternating with the baseline (median kept); {} Glance images loaded over \
         HTTP into every Glance measured. Everything (load generator, servers) shares the same \
         cores, so absolute figures are lower than on a dedicated load machine; the ratios are \
         the claim.\n\n",
        machine(),
        s.threads,
        s.connections,
        s.seconds,
        s.rounds,
        s.images
    );
    out += "### Our server against the framework's ceiling\n\n";
    out += "The ceiling is a minimal poem server answering the same path with a fixed copy of the \
            bytes our server gave for it (`server/examples/bench_baseline.rs`, built with the server's dependencies and profile). Goal: at least half of \
            the ceiling (Glance list and show).\n\n";
    out += "| family | operation | body | imagespec | p50 / p99 | ceiling | ours / ceiling |\n";
    out += "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n";
    for row in &r.http {
        out += &format!(
            "| {} | {} `{}` | {} B | {} | {} | {} | {} |\n",
            row.family,
            row.operation,
            row.path,
            row.bytes,
            rps(&row.ours),
            latency(&row.ours),
            rps(&row.baseline),
            ratio(row.ours.requests_per_s, row.baseline.requests_per_s),
        );
    }
    out += "\n";
    for (step, title, rows, name, goal) in [
        (
            "upstream",
            "Real OpenStack Glance",
            &r.upstream,
            "real Glance",
            "at least 200x real Glance. Real Glance: PyPI `glance` (pinned in \
             `xtask/bench/glance-requirements.txt`), sqlite, file store, no Keystone \
             (`xtask/src/bench/upstream.rs`).",
        ),
        (
            "prism",
            "Stoplight Prism",
            &r.prism,
            "Prism",
            "none stated; Prism (`@stoplight/prism-cli` 5.14.2) mocks `specs/glance.yaml`, so \
             this is how far a stateful fake is from a canned one.",
        ),
    ] {
        let Some(rows) = rows else {
            out += &carried(previous, step, title);
            continue;
        };
        out += &format!("### {title}\n\nGoal: {goal}\n\n");
        out += &format!("| operation | imagespec | {name} | {name} p50 / p99 | ours / {name} |\n");
        out += "| --- | ---: | ---: | ---: | ---: |\n";
        for ((ours, other), op) in rows.iter().zip(["list `?limit=25`", "show"]) {
            out += &format!(
                "| {op} | {} | {}{} | {} | {} |\n",
                rps(ours),
                rps(other),
                if other.errors > 0 {
                    format!(" ({} errors)", other.errors)
                } else {
                    String::new()
                },
                latency(other),
                ratio(ours.requests_per_s, other.requests_per_s),
            );
        }
        out += "\n";
    }
    match &r.upload {
        None => out += &carried(previous, "upload", UPLOAD_TITLE),
        Some(u) => out += &upload_section(u),
    }
    match &r.tester {
        None => out += &carried(previous, "tester", TESTER_TITLE),
        Some(t) => out += &tester_section(t),
    }
    out
}

const UPLOAD_TITLE: &str = "Image upload against the hashing limit";
const TESTER_TITLE: &str = "The conformance tester against Schemathesis";

/// The text between the markers of a document's generated section (empty without one).
fn generated(doc: &str) -> &str {
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(b), Some(e)) if b < e => &doc[b + BEGIN.len()..e],
        _ => "",
    }
}

/// The subsection `### {title}` of a previous generated section, for a step this run skipped:
/// under its heading, a line saying so and when it was measured (kept from the first carry).
/// Empty when the previous section has none.
fn carried(previous: &str, step: &str, title: &str) -> String {
    let heading = format!("### {title}\n");
    let Some(start) = previous.find(&heading) else { return String::new() };
    let body = &previous[start + heading.len()..];
    let end = body.find("\n### ").or_else(|| body.find("\n## ")).map_or(body.len(), |e| e + 1);
    let body = body[..end].trim_start_matches('\n');
    const NOTE: &str = "_Not measured in the last run";
    let (date, body) = match body.strip_prefix(NOTE) {
        Some(rest) => {
            let date = rest.split("measured ").nth(1).and_then(|d| d.get(..10)).unwrap_or("?");
            (date.to_owned(), rest.split_once("\n\n").map_or("", |(_, b)| b))
        }
        None => {
            let date = previous.split("Measured ").nth(1).and_then(|d| d.get(..10));
            (date.unwrap_or("?").to_owned(), body)
        }
    };
    format!(
        "{heading}\n{NOTE} (`--skip {step}`): these figures were measured {date}, in an \
         earlier run._\n\n{}\n\n",
        body.trim_end()
    )
}

fn upload_section(u: &Upload) -> String {
    let mut out = format!("### {UPLOAD_TITLE}\n\n");
    out += &format!(
        "{} uploads of {} MiB of incompressible bytes (`PUT /v2/images/{{id}}/file`, streamed to \
         disk while MD5 and SHA-512 are computed), against computing MD5 and SHA-512 over the \
         same bytes in one thread with the server's crates and profile (`bench_baseline hash`, \
         best of 3). The server's digests are checked against the sent bytes. Goal: at least 80% \
         of the limit.\n\n",
        u.images,
        u.bytes_per_image >> 20
    );
    out += "| upload | hashing limit | upload / limit |\n| ---: | ---: | ---: |\n";
    out += &format!(
        "| {:.0} MB/s | {:.0} MB/s | {:.0}% |\n\n",
        u.upload_mb_s,
        u.hash_mb_s,
        100.0 * u.upload_mb_s / u.hash_mb_s.max(1e-9)
    );
    out
}

/// Replaces the generated section of `path` (or appends it), keeping everything else.
pub fn write_section(path: &Path, section: &str) -> Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{BEGIN}\n\n{section}\n{END}\n");
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{block}{}", &old[..b], &old[e + END.len()..].trim_start_matches('\n'))
        }
        _ => format!("{}{}{block}", old, if old.is_empty() { "" } else { "\n" }),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, new).with_context(|| format!("writing {}", path.display()))
}

fn rps(l: &Load) -> String {
    format!("{:.0} req/s", l.requests_per_s)
}

fn latency(l: &Load) -> String {
    format!("{} / {}", micros(l.p50_us), micros(l.p99_us))
}

fn micros(us: f64) -> String {
    if us >= 1000.0 { format!("{:.1} ms", us / 1000.0) } else { format!("{us:.0} µs") }
}

fn ratio(a: f64, b: f64) -> String {
    if b <= 0.0 { "n/a".into() } else { format!("{:.2}x", a / b) }
}

/// CPU model and count, memory, kernel and rustc, read off this machine.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_else(|| "an unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let output = |cmd: &str, arg: &str| {
        std::process::Command::new(cmd)
            .arg(arg)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    format!(
        "{cpus} x {model}, {mem_gib:.0} GiB, Linux {}, {}, release profile",
        output("uname", "-r"),
        output("rustc", "--version")
    )
}

fn tester_section(t: &Comparison) -> String {
    let mut out = format!("### {TESTER_TITLE}\n\n");
    out += &format!(
        "Both test the Glance family of a fresh server with the demo state, through a proxy that \
         counts every request and, in the faulty runs, plants one fault: {}. Same spec, seed 1, \
         one request at a time, {} generated cases per operation (`--fuzz-cases` / \
         `--max-examples`), each tool's default phases and checks ({}). Neither tool reports \
         before its run ends, so the time to report the fault is the whole faulty run, and the \
         report is checked to name it. Goal: at least 10x Schemathesis in checked requests per \
         second.\n\n",
        t.fault, t.budget, t.schemathesis_version
    );
    out += "| tool | clean: requests | seconds | checked req/s | findings | faulty run: reported in | fault named |\n";
    out += "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n";
    for (name, f) in [("imagespec-conformance", &t.ours), ("Schemathesis", &t.schemathesis)] {
        out += &format!(
            "| {name} | {} | {:.2} | {:.0} | {} | {:.2} s | {} |\n",
            f.clean.requests,
            f.clean.seconds,
            f.clean.requests_per_second,
            f.clean.findings.len(),
            f.faulty.seconds,
            if f.faulty.reported { "yes" } else { "**no**" },
        );
    }
    out += &format!(
        "\nChecked requests per second, ours / Schemathesis: **{}**; time to report the fault, \
         Schemathesis / ours: **{}**.\n\n",
        ratio(t.ours.clean.requests_per_second, t.schemathesis.clean.requests_per_second),
        ratio(t.schemathesis.faulty.seconds, t.ours.faulty.seconds),
    );
    for (name, f) in [("imagespec-conformance", &t.ours), ("Schemathesis", &t.schemathesis)] {
        out += &format!("{name}'s findings against the correct server:");
        if f.clean.findings.is_empty() {
            out += " none.\n\n";
        } else {
            out += "\n\n";
            for line in &f.clean.findings {
                out += &format!("- {line}\n");
            }
            out += "\n";
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(section: &str) -> String {
        format!("# Benchmarks\n\nprose\n\n{BEGIN}\n\n{section}\n{END}\n")
    }

    const OLD: &str = "## Side by side\n\nMeasured 2026-12-06 on a machine.\n\n### Our server\n\n\
        | a |\n\n### Real OpenStack Glance\n\nGoal: 200x.\n\n| list | 281x |\n\n\
        ### Image upload against the hashing limit\n\n| 88% |\n\n";

    /// A skipped step keeps its previous table, marked with the date it was measured, and that
    /// date survives being carried again; a step never measured adds nothing.
    #[test]
    fn a_skipped_step_keeps_its_previous_table_and_date() {
        let once = carried(generated(&doc(OLD)), "upstream", "Real OpenStack Glance");
        assert_eq!(
            once,
            "### Real OpenStack Glance\n\n_Not measured in the last run (`--skip upstream`): \
             these figures were measured 2026-12-06, in an earlier run._\n\nGoal: 200x.\n\n\
             | list | 281x |\n\n"
        );
        let later = format!("## Side by side\n\nMeasured 2026-12-09 on a machine.\n\n{once}\n");
        let twice = carried(generated(&doc(&later)), "upstream", "Real OpenStack Glance");
        assert_eq!(twice, once, "carried again, still the first date");
        let upload = carried(generated(&doc(OLD)), "upload", UPLOAD_TITLE);
        assert!(upload.contains("2026-12-06") && upload.ends_with("| 88% |\n\n"), "{upload}");
        assert_eq!(carried(generated(&doc(OLD)), "prism", "Stoplight Prism"), "");
        assert_eq!(generated("no markers"), "");
    }
}

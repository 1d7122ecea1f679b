//! `imagespec-conformance`: arguments → config → run → report → exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use imagespec_conformance::families;
use imagespec_conformance::http::{Http, Trust};
use imagespec_conformance::signing::AkSk;
use imagespec_conformance::{
    Config, Family, Report, Transport, progress::Progress, replay, run_with_regions,
};

/// Checks a server against the imagespec contracts (specs/ built in) and reports every deviation.
///
/// Exit codes: 0 conformant (warnings allowed); 1 violations found; 2 the run could not be done
/// (bad arguments, unreachable target, an untrusted TLS certificate, unusable spec, a report
/// file that cannot be written).
/// With --replay: 0 the target answered, 2 it did not.
#[derive(Parser)]
#[command(version, args_override_self = true)]
struct Args {
    /// A TOML file with these options, one key per flag (`base_url = "..."`,
    /// `family = ["glance"]`, `fuzz_cases = 50`, ...); flags on the command line override single
    /// values from it and add to lists.
    #[arg(long, value_name = "FILE", env = "IMAGESPEC_CONFIG")]
    config: Option<PathBuf>,
    /// Base URL of the target, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "IMAGESPEC_BASE_URL", required_unless_present = "replay")]
    base_url: Option<String>,
    /// Families to test (repeatable). `glance`, `swr` and `cce` have semantic suites.
    #[arg(long = "family", default_value = "cce", value_parser = |s: &str| s.parse::<Family>())]
    families: Vec<Family>,
    /// A token per family, as FAMILY=TOKEN (sent as X-Auth-Token; Snowflake as a bearer token,
    /// and snowflake=TYPE:TOKEN also sends X-Snowflake-Authorization-Token-Type: TYPE).
    #[arg(long = "token", value_parser = parse_token)]
    tokens: Vec<(Family, String)>,
    /// A second principal's token per family, in another project (FAMILY=TOKEN), for the
    /// isolation checks (Glance: `GLANCE-S10`).
    #[arg(long = "other-token", value_parser = parse_token)]
    other_tokens: Vec<(Family, String)>,
    /// An access key per family, FAMILY=AK:SK or FAMILY=AK:SK:PROJECT_ID (SWR, CCE): every
    /// request of the family is signed with SDK-HMAC-SHA256 (and carries X-Project-Id).
    #[arg(long = "aksk", value_parser = parse_aksk)]
    aksk: Vec<(Family, AkSk)>,
    /// An extra header per family, FAMILY=NAME:VALUE (repeatable), e.g. Glance's trusted
    /// identity headers: `--header glance=X-Identity-Status:Confirmed`.
    #[arg(long = "header", value_parser = parse_header)]
    headers: Vec<(Family, (String, String))>,
    /// Only run and report these checks (repeatable): an id such as `C104`, or a prefix ending in
    /// `*` such as `SWR-*` or `C10*`; one that matches no check id (docs/checks.md) is refused.
    /// A phase none of whose checks is selected is skipped (the fuzzing, the undeclared-methods
    /// probe, a family's semantic suite). Default: every check.
    #[arg(long = "check", value_name = "ID")]
    checks: Vec<String>,
    /// A family's spec as FAMILY=FILE (OpenAPI 3.1 or 3.0.x, YAML or JSON, one self-contained
    /// document) instead of the built-in `specs/<family>.yaml`; repeatable.
    #[arg(long = "spec", value_name = "FAMILY=FILE", value_parser = parse_spec)]
    specs: Vec<(Family, PathBuf)>,
    /// Another SWR region's endpoint, REGION=URL (e.g. cn-east-3=http://127.0.0.1:8081): the
    /// target of the sync checks (`SWR-S06`, `SWR-S07`), observed through that endpoint. Needs
    /// --swr-source; the first one given is the target.
    #[arg(long = "swr-region", value_name = "REGION=URL", value_parser = parse_region,
          requires = "swr_source")]
    swr_regions: Vec<(String, String)>,
    /// An existing SWR repository NAMESPACE/REPO of the tested account whose tags the sync
    /// checks copy (the tester cannot push images); `SWR-S07` needs two different images in it.
    /// Needs --swr-region.
    #[arg(long, value_name = "NAMESPACE/REPO", value_parser = parse_swr_source,
          requires = "swr_regions")]
    swr_source: Option<String>,
    /// Seed of the run; it also names the resources the run creates.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Report format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Random fuzz cases per operation, after the boundary cases (0: no fuzzing).
    #[arg(long, value_name = "N", default_value_t = imagespec_conformance::fuzz::DEFAULT_CASES)]
    fuzz_cases: usize,
    /// Time limit in seconds for the fuzzing of the whole run (default: none).
    #[arg(long, value_name = "S")]
    fuzz_seconds: Option<f64>,
    /// Only fuzz (and send undeclared methods), no semantic suites (works for every family,
    /// also swr and snowflake).
    #[arg(long)]
    fuzz_only: bool,
    /// Fuzz up to N operations at once (the semantic suites always run one request at a
    /// time); the report is the same for a given seed.
    #[arg(long, value_name = "N", env = "IMAGESPEC_CONCURRENCY", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// HTTPS: trust the CA certificates in this PEM file instead of the built-in Mozilla
    /// roots (like curl's --cacert).
    #[arg(long, value_name = "FILE", env = "IMAGESPEC_CA_CERT", conflicts_with = "insecure")]
    ca_cert: Option<PathBuf>,
    /// HTTPS: do not verify the target's certificate at all.
    #[arg(long)]
    insecure: bool,
    /// Also write the report as JUnit XML to PATH (one test suite per family, one test case
    /// per check).
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// Also write one replay file per finding into DIR, named `<check>-<n>.json`.
    #[arg(long, value_name = "DIR")]
    replay_dir: Option<PathBuf>,
    /// Run no suite: send the request of a replay FILE again (to --base-url if given, else to
    /// the file's base URL) and print the response's status, headers and body.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["junit", "replay_dir"])]
    replay: Option<PathBuf>,
}

fn parse_token(s: &str) -> Result<(Family, String), String> {
    let (family, token) = s.split_once('=').ok_or("expected FAMILY=TOKEN")?;
    Ok((family.parse()?, token.to_owned()))
}

fn parse_spec(s: &str) -> Result<(Family, PathBuf), String> {
    let (family, file) = s.split_once('=').ok_or("expected FAMILY=FILE")?;
    Ok((family.parse()?, PathBuf::from(file)))
}

fn parse_region(s: &str) -> Result<(String, String), String> {
    let (region, url) = s.split_once('=').ok_or("expected REGION=URL")?;
    if region.is_empty() || !url.starts_with("http") {
        return Err("expected REGION=URL with an http(s) URL".into());
    }
    Ok((region.to_owned(), url.trim_end_matches('/').to_owned()))
}

/// `NAMESPACE/REPO`, where the repository may itself contain `/` (`demo/library/nginx`); no
/// part may be empty.
fn parse_swr_source(s: &str) -> Result<String, String> {
    if s.contains('/') && s.split('/').all(|part| !part.is_empty()) {
        Ok(s.to_owned())
    } else {
        Err("expected NAMESPACE/REPO, e.g. demo/library/nginx".into())
    }
}

fn parse_aksk(s: &str) -> Result<(Family, AkSk), String> {
    let (family, key) = s.split_once('=').ok_or("expected FAMILY=AK:SK[:PROJECT_ID]")?;
    Ok((family.parse()?, key.parse()?))
}

fn parse_header(s: &str) -> Result<(Family, (String, String)), String> {
    let (family, header) = s.split_once('=').ok_or("expected FAMILY=NAME:VALUE")?;
    let (name, value) = header.split_once(':').ok_or("expected FAMILY=NAME:VALUE")?;
    Ok((family.parse()?, (name.trim().to_owned(), value.trim().to_owned())))
}

/// Each family's credential headers: what its tokens become ([`families::entry`]), then any
/// extra headers.
fn credentials(
    tokens: &[(Family, String)],
    headers: &[(Family, (String, String))],
) -> Vec<(Family, Vec<(String, String)>)> {
    let mut out: Vec<(Family, Vec<(String, String)>)> = Vec::new();
    let mut add =
        |family: Family, header: (String, String)| match out.iter_mut().find(|(f, _)| *f == family)
        {
            Some((_, list)) => list.push(header),
            None => out.push((family, vec![header])),
        };
    for (family, token) in tokens {
        for header in (families::entry(*family).token)(token) {
            add(*family, header);
        }
    }
    for (family, header) in headers {
        add(*family, header.clone());
    }
    out
}

/// The command line with a config file's options (`--config FILE` or `IMAGESPEC_CONFIG`) put in
/// front of the flags.
fn command_line() -> Result<Vec<String>, imagespec_conformance::config_file::ConfigFileError> {
    let given: Vec<String> = std::env::args().collect();
    let mut file = std::env::var_os("IMAGESPEC_CONFIG").map(PathBuf::from);
    for (i, a) in given.iter().enumerate() {
        if let Some(v) = a.strip_prefix("--config=") {
            file = Some(PathBuf::from(v));
        } else if a == "--config" {
            file = given.get(i + 1).map(PathBuf::from);
        }
    }
    let Some(file) = file else { return Ok(given) };
    let mut args = vec![given.first().cloned().unwrap_or_default()];
    args.extend(imagespec_conformance::config_file::load(&file)?);
    args.extend(given.into_iter().skip(1));
    Ok(args)
}

fn main() -> ExitCode {
    let argv = match command_line() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {:#}", anyhow::Error::from(e));
            return ExitCode::from(2);
        }
    };
    let args = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    if let Err(e) = imagespec_conformance::checks::validate(&args.checks, &args.families) {
        eprintln!("error: --check {e}");
        return ExitCode::from(2);
    }
    let trust = match (&args.ca_cert, args.insecure) {
        (_, true) => Trust::Insecure,
        (Some(file), false) => match Trust::ca_file(file) {
            Ok(trust) => trust,
            Err(e) => {
                eprintln!("error: {:#}", anyhow::Error::from(e));
                return ExitCode::from(2);
            }
        },
        (None, false) => Trust::WebPki,
    };
    let timeout = Duration::from_secs(args.timeout);
    if let Some(file) = &args.replay {
        return replay_file(file, args.base_url.as_deref(), timeout, &trust);
    }
    let Some(base_url) = args.base_url.clone() else {
        eprintln!("error: --base-url is required");
        return ExitCode::from(2);
    };
    let auth = credentials(&args.tokens, &args.headers);
    let other_auth = credentials(&args.other_tokens, &[]);
    let mut specs = Vec::new();
    for (family, file) in &args.specs {
        match std::fs::read_to_string(file) {
            Ok(text) => specs.push((*family, text)),
            Err(e) => {
                eprintln!("error: cannot read the {} spec {}: {e}", family.name(), file.display());
                return ExitCode::from(2);
            }
        }
    }
    let config = Config {
        base_url: base_url.clone(),
        families: args.families,
        seed: args.seed,
        auth,
        other_auth,
        signing: args.aksk,
        fuzz_cases: args.fuzz_cases,
        fuzz_time: args.fuzz_seconds.and_then(|s| Duration::try_from_secs_f64(s.max(0.0)).ok()),
        specs,
        checks: args.checks.clone(),
        swr_regions: args.swr_regions.clone(),
        swr_source: args.swr_source,
        concurrency: usize::from(args.concurrency),
    };
    let http = Http::with_trust(&base_url, timeout, &trust);
    let transport = Progress::on_stderr(&http);
    let region_http: Vec<Http> =
        args.swr_regions.iter().map(|(_, url)| Http::with_trust(url, timeout, &trust)).collect();
    let regions: Vec<&dyn Transport> = region_http.iter().map(|h| h as &dyn Transport).collect();
    let outcome = if args.fuzz_only {
        imagespec_conformance::fuzz::fuzz_only(&config, &transport)
    } else {
        run_with_regions(&config, &transport, &regions)
    };
    transport.finish();
    match outcome {
        Ok(report) => {
            println!("{}", if args.format == "json" { report.to_json() } else { report.to_text() });
            if let Err(e) =
                write_files(args.junit.as_deref(), args.replay_dir.as_deref(), &base_url, &report)
            {
                eprintln!("error: {e:#}");
                return ExitCode::from(2);
            }
            if report.conformant() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes the JUnit file and the replay files that were asked for.
fn write_files(
    junit: Option<&Path>,
    replay_dir: Option<&Path>,
    base_url: &str,
    report: &Report,
) -> anyhow::Result<()> {
    if let Some(path) = junit {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(path, report.to_junit())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(dir) = replay_dir {
        replay::write_all(report, base_url, dir)?;
    }
    Ok(())
}

/// `--replay FILE`: sends the file's request again and prints the response.
fn replay_file(file: &Path, base_url: Option<&str>, timeout: Duration, trust: &Trust) -> ExitCode {
    let case = match replay::read(file) {
        Ok(case) => case,
        Err(e) => {
            eprintln!("error: {:#}", anyhow::Error::from(e));
            return ExitCode::from(2);
        }
    };
    let base = base_url.unwrap_or(&case.base_url);
    eprintln!("replaying {} ({}) against {base}", case.check, case.message);
    match Http::with_trust(base, timeout, trust).send(&case.request) {
        Ok(response) => {
            print!("{}", replay::render_response(&response));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

//! `imagespec-conformance`: arguments → config → run → report → exit code.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use imagespec_conformance::{Config, Family, http::Http, run};

/// Checks a server against the imagespec contracts (specs/ built in) and reports every deviation.
///
/// Exit codes: 0 conformant (warnings allowed); 1 violations found; 2 the run could not be done
/// (bad arguments, unreachable target, unusable spec).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Base URL of the target, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "IMAGESPEC_BASE_URL")]
    base_url: String,
    /// Families to test (repeatable). `glance` and `cce` have semantic suites.
    #[arg(long = "family", default_value = "cce", value_parser = |s: &str| s.parse::<Family>())]
    families: Vec<Family>,
    /// A token per family, as FAMILY=TOKEN (sent as X-Auth-Token; Snowflake as a bearer token).
    #[arg(long = "token", value_parser = parse_token)]
    tokens: Vec<(Family, String)>,
    /// A second principal's token per family, in another project (FAMILY=TOKEN), for the
    /// isolation checks (Glance: `GLANCE-S10`).
    #[arg(long = "other-token", value_parser = parse_token)]
    other_tokens: Vec<(Family, String)>,
    /// An extra header per family, FAMILY=NAME:VALUE (repeatable), e.g. Glance's trusted
    /// identity headers: `--header glance=X-Identity-Status:Confirmed`.
    #[arg(long = "header", value_parser = parse_header)]
    headers: Vec<(Family, (String, String))>,
    /// Seed of the run; it also names the resources the run creates.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Report format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

fn parse_token(s: &str) -> Result<(Family, String), String> {
    let (family, token) = s.split_once('=').ok_or("expected FAMILY=TOKEN")?;
    Ok((family.parse()?, token.to_owned()))
}

fn parse_header(s: &str) -> Result<(Family, (String, String)), String> {
    let (family, header) = s.split_once('=').ok_or("expected FAMILY=NAME:VALUE")?;
    let (name, value) = header.split_once(':').ok_or("expected FAMILY=NAME:VALUE")?;
    Ok((family.parse()?, (name.trim().to_owned(), value.trim().to_owned())))
}

/// Each family's credential headers: its token and any extra headers.
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
        add(
            *family,
            match family {
                Family::Snowflake => ("Authorization".to_owned(), format!("Bearer {token}")),
                _ => ("X-Auth-Token".to_owned(), token.clone()),
            },
        );
    }
    for (family, header) in headers {
        add(*family, header.clone());
    }
    out
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let auth = credentials(&args.tokens, &args.headers);
    let other_auth = credentials(&args.other_tokens, &[]);
    let config = Config {
        base_url: args.base_url.clone(),
        families: args.families,
        seed: args.seed,
        auth,
        other_auth,
    };
    let transport = Http::new(&args.base_url, Duration::from_secs(args.timeout));
    match run(&config, &transport) {
        Ok(report) => {
            println!("{}", if args.format == "json" { report.to_json() } else { report.to_text() });
            if report.conformant() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

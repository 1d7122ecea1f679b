//! The server's command line: every flag (each also read from an `IMAGESPEC_*` variable where
//! it has one) and the `export` subcommand.

use std::path::PathBuf;

use clap::Parser;

use crate::faults::{FaultError, Rule};

/// Reference server for the Glance, SWR, CCE and Snowflake image-registry APIs.
#[derive(Parser)]
#[command(version)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "IMAGESPEC_HOST")]
    pub host: std::net::IpAddr,
    /// Port to listen on; 0 picks a free port (printed at start-up).
    #[arg(long, default_value_t = 8080, env = "IMAGESPEC_PORT")]
    pub port: u16,
    /// TOML file mapping tokens, AK/SK pairs and Snowflake tokens to principals
    /// (see server/demo/credentials.toml). Without it, the development set is used and printed.
    #[arg(long, env = "IMAGESPEC_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
    /// JSON file with every family's initial state (see server/demo/state.json). Without it,
    /// the server starts empty.
    #[arg(long, env = "IMAGESPEC_STATE")]
    pub state: Option<PathBuf>,
    /// Directory that keeps every family's state (`state.redb`, written before each write is
    /// answered) and Glance's image data across restarts. A new directory starts from `--state`;
    /// one that holds a saved state starts from it. Without it, the state is in memory and
    /// image data goes to a temporary directory removed at exit.
    #[arg(long, env = "IMAGESPEC_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Open connections at most (every address together); beyond it new connections wait
    /// until one closes.
    #[arg(long, default_value_t = 1024, env = "IMAGESPEC_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Seconds a connection may go without a byte read or written before it is closed: slow
    /// headers or bodies, stalled requests, idle keep-alive connections.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, env = "IMAGESPEC_IDLE_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Seconds that requests in flight get to finish after SIGINT or SIGTERM.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, env = "IMAGESPEC_SHUTDOWN_TIMEOUT")]
    pub shutdown_timeout: u64,
    /// SWR regions to serve, comma-separated. The first is the home region, served on the main
    /// address; each other region gets its own address, on the following ports (free ports with
    /// `--port 0`), as the real cloud has one endpoint per region. Without it, the state file's
    /// regions, else cn-north-4,cn-east-3,cn-south-1.
    #[arg(long, value_delimiter = ',', env = "IMAGESPEC_SWR_REGIONS")]
    pub swr_regions: Vec<String>,
    /// Snowflake: answer every operation with 202 and a result handle to poll (per request:
    /// `X-Imagespec-Async: true|false`).
    #[arg(long, env = "IMAGESPEC_SNOWFLAKE_ASYNC")]
    pub snowflake_async: bool,
    /// Snowflake: split list results longer than N into pages read through `Link` (per request:
    /// `X-Imagespec-Page-Size: N`).
    #[arg(long, value_name = "N", env = "IMAGESPEC_SNOWFLAKE_PAGE_SIZE", value_parser = clap::value_parser!(u32).range(1..))]
    pub snowflake_page_size: Option<u32>,
    /// Fault injection, repeatable: `FAMILY:OPERATION[:SETTINGS]` (`*` for any), settings
    /// `latency=MS|MIN..MAX`, `429=P`, `500=P`, `503=P`, `drop=P`, `async=P` (snowflake),
    /// `retry-after=SECONDS`; e.g. `glance:list_images:latency=50..200ms,503=0.1`. The first
    /// matching rule decides. Replaceable at run time through `/admin/faults`.
    #[arg(long = "fault", value_name = "RULE", value_parser = parse_rule)]
    pub faults: Vec<Rule>,
    /// The seed of fault injection's draws: the same seed and requests give the same faults.
    #[arg(long, value_name = "N", default_value_t = 0, env = "IMAGESPEC_FAULT_SEED")]
    pub fault_seed: u64,
    /// Once every address answers, write them to this file as one JSON object, for the tools
    /// that start the server: `{"base": URL, "swr_regions": [{"id": ID, "url": URL}, ...]}`,
    /// the home region first. The file appears whole (written beside it, then renamed).
    #[arg(long, value_name = "PATH", env = "IMAGESPEC_READY_FILE")]
    pub ready_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Print the state saved in a data directory, in the `--state` format, and exit (the
    /// server must not be running on it; a running server answers `GET /admin/state`).
    Export {
        /// The data directory (`--data-dir` of the server that wrote it).
        #[arg(long = "from", value_name = "DIR")]
        from: PathBuf,
        /// Write to this file instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// A `--fault` rule, with the parser's own message on error.
fn parse_rule(text: &str) -> Result<Rule, String> {
    text.parse().map_err(|e: FaultError| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_flags_are_parsed_into_rules_and_bad_ones_refused_with_the_reason() {
        let args = Args::try_parse_from([
            "imagespec-server",
            "--fault",
            "glance:list_images:latency=50..200ms,503=0.1,429=0.05,drop=0.01",
            "--fault",
            "snowflake:*:async=0.5",
            "--fault-seed",
            "42",
        ])
        .expect("valid flags");
        assert_eq!(args.fault_seed, 42);
        let rules: Vec<String> = args.faults.iter().map(ToString::to_string).collect();
        assert_eq!(
            rules,
            [
                "glance:list_images:latency=50..200ms,429=0.05,503=0.1,drop=0.01",
                "snowflake:*:async=0.5"
            ]
        );
        let none = Args::try_parse_from(["imagespec-server"]).expect("no flags");
        assert!(none.faults.is_empty() && none.fault_seed == 0);
        let bad = Args::try_parse_from(["imagespec-server", "--fault", "glance:*:503=2"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(bad.contains("--fault <RULE>") && bad.contains("probability from 0 to 1"), "{bad}");
    }
}

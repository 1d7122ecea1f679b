//! `imagespec-server`: parse flags, build the store, bind, serve until SIGINT or SIGTERM.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{Context, Result};
use clap::Parser;
use imagespec_server::{
    app::{LIVE_FAMILIES, Options, app_with, swr_region_app},
    auth::{Credentials, DEVELOPMENT_CREDENTIALS},
    faults::{Faults, Plan, Rule},
    listener::Guarded,
    store::{
        State, Store, SystemClock,
        glance::data::DataDir,
        journal::{self, Journal},
        swr::Region,
    },
};
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};

/// Reference server for the Glance, SWR, CCE and Snowflake image-registry APIs.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "IMAGESPEC_HOST")]
    host: std::net::IpAddr,
    /// Port to listen on; 0 picks a free port (printed at start-up).
    #[arg(long, default_value_t = 8080, env = "IMAGESPEC_PORT")]
    port: u16,
    /// TOML file mapping tokens, AK/SK pairs and Snowflake tokens to principals
    /// (see server/demo/credentials.toml). Without it, the development set is used and printed.
    #[arg(long, env = "IMAGESPEC_CREDENTIALS")]
    credentials: Option<PathBuf>,
    /// JSON file with every family's initial state (see server/demo/state.json). Without it,
    /// the server starts empty.
    #[arg(long, env = "IMAGESPEC_STATE")]
    state: Option<PathBuf>,
    /// Directory that keeps every family's state (`state.redb`, written before each write is
    /// answered) and Glance's image data across restarts. A new directory starts from `--state`;
    /// one that holds a saved state starts from it. Without it, the state is in memory and
    /// image data goes to a temporary directory removed at exit.
    #[arg(long, env = "IMAGESPEC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Open connections at most (every address together); beyond it new connections wait
    /// until one closes.
    #[arg(long, default_value_t = 1024, env = "IMAGESPEC_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds a connection may go without a byte read or written before it is closed: slow
    /// headers or bodies, stalled requests, idle keep-alive connections.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, env = "IMAGESPEC_IDLE_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
    /// Seconds that requests in flight get to finish after SIGINT or SIGTERM.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, env = "IMAGESPEC_SHUTDOWN_TIMEOUT")]
    shutdown_timeout: u64,
    /// SWR regions to serve, comma-separated. The first is the home region, served on the main
    /// address; each other region gets its own address, on the following ports (free ports with
    /// `--port 0`), as the real cloud has one endpoint per region. Without it, the state file's
    /// regions, else cn-north-4,cn-east-3,cn-south-1.
    #[arg(long, value_delimiter = ',', env = "IMAGESPEC_SWR_REGIONS")]
    swr_regions: Vec<String>,
    /// Snowflake: answer every operation with 202 and a result handle to poll (per request:
    /// `X-Imagespec-Async: true|false`).
    #[arg(long, env = "IMAGESPEC_SNOWFLAKE_ASYNC")]
    snowflake_async: bool,
    /// Snowflake: split list results longer than N into pages read through `Link` (per request:
    /// `X-Imagespec-Page-Size: N`).
    #[arg(long, value_name = "N", env = "IMAGESPEC_SNOWFLAKE_PAGE_SIZE", value_parser = clap::value_parser!(u32).range(1..))]
    snowflake_page_size: Option<u32>,
    /// Fault injection, repeatable: `FAMILY:OPERATION[:SETTINGS]` (`*` for any), settings
    /// `latency=MS|MIN..MAX`, `429=P`, `500=P`, `503=P`, `drop=P`, `async=P` (snowflake),
    /// `retry-after=SECONDS`; e.g. `glance:list_images:latency=50..200ms,503=0.1`. The first
    /// matching rule decides. Replaceable at run time through `/admin/faults`.
    #[arg(long = "fault", value_name = "RULE", value_parser = parse_rule)]
    faults: Vec<Rule>,
    /// The seed of fault injection's draws: the same seed and requests give the same faults.
    #[arg(long, value_name = "N", default_value_t = 0, env = "IMAGESPEC_FAULT_SEED")]
    fault_seed: u64,
    /// Once every address answers, write them to this file as one JSON object, for the tools
    /// that start the server: `{"base": URL, "swr_regions": [{"id": ID, "url": URL}, ...]}`,
    /// the home region first. The file appears whole (written beside it, then renamed).
    #[arg(long, value_name = "PATH", env = "IMAGESPEC_READY_FILE")]
    ready_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand)]
enum Command {
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
    text.parse().map_err(|e: imagespec_server::faults::FaultError| e.to_string())
}

#[tokio::main]
async fn main() -> Result<()> {
    // Log lines gather in memory and one thread writes them every few milliseconds, so a
    // request never waits on stderr (see `log_writer`); the guard writes what is left when main
    // returns.
    let (log, _flush_at_exit) = imagespec_server::log_writer::batched(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(log.clone())
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    imagespec_server::log_writer::install_access(log);
    let args = Args::parse();
    if let Some(Command::Export { from, output }) = &args.command {
        return export(from, output.as_deref());
    }
    let credentials = match &args.credentials {
        Some(path) => Credentials::load(path).with_context(|| "loading the credentials file")?,
        None => Credentials::development(),
    };
    let load_state_file = || match &args.state {
        Some(path) => State::load(path).context("loading the state file"),
        None => Ok(State::default()),
    };
    let (mut state, data, journal, saved) = match &args.data_dir {
        Some(dir) => {
            let data = DataDir::at(dir).with_context(|| format!("using {}", dir.display()))?;
            let (journal, saved) = Journal::open(dir)?;
            match saved {
                Some(state) => {
                    if let Some(path) = &args.state {
                        tracing::warn!(
                            "{} holds a saved state, which is used; --state {} is not loaded",
                            dir.display(),
                            path.display()
                        );
                    }
                    (state, data, Some(journal), true)
                }
                None => (load_state_file()?, data, Some(journal), false),
            }
        }
        None => {
            let data = DataDir::temporary().context("creating a temporary data directory")?;
            (load_state_file()?, data, None, false)
        }
    };
    if !args.swr_regions.is_empty() {
        state.swr.regions = swr_regions(&args.swr_regions, std::mem::take(&mut state.swr.regions))?;
    }
    let regions = state.swr.region_ids();
    anyhow::ensure!(!regions.is_empty(), "at least one SWR region must be served");
    if let Some(journal) = &journal {
        if saved {
            journal.family("swr", &state.swr)?;
        } else {
            journal.seed(&state)?;
        }
    }
    let store = Store::durable(state, Arc::new(SystemClock), data, journal);
    if let Some(warning) = exposure_warning(args.host, args.credentials.is_none()) {
        tracing::warn!("{warning}");
    }
    let faults = Faults::new(Plan { seed: args.fault_seed, rules: args.faults.clone() })
        .context("--fault")?;
    let credentials = Arc::new(credentials);
    let permits = Arc::new(tokio::sync::Semaphore::new(args.max_connections as usize));
    let idle = Duration::from_secs(args.idle_timeout);
    let guarded = |(acceptor, addr)| (Guarded::new(acceptor, permits.clone(), idle), addr);
    let (main_acceptor, addr) = guarded(bind(args.host, args.port).await?);
    // The other SWR regions, each on its own address.
    let mut others = Vec::new();
    for (i, region) in regions.iter().enumerate().skip(1) {
        let port = if args.port == 0 { 0 } else { args.port.saturating_add(i as u16) };
        let (acceptor, region_addr) = guarded(bind(args.host, port).await?);
        others.push((region.clone(), acceptor, region_addr));
    }
    let grace = Some(Duration::from_secs(args.shutdown_timeout));
    let region_addrs: Vec<(String, SocketAddr)> = std::iter::once((regions[0].clone(), addr))
        .chain(others.iter().map(|(r, _, a)| (r.clone(), *a)))
        .collect();
    // Signals are caught from here on, so a SIGTERM right after the banner stops cleanly.
    let signal = shutdown_signal().context("installing the signal handlers")?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    for (region, acceptor, _) in others {
        let app = swr_region_app(store.clone(), credentials.clone(), region, faults.clone());
        let mut stopped = stopped.clone();
        servers.spawn(async move {
            Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    app,
                    async move { _ = stopped.wait_for(|s| *s).await },
                    grace,
                )
                .await
        });
    }
    let options = Options {
        snowflake: imagespec_server::snowflake::Options {
            asynchronous: args.snowflake_async,
            page_size: args.snowflake_page_size.map(|n| n as usize),
        },
        faults: faults.clone(),
    };
    let main_app = app_with(store, credentials, options);
    servers.spawn(async move {
        Server::new_with_acceptor(main_acceptor)
            .run_with_graceful_shutdown(
                main_app,
                async move { _ = stopped.clone().wait_for(|s| *s).await },
                grace,
            )
            .await
    });
    // The ready file and the banner come last: when they appear, every address answers.
    if let Some(path) = &args.ready_file {
        write_ready_file(path, addr, &region_addrs)
            .with_context(|| format!("writing the ready file {}", path.display()))?;
    }
    print_banner(addr, &region_addrs, &faults.plan(), args.credentials.is_none());
    signal.await;
    let _ = stop.send(true);
    while let Some(result) = servers.join_next().await {
        result.context("a listener task failed")?.context("serving")?;
    }
    tracing::info!("stopped");
    Ok(())
}

/// What to warn about when the server listens beyond this machine with the development
/// credentials (which are printed and published: anyone who can connect is an admin).
fn exposure_warning(host: std::net::IpAddr, development: bool) -> Option<String> {
    (development && !host.is_loopback()).then(|| {
        format!(
            "listening on {host}, beyond this machine, with the development credentials: they are \
             printed below and published in the repository, so anyone who can reach this address \
             is an admin (give --credentials FILE)"
        )
    })
}

/// `imagespec-server export`: the saved state of a data directory as `--state` JSON.
fn export(dir: &std::path::Path, output: Option<&std::path::Path>) -> Result<()> {
    anyhow::ensure!(
        dir.join(journal::FILE_NAME).is_file(),
        "{} holds no saved state (no {})",
        dir.display(),
        journal::FILE_NAME
    );
    let (_, state) = Journal::open(dir)?;
    let state = state.with_context(|| format!("{} holds no saved state", dir.display()))?;
    let mut text = serde_json::to_string_pretty(&state).context("serializing the state")?;
    text.push('\n');
    match output {
        Some(path) => std::fs::write(path, text).with_context(|| path.display().to_string())?,
        None => std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes())?,
    }
    Ok(())
}

/// A bound listener and its address.
async fn bind(
    host: std::net::IpAddr,
    port: u16,
) -> Result<(impl poem::listener::Acceptor + 'static, SocketAddr)> {
    let acceptor = TcpListener::bind(SocketAddr::new(host, port))
        .into_acceptor()
        .await
        .with_context(|| format!("binding {host}:{port}"))?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("the listener has no address")?;
    Ok((acceptor, addr))
}

/// The regions named by `--swr-regions`, keeping the state file's data for each.
fn swr_regions(ids: &[String], mut loaded: Vec<Region>) -> Result<Vec<Region>> {
    let mut regions = Vec::new();
    for id in ids {
        let valid = !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        anyhow::ensure!(
            valid,
            "--swr-regions: `{id}` is not a region id (lowercase letters, digits, -)"
        );
        anyhow::ensure!(
            !regions.iter().any(|r: &Region| &r.id == id),
            "--swr-regions: `{id}` appears twice"
        );
        let region = match loaded.iter().position(|r| &r.id == id) {
            Some(i) => loaded.remove(i),
            None => Region::empty(id),
        };
        regions.push(region);
    }
    if let Some(extra) = loaded.iter().find(|r| !r.namespaces.is_empty()) {
        anyhow::bail!(
            "the state file holds SWR region `{}`, which --swr-regions leaves out",
            extra.id
        );
    }
    Ok(regions)
}

/// `--ready-file`: the addresses as JSON, renamed into place so a reader never sees half of it.
fn write_ready_file(
    path: &std::path::Path,
    addr: SocketAddr,
    regions: &[(String, SocketAddr)],
) -> Result<()> {
    let regions: Vec<_> = regions
        .iter()
        .map(|(id, a)| serde_json::json!({ "id": id, "url": format!("http://{a}") }))
        .collect();
    let ready = serde_json::json!({ "base": format!("http://{addr}"), "swr_regions": regions });
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, format!("{ready}\n"))?;
    std::fs::rename(&partial, path)?;
    Ok(())
}

fn print_banner(
    addr: SocketAddr,
    regions: &[(String, SocketAddr)],
    faults: &Plan,
    development: bool,
) {
    println!("imagespec-server listening on http://{addr}");
    println!("  Swagger UI:  http://{addr}/docs/");
    println!("  specs:       http://{addr}/specs/{{glance,swr,cce,snowflake}}.yaml");
    for (region, region_addr) in regions {
        println!("  SWR region {region}: http://{region_addr}");
    }
    for rule in &faults.rules {
        println!("  fault (seed {}): {rule}", faults.seed);
    }
    println!("  fault injection: http://{addr}/admin/faults (admin token)");
    println!("  live families: {}", LIVE_FAMILIES.join(", "));
    if development {
        println!("  development credentials (no --credentials given):");
        for line in DEVELOPMENT_CREDENTIALS.lines().filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            println!("    {line}");
        }
    }
}

/// Resolves on SIGINT or SIGTERM; the handlers are installed when this is called, not when the
/// future is first polled.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("shutting down");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_development_credentials_beyond_loopback_are_warned_about() {
        let any: std::net::IpAddr = "0.0.0.0".parse().expect("address");
        let lan: std::net::IpAddr = "192.168.1.20".parse().expect("address");
        let local: std::net::IpAddr = "127.0.0.1".parse().expect("address");
        let local6: std::net::IpAddr = "::1".parse().expect("address");
        for host in [any, lan] {
            let warning = exposure_warning(host, true).expect("a warning");
            assert!(warning.contains(&host.to_string()) && warning.contains("--credentials"));
            assert_eq!(exposure_warning(host, false), None, "a credentials file was given");
        }
        assert_eq!(exposure_warning(local, true), None);
        assert_eq!(exposure_warning(local6, true), None);
    }

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

//! `imagespec-server`: parse flags, build the store, bind, serve until SIGINT or SIGTERM.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::{Context, Result};
use clap::Parser;
use imagespec_server::{
    app::{LIVE_FAMILIES, Options, app_with},
    auth::{Credentials, DEVELOPMENT_CREDENTIALS},
    store::{State, Store, SystemClock, glance::data::DataDir},
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
    /// Directory for Glance image data. Without it, a temporary directory is used and removed at
    /// exit.
    #[arg(long, env = "IMAGESPEC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Snowflake: answer every operation with 202 and a result handle to poll (per request:
    /// `X-Imagespec-Async: true|false`).
    #[arg(long, env = "IMAGESPEC_SNOWFLAKE_ASYNC")]
    snowflake_async: bool,
    /// Snowflake: split list results longer than N into pages read through `Link` (per request:
    /// `X-Imagespec-Page-Size: N`).
    #[arg(long, value_name = "N", env = "IMAGESPEC_SNOWFLAKE_PAGE_SIZE", value_parser = clap::value_parser!(u32).range(1..))]
    snowflake_page_size: Option<u32>,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let credentials = match &args.credentials {
        Some(path) => Credentials::load(path).with_context(|| "loading the credentials file")?,
        None => Credentials::development(),
    };
    let state = match &args.state {
        Some(path) => State::load(path).context("loading the state file")?,
        None => State::default(),
    };
    let data = match &args.data_dir {
        Some(dir) => DataDir::at(dir).with_context(|| format!("using {}", dir.display()))?,
        None => DataDir::temporary().context("creating a temporary data directory")?,
    };
    let store = Store::with_data_dir(state, Arc::new(SystemClock), data);
    let acceptor = TcpListener::bind(SocketAddr::new(args.host, args.port))
        .into_acceptor()
        .await
        .with_context(|| format!("binding {}:{}", args.host, args.port))?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("the listener has no address")?;
    print_banner(addr, args.credentials.is_none());
    let options = Options {
        snowflake: imagespec_server::snowflake::Options {
            asynchronous: args.snowflake_async,
            page_size: args.snowflake_page_size.map(|n| n as usize),
        },
    };
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            app_with(store, Arc::new(credentials), options),
            shutdown_signal(),
            None,
        )
        .await
        .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

fn print_banner(addr: SocketAddr, development: bool) {
    println!("imagespec-server listening on http://{addr}");
    println!("  Swagger UI:  http://{addr}/docs/");
    println!("  specs:       http://{addr}/specs/{{glance,swr,cce,snowflake}}.yaml");
    println!("  live families: {}", LIVE_FAMILIES.join(", "));
    if development {
        println!("  development credentials (no --credentials given):");
        for line in DEVELOPMENT_CREDENTIALS.lines().filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            println!("    {line}");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}

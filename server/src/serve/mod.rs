//! The server's life: load what it starts from, bind every address (the main one and one per
//! other SWR region), serve them until SIGINT or SIGTERM, then let requests in flight finish.

mod announce;
mod load;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use poem::{
    Server,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
};

use crate::app::{Options, app_with, swr_region_app};
use crate::auth::CredentialsError;
use crate::cli::Args;
use crate::faults::{FaultError, Faults, Plan};
use crate::listener::Guarded;
use crate::store::{StateFileError, journal::JournalError};

pub use load::{ExportError, export};

/// Why the server did not start, or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("loading the credentials file")]
    Credentials(#[source] CredentialsError),
    #[error("loading the state file")]
    StateFile(#[source] StateFileError),
    #[error("using {}", .0.display())]
    DataDir(PathBuf, #[source] std::io::Error),
    #[error("creating a temporary data directory")]
    TemporaryDataDir(#[source] std::io::Error),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("--swr-regions: `{0}` is not a region id (lowercase letters, digits, -)")]
    BadRegion(String),
    #[error("--swr-regions: `{0}` appears twice")]
    RepeatedRegion(String),
    #[error("the state file holds SWR region `{0}`, which --swr-regions leaves out")]
    RegionLeftOut(String),
    #[error("at least one SWR region must be served")]
    NoRegion,
    #[error("--fault")]
    Faults(#[source] FaultError),
    #[error("binding {0}:{1}")]
    Bind(IpAddr, u16, #[source] std::io::Error),
    #[error("the listener has no address")]
    NoAddress,
    #[error("installing the signal handlers")]
    Signals(#[source] std::io::Error),
    #[error("writing the ready file {}", .0.display())]
    ReadyFile(PathBuf, #[source] std::io::Error),
    #[error("a listener task failed")]
    Task(#[source] tokio::task::JoinError),
    #[error("serving")]
    Serving(#[source] std::io::Error),
}

/// A listener under the connection cap and idle deadline, and its address.
type Bound = (Guarded<TcpAcceptor>, SocketAddr);

/// Serves until SIGINT or SIGTERM; the banner and the ready file appear once every address
/// answers.
pub async fn serve(args: &Args) -> Result<(), ServeError> {
    let credentials = Arc::new(load::credentials(args.credentials.as_deref())?);
    let (store, regions) = load::store(args)?;
    let development = args.credentials.is_none();
    if let Some(warning) = announce::exposure_warning(args.host, development) {
        tracing::warn!("{warning}");
    }
    let plan = Plan { seed: args.fault_seed, rules: args.faults.clone() };
    let faults = Faults::new(plan).map_err(ServeError::Faults)?;
    let (main, others) = bind_all(args, &regions).await?;
    let addrs: Vec<(String, SocketAddr)> = std::iter::once((regions[0].clone(), main.1))
        .chain(others.iter().map(|(r, (_, a))| (r.clone(), *a)))
        .collect();
    // Signals are caught from here on, so a SIGTERM right after the banner stops cleanly.
    let signal = shutdown_signal().map_err(ServeError::Signals)?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let grace = Some(Duration::from_secs(args.shutdown_timeout));
    let mut servers = tokio::task::JoinSet::new();
    for (region, (acceptor, _)) in others {
        let app = swr_region_app(store.clone(), credentials.clone(), region, faults.clone());
        servers.spawn(run(acceptor, app, stopped.clone(), grace));
    }
    let options = Options {
        snowflake: crate::snowflake::Options {
            asynchronous: args.snowflake_async,
            page_size: args.snowflake_page_size.map(|n| n as usize),
        },
        faults: faults.clone(),
    };
    let main_app = app_with(store, credentials, options);
    servers.spawn(run(main.0, main_app, stopped, grace));
    // The ready file and the banner come last: when they appear, every address answers.
    if let Some(path) = &args.ready_file {
        announce::write_ready_file(path, main.1, &addrs)
            .map_err(|e| ServeError::ReadyFile(path.clone(), e))?;
    }
    announce::print_banner(main.1, &addrs, &faults.plan(), development);
    signal.await;
    let _ = stop.send(true);
    while let Some(result) = servers.join_next().await {
        result.map_err(ServeError::Task)?.map_err(ServeError::Serving)?;
    }
    tracing::info!("stopped");
    Ok(())
}

/// The main address, and each other SWR region's on the following ports (free ports with
/// `--port 0`); every connection counts against one cap, so it is the server's, not each
/// address's.
async fn bind_all(
    args: &Args,
    regions: &[String],
) -> Result<(Bound, Vec<(String, Bound)>), ServeError> {
    let permits = Arc::new(tokio::sync::Semaphore::new(args.max_connections as usize));
    let idle = Duration::from_secs(args.idle_timeout);
    let guarded = |(acceptor, addr)| (Guarded::new(acceptor, permits.clone(), idle), addr);
    let main = guarded(bind(args.host, args.port).await?);
    let mut others = Vec::new();
    for (i, region) in regions.iter().enumerate().skip(1) {
        let port = if args.port == 0 { 0 } else { args.port.saturating_add(i as u16) };
        others.push((region.clone(), guarded(bind(args.host, port).await?)));
    }
    Ok((main, others))
}

/// A bound listener and its address.
async fn bind(host: IpAddr, port: u16) -> Result<(TcpAcceptor, SocketAddr), ServeError> {
    let acceptor = TcpListener::bind(SocketAddr::new(host, port))
        .into_acceptor()
        .await
        .map_err(|e| ServeError::Bind(host, port, e))?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or(ServeError::NoAddress)?;
    Ok((acceptor, addr))
}

/// One address served until `stopped` turns true, then `grace` for requests in flight.
async fn run(
    acceptor: Guarded<TcpAcceptor>,
    app: impl poem::Endpoint + 'static,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    grace: Option<Duration>,
) -> std::io::Result<()> {
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, async move { _ = stopped.wait_for(|s| *s).await }, grace)
        .await
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

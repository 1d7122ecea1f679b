//! `imagespec-server`: parse the flags, start the log, then serve until SIGINT or SIGTERM (see
//! `serve`) or export a data directory's saved state.

use clap::Parser;
use imagespec_server::{
    cli::{Args, Command},
    serve,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
    match &args.command {
        Some(Command::Export { from, output }) => serve::export(from, output.as_deref())?,
        None => serve::serve(&args).await?,
    }
    Ok(())
}

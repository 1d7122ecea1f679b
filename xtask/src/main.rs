//! Project automation in Rust, as in the cargo-xtask pattern: `cargo xtask <command>`.
//!
//! Every command is also reachable as a test, so `cargo test --workspace` runs the same checks.

mod bench;
mod ci;
mod codegen;
mod fuzz;
mod layout;
mod lint;
mod soak;
mod tidy;
mod util;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "imagespec project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate server/src/<family>/generated/ from specs/ (`--check` only compares).
    Codegen {
        #[arg(long)]
        check: bool,
    },
    /// Lint every spec against the OpenAPI 3.1 meta-schema and specs/README.md's rules.
    Lint,
    /// Install what the tests need (Chromium, the Python clients) and run every test.
    Ci,
    /// Side-by-side benchmarks (docs/benchmarks.md): ours against the framework's ceiling, real
    /// Glance, Prism; uploads against hashing; the tester against Schemathesis.
    Bench(bench::Options),
    /// The fuzz campaign: the tester's generators against our server, every family, until
    /// `--requests` (default a million); fails on any 5xx or panic.
    Fuzz(fuzz::Options),
    /// The sustained load run: every family at once for `--seconds` (default 600) while the
    /// server's memory is sampled; fails if it keeps growing after the warm-up.
    Soak(soak::Options),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen { check } => {
            codegen::run(if check { codegen::Mode::Check } else { codegen::Mode::Write })
        }
        Command::Lint => lint::run(),
        Command::Ci => ci::run(),
        Command::Bench(opts) => bench::run(opts),
        Command::Fuzz(opts) => fuzz::run(opts),
        Command::Soak(opts) => soak::run(opts),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! The `omnisim` command line: parses arguments and dispatches to a command.

mod allocator;
mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Load simulator and conformance harness for omnichannel customer-messaging platforms.
#[derive(Parser, Debug)]
#[command(name = "omnisim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario against a server (the embedded reference server by default).
    Run(commands::run::RunArgs),
    /// Run the reference messaging server.
    Serve(commands::serve::ServeArgs),
    /// Staff a scenario's agent group in virtual time, or one queue: Erlang C/A beside a
    /// simulation of the same model.
    Plan(commands::plan::PlanArgs),
    /// Check a server against the platform rules, case by case.
    Conform(commands::conform::ConformArgs),
    /// Two runs side by side; exits 99 when a figure got worse beyond a bound.
    Compare(commands::compare::CompareArgs),
    /// Create a scenario's platform side once, for the shards of a test to join.
    Setup(commands::setup::SetupArgs),
    /// Merge the results of a test's shards into one run.
    Merge(commands::merge::MergeArgs),
}

fn main() -> anyhow::Result<ExitCode> {
    allocator::keep_freed_pages();
    match Cli::parse().command {
        Command::Run(args) => commands::run::run(args),
        Command::Serve(args) => commands::serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::Plan(args) => commands::plan::run(args).map(|()| ExitCode::SUCCESS),
        Command::Conform(args) => commands::conform::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Setup(args) => commands::setup::run(args).map(|()| ExitCode::SUCCESS),
        Command::Merge(args) => commands::merge::run(args),
    }
}

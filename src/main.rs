//! The `omnisim` command line: parses arguments and dispatches to a command.

mod commands;

use clap::{Parser, Subcommand};

/// Load simulator and conformance harness for omnichannel customer-messaging platforms.
#[derive(Parser, Debug)]
#[command(name = "omnisim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the reference messaging server.
    Serve(commands::serve::ServeArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve(args) => commands::serve::run(args),
    }
}

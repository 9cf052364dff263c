//! The `omnisim` command line: parses arguments and dispatches to the library.

use clap::Parser;

/// Load simulator and conformance harness for omnichannel customer-messaging platforms.
#[derive(Parser, Debug)]
#[command(name = "omnisim", version, about)]
struct Cli {}

fn main() {
    Cli::parse();
}

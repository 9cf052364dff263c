//! One module per `omnisim` subcommand.

pub mod serve;

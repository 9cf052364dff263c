//! One module per `omnisim` subcommand.

pub mod run;
pub mod serve;

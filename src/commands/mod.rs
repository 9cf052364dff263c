//! One module per `omnisim` subcommand.

pub mod plan;
pub mod run;
pub mod serve;

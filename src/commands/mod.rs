//! One module per `omnisim` subcommand.

pub mod conform;
pub mod plan;
pub mod run;
pub mod serve;

//! One module per `omnisim` subcommand.

pub mod compare;
pub mod conform;
pub mod memory;
pub mod plan;
pub mod run;
pub mod serve;
pub mod target;

/// `reports/<name>-<UTC timestamp>/`: where a command writes when `--out` is not given.
pub fn default_out(name: &str) -> std::path::PathBuf {
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace([':', '-'], "");
    std::path::PathBuf::from("reports").join(format!("{name}-{stamp}"))
}

//! One module per `omnisim` subcommand.

pub mod compare;
pub mod conform;
pub mod memory;
pub mod merge;
pub mod plan;
pub mod run;
pub mod serve;
pub mod setup;
pub mod target;

/// `reports/<name>-<UTC timestamp>/`: where a command writes when `--out` is not given.
pub fn default_out(name: &str) -> std::path::PathBuf {
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace([':', '-'], "");
    std::path::PathBuf::from("reports").join(format!("{name}-{stamp}"))
}

/// The text of `path`, refused when longer than `max` bytes: files a command reads are bounded.
pub fn read_bounded(path: &std::path::Path, max: u64) -> anyhow::Result<String> {
    use anyhow::Context;
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .with_context(|| format!("opening {}", path.display()))?
        .take(max + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    if text.len() as u64 > max {
        anyhow::bail!("{}: over {max} bytes", path.display());
    }
    Ok(text)
}

/// Writes `bytes` to `path`, created readable by its owner only: files that hold tokens.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

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

#[cfg(test)]
mod tests {
    use clap::Parser;
    use yaml_rust2::{Yaml, YamlLoader};

    /// What the manifests' variables stand for when a pod runs.
    fn expand(text: &str) -> String {
        [
            ("JOB_COMPLETION_INDEX", "1"),
            ("START_AT", "2026-12-06T18:00:00Z"),
            ("TARGET", "https://platform.example.com"),
        ]
        .iter()
        .fold(text.to_owned(), |t, (var, value)| {
            t.replace(&format!("${{{var}}}"), value)
                .replace(&format!("$({var})"), value)
        })
    }

    /// The omnisim command line of a container: its args, or the script `sh -c` runs.
    fn command_line(container: &Yaml) -> Vec<String> {
        let list = |y: &Yaml| -> Vec<String> {
            y.as_vec()
                .map(|v| v.iter().filter_map(|a| a.as_str().map(expand)).collect())
                .unwrap_or_default()
        };
        let args = list(&container["args"]);
        if list(&container["command"]) == ["sh", "-c"] {
            let words: Vec<String> = args[0].split_whitespace().map(str::to_owned).collect();
            let words = words.strip_prefix(&["exec".to_owned()]).unwrap_or(&words);
            assert_eq!(words[0], "omnisim", "{words:?}");
            words.to_vec()
        } else {
            std::iter::once("omnisim".to_owned()).chain(args).collect()
        }
    }

    /// Every Job in deploy/kubernetes runs a command line omnisim accepts, so that the manifests
    /// cannot fall behind the CLI.
    #[test]
    fn deploy_manifests_are_accepted_by_the_cli() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes");
        let mut checked = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("deploy/kubernetes") {
            let path = entry.expect("an entry").path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            for doc in YamlLoader::load_from_str(&text).expect("YAML") {
                assert!(doc["apiVersion"].as_str().is_some(), "{}", path.display());
                if doc["kind"].as_str() != Some("Job") {
                    continue;
                }
                let spec = &doc["spec"];
                if spec["completionMode"].as_str() == Some("Indexed") {
                    let (completions, parallelism) =
                        (spec["completions"].as_i64(), spec["parallelism"].as_i64());
                    assert_eq!(completions, parallelism, "{}", path.display());
                }
                for container in spec["template"]["spec"]["containers"]
                    .as_vec()
                    .expect("containers")
                {
                    let argv = command_line(container);
                    if let Err(e) = crate::Cli::try_parse_from(&argv) {
                        panic!("{}: {argv:?}: {e}", path.display());
                    }
                    checked.push(argv[1].clone());
                }
            }
        }
        checked.sort();
        assert_eq!(checked, ["merge", "run", "setup"]);
    }
}

//! `omnisim compare` as a CI gate: the same run passes against itself, a run with too few agents
//! fails against it (exit 99), and the Markdown table and the page say which figures regressed.

use omnisim::scenario::Scenario;
use omnisim::virtual_time;
use std::path::Path;
use std::process::Command;

/// A run's directory as `omnisim run` leaves it: summary.json and histograms.json.
fn summary_of(text: &str, dir: &Path, name: &str) -> std::path::PathBuf {
    let scenario = Scenario::parse(text, "quickstart.toml").unwrap();
    let outcome = virtual_time::run(scenario, None, None).unwrap();
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    let json = serde_json::to_string(&outcome.summary).unwrap();
    std::fs::write(path.join("summary.json"), json).unwrap();
    let json = serde_json::to_string(&outcome.histograms).unwrap();
    std::fs::write(path.join("histograms.json"), json).unwrap();
    path
}

#[test]
fn compare_passes_a_run_against_itself_and_gates_a_regression() {
    let dir = std::env::temp_dir().join(format!("omnisim-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string("scenarios/quickstart.toml").unwrap();
    let base = summary_of(&text, &dir, "base");
    let understaffed = text.replacen("count = 4", "count = 1", 1);
    assert_ne!(understaffed, text);
    let worse = summary_of(&understaffed, &dir, "worse");
    let compare = |new: &Path, markdown: &Path| {
        Command::new(env!("CARGO_BIN_EXE_omnisim"))
            .args(["compare", base.to_str().unwrap(), new.to_str().unwrap()])
            .args([
                "--max-regression",
                "10%",
                "--markdown",
                markdown.to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    let same = compare(&base, &dir.join("same.md"));
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
    let gated = compare(&worse, &dir.join("gated.md"));
    assert_eq!(gated.status.code(), Some(99));
    let table = std::fs::read_to_string(dir.join("gated.md")).unwrap();
    assert!(table.contains("| speed_to_answer.p99 |"), "{table}");
    assert!(table.contains("**regressed**"), "{table}");
    assert_eq!(String::from_utf8_lossy(&gated.stdout), table);
    let html = dir.join("gated.html");
    let paged = Command::new(env!("CARGO_BIN_EXE_omnisim"))
        .args(["compare", base.to_str().unwrap(), worse.to_str().unwrap()])
        .args(["--html", html.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(paged.status.code(), Some(99));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("regressed") && page.contains("FAIL:"));
    assert!(page.contains("speed_to_answer by percentile"));
    // The curves come from the histograms beside the summaries: far more points than the four
    // percentiles a summary holds.
    let chart = page
        .split("<svg")
        .find(|c| c.contains("speed_to_answer by percentile"))
        .unwrap();
    let longest = chart
        .split("stroke-width=\"2\" points=\"")
        .skip(1)
        .map(|p| p.split('"').next().unwrap().split(' ').count())
        .max()
        .unwrap();
    assert!(longest > 10, "{longest} points");
    let missing = Command::new(env!("CARGO_BIN_EXE_omnisim"))
        .args(["compare", "no-such-dir", base.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-dir"));
    std::fs::remove_dir_all(&dir).unwrap();
}

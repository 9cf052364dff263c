//! `omnisim compare` as a CI gate: the same run passes against itself, a run with too few agents
//! fails against it (exit 99) and the Markdown table says which figures regressed.

use omnisim::scenario::Scenario;
use omnisim::virtual_time;
use std::path::Path;
use std::process::Command;

fn summary_of(text: &str, dir: &Path, name: &str) -> std::path::PathBuf {
    let scenario = Scenario::parse(text, "quickstart.toml").unwrap();
    let summary = virtual_time::run(scenario, None, None).unwrap().summary;
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(&summary).unwrap()).unwrap();
    path
}

#[test]
fn compare_passes_a_run_against_itself_and_gates_a_regression() {
    let dir = std::env::temp_dir().join(format!("omnisim-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string("scenarios/quickstart.toml").unwrap();
    let base = summary_of(&text, &dir, "base.json");
    let understaffed = text.replacen("count = 4", "count = 1", 1);
    assert_ne!(understaffed, text);
    let worse = summary_of(&understaffed, &dir, "worse.json");
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
    let missing = Command::new(env!("CARGO_BIN_EXE_omnisim"))
        .args(["compare", "no-such-dir", base.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-dir"));
    std::fs::remove_dir_all(&dir).unwrap();
}

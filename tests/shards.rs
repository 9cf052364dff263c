//! One test from three generator processes: `omnisim setup` makes the platform side, three
//! `omnisim run --join --shard I/3` processes run their slices against one server, and `omnisim
//! merge` adds them up exactly: counts summed, histograms added, a missing shard refused.

use omnisim::live::embedded::Embedded;
use omnisim::measure::histograms::{Histograms, add_into};
use omnisim::measure::summary::{HttpVersion, LatencyStats, Summary};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn omnisim(args: &[&str], token: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omnisim"));
    c.args(args).env("OMNISIM_ADMIN_TOKEN", token);
    c
}

fn ok(output: Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}: {:?}\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn three_shards_merge_into_exactly_their_sum() {
    let server = Embedded::start().unwrap();
    let dir = std::env::temp_dir().join(format!("omnisim-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prepared = dir.join("target.json");
    let p = |path: &PathBuf| path.to_str().unwrap().to_owned();
    let scenario = "scenarios/quickstart.toml";
    ok(
        omnisim(
            &[
                "setup",
                scenario,
                "--target",
                &server.url,
                "--out",
                &p(&prepared),
            ],
            &server.admin_token,
        )
        .output()
        .unwrap(),
        "setup",
    );
    let shards: Vec<PathBuf> = (0..3).map(|i| dir.join(format!("shard-{i}"))).collect();
    let runs: Vec<_> = shards
        .iter()
        .enumerate()
        .map(|(i, out)| {
            let shard = format!("{i}/3");
            omnisim(
                &[
                    "run",
                    scenario,
                    "--join",
                    &p(&prepared),
                    "--shard",
                    &shard,
                    "--duration",
                    "6s",
                    "--out",
                    &p(out),
                ],
                "",
            )
            .spawn()
            .unwrap()
        })
        .collect();
    for (i, run) in runs.into_iter().enumerate() {
        // A shard's own thresholds may fail on its slice (exit 99): the merged run judges them.
        let status = run.wait_with_output().unwrap().status;
        assert!(
            matches!(status.code(), Some(0 | 99)),
            "shard {i}: {status:?}"
        );
    }
    let merge_into = |out: &PathBuf| {
        let args = ["merge", &p(&shards[0]), &p(&shards[1]), &p(&shards[2])];
        let out = ["--out", &p(out)];
        omnisim(&[&args[..], &out[..]].concat(), "")
            .output()
            .unwrap()
    };
    let merged_dir = dir.join("merged");
    let merge = merge_into(&merged_dir);
    // The merged run's exit says what its thresholds say of the whole test.
    assert!(
        matches!(merge.status.code(), Some(0 | 99)),
        "merge: {merge:?}"
    );
    server.stop();
    let merged: Summary = read(&merged_dir.join("summary.json"));
    let parts: Vec<Summary> = shards
        .iter()
        .map(|d| read(&d.join("summary.json")))
        .collect();
    let sum = |f: fn(&Summary) -> u64| parts.iter().map(f).sum::<u64>();
    assert!(merged.sessions.started > 10, "{:?}", merged.sessions);
    assert_eq!(merged.sessions.started, sum(|s| s.sessions.started));
    assert_eq!(merged.arrivals.scheduled, sum(|s| s.arrivals.scheduled));
    assert_eq!(merged.routing.accepted, sum(|s| s.routing.accepted));
    assert_eq!(merged.shard, None);
    assert_eq!(merged.http, Some(HttpVersion::Http1));
    assert!(
        parts
            .iter()
            .all(|s| s.shard.is_some_and(|sh| sh.count == 3))
    );
    // One histogram fed every shard's samples gives the merged percentiles.
    let mut all = BTreeMap::new();
    for d in &shards {
        let h: Histograms = read(&d.join("histograms.json"));
        add_into(&mut all, &h.corrected, "shard").unwrap();
    }
    for metric in ["routing", "speed_to_answer", "resolution"] {
        assert_eq!(
            merged.latency_ms[metric],
            LatencyStats::of(&all[metric]),
            "{metric}"
        );
    }
    assert!(
        !merged.thresholds.is_empty(),
        "thresholds evaluated on the merged figures"
    );
    // Shards that went over different HTTP versions merge into a run over neither.
    let mut other: Summary = read(&shards[2].join("summary.json"));
    other.http = Some(HttpVersion::Http2);
    let json = serde_json::to_string_pretty(&other).unwrap();
    assert!(json.contains(r#""http": "2""#), "{json}");
    std::fs::write(shards[2].join("summary.json"), json).unwrap();
    let mixed_dir = dir.join("mixed");
    let mixed = merge_into(&mixed_dir);
    assert!(matches!(mixed.status.code(), Some(0 | 99)));
    let mixed: Summary = read(&mixed_dir.join("summary.json"));
    assert_eq!(mixed.http, None);
    let log = std::fs::read_to_string(merged_dir.join("latency.hlog")).unwrap();
    let lines = log.lines().filter(|l| l.starts_with("Tag=")).count();
    let parts_lines: usize = shards
        .iter()
        .map(|d| {
            std::fs::read_to_string(d.join("latency.hlog"))
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("Tag="))
                .count()
        })
        .sum();
    assert_eq!(
        lines, parts_lines,
        "every interval of every shard, merged by time"
    );
    // Two of three shards are refused, naming the missing one.
    let missing = omnisim(
        &[
            "merge",
            &p(&shards[0]),
            &p(&shards[2]),
            "--out",
            &p(&dir.join("partial")),
        ],
        "",
    )
    .output()
    .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("shard(s) 1 of 3 missing"));
    std::fs::remove_dir_all(&dir).unwrap();
}

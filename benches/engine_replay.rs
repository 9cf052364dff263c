//! How much of a full virtual run is the reference engine: runs the virtual-speed scenario
//! (bench/virtual.toml) for SESSIONS sessions, records the steps the run took on the engine, and
//! applies them again to the engine alone, without the simulated parties, the history checker or
//! the measurements.
//!
//! Last, it records the run again and replays it timing every step, and prints what each kind of
//! step (a customer's text, an agent's send, ...) costs the engine: the table to start from when
//! making the engine faster.
//!
//! `cargo bench --bench engine_replay [-- SESSIONS]` (default 100,000)

use omnisim::scenario::Scenario;
use omnisim::virtual_time;
use std::time::Instant;

/// The allocator the `omnisim` binary runs with, so that the engine is measured as it ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let sessions: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let template = std::fs::read_to_string("bench/virtual.toml")?;
    let text = template
        .replace("RATE", "100")
        .replace("DURATION", &format!("{}s", sessions / 100));
    let scenario = Scenario::parse(&text, "bench/virtual.toml")?;

    // The engine alone first, then the full run, each in a heap the one before grew and freed.
    let recording = virtual_time::record(scenario.clone(), None, None)?;
    let (started, steps) = (recording.sessions, recording.steps.len());
    let start = Instant::now();
    let engine = recording.replay();
    let engine_only = start.elapsed();
    drop(engine);
    let start = Instant::now();
    virtual_time::run(scenario.clone(), None, None)?;
    let full = start.elapsed();

    let per_s = |d: std::time::Duration| started as f64 / d.as_secs_f64();
    println!(
        "{started} sessions, {steps} engine steps ({:.1} per session)",
        steps as f64 / started as f64
    );
    println!(
        "full run:     {:7.2} s  {:9.0} sessions/s",
        full.as_secs_f64(),
        per_s(full)
    );
    println!(
        "engine alone: {:7.2} s  {:9.0} sessions/s  ({:.0} % of the full run)",
        engine_only.as_secs_f64(),
        per_s(engine_only),
        100.0 * engine_only.as_secs_f64() / full.as_secs_f64()
    );

    // Recorded again rather than cloned at the start: a clone kept through the runs above
    // changed the heap they ran in (the engine alone measured 2.4 s instead of 3.1 s).
    let recording = virtual_time::record(scenario, None, None)?;
    let (engine, kinds) = recording.replay_timed();
    drop(engine);
    let total: f64 = kinds.iter().map(|k| k.time.as_secs_f64()).sum();
    println!("\nengine time by kind of step (each step timed):");
    println!(
        "{:<20} {:>10} {:>9} {:>8} {:>13}",
        "step", "count", "µs each", "share", "µs/session"
    );
    for k in &kinds {
        let secs = k.time.as_secs_f64();
        println!(
            "{:<20} {:>10} {:>9.2} {:>7.1}% {:>13.2}",
            k.kind.name(),
            k.steps,
            secs * 1e6 / k.steps as f64,
            100.0 * secs / total,
            secs * 1e6 / started as f64
        );
    }
    Ok(())
}

//! `omnisim run --virtual`: the shipped scenarios on a virtual clock, determinism, and the
//! reference engine reproducing Erlang C when the scenario is the M/M/N model.

use omnisim::plan::erlang::{self, Question};
use omnisim::scenario::Scenario;
use omnisim::virtual_time;
use std::path::Path;

#[test]
fn shipped_scenarios_run_green_in_virtual_time() {
    for name in [
        "quickstart",
        "peak-hour",
        "bot-handoff",
        "skills-overflow",
        "transfer-storm",
        "reconnect-chaos",
        "support-day",
    ] {
        let path = format!("scenarios/{name}.toml");
        let scenario = Scenario::load(Path::new(&path)).unwrap();
        let s = virtual_time::run(scenario, None, None).unwrap().summary;
        assert!(s.sessions.started > 0, "{name}");
        assert_eq!(s.sessions.still_open, 0, "{name}: {:#?}", s.sessions);
        assert_eq!(s.sessions.started, s.sessions.ended, "{name}");
        assert!(s.errors.is_empty(), "{name}: {:?}", s.errors);
        assert!(s.violations.is_empty(), "{name}: {:?}", s.violations);
        assert!(
            s.thresholds.iter().all(|t| t.passed),
            "{name}: {:?}",
            s.thresholds
        );
        assert_eq!(s.target, "virtual");
    }
}

#[test]
fn the_same_seed_gives_the_same_summary_byte_for_byte() {
    let run = |seed| {
        let scenario = Scenario::load(Path::new("scenarios/peak-hour.toml")).unwrap();
        let outcome = virtual_time::run(scenario, Some(seed), None).unwrap();
        (
            serde_json::to_string_pretty(&outcome.summary).unwrap(),
            outcome.interval_log,
        )
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5).0, run(6).0);
}

#[test]
fn outbound_conversations_run_in_virtual_time() {
    let scenario = Scenario::load(Path::new("scenarios/whatsapp-outbound.toml")).unwrap();
    let s = virtual_time::run(scenario, None, None).unwrap().summary;
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    let o = &s.outbound;
    assert!(o.sent > 0 && o.opt_outs > 0, "{o:?}");
    // After opting out, recipients drawn again are refused (R-OUT-2, R-OUT-3).
    assert!(o.refused > 0, "{o:?}");
    // Silent recipients leave their session new: the only sessions still open.
    assert_eq!(s.sessions.started, s.sessions.ended + s.sessions.still_open);
    assert!(s.sessions.still_open <= o.sent, "{:?} {o:?}", s.sessions);
}

/// One queue, agents of capacity 1 who accept at once and whose greeting comes after an
/// exponential handle time, customers who end the session on the greeting and never give up:
/// the M/M/N queue, run through the whole engine.
const MMN: &str = r#"
name = "mmn"
duration = "20000s"
drain = "1h"
seed = 4
service_level_threshold = "2s"

[[queues]]
name = "q"
push_timeout = "1h"

[[channels]]
name = "web"
kind = "web"
platform = "standard"
entry = "queue:q"

[[agents]]
name = "a"
count = 14
capacity = 1
accept_delay = "0s"
reply_time = "exp(18s)"

[arrivals]
rate = "2000/h"

[customers]
messages = "0"
patience = "1000h"
"#;

#[test]
fn the_engine_in_virtual_time_reproduces_erlang_c() {
    let scenario = Scenario::parse(MMN, "mmn.toml").unwrap();
    let s = virtual_time::run(scenario, None, None).unwrap().summary;
    // 2000/h for 20,000 s: about 11,000 customers on 10 Erlangs and 14 agents.
    let c = erlang::erlang_c(&Question {
        arrival_rate: 2000.0 / 3600.0,
        aht: 18.0,
        agents: 14,
        threshold: 2.0,
    })
    .unwrap();
    let sl = s.service_level.value.unwrap();
    let asa = s.latency_ms["speed_to_answer"].mean / 1000.0;
    assert!(
        (sl - c.service_level).abs() < 0.03,
        "SL {sl} vs {}",
        c.service_level
    );
    assert!((asa - c.asa).abs() < 0.35 * c.asa, "ASA {asa} vs {}", c.asa);
    let handle = s.latency_ms["handle"].mean / 1000.0;
    assert!((handle - 18.0).abs() < 1.0, "handle {handle}");
}

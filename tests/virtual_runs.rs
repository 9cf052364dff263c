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
        "vip-direct",
        "language-split",
        "after-hours",
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
        assert_eq!(s.http, None, "no requests in virtual time");
    }
}

/// The flow scenarios route by every kind of rule they name, and direct routing both reaches its
/// agents and falls back, as summary.json tells.
#[test]
fn flow_scenarios_route_by_their_rules() {
    let run = |name: &str| {
        let path = format!("scenarios/{name}.toml");
        let scenario = Scenario::load(Path::new(&path)).unwrap();
        virtual_time::run(scenario, None, None).unwrap().summary
    };
    let vip = run("vip-direct");
    let rules = &vip.flows.rules;
    assert!(rules["front-door.account-manager-0"] > 0 && rules["front-door.default"] > 0);
    let direct = &vip.flows.direct;
    assert!(
        direct.reached > 0 && direct.fell_back["timeout"] > 0,
        "{direct:?}"
    );
    assert_eq!(
        direct.routed,
        direct.reached + direct.fell_back.values().sum::<u64>()
    );
    let wait = &vip.latency_ms["direct_fallback_wait"];
    assert!(
        (9_999.0..=10_100.0).contains(&wait.p50),
        "the 10 s timeout: {wait:?}"
    );
    let split = run("language-split");
    for rule in ["french", "french-overflow", "default"] {
        assert!(
            split.flows.rules[&format!("by-language.{rule}")] > 0,
            "{rule}"
        );
    }
    // A virtual clock starts at midnight: the night rule sends everyone to the bot.
    let night = run("after-hours");
    assert_eq!(
        night.flows.rules.keys().collect::<Vec<_>>(),
        ["office-hours.night"]
    );
    assert!(night.sessions.bot_contained > 0);
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

/// The M/M/N scenario with agents of capacity 3, loaded so that most hold several chats.
fn concurrent(speed: Option<&str>) -> Scenario {
    let agents = "count = 14\ncapacity = 1";
    let mut text = MMN.replace(agents, "count = 5\ncapacity = 3");
    if let Some(speed) = speed {
        text = text.replace("capacity = 3", &format!("capacity = 3\nspeed = {speed}"));
    }
    text = text.replace("duration = \"20000s\"", "duration = \"5000s\"");
    Scenario::parse(&text, "concurrent.toml").unwrap()
}

#[test]
fn a_concurrency_curve_slows_each_chat_as_an_agent_takes_more() {
    let handle = |speed| {
        let s = virtual_time::run(concurrent(speed), None, None)
            .unwrap()
            .summary;
        assert!(s.violations.is_empty(), "{:?}", s.violations);
        s.latency_ms["handle"].mean / 1000.0
    };
    let full = handle(None);
    let same_as_full = handle(Some("[1, 2, 3]"));
    let shared = handle(Some("[1, 1.5, 1.8]"));
    assert!((full - 18.0).abs() < 1.5, "at full speed: {full}");
    assert!((same_as_full - full).abs() < 1e-9, "f(j) = j is full speed");
    // Holding two or three chats, each runs at 0.75 or 0.6 of solo speed.
    assert!(shared > 1.2 * full, "shared {shared} vs full {full}");
}

#[test]
fn concurrency_curves_are_checked_against_the_capacity() {
    let bad = |speed: &str| {
        let text = MMN.replace("capacity = 1", &format!("capacity = 2\nspeed = {speed}"));
        Scenario::parse(&text, "bad.toml").unwrap_err().to_string()
    };
    assert!(
        bad("[1]").contains("one value per unit of capacity"),
        "{}",
        bad("[1]")
    );
    assert!(bad("[1, 2.5]").contains("concave"), "{}", bad("[1, 2.5]"));
    assert!(
        bad("[2, 3]").contains("first value is 1"),
        "{}",
        bad("[2, 3]")
    );
}

#[test]
fn a_run_longer_than_its_interval_profile_repeats_the_profile() {
    // A quiet hour and a busy hour, run for four hours: two quiet and two busy hours.
    let text = MMN
        .replace(
            "rate = \"2000/h\"",
            "intervals = [{ length = \"1h\", rate = \"200/h\" }, { length = \"1h\", rate = \"1800/h\" }]",
        )
        .replace("duration = \"20000s\"", "duration = \"2h\"");
    let scenario = Scenario::parse(&text, "profile.toml").unwrap();
    let four_hours = std::time::Duration::from_secs(4 * 3600);
    let s = virtual_time::run(scenario, None, Some(four_hours))
        .unwrap()
        .summary;
    // 2 × 200 + 2 × 1800 = 4000 expected; a profile held at its last rate would give 5600.
    let started = s.sessions.started as f64;
    assert!((started - 4000.0).abs() < 4.0 * 4000f64.sqrt(), "{started}");
    // Each hour of the profile reports both of its repetitions.
    let by = &s.by_interval;
    assert_eq!(by.len(), 2, "{by:?}");
    let (quiet, busy) = (by[0].offered as f64, by[1].offered as f64);
    assert!((quiet - 400.0).abs() < 4.0 * 20.0, "{by:?}");
    assert!((busy - 3600.0).abs() < 4.0 * 60.0, "{by:?}");
    assert_eq!(by[0].offered + by[1].offered, s.sessions.started);
}

#[test]
fn a_virtual_run_names_the_socket_faults_it_leaves_out() {
    let chaos = Scenario::load(Path::new("scenarios/reconnect-chaos.toml")).unwrap();
    assert_eq!(
        virtual_time::unsimulated_faults(&chaos),
        ["customer_reconnect", "agent_reconnect"]
    );
    let quick = Scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
    assert!(virtual_time::unsimulated_faults(&quick).is_empty());
}

/// Each latency is labelled where it happened: a customer's with its channel and the queue its
/// channel enters, an agent's with the conversation's channel and the queue it was offered from.
/// Every channel here enters a queue of its own, so each queue's figures are its channel's.
#[test]
fn latencies_are_broken_down_by_the_channel_and_queue_they_happened_in() {
    let scenario = Scenario::load(Path::new("scenarios/skills-overflow.toml")).unwrap();
    let s = virtual_time::run(scenario, None, None).unwrap().summary;
    let (channels, queues) = (&s.latency_by_channel_ms, &s.latency_by_queue_ms);
    assert_eq!(
        channels.keys().collect::<Vec<_>>(),
        ["sms", "web-billing", "web-es"]
    );
    assert_eq!(
        queues.keys().collect::<Vec<_>>(),
        ["billing", "general", "spanish"]
    );
    for metric in ["routing", "speed_to_answer", "handle", "resolution"] {
        let counts: Vec<(u64, u64)> = [
            ("web-es", "spanish"),
            ("web-billing", "billing"),
            ("sms", "general"),
        ]
        .into_iter()
        .map(|(c, q)| (channels[c][metric].count, queues[q][metric].count))
        .collect();
        assert!(
            counts.iter().all(|&(c, q)| c == q && c > 0),
            "{metric}: {counts:?}"
        );
        let whole: u64 = counts.iter().map(|&(c, _)| c).sum();
        assert_eq!(whole, s.latency_ms[metric].count, "{metric}");
    }
}

//! `omnisim run` end to end: the quickstart scenario against the embedded reference server.

use omnisim::live::{self, RunOptions, Target};
use omnisim::scenario::Scenario;
use std::path::Path;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_runs_against_the_embedded_server_with_a_consistent_summary() {
    let scenario = Scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
    let options = RunOptions {
        duration: Some(Duration::from_secs(5)),
        ..RunOptions::new(Target::Embedded { http2: false })
    };
    let outcome = live::run(scenario, options).await.unwrap();
    let s = &outcome.summary;
    // The report overlays the corrected and uncorrected percentile curves.
    for curve in [
        "routing",
        "routing (uncorrected)",
        "speed_to_answer (uncorrected)",
    ] {
        assert!(outcome.percentiles.contains_key(curve), "{curve}");
    }

    assert!(s.sessions.started > 0, "{s:#?}");
    assert_eq!(s.http, Some(omnisim::measure::summary::HttpVersion::Http1));
    assert_eq!(s.sessions.started, s.sessions.ended + s.sessions.still_open);
    assert!(s.sessions.abandoned + s.sessions.bot_contained <= s.sessions.ended);
    assert_eq!(
        s.arrivals.scheduled,
        s.arrivals.started + s.arrivals.dropped
    );
    assert!(s.sessions.started <= s.arrivals.started);
    assert!(s.routing.accepted <= s.routing.offers);
    assert!(
        s.errors.is_empty(),
        "errors against the reference server: {:?}",
        s.errors
    );
    assert!(s.violations.is_empty());
    // Every handed-off session was accepted or abandoned, or is still open.
    assert!(
        s.routing.accepted + s.sessions.abandoned + s.sessions.still_open >= s.routing.handed_off
    );
    let routing = &s.latency_ms["routing"];
    assert!(routing.count > 0 && routing.p50 <= routing.p99 && routing.p99 <= routing.max);
    // Each routing latency is labelled with the conversation's channel and queue.
    for by in [&s.latency_by_channel_ms, &s.latency_by_queue_ms] {
        let labelled: u64 = by
            .values()
            .filter_map(|m| m.get("routing"))
            .map(|r| r.count)
            .sum();
        assert_eq!(labelled, routing.count, "{by:?}");
    }
    // Corrected latency is measured from the intended time, so never below the uncorrected one.
    assert!(
        s.latency_ms["speed_to_answer"].max + 1.0
            >= s.latency_uncorrected_ms["speed_to_answer"].max
    );
    assert_eq!(s.thresholds.len(), 3, "every threshold evaluated");
    assert!(s.thresholds.iter().all(|t| t.value.is_some()));
    assert!(!s.series.is_empty());
    let log = String::from_utf8(outcome.interval_log).unwrap();
    assert!(
        log.contains("Tag=routing,") && log.contains("Tag=resolution,"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_run_reports_what_each_arrival_interval_got() {
    let text = std::fs::read_to_string("scenarios/quickstart.toml")
        .unwrap()
        .replace(
            "rate = \"2/s\"",
            "intervals = [{ length = \"2s\", rate = \"3/s\" }, { length = \"3s\", rate = \"2/s\" }]",
        );
    let scenario = Scenario::parse(&text, "quickstart-intervals.toml").unwrap();
    let options = RunOptions {
        duration: Some(Duration::from_secs(5)),
        ..RunOptions::new(Target::Embedded { http2: false })
    };
    let s = live::run(scenario, options).await.unwrap().summary;
    let lengths: Vec<f64> = s.by_interval.iter().map(|i| i.length_s).collect();
    assert_eq!(lengths, vec![2.0, 3.0]);
    let offered: u64 = s.by_interval.iter().map(|i| i.offered).sum();
    let answered: u64 = s.by_interval.iter().map(|i| i.answered).sum();
    let abandoned: u64 = s.by_interval.iter().map(|i| i.abandoned).sum();
    assert_eq!(offered, s.routing.handed_off, "{:#?}", s.by_interval);
    assert_eq!(abandoned, s.sessions.abandoned);
    assert!(answered <= s.routing.accepted);
}

/// A target that breaks the wire fails the run on its own verdict: the violations are counted,
/// and the samples name the field, whatever the thresholds say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_breaks_the_wire_is_named_and_counted() {
    use omnisim::live::embedded::Embedded;
    use omnisim::protocol::ClockMode;
    use omnisim::reference_server::faults::{Fault, Faults};
    let server =
        Embedded::with(Faults::NONE.with(Fault::OfferSessionAsId), ClockMode::Wall).unwrap();
    let scenario = Scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
    let outcome = live::run(scenario, against(&server, 5)).await.unwrap();
    server.stop();
    // A target by URL shows its CPU at /metrics (here the test's own process).
    let target = outcome
        .summary
        .target_load
        .as_ref()
        .expect("the target's CPU");
    assert!(
        target.wall_s >= 5.0 && target.cpu_s > 0.0 && target.cores >= 1,
        "{target:?}"
    );
    assert!(!target.shared);
    let p = &outcome.summary.protocol_violations;
    assert!(p.count > 0, "{p:?}");
    let first = &p.samples[0];
    assert_eq!(
        (first.on.as_str(), first.field.as_str()),
        ("agent socket", "work_offered.session"),
        "{first:?}"
    );
    assert!(
        first.frame.contains("\"type\":\"work_offered\""),
        "{first:?}"
    );
    let page = omnisim::report::html::render(&outcome.summary, &outcome.percentiles);
    assert!(page.contains("work_offered.session"));
}

/// A target that dies mid-run ends the run early with the time it was lost, the requests it left
/// unanswered, and what was measured before: a dead target never passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_dies_is_lost_and_the_run_ends_early() {
    use omnisim::live::embedded::Embedded;
    let server = Embedded::start().unwrap();
    let scenario = Scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
    let run = tokio::spawn(live::run(scenario, against(&server, 20)));
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.stop();
    let started = std::time::Instant::now();
    let outcome = run.await.unwrap().unwrap();
    let s = &outcome.summary;
    let lost = s.target_lost.as_ref().expect("the target is lost");
    assert!((2.0..10.0).contains(&lost.at_s), "{lost:?}");
    assert!(lost.problem.contains("/healthz"), "{lost:?}");
    // The run ended with the loss, not at the 20 s mark plus its drain.
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    assert!(s.sessions.started > 0, "what was measured before is kept");
    assert!(
        s.transport_errors.count > 0 && !s.transport_errors.samples.is_empty(),
        "{s:#?}"
    );
    let page = omnisim::report::html::render(s, &outcome.percentiles);
    assert!(page.contains("Target lost at"));
}

/// An interrupted run stops its arrivals, drains briefly and concludes with what it measured,
/// marked interrupted; the run's org was told before the first arrival, and the interval log was
/// given out as it grew (what a killed run leaves is a prefix of the whole log).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_concludes_with_what_it_measured() {
    use std::sync::{Arc, Mutex};
    let scenario = Scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
    let told = Arc::new(Mutex::new(None));
    let seen = told.clone();
    let streamed = Arc::new(Mutex::new(Vec::new()));
    let grows = streamed.clone();
    let (interrupt, rx) = tokio::sync::watch::channel(None);
    let options = RunOptions {
        duration: Some(Duration::from_secs(60)),
        hooks: live::Hooks {
            on_setup: Some(Arc::new(move |org: &live::RunOrg| {
                *seen.lock().unwrap() = Some(org.org);
            })),
            interrupt: Some(rx),
            on_log: Some(Arc::new(move |bytes: &[u8]| {
                grows.lock().unwrap().extend_from_slice(bytes)
            })),
            metrics_addr: None,
            dashboard: None,
            max_customers: None,
        },
        ..RunOptions::new(Target::Embedded { http2: false })
    };
    let run = tokio::spawn(live::run(scenario, options));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        told.lock().unwrap().is_some(),
        "the org is told before the run ends"
    );
    let _ = interrupt.send(Some("SIGINT"));
    let started = std::time::Instant::now();
    let outcome = run.await.unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let s = &outcome.summary;
    let i = s.interrupted.as_ref().expect("marked interrupted");
    assert_eq!(i.signal, "SIGINT");
    assert!(i.at_s < 10.0 && s.sessions.started > 0, "{s:#?}");
    assert_eq!(outcome.org.map(|o| o.org), *told.lock().unwrap());
    let streamed = String::from_utf8(streamed.lock().unwrap().clone()).unwrap();
    let whole = String::from_utf8(outcome.interval_log).unwrap();
    assert!(streamed.contains("Tag=routing,"), "{streamed}");
    assert!(
        whole.starts_with(&streamed),
        "the streamed log is a prefix of the whole one"
    );
}

/// A run of `seconds` against `server` as a target by URL.
fn against(server: &omnisim::live::embedded::Embedded, seconds: u64) -> RunOptions {
    RunOptions {
        duration: Some(Duration::from_secs(seconds)),
        ..RunOptions::new(Target::Url {
            url: server.url.clone(),
            admin_token: server.admin_token.clone(),
            access: Default::default(),
        })
    }
}

/// `--metrics-addr`: while the run goes, /metrics serves its figures in Prometheus' text format,
/// latencies as histograms, labelled with the scenario and the shard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_test_serves_its_figures_to_prometheus() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let scenario = Scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
    let options = RunOptions {
        duration: Some(Duration::from_secs(4)),
        hooks: live::Hooks {
            metrics_addr: Some(addr),
            ..Default::default()
        },
        ..RunOptions::new(Target::Embedded { http2: false })
    };
    let run = tokio::spawn(live::run(scenario, options));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let outcome = run.await.unwrap().unwrap();
    assert!(outcome.summary.sessions.started > 0);
    for expected in [
        "# TYPE omnisim_latency_seconds histogram",
        "omnisim_latency_seconds_bucket{scenario=\"quickstart\",shard=\"0/1\",metric=\"schedule_lag\",le=\"+Inf\"}",
        "omnisim_arrivals_started_total{scenario=\"quickstart\",shard=\"0/1\"}",
        "omnisim_sessions_open{",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    let started: u64 = text
        .lines()
        .find(|l| l.starts_with("omnisim_arrivals_started_total"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap();
    assert!(started > 0, "{text}");
}

/// A run that may hold only a few customers at once drops the rest of its arrivals, counted and
/// named, instead of failing them as transport errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_past_the_customers_a_run_can_hold_are_dropped_and_counted() {
    let scenario = Scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
    let options = RunOptions {
        duration: Some(Duration::from_secs(6)),
        hooks: live::Hooks {
            max_customers: Some(2),
            ..Default::default()
        },
        ..RunOptions::new(Target::Embedded { http2: false })
    };
    let s = live::run(scenario, options).await.unwrap().summary;
    let a = &s.arrivals;
    assert!(a.dropped_at_limit > 0, "{a:?}");
    assert_eq!(a.dropped, a.dropped_at_limit, "none came too late");
    assert_eq!(a.scheduled, a.started + a.dropped);
    assert!(a.at_once_limit.is_some_and(|n| n <= 2), "{a:?}");
    assert_eq!(s.transport_errors.count, 0);
    let warning = s.generator_warning.unwrap();
    assert!(
        warning.contains("at the generator's limit of 2 customers at once"),
        "{warning}"
    );
    // The evidence beside it: how busy the process (generator and embedded server) was.
    let load = s.generator_load.expect("a live run measures its CPU");
    assert!(load.shared, "{load:?}");
    assert_eq!(s.target_load, None, "the target is this process");
    assert!(load.wall_s >= 6.0 && load.cores >= 1, "{load:?}");
    assert!(load.busy > 0.0 && load.busy < 1.0, "{load:?}");
}

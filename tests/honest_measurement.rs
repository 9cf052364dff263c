//! Honest measurement: a server that freezes mid-run shows in the latencies measured from intended
//! times, and the uncorrected figures show how much a tool that starts its clock when its call
//! returns would have hidden.

use omnisim::live::embedded::Embedded;
use omnisim::live::{self, RunOptions, Target};
use omnisim::scenario::Scenario;
use std::time::Duration;

const SCENARIO: &str = r#"
name = "stall"
duration = "6s"
drain = "10s"
seed = 3
[[queues]]
name = "support"
[[channels]]
name = "web"
kind = "web"
platform = "standard"
entry = "queue:support"
[[agents]]
name = "fast"
count = 10
capacity = 10
accept_delay = "1ms"
reply_time = "5ms"
[arrivals]
rate = "20/s"
[customers]
messages = "1"
think_time = "5ms"
patience = "60s"
"#;

const FREEZE: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_freeze_shows_in_corrected_latency_and_hides_in_uncorrected() {
    let server = Embedded::start().unwrap();
    let freezer = server.freezer();
    let scenario = Scenario::parse(SCENARIO, "stall.toml").unwrap();
    let options = RunOptions::new(Target::Url {
        url: server.url.clone(),
        admin_token: server.admin_token.clone(),
        access: Default::default(),
    });
    let run = tokio::spawn(live::run(scenario, options));
    // Freeze the server for a known time in the middle of the arrivals (setup takes milliseconds).
    tokio::time::sleep(Duration::from_secs(3)).await;
    freezer.freeze(FREEZE);
    let s = run.await.unwrap().unwrap().summary;

    let corrected = &s.latency_ms["routing"];
    let uncorrected = &s.latency_uncorrected_ms["routing"];
    eprintln!("routing corrected:   {corrected:?}\nrouting uncorrected: {uncorrected:?}");
    assert!(corrected.count >= 100, "{corrected:?}");
    assert_eq!(corrected.count, uncorrected.count);
    // Sessions that asked at the start of the freeze waited for most of it.
    assert!(corrected.max >= 1200.0, "corrected {corrected:?}");
    assert!(corrected.p99 >= 1000.0, "corrected {corrected:?}");
    // Counted from the server's acknowledgment, the freeze all but disappears.
    assert!(uncorrected.p99 < 250.0, "uncorrected {uncorrected:?}");
    assert!(
        uncorrected.max * 4.0 < corrected.max,
        "corrected {corrected:?} uncorrected {uncorrected:?}"
    );
    // The generator kept its schedule: the freeze was the server's, not the harness's.
    assert_eq!(s.arrivals.dropped, 0);
    assert!(
        s.latency_ms["schedule_lag"].p99 < 50.0,
        "{:?}",
        s.latency_ms["schedule_lag"]
    );
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    server.stop();
}

//! `omnisim run` end to end: agents' shifts and agents closing conversations themselves, against
//! the embedded reference server.

use omnisim::live::{self, RunOptions, Target};
use omnisim::scenario::Scenario;

/// Web chat on an enhanced channel; an early group leaves at 1 s, a late one arrives at 2.5 s,
/// and every agent closes a conversation 300 ms after accepting it: half end it, half mark it
/// inactive.
const SCENARIO: &str = r#"
name = "shifts"
duration = "4s"
drain = "20s"
seed = 3

[[queues]]
name = "chat"

[[channels]]
name = "web"
kind = "web"
platform = "enhanced"
entry = "queue:chat"

[[agents]]
name = "early"
count = 2
capacity = 2
accept_delay = "20ms"
reply_time = "50ms"
conversation_length = "300ms"
inactive_probability = 0.5
shift = { end = "1s" }

[[agents]]
name = "late"
count = 2
capacity = 4
accept_delay = "20ms"
reply_time = "50ms"
conversation_length = "300ms"
inactive_probability = 0.5
shift = { start = "2500ms" }

[arrivals]
rate = "5/s"

[customers]
messages = "3"
think_time = "200ms"
patience = "30s"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_keep_their_shifts_and_close_conversations_themselves() {
    let scenario = Scenario::parse(SCENARIO, "shifts.toml").unwrap();
    let options = RunOptions::new(Target::Embedded { http2: false });
    let s = live::run(scenario, options).await.unwrap().summary;

    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.sessions.still_open, 0, "{:#?}", s.sessions);
    assert_eq!(s.sessions.started, s.sessions.ended);
    assert_eq!(s.sessions.abandoned, 0);
    // Conversations outlast 300 ms, so agents close them: some ended, some left inactive and
    // routed again when the customer wrote on.
    assert!(s.sessions.ended_by_agent > 0, "{:#?}", s.sessions);
    assert!(s.sessions.marked_inactive > 0, "{:#?}", s.sessions);
    // Nobody is online from 1 s to 2.5 s: customers arriving then wait for the late shift.
    let routing = &s.latency_ms["routing"];
    assert!(routing.max >= 800.0, "{routing:?}");
    assert!(routing.p50 < 800.0, "{routing:?}");
}

/// Every customer means to come back 30 s after its session, long after the run (1 s and a 1 s
/// drain) is over: the run ends at its drain deadline, and nobody writes in after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_waiting_to_come_back_stop_when_the_run_stops() {
    let text = r#"
name = "returning"
duration = "1s"
drain = "1s"
seed = 5

[[queues]]
name = "chat"

[[channels]]
name = "web"
kind = "web"
platform = "enhanced"
entry = "queue:chat"

[[agents]]
name = "team"
count = 2
capacity = 4
accept_delay = "10ms"
reply_time = "10ms"

[arrivals]
rate = "10/s"

[customers]
messages = "1"
think_time = "10ms"
comeback_probability = 1.0
comeback_delay = "30s"
"#;
    let scenario = Scenario::parse(text, "returning.toml").unwrap();
    let options = RunOptions::new(Target::Embedded { http2: false });
    let run = live::run(scenario, options);
    let s = tokio::time::timeout(std::time::Duration::from_secs(20), run)
        .await
        .expect("the run ends at its drain deadline, not when the customers meant to return")
        .unwrap()
        .summary;
    assert!(s.sessions.ended > 0, "{:#?}", s.sessions);
    assert_eq!(s.sessions.comebacks, 0, "{:#?}", s.sessions);
}

/// Customers on a channel that delivers over its channel stream read their events from it: each
/// sees every message of each of its sessions from the first, across comebacks (the history
/// checker's R-SESS-1, R-SESS-2 and R-SESS-5), though the stream carries a session's first
/// events before its customer learns its user id from the server's reply.
///
/// Requests go over HTTP/2, as `--http2` sends them: a server that did not speak it would fail
/// every one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_read_their_channel_stream_across_their_sessions() {
    let text = r#"
name = "provider"
duration = "2s"
drain = "20s"
seed = 11

[[queues]]
name = "chat"

[[channels]]
name = "sms"
kind = "sms"
platform = "standard"
entry = "queue:chat"
delivery = "channel_stream"

[[agents]]
name = "team"
count = 3
capacity = 4
accept_delay = "10ms"
reply_time = "20ms"

[arrivals]
rate = "20/s"

[customers]
messages = "3"
think_time = "30ms"
comeback_probability = 0.5
comeback_delay = "200ms"
"#;
    let scenario = Scenario::parse(text, "provider.toml").unwrap();
    let s = live::run(scenario, RunOptions::new(Target::Embedded { http2: true }))
        .await
        .unwrap()
        .summary;
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert!(s.sessions.comebacks > 0, "{:#?}", s.sessions);
    assert_eq!(s.sessions.started, s.sessions.ended, "{:#?}", s.sessions);
    assert_eq!(s.sessions.abandoned, 0, "{:#?}", s.sessions);
    // Every agent message reached its customer: a greeting and an answer to each message.
    let l = &s.latency_ms;
    let written = l["first_response"].count + l["delivery_to_agent"].count;
    assert_eq!(l["delivery_to_customer"].count, written, "{l:#?}");
    // The summary says the requests went over HTTP/2: its figures depend on it.
    assert_eq!(serde_json::to_value(&s).unwrap()["http"], "2");
}

//! Manual clocks (protocol.md §4.7): each org's time stands still until the admin advances it,
//! its timers fire then to the millisecond, and other orgs' time does not move.

mod support;
use omnisim_protocol::*;
use omnisim_reference_server::server::ServerConfig;
use reqwest::Method;
use serde_json::json;
use support::*;

async fn manual() -> TestServer {
    TestServer::with_config(ServerConfig {
        clock: ClockMode::Manual,
        ..ServerConfig::default()
    })
    .await
}

async fn advance(t: &TestServer, org: &Org, ms: u64) -> (u16, serde_json::Value) {
    let path = format!("/v1/orgs/{}/clock", org.id.0);
    t.post(ADMIN, &path, json!({ "advance_ms": ms })).await
}

/// `org` with a queue of this push timeout, a web channel into it, an online agent, and a session
/// offered to that agent: the agent's socket.
async fn offered(t: &TestServer, org: &Org, push_timeout_ms: u64) -> Socket {
    let q = t
        .queue(
            org,
            json!({ "name": "q", "push_timeout_ms": push_timeout_ms }),
        )
        .await;
    let ch = t
        .channel(org, json!({ "name": "w", "kind": "web", "platform": "standard", "entry": { "queue": q.0 } }))
        .await;
    let ann = t.agent(org, 1).await;
    let (mut socket, _) = t.agent_socket(&ann.token).await;
    socket
        .must(AgentRequest::SetPresence {
            presence: Presence::Online,
        })
        .await;
    t.say(org, ch, "+1", "p1", "hello").await;
    socket
}

#[tokio::test]
async fn a_push_timeout_fires_at_its_deadline_not_a_millisecond_before() {
    let t = manual().await;
    let caps: Capabilities = t.read(ADMIN, "/v1/capabilities").await;
    assert_eq!(caps.clock, ClockMode::Manual);
    let org = t.org("a").await;
    let other = t.org("b").await;
    let mut socket = offered(&t, &org, 1000).await;
    let offer = socket.next_offer().await;
    let start: ClockReading = t
        .read(&org.token, &format!("/v1/orgs/{}/clock", org.id.0))
        .await;
    assert_eq!(offer.work.assigned_at, start.now, "time stood still");

    let (status, reply) = advance(&t, &org, 999).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["now"], json!(start.now.0 + 999));
    let work: WorkItem = t
        .read(
            &org.token,
            &format!("/v1/orgs/{}/work/{}", org.id.0, offer.work.id.0),
        )
        .await;
    assert_eq!(
        work.status,
        WorkStatus::Assigned,
        "at T − 1 ms the offer stands"
    );

    let (status, _) = advance(&t, &org, 1).await;
    assert_eq!(status, 200);
    let (_, rescinded) = socket
        .until(|e| matches!(e, Event::OfferRescinded { .. }))
        .await;
    assert!(matches!(
        rescinded,
        Event::OfferRescinded {
            reason: RescindReason::PushTimeout,
            ..
        }
    ));
    let work: WorkItem = t
        .read(
            &org.token,
            &format!("/v1/orgs/{}/work/{}", org.id.0, offer.work.id.0),
        )
        .await;
    assert_eq!(work.status, WorkStatus::DeclinedOnPushTimeout);
    assert_eq!(
        work.closed_at,
        Some(start.now + Millis(1000)),
        "at T exactly"
    );

    // The other org's clock did not move.
    let theirs: ClockReading = t
        .read(&other.token, &format!("/v1/orgs/{}/clock", other.id.0))
        .await;
    assert!(theirs.now < start.now + Millis(1000));
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn only_the_admin_advances_a_clock_and_only_a_manual_one_within_a_year() {
    let t = manual().await;
    let org = t.org("a").await;
    let path = format!("/v1/orgs/{}/clock", org.id.0);
    let (status, body) = t.post(&org.token, &path, json!({ "advance_ms": 5 })).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    let (status, body) = advance(&t, &org, limits::MAX_CLOCK_ADVANCE_MS + 1).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_input"))
    );
    let (status, body) = t
        .post(ADMIN, &path, json!({ "advance_ms": 5, "to": 1 }))
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_json")));
    let (status, body) = t
        .post(ADMIN, "/v1/orgs/999999/clock", json!({ "advance_ms": 5 }))
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    t.server.shutdown().await.unwrap();

    let wall = TestServer::start().await;
    let caps: Capabilities = wall.read(ADMIN, "/v1/capabilities").await;
    assert_eq!(caps.clock, ClockMode::Wall);
    let org = wall.org("a").await;
    let (status, body) = advance(&wall, &org, 5).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("invalid_state"))
    );
    let (status, _) = wall
        .call(
            Method::GET,
            Some(&org.token),
            &format!("/v1/orgs/{}/clock", org.id.0),
            None,
        )
        .await;
    assert_eq!(status, 200);
    wall.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_advance_fires_a_bounded_number_of_timers_and_says_where_it_stopped() {
    let t = manual().await;
    let org = t.org("a").await;
    // The agent stays connected, its offers timing out one after the other.
    let _socket = offered(&t, &org, 1).await;
    let start: ClockReading = t
        .read(&org.token, &format!("/v1/orgs/{}/clock", org.id.0))
        .await;
    let year = limits::MAX_CLOCK_ADVANCE_MS;
    let (status, reply) = advance(&t, &org, year).await;
    assert_eq!(status, 200, "{reply}");
    let now = reply["now"].as_u64().unwrap();
    let timers = limits::MAX_TIMERS_PER_ADVANCE as u64;
    assert_eq!(
        now,
        start.now.0 + timers,
        "one push timeout a millisecond, then it stops"
    );
    t.server.shutdown().await.unwrap();
}

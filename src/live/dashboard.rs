//! `omnisim run --dashboard[=ADDR]`: a page that watches a running test. The page (`/`) is one
//! self-contained file; its figures come over server-sent events at `/events`, one `tick` a
//! second (arrivals, sessions open, routing p99 in that second, queue depth, occupancy, errors,
//! and the checker's and the wire's findings as they happen). At the end a `report` event carries
//! the whole report page, so that its link works after the run has exited, and a `done` event the
//! verdict; `/report` serves the report as long as the process lives.
//!
//! The server has a thread and a runtime of its own, so that neither a viewer nor the page's
//! figures take time from the generator's one thread, and so that it outlives the run's runtime.

use crate::checker::Violation;
use crate::measure::Recorder;
use crate::measure::protocol::ProtocolSample;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Ticks kept for a viewer who opens the page late: the last hour.
const TICKS_KEPT: usize = 3600;
/// Findings sent in one tick; the rest are counted in the tick's totals.
const FINDINGS_PER_TICK: usize = 10;
/// Viewers at once; more are refused (503), so that no number of open pages costs the run.
const MAX_VIEWERS: usize = 32;
/// How long the end of a run waits for open pages to have been sent the verdict.
const DONE_GRACE: Duration = Duration::from_secs(2);

/// The page.
const PAGE: &str = include_str!("dashboard.html");

/// What the page says of the run before its first tick.
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    pub scenario: String,
    pub seed: u64,
    pub target: String,
    pub duration_s: f64,
    pub shard: String,
}

/// One second of the run, as the page shows it. Counts are since the start of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Tick {
    pub t_s: f64,
    pub arrivals: u64,
    pub dropped: u64,
    pub sessions_open: u64,
    /// p99 of routing latency in this second, when any session was routed in it.
    pub routing_p99_ms: Option<f64>,
    pub queue_depth: u64,
    /// Used over online capacity; none while no agent is online.
    pub occupancy: Option<f64>,
    pub errors: u64,
    pub protocol_violations: u64,
    pub checker_violations: u64,
    /// What the checker and the wire found since the last tick (at most ten).
    pub findings: Vec<Finding>,
}

/// A rule broken or a frame that is not the protocol, as it happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// `checker` or `protocol`.
    pub kind: &'static str,
    /// The rule id, or the field at fault.
    pub what: String,
    pub evidence: String,
}

/// Where the findings sent so far end, so that each tick sends only what is new.
#[derive(Default)]
pub struct Seen {
    checker: usize,
    protocol: usize,
}

impl Tick {
    /// The tick for the second that `sample` closed.
    pub fn at(
        r: &Recorder,
        sample: &crate::measure::recorder::Sample,
        violations: &[Violation],
        seen: &mut Seen,
    ) -> Tick {
        let c = &r.counts;
        let mut findings = Vec::new();
        let checker = violations.get(seen.checker..).unwrap_or_default();
        findings.extend(checker.iter().take(FINDINGS_PER_TICK).map(|v| Finding {
            kind: "checker",
            what: v.rule.clone(),
            evidence: v.evidence.clone(),
        }));
        seen.checker = violations.len();
        let wire: &[ProtocolSample] = r.protocol.samples.get(seen.protocol..).unwrap_or_default();
        let room = FINDINGS_PER_TICK - findings.len();
        findings.extend(wire.iter().take(room).map(|p| Finding {
            kind: "protocol",
            what: p.field.clone(),
            evidence: format!("{} on the {}: {}", p.problem, p.on, p.frame),
        }));
        seen.protocol = r.protocol.samples.len();
        Tick {
            t_s: sample.t_s,
            arrivals: c.arrivals_started,
            dropped: c.arrivals_dropped,
            sessions_open: c.sessions_started.saturating_sub(c.sessions_ended),
            routing_p99_ms: sample.routing_p99_ms,
            queue_depth: sample.queue_depth,
            occupancy: sample.occupancy.is_finite().then_some(sample.occupancy),
            errors: r.errors.values().sum(),
            protocol_violations: r.protocol.count,
            checker_violations: violations.len() as u64,
            findings,
        }
    }
}

/// How the run ended, as the page's last word.
#[derive(Clone, Debug, Serialize)]
pub struct Done {
    pub passed: bool,
    /// The report's verdict line.
    pub verdict: String,
    pub exit_code: u8,
    /// Where the report was written.
    pub report_path: String,
}

/// What the viewers are sent, kept as the events themselves.
#[derive(Default)]
struct Board {
    /// Ticks numbered from 0, the last [`TICKS_KEPT`] of them.
    ticks: VecDeque<(u64, Arc<str>)>,
    next: u64,
    /// The report page and the verdict, once the run is over.
    end: Option<(Arc<str>, Arc<str>)>,
    viewers: usize,
    /// Viewers connected that have not yet been sent the verdict.
    owed: usize,
}

/// The live view of one run: what it has been told so far, and a signal for viewers waiting on
/// the next tick.
pub struct Dashboard {
    info: Arc<str>,
    board: Mutex<Board>,
    changed: watch::Sender<u64>,
    addr: SocketAddr,
}

/// Why the dashboard could not start.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("--dashboard {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("--dashboard: starting its thread: {0}")]
    Thread(std::io::Error),
}

impl Dashboard {
    /// Binds `addr` and serves the page from a thread of its own until the process exits.
    pub fn serve(addr: SocketAddr, info: &RunInfo) -> Result<Arc<Dashboard>, DashboardError> {
        let bind = |source| DashboardError::Bind { addr, source };
        let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let local = listener.local_addr().map_err(bind)?;
        let info = serde_json::to_string(info).unwrap_or_else(|_| "{}".into());
        let dashboard = Arc::new(Dashboard {
            info: info.into(),
            board: Mutex::new(Board::default()),
            changed: watch::Sender::new(0),
            addr: local,
        });
        let app = router(dashboard.clone());
        std::thread::Builder::new()
            .name("dashboard".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        let _ = axum::serve(listener, app).await;
                    }
                });
            })
            .map_err(DashboardError::Thread)?;
        Ok(dashboard)
    }

    /// The address it serves on (the port chosen, when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        // A viewer that panicked while holding the board cannot have left it half-written: every
        // change is one push or one assignment.
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends every viewer the run's latest second.
    pub fn tick(&self, tick: &Tick) {
        let Ok(json) = serde_json::to_string(tick) else {
            return;
        };
        let mut b = self.board();
        let n = b.next;
        b.next += 1;
        b.ticks.push_back((n, json.into()));
        if b.ticks.len() > TICKS_KEPT {
            b.ticks.pop_front();
        }
        drop(b);
        self.changed.send_replace(n + 1);
    }

    /// Sends every viewer the report and the verdict, and waits (up to two seconds) until each
    /// viewer connected has been sent them, so that a run exiting at once still ends every page.
    pub fn finish(&self, report: String, done: &Done) {
        let done = serde_json::to_string(done).unwrap_or_else(|_| "{}".into());
        let mut b = self.board();
        b.end = Some((report.into(), done.into()));
        let next = b.next;
        drop(b);
        self.changed.send_replace(next + 1);
        let deadline = Instant::now() + DONE_GRACE;
        while self.board().owed > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // What was handed to the socket last gets a moment to leave it.
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One open page: counted while it is connected, and owed the verdict until it has it.
struct Viewer {
    dashboard: Arc<Dashboard>,
    owes_done: bool,
}

impl Viewer {
    fn join(dashboard: &Arc<Dashboard>) -> Option<Viewer> {
        let mut b = dashboard.board();
        if b.viewers >= MAX_VIEWERS {
            return None;
        }
        b.viewers += 1;
        b.owed += 1;
        drop(b);
        Some(Viewer {
            dashboard: dashboard.clone(),
            owes_done: true,
        })
    }

    fn paid(&mut self) {
        if std::mem::take(&mut self.owes_done) {
            self.dashboard.board().owed -= 1;
        }
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.paid();
        self.dashboard.board().viewers -= 1;
    }
}

fn router(dashboard: Arc<Dashboard>) -> axum::Router {
    use axum::routing::get;
    let events = dashboard.clone();
    let report = dashboard;
    axum::Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/events", get(move || async move { events_for(&events) }))
        .route(
            "/report",
            get(move || async move {
                match &report.board().end {
                    Some((page, _)) => Html(page.to_string()).into_response(),
                    None => (
                        axum::http::StatusCode::NOT_FOUND,
                        "the run has not finished: its report is not written yet",
                    )
                        .into_response(),
                }
            }),
        )
}

/// A viewer's stream: the run's description, every tick kept, then each tick as it comes, then
/// the report and the verdict.
fn events_for(dashboard: &Arc<Dashboard>) -> Response {
    let Some(viewer) = Viewer::join(dashboard) else {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "too many viewers of this run",
        )
            .into_response();
    };
    struct Cursor {
        viewer: Viewer,
        changed: watch::Receiver<u64>,
        next: u64,
        pending: VecDeque<Event>,
        ended: bool,
    }
    let first = Event::default().event("run").data(&*dashboard.info);
    let cursor = Cursor {
        changed: dashboard.changed.subscribe(),
        viewer,
        next: 0,
        pending: VecDeque::from([first]),
        ended: false,
    };
    let stream = futures_util::stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(event) = c.pending.pop_front() {
                return Some((Ok::<_, std::convert::Infallible>(event), c));
            }
            if c.ended {
                c.viewer.paid();
                return None;
            }
            {
                let b = c.viewer.dashboard.board();
                let from = c.next;
                for (n, json) in b.ticks.iter().filter(|(n, _)| *n >= from) {
                    c.pending
                        .push_back(Event::default().event("tick").data(&**json));
                    c.next = n + 1;
                }
                if let Some((report, done)) = &b.end {
                    c.pending
                        .push_back(Event::default().event("report").data(&**report));
                    c.pending
                        .push_back(Event::default().event("done").data(&**done));
                    c.ended = true;
                }
            }
            if c.pending.is_empty() && c.changed.changed().await.is_err() {
                return None;
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::recorder::Sample;

    #[test]
    fn a_tick_sends_each_finding_once() {
        let mut r = Recorder::default();
        r.counts.arrivals_started = 5;
        r.counts.sessions_started = 4;
        r.counts.sessions_ended = 1;
        let sample = Sample {
            t_s: 2.0,
            queue_depth: 3,
            occupancy: f64::NAN,
            arrivals: 5,
            abandoned: 0,
            routing_p99_ms: Some(4.5),
            schedule_lag_p99_ms: None,
            dropped: 0,
            faults: 0,
        };
        let broken = Violation {
            rule: "R-SESS-2".into(),
            evidence: "seq 3 after 1".into(),
        };
        let mut seen = Seen::default();
        let tick = Tick::at(&r, &sample, std::slice::from_ref(&broken), &mut seen);
        assert_eq!(
            (tick.arrivals, tick.sessions_open, tick.queue_depth),
            (5, 3, 3)
        );
        assert_eq!(tick.occupancy, None, "no agent online is no occupancy");
        assert_eq!(tick.findings.len(), 1);
        assert_eq!(tick.findings[0].what, "R-SESS-2");
        let again = Tick::at(&r, &sample, &[broken.clone(), broken], &mut seen);
        assert_eq!(again.findings.len(), 1, "only the new one");
        assert_eq!(again.checker_violations, 2);
    }
}

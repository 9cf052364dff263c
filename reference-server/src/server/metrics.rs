//! Counters the server keeps from the events it publishes, and the Prometheus text exposition of
//! them beside gauges read from the engine at scrape time.

use omnisim_protocol::{Event, WorkStatus};
use std::fmt::Write;

/// Upper bounds (ms) of the routing latency histogram buckets.
const BUCKETS_MS: [u64; 14] = [
    1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
];

/// Event counters and the routing latency histogram (requested → assigned, server side).
#[derive(Default)]
pub struct Metrics {
    messages: u64,
    offers: u64,
    accepts: u64,
    declines: u64,
    push_timeouts: u64,
    unavailable: u64,
    withdrawn: u64,
    canceled: u64,
    transfers: u64,
    closed: u64,
    routing_buckets: [u64; BUCKETS_MS.len()],
    routing_count: u64,
    routing_sum_ms: u64,
    /// Sockets dropped because they took no frame for the send timeout.
    pub sockets_dropped: u64,
}

impl Metrics {
    /// Counts one published event.
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::Message { .. } => self.messages += 1,
            Event::WorkOffered(offer) => {
                self.offers += 1;
                let ms = (offer.work.assigned_at - offer.work.requested_at).0;
                self.routing_count += 1;
                self.routing_sum_ms += ms;
                for (bucket, le) in self.routing_buckets.iter_mut().zip(BUCKETS_MS) {
                    if ms <= le {
                        *bucket += 1;
                    }
                }
            }
            Event::WorkChanged { work } => match work.status {
                WorkStatus::Opened => self.accepts += 1,
                WorkStatus::Declined => self.declines += 1,
                WorkStatus::DeclinedOnPushTimeout => self.push_timeouts += 1,
                WorkStatus::Unavailable => self.unavailable += 1,
                WorkStatus::Withdrawn => self.withdrawn += 1,
                WorkStatus::Canceled => self.canceled += 1,
                WorkStatus::Transferred => self.transfers += 1,
                WorkStatus::Closed => self.closed += 1,
                WorkStatus::Assigned => {}
            },
            _ => {}
        }
    }

    /// Appends the counters and the histogram in Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let counters = [
            ("omnisim_messages_total", "Messages stored.", self.messages),
            (
                "omnisim_offers_total",
                "Work items offered to agents.",
                self.offers,
            ),
            ("omnisim_accepts_total", "Offers accepted.", self.accepts),
            ("omnisim_declines_total", "Offers declined.", self.declines),
            (
                "omnisim_push_timeouts_total",
                "Offers not accepted in time.",
                self.push_timeouts,
            ),
            (
                "omnisim_unavailable_total",
                "Offers withdrawn when the agent went offline.",
                self.unavailable,
            ),
            (
                "omnisim_withdrawn_total",
                "Directly routed offers withdrawn when their flow's timeout passed.",
                self.withdrawn,
            ),
            (
                "omnisim_canceled_total",
                "Offers canceled by the customer ending the session.",
                self.canceled,
            ),
            (
                "omnisim_transfers_total",
                "Work items transferred.",
                self.transfers,
            ),
            (
                "omnisim_work_closed_total",
                "Accepted work items closed.",
                self.closed,
            ),
            (
                "omnisim_sockets_dropped_total",
                "Sockets dropped for taking no frame within the send timeout.",
                self.sockets_dropped,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let name = "omnisim_routing_latency_ms";
        let _ = writeln!(
            out,
            "# HELP {name} Time from work requested to offered, server side.\n# TYPE {name} histogram"
        );
        for (count, le) in self.routing_buckets.iter().zip(BUCKETS_MS) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.routing_count);
        let _ = writeln!(out, "{name}_sum {}", self.routing_sum_ms);
        let _ = writeln!(out, "{name}_count {}", self.routing_count);
    }
}

//! Both sides' CPU over a run's arrivals: the generator's own, and the target's as its `/metrics`
//! shows it (`process_cpu_seconds_total`, `process_cpu_cores`), read when the arrivals start and
//! when they end. Which side had none to spare is the evidence `measure::behind` names.

use super::client::Client;
use crate::measure::behind::CpuLoad;
use omnisim_reference_server::process;
use std::time::{Duration, Instant};

/// One reading of a process's CPU.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Reading {
    at: Instant,
    cpu_s: f64,
    cores: u32,
}

impl Reading {
    /// The load between `self` and a later reading.
    fn until(&self, later: &Reading, shared: bool) -> CpuLoad {
        let wall_s = later.at.saturating_duration_since(self.at).as_secs_f64();
        CpuLoad::new(
            (later.cpu_s - self.cpu_s).max(0.0),
            wall_s,
            later.cores,
            shared,
        )
    }
}

/// Readings of both sides taken when the arrivals start.
pub struct Clock {
    generator: Option<Reading>,
    target: Option<Reading>,
    /// The reference server runs in this process: the generator's reading holds it, and the
    /// target's would repeat it.
    embedded: bool,
}

impl Clock {
    /// Reads both sides now; the target only when it runs in a process of its own.
    pub async fn start(client: &Client, embedded: bool) -> Clock {
        Clock {
            generator: own(),
            target: if embedded { None } else { target(client).await },
            embedded,
        }
    }

    /// Both sides' load since [`Clock::start`]: the generator's, and the target's when its
    /// `/metrics` showed its CPU both times.
    pub async fn stop(&self, client: &Client) -> (Option<CpuLoad>, Option<CpuLoad>) {
        let generator = self
            .generator
            .zip(own())
            .map(|(from, to)| from.until(&to, self.embedded));
        let target = match self.target {
            Some(from) => target(client).await.map(|to| from.until(&to, false)),
            None => None,
        };
        (generator, target)
    }
}

fn own() -> Option<Reading> {
    Some(Reading {
        at: Instant::now(),
        cpu_s: process::cpu_time()?.as_secs_f64(),
        cores: process::cores(),
    })
}

/// How long the target may take to show its `/metrics`: the run waits on it at the start of the
/// arrivals and at their end, and a target that does not answer has no figures to give.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(2);

/// The target's reading, from its `/metrics`; none when it does not show both figures in time.
async fn target(client: &Client) -> Option<Reading> {
    let scrape = client.raw(http::Method::GET, None, "/metrics", None);
    let (status, text) = tokio::time::timeout(SCRAPE_TIMEOUT, scrape)
        .await
        .ok()?
        .ok()?;
    let at = Instant::now();
    let (cpu_s, cores) = parse(&text).filter(|_| status == 200)?;
    Some(Reading { at, cpu_s, cores })
}

/// `process_cpu_seconds_total` and `process_cpu_cores` from Prometheus text, unlabelled.
fn parse(text: &str) -> Option<(f64, u32)> {
    let value = |name| crate::wire::metric(text, name).filter(|v| v.is_finite() && *v >= 0.0);
    let cores = value("process_cpu_cores")?;
    Some((value("process_cpu_seconds_total")?, cores as u32)).filter(|(_, c)| *c > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_targets_cpu_and_cores_from_its_metrics() {
        let text = "# HELP process_cpu_seconds_total x\n# TYPE process_cpu_seconds_total counter\n\
                    process_cpu_seconds_total_other 9\nprocess_cpu_seconds_total 12.5\n\
                    process_cpu_cores 2\n";
        assert_eq!(parse(text), Some((12.5, 2)));
        assert_eq!(parse("process_cpu_seconds_total 12.5\n"), None, "no cores");
        assert_eq!(parse("process_cpu_cores 2\n"), None, "no CPU time");
        assert_eq!(
            parse("process_cpu_seconds_total 1\nprocess_cpu_cores 0\n"),
            None,
            "no cores is no figure"
        );
        assert_eq!(
            parse("process_cpu_seconds_total NaN\nprocess_cpu_cores 1\n"),
            None
        );
    }

    #[test]
    fn a_load_is_the_cpu_between_two_readings_over_their_wall_time() {
        let at = Instant::now();
        let from = Reading {
            at,
            cpu_s: 10.0,
            cores: 2,
        };
        let to = Reading {
            at: at + Duration::from_secs(4),
            cpu_s: 16.0,
            cores: 2,
        };
        let load = from.until(&to, false);
        assert_eq!((load.cpu_s, load.wall_s, load.cores), (6.0, 4.0, 2));
        assert_eq!(load.busy, 0.75);
    }

    /// A target that takes the request and never answers gives no figures, and holds the run
    /// no longer than the scrape's timeout.
    #[tokio::test]
    async fn a_silent_target_gives_no_reading_after_the_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(socket);
        });
        let started = Instant::now();
        assert_eq!(target(&Client::new(&url)).await, None);
        let waited = started.elapsed();
        assert!(
            waited >= SCRAPE_TIMEOUT && waited < SCRAPE_TIMEOUT * 4,
            "{waited:?}"
        );
        held.abort();
    }
}

//! histograms.json: a run's whole-run latency histograms, corrected and uncorrected, overall and
//! per channel and queue, in HdrHistogram's V2 encoding (base64), so that shards merge exactly
//! (histograms added, never percentiles averaged).

use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Metric name → encoded histogram.
pub type Encoded = BTreeMap<String, String>;

/// Every whole-run histogram of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histograms {
    pub corrected: Encoded,
    pub uncorrected: Encoded,
    /// Channel name → metric → histogram.
    pub by_channel: BTreeMap<String, Encoded>,
    pub by_queue: BTreeMap<String, Encoded>,
}

/// `h` in V2 encoding, base64.
pub fn encode(h: &Histogram<u64>) -> String {
    let mut raw = Vec::new();
    // Serializing into a vector fails only on a histogram it cannot describe, which a recorder's
    // never is; an empty string then decodes as an error naming the metric.
    let _ = V2Serializer::new().serialize(h, &mut raw);
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// The histogram `text` encodes; `what` names it in the error.
pub fn decode(what: &str, text: &str) -> Result<Histogram<u64>, String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("{what}: not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut raw.as_slice())
        .map_err(|e| format!("{what}: not a V2 histogram: {e:?}"))
}

/// Adds the histograms of `from` into `into`, metric by metric.
pub fn add_into(
    into: &mut BTreeMap<String, Histogram<u64>>,
    from: &Encoded,
    what: &str,
) -> Result<(), String> {
    for (metric, text) in from {
        let h = decode(&format!("{what} {metric}"), text)?;
        match into.get_mut(metric) {
            Some(sum) => sum.add(&h).map_err(|e| format!("{what} {metric}: {e:?}"))?,
            None => {
                // A decoded histogram covers the values it holds; the sum grows to hold the
                // others' too.
                let mut h = h;
                h.auto(true);
                into.insert(metric.clone(), h);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_round_trip_and_add_exactly() {
        let mut a = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        let mut b = a.clone();
        let mut both = a.clone();
        for v in 1..=1000u64 {
            a.record(v * 7).unwrap();
            both.record(v * 7).unwrap();
        }
        for v in 1..=10u64 {
            b.record(v * 100_000_000).unwrap();
            both.record(v * 100_000_000).unwrap();
        }
        let mut sum = BTreeMap::new();
        for h in [&a, &b] {
            let encoded = BTreeMap::from([("routing".to_owned(), encode(h))]);
            add_into(&mut sum, &encoded, "shard").unwrap();
        }
        let merged = &sum["routing"];
        assert_eq!(merged.len(), both.len());
        for q in [0.5, 0.99, 0.999] {
            assert_eq!(
                merged.value_at_quantile(q),
                both.value_at_quantile(q),
                "{q}"
            );
        }
        assert!(decode("x", "not base64!").is_err());
    }
}

//! latency.hlog: the run's interval histograms as a standard HdrHistogram interval log (V2
//! compressed, one `Tag=` per metric, values in microseconds), so runs and shards can be merged
//! and plotted with the usual HdrHistogram tools.

use super::recorder::IntervalRecord;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use std::time::SystemTime;

/// Writes the intervals of a run that started at `start` as an interval log.
pub fn write(intervals: &[IntervalRecord], start: SystemTime) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    let mut writer = IntervalLogWriterBuilder::new()
        .add_comment(
            "omnisim latency intervals: microseconds from intended times, one Tag per metric",
        )
        .with_start_time(start)
        .with_base_time(start)
        .with_max_value_divisor(1000.0)
        .begin_log_with(&mut out, &mut serializer)
        .map_err(|e| e.to_string())?;
    let mut deserializer = Deserializer::new();
    for r in intervals {
        let h: Histogram<u64> = deserializer
            .deserialize(&mut &r.encoded[..])
            .map_err(|e| format!("{e:?}"))?;
        writer
            .write_histogram(&h, r.start, r.length, Tag::new(r.metric))
            .map_err(|e| e.to_string())?;
    }
    drop(writer);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Recorder;
    use crate::measure::recorder::Labels;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use std::time::Duration;

    #[test]
    fn intervals_round_trip_through_the_log_with_their_tags() {
        let mut r = Recorder::default();
        for ms in [5, 7, 9] {
            r.latency(
                "routing",
                Duration::from_millis(ms),
                None,
                Labels::default(),
            );
        }
        r.close_interval(Duration::from_secs(1));
        r.latency(
            "routing",
            Duration::from_millis(11),
            None,
            Labels::default(),
        );
        r.latency("handle", Duration::from_secs(2), None, Labels::default());
        r.close_interval(Duration::from_secs(2));
        let log = write(
            &r.intervals,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
        .unwrap();
        let mut counts = Vec::new();
        for entry in IntervalLogIterator::new(&log) {
            if let Ok(LogEntry::Interval(h)) = entry {
                let decoded: Histogram<u64> = Deserializer::new()
                    .deserialize(&mut base64_decode(h.encoded_histogram()).as_slice())
                    .unwrap();
                counts.push((h.tag().map(|t| t.as_str().to_owned()), decoded.len()));
            }
        }
        assert_eq!(
            counts,
            vec![
                (Some("routing".into()), 3),
                (Some("handle".into()), 1),
                (Some("routing".into()), 1)
            ]
        );
    }

    fn base64_decode(s: &str) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }
}

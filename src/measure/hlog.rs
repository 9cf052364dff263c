//! latency.hlog: the run's interval histograms as a standard HdrHistogram interval log (V2
//! compressed, one `Tag=` per metric, values in microseconds), so runs and shards can be merged
//! and plotted with the usual HdrHistogram tools.

use super::recorder::IntervalRecord;
use base64::Engine;
use flate2::{Compress, Compression, FlushCompress, Status};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer, V2Serializer};
use std::fmt::Write;
use std::time::SystemTime;

/// The cookie that opens a V2 deflate-compressed histogram (HdrHistogram's encoding spec).
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;

/// Compresses closed interval histograms byte for byte as HdrHistogram's V2 deflate serializer
/// does, with one zlib compressor for the whole run, reset between histograms: that serializer
/// builds a new one per histogram, some 300 KB of fresh memory to map and fault in every time,
/// thousands of times a run.
pub struct Encoder {
    v2: V2Serializer,
    raw: Vec<u8>,
    zlib: Compress,
}

impl Default for Encoder {
    fn default() -> Encoder {
        Encoder {
            v2: V2Serializer::new(),
            raw: Vec::new(),
            zlib: Compress::new(Compression::default(), true),
        }
    }
}

impl Encoder {
    /// `h` as a V2 deflate-compressed histogram.
    pub fn encode(&mut self, h: &Histogram<u64>) -> Result<Vec<u8>, String> {
        self.raw.clear();
        self.v2
            .serialize(h, &mut self.raw)
            .map_err(|e| e.to_string())?;
        self.zlib.reset();
        let mut out = Vec::with_capacity(8 + self.raw.len() / 2 + 64);
        out.extend_from_slice(&V2_COMPRESSED_COOKIE.to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        loop {
            let consumed = self.zlib.total_in() as usize;
            let status = self
                .zlib
                .compress_vec(&self.raw[consumed..], &mut out, FlushCompress::Finish)
                .map_err(|e| e.to_string())?;
            if status == Status::StreamEnd {
                break;
            }
            // compress_vec only fills spare capacity.
            out.reserve(out.capacity().max(64));
        }
        let length = (out.len() - 8) as u32;
        out[4..8].copy_from_slice(&length.to_be_bytes());
        Ok(out)
    }
}

/// Writes the intervals of a run that started at `start` as an interval log. The intervals were
/// compressed when they closed, so their lines are written as they are, in the format of
/// HdrHistogram's own log writer, which writes the header.
pub fn write(intervals: &[IntervalRecord], start: SystemTime) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    IntervalLogWriterBuilder::new()
        .add_comment(
            "omnisim latency intervals: microseconds from intended times, one Tag per metric",
        )
        .with_start_time(start)
        .with_base_time(start)
        .with_max_value_divisor(1000.0)
        .begin_log_with(&mut out, &mut serializer)
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    for r in intervals {
        line.clear();
        // Infallible: writing to a String.
        let _ = write!(
            line,
            "Tag={},{:.3},{:.3},{:.3},",
            r.metric,
            r.start.as_secs_f64(),
            r.length.as_secs_f64(),
            r.max_micros as f64 / 1000.0
        );
        base64::engine::general_purpose::STANDARD.encode_string(&r.encoded, &mut line);
        line.push('\n');
        out.extend_from_slice(line.as_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Recorder;
    use crate::measure::recorder::Labels;
    use hdrhistogram::serialization::Deserializer;
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

    #[test]
    fn the_encoder_writes_what_hdrhistogram_writes() {
        let mut encoder = Encoder::default();
        for values in [
            &[][..],
            &[1, 2, 3][..],
            &[5, 86_400_000_000, 17, 17, 1_000][..],
        ] {
            let mut h = Histogram::<u64>::new(3).unwrap();
            h.auto(true);
            for &v in values {
                h.record(v).unwrap();
            }
            let mut theirs = Vec::new();
            V2DeflateSerializer::new()
                .serialize(&h, &mut theirs)
                .unwrap();
            assert_eq!(encoder.encode(&h).unwrap(), theirs);
        }
    }

    fn base64_decode(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }
}

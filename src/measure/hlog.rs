//! latency.hlog: the run's interval histograms as a standard HdrHistogram interval log (V2
//! compressed, one `Tag=` per metric, values in microseconds), so runs and shards can be merged
//! and plotted with the usual HdrHistogram tools.

use super::recorder::IntervalRecord;
use base64::Engine;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use std::fmt::Write;
use std::time::SystemTime;

/// The cookie that opens a V2 deflate-compressed histogram (HdrHistogram's encoding spec).
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;

/// A zlib header (RFC 1950): deflate with a 32 KiB window, fastest level, check bits valid.
const ZLIB_HEADER: [u8; 2] = [0x78, 0x01];

/// A V2 histogram `payload` in HdrHistogram's V2 compressed form: the payload wrapped in a
/// zlib stream. The stream holds the payload in stored deflate blocks, which every zlib reader
/// inflates like any other. Compressed, the log is a seventh to a quarter smaller; but a
/// compressor clears some 300 KB of tables for each histogram, and a run closes one per metric
/// every second of its time: compressing took a fifth of a virtual run at ten sessions a second.
pub fn compressed(payload: &[u8]) -> Vec<u8> {
    let blocks = payload.len().div_ceil(STORED_BLOCK).max(1);
    let zlib_len = ZLIB_HEADER.len() + blocks * 5 + payload.len() + 4;
    let mut out = Vec::with_capacity(8 + zlib_len);
    out.extend_from_slice(&V2_COMPRESSED_COOKIE.to_be_bytes());
    out.extend_from_slice(&(zlib_len as u32).to_be_bytes());
    zlib_stored(payload, &mut out);
    out
}

/// The most a stored deflate block holds (RFC 1951 §3.2.4: LEN is 16 bits).
const STORED_BLOCK: usize = u16::MAX as usize;

/// Appends `data` to `out` as a zlib stream of stored blocks: the header, each block's final
/// flag and its length with that length's complement, the bytes, and the Adler-32 checksum.
fn zlib_stored(data: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&ZLIB_HEADER);
    let mut rest = data;
    loop {
        let (block, after) = rest.split_at(rest.len().min(STORED_BLOCK));
        let last = after.is_empty();
        let len = block.len() as u16;
        out.push(u8::from(last));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
        if last {
            break;
        }
        rest = after;
    }
    out.extend_from_slice(&adler2::adler32_slice(data).to_be_bytes());
}

/// Writes the intervals of a run that started at `start` as an interval log. The intervals were
/// encoded when they closed, so their lines are written as they are, in the format of
/// HdrHistogram's own log writer, which writes the header.
pub fn write(intervals: &[IntervalRecord], start: SystemTime) -> Result<Vec<u8>, String> {
    let mut out = header(start)?;
    out.extend_from_slice(lines(intervals).as_bytes());
    Ok(out)
}

/// The log's header for a run that started at `start`, as HdrHistogram's log writer writes it.
pub fn header(start: SystemTime) -> Result<Vec<u8>, String> {
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
    Ok(out)
}

/// The log lines of `intervals`, one per interval and metric.
pub fn lines(intervals: &[IntervalRecord]) -> String {
    let mut line = String::new();
    for r in intervals {
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
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Recorder;
    use crate::measure::recorder::Labels;
    use hdrhistogram::Histogram;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
    use std::io::Read;
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
    fn hdrhistogram_reads_back_a_compressed_payload() {
        let mut histograms: Vec<Histogram<u64>> = [
            &[][..],
            &[1, 2, 3][..],
            &[5, 86_400_000_000, 17, 17, 1_000][..],
        ]
        .into_iter()
        .map(h_of)
        .collect();
        // Large counts in most buckets up to a billion: a V2 payload of several stored blocks.
        let mut wide = h_of(&[]);
        for k in 0..41_000 {
            wide.record_n(1.0005f64.powi(k) as u64, 1 << 50).unwrap();
        }
        let mut payload = Vec::new();
        V2Serializer::new().serialize(&wide, &mut payload).unwrap();
        assert!(payload.len() > 2 * STORED_BLOCK, "{} bytes", payload.len());
        histograms.push(wide);
        for h in histograms {
            let mut payload = Vec::new();
            V2Serializer::new().serialize(&h, &mut payload).unwrap();
            let encoded = compressed(&payload);
            let decoded: Histogram<u64> = Deserializer::new()
                .deserialize(&mut encoded.as_slice())
                .unwrap();
            assert_eq!(decoded, h);
            assert_eq!(decoded.len(), h.len());
        }
    }

    #[test]
    fn a_stored_stream_inflates_to_its_data_with_its_checksum() {
        for len in [
            0,
            1,
            1000,
            STORED_BLOCK,
            STORED_BLOCK + 1,
            3 * STORED_BLOCK + 5,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut stream = Vec::new();
            zlib_stored(&data, &mut stream);
            let mut inflated = Vec::new();
            flate2::read::ZlibDecoder::new(stream.as_slice())
                .read_to_end(&mut inflated)
                .unwrap();
            assert_eq!(inflated, data, "{len} bytes");
        }
    }

    fn h_of(values: &[u64]) -> Histogram<u64> {
        let mut h = Histogram::<u64>::new(3).unwrap();
        h.auto(true);
        for &v in values {
            h.record(v).unwrap();
        }
        h
    }

    fn base64_decode(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }
}

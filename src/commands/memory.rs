//! Whether a virtual run fits in the machine's memory before it starts: it keeps something of
//! every session it starts to its end (its customer's user, the ids it leaves), so one too large
//! for the machine would take all memory and be killed, with nothing to show. (A live run draws its arrivals as it goes and holds only the
//! customers in flight.)

/// What a run keeps per session or arrival, at the least and at the most, and why.
pub struct Footprint {
    /// Why the run keeps it, as the refusal says.
    why: &'static str,
    /// What is counted: sessions, arrivals.
    unit: &'static str,
    bytes: (f64, f64),
}

/// A virtual run: every session it starts, to its end.
pub const VIRTUAL: Footprint = Footprint {
    why: "a virtual run keeps each session's user and ids to its end (R-SESS-10)",
    unit: "sessions",
    bytes: omnisim::virtual_time::BYTES_PER_SESSION,
};

/// Whether `count` of `footprint` fit in the memory free now: `Err` with the refusal when even
/// the least would not, a warning when the most would not.
pub fn check(count: f64, footprint: &Footprint) -> Result<Option<String>, String> {
    check_in(count, footprint, available())
}

/// [`check`] against `available` bytes, if known.
fn check_in(
    count: f64,
    footprint: &Footprint,
    available: Option<u64>,
) -> Result<Option<String>, String> {
    let Some(available) = available else {
        return Ok(None);
    };
    let (least, most) = footprint.bytes;
    let gb = |b: f64| b / 1e9;
    let free = gb(available as f64);
    let what = |per: f64| {
        format!(
            "{}: about {count:.3e} {} need {} {:.1} GB, and this machine has {free:.1} GB free",
            footprint.why,
            footprint.unit,
            if per == least { "at least" } else { "up to" },
            gb(count * per)
        )
    };
    if count * least > available as f64 {
        Err(what(least))
    } else if count * most > available as f64 {
        Ok(Some(what(most)))
    } else {
        Ok(None)
    }
}

/// The memory the system can still give (MemAvailable), where it says.
fn available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_virtual_run_larger_than_free_memory_is_refused_before_it_starts() {
        let gb = |n: u64| Some(n * 1_000_000_000);
        assert_eq!(check_in(1e5, &VIRTUAL, gb(4)), Ok(None));
        // A hundred years of the quickstart's 2 arrivals a second.
        let e = check_in(6.3e9, &VIRTUAL, gb(20)).unwrap_err();
        assert!(
            e.contains("6.300e9 sessions need at least 806.4 GB") && e.contains("20.0 GB free"),
            "{e}"
        );
        // A month of peak-hour's ramp: 9 million sessions, on a machine with 3 GB free.
        let w = check_in(9.07e6, &VIRTUAL, gb(3))
            .unwrap()
            .expect("a warning");
        assert!(w.contains("up to 3.5 GB"), "{w}");
        assert_eq!(check_in(9.07e6, &VIRTUAL, gb(4)), Ok(None));
        assert_eq!(
            check_in(6.3e9, &VIRTUAL, None),
            Ok(None),
            "where free memory is unknown, the run is not refused on a guess"
        );
    }
}

//! Whether the virtual runs a command is about to start fit in the machine's memory: a virtual
//! run keeps every session it starts to its end (R-SESS-9), so one too large for the machine
//! would take all memory and be killed minutes later, with nothing to show.

/// Whether `sessions` kept at once fit in the memory free now: `Err` with the refusal when even
/// the least a session keeps would not, a warning when the most measured would not.
pub fn check(sessions: f64) -> Result<Option<String>, String> {
    check_in(sessions, available())
}

/// [`check`] against `available` bytes, if known.
fn check_in(sessions: f64, available: Option<u64>) -> Result<Option<String>, String> {
    let Some(available) = available else {
        return Ok(None);
    };
    let (least, most) = omnisim::virtual_time::BYTES_PER_SESSION;
    let gb = |b: f64| b / 1e9;
    let free = gb(available as f64);
    let what = |per: f64| {
        format!(
            "a virtual run keeps every session it starts (R-SESS-9): about {sessions:.3e} sessions \
             need {} {:.1} GB, and this machine has {free:.1} GB free",
            if per == least { "at least" } else { "up to" },
            gb(sessions * per)
        )
    };
    if sessions * least > available as f64 {
        Err(what(least))
    } else if sessions * most > available as f64 {
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
        assert_eq!(check_in(1e5, gb(4)), Ok(None));
        // A hundred years of the quickstart's 2 arrivals a second.
        let e = check_in(6.3e9, gb(20)).unwrap_err();
        assert!(
            e.contains("6.300e9 sessions need at least 12902.4 GB") && e.contains("20.0 GB free"),
            "{e}"
        );
        // A month of peak-hour's ramp: 9 million sessions, killed at 25 GB.
        let w = check_in(9.07e6, gb(25)).unwrap().expect("a warning");
        assert!(w.contains("up to 60.4 GB"), "{w}");
        assert_eq!(
            check_in(6.3e9, None),
            Ok(None),
            "where free memory is unknown, the run is not refused on a guess"
        );
    }
}

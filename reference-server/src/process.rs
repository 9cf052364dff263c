//! The process's own CPU time and the cores it may run on. The server shows them at `/metrics`
//! and a load generator measures itself with them, so that a run that fell behind its schedule
//! can tell which side had no CPU to spare.

use std::time::Duration;

/// The ticks of `/proc/<pid>/stat`'s CPU times: Linux reports them in USER_HZ, 100 a second on
/// every architecture it runs on.
const TICKS_PER_S: u64 = 100;

/// User and system CPU time this process has spent, from `/proc/self/stat`; none where that
/// cannot be read.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse(&stat)
}

fn parse(stat: &str) -> Option<Duration> {
    // The command name, in parentheses, may hold spaces: fields count from after it. utime and
    // stime are the 14th and 15th fields, the 12th and 13th after the name.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 1000 / TICKS_PER_S))
}

/// The cores this process may run on (its affinity, as `taskset` sets it).
pub fn cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_time_after_a_name_with_spaces() {
        let stat = "4242 (tokio worker) S 1 4242 4242 0 -1 4194560 2817 0 0 0 1234 56 0 0 20 0 \
                    9 0 1 2 3";
        assert_eq!(parse(stat), Some(Duration::from_millis(12_900)));
        assert_eq!(parse("4242 (x) S 1"), None, "too short");
        assert!(cpu_time().is_some_and(|t| t < Duration::from_secs(86_400)));
    }
}

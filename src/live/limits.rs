//! How many customers a live run holds at once. A customer may hold a stream and, at times, a
//! request: file descriptors, of which a process has a fixed number. Past that number every new
//! connection fails ("Too many open files") and a run that fell behind collapses into transport
//! errors; below it, an arrival the run cannot hold is dropped and counted, as one that came too
//! late is, and the run degrades instead of failing.

/// Descriptors kept back for the runtime, the listener, the dashboard and the logs.
const RESERVE: u64 = 256;

/// The soft limit on open files, read from `/proc/self/limits`; none where it cannot be read.
pub fn open_files() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse(&text)
}

fn parse(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    soft.parse().ok()
}

/// Descriptors a customer may hold on one side: its own stream, if it reads one, with a
/// connection of it closed that the other side has not yet seen close (a server behind on its
/// work closes late); and over HTTP/1.1 a request's connection. Counted as one at least: over
/// HTTP/2 a customer reading its channel's stream holds none of its own, but its task is memory.
pub fn per_customer(own_stream: bool, http2: bool) -> u64 {
    let stream = if own_stream { 2 } else { 0 };
    let request = if http2 { 0 } else { 1 };
    (stream + request).max(1)
}

/// The most customers at once under `open_files` descriptors, `agents` sockets held beside
/// them, each customer holding `per_customer` ([`per_customer`]), counting the server's side too
/// when it runs in this process (`embedded`).
pub fn customers_at_once(open_files: u64, agents: u64, embedded: bool, per_customer: u64) -> u64 {
    let sides = if embedded { 2 } else { 1 };
    let spare = open_files.saturating_sub(RESERVE + agents * sides);
    (spare / (per_customer.max(1) * sides)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_soft_limit_and_leaves_room_for_both_sides() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max processes             95165                95165                processes\n\
                      Max open files            20000                1048576              files\n";
        assert_eq!(parse(limits), Some(20000));
        assert_eq!(parse("Max open files unlimited unlimited files"), None);
        let three = per_customer(true, false);
        assert_eq!(three, 3);
        assert_eq!(
            customers_at_once(20_000, 44, true, three),
            (20_000 - 256 - 88) / 6
        );
        assert_eq!(
            customers_at_once(20_000, 44, false, three),
            (20_000 - 256 - 44) / 3
        );
        assert_eq!(customers_at_once(100, 500, true, three), 1, "never none");
    }

    #[test]
    fn a_customer_without_a_stream_or_a_connection_of_its_own_counts_as_one() {
        assert_eq!(per_customer(true, true), 2);
        assert_eq!(per_customer(false, false), 1);
        assert_eq!(per_customer(false, true), 1);
        assert_eq!(customers_at_once(20_000, 44, false, 0), 20_000 - 256 - 44);
    }
}

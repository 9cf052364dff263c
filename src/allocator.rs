//! The allocator of every command, and how long it keeps the pages freed.

/// A run allocates and frees a message's worth of memory many thousand times a second across
/// threads, and a server runs for weeks: mimalloc does both faster than the system's allocator
/// and hands freed pages back, where glibc's kept a long-running server's resident set growing
/// past its live heap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h`, version 2), which the Rust bindings do not
/// name: between `mi_option_eager_commit_delay` (14) and `mi_option_use_numa_nodes` (16).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long a freed page stays with the process before it goes back to the system, in
/// milliseconds.
///
/// mimalloc's default is 10 ms. A run's heap holds about what is in flight, its pages emptied
/// and filled again within milliseconds: handed back after 10 ms, each came back as a fresh page
/// the kernel faulted in and zeroed, some 4,000 faults in a 10⁵-session virtual run. After a
/// second, a page is nearly always reused first: some 400 faults, and a 10⁶-session run in 0.96
/// of the time at a peak of 223 MB instead of 206 (docs/architecture.md). Memory a burst left
/// behind still goes back a second after it.
const KEEP_FREED_MS: std::ffi::c_long = 1000;

/// Sets how long freed pages are kept ([`KEEP_FREED_MS`]), before the command allocates much.
pub fn keep_freed_pages() {
    // SAFETY: mi_option_set only stores the value, for any option and at any time, and
    // PURGE_DELAY is an option of the mimalloc linked in (`purge_delay_is_mimallocs` checks it).
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, KEEP_FREED_MS) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option set is mimalloc's purge delay: it had the default the header gives it, 10 ms,
    /// and reads back as set.
    #[test]
    fn purge_delay_is_mimallocs() {
        // SAFETY: reading an option is always allowed.
        let before = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(before, 10);
        keep_freed_pages();
        let after = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(after, KEEP_FREED_MS);
    }
}

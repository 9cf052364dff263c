//! Input limits every implementation enforces (R-SEC-4). Requests over a limit are rejected with
//! a 4xx error and change nothing.

/// Longest message text, component text or option label, in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = 4096;
/// Longest name, address, skill name or external id (provider/client message id), in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Most options in one component, intents in one bot, skills on one agent or queue.
pub const MAX_ITEMS: usize = 64;
/// Largest HTTP request body, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Highest skill level.
pub const MAX_SKILL_LEVEL: u8 = 10;
/// Largest agent capacity or queue capacity weight, in capacity units.
pub const MAX_CAPACITY: u32 = 100;
/// Work items a server keeps per session: beyond, the oldest (all final) are forgotten, so that a
/// session whose offers keep timing out costs bounded memory however short its push timeout.
pub const MAX_WORK_ITEMS_PER_SESSION: usize = 100;
/// Most timers one advance of a manual clock fires: beyond, the clock stops at the last one fired,
/// so that a request costs bounded time whatever it asks (a 1 ms push timeout over a year).
pub const MAX_TIMERS_PER_ADVANCE: usize = 10_000;
/// Farthest one request may move a manual clock: a year, in milliseconds.
pub const MAX_CLOCK_ADVANCE_MS: u64 = 366 * 24 * 3_600_000;

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
/// Most pre-chat fields on one inbound message (R-FLOW-6).
pub const MAX_PRECHAT_FIELDS: usize = 32;
/// Longest pre-chat field name, in bytes (R-FLOW-6); also the longest field a flow condition names.
pub const MAX_FIELD_NAME_BYTES: usize = 64;
/// Longest pre-chat field value, in bytes (R-FLOW-6).
pub const MAX_FIELD_VALUE_BYTES: usize = 256;
/// The last millisecond of a day: a time of day lies in 0..=MAX_TIME_OF_DAY_MS (R-FLOW-2).
pub const MAX_TIME_OF_DAY_MS: u32 = 86_400_000 - 1;

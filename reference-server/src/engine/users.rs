//! An org's messaging users: one per channel and address (R-CHAN-2), kept for as long as the
//! platform runs with their conversation (R-SESS-5; retention never forgets them, R-SESS-10).
//!
//! Since they are never forgotten, users are what a long run's memory grows with, so they are
//! kept dense: records in a vector that grows by chunks (never copying them), an address up to
//! 24 bytes held inline, and the two ways in (by id, by channel and address) as hash tables of
//! record indices, four bytes a slot, rehashed from the records. A map of full records spent
//! about three times as much. Records never move, so a session keeps its user's place among
//! them ([`UserSlot`]) and reaches it with neither way in.
//!
//! The users a command names are nearly always recent ones, with a conversation going on. Each
//! way in therefore keeps the newest users in a small table of their own ([`Generations`]), which
//! stays in the processor's cache however many users the org has; a table of millions does not,
//! and probing it cost a run of a million sessions about 2 µs a session more than one of 10⁵.

use crate::chunked_vec::ChunkedVec;
use crate::engine::errors::not_found;
use compact_str::CompactString;
use hashbrown::HashTable;
use omnisim_protocol::{
    ApiError, ChannelId, Consent, ConversationId, MessagingUser, OrgId, SessionId, Timestamp,
    UserId,
};
use std::cell::Cell;
use std::fmt;
use std::hash::BuildHasher;

/// What the platform keeps of a user; read back as a [`MessagingUser`]. 72 bytes: the two
/// optional values take 8 bytes each, where an `Option` of one takes 16.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub channel: ChannelId,
    pub address: CompactString,
    pub consent: Consent,
    pub conversation_id: ConversationId,
    /// Milliseconds of the last inbound message, or [`NONE`].
    last_inbound_at: u64,
    /// The user's one open (not ended) session, if any (R-SESS-1), or [`NONE`].
    open_session: u64,
}

/// Where a user's record is among its org's users. Records never move, so a session that keeps
/// its user's slot reaches the record without probing a table for its id, as a conversation's
/// every agent message would otherwise (the user's consent and service window, R-OUT-2,
/// R-OUT-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserSlot(u32);

/// No value: neither an id from the server's counter nor a time in milliseconds reaches it (a
/// time is kept below it).
const NONE: u64 = u64::MAX;

fn some(value: u64) -> Option<u64> {
    (value != NONE).then_some(value)
}

impl UserRecord {
    /// A user who has not written in and has no session.
    pub fn new(
        id: UserId,
        channel: ChannelId,
        address: &str,
        consent: Consent,
        conversation_id: ConversationId,
    ) -> UserRecord {
        UserRecord {
            id,
            channel,
            address: address.into(),
            consent,
            conversation_id,
            last_inbound_at: NONE,
            open_session: NONE,
        }
    }

    /// When the user last wrote in (R-OUT-4's service window runs from it).
    pub fn last_inbound_at(&self) -> Option<Timestamp> {
        some(self.last_inbound_at).map(Timestamp)
    }

    /// The user wrote in at `at`, which opens its channel's service window (R-OUT-4).
    pub fn wrote_in(&mut self, at: Timestamp) {
        self.last_inbound_at = at.0.min(NONE - 1);
    }

    /// The user's one open (not ended) session, if any (R-SESS-1).
    pub fn open_session(&self) -> Option<SessionId> {
        some(self.open_session).map(SessionId)
    }

    /// A session opened for the user, or its open one ended (R-SESS-1).
    pub fn set_open_session(&mut self, session: Option<SessionId>) {
        debug_assert!(session.is_none_or(|s| s.0 != NONE));
        self.open_session = session.map_or(NONE, |s| s.0);
    }

    /// The user as the protocol reads it back.
    pub fn read(&self, org: OrgId) -> MessagingUser {
        MessagingUser {
            id: self.id,
            org,
            channel: self.channel,
            address: self.address.to_string(),
            consent: self.consent,
            conversation_id: self.conversation_id,
            last_inbound_at: self.last_inbound_at(),
            open_session: self.open_session(),
        }
    }
}

/// Every user of one org. `S` is the hasher: seeded per org, as the engine's other maps are, so
/// that crafted addresses cannot force collisions (tests use one where everything collides).
#[derive(Clone, Default)]
pub struct Users<S = foldhash::fast::RandomState> {
    records: ChunkedVec<UserRecord>,
    by_id: Generations,
    by_address: Generations,
    hasher: S,
    /// The user found last, and where: a command names its user several times (an inbound
    /// finds it by address, then reads its consent, marks when it wrote and answers with its
    /// conversation), and each time after the first costs a comparison, not a probe of a
    /// table of millions out of cache. Records never move, so it never goes stale.
    recent: Cell<Option<(UserId, u32)>>,
}

impl<S: BuildHasher> Users<S> {
    fn id_hash(&self, id: UserId) -> u64 {
        self.hasher.hash_one(id.0)
    }

    fn address_hash(&self, channel: ChannelId, address: &str) -> u64 {
        self.hasher.hash_one((channel.0, address))
    }

    fn index(&self, id: UserId) -> Option<usize> {
        if let Some((recent, i)) = self.recent.get() {
            if recent == id {
                return Some(i as usize);
            }
        }
        let records = &self.records;
        let i = self
            .by_id
            .find(self.id_hash(id), |i| records[i as usize].id == id)?;
        self.recent.set(Some((id, i)));
        Some(i as usize)
    }

    /// Where user `id`'s record is, if it exists.
    pub fn slot(&self, id: UserId) -> Option<UserSlot> {
        self.index(id).map(|i| UserSlot(i as u32))
    }

    pub fn get(&self, id: UserId) -> Result<&UserRecord, ApiError> {
        self.index(id)
            .map(|i| &self.records[i])
            .ok_or_else(|| not_found(id))
    }

    pub fn get_mut(&mut self, id: UserId) -> Option<&mut UserRecord> {
        self.index(id).map(|i| &mut self.records[i])
    }

    /// The user at `address` on `channel`, if it ever wrote in or was given consent (R-CHAN-2).
    pub fn at(&self, channel: ChannelId, address: &str) -> Option<&UserRecord> {
        let records = &self.records;
        let i = self
            .by_address
            .find(self.address_hash(channel, address), |i| {
                let r = &records[i as usize];
                r.channel == channel && r.address == address
            })?;
        let record = &records[i as usize];
        self.recent.set(Some((record.id, i)));
        Some(record)
    }

    /// Adds a user, whose id and (channel, address) are not taken.
    pub fn insert(&mut self, user: UserRecord) {
        debug_assert!(
            self.index(user.id).is_none() && self.at(user.channel, &user.address).is_none()
        );
        let index = u32::try_from(self.records.len()).expect("fewer than 2^32 users in one org");
        let (id_hash, address_hash) = (
            self.id_hash(user.id),
            self.address_hash(user.channel, &user.address),
        );
        self.records.push(user);
        let (records, hasher) = (&self.records, &self.hasher);
        self.by_id.insert(index, id_hash, |i| {
            hasher.hash_one(records[i as usize].id.0)
        });
        self.by_address.insert(index, address_hash, |i| {
            let r = &records[i as usize];
            hasher.hash_one((r.channel.0, r.address.as_str()))
        });
    }
}

/// How many of the newest users a young table holds at the least; it holds up to twice as many
/// before the older half moves to the old table. At most 32,768 users, a four-byte slot and a
/// control byte each in a table of 65,536, take some 330 KB, a third of a core's second-level
/// cache here, and span the conversations of the last few minutes even at thousands of sessions
/// a minute.
const YOUNG: u32 = 1 << 14;

/// One way into the users: record indices hashed by a key, the newest users' in a small table
/// (`young`, every index from `young_from` on) and everyone else's in a large one (`old`), so
/// that finding a recent user probes memory that is in cache. Each user moves from the young
/// table to the old one once, in a batch of [`YOUNG`], which costs it one more hash.
#[derive(Clone, Default)]
struct Generations {
    young: HashTable<u32>,
    old: HashTable<u32>,
    young_from: u32,
}

impl Generations {
    /// The index whose key hashes to `hash` and for which `is` holds.
    fn find(&self, hash: u64, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        let found = self.young.find(hash, |&i| is(i));
        found.or_else(|| self.old.find(hash, |&i| is(i))).copied()
    }

    /// Adds `index`, the newest record, whose key hashes to `hash`; `rehash` hashes any
    /// record's key.
    fn insert(&mut self, index: u32, hash: u64, rehash: impl Fn(u32) -> u64) {
        self.young.insert_unique(hash, index, |&i| rehash(i));
        if index + 1 - self.young_from >= 2 * YOUNG {
            let to = self.young_from + YOUNG;
            for i in self.young_from..to {
                self.old.insert_unique(rehash(i), i, |&j| rehash(j));
            }
            self.young.retain(|&mut i| i >= to);
            self.young_from = to;
        }
    }
}

/// A user the engine's own state names: its absence is a bug in the engine, not bad input.
impl<S: BuildHasher> std::ops::Index<UserId> for Users<S> {
    type Output = UserRecord;

    fn index(&self, id: UserId) -> &UserRecord {
        let i = self
            .index(id)
            .expect("users named by the engine's state exist");
        &self.records[i]
    }
}

/// The user at a slot this org's users gave out.
impl<S> std::ops::Index<UserSlot> for Users<S> {
    type Output = UserRecord;

    fn index(&self, slot: UserSlot) -> &UserRecord {
        &self.records[slot.0 as usize]
    }
}

impl<S> std::ops::IndexMut<UserSlot> for Users<S> {
    fn index_mut(&mut self, slot: UserSlot) -> &mut UserRecord {
        &mut self.records[slot.0 as usize]
    }
}

/// Equal when both hold the same users in the same order, whatever their seeds.
impl<S> PartialEq for Users<S> {
    fn eq(&self, other: &Self) -> bool {
        self.records == other.records
    }
}

impl<S> Eq for Users<S> {}

impl<S> fmt::Debug for Users<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.records.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: u64, channel: u64, address: &str) -> UserRecord {
        UserRecord::new(
            UserId(id),
            ChannelId(channel),
            address,
            Consent::ImplicitlyOptedIn,
            ConversationId(id + 1),
        )
    }

    /// A hasher under which every key collides: lookups stand on the comparison alone.
    #[derive(Clone, Default)]
    struct Colliding;

    impl std::hash::Hasher for Colliding {
        fn finish(&self) -> u64 {
            7
        }
        fn write(&mut self, _: &[u8]) {}
    }

    impl BuildHasher for Colliding {
        type Hasher = Colliding;
        fn build_hasher(&self) -> Colliding {
            Colliding
        }
    }

    #[test]
    fn a_users_time_and_session_are_absent_until_set_and_fit_eight_bytes_each() {
        let mut u = user(1, 1, "+15550001");
        assert_eq!((u.last_inbound_at(), u.open_session()), (None, None));
        u.wrote_in(Timestamp(0));
        u.set_open_session(Some(SessionId(7)));
        assert_eq!(
            u.last_inbound_at(),
            Some(Timestamp(0)),
            "time zero is a time"
        );
        assert_eq!(u.open_session(), Some(SessionId(7)));
        let read = u.read(OrgId(3));
        assert_eq!(
            (read.last_inbound_at, read.open_session),
            (Some(Timestamp(0)), Some(SessionId(7)))
        );
        u.set_open_session(None);
        assert_eq!(u.open_session(), None);
        u.wrote_in(Timestamp(u64::MAX));
        assert!(
            u.last_inbound_at().is_some(),
            "the latest time is still a time"
        );
        assert!(std::mem::size_of::<UserRecord>() <= 72);
    }

    #[test]
    fn the_same_address_on_two_channels_is_two_users_even_when_their_hashes_collide() {
        let mut users = Users::<Colliding>::default();
        users.insert(user(10, 1, "+15550001"));
        users.insert(user(20, 2, "+15550001"));
        assert_eq!(
            users.at(ChannelId(1), "+15550001").map(|u| u.id),
            Some(UserId(10))
        );
        assert_eq!(
            users.at(ChannelId(2), "+15550001").map(|u| u.id),
            Some(UserId(20))
        );
        assert!(users.at(ChannelId(3), "+15550001").is_none());
        assert_eq!(users[UserId(20)].channel, ChannelId(2));
        assert!(users.get(UserId(30)).is_err());
    }

    /// Enough users for the oldest to have moved out of the young tables several times over:
    /// every one is found both ways, from the first to the newest, and the young tables keep
    /// to their bound.
    #[test]
    fn users_are_found_by_id_and_by_channel_and_address_after_many_inserts() {
        let mut users = Users::<foldhash::fast::RandomState>::default();
        let long = "x".repeat(40);
        let n = 5 * u64::from(YOUNG) + 3;
        for i in 0..n {
            users.insert(user(i * 7, i % 3, &format!("addr-{}", i / 3)));
        }
        users.insert(user(n * 7, 9, &long));
        let y = u64::from(YOUNG);
        let probes = (0..n)
            .step_by(97)
            .chain([0, y - 1, y, 2 * y, 4 * y - 1, 4 * y, n - 1]);
        for i in probes {
            users.recent.set(None);
            assert_eq!(users[UserId(i * 7)].address, format!("addr-{}", i / 3));
            let found = users.at(ChannelId(i % 3), &format!("addr-{}", i / 3));
            assert_eq!(found.map(|u| u.id), Some(UserId(i * 7)), "user {i}");
        }
        assert_eq!(
            users.at(ChannelId(9), &long).map(|u| u.id),
            Some(UserId(n * 7))
        );
        assert!(users.at(ChannelId(5), "addr-0").is_none(), "no channel 5");
        assert!(users.get(UserId(3)).is_err());
        users.get_mut(UserId(7)).unwrap().consent = Consent::OptedOut;
        assert_eq!(users.get(UserId(7)).unwrap().consent, Consent::OptedOut);
        for way in [&users.by_id, &users.by_address] {
            assert!(way.young.len() < 2 * YOUNG as usize, "{}", way.young.len());
            assert!(way.young.len() >= YOUNG as usize);
            assert_eq!(
                way.young.len() + way.old.len(),
                n as usize + 1,
                "each user once"
            );
        }
    }
}

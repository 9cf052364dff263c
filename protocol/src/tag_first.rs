//! Reading internally tagged objects (`{"type": "message", …}`) without buffering them.
//!
//! serde's derived reader for an internally tagged enum cannot know where the tag is, so it
//! first copies the whole object into a tree of its own and then reads the variant from that:
//! two passes and an allocation for every string and map in it. A load generator reads tens of
//! thousands of events a second, and that tree was over half of what reading one cost. Servers
//! write the tag first (this one does, as serde does), so [`TagFirst`] reads the tag and then
//! the variant's fields straight from the input; an object whose tag comes later is still read,
//! through a buffer, as before.

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Error as _, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// The tag's key.
const TAG: &str = "type";

/// The rest of a tagged object once its tag is read: still in the input, or buffered.
pub(crate) enum Body<'de, A> {
    Streaming(A, PhantomData<&'de ()>),
    Buffered(serde_json::Map<String, serde_json::Value>),
}

impl<'de, A: MapAccess<'de>> Body<'de, A> {
    /// The variant's fields, read as `T`.
    pub fn read<T: Deserialize<'de>>(self) -> Result<T, A::Error> {
        match self {
            Body::Streaming(map, _) => T::deserialize(MapAccessDeserializer::new(map)),
            Body::Buffered(fields) => {
                T::deserialize(serde_json::Value::Object(fields)).map_err(A::Error::custom)
            }
        }
    }
}

/// An internally tagged enum read tag first: its tag's values, and how each variant's fields
/// make one.
pub(crate) trait TagFirst: Sized {
    /// The tag's values, one per variant (`"message"`, …).
    type Kind: for<'k> Deserialize<'k>;
    /// What the object is, for error messages.
    const EXPECTING: &'static str;
    /// The variant `kind` names, from the object's other fields.
    fn from_body<'de, A: MapAccess<'de>>(
        kind: Self::Kind,
        body: Body<'de, A>,
    ) -> Result<Self, A::Error>;
}

/// An object's first key: the tag, told apart without copying it, or another.
enum Key<'de> {
    Tag,
    Other(Cow<'de, str>),
}

impl<'de> Key<'de> {
    /// The key `v`, kept as `keep` makes it unless it is the tag.
    fn of(v: &str, keep: impl FnOnce() -> Cow<'de, str>) -> Key<'de> {
        if v == TAG {
            Key::Tag
        } else {
            Key::Other(keep())
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::of(v, || v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::of(v, || v.to_owned().into()))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Reads a [`TagFirst`] type: the body of its `Deserialize`.
pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>, T: TagFirst>(
    d: D,
) -> Result<T, D::Error> {
    d.deserialize_map(TagFirstVisitor(PhantomData))
}

struct TagFirstVisitor<T>(PhantomData<T>);

impl<'de, T: TagFirst> Visitor<'de> for TagFirstVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let first = match map.next_key::<Key<'de>>()? {
            None => return Err(A::Error::missing_field(TAG)),
            Some(Key::Tag) => {
                let kind = map.next_value()?;
                return T::from_body(kind, Body::Streaming(map, PhantomData));
            }
            Some(Key::Other(key)) => key,
        };
        // The tag comes later: keep what comes before it.
        let mut fields = serde_json::Map::new();
        fields.insert(first.into_owned(), map.next_value()?);
        while let Some(key) = map.next_key::<String>()? {
            fields.insert(key, map.next_value()?);
        }
        let tag = fields
            .remove(TAG)
            .ok_or_else(|| A::Error::missing_field(TAG))?;
        let kind = T::Kind::deserialize(tag).map_err(A::Error::custom)?;
        T::from_body(kind, Body::<A>::Buffered(fields))
    }
}

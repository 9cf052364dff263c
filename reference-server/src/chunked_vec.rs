//! A vector that grows by fixed-size chunks, for records kept for as long as the platform runs
//! (users, R-SESS-5): a long run holds millions of them, and one vector copies them all each
//! time it doubles, holding both copies at that moment, so that its peak was three times what
//! it kept (a month of virtual time peaked 600 MB higher for it). Here growing adds a chunk
//! and copies nothing.

use std::ops::{Index, IndexMut};

/// Records per chunk: 64 Ki, a few MB of records, so that the last chunk's unused part is small
/// beside a run that fills many.
const CHUNK_BITS: u32 = 16;
const CHUNK: usize = 1 << CHUNK_BITS;

/// Records in insertion order, addressed by index.
#[derive(Clone, Debug)]
pub struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> ChunkedVec<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `value` at index `len()`.
    pub fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(value),
            _ => {
                // The first chunk grows as a vector does, so that an org with a handful of
                // users does not reserve a whole chunk; later ones are reserved whole.
                let mut chunk = if self.chunks.is_empty() {
                    Vec::new()
                } else {
                    Vec::with_capacity(CHUNK)
                };
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> Index<usize> for ChunkedVec<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.chunks[index >> CHUNK_BITS][index & (CHUNK - 1)]
    }
}

impl<T> IndexMut<usize> for ChunkedVec<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        &mut self.chunks[index >> CHUNK_BITS][index & (CHUNK - 1)]
    }
}

/// Equal when both hold equal records in the same order.
impl<T: PartialEq> PartialEq for ChunkedVec<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for ChunkedVec<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_their_index_across_chunks() {
        let mut v = ChunkedVec::default();
        let n = 3 * CHUNK + 5;
        for i in 0..n {
            v.push(i);
        }
        assert_eq!(v.len(), n);
        assert_eq!(v.chunks.len(), 4);
        for i in [0, 1, CHUNK - 1, CHUNK, 2 * CHUNK + 7, n - 1] {
            assert_eq!(v[i], i);
        }
        v[CHUNK] = 0;
        assert_eq!(v[CHUNK], 0);
        assert_eq!(v[CHUNK + 1], CHUNK + 1);
        assert!(
            v.iter()
                .copied()
                .eq((0..n).map(|i| if i == CHUNK { 0 } else { i }))
        );
    }

    #[test]
    fn growing_never_moves_a_record() {
        let mut v = ChunkedVec::default();
        v.push(0u64);
        for i in 1..CHUNK as u64 {
            v.push(i);
        }
        let first_chunk = v.chunks[0].as_ptr();
        let second = {
            v.push(1);
            v.chunks[1].as_ptr()
        };
        for i in 0..CHUNK as u64 {
            v.push(i);
        }
        assert_eq!(v.chunks[0].as_ptr(), first_chunk);
        assert_eq!(v.chunks[1].as_ptr(), second);
        assert_eq!(v.chunks[1].capacity(), CHUNK, "reserved whole");
    }

    #[test]
    fn equal_by_content_in_order() {
        let (mut a, mut b) = (ChunkedVec::default(), ChunkedVec::default());
        for i in 0..10 {
            a.push(i);
            b.push(i);
        }
        assert_eq!(a, b);
        b.push(10);
        assert_ne!(a, b);
        a.push(11);
        assert_ne!(a, b);
    }
}

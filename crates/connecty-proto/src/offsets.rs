//! Where each cell starts: `u32` offsets into the body, kept in chunks of
//! a fixed size.
//!
//! A single `Vec<u32>` grows by doubling, and each growth holds the old
//! and the new buffer at once: for a frame of a million rows that is about
//! 0.4x the body's size on top of the body at the peak, and up to half the
//! final buffer wasted after it. Chunks never move once full, so the peak
//! is what is kept, and at most one chunk (64 KiB) is partly empty before
//! [`OffsetsBuilder::finish`] trims it.
//!
//! Beside the offsets, one bit per cell says whether it is a string with
//! an escape: the scanner knows as it reads the string, and a reader of
//! the cells (connecty-arrow) would otherwise search every string for a
//! backslash again (measured as 8% of a conversion on one thread). The
//! bit is set without a branch: a column whose strings have escapes in
//! some rows and not in others would mispredict one per cell.

/// log2 of the cells in a chunk.
const SHIFT: u32 = 14;
/// Cells in a chunk (16,384: 64 KiB of offsets).
const CHUNK: usize = 1 << SHIFT;

/// Offsets being collected by the scanner.
#[derive(Default)]
pub(crate) struct OffsetsBuilder {
    full: Vec<Vec<u32>>,
    current: Vec<u32>,
    /// The escape bits of whole words of 64 cells.
    escaped: Vec<u64>,
    /// The bits of the word being filled.
    word: u64,
}

impl OffsetsBuilder {
    /// Appends the start of the next cell and whether it is a string with
    /// an escape, in one step (the scanner's loop calls this once a cell).
    #[inline]
    pub fn push_cell(&mut self, offset: u32, escaped: bool) {
        if self.current.len() == CHUNK {
            self.next_chunk();
        }
        // A chunk holds a whole number of words, so the position in the
        // word is the position in the chunk's.
        let at = self.current.len() % 64;
        self.current.push(offset);
        self.word |= u64::from(escaped) << at;
        if at == 63 {
            self.escaped.push(self.word);
            self.word = 0;
        }
    }

    #[cold]
    fn next_chunk(&mut self) {
        let full = std::mem::replace(&mut self.current, Vec::with_capacity(CHUNK));
        self.full.push(full);
    }

    /// Cells pushed so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.full.len() * CHUNK + self.current.len()
    }

    /// The offsets, the last chunk trimmed to its length.
    pub fn finish(mut self) -> Offsets {
        self.current.shrink_to_fit();
        let len = self.len();
        if !self.current.is_empty() {
            self.full.push(self.current);
        }
        self.full.shrink_to_fit();
        if len % 64 != 0 {
            self.escaped.push(self.word);
        }
        self.escaped.shrink_to_fit();
        Offsets {
            chunks: self.full,
            len,
            escaped: self.escaped,
        }
    }
}

/// The cells' start offsets, in order.
#[derive(Clone, Default)]
pub(crate) struct Offsets {
    chunks: Vec<Vec<u32>>,
    len: usize,
    /// Bit `i`: cell `i` is a string with an escape.
    escaped: Vec<u64>,
}

impl Offsets {
    /// The number of offsets.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Offset `i` (which must be below [`len`](Self::len)).
    #[inline]
    pub fn get(&self, i: usize) -> usize {
        self.chunks[i >> SHIFT][i & (CHUNK - 1)] as usize
    }

    /// Whether cell `i` is a string with at least one escape.
    #[inline]
    pub fn is_escaped(&self, i: usize) -> bool {
        self.escaped
            .get(i / 64)
            .is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }

    /// Offsets `i..i + n` when they lie in one chunk (a row's cells
    /// nearly always do), else `None`.
    #[inline]
    pub fn run(&self, i: usize, n: usize) -> Option<&[u32]> {
        let at = i & (CHUNK - 1);
        self.chunks.get(i >> SHIFT)?.get(at..at.checked_add(n)?)
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Vec<u32>>()
            + self.chunks.iter().map(|c| c.capacity() * 4).sum::<usize>()
            + self.escaped.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_bits_follow_their_cells_across_words_and_chunks() {
        let marked = |i: usize| i % 7 == 3 || i == 63 || i == 64 || i == CHUNK || i == CHUNK + 100;
        for n in [0, 1, 63, 64, 65, 200, CHUNK + 101] {
            let mut b = OffsetsBuilder::default();
            for i in 0..n {
                b.push_cell(i as u32, marked(i));
            }
            let o = b.finish();
            for i in 0..n + 70 {
                assert_eq!(o.is_escaped(i), i < n && marked(i), "{n} {i}");
            }
            assert_eq!(o.escaped.len(), n.div_ceil(64));
        }
    }

    #[test]
    fn offsets_cross_chunks_and_keep_order() {
        let mut b = OffsetsBuilder::default();
        let n = 3 * CHUNK + 17;
        for i in 0..n {
            b.push_cell(i as u32 * 3, false);
        }
        assert_eq!(b.len(), n);
        let o = b.finish();
        assert_eq!(o.len(), n);
        for i in [0, 1, CHUNK - 1, CHUNK, 2 * CHUNK + 5, n - 1] {
            assert_eq!(o.get(i), i * 3);
        }
        assert_eq!(
            o.run(CHUNK - 2, 2),
            Some(&[(CHUNK as u32 - 2) * 3, (CHUNK as u32 - 1) * 3][..])
        );
        assert_eq!(o.run(CHUNK - 1, 2), None);
        assert_eq!(o.run(n - 1, 2), None);
        // Three full chunks and a trimmed last one, and a bit a cell.
        assert!(o.heap_size() <= n * 4 + 4 * std::mem::size_of::<Vec<u32>>() + n.div_ceil(64) * 8);
    }

    #[test]
    fn empty_and_small() {
        let o = OffsetsBuilder::default().finish();
        assert_eq!(o.len(), 0);
        let mut b = OffsetsBuilder::default();
        b.push_cell(7, false);
        let o = b.finish();
        assert_eq!((o.len(), o.get(0)), (1, 7));
    }
}

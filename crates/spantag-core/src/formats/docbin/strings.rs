//! spaCy's string ids (its symbol table, else MurmurHash64A with seed 1) and the writer's table
//! of the distinct strings it has seen.

use std::collections::HashMap;
use std::sync::LazyLock;

static SYMBOLS_JSON: &str = include_str!("spacy-symbols.json");

/// spaCy's symbol table (`spacy.symbols.IDS`), parsed once at first use. An unparsable embedded table
/// would yield an empty map; the unit tests check that it holds all 457 entries.
static SYMBOLS: LazyLock<HashMap<String, u64>> =
    LazyLock::new(|| serde_json::from_str(SYMBOLS_JSON).unwrap_or_default());

/// MurmurHash64A (Austin Appleby), as used by spaCy's `murmurhash.hash64`; blocks are read
/// little-endian (spaCy reads them in native order, i.e. little-endian on x86-64 and ARM).
pub fn murmurhash64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut b = [0u8; 8];
        b.copy_from_slice(block);
        let mut k = u64::from_le_bytes(b);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate() {
            h ^= u64::from(byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// spaCy's id of a string: 0 for `""`, the symbol id for strings in `spacy.symbols.IDS`
/// (e.g. `"PERSON"` 380, `"ORG"` 383, `"number"` 432), else MurmurHash64A of the UTF-8 bytes, seed 1.
pub fn string_id(s: &str) -> u64 {
    if s.is_empty() {
        return 0;
    }
    match SYMBOLS.get(s) {
        Some(&id) => id,
        None => murmurhash64a(s.as_bytes(), 1),
    }
}

/// Number of entries in the embedded symbol table (457 for spaCy 3.8).
pub fn symbol_count() -> usize {
    SYMBOLS.len()
}

/// Sentinel for "token not seen in any row yet". Row numbers stay below `u32::MAX` because the
/// `tokens` field is limited to 4 GiB (24 bytes a row).
pub(super) const NO_ROW: u32 = u32::MAX;

/// One slot of the intern table (16 bytes, so a lookup touches a single cache line).
#[derive(Clone, Copy, Default)]
pub(super) struct StringEntry {
    /// MurmurHash64A of the string: spaCy's own key for it.
    key: u64,
    /// Last token row with this string as its text (`NO_ROW` if none): the `Fast` row encoder
    /// turns repeats into deflate back-references without searching.
    pub(super) last_row: u32,
    /// 0 = empty slot, 1 = ordinary string, `2 + id` = spaCy symbol `id`.
    kind: u32,
}

impl StringEntry {
    /// spaCy id: the symbol id for symbol strings, else the hash.
    #[inline]
    pub(super) fn id(&self) -> u64 {
        if self.kind >= 2 {
            u64::from(self.kind - 2)
        } else {
            self.key
        }
    }
}

/// Every distinct non-empty string seen, in an open-addressing table keyed by its MurmurHash64A.
/// Keying by the hash (spaCy's own string key, so strings are conflated exactly when spaCy would
/// conflate them) avoids comparing strings; a lookup is one hash and usually one cache line.
#[derive(Default)]
pub(super) struct StringTable {
    /// Linear probing, power-of-two size, at most half full.
    slots: Vec<StringEntry>,
    len: usize,
    /// All strings, concatenated, and each string's byte range.
    arena: String,
    ranges: Vec<(usize, usize)>,
}

impl StringTable {
    /// Index of the slot holding `key`, or of the empty slot where it belongs.
    #[inline]
    fn find(slots: &[StringEntry], key: u64) -> usize {
        let mask = slots.len() - 1;
        let mut i = (key as usize) & mask;
        loop {
            let slot = &slots[i];
            if slot.kind == 0 || slot.key == key {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// Grows the table now if `more` new strings would make it grow.
    pub(super) fn reserve(&mut self, more: usize) {
        while self.len.saturating_add(more).saturating_mul(2) > self.slots.len() {
            self.grow();
        }
    }

    /// The key in the slot where `key` would be looked up first (0 for an empty table).
    #[inline]
    pub(super) fn home_key(&self, key: u64) -> u64 {
        let mask = self.slots.len().wrapping_sub(1);
        self.slots.get((key as usize) & mask).map_or(0, |s| s.key)
    }

    #[cold]
    fn grow(&mut self) {
        let new_len = (self.slots.len() * 2).max(1024);
        let mut slots = vec![StringEntry::default(); new_len];
        for slot in self.slots.iter().filter(|s| s.kind != 0) {
            let i = Self::find(&slots, slot.key);
            slots[i] = *slot;
        }
        self.slots = slots;
    }

    /// The entry of non-empty `s`, recording `s` on first sight.
    #[inline]
    fn entry(&mut self, s: &str) -> &mut StringEntry {
        self.entry_with_key(murmurhash64a(s.as_bytes(), 1), s)
    }

    /// [`StringTable::entry`] when the key (`murmurhash64a(s, 1)`) is known.
    #[inline]
    pub(super) fn entry_with_key(&mut self, key: u64, s: &str) -> &mut StringEntry {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let i = Self::find(&self.slots, key);
        if self.slots[i].kind == 0 {
            self.insert_at(i, key, s);
        }
        &mut self.slots[i]
    }

    #[cold]
    fn insert_at(&mut self, i: usize, key: u64, s: &str) {
        let kind = match SYMBOLS.get(s) {
            Some(&id) => u32::try_from(id).map_or(1, |id| id.saturating_add(2)),
            None => 1,
        };
        self.slots[i] = StringEntry {
            key,
            last_row: NO_ROW,
            kind,
        };
        self.len += 1;
        let start = self.arena.len();
        self.arena.push_str(s);
        self.ranges.push((start, self.arena.len()));
    }

    /// spaCy id of `s`, recording `s` on first sight. `""` is 0 and not recorded.
    #[inline]
    pub(super) fn intern(&mut self, s: &str) -> u64 {
        if s.is_empty() { 0 } else { self.entry(s).id() }
    }

    pub(super) fn len(&self) -> usize {
        self.ranges.len()
    }

    /// All strings in the order they were first seen. spaCy sorts them, but the loader only
    /// adds each to the vocabulary, so any order loads the same; first-seen order is just as
    /// deterministic and spares sorting hundreds of thousands of strings.
    pub(super) fn in_order(&self) -> impl Iterator<Item = &str> {
        self.ranges
            .iter()
            .filter_map(|&(a, b)| self.arena.get(a..b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_table_is_complete() {
        assert_eq!(symbol_count(), 457);
    }

    #[test]
    fn string_ids_match_spacy() {
        assert_eq!(string_id("ACTOR"), 5408755460585001224);
        assert_eq!(string_id("PLACE"), 7145516467705016459);
        assert_eq!(string_id("NUMBER"), 1209586952788944896);
        assert_eq!(string_id("CLAIM"), 8529571584741417429);
        assert_eq!(string_id("PERSON"), 380);
        assert_eq!(string_id("ORG"), 383);
        assert_eq!(string_id("number"), 432);
        assert_eq!(string_id("ORTH"), 65);
        assert_eq!(string_id(""), 0);
        // Not symbols: case matters.
        assert_ne!(string_id("Number"), 432);
        assert_ne!(string_id("person"), 380);
    }

    #[test]
    fn murmurhash_all_tail_lengths() {
        // Exercise every tail length 0..=7 plus multiple blocks; ids must be distinct and stable.
        let s = "abcdefghijklmnopq";
        let hs: Vec<u64> = (0..=s.len())
            .map(|i| murmurhash64a(&s.as_bytes()[..i], 1))
            .collect();
        let mut sorted = hs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), hs.len());
        // MurmurHash64A of empty input with seed 1 (h = 1, then the final mix).
        let m: u64 = 0xc6a4_a793_5bd1_e995;
        let mut h: u64 = 1;
        h ^= h >> 47;
        h = h.wrapping_mul(m);
        h ^= h >> 47;
        assert_eq!(hs[0], h);
    }
}

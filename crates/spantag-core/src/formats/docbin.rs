//! Native writer for spaCy's `.spacy` (DocBin) training-data format.
//!
//! Layout (verified against spaCy 3.8): the file is `zlib(msgpack(msg))` where `msg` is a map with
//! `version`, `attrs` (`[ORTH, ENT_IOB, ENT_TYPE]`), `tokens` (little-endian `u64` rows, one row per
//! token, one column per attribute, all documents concatenated), `spaces` (one 0/1 byte per token),
//! `lengths` (little-endian `i32` token count per document), `strings` (every non-empty string whose
//! id occurs in `tokens` or in a span label, in first-seen order), `cats` (`{}` per document), `flags`
//! (`{"has_unknown_spaces": false}` per document) and `span_groups` (per document: `b"\x90"` when it
//! has no groups, otherwise the msgpack map `{SpanGroup bytes: [key]}`, where a SpanGroup is
//! `{"name", "attrs": {}, "spans": [40-byte big-endian ">QQQllll" records]}`).
//!
//! String ids follow spaCy's `StringStore`: `0` for `""`, the symbol id for the 457 strings in
//! `spacy.symbols.IDS` (embedded from `spacy-symbols.json`), otherwise MurmurHash64A of the UTF-8 bytes
//! with seed 1.
//!
//! Speed (`cargo bench --bench export_corpus` compares it with spaCy's own conversion):
//! - each distinct string is stored once in an open-addressing table keyed by its MurmurHash64A
//!   (spaCy's own `StringStore` key, so strings are conflated exactly when spaCy would conflate them);
//!   a token costs one hash and usually one cache line, never a string comparison or allocation.
//! - the output is a zlib stream assembled from independent raw-deflate segments, each ending
//!   byte-aligned (sync flush) with no back-references into other segments, so they can be produced
//!   out of order and concatenated (as pigz does). The msgpack header, whose `tokens` length is only
//!   known at the end, is encoded last and placed first; Adler-32 is combined from per-segment sums.
//! - `Compression::Fast` encodes the token rows as documents are added with a specialised deflate
//!   encoder (`RowEncoder`): the intern table remembers each string's last row, so a repeated
//!   token becomes a back-reference without any match search. Everything else (and all token rows
//!   for `None`/`Best`) goes through 1 MiB chunks compressed on background threads.
//!
//! The bytes written do not depend on the number of threads.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};
use std::sync::LazyLock;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::thread::JoinHandle;

/// spaCy attribute id of `ORTH` (the token text).
pub const ATTR_ORTH: u64 = 65;
/// spaCy attribute id of `ENT_IOB` (index into `("", "I", "O", "B")`).
pub const ATTR_ENT_IOB: u64 = 77;
/// spaCy attribute id of `ENT_TYPE` (string id of the entity label).
pub const ATTR_ENT_TYPE: u64 = 78;

const IOB_I: u64 = 1;
const IOB_O: u64 = 2;
const IOB_B: u64 = 3;

/// Bytes of one token row: three little-endian `u64` columns.
const ROW_BYTES: usize = 24;
/// Size of a serialized span inside a SpanGroup (`>QQQllll`).
const SPAN_RECORD_BYTES: usize = 40;
/// Uncompressed bytes per independently compressed chunk.
const CHUNK_SIZE: usize = 1 << 20;
/// Upper bound for the default number of compression threads.
const MAX_DEFAULT_THREADS: usize = 8;
/// Largest msgpack bin/str/array/map length.
const MAX_MSGPACK_LEN: usize = u32::MAX as usize;

static SYMBOLS_JSON: &str = include_str!("spacy-symbols.json");

/// spaCy's symbol table (`spacy.symbols.IDS`), parsed once at first use. An unparsable embedded table
/// would yield an empty map; the unit tests check that it holds all 457 entries.
static SYMBOLS: LazyLock<HashMap<String, u64>> =
    LazyLock::new(|| serde_json::from_str(SYMBOLS_JSON).unwrap_or_default());

// ---------------------------------------------------------------------------------------------
// Public data types
// ---------------------------------------------------------------------------------------------

/// One token: its text and whether it is followed by exactly one `' '` in the document text.
/// Any other whitespace (double spaces, newlines) must be a token of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpacyToken<'a> {
    pub text: &'a str,
    pub space: bool,
}

/// A labelled span of tokens `start_token..end_token`; `start_char..end_char` are the same span in
/// Unicode code points of the document text (end exclusive), as spaCy's `Span.start_char/end_char`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpacySpan<'a> {
    pub label: &'a str,
    pub start_token: usize,
    pub end_token: usize,
    pub start_char: usize,
    pub end_char: usize,
}

/// A document: tokens, named entities (`doc.ents`: non-empty, non-overlapping, sorted by position)
/// and span groups (`doc.spans[key]`, e.g. `("sc", all spans)`; spans may overlap and be empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpacyDoc<'a> {
    pub tokens: Vec<SpacyToken<'a>>,
    pub ents: Vec<SpacySpan<'a>>,
    pub span_groups: Vec<(&'a str, Vec<SpacySpan<'a>>)>,
}

impl SpacyDoc<'_> {
    /// The document text spaCy reconstructs: every token text followed by `' '` where `space` is set.
    pub fn text(&self) -> String {
        let len = self
            .tokens
            .iter()
            .map(|t| t.text.len() + usize::from(t.space))
            .sum();
        let mut s = String::with_capacity(len);
        for t in &self.tokens {
            s.push_str(t.text);
            if t.space {
                s.push(' ');
            }
        }
        s
    }
}

/// zlib level of the output. spaCy reads any zlib stream (its own files use level 6).
/// Measured on a 62 MB synthetic news corpus (10M tokens, 685k spans):
/// `None` 280 MB, `Fast` 85 MB, `Standard` 71 MB, `Best` 70 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Stored (uncompressed) deflate blocks: fastest, largest file (about 4.5x the text size).
    None,
    /// Fast deflate with fixed Huffman codes: back-references found through the string table for
    /// the token rows and a one-probe hash for everything else.
    #[default]
    Fast,
    /// Deflate level 6, the level spaCy itself writes: about 14% smaller than `Fast`, roughly 8x
    /// slower.
    Standard,
    /// Deflate level 9: smallest file (1-2% below `Standard`), roughly 4x slower than `Standard`.
    Best,
}

impl Compression {
    fn level(self) -> flate2::Compression {
        match self {
            Compression::None => flate2::Compression::none(),
            Compression::Fast => flate2::Compression::fast(),
            Compression::Standard => flate2::Compression::new(6),
            Compression::Best => flate2::Compression::best(),
        }
    }

    /// zlib stream header (CMF = deflate with 32 KiB window, FLG with the level hint and FCHECK).
    fn zlib_header(self) -> [u8; 2] {
        match self {
            Compression::None | Compression::Fast => [0x78, 0x01],
            Compression::Standard => [0x78, 0x9c],
            Compression::Best => [0x78, 0xda],
        }
    }
}

/// Where an offending span came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpanSource {
    /// `SpacyDoc::ents`.
    Ents,
    /// The span group with this key.
    Group(String),
}

impl fmt::Display for SpanSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpanSource::Ents => f.write_str("entity"),
            SpanSource::Group(key) => write!(f, "span group {key:?} span"),
        }
    }
}

/// Invalid input rejected by [`DocBinWriter::add`]; the writer is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocBinError {
    #[error("token {token} has empty text (spaCy rejects empty tokens, E031)")]
    EmptyToken { token: usize },
    #[error(
        "{origin} {index}: token range {start_token}..{end_token} is invalid for a document of {n_tokens} tokens"
    )]
    SpanOutOfBounds {
        origin: SpanSource,
        index: usize,
        start_token: usize,
        end_token: usize,
        n_tokens: usize,
    },
    #[error("entity {index} is empty (token range {start_token}..{start_token})")]
    EmptyEntity { index: usize, start_token: usize },
    #[error("entity {index} has an empty label")]
    EmptyEntityLabel { index: usize },
    #[error(
        "entity {index} (tokens {start_token}..{end_token}) overlaps or precedes the previous entity, which ends at token {previous_end}"
    )]
    EntitiesOverlapOrUnsorted {
        index: usize,
        start_token: usize,
        end_token: usize,
        previous_end: usize,
    },
    #[error(
        "{origin} {index}: char offsets {start_char}..{end_char} do not match its tokens, which span chars {expected_start}..{expected_end}"
    )]
    CharOffsetMismatch {
        origin: SpanSource,
        index: usize,
        start_char: usize,
        end_char: usize,
        expected_start: usize,
        expected_end: usize,
    },
    #[error("{what} {value} does not fit in a 32-bit signed integer")]
    OffsetOverflow { what: &'static str, value: usize },
    #[error("span group key {0:?} occurs more than once in the document")]
    DuplicateSpanGroup(String),
    #[error("the DocBin would exceed the format's size limits (4 GiB per field)")]
    TooLarge,
}

// ---------------------------------------------------------------------------------------------
// String ids
// ---------------------------------------------------------------------------------------------

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
const NO_ROW: u32 = u32::MAX;

/// One slot of the intern table (16 bytes, so a lookup touches a single cache line).
#[derive(Clone, Copy, Default)]
struct StringEntry {
    /// MurmurHash64A of the string: spaCy's own key for it.
    key: u64,
    /// Last token row with this string as its text (`NO_ROW` if none): the `Fast` row encoder
    /// turns repeats into deflate back-references without searching.
    last_row: u32,
    /// 0 = empty slot, 1 = ordinary string, `2 + id` = spaCy symbol `id`.
    kind: u32,
}

impl StringEntry {
    /// spaCy id: the symbol id for symbol strings, else the hash.
    #[inline]
    fn id(&self) -> u64 {
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
struct StringTable {
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
    fn reserve(&mut self, more: usize) {
        while self.len.saturating_add(more).saturating_mul(2) > self.slots.len() {
            self.grow();
        }
    }

    /// The key in the slot where `key` would be looked up first (0 for an empty table).
    #[inline]
    fn home_key(&self, key: u64) -> u64 {
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
    fn entry_with_key(&mut self, key: u64, s: &str) -> &mut StringEntry {
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
    fn intern(&mut self, s: &str) -> u64 {
        if s.is_empty() { 0 } else { self.entry(s).id() }
    }

    fn len(&self) -> usize {
        self.ranges.len()
    }

    /// All strings in the order they were first seen. spaCy sorts them, but the loader only
    /// adds each to the vocabulary, so any order loads the same; first-seen order is just as
    /// deterministic and spares sorting hundreds of thousands of strings.
    fn in_order(&self) -> impl Iterator<Item = &str> {
        self.ranges
            .iter()
            .filter_map(|&(a, b)| self.arena.get(a..b))
    }
}

// ---------------------------------------------------------------------------------------------
// zlib framing: Adler-32, stored blocks, independent deflate segments, worker pool
// ---------------------------------------------------------------------------------------------

const ADLER_MOD: u32 = 65521;

/// Adler-32 of `data`, continuing from `adler` (1 for a fresh checksum).
fn adler32(adler: u32, data: &[u8]) -> u32 {
    // 5552 is the largest n with 255 n (n + 1) / 2 + (n + 1) (MOD - 1) < 2^32.
    let (mut a, mut b) = (adler & 0xffff, adler >> 16);
    for block in data.chunks(5552) {
        for &x in block {
            a += u32::from(x);
            b += a;
        }
        a %= ADLER_MOD;
        b %= ADLER_MOD;
    }
    (b << 16) | a
}

/// Adler-32 of the concatenation of two byte strings, from their checksums and the second length
/// (zlib's `adler32_combine`).
fn adler32_combine(adler1: u32, adler2: u32, len2: usize) -> u32 {
    let m = u64::from(ADLER_MOD);
    let rem = (len2 as u64) % m;
    let (a1, b1) = (u64::from(adler1 & 0xffff), u64::from(adler1 >> 16));
    let (a2, b2) = (u64::from(adler2 & 0xffff), u64::from(adler2 >> 16));
    let a = (a1 + a2 + m - 1) % m;
    let b = (rem * a1 % m + b1 + b2 + m - rem) % m;
    ((b << 16) | a) as u32
}

/// Non-final stored deflate blocks holding `input` (the writer is byte-aligned at this point).
fn encode_stored(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len() + 5 * (input.len() / 65535 + 1));
    for block in input.chunks(65535) {
        let len = block.len() as u16;
        out.push(0x00); // BFINAL = 0, BTYPE = 00 (stored), padding to the byte boundary
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
}

/// The final (empty, stored) deflate block.
const FINAL_BLOCK: [u8; 5] = [0x01, 0x00, 0x00, 0xff, 0xff];

/// Compresses chunks into independent raw-deflate segments that end byte-aligned (sync flush).
struct ChunkEncoder {
    compression: Compression,
    /// `Fast`: the last position of each hashed 4-byte sequence (see [`encode_lz`]).
    positions: Vec<u32>,
    deflate: Option<flate2::Compress>,
    /// Reused output window (`Compress::compress` writes into a slice without zeroing it first).
    window: Vec<u8>,
}

impl ChunkEncoder {
    fn new(compression: Compression) -> Self {
        Self {
            compression,
            positions: Vec::new(),
            deflate: None,
            window: Vec::new(),
        }
    }

    fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        match self.compression {
            Compression::None => {
                encode_stored(input, out);
                return Ok(());
            }
            Compression::Fast => {
                encode_lz(input, out, &mut self.positions);
                return Ok(());
            }
            Compression::Standard | Compression::Best => {}
        }
        let level = self.compression.level();
        let c = self
            .deflate
            .get_or_insert_with(|| flate2::Compress::new(level, false));
        if self.window.is_empty() {
            self.window = vec![0; 1 << 17];
        }
        // A fresh dictionary per chunk: no back-references into other chunks.
        c.reset();
        out.reserve(input.len() / 3 + 64);
        loop {
            let done = c.total_in() as usize;
            let rest = input.get(done..).unwrap_or_default();
            let before = c.total_out();
            c.compress(rest, &mut self.window, flate2::FlushCompress::Sync)
                .map_err(io::Error::other)?;
            let produced = (c.total_out() - before) as usize;
            out.extend_from_slice(self.window.get(..produced).unwrap_or_default());
            // The sync flush is complete once all input is consumed and the window was not filled.
            if c.total_in() as usize >= input.len() && produced < self.window.len() {
                return Ok(());
            }
        }
    }
}

/// Bits of the hash of a 4-byte sequence in [`encode_lz`].
const LZ_HASH_BITS: u32 = 14;
/// Marks an empty slot of the position table.
const LZ_EMPTY: u32 = u32::MAX;

/// `Fast` encoder of everything but the token rows: one fixed-Huffman deflate block, ended by a
/// sync flush like the other segments. Greedy LZ77: each position's next 4 bytes are hashed, and
/// the previous position with the same hash (if within 32 KiB and really equal) gives a
/// back-reference, extended as far as it matches. No chains and no lazy matching: much cheaper
/// than zlib's level 1 on the span records, spaces and strings that follow the rows, at a
/// somewhat larger size.
fn encode_lz(input: &[u8], out: &mut Vec<u8>, positions: &mut Vec<u32>) {
    positions.clear();
    positions.resize(1 << LZ_HASH_BITS, LZ_EMPTY);
    let mut bits = BitWriter {
        out: std::mem::take(out),
        acc: 0,
        n: 0,
    };
    bits.out.reserve(input.len() / 2 + 16);
    bits.put(0b010, 3); // BFINAL = 0, BTYPE = 01 (fixed Huffman)
    let n = input.len();
    let (mut i, mut literals_from) = (0usize, 0usize);
    // Positions probed since the last match: after long runs without one (text that does not
    // repeat, such as the string table) the probes thin out, as in LZ4.
    let mut misses = 0usize;
    while let Some(quad) = input.get(i..i + 4) {
        let key = u32::from_le_bytes([quad[0], quad[1], quad[2], quad[3]]);
        let h = (key.wrapping_mul(0x9e37_79b1) >> (32 - LZ_HASH_BITS)) as usize;
        let Some(slot) = positions.get_mut(h) else {
            break;
        };
        let candidate = *slot;
        *slot = i as u32;
        let found = candidate != LZ_EMPTY
            && (i - candidate as usize) as u64 <= WINDOW
            && input.get(candidate as usize..candidate as usize + 4) == Some(quad);
        if !found {
            misses += 1;
            i += 1 + (misses >> 5);
            continue;
        }
        misses = 0;
        let from = candidate as usize;
        let max = (n - i).min(MAX_MATCH as usize);
        let len = 4 + common_prefix(
            input.get(from + 4..from + max).unwrap_or_default(),
            input.get(i + 4..i + max).unwrap_or_default(),
        );
        bits.literals(input.get(literals_from..i).unwrap_or_default());
        bits.copy(len as u32, (i - from) as u64);
        i += len;
        literals_from = i;
    }
    bits.literals(input.get(literals_from..).unwrap_or_default());
    bits.put(0, 7); // end of block (code 256)
    bits.put(0, 3); // empty stored block: BFINAL = 0, BTYPE = 00
    bits.align();
    bits.out.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
    *out = bits.out;
}

/// The length of the common prefix of `a` and `b`, compared 8 bytes at a time.
#[inline]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut k = 0;
    while let (Some(x), Some(y)) = (a.get(k..k + 8), b.get(k..k + 8)) {
        let word = |s: &[u8]| <[u8; 8]>::try_from(s).map_or(0, u64::from_le_bytes);
        let diff = word(x) ^ word(y);
        if diff != 0 {
            return k + (diff.trailing_zeros() / 8) as usize;
        }
        k += 8;
    }
    while k < n && a.get(k) == b.get(k) {
        k += 1;
    }
    k
}

/// Fixed-Huffman literal/length codes (RFC 1951 3.2.6), bit-reversed for LSB-first output.
const FIXED_LIT: [(u16, u8); 288] = {
    let mut t = [(0u16, 0u8); 288];
    let mut sym = 0;
    while sym < 288 {
        let (code, len) = match sym {
            0..=143 => (0x30 + sym, 8),
            144..=255 => (0x190 + sym - 144, 9),
            256..=279 => (sym - 256, 7),
            _ => (0xc0 + sym - 280, 8),
        };
        t[sym as usize] = (((code as u16).reverse_bits()) >> (16 - len), len as u8);
        sym += 1;
    }
    t
};
const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// For each match length 3..=258: fixed-Huffman length code followed by its extra bits, as one
/// LSB-first bit string, and its bit count.
const LEN_BITS: [(u32, u8); 259] = {
    let mut t = [(0u32, 0u8); 259];
    let mut li = 0;
    while li < 29 {
        let (code, clen) = FIXED_LIT[257 + li];
        let base = LEN_BASE[li] as usize;
        let extra = LEN_EXTRA[li];
        let end = if li == 28 {
            259
        } else {
            LEN_BASE[li + 1] as usize
        };
        let mut len = base;
        while len < end {
            t[len] = (code as u32 | (((len - base) as u32) << clen), clen + extra);
            len += 1;
        }
        li += 1;
    }
    t
};
/// Distance code of `d - 1` for `d <= 256` at `[d - 1]`, else at `[256 + ((d - 1) >> 7)]` (zlib's
/// `d_code` scheme).
const DIST_CODE: [u8; 512] = {
    let mut t = [0u8; 512];
    let mut di = 0;
    while di < 30 {
        let base = DIST_BASE[di] as usize;
        let end = if di == 29 {
            32769
        } else {
            DIST_BASE[di + 1] as usize
        };
        let mut d = base;
        while d < end {
            if d <= 256 {
                t[d - 1] = di as u8;
            } else {
                t[256 + ((d - 1) >> 7)] = di as u8;
            }
            d += 1;
        }
        di += 1;
    }
    t
};
/// Deflate's window and longest match.
const WINDOW: u64 = 32768;
const MAX_MATCH: u32 = 258;
/// Rows a back-reference can reach.
const WINDOW_ROWS: u64 = WINDOW / ROW_BYTES as u64;
/// Ring of recent rows' (ENT_IOB, ENT_TYPE) columns; a power of two above `WINDOW_ROWS`.
const TAIL_RING: usize = 2048;
/// Distinct recent (ENT_IOB, ENT_TYPE) pairs remembered for tail back-references.
const RECENT_TAILS: usize = 16;

/// LSB-first bit packer.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// Appends the low `len` (<= 32) bits of `bits` (fewer than 32 bits are pending before).
    #[inline]
    fn put(&mut self, bits: u32, len: u32) {
        self.acc |= u64::from(bits) << self.n;
        self.n += len;
        if self.n >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.n -= 32;
        }
    }

    #[inline]
    fn literal(&mut self, byte: u8) {
        let (code, len) = FIXED_LIT[byte as usize];
        self.put(u32::from(code), u32::from(len));
    }

    /// Three literals in one `put` (at most 27 bits).
    #[inline]
    fn literals3(&mut self, a: u8, b: u8, c: u8) {
        let (ca, la) = FIXED_LIT[a as usize];
        let (cb, lb) = FIXED_LIT[b as usize];
        let (cc, lc) = FIXED_LIT[c as usize];
        let (la, lb, lc) = (u32::from(la), u32::from(lb), u32::from(lc));
        self.put(
            u32::from(ca) | (u32::from(cb) << la) | (u32::from(cc) << (la + lb)),
            la + lb + lc,
        );
    }

    /// Literal bytes.
    #[inline]
    fn literals(&mut self, bytes: &[u8]) {
        let mut triples = bytes.chunks_exact(3);
        for t in &mut triples {
            self.literals3(t[0], t[1], t[2]);
        }
        for &b in triples.remainder() {
            self.literal(b);
        }
    }

    /// A back-reference; `3 <= len <= 258`, `1 <= dist <= 32768`; one `put` of at most 31 bits.
    #[inline]
    fn copy(&mut self, len: u32, dist: u64) {
        let (lbits, llen) = LEN_BITS[len as usize];
        let d = dist as usize - 1;
        let di = if d < 256 {
            DIST_CODE[d]
        } else {
            DIST_CODE[256 + ((d >> 7) & 255)]
        } as usize;
        // Fixed distance codes are 5 bits.
        let dbits = u32::from((di as u8).reverse_bits() >> 3)
            | (((dist - u64::from(DIST_BASE[di])) as u32) << 5);
        let dlen = 5 + u32::from(DIST_EXTRA[di]);
        self.put(lbits | (dbits << llen), u32::from(llen) + dlen);
    }

    /// Pads with zero bits to a byte boundary.
    fn align(&mut self) {
        while self.n > 0 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n = self.n.saturating_sub(8);
        }
        self.acc = 0;
    }
}

/// `Fast` encoder of the `tokens` payload: one fixed-Huffman deflate block in which a row whose
/// token occurred within the last 32 KiB becomes a back-reference to that occurrence (found via
/// the intern table, so there is no match search) and the (ENT_IOB, ENT_TYPE) columns refer back
/// to a recent row with the same values. Several times cheaper than general deflate at level 1
/// and within a few percent of its size on this data.
struct RowEncoder {
    bits: BitWriter,
    rows: u64,
    /// (ENT_IOB, ENT_TYPE) of row `r` at `r % TAIL_RING`.
    tails: Vec<(u64, u64)>,
    /// Recently used (ENT_IOB, ENT_TYPE) pairs and the last row that had each.
    recent: Vec<((u64, u64), u64)>,
    /// Index in `recent` of the previous row's pair.
    recent_prev: usize,
    /// A whole-row back-reference not yet emitted, extended while following rows repeat the
    /// rows after the referenced one: (distance, length).
    pending: Option<(u64, u32)>,
    /// Adler-32 sums, reduced every `ADLER_ROWS` rows.
    adler_a: u64,
    adler_b: u64,
    rows_since_mod: u32,
}

/// The Adler-32 terms of the 8 little-endian bytes of `v` when its first byte has weight `top`:
/// (sum of the bytes, sum of (top - k) byte_k). Computed in 16-bit lanes: the even and the odd
/// bytes each fill four lanes, and a multiplication adds up the lanes (with weights) in the top one.
#[inline]
fn adler_column(v: u64, top: u64) -> (u64, u64) {
    const LANES: u64 = 0x00ff_00ff_00ff_00ff;
    const ONES: u64 = 0x0001_0001_0001_0001;
    // Lane j of the product's top lane gets weight j: sum of j lane_j.
    const RAMP: u64 = 0x0000_0001_0002_0003;
    let even = v & LANES; // bytes 0, 2, 4, 6 in lanes 0..3
    let odd = (v >> 8) & LANES; // bytes 1, 3, 5, 7
    let top_lane = |x: u64, m: u64| x.wrapping_mul(m) >> 48;
    let sum_odd = top_lane(odd, ONES);
    let sum = top_lane(even + odd, ONES);
    // Byte k = 2j (even) or 2j + 1 (odd): sum of k byte_k = 2 (J_even + J_odd) + sum_odd.
    let k_weighted = 2 * (top_lane(even, RAMP) + top_lane(odd, RAMP)) + sum_odd;
    (sum, top * sum - k_weighted)
}

/// Rows between Adler-32 reductions: the u64 sums cannot overflow in between.
const ADLER_ROWS: u32 = 4096;

impl RowEncoder {
    fn new() -> Self {
        Self {
            bits: BitWriter::default(),
            rows: 0,
            tails: vec![(0, 0); TAIL_RING],
            recent: Vec::with_capacity(RECENT_TAILS),
            recent_prev: 0,
            pending: None,
            adler_a: 1,
            adler_b: 0,
            rows_since_mod: 0,
        }
    }

    fn flush_pending(&mut self) {
        if let Some((dist, len)) = self.pending.take() {
            self.bits.copy(len, dist);
        }
    }

    /// Encodes the next row; `last_row` is the previous row with the same token (or `NO_ROW`).
    #[inline]
    fn push(&mut self, orth: u64, iob: u64, ent_type: u64, last_row: u32) {
        let i = self.rows;
        if i == 0 {
            // BFINAL = 0, BTYPE = 01 (fixed Huffman).
            self.bits.put(0b010, 3);
        }
        let mut row = [0u8; ROW_BYTES];
        row[0..8].copy_from_slice(&orth.to_le_bytes());
        row[8..16].copy_from_slice(&iob.to_le_bytes());
        row[16..24].copy_from_slice(&ent_type.to_le_bytes());
        let tail = (iob, ent_type);
        let orth_in_window = last_row != NO_ROW && i - u64::from(last_row) <= WINDOW_ROWS;
        let orth_rows_back = i.wrapping_sub(u64::from(last_row));
        // Where this row's pair last occurred in `recent` (the previous row's, most of the time).
        let same_as_prev = i > 0
            && self
                .recent
                .get(self.recent_prev)
                .is_some_and(|e| e.0 == tail);
        let slot = if same_as_prev {
            Some(self.recent_prev)
        } else {
            self.recent.iter().position(|e| e.0 == tail)
        };

        if orth_in_window && self.tails[(last_row as usize) % TAIL_RING] == tail {
            let dist = orth_rows_back * ROW_BYTES as u64;
            match &mut self.pending {
                Some((d, len)) if *d == dist && *len + ROW_BYTES as u32 <= MAX_MATCH => {
                    *len += ROW_BYTES as u32;
                }
                _ => {
                    self.flush_pending();
                    self.pending = Some((dist, ROW_BYTES as u32));
                }
            }
        } else {
            self.flush_pending();
            if orth_in_window {
                self.bits.copy(8, orth_rows_back * ROW_BYTES as u64);
            } else {
                self.bits.literals(&row[0..8]);
            }
            match slot.and_then(|k| self.recent.get(k)) {
                Some(&(_, r)) if i - r <= WINDOW_ROWS => {
                    self.bits.copy(16, (i - r) * ROW_BYTES as u64);
                }
                _ => self.bits.literals(&row[8..24]),
            }
        }

        self.tails[(i as usize) % TAIL_RING] = tail;
        self.recent_prev = match slot {
            Some(k) => k,
            None if self.recent.len() < RECENT_TAILS => {
                self.recent.push((tail, i));
                self.recent.len() - 1
            }
            None => self
                .recent
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.1)
                .map_or(0, |(k, _)| k),
        };
        if let Some(e) = self.recent.get_mut(self.recent_prev) {
            *e = (tail, i);
        }

        // Adler-32 over the row: a += sum of bytes, b += 24 a_old + sum of (24 - k) byte_k. Only
        // the ORTH column needs a loop most of the time: ENT_IOB is below 256 (one byte, weight
        // 16) and ENT_TYPE is 0 outside entities.
        let column = adler_column;
        let (mut sum, mut weighted) = column(orth, 24);
        let (iob_sum, iob_weighted) = if iob < 256 {
            (iob, 16 * iob)
        } else {
            column(iob, 16)
        };
        sum += iob_sum;
        weighted += iob_weighted;
        if ent_type != 0 {
            let (s, w) = column(ent_type, 8);
            sum += s;
            weighted += w;
        }
        self.adler_b += ROW_BYTES as u64 * self.adler_a + weighted;
        self.adler_a += sum;
        self.rows_since_mod += 1;
        if self.rows_since_mod == ADLER_ROWS {
            self.adler_a %= u64::from(ADLER_MOD);
            self.adler_b %= u64::from(ADLER_MOD);
            self.rows_since_mod = 0;
        }
        self.rows = i + 1;
    }

    /// The byte-aligned (sync-flushed), non-final deflate segment holding all rows.
    fn finish(mut self) -> Segment {
        let len = self.rows as usize * ROW_BYTES;
        if self.rows > 0 {
            self.flush_pending();
            self.bits.put(0, 7); // end of block (code 256)
            self.bits.put(0, 3); // empty stored block: BFINAL = 0, BTYPE = 00
            self.bits.align();
            self.bits.out.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
        }
        let m = u64::from(ADLER_MOD);
        let adler = (((self.adler_b % m) << 16) | (self.adler_a % m)) as u32;
        Segment {
            data: self.bits.out,
            adler,
            len,
        }
    }
}

/// One encoded chunk: compressed bytes, Adler-32 and length of the uncompressed input.
struct Segment {
    data: Vec<u8>,
    adler: u32,
    len: usize,
}

struct Job {
    seq: usize,
    input: Vec<u8>,
}

struct Done {
    seq: usize,
    input: Vec<u8>,
    result: io::Result<Segment>,
}

fn encode_job(encoder: &mut ChunkEncoder, input: &[u8]) -> io::Result<Segment> {
    let mut data = Vec::new();
    encoder.encode(input, &mut data)?;
    Ok(Segment {
        data,
        adler: adler32(1, input),
        len: input.len(),
    })
}

/// Encodes submitted chunks in order-preserving sequence, on worker threads when more than one
/// thread is allowed (falling back to the calling thread if spawning fails).
struct Pipeline {
    compression: Compression,
    threads: usize,
    spawned: bool,
    jobs: Vec<SyncSender<Job>>,
    handles: Vec<JoinHandle<()>>,
    done_rx: Option<Receiver<Done>>,
    inline: ChunkEncoder,
    segments: Vec<Option<Segment>>,
    pending: usize,
    spare: Vec<Vec<u8>>,
    error: Option<io::Error>,
}

impl Pipeline {
    fn new(compression: Compression, threads: usize) -> Self {
        Self {
            compression,
            threads,
            spawned: false,
            jobs: Vec::new(),
            handles: Vec::new(),
            done_rx: None,
            inline: ChunkEncoder::new(compression),
            segments: Vec::new(),
            pending: 0,
            spare: Vec::new(),
            error: None,
        }
    }

    fn spawn(&mut self) {
        self.spawned = true;
        if self.threads < 2 {
            return;
        }
        let (done_tx, done_rx): (Sender<Done>, Receiver<Done>) = mpsc::channel();
        for i in 0..self.threads {
            let (job_tx, job_rx) = mpsc::sync_channel::<Job>(1);
            let done_tx = done_tx.clone();
            let compression = self.compression;
            let spawned = std::thread::Builder::new()
                .name(format!("docbin-deflate-{i}"))
                .spawn(move || {
                    let mut encoder = ChunkEncoder::new(compression);
                    while let Ok(job) = job_rx.recv() {
                        let result = encode_job(&mut encoder, &job.input);
                        let done = Done {
                            seq: job.seq,
                            input: job.input,
                            result,
                        };
                        if done_tx.send(done).is_err() {
                            break;
                        }
                    }
                });
            match spawned {
                Ok(handle) => {
                    self.jobs.push(job_tx);
                    self.handles.push(handle);
                }
                Err(_) => break,
            }
        }
        if !self.jobs.is_empty() {
            self.done_rx = Some(done_rx);
        }
    }

    /// An empty buffer with room for a chunk, recycled from finished jobs when possible.
    fn buffer(&mut self) -> Vec<u8> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(CHUNK_SIZE + 64))
    }

    fn recycle(&mut self, mut input: Vec<u8>) {
        if self.spare.len() < self.jobs.len() + 2 {
            input.clear();
            self.spare.push(input);
        }
    }

    fn submit(&mut self, input: Vec<u8>) {
        if !self.spawned {
            self.spawn();
        }
        let seq = self.segments.len();
        self.segments.push(None);
        let job = Job { seq, input };
        let job = if self.jobs.is_empty() {
            Some(job)
        } else {
            let worker = seq % self.jobs.len();
            match self.jobs[worker].send(job) {
                Ok(()) => {
                    self.pending += 1;
                    None
                }
                // The worker is gone (it cannot panic in practice); encode here instead.
                Err(mpsc::SendError(job)) => Some(job),
            }
        };
        if let Some(job) = job {
            let result = encode_job(&mut self.inline, &job.input);
            self.store(seq, result);
            self.recycle(job.input);
        }
        self.collect(false);
    }

    fn store(&mut self, seq: usize, result: io::Result<Segment>) {
        match result {
            Ok(segment) => {
                if let Some(slot) = self.segments.get_mut(seq) {
                    *slot = Some(segment);
                }
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Stores finished jobs; with `wait`, until none is pending.
    fn collect(&mut self, wait: bool) {
        while self.pending > 0 {
            let Some(rx) = &self.done_rx else { return };
            let done = if wait {
                match rx.recv() {
                    Ok(done) => done,
                    Err(_) => break,
                }
            } else {
                match rx.try_recv() {
                    Ok(done) => done,
                    Err(TryRecvError::Empty) => return,
                    Err(TryRecvError::Disconnected) => break,
                }
            };
            self.pending -= 1;
            self.store(done.seq, done.result);
            self.recycle(done.input);
        }
        if self.pending > 0 {
            self.pending = 0;
            self.error
                .get_or_insert_with(|| io::Error::other("a DocBin compression thread stopped"));
        }
    }

    /// Waits for all jobs, stops the workers and returns the segments in submission order.
    fn finish(mut self) -> io::Result<Vec<Segment>> {
        self.collect(true);
        self.jobs.clear();
        for handle in self.handles.drain(..) {
            if handle.join().is_err() {
                self.error.get_or_insert_with(|| {
                    io::Error::other("a DocBin compression thread panicked")
                });
            }
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.segments
            .into_iter()
            .map(|s| s.ok_or_else(|| io::Error::other("missing DocBin chunk")))
            .collect()
    }
}

/// Feeds bytes to a [`Pipeline`] in `CHUNK_SIZE` pieces.
struct ChunkWriter<'p> {
    pipeline: &'p mut Pipeline,
    buf: Vec<u8>,
}

impl<'p> ChunkWriter<'p> {
    fn new(pipeline: &'p mut Pipeline) -> Self {
        let buf = pipeline.buffer();
        Self { pipeline, buf }
    }

    fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = CHUNK_SIZE.saturating_sub(self.buf.len()).max(1);
            let (now, later) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            data = later;
            if self.buf.len() >= CHUNK_SIZE {
                let full = std::mem::replace(&mut self.buf, self.pipeline.buffer());
                self.pipeline.submit(full);
            }
        }
    }

    fn close(self) {
        if !self.buf.is_empty() {
            self.pipeline.submit(self.buf);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// msgpack (the subset spaCy's DocBin needs)
// ---------------------------------------------------------------------------------------------

/// A length too large for msgpack (more than `u32::MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LengthOverflow;

impl From<LengthOverflow> for DocBinError {
    fn from(_: LengthOverflow) -> Self {
        DocBinError::TooLarge
    }
}

impl From<LengthOverflow> for io::Error {
    fn from(_: LengthOverflow) -> Self {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "DocBin field longer than msgpack's 4 GiB limit",
        )
    }
}

/// Header of a container or string: the fix form when `len <= fix_max`, else the 8/16/32-bit form
/// whose markers are given (`m8` may be `None` where msgpack has no 8-bit form).
#[inline]
fn mp_header(
    out: &mut Vec<u8>,
    len: usize,
    fix: Option<(u8, usize)>,
    m8: Option<u8>,
    m16: u8,
    m32: u8,
) -> Result<(), LengthOverflow> {
    match (fix, m8) {
        (Some((base, max)), _) if len <= max => out.push(base | len as u8),
        (_, Some(m)) if len <= u8::MAX as usize => out.extend_from_slice(&[m, len as u8]),
        _ if len <= u16::MAX as usize => {
            out.push(m16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ if len <= MAX_MSGPACK_LEN => {
            out.push(m32);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
        _ => return Err(LengthOverflow),
    }
    Ok(())
}

fn mp_map_header(out: &mut Vec<u8>, len: usize) -> Result<(), LengthOverflow> {
    mp_header(out, len, Some((0x80, 15)), None, 0xde, 0xdf)
}

fn mp_array_header(out: &mut Vec<u8>, len: usize) -> Result<(), LengthOverflow> {
    mp_header(out, len, Some((0x90, 15)), None, 0xdc, 0xdd)
}

fn mp_str_header(out: &mut Vec<u8>, len: usize) -> Result<(), LengthOverflow> {
    mp_header(out, len, Some((0xa0, 31)), Some(0xd9), 0xda, 0xdb)
}

fn mp_bin_header(out: &mut Vec<u8>, len: usize) -> Result<(), LengthOverflow> {
    mp_header(out, len, None, Some(0xc4), 0xc5, 0xc6)
}

fn mp_str(out: &mut Vec<u8>, s: &str) -> Result<(), LengthOverflow> {
    mp_str_header(out, s.len())?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn mp_bin(out: &mut Vec<u8>, b: &[u8]) -> Result<(), LengthOverflow> {
    mp_bin_header(out, b.len())?;
    out.extend_from_slice(b);
    Ok(())
}

/// A non-negative integer in its shortest form.
fn mp_uint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v <= u64::from(u8::MAX) {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v <= u64::from(u16::MAX) {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= u64::from(u32::MAX) {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn mp_bool(out: &mut Vec<u8>, v: bool) {
    out.push(if v { 0xc3 } else { 0xc2 });
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/// Accumulates documents and writes them as one `.spacy` file.
///
/// ```no_run
/// use spantag_core::formats::docbin::*;
/// let tokens = vec![
///     SpacyToken { text: "Ada", space: true },
///     SpacyToken { text: "spoke", space: false },
///     SpacyToken { text: ".", space: false },
/// ];
/// let ada = SpacySpan { label: "ACTOR", start_token: 0, end_token: 1, start_char: 0, end_char: 3 };
/// let doc = SpacyDoc { tokens, ents: vec![ada], span_groups: vec![("sc", vec![ada])] };
/// let mut w = DocBinWriter::new(Compression::Fast);
/// w.add(&doc)?;
/// w.finish(std::fs::File::create("train.spacy")?)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Memory: the compressed token rows (about 8 bytes a token with `Fast`), one byte a token for
/// `spaces`, 42 bytes a span, and the distinct strings.
pub struct DocBinWriter {
    compression: Compression,
    strings: StringTable,
    pipeline: Pipeline,
    /// `Fast`: the token rows' deflate segment, built as documents are added.
    row_encoder: Option<RowEncoder>,
    /// `None`/`Best`: token rows not yet handed to the pipeline (below `CHUNK_SIZE` bytes).
    rows: Vec<u8>,
    n_tokens: usize,
    /// Per token: 1 if followed by a space.
    spaces: Vec<u8>,
    /// Per document: token count, `i32` little-endian.
    lengths: Vec<u8>,
    /// Per document: a complete msgpack bin (header + `doc.spans.to_bytes()`).
    span_groups: Vec<u8>,
    n_docs: usize,
    // Reused scratch buffers.
    char_starts: Vec<usize>,
    char_ends: Vec<usize>,
    doc_buf: Vec<u8>,
    group_buf: Vec<u8>,
    /// The string keys of the current document's tokens.
    keys: Vec<u64>,
}

impl Default for DocBinWriter {
    fn default() -> Self {
        Self::new(Compression::default())
    }
}

impl DocBinWriter {
    /// A writer compressing on up to `available_parallelism()` (at most 8) background threads.
    pub fn new(compression: Compression) -> Self {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(MAX_DEFAULT_THREADS);
        Self::with_threads(compression, threads)
    }

    /// A writer using `threads` background compression threads; 0 or 1 compresses on the calling
    /// thread. The output bytes do not depend on the thread count.
    pub fn with_threads(compression: Compression, threads: usize) -> Self {
        Self {
            compression,
            strings: StringTable::default(),
            pipeline: Pipeline::new(compression, threads),
            row_encoder: (compression == Compression::Fast).then(RowEncoder::new),
            rows: Vec::new(),
            n_tokens: 0,
            spaces: Vec::new(),
            lengths: Vec::new(),
            span_groups: Vec::new(),
            n_docs: 0,
            char_starts: Vec::new(),
            char_ends: Vec::new(),
            doc_buf: Vec::new(),
            group_buf: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// Number of documents added.
    pub fn len(&self) -> usize {
        self.n_docs
    }

    pub fn is_empty(&self) -> bool {
        self.n_docs == 0
    }

    /// Number of tokens added (over all documents).
    pub fn n_tokens(&self) -> usize {
        self.n_tokens
    }

    /// Number of distinct non-empty strings (token texts and labels) so far.
    pub fn n_strings(&self) -> usize {
        self.strings.len()
    }

    /// Reserves room for about `tokens` more tokens and `spans` more spans (in `doc.ents` and the
    /// span groups together), so that the writer's buffers do not have to be copied as they grow.
    /// Only an estimate: the buffers still grow past it.
    pub fn reserve(&mut self, tokens: usize, spans: usize) {
        if let Some(enc) = &mut self.row_encoder {
            // About 8 bytes a token once encoded (see `Compression`); 10 for headroom.
            enc.bits.out.reserve(tokens.saturating_mul(10));
        }
        self.spaces.reserve(tokens);
        self.span_groups
            .reserve(spans.saturating_mul(SPAN_RECORD_BYTES + 2));
    }

    /// Adds one document. Invalid input (empty tokens; entity or span token ranges out of bounds;
    /// empty, unlabelled, overlapping or unsorted entities; char offsets that disagree with the
    /// tokens or do not fit in `i32`; a repeated span group key) is rejected with the writer unchanged.
    pub fn add(&mut self, doc: &SpacyDoc<'_>) -> Result<(), DocBinError> {
        self.validate(doc)?;
        let n_tokens = doc.tokens.len();
        let total_tokens = self.n_tokens + n_tokens;
        if total_tokens.saturating_mul(ROW_BYTES) > MAX_MSGPACK_LEN
            || self.n_docs >= MAX_MSGPACK_LEN
        {
            return Err(DocBinError::TooLarge);
        }
        // Span groups are serialized first (into scratch): the only step that can still fail.
        self.doc_buf.clear();
        encode_span_groups(
            &mut self.doc_buf,
            &mut self.group_buf,
            &mut self.strings,
            doc,
        )?;
        if self.span_groups.len() + self.doc_buf.len() + 5 > MAX_MSGPACK_LEN {
            return Err(DocBinError::TooLarge);
        }
        mp_bin(&mut self.span_groups, &self.doc_buf)?;

        self.spaces.reserve(n_tokens);
        // Hash every token first and read its home slot. These reads do not depend on one
        // another, so the processor overlaps their cache misses (a table of a few hundred
        // thousand strings does not fit in the cache); the loop below then finds the slots cached.
        self.strings.reserve(n_tokens);
        self.keys.clear();
        self.keys.extend(
            doc.tokens
                .iter()
                .map(|tok| murmurhash64a(tok.text.as_bytes(), 1)),
        );
        // A loop of nothing but these reads keeps many of them in flight at once.
        let touched = self
            .keys
            .iter()
            .fold(0u64, |acc, &key| acc ^ self.strings.home_key(key));
        std::hint::black_box(touched);
        let mut ents = doc.ents.iter().peekable();
        let mut ent_type = 0u64;
        let mut ent_end = 0usize;
        let mut row = [0u8; ROW_BYTES];
        for (i, tok) in doc.tokens.iter().enumerate() {
            let iob = if i < ent_end {
                IOB_I
            } else if let Some(e) = ents.next_if(|e| e.start_token == i) {
                ent_type = self.strings.intern(e.label);
                ent_end = e.end_token;
                IOB_B
            } else {
                ent_type = 0;
                IOB_O
            };
            let key = self.keys.get(i).copied().unwrap_or_default();
            let entry = self.strings.entry_with_key(key, tok.text);
            let (orth, last_row) = (entry.id(), entry.last_row);
            // Rows are fewer than u32::MAX (checked above via the 4 GiB limit).
            entry.last_row = (self.n_tokens + i) as u32;
            if let Some(enc) = &mut self.row_encoder {
                enc.push(orth, iob, ent_type, last_row);
            } else {
                row[0..8].copy_from_slice(&orth.to_le_bytes());
                row[8..16].copy_from_slice(&iob.to_le_bytes());
                row[16..24].copy_from_slice(&ent_type.to_le_bytes());
                self.rows.extend_from_slice(&row);
                if self.rows.len() >= CHUNK_SIZE {
                    let full = std::mem::replace(&mut self.rows, self.pipeline.buffer());
                    self.pipeline.submit(full);
                }
            }
            self.spaces.push(u8::from(tok.space));
        }
        self.n_tokens = total_tokens;
        // validate() guarantees n_tokens <= i32::MAX.
        self.lengths
            .extend_from_slice(&(n_tokens as i32).to_le_bytes());
        self.n_docs += 1;
        Ok(())
    }

    fn validate(&mut self, doc: &SpacyDoc<'_>) -> Result<(), DocBinError> {
        let n = doc.tokens.len();
        fits_i32("token count", n)?;
        if let Some(token) = doc.tokens.iter().position(|t| t.text.is_empty()) {
            return Err(DocBinError::EmptyToken { token });
        }
        let mut previous_end = 0;
        for (index, e) in doc.ents.iter().enumerate() {
            check_range(&|| SpanSource::Ents, index, e, n)?;
            if e.start_token == e.end_token {
                return Err(DocBinError::EmptyEntity {
                    index,
                    start_token: e.start_token,
                });
            }
            if e.start_token < previous_end {
                return Err(DocBinError::EntitiesOverlapOrUnsorted {
                    index,
                    start_token: e.start_token,
                    end_token: e.end_token,
                    previous_end,
                });
            }
            if e.label.is_empty() {
                return Err(DocBinError::EmptyEntityLabel { index });
            }
            previous_end = e.end_token;
        }
        for (g, (key, spans)) in doc.span_groups.iter().enumerate() {
            if doc.span_groups[..g].iter().any(|(k, _)| k == key) {
                return Err(DocBinError::DuplicateSpanGroup((*key).to_owned()));
            }
            for (index, s) in spans.iter().enumerate() {
                check_range(&|| SpanSource::Group((*key).to_owned()), index, s, n)?;
            }
        }

        // Char offsets are stored in span groups and define Span.start_char/end_char on load, so
        // they must agree with the tokens. Only computed when the document has spans.
        let has_spans = !doc.ents.is_empty() || doc.span_groups.iter().any(|(_, s)| !s.is_empty());
        if !has_spans {
            return Ok(());
        }
        self.char_starts.clear();
        self.char_ends.clear();
        let mut pos = 0usize;
        for t in &doc.tokens {
            self.char_starts.push(pos);
            pos += char_len(t.text);
            self.char_ends.push(pos);
            pos += usize::from(t.space);
        }
        self.char_starts.push(pos);
        let check = |origin: &dyn Fn() -> SpanSource, index: usize, s: &SpacySpan<'_>| {
            let expected_start = self.char_starts[s.start_token];
            let expected_end = if s.end_token > s.start_token {
                self.char_ends[s.end_token - 1]
            } else {
                expected_start
            };
            if s.start_char != expected_start || s.end_char != expected_end {
                return Err(DocBinError::CharOffsetMismatch {
                    origin: origin(),
                    index,
                    start_char: s.start_char,
                    end_char: s.end_char,
                    expected_start,
                    expected_end,
                });
            }
            fits_i32("span start_char", s.start_char)?;
            fits_i32("span end_char", s.end_char)
        };
        for (index, e) in doc.ents.iter().enumerate() {
            check(&|| SpanSource::Ents, index, e)?;
        }
        for (key, spans) in &doc.span_groups {
            for (index, s) in spans.iter().enumerate() {
                check(&|| SpanSource::Group((*key).to_owned()), index, s)?;
            }
        }
        Ok(())
    }

    /// Writes the `.spacy` file (a zlib stream) to `out`. Nothing is written before all data is
    /// compressed, then the output goes out in a few large writes (no extra buffering needed).
    pub fn finish<W: Write>(mut self, mut out: W) -> io::Result<()> {
        // Token rows: hand over the last partial chunk.
        let rows = std::mem::take(&mut self.rows);
        if !rows.is_empty() {
            self.pipeline.submit(rows);
        }

        // Everything after the token rows.
        let n_docs = self.n_docs;
        let mut buf: Vec<u8> = Vec::with_capacity(64);
        let mut w = ChunkWriter::new(&mut self.pipeline);
        mp_str(&mut buf, "spaces")?;
        mp_bin_header(&mut buf, self.spaces.len())?;
        w.push(&buf);
        w.push(&self.spaces);

        buf.clear();
        mp_str(&mut buf, "lengths")?;
        mp_bin_header(&mut buf, self.lengths.len())?;
        w.push(&buf);
        w.push(&self.lengths);

        buf.clear();
        mp_str(&mut buf, "strings")?;
        mp_array_header(&mut buf, self.strings.len())?;
        w.push(&buf);
        for s in self.strings.in_order() {
            buf.clear();
            mp_str(&mut buf, s)?;
            w.push(&buf);
        }

        buf.clear();
        mp_str(&mut buf, "cats")?;
        mp_array_header(&mut buf, n_docs)?;
        w.push(&buf);
        for _ in 0..n_docs {
            w.push(&[0x80]);
        }

        let mut flag = Vec::with_capacity(24);
        mp_map_header(&mut flag, 1)?;
        mp_str(&mut flag, "has_unknown_spaces")?;
        mp_bool(&mut flag, false);
        buf.clear();
        mp_str(&mut buf, "flags")?;
        mp_array_header(&mut buf, n_docs)?;
        w.push(&buf);
        for _ in 0..n_docs {
            w.push(&flag);
        }

        buf.clear();
        mp_str(&mut buf, "span_groups")?;
        mp_array_header(&mut buf, n_docs)?;
        w.push(&buf);
        w.push(&self.span_groups);
        w.close();

        // The start of the message, now that the tokens length is known.
        buf.clear();
        mp_map_header(&mut buf, 9)?;
        mp_str(&mut buf, "version")?;
        mp_str(&mut buf, "0.1")?;
        mp_str(&mut buf, "attrs")?;
        mp_array_header(&mut buf, 3)?;
        for attr in [ATTR_ORTH, ATTR_ENT_IOB, ATTR_ENT_TYPE] {
            mp_uint(&mut buf, attr);
        }
        mp_str(&mut buf, "tokens")?;
        mp_bin_header(&mut buf, self.n_tokens * ROW_BYTES)?;
        let head = encode_job(&mut ChunkEncoder::new(self.compression), &buf)?;

        let mut segments = vec![head];
        if let Some(enc) = self.row_encoder.take() {
            segments.push(enc.finish());
        }
        segments.extend(self.pipeline.finish()?);
        let mut adler = 1;
        for s in &segments {
            adler = adler32_combine(adler, s.adler, s.len);
        }
        out.write_all(&self.compression.zlib_header())?;
        for s in &segments {
            out.write_all(&s.data)?;
        }
        out.write_all(&FINAL_BLOCK)?;
        out.write_all(&adler.to_be_bytes())?;
        out.flush()
    }

    /// The `.spacy` file as bytes.
    pub fn to_bytes(self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.finish(&mut out)?;
        Ok(out)
    }
}

/// `doc.spans.to_bytes()`: `b"\x90"` without groups, else `{SpanGroup bytes: [key]}`.
fn encode_span_groups(
    out: &mut Vec<u8>,
    group_buf: &mut Vec<u8>,
    strings: &mut StringTable,
    doc: &SpacyDoc<'_>,
) -> Result<(), LengthOverflow> {
    if doc.span_groups.is_empty() {
        return mp_array_header(out, 0);
    }
    mp_map_header(out, doc.span_groups.len())?;
    for (key, spans) in &doc.span_groups {
        group_buf.clear();
        mp_map_header(group_buf, 3)?;
        mp_str(group_buf, "name")?;
        mp_str(group_buf, key)?;
        mp_str(group_buf, "attrs")?;
        mp_map_header(group_buf, 0)?;
        mp_str(group_buf, "spans")?;
        mp_array_header(group_buf, spans.len())?;
        for s in spans {
            // validate() checked that all four offsets fit in i32.
            let mut rec = [0u8; SPAN_RECORD_BYTES];
            // id and kb_id (bytes 0..16) stay 0.
            rec[16..24].copy_from_slice(&strings.intern(s.label).to_be_bytes());
            rec[24..28].copy_from_slice(&(s.start_token as i32).to_be_bytes());
            rec[28..32].copy_from_slice(&(s.end_token as i32).to_be_bytes());
            rec[32..36].copy_from_slice(&(s.start_char as i32).to_be_bytes());
            rec[36..40].copy_from_slice(&(s.end_char as i32).to_be_bytes());
            mp_bin(group_buf, &rec)?;
        }
        mp_bin(out, group_buf)?;
        mp_array_header(out, 1)?;
        mp_str(out, key)?;
    }
    Ok(())
}

fn check_range(
    origin: &dyn Fn() -> SpanSource,
    index: usize,
    s: &SpacySpan<'_>,
    n_tokens: usize,
) -> Result<(), DocBinError> {
    if s.start_token > s.end_token || s.end_token > n_tokens {
        return Err(DocBinError::SpanOutOfBounds {
            origin: origin(),
            index,
            start_token: s.start_token,
            end_token: s.end_token,
            n_tokens,
        });
    }
    Ok(())
}

fn fits_i32(what: &'static str, value: usize) -> Result<(), DocBinError> {
    if i32::try_from(value).is_err() {
        return Err(DocBinError::OffsetOverflow { what, value });
    }
    Ok(())
}

/// Length in Unicode code points (Python `len(str)`).
#[inline]
fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod roundtrip_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<DocBinWriter>();
    }

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

    fn hdr(f: fn(&mut Vec<u8>, usize) -> Result<(), LengthOverflow>, len: usize) -> Vec<u8> {
        let mut v = Vec::new();
        assert_eq!(f(&mut v, len), Ok(()));
        v
    }

    #[test]
    fn msgpack_array_and_map_boundaries() {
        assert_eq!(hdr(mp_array_header, 0), [0x90]);
        assert_eq!(hdr(mp_array_header, 15), [0x9f]);
        assert_eq!(hdr(mp_array_header, 16), [0xdc, 0x00, 0x10]);
        assert_eq!(hdr(mp_array_header, 65535), [0xdc, 0xff, 0xff]);
        assert_eq!(hdr(mp_array_header, 65536), [0xdd, 0x00, 0x01, 0x00, 0x00]);
        assert_eq!(hdr(mp_map_header, 0), [0x80]);
        assert_eq!(hdr(mp_map_header, 15), [0x8f]);
        assert_eq!(hdr(mp_map_header, 16), [0xde, 0x00, 0x10]);
        assert_eq!(hdr(mp_map_header, 65535), [0xde, 0xff, 0xff]);
        assert_eq!(hdr(mp_map_header, 65536), [0xdf, 0x00, 0x01, 0x00, 0x00]);
        assert_eq!(
            hdr(mp_map_header, u32::MAX as usize),
            [0xdf, 0xff, 0xff, 0xff, 0xff]
        );
        let mut v = Vec::new();
        assert_eq!(
            mp_array_header(&mut v, u32::MAX as usize + 1),
            Err(LengthOverflow)
        );
    }

    #[test]
    fn msgpack_str_boundaries() {
        for (len, head) in [
            (0usize, vec![0xa0]),
            (31, vec![0xbf]),
            (32, vec![0xd9, 32]),
            (255, vec![0xd9, 0xff]),
            (256, vec![0xda, 0x01, 0x00]),
            (65535, vec![0xda, 0xff, 0xff]),
            (65536, vec![0xdb, 0x00, 0x01, 0x00, 0x00]),
        ] {
            let s = "x".repeat(len);
            let mut v = Vec::new();
            assert_eq!(mp_str(&mut v, &s), Ok(()));
            assert_eq!(&v[..head.len()], &head[..], "str len {len}");
            assert_eq!(v.len(), head.len() + len);
        }
    }

    #[test]
    fn msgpack_bin_boundaries() {
        for (len, head) in [
            (0usize, vec![0xc4, 0]),
            (15, vec![0xc4, 15]),
            (16, vec![0xc4, 16]),
            (31, vec![0xc4, 31]),
            (32, vec![0xc4, 32]),
            (255, vec![0xc4, 0xff]),
            (256, vec![0xc5, 0x01, 0x00]),
            (65535, vec![0xc5, 0xff, 0xff]),
            (65536, vec![0xc6, 0x00, 0x01, 0x00, 0x00]),
        ] {
            let b = vec![7u8; len];
            let mut v = Vec::new();
            assert_eq!(mp_bin(&mut v, &b), Ok(()));
            assert_eq!(&v[..head.len()], &head[..], "bin len {len}");
            assert_eq!(v.len(), head.len() + len);
        }
    }

    #[test]
    fn msgpack_scalars() {
        let mut v = Vec::new();
        for x in [
            0u64,
            127,
            128,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
        ] {
            mp_uint(&mut v, x);
        }
        mp_bool(&mut v, true);
        mp_bool(&mut v, false);
        let expected: Vec<u8> = [
            &[0x00][..],
            &[0x7f],
            &[0xcc, 0x80],
            &[0xcc, 0xff],
            &[0xcd, 0x01, 0x00],
            &[0xcd, 0xff, 0xff],
            &[0xce, 0x00, 0x01, 0x00, 0x00],
            &[0xce, 0xff, 0xff, 0xff, 0xff],
            &[0xcf, 0, 0, 0, 1, 0, 0, 0, 0],
            &[0xc3, 0xc2],
        ]
        .concat();
        assert_eq!(v, expected);
    }

    #[test]
    fn span_groups_bytes() {
        let mut strings = StringTable::default();
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        let doc = SpacyDoc::default();
        assert_eq!(
            encode_span_groups(&mut out, &mut scratch, &mut strings, &doc),
            Ok(())
        );
        assert_eq!(out, [0x90]);

        let toks = [
            SpacyToken {
                text: "a",
                space: true,
            },
            SpacyToken {
                text: "b",
                space: false,
            },
        ];
        let span = SpacySpan {
            label: "ORG",
            start_token: 1,
            end_token: 2,
            start_char: 2,
            end_char: 3,
        };
        let doc = SpacyDoc {
            tokens: toks.to_vec(),
            ents: vec![],
            span_groups: vec![("sc", vec![span])],
        };
        out.clear();
        assert_eq!(
            encode_span_groups(&mut out, &mut scratch, &mut strings, &doc),
            Ok(())
        );
        let mut group = vec![0x83, 0xa4];
        group.extend_from_slice(b"name");
        group.extend_from_slice(&[0xa2, b's', b'c', 0xa5]);
        group.extend_from_slice(b"attrs");
        group.extend_from_slice(&[0x80, 0xa5]);
        group.extend_from_slice(b"spans");
        group.extend_from_slice(&[0x91, 0xc4, 40]);
        group.extend_from_slice(&[0u8; 16]);
        group.extend_from_slice(&383u64.to_be_bytes());
        for x in [1i32, 2, 2, 3] {
            group.extend_from_slice(&x.to_be_bytes());
        }
        let mut expected = vec![0x81, 0xc4, group.len() as u8];
        expected.extend_from_slice(&group);
        expected.extend_from_slice(&[0x91, 0xa2, b's', b'c']);
        assert_eq!(out, expected);
        assert_eq!(strings.in_order().collect::<Vec<_>>(), vec!["ORG"]);
    }

    fn toks(words: &[&'static str]) -> Vec<SpacyToken<'static>> {
        words
            .iter()
            .map(|w| SpacyToken {
                text: w,
                space: true,
            })
            .collect()
    }

    fn span(
        label: &'static str,
        start: usize,
        end: usize,
        sc: usize,
        ec: usize,
    ) -> SpacySpan<'static> {
        SpacySpan {
            label,
            start_token: start,
            end_token: end,
            start_char: sc,
            end_char: ec,
        }
    }

    #[test]
    fn rejects_invalid_input_and_stays_unchanged() {
        let tokens = toks(&["Ann", "met", "Bo", "é"]); // "Ann met Bo é "
        let mut w = DocBinWriter::new(Compression::None);
        let bad = [
            (vec![span("X", 2, 5, 8, 20)], vec![]),
            (vec![span("X", 1, 1, 4, 4)], vec![]),
            (vec![span("", 0, 1, 0, 3)], vec![]),
            (vec![span("X", 2, 3, 8, 10), span("X", 0, 1, 0, 3)], vec![]),
            (vec![span("X", 0, 2, 0, 7), span("X", 1, 3, 4, 10)], vec![]),
            (vec![span("X", 0, 1, 0, 4)], vec![]),
            (vec![], vec![("sc", vec![span("X", 3, 2, 0, 0)])]),
            (vec![], vec![("sc", vec![span("X", 3, 4, 11, 13)])]),
            (vec![], vec![("sc", vec![]), ("sc", vec![])]),
        ];
        for (ents, span_groups) in bad {
            let doc = SpacyDoc {
                tokens: tokens.clone(),
                ents,
                span_groups,
            };
            assert!(w.add(&doc).is_err(), "{doc:?}");
        }
        let empty_tok = SpacyDoc {
            tokens: toks(&["a", ""]),
            ..Default::default()
        };
        assert_eq!(w.add(&empty_tok), Err(DocBinError::EmptyToken { token: 1 }));
        assert_eq!((w.len(), w.n_tokens(), w.n_strings()), (0, 0, 0));
        assert!(w.span_groups.is_empty() && w.rows.is_empty() && w.spaces.is_empty());

        // Valid: é is one code point; an empty span at the end of the doc.
        let ok = SpacyDoc {
            tokens: tokens.clone(),
            ents: vec![span("X", 0, 1, 0, 3), span("Y", 2, 4, 8, 12)],
            span_groups: vec![("sc", vec![span("X", 3, 4, 11, 12), span("", 4, 4, 13, 13)])],
        };
        assert_eq!(w.add(&ok), Ok(()));
        assert_eq!((w.len(), w.n_tokens(), w.n_strings()), (1, 4, 6));
        let (x, y) = (string_id("X"), string_id("Y"));
        let mut rows = Vec::new();
        for v in [
            string_id("Ann"),
            3,
            x,
            string_id("met"),
            2,
            0,
            string_id("Bo"),
            3,
            y,
            string_id("é"),
            1,
            y,
        ] {
            rows.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(w.rows, rows);
        assert_eq!(w.spaces, [1, 1, 1, 1]);
    }

    #[test]
    fn common_prefix_lengths() {
        let a: Vec<u8> = (0..40).collect();
        for cut in 0..40 {
            let mut b = a.clone();
            b[cut] ^= 0x80;
            assert_eq!(common_prefix(&a, &b), cut);
            assert_eq!(common_prefix(&a[..cut], &b), cut);
        }
        assert_eq!(common_prefix(&a, &a), 40);
        assert_eq!(common_prefix(&[], &a), 0);
    }

    #[test]
    fn adler_column_matches_a_byte_loop() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for v in [x, x & 0xff, u64::MAX, 0, x >> 8] {
                for top in [8u64, 16, 24] {
                    let mut want = (0u64, 0u64);
                    for (k, b) in v.to_le_bytes().into_iter().enumerate() {
                        want.0 += u64::from(b);
                        want.1 += (top - k as u64) * u64::from(b);
                    }
                    assert_eq!(adler_column(v, top), want, "{v:#x} {top}");
                }
            }
        }
    }

    #[test]
    fn adler32_and_combine() {
        assert_eq!(adler32(1, b""), 1);
        assert_eq!(adler32(1, b"Wikipedia"), 0x11e6_0398);
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = adler32(1, &data);
        for cut in [0, 1, 5552, 65521, 100_000, 200_000] {
            let (a, b) = data.split_at(cut);
            assert_eq!(
                adler32_combine(adler32(1, a), adler32(1, b), b.len()),
                whole,
                "cut {cut}"
            );
            assert_eq!(adler32(adler32(1, a), b), whole);
        }
    }

    fn inflate(bytes: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let mut raw = Vec::new();
        let r = flate2::read::ZlibDecoder::new(bytes).read_to_end(&mut raw);
        assert!(r.is_ok(), "zlib stream invalid: {r:?}");
        raw
    }

    /// Many chunks (several MiB of rows), all levels and thread counts: valid zlib (checksum
    /// included) with identical content, and identical bytes for every thread count.
    #[test]
    fn multi_chunk_streams_are_valid_and_deterministic() {
        // Tokens mix frequent words (in-window repeats), rare ones, runs of one word (overlapping
        // back-references), a repeated 40-token phrase (longer than one 258-byte match) and
        // entities with 20 labels (more than the encoder's 16 remembered tails).
        let words: Vec<String> = (0..5000).map(|i| format!("w{i}")).collect();
        let labels: Vec<String> = (0..20).map(|i| format!("L{i}")).collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let docs: Vec<SpacyDoc<'_>> = (0..250)
            .map(|d| {
                let n = 400 + rnd(50);
                let tokens: Vec<SpacyToken<'_>> = (0..n)
                    .map(|t| {
                        let w = match (d % 7, t % 60) {
                            (0, 0..40) => t % 60,
                            (1, 10..20) => 3,
                            _ if rnd(2) == 0 => rnd(20),
                            _ => rnd(words.len()),
                        };
                        SpacyToken {
                            text: &words[w],
                            space: rnd(5) != 0,
                        }
                    })
                    .collect();
                let mut ents = Vec::new();
                let mut t = rnd(5);
                while t + 3 < n {
                    let len = 1 + rnd(3);
                    ents.push(SpacySpan {
                        label: &labels[rnd(labels.len())],
                        start_token: t,
                        end_token: t + len,
                        start_char: 0,
                        end_char: 0,
                    });
                    t += len + rnd(12);
                }
                let mut doc = SpacyDoc {
                    tokens,
                    ents,
                    span_groups: vec![],
                };
                let mut starts = vec![0];
                for tok in &doc.tokens {
                    let last = starts.last().copied().unwrap_or(0);
                    starts.push(last + tok.text.chars().count() + usize::from(tok.space));
                }
                for e in &mut doc.ents {
                    e.start_char = starts[e.start_token];
                    let end = &doc.tokens[e.end_token - 1];
                    e.end_char = starts[e.end_token] - usize::from(end.space);
                }
                doc
            })
            .collect();
        let (mut raws, mut sizes) = (Vec::new(), Vec::new());
        for c in [
            Compression::None,
            Compression::Fast,
            Compression::Standard,
            Compression::Best,
        ] {
            let mut first: Option<Vec<u8>> = None;
            for threads in [1, 3] {
                let mut w = DocBinWriter::with_threads(c, threads);
                for d in &docs {
                    assert_eq!(w.add(d), Ok(()));
                }
                let bytes = match w.to_bytes() {
                    Ok(b) => b,
                    Err(e) => panic!("{e}"),
                };
                match &first {
                    None => first = Some(bytes),
                    Some(f) => assert!(f == &bytes, "{c:?}: output differs with {threads} threads"),
                }
            }
            if let Some(f) = first {
                sizes.push(f.len());
                raws.push(inflate(&f));
            }
        }
        assert!(
            sizes[1] * 2 < sizes[0] && sizes[2] < sizes[1],
            "sizes {sizes:?}"
        );
        assert!(raws[0].len() > 2 * CHUNK_SIZE);
        assert!(raws.iter().all(|r| r == &raws[0]));
    }

    #[test]
    fn zlib_roundtrip_and_layout() {
        let doc = SpacyDoc {
            tokens: toks(&["ORG", "x"]),
            ents: vec![span("ORG", 0, 1, 0, 3)],
            span_groups: vec![],
        };
        for c in [
            Compression::None,
            Compression::Fast,
            Compression::Standard,
            Compression::Best,
        ] {
            let mut w = DocBinWriter::new(c);
            assert_eq!(w.add(&doc), Ok(()));
            assert_eq!(w.add(&SpacyDoc::default()), Ok(()));
            let bytes = match w.to_bytes() {
                Ok(b) => b,
                Err(e) => panic!("{e}"),
            };
            let raw = inflate(&bytes);
            assert_eq!(raw[0], 0x89);
            let mut rows = Vec::new();
            for v in [383u64, 3, 383, string_id("x"), 2, 0] {
                rows.extend_from_slice(&v.to_le_bytes());
            }
            let pos = raw.windows(rows.len()).position(|w| w == &rows[..]);
            assert!(pos.is_some());
            // lengths [2, 0] and two docs' span_groups b"\x90".
            let lengths = [0xc4, 8, 2, 0, 0, 0, 0, 0, 0, 0];
            assert!(raw.windows(lengths.len()).any(|w| w == lengths));
            assert!(raw.ends_with(&[0x92, 0xc4, 1, 0x90, 0xc4, 1, 0x90]));
        }
    }
}

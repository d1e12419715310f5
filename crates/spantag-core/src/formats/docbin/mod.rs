//! Native writer for spaCy's `.spacy` (DocBin) training-data format.
//!
//! Layout (verified against spaCy 3.8): the file is `zlib(msgpack(msg))` where `msg` is a map with
//! `version`, `attrs` (`[ORTH, ENT_IOB, ENT_TYPE]`), `tokens` (little-endian `u64` rows, one row per
//! token, one column per attribute, all documents concatenated), `spaces` (one 0/1 byte per token),
//! `lengths` (little-endian `i32` token count per document), `strings` (every non-empty string whose
//! id occurs in `tokens` or in a span label, in first-seen order), `cats` (`{}` per document), `flags`
//! (`{"has_unknown_spaces": false}` per document) and `span_groups` (per document: `b"\x90"` when it
//! has no groups, otherwise the msgpack map `{SpanGroup bytes: [key]}`, where a SpanGroup is
//! `{"name", "attrs": {}, "spans": [40-byte big-endian ">QQQllll" records]}`) and, when some
//! document has user data, `user_data` (per document a bin holding the msgpack map of its
//! `doc.user_data`, as `DocBin(store_user_data=True)` writes and reads it: srsly's msgpack, a
//! tuple key written as an array, which `msgpack_loads(..., use_list=False)` reads back as a
//! tuple; so `doc._.rel` is the key `["._.", "rel", nil, nil]` with a map from `[head, child]`
//! arrays to `{label: float64}` maps).
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
//!   for the other levels) goes through 1 MiB chunks compressed with `flate2`, on a `rayon` pool
//!   when the writer has more than one thread.
//!
//! Modules: `strings` (string ids and the intern table), `rows` (the token-row encoder), `zlib`
//! (segments, `flate2`, Adler-32), `chunks` (chunked and parallel compression), `msgpack`, `writer`.
//!
//! The bytes written do not depend on the number of threads.

mod chunks;
mod msgpack;
mod rows;
mod strings;
mod writer;
mod zlib;

#[cfg(test)]
mod roundtrip_tests;

pub use strings::{murmurhash64a, string_id, symbol_count};
pub use writer::DocBinWriter;

use std::fmt;

/// spaCy attribute id of `ORTH` (the token text).
pub const ATTR_ORTH: u64 = 65;
/// spaCy attribute id of `ENT_IOB` (index into `("", "I", "O", "B")`).
pub const ATTR_ENT_IOB: u64 = 77;
/// spaCy attribute id of `ENT_TYPE` (string id of the entity label).
pub const ATTR_ENT_TYPE: u64 = 78;

/// Bytes of one token row: three little-endian `u64` columns.
const ROW_BYTES: usize = 24;

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

/// A document: tokens, named entities (`doc.ents`: non-empty, non-overlapping, sorted by position),
/// span groups (`doc.spans[key]`, e.g. `("sc", all spans)`; spans may overlap and be empty) and
/// string entries of `doc.user_data` (e.g. `("id", "harbour-bridge")`), which spaCy restores when
/// the file is read with `DocBin(store_user_data=True)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpacyDoc<'a> {
    pub tokens: Vec<SpacyToken<'a>>,
    pub ents: Vec<SpacySpan<'a>>,
    pub span_groups: Vec<(&'a str, Vec<SpacySpan<'a>>)>,
    pub user_data: Vec<(&'a str, &'a str)>,
    /// The custom extension `doc._.rel` in the layout of explosion's `rel_component` tutorial:
    /// per (head start token, child start token) pair, one score per relation label. Stored in
    /// `doc.user_data` under the key `("._.", "rel", None, None)` (spaCy's key for a `Doc`
    /// extension value), as a dict keyed by `(head, child)` tuples of `{label: score}` dicts;
    /// nothing is written when empty.
    pub rel: Vec<RelScores<'a>>,
}

/// One entry of `doc._.rel`: the start tokens of the head and child spans and a score per
/// relation label (1.0 for the relation's type, 0.0 for the others).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelScores<'a> {
    pub head: usize,
    pub child: usize,
    pub scores: Vec<(&'a str, f64)>,
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
    /// Fast deflate: fixed Huffman codes and back-references found through the string table for
    /// the token rows, `flate2` level 1 for everything else.
    #[default]
    Fast,
    /// Deflate level 6, the level spaCy itself writes: about 14% smaller than `Fast`, roughly 8x
    /// slower.
    Standard,
    /// Deflate level 9: smallest file (1-2% below `Standard`), roughly 4x slower than `Standard`.
    Best,
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

//! Native writer for spaCy's `.spacy` (DocBin) training-data format.
//!
//! Layout (verified against spaCy 3.8): the file is `zlib(msgpack(msg))` where `msg` is a map with
//! `version`, `attrs` (`[ORTH, ENT_IOB, ENT_TYPE]`), `tokens` (little-endian `u64` rows, one row per
//! token, one column per attribute, all documents concatenated), `spaces` (one 0/1 byte per token),
//! `lengths` (little-endian `i32` token count per document), `strings` (every non-empty string whose
//! id occurs in `tokens` or in a span label), `cats` (`{}` per document), `flags`
//! (`{"has_unknown_spaces": false}` per document) and `span_groups` (per document: `b"\x90"` when it
//! has no groups, otherwise the msgpack map `{SpanGroup bytes: [key]}`, where a SpanGroup is
//! `{"name", "attrs": {}, "spans": [40-byte big-endian ">QQQllll" records]}`).
//!
//! String ids follow spaCy's `StringStore`: `0` for `""`, the symbol id for the 457 strings in
//! `spacy.symbols.IDS` (embedded from `spacy-symbols.json`), otherwise MurmurHash64A of the UTF-8 bytes
//! with seed 1.
//!
//! The writer keeps tokens compactly (8 bytes + 1 space byte each) and interns every distinct string
//! once, so that adding a document costs one hash-map lookup per token; the 24-byte rows are only
//! expanded while streaming into the zlib encoder in [`DocBinWriter::finish`].

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Write};
use std::sync::LazyLock;

use flate2::write::ZlibEncoder;

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
/// Distinct strings the compact token encoding can address (the entity code needs one spare bit).
const MAX_STRINGS: usize = (u32::MAX >> 1) as usize - 1;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Stored (level 0) zlib blocks: fastest, largest file.
    None,
    /// zlib level 1: a few times smaller than `None` at a small cost in speed.
    #[default]
    Fast,
    /// zlib level 9: smallest file, slowest.
    Best,
}

impl Compression {
    fn level(self) -> flate2::Compression {
        match self {
            Compression::None => flate2::Compression::none(),
            Compression::Fast => flate2::Compression::fast(),
            Compression::Best => flate2::Compression::best(),
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

/// FxHash-style hasher for the intern table: the keys are short token strings under our control,
/// so a fast non-keyed hash beats SipHash by a wide margin.
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Spread the entropy to the top bits, which hashbrown uses for its control bytes.
        let h = self.hash;
        h ^ (h >> 29) ^ (h << 17)
    }
}

type FxBuild = BuildHasherDefault<FxHasher>;

/// Every distinct non-empty string seen, with its spaCy id; each string is hashed once.
#[derive(Default)]
struct StringTable {
    index: HashMap<Box<str>, u32, FxBuild>,
    ids: Vec<u64>,
}

impl StringTable {
    /// Index of `s` (non-empty) in `ids`, adding it on first sight.
    #[inline]
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        // `add` checked beforehand that the table cannot outgrow MAX_STRINGS (< u32::MAX).
        let i = self.ids.len() as u32;
        self.ids.push(string_id(s));
        self.index.insert(s.into(), i);
        i
    }

    /// spaCy id of a span label, recording the string so that loading can resolve it.
    #[inline]
    fn label_id(&mut self, s: &str) -> u64 {
        if s.is_empty() {
            0
        } else {
            let i = self.intern(s);
            self.ids[i as usize]
        }
    }

    /// All strings in spaCy's order (sorted by code point = by UTF-8 bytes).
    fn sorted(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.index.keys().map(|k| &**k).collect();
        v.sort_unstable();
        v
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
/// use spantag::formats::docbin::*;
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
pub struct DocBinWriter {
    compression: Compression,
    strings: StringTable,
    /// Per token: (ORTH string index, entity code). Entity code 0 = outside, otherwise
    /// `(label string index + 1) << 1 | is_begin`.
    rows: Vec<[u32; 2]>,
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
}

impl Default for DocBinWriter {
    fn default() -> Self {
        Self::new(Compression::default())
    }
}

impl DocBinWriter {
    pub fn new(compression: Compression) -> Self {
        Self {
            compression,
            strings: StringTable::default(),
            rows: Vec::new(),
            spaces: Vec::new(),
            lengths: Vec::new(),
            span_groups: Vec::new(),
            n_docs: 0,
            char_starts: Vec::new(),
            char_ends: Vec::new(),
            doc_buf: Vec::new(),
            group_buf: Vec::new(),
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
        self.rows.len()
    }

    /// Adds one document. Invalid input (empty tokens; entity or span token ranges out of bounds;
    /// empty, unlabelled, overlapping or unsorted entities; char offsets that disagree with the
    /// tokens or do not fit in `i32`; a repeated span group key) is rejected with the writer unchanged.
    pub fn add(&mut self, doc: &SpacyDoc<'_>) -> Result<(), DocBinError> {
        self.validate(doc)?;
        let n_tokens = doc.tokens.len();
        let n_labels = doc.ents.len() + doc.span_groups.iter().map(|(_, s)| s.len()).sum::<usize>();
        let total_rows = self.rows.len() + n_tokens;
        if self.strings.ids.len() + n_tokens + n_labels > MAX_STRINGS
            || total_rows.saturating_mul(ROW_BYTES) > MAX_MSGPACK_LEN
            || self.n_docs + 1 > MAX_MSGPACK_LEN
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

        self.rows.reserve(n_tokens);
        self.spaces.reserve(n_tokens);
        let mut ents = doc.ents.iter().peekable();
        let mut ent_label = 0u32; // (label index + 1) << 1 of the current entity
        let mut ent_end = 0usize;
        for (i, tok) in doc.tokens.iter().enumerate() {
            let code = if i < ent_end {
                ent_label
            } else if let Some(e) = ents.next_if(|e| e.start_token == i) {
                ent_label = (self.strings.intern(e.label) + 1) << 1;
                ent_end = e.end_token;
                ent_label | 1
            } else {
                0
            };
            let orth = self.strings.intern(tok.text);
            self.rows.push([orth, code]);
            self.spaces.push(u8::from(tok.space));
        }
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

    /// Writes the `.spacy` file (a zlib stream) to `out`, which is not buffered further: the zlib
    /// encoder already writes in large chunks.
    pub fn finish<W: Write>(self, out: W) -> io::Result<()> {
        let mut enc = ZlibEncoder::new(out, self.compression.level());
        let n_tokens = self.rows.len();
        let n_docs = self.n_docs;
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);

        mp_map_header(&mut buf, 9)?;
        mp_str(&mut buf, "version")?;
        mp_str(&mut buf, "0.1")?;
        mp_str(&mut buf, "attrs")?;
        mp_array_header(&mut buf, 3)?;
        for attr in [ATTR_ORTH, ATTR_ENT_IOB, ATTR_ENT_TYPE] {
            mp_uint(&mut buf, attr);
        }

        // tokens: expand the compact rows chunk by chunk.
        mp_str(&mut buf, "tokens")?;
        mp_bin_header(&mut buf, n_tokens * ROW_BYTES)?;
        enc.write_all(&buf)?;
        const CHUNK: usize = 4096;
        let ids = &self.strings.ids;
        let mut rows_buf: Vec<u8> = Vec::with_capacity(CHUNK * ROW_BYTES);
        for chunk in self.rows.chunks(CHUNK) {
            rows_buf.clear();
            for &[orth, code] in chunk {
                let (iob, ent_type) = if code == 0 {
                    (IOB_O, 0)
                } else {
                    let iob = if code & 1 == 1 { IOB_B } else { IOB_I };
                    (iob, ids[((code >> 1) - 1) as usize])
                };
                rows_buf.extend_from_slice(&ids[orth as usize].to_le_bytes());
                rows_buf.extend_from_slice(&iob.to_le_bytes());
                rows_buf.extend_from_slice(&ent_type.to_le_bytes());
            }
            enc.write_all(&rows_buf)?;
        }

        buf.clear();
        mp_str(&mut buf, "spaces")?;
        mp_bin_header(&mut buf, self.spaces.len())?;
        enc.write_all(&buf)?;
        enc.write_all(&self.spaces)?;

        buf.clear();
        mp_str(&mut buf, "lengths")?;
        mp_bin_header(&mut buf, self.lengths.len())?;
        enc.write_all(&buf)?;
        enc.write_all(&self.lengths)?;

        buf.clear();
        let strings = self.strings.sorted();
        mp_str(&mut buf, "strings")?;
        mp_array_header(&mut buf, strings.len())?;
        for s in strings {
            mp_str(&mut buf, s)?;
            if buf.len() >= 1 << 16 {
                enc.write_all(&buf)?;
                buf.clear();
            }
        }

        mp_str(&mut buf, "cats")?;
        mp_array_header(&mut buf, n_docs)?;
        write_repeated(&mut enc, &mut buf, &[0x80], n_docs)?;

        let mut flag = Vec::with_capacity(24);
        mp_map_header(&mut flag, 1)?;
        mp_str(&mut flag, "has_unknown_spaces")?;
        mp_bool(&mut flag, false);
        mp_str(&mut buf, "flags")?;
        mp_array_header(&mut buf, n_docs)?;
        write_repeated(&mut enc, &mut buf, &flag, n_docs)?;

        mp_str(&mut buf, "span_groups")?;
        mp_array_header(&mut buf, n_docs)?;
        enc.write_all(&buf)?;
        enc.write_all(&self.span_groups)?;

        enc.finish()?.flush()
    }

    /// The `.spacy` file as bytes.
    pub fn to_bytes(self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.finish(&mut out)?;
        Ok(out)
    }
}

/// Appends `item` `n` times to `buf`, flushing `buf` into `out` whenever it grows large; leaves
/// `buf` empty.
fn write_repeated<W: Write>(
    out: &mut W,
    buf: &mut Vec<u8>,
    item: &[u8],
    n: usize,
) -> io::Result<()> {
    for _ in 0..n {
        buf.extend_from_slice(item);
        if buf.len() >= 1 << 16 {
            out.write_all(buf)?;
            buf.clear();
        }
    }
    out.write_all(buf)?;
    buf.clear();
    Ok(())
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
            rec[16..24].copy_from_slice(&strings.label_id(s.label).to_be_bytes());
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
        assert_eq!(strings.sorted(), vec!["ORG"]);
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
        assert_eq!((w.len(), w.n_tokens(), w.strings.ids.len()), (0, 0, 0));
        assert!(w.span_groups.is_empty());

        // Valid: é is one code point; an empty span at the end of the doc.
        let ok = SpacyDoc {
            tokens: tokens.clone(),
            ents: vec![span("X", 0, 1, 0, 3), span("Y", 2, 4, 8, 12)],
            span_groups: vec![("sc", vec![span("X", 3, 4, 11, 12), span("", 4, 4, 13, 13)])],
        };
        assert_eq!(w.add(&ok), Ok(()));
        assert_eq!((w.len(), w.n_tokens()), (1, 4));
        let codes: Vec<u32> = w.rows.iter().map(|r| r[1]).collect();
        let x = w.strings.index.get("X").copied().unwrap_or(u32::MAX);
        let y = w.strings.index.get("Y").copied().unwrap_or(u32::MAX);
        assert_eq!(
            codes,
            vec![((x + 1) << 1) | 1, 0, ((y + 1) << 1) | 1, (y + 1) << 1]
        );
    }

    #[test]
    fn zlib_roundtrip_and_layout() {
        use std::io::Read;
        let doc = SpacyDoc {
            tokens: toks(&["ORG", "x"]),
            ents: vec![span("ORG", 0, 1, 0, 3)],
            span_groups: vec![],
        };
        for c in [Compression::None, Compression::Fast, Compression::Best] {
            let mut w = DocBinWriter::new(c);
            assert_eq!(w.add(&doc), Ok(()));
            assert_eq!(w.add(&SpacyDoc::default()), Ok(()));
            let bytes = match w.to_bytes() {
                Ok(b) => b,
                Err(e) => panic!("{e}"),
            };
            let mut raw = Vec::new();
            let read = flate2::read::ZlibDecoder::new(&bytes[..]).read_to_end(&mut raw);
            assert!(read.is_ok());
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

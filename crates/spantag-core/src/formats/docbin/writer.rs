//! [`DocBinWriter`]: validates documents, interns their strings, encodes the token rows as they
//! come and assembles the zlib stream at the end.

use super::chunks::{CHUNK_SIZE, ChunkWriter, Chunks};
use super::msgpack::{
    LengthOverflow, MAX_MSGPACK_LEN, mp_array_header, mp_bin, mp_bin_header, mp_bool, mp_f64,
    mp_map_header, mp_nil, mp_str, mp_uint,
};
use super::rows::RowEncoder;
use super::strings::{StringTable, murmurhash64a};
use super::zlib::{ChunkEncoder, FINAL_BLOCK, Segment, combined_adler};
use super::{
    ATTR_ENT_IOB, ATTR_ENT_TYPE, ATTR_ORTH, Compression, DocBinError, ROW_BYTES, SpacyDoc,
    SpacySpan, SpanSource,
};
use std::io::{self, Write};

const IOB_I: u64 = 1;
const IOB_O: u64 = 2;
const IOB_B: u64 = 3;

/// Size of a serialized span inside a SpanGroup (`>QQQllll`).
const SPAN_RECORD_BYTES: usize = 40;
/// Upper bound for the default number of compression threads.
const MAX_DEFAULT_THREADS: usize = 8;

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
/// let doc = SpacyDoc {
///     tokens,
///     ents: vec![ada],
///     span_groups: vec![("sc", vec![ada])],
///     user_data: vec![("id", "ada-1")],
///     rel: vec![],
/// };
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
    chunks: Chunks,
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
    /// Per document: a complete msgpack bin holding the map of its user data (`{}` if none).
    user_data: Vec<u8>,
    /// Some document has user data: the file gets a `user_data` field.
    has_user_data: bool,
    n_docs: usize,
    // Reused scratch buffers.
    char_starts: Vec<usize>,
    char_ends: Vec<usize>,
    doc_buf: Vec<u8>,
    group_buf: Vec<u8>,
    user_buf: Vec<u8>,
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
            chunks: Chunks::new(compression, threads),
            row_encoder: (compression == Compression::Fast).then(RowEncoder::new),
            rows: Vec::new(),
            n_tokens: 0,
            spaces: Vec::new(),
            lengths: Vec::new(),
            span_groups: Vec::new(),
            user_data: Vec::new(),
            has_user_data: false,
            n_docs: 0,
            char_starts: Vec::new(),
            char_ends: Vec::new(),
            doc_buf: Vec::new(),
            group_buf: Vec::new(),
            user_buf: Vec::new(),
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
        self.user_buf.clear();
        let has_rel = !doc.rel.is_empty();
        mp_map_header(
            &mut self.user_buf,
            doc.user_data.len() + usize::from(has_rel),
        )?;
        for (k, v) in &doc.user_data {
            mp_str(&mut self.user_buf, k)?;
            mp_str(&mut self.user_buf, v)?;
        }
        if has_rel {
            // `doc._.rel`: spaCy keeps a Doc extension's value under ("._.", name, None, None).
            mp_array_header(&mut self.user_buf, 4)?;
            mp_str(&mut self.user_buf, "._.")?;
            mp_str(&mut self.user_buf, "rel")?;
            mp_nil(&mut self.user_buf);
            mp_nil(&mut self.user_buf);
            mp_map_header(&mut self.user_buf, doc.rel.len())?;
            for r in &doc.rel {
                mp_array_header(&mut self.user_buf, 2)?;
                mp_uint(&mut self.user_buf, r.head as u64);
                mp_uint(&mut self.user_buf, r.child as u64);
                mp_map_header(&mut self.user_buf, r.scores.len())?;
                for (label, score) in &r.scores {
                    mp_str(&mut self.user_buf, label)?;
                    mp_f64(&mut self.user_buf, *score);
                }
            }
        }
        if self.span_groups.len() + self.doc_buf.len() + 5 > MAX_MSGPACK_LEN
            || self.user_buf.len() + 5 > MAX_MSGPACK_LEN
        {
            return Err(DocBinError::TooLarge);
        }
        mp_bin(&mut self.span_groups, &self.doc_buf)?;
        mp_bin(&mut self.user_data, &self.user_buf)?;
        self.has_user_data |= !doc.user_data.is_empty() || has_rel;

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
                    let full = std::mem::replace(&mut self.rows, self.chunks.buffer());
                    self.chunks.submit(full);
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
            self.chunks.submit(rows);
        }

        // Everything after the token rows.
        let n_docs = self.n_docs;
        let mut buf: Vec<u8> = Vec::with_capacity(64);
        let mut w = ChunkWriter::new(&mut self.chunks);
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

        if self.has_user_data {
            buf.clear();
            mp_str(&mut buf, "user_data")?;
            mp_array_header(&mut buf, n_docs)?;
            w.push(&buf);
            w.push(&self.user_data);
        }
        w.close();

        // The start of the message, now that the tokens length is known.
        buf.clear();
        mp_map_header(&mut buf, 9 + usize::from(self.has_user_data))?;
        mp_str(&mut buf, "version")?;
        mp_str(&mut buf, "0.1")?;
        mp_str(&mut buf, "attrs")?;
        mp_array_header(&mut buf, 3)?;
        for attr in [ATTR_ORTH, ATTR_ENT_IOB, ATTR_ENT_TYPE] {
            mp_uint(&mut buf, attr);
        }
        mp_str(&mut buf, "tokens")?;
        mp_bin_header(&mut buf, self.n_tokens * ROW_BYTES)?;
        let head = Segment::encode(&mut ChunkEncoder::new(self.compression), &buf)?;

        let mut segments = vec![head];
        if let Some(enc) = self.row_encoder.take() {
            segments.push(enc.finish());
        }
        segments.extend(self.chunks.finish()?);
        let adler = combined_adler(&segments);
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
    // The label ids of this document: a span's label is usually in several groups, and a
    // document has few distinct labels, so a short list spares hashing each record's label.
    let mut ids: Vec<(&str, u64)> = Vec::new();
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
            let id = match ids.iter().find(|(l, _)| *l == s.label) {
                Some(&(_, id)) => id,
                None => {
                    let id = strings.intern(s.label);
                    if ids.len() < 32 {
                        ids.push((s.label, id));
                    }
                    id
                }
            };
            rec[16..24].copy_from_slice(&id.to_be_bytes());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::docbin::{SpacyToken, string_id};

    #[test]
    fn writer_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<DocBinWriter>();
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
            user_data: vec![],
            rel: vec![],
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
                user_data: vec![],
                rel: vec![],
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
            user_data: vec![],
            rel: vec![],
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
                    user_data: vec![],
                    rel: vec![],
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
            user_data: vec![],
            rel: vec![],
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

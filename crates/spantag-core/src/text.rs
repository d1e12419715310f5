//! Text indexing: offset conversions, tokens and sentences.
//!
//! # The offset unit
//!
//! Everywhere inside the core, an offset is a count of **Unicode scalar values (code points)** from
//! the start of a document's text, and ranges are half-open `[start, end)`. This is the unit Python's
//! `str` uses, so spaCy, Prodigy, Hugging Face and brat offsets need no conversion. Rust `&str`
//! slicing needs UTF-8 byte offsets and doccano / INCEpTION count UTF-16 code units: [`TextIndex`]
//! converts exactly between the three.
//!
//! A [`TextIndex`] also holds the document's tokens (Unicode word boundaries, whitespace dropped) and
//! sentences (Unicode sentence boundaries, trimmed), with binary-search lookups from an offset.

use std::ops::Range;
use std::sync::OnceLock;

/// How many code points lie between two stored checkpoints.
const CHECKPOINT_EVERY: usize = 64;

/// A token or sentence: a half-open range of code points.
pub type CharRange = Range<usize>;

/// Offset tables and segmentation for one text. Build it once per text; the text must not change.
/// Offset tables are built at once (one pass over the text); tokens and sentences on first use.
#[derive(Debug, Clone)]
pub struct TextIndex {
    /// Number of code points.
    chars: usize,
    /// Number of UTF-8 bytes.
    bytes: usize,
    /// Number of UTF-16 code units.
    utf16: usize,
    /// True when every character is ASCII: all three units coincide.
    ascii: bool,
    /// `(byte, utf16)` offsets of code point `i * CHECKPOINT_EVERY`.
    checkpoints: Vec<(usize, usize)>,
    tokens: OnceLock<Vec<CharRange>>,
    sentences: OnceLock<Vec<CharRange>>,
}

impl PartialEq for TextIndex {
    fn eq(&self, other: &Self) -> bool {
        (self.chars, self.bytes, self.utf16, &self.checkpoints)
            == (other.chars, other.bytes, other.utf16, &other.checkpoints)
    }
}

impl Eq for TextIndex {}

impl TextIndex {
    /// Indexes `text` and segments it into tokens and sentences at once.
    pub fn new(text: &str) -> Self {
        let index = TextIndex::offsets_only(text);
        index.segment(text);
        index
    }

    /// Indexes `text` for offset conversion only; [`TextIndex::tokens`] and
    /// [`TextIndex::sentences`] are then empty until [`TextIndex::segment`] is called.
    pub fn offsets_only(text: &str) -> Self {
        let ascii = text.is_ascii();
        let mut checkpoints = Vec::new();
        let (mut chars, mut utf16) = (0usize, 0usize);
        if ascii {
            chars = text.len();
            utf16 = text.len();
        } else {
            checkpoints.reserve(text.len() / CHECKPOINT_EVERY + 1);
            // A byte loop: every byte that is not a UTF-8 continuation byte starts a character,
            // and 4-byte characters (lead byte >= 0xF0) take two UTF-16 units.
            let bytes = text.as_bytes();
            let mut i = 0;
            while let Some(&b) = bytes.get(i) {
                // Fast path: 8 ASCII bytes that do not reach a checkpoint.
                let k = chars % CHECKPOINT_EVERY;
                if (1..=CHECKPOINT_EVERY - 8).contains(&k)
                    && let Some(word) = bytes.get(i..i + 8)
                    && let Ok(word) = <[u8; 8]>::try_from(word)
                    && u64::from_le_bytes(word) & 0x8080_8080_8080_8080 == 0
                {
                    chars += 8;
                    utf16 += 8;
                    i += 8;
                    continue;
                }
                if (b as i8) >= -0x40 {
                    if k == 0 {
                        checkpoints.push((i, utf16));
                    }
                    chars += 1;
                    utf16 += if b >= 0xf0 { 2 } else { 1 };
                }
                i += 1;
            }
            // A checkpoint for the end offset too, when it falls on a boundary.
            if chars.is_multiple_of(CHECKPOINT_EVERY) {
                checkpoints.push((text.len(), utf16));
            }
        }
        TextIndex {
            chars,
            bytes: text.len(),
            utf16,
            ascii,
            checkpoints,
            tokens: OnceLock::new(),
            sentences: OnceLock::new(),
        }
    }

    /// Finds tokens and sentences (once; later calls do nothing). `text` must be the indexed text.
    pub fn segment(&self, text: &str) {
        self.segment_tokens_only(text);
        self.sentences.get_or_init(|| self.segment_sentences(text));
    }

    /// Finds tokens but not sentences (once). `text` must be the indexed text.
    pub fn segment_tokens_only(&self, text: &str) {
        self.tokens.get_or_init(|| self.segment_tokens(text));
    }

    fn segment_tokens(&self, text: &str) -> Vec<CharRange> {
        let mut out = Vec::with_capacity(text.len() / 5);
        crate::segment::for_each_token(text, |w| out.push(w.start..w.end));
        out
    }

    fn segment_sentences(&self, text: &str) -> Vec<CharRange> {
        let mut out = Vec::new();
        let mut conv = ByteToChar::new(text, self.ascii);
        crate::segment::for_each_sentence(text, |byte, sentence| {
            let trimmed_start = sentence.len() - sentence.trim_start().len();
            let trimmed = sentence.trim();
            if trimmed.is_empty() {
                return;
            }
            let b0 = byte + trimmed_start;
            let start = conv.char_at(b0);
            let end = conv.char_at(b0 + trimmed.len());
            out.push(start..end);
        });
        out
    }

    /// Length of the text in code points.
    pub fn len_chars(&self) -> usize {
        self.chars
    }

    /// Length of the text in UTF-8 bytes.
    pub fn len_bytes(&self) -> usize {
        self.bytes
    }

    /// Length of the text in UTF-16 code units.
    pub fn len_utf16(&self) -> usize {
        self.utf16
    }

    /// UTF-8 byte offset of code point offset `char_offset` (which may equal the length).
    /// Returns `None` past the end.
    pub fn char_to_byte(&self, text: &str, char_offset: usize) -> Option<usize> {
        if char_offset > self.chars {
            return None;
        }
        if self.ascii {
            return Some(char_offset);
        }
        let (mut byte, _) = *self.checkpoints.get(char_offset / CHECKPOINT_EVERY)?;
        for c in text
            .get(byte..)?
            .chars()
            .take(char_offset % CHECKPOINT_EVERY)
        {
            byte += c.len_utf8();
        }
        Some(byte)
    }

    /// Code point offset of UTF-8 byte offset `byte`. `None` past the end or inside a character.
    pub fn byte_to_char(&self, text: &str, byte: usize) -> Option<usize> {
        if byte > self.bytes || !text.is_char_boundary(byte) {
            return None;
        }
        if self.ascii {
            return Some(byte);
        }
        let k = self
            .checkpoints
            .partition_point(|&(b, _)| b <= byte)
            .saturating_sub(1);
        let (b0, _) = self.checkpoints.get(k).copied().unwrap_or((0, 0));
        Some(k * CHECKPOINT_EVERY + text.get(b0..byte)?.chars().count())
    }

    /// UTF-16 offset of code point offset `char_offset`. `None` past the end.
    pub fn char_to_utf16(&self, text: &str, char_offset: usize) -> Option<usize> {
        if char_offset > self.chars {
            return None;
        }
        if self.ascii {
            return Some(char_offset);
        }
        let (byte, mut u16) = *self.checkpoints.get(char_offset / CHECKPOINT_EVERY)?;
        for c in text
            .get(byte..)?
            .chars()
            .take(char_offset % CHECKPOINT_EVERY)
        {
            u16 += c.len_utf16();
        }
        Some(u16)
    }

    /// Code point offset of UTF-16 offset `unit`. `None` past the end or between the two halves of
    /// a surrogate pair.
    pub fn utf16_to_char(&self, text: &str, unit: usize) -> Option<usize> {
        if unit > self.utf16 {
            return None;
        }
        if self.ascii {
            return Some(unit);
        }
        let k = self
            .checkpoints
            .partition_point(|&(_, u)| u <= unit)
            .saturating_sub(1);
        let (b0, mut u) = self.checkpoints.get(k).copied().unwrap_or((0, 0));
        let mut ch = k * CHECKPOINT_EVERY;
        for c in text.get(b0..)?.chars() {
            if u >= unit {
                break;
            }
            u += c.len_utf16();
            ch += 1;
        }
        (u == unit).then_some(ch)
    }

    /// The slice of `text` covering code points `range`, or `None` if out of range.
    pub fn slice<'t>(&self, text: &'t str, range: CharRange) -> Option<&'t str> {
        if range.start > range.end {
            return None;
        }
        let a = self.char_to_byte(text, range.start)?;
        let b = self.char_to_byte(text, range.end)?;
        text.get(a..b)
    }

    /// All tokens in text order: Unicode word-boundary segments that are not whitespace.
    pub fn tokens(&self) -> &[CharRange] {
        self.tokens.get().map_or(&[], Vec::as_slice)
    }

    /// All sentences in text order, trimmed of surrounding whitespace.
    /// Empty unless [`TextIndex::segment`] ran.
    pub fn sentences(&self) -> &[CharRange] {
        self.sentences.get().map_or(&[], Vec::as_slice)
    }

    /// Index of the token containing `offset`, or `None` if it falls in whitespace or past the end.
    pub fn token_at(&self, offset: usize) -> Option<usize> {
        find_containing(self.tokens(), offset)
    }

    /// Index of the first token ending after `offset` (the token at or after it).
    pub fn token_at_or_after(&self, offset: usize) -> Option<usize> {
        let tokens = self.tokens();
        let i = tokens.partition_point(|t| t.end <= offset);
        (i < tokens.len()).then_some(i)
    }

    /// Index of the last token starting before `offset` (the token at or before it).
    pub fn token_at_or_before(&self, offset: usize) -> Option<usize> {
        self.tokens()
            .partition_point(|t| t.start < offset)
            .checked_sub(1)
    }

    /// Index of the sentence containing `offset`, or `None` between sentences.
    pub fn sentence_at(&self, offset: usize) -> Option<usize> {
        find_containing(self.sentences(), offset)
    }

    /// Widens `range` to whole tokens: the start moves to the start of the token it touches, the end
    /// to the end of its token. Whitespace at either edge is dropped. Returns `None` when the range
    /// covers no token at all.
    pub fn snap_to_tokens(&self, range: CharRange) -> Option<CharRange> {
        let (lo, hi) = (range.start.min(range.end), range.start.max(range.end));
        let first = self.token_at_or_after(lo)?;
        let last = if hi > lo {
            self.token_at_or_before(hi)?
        } else {
            self.token_at(lo)?
        };
        let tokens = self.tokens();
        let (a, b) = (tokens.get(first)?, tokens.get(last)?);
        (a.start < b.end).then_some(a.start..b.end)
    }

    /// The token index range `[first, last + 1)` covered by a code point range, if it covers any.
    pub fn tokens_in(&self, range: CharRange) -> Range<usize> {
        let tokens = self.tokens();
        let first = tokens.partition_point(|t| t.end <= range.start);
        let last = tokens.partition_point(|t| t.start < range.end);
        first..last.max(first)
    }
}

/// Index of the range in sorted, non-overlapping `ranges` that contains `offset`.
fn find_containing(ranges: &[CharRange], offset: usize) -> Option<usize> {
    let i = ranges.partition_point(|r| r.end <= offset);
    ranges.get(i).filter(|r| r.start <= offset).map(|_| i)
}

/// Converts increasing byte offsets to code point offsets in one forward pass.
struct ByteToChar<'t> {
    text: &'t str,
    ascii: bool,
    byte: usize,
    chars: usize,
}

impl<'t> ByteToChar<'t> {
    fn new(text: &'t str, ascii: bool) -> Self {
        ByteToChar {
            text,
            ascii,
            byte: 0,
            chars: 0,
        }
    }

    /// `byte` must be a char boundary not smaller than any earlier argument.
    fn char_at(&mut self, byte: usize) -> usize {
        if self.ascii {
            return byte;
        }
        if byte > self.byte {
            let piece = self.text.get(self.byte..byte).unwrap_or("");
            self.chars += piece.chars().count();
            self.byte = byte;
        }
        self.chars
    }
}

/// Length of `s` in code points.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Length of `s` in UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_with_emoji_and_combining_marks() {
        let text = "a👩‍👩‍👧 e\u{301}x 中文";
        let ix = TextIndex::new(text);
        assert_eq!(ix.len_chars(), text.chars().count());
        assert_eq!(ix.len_utf16(), text.encode_utf16().count());
        for (n, (b, _)) in text.char_indices().enumerate() {
            assert_eq!(ix.char_to_byte(text, n), Some(b));
            assert_eq!(ix.byte_to_char(text, b), Some(n));
            let u = text[..b].encode_utf16().count();
            assert_eq!(ix.char_to_utf16(text, n), Some(u));
            assert_eq!(ix.utf16_to_char(text, u), Some(n));
        }
        // Inside a surrogate pair / inside a UTF-8 sequence.
        assert_eq!(ix.utf16_to_char(text, 2), None);
        assert_eq!(ix.byte_to_char(text, 2), None);
        assert_eq!(ix.char_to_byte(text, ix.len_chars() + 1), None);
    }

    #[test]
    fn tokens_and_sentences() {
        let text = "The mayor said 3.5 km.  Then she left!\n\nNew para";
        let ix = TextIndex::new(text);
        let toks: Vec<&str> = ix
            .tokens()
            .iter()
            .filter_map(|r| ix.slice(text, r.clone()))
            .collect();
        assert_eq!(
            toks,
            [
                "The", "mayor", "said", "3.5", "km", ".", "Then", "she", "left", "!", "New", "para"
            ]
        );
        let sents: Vec<&str> = ix
            .sentences()
            .iter()
            .filter_map(|r| ix.slice(text, r.clone()))
            .collect();
        assert_eq!(
            sents,
            ["The mayor said 3.5 km.", "Then she left!", "New para"]
        );
        assert_eq!(ix.token_at(5), Some(1));
        assert_eq!(ix.token_at(3), None);
        assert_eq!(ix.sentence_at(24), Some(1));
    }

    #[test]
    fn snapping() {
        let text = "The mayor of Springfield said";
        let ix = TextIndex::new(text);
        assert_eq!(ix.snap_to_tokens(5..15), Some(4..24));
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 15..5;
        assert_eq!(ix.snap_to_tokens(reversed), Some(4..24));
        assert_eq!(ix.snap_to_tokens(3..4), None);
        assert_eq!(ix.snap_to_tokens(6..6), Some(4..9));
        assert_eq!(ix.tokens_in(4..24), 1..4);
    }
}

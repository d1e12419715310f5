//! Selection movement: caret moves, extending a selection and moving a span's boundaries, as pure
//! functions over a document's text and a [`Selection`]. The GUI calls these; nothing here knows
//! about pixels (visual lines are the app's business; text lines and sentences are here).
//!
//! # The rules
//!
//! Every function reads a [`Text`] (a document's text with its [`TextIndex`]) and moves by a
//! [`Unit`]: one grapheme cluster, one token, one text line, one sentence or the whole text.
//!
//! - [`move_caret`] collapses the selection to a caret. A caret may stand anywhere, whitespace
//!   included, but never inside a grapheme cluster (an emoji ZWJ sequence, a flag, a letter with
//!   its combining marks).
//! - [`extend`] moves the head of a selection, [`move_boundary`] one end of a span. Their results
//!   never start or end in whitespace and never split a grapheme cluster: when the head is at or
//!   after the anchor, it moves forward to the next end of a unit and back to the previous end (and
//!   only when no end lies between it and the anchor, to a start, which may cross the anchor);
//!   the other side mirrors this. The anchor is trimmed of whitespace as the selection grows.
//!
//! For extending and resizing, a unit is the text it covers without surrounding whitespace: a
//! character unit is a grapheme cluster that is not whitespace, a line unit is the text of a line
//! between its leading and trailing blanks (blank lines have none), and so on. A grapheme cluster
//! counts as whitespace when its first or last character is.

use crate::model::Document;
use crate::text::TextIndex;
use std::ops::Range;
use unicode_segmentation::{GraphemeCursor, UnicodeSegmentation};

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;

/// A selection in a document, in code points: `anchor` stays put while `head` moves (the caret).
/// `anchor == head` is a caret with nothing selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Selection {
    /// The end that stays put while the selection is extended.
    pub anchor: usize,
    /// The end that moves: where the caret is drawn.
    pub head: usize,
}

impl Selection {
    /// A caret at `at` (nothing selected).
    pub fn caret(at: usize) -> Self {
        Selection {
            anchor: at,
            head: at,
        }
    }

    /// A selection from `anchor` to `head`.
    pub fn new(anchor: usize, head: usize) -> Self {
        Selection { anchor, head }
    }

    /// The selected range, start before end.
    pub fn range(&self) -> Range<usize> {
        self.anchor.min(self.head)..self.anchor.max(self.head)
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.anchor == self.head
    }
}

/// How far one move goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// One grapheme cluster: an emoji ZWJ sequence, a flag or a letter with its combining marks
    /// is never split.
    Char,
    /// One token (Unicode word boundaries, as [`TextIndex::tokens`]).
    Token,
    /// One text line: the text between two `\n` (stored texts have LF line endings only).
    Line,
    /// One sentence (as [`TextIndex::sentences`]).
    Sentence,
    /// To the ends of the text.
    Document,
}

/// Which way a move goes, in text order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Towards the start of the text.
    Back,
    /// Towards the end of the text.
    Forward,
}

/// Which end of a span [`move_boundary`] moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Boundary {
    /// The first code point of the span.
    Start,
    /// The offset just past its last code point.
    End,
}

/// A text with its index: what every movement function reads. Cheap to make and to copy.
#[derive(Debug, Clone, Copy)]
pub struct Text<'t> {
    text: &'t str,
    index: &'t TextIndex,
}

impl<'t> Text<'t> {
    /// `text` with its index; `index` must have been built from `text` (tokens are found now if
    /// they were not yet, sentences on first use).
    pub fn new(text: &'t str, index: &'t TextIndex) -> Self {
        index.segment_tokens_only(text);
        Text { text, index }
    }

    /// A document's text with its cached index.
    pub fn of(doc: &'t Document) -> Self {
        Text::new(&doc.text, doc.index())
    }

    /// The text.
    pub fn as_str(&self) -> &'t str {
        self.text
    }

    /// Length of the text in code points.
    pub fn len(&self) -> usize {
        self.index.len_chars()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Byte offset of code point `c` (clamped to the end).
    fn byte(&self, c: usize) -> usize {
        self.index
            .char_to_byte(self.text, c.min(self.len()))
            .unwrap_or(self.text.len())
    }

    /// Code point offset of byte `b`, which must be a character boundary.
    fn char(&self, b: usize) -> usize {
        self.index.byte_to_char(self.text, b).unwrap_or(self.len())
    }

    /// The grapheme boundary at or before code point `c`.
    fn floor_char(&self, c: usize) -> usize {
        self.char(self.floor(self.byte(c)))
    }

    /// The grapheme boundary at or before byte `b`.
    fn floor(&self, b: usize) -> usize {
        let mut cursor = GraphemeCursor::new(b, self.text.len(), true);
        match cursor.is_boundary(self.text, 0) {
            Ok(false) => cursor
                .prev_boundary(self.text, 0)
                .ok()
                .flatten()
                .unwrap_or(0),
            _ => b,
        }
    }

    /// The grapheme boundary at or after byte `b`.
    fn ceil(&self, b: usize) -> usize {
        let mut cursor = GraphemeCursor::new(b, self.text.len(), true);
        match cursor.is_boundary(self.text, 0) {
            Ok(false) => cursor
                .next_boundary(self.text, 0)
                .ok()
                .flatten()
                .unwrap_or(self.text.len()),
            _ => b,
        }
    }

    /// `range` widened to whole grapheme clusters, then narrowed past whitespace clusters at
    /// both ends; `None` when only whitespace is left.
    fn trim(&self, range: Range<usize>) -> Option<Range<usize>> {
        let a = self.floor(self.byte(range.start));
        let b = self.ceil(self.byte(range.end));
        let r = trim_bytes(self.text, a, b)?;
        Some(self.char(r.start)..self.char(r.end))
    }
}

/// Whether a grapheme cluster counts as whitespace: its first or its last character is.
fn is_blank(g: &str) -> bool {
    g.chars().next().is_some_and(char::is_whitespace)
        || g.chars().next_back().is_some_and(char::is_whitespace)
}

/// Bytes `a..b` of `text` (grapheme boundaries) without whitespace clusters at either end.
pub(crate) fn trim_bytes(text: &str, a: usize, b: usize) -> Option<Range<usize>> {
    let s = text.get(a..b)?;
    let (first, _) = s.grapheme_indices(true).find(|(_, g)| !is_blank(g))?;
    let (last, g) = s.grapheme_indices(true).rev().find(|(_, g)| !is_blank(g))?;
    Some(a + first..a + last + g.len())
}

/// The ranges [`extend`] and [`move_boundary`] move between, for one unit: each is trimmed of
/// whitespace and covers whole grapheme clusters.
struct Units<'a, 't> {
    t: &'a Text<'t>,
    unit: Unit,
}

type RangeIter<'a> = Box<dyn Iterator<Item = Range<usize>> + 'a>;

impl<'a> Units<'a, '_> {
    /// The units in text order, starting at or before the first one that ends after `from`.
    fn forward(&self, from: usize) -> RangeIter<'a> {
        let t = *self.t;
        match self.unit {
            Unit::Char => {
                let b = t.floor(t.byte(from));
                let mut c = t.char(b);
                Box::new(
                    t.text
                        .get(b..)
                        .unwrap_or("")
                        .graphemes(true)
                        .filter_map(move |g| {
                            let start = c;
                            c += g.chars().count();
                            (!is_blank(g)).then_some(start..c)
                        }),
                )
            }
            Unit::Token | Unit::Sentence => {
                let ranges = self.ranges();
                let i = ranges.partition_point(|r| r.end <= from).saturating_sub(2);
                let it = ranges[i..].iter().filter_map(move |r| t.trim(r.clone()));
                merge_overlaps(it, |r, n| n.start < r.end)
            }
            Unit::Line => {
                let mut b = line_start_byte(t.text, t.byte(from));
                Box::new(
                    t.text
                        .get(b..)
                        .unwrap_or("")
                        .split('\n')
                        .filter_map(move |line| {
                            let r = trim_bytes(t.text, b, b + line.len());
                            b += line.len() + 1;
                            r.map(|r| t.char(r.start)..t.char(r.end))
                        }),
                )
            }
            Unit::Document => Box::new(t.trim(0..t.len()).into_iter()),
        }
    }

    /// The units in reverse text order, starting at or after the last one that starts before
    /// `from`.
    fn backward(&self, from: usize) -> RangeIter<'a> {
        let t = *self.t;
        match self.unit {
            Unit::Char => {
                let b = t.ceil(t.byte(from));
                let mut c = t.char(b);
                Box::new(
                    t.text
                        .get(..b)
                        .unwrap_or("")
                        .graphemes(true)
                        .rev()
                        .filter_map(move |g| {
                            let end = c;
                            c = c.saturating_sub(g.chars().count());
                            (!is_blank(g)).then_some(c..end)
                        }),
                )
            }
            Unit::Token | Unit::Sentence => {
                let ranges = self.ranges();
                let i = (ranges.partition_point(|r| r.start < from) + 2).min(ranges.len());
                let it = ranges[..i]
                    .iter()
                    .rev()
                    .filter_map(move |r| t.trim(r.clone()));
                merge_overlaps(it, |r, n| n.end > r.start)
            }
            Unit::Line => {
                let mut end = line_end_byte(t.text, t.byte(from));
                Box::new(
                    t.text
                        .get(..end)
                        .unwrap_or("")
                        .rsplit('\n')
                        .filter_map(move |line| {
                            let start = end.saturating_sub(line.len());
                            let r = trim_bytes(t.text, start, end);
                            end = start.saturating_sub(1);
                            r.map(|r| t.char(r.start)..t.char(r.end))
                        }),
                )
            }
            Unit::Document => Box::new(t.trim(0..t.len()).into_iter()),
        }
    }

    /// The token or sentence ranges of the index.
    fn ranges(&self) -> &'a [Range<usize>] {
        let t: &'a Text = self.t;
        if self.unit == Unit::Sentence {
            t.index.segment(t.text);
            t.index.sentences()
        } else {
            t.index.tokens()
        }
    }

    /// The first unit start after `x`.
    fn next_start(&self, x: usize) -> Option<usize> {
        self.forward(x).map(|r| r.start).find(|&s| s > x)
    }

    /// The first unit end after `x`.
    fn next_end(&self, x: usize) -> Option<usize> {
        self.forward(x).map(|r| r.end).find(|&e| e > x)
    }

    /// The last unit start before `x`.
    fn prev_start(&self, x: usize) -> Option<usize> {
        self.backward(x).map(|r| r.start).find(|&s| s < x)
    }

    /// The last unit end before `x`.
    fn prev_end(&self, x: usize) -> Option<usize> {
        self.backward(x).map(|r| r.end).find(|&e| e < x)
    }
}

/// `ranges` with neighbours that `overlap` merged into one. Widened to whole clusters, tokens can
/// overlap: a prepended mark such as U+0600 belongs to the next cluster but to the previous token.
fn merge_overlaps<'a>(
    ranges: impl Iterator<Item = Range<usize>> + 'a,
    overlap: fn(&Range<usize>, &Range<usize>) -> bool,
) -> RangeIter<'a> {
    let mut it = ranges.peekable();
    Box::new(std::iter::from_fn(move || {
        let mut r = it.next()?;
        while let Some(n) = it.next_if(|n| overlap(&r, n)) {
            r = r.start.min(n.start)..r.end.max(n.end);
        }
        Some(r)
    }))
}

/// Byte offset of the start of the line holding byte `b`.
fn line_start_byte(text: &str, b: usize) -> usize {
    text.get(..b)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// Byte offset of the end of the line holding byte `b` (its `\n`, or the end of the text).
fn line_end_byte(text: &str, b: usize) -> usize {
    text.get(b..)
        .and_then(|s| s.find('\n'))
        .map_or(text.len(), |i| b + i)
}

/// The start of the text line holding offset `at` (just after the previous `\n`): Home.
pub fn line_start(t: &Text, at: usize) -> usize {
    t.char(line_start_byte(t.text, t.byte(at)))
}

/// The end of the text line holding offset `at` (just before its `\n`, or the end of the text):
/// End. An offset on a `\n` belongs to the line that the `\n` ends.
pub fn line_end(t: &Text, at: usize) -> usize {
    t.char(line_end_byte(t.text, t.byte(at)))
}

/// The grapheme boundary after offset `at` (the end of the text when there is none).
fn next_grapheme(t: &Text, at: usize) -> usize {
    let mut cursor = GraphemeCursor::new(t.byte(at), t.text.len(), true);
    let b = cursor.next_boundary(t.text, 0).ok().flatten();
    t.char(b.unwrap_or(t.text.len()))
}

/// The grapheme boundary before offset `at` (0 when there is none).
fn prev_grapheme(t: &Text, at: usize) -> usize {
    let mut cursor = GraphemeCursor::new(t.byte(at), t.text.len(), true);
    let b = cursor.prev_boundary(t.text, 0).ok().flatten();
    t.char(b.unwrap_or(0))
}

/// `sel` with both ends clamped to the text.
fn clamp(t: &Text, sel: Selection) -> Selection {
    Selection::new(sel.anchor.min(t.len()), sel.head.min(t.len()))
}

/// Moves the caret one `unit` in `dir` and collapses the selection.
///
/// - `Char`: to the next or previous grapheme boundary; a non-empty selection collapses to its
///   edge in `dir` instead.
/// - `Token` and `Sentence`: from the head to the next or previous start of a token (sentence);
///   forward past the last one, to its end, then to the end of the text; back before the first
///   one, to the start of the text.
/// - `Line`: back to the start of the head's line (from there, to the start of the line before);
///   forward to the end of its line (from there, to the end of the next line).
/// - `Document`: to the start or the end of the text.
pub fn move_caret(t: &Text, sel: Selection, unit: Unit, dir: Dir) -> Selection {
    let sel = clamp(t, sel);
    let h = sel.head;
    let units = Units { t, unit };
    let at = match (unit, dir) {
        (Unit::Char, Dir::Back) if !sel.is_empty() => t.floor_char(sel.range().start),
        (Unit::Char, Dir::Forward) if !sel.is_empty() => t.char(t.ceil(t.byte(sel.range().end))),
        (Unit::Char, Dir::Back) => prev_grapheme(t, h),
        (Unit::Char, Dir::Forward) => next_grapheme(t, h),
        (Unit::Line, Dir::Back) => match line_start(t, h) {
            s if s < h => s,
            _ => line_start(t, h.saturating_sub(1)),
        },
        (Unit::Line, Dir::Forward) => match line_end(t, h) {
            e if e > h => e,
            _ => line_end(t, (h + 1).min(t.len())),
        },
        (Unit::Document, Dir::Back) => 0,
        (Unit::Document, Dir::Forward) => t.len(),
        (Unit::Token | Unit::Sentence, Dir::Back) => units.prev_start(h).unwrap_or(0),
        (Unit::Token | Unit::Sentence, Dir::Forward) => units
            .next_start(h)
            .or_else(|| units.next_end(h))
            .unwrap_or(t.len()),
    };
    Selection::caret(at)
}

/// Moves the head of `sel` one `unit` in `dir`, keeping the anchor (see the module rules): the
/// result never starts or ends in whitespace, so `extend` forward twice and back once from the
/// start of "Israel said" selects "Israel". Where nothing is left to select it is a caret.
pub fn extend(t: &Text, sel: Selection, unit: Unit, dir: Dir) -> Selection {
    let Selection { anchor: a, head: h } = clamp(t, sel);
    let units = Units { t, unit };
    let head = match dir {
        Dir::Back => (h > a)
            .then(|| units.prev_end(h))
            .flatten()
            .filter(|&e| e > a)
            .or_else(|| units.prev_start(h))
            .unwrap_or(if h > a { a } else { h }),
        Dir::Forward => (h < a)
            .then(|| units.next_start(h))
            .flatten()
            .filter(|&s| s < a)
            .or_else(|| units.next_end(h))
            .unwrap_or(if h < a { a } else { h }),
    };
    settle(t, a, head)
}

/// Moves the head of `sel` to `at` (a click with Shift, or [`line_start`] / [`line_end`] for
/// Shift+Home / Shift+End) and trims the result as [`extend`] does.
pub fn extend_to(t: &Text, sel: Selection, at: usize) -> Selection {
    let a = clamp(t, sel).anchor;
    settle(t, a, at.min(t.len()))
}

/// The selection from `anchor` to `head`, trimmed of whitespace at both ends (keeping its
/// direction); a caret at `head` (or the start of its grapheme cluster) when nothing but
/// whitespace lies between them.
fn settle(t: &Text, anchor: usize, head: usize) -> Selection {
    let caret = Selection::caret(t.floor_char(head));
    if anchor == head {
        return caret;
    }
    match t.trim(anchor.min(head)..anchor.max(head)) {
        None => caret,
        Some(r) if head > anchor => Selection::new(r.start, r.end),
        Some(r) => Selection::new(r.end, r.start),
    }
}

/// `range` widened to whole grapheme clusters and trimmed of whitespace at both ends, for the
/// result of a drag or a resize by mouse. Empty (at the start of the cluster holding its start)
/// when it covers nothing but whitespace.
pub fn trim_to_text(t: &Text, range: Range<usize>) -> Range<usize> {
    let (lo, hi) = (range.start.min(range.end), range.start.max(range.end));
    let (lo, hi) = (lo.min(t.len()), hi.min(t.len()));
    t.trim(lo..hi)
        .unwrap_or_else(|| t.floor_char(lo)..t.floor_char(lo))
}

/// Moves one end of a span one `unit` in `dir`: the span-resize chords. The start goes to the
/// previous or next start of a unit, the end to the previous or next end, always leaving the span
/// non-empty and trimmed of whitespace (the other end is trimmed too if it needs it). A span that
/// cannot move that way comes back unchanged.
pub fn move_boundary(
    t: &Text,
    range: Range<usize>,
    which: Boundary,
    unit: Unit,
    dir: Dir,
) -> Range<usize> {
    let (s, e) = (range.start.min(range.end), range.start.max(range.end));
    let (s, e) = (s.min(t.len()), e.min(t.len()));
    let units = Units { t, unit };
    let moved = match (which, dir) {
        (Boundary::Start, Dir::Back) => units.prev_start(s).map(|s2| s2..e),
        (Boundary::Start, Dir::Forward) => units.next_start(s).filter(|&s2| s2 < e).map(|s2| s2..e),
        (Boundary::End, Dir::Back) => units.prev_end(e).filter(|&e2| e2 > s).map(|e2| s..e2),
        (Boundary::End, Dir::Forward) => units.next_end(e).map(|e2| s..e2),
    };
    moved
        .and_then(|r| t.trim(r))
        .filter(|r| !r.is_empty())
        .unwrap_or(range)
}

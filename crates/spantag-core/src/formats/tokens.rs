//! Export tokens: the document's tokens, split at span boundaries and at inner whitespace (see
//! the module documentation of [`super`]), and the per-document loop that renders them.

use super::{FormatError, Progress};
use crate::model::{Document, Relation, Span};
use std::ops::Range;

/// An export token: code point range and UTF-8 byte range of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok {
    pub start: usize,
    pub end: usize,
    pub bstart: usize,
    pub bend: usize,
}

/// Whitespace as both Rust and Python's `str.split()` see it.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Converts increasing code point offsets to byte offsets in one pass.
pub(crate) struct CharCursor<'t> {
    text: &'t str,
    ascii: bool,
    ch: usize,
    byte: usize,
}

impl<'t> CharCursor<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        CharCursor {
            text,
            ascii: text.is_ascii(),
            ch: 0,
            byte: 0,
        }
    }

    /// Byte offset of code point `ch` (restarts from 0 if `ch` goes backwards); `None` past the
    /// end.
    pub(crate) fn byte(&mut self, ch: usize) -> Option<usize> {
        if self.ascii {
            return (ch <= self.text.len()).then_some(ch);
        }
        if ch < self.ch {
            self.ch = 0;
            self.byte = 0;
        }
        let rest = self.text.get(self.byte..)?;
        let mut it = rest.char_indices();
        while self.ch < ch {
            match it.next() {
                Some((_, c)) => {
                    self.byte += c.len_utf8();
                    self.ch += 1;
                }
                None => return None,
            }
        }
        Some(self.byte)
    }
}

/// A document prepared for export: the selected spans and the export tokens.
pub struct Prepared<'a> {
    pub doc: &'a Document,
    /// Spans passing the filters, in document order.
    pub spans: Vec<&'a Span>,
    /// Relations passing the filters whose two spans are in `spans`, in id order.
    pub relations: Vec<&'a Relation>,
    toks: Option<Vec<Tok>>,
    /// An empty buffer to compute the tokens in (handed on from the previous document).
    spare: Vec<Tok>,
}

impl<'a> Prepared<'a> {
    /// A document with its selected spans (in document order); tokens are computed on first use.
    pub(crate) fn new(doc: &'a Document, spans: Vec<&'a Span>) -> Self {
        Prepared {
            doc,
            spans,
            relations: Vec::new(),
            toks: None,
            spare: Vec::new(),
        }
    }

    /// The export tokens (computed on first use): the document's tokens split at span
    /// boundaries and at inner whitespace.
    pub fn tokens(&mut self) -> &[Tok] {
        if self.toks.is_none() {
            let mut toks = std::mem::take(&mut self.spare);
            export_tokens_into(self.doc, &self.spans, &mut toks);
            self.toks = Some(toks);
        }
        self.toks.as_deref().unwrap_or(&[])
    }

    /// The export tokens once [`Prepared::tokens`] has run (empty before).
    pub fn computed_tokens(&self) -> &[Tok] {
        self.toks.as_deref().unwrap_or(&[])
    }

    /// The exact token range `[first, last + 1)` of a span, or `None` if a boundary is not a
    /// token boundary. Call [`Prepared::tokens`] first.
    pub fn token_range(&self, span: &Span) -> Option<Range<usize>> {
        let toks = self.toks.as_deref()?;
        let a = toks.partition_point(|t| t.start < span.start);
        let b = toks.partition_point(|t| t.end < span.end);
        (toks.get(a)?.start == span.start && toks.get(b)?.end == span.end && a <= b)
            .then_some(a..b + 1)
    }
}

/// A token as spaCy's tokenizer treats whitespace: an export token, or a run of whitespace
/// between export tokens. Offsets are code points (`start..end`) and bytes (`bstart..bend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpacyTok {
    pub start: usize,
    pub end: usize,
    pub bstart: usize,
    pub bend: usize,
    /// Followed by exactly one `' '` that belongs to no token (spaCy's `whitespace_`).
    pub space: bool,
    /// The index of the export token, or `None` for a whitespace token.
    pub word: Option<usize>,
}

/// The export tokens `toks` of `text` with the whitespace between them made into tokens the way
/// spaCy's tokenizer does it: a single `' '` right after a token is that token's `space` flag;
/// any other whitespace between two tokens (a line break, a second space, a tab, a no-break
/// space), and whitespace before the first token, is one whitespace token. So the token texts,
/// each followed by `' '` where `space` is set, give back `text` exactly (`spacy.tokens.Doc(vocab,
/// words, spaces).text == text`). Calls `emit` once per token, in order.
pub fn with_whitespace_tokens(text: &str, toks: &[Tok], mut emit: impl FnMut(SpacyTok)) {
    let whitespace = |bstart: usize, bend: usize, start: usize| {
        let gap = text.get(bstart..bend).unwrap_or("");
        let n = if gap.is_ascii() {
            gap.len()
        } else {
            gap.chars().count()
        };
        SpacyTok {
            start,
            end: start + n,
            bstart,
            bend,
            space: false,
            word: None,
        }
    };
    let first = toks.first().map_or(text.len(), |t| t.bstart);
    if first > 0 {
        emit(whitespace(0, first, 0));
    }
    let bytes = text.as_bytes();
    for (i, t) in toks.iter().enumerate() {
        let gap_end = toks.get(i + 1).map_or(text.len(), |n| n.bstart);
        let space = t.bend < gap_end && bytes.get(t.bend) == Some(&b' ');
        emit(SpacyTok {
            start: t.start,
            end: t.end,
            bstart: t.bstart,
            bend: t.bend,
            space,
            word: Some(i),
        });
        let rest = t.bend + usize::from(space);
        if rest < gap_end {
            emit(whitespace(rest, gap_end, t.end + usize::from(space)));
        }
    }
}

/// Why a span cannot be aligned to export tokens.
pub(crate) const NOT_ALIGNED: &str =
    "a boundary lies in whitespace, so it matches no token boundary (trim the span)";

/// Renders each document in turn with `render`, ticking `progress`. A document's tokens are
/// dropped once it is rendered and their buffer is reused for the next one, so memory does not
/// grow with the number of documents.
pub(crate) fn each_document<'a>(
    docs: &mut [Prepared<'a>],
    progress: &Progress,
    mut render: impl FnMut(&mut Prepared<'a>) -> Result<(), FormatError>,
) -> Result<(), FormatError> {
    let mut spare = Vec::new();
    for p in docs.iter_mut() {
        p.spare = std::mem::take(&mut spare);
        render(p)?;
        spare = p.toks.take().unwrap_or_default();
        spare.clear();
        progress.tick()?;
    }
    Ok(())
}

/// The export tokens of `doc` with `spans` (see the module documentation): the document's kept
/// tokens when it has them ([`Document::tokenization`]), else its Unicode word segments; either
/// cut at span boundaries.
pub fn export_tokens(doc: &Document, spans: &[&Span]) -> Vec<Tok> {
    let mut out = Vec::new();
    export_tokens_into(doc, spans, &mut out);
    out
}

/// The document's kept tokens ([`Document::tokenization`], e.g. a CoNLL file's) as export
/// tokens, each cut where a span boundary falls inside it; `false` (and `out` untouched) when the
/// document has none or they do not fit its text.
fn kept_tokens_into(doc: &Document, spans: &[&Span], out: &mut Vec<Tok>) -> bool {
    let Some(tk) = &doc.tokenization else {
        return false;
    };
    let text = doc.text.as_str();
    let ordered =
        tk.tokens.iter().all(|&(a, b)| a < b) && tk.tokens.windows(2).all(|w| w[0].1 <= w[1].0);
    if !ordered {
        return false;
    }
    let mut bounds: Vec<usize> = spans.iter().flat_map(|s| [s.start, s.end]).collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut cur = CharCursor::new(text);
    let mut toks = Vec::with_capacity(tk.tokens.len());
    let mut bi = 0;
    for &(a, b) in &tk.tokens {
        while bi < bounds.len() && bounds[bi] <= a {
            bi += 1;
        }
        let mut start = a;
        while start < b {
            let end = if bi < bounds.len() && bounds[bi] < b {
                bi += 1;
                bounds[bi - 1]
            } else {
                b
            };
            let (Some(bs), Some(be)) = (cur.byte(start), cur.byte(end)) else {
                return false;
            };
            toks.push(Tok {
                start,
                end,
                bstart: bs,
                bend: be,
            });
            start = end;
        }
    }
    *out = toks;
    true
}

/// Where an English clitic starts in a word token (a byte offset), if the word ends in one after
/// letters: `'s`, `n't`, `'ve`, `'ll`, `'re`, `'m`, `'d`, with a straight or curly apostrophe, in
/// any case (`that’s` → `that` `’s`, `didn’t` → `did` `n’t`, `I'm` → `I` `'m`), as spaCy's English
/// tokenizer splits them. Measured with spaCy 3.8 on the sample project, these were every token
/// boundary where spantag's tokens differed from spaCy's.
fn clitic_at(piece: &str) -> Option<usize> {
    let last = *piece.as_bytes().last()?;
    if !matches!(
        last.to_ascii_lowercase(),
        b's' | b't' | b'e' | b'l' | b'm' | b'd'
    ) {
        return None;
    }
    let apos = piece.rfind(['\'', '’'])?;
    let mut rest = piece[apos..].chars();
    rest.next();
    let after = rest.as_str().to_ascii_lowercase();
    let cut = match after.as_str() {
        "t" => {
            let n = piece[..apos].chars().next_back()?;
            if !n.eq_ignore_ascii_case(&'n') {
                return None;
            }
            apos - 1
        }
        "s" | "ve" | "ll" | "re" | "m" | "d" => apos,
        _ => return None,
    };
    let stem = &piece[..cut];
    (!stem.is_empty() && stem.chars().all(char::is_alphabetic)).then_some(cut)
}

/// [`export_tokens`] into `out` (cleared first), reusing its memory.
fn export_tokens_into(doc: &Document, spans: &[&Span], out: &mut Vec<Tok>) {
    out.clear();
    if kept_tokens_into(doc, spans, out) {
        return;
    }
    let text = doc.text.as_str();
    let mut bounds: Vec<usize> = Vec::with_capacity(spans.len() * 2);
    for s in spans {
        bounds.push(s.start);
        bounds.push(s.end);
    }
    bounds.sort_unstable();
    bounds.dedup();
    // Segment here rather than through the document's cached index: the byte offsets come for
    // free and nothing has to be converted back from code points.
    out.reserve(text.len() / 5 + bounds.len());
    let mut bi = 0;
    crate::segment::for_each_token(text, |w| {
        let (piece, bs, start, end) = (w.text, w.byte, w.start, w.end);
        let be = bs + piece.len();
        // In ASCII, UAX #29 joins no whitespace character to anything but another space, so an
        // ASCII token holds whitespace only when it starts with it (a control separator that
        // Python counts as whitespace). Elsewhere whitespace can sit inside a token: a space
        // carrying combining marks, or U+202F (narrow no-break space), which joins letters like
        // `_` does. Those tokens are cut below.
        let spacey = if piece.is_ascii() {
            piece
                .as_bytes()
                .first()
                .is_some_and(|&b| is_space(char::from(b)))
        } else {
            piece.chars().any(is_space)
        };
        while bi < bounds.len() && bounds[bi] <= start {
            bi += 1;
        }
        let inner_bound = bi < bounds.len() && bounds[bi] < end;
        let inner_space = spacey;
        if !inner_bound && !inner_space {
            if let Some(cut) = clitic_at(piece) {
                // "that’s" → "that" "’s", "didn’t" → "did" "n’t", as spaCy's English
                // tokenizer splits them.
                let mid = start + piece[..cut].chars().count();
                out.push(Tok {
                    start,
                    end: mid,
                    bstart: bs,
                    bend: bs + cut,
                });
                out.push(Tok {
                    start: mid,
                    end,
                    bstart: bs + cut,
                    bend: be,
                });
                return;
            }
            out.push(Tok {
                start,
                end,
                bstart: bs,
                bend: be,
            });
            return;
        }
        // Walk the characters, cutting at span boundaries and dropping whitespace.
        let mut open: Option<(usize, usize)> = None;
        let (mut ch, mut b) = (start, bs);
        for c in piece.chars() {
            let at_bound = bi < bounds.len() && bounds[bi] == ch;
            if at_bound {
                bi += 1;
            }
            if (is_space(c) || at_bound)
                && let Some((s, sb)) = open.take()
            {
                out.push(Tok {
                    start: s,
                    end: ch,
                    bstart: sb,
                    bend: b,
                });
            }
            if !is_space(c) && open.is_none() {
                open = Some((ch, b));
            }
            ch += 1;
            b += c.len_utf8();
        }
        if let Some((s, sb)) = open {
            out.push(Tok {
                start: s,
                end: ch,
                bstart: sb,
                bend: b,
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::clitic_at;

    #[test]
    fn clitics_split_as_spacy_splits_them() {
        for (word, cut) in [
            ("that’s", Some(4)),
            ("Brannock's", Some(8)),
            ("didn’t", Some(3)),
            ("don't", Some(2)),
            ("can't", Some(2)),
            ("I'm", Some(1)),
            ("We’ve", Some(2)),
            ("they'll", Some(4)),
            ("we’re", Some(2)),
            ("she'd", Some(3)),
            ("IT'S", Some(2)),
            ("Zoë’s", Some(4)),
            ("n't", None),
            ("'s", None),
            ("o'clock", None),
            ("rock'n'roll", None),
            ("it", None),
            ("Jones'", None),
            ("4's", None),
        ] {
            assert_eq!(clitic_at(word), cut, "{word}");
        }
    }
}

//! Word and sentence boundaries (Unicode UAX #29), with a fast path for common European text.
//!
//! [`unicode_segmentation`] looks up every character's break property in large tables, which makes
//! segmentation the largest cost of an export. Most news text is ASCII plus Latin-1 letters and a
//! handful of typographic marks (curly quotes, dashes, NBSP, currency signs), whose break
//! properties are small and fixed. This module applies the UAX #29 rules directly to such text and
//! hands everything else to `unicode_segmentation`, so the result is always identical to
//! `split_word_bound_indices` / `split_sentence_bound_indices` (the tests compare them on generated
//! text and exhaustively on short strings).
//!
//! Text is processed line by line: both rule sets always break after a line feed and never look
//! back across one, so each line can be segmented on its own. A line that holds any character
//! outside the fast alphabet is segmented by `unicode_segmentation`.
//!
//! Measured with `cargo bench --bench segment` (about 300 KB of generated text, one run on the
//! shared 2-core machine, unicode-segmentation 1.13.3 with Unicode 17; this module, then the
//! crate):
//! - news prose (ASCII, Latin-1, typographic marks): tokens with code point offsets 1.2 ms vs
//!   5.9 ms (4.9x), words 1.9 ms vs 7.0 ms (3.7x), sentences 4.1 ms vs 7.3 ms (1.8x);
//! - mixed (the same prose with emoji, Chinese, Japanese, Arabic, Greek, Cyrillic, Devanagari and
//!   combining marks in a quarter of the sentences, so most lines go to the crate): tokens 2.0 ms
//!   vs 4.5 ms (2.2x), words 2.5 ms vs 4.2 ms (1.7x), sentences 5.9 ms vs 5.3 ms (0.9x).

use unicode_segmentation::UnicodeSegmentation;

/// Word break property of the characters the fast path knows (UAX #29, table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum W {
    Other,
    Cr,
    Lf,
    Newline,
    Space,
    Letter,
    Numeric,
    MidLetter,
    MidNum,
    MidNumLet,
    SingleQuote,
    DoubleQuote,
    ExtendNumLet,
}

/// Sentence break property of the characters the fast path knows (UAX #29, table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the names are those of UAX #29
enum S {
    Other,
    Cr,
    Lf,
    Sp,
    Lower,
    Upper,
    Numeric,
    ATerm,
    STerm,
    Close,
    SContinue,
}

/// [`known`] of the ASCII characters, looked up by byte.
const ASCII_PROPS: [Option<(W, S)>; 128] = {
    let mut table = [None; 128];
    let mut i = 0;
    while i < 128 {
        table[i] = known(i as u8 as char);
        i += 1;
    }
    table
};

/// Both properties of `c`, or `None` when the fast path does not know it.
#[inline]
fn props(c: char) -> Option<(W, S)> {
    match ASCII_PROPS.get(c as usize) {
        Some(&p) => p,
        None => known(c),
    }
}

/// The properties the fast path knows, by character.
const fn known(c: char) -> Option<(W, S)> {
    Some(match c {
        'a'..='z' => (W::Letter, S::Lower),
        'A'..='Z' => (W::Letter, S::Upper),
        '0'..='9' => (W::Numeric, S::Numeric),
        ' ' => (W::Space, S::Sp),
        '\n' => (W::Lf, S::Lf),
        '\r' => (W::Cr, S::Cr),
        '\t' => (W::Other, S::Sp),
        '\u{b}' | '\u{c}' => (W::Newline, S::Sp),
        '.' => (W::MidNumLet, S::ATerm),
        '!' | '?' => (W::Other, S::STerm),
        ',' | ';' => (W::MidNum, S::SContinue),
        ':' => (W::MidLetter, S::SContinue),
        '-' => (W::Other, S::SContinue),
        '\'' => (W::SingleQuote, S::Close),
        '"' => (W::DoubleQuote, S::Close),
        '_' => (W::ExtendNumLet, S::Other),
        '(' | ')' | '[' | ']' | '{' | '}' => (W::Other, S::Close),
        '#' | '$' | '%' | '&' | '*' | '+' | '/' | '<' | '=' | '>' | '@' | '\\' | '^' | '`'
        | '|' | '~' => (W::Other, S::Other),
        // Latin-1 letters (not × and ÷).
        'À'..='Ö' | 'Ø'..='Þ' => (W::Letter, S::Upper),
        'ß'..='ö' | 'ø'..='ÿ' => (W::Letter, S::Lower),
        '\u{a0}' => (W::Other, S::Sp),
        '£' | '€' | '°' | '…' => (W::Other, S::Other),
        '\u{2018}' | '\u{2019}' => (W::MidNumLet, S::Close),
        '\u{201c}' | '\u{201d}' | '«' | '»' => (W::Other, S::Close),
        '\u{2013}' | '\u{2014}' => (W::Other, S::SContinue),
        _ => return None,
    })
}

/// One word-boundary segment with its offsets in bytes and in code points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'t> {
    /// Byte offset of the segment.
    pub byte: usize,
    /// Code point offsets of its start and end.
    pub start: usize,
    pub end: usize,
    pub text: &'t str,
}

/// Calls `f(byte_offset, segment)` for every word-boundary segment of `text`, exactly as
/// `text.split_word_bound_indices()` yields them.
pub fn for_each_word<'t>(text: &'t str, mut f: impl FnMut(usize, &'t str)) {
    walk_words(text, true, |w| f(w.byte, w.text));
}

/// The tokens of `text`: its word-boundary segments that are not all whitespace, with their
/// code point offsets (counted on the way).
pub fn for_each_token<'t>(text: &'t str, f: impl FnMut(Word<'t>)) {
    walk_words(text, false, f);
}

/// Every word-boundary segment (`all`), or only those that are not all whitespace.
fn walk_words<'t>(text: &'t str, all: bool, mut f: impl FnMut(Word<'t>)) {
    let mut ch = 0;
    for (at, line) in lines(text) {
        if is_known(line) {
            ch = words_known(line, at, ch, all, &mut f);
            continue;
        }
        // A line with unknown characters is cut after single spaces followed by a known
        // character other than a space: UAX #29 always breaks there (WB3d and WB4 are the only
        // rules that join a space to what follows), and no rule looks past a space for anything
        // a space could match. Only the pieces with unknown characters go to the slow path.
        for (from, piece) in space_pieces(line) {
            if is_known(piece) {
                ch = words_known(piece, at + from, ch, all, &mut f);
            } else {
                for (i, seg) in piece.split_word_bound_indices() {
                    let n = seg.chars().count();
                    if all || !seg.chars().all(char::is_whitespace) {
                        f(Word {
                            byte: at + from + i,
                            start: ch,
                            end: ch + n,
                            text: seg,
                        });
                    }
                    ch += n;
                }
            }
        }
    }
}

/// `line` cut after each space that is followed by a known, non-space character.
fn space_pieces(line: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = line.as_bytes();
    let mut start = 0;
    let mut i = 1;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        while i < bytes.len() {
            let cut = bytes[i - 1] == b' '
                && bytes[i] != b' '
                && line
                    .get(i..)
                    .and_then(|r| r.chars().next())
                    .is_some_and(|c| props(c).is_some());
            i += 1;
            if cut {
                let piece = (start, &line[start..i - 1]);
                start = i - 1;
                return Some(piece);
            }
        }
        let piece = (start, &line[start..]);
        start = bytes.len();
        Some(piece)
    })
}

/// The fast path of [`for_each_word`] for a piece whose characters are all known: one pass
/// with a sliding window (p2, a | b); the character after `b` is decoded only for the rules
/// that look ahead (WB6, WB12). Runs of ASCII letters or digits are skipped without looking at
/// the rules: nothing breaks inside them (WB5, WB8).
///
/// `at` and `ch` are the byte and code point offsets of `line`; returns the code point offset of
/// its end. Segments of whitespace are passed to `f` only if `all`: in the fast alphabet a
/// segment is whitespace when its first character is.
fn words_known<'t>(
    line: &'t str,
    at: usize,
    ch: usize,
    all: bool,
    f: &mut impl FnMut(Word<'t>),
) -> usize {
    let mut chars = Chars::new(line);
    let Some((_, (mut a, _))) = chars.next() else {
        return ch;
    };
    let mut p2: Option<W> = None;
    // The current segment's start in bytes and code points (both from the start of `line`).
    let (mut start, mut start_ch) = (0, 0);
    let bytes = line.as_bytes();
    let mut emit = |from: usize, to: usize, from_ch: usize, to_ch: usize| {
        f(Word {
            byte: at + from,
            start: ch + from_ch,
            end: ch + to_ch,
            text: &line[from..to],
        });
    };
    loop {
        // The common case, decided without the rules: an ASCII word or number that starts a
        // segment and is followed by spaces, the line feed or the end of the line. Nothing joins
        // letters and digits to a space or a line feed (WB3a, WB999), nor a space to anything but
        // a space in the fast alphabet (WB3d).
        if start + 1 == chars.pos && matches!(a, W::Letter | W::Numeric) {
            let rest = bytes.get(chars.pos..).unwrap_or(&[]);
            let j = chars.pos
                + rest
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric())
                    .count();
            if matches!(bytes.get(j), None | Some(b' ' | b'\n')) {
                let after = bytes.get(j..).unwrap_or(&[]);
                let k = j + after.iter().take_while(|&&b| b == b' ').count();
                // All of start..k is ASCII: code points advance with bytes.
                let (j_ch, k_ch) = (start_ch + (j - start), start_ch + (k - start));
                emit(start, j, start_ch, j_ch);
                if all && k > j {
                    emit(j, k, j_ch, k_ch);
                }
                (start, start_ch) = (k, k_ch);
                chars.pos = k;
                let Some((_, (b, _))) = chars.next() else {
                    break;
                };
                // The character before `b`: a space, or the word's last letter or digit.
                p2 = if k > j {
                    Some(W::Space)
                } else {
                    j.checked_sub(1)
                        .and_then(|l| bytes.get(l))
                        .and_then(|&c| ASCII_PROPS.get(usize::from(c)).copied().flatten())
                        .map(|(w, _)| w)
                };
                a = b;
                continue;
            }
        }
        let skipped = match a {
            W::Letter => chars.skip_ascii(u8::is_ascii_alphabetic),
            W::Numeric => chars.skip_ascii(u8::is_ascii_digit),
            _ => false,
        };
        if skipped {
            p2 = Some(a);
        }
        let extra = chars.extra;
        let Some((i, (b, _))) = chars.next() else {
            break;
        };
        let split = match (a, b) {
            (W::Letter, W::Letter) => false,
            (W::Letter | W::Numeric, W::MidLetter | W::MidNumLet | W::SingleQuote | W::MidNum) => {
                word_break(p2, a, b, chars.peek().map(|(w, _)| w))
            }
            _ => word_break(p2, a, b, None),
        };
        if split {
            if all || !starts_with_space(&line[start..]) {
                emit(start, i, start_ch, i - extra);
            }
            (start, start_ch) = (i, i - extra);
        }
        p2 = Some(a);
        a = b;
    }
    let end_ch = line.len() - chars.extra;
    if start < line.len() && (all || !starts_with_space(&line[start..])) {
        emit(start, line.len(), start_ch, end_ch);
    }
    ch + end_ch
}

/// Whether `s` starts with one of the whitespace characters of the fast alphabet.
#[inline]
fn starts_with_space(s: &str) -> bool {
    matches!(
        s.as_bytes(),
        [b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c, ..] | [0xc2, 0xa0, ..]
    )
}

/// Both properties of the characters of a line known to the fast path.
struct Chars<'t> {
    line: &'t str,
    pos: usize,
    /// Bytes beyond the first of the characters read by `next` (so that code points = bytes -
    /// extra).
    extra: usize,
}

impl<'t> Chars<'t> {
    fn new(line: &'t str) -> Self {
        Chars {
            line,
            pos: 0,
            extra: 0,
        }
    }

    #[inline]
    fn decode(&self, pos: usize) -> Option<((W, S), usize)> {
        let b = *self.line.as_bytes().get(pos)?;
        let (p, len) = if b < 0x80 {
            (ASCII_PROPS[b as usize], 1)
        } else {
            let c = self.line.get(pos..)?.chars().next()?;
            (props(c), c.len_utf8())
        };
        Some((p.unwrap_or((W::Other, S::Other)), len))
    }

    #[inline]
    fn next(&mut self) -> Option<(usize, (W, S))> {
        let (p, len) = self.decode(self.pos)?;
        let at = self.pos;
        self.pos += len;
        self.extra += len - 1;
        Some((at, p))
    }

    #[inline]
    fn peek(&self) -> Option<(W, S)> {
        self.decode(self.pos).map(|x| x.0)
    }

    /// Moves past the ASCII bytes for which `keep` holds; whether it moved.
    #[inline]
    fn skip_ascii(&mut self, keep: impl Fn(&u8) -> bool) -> bool {
        let from = self.pos;
        let bytes = self.line.as_bytes();
        while bytes.get(self.pos).is_some_and(&keep) {
            self.pos += 1;
        }
        self.pos > from
    }

    /// The properties of the character that ends just before byte `pos`.
    fn before(&self, pos: usize) -> Option<(W, S)> {
        let c = self.line.get(..pos)?.chars().next_back()?;
        Some(props(c).unwrap_or((W::Other, S::Other)))
    }

    /// The properties from the current position on.
    fn rest(&self) -> impl Iterator<Item = (W, S)> + '_ {
        let mut pos = self.pos;
        std::iter::from_fn(move || {
            let (p, len) = self.decode(pos)?;
            pos += len;
            Some(p)
        })
    }
}

/// Whether every character of `line` is known to the fast path.
fn is_known(line: &str) -> bool {
    let bytes = line.as_bytes();
    let mut i = 0;
    loop {
        // 16 printable ASCII bytes (all known) at a time.
        while let Some(chunk) = bytes
            .get(i..i + 16)
            .and_then(|c| <&[u8; 16]>::try_from(c).ok())
            && printable(chunk)
        {
            i += 16;
        }
        let Some(&b) = bytes.get(i) else {
            return true;
        };
        if b < 0x80 {
            if !KNOWN_ASCII[b as usize] {
                return false;
            }
            i += 1;
        } else {
            match line.get(i..).and_then(|r| r.chars().next()) {
                Some(c) if props(c).is_some() => i += c.len_utf8(),
                _ => return false,
            }
        }
    }
}

/// Whether all 16 bytes are printable ASCII (space to tilde); without an early exit, so that it
/// compiles to a few vector instructions.
#[inline]
fn printable(chunk: &[u8; 16]) -> bool {
    chunk
        .iter()
        .fold(true, |ok, &c| ok & (c.wrapping_sub(b' ') < 0x5f))
}

/// Whether the fast path knows an ASCII character, by byte.
const KNOWN_ASCII: [bool; 128] = {
    let mut table = [false; 128];
    let mut i = 0;
    while i < 128 {
        table[i] = ASCII_PROPS[i].is_some();
        i += 1;
    }
    table
};

/// Calls `f(byte_offset, segment)` for every sentence-boundary segment of `text`, exactly as
/// `text.split_sentence_bound_indices()` yields them.
pub fn for_each_sentence<'t>(text: &'t str, mut f: impl FnMut(usize, &'t str)) {
    for (at, line) in lines(text) {
        if !is_known(line) {
            line.split_sentence_bound_indices()
                .for_each(|(i, seg)| f(at + i, seg));
            continue;
        }
        let mut chars = Chars::new(line);
        let Some((_, (_, mut a))) = chars.next() else {
            continue;
        };
        let mut p2: Option<S> = None;
        // After `SATerm Close*` (Some(aterm, false)) or `SATerm Close* Sp+` (Some(aterm, true)).
        let mut after_term = after(None, a);
        let mut start = 0;
        let bytes = line.as_bytes();
        loop {
            // Without a terminator behind, nothing breaks before the next terminator or
            // paragraph separator (SB998), and no known character outside ASCII is either: jump
            // to the next one and rebuild the window (p2, a) from the characters before it.
            if after_term.is_none() && !matches!(a, S::Cr | S::Lf) {
                let from = chars.pos;
                let Some(k) = bytes.get(from..).and_then(|r| {
                    r.iter()
                        .position(|b| matches!(b, b'.' | b'!' | b'?' | b'\r' | b'\n'))
                }) else {
                    break;
                };
                if k > 0 {
                    let to = from + k;
                    chars.pos = to;
                    let a_start = line
                        .get(..to)
                        .and_then(|r| r.char_indices().next_back())
                        .map_or(0, |(i, _)| i);
                    a = chars.before(to).map_or(S::Other, |(_, s)| s);
                    p2 = chars.before(a_start).map(|(_, s)| s);
                }
            }
            let Some((i, (_, b))) = chars.next() else {
                break;
            };
            let split = (after_term.is_some() || matches!(a, S::Cr | S::Lf)) && {
                let ahead = || std::iter::once(b).chain(chars.rest().map(|(_, s)| s));
                sentence_break(p2, a, b, after_term, ahead)
            };
            if split {
                f(at + start, &line[start..i]);
                start = i;
            }
            p2 = Some(a);
            a = b;
            after_term = after(after_term, b);
        }
        if start < line.len() {
            f(at + start, &line[start..]);
        }
    }
}

/// The state after `c`: behind `SATerm Close*` (`Some((aterm, false))`), behind
/// `SATerm Close* Sp+` (`Some((aterm, true))`), or neither.
#[inline]
fn after(state: Option<(bool, bool)>, c: S) -> Option<(bool, bool)> {
    match (c, state) {
        (S::ATerm, _) => Some((true, false)),
        (S::STerm, _) => Some((false, false)),
        (S::Close, Some((a, false))) => Some((a, false)),
        (S::Sp, Some((a, _))) => Some((a, true)),
        _ => None,
    }
}

/// Splits `text` after every line feed, with each piece's byte offset.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_inclusive('\n').scan(0, |at, line| {
        let here = *at;
        *at += line.len();
        Some((here, line))
    })
}

/// Whether UAX #29 puts a word boundary between `a` and `b` (`p2` before `a`, `next` after `b`).
/// The fast alphabet has no Extend, Format, ZWJ, Regional_Indicator, Hebrew_Letter, Katakana or
/// Extended_Pictographic characters, so rules WB3c, WB4, WB7a-c, WB13 and WB15-16 never apply.
#[inline]
fn word_break(p2: Option<W>, a: W, b: W, next: Option<W>) -> bool {
    use W::*;
    let mid_letter_q = |x: W| matches!(x, MidLetter | MidNumLet | SingleQuote);
    let mid_num_q = |x: W| matches!(x, MidNum | MidNumLet | SingleQuote);
    match (a, b) {
        (Cr, Lf) => false,                                                   // WB3
        (Cr | Lf | Newline, _) | (_, Cr | Lf | Newline) => true,             // WB3a, WB3b
        (Space, Space) => false,                                             // WB3d
        (Letter, Letter) => false,                                           // WB5
        (Letter, x) if mid_letter_q(x) && next == Some(Letter) => false,     // WB6
        (x, Letter) if mid_letter_q(x) && p2 == Some(Letter) => false,       // WB7
        (Numeric, Numeric) | (Letter, Numeric) | (Numeric, Letter) => false, // WB8-10
        (x, Numeric) if mid_num_q(x) && p2 == Some(Numeric) => false,        // WB11
        (Numeric, x) if mid_num_q(x) && next == Some(Numeric) => false,      // WB12
        (Letter | Numeric | ExtendNumLet, ExtendNumLet) => false,            // WB13a
        (ExtendNumLet, Letter | Numeric) => false,                           // WB13b
        _ => true,                                                           // WB999
    }
}

/// Whether UAX #29 puts a sentence boundary before `cats[k]`, given what precedes it. The fast
/// alphabet has no Extend, Format, Sep or OLetter characters, so SB5 never applies.
#[inline]
fn sentence_break<I: Iterator<Item = S>>(
    p2: Option<S>,
    a: S,
    b: S,
    after_term: Option<(bool, bool)>,
    ahead: impl FnOnce() -> I,
) -> bool {
    use S::*;
    if a == Cr && b == Lf {
        return false; // SB3
    }
    if matches!(a, Cr | Lf) {
        return true; // SB4
    }
    if a == ATerm {
        if b == Numeric {
            return false; // SB6
        }
        if b == Upper && matches!(p2, Some(Upper | Lower)) {
            return false; // SB7
        }
    }
    let Some((aterm, spaces)) = after_term else {
        return false; // SB998
    };
    if aterm {
        // SB8: ATerm Close* Sp* × ( ¬(OLetter | Upper | Lower | ParaSep | SATerm) )* Lower
        let first = ahead().find(|x| matches!(x, Upper | Lower | Cr | Lf | ATerm | STerm));
        if first == Some(Lower) {
            return false;
        }
    }
    if matches!(b, SContinue | ATerm | STerm) {
        return false; // SB8a
    }
    if !spaces && b == Close {
        return false; // SB9
    }
    if matches!(b, Sp | Cr | Lf) {
        return false; // SB9, SB10
    }
    true // SB11
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(t: &str) -> Vec<(usize, &str)> {
        let mut v = Vec::new();
        for_each_word(t, |i, s| v.push((i, s)));
        v
    }

    fn sentences(t: &str) -> Vec<(usize, &str)> {
        let mut v = Vec::new();
        for_each_sentence(t, |i, s| v.push((i, s)));
        v
    }

    fn check(t: &str) {
        let w: Vec<_> = t.split_word_bound_indices().collect();
        assert_eq!(words(t), w, "words of {t:?}");
        let mut tokens = Vec::new();
        for_each_token(t, |w| {
            assert_eq!(w.start, t[..w.byte].chars().count(), "{w:?} in {t:?}");
            assert_eq!(w.end, w.start + w.text.chars().count(), "{w:?} in {t:?}");
            tokens.push((w.byte, w.text));
        });
        let non_space: Vec<_> = w
            .into_iter()
            .filter(|(_, s)| !s.chars().all(char::is_whitespace))
            .collect();
        assert_eq!(tokens, non_space, "tokens of {t:?}");
        let s: Vec<_> = t.split_sentence_bound_indices().collect();
        assert_eq!(sentences(t), s, "sentences of {t:?}");
    }

    /// Every character the fast path knows, and some it does not.
    fn alphabet() -> Vec<char> {
        let mut v: Vec<char> = (0x20u8..0x7f).map(char::from).collect();
        v.extend(['\n', '\r', '\t', '\u{b}', '\u{c}']);
        v.extend("ÀÖØÞßöøÿé×÷\u{a0}£€°…‘’“”«»–—".chars());
        v.extend([
            '\u{301}', '東', 'ب', '😀', '\u{200d}', '\u{ad}', '。', '\u{2028}',
        ]);
        v
    }

    #[test]
    fn every_known_character_has_the_crate_properties_in_context() {
        // Every pair of characters inside a few contexts that exercise the look-behind and
        // look-ahead rules (WB6/7/11/12, SB6-11).
        let abc = alphabet();
        let contexts = [
            "a{}{}b", "1{}{}2", "A{}{} x", "x.{}{} a", "Ab.{}{}C", "a!{} {}b",
        ];
        for x in &abc {
            for y in &abc {
                for ctx in contexts {
                    let t = ctx
                        .replacen("{}", &x.to_string(), 1)
                        .replacen("{}", &y.to_string(), 1);
                    check(&t);
                }
            }
        }
    }

    /// The Unicode version of `unicode_segmentation`'s tables when the fast path's properties were
    /// last checked against them.
    const CHECKED_UNICODE_VERSION: (u64, u64, u64) = (17, 0, 0);

    #[test]
    fn unicode_segmentation_tables_are_the_checked_version() {
        assert_eq!(
            unicode_segmentation::UNICODE_VERSION,
            CHECKED_UNICODE_VERSION,
            "unicode-segmentation now follows another Unicode version: re-run the equality tests \
             (`cargo test -p spantag-core segment`: the unit tests here and the property in \
             tests/core/props.rs), check the fast path's break properties in `known` against \
             the new UAX #29, then update CHECKED_UNICODE_VERSION"
        );
    }

    #[test]
    fn news_text() {
        check("The mayor said: “It’s done.” Then – at 3.5 p.m. – U.S. officials left.\n\nNext?");
        check(
            "Costs rose 3,400.5 million (£48.5\u{a0}million). Really!? Yes… \"ok.\" and so\r\non.",
        );
        check("Zürich’s café: 12:30, don't e.g. stop. ÉTÉ à Paris! x_1 a.b 1.a\n");
        check("");
        check("\n\n\r\n\r");
    }
}

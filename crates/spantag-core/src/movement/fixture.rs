//! The selection notation of the movement tests (after helix's test helpers): a text with the
//! selection written inline. `|` alone is a caret; `[` and `]` enclose a selection and a `|` just
//! inside one of them marks the head (`"The [mayor|] said"`: anchor before `m`, head after `r`;
//! `"The [|mayor] said"`: head before `m`); `[` and `]` with no `|` enclose a span's range. The
//! fixture texts themselves hold no `[`, `]` or `|`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::Selection;
use std::ops::Range;

/// A parsed fixture: the plain text and the marked selection (for a range without `|`, the
/// anchor is its start and the head its end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    pub text: String,
    pub sel: Selection,
}

/// Parses the notation; panics on a malformed fixture (it is a test's own literal).
pub fn parse(marked: &str) -> Fixture {
    let mut text = String::new();
    let (mut open, mut close, mut bar) = (None, None, None);
    let mut n = 0;
    for c in marked.chars() {
        match c {
            '[' => open = Some(n),
            ']' => close = Some(n),
            '|' => {
                assert!(bar.is_none(), "two carets in {marked:?}");
                bar = Some(n);
            }
            c => {
                text.push(c);
                n += 1;
            }
        }
    }
    let sel = match (open, close, bar) {
        (None, None, Some(at)) => Selection::caret(at),
        (Some(a), Some(b), None) if a <= b => Selection::new(a, b),
        (Some(a), Some(b), Some(h)) if h == a && a < b => Selection::new(b, a),
        (Some(a), Some(b), Some(h)) if h == b && a < b => Selection::new(a, b),
        _ => panic!("malformed fixture {marked:?}"),
    };
    Fixture { text, sel }
}

/// The range of a fixture written as `[…]` (a span).
pub fn parse_range(marked: &str) -> (String, Range<usize>) {
    assert!(!marked.contains('|'), "a range has no head: {marked:?}");
    let f = parse(marked);
    (f.text, f.sel.range())
}

/// Writes `sel` into `text` in the notation [`parse`] reads.
pub fn print(text: &str, sel: Selection) -> String {
    let mut out = String::new();
    let r = sel.range();
    for (i, c) in text.chars().chain(std::iter::once('\0')).enumerate() {
        if sel.is_empty() && i == sel.head {
            out.push('|');
        } else if i == r.start && !sel.is_empty() {
            out.push_str(if sel.head == r.start { "[|" } else { "[" });
        } else if i == r.end && !sel.is_empty() {
            out.push_str(if sel.head == r.end { "|]" } else { "]" });
        }
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// Writes a span's range into `text` as `[…]`.
pub fn print_range(text: &str, range: Range<usize>) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().chain(std::iter::once('\0')).enumerate() {
        if i == range.start {
            out.push('[');
        }
        if i == range.end {
            out.push(']');
        }
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

#[test]
fn notation_round_trips() {
    for s in [
        "The [mayor|] said",
        "The [|mayor] said",
        "|The mayor",
        "The mayor|",
        "[|e\u{301}]x",
        "👩\u{200d}👩\u{200d}👧 [|🇫🇷]",
    ] {
        let f = parse(s);
        assert_eq!(print(&f.text, f.sel), s);
    }
    assert_eq!(parse("The [mayor|] said").sel, Selection::new(4, 9));
    assert_eq!(parse("The [|mayor] said").sel, Selection::new(9, 4));
    let (text, r) = parse_range("a [b c] d");
    assert_eq!((text.as_str(), r.clone()), ("a b c d", 2..5));
    assert_eq!(print_range(&text, r), "a [b c] d");
}

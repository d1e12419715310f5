//! Movement, written as `before → after` fixtures in the notation of [`super::fixture`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::fixture::{parse, parse_range, print, print_range};
use super::*;
use proptest::prelude::*;

use Boundary::{End, Start};
use Dir::{Back, Forward};
use Unit::{Char, Document, Line, Sentence, Token};

/// Runs `f` over the text of a fixture.
fn with_text<R>(text: &str, f: impl FnOnce(&Text) -> R) -> R {
    let index = TextIndex::new(text);
    f(&Text::new(text, &index))
}

/// A caret move or an extension.
type Op = fn(&Text, Selection, Unit, Dir) -> Selection;

/// `before`, moved by `moves` (each a caret move or an extension), is `after`.
#[track_caller]
fn check(before: &str, moves: &[(Op, Unit, Dir)], after: &str) {
    let f = parse(before);
    let got = with_text(&f.text, |t| {
        moves
            .iter()
            .fold(f.sel, |sel, (op, unit, dir)| op(t, sel, *unit, *dir))
    });
    assert_eq!(print(&f.text, got), after, "from {before:?} by {moves:?}");
}

/// One caret move.
#[track_caller]
fn caret(before: &str, unit: Unit, dir: Dir, after: &str) {
    check(before, &[(move_caret, unit, dir)], after);
}

/// One or more extensions.
#[track_caller]
fn ext(before: &str, steps: &[(Unit, Dir)], after: &str) {
    let moves: Vec<_> = steps.iter().map(|&(u, d)| (extend as Op, u, d)).collect();
    check(before, &moves, after);
}

/// One boundary move of a span written `[…]`.
#[track_caller]
fn resize(before: &str, which: Boundary, unit: Unit, dir: Dir, after: &str) {
    let (text, range) = parse_range(before);
    let got = with_text(&text, |t| move_boundary(t, range, which, unit, dir));
    assert_eq!(
        print_range(&text, got),
        after,
        "{which:?} {unit:?} {dir:?} from {before:?}"
    );
}

#[test]
fn extend_back_after_forward_never_keeps_the_space() {
    // The bug report: Shift+Right twice, Shift+Left once stored "Israel ".
    ext(
        "|Israel said",
        &[(Token, Forward), (Token, Forward), (Token, Back)],
        "[Israel|] said",
    );
    ext(
        "|Israel said",
        &[(Token, Forward), (Token, Forward)],
        "[Israel said|]",
    );
    // And back once more: the selection collapses on the anchor, then crosses it.
    ext("[Israel|] said", &[(Token, Back)], "|Israel said");
}

#[test]
fn extend_by_token_both_sides_of_the_anchor() {
    ext(
        "The [mayor|] said",
        &[(Token, Forward)],
        "The [mayor said|]",
    );
    ext("The [|mayor] said", &[(Token, Back)], "[|The mayor] said");
    // Moving towards the anchor shrinks by whole tokens, then collapses on the anchor.
    ext(
        "The [|mayor said]",
        &[(Token, Forward)],
        "The mayor [|said]",
    );
    ext("The [|mayor] said", &[(Token, Forward)], "The mayor| said");
    // From the end of the text backwards, then forward again: never " said".
    ext(
        "Israel said|",
        &[(Token, Back), (Token, Back), (Token, Forward)],
        "Israel [|said]",
    );
}

#[test]
fn extend_from_a_caret_in_whitespace_trims_the_anchor() {
    ext("The| mayor said", &[(Token, Forward)], "The [mayor|] said");
    ext("The |mayor said", &[(Token, Back)], "[|The] mayor said");
    ext("The  |  mayor", &[(Char, Forward)], "The    [m|]ayor");
}

#[test]
fn extend_across_a_mid_token_anchor() {
    // No token end between head and anchor: the head crosses to the token's start.
    ext("Isr[ael|] said", &[(Token, Back)], "[|Isr]ael said");
    ext("[|Isr]ael said", &[(Token, Forward)], "Isr[ael|] said");
}

#[test]
fn nothing_moves_at_the_ends_of_the_text() {
    for unit in [Char, Token, Line, Sentence, Document] {
        caret("|The mayor.", unit, Back, "|The mayor.");
        ext("|The mayor.", &[(unit, Back)], "|The mayor.");
        ext("[The mayor.|]", &[(unit, Forward)], "[The mayor.|]");
        ext("[|The mayor.]", &[(unit, Back)], "[|The mayor.]");
    }
    caret("The mayor.|", Char, Forward, "The mayor.|");
    caret("The mayor.|", Token, Forward, "The mayor.|");
    caret("The mayor.|", Line, Forward, "The mayor.|");
    caret("The mayor.|", Document, Forward, "The mayor.|");
    // An empty text and a text of whitespace only: a caret stays a caret.
    for unit in [Char, Token, Line, Sentence, Document] {
        for dir in [Back, Forward] {
            caret("|", unit, dir, "|");
            ext("|", &[(unit, dir)], "|");
            ext(" |\n ", &[(unit, dir)], " |\n ");
        }
    }
}

#[test]
fn caret_by_token_goes_to_token_starts() {
    caret("The ma|yor said", Token, Forward, "The mayor |said");
    caret("The ma|yor said", Token, Back, "The |mayor said");
    caret("The mayor |said", Token, Back, "The |mayor said");
    // Past the last token: its end, then the end of the text.
    caret("The mayor |said.\n", Token, Forward, "The mayor said|.\n");
    caret("The mayor said|.\n", Token, Forward, "The mayor said.|\n");
    caret("The mayor said.|\n", Token, Forward, "The mayor said.\n|");
    caret("  |The", Token, Back, "|  The");
    // A selection moves from its head.
    caret("The [mayor|] said", Token, Forward, "The mayor |said");
}

#[test]
fn caret_by_char_collapses_a_selection_first() {
    caret("The [mayor|] said", Char, Back, "The |mayor said");
    caret("The [|mayor] said", Char, Forward, "The mayor| said");
    caret("The m|ayor", Char, Back, "The |mayor");
    caret("The |mayor", Char, Back, "The| mayor");
}

#[test]
fn chars_never_split_emoji_sequences_or_flags() {
    let family = "👩\u{200d}👩\u{200d}👧";
    caret(
        &format!("|{family} family"),
        Char,
        Forward,
        &format!("{family}| family"),
    );
    caret(
        &format!("{family}| family"),
        Char,
        Back,
        &format!("|{family} family"),
    );
    ext(
        &format!("|{family} family"),
        &[(Char, Forward)],
        &format!("[{family}|] family"),
    );
    // The next character step skips the space and takes "f".
    ext(
        &format!("[{family}|] family"),
        &[(Char, Forward)],
        &format!("[{family} f|]amily"),
    );
    ext(
        &format!("[{family} f|]amily"),
        &[(Char, Back)],
        &format!("[{family}|] family"),
    );
    caret("🇫🇷🇩🇪|", Char, Back, "🇫🇷|🇩🇪");
    ext("🇫🇷🇩🇪|", &[(Char, Back)], "🇫🇷[|🇩🇪]");
    ext("|👍🏽 ok", &[(Char, Forward)], "[👍🏽|] ok");
}

#[test]
fn chars_keep_combining_marks_with_their_letter() {
    caret("cafe\u{301}| noir", Char, Back, "caf|e\u{301} noir");
    caret("caf|e\u{301} noir", Char, Forward, "cafe\u{301}| noir");
    // A caret inside a cluster steps to the cluster's edges.
    caret("cafe|\u{301} noir", Char, Forward, "cafe\u{301}| noir");
    caret("cafe|\u{301} noir", Char, Back, "caf|e\u{301} noir");
    ext("cafe\u{301}| noir", &[(Char, Back)], "caf[|e\u{301}] noir");
    resize("[cafe\u{301}] noir", End, Char, Back, "[caf]e\u{301} noir");
    resize(
        "[caf]e\u{301} noir",
        End,
        Char,
        Forward,
        "[cafe\u{301}] noir",
    );
}

#[test]
fn cjk_tokens_are_single_ideographs() {
    caret("東京都|に住む", Token, Back, "東京|都に住む");
    ext("|東京都に住む", &[(Token, Forward)], "[東|]京都に住む");
    ext(
        "|東京都に住む",
        &[(Char, Forward), (Char, Forward)],
        "[東京|]都に住む",
    );
    resize("[東京]都に住む", End, Token, Forward, "[東京都]に住む");
}

#[test]
fn arabic_moves_in_logical_order() {
    let said = "قال الرئيس إن";
    ext(&format!("{said}|"), &[(Token, Back)], "قال الرئيس [|إن]");
    ext(
        &format!("{said}|"),
        &[(Token, Back), (Token, Back), (Token, Forward)],
        "قال الرئيس [|إن]",
    );
    // Vowel marks (harakat) stay on their letter.
    ext("|مُحَمَّد", &[(Char, Forward)], "[مُ|]حَمَّد");
    resize("[مُحَمَّد] قال", End, Token, Forward, "[مُحَمَّد قال]");
}

#[test]
fn lines_of_a_crlf_text_end_at_the_line_feed() {
    let (text, _) = crate::import::normalize_line_endings("First line\r\nSecond line\r\n".into());
    assert_eq!(text, "First line\nSecond line\n");
    caret(
        "|First line\nSecond line\n",
        Line,
        Forward,
        "First line|\nSecond line\n",
    );
    caret(
        "First line|\nSecond line\n",
        Line,
        Forward,
        "First line\nSecond line|\n",
    );
    caret(
        "First line\nSecond| line\n",
        Line,
        Back,
        "First line\n|Second line\n",
    );
    caret(
        "First line\n|Second line\n",
        Line,
        Back,
        "|First line\nSecond line\n",
    );
    ext(
        "First line\nSecond| line\n",
        &[(Line, Back)],
        "First line\n[|Second] line\n",
    );
    ext(
        "[First|] line\nSecond line\n",
        &[(Line, Forward)],
        "[First line|]\nSecond line\n",
    );
    ext(
        "[First|] line\nSecond line\n",
        &[(Line, Forward), (Line, Forward)],
        "[First line\nSecond line|]\n",
    );
    with_text("First line\nSecond line\n", |t| {
        assert_eq!((line_start(t, 14), line_end(t, 14)), (11, 22));
        assert_eq!(
            (line_start(t, 10), line_end(t, 10)),
            (0, 10),
            "a \\n ends its line"
        );
        assert_eq!(
            (line_start(t, 23), line_end(t, 23)),
            (23, 23),
            "the empty last line"
        );
    });
}

#[test]
fn blank_lines_hold_no_line_text() {
    ext("One\n\n\nTwo|", &[(Line, Back)], "One\n\n\n[|Two]");
    ext(
        "One\n\n\nTwo|",
        &[(Line, Back), (Line, Back)],
        "[|One\n\n\nTwo]",
    );
    ext("[|One\n\n\nTwo]", &[(Line, Forward)], "One\n\n\n[|Two]");
    // The caret stops on every line, blank ones too.
    caret("One\n\n|\nTwo", Line, Back, "One\n|\n\nTwo");
    caret("One\n|\n\nTwo", Line, Forward, "One\n\n|\nTwo");
    caret("One|\n\n\nTwo", Line, Forward, "One\n|\n\nTwo");
    resize(
        "[One]\n\n  \nTwo  ",
        End,
        Line,
        Forward,
        "[One\n\n  \nTwo]  ",
    );
    resize("One\n\n  \n[Two]", Start, Line, Back, "[One\n\n  \nTwo]");
}

#[test]
fn sentences() {
    let text = "He left. She stayed. Fine.";
    caret(
        "He left. She st|ayed. Fine.",
        Sentence,
        Back,
        "He left. |She stayed. Fine.",
    );
    caret(
        "He left. She st|ayed. Fine.",
        Sentence,
        Forward,
        "He left. She stayed. |Fine.",
    );
    ext(
        &format!("|{text}"),
        &[(Sentence, Forward)],
        "[He left.|] She stayed. Fine.",
    );
    ext(
        "[He left. She stayed.|] Fine.",
        &[(Sentence, Back)],
        "[He left.|] She stayed. Fine.",
    );
    resize(
        "He left. [She] stayed. Fine.",
        End,
        Sentence,
        Forward,
        "He left. [She stayed.] Fine.",
    );
    resize(
        "He left. [She] stayed. Fine.",
        Start,
        Sentence,
        Back,
        "[He left. She] stayed. Fine.",
    );
    resize(
        "He left. S[he] stayed. Fine.",
        Start,
        Sentence,
        Back,
        "He left. [She] stayed. Fine.",
    );
}

#[test]
fn document_ends() {
    ext(
        "The [may|]or said\n\n",
        &[(Document, Forward)],
        "The [mayor said|]\n\n",
    );
    ext(
        "\n  The [may|]or said",
        &[(Document, Back)],
        "\n  [|The] mayor said",
    );
    caret(
        "The ma|yor said\n\n",
        Document,
        Forward,
        "The mayor said\n\n|",
    );
    caret("The ma|yor said\n\n", Document, Back, "|The mayor said\n\n");
    resize(
        " The [mayor] said. ",
        Start,
        Document,
        Back,
        " [The mayor] said. ",
    );
    resize(
        " The [mayor] said. ",
        End,
        Document,
        Forward,
        " The [mayor said.] ",
    );
}

#[test]
fn span_boundaries_by_token() {
    resize("The [mayor] said", Start, Token, Back, "[The mayor] said");
    resize(
        "[The mayor] said",
        Start,
        Token,
        Forward,
        "The [mayor] said",
    );
    resize("The [mayor] said", End, Token, Forward, "The [mayor said]");
    resize("The [mayor said]", End, Token, Back, "The [mayor] said");
    // Never empty: a one-token span does not give up its token.
    resize(
        "The [mayor] said",
        Start,
        Token,
        Forward,
        "The [mayor] said",
    );
    resize("The [mayor] said", End, Token, Back, "The [mayor] said");
    // No token beyond: unchanged.
    resize("[The] mayor", Start, Token, Back, "[The] mayor");
    resize("The [mayor]", End, Token, Forward, "The [mayor]");
}

#[test]
fn span_boundaries_by_char_skip_whitespace() {
    resize("The [mayor] said", End, Char, Back, "The [mayo]r said");
    resize("The [mayor] said", End, Char, Forward, "The [mayor s]aid");
    resize("The [mayor] said", Start, Char, Back, "Th[e mayor] said");
    resize("The [mayor] said", Start, Char, Forward, "The m[ayor] said");
    resize("The [m]ayor said", Start, Char, Forward, "The [m]ayor said");
    resize("The [mayor s]aid", End, Char, Back, "The [mayor] said");
}

#[test]
fn nested_spans_move_independently() {
    // A claim holding an actor: moving the actor's end forward reaches and passes the claim's
    // end; each result is just the inner range, never empty, never ending in whitespace.
    let claim = "[He said the mayor left.] Later";
    let (text, outer) = parse_range(claim);
    let inner = 8..17;
    assert_eq!(&text[inner.clone()], "the mayor");
    let steps: Vec<String> = with_text(&text, |t| {
        let mut r = inner.clone();
        let mut out = Vec::new();
        for _ in 0..4 {
            r = move_boundary(t, r, End, Token, Forward);
            out.push(print_range(&text, r.clone()));
        }
        // The claim itself shrinks from the start past the inner span's start.
        let mut o = outer.clone();
        for _ in 0..3 {
            o = move_boundary(t, o, Start, Token, Forward);
        }
        out.push(print_range(&text, o));
        out
    });
    assert_eq!(
        steps,
        [
            "He said [the mayor left]. Later",
            "He said [the mayor left.] Later",
            "He said [the mayor left. Later]",
            "He said [the mayor left. Later]",
            "He said the [mayor left.] Later",
        ]
    );
}

#[test]
fn tokens_holding_whitespace_are_trimmed() {
    // U+202F (narrow no-break space) joins a letter to the token before it (UAX #29 WB13a).
    ext("|x\u{202f} y", &[(Token, Forward)], "[x|]\u{202f} y");
    resize("[x]\u{202f} y", End, Token, Forward, "[x\u{202f} y]");
}

#[test]
fn trimming_and_extending_to_a_point() {
    with_text("The mayor  said", |t| {
        assert_eq!(trim_to_text(t, 3..11), 4..9);
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 11..3;
        assert_eq!(trim_to_text(t, reversed), 4..9);
        assert_eq!(trim_to_text(t, 9..11), 9..9, "whitespace only");
        assert_eq!(trim_to_text(t, 4..99), 4..15, "clamped");
    });
    // Inside an emoji sequence or a letter with its mark: widened to the whole cluster.
    with_text("a 👩\u{200d}👩\u{200d}👧 e\u{301}", |t| {
        assert_eq!(trim_to_text(t, 3..4), 2..7);
        assert_eq!(trim_to_text(t, 8..9), 8..10);
    });
    // Shift+End, Shift+Home on a text line.
    let f = parse("  The |mayor said  \nNext");
    let after = with_text(&f.text, |t| {
        let end = line_end(t, f.sel.head);
        let start = line_start(t, f.sel.head);
        (
            print(&f.text, extend_to(t, f.sel, end)),
            print(&f.text, extend_to(t, f.sel, start)),
        )
    });
    assert_eq!(after.0, "  The [mayor said|]  \nNext");
    assert_eq!(after.1, "  [|The] mayor said  \nNext");
}

/// Text pieces for random texts: scripts, clusters and whitespace that movement must respect.
const PIECES: &[&str] = &[
    "a",
    "Mayor",
    "3.5",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\t",
    "\u{a0}",
    "\u{202f}",
    "e\u{301}",
    "\u{301}",
    "👩\u{200d}👩\u{200d}👧",
    "🇫🇷",
    "🇩",
    "👍🏽",
    "東",
    "京",
    "قال",
    "مُحَمَّد",
    ".",
    "!",
    "? ",
    ",",
    "\u{600}",
    "\u{200d}",
    "Dr. ",
    "«",
    "»",
];

fn random_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(PIECES), 0..24).prop_map(|v| v.concat())
}

/// Code point offsets that are grapheme boundaries, the end included.
fn boundaries(text: &str) -> Vec<usize> {
    let mut out: Vec<usize> = text
        .grapheme_indices(true)
        .map(|(b, _)| text[..b].chars().count())
        .collect();
    out.push(text.chars().count());
    out
}

/// Why `r` is not a trimmed range on grapheme boundaries of `text`, if it is not.
fn fault(text: &str, r: &Range<usize>, bounds: &[usize]) -> Option<String> {
    let len = text.chars().count();
    if r.start > r.end || r.end > len {
        return Some(format!("{r:?} out of bounds ({len})"));
    }
    if !bounds.contains(&r.start) || !bounds.contains(&r.end) {
        return Some(format!("{r:?} splits a grapheme cluster"));
    }
    let covered: Vec<char> = text.chars().skip(r.start).take(r.end - r.start).collect();
    let bad = |c: Option<&char>| c.is_some_and(|c| c.is_whitespace());
    (bad(covered.first()) || bad(covered.last())).then(|| {
        format!(
            "{r:?} = {:?} has whitespace at an edge",
            covered.iter().collect::<String>()
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn moves_stay_on_text(text in random_text(), a in 0usize..200, h in 0usize..200) {
        let len = text.chars().count();
        let bounds = boundaries(&text);
        let sel = Selection::new(a % (len + 1), h % (len + 1));
        with_text(&text, |t| {
            for unit in [Char, Token, Line, Sentence, Document] {
                for dir in [Back, Forward] {
                    let c = move_caret(t, sel, unit, dir);
                    prop_assert!(c.is_empty() && bounds.contains(&c.head), "caret {c:?}");
                    let e = extend(t, sel, unit, dir);
                    if let Some(why) = fault(&text, &e.range(), &bounds) {
                        prop_assert!(false, "extend {unit:?} {dir:?} from {sel:?}: {why}");
                    }
                    // Trimmed spans stay trimmed and non-empty.
                    let span = trim_to_text(t, sel.range());
                    if let Some(why) = fault(&text, &span, &bounds) {
                        prop_assert!(false, "trim_to_text {:?}: {why}", sel.range());
                    }
                    if span.is_empty() {
                        continue;
                    }
                    for which in [Start, End] {
                        let r = move_boundary(t, span.clone(), which, unit, dir);
                        prop_assert!(!r.is_empty(), "{which:?} {unit:?} {dir:?}: empty");
                        if let Some(why) = fault(&text, &r, &bounds) {
                            prop_assert!(false, "{which:?} {unit:?} {dir:?} of {span:?}: {why}");
                        }
                    }
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn extend_there_and_back(text in random_text(), at in 0usize..200) {
        with_text(&text, |t| {
            for unit in [Char, Token, Line, Sentence, Document] {
                // From a caret at the start of a unit, one step forward and one back gives the
                // caret back.
                let starts: Vec<usize> = Units { t, unit }.forward(0).map(|r| r.start).collect();
                let Some(&start) = starts.get(at % starts.len().max(1)) else {
                    continue;
                };
                let one = extend(t, Selection::caret(start), unit, Forward);
                let back = extend(t, one, unit, Back);
                prop_assert_eq!(back, Selection::caret(start), "{:?} via {:?}", unit, one);
                // Two steps forward and one back is one step forward (the bug report).
                let two = extend(t, one, unit, Forward);
                if two != one {
                    prop_assert_eq!(extend(t, two, unit, Back), one, "{:?} via {:?}", unit, two);
                }
            }
            Ok(())
        })?;
    }
}

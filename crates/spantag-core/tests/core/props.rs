//! Property tests of the core: offset conversions on arbitrary Unicode, edit/inverse round trips,
//! save → load → save byte identity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use spantag_core::edit::Edit;
use spantag_core::history::{Cursor, Workspace};
use spantag_core::markup::project_from_markup;
use spantag_core::model::{Label, Project, Span, SpanId, Status};
use spantag_core::project_io;
use spantag_core::text::TextIndex;
use spantag_core::time::Timestamp;
use std::path::Path;
use std::sync::Arc;

/// Pieces that stress offsets: emoji ZWJ sequences, flags, combining marks, CJK, Arabic, Hebrew,
/// NBSP, CRLF, quotes, brackets and plain words.
const PIECES: &[&str] = &[
    "The mayor",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "👩‍👩‍👧",
    "👍🏽",
    "🇫🇷",
    "e\u{301}",
    "a\u{308}\u{323}",
    "東京都",
    "中文",
    "مرحبا بالعالم",
    "שלום",
    "\u{a0}",
    "“quoted”",
    "it’s",
    "3.5",
    "1,200",
    "–",
    ".",
    "[x]",
    "\\",
    "#\"r#",
    "Ω",
    "\u{200b}",
    "𝔘𝔫𝔦",
];

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|v| v.concat())
}

fn any_unicode() -> impl Strategy<Value = String> {
    prop_oneof![text_strategy(), any::<String>()]
}

/// Pieces of European news text: the alphabet of the fast segmentation path, with a few
/// characters outside it so that both paths and their seams are exercised.
const NEWS_PIECES: &[&str] = &[
    "mayor", "U", "S", "Zürich", "ÉTÉ", "a", "3", "400", " ", " ", "  ", "\n", "\n\n", "\r\n",
    "\t", ".", ".", ",", ";", ":", "!", "?", "'", "\"", "(", ")", "-", "_", "’", "‘", "“", "”",
    "–", "—", "…", "\u{a0}", "£", "%", "«", "»", "e\u{301}", "\u{301}", "\u{200d}", "\u{ad}", "東",
    "😀", "🇫🇷", "🇩🇪",
];

proptest! {
    #[test]
    fn fast_segmentation_matches_unicode_segmentation(
        text in prop::collection::vec(prop::sample::select(NEWS_PIECES), 0..60).prop_map(|v| v.concat())
    ) {
        use unicode_segmentation::UnicodeSegmentation;
        let mut words = Vec::new();
        spantag_core::segment::for_each_word(&text, |i, s| words.push((i, s)));
        prop_assert_eq!(&words, &text.split_word_bound_indices().collect::<Vec<_>>());
        // Tokens: the segments that are not all whitespace, with exact code point offsets.
        let mut tokens = Vec::new();
        spantag_core::segment::for_each_token(&text, |w| tokens.push((w.byte, w.start, w.end, w.text)));
        let expected: Vec<_> = words
            .iter()
            .filter(|(_, s)| !s.chars().all(char::is_whitespace))
            .map(|&(i, s)| {
                let start = text[..i].chars().count();
                (i, start, start + s.chars().count(), s)
            })
            .collect();
        prop_assert_eq!(tokens, expected);
        let mut sentences = Vec::new();
        spantag_core::segment::for_each_sentence(&text, |i, s| sentences.push((i, s)));
        prop_assert_eq!(sentences, text.split_sentence_bound_indices().collect::<Vec<_>>());
    }

    #[test]
    fn offset_conversions_are_exact(text in any_unicode()) {
        let ix = TextIndex::new(&text);
        prop_assert_eq!(ix.len_chars(), text.chars().count());
        prop_assert_eq!(ix.len_bytes(), text.len());
        prop_assert_eq!(ix.len_utf16(), text.encode_utf16().count());
        let mut u16 = 0;
        for (n, (b, c)) in text.char_indices().enumerate() {
            prop_assert_eq!(ix.char_to_byte(&text, n), Some(b));
            prop_assert_eq!(ix.byte_to_char(&text, b), Some(n));
            prop_assert_eq!(ix.char_to_utf16(&text, n), Some(u16));
            prop_assert_eq!(ix.utf16_to_char(&text, u16), Some(n));
            if c.len_utf16() == 2 {
                prop_assert_eq!(ix.utf16_to_char(&text, u16 + 1), None);
            }
            for k in 1..c.len_utf8() {
                prop_assert_eq!(ix.byte_to_char(&text, b + k), None);
            }
            u16 += c.len_utf16();
        }
        let n = ix.len_chars();
        prop_assert_eq!(ix.char_to_byte(&text, n), Some(text.len()));
        prop_assert_eq!(ix.char_to_utf16(&text, n), Some(u16));
        prop_assert_eq!(ix.char_to_byte(&text, n + 1), None);
    }

    #[test]
    fn tokens_and_sentences_are_sorted_and_cover_no_whitespace(text in text_strategy()) {
        let ix = TextIndex::new(&text);
        let mut last = 0;
        for t in ix.tokens() {
            prop_assert!(t.start >= last && t.start < t.end);
            let s = ix.slice(&text, t.clone()).unwrap_or_default();
            prop_assert!(!s.chars().all(char::is_whitespace));
            last = t.end;
        }
        let mut last = 0;
        for s in ix.sentences() {
            prop_assert!(s.start >= last && s.start < s.end);
            last = s.end;
        }
        // Every token lookup finds the token it came from.
        for (i, t) in ix.tokens().iter().enumerate() {
            prop_assert_eq!(ix.token_at(t.start), Some(i));
            prop_assert_eq!(ix.token_at(t.end - 1), Some(i));
            prop_assert_eq!(ix.snap_to_tokens(t.clone()), Some(t.clone()));
        }
    }
}

/// A random edit script over a small project: operations chosen by index, resolved against the
/// current state so most are valid (invalid ones must fail without changing anything).
#[derive(Debug, Clone)]
enum Op {
    Add {
        doc: usize,
        a: usize,
        b: usize,
        label: usize,
    },
    Remove {
        pick: usize,
    },
    Relabel {
        pick: usize,
        label: usize,
    },
    Resize {
        pick: usize,
        a: usize,
        b: usize,
    },
    Note {
        pick: usize,
        note: Option<String>,
    },
    Review {
        pick: usize,
        status: usize,
    },
    Done {
        doc: usize,
        done: bool,
    },
    RemoveDoc {
        doc: usize,
    },
    RenameLabel {
        label: usize,
        name: String,
    },
    AddLabel {
        name: String,
    },
    RemoveLabel {
        label: usize,
    },
    Link {
        from: usize,
        to: usize,
        kind: usize,
    },
    Unlink {
        pick: usize,
    },
    Reverse {
        pick: usize,
        kind: usize,
    },
    RetypeAll {
        kind: usize,
        name: String,
    },
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, 0..60usize, 0..60usize, 0..5usize).prop_map(|(doc, a, b, label)| Op::Add { doc, a, b, label }),
        2 => any::<usize>().prop_map(|pick| Op::Remove { pick }),
        2 => (any::<usize>(), 0..5usize).prop_map(|(pick, label)| Op::Relabel { pick, label }),
        2 => (any::<usize>(), 0..60usize, 0..60usize).prop_map(|(pick, a, b)| Op::Resize { pick, a, b }),
        1 => (any::<usize>(), prop::option::of("[a-z “”👍]{0,6}")).prop_map(|(pick, note)| Op::Note { pick, note }),
        1 => (any::<usize>(), 0..4usize).prop_map(|(pick, status)| Op::Review { pick, status }),
        1 => (0..2usize, any::<bool>()).prop_map(|(doc, done)| Op::Done { doc, done }),
        1 => (0..2usize).prop_map(|doc| Op::RemoveDoc { doc }),
        1 => (0..5usize, "[a-z]{1,5}").prop_map(|(label, name)| Op::RenameLabel { label, name }),
        1 => "[a-z]{1,5}".prop_map(|name| Op::AddLabel { name }),
        1 => (0..5usize).prop_map(|label| Op::RemoveLabel { label }),
        3 => (any::<usize>(), any::<usize>(), 0..3usize).prop_map(|(from, to, kind)| Op::Link { from, to, kind }),
        1 => any::<usize>().prop_map(|pick| Op::Unlink { pick }),
        1 => (any::<usize>(), 0..3usize).prop_map(|(pick, kind)| Op::Reverse { pick, kind }),
        1 => (0..3usize, "[a-z]{1,5}").prop_map(|(kind, name)| Op::RetypeAll { kind, name }),
    ]
}

fn fixture() -> Project {
    project_from_markup(
        "props",
        &[
            (
                "a",
                "[claim [actor The mayor] of [place Zürich] said 👩‍👩‍👧 [number 40] jobs]\r\nwould go.",
            ),
            (
                "b",
                "東京都 e\u{301}t\u{a0}[place مرحبا بالعالم] “[actor it’s]” – 3.5 km\n\nEnd.",
            ),
        ],
        "ana",
        Timestamp(1_795_000_000),
    )
    .expect("fixture parses")
}

fn resolve(p: &Project, op: &Op) -> Option<Edit> {
    let spans: Vec<(String, &Span)> = p
        .documents
        .iter()
        .flat_map(|d| d.spans.iter().map(move |s| (d.id.clone(), s)))
        .collect();
    let pick = |k: usize| (!spans.is_empty()).then(|| &spans[k % spans.len()]);
    let label = |k: usize| {
        p.labels
            .get(k % p.labels.len().max(1))
            .map(|l| l.name.clone())
    };
    let doc = |k: usize| {
        p.documents
            .get(k % p.documents.len().max(1))
            .map(|d| d.id.clone())
    };
    Some(match op.clone() {
        Op::Add {
            doc: d,
            a,
            b,
            label: l,
        } => {
            let d = doc(d)?;
            let mut span = p
                .make_span(&d, a.min(b), a.max(b), &label(l)?, "ben")
                .ok()?;
            span.created = Timestamp(1_795_000_100);
            Edit::AddSpan { doc: d, span }
        }
        Op::Remove { pick: k } => {
            let (d, s) = pick(k)?;
            Edit::RemoveSpan {
                doc: d.clone(),
                span: s.id,
            }
        }
        Op::Relabel { pick: k, label: l } => {
            let (d, s) = pick(k)?;
            Edit::Relabel {
                doc: d.clone(),
                span: s.id,
                label: label(l)?,
            }
        }
        Op::Resize { pick: k, a, b } => {
            let (d, s) = pick(k)?;
            Edit::Resize {
                doc: d.clone(),
                span: s.id,
                start: a.min(b),
                end: a.max(b),
            }
        }
        Op::Note { pick: k, note } => {
            let (d, s) = pick(k)?;
            Edit::SetNote {
                doc: d.clone(),
                span: s.id,
                note,
            }
        }
        Op::Review { pick: k, status } => {
            let (d, s) = pick(k)?;
            Edit::SetReview {
                doc: d.clone(),
                span: s.id,
                status: Status::ALL[status],
                review: Some(spantag_core::model::Review {
                    reviewer: "cy".into(),
                    time: Timestamp(1_795_000_200),
                    note: None,
                }),
            }
        }
        Op::Done { doc: d, done } => Edit::SetDone { doc: doc(d)?, done },
        Op::RemoveDoc { doc: d } => Edit::RemoveDocument { doc: doc(d)? },
        Op::RenameLabel { label: l, name } => {
            let old = p.labels.get(l % p.labels.len().max(1))?;
            Edit::ChangeLabel {
                name: old.name.clone(),
                label: Label {
                    name,
                    ..old.clone()
                },
            }
        }
        Op::AddLabel { name } => Edit::AddLabel {
            index: 0,
            label: Label::with_defaults(&name, 7),
        },
        Op::RemoveLabel { label: l } => Edit::RemoveLabel { name: label(l)? },
        Op::Link { from, to, kind } => {
            // Two spans of the same document (either may be nested in or overlap the other).
            let (d, a) = pick(from)?;
            let doc_spans: Vec<&Span> = spans
                .iter()
                .filter(|(e, _)| e == d)
                .map(|(_, s)| *s)
                .collect();
            let b = doc_spans[to % doc_spans.len()];
            let mut relation = p
                .make_relation(d, a.id, b.id, &relation_type(p, kind)?, "ben")
                .ok()?;
            relation.created = Timestamp(1_795_000_300);
            Edit::AddRelation {
                doc: d.clone(),
                relation,
            }
        }
        Op::Unlink { pick: k } => {
            let (d, r) = pick_relation(p, k)?;
            Edit::RemoveRelation {
                doc: d,
                relation: r.id,
            }
        }
        Op::Reverse { pick: k, kind } => {
            let (d, r) = pick_relation(p, k)?;
            let mut changed = r.clone();
            (changed.from, changed.to) = (r.to, r.from);
            changed.kind = relation_type(p, kind)?;
            Edit::ChangeRelation {
                doc: d,
                relation: changed,
            }
        }
        Op::RetypeAll { kind, name } => {
            let old = p.relation_types.get(kind % p.relation_types.len().max(1))?;
            Edit::ChangeRelationType {
                name: old.name.clone(),
                rtype: spantag_core::model::RelationType {
                    name,
                    ..old.clone()
                },
            }
        }
    })
}

/// The name of relation type `k` (modulo their number), or `nope` when `k` is past them (an
/// unknown type, refused).
fn relation_type(p: &Project, k: usize) -> Option<String> {
    Some(
        p.relation_types
            .get(k)
            .map_or_else(|| "nope".to_owned(), |t| t.name.clone()),
    )
}

fn pick_relation(p: &Project, k: usize) -> Option<(String, spantag_core::model::Relation)> {
    let all: Vec<(String, &spantag_core::model::Relation)> = p
        .documents
        .iter()
        .flat_map(|d| d.relations.iter().map(move |r| (d.id.clone(), r)))
        .collect();
    let (d, r) = all.get(k % all.len().max(1))?;
    Some((d.clone(), (*r).clone()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Applying any edit and then its inverse restores the project exactly; failing edits change
    /// nothing; undo of a whole script returns to the start and redo replays it.
    #[test]
    fn edits_invert_and_history_round_trips(ops in prop::collection::vec(op_strategy(), 1..25)) {
        let start = fixture();
        let mut p = start.clone();
        let mut ws = Workspace::new(start.clone());
        let mut states = vec![start.documents.clone()];
        for op in &ops {
            let Some(edit) = resolve(&p, op) else { continue };
            let before = p.clone();
            match p.apply(edit.clone()) {
                Ok(inverse) => {
                    let after = p.clone();
                    let mut undone = after.clone();
                    let redo = undone.apply(inverse).expect("an inverse applies");
                    prop_assert_eq!(&undone.documents, &before.documents);
                    prop_assert_eq!(&undone.labels, &before.labels);
                    let mut again = undone;
                    again.apply(redo).expect("the inverse of the inverse applies");
                    prop_assert_eq!(&again.documents, &after.documents);
                    ws.apply("op", vec![edit], Cursor::default(), Cursor::default()).expect("the same edit applies in the workspace");
                    prop_assert_eq!(&ws.project().documents, &p.documents);
                    states.push(p.documents.clone());
                    // Spans stay sorted.
                    for d in &p.documents {
                        prop_assert!(d.spans.windows(2).all(|w| w[0].order_key() <= w[1].order_key()));
                    }
                }
                Err(_) => prop_assert_eq!(&p, &before),
            }
        }
        let end_rev = ws.revision();
        while ws.undo().is_some() {
            states.pop();
            prop_assert_eq!(Some(&ws.project().documents), states.last());
        }
        prop_assert_eq!(&ws.project().documents, &start.documents);
        prop_assert!(!ws.is_dirty());
        while ws.redo().is_some() {}
        prop_assert_eq!(&ws.project().documents, &p.documents);
        prop_assert_eq!(ws.revision(), end_rev);
    }

    /// Save → load → save is byte-identical, and load gives back the same project.
    #[test]
    fn save_load_save_is_byte_identical(ops in prop::collection::vec(op_strategy(), 0..15), title in any_unicode()) {
        let mut p = fixture();
        p.name = title;
        for op in &ops {
            if let Some(edit) = resolve(&p, op) {
                let _ = p.apply(edit);
            }
        }
        p.normalize();
        let first = project_io::to_ron_string(&p).expect("serializes");
        let loaded = project_io::from_ron_str(&first, Path::new("t.ron")).expect("loads back");
        prop_assert_eq!(&loaded, &p);
        let second = project_io::to_ron_string(&loaded).expect("serializes");
        prop_assert_eq!(first, second);
    }
}

#[test]
fn grouped_edits_undo_as_one_step() {
    let mut ws = Workspace::new(fixture());
    let doc = "a";
    let s1 = ws
        .project()
        .make_span(doc, 0, 3, "actor", "ben")
        .expect("span");
    let mut s2 = ws
        .project()
        .make_span(doc, 4, 9, "place", "ben")
        .expect("span");
    s2.id = SpanId(s1.id.0 + 1);
    ws.apply(
        "two spans",
        vec![
            Edit::AddSpan {
                doc: doc.into(),
                span: s1,
            },
            Edit::AddSpan {
                doc: doc.into(),
                span: s2,
            },
        ],
        Cursor::default(),
        Cursor::default(),
    )
    .expect("applies");
    assert!(ws.is_dirty());
    assert_eq!(ws.project().doc(doc).map(|d| d.spans.len()), Some(6));
    assert_eq!(
        ws.undo().map(|c| c.description).as_deref(),
        Some("two spans")
    );
    assert_eq!(ws.project().doc(doc).map(|d| d.spans.len()), Some(4));
    assert!(!ws.is_dirty());
    ws.redo();
    assert_eq!(ws.project().doc(doc).map(|d| d.spans.len()), Some(6));
    // A group with a failing edit changes nothing and records no step.
    let bad = ws
        .project()
        .make_span(doc, 0, 3, "actor", "ben")
        .expect("span");
    let rev = ws.revision();
    let dup = Edit::AddSpan {
        doc: doc.into(),
        span: bad,
    };
    let remove = Edit::RemoveSpan {
        doc: doc.into(),
        span: SpanId(1),
    };
    assert!(
        ws.apply(
            "bad",
            vec![remove, dup],
            Cursor::default(),
            Cursor::default()
        )
        .is_err()
    );
    assert_eq!(ws.revision(), rev);
    assert_eq!(ws.project().doc(doc).map(|d| d.spans.len()), Some(6));
    assert_eq!(ws.undo_description(), Some("two spans"));
}

#[test]
fn duplicates_and_unknown_labels_are_refused() {
    let mut p = fixture();
    let dup = p.make_span("a", 0, 9, "actor", "ben").expect("span");
    assert_eq!(
        p.apply(Edit::AddSpan {
            doc: "a".into(),
            span: dup
        })
        .map(|_| ()),
        Err(spantag_core::edit::EditError::Duplicate {
            start: 0,
            end: 9,
            label: "actor".into()
        })
    );
    // Same range, other label: allowed (spans may overlap and nest freely).
    let other = p.make_span("a", 0, 9, "place", "ben").expect("span");
    assert!(
        p.apply(Edit::AddSpan {
            doc: "a".into(),
            span: other
        })
        .is_ok()
    );
    let unknown = p.make_span("a", 0, 9, "person", "ben").expect("span");
    assert!(
        p.apply(Edit::AddSpan {
            doc: "a".into(),
            span: unknown
        })
        .is_err()
    );
    assert!(p.make_span("a", 5, 5, "actor", "ben").is_err());
    assert!(p.make_span("a", 5, 500, "actor", "ben").is_err());
}

#[test]
fn markup_fixture_reads_like_the_text() {
    let p = fixture();
    let d = p.doc("a").expect("doc a");
    let shown = spantag_core::markup::render(
        &d.text,
        d.spans.iter().map(|s| (s.start, s.end, s.label.as_str())),
    );
    assert_eq!(
        shown,
        "[claim [actor The mayor] of [place Zürich] said 👩‍👩‍👧 [number 40] jobs]\r\nwould go."
    );
    let texts: Vec<&str> = d.spans.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "The mayor of Zürich said 👩‍👩‍👧 40 jobs",
            "The mayor",
            "Zürich",
            "40"
        ]
    );
}

/// Replacing every document (merging a comparison again) is one edit whose inverse puts the old
/// documents back; duplicate ids and unknown labels are refused without a change.
#[test]
fn replacing_every_document_inverts_and_is_checked() {
    let start = fixture();
    let other = project_from_markup(
        "other",
        &[
            ("x", "[place Zürich] 🇨🇭 and [actor Ōno e\u{301}]"),
            ("y", "Москва [number 12]"),
        ],
        "ben",
        Timestamp(0),
    )
    .expect("markup");
    let mut p = start.clone();
    let inverse = p
        .apply(Edit::ReplaceDocuments {
            documents: other.documents.clone(),
        })
        .expect("replaces");
    assert_eq!(p.documents, other.documents);
    assert!(p.next_span_id > other.documents[1].spans[0].id.0);
    p.apply(inverse).expect("the inverse applies");
    assert_eq!(p.documents, start.documents);

    let mut twice = other.documents.clone();
    twice.push(other.documents[0].clone());
    let err = p.apply(Edit::ReplaceDocuments { documents: twice });
    assert!(err.is_err(), "duplicate document ids");
    let mut unknown = other.documents.clone();
    Arc::make_mut(&mut unknown[1]).spans[0].label = "nope".into();
    assert!(
        p.apply(Edit::ReplaceDocuments { documents: unknown })
            .is_err()
    );
    assert_eq!(p.documents, start.documents, "refused edits change nothing");
}

/// A copy of a project (what autosave sends to its thread) shares the documents; an edit copies
/// only the document it changes, and the copy keeps what it had. Renaming a label copies only
/// the documents that use it.
#[test]
fn copies_share_documents_until_one_is_edited() {
    let mut ws = Workspace::new(fixture());
    let snapshot = ws.project().clone();
    let shared = |a: &Project, b: &Project| -> Vec<bool> {
        a.documents
            .iter()
            .zip(&b.documents)
            .map(|(x, y)| Arc::ptr_eq(x, y))
            .collect()
    };
    assert_eq!(shared(ws.project(), &snapshot), [true, true]);
    let span = ws.project().documents[1].spans[0].id;
    ws.apply(
        "Accept",
        vec![Edit::SetReview {
            doc: "b".into(),
            span,
            status: Status::Accepted,
            review: None,
        }],
        Cursor::default(),
        Cursor::default(),
    )
    .expect("applies");
    assert_eq!(shared(ws.project(), &snapshot), [true, false]);
    assert_eq!(snapshot.documents[1].spans[0].status, Status::Pending);
    assert_eq!(ws.project().documents[1].spans[0].status, Status::Accepted);
    // A refused edit copies nothing.
    let taken = ws.project().documents[0].spans[0].clone();
    let before = ws.project().clone();
    assert!(
        ws.apply(
            "Add",
            vec![Edit::AddSpan {
                doc: "a".into(),
                span: taken,
            }],
            Cursor::default(),
            Cursor::default(),
        )
        .is_err()
    );
    assert_eq!(shared(ws.project(), &before), [true, true]);
    // "number" is used in "a" only.
    let mut renamed = ws.project().labels[2].clone();
    assert_eq!(renamed.name, "number");
    renamed.name = "count".into();
    ws.apply(
        "Rename",
        vec![Edit::ChangeLabel {
            name: "number".into(),
            label: renamed,
        }],
        Cursor::default(),
        Cursor::default(),
    )
    .expect("renames");
    assert_eq!(shared(ws.project(), &before), [false, true]);
    assert_eq!(snapshot, fixture(), "the first copy never changed");
}

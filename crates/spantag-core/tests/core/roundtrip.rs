//! Round trips export -> import, property-tested on generated Unicode texts (emoji ZWJ sequences,
//! flags, combining marks, CJK, Arabic, NBSP, double spaces, blank lines) with overlapping spans
//! whose boundaries may fall inside tokens; plus doccano (UTF-16) and CRLF sources.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use spantag_core::formats::{
    self, ExportFormat, ExportOptions, ImportFormat, ImportOptions, Layer, Progress,
};
use spantag_core::model::{
    Document, LineEndings, Project, Source, Span, SpanId, Status, content_hash,
};
use spantag_core::time::Timestamp;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

const WORDS: &[&str] = &[
    "The",
    "mayor",
    "said",
    "Zoë",
    "Ålund",
    "café",
    "naïve",
    "Jose\u{301}",
    "Sa\u{303}o",
    "东京都",
    "山田",
    "話した",
    "القاهرة",
    "أحمد",
    "٣٤",
    "👩\u{200d}👩\u{200d}👧",
    "🇸🇪",
    "👍🏽",
    "3.5",
    "£48",
    "Anna's",
    "e-mail",
    "x\u{301}\u{302}",
    "ミ",
    "한국어",
    "Ελλάδα",
    ",",
    ".",
    "«",
    "»",
    "—",
    "[",
    "]",
    "=SUM(1)",
    "\"q\"",
];
const SEPS: &[&str] = &[
    " ", " ", " ", " ", "  ", "\n", "\n\n", "\u{a0}", "\t", "", " \u{301}", "\u{3000}", "\u{202f}",
];
const LABELS: &[&str] = &["actor", "place", "number", "claim", "Event"];

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec((0..WORDS.len(), 0..SEPS.len()), 1..40).prop_map(|v| {
        let mut s = String::new();
        for (w, sep) in v {
            s.push_str(WORDS[w]);
            s.push_str(SEPS[sep]);
        }
        s
    })
}

/// A document with spans from raw (a, b, label) picks: ranges trimmed of whitespace at both
/// ends, duplicates dropped.
pub(crate) fn make_doc(
    id: &str,
    text: &str,
    picks: &[(usize, usize, usize, bool)],
    next: &mut u64,
) -> Document {
    let source = Source {
        path: None,
        hash: content_hash(text),
        encoding: "UTF-8".into(),
        line_endings: LineEndings::Lf,
    };
    let mut d = Document::new(id.into(), format!("Title {id}"), text.into(), source);
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut seen = BTreeSet::new();
    for &(a, b, l, note) in picks {
        if n == 0 {
            break;
        }
        let (mut a, mut b) = (a % n, b % (n + 1));
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        while a < b && formats::is_space(chars[a]) {
            a += 1;
        }
        while b > a && formats::is_space(chars[b - 1]) {
            b -= 1;
        }
        if a >= b || !seen.insert((a, b, l)) {
            continue;
        }
        d.spans.push(Span {
            id: SpanId(*next),
            start: a,
            end: b,
            label: LABELS[l].into(),
            text: chars[a..b].iter().collect(),
            author: "ana".into(),
            created: Timestamp(1_795_000_000),
            status: Status::Accepted,
            review: None,
            note: note.then(|| format!("note {a}")),
            proposed_by: Vec::new(),
            fragments: Vec::new(),
        });
        *next += 1;
    }
    d.sort_spans();
    d
}

pub(crate) fn project_strategy() -> impl Strategy<Value = Project> {
    prop::collection::vec(
        (
            text_strategy(),
            prop::collection::vec(
                (0usize..400, 0usize..400, 0..LABELS.len(), any::<bool>()),
                0..12,
            ),
        ),
        1..4,
    )
    .prop_map(|docs| {
        let mut p = Project::new("prop", &["actor", "place", "number", "claim", "Event"]);
        let mut next = 1;
        let mut seen_texts = BTreeSet::new();
        for (i, (text, picks)) in docs.iter().enumerate() {
            // Distinct texts: import matches documents by content.
            let text = format!("{text}{}", "·".repeat(i));
            if !seen_texts.insert(text.clone()) {
                continue;
            }
            p.documents.push(Arc::new(make_doc(
                &format!("doc-{i}"),
                &text,
                picks,
                &mut next,
            )));
        }
        p.normalize();
        p
    })
}

type Key = (String, usize, usize, String, String, Option<String>);

fn keys(p: &Project, with_notes: bool) -> BTreeSet<Key> {
    p.documents
        .iter()
        .flat_map(|d| {
            d.spans.iter().map(move |s| {
                (
                    d.id.clone(),
                    s.start,
                    s.end,
                    s.label.clone(),
                    s.text.clone(),
                    if with_notes { s.note.clone() } else { None },
                )
            })
        })
        .collect()
}

fn round_trip(p: &Project, ef: ExportFormat, imf: ImportFormat, dir: &Path) -> Project {
    let out = dir.join(format!("out-{}", ef.name()));
    let mut opts = ExportOptions::new(ef);
    opts.statuses = Some(Status::ALL.to_vec());
    let summary = formats::export(p, &opts, &out, &Progress::default()).unwrap();
    assert!(summary.is_complete(), "{ef}: {}", summary.to_text());
    let mut q = Project::new("back", &[]);
    let s = formats::import(&mut q, &[out], &ImportOptions::new(imf)).unwrap();
    assert!(s.is_complete(), "{imf}: {}", s.to_text());
    for d in &p.documents {
        let back = q
            .doc(&d.id)
            .unwrap_or_else(|| panic!("{imf}: document {} missing", d.id));
        assert_eq!(back.text, d.text);
    }
    q
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn jsonl_brat_labelstudio_round_trip(p in project_strategy()) {
        let dir = tempfile::tempdir().unwrap();
        for (ef, imf, notes) in [
            (ExportFormat::Jsonl, ImportFormat::Jsonl, true),
            (ExportFormat::Brat, ImportFormat::Brat, true),
            (ExportFormat::LabelStudio, ImportFormat::LabelStudio, true),
        ] {
            let q = round_trip(&p, ef, imf, dir.path());
            prop_assert_eq!(keys(&q, notes), keys(&p, notes), "{}", ef);
        }
    }

    #[test]
    fn doccano_utf16_and_crlf_sources(p in project_strategy()) {
        // doccano: UTF-16 offsets, the default for --format doccano.
        let dir = tempfile::tempdir().unwrap();
        let mut doccano = String::new();
        let mut crlf = String::new();
        for d in &p.documents {
            let u16_at = |cp: usize| d.text.chars().take(cp).map(char::len_utf16).sum::<usize>();
            let labels: Vec<serde_json::Value> = d.spans.iter()
                .map(|s| serde_json::json!([u16_at(s.start), u16_at(s.end), s.label]))
                .collect();
            doccano.push_str(&serde_json::json!({"id": d.id, "text": d.text, "label": labels}).to_string());
            doccano.push('\n');
            // CRLF source: offsets count "\r\n" as two code points.
            let raw = d.text.replace('\n', "\r\n");
            let raw_at = |cp: usize| cp + d.text.chars().take(cp).filter(|&c| c == '\n').count();
            let spans: Vec<serde_json::Value> = d.spans.iter()
                .map(|s| serde_json::json!({"start": raw_at(s.start), "end": raw_at(s.end), "label": s.label}))
                .collect();
            crlf.push_str(&serde_json::json!({"text": raw, "spans": spans, "meta": {"id": d.id}}).to_string());
            crlf.push('\n');
        }
        let f1 = dir.path().join("doccano.jsonl");
        std::fs::write(&f1, doccano).unwrap();
        let f2 = dir.path().join("crlf.jsonl");
        std::fs::write(&f2, crlf).unwrap();
        let mut q = Project::new("back", &[]);
        let s = formats::import(&mut q, &[f1], &ImportOptions::new(ImportFormat::Doccano)).unwrap();
        prop_assert!(s.is_complete(), "{}", s.to_text());
        let strip = |k: BTreeSet<Key>| -> BTreeSet<(usize, usize, String, String)> {
            k.into_iter().map(|(_, a, b, l, t, _)| (a, b, l, t)).collect()
        };
        prop_assert_eq!(strip(keys(&q, false)), strip(keys(&p, false)));
        let mut r = Project::new("crlf", &[]);
        let s = formats::import(&mut r, &[f2], &ImportOptions::new(ImportFormat::Jsonl)).unwrap();
        prop_assert!(s.is_complete(), "{}", s.to_text());
        prop_assert_eq!(keys(&r, false), keys(&p, false));
        for d in &r.documents {
            prop_assert!(!d.text.contains('\r'));
        }
    }

    #[test]
    fn conll_round_trip_keeps_entity_tokens(p in project_strategy(), scheme in 0usize..4) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.conll");
        let mut opts = ExportOptions::new(ExportFormat::Conll);
        opts.layer = Layer::Entities;
        opts.scheme = [
            formats::Scheme::Iob2,
            formats::Scheme::Iob1,
            formats::Scheme::Bilou,
            formats::Scheme::Iobes,
        ][scheme];
        let summary = formats::export(&p, &opts, &out, &Progress::default()).unwrap();
        let lost: BTreeSet<SpanId> = summary.unrepresented.iter().map(|u| u.span).collect();
        let mut q = Project::new("back", &[]);
        formats::import(&mut q, &[out], &ImportOptions::new(ImportFormat::Conll)).unwrap();
        // Documents with no tokens at all write no lines and come back as nothing.
        let docs: Vec<&Document> = p.documents.iter().map(|d| &**d).collect();
        let mut back = q.documents.iter();
        for d in docs {
            let ents: Vec<&Span> = d.spans.iter().filter(|s| opts.is_entity(&s.label)).collect();
            let toks = formats::export_tokens(d, &ents);
            if toks.is_empty() {
                continue;
            }
            let b = back.next().expect("a document per exported document");
            let words: Vec<&str> = toks.iter().map(|t| &d.text[t.bstart..t.bend]).collect();
            prop_assert_eq!(b.text.split_whitespace().collect::<Vec<_>>(), words.clone());
            let mut expected: Vec<(String, String)> = ents.iter()
                .filter(|s| !lost.contains(&s.id))
                .map(|s| {
                    let a = toks.iter().position(|t| t.start == s.start).unwrap();
                    let z = toks.iter().position(|t| t.end == s.end).unwrap();
                    (s.label.clone(), words[a..=z].join(" "))
                })
                .collect();
            let mut got: Vec<(String, String)> = b.spans.iter()
                .map(|s| (s.label.clone(), s.text.replace('\n', " ")))
                .collect();
            expected.sort();
            got.sort();
            prop_assert_eq!(got, expected);
        }
    }
}

#[test]
fn whitespace_padded_spans_are_trimmed_in_token_formats_and_kept_elsewhere() {
    let mut p = Project::new("x", &["actor", "place", "number", "claim"]);
    let mut next = 1;
    // Span 0..6 ends in whitespace ("Anna  " is not trimmed by hand here), span 15..17 is only
    // whitespace.
    let mut d = make_doc("d", "Anna  went home  now", &[], &mut next);
    for (id, start, end, text) in [(99, 0, 6, "Anna  "), (98, 15, 17, "  ")] {
        d.spans.push(Span {
            id: SpanId(id),
            start,
            end,
            label: "actor".into(),
            text: text.into(),
            author: "a".into(),
            created: Timestamp(0),
            status: Status::Pending,
            review: None,
            note: None,
            proposed_by: Vec::new(),
            fragments: Vec::new(),
        });
    }
    d.sort_spans();
    p.documents.push(Arc::new(d));
    let dir = tempfile::tempdir().unwrap();
    for f in [
        ExportFormat::Jsonl,
        ExportFormat::Conll,
        ExportFormat::Hf,
        ExportFormat::Spacy,
    ] {
        let s = formats::export(
            &p,
            &ExportOptions::new(f),
            &dir.path().join(format!("o.{f}")),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(s.trimmed, 1, "{f}");
        assert!(s.to_text().contains("trimmed 1 span(s)"), "{f}");
        assert_eq!(s.unrepresented.len(), 1, "{f}");
        assert_eq!(s.unrepresented[0].span, SpanId(98), "{f}");
        assert!(s.unrepresented[0].reason.contains("only whitespace"), "{f}");
        assert_eq!(s.spans_per_label.get("actor"), Some(&1), "{f}");
    }
    let jsonl = std::fs::read_to_string(dir.path().join("o.jsonl")).unwrap();
    let v: serde_json::Value = serde_json::from_str(jsonl.trim()).unwrap();
    assert_eq!(v["spans"][0]["start"], 0);
    assert_eq!(v["spans"][0]["end"], 4);
    assert_eq!(v["spans"][0]["text"], "Anna");
    let conll = std::fs::read_to_string(dir.path().join("o.conll")).unwrap();
    assert!(conll.contains("Anna B-actor\nwent O\n"), "{conll}");
    for f in [
        ExportFormat::Brat,
        ExportFormat::Csv,
        ExportFormat::LabelStudio,
        ExportFormat::Doccano,
    ] {
        let s = formats::export(
            &p,
            &ExportOptions::new(f),
            &dir.path().join(format!("o.{f}")),
            &Progress::default(),
        )
        .unwrap();
        assert!(s.is_complete(), "{f}");
        assert_eq!(s.trimmed, 0, "{f}");
    }
    let doccano = std::fs::read_to_string(dir.path().join("o.doccano")).unwrap();
    assert!(doccano.contains("[0,6,\"actor\"]"), "{doccano}");
}

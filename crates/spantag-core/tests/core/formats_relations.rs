//! Relations and discontinuous spans through brat, CSV, CoNLL, hf and `.spacy`: brat round trips
//! property-tested on generated Unicode texts with random spans (nested, overlapping,
//! discontinuous) and random relations between them; CSV's relation rows; the summaries of the
//! token formats, which cannot hold relations, say so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::roundtrip::project_strategy;
use proptest::prelude::*;
use spantag_core::formats::{
    self, ExportFormat, ExportOptions, ImportFormat, ImportOptions, Progress,
};
use spantag_core::model::{Document, Project, Relation, RelationId, Span, Status};
use spantag_core::time::Timestamp;
use std::collections::BTreeSet;
use std::sync::Arc;

const KINDS: &[&str] = &["source", "location", "Coref"];

/// A span's identity across a round trip: range, label and fragments.
type SpanKey = (usize, usize, String, Vec<(usize, usize)>);

fn span_key(s: &Span) -> SpanKey {
    (s.start, s.end, s.label.clone(), s.fragments.clone())
}

/// A relation's identity: document, its two spans, type and note.
type RelKey = (String, SpanKey, SpanKey, String, Option<String>);

fn rel_keys(p: &Project) -> BTreeSet<RelKey> {
    let mut out = BTreeSet::new();
    for d in &p.documents {
        for r in &d.relations {
            let (a, b) = (d.span(r.from).unwrap(), d.span(r.to).unwrap());
            out.insert((
                d.id.clone(),
                span_key(a),
                span_key(b),
                r.kind.clone(),
                r.note.clone(),
            ));
        }
    }
    out
}

fn span_keys(p: &Project) -> BTreeSet<(String, SpanKey, String, Option<String>)> {
    p.documents
        .iter()
        .flat_map(|d| {
            d.spans
                .iter()
                .map(move |s| (d.id.clone(), span_key(s), s.text.clone(), s.note.clone()))
        })
        .collect()
}

/// Makes some spans discontinuous: a gap cut out of the middle, each piece trimmed of whitespace,
/// the gap not only line breaks (brat joins fragments that only line breaks separate).
fn add_fragments(d: &mut Document, cuts: &[(usize, usize, usize)]) {
    let chars: Vec<char> = d.text.chars().collect();
    for &(which, x, y) in cuts {
        if d.spans.is_empty() {
            return;
        }
        let i = which % d.spans.len();
        let (a, b) = (d.spans[i].start, d.spans[i].end);
        if b - a < 3 || !d.spans[i].fragments.is_empty() {
            continue;
        }
        let c1 = a + 1 + x % (b - a - 2);
        let c2 = c1 + 1 + y % (b - c1 - 1);
        let mut e1 = c1;
        while e1 > a && formats::is_space(chars[e1 - 1]) {
            e1 -= 1;
        }
        let mut s2 = c2;
        while s2 < b && formats::is_space(chars[s2]) {
            s2 += 1;
        }
        let only_breaks = chars[e1..s2].iter().all(|c| *c == '\n');
        if a < e1 && e1 < s2 && s2 < b && !only_breaks {
            d.spans[i].fragments = vec![(a, e1), (s2, b)];
        }
    }
}

/// Random relations between the document's spans (any pair, nested and overlapping ones too).
fn add_relations(d: &mut Document, picks: &[(usize, usize, usize, bool)], next: &mut u64) {
    let n = d.spans.len();
    if n < 2 {
        return;
    }
    for &(a, b, k, note) in picks {
        let (from, to) = (d.spans[a % n].id, d.spans[b % n].id);
        let kind = KINDS[k % KINDS.len()];
        if from == to || d.has_relation(from, to, kind, None) {
            continue;
        }
        d.relations.push(Relation {
            id: RelationId(*next),
            from,
            to,
            kind: kind.into(),
            author: "ana".into(),
            created: Timestamp(1_795_000_000),
            status: Status::Accepted,
            review: None,
            note: note.then(|| format!("why {}", *next)),
            proposed_by: Vec::new(),
        });
        *next += 1;
    }
}

type Cuts = Vec<(usize, usize, usize)>;
type Picks = Vec<(usize, usize, usize, bool)>;

fn with_relations() -> impl Strategy<Value = Project> {
    (
        project_strategy(),
        prop::collection::vec(
            (
                prop::collection::vec((0usize..50, 0usize..400, 0usize..400), 0..4),
                prop::collection::vec((0usize..50, 0usize..50, 0usize..3, any::<bool>()), 0..10),
            ),
            4,
        ),
    )
        .prop_map(|(mut p, extra): (Project, Vec<(Cuts, Picks)>)| {
            let mut next = 1;
            for (d, (cuts, picks)) in p.documents.iter_mut().zip(extra) {
                let d = Arc::make_mut(d);
                add_fragments(d, &cuts);
                add_relations(d, &picks, &mut next);
            }
            p.next_relation_id = next;
            p.relation_types = spantag_core::model::default_relation_types(&p.labels);
            p.relation_types
                .push(spantag_core::model::RelationType::any("Coref", 2));
            p
        })
}

fn export(p: &Project, format: ExportFormat, out: &std::path::Path) -> formats::ExportSummary {
    let mut opts = ExportOptions::new(format);
    opts.statuses = Some(Status::ALL.to_vec());
    formats::export(p, &opts, out, &Progress::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn brat_round_trip_keeps_relations_and_fragments(p in with_relations()) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("brat");
        let e = export(&p, ExportFormat::Brat, &out);
        prop_assert!(e.is_complete(), "{}", e.to_text());
        prop_assert_eq!(e.relations, p.relation_count());
        let mut q = Project::new("back", &[]);
        let s = formats::import(&mut q, &[out], &ImportOptions::new(ImportFormat::Brat)).unwrap();
        prop_assert!(s.is_complete(), "{}", s.to_text());
        prop_assert_eq!(span_keys(&q), span_keys(&p));
        prop_assert_eq!(rel_keys(&q), rel_keys(&p));
        // Relation types the new project lacked were added, allowing any labels.
        for d in &q.documents {
            for r in &d.relations {
                let t = q.relation_type(&r.kind).unwrap();
                prop_assert!(t.from_labels.is_empty() && t.to_labels.is_empty());
            }
        }
        // The imported project passes the loader's checks (relations, fragments).
        let ron = spantag_core::project_io::to_ron_string(&q).unwrap();
        let loaded = spantag_core::project_io::from_ron_str(&ron, std::path::Path::new("q.ron"));
        prop_assert!(loaded.is_ok(), "{:?}", loaded.err());
    }
}

/// An excerpt in the shape of CoNLL-2003 (written for this test): token, POS, chunk and IOB1
/// NER columns, `-DOCSTART-` lines, two documents, a date token with hyphens and two adjacent
/// locations (the only place IOB1 writes `B-`).
const CONLL_2003: &str = "-DOCSTART- -X- -X- O

LUNE NNP B-NP I-LOC
PORT NNP I-NP I-LOC
1996-08-30 CD I-NP O

The DT B-NP O
harbour NN I-NP O
board NN I-NP O
of IN B-PP O
Kestrel NNP B-NP I-ORG
Shipping NNP I-NP I-ORG
said VBD B-VP O
on IN B-PP O
Friday NNP B-NP O
it PRP B-NP O
would MD B-VP O
hire VB I-VP O
40 CD B-NP O
dock NN I-NP O
workers NNS I-NP O
, , O O
Ilse NNP B-NP I-PER
Varga NNP I-NP I-PER
told VBD B-VP O
reporters NNS B-NP O
. . O O

-DOCSTART- -X- -X- O

SOCCER NN B-NP O
- : O O
OSLO NNP B-NP I-LOC
BERGEN NNP I-NP B-LOC
DRAW VB B-VP O
1-1 CD B-NP O
. . O O

";

/// The excerpt with the `-DOCSTART-` lines spantag writes (the form spaCy's converter splits
/// documents at).
fn docstart_as_written(s: &str) -> String {
    s.replace("-DOCSTART- -X- -X- O", "-DOCSTART- -X- O O")
}

#[test]
fn conll_2003_round_trip_gives_back_identical_tokens_sentences_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("eng.testa");
    std::fs::write(&input, CONLL_2003).unwrap();
    let mut p = Project::new("conll", &[]);
    let s = formats::import(&mut p, &[input], &ImportOptions::new(ImportFormat::Conll)).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    assert_eq!(p.documents.len(), 2);
    let d = &p.documents[0];
    let tk = d.tokenization.as_ref().unwrap();
    let words: Vec<&str> = tk
        .tokens
        .iter()
        .map(|&(a, b)| d.slice(a, b).unwrap())
        .collect();
    assert_eq!(words.len(), 24);
    assert_eq!(words[2], "1996-08-30");
    assert_eq!(tk.sentence_starts, vec![0, 3]);
    assert_eq!(tk.columns.len(), 2);
    assert_eq!(tk.columns[0].values[..3], ["NNP", "NNP", "CD"]);
    assert_eq!(tk.columns[1].values[..3], ["B-NP", "I-NP", "I-NP"]);

    // Exported again in the file's own scheme (IOB1), the file comes back line for line.
    let out = dir.path().join("again.conll");
    let mut opts = ExportOptions::new(ExportFormat::Conll);
    opts.scheme = formats::Scheme::Iob1;
    let e = formats::export(&p, &opts, &out, &Progress::default()).unwrap();
    assert!(e.is_complete(), "{}", e.to_text());
    let back = std::fs::read_to_string(&out).unwrap();
    assert_eq!(back, docstart_as_written(CONLL_2003));

    // Without the columns: token and tag only, the same tokens and sentences.
    opts.token_columns = false;
    let out2 = dir.path().join("plain.conll");
    formats::export(&p, &opts, &out2, &Progress::default()).unwrap();
    let plain = std::fs::read_to_string(&out2).unwrap();
    let expected: String = docstart_as_written(CONLL_2003)
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split(' ').collect();
            if c.len() == 4 && c[0] != "-DOCSTART-" {
                format!("{} {}\n", c[0], c[3])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_eq!(plain, expected);

    // hf rows use the same tokens.
    let hf = dir.path().join("x.jsonl");
    let mut hopts = ExportOptions::new(ExportFormat::Hf);
    hopts.layer = formats::Layer::Entities;
    formats::export(&p, &hopts, &hf, &Progress::default()).unwrap();
    let row: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&hf)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let hf_words: Vec<&str> = row["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(hf_words, words);
}

#[test]
fn conll_reports_cut_tokens_and_relations_it_cannot_hold() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("eng.testa");
    std::fs::write(&input, CONLL_2003).unwrap();
    let mut p = Project::new("conll", &[]);
    formats::import(&mut p, &[input], &ImportOptions::new(ImportFormat::Conll)).unwrap();
    // A span inside the token "1996-08-30" and a relation between two spans.
    let d = p.documents[0].clone();
    let year = d.text.find("1996").unwrap();
    let year = d.text[..year].chars().count();
    let span = p.make_span(&d.id, year, year + 4, "LOC", "ana").unwrap();
    let sid = span.id;
    p.apply(spantag_core::edit::Edit::AddSpan {
        doc: d.id.clone(),
        span,
    })
    .unwrap();
    p.apply(spantag_core::edit::Edit::AddRelationType {
        index: 0,
        rtype: spantag_core::model::RelationType::any("near", 0),
    })
    .unwrap();
    let first = p.documents[0].spans[0].id;
    let rel = p.make_relation(&d.id, first, sid, "near", "ana").unwrap();
    p.apply(spantag_core::edit::Edit::AddRelation {
        doc: d.id.clone(),
        relation: rel,
    })
    .unwrap();
    for (format, out, why) in [
        (
            ExportFormat::Conll,
            "x.conll",
            "CoNLL cannot hold relations",
        ),
        (
            ExportFormat::Hf,
            "x.jsonl",
            "hf token classification cannot hold relations",
        ),
    ] {
        let e = formats::export(
            &p,
            &ExportOptions::new(format),
            &dir.path().join(out),
            &Progress::default(),
        )
        .unwrap();
        let t = e.to_text();
        assert!(e.is_complete(), "{t}");
        assert_eq!(e.relations, 0);
        assert!(
            t.contains(&format!("1 relation(s) not exported: {why}")),
            "{t}"
        );
        if format == ExportFormat::Conll {
            assert!(t.contains("1 of its kept tokens"), "{t}");
            let text = std::fs::read_to_string(dir.path().join(out)).unwrap();
            assert!(
                text.contains("1996 CD I-NP B-LOC\n-08-30 CD I-NP O\n"),
                "{text}"
            );
        }
    }
}

#[test]
fn csv_writes_one_row_per_relation_beside_the_span_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = spantag_core::project_io::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../projects/sample.ron"),
    )
    .unwrap();
    let out = dir.path().join("spans.csv");
    let e = formats::export(
        &p,
        &ExportOptions::new(ExportFormat::Csv),
        &out,
        &Progress::default(),
    )
    .unwrap();
    assert!(e.is_complete(), "{}", e.to_text());
    assert_eq!(e.relations, 12, "{}", e.to_text());
    let spans = std::fs::read_to_string(&out).unwrap();
    let rels = std::fs::read_to_string(dir.path().join("spans.relations.csv")).unwrap();
    assert!(spans.starts_with("document,start,end,label,text,author,status,note,id\n"));
    let mut lines = rels.lines();
    assert_eq!(
        lines.next(),
        Some("document,id,type,from,to,from_text,to_text,author,status,note")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 12);
    // Each row names its spans by the id column of the span rows, with their texts.
    for d in &p.documents {
        for r in &d.relations {
            let (a, b) = (d.span(r.from).unwrap(), d.span(r.to).unwrap());
            let row = rows
                .iter()
                .find(|l| l.starts_with(&format!("{},{},source,{},{},", d.id, r.id, a.id, b.id)))
                .unwrap_or_else(|| panic!("relation {} missing:\n{rels}", r.id));
            assert!(row.contains(&b.text), "{row}");
            assert!(spans.lines().any(|l| l.ends_with(&format!(",{}", a.id))));
        }
    }
    // To standard output: the span rows, and the summary says the relations were left out.
    let (e, bytes) = formats::export_to_bytes(
        &p,
        &ExportOptions::new(ExportFormat::Csv),
        &Progress::default(),
    )
    .unwrap();
    assert_eq!(String::from_utf8(bytes).unwrap(), spans);
    assert!(
        e.to_text()
            .contains("12 relation(s) not exported: csv to standard output"),
        "{}",
        e.to_text()
    );
}

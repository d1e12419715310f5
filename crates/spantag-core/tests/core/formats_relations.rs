//! Relations and discontinuous spans through brat, CSV, CoNLL, hf and `.spacy`: brat round trips
//! property-tested on generated Unicode texts with random spans (nested, overlapping,
//! discontinuous) and random relations between them; CSV's relation rows; the summaries of the
//! token formats, which cannot hold relations, say so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::roundtrip::project_strategy;
use proptest::prelude::*;
use spantag_core::formats::{self, ExportFormat, ExportOptions, ImportFormat, ImportOptions, Progress};
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
            p.relation_types.push(spantag_core::model::RelationType::any("Coref", 2));
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

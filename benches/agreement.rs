//! `agreement` over two generated 10,000-document projects (~3,000 characters and 30 spans per
//! document; the second annotator has the documents in reverse order and differs on about one
//! span in five: shifted boundary or other label). Target on the 2-core reference machine: < 1 s.
//!
//! `agreement/cold` includes segmenting every document into tokens (first use of its index);
//! `agreement/warm` reuses the cached tokens, as a second run in the same process would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use spantag_core::model::{
    DEFAULT_LABELS, Document, LineEndings, Project, Source, Span, SpanId, Status, content_hash,
};
use spantag_core::review::agreement::{DEFAULT_ENTITY_LABELS, agreement};
use spantag_core::review::compare::Annotator;
use spantag_core::time::Timestamp;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const WORDS: [&str; 16] = [
    "the",
    "council",
    "said",
    "Zürich",
    "harbour",
    "“bridge”",
    "it’s",
    "3,400",
    "mayor",
    "–",
    "residents",
    "東京",
    "claimed",
    "£48.5\u{a0}million",
    "ferry",
    "café 🎉",
];

/// Texts with their word boundaries (code points), deterministic.
fn texts(docs: usize) -> Vec<(String, Vec<(usize, usize)>)> {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..docs)
        .map(|n| {
            let mut text = format!("Article {n}\n\n");
            let mut chars = text.chars().count();
            let mut words = Vec::new();
            while chars < 3_000 {
                let w = WORDS[(next() % 16) as usize];
                let len = w.chars().count();
                words.push((chars, chars + len));
                text.push_str(w);
                chars += len;
                let sep = if next() % 12 == 0 { ".\n\n" } else { " " };
                text.push_str(sep);
                chars += sep.chars().count();
            }
            (text, words)
        })
        .collect()
}

/// One annotator's project; `variant` 1 shifts or relabels every fifth span and reverses the
/// document order.
fn project(texts: &[(String, Vec<(usize, usize)>)], author: &str, variant: usize) -> Project {
    let mut p = Project::new(author, &DEFAULT_LABELS);
    let mut id = 1u64;
    for (n, (text, words)) in texts.iter().enumerate() {
        let source = Source {
            path: None,
            hash: content_hash(text),
            encoding: "UTF-8".into(),
            line_endings: LineEndings::Lf,
        };
        let mut doc = Document::new(
            format!("doc-{n:05}"),
            format!("Article {n}"),
            text.clone(),
            source,
        );
        let step = words.len() / 30;
        for k in 0..30 {
            let mut first = k * step;
            let last = k * step + (k % 3);
            let mut label = DEFAULT_LABELS[k % 4];
            if variant == 1 && (k + n) % 5 == 0 {
                if k % 2 == 0 && first < last {
                    first += 1;
                } else {
                    label = DEFAULT_LABELS[(k + 1) % 4];
                }
            }
            let (s, e) = (words[first].0, words[last].1);
            doc.spans.push(Span {
                id: SpanId(id),
                start: s,
                end: e,
                label: label.into(),
                text: doc.slice(s, e).unwrap_or_default().to_owned(),
                author: author.into(),
                created: Timestamp(1_795_000_000),
                status: Status::Pending,
                review: None,
                note: None,
                proposed_by: Vec::new(),
                fragments: Vec::new(),
            });
            id += 1;
        }
        p.documents.push(Arc::new(doc));
    }
    if variant == 1 {
        p.documents.reverse();
    }
    p
}

fn bench(c: &mut Criterion) {
    let t = texts(10_000);
    let a = project(&t, "ana", 0);
    let b = project(&t, "ben", 1);
    let mut g = c.benchmark_group("agreement");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("cold", |bench| {
        // By reference, so that freeing the two projects afterwards is not timed.
        bench.iter_batched_ref(
            || (project(&t, "ana", 0), project(&t, "ben", 1)),
            |(a, b)| {
                let anns = [
                    Annotator {
                        name: "ana",
                        project: a,
                    },
                    Annotator {
                        name: "ben",
                        project: b,
                    },
                ];
                black_box(agreement(&anns, &DEFAULT_ENTITY_LABELS))
            },
            BatchSize::PerIteration,
        );
    });
    let anns = [
        Annotator {
            name: "ana",
            project: &a,
        },
        Annotator {
            name: "ben",
            project: &b,
        },
    ];
    let r = agreement(&anns, &DEFAULT_ENTITY_LABELS);
    assert_eq!(r.shared_documents, 10_000);
    g.bench_function("warm", |bench| {
        bench.iter(|| black_box(agreement(&anns, &DEFAULT_ENTITY_LABELS)));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

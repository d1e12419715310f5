//! Loads and saves a generated ~100 MB project: 10,000 documents, 300,000 spans.
//! Target on the 2-core reference machine: each under 1 s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use spantag_core::model::{
    Document, LineEndings, Project, Source, Span, SpanId, Status, content_hash,
};
use spantag_core::project_io;
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
    "café",
];

/// A deterministic project of `docs` documents of ~6.6 KB with 30 spans each.
fn generate(docs: usize) -> Project {
    let mut p = Project::new("bench", &spantag_core::model::DEFAULT_LABELS);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut id = 1u64;
    for n in 0..docs {
        let mut text = String::with_capacity(7_000);
        let mut words = Vec::new(); // (start, end) in code points
        let mut chars = 0usize;
        while text.len() < 5_800 {
            let w = WORDS[(next() % 16) as usize];
            let len = w.chars().count();
            words.push((chars, chars + len));
            text.push_str(w);
            chars += len;
            let sep = if next() % 12 == 0 { ".\n\n" } else { " " };
            text.push_str(sep);
            chars += sep.chars().count();
        }
        let source = Source {
            path: Some(format!("articles/{n:05}.txt")),
            hash: content_hash(&text),
            encoding: "UTF-8".into(),
            line_endings: LineEndings::Lf,
        };
        let mut doc = Document::new(format!("doc-{n:05}"), format!("Article {n}"), text, source);
        let step = words.len() / 30;
        for k in 0..30 {
            let (s, _) = words[k * step];
            let (_, e) = words[k * step + (k % 3)];
            let label = spantag_core::model::DEFAULT_LABELS[k % 4];
            let covered = doc.slice(s, e).unwrap_or_default().to_owned();
            doc.spans.push(Span {
                id: SpanId(id),
                start: s,
                end: e,
                label: label.into(),
                text: covered,
                author: if k % 2 == 0 { "ana" } else { "ben" }.into(),
                created: Timestamp(1_795_000_000 + id as i64),
                status: Status::Pending,
                review: None,
                note: (k % 10 == 0).then(|| "check the figure".to_owned()),
                proposed_by: Vec::new(),
                fragments: Vec::new(),
            });
            id += 1;
        }
        doc.sort_spans();
        p.documents.push(Arc::new(doc));
    }
    p.normalize();
    p
}

fn bench(c: &mut Criterion) {
    let project = generate(10_000);
    if let Some(out) = std::env::var_os("SPANTAG_BENCH_WRITE") {
        // Write the generated project for profiling and stop.
        project_io::save(&project, std::path::Path::new(&out)).expect("save");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.ron");
    project_io::save(&project, &path).expect("save");
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "project: {} documents, {} spans, {:.1} MB on disk",
        project.documents.len(),
        project.span_count(),
        size as f64 / 1e6
    );
    let mut g = c.benchmark_group("project_100MB");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("save", |b| {
        b.iter(|| project_io::save(black_box(&project), &path).expect("save"))
    });
    g.bench_function("load", |b| {
        b.iter(|| black_box(project_io::load(&path).expect("load")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

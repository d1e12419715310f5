//! The suggesters (`spantag_core::suggest`) on generated news-like projects whose names and
//! places recur (`suggest::synthetic`):
//! - `train/N_spans`: training every suggester (gazetteer, numbers, the model's taggers and
//!   sentence scorer) on a project of about N spans (targets: under 2 s for 20,000 spans);
//! - `suggest_1000_words/…`: every suggestion for a 1,000-word article from suggesters trained on
//!   3,000 spans (target: under 10 ms), with the document's tokens and sentences already found
//!   (`cached_index`, as in the app, where a document's index is built once) and from a new
//!   document (`fresh_document`, segmentation included).
//!
//! Figures are quoted in README.md ("Suggestions"). `RAYON_NUM_THREADS=1` measures one core.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use spantag_core::model::{Document, LineEndings, Source, content_hash};
use spantag_core::suggest::{Options, Suggesters, synthetic};
use std::hint::black_box;
use std::time::Duration;

fn document(text: &str) -> Document {
    let source = Source {
        path: None,
        hash: content_hash(text),
        encoding: "UTF-8".into(),
        line_endings: LineEndings::Lf,
    };
    Document::new("article".into(), "article".into(), text.to_owned(), source)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("suggest");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for spans in [3_000, 20_000] {
        let p = synthetic::project_with_spans(spans, 3);
        g.bench_function(format!("train/{spans}_spans"), |b| {
            b.iter(|| black_box(Suggesters::train(&p, &Options::default())))
        });
    }
    let p = synthetic::project_with_spans(3_000, 3);
    let suggesters = Suggesters::train(&p, &Options::default());
    // A 1,000-word article from documents the suggesters did not see.
    let unseen = synthetic::project(20, 99);
    let mut text = String::new();
    for d in &unseen.documents {
        if text.split_whitespace().count() >= 1_000 {
            break;
        }
        text.push_str(&d.text);
        text.push('\n');
    }
    let words: Vec<&str> = text.split_whitespace().take(1_000).collect();
    let text = words.join(" ");
    let doc = document(&text);
    g.sample_size(50).measurement_time(Duration::from_secs(5));
    g.bench_function("suggest_1000_words/cached_index", |b| {
        b.iter(|| black_box(suggesters.suggest(&p, &doc, 0.5)))
    });
    g.bench_function("suggest_1000_words/fresh_document", |b| {
        b.iter_batched(
            || document(&text),
            |d| black_box(suggesters.suggest(&p, &d, 0.5)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

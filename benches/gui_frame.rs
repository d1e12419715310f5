//! Frame time of the headless app on a generated 2 MB article with 20,000 spans: while scrolling,
//! and the frame in which a new span is added. Targets: median under 4 ms, worst under 16 ms.
//!
//! Besides criterion's estimates, the benchmark prints median / p99 / worst over a fixed run,
//! because criterion reports no maximum.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use criterion::{Criterion, criterion_group, criterion_main};
use egui::{
    Event, Key, Modifiers, MouseWheelSource, MouseWheelUnit, RawInput, TouchPhase, pos2, vec2,
};
use spantag::app::SpantagApp;
use spantag_core::model::{
    Document, LineEndings, Project, Source, Span, SpanId, Status, content_hash,
};
use spantag_core::time::Timestamp;
use std::hint::black_box;
use std::time::{Duration, Instant};

const WORDS: [&str; 24] = [
    "harbour",
    "council",
    "bridge",
    "the",
    "said",
    "on",
    "Tuesday",
    "residents",
    "ferry",
    "of",
    "£48.5",
    "million",
    "Saltmarsh",
    "island",
    "café",
    "naïve",
    "survey",
    "river",
    "a",
    "was",
    "approved",
    "by",
    "seven",
    "votes",
];

/// About 2 MB of text in paragraphs, with 20,000 spans (entities on tokens, claims on
/// sentences, some nested and overlapping).
fn big_project() -> Project {
    let mut text = String::with_capacity(2_100_000);
    let mut n = 0usize;
    while text.len() < 2_000_000 {
        for s in 0..5 {
            for w in 0..14 {
                let word = WORDS[(n * 7 + w * 3 + s) % WORDS.len()];
                if w == 0 {
                    let mut c = word.chars();
                    if let Some(f) = c.next() {
                        text.extend(f.to_uppercase());
                        text.push_str(c.as_str());
                    }
                } else {
                    text.push(' ');
                    text.push_str(word);
                }
                n += 1;
            }
            text.push_str(". ");
        }
        text.pop();
        text.push_str("\n\n");
    }
    let source = Source {
        path: None,
        hash: content_hash(&text),
        encoding: "UTF-8".into(),
        line_endings: LineEndings::Lf,
    };
    let mut doc = Document::new("big".into(), "Big article".into(), text, source);
    let mut project = Project::new("bench", &spantag_core::model::DEFAULT_LABELS);
    let ix = doc.index_with_sentences();
    let tokens = ix.tokens().to_vec();
    let sentences = ix.sentences().to_vec();
    let mut spans = Vec::new();
    let mut id = 1u64;
    let mut push = |start: usize, end: usize, label: &str, spans: &mut Vec<Span>| {
        let covered = doc.slice(start, end).unwrap_or_default().to_owned();
        spans.push(Span {
            id: SpanId(id),
            start,
            end,
            label: label.into(),
            text: covered,
            author: "bench".into(),
            created: Timestamp(0),
            status: Status::Pending,
            review: None,
            note: None,
            proposed_by: Vec::new(),
        });
        id += 1;
    };
    // Claims on every 4th sentence: about 2,000... then entities until 20,000 in total.
    for s in sentences.iter().step_by(4).take(4_000) {
        push(s.start, s.end, "claim", &mut spans);
    }
    let step = (tokens.len() / (20_000 - spans.len())).max(1);
    let mut i = 0;
    while spans.len() < 20_000 && i + 2 < tokens.len() {
        let label = ["actor", "place", "number"][i % 3];
        let end = if i % 5 == 0 {
            tokens[i + 1].end
        } else {
            tokens[i].end
        };
        push(tokens[i].start, end, label, &mut spans);
        i += step;
    }
    doc.spans = spans;
    doc.sort_spans();
    project.documents.push(doc);
    project.normalize();
    project
}

struct Headless {
    ctx: egui::Context,
    app: SpantagApp,
    time: f64,
}

impl Headless {
    fn new(project: Project) -> Self {
        let ctx = egui::Context::default();
        let mut h = Headless {
            ctx,
            app: SpantagApp::new_for_test(project, "bench"),
            time: 0.0,
        };
        for _ in 0..3 {
            h.frame(Vec::new());
        }
        h
    }

    fn frame(&mut self, events: Vec<Event>) -> Duration {
        self.time += 1.0 / 60.0;
        let input = RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                pos2(0.0, 0.0),
                vec2(1280.0, 800.0),
            )),
            time: Some(self.time),
            events,
            ..Default::default()
        };
        let t = Instant::now();
        let out = self.ctx.run_ui(input, |ui| self.app.show(ui));
        let prims = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        black_box(prims);
        t.elapsed()
    }

    fn scroll_frame(&mut self, dy: f32) -> Duration {
        self.frame(vec![
            Event::PointerMoved(pos2(640.0, 400.0)),
            Event::MouseWheel {
                unit: MouseWheelUnit::Point,
                delta: vec2(0.0, dy),
                phase: TouchPhase::Move,
                source: MouseWheelSource::Wheel,
                modifiers: Modifiers::NONE,
            },
        ])
    }

    fn key(&mut self, key: Key, modifiers: Modifiers) -> Duration {
        self.frame(vec![
            Event::Key {
                key,
                physical_key: None,
                pressed: true,
                repeat: false,
                modifiers,
            },
            Event::Key {
                key,
                physical_key: None,
                pressed: false,
                repeat: false,
                modifiers,
            },
        ])
    }

    /// Selects the next token with the keyboard (untimed), then tags it: returns the time of the
    /// tagging frame and of the frame after.
    fn add_span(&mut self) -> (Duration, Duration) {
        self.key(Key::ArrowRight, Modifiers::NONE);
        self.key(Key::ArrowRight, Modifiers::SHIFT);
        let tag = self.key(Key::Num4, Modifiers::NONE);
        let after = self.frame(Vec::new());
        (tag, after)
    }
}

fn stats(name: &str, mut d: Vec<Duration>) {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    let n = d.len();
    println!(
        "{name}: n={n} median {:.2} ms, p99 {:.2} ms, worst {:.2} ms",
        ms(d[n / 2]),
        ms(d[(n * 99 / 100).min(n - 1)]),
        ms(d[n - 1])
    );
}

fn frames(c: &mut Criterion) {
    let project = big_project();
    println!(
        "article: {} bytes, {} spans",
        project.documents[0].text.len(),
        project.documents[0].spans.len()
    );
    let mut h = Headless::new(project);

    // Fixed runs for median / worst.
    let scroll: Vec<Duration> = (0..400)
        .map(|i| h.scroll_frame(if i % 100 < 80 { -300.0 } else { 600.0 }))
        .collect();
    stats("scroll frame", scroll);
    let mut tag = Vec::new();
    let mut after = Vec::new();
    for _ in 0..100 {
        let (a, b) = h.add_span();
        tag.push(a);
        after.push(b);
    }
    stats("frame adding a span", tag);
    stats("frame after adding a span", after);

    c.bench_function("gui scroll frame (2 MB, 20k spans)", |b| {
        let mut i = 0u32;
        b.iter(|| {
            i += 1;
            h.scroll_frame(if i % 100 < 80 { -300.0 } else { 600.0 })
        });
    });
    c.bench_function("gui frame adding a span (2 MB, 20k spans)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += h.add_span().0;
            }
            total
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(5));
    targets = frames
}
criterion_main!(benches);

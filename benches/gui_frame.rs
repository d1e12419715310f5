//! Frame time of the headless app on a generated 2 MB article with 20,000 spans and 5,000
//! relations: while scrolling, the frame in which a new span is added, and the frames linking a
//! claim to an actor (R, Tab, Enter). Targets: median under 4 ms, worst under 16 ms.
//!
//! Then a 10,000-document project (about 60 MB on disk) being annotated at 60 frames a second
//! with autosave on (every second instead of the app's 3 s, so that more of them fall in the
//! measured frames), and Ctrl+S on it. Target: worst frame under 16 ms, autosaves and saves
//! included.
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
    DEFAULT_LABELS, Document, LineEndings, Project, Relation, RelationId, Source, Span, SpanId,
    Status, content_hash,
};
use spantag_core::project_io;
use spantag_core::time::Timestamp;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

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
            fragments: Vec::new(),
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
    doc.relations = relations(&doc.spans, 5_000);
    project.documents.push(Arc::new(doc));
    project.normalize();
    project
}

/// `n` relations as an annotator makes them: each claim linked to an actor (`source`) or a
/// place (`location`) inside or near it, and every tenth to one two paragraphs or more away (a
/// long-distance link), so that the view draws arcs, margin links and both.
fn relations(spans: &[Span], n: usize) -> Vec<Relation> {
    let mut out = Vec::with_capacity(n);
    let mut seen = std::collections::HashSet::new();
    let claims: Vec<&Span> = spans.iter().filter(|s| s.label == "claim").collect();
    let mut round = 0usize;
    while out.len() < n && round < 8 {
        for (k, c) in claims.iter().enumerate() {
            if out.len() >= n {
                break;
            }
            let (want, kind) = if (k + round) % 3 == 2 {
                ("place", "location")
            } else {
                ("actor", "source")
            };
            // Long-distance links start well after the claim; the others at the claim.
            let far = (k + round) % 10 == 9;
            let from = if far { c.end + 3_000 } else { c.start };
            let i = spans.partition_point(|s| s.start < from);
            let Some(t) = spans[i..].iter().filter(|s| s.label == want).nth(round) else {
                continue;
            };
            if seen.insert((c.id, t.id, kind)) {
                out.push(Relation {
                    id: RelationId(out.len() as u64 + 1),
                    from: c.id,
                    to: t.id,
                    kind: kind.into(),
                    author: "bench".into(),
                    created: Timestamp(0),
                    status: Status::Pending,
                    review: None,
                    note: None,
                    proposed_by: Vec::new(),
                });
            }
        }
        round += 1;
    }
    out
}

struct Headless {
    ctx: egui::Context,
    app: SpantagApp,
    time: f64,
}

impl Headless {
    fn new(project: Project) -> Self {
        Headless::with_app(SpantagApp::new_for_test(project, "bench"))
    }

    fn with_app(app: SpantagApp) -> Self {
        let ctx = egui::Context::default();
        let mut h = Headless {
            ctx,
            app,
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
        let mut out = self.ctx.run_ui(input, |ui| self.app.show(ui));
        let shapes = std::mem::take(&mut out.shapes);
        let prims = self.ctx.tessellate(shapes, out.pixels_per_point);
        black_box(prims);
        // No renderer takes the font texture's updates (a debug build checks that someone did).
        out.textures_delta.clear();
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

    /// Selects the next claim with Tab (untimed), then links it to its nearest allowed actor:
    /// returns the times of the frames pressing R, Tab and Enter.
    fn link_claim(&mut self) -> [Duration; 3] {
        for _ in 0..50 {
            self.key(Key::Tab, Modifiers::NONE);
            let d = &self.app.project().documents[0];
            if self
                .app
                .selected_span()
                .and_then(|id| d.span(id))
                .is_some_and(|s| s.label == "claim")
            {
                break;
            }
        }
        [
            self.key(Key::R, Modifiers::NONE),
            self.key(Key::Tab, Modifiers::NONE),
            self.key(Key::Enter, Modifiers::NONE),
        ]
    }

    /// Frame `i` of a steady session of annotation: select the next token, tag it, a few idle
    /// frames, and now and then the next document.
    fn annotating_frame(&mut self, i: usize) -> Duration {
        match i % 8 {
            0 if i.is_multiple_of(400) => self.key(Key::PageDown, Modifiers::COMMAND),
            0 => self.key(Key::ArrowRight, Modifiers::NONE),
            1 => self.key(Key::ArrowRight, Modifiers::SHIFT),
            2 => self.key(Key::Num1, Modifiers::NONE),
            4 => self.scroll_frame(-120.0),
            _ => self.frame(Vec::new()),
        }
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
        "article: {} bytes, {} spans, {} relations",
        project.documents[0].text.len(),
        project.documents[0].spans.len(),
        project.documents[0].relations.len()
    );
    assert_eq!(project.documents[0].relations.len(), 5_000);
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
    let before = h.app.project().documents[0].relations.len();
    let mut link = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..60 {
        for (v, d) in link.iter_mut().zip(h.link_claim()) {
            v.push(d);
        }
    }
    let made = h.app.project().documents[0].relations.len() - before;
    println!("{made} relations made by R, Tab, Enter");
    let [r, tab, enter] = link;
    stats("frame pressing R (allowed spans found)", r);
    stats("frame pressing Tab while linking", tab);
    stats("frame pressing Enter (relation made)", enter);

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

/// A project of `docs` news-sized articles (about 5 KB and 25 spans each).
fn corpus_project(docs: usize) -> Project {
    let mut project = Project::new("corpus", &DEFAULT_LABELS);
    let mut id = 1u64;
    for n in 0..docs {
        let mut text = String::with_capacity(5_200);
        let mut words = Vec::new(); // code point ranges
        let mut chars = 0usize;
        let mut k = 0usize;
        while text.len() < 5_000 {
            let word = WORDS[(n * 5 + k * 7 + k / 24) % WORDS.len()];
            let len = word.chars().count();
            words.push((chars, chars + len));
            text.push_str(word);
            chars += len;
            let sep = match k % 60 {
                59 => ".\n\n",
                k if k % 13 == 12 => ". ",
                _ => " ",
            };
            text.push_str(sep);
            chars += sep.chars().count();
            k += 1;
        }
        let source = Source {
            path: Some(format!("articles/{n:05}.txt")),
            hash: content_hash(&text),
            encoding: "UTF-8".into(),
            line_endings: LineEndings::Lf,
        };
        let mut doc = Document::new(format!("doc-{n:05}"), format!("Article {n}"), text, source);
        let step = words.len() / 25;
        for s in 0..25 {
            let (start, _) = words[s * step];
            let (_, end) = words[s * step + s % 2];
            let covered = doc.slice(start, end).unwrap_or_default().to_owned();
            doc.spans.push(Span {
                id: SpanId(id),
                start,
                end,
                label: DEFAULT_LABELS[s % 3].into(),
                text: covered,
                author: "ana".into(),
                created: Timestamp(1_795_000_000 + id as i64),
                status: Status::Pending,
                review: None,
                note: None,
                proposed_by: Vec::new(),
                fragments: Vec::new(),
            });
            id += 1;
        }
        doc.sort_spans();
        project.documents.push(Arc::new(doc));
    }
    project.normalize();
    project
}

/// When the recovery file was last written (to count autosaves between frames).
fn written(recovery: &Path) -> Option<SystemTime> {
    std::fs::metadata(recovery.join("recovery.ron"))
        .and_then(|m| m.modified())
        .ok()
}

fn corpus_frames(c: &mut Criterion) {
    let project = corpus_project(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("corpus.ron");
    project_io::save(&project, &path).expect("save");
    println!(
        "corpus: {} documents, {} spans, {:.1} MB on disk",
        project.documents.len(),
        project.span_count(),
        std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1e6
    );
    let recovery = dir.path().join("recovery");
    let app = SpantagApp::new_for_test_with_file(project, "bench", path)
        .with_autosave(recovery.clone(), Duration::from_secs(1));
    let mut h = Headless::with_app(app);

    // A fixed run at 60 frames a second (the pause between frames is not timed), so that the
    // autosave thread runs beside the frames as it does in the app.
    let frame_time = Duration::from_secs_f64(1.0 / 60.0);
    let mut times = Vec::new();
    let mut autosaves = 0;
    let mut last = written(&recovery);
    for i in 0..900 {
        let d = h.annotating_frame(i);
        times.push(d);
        let now = written(&recovery);
        if now != last {
            autosaves += 1;
            last = now;
        }
        std::thread::sleep(frame_time.saturating_sub(d));
    }
    println!("{autosaves} autosaves finished during the run");
    stats("annotating frame, 10k documents, autosave on", times);

    // Ctrl+S: the frame with the key and every frame until the project is saved.
    let mut key_frames = Vec::new();
    let mut waiting = Vec::new();
    for _ in 0..3 {
        for i in 0..3 {
            h.annotating_frame(i);
        }
        key_frames.push(h.key(Key::S, Modifiers::COMMAND));
        let start = Instant::now();
        while h.app.is_dirty() && start.elapsed() < Duration::from_secs(30) {
            let d = h.frame(Vec::new());
            waiting.push(d);
            std::thread::sleep(frame_time.saturating_sub(d));
        }
        assert!(!h.app.is_dirty(), "saved: {:?}", h.app.toasts());
    }
    stats("frame pressing Ctrl+S, 10k documents", key_frames);
    if !waiting.is_empty() {
        stats("frames while saving, 10k documents", waiting);
    }

    c.bench_function("gui annotating frame (10k documents, autosave on)", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i += 1;
            h.annotating_frame(i)
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(5));
    targets = frames, corpus_frames
}
criterion_main!(benches);

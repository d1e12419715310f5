//! `spantag_core::segment` against `unicode_segmentation` (word bounds, tokens with code point
//! offsets, sentence bounds) on ~300 KB of generated text of two kinds:
//! - `news`: English and European news prose (ASCII, Latin-1 letters, curly quotes, dashes,
//!   NBSP, currency), the text the fast path is written for;
//! - `mixed`: the same prose with paragraphs and phrases in other scripts interleaved: emoji
//!   (flags, ZWJ families, skin tones), Chinese and Japanese, Arabic, and letters with combining
//!   marks. Lines holding any of these go to `unicode_segmentation`.
//!
//! Both sides produce the same segments (the tests in `segment.rs` and `tests/core/props.rs`
//! check this); the figures are quoted at the top of `crates/spantag-core/src/segment.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spantag_core::segment;
use std::hint::black_box;
use std::time::Duration;
use unicode_segmentation::UnicodeSegmentation;

const NEWS: [&str; 8] = [
    "The Lune Port Harbour Authority on Tuesday approved plans for a £48.5\u{a0}million road bridge.",
    "“It’s the biggest project since 1998,” said the mayor, Lena Ortiz – who was re-elected in May.",
    "Residents of Saltmarsh Island (pop. 3,400) have waited 12.5 years; some aren't convinced.",
    "Zürich-based engineers, led by Dr. Ana Müller, expect the work to cost €52m, i.e. 8% more.",
    "Ferry fares rose to £7.20 at 6:30 a.m. on Monday, according to U.S.-owned operator Blue Line.",
    "«On verra», a déclaré le maire de Saint-Étienne… Le café était fermé à 17\u{a0}h 30.",
    "The council said: \"No decision has been taken.\" Really? Yes! The vote is on 4 March.",
    "Über 200 Bürger protestierten gegen die Brücke; die Polizei sprach von „friedlichen“ Gruppen.",
];

const OTHER: [&str; 8] = [
    "Fans cheered 🎉🎉 as the first car crossed 🇬🇧🇩🇪 – families 👩‍👩‍👧‍👦 and 👋🏽 waves all round.",
    "東京都は月曜日、新しい橋の建設計画を承認した。費用は約五十億円とみられる。",
    "市长说：“这座桥将在2027年通车。”居民们对此表示欢迎。",
    "قال رئيس البلدية إن الجسر سيفتح في عام 2027، وإن التكلفة تبلغ 48 مليون جنيه.",
    "Cafe\u{301} owners in Sa\u{303}o Paulo said de\u{301}ja\u{300} vu; the ma\u{308}yor disagreed.",
    "Ελληνικά: Ο δήμαρχος είπε ότι η γέφυρα θα ανοίξει το 2027. Τι άλλο;",
    "Ночью мэр сказал: «Мост откроют в 2027 году». Жители довольны!",
    "हिन्दी में: महापौर ने कहा कि पुल 2027 में खुलेगा।",
];

/// Deterministic text of about `bytes` bytes: paragraphs of news sentences and, when `mixed`,
/// paragraphs and inserted phrases from other scripts.
fn generate(bytes: usize, mixed: bool) -> String {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut text = String::with_capacity(bytes + 512);
    while text.len() < bytes {
        let sentences = 2 + next() % 5;
        for i in 0..sentences {
            if i > 0 {
                text.push(' ');
            }
            let r = next();
            if mixed && r % 4 == 0 {
                text.push_str(OTHER[(r >> 8) as usize % OTHER.len()]);
            } else {
                text.push_str(NEWS[(r >> 8) as usize % NEWS.len()]);
            }
        }
        text.push_str(if next() % 5 == 0 { "\n" } else { "\n\n" });
    }
    text
}

fn bench(c: &mut Criterion) {
    for (name, mixed) in [("news", false), ("mixed", true)] {
        let text = generate(300_000, mixed);
        // Both sides find the same segments here too.
        let mut words = Vec::new();
        segment::for_each_word(&text, |i, w| words.push((i, w)));
        assert!(words.iter().copied().eq(text.split_word_bound_indices()));
        let mut sentences = Vec::new();
        segment::for_each_sentence(&text, |i, s| sentences.push((i, s)));
        assert!(
            sentences
                .iter()
                .copied()
                .eq(text.split_sentence_bound_indices())
        );
        let mut g = c.benchmark_group(format!("segment_{name}"));
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.sample_size(20).measurement_time(Duration::from_secs(5));

        g.bench_function("words/spantag", |b| {
            b.iter(|| {
                let mut n = 0usize;
                segment::for_each_word(black_box(&text), |i, w| n += i ^ w.len());
                n
            });
        });
        g.bench_function("words/unicode-segmentation", |b| {
            b.iter(|| {
                let mut n = 0usize;
                for (i, w) in black_box(&text).split_word_bound_indices() {
                    n += i ^ w.len();
                }
                n
            });
        });

        // Tokens carry code point offsets, as exports need them.
        g.bench_function("tokens/spantag", |b| {
            b.iter(|| {
                let mut n = 0usize;
                segment::for_each_token(black_box(&text), |w| n += w.start ^ w.end);
                n
            });
        });
        g.bench_function("tokens/unicode-segmentation", |b| {
            b.iter(|| {
                let (mut n, mut chars, mut byte) = (0usize, 0usize, 0usize);
                let t = black_box(&text);
                for (i, w) in t.split_word_bound_indices() {
                    chars += t[byte..i].chars().count();
                    byte = i;
                    if w.chars().all(char::is_whitespace) {
                        continue;
                    }
                    let end = chars + w.chars().count();
                    n += chars ^ end;
                }
                n
            });
        });

        g.bench_function("sentences/spantag", |b| {
            b.iter(|| {
                let mut n = 0usize;
                segment::for_each_sentence(black_box(&text), |i, s| n += i ^ s.len());
                n
            });
        });
        g.bench_function("sentences/unicode-segmentation", |b| {
            b.iter(|| {
                let mut n = 0usize;
                for (i, s) in black_box(&text).split_sentence_bound_indices() {
                    n += i ^ s.len();
                }
                n
            });
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

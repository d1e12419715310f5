//! A generated news-like project whose names and places recur: the test and benchmark data of
//! the suggesters (no real article is used). Every document is marked done and every actor,
//! place, number and claim in it is labelled, so it is its own gold standard.

use super::features::Rng;
use crate::model::{Document, LineEndings, Project, Source, Span, SpanId, Status, content_hash};
use crate::time::Timestamp;

const ACTORS: &[&str] = &[
    "Mara Velt",
    "Jonas Pike",
    "Dr Ilse Varga",
    "Tomas Breck",
    "the Harbour Authority",
    "the district council",
    "Councillor Priya Haldane",
    "Owen Tallis",
    "the Rivers Trust",
    "Ruth Ambler",
    "the transport ministry",
    "Hana Lowe",
    "Gareth Mullin",
    "the Farmers' Group",
    "Lorna Petch",
    "the coastal agency",
    "Osric Fenn",
    "the Lune Port police",
    "Amara Iqbal",
    "the Vell Water company",
];
const PLACES: &[&str] = &[
    "Saltmarsh Island",
    "North Quay",
    "Dunmarsh",
    "the Orrin estate",
    "Carrow",
    "Marrow Head",
    "the upper Vell valley",
    "Lune Port",
    "Greyhaven",
    "Hobb's Weir",
    "Cale Point",
    "the Old Town",
    "Chandlery Row",
    "Westmoor",
    "Kelling",
];
const NUMBERS: &[&str] = &[
    "£48.5 million",
    "12",
    "ten years",
    "40%",
    "3,400",
    "seven",
    "£1.50",
    "two",
    "41 days",
    "1.2 km",
    "2028",
    "half",
    "six",
    "94.5%",
    "£30 million",
    "25 years",
    "a dozen",
];
const VERBS: &[&str] = &["said", "told reporters", "argued", "warned", "claimed"];
const FILLER: &[&str] = &[
    "The meeting ended late in the evening.",
    "Residents were invited to comment.",
    "A decision is expected next spring.",
    "The plans were published last week.",
    "Work has not yet started.",
];

/// One piece of a sentence: plain text, or a labelled slot.
enum Piece {
    Text(String),
    Slot(String, &'static str),
}

fn t(s: &str) -> Piece {
    Piece::Text(s.to_owned())
}

fn slot(s: &str, label: &'static str) -> Piece {
    Piece::Slot(s.to_owned(), label)
}

/// A project of `docs` generated documents (deterministic for a `seed`).
pub fn project(docs: usize, seed: u64) -> Project {
    let mut p = Project::new("generated", &crate::model::DEFAULT_LABELS);
    let mut rng = Rng::new(seed);
    let mut next = 1u64;
    for n in 0..docs {
        let (text, spans) = article(&mut rng);
        let source = Source {
            path: None,
            hash: content_hash(&text),
            encoding: "UTF-8".into(),
            line_endings: LineEndings::Lf,
        };
        let mut doc = Document::new(format!("gen-{n:05}"), format!("Article {n}"), text, source);
        doc.done = true;
        for (start, end, label) in spans {
            let text = doc.slice(start, end).unwrap_or_default().to_owned();
            doc.spans.push(Span {
                id: SpanId(next),
                start,
                end,
                label: label.to_owned(),
                text,
                author: "ana".into(),
                created: Timestamp(0),
                status: Status::Pending,
                review: None,
                note: None,
                proposed_by: Vec::new(),
                fragments: Vec::new(),
            });
            next += 1;
        }
        doc.sort_spans();
        p.documents.push(std::sync::Arc::new(doc));
    }
    p.next_span_id = next;
    p
}

/// A project generated with at least `spans` spans.
pub fn project_with_spans(spans: usize, seed: u64) -> Project {
    // About 30 spans a document; grow until there are enough.
    let mut docs = spans / 30 + 1;
    loop {
        let p = project(docs, seed);
        if p.span_count() >= spans {
            return p;
        }
        docs += docs / 10 + 1;
    }
}

fn pick<'a>(rng: &mut Rng, list: &[&'a str]) -> &'a str {
    list.get(rng.below(list.len())).copied().unwrap_or("")
}

/// One article: text and (start, end, label) spans in code points.
fn article(rng: &mut Rng) -> (String, Vec<(usize, usize, &'static str)>) {
    let mut text = String::new();
    let mut len = 0usize;
    let mut spans = Vec::new();
    let sentences = 10 + rng.below(6);
    for k in 0..sentences {
        let actor = pick(rng, ACTORS);
        let place = pick(rng, PLACES);
        let number = pick(rng, NUMBERS);
        let other = pick(rng, PLACES);
        let verb = pick(rng, VERBS);
        let capital = |s: &'static str| -> String {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        };
        let actor_cap = capital(actor);
        let mut claim = false;
        let pieces: Vec<Piece> = match rng.below(5) {
            0 => vec![
                slot(&actor_cap, "actor"),
                t(" visited "),
                slot(place, "place"),
                t(" on Tuesday with "),
                slot(number, "number"),
                t(" officials."),
            ],
            1 => vec![
                t("The road from "),
                slot(place, "place"),
                t(" to "),
                slot(other, "place"),
                t(" will cost "),
                slot(number, "number"),
                t("."),
            ],
            2 => vec![
                slot(&actor_cap, "actor"),
                t(" met residents in "),
                slot(place, "place"),
                t("."),
            ],
            3 => vec![t(pick(rng, FILLER))],
            _ => {
                claim = true;
                vec![
                    slot(&actor_cap, "actor"),
                    t(&format!(" {verb} that ")),
                    slot(place, "place"),
                    t(" had waited "),
                    slot(number, "number"),
                    t(" for the work."),
                ]
            }
        };
        let sentence_start = len;
        for piece in &pieces {
            let (s, label) = match piece {
                Piece::Text(t) => (t.as_str(), None),
                Piece::Slot(t, l) => (t.as_str(), Some(*l)),
            };
            let n = s.chars().count();
            if let Some(l) = label {
                spans.push((len, len + n, l));
            }
            text.push_str(s);
            len += n;
        }
        if claim {
            spans.push((sentence_start, len, "claim"));
        }
        let sep = if k % 4 == 3 { "\n\n" } else { " " };
        if k + 1 < sentences {
            text.push_str(sep);
            len += sep.chars().count();
        }
    }
    text.push('\n');
    (text, spans)
}

//! The suggesters: gazetteer, numbers and the model on projects written in markup and on a
//! generated project; applying suggestions; k-fold evaluation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use spantag_core::markup::project_from_markup;
use spantag_core::model::{Project, Status};
use spantag_core::suggest::evaluate::{EvalError, evaluate};
use spantag_core::suggest::gazetteer::{Gazetteer, parse_patterns};
use spantag_core::suggest::model::Model;
use spantag_core::suggest::{
    Options, Suggester, SuggesterKind, Suggesters, Suggestion, apply_edits, synthetic,
};
use spantag_core::time::Timestamp;
use std::sync::Arc;

fn project(docs: &[(&str, &str)]) -> Project {
    project_from_markup("t", docs, "ana", Timestamp(0)).unwrap()
}

fn only(kind: SuggesterKind) -> Options {
    Options {
        kinds: vec![kind],
        patterns: Vec::new(),
    }
}

/// (text, label, suggester) of the suggestions for document `doc`.
fn found(p: &Project, s: &Suggesters, doc: &str, min: f64) -> Vec<(String, String, SuggesterKind)> {
    let d = p.doc(doc).unwrap();
    s.suggest(p, d, min)
        .into_iter()
        .map(|x| {
            (
                d.slice(x.start, x.end).unwrap().to_owned(),
                x.label,
                x.suggester,
            )
        })
        .collect()
}

fn texts(v: &[(String, String, SuggesterKind)]) -> Vec<(&str, &str)> {
    v.iter().map(|(t, l, _)| (t.as_str(), l.as_str())).collect()
}

#[test]
fn gazetteer_finds_every_whole_token_occurrence_longest_first() {
    let p = project(&[
        ("a", "[actor US forces] left [place Kirkuk] on Monday."),
        (
            "b",
            "In Kirkuk, US forces met the US envoy. Kirkukian food and kirkuk (lower case) are not it.",
        ),
    ]);
    let s = Suggesters::train(&p, &only(SuggesterKind::Gazetteer));
    let got = found(&p, &s, "b", 0.0);
    assert_eq!(
        texts(&got),
        vec![("Kirkuk", "place"), ("US forces", "actor")]
    );
    // Document a already has those spans: nothing to suggest there.
    assert!(found(&p, &s, "a", 0.0).is_empty());
}

#[test]
fn gazetteer_scores_by_share_of_labelled_occurrences_and_rejections() {
    // "May" labelled actor once; in done document "c" it also occurs twice unlabelled.
    let mut p = project(&[
        ("a", "[actor May] spoke. [place Basra] was quiet."),
        ("b", "[place Basra] again, and [actor Basra] once."),
        ("c", "In May, May said so. Basra."),
        ("d", "May and Basra."),
    ]);
    Arc::make_mut(&mut p.documents[2]).done = true;
    // A rejected "Basra" as actor in d counts against the actor label.
    let d = Arc::make_mut(&mut p.documents[3]);
    let _ = d;
    let mut rejected = p.make_span("d", 8, 13, "actor", "ana").unwrap();
    rejected.status = Status::Rejected;
    p.apply(spantag_core::edit::Edit::AddSpan {
        doc: "d".into(),
        span: rejected,
    })
    .unwrap();
    let g = Gazetteer::train(
        &p.documents.iter().map(|d| d.as_ref()).collect::<Vec<_>>(),
        &[],
    );
    let doc_d = p.doc("d").unwrap();
    let mut got: Vec<(String, String, f64)> = g
        .suggest_raw(doc_d)
        .into_iter()
        .map(|s| {
            (
                doc_d.slice(s.start, s.end).unwrap().to_owned(),
                s.label,
                s.score,
            )
        })
        .collect();
    got.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // May: 1 labelled actor, 2 unlabelled in done c ("May" twice) → 1/3.
    // Basra: place 2, actor 1, 1 unlabelled in done c; actor also rejected once.
    let expect = [
        ("Basra", "actor", 1.0 / 5.0),
        ("Basra", "place", 2.0 / 4.0),
        ("May", "actor", 1.0 / 3.0),
    ];
    assert_eq!(got.len(), expect.len(), "{got:?}");
    for ((t, l, s), (et, el, es)) in got.iter().zip(expect) {
        assert_eq!((t.as_str(), l.as_str()), (et, el));
        assert!((s - es).abs() < 1e-9, "{t} {l}: {s} != {es}");
    }
    // The rejected span itself blocks an actor suggestion in its place.
    let s = Suggesters::train(&p, &only(SuggesterKind::Gazetteer));
    assert_eq!(
        texts(&found(&p, &s, "d", 0.0)),
        vec![("May", "actor"), ("Basra", "place")]
    );
}

#[test]
fn imported_patterns_prodigy_and_tsv() {
    let labels: Vec<String> = ["actor", "place"].iter().map(|s| s.to_string()).collect();
    let jsonl = concat!(
        "{\"label\": \"PLACE\", \"pattern\": \"New Harbour\"}\n",
        "{\"label\": \"actor\", \"pattern\": [{\"lower\": \"the\"}, {\"LOWER\": \"mayor\"}]}\n",
        "{\"label\": \"actor\", \"pattern\": [{\"orth\": \"Ilse\"}, {\"pos\": \"PROPN\"}]}\n",
        "{\"label\": \"date\", \"pattern\": \"Monday\"}\n",
        "not json\n",
    );
    let (patterns, problems) = parse_patterns(jsonl, &labels);
    assert_eq!(patterns.len(), 2, "{patterns:?}");
    assert_eq!(patterns[0].label, "place");
    assert!(patterns[1].tokens.iter().all(|t| t.any_case));
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].starts_with("line 3:") && problems[0].contains("\"pos\""));
    assert!(problems[1].contains("\"date\""));
    assert!(problems[2].starts_with("line 5:"));

    let tsv = "# comment\nSaltmarsh Island\tplace\n\nDr Lowe\tACTOR\nbroken line\n";
    let (more, problems) = parse_patterns(tsv, &labels);
    assert_eq!(more.len(), 2);
    assert_eq!(more[1].label, "actor");
    assert_eq!(problems, vec!["line 5: expected text<TAB>LABEL".to_owned()]);

    let p = project(&[(
        "a",
        "THE MAYOR of New Harbour met Dr Lowe on Saltmarsh Island; new harbour is not it.",
    )]);
    let mut all = patterns;
    all.extend(more);
    let s = Suggesters::train(
        &p,
        &Options {
            kinds: vec![SuggesterKind::Gazetteer],
            patterns: all,
        },
    );
    assert_eq!(
        texts(&found(&p, &s, "a", 0.5)),
        vec![
            ("THE MAYOR", "actor"),
            ("New Harbour", "place"),
            ("Dr Lowe", "actor"),
            ("Saltmarsh Island", "place")
        ]
    );
}

#[test]
fn numbers_in_a_document_and_never_over_an_existing_span() {
    let p = project(&[(
        "a",
        "It cost [number £48.5 million] — 40% more 😀 than the 1.2 km bridge planned for 2028.",
    )]);
    let s = Suggesters::train(&p, &only(SuggesterKind::Numbers));
    let got = found(&p, &s, "a", 0.0);
    assert_eq!(
        texts(&got),
        vec![("40%", "number"), ("1.2 km", "number"), ("2028", "number")]
    );
    // Offsets are code points: the emoji before "1.2 km" counts one.
    let d = p.doc("a").unwrap();
    let sug = s.suggest(&p, d, 0.0);
    assert_eq!(d.slice(sug[1].start, sug[1].end), Some("1.2 km"));
    assert!(sug.iter().all(|x| x.score > 0.0 && x.score <= 1.0));
}

#[test]
fn applying_adds_pending_spans_with_provenance() {
    let mut p = project(&[
        ("a", "[place Kirkuk] is north. It has 70 schools."),
        ("b", "Kirkuk again, with 2,500 homes."),
    ]);
    let s = Suggesters::train(&p, &Options::default());
    let sug: Vec<Suggestion> = p
        .documents
        .iter()
        .flat_map(|d| s.suggest(&p, d, 0.5))
        .collect();
    let edits = apply_edits(&p, &sug).unwrap();
    assert!(!edits.is_empty());
    p.apply_all(edits).unwrap();
    let b = p.doc("b").unwrap();
    let kirkuk = b.spans.iter().find(|s| s.text == "Kirkuk").unwrap();
    assert_eq!(kirkuk.label, "place");
    assert_eq!(kirkuk.status, Status::Pending);
    assert!(kirkuk.author.starts_with("suggest:"));
    assert_eq!(kirkuk.proposed_by, vec![kirkuk.author.clone()]);
    let homes = b.spans.iter().find(|s| s.text == "2,500").unwrap();
    assert_eq!(
        (homes.author.as_str(), homes.label.as_str()),
        ("suggest:numbers", "number")
    );
    // Applied again: nothing new (every suggestion now overlaps its own span).
    let again: Vec<Suggestion> = p
        .documents
        .iter()
        .flat_map(|d| s.suggest(&p, d, 0.5))
        .collect();
    assert!(apply_edits(&p, &again).unwrap().is_empty());
    // Unreviewed suggestions do not teach: retrained, the gazetteer knows only the hand-made one.
    let g = Suggesters::train(&p, &only(SuggesterKind::Gazetteer));
    assert_eq!(g.gazetteer.as_ref().unwrap().len(), 1);
}

#[test]
fn model_learns_names_and_places_and_is_deterministic_and_serializable() {
    let p = synthetic::project(40, 7);
    let train: Vec<_> = p.documents[..30].iter().map(|d| d.as_ref()).collect();
    let labels: Vec<String> = p.labels.iter().map(|l| l.name.clone()).collect();
    let g = Gazetteer::train(&train, &[]);
    let m1 = Model::train(&train, &labels, g.clone());
    let m2 = Model::train(&train, &labels, g);
    assert_eq!(m1.summary.documents, 30);
    assert!(m1.summary.spans["place"] > 100);
    let test = p.documents[35].as_ref();
    let s1 = m1.suggest_raw(test);
    assert_eq!(s1, m2.suggest_raw(test), "training is deterministic");
    // Most gold spans of the unseen document are found exactly.
    let gold: std::collections::BTreeSet<(usize, usize, &str)> = test
        .spans
        .iter()
        .map(|s| (s.start, s.end, s.label.as_str()))
        .collect();
    let hits = s1
        .iter()
        .filter(|s| gold.contains(&(s.start, s.end, s.label.as_str())))
        .count();
    assert!(hits * 10 >= gold.len() * 8, "{hits} of {}", gold.len());
    assert!(s1.iter().any(|s| s.label == "claim"));
    // Serde round trip: the same suggestions.
    let json = serde_json::to_string(&m1).unwrap();
    let back: Model = serde_json::from_str(&json).unwrap();
    assert_eq!(back.suggest_raw(test), s1);
}

#[test]
fn model_keeps_overlapping_labels_apart() {
    // A place inside an actor: separate taggers, so both can be suggested.
    let docs: Vec<(String, String)> = (0..12)
        .map(|i| {
            (
                format!("d{i}"),
                format!(
                    "Yesterday [actor the [place Carrow] council] met. Later [actor the [place Dunmarsh] council] agreed. Item {i}."
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = docs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let mut p = project(&refs);
    for d in &mut p.documents {
        Arc::make_mut(d).done = true;
    }
    let train: Vec<_> = p.documents[..10].iter().map(|d| d.as_ref()).collect();
    let labels: Vec<String> = p.labels.iter().map(|l| l.name.clone()).collect();
    let m = Model::train(&train, &labels, Gazetteer::train(&train, &[]));
    let test = p.documents[11].as_ref();
    let raw = m.suggest_raw(test);
    let got: Vec<(&str, &str)> = raw
        .iter()
        .map(|s| (test.slice(s.start, s.end).unwrap(), s.label.as_str()))
        .collect();
    assert!(got.contains(&("the Carrow council", "actor")), "{got:?}");
    assert!(got.contains(&("Carrow", "place")), "{got:?}");
}

#[test]
fn k_fold_evaluation_on_a_generated_project() {
    let p = synthetic::project(40, 11);
    let ev = evaluate(&p, &Options::default(), 4, 0.5).unwrap();
    assert_eq!((ev.folds, ev.documents), (4, 40));
    let f1 = |sug: &str, label: &str| {
        ev.rows
            .iter()
            .find(|r| r.suggester == sug && r.label == label)
            .and_then(|r| r.f1)
            .unwrap_or(0.0)
    };
    for label in ["actor", "place", "number"] {
        assert!(f1("model", label) > 0.9, "model {label}: {:?}", ev.rows);
        assert!(f1("all", label) > 0.8, "all {label}: {:?}", ev.rows);
    }
    assert!(f1("model", "claim") > 0.9, "{:?}", ev.rows);
    assert!(f1("gazetteer", "place") > 0.9, "{:?}", ev.rows);
    assert!(f1("numbers", "number") > 0.8, "{:?}", ev.rows);
    // Deterministic.
    assert_eq!(evaluate(&p, &Options::default(), 4, 0.5).unwrap(), ev);
    assert_eq!(
        evaluate(&p, &Options::default(), 1, 0.5),
        Err(EvalError::TooFewFolds(1))
    );
    let small = synthetic::project(3, 1);
    assert_eq!(
        evaluate(&small, &Options::default(), 5, 0.5),
        Err(EvalError::TooFewDocuments {
            folds: 5,
            documents: 3
        })
    );
}

/// Writes a generated project of 500 documents to `$SPANTAG_GENERATED_OUT`, for evaluating the
/// suggesters by hand (`spantag suggest --evaluate`); run with `--ignored`.
#[test]
#[ignore]
fn write_generated_project() {
    let Ok(out) = std::env::var("SPANTAG_GENERATED_OUT") else {
        return;
    };
    spantag_core::project_io::save(&synthetic::project(500, 2026), std::path::Path::new(&out))
        .unwrap();
}

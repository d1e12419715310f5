//! The bundled sample project is built from the marked-up articles in `projects/articles/`.
//! This test rebuilds it and compares with the committed `projects/sample.ron`; run it with
//! `SPANTAG_BLESS=1` to rewrite the file after editing an article.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use spantag_core::markup::project_from_markup;
use spantag_core::model::DocState;
use spantag_core::project_io;
use spantag_core::time::Timestamp;
use std::path::Path;
use std::sync::Arc;

const ARTICLES: [(&str, &str); 3] = [
    ("harbour-bridge", "01-harbour-bridge.txt"),
    ("school-meals", "02-school-meals.txt"),
    ("river-survey", "03-river-survey.txt"),
];

fn build() -> spantag_core::model::Project {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../projects/articles");
    let sources: Vec<(String, String)> = ARTICLES
        .iter()
        .map(|(id, file)| {
            let text = std::fs::read_to_string(root.join(file)).expect("article");
            ((*id).to_owned(), text)
        })
        .collect();
    let docs: Vec<(&str, &str)> = sources
        .iter()
        .map(|(i, t)| (i.as_str(), t.as_str()))
        .collect();
    let mut p = project_from_markup("Sample: local news", &docs, "ana", Timestamp(1_795_000_000))
        .expect("articles parse");
    for (d, (_, file)) in p.documents.iter_mut().zip(ARTICLES) {
        Arc::make_mut(d).source.path = Some(format!("projects/articles/{file}"));
    }
    Arc::make_mut(&mut p.documents[0]).done = true;
    link_claims_to_sources(&mut p);
    p
}

/// The sample's attributions: a `source` relation from each attributed claim to the actor who
/// made it (claim span id, actor span id). The lead claims (1, 81) and a few others are left
/// without a source, so that the "claims without a source" filter has something to find.
const SOURCES: [(&str, u64, u64); 12] = [
    ("harbour-bridge", 9, 13),
    ("harbour-bridge", 26, 23),
    ("harbour-bridge", 35, 30),
    ("harbour-bridge", 43, 42),
    ("harbour-bridge", 47, 46),
    ("harbour-bridge", 67, 62),
    ("harbour-bridge", 79, 78),
    ("school-meals", 91, 90),
    ("school-meals", 99, 102),
    ("school-meals", 103, 105),
    ("school-meals", 109, 108),
    ("school-meals", 81, 82),
];

fn link_claims_to_sources(p: &mut spantag_core::model::Project) {
    use spantag_core::edit::Edit;
    use spantag_core::model::{RelationId, SpanId};
    let mut edits = Vec::new();
    for (i, (doc, claim, actor)) in SOURCES.into_iter().enumerate() {
        let created = p
            .doc(doc)
            .expect("doc")
            .span(SpanId(claim))
            .expect("claim")
            .created;
        let mut r = p
            .make_relation(doc, SpanId(claim), SpanId(actor), "source", "ana")
            .expect("relation");
        r.id = RelationId(i as u64 + 1);
        r.created = created;
        edits.push(Edit::AddRelation {
            doc: doc.to_owned(),
            relation: r,
        });
    }
    p.apply_all(edits).expect("relations apply");
}

#[test]
fn sample_project_is_up_to_date() {
    let mut built = build();
    built.normalize();
    let expected = project_io::to_ron_string(&built).expect("serialize");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../projects/sample.ron");
    if std::env::var_os("SPANTAG_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("write sample");
    }
    let on_disk = std::fs::read_to_string(&path).expect("projects/sample.ron exists");
    assert!(
        on_disk == expected,
        "projects/sample.ron is out of date: run SPANTAG_BLESS=1 cargo test --test sample_project"
    );
    let loaded = project_io::load(&path).expect("sample loads");
    let states: Vec<DocState> = loaded.documents.iter().map(|d| d.state()).collect();
    assert_eq!(
        states,
        [DocState::Done, DocState::InProgress, DocState::Untouched]
    );
    for d in &loaded.documents {
        for needle in ['\u{a0}', '“', '”', '’', '–'] {
            assert!(d.text.contains(needle), "{} lacks {needle:?}", d.id);
        }
    }
}

/// Documents are shared in memory (`Arc<Document>`), but a project file holds each document as
/// itself: loading the committed sample (written before documents were shared) and saving it
/// writes the same bytes, and so does saving a copy that shares every document with it.
#[test]
fn saving_the_sample_writes_the_same_bytes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../projects/sample.ron");
    let committed = std::fs::read(&path).expect("projects/sample.ron exists");
    let loaded = project_io::load(&path).expect("sample loads");
    let snapshot = loaded.clone();
    assert!(
        loaded
            .documents
            .iter()
            .zip(&snapshot.documents)
            .all(|(a, b)| Arc::ptr_eq(a, b)),
        "a copy of the project shares its documents"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, project) in [("loaded.ron", &loaded), ("snapshot.ron", &snapshot)] {
        let out = dir.path().join(name);
        project_io::save(project, &out).expect("saves");
        assert!(
            std::fs::read(&out).expect("written") == committed,
            "{name} differs from projects/sample.ron"
        );
    }
}

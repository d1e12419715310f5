//! `spantag suggest`: printing (text and JSON), applying with provenance, imported patterns,
//! cross-validation, and refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{code, markup_project, out, spantag};
use serde_json::Value;
use spantag_core::model::Status;
use spantag_core::project_io;
use spantag_core::suggest::synthetic;

fn small(dir: &std::path::Path) -> String {
    let p = markup_project(
        "s",
        &[
            (
                "a",
                "[actor US forces] left [place Kirkuk] on Monday with [number 70] trucks.",
            ),
            ("b", "In Kirkuk, US forces counted 2,500 homes."),
        ],
    );
    project_io::save(&p, &dir.join("p.ron")).unwrap();
    "p.ron".to_owned()
}

#[test]
fn prints_suggestions_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let p = small(dir.path());
    let o = spantag(&["suggest", &p, "--doc", "b"], dir.path());
    assert_eq!(code(&o), 0, "{}", out(&o));
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        text.contains("b\t3-9\tplace\t1.00\tgazetteer\t\"Kirkuk\"\tlabelled place 1 of 1 times"),
        "{text}"
    );
    assert!(text.contains("\"2,500\""), "{text}");
    assert!(text.contains("suggestion(s) in 1 document(s)"), "{text}");

    let o = spantag(
        &[
            "suggest",
            &p,
            "--json",
            "--suggesters",
            "numbers",
            "--min-score",
            "0.6",
        ],
        dir.path(),
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let items = v["suggestions"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["doc"], "b");
    assert_eq!(items[0]["text"], "2,500");
    assert_eq!(items[0]["label"], "number");
    assert_eq!(items[0]["suggester"], "numbers");
    assert_eq!(
        (items[0]["start"].as_u64(), items[0]["end"].as_u64()),
        (Some(29), Some(34))
    );
    assert!(items[0]["score"].as_f64().unwrap() >= 0.6);
}

#[test]
fn apply_adds_pending_spans_with_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let p = small(dir.path());
    // --apply needs an explicit threshold.
    let o = spantag(&["suggest", &p, "--apply"], dir.path());
    assert_eq!(code(&o), 2, "{}", out(&o));
    let o = spantag(
        &[
            "suggest",
            &p,
            "--apply",
            "--min-score",
            "0.5",
            "--suggesters",
            "gazetteer,numbers",
        ],
        dir.path(),
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(
        out(&o).contains("added 3 pending span(s) to p.ron (gazetteer 2, numbers 1)"),
        "{}",
        out(&o)
    );
    let project = project_io::load(&dir.path().join("p.ron")).unwrap();
    let b = project.doc("b").unwrap();
    let got: Vec<(&str, &str, &str, &[String])> = b
        .spans
        .iter()
        .map(|s| {
            (
                s.text.as_str(),
                s.label.as_str(),
                s.author.as_str(),
                s.proposed_by.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "Kirkuk",
                "place",
                "suggest:gazetteer",
                &["suggest:gazetteer".to_owned()][..]
            ),
            (
                "US forces",
                "actor",
                "suggest:gazetteer",
                &["suggest:gazetteer".to_owned()][..]
            ),
            (
                "2,500",
                "number",
                "suggest:numbers",
                &["suggest:numbers".to_owned()][..]
            ),
        ]
    );
    assert!(b.spans.iter().all(|s| s.status == Status::Pending));
    // Again: nothing new, nothing written.
    let o = spantag(
        &["suggest", &p, "--apply", "--min-score", "0.5"],
        dir.path(),
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(out(&o).contains("added 0 pending span(s)"), "{}", out(&o));
}

#[test]
fn patterns_files_and_their_problems() {
    let dir = tempfile::tempdir().unwrap();
    let p = small(dir.path());
    std::fs::write(
        dir.path().join("patterns.jsonl"),
        "{\"label\": \"PLACE\", \"pattern\": [{\"lower\": \"monday\"}]}\n{\"label\": \"date\", \"pattern\": \"x\"}\n",
    )
    .unwrap();
    let o = spantag(
        &[
            "suggest",
            &p,
            "--suggesters",
            "gazetteer",
            "--patterns",
            "patterns.jsonl",
        ],
        dir.path(),
    );
    // One pattern used, one not: exit code 1, with the reason.
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(out(&o).contains("\"Monday\""), "{}", out(&o));
    assert!(
        out(&o).contains(
            "warning: not used: patterns.jsonl: line 2: label \"date\" is not in the project"
        ),
        "{}",
        out(&o)
    );
    std::fs::write(dir.path().join("bad.tsv"), "no tab here\n").unwrap();
    let o = spantag(&["suggest", &p, "--patterns", "bad.tsv"], dir.path());
    assert_eq!(code(&o), 2, "{}", out(&o));
}

#[test]
fn refusals() {
    let dir = tempfile::tempdir().unwrap();
    let p = small(dir.path());
    for args in [
        vec!["suggest", &p, "--suggesters", "oracle"],
        vec!["suggest", &p, "--doc", "nope"],
        vec!["suggest", &p, "--min-score", "1.5"],
        vec!["suggest", &p, "--evaluate", "--folds", "1"],
        vec!["suggest", &p, "--evaluate", "--folds", "3"],
        vec!["suggest", "missing.ron"],
    ] {
        let o = spantag(&args, dir.path());
        assert_eq!(code(&o), 2, "{args:?}: {}", out(&o));
    }
}

#[test]
fn evaluate_prints_figures_per_suggester_and_label() {
    let dir = tempfile::tempdir().unwrap();
    project_io::save(&synthetic::project(24, 5), &dir.path().join("g.ron")).unwrap();
    let o = spantag(
        &["suggest", "--evaluate", "g.ron", "--folds", "3"],
        dir.path(),
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        text.starts_with("3-fold cross-validation over 24 annotated document(s)"),
        "{text}"
    );
    assert!(text.contains("\nmodel      place"), "{text}");
    let o = spantag(
        &["suggest", "--evaluate", "g.ron", "--folds", "3", "--json"],
        dir.path(),
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["folds"], 3);
    let rows = v["rows"].as_array().unwrap();
    let f1 = |sug: &str, label: &str| {
        rows.iter()
            .find(|r| r["suggester"] == sug && r["label"] == label)
            .and_then(|r| r["f1"].as_f64())
            .unwrap()
    };
    assert!(f1("model", "actor") > 0.8, "{v}");
    assert!(f1("numbers", "number") > 0.8, "{v}");
    assert!(f1("all", "place") > 0.8, "{v}");
}

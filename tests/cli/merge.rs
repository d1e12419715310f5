//! Comparing annotators and merging into gold: classification, strategies, the conflict queue,
//! and the `merge` command on projects whose documents are in different order and partly missing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use spantag_core::history::{Cursor, Workspace};
use spantag_core::markup::{project_from_markup, render};
use spantag_core::model::{Project, Status};
use spantag_core::review::compare::{Annotator, compare, match_documents};
use spantag_core::review::merge::{Resolution, Strategy, conflicts, merge, resolve};
use spantag_core::time::Timestamp;
use std::process::Command;

const T: Timestamp = Timestamp(1_795_000_000);

fn project(author: &str, docs: &[(&str, &str)]) -> Project {
    project_from_markup(author, docs, author, T).unwrap()
}

fn kinds(p: &[Project], names: &[&str]) -> Vec<Vec<(String, &'static str, Vec<usize>)>> {
    let anns: Vec<Annotator> = p
        .iter()
        .zip(names)
        .map(|(project, name)| Annotator { name, project })
        .collect();
    compare(&anns)
        .iter()
        .map(|c| {
            c.spans
                .iter()
                .map(|s| (s.text.clone(), s.agreement.name(), s.by.clone()))
                .collect()
        })
        .collect()
}

#[test]
fn spans_are_classified_across_annotators() {
    let a = project(
        "ana",
        &[(
            "x",
            "[actor The mayor] of [place Lune Port] said [number 40] jobs [claim would go]",
        )],
    );
    let b = project(
        "ben",
        &[(
            "y",
            "[actor The mayor] of [actor Lune Port] said [number 40 jobs] [claim would go]",
        )],
    );
    let k = kinds(&[a, b], &["ana", "ben"]);
    assert_eq!(
        k[0],
        vec![
            ("The mayor".into(), "agreed", vec![0, 1]),
            ("Lune Port".into(), "label conflict", vec![1]),
            ("Lune Port".into(), "label conflict", vec![0]),
            ("40 jobs".into(), "boundary conflict", vec![1]),
            ("40".into(), "boundary conflict", vec![0]),
            ("would go".into(), "agreed", vec![0, 1]),
        ]
    );
    let c = project(
        "cy",
        &[("z", "The mayor of Lune Port said 40 jobs [claim would go]")],
    );
    let k = kinds(&[c.clone(), c], &["cy", "cy2"]);
    assert_eq!(k[0], vec![("would go".into(), "agreed", vec![0, 1])]);
}

#[test]
fn documents_match_by_text_in_any_order_and_partly_missing() {
    let a = project(
        "ana",
        &[("one", "First [actor story]."), ("two", "Second story.")],
    );
    let b = project(
        "ben",
        &[
            ("zwei", "Second [place story]."),
            ("drei", "Third."),
            ("eins", "First [actor story]."),
        ],
    );
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
    let m = match_documents(&anns);
    let present: Vec<_> = m.iter().map(|d| d.present.clone()).collect();
    // "Second story." differs from "Second story." with a span? No: markup is stripped, so the
    // texts are equal and the documents match.
    assert_eq!(
        present,
        vec![
            vec![Some(0), Some(2)],
            vec![Some(1), Some(0)],
            vec![None, Some(1)]
        ]
    );
    let (gold, summary) = merge(&anns, Strategy::Intersection, "gold", "rev", T);
    assert_eq!(summary.documents, 3);
    assert_eq!(summary.partial_documents, 1);
    assert_eq!(summary.accepted, 1, "{summary:?}");
    assert_eq!(summary.pending, 1);
    let first = gold.doc("one").unwrap();
    assert_eq!(first.spans[0].status, Status::Accepted);
    assert_eq!(first.spans[0].proposed_by, ["ana", "ben"]);
    let second = gold.doc("two").unwrap();
    assert_eq!(second.spans[0].status, Status::Pending);
    assert_eq!(second.spans[0].proposed_by, ["ben"]);
    assert!(spantag_core::project_io::validate(&gold).is_empty());
}

#[test]
fn strategies_decide_what_is_accepted() {
    let a = project("ana", &[("d", "[actor A] [place B] [number C]")]);
    let b = project("ben", &[("d", "[actor A] [place B] C")]);
    let c = project("cy", &[("d", "[actor A] B C")]);
    let anns = [
        Annotator {
            name: "ana",
            project: &a,
        },
        Annotator {
            name: "ben",
            project: &b,
        },
        Annotator {
            name: "cy",
            project: &c,
        },
    ];
    let accepted = |s: Strategy| {
        let (gold, _) = merge(&anns, s, "g", "rev", T);
        let d = &gold.documents[0];
        d.spans
            .iter()
            .filter(|s| s.status == Status::Accepted)
            .map(|s| s.text.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(accepted(Strategy::Intersection), ["A"]);
    assert_eq!(accepted(Strategy::Majority), ["A", "B"]);
    assert_eq!(accepted(Strategy::Union), ["A", "B", "C"]);
}

#[test]
fn conflict_queue_resolves_each_kind_undoably() {
    let a = project(
        "ana",
        &[(
            "d",
            "[actor Ilse Varga] met [place North Quay] staff on [number 3] days in [place Lune]",
        )],
    );
    let b = project(
        "ben",
        &[(
            "d",
            "[actor Ilse Varga] met [actor North Quay] staff on [number 3 days] in Lune",
        )],
    );
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
    let (gold, summary) = merge(&anns, Strategy::Intersection, "gold", "rev", T);
    assert_eq!(summary.unresolved, 3);
    let mut ws = Workspace::new(gold);
    let doc = |ws: &Workspace| ws.project().documents[0].clone();
    let queue = conflicts(&doc(&ws));
    assert_eq!(queue.len(), 3);
    let shown = |ws: &Workspace| {
        let d = doc(ws);
        render(
            &d.text,
            d.spans.iter().map(|s| (s.start, s.end, s.label.as_str())),
        )
    };
    // Label conflict: take ben's reading.
    let edits = resolve(
        &doc(&ws),
        &queue[0],
        &Resolution::Take("ben".into()),
        "rev",
        T,
    );
    ws.apply("take ben", edits, Cursor::default(), Cursor::default())
        .unwrap();
    // Boundary conflict: edit to a new range.
    let d = doc(&ws);
    let three = d.spans.iter().find(|s| s.text == "3").unwrap().id;
    let edits = resolve(
        &d,
        &queue[1],
        &Resolution::Edit {
            keep: three,
            start: 35,
            end: 41,
            label: "number".into(),
        },
        "rev",
        T,
    );
    ws.apply("edit", edits, Cursor::default(), Cursor::default())
        .unwrap();
    // Partial span: drop it.
    let edits = resolve(&doc(&ws), &queue[2], &Resolution::Drop, "rev", T);
    ws.apply("drop", edits, Cursor::default(), Cursor::default())
        .unwrap();
    assert_eq!(
        shown(&ws),
        "[actor Ilse Varga] met [actor North Quay] staff on [number 3 days] in Lune"
    );
    assert!(conflicts(&doc(&ws)).is_empty());
    assert!(doc(&ws).spans.iter().all(|s| s.status != Status::Pending));
    ws.undo();
    ws.undo();
    ws.undo();
    assert_eq!(conflicts(&doc(&ws)).len(), 3);
    // Take both.
    let edits = resolve(&doc(&ws), &queue[0], &Resolution::TakeAll, "rev", T);
    ws.apply("both", edits, Cursor::default(), Cursor::default())
        .unwrap();
    let accepted = doc(&ws)
        .spans
        .iter()
        .filter(|s| s.status == Status::Accepted)
        .count();
    assert_eq!(accepted, 3);
}

#[test]
fn merge_command_on_reordered_partial_projects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = project(
        "ana",
        &[
            ("one", "First [actor story]."),
            ("two", "Second [place story]."),
        ],
    );
    let b = project(
        "ben",
        &[
            ("b2", "Second [place story]."),
            ("b3", "Third [number 3]."),
            ("b1", "First story."),
        ],
    );
    spantag_core::project_io::save(&a, &d.join("a.ron")).unwrap();
    spantag_core::project_io::save(&b, &d.join("b.ron")).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_spantag"))
            .args(args)
            .current_dir(d)
            .output()
            .unwrap()
    };
    let o = run(&[
        "merge",
        "a.ron",
        "b.ron",
        "--out",
        "gold.ron",
        "--strategy",
        "intersection",
    ]);
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("3 documents (1 not in every project), 2 spans accepted, 1 pending"),
        "{text}"
    );
    let gold = spantag_core::project_io::load(&d.join("gold.ron")).unwrap();
    let titles: Vec<&str> = gold.documents.iter().map(|x| x.text.as_str()).collect();
    assert_eq!(titles, ["First story.", "Second story.", "Third 3."]);
    let o = run(&["merge", "a.ron", "b.ron", "--out", "gold.ron"]);
    assert_eq!(o.status.code(), Some(2), "refuses to overwrite");
    let o = run(&["merge", "a.ron", "missing.ron", "--out", "g2.ron"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!d.join("g2.ron").exists());
}

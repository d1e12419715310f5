//! Relations in the model and the project file: schema version 2, the migration of version 1
//! files, the edits that add, change and remove relations, and what loading refuses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use spantag_core::edit::Edit;
use spantag_core::markup::project_from_markup;
use spantag_core::model::{
    EditError, Project, Relation, RelationId, RelationType, SCHEMA_VERSION, SpanId,
};
use spantag_core::project_io::{self, ProjectError};
use spantag_core::time::Timestamp;
use std::path::Path;

const V1: &str = include_str!("../fixtures/sample-v1.ron");

fn fixture() -> Project {
    project_from_markup(
        "rels",
        &[(
            "a",
            "[claim [actor The mayor] of [place Zürich] said 👩‍👩‍👧 [number 40] jobs]\r\nwould go, [actor Ana] said.",
        )],
        "ana",
        Timestamp(1_795_000_000),
    )
    .expect("fixture parses")
}

fn span_id(p: &Project, text: &str) -> SpanId {
    p.documents[0]
        .spans
        .iter()
        .find(|s| s.text == text)
        .unwrap_or_else(|| panic!("no span {text:?}"))
        .id
}

fn link(p: &Project, from: &str, to: &str, kind: &str) -> Relation {
    p.make_relation("a", span_id(p, from), span_id(p, to), kind, "ben")
        .expect("relation")
}

#[test]
fn a_version_1_file_loads_and_saves_as_version_2_with_identical_spans() {
    assert_eq!(SCHEMA_VERSION, 2);
    assert!(V1.contains("schema_version: 1,"));
    let p = project_io::from_ron_str(V1, Path::new("v1.ron")).expect("v1 loads");
    assert_eq!(p.schema_version, 2);
    let names: Vec<&str> = p.relation_types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["source", "location"]);
    assert_eq!(p.relation_types[0].from_labels, ["claim"]);
    assert_eq!(p.relation_types[0].to_labels, ["actor"]);
    assert_eq!(p.relation_count(), 0);
    // The spans are the version 1 file's, one by one, as the file writes them.
    let v1_spans: Vec<&str> = V1
        .lines()
        .filter(|l| l.trim_start().starts_with("(id: "))
        .collect();
    let text = project_io::to_ron_string(&p).expect("serializes");
    let v2_spans: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("(id: "))
        .collect();
    assert_eq!(v1_spans.len(), p.span_count());
    assert_eq!(v1_spans, v2_spans);
    assert!(text.starts_with("(\n  schema_version: 2,\n"));
    assert!(text.contains("relation_types: ["));
    // Saved and loaded again: the same project.
    let again = project_io::from_ron_str(&text, Path::new("v2.ron")).expect("v2 loads");
    assert_eq!(again, p);
    assert_eq!(project_io::to_ron_string(&again).expect("again"), text);
}

#[test]
fn a_newer_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("new.ron");
    let text = project_io::to_ron_string(&fixture())
        .expect("text")
        .replace("schema_version: 2,", "schema_version: 3,");
    std::fs::write(&path, &text).expect("write");
    match project_io::load(&path) {
        Err(ProjectError::FutureVersion {
            found, supported, ..
        }) => assert_eq!((found.as_str(), supported), ("3", 2)),
        other => panic!("expected FutureVersion, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
}

#[test]
fn an_emptied_relation_type_list_stays_empty() {
    let mut p = fixture();
    p.relation_types.clear();
    let text = project_io::to_ron_string(&p).expect("text");
    assert!(text.contains("relation_types: [],"));
    let again = project_io::from_ron_str(&text, Path::new("p.ron")).expect("loads");
    assert!(again.relation_types.is_empty());
}

#[test]
fn relations_are_added_changed_removed_and_undone() {
    let mut p = fixture();
    let start = p.clone();
    let r = link(
        &p,
        "The mayor of Zürich said 👩‍👩‍👧 40 jobs",
        "The mayor",
        "source",
    );
    let id = r.id;
    let undo_add = p
        .apply(Edit::AddRelation {
            doc: "a".into(),
            relation: r.clone(),
        })
        .expect("adds");
    assert_eq!(p.documents[0].relations, std::slice::from_ref(&r));
    assert_eq!(p.next_relation_id, id.0 + 1);
    // Reverse and retype: one ChangeRelation, undone by the old relation.
    let mut reversed = r.clone();
    (reversed.from, reversed.to, reversed.kind) = (r.to, r.from, "location".into());
    let undo_change = p
        .apply(Edit::ChangeRelation {
            doc: "a".into(),
            relation: reversed.clone(),
        })
        .expect("changes");
    assert_eq!(p.documents[0].relation(id), Some(&reversed));
    p.apply(undo_change).expect("undo change");
    assert_eq!(p.documents[0].relation(id), Some(&r));
    p.apply(undo_add).expect("undo add");
    // Everything as before, except that the id is not given out again.
    assert_eq!(p.documents, start.documents);
    assert_eq!(p.next_relation_id, id.0 + 1);
}

#[test]
fn removing_a_span_removes_its_relations_and_undo_brings_both_back() {
    let mut p = fixture();
    let claim = "The mayor of Zürich said 👩‍👩‍👧 40 jobs";
    let r1 = link(&p, claim, "The mayor", "source");
    p.apply(Edit::AddRelation {
        doc: "a".into(),
        relation: r1.clone(),
    })
    .expect("r1");
    let r2 = link(&p, claim, "Zürich", "location");
    p.apply(Edit::AddRelation {
        doc: "a".into(),
        relation: r2.clone(),
    })
    .expect("r2");
    let r3 = link(&p, "Ana", "Zürich", "location");
    p.apply(Edit::AddRelation {
        doc: "a".into(),
        relation: r3.clone(),
    })
    .expect("r3: a type whose labels do not fit is still a relation");
    let before = p.clone();
    let inverse = p
        .apply(Edit::RemoveSpan {
            doc: "a".into(),
            span: span_id(&before, claim),
        })
        .expect("removes");
    assert_eq!(p.documents[0].relations, std::slice::from_ref(&r3));
    match &inverse {
        Edit::RestoreSpan { relations, .. } => assert_eq!(relations, &[r1, r2]),
        other => panic!("expected RestoreSpan, got {other:?}"),
    }
    let redo = p.apply(inverse).expect("restores");
    assert_eq!(p, before);
    p.apply(redo).expect("removes again");
    assert_eq!(p.documents[0].relations, [r3]);
    // A span without relations is undone by a plain AddSpan.
    let inverse = p
        .apply(Edit::RemoveSpan {
            doc: "a".into(),
            span: span_id(&before, "40"),
        })
        .expect("removes");
    assert!(matches!(inverse, Edit::AddSpan { .. }));
}

#[test]
fn bad_relations_are_refused_and_change_nothing() {
    let mut p = fixture();
    let claim = "The mayor of Zürich said 👩‍👩‍👧 40 jobs";
    let good = link(&p, claim, "The mayor", "source");
    p.apply(Edit::AddRelation {
        doc: "a".into(),
        relation: good.clone(),
    })
    .expect("adds");
    let before = p.clone();
    let mut dup = link(&p, claim, "The mayor", "source");
    dup.id = RelationId(good.id.0 + 1);
    let mut self_link = dup.clone();
    self_link.to = self_link.from;
    let mut unknown = dup.clone();
    unknown.kind = "employs".into();
    let mut missing = dup.clone();
    missing.to = SpanId(9_999);
    let mut taken = link(&p, claim, "Zürich", "location");
    taken.id = good.id;
    let cases: [(Relation, EditError); 5] = [
        (
            dup.clone(),
            EditError::DuplicateRelation {
                from: dup.from,
                to: dup.to,
                kind: "source".into(),
            },
        ),
        (self_link, EditError::SelfRelation(dup.from)),
        (unknown, EditError::UnknownRelationType("employs".into())),
        (
            missing,
            EditError::NoSpan {
                doc: "a".into(),
                span: SpanId(9_999),
            },
        ),
        (taken, EditError::RelationIdTaken(good.id)),
    ];
    for (relation, expected) in cases {
        let got = p.apply(Edit::AddRelation {
            doc: "a".into(),
            relation,
        });
        assert_eq!(got, Err(expected));
        assert_eq!(p, before);
    }
}

#[test]
fn relation_types_are_renamed_with_their_relations_and_removed_only_when_unused() {
    let mut p = fixture();
    let r = link(
        &p,
        "The mayor of Zürich said 👩‍👩‍👧 40 jobs",
        "The mayor",
        "source",
    );
    p.apply(Edit::AddRelation {
        doc: "a".into(),
        relation: r,
    })
    .expect("adds");
    assert_eq!(
        p.apply(Edit::RemoveRelationType {
            name: "source".into()
        }),
        Err(EditError::RelationTypeInUse {
            name: "source".into(),
            count: 1
        })
    );
    let renamed = RelationType {
        name: "said_by".into(),
        ..p.relation_types[0].clone()
    };
    let undo = p
        .apply(Edit::ChangeRelationType {
            name: "source".into(),
            rtype: renamed,
        })
        .expect("renames");
    assert_eq!(p.documents[0].relations[0].kind, "said_by");
    p.apply(undo).expect("undo");
    assert_eq!(p.documents[0].relations[0].kind, "source");
    // Renaming a label renames it in the relation types that allow it.
    let actor = p.label("actor").cloned().expect("actor");
    p.apply(Edit::ChangeLabel {
        name: "actor".into(),
        label: spantag_core::model::Label {
            name: "person".into(),
            ..actor
        },
    })
    .expect("renames label");
    assert_eq!(p.relation_types[0].to_labels, ["person"]);
    // A hotkey is either a label's or a relation type's.
    let mut keyed = p.relation_types[1].clone();
    keyed.hotkey = Some('1');
    assert!(matches!(
        p.apply(Edit::ChangeRelationType {
            name: keyed.name.clone(),
            rtype: keyed
        }),
        Err(EditError::HotkeyTaken { key: '1', .. })
    ));
}

#[test]
fn relations_that_break_the_rules_are_problems_on_load() {
    let mut p = fixture();
    let r = link(
        &p,
        "The mayor of Zürich said 👩‍👩‍👧 40 jobs",
        "The mayor",
        "source",
    );
    p.apply(Edit::AddRelation {
        doc: "a".into(),
        relation: r.clone(),
    })
    .expect("adds");
    let text = project_io::to_ron_string(&p).expect("text");
    let line = format!("(id: {}, from: {}, to: {},", r.id, r.from, r.to);
    assert!(text.contains(&line), "{text}");
    for (bad, expected) in [
        (
            format!("(id: {}, from: {}, to: 9999,", r.id, r.from),
            "its to span 9999 is not a span of this document",
        ),
        (
            format!("(id: {}, from: {}, to: {},", r.id, r.from, r.from),
            "to itself",
        ),
    ] {
        let edited = text.replace(&line, &bad);
        match project_io::from_ron_str(&edited, Path::new("p.ron")) {
            Err(ProjectError::Invalid { problems, .. }) => {
                let all = project_io::list_problems(&problems);
                assert!(all.contains(expected), "{all}");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
    let edited = text.replace("type: \"source\"", "type: \"employs\"");
    assert!(matches!(
        project_io::from_ron_str(&edited, Path::new("p.ron")),
        Err(ProjectError::Invalid { .. })
    ));
    // A relation whose labels its type does not allow loads, and `lint` names it.
    let actor = span_id(&p, "The mayor");
    let mut relabelled = p.clone();
    relabelled
        .apply(Edit::Relabel {
            doc: "a".into(),
            span: actor,
            label: "place".into(),
        })
        .expect("relabels");
    let lint = project_io::list_problems(&project_io::lint(&relabelled));
    assert!(lint.contains("its to span"), "{lint}");
    assert!(lint.contains("is a place"), "{lint}");
}

#[test]
fn fragments_tile_their_span_and_move_with_its_ends() {
    let mut p = fixture();
    let mut s = p.make_span("a", 0, 9, "actor", "ben").expect("span");
    s.label = "number".into();
    s.fragments = vec![(0, 3), (4, 9)];
    let id = s.id;
    p.apply(Edit::AddSpan {
        doc: "a".into(),
        span: s.clone(),
    })
    .expect("a discontinuous span");
    let undo = p
        .apply(Edit::Resize {
            doc: "a".into(),
            span: id,
            start: 1,
            end: 9,
        })
        .expect("resizes");
    assert_eq!(
        p.documents[0].span(id).map(|s| s.fragments.clone()),
        Some(vec![(1, 3), (4, 9)])
    );
    p.apply(undo).expect("undo");
    assert_eq!(p.documents[0].span(id), Some(&s));
    // Moving the start past the first piece would break it: refused, nothing changed.
    let before = p.clone();
    assert!(matches!(
        p.apply(Edit::Resize {
            doc: "a".into(),
            span: id,
            start: 3,
            end: 9,
        }),
        Err(EditError::BadFragments { .. })
    ));
    assert_eq!(p, before);
    let mut bad = p.make_span("a", 0, 9, "claim", "ben").expect("span");
    bad.fragments = vec![(0, 4), (4, 9)];
    assert!(matches!(
        p.apply(Edit::AddSpan {
            doc: "a".into(),
            span: bad
        }),
        Err(EditError::BadFragments { .. })
    ));
}

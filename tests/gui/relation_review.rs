//! Relations in review and compare mode, driving the real app: the relation queue (accept with A,
//! reject with X, retype with the panel's buttons, each undoable), the queue of claims without a
//! source, and compare mode resolving a relation conflict into the gold project.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::review::{harness, key, key_mod, open_compare, undo, write};
use egui::{Key, Modifiers};
use egui_kittest::kittest::{NodeT, Queryable};
use spantag::app::SpantagApp;
use spantag_core::markup::project_from_markup;
use spantag_core::model::{Project, Relation, RelationType, Status};
use spantag_core::time::Timestamp;

const ARTICLE: &str = "[claim#c [actor#a Mayor Zoë Ortiz] said [number 40] jobs would go] and \
[claim#k [actor#b The council] agreed]; [claim Москва stays quiet].\n#c -source-> #a\n#k -source-> #b";

fn project() -> Project {
    let mut p = project_from_markup("rel", &[("d1", ARTICLE)], "ana", Timestamp(0)).unwrap();
    // A type that allows any labels, to retype to.
    p.relation_types.push(RelationType::any("cites", 2));
    p
}

fn relation(h: &egui_kittest::Harness<'_, SpantagApp>, text_from: &str) -> Relation {
    let d = &h.state().project().documents[0];
    d.relations
        .iter()
        .find(|r| d.span(r.from).unwrap().text.starts_with(text_from))
        .unwrap_or_else(|| panic!("no relation from {text_from:?}"))
        .clone()
}

#[test]
fn review_accepts_rejects_and_retypes_relations_each_undoable() {
    let mut h = harness(SpantagApp::new_for_test(project(), "rita"));
    key_mod(&mut h, Modifiers::COMMAND, Key::R);
    h.get_by_label("relations").click();
    h.run_steps(2);
    h.get_by_label("Queue: 2 relations");
    key(&mut h, Key::N);
    let first = relation(&h, "Mayor");
    assert_eq!(h.state().review_relation(), Some(first.id));
    // Its head span is selected in the article, and the panel names both ends.
    let head = h.state().selected_span().unwrap();
    assert_eq!(head, first.from);
    h.get_by_label("source relation");
    h.get_by_label_contains("to actor “Mayor Zoë Ortiz”");

    // A accepts it (one step, by the reviewer) and moves on to the next relation.
    key(&mut h, Key::A);
    let r = relation(&h, "Mayor");
    assert_eq!(r.status, Status::Accepted);
    assert_eq!(r.review.as_ref().unwrap().reviewer, "rita");
    let second = relation(&h, "The council");
    assert_eq!(h.state().review_relation(), Some(second.id));

    // X rejects the second; undo brings it back to pending, the first stays accepted.
    key(&mut h, Key::X);
    assert_eq!(relation(&h, "The council").status, Status::Rejected);
    undo(&mut h);
    assert_eq!(relation(&h, "The council").status, Status::Pending);
    assert_eq!(relation(&h, "Mayor").status, Status::Accepted);

    // Retype the second with the panel's button: `cites`, marked edited; undo restores it.
    h.get_by_label("type cites").click();
    h.run_steps(2);
    let r = relation(&h, "The council");
    assert_eq!((r.kind.as_str(), r.status), ("cites", Status::Edited));
    assert_eq!(r.review.as_ref().unwrap().reviewer, "rita");
    // `location` wants a place: not offered for a claim → actor relation.
    assert!(h.query_by_label("type location").is_none());
    undo(&mut h);
    let r = relation(&h, "The council");
    assert_eq!((r.kind.as_str(), r.status), ("source", Status::Pending));
    // Redo retypes again; undo twice more leaves everything pending.
    key_mod(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    assert_eq!(relation(&h, "The council").kind, "cites");
    undo(&mut h);
    undo(&mut h);
    assert!(
        h.state().project().documents[0]
            .relations
            .iter()
            .all(|r| r.status == Status::Pending)
    );
    // The type filter narrows the queue.
    h.get_by_label("relation cites").click();
    h.run_steps(2);
    h.get_by_label("Queue: 0 relations");
}

#[test]
fn the_queue_finds_claims_without_a_source() {
    let mut h = harness(SpantagApp::new_for_test(project(), "rita"));
    key_mod(&mut h, Modifiers::COMMAND, Key::R);
    h.get_by_label("claims without a source").click();
    h.run_steps(2);
    h.get_by_label("Queue: 1 spans");
    key(&mut h, Key::N);
    let id = h.state().selected_span().unwrap();
    let d = &h.state().project().documents[0];
    assert_eq!(d.span(id).unwrap().text, "Москва stays quiet");
    // Accepting it is a span decision, as in the span queue.
    key(&mut h, Key::A);
    let d = &h.state().project().documents[0];
    assert_eq!(d.span(id).unwrap().status, Status::Accepted);
}

/// Both annotators mark the same spans; Ana attributes the claim to the mayor, Ben to the
/// council. Compare mode queues the two relations as one decision at the claim; B takes Ben's.
#[test]
fn compare_resolves_a_relation_conflict_into_the_gold_project() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[claim#c [actor#a Mayor Zoë Ortiz] said the port will close], and [actor#b The \
council] agreed. [claim#k [actor#m Москва] denied it].\n#k -source-> #m";
    let ana = project_from_markup(
        "ana",
        &[("d", &format!("{text}\n#c -source-> #a"))],
        "ana",
        Timestamp(0),
    )
    .unwrap();
    let ben = project_from_markup(
        "ben",
        &[("d", &format!("{text}\n#c -source-> #b"))],
        "ben",
        Timestamp(0),
    )
    .unwrap();
    let files = [
        write(dir.path(), "ana.ron", &ana),
        write(dir.path(), "ben.ron", &ben),
    ];
    let mut h = harness(SpantagApp::new_for_test(project(), "gus"));
    open_compare(&mut h, &files);
    assert_eq!(h.state().project().name, "gold");
    h.get_by_label("1 unresolved");
    // The first conflict is selected: its anchor is the claim; the panel lists both relations.
    let d = &h.state().project().documents[0];
    assert_eq!(d.relations.len(), 3);
    let pending = |d: &spantag_core::model::Document| {
        d.relations
            .iter()
            .filter(|r| r.status == Status::Pending)
            .count()
    };
    assert_eq!(pending(d), 2, "the agreed relation is accepted");
    let id = h.state().selected_span().unwrap();
    assert_eq!(d.span(id).unwrap().label, "claim");
    let listed: Vec<String> = h
        .query_all_by_label_contains("source: claim “")
        .filter_map(|n| {
            n.accesskit_node()
                .label()
                .or_else(|| n.accesskit_node().value())
        })
        .collect();
    assert!(
        listed
            .iter()
            .any(|l| l.contains("The council") && l.ends_with("— ben")),
        "{listed:?}"
    );
    assert!(
        listed
            .iter()
            .any(|l| l.contains("Mayor Zoë Ortiz") && l.ends_with("— ana")),
        "{listed:?}"
    );
    key(&mut h, Key::B);
    h.get_by_label("0 unresolved");
    let d = &h.state().project().documents[0];
    assert_eq!(d.relations.len(), 2);
    assert_eq!(pending(d), 0);
    let r = d
        .relations
        .iter()
        .find(|r| r.proposed_by == ["ben"])
        .unwrap();
    assert_eq!(d.span(r.to).unwrap().text, "The council");
    assert_eq!(r.status, Status::Accepted);
    assert_eq!(r.proposed_by, ["ben"]);
    assert_eq!(r.review.as_ref().unwrap().reviewer, "gus");
    // Undo brings the conflict back.
    undo(&mut h);
    h.get_by_label("1 unresolved");
    assert_eq!(h.state().project().documents[0].relations.len(), 3);

    // The agreement window: the spans all agree (1.000); of the relations, one of each side's
    // two matches: P = R = F1 = 0.5 exact and lenient, and macro F1 (one type) 0.5.
    key_mod(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::A);
    h.get_by_label("Relation level (micro)");
    let mut rows: Vec<f32> = h
        .get_all_by_label("0.500")
        .map(|n| n.rect().center().y.round())
        .collect();
    assert_eq!(rows.len(), 8, "4 cells in each of 2 rows");
    rows.dedup();
    assert_eq!(rows.len(), 2);
}

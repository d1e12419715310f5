//! The review and compare panels change the project only through actions, each one history
//! step: every button is clicked, the change checked, then Ctrl+Z must bring back the project
//! exactly and the selection that was active before the click (Ctrl+Shift+Z the one after).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::review::{
    candidates, compare_cli, compare_files, harness, key, key_mod, open_compare, pairs, project,
    selected, span, statuses, undo, wait_compared,
};
use egui::{Event, Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use spantag::app::SpantagApp;
use spantag_core::model::{Project, SpanId, Status};
use std::ops::Range;

/// Everything a step may change: the project and where the user is.
#[derive(Debug, Clone, PartialEq)]
struct State {
    project: Project,
    doc: usize,
    selection: Range<usize>,
    span: Option<SpanId>,
}

fn state(h: &Harness<'_, SpantagApp>) -> State {
    let app = h.state();
    State {
        project: app.project().clone(),
        doc: app.current_doc(),
        selection: app.selection(),
        span: app.selected_span(),
    }
}

fn disabled(h: &Harness<'_, SpantagApp>, label: &str) -> bool {
    h.get_by_label(label).accesskit_node().is_disabled()
}

/// Clicks the widget labelled `label` with the pointer, once the toasts (which stack up over the
/// side panel's lower buttons) have timed out.
fn click(h: &mut Harness<'_, SpantagApp>, label: &str) {
    for _ in 0..300 {
        if h.state().toasts().is_empty() {
            break;
        }
        h.step();
    }
    h.get_by_label(label).click();
    h.run_steps(2);
}

/// Ctrl+Z, then checks that the project and the selection are `before` again.
fn undo_to(h: &mut Harness<'_, SpantagApp>, before: &State, what: &str) {
    undo(h);
    let now = state(h);
    assert_eq!(
        now.project, before.project,
        "{what}: undo restores the project"
    );
    assert_eq!(
        (now.doc, now.selection, now.span),
        (before.doc, before.selection.clone(), before.span),
        "{what}: undo restores the selection"
    );
}

/// One compare-panel button: it settles the current conflict (one step, checked by `check`),
/// and Ctrl+Z brings the conflict and its selection back.
fn compare_button(
    h: &mut Harness<'_, SpantagApp>,
    label: &str,
    unresolved: &str,
    check: impl Fn(&Harness<'_, SpantagApp>),
) {
    let before = state(h);
    click(h, label);
    assert_ne!(state(h).project, before.project, "{label} changed nothing");
    h.get_by_label(unresolved);
    check(h);
    undo_to(h, &before, label);
}

#[test]
fn every_compare_button_is_one_undoable_step_that_restores_the_selection() {
    let dir = tempfile::tempdir().unwrap();
    let files = compare_files(dir.path());
    let mut h = harness(SpantagApp::new_for_test(project(), "gus"));
    open_compare(&mut h, &files);
    h.get_by_label("5 unresolved");
    let conflict = pairs(&[("actor", "Bo Chen"), ("place", "Bo Chen")]);
    assert_eq!(candidates(&h), conflict);
    let bo = |h: &Harness<'_, SpantagApp>| -> Vec<(String, Status)> {
        h.state().project().documents[0]
            .spans
            .iter()
            .filter(|s| s.text == "Bo Chen")
            .map(|s| (s.label.clone(), s.status))
            .collect()
    };
    let one = |label: &str, status: Status| vec![(label.to_owned(), status)];

    compare_button(&mut h, "Take A (ana)", "4 unresolved", |h| {
        assert_eq!(bo(h), one("actor", Status::Accepted));
        // The queue moved on to the next conflict.
        assert_eq!(candidates(h), pairs(&[("number", "Friday")]));
    });
    compare_button(&mut h, "Take B (ben)", "4 unresolved", |h| {
        assert_eq!(bo(h), one("place", Status::Accepted));
    });
    compare_button(&mut h, "Take both (T)", "4 unresolved", |h| {
        assert_eq!(
            bo(h),
            vec![
                ("actor".to_owned(), Status::Accepted),
                ("place".to_owned(), Status::Accepted)
            ]
        );
    });
    compare_button(&mut h, "Drop (X)", "4 unresolved", |h| {
        assert!(bo(h).is_empty());
    });
    // Picking a span of the conflict in the panel only selects it: no history step.
    click(&mut h, "place “Bo Chen” — ben");
    assert_eq!(selected(&h).label, "place");
    assert_eq!(candidates(&h), conflict);
    compare_button(&mut h, "Edit: keep selected (E)", "4 unresolved", |h| {
        assert_eq!(bo(h), one("place", Status::Edited));
        // The kept span stays selected, to be fixed with label keys and Alt+arrows.
        assert_eq!(selected(h).label, "place");
    });
    // Undo went back to the pick, not further: picking was never a step.
    assert_eq!(selected(&h).label, "place");
    key_mod(&mut h, Modifiers::COMMAND, Key::Z);
    assert!(
        h.state().toasts().iter().any(|t| t == "Nothing to undo"),
        "{:?}",
        h.state().toasts()
    );
}

#[test]
fn take_buttons_of_four_annotators_are_undoable() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = compare_cli(
        dir.path(),
        &[
            ("ana", "actor"),
            ("ben", "place"),
            ("cy", "number"),
            ("dee", "claim"),
        ],
        &[],
    );
    h.get_by_label("1 unresolved");
    for (button, label) in [
        ("Take A (ana)", "actor"),
        ("Take B (ben)", "place"),
        ("Take C (cy)", "number"),
        ("Take D (dee)", "claim"),
    ] {
        compare_button(&mut h, button, "0 unresolved", |h| {
            assert_eq!(
                statuses(h)[0],
                (label.into(), "Bo".into(), Status::Accepted)
            );
            assert_eq!(statuses(h).len(), 2, "the other readings of Bo are dropped");
        });
    }
    compare_button(&mut h, "Take all (T)", "0 unresolved", |h| {
        assert_eq!(statuses(h).len(), 5);
        assert!(statuses(h).iter().all(|s| s.2 == Status::Accepted));
    });
}

/// The strategy buttons merge again in the background; the result is one history step, so
/// Ctrl+Z returns to the earlier merge, its strategy and its selection, and Ctrl+Shift+Z back.
#[test]
fn changing_the_merge_strategy_is_undoable() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = compare_cli(
        dir.path(),
        &[
            ("ana", "actor"),
            ("ben", "place"),
            ("cy", "number"),
            ("dee", "claim"),
        ],
        &["--strategy", "union"],
    );
    // Selectable buttons report their state as "toggled".
    let strategy = |h: &Harness<'_, SpantagApp>, name: &str| {
        h.get_by_role_and_label(egui::Role::Button, name)
            .accesskit_node()
            .toggled()
            == Some(egui::accesskit::Toggled::True)
    };
    h.get_by_label("0 unresolved");
    assert!(strategy(&h, "union"));
    let union = state(&h);

    h.get_by_role_and_label(egui::Role::Button, "intersection")
        .click();
    h.run_steps(1);
    wait_compared(&mut h);
    h.get_by_label("1 unresolved");
    assert!(strategy(&h, "intersection"));
    assert!(statuses(&h).iter().any(|s| s.2 == Status::Pending));
    // The new merge selects its first conflict.
    assert_eq!(candidates(&h).len(), 4);
    let intersection = state(&h);

    undo_to(&mut h, &union, "merging again");
    h.get_by_label("0 unresolved");
    assert!(strategy(&h, "union"));
    key_mod(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    assert_eq!(
        state(&h),
        intersection,
        "redo restores the merge and its selection"
    );
    assert!(strategy(&h, "intersection"));

    // After a resolution the strategy is fixed; undoing it frees the strategy again.
    click(&mut h, "Take D (dee)");
    h.get_by_label("0 unresolved");
    assert!(
        h.get_by_role_and_label(egui::Role::Button, "majority")
            .accesskit_node()
            .is_disabled()
    );
    undo_to(&mut h, &intersection, "Take D");
    assert!(
        !h.get_by_role_and_label(egui::Role::Button, "majority")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn every_review_button_is_one_undoable_step_that_restores_the_selection() {
    let mut h = harness(SpantagApp::new_for_test(project(), "rita"));
    key_mod(&mut h, Modifiers::COMMAND, Key::R);
    assert_eq!(selected(&h).text, "Mayor Lena Ortiz");
    let before = state(&h);

    click(&mut h, "Accept (A)");
    let s = span(&h, 0, "Mayor Lena Ortiz");
    assert_eq!(s.status, Status::Accepted);
    assert_eq!(s.review.unwrap().reviewer, "rita");
    assert_eq!(selected(&h).text, "North Quay", "the queue moves on");
    undo_to(&mut h, &before, "Accept");

    click(&mut h, "Reject (X)");
    assert_eq!(span(&h, 0, "Mayor Lena Ortiz").status, Status::Rejected);
    assert_eq!(selected(&h).text, "North Quay");
    undo_to(&mut h, &before, "Reject");

    // The note button saves what is typed (the field keeps it when the click takes the focus).
    assert!(disabled(&h, "Save note"), "nothing typed yet");
    key(&mut h, Key::M);
    h.event(Event::Text("Ortiz is the deputy, not the mayor".into()));
    h.run_steps(2);
    click(&mut h, "Save note");
    let s = span(&h, 0, "Mayor Lena Ortiz");
    assert_eq!(s.status, Status::Pending, "a note decides nothing");
    let review = s.review.expect("the note is saved as a review");
    assert_eq!(
        review.note.as_deref(),
        Some("Ortiz is the deputy, not the mayor")
    );
    assert_eq!(review.reviewer, "rita");
    assert_eq!(selected(&h).text, "Mayor Lena Ortiz");
    undo_to(&mut h, &before, "Save note");
    // The field shows the note as it is again: nothing left to save.
    assert!(disabled(&h, "Save note"));
}

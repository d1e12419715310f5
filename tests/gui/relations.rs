//! Relations in the real app: linking a claim to its actor by mouse and by keyboard only,
//! picking (Tab cycles only the allowed spans nearest first, R switches the type, Escape
//! cancels), the side panel's retype / reverse / delete (each one step that undo and redo
//! cross with the selection), deleting a span with relations, following a relation and finding
//! the next claim without a source.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::markup_project;
use egui::{Event, Key, Modifiers, PointerButton, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spantag::app::SpantagApp;
use spantag_core::edit::Edit;
use spantag_core::model::{Project, RelationType, SpanId};
use std::ops::Range;

/// Ana Ruiz ends 14 code points before the claim, Bo Chen starts 7 after it, The council and
/// Dan Ode (next paragraph) are further; Lune Port is a place. The ü and the emoji keep the
/// offsets honest (code points, not bytes).
const TEXT: &str = "[actor Ana Ruïz] spoke first. [claim Rents will rise by [number 12] percent], \
said [actor Bo Chen] of [place Lune Port] 🌊. Later [actor The council] disagreed. \
[claim Ferries stop in May], a notice said.\n\nA second paragraph names [actor Dan Ode].";

fn project() -> Project {
    markup_project("rel", &[("d1", TEXT)])
}

fn harness(project: Project) -> Harness<'static, SpantagApp> {
    common::harness_sized(
        SpantagApp::new_for_test(project, "tess"),
        [1200.0, 800.0],
        true,
    )
}

/// The id of the span covering exactly `text`.
fn span(h: &Harness<'_, SpantagApp>, text: &str) -> SpanId {
    h.state().project().documents[0]
        .spans
        .iter()
        .find(|s| s.text == text)
        .unwrap_or_else(|| panic!("no span {text:?}"))
        .id
}

/// The relations of the document as (type, from text, to text).
fn relations(h: &Harness<'_, SpantagApp>) -> Vec<(String, String, String)> {
    let d = &h.state().project().documents[0];
    d.relations
        .iter()
        .map(|r| {
            (
                r.kind.clone(),
                d.span(r.from).unwrap().text.clone(),
                d.span(r.to).unwrap().text.clone(),
            )
        })
        .collect()
}

fn rel(kind: &str, from: &str, to: &str) -> (String, String, String) {
    (kind.to_owned(), from.to_owned(), to.to_owned())
}

/// Char offset of `needle` in the document text.
fn find(h: &Harness<'_, SpantagApp>, needle: &str) -> usize {
    let t = &h.state().project().documents[0].text;
    let b = t.find(needle).unwrap();
    t[..b].chars().count()
}

fn click_at(h: &mut Harness<'_, SpantagApp>, at: Pos2) {
    h.event(Event::PointerMoved(at));
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos: at,
            button: PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    h.run_steps(2);
}

/// Clicks the middle of the first character of `needle`'s second character (inside the word).
fn click_text(h: &mut Harness<'_, SpantagApp>, needle: &str) {
    let at = h
        .state()
        .char_rect(find(h, needle) + 1)
        .expect("drawn")
        .center();
    click_at(h, at);
}

fn key(h: &mut Harness<'_, SpantagApp>, k: Key) {
    h.key_press(k);
    h.run_steps(2);
}

fn key_mod(h: &mut Harness<'_, SpantagApp>, m: Modifiers, k: Key) {
    h.key_press_modifiers(m, k);
    h.run_steps(2);
}

fn undo(h: &mut Harness<'_, SpantagApp>) {
    key_mod(h, Modifiers::COMMAND, Key::Z);
}

fn redo(h: &mut Harness<'_, SpantagApp>) {
    key_mod(h, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
}

fn toasts(h: &Harness<'_, SpantagApp>) -> String {
    h.state().toasts().join(" | ")
}

/// The project and where the user is.
fn state(h: &Harness<'_, SpantagApp>) -> (Project, Range<usize>, Option<SpanId>) {
    let app = h.state();
    (app.project().clone(), app.selection(), app.selected_span())
}

/// The chosen candidate while picking.
fn chosen(h: &Harness<'_, SpantagApp>) -> Option<SpanId> {
    h.state().picking().and_then(|p| p.2)
}

const CLAIM: &str = "Rents will rise by 12 percent";

#[test]
fn link_a_claim_to_its_actor_by_mouse_then_undo_and_redo() {
    let mut h = harness(project());
    click_text(&mut h, "Rents");
    let claim = span(&h, CLAIM);
    assert_eq!(h.state().selected_span(), Some(claim));
    key(&mut h, Key::R);
    assert_eq!(
        h.state().picking(),
        Some((claim, "source".to_owned(), None))
    );
    // The status bar says what is happening.
    h.get_by_label_contains("Link claim “Rents will rise by 12 percent” —source→ ?");
    // A place is not what a source links to: refused with the reason, picking goes on.
    click_text(&mut h, "Lune Port");
    assert!(relations(&h).is_empty());
    assert!(toasts(&h).contains("Cannot link place “Lune Port” by source"));
    assert!(h.state().picking().is_some());
    // The actor is.
    click_text(&mut h, "Bo Chen");
    assert_eq!(relations(&h), vec![rel("source", CLAIM, "Bo Chen")]);
    assert_eq!(h.state().picking(), None);
    assert_eq!(
        h.state().selected_span(),
        Some(claim),
        "the claim stays selected"
    );
    assert!(
        toasts(&h)
            .contains("Linked claim “Rents will rise by 12 percent” —source→ actor “Bo Chen”")
    );
    let r = &h.state().project().documents[0].relations[0];
    assert_eq!(r.author, "tess");
    // The side panel lists it.
    h.get_by_label("source →");
    h.get_by_label("actor “Bo Chen”");
    undo(&mut h);
    assert!(relations(&h).is_empty());
    assert_eq!(h.state().selected_span(), Some(claim));
    redo(&mut h);
    assert_eq!(relations(&h), vec![rel("source", CLAIM, "Bo Chen")]);
}

#[test]
fn link_by_keyboard_only_tab_cycles_allowed_spans_nearest_first() {
    let mut h = harness(project());
    // Tab walks the spans in text order from the caret: Ana Ruïz, then the claim.
    key(&mut h, Key::Tab);
    key(&mut h, Key::Tab);
    let claim = span(&h, CLAIM);
    assert_eq!(h.state().selected_span(), Some(claim));
    key(&mut h, Key::R);
    assert_eq!(chosen(&h), None);
    // Only actors, nearest first: Bo Chen 7 code points after, Ana Ruïz 14 before, then The
    // council, then Dan Ode in the next paragraph; never the place, the number or a claim.
    let order = ["Bo Chen", "Ana Ruïz", "The council", "Dan Ode"].map(|t| span(&h, t));
    for want in order.iter().chain(&order[..1]) {
        key(&mut h, Key::Tab);
        assert_eq!(chosen(&h), Some(*want));
    }
    key_mod(&mut h, Modifiers::SHIFT, Key::Tab);
    assert_eq!(chosen(&h), Some(order[3]), "Shift+Tab goes back round");
    key_mod(&mut h, Modifiers::SHIFT, Key::Tab);
    assert_eq!(chosen(&h), Some(order[2]));
    h.get_by_label_contains("Enter links actor “The council” (3 of 4)");
    key(&mut h, Key::Enter);
    assert_eq!(relations(&h), vec![rel("source", CLAIM, "The council")]);
    assert_eq!(h.state().selected_span(), Some(claim));
    // Again: The council is linked already, so it is no longer offered.
    key(&mut h, Key::R);
    key(&mut h, Key::Tab);
    key(&mut h, Key::Tab);
    key(&mut h, Key::Tab);
    assert_eq!(chosen(&h), Some(order[3]));
    key(&mut h, Key::Tab);
    assert_eq!(chosen(&h), Some(order[0]), "three actors left");
    key(&mut h, Key::Enter);
    assert_eq!(
        relations(&h),
        vec![
            rel("source", CLAIM, "The council"),
            rel("source", CLAIM, "Bo Chen")
        ]
    );
    undo(&mut h);
    assert_eq!(relations(&h), vec![rel("source", CLAIM, "The council")]);
    redo(&mut h);
    assert_eq!(relations(&h).len(), 2);
}

#[test]
fn r_again_switches_the_type_and_escape_cancels() {
    let mut h = harness(project());
    click_text(&mut h, "Rents");
    let claim = span(&h, CLAIM);
    let before = state(&h);
    key(&mut h, Key::R);
    assert!(toasts(&h).contains("Linking as source"));
    key(&mut h, Key::R);
    assert_eq!(
        h.state().picking(),
        Some((claim, "location".to_owned(), None))
    );
    assert!(toasts(&h).contains("Linking as location"));
    h.get_by_label_contains("—location→ ? (place)");
    // The only place.
    key(&mut h, Key::Tab);
    assert_eq!(chosen(&h), Some(span(&h, "Lune Port")));
    key(&mut h, Key::Tab);
    assert_eq!(chosen(&h), Some(span(&h, "Lune Port")));
    key(&mut h, Key::Escape);
    assert_eq!(h.state().picking(), None);
    assert!(toasts(&h).contains("Linking cancelled"));
    assert_eq!(
        state(&h),
        before,
        "nothing changed, the claim still selected"
    );
    // Escape now clears the selection as usual.
    key(&mut h, Key::Escape);
    assert_eq!(h.state().selected_span(), None);
    // A click on plain text cancels too.
    click_text(&mut h, "Rents");
    key(&mut h, Key::R);
    click_text(&mut h, "spoke");
    assert_eq!(h.state().picking(), None);
    assert!(relations(&h).is_empty());
}

#[test]
fn a_span_no_type_starts_at_says_so() {
    let mut h = harness(project());
    click_text(&mut h, "Bo Chen");
    key(&mut h, Key::R);
    assert_eq!(h.state().picking(), None);
    assert!(
        toasts(&h).contains("No relation type starts at a span labelled actor"),
        "{}",
        toasts(&h)
    );
    // Nothing selected: R says what to do.
    key(&mut h, Key::Escape);
    key(&mut h, Key::R);
    assert!(toasts(&h).contains("Select a span first"));
}

/// The project with the claim linked to Bo Chen (source) and Lune Port (location), and a third
/// type that also fits a claim and an actor.
fn linked() -> Project {
    let mut p = project();
    let mut speaker = RelationType::any("speaker", 2);
    speaker.from_labels = vec!["claim".into()];
    speaker.to_labels = vec!["actor".into()];
    p.relation_types.push(speaker);
    let d = p.documents[0].clone();
    let id = |t: &str| d.spans.iter().find(|s| s.text == t).unwrap().id;
    for (to, kind) in [("Bo Chen", "source"), ("Lune Port", "location")] {
        let relation = p
            .make_relation("d1", id(CLAIM), id(to), kind, "ana")
            .unwrap();
        p.apply(Edit::AddRelation {
            doc: "d1".into(),
            relation,
        })
        .unwrap();
    }
    p
}

/// Clicks a side panel widget, checks the change, and that undo brings back the project and the
/// selection, and redo the change.
fn panel_step(
    h: &mut Harness<'_, SpantagApp>,
    labels: &[&str],
    check: impl Fn(&Harness<'_, SpantagApp>),
) {
    let before = state(h);
    for l in labels {
        h.get_by_label(l).click();
        h.run_steps(2);
    }
    assert_ne!(state(h).0, before.0, "{labels:?} changed nothing");
    check(h);
    let after = state(h);
    undo(h);
    assert_eq!(
        state(h),
        before,
        "{labels:?}: undo restores project and selection"
    );
    redo(h);
    assert_eq!(state(h), after, "{labels:?}: redo");
    undo(h);
}

#[test]
fn retype_reverse_and_delete_from_the_side_panel_are_steps() {
    let mut p = linked();
    // Only the source relation, so the panel's buttons are unique.
    let loc = p.documents[0].relations[1].id;
    p.apply(Edit::RemoveRelation {
        doc: "d1".into(),
        relation: loc,
    })
    .unwrap();
    let mut h = harness(p);
    click_text(&mut h, "Rents");
    h.get_by_label("Relations (1)");
    panel_step(&mut h, &["Type: source", "speaker"], |h| {
        assert_eq!(relations(h), vec![rel("speaker", CLAIM, "Bo Chen")]);
    });
    panel_step(&mut h, &["Reverse"], |h| {
        assert_eq!(relations(h), vec![rel("source", "Bo Chen", CLAIM)]);
        assert!(toasts(h).contains("which source does not allow"));
    });
    panel_step(&mut h, &["Delete"], |h| {
        assert!(relations(h).is_empty());
        assert_eq!(h.state().project().documents[0].spans.len(), 8);
    });
    assert_eq!(relations(&h), vec![rel("source", CLAIM, "Bo Chen")]);
}

#[test]
fn deleting_a_span_removes_its_relations_and_undo_brings_both_back() {
    let mut h = harness(linked());
    click_text(&mut h, "Rents");
    let before = state(&h);
    h.get_by_label("Relations (2)");
    key(&mut h, Key::Delete);
    assert!(
        h.state().project().documents[0]
            .spans
            .iter()
            .all(|s| s.text != CLAIM)
    );
    assert!(relations(&h).is_empty());
    assert!(
        toasts(&h).contains("Removed claim and 2 relations"),
        "{}",
        toasts(&h)
    );
    undo(&mut h);
    assert_eq!(state(&h), before);
    assert_eq!(
        relations(&h),
        vec![
            rel("source", CLAIM, "Bo Chen"),
            rel("location", CLAIM, "Lune Port")
        ]
    );
    assert!(toasts(&h).contains("Undid: Delete claim and 2 relations"));
    redo(&mut h);
    assert!(relations(&h).is_empty());
}

#[test]
fn follow_a_relation_and_find_the_claim_without_a_source() {
    let mut h = harness(linked());
    click_text(&mut h, "Rents");
    let claim = span(&h, CLAIM);
    key(&mut h, Key::L);
    assert_eq!(h.state().selected_span(), Some(span(&h, "Bo Chen")));
    key(&mut h, Key::L);
    assert_eq!(h.state().selected_span(), Some(claim));
    // The other claim has no source; U finds it from anywhere, and only it.
    key(&mut h, Key::Escape);
    key(&mut h, Key::U);
    let ferries = span(&h, "Ferries stop in May");
    assert_eq!(h.state().selected_span(), Some(ferries));
    assert!(
        toasts(&h).contains("claim without a source: “Ferries stop in May” (1 in the project)")
    );
    key(&mut h, Key::U);
    assert_eq!(h.state().selected_span(), Some(ferries));
    assert!(toasts(&h).contains("This is the only claim without a source"));
    // Link it by keyboard: its nearest actor is The council.
    key(&mut h, Key::R);
    key(&mut h, Key::Tab);
    key(&mut h, Key::Enter);
    assert!(relations(&h).contains(&rel("source", "Ferries stop in May", "The council")));
    key(&mut h, Key::U);
    assert!(toasts(&h).contains("Every claim has a source"));
}

#[test]
fn the_commands_are_in_the_table_and_the_help() {
    let mut h = harness(project());
    key(&mut h, Key::F1);
    for name in [
        "Link span…",
        "Go to linked span",
        "Next claim without a source",
    ] {
        h.get_by_label(name);
    }
    h.get_by_label("Linking: Tab, Shift+Tab");
}

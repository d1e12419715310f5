//! Reviewing in the GUI, driven headless with egui_kittest through keys, clicks and the menus:
//! review mode (accept, reject, relabel, resize, note, filters, with undo), compare mode (every
//! kind of conflict resolution, then Save as… and reload with the core loader) and the agreement
//! window.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use egui::{Event, Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spantag::app::SpantagApp;
use spantag_core::markup::project_from_markup;
use spantag_core::model::{Project, Span, Status};
use spantag_core::time::Timestamp;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ARTICLE: &str = "[actor Mayor Lena Ortiz] visited [place North Quay] on Monday. \
[actor The council] said [number 40] jobs would go.";
const SECOND: &str = "[place Saltmarsh] lost [number 12] boats.";

pub(crate) fn project() -> Project {
    project_from_markup(
        "review",
        &[("d1", ARTICLE), ("d2", SECOND)],
        "ana",
        Timestamp(0),
    )
    .unwrap()
}

pub(crate) fn harness(app: SpantagApp) -> Harness<'static, SpantagApp> {
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .with_step_dt(0.05)
        .with_max_steps(200)
        .build_ui_state(|ui, app: &mut SpantagApp| app.show(ui), app);
    h.run_steps(3);
    h
}

pub(crate) fn key(h: &mut Harness<'_, SpantagApp>, k: Key) {
    h.key_press(k);
    h.run_steps(2);
}

pub(crate) fn key_mod(h: &mut Harness<'_, SpantagApp>, m: Modifiers, k: Key) {
    h.key_press_modifiers(m, k);
    h.run_steps(2);
}

pub(crate) fn undo(h: &mut Harness<'_, SpantagApp>) {
    key_mod(h, Modifiers::COMMAND, Key::Z);
}

/// The selected span of the open document.
pub(crate) fn selected(h: &Harness<'_, SpantagApp>) -> Span {
    let app = h.state();
    let id = app.selected_span().expect("a span is selected");
    app.project().documents[app.current_doc()]
        .span(id)
        .expect("selected span exists")
        .clone()
}

/// The span of document `doc` covering `text`.
pub(crate) fn span(h: &Harness<'_, SpantagApp>, doc: usize, text: &str) -> Span {
    h.state().project().documents[doc]
        .spans
        .iter()
        .find(|s| s.text == text)
        .unwrap_or_else(|| panic!("no span {text:?}"))
        .clone()
}

#[test]
fn review_accept_reject_relabel_resize_each_undoable() {
    let mut h = harness(SpantagApp::new_for_test(project(), "rita"));
    key_mod(&mut h, Modifiers::COMMAND, Key::R);
    // The queue starts at the first span in reading order, selected in the article.
    assert_eq!(selected(&h).text, "Mayor Lena Ortiz");
    h.get_by_label_contains("Overall: 0/6 reviewed");
    h.get_by_label("This document: 0/4 reviewed");
    h.check_accessibility();

    // Accept (A): status, reviewer and time recorded; the queue moves on.
    key(&mut h, Key::A);
    let s = span(&h, 0, "Mayor Lena Ortiz");
    assert_eq!(s.status, Status::Accepted);
    let review = s.review.expect("review recorded");
    assert_eq!(review.reviewer, "rita");
    assert!(review.time.0 > 0);
    assert_eq!(selected(&h).text, "North Quay");
    h.get_by_label("This document: 1/4 reviewed");
    undo(&mut h);
    let s = span(&h, 0, "Mayor Lena Ortiz");
    assert_eq!(s.status, Status::Pending);
    assert_eq!(s.review, None);
    assert!(!h.state().is_dirty());
    // Undo goes back to the span it changed.
    assert_eq!(selected(&h).text, "Mayor Lena Ortiz");

    // Enter accepts too.
    key(&mut h, Key::Enter);
    assert_eq!(span(&h, 0, "Mayor Lena Ortiz").status, Status::Accepted);
    undo(&mut h);
    assert_eq!(span(&h, 0, "Mayor Lena Ortiz").status, Status::Pending);

    // Reject (X): the span is kept, marked rejected.
    key(&mut h, Key::N);
    assert_eq!(selected(&h).text, "North Quay");
    key(&mut h, Key::X);
    let s = span(&h, 0, "North Quay");
    assert_eq!(s.status, Status::Rejected);
    assert_eq!(s.review.unwrap().reviewer, "rita");
    assert_eq!(selected(&h).text, "The council");
    undo(&mut h);
    assert_eq!(span(&h, 0, "North Quay").status, Status::Pending);
    assert_eq!(selected(&h).text, "North Quay");
    // P and N walk the queue.
    key(&mut h, Key::P);
    assert_eq!(selected(&h).text, "Mayor Lena Ortiz");
    key(&mut h, Key::N);
    key(&mut h, Key::N);

    // Relabel with a label key: one step, marked edited.
    assert_eq!(selected(&h).text, "The council");
    key(&mut h, Key::Num2);
    let s = span(&h, 0, "The council");
    assert_eq!((s.label.as_str(), s.status), ("place", Status::Edited));
    assert_eq!(s.review.unwrap().reviewer, "rita");
    undo(&mut h);
    let s = span(&h, 0, "The council");
    assert_eq!((s.label.as_str(), s.status), ("actor", Status::Pending));

    // Boundary chord: the end grows by a token, marked edited; undo restores both.
    key(&mut h, Key::N);
    assert_eq!(selected(&h).text, "40");
    key_mod(&mut h, Modifiers::ALT | Modifiers::SHIFT, Key::ArrowRight);
    let s = selected(&h);
    assert_eq!((s.text.as_str(), s.status), ("40 jobs", Status::Edited));
    undo(&mut h);
    let s = selected(&h);
    assert_eq!((s.text.as_str(), s.status), ("40", Status::Pending));
    assert!(!h.state().is_dirty());
}

#[test]
fn review_queue_crosses_documents_and_filters() {
    let mut h = harness(SpantagApp::new_for_test(project(), "rita"));
    key_mod(&mut h, Modifiers::COMMAND, Key::R);
    for _ in 0..3 {
        key(&mut h, Key::N);
    }
    assert_eq!(selected(&h).text, "40");
    // N at the end of a document opens the next one.
    key(&mut h, Key::N);
    assert_eq!(h.state().current_doc(), 1);
    assert_eq!(selected(&h).text, "Saltmarsh");
    key(&mut h, Key::A);
    h.get_by_label_contains("Overall: 1/6 reviewed");
    h.get_by_label("This document: 1/2 reviewed");
    // P goes back across the document boundary.
    key(&mut h, Key::P);
    key(&mut h, Key::P);
    assert_eq!(h.state().current_doc(), 0);
    assert_eq!(selected(&h).text, "40");

    // Filter by label: only number spans are in the queue.
    h.get_by_label("label number").click();
    h.run_steps(2);
    h.get_by_label("Queue: 1 of 2");
    key(&mut h, Key::N);
    assert_eq!(h.state().current_doc(), 1);
    assert_eq!(selected(&h).text, "12");
    h.get_by_label("any label").click();
    // Filter by status: the accepted span only.
    h.get_by_label("accepted").click();
    h.run_steps(2);
    h.get_by_label("Queue: 1 spans");
    h.get_by_label("any status").click();
    // Filter by author: nobody but ana annotated.
    h.get_by_label("by ana").click();
    h.run_steps(2);
    h.get_by_label_contains("of 6");
}

#[test]
fn review_note_typing_does_not_fire_commands() {
    let mut h = harness(SpantagApp::new_for_test(project(), "rita"));
    key_mod(&mut h, Modifiers::COMMAND, Key::R);
    assert_eq!(selected(&h).text, "Mayor Lena Ortiz");
    key(&mut h, Key::M);
    // Letters that are commands in review mode (a, x, n, p, m) only type.
    h.event(Event::Text("a title, maybe? not sure xp".into()));
    h.run_steps(1);
    for k in [Key::A, Key::X, Key::N, Key::P, Key::Num2] {
        h.key_press(k);
    }
    h.run_steps(1);
    let s = selected(&h);
    assert_eq!(s.text, "Mayor Lena Ortiz", "N did not move the queue");
    assert_eq!(s.status, Status::Pending, "A and X did not fire");
    assert_eq!(s.label, "actor", "2 did not relabel");
    key(&mut h, Key::Enter);
    let s = span(&h, 0, "Mayor Lena Ortiz");
    assert_eq!(
        s.status,
        Status::Pending,
        "Enter saved the note, nothing else"
    );
    let review = s.review.expect("note saved as the review note");
    assert_eq!(review.note.as_deref(), Some("a title, maybe? not sure xp"));
    assert_eq!(review.reviewer, "rita");
    // The field gave the keys back: A accepts and keeps the note.
    key(&mut h, Key::A);
    let s = span(&h, 0, "Mayor Lena Ortiz");
    assert_eq!(s.status, Status::Accepted);
    assert_eq!(
        s.review.unwrap().note.as_deref(),
        Some("a title, maybe? not sure xp")
    );
    undo(&mut h);
    undo(&mut h);
    assert_eq!(span(&h, 0, "Mayor Lena Ortiz").review, None);
}

#[test]
fn review_keys_are_in_help_and_inactive_outside_review_mode() {
    let mut h = harness(SpantagApp::new_for_test(project(), "rita"));
    // Not in review mode: A does nothing.
    h.key_press(Key::Tab);
    h.run_steps(1);
    key(&mut h, Key::A);
    assert!(
        h.state().project().documents[0]
            .spans
            .iter()
            .all(|s| s.status == Status::Pending)
    );
    key(&mut h, Key::F1);
    h.get_by_label("Ctrl+R");
    h.get_by_label("Accept / take A");
    h.get_by_label("A, Enter");
    h.get_by_label("Take both");
    h.get_by_label("Edit: keep selected");
    h.get_by_label("Reject / drop");
    h.get_by_label("Ctrl+Shift+A");
}

// ----- compare mode -----

pub(crate) fn write(dir: &Path, name: &str, p: &Project) -> PathBuf {
    let path = dir.join(name);
    spantag_core::project_io::save(p, &path).unwrap();
    path
}

const QUAY_A: &str = "[actor Ana Lima] met [actor Bo Chen] in [place Porto] on Friday with \
[number 12] aides near [place the old quay] gate, said [actor the Harbour Board].";
const QUAY_B: &str = "[actor Ana Lima] met [place Bo Chen] in [place Porto] on [number Friday] \
with [number 12 aides] near the [place old quay] gate, said [place the Harbour Board].";

/// Two annotators over the same articles, in different order and with different ids; one
/// article only the first has.
pub(crate) fn compare_files(dir: &Path) -> Vec<PathBuf> {
    let a = project_from_markup(
        "ana",
        &[
            ("quay", QUAY_A),
            ("port", "[place Lune Port] reopened."),
            ("boats", "[number 7] boats left."),
        ],
        "ana",
        Timestamp(0),
    )
    .unwrap();
    let b = project_from_markup(
        "ben",
        &[
            ("b-port", "[place Lune Port] reopened."),
            ("b-quay", QUAY_B),
        ],
        "ben",
        Timestamp(0),
    )
    .unwrap();
    vec![write(dir, "ana.ron", &a), write(dir, "ben.ron", &b)]
}

/// Types into the app's path prompt (shown when no native file dialog is available).
pub(crate) fn answer_prompt(h: &mut Harness<'_, SpantagApp>, text: &str) {
    h.run_steps(4);
    h.get_by_label("Path:");
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.event(Event::Text(text.to_owned()));
    h.run_steps(1);
    key(h, Key::Enter);
}

/// Runs frames until compare mode is open and its agreement figures are computed (both happen
/// on background threads), for at most a minute.
pub(crate) fn wait_compared(h: &mut Harness<'_, SpantagApp>) {
    let start = Instant::now();
    while !h.state().comparison_ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the comparison did not finish: {:?}",
            h.state().toasts()
        );
        std::thread::sleep(Duration::from_millis(5));
        h.run_steps(1);
    }
    h.run_steps(2);
}

pub(crate) fn open_compare(h: &mut Harness<'_, SpantagApp>, paths: &[PathBuf]) {
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label_contains("Compare projects…").click();
    let joined: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    answer_prompt(h, &joined.join(";"));
    wait_compared(h);
}

pub(crate) fn candidates(h: &Harness<'_, SpantagApp>) -> Vec<(String, String)> {
    let app = h.state();
    let id = app.selected_span().expect("a conflict is selected");
    let d = &app.project().documents[app.current_doc()];
    let s = d.span(id).unwrap();
    assert_eq!(s.status, Status::Pending, "the selection is in the queue");
    d.spans
        .iter()
        .filter(|o| o.status == Status::Pending && o.overlaps(s))
        .map(|o| (o.label.clone(), o.text.clone()))
        .collect()
}

pub(crate) fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn compare_resolves_every_kind_of_conflict_and_saves_gold() {
    let dir = tempfile::tempdir().unwrap();
    let files = compare_files(dir.path());
    let mut h = harness(SpantagApp::new_for_test(project(), "gus"));
    open_compare(&mut h, &files);
    assert_eq!(h.state().project().name, "gold", "{:?}", h.state().toasts());
    h.get_by_label("5 unresolved");
    h.get_by_label("Annotator A (ana)");
    h.check_accessibility();

    // 1. Label conflict on "Bo Chen": take A.
    assert_eq!(
        candidates(&h),
        pairs(&[("actor", "Bo Chen"), ("place", "Bo Chen")])
    );
    // Hovering a span says what kind of disagreement it is and who marked what.
    let bo = span(&h, 0, "Ana Lima").end + 5;
    let at = h.state().char_rect(bo).expect("drawn").center();
    h.event(Event::PointerMoved(at));
    h.run_steps(20);
    h.get_by_label("Label conflict — ana marked this; ben: place “Bo Chen” · unresolved");
    h.event(Event::PointerMoved(egui::pos2(5.0, 5.0)));
    h.run_steps(20);
    key(&mut h, Key::A);
    h.get_by_label("4 unresolved");
    assert_eq!(candidates(&h), pairs(&[("number", "Friday")]));
    // Undo brings the conflict back and selects it; N and P walk the queue.
    undo(&mut h);
    h.get_by_label("5 unresolved");
    assert_eq!(
        candidates(&h),
        pairs(&[("actor", "Bo Chen"), ("place", "Bo Chen")])
    );
    key(&mut h, Key::N);
    assert_eq!(candidates(&h), pairs(&[("number", "Friday")]));
    key(&mut h, Key::P);
    assert_eq!(
        candidates(&h),
        pairs(&[("actor", "Bo Chen"), ("place", "Bo Chen")])
    );
    key(&mut h, Key::A);

    // 2. Only ben marked "Friday": drop it.
    assert_eq!(candidates(&h), pairs(&[("number", "Friday")]));
    key(&mut h, Key::X);

    // 3. Boundary conflict "12" / "12 aides": take B.
    assert_eq!(
        candidates(&h),
        pairs(&[("number", "12 aides"), ("number", "12")])
    );
    key(&mut h, Key::B);

    // 4. Boundary conflict "the old quay" / "old quay": keep ben's (picked in the panel), then
    //    extend it by a token: an edit neither annotator made.
    assert_eq!(
        candidates(&h),
        pairs(&[("place", "the old quay"), ("place", "old quay")])
    );
    h.get_by_label("place “old quay” — ben").click();
    h.run_steps(2);
    assert_eq!(selected(&h).text, "old quay");
    key(&mut h, Key::E);
    key_mod(&mut h, Modifiers::ALT | Modifiers::SHIFT, Key::ArrowRight);
    assert_eq!(selected(&h).text, "old quay gate");
    h.get_by_label("1 unresolved");

    // 5. Label conflict on "the Harbour Board": take both.
    key(&mut h, Key::N);
    assert_eq!(
        candidates(&h),
        pairs(&[
            ("actor", "the Harbour Board"),
            ("place", "the Harbour Board")
        ])
    );
    key(&mut h, Key::T);
    h.get_by_label("0 unresolved");

    // Save as… writes the gold project.
    let gold_path = dir.path().join("gold.ron");
    key_mod(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::S);
    answer_prompt(&mut h, &gold_path.display().to_string());
    crate::common::wait_saved(&mut h);
    assert!(!h.state().is_dirty(), "{:?}", h.state().toasts());
    let gold = spantag_core::project_io::load(&gold_path).unwrap();
    let got: Vec<Vec<(String, String, Status)>> = gold
        .documents
        .iter()
        .map(|d| {
            d.spans
                .iter()
                .map(|s| (s.label.clone(), s.text.clone(), s.status))
                .collect()
        })
        .collect();
    let want = |v: &[(&str, &str, Status)]| -> Vec<(String, String, Status)> {
        v.iter()
            .map(|(l, t, s)| ((*l).to_owned(), (*t).to_owned(), *s))
            .collect()
    };
    use Status::{Accepted, Edited};
    assert_eq!(
        got,
        vec![
            want(&[
                ("actor", "Ana Lima", Accepted),
                ("actor", "Bo Chen", Accepted),
                ("place", "Porto", Accepted),
                ("number", "12 aides", Accepted),
                ("place", "old quay gate", Edited),
                ("actor", "the Harbour Board", Accepted),
                ("place", "the Harbour Board", Accepted),
            ]),
            want(&[("place", "Lune Port", Accepted)]),
            want(&[("number", "7", Accepted)]),
        ]
    );
    // Who proposed each span is kept; the reviewer is recorded on resolutions.
    let d = &gold.documents[0];
    let bo = d.spans.iter().find(|s| s.text == "Bo Chen").unwrap();
    assert_eq!(bo.proposed_by, vec!["ana".to_owned()]);
    assert_eq!(bo.review.as_ref().unwrap().reviewer, "gus");
    let quay = d.spans.iter().find(|s| s.text == "old quay gate").unwrap();
    assert_eq!(quay.proposed_by, vec!["ben".to_owned()]);
}

#[test]
fn agreement_window_shows_figures_for_a_small_case() {
    let dir = tempfile::tempdir().unwrap();
    let a = project_from_markup(
        "a",
        &[("d", "[actor Ana] met [actor Bo] in [place Rome].")],
        "ana",
        Timestamp(0),
    )
    .unwrap();
    let b = project_from_markup(
        "b",
        &[("d", "[actor Ana] met [place Bo] in Rome.")],
        "ben",
        Timestamp(0),
    )
    .unwrap();
    let files = vec![
        write(dir.path(), "a.ron", &a),
        write(dir.path(), "b.ron", &b),
    ];
    let mut h = harness(SpantagApp::new_for_test(project(), "gus"));
    assert!(h.query_by_label("Agreement").is_none());
    open_compare(&mut h, &files);
    key_mod(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::A);
    h.get_by_label("Agreement");
    // ana is the reference: 1 of ben's 2 spans matches, 1 of ana's 3 is found.
    // P = 1/2, R = 1/3, F1 = 2PR/(P+R) = 0.4, for exact and overlap matching alike.
    // Grid cells, one per row: exact and overlap.
    let column = |text: &str| -> Vec<f32> {
        let mut ys: Vec<f32> = h
            .get_all_by_label(text)
            .map(|n| n.rect().center().y.round())
            .collect();
        ys.dedup();
        ys
    };
    assert_eq!(column("0.500").len(), 2, "precision");
    assert_eq!(column("0.400").len(), 2, "F1");
    // Recall 1/3 on both rows, and macro F1 (actor 2/3, place 0) 1/3 on both rows.
    assert_eq!(column("0.333").len(), 2);
    // Cohen's kappa over the 6 tokens (Ana met Bo in Rome .): p_o = 4/6, p_e = 15/36,
    // kappa = (4/6 - 15/36) / (1 - 15/36) = 0.429.
    h.get_by_label("0.429");
    // actor: ana 2, ben 1 matching: F1 2/3.
    h.get_by_label("exact 0.667 · overlap 0.667");
    // Nobody marked a claim: the claim layer's kappa is undefined, not NaN.
    assert!(h.get_all_by_label("undefined").count() >= 1);
    assert!(h.query_by_label_contains("NaN").is_none());
    h.get_by_label_contains("exact F1 0.400");

    // Confusion over overlapping spans (rows ana, columns ben): Ana agrees, Bo is actor for ana
    // and place for ben, ana's Rome has no counterpart.
    h.get_by_label("Label confusion (overlapping spans)");
    h.get_by_label("ana actor / ben actor: 1");
    h.get_by_label("ana actor / ben place: 1");
    h.get_by_label("ana place / ben (none): 1");
    h.get_by_label("ana place / ben place: 0");

    // The layers follow the projects' labels: claim-like labels are the claim layer.
    h.get_by_label("Claim layer: claim");
    // Moving "place" to the claim layer recomputes the figures in the background.
    h.get_by_role_and_label(egui::Role::Button, "place").click();
    h.run_steps(1);
    wait_compared(&mut h);
    h.get_by_label("Claim layer: place, claim");
    // Entities (actor only): ana A O A O O O, ben A O O O O O: p_o = 5/6,
    // p_e = 2/6·1/6 + 4/6·5/6 = 22/36, kappa = (30 - 22) / (36 - 22) = 0.571.
    h.get_by_label("0.571");
    // Claims (place, claim): ana O O O O P O, ben O O P O O O: p_o = 4/6, p_e = 26/36,
    // kappa = (24 - 26) / (36 - 26) = -0.200 (Fleiss' kappa is the same here).
    assert!(h.get_all_by_label("-0.200").count() >= 1);
    assert!(h.query_by_label("0.429").is_none());
}

/// Four annotators: the fourth is taken with its button in the side panel; the merge strategy
/// comes from `--strategy` and can be changed before the first resolution.
#[test]
fn compare_four_annotators_take_the_fourth_and_change_strategy() {
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
    // Union accepts every span: nothing to resolve.
    h.get_by_label("0 unresolved");
    assert!(statuses(&h).iter().all(|s| s.2 == Status::Accepted));
    assert_eq!(statuses(&h).len(), 5);
    // Intersection: the four labels of "Bo" are one conflict.
    h.get_by_role_and_label(egui::Role::Button, "intersection")
        .click();
    h.run_steps(1);
    wait_compared(&mut h);
    h.get_by_label("1 unresolved");
    h.get_by_label("Annotator D (dee)");
    h.check_accessibility();
    assert_eq!(
        candidates(&h),
        pairs(&[
            ("actor", "Bo"),
            ("claim", "Bo"),
            ("number", "Bo"),
            ("place", "Bo")
        ])
    );
    h.get_by_label("Take D (dee)").click();
    h.run_steps(2);
    h.get_by_label("0 unresolved");
    assert_eq!(
        statuses(&h),
        vec![
            ("claim".into(), "Bo".into(), Status::Accepted),
            ("place".into(), "Rome".into(), Status::Accepted),
        ]
    );
    let bo = &h.state().project().documents[0].spans[0];
    assert_eq!(bo.proposed_by, vec!["dee".to_owned()]);
    // After a resolution the strategy is fixed (merging again would drop it); undo brings the
    // conflict back.
    undo(&mut h);
    h.get_by_label("1 unresolved");
}

/// (label, text, status) of the first document's spans.
pub(crate) fn statuses(h: &Harness<'_, SpantagApp>) -> Vec<(String, String, Status)> {
    h.state().project().documents[0]
        .spans
        .iter()
        .map(|s| (s.label.clone(), s.text.clone(), s.status))
        .collect()
}

/// One project per annotator over the article "Bo left Rome.", each labelling "Bo" with its own
/// label, opened with `spantag --compare FILES... EXTRA... --annotator gus` (and `--screenshot`,
/// which keeps the test away from the real autosave and recovery directory).
pub(crate) fn compare_cli(
    dir: &Path,
    annotators: &[(&str, &str)],
    extra: &[&str],
) -> Harness<'static, SpantagApp> {
    use clap::Parser;
    let mut files = Vec::new();
    for (name, label) in annotators {
        let p = project_from_markup(
            name,
            &[("d", &format!("[{label} Bo] left [place Rome]."))],
            name,
            Timestamp(0),
        )
        .unwrap();
        files.push(write(dir, &format!("{name}.ron"), &p));
    }
    let mut argv: Vec<String> = vec!["spantag".into(), "--compare".into()];
    argv.extend(files.iter().map(|f| f.display().to_string()));
    argv.extend(extra.iter().map(|a| (*a).to_owned()));
    argv.extend(["--annotator".into(), "gus".into()]);
    argv.extend([
        "--screenshot".into(),
        dir.join("x.png").display().to_string(),
    ]);
    let cli = spantag::cli::Cli::try_parse_from(&argv).unwrap();
    let mut h = harness(SpantagApp::from_args(&spantag::launch_options(cli.gui)));
    wait_compared(&mut h);
    h
}

/// `spantag --compare A B C --agreement` opens compare mode over three projects; C takes the
/// third annotator's span.
#[test]
fn compare_from_the_command_line_with_three_annotators() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = compare_cli(
        dir.path(),
        &[("ana", "actor"), ("ben", "place"), ("cy", "number")],
        &["--agreement"],
    );
    h.get_by_label("1 unresolved");
    h.get_by_label("Take C (cy)");
    h.get_by_label("Agreement");
    h.check_accessibility();
    assert_eq!(
        candidates(&h),
        pairs(&[("actor", "Bo"), ("number", "Bo"), ("place", "Bo")])
    );
    key(&mut h, Key::C);
    h.get_by_label("0 unresolved");
    assert_eq!(
        statuses(&h),
        vec![
            ("number".into(), "Bo".into(), Status::Accepted),
            ("place".into(), "Rome".into(), Status::Accepted),
        ]
    );
}

/// With thousands of documents the document list builds only the rows in view (so a frame does
/// not grow with the project), each with its unresolved count, and a row opens its document.
#[test]
fn compare_many_documents_lists_only_the_visible_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, even) in [("ana", "actor"), ("ben", "place")] {
        let docs: Vec<(String, String)> = (0..3000)
            .map(|i| {
                let label = if i % 2 == 0 { even } else { "actor" };
                (
                    format!("d{i}"),
                    format!("Item {i}: [{label} Bo] left [place Rome]."),
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = docs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let p = project_from_markup(name, &refs, name, Timestamp(0)).unwrap();
        files.push(write(dir.path(), &format!("{name}.ron"), &p));
    }
    let mut h = harness(SpantagApp::new_for_test(project(), "gus"));
    open_compare(&mut h, &files);
    h.get_by_label("1500 unresolved");
    h.get_by_label("Item 0: Bo left Rome.\n3 spans · 1 unresolved · in progress");
    h.get_by_label("Item 1: Bo left Rome.\n2 spans · 0 unresolved · in progress");
    assert!(h.query_by_label_contains("Item 2999:").is_none());
    h.get_by_label_contains("Item 3: Bo").click();
    h.run_steps(2);
    assert_eq!(h.state().current_doc(), 3);
}

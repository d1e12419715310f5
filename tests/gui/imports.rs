//! File › Import… shows what an import will not keep, the trimmed spans, and why a file in
//! another format is refused, before anything is added.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spantag::app::SpantagApp;
use spantag_core::markup::project_from_markup;
use spantag_core::time::Timestamp;
use std::time::{Duration, Instant};

fn harness() -> Harness<'static, SpantagApp> {
    let project = project_from_markup(
        "imports-gui",
        &[("d1", "[actor Ana] met Bo.")],
        "ana",
        Timestamp(0),
    )
    .unwrap();
    let mut h = Harness::builder()
        .with_size([1280.0, 900.0])
        .with_step_dt(0.05)
        .with_max_steps(200)
        .allow_missing_glyphs()
        .build_ui_state(
            |ui, app: &mut SpantagApp| app.show(ui),
            SpantagApp::new_for_test(project, "tester"),
        );
    h.run_steps(3);
    h
}

/// Runs frames until `done` holds (the import preview is planned on another thread).
fn run_until(
    h: &mut Harness<'_, SpantagApp>,
    what: &str,
    done: impl Fn(&Harness<'_, SpantagApp>) -> bool,
) {
    let start = Instant::now();
    while !done(h) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(2);
}

fn type_input(h: &mut Harness<'_, SpantagApp>, text: &str) {
    h.get_by_label("Input:").focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.get_by_label("Input:").type_text(text);
    h.run_steps(2);
}

#[test]
fn the_import_preview_lists_what_is_not_kept_and_refuses_another_format() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = dir.path().join("rel.jsonl");
    std::fs::write(
        &tasks,
        r#"{"text": "Zoë Adams met Bo Chen 🙂", "spans": [{"start": 0, "end": 10, "label": "PERSON", "source": "core_web_sm"}, {"start": 14, "end": 21, "label": "PERSON"}], "relations": [{"head": 1, "child": 3, "label": "MEETS", "head_span": {"start": 0, "end": 10, "label": "PERSON"}, "child_span": {"start": 14, "end": 21, "label": "PERSON"}}, {"head": 2, "child": 3, "label": "MEETS"}], "_view_id": "relations", "answer": "accept"}"#,
    )
    .unwrap();
    let doccano = dir.path().join("doccano.jsonl");
    std::fs::write(
        &doccano,
        r#"{"id": 1, "text": "Anna met Bo", "label": [[0, 4, "actor"]]}"#,
    )
    .unwrap();
    let mut h = harness();
    h.key_press_modifiers(Modifiers::COMMAND, Key::I);
    h.run_steps(2);
    h.get_by_label("jsonl").click();
    h.run_steps(1);
    type_input(&mut h, tasks.to_str().unwrap());
    run_until(&mut h, "the import preview", |h| {
        h.query_by_label_contains("1 document(s) added").is_some()
    });
    // The relation between the two spans comes in with its new type; the one whose head is
    // no span is listed; Prodigy's `_view_id` is kept (in the document's meta), a span's
    // `source` is not.
    h.get_by_label("1 relation(s)");
    h.get_by_label("New relation types (any labels): MEETS");
    h.get_by_label_contains("its head (token 2) is not one of the task's spans");
    h.get_by_label("Not kept (spantag has no place for them yet):");
    h.get_by_label_contains("1 × span key \"source\"");
    assert!(h.query_by_label_contains("_view_id").is_none());
    // "Zoë Adams " was padded: trimmed, and said so.
    h.get_by_label_contains("Trimmed whitespace off the ends of 1 span(s)");
    // A doccano file read as jsonl is refused with the format it looks like.
    type_input(&mut h, doccano.to_str().unwrap());
    run_until(&mut h, "the refusal", |h| {
        h.query_by_label_contains("try --format doccano").is_some()
    });
    h.get_by_label_contains("Nothing was imported");
    assert_eq!(h.state().project().documents.len(), 1, "nothing added");
}

//! File › Export… and File › Import… driven through the real app with egui_kittest: shortcuts
//! and menus open the dialogs, paths are typed into their fields, the export runs on its own
//! thread until the summary shows, and an import is one undoable step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use egui::{Key, Modifiers, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::{Queryable, by};
use spantag::app::SpantagApp;
use spantag_core::markup::project_from_markup;
use spantag_core::model::Project;
use spantag_core::time::Timestamp;
use std::path::Path;
use std::time::{Duration, Instant};

fn project() -> Project {
    project_from_markup(
        "export-gui",
        &[
            (
                "d1",
                "[actor Ana Lind] flew to [place Lune Port] with 👩‍👩‍👧 on [number 3] ferries.",
            ),
            ("d2", "[actor Bo] said [claim the café reopens in May]."),
            ("d3", "Nothing tagged in this one; e\u{301}t\u{e9} in 東京."),
        ],
        "ana",
        Timestamp(0),
    )
    .unwrap()
}

fn harness(app: SpantagApp) -> Harness<'static, SpantagApp> {
    let mut h = Harness::builder()
        .with_size([1280.0, 900.0])
        .with_step_dt(0.05)
        .with_max_steps(200)
        .allow_missing_glyphs()
        .build_ui_state(|ui, app: &mut SpantagApp| app.show(ui), app);
    h.run_steps(3);
    h
}

/// Runs frames until `done` holds (the export and the import preview run on other threads).
fn run_until(
    h: &mut Harness<'_, SpantagApp>,
    what: &str,
    done: impl Fn(&Harness<'_, SpantagApp>) -> bool,
) {
    let start = Instant::now();
    while !done(h) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}; toasts: {:?}",
            h.state().toasts()
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(2);
}

/// Opens File › `item` and waits for the window called `title`.
fn menu_item(h: &mut Harness<'_, SpantagApp>, item: &str, title: &str) {
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label_contains(item).click();
    run_until(h, title, |h| {
        h.query_all_by_label_contains(title).next().is_some()
    });
}

/// Replaces the text of the field labelled `label` by typing.
fn type_into(h: &mut Harness<'_, SpantagApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.get_by_label(label).type_text(text);
    h.run_steps(2);
}

#[test]
fn export_jsonl_through_the_dialog() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data.jsonl");
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    h.key_press_modifiers(Modifiers::COMMAND, Key::E);
    h.run_steps(2);
    h.get_by_label_contains("Export training data");
    // The live preview shows the first records of the default format (jsonl).
    // (d3 has no spans, so two records show a token_start.)
    assert_eq!(h.query_all_by_label_contains("\"token_start\"").count(), 2);
    type_into(&mut h, "Output file:", out.to_str().unwrap());
    h.get_by_label("Export").click();
    run_until(&mut h, "the export summary", |h| {
        h.query_by_label("Export finished").is_some()
    });
    h.get_by_label("3 document(s), 5 span(s) as jsonl");
    h.get_by_label("Every selected span was represented.");

    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let p = h.state().project();
    assert_eq!(lines.len(), p.documents.len());
    for (line, doc) in lines.iter().zip(&p.documents) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["text"], doc.text.as_str());
        let got: Vec<(u64, u64, String)> = v["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["start"].as_u64().unwrap(),
                    s["end"].as_u64().unwrap(),
                    s["label"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let want: Vec<(u64, u64, String)> = doc
            .spans
            .iter()
            .map(|s| (s.start as u64, s.end as u64, s.label.clone()))
            .collect();
        assert_eq!(got, want, "{}", doc.id);
    }
    assert!(
        h.state().toasts().iter().any(|t| t.contains("Exported 3")),
        "{:?}",
        h.state().toasts()
    );
    // Escape closes the dialog.
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label_contains("Export training data").is_none());
}

#[test]
fn export_menu_options_split_and_preview_follow_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("splits");
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    menu_item(&mut h, "Export…", "Export training data");
    // CoNLL shows its scheme and overlap choices and a CoNLL preview.
    h.get_by_label("conll").click();
    h.run_steps(2);
    h.get_by_label("bilou").click();
    h.run_steps(2);
    assert!(h.query_all_by_label_contains("U-number").next().is_some());
    // Leaving out a label changes the preview.
    h.get(by().role(Role::CheckBox).label("number")).click();
    h.run_steps(2);
    assert!(h.query_all_by_label_contains("U-number").next().is_none());
    h.get_by_label("Split by document into train / dev / test")
        .click();
    h.run_steps(2);
    h.get_by_label("Output folder:");
    // Every control of the dialog (radio buttons, checkboxes, drag values, fields) has a name.
    h.check_accessibility();
    type_into(&mut h, "Output folder:", out.to_str().unwrap());
    h.get_by_label("Export").click();
    run_until(&mut h, "the export summary", |h| {
        h.query_by_label("Export finished").is_some()
    });
    h.get_by_label_contains("Split (documents): train");
    for f in ["train.conll", "dev.conll", "test.conll"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let all: String = ["train", "dev", "test"]
        .iter()
        .map(|s| std::fs::read_to_string(out.join(format!("{s}.conll"))).unwrap())
        .collect();
    assert_eq!(all.matches("-DOCSTART-").count(), 3);
    assert!(all.contains("B-actor") && all.contains("L-actor"));
    assert!(!all.contains("number"), "the number label was left out");
}

#[test]
fn export_error_is_shown_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let out = blocker.join("out.csv");
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    h.key_press_modifiers(Modifiers::COMMAND, Key::E);
    h.run_steps(2);
    h.get_by_label("csv").click();
    h.run_steps(2);
    type_into(&mut h, "Output file:", out.to_str().unwrap());
    h.get_by_label("Export").click();
    run_until(&mut h, "the export error", |h| {
        h.query_by_label_contains("Export failed").is_some()
    });
    assert!(
        h.state()
            .toasts()
            .iter()
            .any(|t| t.contains("Export failed")),
        "{:?}",
        h.state().toasts()
    );
    assert!(!out.exists());
}

#[test]
fn export_dialog_warns_of_an_empty_entity_layer_and_exports_doccano() {
    let dir = tempfile::tempdir().unwrap();
    let claims = project_from_markup(
        "claims-only",
        &[
            ("c1", "👍🏽 [claim Ana said the café reopens in May]."),
            ("c2", "Nothing."),
        ],
        "ana",
        Timestamp(0),
    )
    .unwrap();
    let mut h = harness(SpantagApp::new_for_test(claims, "tester"));
    h.key_press_modifiers(Modifiers::COMMAND, Key::E);
    h.run_steps(2);
    // jsonl has no entity layer: no warning.
    assert!(
        h.query_by_label_contains("the entity layer is empty")
            .is_none()
    );
    h.get_by_label("spacy").click();
    h.run_steps(2);
    h.get_by_label_contains("Warning: the entity layer is empty");
    h.get_by_label("Span groups:");
    let out = dir.path().join("c.spacy");
    type_into(&mut h, "Output file:", out.to_str().unwrap());
    h.get_by_label("Export").click();
    run_until(&mut h, "the export summary", |h| {
        h.query_by_label("Export finished").is_some()
    });
    h.get_by_label_contains("Problem: the entity layer is empty");
    assert!(
        h.query_by_label("Every selected span was represented.")
            .is_none()
    );
    assert!(out.is_file());
    // Naming the entity labels (here the claim label) clears the warning.
    type_into(&mut h, "Entity labels:", "claim");
    assert!(
        h.query_by_label_contains("Warning: the entity layer")
            .is_none()
    );

    // doccano is offered (in a dialog opened again: the summary scrolled the options out of
    // view); its offsets count UTF-16 code units (the emoji takes four).
    h.key_press(Key::Escape);
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::E);
    h.run_steps(2);
    h.get_by_label("doccano").click();
    h.run_steps(2);
    h.get_by_label_contains("UTF-16 code units");
    let out = dir.path().join("c.doccano.jsonl");
    type_into(&mut h, "Output file:", out.to_str().unwrap());
    h.get_by_label("Export").click();
    run_until(&mut h, "the export summary", |h| {
        h.query_by_label_contains("span(s) as doccano").is_some()
    });
    let first = std::fs::read_to_string(&out).unwrap();
    let v: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert_eq!(v["label"], serde_json::json!([[5, 37, "claim"]]));
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn import_doccano_is_one_undoable_step() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doccano.jsonl");
    // doccano counts UTF-16 code units: the emoji before "Kai" takes two.
    write(
        &file,
        concat!(
            r#"{"id": 7, "text": "🙂 Kai met Rue at Pier 9.", "label": [[3, 6, "PER"], [18, 24, "LOC"]]}"#,
            "\n",
            r#"{"id": 8, "text": "Quiet day.", "label": [[0, 40, "LOC"]]}"#,
            "\n",
        ),
    );
    let before = project();
    let mut h = harness(SpantagApp::new_for_test(before.clone(), "tester"));
    h.key_press_modifiers(Modifiers::COMMAND, Key::I);
    h.run_steps(2);
    h.get_by_label_contains("Import annotations");
    h.get_by_label("doccano").click();
    h.run_steps(1);
    type_into(&mut h, "Label mapping:", "PER=actor");
    type_into(&mut h, "Input:", file.to_str().unwrap());
    run_until(&mut h, "the import preview", |h| {
        h.query_by_label_contains("2 document(s) added").is_some()
    });
    // The preview lists the spans with their labels after mapping, and the bad span.
    h.get_by_label_contains("actor 2..5 “Kai”");
    h.get_by_label_contains("1 span(s) or record(s) not imported:");
    assert_eq!(
        h.state().project().documents.len(),
        3,
        "preview changes nothing"
    );

    h.check_accessibility();
    h.get_by_label("Import").click();
    h.run_steps(3);
    h.get_by_label("Import finished");
    let p = h.state().project();
    assert_eq!(p.documents.len(), 5);
    let d = &p.documents[3];
    assert_eq!(d.text, "🙂 Kai met Rue at Pier 9.");
    let spans: Vec<(&str, &str)> = d
        .spans
        .iter()
        .map(|s| (s.label.as_str(), s.text.as_str()))
        .collect();
    assert_eq!(spans, vec![("actor", "Kai"), ("LOC", "Pier 9")]);
    assert!(p.label("LOC").is_some(), "unknown label added");
    h.get_by_label("New labels: LOC");
    assert!(h.state().is_dirty());

    // One Ctrl+Z removes the documents, the spans and the new label.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    let p = h.state().project();
    assert_eq!(p.documents, before.documents);
    assert_eq!(p.labels, before.labels);
    assert!(!h.state().is_dirty());
}

#[test]
fn import_adds_spans_to_a_matching_document_and_reports_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("spans.jsonl");
    let text = &project().documents[2].text;
    let line = serde_json::json!({
        "text": text,
        "spans": [{"start": 36, "end": 38, "label": "place"}],
    });
    write(&file, &format!("{line}\nnot json\n"));
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    menu_item(&mut h, "Import…", "Import annotations");
    type_into(
        &mut h,
        "Input:",
        dir.path().join("missing.jsonl").to_str().unwrap(),
    );
    h.get_by_label_contains("does not exist");
    type_into(&mut h, "Input:", file.to_str().unwrap());
    run_until(&mut h, "the import preview", |h| {
        h.query_by_label_contains("1 already in the project")
            .is_some()
    });
    h.get_by_label_contains("not JSON");
    h.get_by_label("Import").click();
    h.run_steps(3);
    let d = &h.state().project().documents[2];
    assert_eq!(d.spans.len(), 1);
    assert_eq!(
        (d.spans[0].label.as_str(), d.spans[0].text.as_str()),
        ("place", "東京")
    );
    assert_eq!(h.state().project().documents.len(), 3);
}

#[test]
fn export_to_an_existing_file_asks_before_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data.csv");
    std::fs::write(&out, "mine 🙂\n").unwrap();
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    h.key_press_modifiers(Modifiers::COMMAND, Key::E);
    h.run_steps(2);
    h.get_by_label("csv").click();
    h.run_steps(2);
    type_into(&mut h, "Output file:", out.to_str().unwrap());
    assert!(h.query_by_label("Overwrite").is_none());
    h.get_by_label("Export").click();
    run_until(&mut h, "the refusal", |h| {
        h.query_by_label_contains("already exists").is_some()
    });
    h.get_by_label_contains("Nothing was written");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine 🙂\n");
    // Changing the output path withdraws the offer; changing it back restores it.
    type_into(&mut h, "Output file:", "elsewhere.csv");
    assert!(h.query_by_label("Overwrite").is_none());
    type_into(&mut h, "Output file:", out.to_str().unwrap());
    h.get_by_label("Overwrite").click();
    run_until(&mut h, "the export summary", |h| {
        h.query_by_label("Export finished").is_some()
    });
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.lines().count() > 1 && !text.contains("mine"), "{text}");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file is left");
}

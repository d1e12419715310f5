//! The annotator name in the GUI: the "Annotator:" button (or Edit › Your name…) sets the name
//! recorded on new spans and remembers it in the settings folder; typing in the name field never
//! fires label hotkeys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use egui::{Key, Modifiers};

use common::harness;
use egui_kittest::kittest::Queryable;
use spantag::app::SpantagApp;
use spantag::app::storage::load_settings_from;
use spantag_core::markup::project_from_markup;
use spantag_core::time::Timestamp;

#[test]
fn name_set_in_the_app_is_recorded_on_new_spans_and_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let project = project_from_markup(
        "t",
        &[("d1", "Mayor Lena Ortiz visited North Quay on Monday.")],
        "ana",
        Timestamp(0),
    )
    .unwrap();
    let app = SpantagApp::new_for_test(project, "ana").with_config_dir(dir.path().to_owned());
    let mut h = harness(app);

    h.get_by_label("Annotator: ana").click();
    h.run_steps(3);
    // The field is focused; typing digits must not tag anything.
    h.get_by_label("Name:").focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Name:").type_text("Béla 2");
    h.run_steps(2);
    assert!(h.state().project().documents[0].spans.is_empty());
    h.get_by_label("Use this name").click();
    h.run_steps(3);
    h.get_by_label("Annotator: Béla 2");
    assert_eq!(
        load_settings_from(dir.path()).annotator.as_deref(),
        Some("Béla 2")
    );

    // Keyboard-only tag: the caret is at "Mayor"; Shift+Right selects it, 1 tags it.
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowRight);
    h.run_steps(1);
    h.key_press(Key::Num1);
    h.run_steps(2);
    let spans = &h.state().project().documents[0].spans;
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!(spans[0].text, "Mayor");
    assert_eq!(spans[0].author, "Béla 2");
}

#[test]
fn cancel_keeps_the_old_name() {
    let project =
        project_from_markup("t", &[("d1", "Some text here.")], "ana", Timestamp(0)).unwrap();
    let mut h = harness(SpantagApp::new_for_test(project, "ana"));
    h.get_by_label("Annotator: ana").click();
    h.run_steps(3);
    h.get_by_label("Name:").type_text("zed");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    h.get_by_label("Annotator: ana");
}

#[test]
fn typing_with_the_keyboard_goes_into_the_name_field() {
    let project =
        project_from_markup("t", &[("d1", "Some text here.")], "ana", Timestamp(0)).unwrap();
    let mut h = harness(SpantagApp::new_for_test(project, "ana"));
    h.get_by_label("Annotator: ana").click();
    h.run_steps(3);
    h.event(egui::Event::Key {
        key: Key::A,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::COMMAND,
    });
    h.event(egui::Event::Text("Zoë 1".into()));
    h.run_steps(2);
    h.key_press(Key::Enter);
    h.run_steps(3);
    h.get_by_label("Annotator: Zoë 1");
    assert!(h.state().project().documents[0].spans.is_empty());
}

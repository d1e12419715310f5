//! The window around the annotation: closing with unsaved changes (Save / Discard / Cancel, from
//! the window's close button and from Quit), saving on a thread (and closing while a save runs),
//! and zooming the article text, driven through the real app with egui_kittest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{harness, markup_project, wait_saved};
use egui::{Key, Modifiers, ViewportCommand, ViewportEvent, ViewportId};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spantag::app::SpantagApp;
use spantag_core::model::Project;
use spantag_core::project_io;
use std::path::{Path, PathBuf};

const FIRST: &str = "Mayor [actor Ana Ruiz] opened the [place Lune Port] ferry on Friday.";
const SECOND: &str = "Mayor [actor Bo Lind] said [number 12] boats would sail.";

fn project() -> Project {
    markup_project("window", &[("first", FIRST), ("second", SECOND)])
}

/// A saved project file and an app that has it open.
fn saved(dir: &Path) -> (PathBuf, Harness<'static, SpantagApp>) {
    let path = dir.join("window.ron");
    let p = project();
    project_io::save(&p, &path).unwrap();
    let loaded = project_io::load(&path).unwrap();
    let h = harness(SpantagApp::new_for_test_with_file(
        loaded,
        "tester",
        path.clone(),
    ));
    (path, h)
}

/// Removes the first span of the first document (Tab selects it, Delete removes it).
fn make_change(h: &mut Harness<'_, SpantagApp>) {
    h.key_press(Key::Tab);
    h.key_press(Key::Delete);
    h.run_steps(2);
    assert!(h.state().is_dirty());
    assert_eq!(h.state().project().documents[0].spans.len(), 1);
}

/// A saved project, its bytes on disk, and an app with one unsaved change to it.
fn changed(dir: &Path) -> (PathBuf, Vec<u8>, Harness<'static, SpantagApp>) {
    let (path, mut h) = saved(dir);
    let on_disk = std::fs::read(&path).unwrap();
    make_change(&mut h);
    (path, on_disk, h)
}

/// What the app asked the window to do in the last frame.
fn commands(h: &Harness<'_, SpantagApp>) -> Vec<ViewportCommand> {
    h.output()
        .viewport_output
        .get(&ViewportId::ROOT)
        .map(|v| v.commands.clone())
        .unwrap_or_default()
}

fn sent(h: &Harness<'_, SpantagApp>, want: fn(&ViewportCommand) -> bool) -> bool {
    commands(h).iter().any(want)
}

fn is_close(c: &ViewportCommand) -> bool {
    matches!(c, ViewportCommand::Close)
}

fn is_cancel_close(c: &ViewportCommand) -> bool {
    matches!(c, ViewportCommand::CancelClose)
}

/// The window's close button: the platform reports a close request for one frame.
fn request_close(h: &mut Harness<'_, SpantagApp>) {
    h.input_mut()
        .viewports
        .entry(ViewportId::ROOT)
        .or_default()
        .events
        .push(ViewportEvent::Close);
    h.step();
}

fn dialog_shown(h: &Harness<'_, SpantagApp>) -> bool {
    h.query_by_label_contains("Save them first").is_some()
}

/// Clicks a button of the dialog and runs exactly the frame that handles the click, so that
/// [`commands`] shows what that frame sent.
fn answer(h: &mut Harness<'_, SpantagApp>, button: &str) {
    h.get_by_label(button).click();
    h.step();
}

fn span_list(p: &Project) -> Vec<(String, usize, usize)> {
    p.documents
        .iter()
        .flat_map(|d| d.spans.iter().map(|s| (s.label.clone(), s.start, s.end)))
        .collect()
}

#[test]
fn close_without_changes_closes_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut h) = saved(dir.path());
    request_close(&mut h);
    assert!(sent(&h, is_close));
    assert!(!sent(&h, is_cancel_close));
    assert!(h.state().is_closing());
    assert!(!dialog_shown(&h));
}

#[test]
fn close_with_unsaved_changes_asks_and_cancel_keeps_the_window_and_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let (path, on_disk, mut h) = changed(dir.path());
    let before = span_list(h.state().project());
    request_close(&mut h);
    assert!(sent(&h, is_cancel_close), "the close is held back");
    assert!(!sent(&h, is_close));
    h.run_steps(2);
    assert!(dialog_shown(&h));
    h.get_by_label("Discard");
    answer(&mut h, "Cancel");
    assert!(!sent(&h, is_close));
    h.run_steps(3);
    assert!(!dialog_shown(&h));
    assert!(!h.state().is_closing());
    assert!(h.state().is_dirty(), "still unsaved");
    assert!(h.state().window_title().contains("unsaved"));
    assert_eq!(span_list(h.state().project()), before);
    assert_eq!(std::fs::read(&path).unwrap(), on_disk, "file untouched");
    // The work goes on: Ctrl+Z still undoes the change.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().project().documents[0].spans.len(), 2);
}

#[test]
fn discard_closes_and_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (path, on_disk, mut h) = changed(dir.path());
    request_close(&mut h);
    h.run_steps(2);
    assert!(dialog_shown(&h));
    answer(&mut h, "Discard");
    assert!(sent(&h, is_close), "the window is told to close");
    assert!(h.state().is_closing());
    assert_eq!(std::fs::read(&path).unwrap(), on_disk, "nothing written");
    // The platform then asks again (as eframe does after ViewportCommand::Close): no question.
    request_close(&mut h);
    assert!(sent(&h, is_close));
    assert!(!sent(&h, is_cancel_close));
}

#[test]
fn save_writes_the_file_then_closes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _, mut h) = changed(dir.path());
    let want = span_list(h.state().project());
    request_close(&mut h);
    h.run_steps(2);
    answer(&mut h, "Save");
    assert!(!sent(&h, is_close), "not before the file is written");
    // The frame that sees the write finished marks the work saved and closes.
    wait_saved(&mut h);
    assert!(sent(&h, is_close));
    assert!(h.state().is_closing());
    assert!(!h.state().is_dirty());
    let reloaded = project_io::load(&path).unwrap();
    assert_eq!(span_list(&reloaded), want);
    assert_eq!(reloaded.documents[0].spans.len(), 1);
}

/// A project with no file (e.g. articles opened as a new project): Save asks where, then closes.
#[test]
fn save_without_a_file_asks_where_then_closes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kept.ron");
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    make_change(&mut h);
    request_close(&mut h);
    h.run_steps(2);
    answer(&mut h, "Save");
    h.run_steps(4);
    assert!(!h.state().is_closing(), "not before the file is written");
    // No native dialog in the test: the app's own path prompt asks.
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_role(egui::accesskit::Role::TextInput)
        .type_text(&out.display().to_string());
    h.run_steps(1);
    h.key_press(Key::Enter);
    h.run_steps(3);
    wait_saved(&mut h);
    assert!(h.state().is_closing());
    assert_eq!(h.state().path(), Some(out.as_path()));
    let reloaded = project_io::load(&out).unwrap();
    assert_eq!(span_list(&reloaded), span_list(h.state().project()));
}

#[test]
fn quit_shortcut_asks_the_same_question() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _, mut h) = changed(dir.path());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    h.run_steps(2);
    assert!(dialog_shown(&h));
    assert!(!h.state().is_closing());
    answer(&mut h, "Save");
    wait_saved(&mut h);
    assert!(h.state().is_closing());
    assert_eq!(project_io::load(&path).unwrap().documents[0].spans.len(), 1);
}

#[test]
fn quit_without_changes_closes() {
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    h.run_steps(1);
    assert!(h.state().is_closing());
    assert!(!dialog_shown(&h));
}

/// A save that fails keeps the window open, and a later successful Ctrl+S does not close it.
#[test]
fn failed_save_on_close_does_not_close_later() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let (path, mut h) = saved(&sub);
    make_change(&mut h);
    std::fs::remove_dir_all(&sub).unwrap();
    request_close(&mut h);
    h.run_steps(2);
    answer(&mut h, "Save");
    wait_saved(&mut h);
    h.run_steps(2);
    assert!(!h.state().is_closing());
    assert!(h.state().is_dirty());
    assert!(
        h.state()
            .toasts()
            .iter()
            .any(|t| t.contains("Could not save")),
        "{:?}",
        h.state().toasts()
    );
    std::fs::create_dir(&sub).unwrap();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_steps(2);
    wait_saved(&mut h);
    assert!(!h.state().is_dirty(), "saved now");
    assert!(path.exists());
    assert!(!h.state().is_closing(), "Ctrl+S only saves");
}

// ----- saving on a thread -----

fn saving_shown(h: &Harness<'_, SpantagApp>) -> bool {
    h.query_by_label("Saving…").is_some()
}

/// Ctrl+S writes on a thread: until the write has finished the status bar says "Saving…", the
/// work counts as unsaved and frames go on; the frame that sees it finished marks it saved.
#[test]
fn save_is_written_on_a_thread_and_marked_saved_when_done() {
    let dir = tempfile::tempdir().unwrap();
    let (path, on_disk, mut h) = changed(dir.path());
    let release = h.state_mut().hold_next_save();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_steps(5);
    assert!(h.state().is_saving());
    assert!(saving_shown(&h));
    assert!(h.state().is_dirty(), "not saved before the file is written");
    assert!(h.state().window_title().contains("unsaved"));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        on_disk,
        "nothing written yet"
    );
    drop(release);
    wait_saved(&mut h);
    assert!(!h.state().is_dirty(), "{:?}", h.state().toasts());
    h.run_steps(2);
    assert!(!saving_shown(&h));
    h.get_by_label("Saved");
    assert!(
        h.state().toasts().iter().any(|t| t.starts_with("Saved ")),
        "{:?}",
        h.state().toasts()
    );
    assert_eq!(project_io::load(&path).unwrap().documents[0].spans.len(), 1);
    // The stamp is of the file written: the next save asks nothing.
    make_change_again(&mut h);
    // Held, so that a write finishing within the key's frame cannot hide that it started.
    let release = h.state_mut().hold_next_save();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.step();
    assert!(h.state().is_saving(), "saving, not asking");
    drop(release);
    wait_saved(&mut h);
    assert!(!h.state().is_dirty());
    assert_eq!(project_io::load(&path).unwrap().documents[0].spans.len(), 0);
}

/// Removes the remaining span of the first document.
fn make_change_again(h: &mut Harness<'_, SpantagApp>) {
    h.key_press(Key::Tab);
    h.key_press(Key::Delete);
    h.run_steps(2);
    assert!(h.state().is_dirty());
}

/// A save whose write fails on its thread leaves the work unsaved, says why, and can be
/// repeated.
#[test]
fn failed_background_save_leaves_the_work_unsaved() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let (path, mut h) = saved(&sub);
    make_change(&mut h);
    std::fs::remove_dir_all(&sub).unwrap();
    let release = h.state_mut().hold_next_save();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_steps(3);
    assert!(h.state().is_saving());
    drop(release);
    wait_saved(&mut h);
    h.run_steps(2);
    assert!(h.state().is_dirty(), "still unsaved");
    assert!(h.state().window_title().contains("unsaved"));
    assert!(!saving_shown(&h));
    h.get_by_label("Unsaved changes");
    assert!(
        h.state()
            .toasts()
            .iter()
            .any(|t| t.contains("Could not save") && t.contains("window.ron")),
        "{:?}",
        h.state().toasts()
    );
    assert!(!path.exists());
    // The work is all there, and saving again once the folder is back succeeds.
    assert_eq!(h.state().project().documents[0].spans.len(), 1);
    std::fs::create_dir(&sub).unwrap();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.step();
    wait_saved(&mut h);
    assert!(!h.state().is_dirty());
    assert_eq!(project_io::load(&path).unwrap().documents[0].spans.len(), 1);
}

/// Changes made while a save is written stay unsaved; a second Ctrl+S meanwhile waits for the
/// first save and then writes them.
#[test]
fn changes_during_a_save_stay_unsaved_until_saved_again() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _, mut h) = changed(dir.path());
    let release = h.state_mut().hold_next_save();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.step();
    make_change_again(&mut h);
    assert!(h.state().is_saving());
    drop(release);
    wait_saved(&mut h);
    assert!(h.state().is_dirty(), "the later change is not in the file");
    assert_eq!(project_io::load(&path).unwrap().documents[0].spans.len(), 1);

    // Ctrl+S twice: the second runs after the first.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    let release = h.state_mut().hold_next_save();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.step();
    h.key_press_modifiers(Modifiers::COMMAND, Key::Y);
    h.step();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.step();
    drop(release);
    wait_saved(&mut h);
    assert!(!h.state().is_dirty(), "{:?}", h.state().toasts());
    assert_eq!(project_io::load(&path).unwrap().documents[0].spans.len(), 0);
}

/// Quit or the close button while a save is written: the window waits for the save (no
/// question, no close), then closes once the work is saved.
#[test]
fn closing_waits_for_a_running_save() {
    for quit in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (path, _, mut h) = changed(dir.path());
        let release = h.state_mut().hold_next_save();
        h.key_press_modifiers(Modifiers::COMMAND, Key::S);
        h.step();
        if quit {
            h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
            h.step();
        } else {
            request_close(&mut h);
            assert!(sent(&h, is_cancel_close), "the close is held back");
        }
        h.run_steps(5);
        assert!(!h.state().is_closing());
        assert!(!dialog_shown(&h), "no question while saving");
        assert!(saving_shown(&h));
        drop(release);
        wait_saved(&mut h);
        assert!(sent(&h, is_close), "closes once saved");
        assert!(h.state().is_closing());
        assert_eq!(project_io::load(&path).unwrap().documents[0].spans.len(), 1);
    }
}

/// A failed save while closing keeps the window open with the work unsaved.
#[test]
fn closing_after_a_failed_running_save_stays_open() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let (_, mut h) = saved(&sub);
    make_change(&mut h);
    std::fs::remove_dir_all(&sub).unwrap();
    let release = h.state_mut().hold_next_save();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.step();
    request_close(&mut h);
    drop(release);
    wait_saved(&mut h);
    h.run_steps(3);
    assert!(!h.state().is_closing());
    assert!(h.state().is_dirty());
    assert!(!dialog_shown(&h));
    // Closing again asks the usual question.
    request_close(&mut h);
    h.run_steps(2);
    assert!(dialog_shown(&h));
}

// ----- zoom -----

fn first_char_size(h: &Harness<'_, SpantagApp>) -> egui::Vec2 {
    h.state().char_rect(0).expect("first char drawn").size()
}

fn zoom_key(h: &mut Harness<'_, SpantagApp>, k: Key) {
    h.key_press_modifiers(Modifiers::COMMAND, k);
    h.run_steps(2);
}

#[test]
fn zoom_keys_change_the_article_text_size_and_it_stays_across_documents() {
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    let normal = first_char_size(&h);
    zoom_key(&mut h, Key::Plus);
    let bigger = first_char_size(&h);
    assert!(
        bigger.x > normal.x && bigger.y > normal.y,
        "{normal:?} → {bigger:?}"
    );
    zoom_key(&mut h, Key::Equals);
    let biggest = first_char_size(&h);
    assert!(
        biggest.x > bigger.x,
        "Ctrl+= zooms in too: {bigger:?} → {biggest:?}"
    );
    zoom_key(&mut h, Key::Minus);
    zoom_key(&mut h, Key::Minus);
    zoom_key(&mut h, Key::Minus);
    let smaller = first_char_size(&h);
    assert!(
        smaller.x < normal.x && smaller.y < normal.y,
        "{normal:?} → {smaller:?}"
    );
    zoom_key(&mut h, Key::Num0);
    assert_eq!(first_char_size(&h), normal, "Ctrl+0 resets");
    // Ctrl++ typed as Ctrl+Shift+= on a US keyboard arrives with Shift held.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Plus);
    h.run_steps(2);
    assert_eq!(first_char_size(&h), bigger, "Ctrl+Shift++ zooms in");
    zoom_key(&mut h, Key::Num0);

    // Both documents start with "M": at the same zoom the glyph has the same size.
    zoom_key(&mut h, Key::Plus);
    zoom_key(&mut h, Key::Plus);
    let zoomed = first_char_size(&h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::PageDown);
    h.run_steps(3);
    assert_eq!(h.state().current_doc(), 1);
    assert_eq!(
        first_char_size(&h),
        zoomed,
        "zoom stays on the next document"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::PageUp);
    h.run_steps(3);
    assert_eq!(h.state().current_doc(), 0);
    assert_eq!(first_char_size(&h), zoomed);
    // Zoom is a view setting: it does not mark the project changed.
    assert!(!h.state().is_dirty());
}

#[test]
fn zoom_is_bounded() {
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    for _ in 0..30 {
        h.key_press_modifiers(Modifiers::COMMAND, Key::Minus);
    }
    h.run_steps(2);
    let min = first_char_size(&h);
    assert!(min.y > 0.0);
    zoom_key(&mut h, Key::Minus);
    assert_eq!(first_char_size(&h), min, "no smaller than the minimum");
    for _ in 0..40 {
        h.key_press_modifiers(Modifiers::COMMAND, Key::Plus);
    }
    h.run_steps(2);
    let max = first_char_size(&h);
    zoom_key(&mut h, Key::Plus);
    assert_eq!(first_char_size(&h), max, "no larger than the maximum");
    assert!(max.y > 3.0 * min.y);
}

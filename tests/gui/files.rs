//! Files in the GUI: dropped files, the fallback path prompt, bad files as toasts, autosave to a
//! recovery file off the UI thread, and change detection on the project file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spantag::app::SpantagApp;
use spantag::app::recovery::{self, SlotKey};
use spantag::app::storage::{self, Autosaver, FileStamp};
use spantag_core::markup::project_from_markup;
use spantag_core::model::Project;
use spantag_core::time::Timestamp;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn project() -> Project {
    project_from_markup(
        "files",
        &[("d1", "[actor Ana] went to [place Lune Port] 👩‍👩‍👧 café.")],
        "ana",
        Timestamp(0),
    )
    .unwrap()
}

fn harness(app: SpantagApp) -> Harness<'static, SpantagApp> {
    let mut h = Harness::builder()
        .with_size([1200.0, 800.0])
        .with_step_dt(0.05)
        .with_max_steps(200)
        .allow_missing_glyphs()
        .build_ui_state(|ui, app: &mut SpantagApp| app.show(ui), app);
    h.run_steps(3);
    h
}

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_files(h: &mut Harness<'_, SpantagApp>, paths: &[PathBuf]) {
    for p in paths {
        h.input_mut()
            .dropped_files
            .push(Arc::new(Dropped(p.clone())));
    }
    h.run_steps(2);
}

#[test]
fn dropped_articles_are_added_and_bad_ones_reported() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("new-article.txt");
    std::fs::write(&good, "Harbour news\r\n\r\nThe ferry was late again.\r\n").unwrap();
    let bad = dir.path().join("broken.txt");
    std::fs::write(&bad, [0u8, 159, 146, 150, 0, 0, 1, 2]).unwrap();
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    drop_files(&mut h, &[good, bad]);
    let p = h.state().project();
    assert_eq!(p.documents.len(), 2);
    assert_eq!(
        p.documents[1].text,
        "Harbour news\n\nThe ferry was late again.\n"
    );
    assert_eq!(h.state().current_doc(), 1, "the added article is opened");
    assert!(
        h.state().toasts().iter().any(|t| t.contains("broken.txt")),
        "{:?}",
        h.state().toasts()
    );
    // Adding is one undoable step.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().project().documents.len(), 1);
}

#[test]
fn dropped_duplicates_are_skipped_and_named() {
    // The rule of `spantag add`: a text already in the project, or twice in the drop, is skipped
    // and the toast names the document it duplicates.
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("same.txt");
    std::fs::write(&same, "Ana went to Lune Port 👩‍👩‍👧 café.").unwrap();
    let fresh = dir.path().join("ferry.txt");
    std::fs::write(&fresh, "Ferry news.\n").unwrap();
    let copy = dir.path().join("copy.txt");
    std::fs::write(&copy, "Ferry news.\r\n").unwrap();
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    drop_files(&mut h, &[same, fresh, copy]);
    let ids: Vec<String> = h
        .state()
        .project()
        .documents
        .iter()
        .map(|d| d.id.clone())
        .collect();
    assert_eq!(ids, ["d1", "ferry"]);
    let toasts = h.state().toasts();
    for expect in [
        "Articles: 1 added, 2 skipped (already there)",
        "same.txt: same text as document \"d1\" already in the project",
        "copy.txt: same text as document \"ferry\" added from an earlier file",
    ] {
        assert!(
            toasts.iter().any(|t| t.contains(expect)),
            "{expect}: {toasts:?}"
        );
    }
}

#[test]
fn dropped_project_opens_and_bad_project_is_a_toast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.ron");
    let other = project_from_markup(
        "other",
        &[("x", "[place Cale Point] again")],
        "bo",
        Timestamp(0),
    )
    .unwrap();
    spantag_core::project_io::save(&other, &path).unwrap();
    let bad = dir.path().join("bad.ron");
    std::fs::write(&bad, "(schema_version: 1, name: ").unwrap();

    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    drop_files(&mut h, std::slice::from_ref(&bad));
    assert_eq!(
        h.state().project().name,
        "files",
        "a bad file changes nothing"
    );
    assert!(h.state().toasts().iter().any(|t| t.contains("bad.ron")));
    drop_files(&mut h, std::slice::from_ref(&path));
    assert_eq!(h.state().project().name, "other");
    assert_eq!(h.state().path(), Some(path.as_path()));
    assert!(!h.state().is_dirty());
}

#[test]
fn opening_with_unsaved_changes_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.ron");
    let other = project_from_markup("other", &[("x", "text here")], "bo", Timestamp(0)).unwrap();
    spantag_core::project_io::save(&other, &path).unwrap();
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    // Make a change: Tab selects a span, Delete removes it.
    h.key_press(Key::Tab);
    h.key_press(Key::Delete);
    h.run_steps(2);
    assert!(h.state().is_dirty());
    drop_files(&mut h, std::slice::from_ref(&path));
    assert_eq!(h.state().project().name, "files", "nothing replaced yet");
    h.run_steps(3);
    h.get_by_label_contains("Save them first");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert_eq!(h.state().project().name, "files");
    drop_files(&mut h, std::slice::from_ref(&path));
    h.run_steps(3);
    h.get_by_label("Discard").click();
    h.run_steps(3);
    assert_eq!(h.state().project().name, "other");
}

#[test]
fn autosave_writes_recovery_off_thread() {
    let dir = tempfile::tempdir().unwrap();
    let store = recovery::Store::open(dir.path());
    let saver = Autosaver::start(store.dir().to_owned());
    let p = project();
    let key = SlotKey::Project(PathBuf::from("/x/p.ron"));
    let slot = store.slot_dir(&key);
    let target = recovery::Target {
        dir: slot.clone(),
        key: key.clone(),
        base: None,
    };
    saver.save(p.clone(), target, 7);
    let t = Instant::now();
    let mut done = Vec::new();
    while done.is_empty() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
        done = saver.finished();
    }
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].revision, 7);
    assert_eq!(done[0].slot, slot);
    assert!(done[0].result.is_ok());
    let found = store.find(&key).unwrap().expect("recovery file");
    assert_eq!(found.project, p);
    assert_eq!(found.meta.project, Some(PathBuf::from("/x/p.ron")));
    assert!(found.note.is_none());
    saver.clear(&slot);
    let t = Instant::now();
    while store.find(&key).unwrap().is_some() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(store.find(&key).unwrap().is_none());
}

#[test]
fn file_stamp_notices_changes() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.ron");
    std::fs::write(&f, "one").unwrap();
    let s = FileStamp::of(&f).unwrap();
    assert!(s.matches(&f));
    std::fs::write(&f, "two!").unwrap();
    assert!(!s.matches(&f));
}

#[test]
fn annotator_name_precedence() {
    assert_eq!(storage::resolve_annotator(Some("  cli-name ")), "cli-name");
    // SAFETY-free: this is the only test in this binary that touches these variables.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("settings.ron"),
        "(annotator: Some(\"from-settings\"))",
    )
    .unwrap();
    // Environment changes are process-wide; set them through a child-free check of each layer.
    let settings = {
        let text = std::fs::read_to_string(dir.path().join("settings.ron")).unwrap();
        ron::from_str::<storage::Settings>(&text).unwrap()
    };
    assert_eq!(settings.annotator.as_deref(), Some("from-settings"));
}

#[test]
fn sample_is_embedded_and_valid() {
    let p = spantag::app::sample_project().unwrap();
    assert_eq!(p.documents.len(), 3);
    assert!(p.span_count() > 50);
}

/// Opens Save As (Ctrl+Shift+S) and answers the app's path prompt (no native dialog in tests).
fn save_as(h: &mut Harness<'_, SpantagApp>, path: &Path) {
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::S);
    crate::review::answer_prompt(h, &path.display().to_string());
    h.run_steps(3);
    crate::common::wait_saved(h);
}

#[test]
fn save_as_onto_an_existing_file_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("taken.ron");
    std::fs::write(&existing, "someone else's file 🙂\n").unwrap();
    let mut h = harness(SpantagApp::new_for_test(project(), "tester"));
    save_as(&mut h, &existing);
    h.get_by_label_contains("taken.ron already exists");
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(h.query_by_label_contains("already exists").is_none());
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "someone else's file 🙂\n",
        "Cancel leaves the file untouched"
    );
    assert_eq!(h.state().path(), None);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no .bak, no temporary file"
    );

    save_as(&mut h, &existing);
    h.get_by_label("Replace").click();
    h.run_steps(3);
    crate::common::wait_saved(&mut h);
    let saved = spantag_core::project_io::load(&existing).unwrap();
    assert_eq!(&saved, h.state().project());
    assert_eq!(h.state().path(), Some(existing.as_path()));
    assert!(!h.state().is_dirty());
    // The replaced file is kept as the backup, as with every save.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("taken.ron.bak")).unwrap(),
        "someone else's file 🙂\n"
    );

    // Its own file, and a new file, are saved without a question.
    save_as(&mut h, &existing);
    assert!(h.query_by_label_contains("already exists").is_none());
    let fresh = dir.path().join("fresh.ron");
    save_as(&mut h, &fresh);
    assert!(h.query_by_label_contains("already exists").is_none());
    assert_eq!(h.state().path(), Some(fresh.as_path()));
    assert_eq!(
        &spantag_core::project_io::load(&fresh).unwrap(),
        h.state().project()
    );
}

/// The stamp is the file's size and modification time: a rewrite of the same size is noticed by
/// its time, and so is one with the same bytes (the question then asks once more than needed;
/// no content is read to tell them apart).
#[test]
fn file_stamp_is_size_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.ron");
    std::fs::write(&f, "one").unwrap();
    let t0 = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let set_time = |t| {
        std::fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    set_time(t0);
    let s = FileStamp::of(&f).unwrap();
    assert_eq!(s.len, 3);
    assert!(s.matches(&f));
    std::fs::write(&f, "two").unwrap();
    set_time(t0 + Duration::from_secs(1));
    assert!(!s.matches(&f), "same size, later time");
    std::fs::write(&f, "one").unwrap();
    set_time(t0 + Duration::from_secs(2));
    assert!(!s.matches(&f), "same bytes, later time");
    set_time(t0);
    assert!(s.matches(&f));
    std::fs::remove_file(&f).unwrap();
    assert!(!s.matches(&f), "a missing file does not match");
    assert!(FileStamp::of(&f).is_none());
}

//! Crash recovery per project and project locks, with two app instances on one state folder (as
//! two windows on one computer): each project's unsaved work comes back to that project only,
//! a project open in one window is read-only in another, a lock left by a dead process is taken
//! over, and untitled work is offered at start-up without a project.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{harness_sized, markup_project};
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spantag::app::recovery::{self, LockInfo, SlotKey};
use spantag::app::{LaunchOptions, SpantagApp};
use spantag_core::model::Project;
use spantag_core::project_io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

type H = Harness<'static, SpantagApp>;

/// Two projects over different articles (non-Latin text, an emoji, a combining mark).
fn two_projects(dir: &Path) -> (PathBuf, PathBuf) {
    let a = markup_project(
        "alpha",
        &[("a1", "[actor Ana] went to [place Lune Port] 👩‍👩‍👧 café.")],
    );
    let b = markup_project(
        "beta",
        &[(
            "b1",
            "[org Совет гавани] met [actor Bo] in [place Zürich] (e\u{301}te\u{301}).",
        )],
    );
    let (pa, pb) = (dir.join("alpha.ron"), dir.join("beta.ron"));
    project_io::save(&a, &pa).unwrap();
    project_io::save(&b, &pb).unwrap();
    (pa, pb)
}

fn args(paths: &[&Path]) -> LaunchOptions {
    LaunchOptions {
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        annotator: Some("tester".into()),
        ..Default::default()
    }
}

/// The app started as `spantag PATHS...` with its state folder at `state`.
fn start(state: &Path, paths: &[&Path]) -> H {
    harness_sized(
        SpantagApp::from_args_with_state_dir(&args(paths), state.to_owned()),
        [1200.0, 800.0],
        true,
    )
}

/// Frames until the autosave of the current revision is written.
fn wait_autosaved(h: &mut H) {
    let t = Instant::now();
    while h.state().autosaved_revision() != Some(h.state().revision()) {
        assert!(t.elapsed() < Duration::from_secs(20), "no autosave");
        std::thread::sleep(Duration::from_millis(20));
        h.run_steps(1);
    }
}

/// Deletes the first span of the open document (Tab selects it, Delete removes it).
fn delete_first_span(h: &mut H) {
    h.key_press(Key::Tab);
    h.key_press(Key::Delete);
    h.run_steps(2);
    assert!(h.state().is_dirty());
}

fn span_texts(p: &Project) -> Vec<String> {
    p.documents[0]
        .spans
        .iter()
        .map(|s| s.text.clone())
        .collect()
}

fn slot_dir(state: &Path, key: &SlotKey) -> PathBuf {
    state.join("recovery").join(key.folder_name())
}

#[test]
fn two_windows_on_two_projects_each_get_their_own_work_back() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (pa, pb) = two_projects(dir.path());

    // Two windows, one per project, each with unsaved work, autosaved; then both crash.
    let mut a = start(&state, &[&pa]);
    let mut b = start(&state, &[&pb]);
    assert_ne!(a.state().recovery_slot(), b.state().recovery_slot());
    delete_first_span(&mut a);
    delete_first_span(&mut b);
    // A second edit in A after B's autosave: the old single slot would now hold A's work only.
    wait_autosaved(&mut b);
    a.key_press(Key::Tab);
    a.key_press(Key::Delete);
    a.run_steps(2);
    wait_autosaved(&mut a);
    let a_work = span_texts(a.state().project());
    let b_work = span_texts(b.state().project());
    assert_eq!(a_work, Vec::<String>::new());
    assert_eq!(b_work, ["Bo", "Zürich"]);
    drop(a);
    drop(b);

    // Reopening each project offers that project's work, and Restore brings it back.
    for (path, work, name) in [(&pb, &b_work, "beta"), (&pa, &a_work, "alpha")] {
        let mut h = start(&state, &[path]);
        h.get_by_label("Restore unsaved work?");
        h.get_by_label_contains(&format!(
            "found work on {} that was not saved (autosaved ",
            recovery::canonical(path).display()
        ));
        // Until answered, the window shows the file as saved.
        assert_eq!(h.state().project(), &project_io::load(path).unwrap());
        h.get_by_label("Restore").click();
        h.run_steps(3);
        assert_eq!(&span_texts(h.state().project()), work);
        assert_eq!(h.state().project().name, name);
        assert_eq!(h.state().path(), Some(path.as_path()), "still this project");
        assert!(h.state().is_dirty(), "restored work is unsaved until saved");
    }
}

#[test]
fn opening_a_project_offers_only_its_own_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (pa, pb) = two_projects(dir.path());
    let mut b = start(&state, &[&pb]);
    delete_first_span(&mut b);
    wait_autosaved(&mut b);
    drop(b);

    // A has no recovery: nothing is offered, though B's is there.
    let mut h = start(&state, &[&pa]);
    assert!(h.query_by_label("Restore unsaved work?").is_none());
    assert_eq!(h.state().project().name, "alpha");
    // File › Open of B (here: a dropped file) offers B's.
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(pb.clone())));
    h.run_steps(3);
    assert_eq!(h.state().project().name, "beta");
    h.get_by_label("Restore unsaved work?");
    h.get_by_label("Discard").click();
    h.run_steps(3);
    // Discarding cleared B's slot only; B is as saved.
    assert_eq!(
        span_texts(h.state().project()),
        ["Совет гавани", "Bo", "Zürich"]
    );
    let slot = slot_dir(&state, &SlotKey::project(&pb));
    assert!(!slot.join(recovery::RECOVERY_FILE).exists());
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

#[test]
fn saving_clears_only_that_projects_slot() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (pa, pb) = two_projects(dir.path());
    let mut a = start(&state, &[&pa]);
    let mut b = start(&state, &[&pb]);
    delete_first_span(&mut a);
    delete_first_span(&mut b);
    wait_autosaved(&mut a);
    wait_autosaved(&mut b);
    let slot_a = slot_dir(&state, &SlotKey::project(&pa));
    let slot_b = slot_dir(&state, &SlotKey::project(&pb));
    assert!(slot_a.join(recovery::RECOVERY_FILE).exists());
    a.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    a.run_steps(3);
    crate::common::wait_saved(&mut a);
    assert!(!a.state().is_dirty());
    let t = Instant::now();
    while slot_a.join(recovery::RECOVERY_FILE).exists() {
        assert!(t.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        slot_b.join(recovery::RECOVERY_FILE).exists(),
        "B's work stays"
    );
    // The meta names its project by absolute path.
    let meta: recovery::RecoveryMeta =
        ron::from_str(&std::fs::read_to_string(slot_b.join(recovery::META_FILE)).unwrap()).unwrap();
    assert_eq!(meta.project, Some(recovery::canonical(&pb)));
    assert!(meta.project.as_ref().unwrap().is_absolute());
    assert_eq!(meta.pid, std::process::id());
}

#[test]
fn a_project_open_in_another_window_opens_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (pa, _) = two_projects(dir.path());
    let mut first = start(&state, &[&pa]);
    delete_first_span(&mut first);
    wait_autosaved(&mut first);

    let mut second = start(&state, &[&pa]);
    second.get_by_label("Project in use");
    second.get_by_label_contains(&format!(
        "is open in spantag process {} on this computer",
        std::process::id()
    ));
    // Nothing was offered: the first window's autosave is its own.
    assert!(second.query_by_label("Restore unsaved work?").is_none());
    second.get_by_label("Open read-only").click();
    second.run_steps(3);
    assert!(second.state().is_read_only());
    assert_eq!(second.state().path(), Some(pa.as_path()));
    assert!(second.state().window_title().contains("(read-only)"));
    // Edits and saving over the file are refused; the file and the first window's slot are
    // untouched.
    let before = std::fs::read(&pa).unwrap();
    second.key_press(Key::Tab);
    second.key_press(Key::Delete);
    second.run_steps(2);
    assert!(!second.state().is_dirty());
    assert!(
        second
            .state()
            .toasts()
            .iter()
            .any(|t| t.contains("read-only")),
        "{:?}",
        second.state().toasts()
    );
    second.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    second.run_steps(2);
    assert_eq!(std::fs::read(&pa).unwrap(), before);
    assert!(first.state().is_dirty());
    assert_eq!(
        second.state().recovery_slot(),
        None,
        "no slot: nothing autosaved"
    );

    // Cancel leaves a third window where it was (the bundled sample).
    let mut third = start(&state, &[&pa]);
    third.get_by_label("Cancel").click();
    third.run_steps(2);
    assert_ne!(third.state().path(), Some(pa.as_path()));

    // Once the first window is gone (closed or crashed), the project opens normally and offers
    // the first window's work.
    drop(first);
    let fourth = start(&state, &[&pa]);
    assert!(fourth.query_by_label("Project in use").is_none());
    fourth.get_by_label("Restore unsaved work?");
}

#[test]
fn a_stale_lock_is_taken_over_and_its_leftovers_removed() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (pa, _) = two_projects(dir.path());
    // A process that ran and is gone: its lock stays behind, with a half-written temporary file
    // and its last autosave.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spantag"))
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let key = SlotKey::project(&pa);
    let slot = slot_dir(&state, &key);
    std::fs::create_dir_all(&slot).unwrap();
    let info = LockInfo {
        pid: dead,
        host: recovery::host_name(),
        since: jiff::Timestamp::now(),
        project: Some(recovery::canonical(&pa)),
    };
    std::fs::write(
        slot.join(recovery::LOCK_FILE),
        ron::to_string(&info).unwrap(),
    )
    .unwrap();
    let mut work = project_io::load(&pa).unwrap();
    std::sync::Arc::make_mut(&mut work.documents[0])
        .spans
        .remove(0);
    recovery::write(
        &recovery::Target {
            dir: slot.clone(),
            key: key.clone(),
            base: spantag::app::storage::FileStamp::of(&pa).map(|s| s.describe()),
        },
        &work,
    )
    .unwrap();
    let leftover = slot.join(".recovery.ron.spantag-tmp");
    std::fs::write(&leftover, "(schema_version: 1, na").unwrap();
    let beside = dir.path().join(".alpha.ron.spantag-tmp");
    std::fs::write(&beside, "(schema_version: 1, na").unwrap();

    let mut h = start(&state, &[&pa]);
    assert!(h.query_by_label("Project in use").is_none());
    assert!(
        h.state().toasts().iter().any(|t| t.contains(&format!(
            "left open by spantag process {dead} on this computer"
        )) && t.contains("no longer running")),
        "{:?}",
        h.state().toasts()
    );
    let now: LockInfo =
        ron::from_str(&std::fs::read_to_string(slot.join(recovery::LOCK_FILE)).unwrap()).unwrap();
    assert_eq!(now.pid, std::process::id());
    assert!(
        !leftover.exists(),
        "the interrupted write's temporary file is gone"
    );
    assert!(!beside.exists(), "so is the interrupted save's");
    // The dead window's work is offered, and nothing warns that the file changed.
    h.get_by_label("Restore unsaved work?");
    assert!(h.query_by_label_contains("changed since").is_none());
    h.get_by_label("Restore").click();
    h.run_steps(3);
    assert_eq!(span_texts(h.state().project()), ["Lune Port"]);
}

#[test]
fn a_project_file_changed_since_the_crash_is_mentioned() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (pa, _) = two_projects(dir.path());
    let mut a = start(&state, &[&pa]);
    delete_first_span(&mut a);
    wait_autosaved(&mut a);
    drop(a);
    // Someone else changes the file before the project is opened again.
    let mut p = project_io::load(&pa).unwrap();
    std::sync::Arc::make_mut(&mut p.documents[0]).done = true;
    project_io::save(&p, &pa).unwrap();
    let h = start(&state, &[&pa]);
    h.get_by_label("Restore unsaved work?");
    h.get_by_label_contains("The project file was changed since this work was autosaved");
}

#[test]
fn untitled_work_is_offered_at_start_up_without_a_project() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    // A window on the bundled sample (untitled work) edits and autosaves.
    let mut a = start(&state, &[]);
    assert!(a.query_by_label("Recover unsaved work").is_none());
    delete_first_span(&mut a);
    wait_autosaved(&mut a);
    let a_slot = a.state().recovery_slot().unwrap().to_owned();
    let a_work = a.state().project().clone();

    // While it runs, another window does not offer its work.
    let b = start(&state, &[]);
    assert!(b.query_by_label("Recover unsaved work").is_none());
    drop(b);

    // After a crash, a window started without a project lists it; Restore brings it back in
    // the same slot.
    drop(a);
    let mut c = start(&state, &[]);
    c.get_by_label("Recover unsaved work");
    c.get_by_label_contains("(untitled): 3 document(s)");
    c.get_by_label("Restore").click();
    c.run_steps(3);
    assert_eq!(c.state().project(), &a_work);
    assert!(c.state().is_dirty());
    assert_eq!(c.state().recovery_slot(), Some(a_slot.as_path()));
    // Saving it under a name moves the work into the project's slot; the untitled one goes.
    let out = dir.path().join("kept.ron");
    c.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    c.run_steps(4);
    // No native dialog in the test: the app's own path prompt asks.
    c.get_by_label("Path:");
    c.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    c.get_by_role(egui::accesskit::Role::TextInput)
        .type_text(&out.display().to_string());
    c.run_steps(1);
    c.key_press(Key::Enter);
    c.run_steps(3);
    crate::common::wait_saved(&mut c);
    assert_eq!(project_io::load(&out).unwrap(), a_work);
    assert_eq!(
        c.state().recovery_slot(),
        Some(slot_dir(&state, &SlotKey::project(&out)).as_path())
    );
    let t = Instant::now();
    while a_slot.exists() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the untitled slot stays"
        );
        std::thread::sleep(Duration::from_millis(20));
        c.run_steps(1);
    }
}

#[test]
fn the_recovery_list_opens_a_projects_work_and_discards_untitled_work() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (_, pb) = two_projects(dir.path());
    let mut a = start(&state, &[]);
    delete_first_span(&mut a);
    wait_autosaved(&mut a);
    let a_slot = a.state().recovery_slot().unwrap().to_owned();
    let mut b = start(&state, &[&pb]);
    delete_first_span(&mut b);
    wait_autosaved(&mut b);
    drop(a);
    drop(b);

    let mut c = start(&state, &[]);
    c.get_by_label("Recover unsaved work");
    c.get_by_label_contains("(untitled): 3 document(s)");
    c.get_by_label_contains(&format!(
        "beta ({}): 1 document(s), 2 span(s)",
        recovery::canonical(&pb).display()
    ));
    // Newest first: the project's row, then the untitled one. Discard the untitled work: its
    // slot goes, and the list stays with the project's row.
    assert_eq!(c.query_all_by_label("Discard").count(), 2);
    c.query_all_by_label("Discard").nth(1).unwrap().click();
    c.run_steps(3);
    assert!(!a_slot.exists(), "the untitled work was deleted");
    assert_eq!(c.query_all_by_label("Discard").count(), 1);
    // The project's row opens the project, which offers its work.
    c.get_by_label("Open").click();
    c.run_steps(3);
    assert_eq!(c.state().project().name, "beta");
    c.get_by_label("Restore unsaved work?");
    c.get_by_label("Restore").click();
    c.run_steps(3);
    assert_eq!(span_texts(c.state().project()), ["Bo", "Zürich"]);
}

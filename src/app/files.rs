//! Files: native dialogs (or the app's own path prompt), opening and adding files, saving and
//! autosave. Saving and autosave copy the project (a pointer per document) and write it on a
//! thread; the revision is marked saved when the write has finished.

use super::action::Toast;
use super::state::{Closing, Modal, PathPrompt, PromptKind};
use super::storage::PendingSave;
use super::{Action, SpantagApp};
use spantag_core::edit::Edit;
use spantag_core::history::Workspace;
use spantag_core::model::{DEFAULT_LABELS, Project};
use spantag_core::project_io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often unsaved work is written to the recovery file.
const AUTOSAVE_EVERY: Duration = Duration::from_secs(3);

impl SpantagApp {
    /// Asks for paths with the native dialog, or the app's own prompt when none can be shown.
    pub(super) fn pick(&mut self, kind: PromptKind) -> Option<Vec<PathBuf>> {
        if self.shell.screenshot.is_some() {
            return None;
        }
        let started = Instant::now();
        let dialog = rfd::FileDialog::new();
        let result: Option<Vec<PathBuf>> = match kind {
            PromptKind::Open => dialog
                .add_filter("Projects and articles", &["ron", "txt", "md"])
                .pick_files(),
            PromptKind::Add => dialog
                .add_filter("Articles", &["txt", "md", "markdown", "text"])
                .pick_files(),
            PromptKind::SaveAs => dialog
                .add_filter("spantag project", &["ron"])
                .set_file_name("project.ron")
                .save_file()
                .map(|p| vec![p]),
            PromptKind::Compare => dialog
                .set_title("Choose two or more projects to compare")
                .add_filter("spantag projects", &["ron"])
                .pick_files(),
        };
        if result.is_none() && started.elapsed() < Duration::from_millis(250) {
            // No dialog could be shown (no portal, no zenity): ask in the app instead.
            let text = match (kind, &self.files.path) {
                (PromptKind::SaveAs, Some(p)) => p.display().to_string(),
                _ => std::env::current_dir()
                    .map(|d| format!("{}/", d.display()))
                    .unwrap_or_default(),
            };
            self.dialogs.prompt = Some(PathPrompt { kind, text });
        }
        result
    }

    pub(super) fn open_paths(&mut self, paths: &[PathBuf]) {
        if let Some(ron) = paths.iter().find(|p| is_project_file(p)) {
            match project_io::load(ron) {
                Ok(p) => {
                    self.replace_workspace(Workspace::new(p), Some(ron.clone()));
                    self.toast(format!("Opened {}", ron.display()));
                }
                Err(e) => self.toast_error(format!("Could not open: {e}")),
            }
            if paths.len() > 1 {
                self.toast("Opened the project; the other files were not opened.");
            }
            return;
        }
        let project = Project::new("Untitled", &DEFAULT_LABELS);
        self.replace_workspace(Workspace::new_unsaved(project), None);
        self.add_paths(paths);
    }

    /// Adds articles by the rule of `import::plan_add` (as `spantag add`): the good files as one
    /// undoable step, a toast naming each file skipped as already there and each that failed.
    pub(super) fn add_paths(&mut self, paths: &[PathBuf]) {
        use spantag_core::import;
        let files = import::read_articles(paths, &import::ImportOptions::default());
        let plan = import::plan_add(self.ws.project(), files);
        let n = plan.added.len();
        let first_new = self.ws.project().documents.len();
        let (clean, summary, skipped) = (plan.is_clean(), plan.summary(), plan.skipped_lines());
        // The step leaves the user at the start of the first new article.
        let after = plan
            .edits
            .iter()
            .find_map(|e| match e {
                Edit::AddDocument { document, .. } => Some(SpantagApp::start_of(document)),
                _ => None,
            })
            .unwrap_or_else(|| self.cursor());
        if n > 0 && self.step(&format!("Add {n} article(s)"), plan.edits, after) {
            self.queue.push(Action::OpenDoc(first_new));
            if clean {
                self.toast(format!("Added {n} article(s)"));
            }
        }
        if !clean {
            self.toast(format!("Articles: {summary}"));
        }
        // Capped like every problem list: a folder of bad files must not bury the window.
        for line in spantag_core::listing::capped_lines(&skipped) {
            self.toast(format!("Skipped {line}"));
        }
        let failed: Vec<String> = plan.failed.iter().map(|(_, e)| e.to_string()).collect();
        for line in spantag_core::listing::capped_lines(&failed) {
            self.toast_error(line);
        }
    }

    /// Save As to `path`, from the native dialog or the app's path prompt: an existing file that
    /// is not the project's own file is only replaced once the user says so (the Replace
    /// question; Cancel leaves it untouched). Saving onto the project's own file is a Save.
    pub(super) fn save_as(&mut self, path: PathBuf) {
        let own = self
            .files
            .path
            .as_deref()
            .is_some_and(|p| same_path(p, &path));
        if !own && std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            self.dialogs.modal = Some(Modal::Replace(path));
            return;
        }
        self.save_to(path, false);
    }

    /// Saves the project to `path` on a thread (asking first if the file changed on disk since it
    /// was opened or saved, unless `force`). The revision is marked saved by [`Self::poll_save`]
    /// once the file is written; until then the status bar says "Saving…".
    pub(super) fn save_to(&mut self, path: PathBuf, force: bool) {
        if self.files.saving.is_some() {
            // One write at a time: this one starts when the running one has succeeded.
            self.files.queued_save = Some((path, force));
            return;
        }
        let same_file = self.files.path.as_deref() == Some(path.as_path());
        if !force
            && same_file
            && let Some(stamp) = &self.files.stamp
            && path.exists()
            && !stamp.matches(&path)
        {
            self.dialogs.modal = Some(Modal::ChangedOnDisk(path));
            return;
        }
        let save = PendingSave::start(
            self.ws.project().clone(),
            path,
            self.ws.revision(),
            self.files.save_hold.take(),
        );
        self.files.saving = Some((save, self.generation));
    }

    /// Finishes the save whose thread is done (called at the start of every frame): marks the
    /// revision it wrote saved and runs what waited for it, or reports why it failed (the work
    /// stays unsaved, and what waited for it does not happen).
    pub(super) fn poll_save(&mut self) {
        let Some(outcome) = self.files.saving.as_ref().and_then(|(s, _)| s.outcome()) else {
            return;
        };
        let Some((save, generation)) = self.files.saving.take() else {
            return;
        };
        match outcome {
            Ok(stamp) => {
                if generation == self.generation {
                    self.ws.mark_saved(save.revision);
                    self.files.stamp = stamp;
                    self.files.path = Some(save.path.clone());
                    // Changes made while the file was written stay in the recovery file.
                    if !self.ws.is_dirty() {
                        if let Some(a) = &self.files.autosaver {
                            a.clear();
                        }
                        self.files.autosaved_revision = None;
                    }
                }
                self.toast(format!("Saved {}", save.path.display()));
                if let Some((path, force)) = self.files.queued_save.take() {
                    self.save_to(path, force);
                    return;
                }
                if let Some(a) = self.files.after_save.take() {
                    self.queue.push(a);
                }
                if self.shell.closing == Closing::SavingThenClose {
                    self.shell.closing = Closing::Requested;
                }
            }
            Err(e) => {
                // Whatever was to follow the save (e.g. closing) must not happen later.
                self.files.queued_save = None;
                self.cancel_waiting_save();
                self.toast_error(format!("Could not save: {e}"));
            }
        }
    }

    pub(super) fn autosave(&mut self) {
        let files = &mut self.files;
        let Some(saver) = &files.autosaver else {
            return;
        };
        for done in saver.finished() {
            match done.result {
                Ok(()) => files.autosaved_revision = Some(done.revision),
                Err(e) => self
                    .dialogs
                    .toasts
                    .push(Toast::error(format!("Autosave failed: {e}"))),
            }
            files.autosave_pending = false;
        }
        if !self.ws.is_dirty() || files.autosaved_revision == Some(self.ws.revision()) {
            return;
        }
        let every = files.autosave_every.unwrap_or(AUTOSAVE_EVERY);
        let due = files.last_autosave.is_none_or(|t| t.elapsed() >= every);
        if due && !files.autosave_pending {
            saver.save(
                self.ws.project().clone(),
                files.path.clone(),
                self.ws.revision(),
            );
            files.last_autosave = Some(Instant::now());
            files.autosave_pending = true;
        }
    }
}

/// Whether `a` and `b` name the same file (also as `./a`, through links or as a full path).
fn same_path(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

pub(super) fn is_project_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("ron"))
}

pub(super) fn format_epoch(secs: u64) -> String {
    let ts = spantag_core::time::Timestamp(i64::try_from(secs).unwrap_or(0));
    ts.to_string()
}

//! Files: native dialogs (or the app's own path prompt), opening and adding files, saving,
//! autosave, and the open and restore flow of recovery slots and project locks (`recovery`).
//! Saving and autosave copy the project (a pointer per document) and write it on a thread; the
//! revision is marked saved when the write has finished.

use super::action::Toast;
use super::recovery::{self, Acquire, SlotKey};
use super::state::{ActiveSlot, Closing, Modal, PathPrompt, PromptKind, Recovered};
use super::storage::{FileStamp, PendingSave};
use super::{Action, SpantagApp};
use spantag_core::edit::Edit;
use spantag_core::history::Workspace;
use spantag_core::model::{DEFAULT_LABELS, Project};
use spantag_core::project_io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often unsaved work is written to its recovery slot: at most this much work is lost in a
/// crash (plus the time of one write).
pub(super) const AUTOSAVE_EVERY: Duration = Duration::from_secs(1);

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
                .add_filter(
                    "Projects and articles",
                    &["ron", "txt", "md", "html", "htm"],
                )
                .pick_files(),
            PromptKind::Add => dialog
                .add_filter(
                    "Articles",
                    &["txt", "md", "markdown", "text", "html", "htm", "xhtml"],
                )
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
            self.open_project(ron);
            if paths.len() > 1 {
                self.toast("Opened the project; the other files were not opened.");
            }
            return;
        }
        let project = Project::new("Untitled", &DEFAULT_LABELS);
        let slot = self.untitled_slot();
        self.replace_workspace(Workspace::new_unsaved(project), None, slot);
        self.add_paths(paths);
    }

    /// A new recovery slot for untitled work (locked at its first autosave), or `None` without
    /// a recovery folder.
    pub(super) fn untitled_slot(&self) -> Option<ActiveSlot> {
        let store = self.files.store.as_ref()?;
        let key = SlotKey::Untitled(recovery::new_untitled_id());
        Some(ActiveSlot {
            dir: store.slot_dir(&key),
            key,
            lock: None,
        })
    }

    /// Opens the project file `path`: takes its lock (a window already working on it is
    /// reported, and the project is not opened but read-only), loads it, and offers the
    /// project's own recovery data if a crash left some.
    pub(super) fn open_project(&mut self, path: &Path) {
        let Some(store) = self.files.store.clone() else {
            match project_io::load(path) {
                Ok(p) => {
                    self.replace_workspace(Workspace::new(p), Some(path.to_owned()), None);
                    self.toast(format!("Opened {}", path.display()));
                }
                Err(e) => self.toast_error(format!("Could not open: {e}")),
            }
            return;
        };
        let key = SlotKey::project(path);
        let reopened = self.files.slot.as_ref().is_some_and(|s| s.key == key);
        let (slot, took_over) = if reopened {
            (self.files.slot.take(), None)
        } else {
            match store.acquire(&key) {
                Acquire::Acquired { lock, took_over } => {
                    (Some(ActiveSlot::locked(key, lock)), took_over)
                }
                Acquire::Held(holder) => {
                    self.dialogs.modal = Some(Modal::InUse {
                        path: path.to_owned(),
                        holder: recovery::describe_holder(holder.as_ref()),
                    });
                    return;
                }
                Acquire::Failed(e) => {
                    self.toast_error(format!(
                        "No crash recovery for this project (its lock could not be made: {e})"
                    ));
                    (None, None)
                }
            }
        };
        match project_io::load(path) {
            Ok(p) => {
                self.replace_workspace(Workspace::new(p), Some(path.to_owned()), slot);
                self.toast(format!("Opened {}", path.display()));
                if let Some(prev) = took_over {
                    self.toast(format!(
                        "{} had been left open by {}, which is no longer running",
                        path.display(),
                        recovery::describe_holder(Some(&prev))
                    ));
                }
                recovery::sweep_project_temps(path);
                self.offer_recovery();
            }
            Err(e) => {
                if reopened {
                    self.files.slot = slot;
                }
                self.toast_error(format!("Could not open: {e}"));
            }
        }
    }

    /// Opens the project file `path` without its lock: another window works on it, so edits
    /// and saving over it are refused (Save as… makes a copy that can be edited).
    pub(super) fn open_read_only(&mut self, path: &Path) {
        match project_io::load(path) {
            Ok(p) => {
                self.replace_workspace(Workspace::new(p), Some(path.to_owned()), None);
                self.files.read_only = true;
                self.toast(format!(
                    "Opened {} read-only: it is open in another window",
                    path.display()
                ));
            }
            Err(e) => self.toast_error(format!("Could not open: {e}")),
        }
    }

    /// Asks whether to restore the recovery data of the open project's slot, if there is some.
    /// Data equal to the file (a crash between a save and the clearing of the slot) is removed
    /// without asking.
    fn offer_recovery(&mut self) {
        let (Some(store), Some(slot)) = (&self.files.store, &self.files.slot) else {
            return;
        };
        let dir = slot.dir.clone();
        let found = match store.find(&slot.key) {
            Ok(Some(f)) => f,
            Ok(None) => return,
            Err(e) => {
                self.toast_error(format!(
                    "Unsaved work of an earlier session could not be read ({e}); it was left in {}",
                    dir.display()
                ));
                return;
            }
        };
        if found.project == *self.ws.project() {
            recovery::clear(&dir);
            return;
        }
        let path = self.files.path.clone();
        let mut warnings = Vec::new();
        let mut file_changed = false;
        if let Some(path) = &path {
            let current = self.files.stamp.as_ref().map(FileStamp::describe);
            let modified = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| jiff::Timestamp::try_from(t).ok());
            let changed = match &found.meta.base {
                Some(base) => current.as_deref() != Some(base.as_str()),
                None => modified.is_some_and(|m| m > found.meta.written),
            };
            file_changed = changed;
            if changed {
                let when = modified
                    .map(|m| format!(" (last changed {})", recovery::local_time(m)))
                    .unwrap_or_default();
                warnings.push(format!(
                    "The project file was changed since this work was autosaved{when}: \
                     restoring shows this work instead, and saving it replaces the file's content."
                ));
            }
        }
        if let Some(note) = &found.note {
            warnings.push(format!("Note: {note}."));
        }
        self.dialogs.modal = Some(Modal::Recovery {
            when: recovery::local_time(found.meta.written),
            path: path.clone(),
            warning: (!warnings.is_empty()).then(|| warnings.join("\n")),
        });
        self.files.recovered = Some(Recovered {
            project: found.project,
            path,
            slot: None,
            file_changed,
        });
    }

    /// Lists the unsaved work of windows that are gone (File › Recover unsaved work…, and at
    /// start-up without a project). `quiet`: say nothing when there is none.
    pub(super) fn list_recoveries(&mut self, quiet: bool) {
        let Some(store) = &self.files.store else {
            if !quiet {
                self.toast("Autosave is off, so there is no unsaved work to recover");
            }
            return;
        };
        self.files.listed.clear();
        let (listed, errors) = store.list();
        for e in errors {
            self.toast_error(format!("Unsaved work that could not be read: {e}"));
        }
        if listed.is_empty() {
            if !quiet {
                self.toast("No unsaved work to recover");
            }
            return;
        }
        self.files.listed = listed;
        self.dialogs.modal = Some(Modal::RecoverList);
    }

    /// "Restore" (or "Open") on row `i` of the recovery list: untitled work comes back in this
    /// window, in its own slot; a project's work by opening the project, which offers it.
    pub(super) fn restore_listed(&mut self, i: usize) {
        if i >= self.files.listed.len() {
            return;
        }
        let entry = self.files.listed.swap_remove(i);
        self.files.listed.clear();
        self.dialogs.modal = None;
        let found = entry.found;
        if let Some(path) = found.meta.project.clone() {
            drop(entry.lock);
            self.open_project(&path);
            return;
        }
        let id = found
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().trim_start_matches("u-").to_owned())
            .unwrap_or_else(recovery::new_untitled_id);
        let slot = ActiveSlot {
            key: SlotKey::Untitled(id),
            dir: found.dir.clone(),
            lock: Some(entry.lock),
        };
        let when = recovery::local_time(found.meta.written);
        self.replace_workspace(Workspace::new_unsaved(found.project), None, Some(slot));
        self.toast(format!(
            "Restored the unsaved work autosaved {when}. Save it to keep it."
        ));
    }

    /// "Discard" on row `i` of the recovery list: its recovery data is deleted.
    pub(super) fn discard_listed(&mut self, i: usize) {
        if i >= self.files.listed.len() {
            return;
        }
        let entry = self.files.listed.remove(i);
        recovery::clear(&entry.found.dir);
        drop(entry);
        if self.files.listed.is_empty() && matches!(self.dialogs.modal, Some(Modal::RecoverList)) {
            self.dialogs.modal = None;
        }
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
        if self.files.read_only && same_file {
            self.cancel_waiting_save();
            self.toast_error(format!(
                "{} is open in another window, so it is not saved over here: use Save as…",
                path.display()
            ));
            return;
        }
        if !force
            && same_file
            && let Some(stamp) = &self.files.stamp
            && path.exists()
            && !stamp.matches(&path)
        {
            self.dialogs.modal = Some(Modal::ChangedOnDisk(path));
            return;
        }
        // Saving under another name: that file's slot must not be another window's.
        let mut new_slot = None;
        if let Some(store) = self.files.store.clone() {
            let key = SlotKey::project(&path);
            if self.files.slot.as_ref().is_none_or(|s| s.key != key) {
                match store.acquire(&key) {
                    Acquire::Acquired { lock, .. } => {
                        new_slot = Some(Some(ActiveSlot::locked(key, lock)));
                    }
                    Acquire::Held(holder) => {
                        self.cancel_waiting_save();
                        self.toast_error(format!(
                            "Not saved: {} is open in {}. Save under another name.",
                            path.display(),
                            recovery::describe_holder(holder.as_ref())
                        ));
                        return;
                    }
                    Acquire::Failed(e) => {
                        self.toast_error(format!(
                            "No crash recovery for {} (its lock could not be made: {e})",
                            path.display()
                        ));
                        new_slot = Some(None);
                    }
                }
            }
        }
        let save = PendingSave::start(
            self.ws.project().clone(),
            path,
            self.ws.revision(),
            self.files.save_hold.take(),
        );
        self.files.saving = Some((save, self.generation));
        self.files.saving_slot = new_slot;
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
        // The slot of the file saved under another name (dropped, and its lock released, when
        // the save failed or the window holds other work by now).
        let new_slot = self.files.saving_slot.take();
        match outcome {
            Ok(stamp) => {
                if generation == self.generation {
                    self.ws.mark_saved(save.revision);
                    self.files.stamp = stamp;
                    self.files.path = Some(save.path.clone());
                    self.files.read_only = false;
                    // The work is in the file now: its slot's recovery data goes, unless changes
                    // were made while the file was written (they stay in the recovery file).
                    if !self.ws.is_dirty() {
                        if let (Some(a), Some(s)) = (&self.files.autosaver, &self.files.slot) {
                            a.clear(&s.dir);
                        }
                        self.files.autosaved_revision = None;
                    }
                    if let Some(slot) = new_slot {
                        self.files.slot = slot;
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
        let current = files.slot.as_ref().map(|s| s.dir.as_path());
        for done in saver.finished() {
            files.autosave_pending = false;
            // A write for the work this window had before does not count for this one.
            if current != Some(done.slot.as_path()) {
                continue;
            }
            match done.result {
                Ok(()) => files.autosaved_revision = Some(done.revision),
                Err(e) => self
                    .dialogs
                    .toasts
                    .push(Toast::error(format!("Autosave failed: {e}"))),
            }
        }
        if files.read_only
            || !self.ws.is_dirty()
            || files.autosaved_revision == Some(self.ws.revision())
        {
            return;
        }
        let Some(slot) = files.slot.as_mut() else {
            return;
        };
        let every = files.autosave_every.unwrap_or(AUTOSAVE_EVERY);
        let due = files.last_autosave.is_none_or(|t| t.elapsed() >= every);
        if due && !files.autosave_pending {
            // Untitled work takes its slot's lock at its first autosave.
            if slot.lock.is_none()
                && matches!(slot.key, SlotKey::Untitled(_))
                && let Some(store) = &files.store
                && let Acquire::Acquired { lock, .. } = store.acquire(&slot.key)
            {
                slot.lock = Some(lock);
            }
            let target = recovery::Target {
                dir: slot.dir.clone(),
                key: slot.key.clone(),
                base: files.stamp.as_ref().map(FileStamp::describe),
            };
            saver.save(self.ws.project().clone(), target, self.ws.revision());
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

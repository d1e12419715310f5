//! The one place that changes the app's state. Widgets push [`Action`]s while they draw;
//! [`SpantagApp::apply_actions`] runs them at the end of the frame through
//! [`SpantagApp::apply_action`], and every project change in there is a history step
//! ([`SpantagApp::step`]) that records where the user was before and after it, so undo and redo
//! put the selection back ([`SpantagApp::restore_cursor`]).

use super::SpantagApp;
use super::action::{Action, Window};
use super::commands::AppCommand;
use super::state::{ActiveSlot, Closing, Modal, PromptKind};
use spantag_core::edit::Edit;
use spantag_core::history::{Cursor, Workspace};
use spantag_core::model::{DEFAULT_LABELS, Document, Project, SpanId};
use spantag_core::movement::Selection;
use std::path::PathBuf;

impl SpantagApp {
    /// Applies the actions pushed this frame, and those they push in turn.
    pub(super) fn apply_actions(&mut self) {
        let mut guard = 0;
        while !self.queue.is_empty() && guard < 64 {
            guard += 1;
            let actions = std::mem::take(&mut self.queue);
            for a in actions {
                self.apply_action(a);
            }
        }
    }

    /// The one function that changes the app's state.
    pub(super) fn apply_action(&mut self, action: Action) {
        match action {
            Action::Command(c) => self.run_command(c),
            Action::Tag(label) => self.tag(&label),
            Action::OpenDoc(i) => self.open_doc(i),
            Action::SelectSpan { id, scroll } => self.select_span(id, scroll),
            Action::GoToSpan { doc, id } => {
                if doc != self.sel.doc {
                    self.open_doc(doc);
                }
                self.select_span(id, true);
                self.review.scroll_queue = true;
            }
            Action::SetSelection { anchor, focus } => {
                self.sel.selection = Selection::new(anchor, focus);
                self.sel.span = None;
                self.sel.last_click = None;
            }
            Action::ExtendTo(b) => self.extend_to(b),
            Action::ClickAt { char, boundary } => self.click_at(char, boundary),
            Action::SetFilter(f) => self.view.filter = f,
            Action::OpenPaths(p) => {
                if self.ws.is_dirty() {
                    self.ask_unsaved(Action::OpenPaths(p));
                } else {
                    self.open_paths(&p);
                }
            }
            Action::AddPaths(p) => self.add_paths(&p),
            Action::Compare(p) => {
                if self.ws.is_dirty() {
                    self.ask_unsaved(Action::Compare(p));
                } else {
                    self.open_compare(&p);
                }
            }
            Action::SaveAs(p) => self.save_as(p),
            Action::ForceSave(p) => self.save_to(p, true),
            Action::NewProject => {
                if self.ws.is_dirty() {
                    self.ask_unsaved(Action::NewProject);
                } else {
                    let slot = self.untitled_slot();
                    self.replace_workspace(
                        Workspace::new_unsaved(Project::new("Untitled", &DEFAULT_LABELS)),
                        None,
                        slot,
                    );
                }
            }
            Action::Restore => {
                if let Some(r) = self.files.recovered.take() {
                    // The work goes on in the slot it came from.
                    let slot = r.slot.or_else(|| self.files.slot.take());
                    self.replace_workspace(Workspace::new_unsaved(r.project), r.path, slot);
                    self.toast("Restored the unsaved work. Save it to keep it.");
                }
            }
            Action::DiscardRecovery => {
                if let Some(r) = self.files.recovered.take() {
                    let slot = r.slot.as_ref().or(self.files.slot.as_ref());
                    if let Some(s) = slot {
                        super::recovery::clear(&s.dir);
                    }
                }
            }
            Action::OpenReadOnly(p) => self.open_read_only(&p),
            Action::RestoreListed(i) => {
                if self.ws.is_dirty() && self.files.listed.get(i).is_some() {
                    self.ask_unsaved(Action::RestoreListed(i));
                } else {
                    self.restore_listed(i);
                }
            }
            Action::DiscardListed(i) => self.discard_listed(i),
            Action::CloseRecoveryList => {
                self.files.listed.clear();
                if matches!(self.dialogs.modal, Some(Modal::RecoverList)) {
                    self.dialogs.modal = None;
                }
            }
            Action::ApplyImport {
                description,
                edits,
                summary,
            } => self.apply_import(&description, edits, *summary),
            Action::Answered(then) => {
                self.dialogs.modal = None;
                match then {
                    Some(a) => self.apply_action(*a),
                    None => self.cancel_waiting_save(),
                }
            }
            Action::SaveThen(then) => {
                if matches!(*then, Action::Command(AppCommand::Quit)) {
                    self.shell.closing = Closing::SavingThenClose;
                } else {
                    self.files.after_save = Some(*then);
                }
                self.run_command(AppCommand::Save);
            }
            Action::DiscardThen(then) => {
                if let (Some(a), Some(s)) = (&self.files.autosaver, &self.files.slot) {
                    a.clear(&s.dir);
                }
                self.ws.mark_saved(self.ws.revision());
                self.apply_action(*then);
            }
            Action::PromptAnswered(paths) => self.prompt_answered(paths),
            Action::SetAnnotator(name) => self.set_annotator(name),
            Action::CloseWindow(w) => match w {
                Window::Help => self.dialogs.help = false,
                Window::Name => self.dialogs.name = None,
                Window::Agreement => self.compare.agreement_open = false,
                Window::Export => self.dialogs.transfer.export = None,
                Window::Import => self.dialogs.transfer.import = None,
            },
            Action::Notify(t) => self.dialogs.toasts.push(t),
            Action::DismissToast(i) => {
                if i < self.dialogs.toasts.len() {
                    self.dialogs.toasts.remove(i);
                }
            }
            Action::SetReviewFilter(f) => {
                if f != self.review.filter {
                    self.review.filter = f;
                    self.review.scroll_queue = true;
                }
            }
            Action::SaveReviewNote { doc, span, text } => self.save_note(doc, span, &text),
            // ----- relations in review mode -----
            Action::GoToRelation { doc, relation } => self.go_to_relation(doc, relation),
            Action::ReviewRetypeRelation {
                doc,
                relation,
                kind,
            } => self.review_retype_relation(doc, relation, &kind),
            Action::TakeAnnotator(k) => self.take_annotator(k),
            Action::Remerge(strategy) => self.remerge(strategy),
            Action::CancelCompare => self.cancel_compare(),
            Action::OpenComparison => self.open_comparison(),
            Action::SetEntityLabels(labels) => {
                if let Some(s) = &mut self.compare.session {
                    s.set_entity_labels(labels);
                }
            }
            Action::SetConfusionPair(i) => {
                if let Some(s) = &mut self.compare.session {
                    s.confusion_pair = i;
                }
            }
            // ----- relations (app/relations.rs) -----
            Action::LinkTo(id) => self.link_to(id),
            Action::CancelLink => self.cancel_link(true),
            Action::StartLink(kind) => self.start_link(kind),
            Action::LinkStep(forward) => self.link_step(forward),
            Action::LinkChosen => self.link_chosen(),
            Action::RetypeRelation { id, kind } => self.retype_relation(id, &kind),
            Action::ReverseRelation(id) => self.reverse_relation(id),
            Action::DeleteRelation(id) => self.delete_relation(id),
        }
    }

    /// Asks whether to save the unsaved changes before running `then`.
    fn ask_unsaved(&mut self, then: Action) {
        self.dialogs.modal = Some(Modal::Unsaved(Box::new(then)));
    }

    /// A save something was waiting on will not happen (cancelled, or failed): forget what was to
    /// follow it, and keep the window open.
    pub(super) fn cancel_waiting_save(&mut self) {
        self.files.after_save = None;
        if matches!(
            self.shell.closing,
            Closing::Asked | Closing::SavingThenClose
        ) {
            self.shell.closing = Closing::Open;
        }
    }

    /// The path prompt was answered: run what it was for.
    fn prompt_answered(&mut self, paths: Option<Vec<PathBuf>>) {
        let Some(prompt) = self.dialogs.prompt.take() else {
            return;
        };
        let paths = match paths {
            Some(p) if !p.is_empty() => p,
            Some(_) => return,
            None => {
                self.cancel_waiting_save();
                return;
            }
        };
        match prompt.kind {
            PromptKind::Open => self.apply_action(Action::OpenPaths(paths)),
            PromptKind::Add => self.apply_action(Action::AddPaths(paths)),
            PromptKind::Compare => self.apply_action(Action::Compare(paths)),
            PromptKind::SaveAs => {
                let mut p = paths[0].clone();
                if p.extension().is_none() {
                    p.set_extension("ron");
                }
                self.apply_action(Action::SaveAs(p));
            }
        }
    }

    // ----- history steps and the cursor -----

    /// Where the user is now, as the history records it.
    pub(super) fn cursor(&self) -> Cursor {
        Cursor {
            doc: self.doc_id(),
            selection: self.sel.selection,
            span: self.sel.span,
        }
    }

    /// Applies `edits` as one undoable step called `description` that leaves the user at
    /// `after` (where undo's "before" is where they are now). Failures become toasts.
    pub(super) fn step(&mut self, description: &str, edits: Vec<Edit>, after: Cursor) -> bool {
        if self.files.read_only {
            self.toast_error(format!(
                "{description}: this project is open in another window, so it is read-only here \
                 (Save as… makes a copy you can edit)"
            ));
            return false;
        }
        let before = self.cursor();
        match self.ws.apply(description, edits, before, after.clone()) {
            Ok(()) => {
                self.set_cursor(&after, false);
                true
            }
            Err(e) => {
                self.toast_error(format!("{description}: {e}"));
                false
            }
        }
    }

    /// Like [`Self::step`], leaving the user where they are.
    pub(super) fn step_here(&mut self, description: &str, edits: Vec<Edit>) -> bool {
        let here = self.cursor();
        self.step(description, edits, here)
    }

    /// Undo (`true`) or redo: the project goes back or forward one step and the user to where
    /// they were on that side of it.
    pub(super) fn cross_history(&mut self, undo: bool) {
        let crossed = if undo { self.ws.undo() } else { self.ws.redo() };
        match crossed {
            Some(c) => {
                self.restore_cursor(&c.cursor);
                self.compare_follow_history();
                let verb = if undo { "Undid" } else { "Redid" };
                self.toast(format!("{verb}: {}", c.description));
            }
            None if undo => self.toast("Nothing to undo"),
            None => self.toast("Nothing to redo"),
        }
    }

    /// Returns to `c` after undo or redo: its document, selection and span, as far as they still
    /// exist, scrolled into view.
    pub(super) fn restore_cursor(&mut self, c: &Cursor) {
        self.set_cursor(c, true);
    }

    /// Puts the user at `c` (clamped to what exists).
    fn set_cursor(&mut self, c: &Cursor, scroll: bool) {
        let p = self.ws.project();
        let doc = c
            .doc
            .as_deref()
            .and_then(|id| p.doc_index(id))
            .unwrap_or_else(|| self.sel.doc.min(p.documents.len().saturating_sub(1)));
        if doc != self.sel.doc {
            self.sel.doc = doc;
            self.sel.last_click = None;
        }
        let Some(d) = self.ws.project().documents.get(doc) else {
            self.sel.selection = Selection::default();
            self.sel.span = None;
            return;
        };
        let len = d.len_chars();
        self.sel.selection = Selection::new(c.selection.anchor.min(len), c.selection.head.min(len));
        self.sel.span = c.span.filter(|id| d.span(*id).is_some());
        if scroll {
            self.view.article.scroll_target = Some(self.sel.range().start);
        }
    }

    /// The cursor at the start of document `d` (its first token), as opening it puts it.
    pub(super) fn start_of(d: &Document) -> Cursor {
        let first = d.index().tokens().first().map_or(0, |t| t.start);
        Cursor::caret(d.id.clone(), first)
    }

    /// Replaces the workspace (another project): everything about the old one goes, and its
    /// recovery slot is let go for `slot` (the new work's).
    pub(super) fn replace_workspace(
        &mut self,
        ws: Workspace,
        path: Option<PathBuf>,
        slot: Option<ActiveSlot>,
    ) {
        self.ws = ws;
        self.files.slot = slot;
        self.files.read_only = false;
        self.files.recovered = None;
        self.generation += 1;
        self.view.spans = Default::default();
        self.view.filter = None;
        self.view.article = Default::default();
        self.files.stamp = path.as_deref().and_then(super::storage::FileStamp::of);
        self.files.path = path;
        self.files.autosaved_revision = None;
        self.sel.doc = 0;
        self.review_reset();
        self.reset_caret();
    }

    /// Opens document `i` with the caret at its first token.
    fn open_doc(&mut self, i: usize) {
        if i < self.ws.project().documents.len() {
            self.sel.doc = i;
            self.reset_caret();
            self.view.article.scroll_target = Some(self.sel.caret());
        }
    }

    /// Selects span `id` of the open document, the caret at its start.
    fn select_span(&mut self, id: SpanId, scroll: bool) {
        if let Some(d) = self.ws.project().documents.get(self.sel.doc)
            && let Some(s) = d.span(id)
        {
            self.sel.span = Some(id);
            self.sel.selection = Selection::caret(s.start);
            if scroll {
                self.view.article.scroll_target = Some(s.start);
            }
        }
    }

    /// The caret at the first token of the open document, nothing selected.
    pub(super) fn reset_caret(&mut self) {
        let first = self
            .ws
            .project()
            .documents
            .get(self.sel.doc)
            .and_then(|d| d.index().tokens().first().map(|t| t.start))
            .unwrap_or(0);
        self.sel.selection = Selection::caret(first);
        self.sel.span = None;
        self.sel.last_click = None;
        // Relations: a relation being made belongs to the document left behind.
        self.sel.linking = None;
    }

    /// Sets the annotator name and keeps it in the settings file.
    fn set_annotator(&mut self, name: String) {
        self.dialogs.name = None;
        let saved = match &self.files.config_dir {
            Some(dir) => {
                let mut settings = super::storage::load_settings_from(dir);
                settings.annotator = Some(name.clone());
                super::storage::save_settings(dir, &settings).map(|_| ())
            }
            None => Err("no settings folder (set SPANTAG_CONFIG_DIR)".to_owned()),
        };
        match saved {
            Ok(()) => self.toast(format!("New spans and reviews are recorded as {name}")),
            Err(e) => self.toast_error(format!(
                "New spans are recorded as {name}, but the name could not be saved for next time: {e}"
            )),
        }
        self.annotator = name;
    }
}

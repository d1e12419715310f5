//! Input: the keyboard (turned into actions through the command table), dropped files, and what
//! each command does once its action is applied.

use super::SpantagApp;
use super::action::Action;
use super::commands::{self, AppCommand, commands, hotkey_key};
use super::files::is_project_file;
use super::name::NameDialog;
use super::state::{Closing, PromptKind};
use spantag_core::edit::Edit;
use std::path::PathBuf;

impl SpantagApp {
    /// Turns key presses into actions: commands by the table, label hotkeys into tags.
    pub(super) fn handle_keys(&mut self, ctx: &egui::Context) {
        // Text fields (the path prompt, the name and review note fields, the dialogs) keep their
        // letters; egui also counts a focused button as wanting the keyboard, which must not
        // block shortcuts.
        let typing = self.dialogs.prompt.is_some()
            || self.dialogs.name.is_some()
            || self.review_typing(ctx)
            || self.dialogs.transfer.is_open();
        let mut fired = Vec::new();
        let linking = self.linking().is_some();
        ctx.input_mut(|i| {
            i.events.retain(|ev| {
                let egui::Event::Key {
                    key,
                    pressed: true,
                    modifiers,
                    ..
                } = ev
                else {
                    return true;
                };
                // Relations: picking the other end of a new relation takes Tab, Enter, Escape.
                if linking
                    && !typing
                    && let Some(a) = super::relations::picking_key(*key, *modifiers)
                {
                    fired.push(a);
                    return false;
                }
                for c in commands() {
                    if commands::is_review_key(c.command) && !self.review_key_active(c.command) {
                        continue;
                    }
                    for s in c.shortcuts {
                        if commands::shortcut_matches(s, *key, *modifiers) {
                            if typing && commands::is_text_key(s) {
                                return true;
                            }
                            fired.push(Action::Command(c.command));
                            return false;
                        }
                    }
                }
                if !typing && modifiers.is_none() {
                    for l in &self.ws.project().labels {
                        if l.hotkey.and_then(hotkey_key) == Some(*key) {
                            fired.push(Action::Tag(l.name.clone()));
                            return false;
                        }
                    }
                    // Relations: a relation type's key starts (or switches to) that type.
                    for t in &self.ws.project().relation_types {
                        if t.hotkey.and_then(hotkey_key) == Some(*key) {
                            fired.push(Action::StartLink(Some(t.name.clone())));
                            return false;
                        }
                    }
                }
                true
            });
        });
        // Keep egui's own Tab focus walk from fighting span navigation.
        if !typing && let Some(id) = ctx.memory(|m| m.focused()) {
            ctx.memory_mut(|m| m.surrender_focus(id));
        }
        self.queue.extend(fired);
    }

    /// Files dropped on the window: a project opens, articles are added.
    pub(super) fn handle_dropped(&mut self, ctx: &egui::Context) {
        let files: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_owned())
                .collect()
        });
        if files.is_empty() {
            return;
        }
        if files.iter().any(|p| is_project_file(p)) {
            self.queue.push(Action::OpenPaths(files));
        } else {
            self.queue.push(Action::AddPaths(files));
        }
    }

    /// Asks to close the window (its close button, Quit); decided at the end of the frame. Once
    /// closing was allowed nothing is unsaved any more, so a repeated request closes again.
    pub(super) fn request_close(&mut self) {
        self.shell.closing = Closing::Requested;
    }

    /// What a command does (called by the action handler).
    pub(super) fn run_command(&mut self, c: AppCommand) {
        match c {
            AppCommand::New => self.queue.push(Action::NewProject),
            AppCommand::Open => {
                if let Some(paths) = self.pick(PromptKind::Open) {
                    self.queue.push(Action::OpenPaths(paths));
                }
            }
            AppCommand::RecoverUnsaved => self.list_recoveries(false),
            AppCommand::AddArticles => {
                if let Some(paths) = self.pick(PromptKind::Add) {
                    self.queue.push(Action::AddPaths(paths));
                }
            }
            AppCommand::Save => match self.files.path.clone() {
                Some(p) => self.save_to(p, false),
                None => self.run_command(AppCommand::SaveAs),
            },
            AppCommand::SaveAs => match self.pick(PromptKind::SaveAs) {
                Some(mut paths) if !paths.is_empty() => {
                    let p = paths.swap_remove(0);
                    self.save_as(p);
                }
                _ => {
                    if self.dialogs.prompt.is_none() {
                        self.cancel_waiting_save();
                    }
                }
            },
            AppCommand::Quit => self.request_close(),
            AppCommand::Export => self.open_export_dialog(),
            AppCommand::Import => self.open_import_dialog(),
            AppCommand::Undo => self.cross_history(true),
            AppCommand::Redo => self.cross_history(false),
            AppCommand::SetName => {
                self.dialogs.name = Some(NameDialog::new(&self.annotator, false));
            }
            AppCommand::MarkDoneAndNext => {
                let doc = self.sel.doc;
                if let Some(id) = self.doc_id() {
                    if !self.ws.project().documents[doc].done {
                        self.step_here(
                            "Mark done",
                            vec![Edit::SetDone {
                                doc: id,
                                done: true,
                            }],
                        );
                    }
                    if doc + 1 < self.ws.project().documents.len() {
                        self.queue.push(Action::OpenDoc(doc + 1));
                    }
                }
            }
            AppCommand::NextDocument => {
                if self.sel.doc + 1 < self.ws.project().documents.len() {
                    self.queue.push(Action::OpenDoc(self.sel.doc + 1));
                }
            }
            AppCommand::PreviousDocument => {
                if self.sel.doc > 0 {
                    self.queue.push(Action::OpenDoc(self.sel.doc - 1));
                }
            }
            AppCommand::ZoomIn => self.view.zoom = (self.view.zoom + 0.1).min(2.5),
            AppCommand::ZoomOut => self.view.zoom = (self.view.zoom - 0.1).max(0.6),
            AppCommand::ZoomReset => self.view.zoom = 1.0,
            AppCommand::ToggleHelp => self.dialogs.help = !self.dialogs.help,
            AppCommand::ClearSelection => {
                if self.dialogs.prompt.is_some() {
                    self.dialogs.prompt = None;
                } else if self.dialogs.help {
                    self.dialogs.help = false;
                } else {
                    self.sel.selection.anchor = self.sel.selection.head;
                    self.sel.span = None;
                    self.sel.last_click = None;
                }
            }
            AppCommand::CaretLeft
            | AppCommand::CaretRight
            | AppCommand::ExtendLeft
            | AppCommand::ExtendRight => self.caret_command(c),
            AppCommand::NextSpan | AppCommand::PreviousSpan => self.span_step(c),
            AppCommand::DeleteSpan => self.delete_span(),
            AppCommand::StartLeft
            | AppCommand::StartRight
            | AppCommand::EndLeft
            | AppCommand::EndRight => self.move_boundary(c),
            AppCommand::CompareProjects
            | AppCommand::ToggleReview
            | AppCommand::ToggleAgreement
            | AppCommand::Accept
            | AppCommand::Reject
            | AppCommand::QueueNext
            | AppCommand::QueuePrevious
            | AppCommand::ReviewNote
            | AppCommand::TakeB
            | AppCommand::TakeC
            | AppCommand::TakeAll
            | AppCommand::KeepSelected => self.review_command(c),
            // ----- relations (app/relations.rs) -----
            AppCommand::LinkSpan => self.start_link(None),
            AppCommand::GoToLinked => self.go_to_linked(),
            AppCommand::NextUnsourced => self.next_unsourced(),
        }
    }
}

//! File → Export… and File → Import…: two dialog windows over the core's training-data API
//! ([`spantag_core::formats`]). The dialogs only collect options and show results; the export runs on
//! its own thread (with a progress bar and Cancel), the import is planned on its own thread as
//! edits ([`spantag_core::formats::import_edits`]) and applied through [`super::Action::ApplyImport`],
//! so it is one undoable step like every other change.

use super::SpantagApp;
use super::action::Action;
use super::action::{Toast, Window};
use super::dialog_kit::{Context, Outbox};
use super::export_dialog::ExportDialog;
use super::import_dialog::ImportDialog;
use spantag_core::edit::Edit;
use spantag_core::formats::ImportSummary;

/// The open training-data dialogs.
#[derive(Default)]
pub(crate) struct Transfer {
    pub(crate) export: Option<ExportDialog>,
    pub(crate) import: Option<ImportDialog>,
}

impl Transfer {
    /// Whether a dialog is open (its text fields then get the keyboard).
    pub(crate) fn is_open(&self) -> bool {
        self.export.is_some() || self.import.is_some()
    }

    /// Whether a dialog is waiting for a background thread.
    pub(crate) fn busy(&self) -> bool {
        self.export.as_ref().is_some_and(ExportDialog::running)
            || self.import.as_ref().is_some_and(ImportDialog::reading)
    }
}

impl SpantagApp {
    pub(super) fn open_export_dialog(&mut self) {
        if self.dialogs.transfer.export.is_none() {
            self.dialogs.transfer.export = Some(ExportDialog::new(
                self.ws.project(),
                self.files.path.as_deref(),
            ));
        }
    }

    pub(super) fn open_import_dialog(&mut self) {
        if self.dialogs.transfer.import.is_none() {
            self.dialogs.transfer.import = Some(ImportDialog::new());
        }
    }

    /// Opens a dialog for `--screenshot --screenshot-dialog SCENE` (see [`super::LaunchOptions`]).
    pub(super) fn screenshot_scene(&mut self, scene: &str) {
        let (kind, arg) = scene.split_once('=').unwrap_or((scene, ""));
        match kind {
            "export" | "export-run" => {
                self.open_export_dialog();
                if let Some(d) = &mut self.dialogs.transfer.export
                    && let Err(e) = d.scripted(self.ws.project(), arg, kind == "export-run")
                {
                    self.toast_error(e);
                }
            }
            "import" => {
                self.open_import_dialog();
                if let Some(d) = &mut self.dialogs.transfer.import
                    && let Err(e) = d.scripted(arg)
                {
                    self.toast_error(e);
                }
            }
            _ => self.toast_error(format!(
                "unknown screenshot dialog {scene:?} (export, export-run[=FORMAT], import=INPUT[=FORMAT])"
            )),
        }
    }

    /// Draws the open dialogs and passes on what they ask for.
    pub(super) fn transfer_windows(&mut self, ctx: &egui::Context) {
        if !self.dialogs.transfer.is_open() {
            return;
        }
        let mut out = Outbox::default();
        let cx = Context {
            project: self.ws.project(),
            revision: self.ws.revision(),
            can_browse: self.shell.screenshot.is_none(),
        };
        let transfer = &mut self.dialogs.transfer;
        if let Some(d) = &mut transfer.export
            && !d.show(ctx, &cx, &mut out)
        {
            out.actions.push(Action::CloseWindow(Window::Export));
        }
        if let Some(d) = &mut transfer.import
            && !d.show(ctx, &cx, &mut out)
        {
            out.actions.push(Action::CloseWindow(Window::Import));
        }
        self.queue.extend(out.actions);
        self.queue.extend(
            out.notes
                .into_iter()
                .map(|n| Action::Notify(Toast::info(n))),
        );
        self.queue.extend(
            out.errors
                .into_iter()
                .map(|e| Action::Notify(Toast::error(e))),
        );
    }

    /// Applies a planned import as one undoable step.
    pub(super) fn apply_import(
        &mut self,
        description: &str,
        edits: Vec<Edit>,
        summary: ImportSummary,
    ) {
        let ok = self.step_here(description, edits);
        if ok {
            let spans: usize = summary.spans_per_label.values().sum();
            self.toast(format!(
                "Imported {} document(s) and {spans} span(s); Ctrl+Z undoes it",
                summary.documents_added
            ));
        }
        if let Some(d) = &mut self.dialogs.transfer.import {
            d.applied(ok, summary);
        }
    }
}

//! Windows over the panels (shortcut help, the annotator name, path prompts, questions, toasts)
//! and the window's own life: closing with unsaved changes and screenshot mode. The windows only
//! read the state and push actions.

use super::SpantagApp;
use super::action::Action;
use super::action::{ToastKind, Window};
use super::commands::{AppCommand, commands, shortcut_text};
use super::name::{NameDialog, NameOutcome};
use super::state::{Closing, Modal, PromptKind};
use egui::{Key, RichText};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

impl SpantagApp {
    pub(super) fn help_window(&mut self, ctx: &egui::Context) {
        if !self.dialogs.help {
            return;
        }
        let mut open = true;
        egui::Window::new("Keyboard shortcuts")
            .open(&mut open)
            .collapsible(false)
            .default_size([460.0, 520.0])
            .show(ctx, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    egui::Grid::new("help-grid").striped(true).show(ui, |ui| {
                        for c in commands() {
                            let keys: Vec<String> = c.shortcuts.iter().map(shortcut_text).collect();
                            ui.label(RichText::new(keys.join(", ")).monospace());
                            ui.label(c.name);
                            ui.weak(c.help);
                            ui.end_row();
                        }
                        for l in &self.ws.project().labels {
                            if let Some(k) = l.hotkey {
                                ui.label(RichText::new(k.to_string()).monospace());
                                ui.label(format!("Tag as {}", l.name));
                                ui.weak("Tags the selection, or relabels the selected span");
                                ui.end_row();
                            }
                        }
                        for t in &self.ws.project().relation_types {
                            if let Some(k) = t.hotkey {
                                ui.label(RichText::new(k.to_string()).monospace());
                                ui.label(format!("Link as {}", t.name));
                                ui.weak("Starts a relation of this type at the selected span (or switches to it while linking)");
                                ui.end_row();
                            }
                        }
                        for (keys, what) in [
                            ("Drag", "Select whole tokens"),
                            ("Alt+Drag", "Select exact characters"),
                            ("Double-click", "Select a token"),
                            ("Triple-click", "Select a sentence"),
                            ("Shift+Click", "Extend the selection"),
                            (
                                "Click span",
                                "Select it; click again to cycle stacked spans",
                            ),
                            // Relations: picking the other end of a new relation (after R).
                            (
                                "Linking: click span",
                                "Make it the other end of the relation (allowed spans are outlined)",
                            ),
                            (
                                "Linking: Tab, Shift+Tab",
                                "Choose the next / previous allowed span, nearest first",
                            ),
                            ("Linking: Enter", "Link the chosen span"),
                            ("Linking: R", "Switch to the next relation type"),
                            ("Linking: Escape", "Cancel"),
                        ] {
                            ui.label(RichText::new(keys).monospace());
                            ui.label(what);
                            ui.weak("");
                            ui.end_row();
                        }
                    });
                });
            });
        if !open {
            self.queue.push(Action::CloseWindow(Window::Help));
        }
    }

    /// At the first start, the "Your name" window opens once the window is up. Not in the first
    /// frames: a text field that takes the keyboard before the window is shown leaves X11 input
    /// dead under some setups (seen under Xvfb).
    pub(super) fn first_start_name(&mut self, ctx: &egui::Context) {
        if !self.dialogs.ask_name_at_start {
            return;
        }
        if self.shell.frame_count <= 10 {
            // Keep frames coming until then, even with no input.
            ctx.request_repaint();
        } else {
            self.dialogs.ask_name_at_start = false;
            let suggested = std::env::var("USER").unwrap_or_default();
            self.dialogs.name = Some(NameDialog::new(suggested.trim(), true));
        }
    }

    pub(super) fn name_window(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.dialogs.name else {
            return;
        };
        match dialog.show(ctx) {
            Some(NameOutcome::Set(n)) => self.queue.push(Action::SetAnnotator(n)),
            Some(NameOutcome::Cancel) => self.queue.push(Action::CloseWindow(Window::Name)),
            None => {}
        }
    }

    pub(super) fn prompt_window(&mut self, ctx: &egui::Context) {
        let Some(prompt) = &mut self.dialogs.prompt else {
            return;
        };
        let title = match prompt.kind {
            PromptKind::Open => "Open project or articles",
            PromptKind::Add => "Add articles",
            PromptKind::SaveAs => "Save project as",
            PromptKind::Compare => "Compare projects",
        };
        let mut done = None;
        egui::Window::new(title)
            .collapsible(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.label(if prompt.kind == PromptKind::SaveAs {
                    "No file dialog is available here; type the path."
                } else {
                    "No file dialog is available here; type the path (several paths separated by ';')."
                });
                let label = ui.label("Path:");
                let r = ui
                    .add(egui::TextEdit::singleline(&mut prompt.text).desired_width(420.0))
                    .labelled_by(label.id);
                // Enter makes the field give up focus: check that before asking for it again.
                let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
                if !enter {
                    r.request_focus();
                }
                ui.horizontal(|ui| {
                    if ui.button("OK").clicked() || enter {
                        done = Some(true);
                    }
                    if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                        done = Some(false);
                    }
                });
            });
        match done {
            Some(true) => {
                let paths: Vec<PathBuf> = prompt
                    .text
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from)
                    .collect();
                self.queue.push(Action::PromptAnswered(Some(paths)));
            }
            Some(false) => self.queue.push(Action::PromptAnswered(None)),
            None => {}
        }
    }

    pub(super) fn modal_window(&mut self, ctx: &egui::Context) {
        let Some(modal) = &self.dialogs.modal else {
            return;
        };
        let mut answer: Option<Option<Action>> = None;
        let (title, text) = match modal {
            Modal::Unsaved(_) => (
                "Unsaved changes",
                "This project has unsaved changes. Save them first?".to_owned(),
            ),
            Modal::ChangedOnDisk(p) => (
                "File changed on disk",
                format!(
                    "{} was changed by another program since it was opened. Overwrite it, or save elsewhere?",
                    p.display()
                ),
            ),
            Modal::Replace(p) => (
                "Replace file?",
                format!(
                    "{} already exists. Replace it with this project?",
                    p.display()
                ),
            ),
            Modal::Recovery {
                when,
                path,
                warning,
            } => (
                "Restore unsaved work?",
                format!(
                    "spantag found work on {} that was not saved (autosaved {when}). Restore it?{}",
                    path.as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "an untitled project".to_owned()),
                    warning
                        .as_ref()
                        .map(|w| format!("\n\n{w}"))
                        .unwrap_or_default()
                ),
            ),
            Modal::InUse { path, holder } => (
                "Project in use",
                format!(
                    "{} is open in {holder}. Opening it here too could overwrite that window's work: \
                     open it read-only (Save as… then makes a copy you can edit), or cancel.",
                    path.display()
                ),
            ),
            Modal::RecoverList => (
                "Recover unsaved work",
                "These windows closed without saving their work (a crash, or the computer \
                 stopped). Restore or open each, or discard it."
                    .to_owned(),
            ),
        };
        let mut row_action = None;
        egui::Window::new(title)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.label(text);
                ui.horizontal(|ui| match modal {
                    Modal::Unsaved(then) => {
                        if ui.button("Save").clicked() {
                            // Runs once the save succeeds (possibly after a Save As prompt).
                            answer = Some(Some(Action::SaveThen(then.clone())));
                        }
                        if ui.button("Discard").clicked() {
                            answer = Some(Some(Action::DiscardThen(then.clone())));
                        }
                        if ui.button("Cancel").clicked() {
                            answer = Some(None);
                        }
                    }
                    Modal::ChangedOnDisk(p) => {
                        if ui.button("Overwrite").clicked() {
                            answer = Some(Some(Action::ForceSave(p.clone())));
                        }
                        if ui.button("Save as…").clicked() {
                            answer = Some(Some(Action::Command(AppCommand::SaveAs)));
                        }
                        if ui.button("Cancel").clicked() {
                            answer = Some(None);
                        }
                    }
                    Modal::Replace(p) => {
                        if ui.button("Replace").clicked() {
                            answer = Some(Some(Action::ForceSave(p.clone())));
                        }
                        if ui.button("Cancel").clicked() {
                            answer = Some(None);
                        }
                    }
                    Modal::Recovery { .. } => {
                        if ui.button("Restore").clicked() {
                            answer = Some(Some(Action::Restore));
                        }
                        if ui.button("Discard").clicked() {
                            answer = Some(Some(Action::DiscardRecovery));
                        }
                    }
                    Modal::InUse { path, .. } => {
                        if ui.button("Open read-only").clicked() {
                            answer = Some(Some(Action::OpenReadOnly(path.clone())));
                        }
                        if ui.button("Cancel").clicked() {
                            answer = Some(None);
                        }
                    }
                    Modal::RecoverList => {}
                });
                if matches!(modal, Modal::RecoverList) {
                    row_action = self.recovery_rows(ui);
                }
            });
        if let Some(a) = row_action {
            self.queue.push(a);
        }
        if let Some(a) = answer {
            self.queue.push(Action::Answered(a.map(Box::new)));
        }
    }

    /// The rows of the recovery list (what, where, when, and its buttons); the button clicked.
    fn recovery_rows(&self, ui: &mut egui::Ui) -> Option<Action> {
        let mut clicked = None;
        egui::Grid::new("recovery-list")
            .striped(true)
            .num_columns(3)
            .show(ui, |ui| {
                for (i, entry) in self.files.listed.iter().enumerate() {
                    let f = &entry.found;
                    let spans: usize = f.project.documents.iter().map(|d| d.spans.len()).sum();
                    let place = f
                        .meta
                        .project
                        .as_ref()
                        .map_or_else(|| "untitled".to_owned(), |p| p.display().to_string());
                    ui.label(format!(
                        "{} ({place}): {} document(s), {spans} span(s)",
                        f.project.name,
                        f.project.documents.len()
                    ));
                    ui.label(format!(
                        "autosaved {}",
                        super::recovery::local_time(f.meta.written)
                    ));
                    ui.horizontal(|ui| {
                        let restore = if f.meta.project.is_some() {
                            "Open"
                        } else {
                            "Restore"
                        };
                        if ui.button(restore).clicked() {
                            clicked = Some(Action::RestoreListed(i));
                        }
                        if ui.button("Discard").clicked() {
                            clicked = Some(Action::DiscardListed(i));
                        }
                    });
                    ui.end_row();
                }
            });
        if ui.button("Close").clicked() {
            clicked = Some(Action::CloseRecoveryList);
        }
        clicked
    }

    /// Gives new toasts their time and removes those whose time is up.
    pub(super) fn expire_toasts(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        let toasts = &mut self.dialogs.toasts;
        for t in toasts.iter_mut() {
            if t.until.is_nan() {
                t.until = now
                    + if t.kind == ToastKind::Error {
                        10.0
                    } else {
                        4.0
                    };
            }
        }
        toasts.retain(|t| t.until > now);
        if let Some(next) = toasts.iter().map(|t| t.until).reduce(f64::min) {
            ctx.request_repaint_after(Duration::from_secs_f64((next - now).max(0.05)));
        }
    }

    pub(super) fn toasts_area(&mut self, ctx: &egui::Context) {
        if self.dialogs.toasts.is_empty() {
            return;
        }
        let mut close = None;
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(egui::Align2::RIGHT_BOTTOM, [-16.0, -40.0])
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                for (i, t) in self.dialogs.toasts.iter().enumerate() {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(380.0);
                        ui.horizontal(|ui| {
                            let c = if t.kind == ToastKind::Error {
                                ui.visuals().error_fg_color
                            } else {
                                ui.visuals().text_color()
                            };
                            ui.label(RichText::new(&t.text).color(c));
                            if ui.small_button("x").on_hover_text("Dismiss").clicked() {
                                close = Some(i);
                            }
                        });
                    });
                }
            });
        if let Some(i) = close {
            self.queue.push(Action::DismissToast(i));
        }
    }

    /// Answers a close request (window close button, Quit) at the end of the frame: with unsaved
    /// changes the window stays open and the Save / Discard / Cancel question is asked;
    /// otherwise it closes.
    pub(super) fn handle_close(&mut self, ctx: &egui::Context) {
        if self.shell.closing != Closing::Requested {
            return;
        }
        if self.files.saving.is_some() {
            // Never close with a save half-done: wait for it, then decide again.
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.shell.closing = Closing::SavingThenClose;
            return;
        }
        if self.ws.is_dirty() && self.shell.screenshot.is_none() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            // The close question replaces any other question but a recovery one.
            if matches!(
                self.dialogs.modal,
                Some(Modal::Recovery { .. } | Modal::RecoverList)
            ) {
                self.shell.closing = Closing::Open;
            } else {
                self.files.after_save = None;
                self.dialogs.modal =
                    Some(Modal::Unsaved(Box::new(Action::Command(AppCommand::Quit))));
                self.shell.closing = Closing::Asked;
            }
        } else {
            self.shell.closing = Closing::Allowed;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    pub(super) fn screenshot_step(&mut self, ctx: &egui::Context) {
        let busy = self.dialogs.transfer.busy() || self.compare_busy();
        let Some(shot) = &mut self.shell.screenshot else {
            return;
        };
        ctx.request_repaint();
        if !shot.requested && self.shell.frame_count >= 5 && !busy {
            shot.requested = true;
            let slot = Arc::clone(&shot.result);
            ctx.request_screenshot(move |img| {
                if let Ok(mut s) = slot.lock() {
                    *s = Some(img);
                }
            });
            return;
        }
        let img = shot.result.lock().ok().and_then(|mut s| s.take());
        if let Some(img) = img {
            match write_png(&shot.out, &img) {
                Ok(()) => println!("Saved a screenshot to {}", shot.out.display()),
                Err(e) => eprintln!("error: could not write {}: {e}", shot.out.display()),
            }
            self.shell.closing = Closing::Allowed;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

/// Writes an RGBA image as PNG.
pub fn write_png(path: &Path, img: &egui::ColorImage) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)?;
    let w = std::io::BufWriter::new(file);
    let [width, height] = img.size;
    let mut enc = png::Encoder::new(w, u32::try_from(width)?, u32::try_from(height)?);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    let bytes: Vec<u8> = img.pixels.iter().flat_map(|p| p.to_array()).collect();
    writer.write_image_data(&bytes)?;
    writer.finish()?;
    Ok(())
}

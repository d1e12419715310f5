//! The pieces the training-data dialogs share (File › Export…, File › Import…): what a dialog
//! asks of the app in a frame, what it knows of the app, native file picking with the app's own
//! fallback, and the grids, lists and result headings they draw. A leaf module: it uses nothing
//! of the app but [`Action`].

use super::action::Action;
use egui::{Response, RichText, Ui};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a dialog asks of the app during one frame.
#[derive(Default)]
pub(crate) struct Outbox {
    pub(crate) actions: Vec<Action>,
    pub(crate) notes: Vec<String>,
    pub(crate) errors: Vec<String>,
}

/// What the dialogs know about the app's state.
pub(crate) struct Context<'a> {
    pub(crate) project: &'a spantag_core::model::Project,
    /// Revision of the project ([`spantag_core::history::Workspace::revision`]): equal revisions, equal
    /// content, so caches keyed by it stay valid.
    pub(crate) revision: u64,
    /// Whether native file dialogs may be shown (not in screenshot mode).
    pub(crate) can_browse: bool,
}

/// The result of asking for paths with a native dialog.
pub(crate) enum Picked {
    Chosen(Vec<PathBuf>),
    /// The user closed the dialog.
    Cancelled,
    /// No dialog could be shown (no portal, no zenity): the caller asks in the app instead.
    Unavailable,
}

/// What to ask the native dialog for.
pub(crate) enum PickKind<'a> {
    Files {
        name: &'a str,
        extensions: &'a [&'a str],
    },
    Folder,
    SaveFile {
        file_name: &'a str,
    },
}

/// Shows a native file dialog (blocking, like the rest of the app's dialogs). A dialog that
/// returns at once is taken as "none available", as in [`SpantagApp::pick`].
pub(crate) fn native_pick(kind: PickKind<'_>, dir: Option<&Path>) -> Picked {
    let started = Instant::now();
    let mut dialog = rfd::FileDialog::new();
    if let Some(d) = dir.filter(|d| d.is_dir()) {
        dialog = dialog.set_directory(d);
    }
    let result = match kind {
        PickKind::Files { name, extensions } => dialog.add_filter(name, extensions).pick_files(),
        PickKind::Folder => dialog.pick_folder().map(|p| vec![p]),
        PickKind::SaveFile { file_name } => {
            dialog.set_file_name(file_name).save_file().map(|p| vec![p])
        }
    };
    match result {
        Some(v) if !v.is_empty() => Picked::Chosen(v),
        _ if started.elapsed() < Duration::from_millis(250) => Picked::Unavailable,
        _ => Picked::Cancelled,
    }
}

/// The message shown when no native dialog is available (the path field is the fallback).
pub(crate) const NO_DIALOG: &str = "No file dialog is available here; type the path in the field (several paths separated by ';').";

/// A labelled path field with a button beside it. Returns the field and whether the button was
/// clicked.
pub(crate) fn path_field(
    ui: &mut Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    button: &str,
    focus: bool,
) -> (Response, bool) {
    let mut clicked = false;
    let r = ui
        .horizontal(|ui| {
            let l = ui.label(label);
            let r = ui
                .add(
                    egui::TextEdit::singleline(text)
                        .hint_text(hint)
                        .desired_width((ui.available_width() - 90.0).max(160.0)),
                )
                .labelled_by(l.id);
            if focus {
                r.request_focus();
            }
            clicked = ui.button(button).clicked();
            r
        })
        .inner;
    (r, clicked)
}

/// A dialog window: a scrollable body above a footer that stays in view (the run buttons, the
/// progress bar). Returns `false` once the window's close button was clicked.
pub(crate) fn dialog_window<T>(
    ctx: &egui::Context,
    title: &str,
    size: [f32; 2],
    footer_height: f32,
    state: &mut T,
    body: impl FnOnce(&mut T, &mut Ui),
    footer: impl FnOnce(&mut T, &mut Ui),
) -> bool {
    let mut open = true;
    egui::Window::new(title)
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_size(size)
        .show(ctx, |ui| {
            let height = (ui.available_height() - footer_height).max(120.0);
            egui::ScrollArea::vertical()
                .id_salt(title)
                .max_height(height)
                .auto_shrink([false, false])
                .show(ui, |ui| body(state, ui));
            ui.separator();
            footer(state, ui);
        });
    open
}

/// A result heading that scrolls into view the first time it is shown.
pub(crate) fn result_heading(ui: &mut Ui, text: &str, reveal: &mut bool) {
    let r = ui.label(RichText::new(text).heading());
    if std::mem::take(reveal) {
        r.scroll_to_me(Some(egui::Align::TOP));
    }
}

/// The two-column grid of a dialog's options (a caption, then its widgets).
pub(crate) fn options_grid(ui: &mut Ui, id: &str, add: impl FnOnce(&mut Ui)) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, add);
}

/// The "Format:" row: one radio button a format, and a line about the chosen one.
pub(crate) fn format_row<T: Copy + PartialEq + std::fmt::Display>(
    ui: &mut Ui,
    value: &mut T,
    all: &[T],
    describe: fn(T) -> &'static str,
) {
    ui.label("Format:");
    ui.vertical(|ui| {
        ui.horizontal_wrapped(|ui| {
            for &f in all {
                ui.radio_value(value, f, f.to_string())
                    .on_hover_text(describe(f));
            }
        });
        ui.weak(describe(*value));
    });
    ui.end_row();
}

/// Spans per label as a two-column grid.
pub(crate) fn counts_grid(ui: &mut Ui, id: &str, counts: &BTreeMap<String, usize>) {
    if counts.is_empty() {
        ui.weak("no spans");
        return;
    }
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        for (label, n) in counts {
            ui.label(label);
            ui.label(n.to_string());
            ui.end_row();
        }
    });
}

/// A heading with a count and a scrollable list of every item (e.g. spans that could not be
/// represented, with the reason).
pub(crate) fn item_list(ui: &mut Ui, id: &str, heading: String, items: &[String], warn: bool) {
    if items.is_empty() {
        return;
    }
    let color = if warn {
        ui.visuals().warn_fg_color
    } else {
        ui.visuals().text_color()
    };
    ui.label(RichText::new(heading).color(color).strong());
    // One line an item (scroll sideways for long reasons), drawn only where visible: a summary
    // may list thousands.
    let row = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    let height = (row * items.len() as f32).min(150.0);
    egui::ScrollArea::both()
        .id_salt(id)
        .min_scrolled_height(height)
        .max_height(height)
        .auto_shrink([false, true])
        .show_rows(
            ui,
            row - ui.spacing().item_spacing.y,
            items.len(),
            |ui, range| {
                for i in &items[range] {
                    ui.add(egui::Label::new(format!("• {i}")).extend());
                }
            },
        );
}

/// How a dialog's run ended.
pub(crate) enum Outcome<T> {
    Done(Box<T>),
    Failed(String),
}

/// Shows how the run ended, if it did: `done` draws a success.
pub(crate) fn show_outcome<T>(
    ui: &mut Ui,
    outcome: Option<&Outcome<T>>,
    done: impl FnOnce(&mut Ui, &T),
) {
    let Some(o) = outcome else {
        return;
    };
    ui.separator();
    match o {
        Outcome::Failed(e) => error_text(ui, e),
        Outcome::Done(s) => done(ui, s),
    }
}

/// Where a dialog's own error goes: shown in the dialog in the error colour.
pub(crate) fn error_text(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).color(ui.visuals().error_fg_color));
}

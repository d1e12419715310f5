//! The desktop app (egui + eframe). A thin shell over the core: widgets read the project and push
//! [`Action`]s into a queue; [`SpantagApp::apply_actions`] is the one place that runs them, and
//! every project change goes through [`Workspace::apply`] so it can be undone.

mod agreement_panel;
pub mod article;
pub mod commands;
mod compare;
mod export_dialog;
pub mod fonts;
mod import_dialog;
mod name;
mod review;
pub mod storage;
mod transfer;

use crate::cli::GuiArgs;
use crate::edit::Edit;
use crate::history::Workspace;
use crate::model::{DEFAULT_LABELS, DocState, Project, SpanId};
use crate::project_io;
use article::{ArticleView, ViewInput, short};
use commands::{AppCommand, COMMANDS, MenuGroup, hotkey_key, shortcut_text};
use egui::{Color32, Key, RichText, Ui};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use storage::{Autosaver, FileStamp};

/// The sample project, built into the binary.
pub const SAMPLE_RON: &str = include_str!("../../projects/sample.ron");

/// How often unsaved work is written to the recovery file.
const AUTOSAVE_EVERY: Duration = Duration::from_secs(3);

/// Something a widget asks the app to do. Widgets push these; nothing else changes the state.
#[derive(Debug, Clone)]
pub enum Action {
    Command(AppCommand),
    /// Tag the selection with a label, or relabel the selected span.
    Tag(String),
    OpenDoc(usize),
    SelectSpan {
        id: SpanId,
        scroll: bool,
    },
    SetSelection {
        anchor: usize,
        focus: usize,
    },
    ExtendTo(usize),
    ClickAt {
        char: Option<usize>,
        boundary: usize,
    },
    SetFilter(Option<String>),
    OpenPaths(Vec<PathBuf>),
    AddPaths(Vec<PathBuf>),
    SaveTo(PathBuf),
    /// Save even though the file changed on disk.
    ForceSave(PathBuf),
    /// Close the window now (after the unsaved-changes question was answered).
    CloseNow,
    NewProject,
    Restore,
    DiscardRecovery,
    /// Compare these projects (compare mode).
    Compare(Vec<PathBuf>),
    /// Apply a planned import (File › Import…) as one undoable step.
    ApplyImport {
        description: String,
        edits: Vec<Edit>,
        summary: Box<crate::formats::ImportSummary>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ToastKind {
    Info,
    Error,
}

struct Toast {
    text: String,
    kind: ToastKind,
    until: f64,
}

/// What the path prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PromptKind {
    Open,
    Add,
    SaveAs,
    Compare,
}

struct PathPrompt {
    kind: PromptKind,
    text: String,
}

/// A question the app is waiting for the user to answer.
enum Modal {
    /// Unsaved changes; the action runs after Save or Discard.
    Unsaved(Box<Action>),
    /// The project file changed on disk.
    ChangedOnDisk(PathBuf),
    /// Recovery data found at start-up.
    Recovery { when: String, path: Option<PathBuf> },
}

/// The app: a workspace (project + history) plus view state.
pub struct SpantagApp {
    ws: Workspace,
    annotator: String,
    /// The project file, if the project has one.
    path: Option<PathBuf>,
    stamp: Option<FileStamp>,
    doc: usize,
    /// Text selection as anchor and focus char boundaries (equal = just a caret).
    anchor: usize,
    focus: usize,
    selected_span: Option<SpanId>,
    /// Where the last span click happened, and how many times (to cycle stacked spans).
    last_click: Option<(usize, usize)>,
    filter: Option<String>,
    zoom: f32,
    show_help: bool,
    toasts: Vec<Toast>,
    queue: Vec<Action>,
    article: ArticleView,
    autosaver: Option<Autosaver>,
    last_autosave: Option<Instant>,
    autosaved_revision: Option<u64>,
    autosave_pending: bool,
    prompt: Option<PathPrompt>,
    modal: Option<Modal>,
    recovered: Option<(Project, Option<PathBuf>)>,
    allow_close: bool,
    close_requested: bool,
    /// The app told the window to close (after any unsaved-changes question).
    closing: bool,
    /// What to do once the next save succeeds (e.g. close after "Save" in the unsaved dialog).
    after_save: Option<Action>,
    title: String,
    screenshot: Option<Screenshot>,
    frame_count: u64,
    /// Review mode, compare mode and the agreement window.
    review: review::ReviewUi,
    /// File › Export… and File › Import… dialogs.
    transfer: transfer::Transfer,
    /// The "Your name" window, when open.
    name_dialog: Option<name::NameDialog>,
    /// Open the "Your name" window once the window is up (first start).
    ask_name_at_start: bool,
    /// Where the settings file lives (`None`: names are not remembered, as in tests).
    config_dir: Option<PathBuf>,
    /// Per-label counts and span-list rows of the current document, rebuilt only when the
    /// document, the project revision or the filter changes (not every frame).
    span_view: SpanView,
}

/// What the label bar and the span list show, cached by (document, revision, filter).
#[derive(Default)]
struct SpanView {
    key: Option<(usize, u64, Option<String>)>,
    /// Spans per label, in label-set order.
    counts: Vec<usize>,
    /// Indexes into the document's spans that pass the filter.
    rows: Vec<usize>,
}

struct Screenshot {
    out: PathBuf,
    result: Arc<Mutex<Option<Arc<egui::ColorImage>>>>,
    requested: bool,
}

/// Starts the desktop app.
pub fn run(args: GuiArgs) -> anyhow::Result<crate::cli::Outcome> {
    let size = args.window_size.unwrap_or((1280.0, 800.0));
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([size.0, size.1])
            .with_min_inner_size([480.0, 320.0])
            .with_title("spantag")
            .with_drag_and_drop(true),
        renderer: eframe::Renderer::Glow,
        // eframe's own system-font lookup needs a crate we do not use; ours is `fonts`.
        system_font_fallback: false,
        ..Default::default()
    };
    let app = SpantagApp::from_args(&args);
    eframe::run_native(
        "spantag",
        options,
        Box::new(move |cc| {
            cc.egui_ctx.options_mut(|o| o.zoom_with_keyboard = false);
            fonts::install(&cc.egui_ctx);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))?;
    Ok(crate::cli::Outcome::Ok)
}

/// The bundled sample project.
pub fn sample_project() -> Result<Project, project_io::ProjectError> {
    project_io::from_ron_str(SAMPLE_RON, Path::new("sample.ron"))
}

impl SpantagApp {
    fn with_workspace(ws: Workspace, annotator: String) -> Self {
        SpantagApp {
            ws,
            annotator,
            path: None,
            stamp: None,
            doc: 0,
            anchor: 0,
            focus: 0,
            selected_span: None,
            last_click: None,
            filter: None,
            zoom: 1.0,
            show_help: false,
            toasts: Vec::new(),
            queue: Vec::new(),
            article: ArticleView::default(),
            autosaver: None,
            last_autosave: None,
            autosaved_revision: None,
            autosave_pending: false,
            prompt: None,
            modal: None,
            recovered: None,
            allow_close: false,
            close_requested: false,
            closing: false,
            after_save: None,
            title: String::new(),
            screenshot: None,
            frame_count: 0,
            span_view: SpanView::default(),
            name_dialog: None,
            config_dir: None,
            ask_name_at_start: false,
            review: review::ReviewUi::default(),
            transfer: transfer::Transfer::default(),
        }
    }

    /// An app over `project` (treated as saved, with no file), no autosave, no recovery: for
    /// tests and benchmarks.
    pub fn new_for_test(project: Project, annotator: &str) -> Self {
        let mut app = SpantagApp::with_workspace(Workspace::new(project), annotator.to_owned());
        app.reset_caret();
        app
    }

    /// Like [`SpantagApp::new_for_test`] but with a project file (Save writes it).
    /// Remembers names set in the app in `dir` (the settings folder) instead of nowhere.
    pub fn with_config_dir(mut self, dir: PathBuf) -> Self {
        self.config_dir = Some(dir);
        self
    }

    pub fn new_for_test_with_file(project: Project, annotator: &str, path: PathBuf) -> Self {
        let mut app = SpantagApp::new_for_test(project, annotator);
        app.stamp = FileStamp::of(&path);
        app.path = Some(path);
        app
    }

    /// The app as the command line asks for it.
    pub fn from_args(args: &GuiArgs) -> Self {
        let annotator = storage::resolve_annotator(args.annotator.as_deref());
        let mut app = match sample_project() {
            Ok(p) => SpantagApp::with_workspace(Workspace::new(p), annotator.clone()),
            Err(e) => {
                let mut a = SpantagApp::with_workspace(
                    Workspace::new(Project::new("Untitled", &DEFAULT_LABELS)),
                    annotator.clone(),
                );
                a.toast_error(format!("The bundled sample could not be read: {e}"));
                a
            }
        };
        if !args.paths.is_empty() {
            app.open_paths(&args.paths);
        }
        app.reset_caret();
        app.review_from_args(args);
        app.config_dir = storage::config_dir();
        if args.screenshot.is_none()
            && storage::configured_annotator(args.annotator.as_deref()).is_none()
        {
            app.ask_name_at_start = true;
        }
        if let Some(out) = &args.screenshot {
            app.screenshot = Some(Screenshot {
                out: out.clone(),
                result: Arc::new(Mutex::new(None)),
                requested: false,
            });
            if let Some(scene) = &args.screenshot_dialog {
                app.screenshot_scene(scene);
            }
        } else if let Some(dir) = storage::state_dir() {
            if let Some((project, meta)) = storage::find_recovery(&dir) {
                let when = format_epoch(meta.written);
                app.recovered = Some((project, meta.path.clone()));
                app.modal = Some(Modal::Recovery {
                    when,
                    path: meta.path,
                });
            }
            app.autosaver = Some(Autosaver::start(dir));
        }
        app
    }

    // ----- read-only queries (for tests and the status bar) -----

    /// The project as it is now.
    pub fn project(&self) -> &Project {
        &self.ws.project
    }

    /// Index of the open document.
    pub fn current_doc(&self) -> usize {
        self.doc
    }

    /// The text selection (empty = none).
    pub fn selection(&self) -> Range<usize> {
        self.anchor.min(self.focus)..self.anchor.max(self.focus)
    }

    pub fn selected_span(&self) -> Option<SpanId> {
        self.selected_span
    }

    /// Whether there are unsaved changes.
    pub fn is_dirty(&self) -> bool {
        self.ws.is_dirty()
    }

    /// The window title (with `•` and "unsaved" when there are unsaved changes).
    pub fn window_title(&self) -> String {
        let name = self
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.ws.project.name.clone());
        if self.ws.is_dirty() {
            format!("• {name} (unsaved) — spantag")
        } else {
            format!("{name} — spantag")
        }
    }

    /// Screen rect where character `offset` of the open document was drawn in the last frame.
    pub fn char_rect(&self, offset: usize) -> Option<egui::Rect> {
        self.article.char_rect(offset)
    }

    /// Messages currently shown as toasts.
    pub fn toasts(&self) -> Vec<String> {
        self.toasts.iter().map(|t| t.text.clone()).collect()
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Whether the app has told the window to close (Quit or a window close request, with any
    /// unsaved changes saved or discarded).
    pub fn is_closing(&self) -> bool {
        self.closing
    }

    fn doc_id(&self) -> Option<String> {
        self.ws
            .project
            .documents
            .get(self.doc)
            .map(|d| d.id.clone())
    }

    fn reset_caret(&mut self) {
        let first = self
            .ws
            .project
            .documents
            .get(self.doc)
            .and_then(|d| d.index().tokens().first().map(|t| t.start))
            .unwrap_or(0);
        self.anchor = first;
        self.focus = first;
        self.selected_span = None;
        self.last_click = None;
    }

    fn toast(&mut self, text: impl Into<String>) {
        self.toasts.push(Toast {
            text: text.into(),
            kind: ToastKind::Info,
            until: f64::NAN,
        });
    }

    fn toast_error(&mut self, text: impl Into<String>) {
        self.toasts.push(Toast {
            text: text.into(),
            kind: ToastKind::Error,
            until: f64::NAN,
        });
    }

    /// Runs one frame of the whole UI inside `ui`.
    pub fn show(&mut self, ui: &mut Ui) {
        self.frame_count += 1;
        let ctx = ui.ctx().clone();
        if ctx.input(|i| i.viewport().close_requested()) {
            self.close_requested = true;
        }
        self.handle_keys(&ctx);
        self.handle_dropped(&ctx);
        self.menu_bar(ui);
        self.label_bar(ui);
        self.status_bar(ui);
        self.doc_list(ui);
        if !self.review_panels(ui) {
            self.span_list(ui);
        }
        egui::CentralPanel::default().show(ui, |ui| self.article_panel(ui));
        self.help_window(&ctx);
        self.review_windows(&ctx);
        self.prompt_window(&ctx);
        // Not in the first frames: a text field that takes the keyboard before the window is
        // shown leaves X11 input dead under some setups (seen under Xvfb).
        if self.ask_name_at_start && self.frame_count <= 10 {
            // Keep frames coming until then, even with no input.
            ctx.request_repaint();
        } else if self.ask_name_at_start {
            self.ask_name_at_start = false;
            let suggested = std::env::var("USER").unwrap_or_default();
            self.name_dialog = Some(name::NameDialog::new(suggested.trim(), true));
        }
        self.name_window(&ctx);
        self.transfer_windows(&ctx);
        self.modal_window(&ctx);
        self.toasts_area(&ctx);
        self.apply_actions();
        self.handle_close(&ctx);
        self.autosave();
        let title = self.window_title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    // ----- input -----

    fn handle_keys(&mut self, ctx: &egui::Context) {
        // The only text field is the path prompt; egui also counts a focused button as wanting
        // the keyboard, which must not block shortcuts.
        let typing = self.prompt.is_some()
            || self.name_dialog.is_some()
            || self.review_typing(ctx)
            || self.transfer.is_open();
        let mut fired = Vec::new();
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
                for c in COMMANDS {
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
                    for l in &self.ws.project.labels {
                        if l.hotkey.and_then(hotkey_key) == Some(*key) {
                            fired.push(Action::Tag(l.name.clone()));
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

    fn handle_dropped(&mut self, ctx: &egui::Context) {
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

    // ----- panels -----

    fn menu_bar(&mut self, ui: &mut Ui) {
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                for (group, title) in [
                    (MenuGroup::File, "File"),
                    (MenuGroup::Edit, "Edit"),
                    (MenuGroup::Navigate, "Navigate"),
                    (MenuGroup::View, "View"),
                    (MenuGroup::Review, "Review"),
                    (MenuGroup::Help, "Help"),
                ] {
                    ui.menu_button(title, |ui| {
                        for c in COMMANDS.iter().filter(|c| c.menu == group) {
                            let sc = c.shortcuts.first().map(shortcut_text).unwrap_or_default();
                            let enabled = match c.command {
                                AppCommand::Undo => self.ws.can_undo(),
                                AppCommand::Redo => self.ws.can_redo(),
                                c => self.review_key_active(c),
                            };
                            let b = egui::Button::new(c.name).shortcut_text(sc);
                            if ui.add_enabled(enabled, b).on_hover_text(c.help).clicked() {
                                self.queue.push(Action::Command(c.command));
                                ui.close();
                            }
                        }
                    });
                }
            });
        });
    }

    fn label_bar(&mut self, ui: &mut Ui) {
        egui::Panel::top("labels").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Labels:");
                self.refresh_span_view();
                for (l, &count) in self.ws.project.labels.iter().zip(&self.span_view.counts) {
                    let c = Color32::from_rgb(l.color.0[0], l.color.0[1], l.color.0[2]);
                    let key = l.hotkey.map(|k| format!("{k} ")).unwrap_or_default();
                    let text = RichText::new(format!("{key}{} ({count})", l.name))
                        .color(c)
                        .strong();
                    let b = egui::Button::new(text).stroke(egui::Stroke::new(1.5, c));
                    let tip = format!("Tag the selection as {} (key {})", l.name, key.trim());
                    if ui.add(b).on_hover_text(tip).clicked() {
                        self.queue.push(Action::Tag(l.name.clone()));
                    }
                }
                ui.separator();
                if ui
                    .button(format!("Annotator: {}", self.annotator))
                    .on_hover_text("Change the name recorded on new spans (Edit › Your name…)")
                    .clicked()
                {
                    self.queue.push(Action::Command(AppCommand::SetName));
                }
            });
        });
    }

    fn status_bar(&mut self, ui: &mut Ui) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let doc = self.ws.project.documents.get(self.doc);
                let sel = self.selection();
                if let (Some(d), Some(id)) = (doc, self.selected_span)
                    && let Some(s) = d.span(id)
                {
                    ui.label(format!(
                        "Span {} {}..{} “{}” by {}",
                        s.label,
                        s.start,
                        s.end,
                        short(&s.text, 50),
                        s.author
                    ));
                } else if let Some(d) = doc
                    && !sel.is_empty()
                {
                    ui.label(format!(
                        "Selection {}..{} “{}”",
                        sel.start,
                        sel.end,
                        short(d.slice(sel.start, sel.end).unwrap_or(""), 50)
                    ));
                } else {
                    ui.label(format!("Caret at {}", self.focus));
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let n = self.ws.project.documents.len();
                    ui.label(format!("Document {} of {n}", (self.doc + 1).min(n)));
                    ui.separator();
                    let state = if !self.ws.is_dirty() {
                        "Saved".to_owned()
                    } else if self.autosaved_revision == Some(self.ws.revision()) {
                        "Unsaved changes (autosaved)".to_owned()
                    } else {
                        "Unsaved changes".to_owned()
                    };
                    ui.label(state);
                });
            });
        });
    }

    fn doc_list(&mut self, ui: &mut Ui) {
        let notes = self.review_doc_notes();
        egui::Panel::left("documents")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| {
                ui.heading("Documents");
                let docs = &self.ws.project.documents;
                let row_h = 2.0 * ui.text_style_height(&egui::TextStyle::Body)
                    + 2.0 * ui.spacing().button_padding.y;
                let mut open = None;
                // Only the visible rows are built: listing 10,000 documents costs tens of
                // milliseconds per frame.
                egui::ScrollArea::vertical().id_salt("doc-list").show_rows(
                    ui,
                    row_h,
                    docs.len(),
                    |ui, rows| {
                        for i in rows {
                            let Some(d) = docs.get(i) else {
                                continue;
                            };
                            let state = match d.state() {
                                DocState::Untouched => "untouched",
                                DocState::InProgress => "in progress",
                                DocState::Done => "done",
                            };
                            // The review or compare note (" · 5 unresolved") before the state, so
                            // a narrow panel cuts the state first.
                            let n = d.spans.len();
                            let detail = format!(
                                "{n} span{}{} · {state}",
                                if n == 1 { "" } else { "s" },
                                notes.get(i).map_or("", String::as_str)
                            );
                            let title = short(&d.title, 40);
                            if doc_row(ui, i == self.doc, &title, &detail, row_h).clicked() {
                                open = Some(i);
                            }
                        }
                    },
                );
                if let Some(i) = open {
                    self.queue.push(Action::OpenDoc(i));
                }
            });
    }

    /// Rebuilds [`SpanView`] if the document, the revision or the filter changed.
    fn refresh_span_view(&mut self) {
        let key = Some((self.doc, self.ws.revision(), self.filter.clone()));
        if self.span_view.key == key {
            return;
        }
        let labels = &self.ws.project.labels;
        let mut counts = vec![0; labels.len()];
        let mut rows = Vec::new();
        if let Some(d) = self.ws.project.documents.get(self.doc) {
            for (i, s) in d.spans.iter().enumerate() {
                if let Some(k) = labels.iter().position(|l| l.name == s.label) {
                    counts[k] += 1;
                }
                if self.filter.as_deref().is_none_or(|f| f == s.label) {
                    rows.push(i);
                }
            }
        }
        self.span_view = SpanView { key, counts, rows };
    }

    fn span_list(&mut self, ui: &mut Ui) {
        egui::Panel::right("spans")
            .resizable(true)
            .default_size(260.0)
            .show(ui, |ui| {
                ui.heading("Spans");
                self.refresh_span_view();
                let Some(doc) = self.ws.project.documents.get(self.doc) else {
                    return;
                };
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .selectable_label(self.filter.is_none(), "all")
                        .on_hover_text("Show spans of every label")
                        .clicked()
                    {
                        self.queue.push(Action::SetFilter(None));
                    }
                    for l in &self.ws.project.labels {
                        let on = self.filter.as_deref() == Some(l.name.as_str());
                        if ui
                            .selectable_label(on, l.name.as_str())
                            .on_hover_text(format!("Show only {} spans", l.name))
                            .clicked()
                        {
                            self.queue
                                .push(Action::SetFilter((!on).then(|| l.name.clone())));
                        }
                    }
                });
                ui.separator();
                let rows = &self.span_view.rows;
                let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
                egui::ScrollArea::vertical()
                    .id_salt("span-list")
                    .auto_shrink([false, false])
                    .show_rows(ui, row_h, rows.len(), |ui, range| {
                        for &i in &rows[range] {
                            let s = &doc.spans[i];
                            let selected = self.selected_span == Some(s.id);
                            let r = ui.selectable_label(
                                selected,
                                format!("{}: {}", s.label, short(&s.text, 40)),
                            );
                            if r.clicked() {
                                self.queue.push(Action::SelectSpan {
                                    id: s.id,
                                    scroll: true,
                                });
                            }
                        }
                    });
            });
    }

    fn article_panel(&mut self, ui: &mut Ui) {
        let Some(doc) = self.ws.project.documents.get(self.doc) else {
            ui.centered_and_justified(|ui| {
                ui.label(
                    "No documents. Use File › Add articles (Ctrl+Shift+O) or drop files here.",
                );
            });
            return;
        };
        let sel = self.selection();
        let input = ViewInput {
            doc,
            labels: &self.ws.project.labels,
            selection: (!sel.is_empty()).then_some(sel),
            caret: self.focus,
            selected_span: self.selected_span,
            zoom: self.zoom,
        };
        let actions = self.article.show(ui, &input);
        self.queue.extend(actions);
    }

    fn help_window(&mut self, ctx: &egui::Context) {
        if !self.show_help {
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
                        for c in COMMANDS {
                            let keys: Vec<String> = c.shortcuts.iter().map(shortcut_text).collect();
                            ui.label(RichText::new(keys.join(", ")).monospace());
                            ui.label(c.name);
                            ui.weak(c.help);
                            ui.end_row();
                        }
                        for l in &self.ws.project.labels {
                            if let Some(k) = l.hotkey {
                                ui.label(RichText::new(k.to_string()).monospace());
                                ui.label(format!("Tag as {}", l.name));
                                ui.weak("Tags the selection, or relabels the selected span");
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
            self.show_help = false;
        }
    }

    fn name_window(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.name_dialog else {
            return;
        };
        match dialog.show(ctx) {
            Some(name::NameOutcome::Set(n)) => {
                self.name_dialog = None;
                let saved = match &self.config_dir {
                    Some(dir) => {
                        let mut settings = storage::load_settings_from(dir);
                        settings.annotator = Some(n.clone());
                        storage::save_settings(dir, &settings).map(|_| ())
                    }
                    None => Err("no settings folder (set HOME or SPANTAG_CONFIG_DIR)".to_owned()),
                };
                match saved {
                    Ok(()) => self.toast(format!("New spans and reviews are recorded as {n}")),
                    Err(e) => self.toast_error(format!(
                        "New spans are recorded as {n}, but the name could not be saved for next time: {e}"
                    )),
                }
                self.annotator = n;
            }
            Some(name::NameOutcome::Cancel) => self.name_dialog = None,
            None => {}
        }
    }

    fn prompt_window(&mut self, ctx: &egui::Context) {
        let Some(prompt) = &mut self.prompt else {
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
                let kind = prompt.kind;
                self.prompt = None;
                if paths.is_empty() {
                    return;
                }
                match kind {
                    PromptKind::Open => self.queue.push(Action::OpenPaths(paths)),
                    PromptKind::Add => self.queue.push(Action::AddPaths(paths)),
                    PromptKind::Compare => self.queue.push(Action::Compare(paths)),
                    PromptKind::SaveAs => {
                        let mut p = paths[0].clone();
                        if p.extension().is_none() {
                            p.set_extension("ron");
                        }
                        self.queue.push(Action::SaveTo(p));
                    }
                }
            }
            Some(false) => {
                self.prompt = None;
                self.after_save = None;
            }
            None => {}
        }
    }

    fn modal_window(&mut self, ctx: &egui::Context) {
        let Some(modal) = &self.modal else {
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
            Modal::Recovery { when, path } => (
                "Restore unsaved work?",
                format!(
                    "spantag found work that was not saved (autosaved {when}{}). Restore it?",
                    path.as_ref()
                        .map(|p| format!(", project {}", p.display()))
                        .unwrap_or_default()
                ),
            ),
        };
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
                            self.after_save = Some((**then).clone());
                            answer = Some(Some(Action::Command(AppCommand::Save)));
                        }
                        if ui.button("Discard").clicked() {
                            if let Some(a) = &self.autosaver {
                                a.clear();
                            }
                            self.ws.mark_saved(self.ws.revision());
                            answer = Some(Some((**then).clone()));
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
                            self.after_save = None;
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
                });
            });
        if let Some(a) = answer {
            self.modal = None;
            if let Some(a) = a {
                self.queue.push(a);
            }
        }
    }

    fn toasts_area(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        for t in &mut self.toasts {
            if t.until.is_nan() {
                t.until = now
                    + if t.kind == ToastKind::Error {
                        10.0
                    } else {
                        4.0
                    };
            }
        }
        self.toasts.retain(|t| t.until > now);
        if self.toasts.is_empty() {
            return;
        }
        if let Some(next) = self.toasts.iter().map(|t| t.until).reduce(f64::min) {
            ctx.request_repaint_after(Duration::from_secs_f64((next - now).max(0.05)));
        }
        let mut close = None;
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(egui::Align2::RIGHT_BOTTOM, [-16.0, -40.0])
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                for (i, t) in self.toasts.iter().enumerate() {
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
            self.toasts.remove(i);
        }
    }

    // ----- the one place that changes state -----

    fn apply_actions(&mut self) {
        let mut guard = 0;
        while !self.queue.is_empty() && guard < 64 {
            guard += 1;
            let actions = std::mem::take(&mut self.queue);
            for a in actions {
                self.apply_action(a);
            }
        }
    }

    /// Applies edits as one undoable step; reports failures as toasts.
    fn edit(&mut self, description: &str, edits: Vec<Edit>) -> bool {
        match self.ws.apply(description, edits) {
            Ok(()) => true,
            Err(e) => {
                self.toast_error(format!("{description}: {e}"));
                false
            }
        }
    }

    fn apply_action(&mut self, action: Action) {
        match action {
            Action::Command(c) => self.run_command(c),
            Action::Tag(label) => self.tag(&label),
            Action::OpenDoc(i) => {
                if i < self.ws.project.documents.len() {
                    self.doc = i;
                    self.reset_caret();
                    self.article.scroll_target = Some(self.anchor);
                }
            }
            Action::SelectSpan { id, scroll } => {
                if let Some(d) = self.ws.project.documents.get(self.doc)
                    && let Some(s) = d.span(id)
                {
                    self.selected_span = Some(id);
                    self.anchor = s.start;
                    self.focus = s.start;
                    if scroll {
                        self.article.scroll_target = Some(s.start);
                    }
                }
            }
            Action::SetSelection { anchor, focus } => {
                self.anchor = anchor;
                self.focus = focus;
                self.selected_span = None;
                self.last_click = None;
            }
            Action::ExtendTo(b) => {
                let Some(d) = self.ws.project.documents.get(self.doc) else {
                    return;
                };
                let a = self.anchor;
                let (lo, hi) = (a.min(b), a.max(b));
                if let Some(r) = d.index().snap_to_tokens(lo..hi) {
                    if b >= a {
                        self.anchor = r.start;
                        self.focus = r.end;
                    } else {
                        self.anchor = r.end;
                        self.focus = r.start;
                    }
                }
                self.selected_span = None;
            }
            Action::ClickAt { char, boundary } => self.click_at(char, boundary),
            Action::SetFilter(f) => self.filter = f,
            Action::OpenPaths(p) => {
                if self.ws.is_dirty() {
                    self.modal = Some(Modal::Unsaved(Box::new(Action::OpenPaths(p))));
                } else {
                    self.open_paths(&p);
                }
            }
            Action::AddPaths(p) => self.add_paths(&p),
            Action::Compare(p) => {
                if self.ws.is_dirty() {
                    self.modal = Some(Modal::Unsaved(Box::new(Action::Compare(p))));
                } else {
                    self.open_compare(&p);
                }
            }
            Action::SaveTo(p) => self.save_to(p, false),
            Action::ForceSave(p) => self.save_to(p, true),
            Action::CloseNow => {
                self.allow_close = true;
                self.queue.clear();
                self.close_requested = true;
            }
            Action::NewProject => {
                if self.ws.is_dirty() {
                    self.modal = Some(Modal::Unsaved(Box::new(Action::NewProject)));
                } else {
                    self.replace_workspace(
                        Workspace::new_unsaved(Project::new("Untitled", &DEFAULT_LABELS)),
                        None,
                    );
                }
            }
            Action::Restore => {
                if let Some((p, path)) = self.recovered.take() {
                    self.replace_workspace(Workspace::new_unsaved(p), path);
                    self.toast("Restored the unsaved work. Save it to keep it.");
                }
            }
            Action::ApplyImport {
                description,
                edits,
                summary,
            } => self.apply_import(&description, edits, *summary),
            Action::DiscardRecovery => {
                self.recovered = None;
                if let Some(a) = &self.autosaver {
                    a.clear();
                }
            }
        }
    }

    fn replace_workspace(&mut self, ws: Workspace, path: Option<PathBuf>) {
        self.ws = ws;
        self.span_view = SpanView::default();
        self.stamp = path.as_deref().and_then(FileStamp::of);
        self.path = path;
        self.doc = 0;
        self.filter = None;
        self.autosaved_revision = None;
        self.article = ArticleView::default();
        self.review_reset();
        self.reset_caret();
    }

    fn run_command(&mut self, c: AppCommand) {
        let doc_id = self.doc_id();
        match c {
            AppCommand::New => self.queue.push(Action::NewProject),
            AppCommand::Open => {
                if let Some(paths) = self.pick(PromptKind::Open) {
                    self.queue.push(Action::OpenPaths(paths));
                }
            }
            AppCommand::AddArticles => {
                if let Some(paths) = self.pick(PromptKind::Add) {
                    self.queue.push(Action::AddPaths(paths));
                }
            }
            AppCommand::Save => match self.path.clone() {
                Some(p) => self.save_to(p, false),
                None => self.run_command(AppCommand::SaveAs),
            },
            AppCommand::SaveAs => match self.pick(PromptKind::SaveAs) {
                Some(mut paths) if !paths.is_empty() => {
                    let p = paths.swap_remove(0);
                    self.save_to(p, true);
                }
                _ => {
                    if self.prompt.is_none() {
                        self.after_save = None;
                    }
                }
            },
            AppCommand::Quit => {
                self.close_requested = true;
            }
            AppCommand::Export => self.open_export_dialog(),
            AppCommand::Import => self.open_import_dialog(),
            AppCommand::Undo => match self.ws.undo() {
                Some(d) => {
                    self.after_history();
                    self.review_follow_history(true);
                    self.toast(format!("Undid: {d}"));
                }
                None => self.toast("Nothing to undo"),
            },
            AppCommand::SetName => {
                self.name_dialog = Some(name::NameDialog::new(&self.annotator, false));
            }
            AppCommand::Redo => match self.ws.redo() {
                Some(d) => {
                    self.after_history();
                    self.review_follow_history(false);
                    self.toast(format!("Redid: {d}"));
                }
                None => self.toast("Nothing to redo"),
            },
            AppCommand::MarkDoneAndNext => {
                if let Some(doc) = doc_id {
                    if !self.ws.project.documents[self.doc].done {
                        self.edit("Mark done", vec![Edit::SetDone { doc, done: true }]);
                    }
                    if self.doc + 1 < self.ws.project.documents.len() {
                        self.queue.push(Action::OpenDoc(self.doc + 1));
                    }
                }
            }
            AppCommand::NextDocument => {
                if self.doc + 1 < self.ws.project.documents.len() {
                    self.queue.push(Action::OpenDoc(self.doc + 1));
                }
            }
            AppCommand::PreviousDocument => {
                if self.doc > 0 {
                    self.queue.push(Action::OpenDoc(self.doc - 1));
                }
            }
            AppCommand::ZoomIn => self.zoom = (self.zoom + 0.1).min(2.5),
            AppCommand::ZoomOut => self.zoom = (self.zoom - 0.1).max(0.6),
            AppCommand::ZoomReset => self.zoom = 1.0,
            AppCommand::ToggleHelp => self.show_help = !self.show_help,
            AppCommand::ClearSelection => {
                if self.prompt.is_some() {
                    self.prompt = None;
                } else if self.show_help {
                    self.show_help = false;
                } else {
                    self.anchor = self.focus;
                    self.selected_span = None;
                    self.last_click = None;
                }
            }
            AppCommand::CaretLeft | AppCommand::CaretRight => {
                let Some(d) = self.ws.project.documents.get(self.doc) else {
                    return;
                };
                let toks = d.index().tokens();
                let at = self.focus;
                let next = if c == AppCommand::CaretRight {
                    let i = toks.partition_point(|t| t.start <= at);
                    toks.get(i).map(|t| t.start)
                } else {
                    let i = toks.partition_point(|t| t.start < at);
                    i.checked_sub(1).and_then(|i| toks.get(i)).map(|t| t.start)
                };
                if let Some(n) = next {
                    self.anchor = n;
                    self.focus = n;
                    self.selected_span = None;
                    self.article.scroll_target = Some(n);
                }
            }
            AppCommand::ExtendLeft | AppCommand::ExtendRight => {
                let Some(d) = self.ws.project.documents.get(self.doc) else {
                    return;
                };
                let toks = d.index().tokens();
                let at = self.focus;
                let next = if c == AppCommand::ExtendRight {
                    let i = toks.partition_point(|t| t.end <= at);
                    toks.get(i).map(|t| t.end)
                } else {
                    let i = toks.partition_point(|t| t.start < at);
                    i.checked_sub(1).and_then(|i| toks.get(i)).map(|t| t.start)
                };
                if let Some(n) = next {
                    if self.selected_span.take().is_some() {
                        self.anchor = self.focus;
                    }
                    self.focus = n;
                    self.article.scroll_target = Some(n);
                }
            }
            AppCommand::NextSpan | AppCommand::PreviousSpan => {
                let Some(d) = self.ws.project.documents.get(self.doc) else {
                    return;
                };
                if d.spans.is_empty() {
                    return;
                }
                let cur = self.selected_span.and_then(|id| d.span_index(id));
                let n = d.spans.len();
                let i = match (cur, c == AppCommand::NextSpan) {
                    (Some(i), true) => (i + 1) % n,
                    (Some(i), false) => (i + n - 1) % n,
                    (None, true) => d.spans.partition_point(|s| s.start < self.focus) % n,
                    (None, false) => {
                        (d.spans.partition_point(|s| s.start < self.focus) + n - 1) % n
                    }
                };
                let id = d.spans[i].id;
                self.queue.push(Action::SelectSpan { id, scroll: true });
            }
            AppCommand::DeleteSpan => {
                if let (Some(doc), Some(span)) = (doc_id, self.selected_span)
                    && self.edit("Delete span", vec![Edit::RemoveSpan { doc, span }])
                {
                    self.selected_span = None;
                }
            }
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
        }
    }

    fn move_boundary(&mut self, c: AppCommand) {
        let (Some(doc), Some(id)) = (self.doc_id(), self.selected_span) else {
            self.toast("Select a span first (click it, or Tab)");
            return;
        };
        let Some(d) = self.ws.project.documents.get(self.doc) else {
            return;
        };
        let Some(s) = d.span(id) else {
            return;
        };
        let toks = d.index().tokens();
        let (mut start, mut end) = (s.start, s.end);
        match c {
            AppCommand::StartLeft => {
                let i = toks.partition_point(|t| t.start < start);
                if let Some(t) = i.checked_sub(1).and_then(|i| toks.get(i)) {
                    start = t.start;
                }
            }
            AppCommand::StartRight => {
                let i = toks.partition_point(|t| t.start <= start);
                if let Some(t) = toks.get(i).filter(|t| t.start < end) {
                    start = t.start;
                }
            }
            AppCommand::EndLeft => {
                let i = toks.partition_point(|t| t.end < end);
                if let Some(t) = i
                    .checked_sub(1)
                    .and_then(|i| toks.get(i))
                    .filter(|t| t.end > start)
                {
                    end = t.end;
                }
            }
            _ => {
                let i = toks.partition_point(|t| t.end <= end);
                if let Some(t) = toks.get(i) {
                    end = t.end;
                }
            }
        }
        if (start, end) != (s.start, s.end) {
            let edits = vec![Edit::Resize {
                doc: doc.clone(),
                span: id,
                start,
                end,
            }];
            let edits = self.review_marked(&doc, id, edits);
            self.edit("Resize span", edits);
        }
    }

    /// Keeps the view consistent after undo/redo (the selected span may be gone).
    fn after_history(&mut self) {
        if self.doc >= self.ws.project.documents.len() {
            self.doc = self.ws.project.documents.len().saturating_sub(1);
        }
        if let Some(id) = self.selected_span
            && self
                .ws
                .project
                .documents
                .get(self.doc)
                .and_then(|d| d.span(id))
                .is_none()
        {
            self.selected_span = None;
        }
    }

    fn tag(&mut self, label: &str) {
        let Some(doc) = self.doc_id() else {
            return;
        };
        let sel = self.selection();
        if !sel.is_empty() {
            let span =
                match self
                    .ws
                    .project
                    .make_span(&doc, sel.start, sel.end, label, &self.annotator)
                {
                    Ok(s) => s,
                    Err(e) => {
                        self.toast_error(format!("Could not tag: {e}"));
                        return;
                    }
                };
            let id = span.id;
            if self.edit(&format!("Tag {label}"), vec![Edit::AddSpan { doc, span }]) {
                // Collapse the selection to a caret after the new span, ready for the next one.
                self.anchor = sel.end;
                self.focus = sel.end;
                self.selected_span = None;
                let _ = id;
            }
        } else if let Some(span) = self.selected_span {
            let same = self
                .ws
                .project
                .documents
                .get(self.doc)
                .and_then(|d| d.span(span))
                .is_some_and(|s| s.label == label);
            if !same {
                let edits = vec![Edit::Relabel {
                    doc: doc.clone(),
                    span,
                    label: label.to_owned(),
                }];
                let edits = self.review_marked(&doc, span, edits);
                self.edit(&format!("Relabel as {label}"), edits);
            }
        } else {
            self.toast("Select some text first (drag, double-click, or Shift+arrows)");
        }
    }

    fn click_at(&mut self, char: Option<usize>, boundary: usize) {
        let Some(d) = self.ws.project.documents.get(self.doc) else {
            return;
        };
        if let Some(c) = char {
            let stacked: Vec<SpanId> = d.spans_at(c).map(|s| s.id).collect();
            if !stacked.is_empty() {
                // Repeated clicks on the same spot cycle through the stacked spans.
                let n = match self.last_click {
                    Some((at, n)) if at == c && self.selected_span.is_some() => n + 1,
                    _ => 0,
                };
                self.last_click = Some((c, n));
                let id = stacked[n % stacked.len()];
                self.selected_span = Some(id);
                self.anchor = boundary;
                self.focus = boundary;
                return;
            }
        }
        self.last_click = None;
        self.selected_span = None;
        self.anchor = boundary;
        self.focus = boundary;
    }

    // ----- files -----

    /// Asks for paths with the native dialog, or the app's own prompt when none can be shown.
    fn pick(&mut self, kind: PromptKind) -> Option<Vec<PathBuf>> {
        if self.screenshot.is_some() {
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
            let text = match (kind, &self.path) {
                (PromptKind::SaveAs, Some(p)) => p.display().to_string(),
                _ => std::env::current_dir()
                    .map(|d| format!("{}/", d.display()))
                    .unwrap_or_default(),
            };
            self.prompt = Some(PathPrompt { kind, text });
        }
        result
    }

    fn open_paths(&mut self, paths: &[PathBuf]) {
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

    fn add_paths(&mut self, paths: &[PathBuf]) {
        let mut edits = Vec::new();
        let mut scratch = self.ws.project.clone();
        let mut errors = Vec::new();
        for p in paths {
            if is_project_file(p) {
                errors.push(format!("{}: is a project; use Open", p.display()));
                continue;
            }
            match crate::import::read_article(p, &crate::import::ImportOptions::default()) {
                Ok(decoded) => {
                    let doc = crate::import::make_document(&scratch, p, decoded);
                    let index = scratch.documents.len();
                    let e = Edit::AddDocument {
                        index,
                        document: Box::new(doc),
                    };
                    if let Ok(inv) = scratch.apply(e.clone()) {
                        let _ = inv;
                        edits.push(e);
                    }
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        let n = edits.len();
        let first_new = self.ws.project.documents.len();
        if n > 0 && self.edit(&format!("Add {n} article(s)"), edits) {
            self.toast(format!("Added {n} article(s)"));
            self.queue.push(Action::OpenDoc(first_new));
        }
        for e in errors {
            self.toast_error(e);
        }
    }

    fn save_to(&mut self, path: PathBuf, force: bool) {
        let same_file = self.path.as_deref() == Some(path.as_path());
        if !force
            && same_file
            && let Some(stamp) = &self.stamp
            && path.exists()
            && !stamp.matches(&path)
        {
            self.modal = Some(Modal::ChangedOnDisk(path));
            return;
        }
        let rev = self.ws.revision();
        match project_io::save(&mut self.ws.project, &path) {
            Ok(()) => {
                self.ws.mark_saved(rev);
                self.stamp = FileStamp::of(&path);
                self.path = Some(path.clone());
                if let Some(a) = &self.autosaver {
                    a.clear();
                }
                self.autosaved_revision = None;
                self.toast(format!("Saved {}", path.display()));
                if let Some(a) = self.after_save.take() {
                    self.queue.push(a);
                }
            }
            Err(e) => {
                // Whatever was to follow the save (e.g. closing) must not happen later.
                self.after_save = None;
                self.toast_error(format!("Could not save: {e}"));
            }
        }
    }

    fn autosave(&mut self) {
        let Some(saver) = &self.autosaver else {
            return;
        };
        for done in saver.finished() {
            match done.result {
                Ok(()) => self.autosaved_revision = Some(done.revision),
                Err(e) => {
                    self.toasts.push(Toast {
                        text: format!("Autosave failed: {e}"),
                        kind: ToastKind::Error,
                        until: f64::NAN,
                    });
                }
            }
            self.autosave_pending = false;
        }
        if !self.ws.is_dirty() || self.autosaved_revision == Some(self.ws.revision()) {
            return;
        }
        let due = self
            .last_autosave
            .is_none_or(|t| t.elapsed() >= AUTOSAVE_EVERY);
        if due && !self.autosave_pending {
            saver.save(
                self.ws.project.clone(),
                self.path.clone(),
                self.ws.revision(),
            );
            self.last_autosave = Some(Instant::now());
            self.autosave_pending = true;
        }
    }

    /// The autosave directory, if autosave is on.
    pub fn recovery_dir(&self) -> Option<&Path> {
        self.autosaver.as_ref().map(Autosaver::dir)
    }
}

fn is_project_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("ron"))
}

fn format_epoch(secs: u64) -> String {
    let ts = crate::time::Timestamp(i64::try_from(secs).unwrap_or(0));
    ts.to_string()
}

/// One row of the document list: a selectable box with two single-line texts (the title and
/// `detail`), cut with "…" when the panel is narrow, so that every row has the same height.
fn doc_row(ui: &mut Ui, selected: bool, title: &str, detail: &str, height: f32) -> egui::Response {
    let size = egui::vec2(ui.available_width(), height);
    let (rect, r) = ui.allocate_exact_size(size, egui::Sense::click());
    r.widget_info(|| {
        egui::WidgetInfo::selected(
            egui::Role::Button,
            true,
            selected,
            format!("{title}\n{detail}"),
        )
    });
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact_selectable(&r, selected);
        if selected || r.hovered() || r.has_focus() {
            ui.painter()
                .rect_filled(rect, visuals.corner_radius, visuals.weak_bg_fill);
        }
        let pad = ui.spacing().button_padding;
        let width = (rect.width() - 2.0 * pad.x).max(0.0);
        let mut y = rect.top() + pad.y;
        for text in [title, detail] {
            let galley = egui::WidgetText::from(text).into_galley(
                ui,
                Some(egui::TextWrapMode::Truncate),
                width,
                egui::TextStyle::Body,
            );
            let h = galley.size().y;
            let at = egui::pos2(rect.left() + pad.x, y);
            ui.painter().galley(at, galley, visuals.text_color());
            y += h;
        }
    }
    r
}

impl eframe::App for SpantagApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.show(ui);
        self.screenshot_step(&ctx);
        // Keep frames coming while an autosave is due.
        if self.autosaver.is_some() && self.ws.is_dirty() {
            ctx.request_repaint_after(Duration::from_millis(500));
        }
    }
}

impl SpantagApp {
    /// Answers a close request (window close button, Quit): with unsaved changes the window stays
    /// open and the Save / Discard / Cancel question is asked; otherwise it closes.
    fn handle_close(&mut self, ctx: &egui::Context) {
        if !std::mem::take(&mut self.close_requested) {
            return;
        }
        if self.ws.is_dirty() && !self.allow_close && self.screenshot.is_none() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            // The close question replaces any other question but the start-up recovery one.
            if !matches!(self.modal, Some(Modal::Recovery { .. })) {
                self.after_save = None;
                self.modal = Some(Modal::Unsaved(Box::new(Action::CloseNow)));
            }
        } else {
            self.allow_close = true;
            self.closing = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn screenshot_step(&mut self, ctx: &egui::Context) {
        let busy = self.transfer.busy() || self.compare_busy();
        let Some(shot) = &mut self.screenshot else {
            return;
        };
        ctx.request_repaint();
        if !shot.requested && self.frame_count >= 5 && !busy {
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
            self.allow_close = true;
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

//! The desktop app (egui + eframe). A thin shell over the core: widgets read the project and push
//! [`Action`]s into a queue; [`SpantagApp::apply_actions`] is the one place that runs them, and
//! every project change goes through [`Workspace::apply`] so it can be undone.
//!
//! This file holds the state, the key handling and that one place; `panels` draws the panels,
//! `windows` the windows over them (and closing, screenshots), `files` opens and saves.

mod agreement_panel;
pub mod article;
pub mod commands;
mod compare;
mod export_dialog;
mod files;
pub mod fonts;
mod import_dialog;
mod name;
mod panels;
mod review;
pub mod storage;
mod transfer;
mod windows;

pub use windows::write_png;

use article::{ArticleView, ViewInput, short};
use commands::{AppCommand, COMMANDS, MenuGroup, hotkey_key, shortcut_text};
use egui::{Color32, Key, RichText, Ui};
use files::{format_epoch, is_project_file};
use spantag_core::edit::Edit;
use spantag_core::history::{Cursor, Workspace};
use spantag_core::model::{DEFAULT_LABELS, DocState, Project, SpanId};
use spantag_core::movement::Selection;
use spantag_core::project_io;
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
        summary: Box<spantag_core::formats::ImportSummary>,
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

/// How the app starts: filled by `main` from the command line, or by tests.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// A project (.ron) to open, or article files (.txt, .md) to open as a new project.
    pub paths: Vec<PathBuf>,
    /// Render the window once, save it as a PNG and exit.
    pub screenshot: Option<PathBuf>,
    /// With `screenshot`: open a dialog first: `export`, `export-run[=FORMAT]` (exports to a
    /// temporary file and waits for the summary) or `import=INPUT[;INPUT...][=FORMAT]`.
    pub screenshot_dialog: Option<String>,
    /// Window size in logical pixels.
    pub window_size: Option<(f32, f32)>,
    /// The annotator's name given on the command line.
    pub annotator: Option<String>,
    /// Start in review mode.
    pub review: bool,
    /// Compare these annotators' projects (compare mode).
    pub compare: Vec<PathBuf>,
    /// Open the agreement window (with `compare`).
    pub agreement: bool,
    /// With `compare`: which spans the gold project accepts outright.
    pub strategy: Option<spantag_core::review::merge::Strategy>,
}

/// Starts the desktop app and returns when its window closes.
pub fn run(args: LaunchOptions) -> anyhow::Result<()> {
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
    Ok(())
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
    pub fn from_args(args: &LaunchOptions) -> Self {
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
        self.ws.project()
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
            .unwrap_or_else(|| self.ws.project().name.clone());
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
            .project()
            .documents
            .get(self.doc)
            .map(|d| d.id.clone())
    }

    fn reset_caret(&mut self) {
        let first = self
            .ws
            .project()
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
                    for l in &self.ws.project().labels {
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
        let here = self.cursor();
        match self.ws.apply(description, edits, here.clone(), here) {
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
                if i < self.ws.project().documents.len() {
                    self.doc = i;
                    self.reset_caret();
                    self.article.scroll_target = Some(self.anchor);
                }
            }
            Action::SelectSpan { id, scroll } => {
                if let Some(d) = self.ws.project().documents.get(self.doc)
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
                let Some(d) = self.ws.project().documents.get(self.doc) else {
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
                Some(c) => {
                    self.restore_cursor(&c.cursor);
                    self.toast(format!("Undid: {}", c.description));
                }
                None => self.toast("Nothing to undo"),
            },
            AppCommand::SetName => {
                self.name_dialog = Some(name::NameDialog::new(&self.annotator, false));
            }
            AppCommand::Redo => match self.ws.redo() {
                Some(c) => {
                    self.restore_cursor(&c.cursor);
                    self.toast(format!("Redid: {}", c.description));
                }
                None => self.toast("Nothing to redo"),
            },
            AppCommand::MarkDoneAndNext => {
                if let Some(doc) = doc_id {
                    if !self.ws.project().documents[self.doc].done {
                        self.edit("Mark done", vec![Edit::SetDone { doc, done: true }]);
                    }
                    if self.doc + 1 < self.ws.project().documents.len() {
                        self.queue.push(Action::OpenDoc(self.doc + 1));
                    }
                }
            }
            AppCommand::NextDocument => {
                if self.doc + 1 < self.ws.project().documents.len() {
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
                let Some(d) = self.ws.project().documents.get(self.doc) else {
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
                let Some(d) = self.ws.project().documents.get(self.doc) else {
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
                let Some(d) = self.ws.project().documents.get(self.doc) else {
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
        let Some(d) = self.ws.project().documents.get(self.doc) else {
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

    /// Where the user is now, as the history records it.
    fn cursor(&self) -> Cursor {
        Cursor {
            doc: self.doc_id(),
            selection: Selection::new(self.anchor, self.focus),
            span: self.selected_span,
        }
    }

    /// Returns to `c` (after undo or redo): its document, selection and span, as far as they
    /// still exist, scrolled into view.
    fn restore_cursor(&mut self, c: &Cursor) {
        let p = self.ws.project();
        if let Some(i) = c.doc.as_deref().and_then(|id| p.doc_index(id))
            && i != self.doc
        {
            self.doc = i;
            self.last_click = None;
        }
        self.after_history();
        let Some(d) = self.ws.project().documents.get(self.doc) else {
            return;
        };
        let len = d.len_chars();
        self.anchor = c.selection.anchor.min(len);
        self.focus = c.selection.head.min(len);
        self.selected_span = c.span.filter(|id| d.span(*id).is_some());
        self.article.scroll_target = Some(self.anchor.min(self.focus));
    }

    /// Keeps the view consistent after undo/redo (the selected span may be gone).
    fn after_history(&mut self) {
        if self.doc >= self.ws.project().documents.len() {
            self.doc = self.ws.project().documents.len().saturating_sub(1);
        }
        if let Some(id) = self.selected_span
            && self
                .ws
                .project()
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
                    .project()
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
                .project()
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
        let Some(d) = self.ws.project().documents.get(self.doc) else {
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

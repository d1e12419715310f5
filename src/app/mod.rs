//! The desktop app (egui + eframe): one state machine over the core. Each frame the widgets read
//! the state and push [`Action`]s; [`SpantagApp::apply_actions`] then runs them in one place
//! (`actions`), and every project change goes through [`Workspace::apply`] so it can be undone,
//! with the selection before and after it.
//!
//! The state is grouped by subject (`state`): the workspace and the annotator here, then where
//! the user is, how the article is shown, the windows and questions, the project file, review
//! mode, compare mode and the window itself. Files: `actions` (the one place that changes
//! state), `keys` (keyboard, dropped files, commands), `caret` (caret, selection and span
//! boundary moves), `panels` and `windows` (drawing), `files` (opening, saving, autosave),
//! `review`/`review_panel`, `compare`/`compare_panel` and `agreement_panel` (reviewing), and
//! `transfer` with the export and import dialogs.

mod action;
mod actions;
mod agreement_panel;
pub mod article;
mod caret;
pub mod commands;
mod compare;
mod compare_panel;
mod dialog_kit;
mod export_dialog;
mod files;
pub mod fonts;
mod headless;
mod import_dialog;
mod keys;
mod name;
mod panels;
pub mod recovery;
mod relations;
mod review;
mod review_panel;
mod state;
pub mod storage;
mod transfer;
mod windows;

pub use headless::HeadlessOptions;
pub use windows::write_png;

use action::{Action, Toast};

use compare::CompareMode;
use review::ReviewSession;
use spantag_core::history::Workspace;
use spantag_core::model::{DEFAULT_LABELS, Project, SpanId};
use spantag_core::project_io;
use state::{Closing, Dialogs, DocumentView, Persistence, Screenshot, SelectionState, Shell};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use storage::{Autosaver, FileStamp};

/// The sample project, built into the binary.
pub const SAMPLE_RON: &str = include_str!("../../projects/sample.ron");

/// The app: a workspace (project + history) and the state around it, grouped by subject.
pub struct SpantagApp {
    /// The project and its history: the only way the project changes.
    ws: Workspace,
    /// Bumped whenever the workspace is replaced (revisions restart then), so caches keyed by
    /// (generation, revision) never mix two projects.
    generation: u64,
    /// The name recorded on new spans and reviews.
    annotator: String,
    /// The open document, the text selection and the selected span.
    sel: SelectionState,
    /// Zoom, the span list filter, the article's layout.
    view: DocumentView,
    /// Windows, questions and toasts.
    dialogs: Dialogs,
    /// The project file, autosave and recovery.
    files: Persistence,
    /// Review mode.
    review: ReviewSession,
    /// Compare mode and the agreement window.
    compare: CompareMode,
    /// The window's title, screenshot mode and closing.
    shell: Shell,
    /// Actions pushed during this frame, applied at its end.
    queue: Vec<Action>,
}

/// How the app starts: filled by `main` from the command line, or by tests.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// A project (.ron) to open, or article files (.txt, .md, .html) to open as a new project.
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
    /// Run without a window, editing at random (the crash test of autosave; `headless`).
    pub headless: Option<HeadlessOptions>,
}

/// Starts the desktop app and returns when its window closes.
pub fn run(args: LaunchOptions) -> anyhow::Result<()> {
    if let Some(h) = &args.headless {
        return headless::run(&args, h);
    }
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
            generation: 0,
            annotator,
            sel: SelectionState::default(),
            view: DocumentView::default(),
            dialogs: Dialogs::default(),
            files: Persistence::default(),
            review: ReviewSession::default(),
            compare: CompareMode::default(),
            shell: Shell::default(),
            queue: Vec::new(),
        }
    }

    /// An app over `project` (treated as saved, with no file), no autosave, no recovery: for
    /// tests and benchmarks.
    pub fn new_for_test(project: Project, annotator: &str) -> Self {
        let mut app = SpantagApp::with_workspace(Workspace::new(project), annotator.to_owned());
        app.reset_caret();
        app
    }

    /// Remembers names set in the app in `dir` (the settings folder) instead of nowhere.
    pub fn with_config_dir(mut self, dir: PathBuf) -> Self {
        self.files.config_dir = Some(dir);
        self
    }

    /// Like [`SpantagApp::new_for_test`] but with a project file (Save writes it).
    pub fn new_for_test_with_file(project: Project, annotator: &str, path: PathBuf) -> Self {
        let mut app = SpantagApp::new_for_test(project, annotator);
        app.files.stamp = FileStamp::of(&path);
        app.files.path = Some(path);
        app
    }

    /// Autosaves unsaved work into recovery slots in the state folder `dir` every `every` (the
    /// app itself uses its state folder and 3 s): for tests and benchmarks. The project file's
    /// slot is taken (with its lock) when there is a file and no other window holds it; else the
    /// work gets an untitled slot.
    pub fn with_autosave(mut self, dir: PathBuf, every: Duration) -> Self {
        let store = recovery::Store::open(&dir);
        self.files.autosaver = Some(Autosaver::start(store.dir().to_owned()));
        let project_slot = self.files.path.clone().and_then(|path| {
            let key = recovery::SlotKey::project(&path);
            match store.acquire(&key) {
                recovery::Acquire::Acquired { lock, .. } => {
                    Some(state::ActiveSlot::locked(key, lock))
                }
                _ => None,
            }
        });
        self.files.store = Some(store);
        self.files.slot = project_slot.or_else(|| self.untitled_slot());
        self.files.autosave_every = Some(every);
        self
    }

    /// The app as the command line asks for it, with autosave, recovery and project locks in the
    /// state folder ([`storage::state_dir`]); without them in screenshot mode.
    pub fn from_args(args: &LaunchOptions) -> Self {
        let state = if args.screenshot.is_none() {
            storage::state_dir()
        } else {
            None
        };
        SpantagApp::start(args, state)
    }

    /// Like [`SpantagApp::from_args`] with the state folder `state_dir` (recovery slots and
    /// locks), as two windows on one computer share it: for tests.
    pub fn from_args_with_state_dir(args: &LaunchOptions, state_dir: PathBuf) -> Self {
        SpantagApp::start(args, Some(state_dir))
    }

    fn start(args: &LaunchOptions, state_dir: Option<PathBuf>) -> Self {
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
        if let Some(dir) = state_dir {
            let store = recovery::Store::open(&dir);
            app.files.autosaver = Some(Autosaver::start(store.dir().to_owned()));
            app.files.store = Some(store);
            app.files.slot = app.untitled_slot();
        }
        if !args.paths.is_empty() {
            app.open_paths(&args.paths);
        }
        app.reset_caret();
        app.review_from_args(args);
        app.files.config_dir = storage::config_dir();
        if args.screenshot.is_none()
            && storage::configured_annotator(args.annotator.as_deref()).is_none()
        {
            app.dialogs.ask_name_at_start = true;
        }
        if let Some(out) = &args.screenshot {
            app.shell.screenshot = Some(Screenshot {
                out: out.clone(),
                result: Arc::new(Mutex::new(None)),
                requested: false,
            });
            if let Some(scene) = &args.screenshot_dialog {
                app.screenshot_scene(scene);
            }
        } else if args.paths.is_empty() && args.compare.is_empty() && app.dialogs.modal.is_none() {
            // Started without a project: offer the work that crashed windows left.
            app.list_recoveries(true);
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
        self.sel.doc
    }

    /// The text selection (empty = none).
    pub fn selection(&self) -> Range<usize> {
        self.sel.range()
    }

    pub fn selected_span(&self) -> Option<SpanId> {
        self.sel.span
    }

    /// Whether there are unsaved changes.
    pub fn is_dirty(&self) -> bool {
        self.ws.is_dirty()
    }

    /// The window title (with `•` and "unsaved" when there are unsaved changes).
    pub fn window_title(&self) -> String {
        let name = self
            .files
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.ws.project().name.clone());
        if self.files.read_only {
            format!("{name} (read-only) — spantag")
        } else if self.ws.is_dirty() {
            format!("• {name} (unsaved) — spantag")
        } else {
            format!("{name} — spantag")
        }
    }

    /// Screen rect where character `offset` of the open document was drawn in the last frame.
    pub fn char_rect(&self, offset: usize) -> Option<egui::Rect> {
        self.view.article.char_rect(offset)
    }

    /// Messages currently shown as toasts.
    pub fn toasts(&self) -> Vec<String> {
        self.dialogs.toasts.iter().map(|t| t.text.clone()).collect()
    }

    pub fn path(&self) -> Option<&Path> {
        self.files.path.as_deref()
    }

    /// Whether a save is being written on its thread (the status bar says "Saving…"; the work
    /// counts as unsaved until it has finished).
    pub fn is_saving(&self) -> bool {
        self.files.saving.is_some()
    }

    /// Makes the next save's thread wait before it writes, until the returned sender sends or is
    /// dropped: for tests of what the app does while a save runs.
    pub fn hold_next_save(&mut self) -> std::sync::mpsc::Sender<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.files.save_hold = Some(rx);
        tx
    }

    /// Whether the app has told the window to close (Quit or a window close request, with any
    /// unsaved changes saved or discarded).
    pub fn is_closing(&self) -> bool {
        self.shell.closing == Closing::Allowed
    }

    /// The recovery folder (its slots), if autosave is on.
    pub fn recovery_dir(&self) -> Option<&Path> {
        self.files.autosaver.as_ref().map(Autosaver::dir)
    }

    /// The recovery slot folder of the work in this window, if autosave is on.
    pub fn recovery_slot(&self) -> Option<&Path> {
        self.files.slot.as_ref().map(|s| s.dir.as_path())
    }

    /// Whether the project is open read-only (another window works on it).
    pub fn is_read_only(&self) -> bool {
        self.files.read_only
    }

    /// The revision last written to the recovery slot, if any since the last save or open.
    pub fn autosaved_revision(&self) -> Option<u64> {
        self.files.autosaved_revision
    }

    /// The project's revision (bumped by every change, undo and redo).
    pub fn revision(&self) -> u64 {
        self.ws.revision()
    }

    /// The id of the open document.
    fn doc_id(&self) -> Option<String> {
        self.ws
            .project()
            .documents
            .get(self.sel.doc)
            .map(|d| d.id.clone())
    }

    fn toast(&mut self, text: impl Into<String>) {
        self.dialogs.toasts.push(Toast::info(text));
    }

    fn toast_error(&mut self, text: impl Into<String>) {
        self.dialogs.toasts.push(Toast::error(text));
    }

    /// Runs one frame of the whole UI inside `ui`: background work first, then the widgets
    /// (which only read the state and push actions), then the actions, then closing and
    /// autosave.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.shell.frame_count += 1;
        let ctx = ui.ctx().clone();
        if ctx.input(|i| i.viewport().close_requested()) {
            self.request_close();
        }
        self.poll_save();
        self.compare_poll(&ctx);
        self.expire_toasts(&ctx);
        self.first_start_name(&ctx);
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
        self.name_window(&ctx);
        self.transfer_windows(&ctx);
        self.modal_window(&ctx);
        self.toasts_area(&ctx);
        self.apply_actions();
        self.handle_close(&ctx);
        self.autosave();
        let title = self.window_title();
        if title != self.shell.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.shell.title = title;
        }
    }
}

impl eframe::App for SpantagApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.show(ui);
        self.screenshot_step(&ctx);
        // Keep frames coming while an autosave is due, and while a save is being written.
        if self.files.saving.is_some() {
            ctx.request_repaint_after(Duration::from_millis(50));
        } else if self.files.autosaver.is_some() && self.ws.is_dirty() {
            ctx.request_repaint_after(files::AUTOSAVE_EVERY / 4);
        }
    }
}

//! The app's state besides the workspace, grouped by what it is about: where the user is
//! ([`SelectionState`]), how the article is shown ([`DocumentView`]), the windows and questions
//! over it ([`Dialogs`]), the project file ([`Persistence`]) and the window's own life
//! ([`Shell`], with [`Closing`]). Widgets read these; only the action handler changes them.

use super::action::{Action, Toast};
use super::article::ArticleView;
use super::name::NameDialog;
use super::recovery;
use super::storage::{Autosaver, FileStamp, PendingSave};
use super::transfer::Transfer;
use spantag_core::model::{Project, SpanId};
use spantag_core::movement::Selection;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Where the user is: the open document, the text selection in it and the selected span.
#[derive(Debug, Clone, Default)]
pub(crate) struct SelectionState {
    /// Index of the open document.
    pub(crate) doc: usize,
    /// The text selection in code points (`anchor == head`: just a caret).
    pub(crate) selection: Selection,
    /// The selected span of the open document.
    pub(crate) span: Option<SpanId>,
    /// Where the last span click happened, and how many times (to cycle stacked spans).
    pub(crate) last_click: Option<(usize, usize)>,
    /// Relations: the relation being made, while its other end is being picked.
    pub(crate) linking: Option<Linking>,
}

// ----- relations (picking the other end of a new relation) -----

/// A relation being made: from span `from` of document `doc`, of type `kind`; the user picks
/// the other end among `candidates` (the spans the type allows there, nearest first) by click,
/// or by Tab / Shift+Tab (`chosen`) and Enter.
#[derive(Debug, Clone)]
pub(crate) struct Linking {
    pub(crate) doc: usize,
    pub(crate) from: SpanId,
    pub(crate) kind: String,
    pub(crate) candidates: Vec<SpanId>,
    /// The same spans, for lookups while drawing.
    pub(crate) allowed: std::collections::HashSet<SpanId>,
    /// Index into `candidates` chosen with Tab.
    pub(crate) chosen: Option<usize>,
}

impl SelectionState {
    /// The selected range, start before end (empty: none).
    pub(crate) fn range(&self) -> Range<usize> {
        self.selection.range()
    }

    /// The caret (the moving end of the selection).
    pub(crate) fn caret(&self) -> usize {
        self.selection.head
    }
}

/// How the open document is shown: zoom, the span list's label filter, the article view's
/// layout and the per-label counts.
pub(crate) struct DocumentView {
    pub(crate) zoom: f32,
    /// Show only spans of this label in the span list.
    pub(crate) filter: Option<String>,
    pub(crate) article: ArticleView,
    /// Per-label counts and span-list rows of the current document, rebuilt only when the
    /// document, the project revision or the filter changes (not every frame).
    pub(crate) spans: SpanView,
}

impl Default for DocumentView {
    fn default() -> Self {
        DocumentView {
            zoom: 1.0,
            filter: None,
            article: ArticleView::default(),
            spans: SpanView::default(),
        }
    }
}

/// What the label bar and the span list show, cached by (document, revision, filter).
#[derive(Default)]
pub(crate) struct SpanView {
    pub(crate) key: Option<(usize, u64, Option<String>)>,
    /// Spans per label, in label-set order.
    pub(crate) counts: Vec<usize>,
    /// Indexes into the document's spans that pass the filter.
    pub(crate) rows: Vec<usize>,
}

/// What the path prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PromptKind {
    Open,
    Add,
    SaveAs,
    Compare,
}

/// The app's own path field, shown when no native file dialog can be.
pub(crate) struct PathPrompt {
    pub(crate) kind: PromptKind,
    /// What is typed (the field's own text).
    pub(crate) text: String,
}

/// A question the app is waiting for the user to answer.
pub(crate) enum Modal {
    /// Unsaved changes; the action runs after Save or Discard.
    Unsaved(Box<Action>),
    /// The project file changed on disk.
    ChangedOnDisk(PathBuf),
    /// Save As chose a file that exists (and is not the project's own): replace it?
    Replace(PathBuf),
    /// Recovery data of the project just opened (or of untitled work chosen from the list).
    Recovery {
        /// When it was autosaved, in local time.
        when: String,
        path: Option<PathBuf>,
        /// Why restoring needs care (the project file changed since, an older copy was read).
        warning: Option<String>,
    },
    /// The project is open in another window: open it read-only, or not at all.
    InUse {
        path: PathBuf,
        /// Who holds it, for the question.
        holder: String,
    },
    /// Unsaved work of windows that are gone (`Persistence::listed`).
    RecoverList,
}

/// The windows and questions over the panels, and the toasts.
#[derive(Default)]
pub(crate) struct Dialogs {
    /// The keyboard shortcut list (F1).
    pub(crate) help: bool,
    pub(crate) prompt: Option<PathPrompt>,
    pub(crate) modal: Option<Modal>,
    /// The "Your name" window, when open.
    pub(crate) name: Option<NameDialog>,
    /// Open the "Your name" window once the window is up (first start).
    pub(crate) ask_name_at_start: bool,
    /// File › Export… and File › Import… dialogs.
    pub(crate) transfer: Transfer,
    pub(crate) toasts: Vec<Toast>,
}

/// The project file and the work kept safe: where the project is saved, autosave and recovery.
#[derive(Default)]
pub(crate) struct Persistence {
    /// The project file, if the project has one.
    pub(crate) path: Option<PathBuf>,
    /// The file as it was when opened or last saved (to notice changes by other programs).
    pub(crate) stamp: Option<FileStamp>,
    pub(crate) autosaver: Option<Autosaver>,
    /// How often unsaved work is autosaved (`None`: every 3 s, the app's setting).
    pub(crate) autosave_every: Option<std::time::Duration>,
    pub(crate) last_autosave: Option<Instant>,
    pub(crate) autosaved_revision: Option<u64>,
    pub(crate) autosave_pending: bool,
    /// The explicit save being written on its thread, with the workspace generation it belongs
    /// to (a save that ends after the workspace was replaced leaves the new one alone).
    pub(crate) saving: Option<(PendingSave, u64)>,
    /// A save asked for while another was running (path, and whether to overwrite without
    /// asking): it starts when that one succeeds.
    pub(crate) queued_save: Option<(PathBuf, bool)>,
    /// Tests: the next save's thread waits for this before writing.
    pub(crate) save_hold: Option<std::sync::mpsc::Receiver<()>>,
    /// The recovery slot (and lock) of the file being saved under another name: the window's
    /// slot once the save has succeeded (`Some(None)`: that file has no slot).
    pub(crate) saving_slot: Option<Option<ActiveSlot>>,
    /// The recovery folder (`None`: no autosave and no locks, as in tests and screenshots).
    pub(crate) store: Option<recovery::Store>,
    /// The recovery slot of the work in this window (and its lock): autosaves go there.
    pub(crate) slot: Option<ActiveSlot>,
    /// The project is open in another window: edits and saving to its file are refused.
    pub(crate) read_only: bool,
    /// Recovery data offered in the question on screen, until restored or discarded.
    pub(crate) recovered: Option<Recovered>,
    /// Recovery data of other windows, listed by File › Recover unsaved work… (their slots
    /// locked for this window until the list closes).
    pub(crate) listed: Vec<recovery::Listed>,
    /// What to do once the next save succeeds (e.g. open another project after "Save" in the
    /// unsaved-changes question). Closing has its own state, [`Closing`].
    pub(crate) after_save: Option<Action>,
    /// Where the settings file lives (`None`: names are not remembered, as in tests).
    pub(crate) config_dir: Option<PathBuf>,
}

/// The recovery slot a window works in.
#[derive(Debug)]
pub(crate) struct ActiveSlot {
    pub(crate) key: recovery::SlotKey,
    pub(crate) dir: PathBuf,
    /// Held from opening (a project) or from the first autosave (untitled work) on; dropping it
    /// releases the slot.
    pub(crate) lock: Option<recovery::SlotLock>,
}

impl ActiveSlot {
    /// The slot of `key`, held with `lock` (what `recovery::Store::acquire` handed out).
    pub(crate) fn locked(key: recovery::SlotKey, lock: recovery::SlotLock) -> Self {
        ActiveSlot {
            dir: lock.dir().to_owned(),
            key,
            lock: Some(lock),
        }
    }
}

/// Recovery data offered for restoring, with the slot it goes on in.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub(crate) project: Project,
    pub(crate) path: Option<PathBuf>,
    /// The slot of the restored work (the open project's, or the listed untitled work's).
    pub(crate) slot: Option<ActiveSlot>,
    /// The project file changed since the work began (the question says so).
    pub(crate) file_changed: bool,
}

/// Where the window is in closing. A close request (the window's close button, Quit) is
/// answered at the end of the frame: at once without unsaved changes, else with the
/// Save / Discard / Cancel question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Closing {
    /// The window stays open.
    #[default]
    Open,
    /// Closing was asked for this frame; decided at the end of it.
    Requested,
    /// The unsaved-changes question is up.
    Asked,
    /// "Save" was chosen, or closing was asked for while a save was running: the window closes
    /// once the save succeeds and nothing is left unsaved (a failed or cancelled save goes back
    /// to [`Closing::Open`]).
    SavingThenClose,
    /// The window was told to close.
    Allowed,
}

/// The window itself: its title, screenshot mode, the frame counter and closing.
#[derive(Default)]
pub(crate) struct Shell {
    pub(crate) title: String,
    pub(crate) screenshot: Option<Screenshot>,
    pub(crate) frame_count: u64,
    pub(crate) closing: Closing,
}

/// Screenshot mode: render, save a PNG, close.
pub(crate) struct Screenshot {
    pub(crate) out: PathBuf,
    pub(crate) result: Arc<Mutex<Option<Arc<egui::ColorImage>>>>,
    pub(crate) requested: bool,
}

//! What widgets ask the app to do ([`Action`]) and the small values actions carry (toasts,
//! window names). A leaf module: everything else in the app may use it; it uses none of them
//! but the command table.

use super::commands::AppCommand;
use spantag_core::edit::Edit;
use spantag_core::formats::ImportSummary;
use spantag_core::model::{RelationId, SpanId};
use spantag_core::review::merge::Strategy;
use spantag_core::review::queue::QueueFilter;
use std::path::PathBuf;

/// Something a widget asks the app to do. Widgets push these; nothing else changes the state.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    Command(AppCommand),
    /// Tag the selection with a label, or relabel the selected span.
    Tag(String),
    OpenDoc(usize),
    SelectSpan {
        id: SpanId,
        scroll: bool,
    },
    /// Open document `doc` (if needed) and select its span `id`, scrolled into view.
    GoToSpan {
        doc: usize,
        id: SpanId,
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
    /// Show only spans of this label in the span list.
    SetFilter(Option<String>),
    OpenPaths(Vec<PathBuf>),
    AddPaths(Vec<PathBuf>),
    /// Save As to this path (the path prompt's answer): asks before replacing another file.
    SaveAs(PathBuf),
    /// Save to this path without asking: even though the file changed on disk, or replacing the
    /// existing file Save As asked about.
    ForceSave(PathBuf),
    NewProject,
    /// Restore the recovery data offered in the question (`Persistence::recovered`).
    Restore,
    /// Delete the recovery data offered in the question.
    DiscardRecovery,
    /// The project is open in another window: open it read-only.
    OpenReadOnly(PathBuf),
    /// Recovery list: restore row `i` (untitled work), or open its project (a project's work).
    RestoreListed(usize),
    /// Recovery list: delete row `i`'s recovery data.
    DiscardListed(usize),
    /// Close the recovery list (its slots are let go).
    CloseRecoveryList,
    /// Compare these projects (compare mode).
    Compare(Vec<PathBuf>),
    /// Apply a planned import (File › Import…) as one undoable step.
    ApplyImport {
        description: String,
        edits: Vec<Edit>,
        summary: Box<ImportSummary>,
    },
    /// The question on screen was answered: it closes, then the action runs (`None`: Cancel,
    /// which also cancels a close or a save waiting on it).
    Answered(Option<Box<Action>>),
    /// "Save" in the unsaved-changes question: save, then run the action.
    SaveThen(Box<Action>),
    /// "Discard" in the unsaved-changes question: forget the changes, then run the action.
    DiscardThen(Box<Action>),
    /// The path prompt was answered with these paths (`None`: cancelled).
    PromptAnswered(Option<Vec<PathBuf>>),
    /// The name recorded on new spans and reviews (and kept in the settings file).
    SetAnnotator(String),
    CloseWindow(Window),
    /// Show a message (a dialog's note or error).
    Notify(Toast),
    DismissToast(usize),
    /// Review mode: the queue's filters.
    SetReviewFilter(QueueFilter),
    /// Review mode: the typed note becomes span `span`'s review note (one step).
    SaveReviewNote {
        doc: usize,
        span: SpanId,
        text: String,
    },
    /// Compare mode: settle the current conflict with annotator `k`'s spans.
    TakeAnnotator(usize),
    /// Compare mode: merge the compared projects again with another strategy.
    Remerge(Strategy),
    /// Compare mode: stop loading a comparison.
    CancelCompare,
    /// Compare mode: open the comparison the background thread finished.
    OpenComparison,
    /// Agreement window: the labels of the entity layer.
    SetEntityLabels(Vec<String>),
    /// Agreement window: whose confusion matrix is shown.
    SetConfusionPair(usize),
    // ----- relations -----
    /// Relations: make the relation being picked, to span `id` (the other end).
    LinkTo(SpanId),
    /// Relations: stop picking the other end of a new relation.
    CancelLink,
    /// Relations: start a relation at the selected span, of type `kind` (`None`: the first type
    /// that allows it; while picking, the next one).
    StartLink(Option<String>),
    /// Relations: while picking, choose the next (`true`) or previous allowed span (Tab).
    LinkStep(bool),
    /// Relations: while picking, link to the span chosen with Tab (Enter).
    LinkChosen,
    /// Relations: give relation `id` of the open document the type `kind` (one step).
    RetypeRelation {
        id: RelationId,
        kind: String,
    },
    /// Relations: swap the two ends of relation `id` of the open document (one step).
    ReverseRelation(RelationId),
    /// Relations: remove relation `id` of the open document (one step).
    DeleteRelation(RelationId),
    // ----- relations in review mode -----
    /// Review mode: open document `doc` and review its relation `relation` (its head span
    /// selected).
    GoToRelation {
        doc: usize,
        relation: RelationId,
    },
    /// Review mode: give relation `relation` of document `doc` the type `kind` (one step,
    /// marked edited by the reviewer).
    ReviewRetypeRelation {
        doc: usize,
        relation: RelationId,
        kind: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ToastKind {
    Info,
    Error,
}

/// A message in the corner of the window.
#[derive(Debug, Clone)]
pub(crate) struct Toast {
    pub(crate) text: String,
    pub(crate) kind: ToastKind,
    /// When it goes away (NaN until first shown).
    pub(crate) until: f64,
}

impl Toast {
    pub(crate) fn info(text: impl Into<String>) -> Self {
        Toast {
            text: text.into(),
            kind: ToastKind::Info,
            until: f64::NAN,
        }
    }

    pub(crate) fn error(text: impl Into<String>) -> Self {
        Toast {
            text: text.into(),
            kind: ToastKind::Error,
            until: f64::NAN,
        }
    }
}

/// The windows that can be closed with their own close button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Window {
    Help,
    Name,
    Agreement,
    Export,
    Import,
}

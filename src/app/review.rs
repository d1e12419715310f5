//! Review mode: every span of the project in one queue, in reading order (documents in project
//! order, spans in text order), filtered by status, label and author
//! ([`spantag_core::review::queue`]). The reviewer accepts (A or Enter), rejects (X), relabels
//! (label keys), resizes (Alt+arrows) and adds a note (M); N and P walk the queue. Every decision
//! is one [`Edit`] step through the app's history, recording the reviewer (the app's annotator
//! name), the time and the status. The side panel is drawn by `review_panel`.
//!
//! The queue lists spans, relations or claims without a source ([`QueueKind`]). In the
//! relation queue the reviewed relation is `ReviewSession::relation` (its head span selected):
//! A and X accept and reject it, the panel's type buttons retype it (`Edit::ChangeRelation`).
//!
//! This module also holds the hooks the app shell calls for review and compare mode.

use super::SpantagApp;
use super::action::Action;
use super::article::SpanMark;
use super::commands::AppCommand;
use spantag_core::edit::Edit;
use spantag_core::model::{RelationId, Review, SpanId, Status};
use spantag_core::review::queue::{
    Position, QueueFilter, QueueItem, QueueKind, ReviewQueue, step_index,
};
use spantag_core::time::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;

/// The state the document list's notes were made for: (generation, revision, review mode).
type DocNotesKey = (u64, u64, bool);

/// The state the article's markers were made for: (generation, revision, document, selected
/// span, review mode).
type MarksKey = (u64, u64, usize, Option<SpanId>, bool);

/// Review mode's state.
#[derive(Default)]
pub(crate) struct ReviewSession {
    /// Review mode is on.
    pub(crate) on: bool,
    pub(crate) filter: QueueFilter,
    /// The note being typed (the field's own text), and the (document, span, revision) it was
    /// loaded for.
    pub(crate) note: String,
    pub(crate) note_for: Option<(usize, SpanId, u64)>,
    /// Give the note field the keyboard on the next frame (M).
    pub(crate) focus_note: bool,
    /// The queue of (generation, revision, filter).
    cache: Option<((u64, u64, QueueFilter), ReviewQueue)>,
    /// Scroll the queue list to the current row on the next frame.
    pub(crate) scroll_queue: bool,
    /// What the document list adds per document, for (generation, revision, review mode).
    doc_notes: Option<(DocNotesKey, Arc<Vec<String>>)>,
    marks_key: Option<MarksKey>,
    /// The relation under review in the relation queue: (document index, relation).
    pub(crate) relation: Option<(usize, RelationId)>,
}

impl ReviewSession {
    /// The queue as last built (see [`SpantagApp::refresh_queue`]).
    pub(crate) fn queue(&self) -> Option<&ReviewQueue> {
        self.cache.as_ref().map(|(_, q)| q)
    }
}

/// Colour and description of a review status, for markers in the article.
pub fn status_mark(s: Status, review: Option<&Review>) -> Option<SpanMark> {
    let (color, what) = match s {
        Status::Pending => return None,
        Status::Accepted => (egui::Color32::from_rgb(46, 160, 67), "accepted"),
        Status::Rejected => (egui::Color32::from_rgb(215, 58, 73), "rejected"),
        Status::Edited => (egui::Color32::from_rgb(56, 132, 244), "edited"),
    };
    let by = review
        .map(|r| format!(" by {} ({})", r.reviewer, r.time))
        .unwrap_or_default();
    Some(SpanMark {
        color,
        text: format!("Review: {what}{by}"),
        strike: s == Status::Rejected,
        emphasis: false,
        dashed: false,
    })
}

impl SpantagApp {
    // ----- hooks called by the shell -----

    /// Whether the review note field has the keyboard (single-letter commands are off then).
    pub(super) fn review_typing(&self, ctx: &egui::Context) -> bool {
        ctx.memory(|m| m.has_focus(super::review_panel::note_id()))
    }

    /// Whether compare mode's keys are live (compare mode open and review mode off).
    pub(super) fn comparing(&self) -> bool {
        self.compare.session.is_some() && !self.review.on
    }

    /// Whether a review-only command's key is live in the current mode.
    pub(super) fn review_key_active(&self, c: AppCommand) -> bool {
        let comparing = self.comparing();
        match c {
            AppCommand::Accept
            | AppCommand::Reject
            | AppCommand::QueueNext
            | AppCommand::QueuePrevious => self.review.on || comparing,
            AppCommand::ReviewNote => self.review.on,
            AppCommand::TakeB | AppCommand::TakeAll | AppCommand::KeepSelected => comparing,
            AppCommand::TakeC => {
                comparing
                    && self
                        .compare
                        .session
                        .as_ref()
                        .is_some_and(|c| c.names.len() >= 3)
            }
            _ => true,
        }
    }

    /// The workspace was replaced: the queue and any comparison belong to the old one.
    pub(super) fn review_reset(&mut self) {
        self.review.cache = None;
        self.review.note_for = None;
        self.review.doc_notes = None;
        self.compare.session = None;
        // Another project was opened: a comparison still loading must not replace it.
        self.compare.loading = None;
        self.compare.finished = None;
    }

    /// In review mode, `edits` that change span `span` also mark it edited by the reviewer.
    pub(super) fn review_marked(&self, doc: &str, span: SpanId, mut edits: Vec<Edit>) -> Vec<Edit> {
        if self.review.on {
            let note = self.current_review_note(span);
            edits.push(Edit::SetReview {
                doc: doc.to_owned(),
                span,
                status: Status::Edited,
                review: Some(self.new_review(note)),
            });
        }
        edits
    }

    /// Runs a review, compare or agreement command.
    pub(super) fn review_command(&mut self, c: AppCommand) {
        match c {
            AppCommand::ToggleReview => {
                self.review.on = !self.review.on;
                if self.review.on {
                    self.toast("Review mode: A/Enter accept, X reject, N/P next/previous, M note");
                    if self.sel.span.is_none() {
                        self.queue_step(true);
                    }
                }
            }
            AppCommand::ToggleAgreement => {
                self.compare.agreement_open = !self.compare.agreement_open;
            }
            AppCommand::CompareProjects => self.pick_compare(),
            _ if !self.review_key_active(c) => {}
            _ if !self.review.on => self.compare_command(c),
            AppCommand::Accept | AppCommand::Reject
                if self.review.filter.kind == QueueKind::Relations =>
            {
                let status = if c == AppCommand::Accept {
                    Status::Accepted
                } else {
                    Status::Rejected
                };
                self.set_relation_status(status);
            }
            AppCommand::Accept => self.set_status(Status::Accepted),
            AppCommand::Reject => self.set_status(Status::Rejected),
            AppCommand::QueueNext => self.queue_step(true),
            AppCommand::QueuePrevious => self.queue_step(false),
            AppCommand::ReviewNote => {
                if self.sel.span.is_some() {
                    self.review.focus_note = true;
                } else {
                    self.toast("Select a span first (N)");
                }
            }
            _ => {}
        }
    }

    /// Draws the review or compare side panel instead of the span list, and sets the article's
    /// markers. Returns false when neither mode is on.
    pub(super) fn review_panels(&mut self, ui: &mut egui::Ui) -> bool {
        let comparing = self.compare.session.is_some();
        let key = (
            self.generation,
            self.ws.revision(),
            self.sel.doc,
            self.sel.span,
            self.review.on,
        );
        if (self.review.on || comparing) && self.review.marks_key != Some(key) {
            self.view.article.marks = if self.review.on {
                self.status_marks()
            } else {
                self.compare_marks()
            };
            self.review.marks_key = Some(key);
        }
        if self.review.on {
            self.review_panel(ui);
        } else if comparing {
            self.compare_panel(ui);
        } else {
            self.view.article.marks.clear();
            self.review.marks_key = None;
        }
        self.review.on || comparing
    }

    /// Per document, what the document list adds in review mode (` · 3/10 reviewed`) and compare
    /// mode (` · 2 unresolved`); empty otherwise. Cached by project state, not rebuilt per frame.
    pub(super) fn review_doc_notes(&mut self) -> Arc<Vec<String>> {
        let comparing = self.compare.session.is_some();
        if !self.review.on && !comparing {
            return Arc::default();
        }
        let key = (self.generation, self.ws.revision(), self.review.on);
        if let Some((k, notes)) = &self.review.doc_notes
            && *k == key
        {
            return Arc::clone(notes);
        }
        let notes: Vec<String> = if self.review.on {
            self.refresh_queue();
            self.review.queue().map_or_else(Vec::new, |q| {
                q.per_doc
                    .iter()
                    .map(|(done, total)| format!(" · {done}/{total} reviewed"))
                    .collect()
            })
        } else {
            let mut counts = vec![0usize; self.ws.project().documents.len()];
            for d in self.decisions() {
                if let Some(c) = counts.get_mut(d.doc) {
                    *c += 1;
                }
            }
            counts
                .into_iter()
                .map(|n| format!(" · {n} unresolved"))
                .collect()
        };
        let notes = Arc::new(notes);
        self.review.doc_notes = Some((key, Arc::clone(&notes)));
        notes
    }

    /// Windows of the reviewing features.
    pub(super) fn review_windows(&mut self, ctx: &egui::Context) {
        self.compare_loading_window(ctx);
        self.agreement_window(ctx);
    }

    // ----- the queue -----

    /// Builds the review queue of the current project state and filter, unless it is cached.
    pub(super) fn refresh_queue(&mut self) {
        let key = (
            self.generation,
            self.ws.revision(),
            self.review.filter.clone(),
        );
        if self.review.cache.as_ref().is_some_and(|(k, _)| *k == key) {
            return;
        }
        let queue = spantag_core::review::queue::review_queue(self.ws.project(), &key.2);
        self.review.cache = Some((key, queue));
    }

    fn queue_items(&mut self) -> &[QueueItem] {
        self.refresh_queue();
        self.review.queue().map_or(&[], |q| &q.items)
    }

    /// The reading position: the selected span's (document, index), or where the caret is.
    /// The flag says whether a span is selected.
    pub(super) fn reading_position(&self) -> (Position, bool) {
        let doc = self.sel.doc;
        let Some(d) = self.ws.project().documents.get(doc) else {
            return ((doc, 0), false);
        };
        if let Some(i) = self.sel.span.and_then(|id| d.span_index(id)) {
            return ((doc, i), true);
        }
        let caret = self.sel.caret();
        let i = d.spans.partition_point(|s| s.start < caret);
        ((doc, i), false)
    }

    /// Selects the next (or previous) queue entry after the reading position.
    fn queue_step(&mut self, forward: bool) {
        let (pos, on_span) = if self.review.filter.kind == QueueKind::Relations {
            self.relation_position()
        } else {
            self.reading_position()
        };
        self.queue_step_from(pos, on_span, forward);
    }

    fn queue_step_from(&mut self, pos: Position, strict: bool, forward: bool) {
        let items = self.queue_items();
        let target = step_index(items, QueueItem::key, pos, strict, forward).map(|i| items[i]);
        match target {
            Some(QueueItem {
                doc,
                relation: Some(r),
                ..
            }) => self.go_to_relation(doc, r),
            Some(it) => self.go_to_span(it.doc, it.id),
            None if self.queue_items().is_empty() => self.toast("The review queue is empty"),
            None if forward => self.toast("End of the queue"),
            None => self.toast("Start of the queue"),
        }
    }

    /// Opens document `doc` if needed and selects span `id`, scrolled into view.
    pub(super) fn go_to_span(&mut self, doc: usize, id: SpanId) {
        self.queue.push(Action::GoToSpan { doc, id });
    }

    // ----- relations in the review queue -----

    /// The relation under review (its id), for tests and the panel.
    pub fn review_relation(&self) -> Option<RelationId> {
        self.review.relation.map(|(_, r)| r)
    }

    /// The relation queue's reading position: the reviewed relation's entry, else the start of
    /// the open document. The flag says whether a relation is under review.
    fn relation_position(&mut self) -> (Position, bool) {
        let doc = self.sel.doc;
        let current = self.review.relation;
        let found = current.and_then(|(d, r)| {
            self.queue_items()
                .iter()
                .find(|it| it.doc == d && it.relation == Some(r))
                .map(QueueItem::key)
        });
        match found {
            Some(key) => (key, true),
            None => ((doc, 0), false),
        }
    }

    /// Opens document `doc` and reviews its relation `relation`, its head span selected.
    pub(super) fn go_to_relation(&mut self, doc: usize, relation: RelationId) {
        let Some(head) = self
            .ws
            .project()
            .documents
            .get(doc)
            .and_then(|d| d.relation(relation))
            .map(|r| r.from)
        else {
            return;
        };
        self.review.relation = Some((doc, relation));
        self.go_to_span(doc, head);
    }

    /// Replaces relation `relation` of document `doc` by `change(relation)` as one step.
    fn change_relation(
        &mut self,
        doc: usize,
        relation: RelationId,
        what: &str,
        change: impl FnOnce(&mut spantag_core::model::Relation),
    ) -> bool {
        let Some(d) = self.ws.project().documents.get(doc) else {
            return false;
        };
        let Some(mut r) = d.relation(relation).cloned() else {
            self.toast("That relation is gone (N for the next one in the queue)");
            return false;
        };
        let doc_id = d.id.clone();
        change(&mut r);
        self.step_here(
            what,
            vec![Edit::ChangeRelation {
                doc: doc_id,
                relation: r,
            }],
        )
    }

    /// Accepts or rejects the relation under review (one step), then moves on in the queue.
    fn set_relation_status(&mut self, status: Status) {
        let Some((doc, id)) = self.review.relation else {
            self.toast("Select a relation first (N for the next one in the queue)");
            return;
        };
        let (pos, _) = self.relation_position();
        let review = self.new_review(None);
        let what = if status == Status::Accepted {
            "Accept relation"
        } else {
            "Reject relation"
        };
        let done = self.change_relation(doc, id, what, |r| {
            let note = r.review.as_ref().and_then(|v| v.note.clone());
            r.status = status;
            r.review = Some(Review { note, ..review });
        });
        if done {
            self.queue_step_from(pos, true, true);
        }
    }

    /// Gives relation `relation` of document `doc` the type `kind`, marked edited (one step).
    pub(super) fn review_retype_relation(&mut self, doc: usize, relation: RelationId, kind: &str) {
        let review = self.new_review(None);
        self.review.relation = Some((doc, relation));
        self.change_relation(doc, relation, "Retype relation", |r| {
            let note = r.review.as_ref().and_then(|v| v.note.clone());
            r.kind = kind.to_owned();
            r.status = Status::Edited;
            r.review = Some(Review { note, ..review });
        });
    }

    pub(super) fn new_review(&self, note: Option<String>) -> Review {
        Review {
            reviewer: self.annotator.clone(),
            time: Timestamp::now(),
            note,
        }
    }

    /// The review note on span `id` of the open document.
    fn current_review_note(&self, id: SpanId) -> Option<String> {
        self.ws
            .project()
            .documents
            .get(self.sel.doc)
            .and_then(|d| d.span(id))
            .and_then(|s| s.review.as_ref())
            .and_then(|r| r.note.clone())
    }

    /// Accepts or rejects the selected span (one history step), then moves on in the queue.
    fn set_status(&mut self, status: Status) {
        let (Some(doc), Some(id)) = (self.doc_id(), self.sel.span) else {
            self.toast("Select a span first (N for the next one in the queue)");
            return;
        };
        let (pos, _) = self.reading_position();
        let note = self.current_review_note(id);
        let edit = Edit::SetReview {
            doc,
            span: id,
            status,
            review: Some(self.new_review(note)),
        };
        let what = if status == Status::Accepted {
            "Accept span"
        } else {
            "Reject span"
        };
        if self.step_here(what, vec![edit]) {
            self.queue_step_from(pos, true, true);
        }
    }

    /// Saves the typed note as the review note of span `id` of document `doc_index` (one
    /// history step; nothing when the note is unchanged).
    pub(super) fn save_note(&mut self, doc_index: usize, id: SpanId, text: &str) {
        let Some(d) = self.ws.project().documents.get(doc_index) else {
            return;
        };
        let Some(s) = d.span(id) else {
            return;
        };
        let note = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        if s.review.as_ref().and_then(|r| r.note.as_ref()) == note.as_ref() {
            return;
        }
        let edit = Edit::SetReview {
            doc: d.id.clone(),
            span: id,
            status: s.status,
            review: Some(self.new_review(note)),
        };
        self.step_here("Review note", vec![edit]);
    }

    fn status_marks(&self) -> HashMap<SpanId, SpanMark> {
        let Some(d) = self.ws.project().documents.get(self.sel.doc) else {
            return HashMap::new();
        };
        d.spans
            .iter()
            .filter_map(|s| Some((s.id, status_mark(s.status, s.review.as_ref())?)))
            .collect()
    }

    /// `--compare`, `--review` and `--agreement` on the command line.
    pub(super) fn review_from_args(&mut self, args: &super::LaunchOptions) {
        self.compare.strategy = args.strategy;
        if !args.compare.is_empty() {
            self.open_compare(&args.compare);
        }
        if let Some(job) = &mut self.compare.loading {
            // Review mode applies to the gold project, once it is loaded.
            job.then_review = args.review;
        } else if args.review {
            self.review_command(AppCommand::ToggleReview);
        }
        self.compare.agreement_open = args.agreement;
        self.apply_actions();
    }
}

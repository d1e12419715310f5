//! Review mode: every span of the project in one queue, in reading order (documents in project
//! order, spans in text order), filtered by status, label and author. The reviewer accepts (A or
//! Enter), rejects (X), relabels (label keys), resizes (Alt+arrows) and adds a note (M); N and P
//! walk the queue. Every decision is one [`Edit`] step through the app's history, recording the
//! reviewer (the app's annotator name), the time and the status.
//!
//! This module also holds the state shared by compare mode ([`super::compare`]) and the agreement
//! panel ([`super::agreement_panel`]), and the hooks the app shell calls.

use super::article::{SpanMark, short};
use super::commands::AppCommand;
use super::compare::{CompareJob, CompareSession};
use super::{Action, SpantagApp};
use egui::{Color32, RichText, Ui};
use spantag_core::edit::Edit;
use spantag_core::model::{Review, SpanId, Status};
use spantag_core::review::merge::Strategy;
use spantag_core::time::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;

/// Filters of the review queue (`None` = any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub status: Option<Status>,
    pub label: Option<String>,
    pub author: Option<String>,
}

/// One queue entry: a span of document `doc` at position `index` of its span list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueItem {
    pub doc: usize,
    pub index: usize,
    pub id: SpanId,
}

impl QueueItem {
    fn key(&self) -> (usize, usize) {
        (self.doc, self.index)
    }
}

/// The queue and the progress counts of one project state.
struct QueueCache {
    key: (u64, u64, QueueFilter),
    items: Vec<QueueItem>,
    /// Per document: (reviewed, total) spans.
    per_doc: Vec<(usize, usize)>,
    /// Over all documents: (reviewed, total) spans.
    overall: (usize, usize),
    authors: Vec<String>,
}

/// The state the document list's notes were made for: (generation, revision, review mode).
type DocNotesKey = (u64, u64, bool);

/// Review, compare and agreement state of the app.
#[derive(Default)]
pub struct ReviewUi {
    /// Review mode is on.
    pub on: bool,
    pub filter: QueueFilter,
    /// The note being typed, and the span it belongs to.
    note: String,
    note_for: Option<(usize, SpanId)>,
    focus_note: bool,
    cache: Option<QueueCache>,
    /// Bumped whenever the workspace is replaced (revisions restart then).
    pub(super) generation: u64,
    /// Scroll the queue list to the current row on the next frame.
    scroll_queue: bool,
    /// The open comparison, if the project is a gold project built in compare mode.
    pub(super) compare: Option<CompareSession>,
    /// A comparison being loaded and merged on a background thread.
    pub(super) loading: Option<CompareJob>,
    /// The merge strategy of the next comparison (`None`: intersection).
    pub(super) strategy: Option<Strategy>,
    /// What the document list adds per document, for (generation, revision, review mode).
    doc_notes: Option<(DocNotesKey, Arc<Vec<String>>)>,
    /// The agreement window is open.
    pub(super) agreement_open: bool,
    /// The state the article's markers were made for (generation, revision, document, selected
    /// span, review mode).
    marks_key: Option<(u64, u64, usize, Option<SpanId>, bool)>,
}

fn note_id() -> egui::Id {
    egui::Id::unique("review-note-field")
}

/// Colour and description of a review status, for markers in the article.
pub fn status_mark(s: Status, review: Option<&Review>) -> Option<SpanMark> {
    let (color, what) = match s {
        Status::Pending => return None,
        Status::Accepted => (Color32::from_rgb(46, 160, 67), "accepted"),
        Status::Rejected => (Color32::from_rgb(215, 58, 73), "rejected"),
        Status::Edited => (Color32::from_rgb(56, 132, 244), "edited"),
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

/// In `items` sorted by `key` (reading order), the index of the first item after `pos` (at or
/// after it unless `strict`), or of the last item before it when going backwards.
pub(super) fn step_index<T>(
    items: &[T],
    key: impl Fn(&T) -> (usize, usize),
    pos: (usize, usize),
    strict: bool,
    forward: bool,
) -> Option<usize> {
    if forward {
        let i = if strict {
            items.partition_point(|it| key(it) <= pos)
        } else {
            items.partition_point(|it| key(it) < pos)
        };
        (i < items.len()).then_some(i)
    } else {
        items.partition_point(|it| key(it) < pos).checked_sub(1)
    }
}

/// One row of filter buttons: "any", then one per option (a second click clears it).
fn filter_row<T: PartialEq>(
    ui: &mut Ui,
    title: &str,
    any: &str,
    current: &mut Option<T>,
    options: Vec<(T, String)>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(title);
        if ui.selectable_label(current.is_none(), any).clicked() {
            *current = None;
        }
        for (value, text) in options {
            let on = current.as_ref() == Some(&value);
            if ui.selectable_label(on, text).clicked() {
                *current = (!on).then_some(value);
            }
        }
    });
}

impl SpantagApp {
    // ----- hooks called by the shell (mod.rs) -----

    /// Whether the review note field has the keyboard (single-letter commands are off then).
    pub(super) fn review_typing(&self, ctx: &egui::Context) -> bool {
        ctx.memory(|m| m.has_focus(note_id()))
    }

    /// Whether a review-only command's key is live in the current mode.
    pub(super) fn review_key_active(&self, c: AppCommand) -> bool {
        let comparing = self.review.compare.is_some() && !self.review.on;
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
                        .review
                        .compare
                        .as_ref()
                        .is_some_and(|c| c.names.len() >= 3)
            }
            _ => true,
        }
    }

    /// The workspace was replaced: the queue and any comparison belong to the old one.
    pub(super) fn review_reset(&mut self) {
        self.review.generation += 1;
        self.review.cache = None;
        self.review.note_for = None;
        self.review.compare = None;
        // Another project was opened: a comparison still loading must not replace it.
        self.review.loading = None;
        self.review.doc_notes = None;
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
                    if self.selected_span.is_none() {
                        self.queue_step(true);
                    }
                }
            }
            AppCommand::ToggleAgreement => self.review.agreement_open = !self.review.agreement_open,
            AppCommand::CompareProjects => self.pick_compare(),
            _ if !self.review_key_active(c) => {}
            _ if !self.review.on => self.compare_command(c),
            AppCommand::Accept => self.set_status(Status::Accepted),
            AppCommand::Reject => self.set_status(Status::Rejected),
            AppCommand::QueueNext => self.queue_step(true),
            AppCommand::QueuePrevious => self.queue_step(false),
            AppCommand::ReviewNote => {
                if self.selected_span.is_some() {
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
    pub(super) fn review_panels(&mut self, ui: &mut Ui) -> bool {
        self.compare_poll(ui.ctx());
        let comparing = self.review.compare.is_some();
        let key = (
            self.review.generation,
            self.ws.revision(),
            self.doc,
            self.selected_span,
            self.review.on,
        );
        if (self.review.on || comparing) && self.review.marks_key != Some(key) {
            self.article.marks = if self.review.on {
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
            self.article.marks.clear();
            self.review.marks_key = None;
        }
        self.review.on || comparing
    }

    /// Per document, what the document list adds in review mode (` · 3/10 reviewed`) and compare
    /// mode (` · 2 unresolved`); empty otherwise. Cached by project state, not rebuilt per frame.
    pub(super) fn review_doc_notes(&mut self) -> Arc<Vec<String>> {
        let comparing = self.review.compare.is_some();
        if !self.review.on && !comparing {
            return Arc::default();
        }
        let key = (self.review.generation, self.ws.revision(), self.review.on);
        if let Some((k, notes)) = &self.review.doc_notes
            && *k == key
        {
            return Arc::clone(notes);
        }
        let notes: Vec<String> = if self.review.on {
            self.refresh_queue();
            self.review.cache.as_ref().map_or_else(Vec::new, |c| {
                c.per_doc
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

    fn refresh_queue(&mut self) {
        let key = (
            self.review.generation,
            self.ws.revision(),
            self.review.filter.clone(),
        );
        if self.review.cache.as_ref().is_some_and(|c| c.key == key) {
            return;
        }
        let f = &self.review.filter;
        let mut items = Vec::new();
        let mut per_doc = Vec::with_capacity(self.ws.project().documents.len());
        let mut authors: Vec<String> = Vec::new();
        for (di, d) in self.ws.project().documents.iter().enumerate() {
            let mut reviewed = 0;
            for (index, s) in d.spans.iter().enumerate() {
                if s.status != Status::Pending {
                    reviewed += 1;
                }
                for a in std::iter::once(&s.author).chain(&s.proposed_by) {
                    if !authors.contains(a) {
                        authors.push(a.clone());
                    }
                }
                let keep = f.status.is_none_or(|st| st == s.status)
                    && f.label.as_ref().is_none_or(|l| *l == s.label)
                    && f.author
                        .as_ref()
                        .is_none_or(|a| *a == s.author || s.proposed_by.contains(a));
                if keep {
                    items.push(QueueItem {
                        doc: di,
                        index,
                        id: s.id,
                    });
                }
            }
            per_doc.push((reviewed, d.spans.len()));
        }
        authors.sort();
        let overall = per_doc.iter().fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
        self.review.cache = Some(QueueCache {
            key,
            items,
            per_doc,
            overall,
            authors,
        });
    }

    fn queue(&mut self) -> &[QueueItem] {
        self.refresh_queue();
        self.review.cache.as_ref().map_or(&[], |c| &c.items)
    }

    /// The reading position: the selected span's (document, index), or where the caret is.
    /// The flag says whether a span is selected.
    pub(super) fn reading_position(&self) -> ((usize, usize), bool) {
        let Some(d) = self.ws.project().documents.get(self.doc) else {
            return ((self.doc, 0), false);
        };
        if let Some(i) = self.selected_span.and_then(|id| d.span_index(id)) {
            return ((self.doc, i), true);
        }
        let i = d.spans.partition_point(|s| s.start < self.focus);
        ((self.doc, i), false)
    }

    /// Selects the next (or previous) queue entry after the reading position.
    fn queue_step(&mut self, forward: bool) {
        let (pos, on_span) = self.reading_position();
        self.queue_step_from(pos, on_span, forward);
    }

    fn queue_step_from(&mut self, pos: (usize, usize), strict: bool, forward: bool) {
        let items = self.queue();
        let target = step_index(items, QueueItem::key, pos, strict, forward).map(|i| items[i]);
        match target {
            Some(it) => self.go_to_span(it.doc, it.id),
            None if self.queue().is_empty() => self.toast("The review queue is empty"),
            None if forward => self.toast("End of the queue"),
            None => self.toast("Start of the queue"),
        }
    }

    /// Opens document `doc` if needed and selects span `id`, scrolled into view.
    pub(super) fn go_to_span(&mut self, doc: usize, id: SpanId) {
        if doc != self.doc {
            self.queue.push(Action::OpenDoc(doc));
        }
        self.queue.push(Action::SelectSpan { id, scroll: true });
        self.review.scroll_queue = true;
    }

    fn new_review(&self, note: Option<String>) -> Review {
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
            .get(self.doc)
            .and_then(|d| d.span(id))
            .and_then(|s| s.review.as_ref())
            .and_then(|r| r.note.clone())
    }

    /// Accepts or rejects the selected span (one history step), then moves on in the queue.
    fn set_status(&mut self, status: Status) {
        let (Some(doc), Some(id)) = (self.doc_id(), self.selected_span) else {
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
        if self.edit(what, vec![edit]) {
            self.queue_step_from(pos, true, true);
        }
    }

    /// Saves the typed note as the span's review note (one history step).
    fn save_note(&mut self, doc_index: usize, id: SpanId, text: &str) {
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
        self.edit("Review note", vec![edit]);
    }

    fn status_marks(&self) -> HashMap<SpanId, SpanMark> {
        let Some(d) = self.ws.project().documents.get(self.doc) else {
            return HashMap::new();
        };
        d.spans
            .iter()
            .filter_map(|s| Some((s.id, status_mark(s.status, s.review.as_ref())?)))
            .collect()
    }

    // ----- the panel -----

    fn review_panel(&mut self, ui: &mut Ui) {
        self.refresh_queue();
        egui::Panel::right("review")
            .resizable(true)
            .default_size(330.0)
            .show(ui, |ui| {
                ui.heading("Review");
                self.progress_lines(ui);
                ui.separator();
                self.filter_rows(ui);
                ui.separator();
                self.queue_list(ui);
                ui.separator();
                self.selected_details(ui);
                ui.separator();
                ui.weak(
                    "A or Enter accept · X reject · label key relabels · Alt+arrows resize · \
                     N/P next/previous · M note · Ctrl+Z undo · Ctrl+R leaves review mode",
                );
            });
    }

    fn progress_lines(&mut self, ui: &mut Ui) {
        let unresolved = self
            .review
            .compare
            .is_some()
            .then(|| self.decisions().len());
        let Some(c) = &self.review.cache else {
            return;
        };
        let (done, total) = c.overall;
        let frac = if total == 0 {
            1.0
        } else {
            done as f32 / total as f32
        };
        ui.add(
            egui::ProgressBar::new(frac)
                .text(format!("Overall: {done}/{total} reviewed"))
                .desired_height(16.0),
        );
        let (d_done, d_total) = c.per_doc.get(self.doc).copied().unwrap_or((0, 0));
        ui.label(format!("This document: {d_done}/{d_total} reviewed"));
        if let Some(n) = unresolved {
            ui.label(format!("Compare: {n} unresolved (Ctrl+R to return)"));
        }
    }

    fn filter_rows(&mut self, ui: &mut Ui) {
        let mut filter = self.review.filter.clone();
        let statuses: Vec<(Status, String)> = Status::ALL
            .into_iter()
            .map(|s| (s, s.name().to_owned()))
            .collect();
        filter_row(ui, "Status:", "any status", &mut filter.status, statuses);
        let labels = self
            .ws
            .project()
            .labels
            .iter()
            .map(|l| (l.name.clone(), format!("label {}", l.name)))
            .collect();
        filter_row(ui, "Label:", "any label", &mut filter.label, labels);
        let authors = self.review.cache.as_ref().map_or_else(Vec::new, |c| {
            c.authors
                .iter()
                .map(|a| (a.clone(), format!("by {a}")))
                .collect()
        });
        filter_row(ui, "Author:", "any author", &mut filter.author, authors);
        if filter != self.review.filter {
            self.review.filter = filter;
            self.review.scroll_queue = true;
        }
    }

    fn queue_list(&mut self, ui: &mut Ui) {
        let scroll = std::mem::take(&mut self.review.scroll_queue);
        let Some(c) = &self.review.cache else {
            return;
        };
        // The queue is in reading order: find the selected span by binary search.
        let current = self.selected_span.and_then(|id| {
            let index = self.ws.project().documents.get(self.doc)?.span_index(id)?;
            c.items
                .binary_search_by_key(&(self.doc, index), QueueItem::key)
                .ok()
        });
        ui.label(match current {
            Some(i) => format!("Queue: {} of {}", i + 1, c.items.len()),
            None => format!("Queue: {} spans", c.items.len()),
        });
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let mut area = egui::ScrollArea::vertical()
            .id_salt("review-queue")
            .max_height(260.0)
            .auto_shrink([false, true]);
        if scroll && let Some(i) = current {
            area = area.vertical_scroll_offset((i as f32 - 4.0).max(0.0) * row_h);
        }
        let mut clicked = None;
        area.show_rows(ui, row_h, c.items.len(), |ui, range| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            for (i, it) in c.items[range.clone()].iter().enumerate() {
                let Some(s) = self
                    .ws
                    .project()
                    .documents
                    .get(it.doc)
                    .and_then(|d| d.spans.get(it.index))
                else {
                    continue;
                };
                let text = format!(
                    "{} · {} “{}” · {}",
                    s.status.name(),
                    s.label,
                    short(&s.text, 28),
                    s.author
                );
                if ui
                    .selectable_label(current == Some(range.start + i), text)
                    .clicked()
                {
                    clicked = Some(*it);
                }
            }
        });
        if let Some(it) = clicked {
            self.go_to_span(it.doc, it.id);
        }
    }

    fn selected_details(&mut self, ui: &mut Ui) {
        let Some(id) = self.selected_span else {
            ui.weak("No span selected: press N for the next one in the queue.");
            return;
        };
        let Some(s) = self
            .ws
            .project()
            .documents
            .get(self.doc)
            .and_then(|d| d.span(id))
        else {
            return;
        };
        ui.label(RichText::new(format!("{} “{}”", s.label, short(&s.text, 60))).strong());
        ui.label(format!("by {} · {}", s.author, s.status.name()));
        if let Some(r) = &s.review {
            ui.weak(format!("reviewed by {} at {}", r.reviewer, r.time));
        }
        if let Some(n) = &s.note {
            ui.label(format!("Annotator's note: {n}"));
        }
        let key = (self.doc, id);
        if self.review.note_for != Some(key) {
            self.review.note = s
                .review
                .as_ref()
                .and_then(|r| r.note.clone())
                .unwrap_or_default();
            self.review.note_for = Some(key);
        }
        let mut save = None;
        ui.horizontal(|ui| {
            let label = ui.label("Review note:");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.review.note)
                        .id(note_id())
                        .hint_text("press M to type")
                        .desired_width(200.0),
                )
                .labelled_by(label.id);
            if std::mem::take(&mut self.review.focus_note) {
                r.request_focus();
            }
            if r.lost_focus() {
                if ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    save = Some(self.review.note.clone());
                } else {
                    // Escape or a click elsewhere: forget the draft.
                    self.review.note_for = None;
                }
            }
        });
        if let Some(text) = save {
            self.save_note(self.doc, id, &text);
        }
    }
}

impl SpantagApp {
    /// `--compare`, `--review` and `--agreement` on the command line.
    pub(super) fn review_from_args(&mut self, args: &super::LaunchOptions) {
        self.review.strategy = args.strategy;
        if !args.compare.is_empty() {
            self.open_compare(&args.compare);
        }
        if let Some(job) = &mut self.review.loading {
            // Review mode applies to the gold project, once it is loaded.
            job.then_review = args.review;
        } else if args.review {
            self.review_command(AppCommand::ToggleReview);
        }
        self.review.agreement_open = args.agreement;
        self.apply_actions();
    }
}

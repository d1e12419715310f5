//! The selection and the spans under it: caret and selection moves by token, clicks and drags
//! on the article, walking the spans, tagging, deleting and moving a span's boundaries. Called
//! by the action handler only.

use super::SpantagApp;
use super::action::Action;
use super::commands::AppCommand;
use spantag_core::edit::Edit;
use spantag_core::history::Cursor;
use spantag_core::model::SpanId;
use spantag_core::movement::{self, Boundary, Dir, Selection, Text, Unit};

impl SpantagApp {
    /// Caret moves (Left/Right) and selection extension (Shift+Left/Right), by token, through
    /// the core's movement functions (an extended selection never starts or ends in whitespace).
    pub(super) fn caret_command(&mut self, c: AppCommand) {
        let Some(d) = self.ws.project().documents.get(self.sel.doc) else {
            return;
        };
        let t = Text::of(d);
        let dir = match c {
            AppCommand::CaretLeft | AppCommand::ExtendLeft => Dir::Back,
            _ => Dir::Forward,
        };
        let next = match c {
            AppCommand::CaretLeft | AppCommand::CaretRight => {
                movement::move_caret(&t, self.sel.selection, Unit::Token, dir)
            }
            AppCommand::ExtendLeft | AppCommand::ExtendRight => {
                // With a span selected, extending starts afresh from the caret.
                let from = if self.sel.span.is_some() {
                    Selection::caret(self.sel.selection.head)
                } else {
                    self.sel.selection
                };
                movement::extend(&t, from, Unit::Token, dir)
            }
            _ => return,
        };
        self.sel.selection = next;
        self.sel.span = None;
        self.view.article.scroll_target = Some(next.head);
    }

    /// Tab and Shift+Tab: the next or previous span in text order.
    pub(super) fn span_step(&mut self, c: AppCommand) {
        let Some(d) = self.ws.project().documents.get(self.sel.doc) else {
            return;
        };
        if d.spans.is_empty() {
            return;
        }
        let caret = self.sel.caret();
        let cur = self.sel.span.and_then(|id| d.span_index(id));
        let n = d.spans.len();
        let i = match (cur, c == AppCommand::NextSpan) {
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
            (None, true) => d.spans.partition_point(|s| s.start < caret) % n,
            (None, false) => (d.spans.partition_point(|s| s.start < caret) + n - 1) % n,
        };
        let id = d.spans[i].id;
        self.queue.push(Action::SelectSpan { id, scroll: true });
    }

    /// Removes the selected span (one step; the selection stays, with no span selected).
    /// Its relations go with it, in the same step, and the toast says so.
    pub(super) fn delete_span(&mut self) {
        if let (Some(doc), Some(span)) = (self.doc_id(), self.sel.span) {
            let d = self.ws.project().documents.get(self.sel.doc);
            let label = d
                .and_then(|d| d.span(span))
                .map_or_else(|| "span".to_owned(), |s| s.label.clone());
            let n = d.map_or(0, |d| d.relations_of(span).count());
            let after = Cursor {
                span: None,
                ..self.cursor()
            };
            self.cancel_link(false);
            if n == 0 {
                self.step("Delete span", vec![Edit::RemoveSpan { doc, span }], after);
            } else {
                let what = format!("{label} and {n} relation{}", if n == 1 { "" } else { "s" });
                if self.step(
                    &format!("Delete {what}"),
                    vec![Edit::RemoveSpan { doc, span }],
                    after,
                ) {
                    self.toast(format!("Removed {what}"));
                }
            }
        }
    }

    /// Alt(+Shift)+arrows: moves the selected span's start or end by one token.
    pub(super) fn move_boundary(&mut self, c: AppCommand) {
        let (Some(doc), Some(id)) = (self.doc_id(), self.sel.span) else {
            self.toast("Select a span first (click it, or Tab)");
            return;
        };
        let Some(d) = self.ws.project().documents.get(self.sel.doc) else {
            return;
        };
        let Some(s) = d.span(id) else {
            return;
        };
        let (which, dir) = match c {
            AppCommand::StartLeft => (Boundary::Start, Dir::Back),
            AppCommand::StartRight => (Boundary::Start, Dir::Forward),
            AppCommand::EndLeft => (Boundary::End, Dir::Back),
            _ => (Boundary::End, Dir::Forward),
        };
        let moved = movement::move_boundary(&Text::of(d), s.start..s.end, which, Unit::Token, dir);
        let (start, end) = (moved.start, moved.end);
        if (start, end) != (s.start, s.end) {
            let edits = vec![Edit::Resize {
                doc: doc.clone(),
                span: id,
                start,
                end,
            }];
            let edits = self.review_marked(&doc, id, edits);
            self.step_here("Resize span", edits);
        }
    }

    /// Tags the selection with `label` (a new span), or relabels the selected span.
    pub(super) fn tag(&mut self, label: &str) {
        let Some(doc) = self.doc_id() else {
            return;
        };
        let Some(d) = self.ws.project().documents.get(self.sel.doc) else {
            return;
        };
        let raw = self.sel.range();
        // A selection made by mouse (character precision) may hold whitespace at its ends.
        let sel = movement::trim_to_text(&Text::of(d), raw.clone());
        if !raw.is_empty() && sel.is_empty() {
            self.toast("The selection holds only whitespace; nothing to tag");
        } else if !sel.is_empty() {
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
            // Collapse the selection to a caret after the new span, ready for the next one.
            let after = Cursor::caret(doc.clone(), sel.end);
            self.step(
                &format!("Tag {label}"),
                vec![Edit::AddSpan { doc, span }],
                after,
            );
        } else if let Some(span) = self.sel.span {
            let same = self
                .ws
                .project()
                .documents
                .get(self.sel.doc)
                .and_then(|d| d.span(span))
                .is_some_and(|s| s.label == label);
            if !same {
                let edits = vec![Edit::Relabel {
                    doc: doc.clone(),
                    span,
                    label: label.to_owned(),
                }];
                let edits = self.review_marked(&doc, span, edits);
                self.step_here(&format!("Relabel as {label}"), edits);
            }
        } else {
            self.toast("Select some text first (drag, double-click, or Shift+arrows)");
        }
    }

    /// A click in the article: selects the span under it (repeated clicks cycle through
    /// stacked spans) or puts the caret at `boundary`.
    pub(super) fn click_at(&mut self, char: Option<usize>, boundary: usize) {
        // Picking the other end of a new relation: the click picks it.
        if self.linking().is_some() {
            self.link_click(char);
            return;
        }
        let Some(d) = self.ws.project().documents.get(self.sel.doc) else {
            return;
        };
        if let Some(c) = char {
            let stacked: Vec<SpanId> = d.spans_at(c).map(|s| s.id).collect();
            if !stacked.is_empty() {
                let n = match self.sel.last_click {
                    Some((at, n)) if at == c && self.sel.span.is_some() => n + 1,
                    _ => 0,
                };
                self.sel.last_click = Some((c, n));
                self.sel.span = Some(stacked[n % stacked.len()]);
                self.sel.selection = Selection::caret(boundary);
                return;
            }
        }
        self.sel.last_click = None;
        self.sel.span = None;
        self.sel.selection = Selection::caret(boundary);
    }

    /// Shift+click or a drag: extends the selection to boundary `b`, snapped to whole tokens.
    pub(super) fn extend_to(&mut self, b: usize) {
        let Some(d) = self.ws.project().documents.get(self.sel.doc) else {
            return;
        };
        let a = self.sel.selection.anchor;
        let (lo, hi) = (a.min(b), a.max(b));
        if let Some(r) = d.index().snap_to_tokens(lo..hi) {
            self.sel.selection = if b >= a {
                Selection::new(r.start, r.end)
            } else {
                Selection::new(r.end, r.start)
            };
        }
        self.sel.span = None;
    }
}

//! The review side panel: progress, the queue's filters, the queue itself and the selected
//! span's details with the review note field. It reads the state and pushes actions; the note
//! being typed is the field's own text until Enter saves it (one history step).

use super::SpantagApp;
use super::action::Action;
use super::article::short;
use super::commands::AppCommand;
use egui::{RichText, Ui};
use spantag_core::model::Status;
use spantag_core::review::queue::{QueueItem, QueueKind};

/// The id of the review note field.
pub(super) fn note_id() -> egui::Id {
    egui::Id::unique("review-note-field")
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
    pub(super) fn review_panel(&mut self, ui: &mut Ui) {
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
                if self.review.filter.kind == QueueKind::Relations {
                    self.relation_details(ui);
                } else {
                    self.selected_details(ui);
                }
                ui.separator();
                ui.weak(
                    "A or Enter accept · X reject · label key relabels · Alt+arrows resize · \
                     N/P next/previous · M note · Ctrl+Z undo · Ctrl+R leaves review mode",
                );
            });
    }

    fn progress_lines(&mut self, ui: &mut Ui) {
        let unresolved = self
            .compare
            .session
            .is_some()
            .then(|| self.decisions().len());
        let Some(c) = self.review.queue() else {
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
        let (d_done, d_total) = c.per_doc.get(self.sel.doc).copied().unwrap_or((0, 0));
        ui.label(format!("This document: {d_done}/{d_total} reviewed"));
        if let Some(n) = unresolved {
            ui.label(format!("Compare: {n} unresolved (Ctrl+R to return)"));
        }
    }

    fn filter_rows(&mut self, ui: &mut Ui) {
        let mut filter = self.review.filter.clone();
        ui.horizontal_wrapped(|ui| {
            ui.label("Queue:");
            for (kind, text, help) in [
                (QueueKind::Spans, "spans", "Review the spans"),
                (
                    QueueKind::Relations,
                    "relations",
                    "Review the relations: A accept, X reject, type buttons retype",
                ),
                (
                    QueueKind::Unsourced,
                    "claims without a source",
                    "Claims that have no source relation yet",
                ),
            ] {
                if ui
                    .selectable_label(filter.kind == kind, text)
                    .on_hover_text(help)
                    .clicked()
                    && filter.kind != kind
                {
                    filter.kind = kind;
                    // A label filter means a relation type in the relation queue.
                    filter.label = None;
                }
            }
        });
        let statuses: Vec<(Status, String)> = Status::ALL
            .into_iter()
            .map(|s| (s, s.name().to_owned()))
            .collect();
        filter_row(ui, "Status:", "any status", &mut filter.status, statuses);
        if filter.kind == QueueKind::Relations {
            let types = self
                .ws
                .project()
                .relation_types
                .iter()
                .map(|t| (t.name.clone(), format!("relation {}", t.name)))
                .collect();
            filter_row(ui, "Type:", "any type", &mut filter.label, types);
        } else {
            let labels = self
                .ws
                .project()
                .labels
                .iter()
                .map(|l| (l.name.clone(), format!("label {}", l.name)))
                .collect();
            filter_row(ui, "Label:", "any label", &mut filter.label, labels);
        }
        let authors = self.review.queue().map_or_else(Vec::new, |c| {
            c.authors
                .iter()
                .map(|a| (a.clone(), format!("by {a}")))
                .collect()
        });
        filter_row(ui, "Author:", "any author", &mut filter.author, authors);
        if filter != self.review.filter {
            self.queue.push(Action::SetReviewFilter(filter));
        }
    }

    fn queue_list(&mut self, ui: &mut Ui) {
        let scroll = std::mem::take(&mut self.review.scroll_queue);
        let Some(c) = self.review.queue() else {
            return;
        };
        let doc = self.sel.doc;
        let relations = self.review.filter.kind == QueueKind::Relations;
        // The queue is in reading order: find the selected span by binary search.
        let current = if relations {
            self.review.relation.and_then(|(d, r)| {
                c.items
                    .iter()
                    .position(|it| it.doc == d && it.relation == Some(r))
            })
        } else {
            self.sel.span.and_then(|id| {
                let index = self.ws.project().documents.get(doc)?.span_index(id)?;
                c.items
                    .binary_search_by_key(&(doc, index), QueueItem::key)
                    .ok()
            })
        };
        ui.label(match current {
            Some(i) => format!("Queue: {} of {}", i + 1, c.items.len()),
            None if relations => format!("Queue: {} relations", c.items.len()),
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
                if let Some(rid) = it.relation {
                    let Some(d) = self.ws.project().documents.get(it.doc) else {
                        continue;
                    };
                    let Some(r) = d.relation(rid) else { continue };
                    let end = |id| {
                        d.span(id)
                            .map(|s| format!("{} “{}”", s.label, short(&s.text, 16)))
                            .unwrap_or_default()
                    };
                    let text = format!(
                        "{} · {}: {} -> {} · {}",
                        r.status.name(),
                        r.kind,
                        end(r.from),
                        end(r.to),
                        r.author
                    );
                    if ui
                        .selectable_label(current == Some(range.start + i), text)
                        .clicked()
                    {
                        clicked = Some(*it);
                    }
                    continue;
                }
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
        match clicked {
            Some(QueueItem {
                doc,
                relation: Some(relation),
                ..
            }) => self.queue.push(Action::GoToRelation { doc, relation }),
            Some(it) => self.queue.push(Action::GoToSpan {
                doc: it.doc,
                id: it.id,
            }),
            None => {}
        }
    }

    fn selected_details(&mut self, ui: &mut Ui) {
        let Some(id) = self.sel.span else {
            ui.weak("No span selected: press N for the next one in the queue.");
            return;
        };
        let Some(s) = self
            .ws
            .project()
            .documents
            .get(self.sel.doc)
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
        // The field shows the stored note again whenever the span or the project changes (a
        // save, undo); until then it keeps what is typed, even after a click elsewhere.
        let key = (self.sel.doc, id, self.ws.revision());
        if self.review.note_for != Some(key) {
            self.review.note = s
                .review
                .as_ref()
                .and_then(|r| r.note.clone())
                .unwrap_or_default();
            self.review.note_for = Some(key);
        }
        let stored = s.review.as_ref().and_then(|r| r.note.as_deref());
        let changed = stored.unwrap_or("") != self.review.note.trim();
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
                } else if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    // Escape: forget the draft.
                    self.review.note_for = None;
                }
            }
            let b = ui
                .add_enabled(changed, egui::Button::new("Save note"))
                .on_hover_text("Save the typed note as the review note (Enter in the field)");
            if b.clicked() {
                save = Some(self.review.note.clone());
            }
        });
        let mut command = None;
        ui.horizontal(|ui| {
            if ui
                .button("Accept (A)")
                .on_hover_text("Accept the span and go to the next in the queue")
                .clicked()
            {
                command = Some(AppCommand::Accept);
            }
            if ui
                .button("Reject (X)")
                .on_hover_text("Reject the span (it is kept, marked rejected) and go to the next")
                .clicked()
            {
                command = Some(AppCommand::Reject);
            }
        });
        if let Some(text) = save {
            self.queue.push(Action::SaveReviewNote {
                doc: self.sel.doc,
                span: id,
                text,
            });
        }
        if let Some(c) = command {
            self.queue.push(Action::Command(c));
        }
    }

    /// The relation under review: its two spans, who made it, its status, and the buttons that
    /// accept, reject or retype it.
    fn relation_details(&mut self, ui: &mut Ui) {
        let Some((doc, rid)) = self.review.relation else {
            ui.weak("No relation selected: press N for the next one in the queue.");
            return;
        };
        let project = self.ws.project();
        let Some(d) = project.documents.get(doc) else {
            return;
        };
        let Some(r) = d.relation(rid) else {
            ui.weak("No relation selected: press N for the next one in the queue.");
            return;
        };
        let end = |id| {
            d.span(id)
                .map(|s| {
                    (
                        s.label.clone(),
                        format!("{} “{}”", s.label, short(&s.text, 40)),
                    )
                })
                .unwrap_or_default()
        };
        let ((from_label, from), (to_label, to)) = (end(r.from), end(r.to));
        ui.label(RichText::new(format!("{} relation", r.kind)).strong());
        ui.label(format!("from {from}"));
        ui.label(format!("to {to}"));
        ui.label(format!("by {} · {}", r.author, r.status.name()));
        if !r.proposed_by.is_empty() {
            ui.weak(format!("proposed by {}", r.proposed_by.join(", ")));
        }
        if let Some(v) = &r.review {
            ui.weak(format!("reviewed by {} at {}", v.reviewer, v.time));
        }
        // The types that allow these two spans; the current one first.
        let kinds: Vec<String> = project
            .relation_types
            .iter()
            .filter(|t| t.allows_from(&from_label) && t.allows_to(&to_label))
            .map(|t| t.name.clone())
            .collect();
        let current = r.kind.clone();
        let mut command = None;
        let mut retype = None;
        ui.horizontal(|ui| {
            if ui
                .button("Accept (A)")
                .on_hover_text("Accept the relation and go to the next in the queue")
                .clicked()
            {
                command = Some(AppCommand::Accept);
            }
            if ui
                .button("Reject (X)")
                .on_hover_text("Reject the relation (kept, marked rejected) and go to the next")
                .clicked()
            {
                command = Some(AppCommand::Reject);
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Retype:");
            for k in kinds {
                let b = ui
                    .add_enabled(k != current, egui::Button::new(format!("type {k}")))
                    .on_hover_text("Give the relation this type (marked edited)");
                if b.clicked() {
                    retype = Some(k);
                }
            }
        });
        if let Some(c) = command {
            self.queue.push(Action::Command(c));
        }
        if let Some(kind) = retype {
            self.queue.push(Action::ReviewRetypeRelation {
                doc,
                relation: rid,
                kind,
            });
        }
    }
}

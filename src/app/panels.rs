//! The panels around the article: menu bar, label bar, status bar, document list, span list and
//! the article itself. Each reads the state and pushes [`Action`]s; nothing here changes the project.

use super::SpantagApp;
use super::action::Action;
use super::article::{Picking, ViewInput, short};
use super::commands::{AppCommand, MenuGroup, commands, shortcut_text};
use super::state::SpanView;
use egui::{Color32, RichText, Ui};
use spantag_core::model::DocState;

impl SpantagApp {
    pub(super) fn menu_bar(&mut self, ui: &mut Ui) {
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
                        for c in commands().iter().filter(|c| c.menu == group) {
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

    pub(super) fn label_bar(&mut self, ui: &mut Ui) {
        egui::Panel::top("labels").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Labels:");
                self.refresh_span_view();
                for (l, &count) in self.ws.project().labels.iter().zip(&self.view.spans.counts) {
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

    pub(super) fn status_bar(&mut self, ui: &mut Ui) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let doc = self.ws.project().documents.get(self.sel.doc);
                let sel = self.sel.range();
                if let Some((text, color)) = self.linking_status() {
                    // Relations: what picking the other end of a new relation expects.
                    ui.label(RichText::new(text).color(color).strong());
                } else if let (Some(d), Some(id)) = (doc, self.sel.span)
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
                    ui.label(format!("Caret at {}", self.sel.caret()));
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let n = self.ws.project().documents.len();
                    ui.label(format!("Document {} of {n}", (self.sel.doc + 1).min(n)));
                    ui.separator();
                    let state = if self.files.saving.is_some() {
                        "Saving…".to_owned()
                    } else if self.files.read_only {
                        "Read-only: open in another window".to_owned()
                    } else if !self.ws.is_dirty() {
                        "Saved".to_owned()
                    } else if self.files.autosaved_revision == Some(self.ws.revision()) {
                        "Unsaved changes (autosaved)".to_owned()
                    } else {
                        "Unsaved changes".to_owned()
                    };
                    ui.label(state);
                });
            });
        });
    }

    pub(super) fn doc_list(&mut self, ui: &mut Ui) {
        let notes = self.review_doc_notes();
        egui::Panel::left("documents")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| {
                ui.heading("Documents");
                let docs = &self.ws.project().documents;
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
                            if doc_row(ui, i == self.sel.doc, &title, &detail, row_h).clicked() {
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

    /// Rebuilds the [`SpanView`] if the document, the revision or the filter changed.
    pub(super) fn refresh_span_view(&mut self) {
        let key = Some((self.sel.doc, self.ws.revision(), self.view.filter.clone()));
        if self.view.spans.key == key {
            return;
        }
        let labels = &self.ws.project().labels;
        let mut counts = vec![0; labels.len()];
        let mut rows = Vec::new();
        if let Some(d) = self.ws.project().documents.get(self.sel.doc) {
            for (i, s) in d.spans.iter().enumerate() {
                if let Some(k) = labels.iter().position(|l| l.name == s.label) {
                    counts[k] += 1;
                }
                if self.view.filter.as_deref().is_none_or(|f| f == s.label) {
                    rows.push(i);
                }
            }
        }
        self.view.spans = SpanView { key, counts, rows };
    }

    pub(super) fn span_list(&mut self, ui: &mut Ui) {
        egui::Panel::right("spans")
            .resizable(true)
            .default_size(260.0)
            .show(ui, |ui| {
                ui.heading("Spans");
                self.refresh_span_view();
                let Some(doc) = self.ws.project().documents.get(self.sel.doc) else {
                    return;
                };
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .selectable_label(self.view.filter.is_none(), "all")
                        .on_hover_text("Show spans of every label")
                        .clicked()
                    {
                        self.queue.push(Action::SetFilter(None));
                    }
                    for l in &self.ws.project().labels {
                        let on = self.view.filter.as_deref() == Some(l.name.as_str());
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
                // Relations: the selected span's relations, with retype / reverse / delete.
                if let Some(span) = self.sel.span.and_then(|id| doc.span(id)) {
                    super::relations::relations_panel(
                        ui,
                        self.ws.project(),
                        doc,
                        self.sel.doc,
                        span,
                        &mut self.queue,
                    );
                    ui.separator();
                }
                let linking = self.sel.linking.is_some();
                let rows = &self.view.spans.rows;
                let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
                egui::ScrollArea::vertical()
                    .id_salt("span-list")
                    .auto_shrink([false, false])
                    .show_rows(ui, row_h, rows.len(), |ui, range| {
                        for &i in &rows[range] {
                            let s = &doc.spans[i];
                            let selected = self.sel.span == Some(s.id);
                            let r = ui.selectable_label(
                                selected,
                                format!("{}: {}", s.label, short(&s.text, 40)),
                            );
                            if r.clicked() {
                                // While a relation is being made, a row picks its other end.
                                self.queue.push(if linking {
                                    Action::LinkTo(s.id)
                                } else {
                                    Action::SelectSpan {
                                        id: s.id,
                                        scroll: true,
                                    }
                                });
                            }
                        }
                    });
            });
    }

    pub(super) fn article_panel(&mut self, ui: &mut Ui) {
        let Some(doc) = self.ws.project().documents.get(self.sel.doc) else {
            ui.centered_and_justified(|ui| {
                ui.label(
                    "No documents. Use File › Add articles (Ctrl+Shift+O) or drop files here.",
                );
            });
            return;
        };
        let sel = self.sel.range();
        let p = self.ws.project();
        // Relations: the spans allowed as the other end while one is being made.
        let picking = self
            .sel
            .linking
            .as_ref()
            .filter(|l| l.doc == self.sel.doc && doc.span(l.from).is_some())
            .map(|l| Picking {
                from: l.from,
                color: super::relations::type_color(p.relation_type(&l.kind)),
                allowed: &l.allowed,
                chosen: l.chosen.and_then(|i| l.candidates.get(i).copied()),
            });
        let input = ViewInput {
            doc,
            labels: &p.labels,
            selection: (!sel.is_empty()).then_some(sel),
            caret: self.sel.caret(),
            selected_span: self.sel.span,
            zoom: self.view.zoom,
            revision: (self.generation, self.ws.revision()),
            relation_types: &p.relation_types,
            picking,
        };
        let actions = self.view.article.show(ui, &input);
        self.queue.extend(actions);
    }
}

/// One row of the document list: a selectable box with two single-line texts (the title and
/// `detail`), cut with "…" when the panel is narrow, so that every row has the same height.
pub(super) fn doc_row(
    ui: &mut Ui,
    selected: bool,
    title: &str,
    detail: &str,
    height: f32,
) -> egui::Response {
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

//! Compare mode's drawing: the markers on the gold document's spans (agreement kind, who marked
//! what, resolution), the side panel (annotators, merge strategy, the current conflict and its
//! buttons) and the "Comparing…" window. Everything here reads the state and pushes actions.

use super::SpantagApp;
use super::action::Action;
use super::article::{SpanMark, short};
use super::commands::AppCommand;
use egui::{Color32, RichText, Ui};
use spantag_core::model::{SpanId, Status};
use spantag_core::review::compare::{Agreement, MergedSpan};
use spantag_core::review::merge::Strategy;
use std::collections::HashMap;

/// Marker colours of the merged view.
pub mod colors {
    use egui::Color32;
    pub const AGREED: Color32 = Color32::from_rgb(46, 160, 67);
    pub const SOME: Color32 = Color32::from_rgb(222, 150, 0);
    pub const LABEL: Color32 = Color32::from_rgb(215, 58, 73);
    pub const BOUNDARY: Color32 = Color32::from_rgb(137, 87, 229);
    pub const EDITED: Color32 = Color32::from_rgb(56, 132, 244);
}

fn kind_color(a: Agreement) -> Color32 {
    match a {
        Agreement::All => colors::AGREED,
        Agreement::Some => colors::SOME,
        Agreement::LabelConflict => colors::LABEL,
        Agreement::BoundaryConflict => colors::BOUNDARY,
    }
}

impl SpantagApp {
    /// Markers of the open gold document's spans: agreement kind, who, resolution.
    pub(super) fn compare_marks(&mut self) -> HashMap<SpanId, SpanMark> {
        let current = self.current_decision().map(|d| d.spans).unwrap_or_default();
        let (Some(session), Some(d)) = (
            &self.compare.session,
            self.ws.project().documents.get(self.sel.doc),
        ) else {
            return HashMap::new();
        };
        let cmp = session.docs.get(&d.id);
        let by_key: HashMap<(usize, usize, &str), &MergedSpan> = cmp
            .map(|c| {
                c.spans
                    .iter()
                    .map(|m| ((m.start, m.end, m.label.as_str()), m))
                    .collect()
            })
            .unwrap_or_default();
        let mut out = HashMap::new();
        for s in &d.spans {
            let merged = by_key.get(&(s.start, s.end, s.label.as_str())).copied();
            let (color, mut text) = match (merged, cmp) {
                (Some(m), Some(c)) => {
                    let who: Vec<&str> =
                        m.by.iter()
                            .filter_map(|&k| session.names.get(k).map(String::as_str))
                            .collect();
                    let text = match m.agreement {
                        Agreement::All => format!("Agreed by all ({})", who.join(", ")),
                        Agreement::Some => format!("Only {}", who.join(", ")),
                        kind => {
                            // Spans are sorted by start: only those starting before m ends.
                            let upto = c.spans.partition_point(|o| o.start < m.end);
                            let others: Vec<String> = c.spans[..upto]
                                .iter()
                                .filter(|o| m.start < o.end && *o != m)
                                .filter(|o| {
                                    (o.start, o.end) == (m.start, m.end) || o.label == m.label
                                })
                                .map(|o| {
                                    let by: Vec<&str> = o
                                        .by
                                        .iter()
                                        .filter_map(|&k| session.names.get(k).map(String::as_str))
                                        .collect();
                                    format!(
                                        "{}: {} “{}”",
                                        by.join(", "),
                                        o.label,
                                        short(&o.text, 30)
                                    )
                                })
                                .collect();
                            format!(
                                "{} — {} marked this; {}",
                                capitalise(kind.name()),
                                who.join(", "),
                                others.join("; ")
                            )
                        }
                    };
                    (kind_color(m.agreement), text)
                }
                _ => (colors::EDITED, "Changed by the reviewer".to_owned()),
            };
            match s.status {
                Status::Pending => text.push_str(" · unresolved"),
                st => text.push_str(&format!(" · resolved: {}", st.name())),
            }
            out.insert(
                s.id,
                SpanMark {
                    color,
                    text,
                    strike: false,
                    emphasis: current.contains(&s.id),
                    dashed: s.status == Status::Pending,
                },
            );
        }
        out
    }

    // ----- the panel -----

    pub(super) fn compare_panel(&mut self, ui: &mut Ui) {
        let unresolved = self.decisions().len();
        let current = self.current_decision();
        let can_remerge = self.can_remerge();
        let mut pick: Option<(usize, SpanId)> = None;
        let mut command: Option<AppCommand> = None;
        let mut take: Option<usize> = None;
        let mut strategy: Option<Strategy> = None;
        egui::Panel::right("compare")
            .resizable(true)
            .default_size(330.0)
            .show(ui, |ui| {
                let Some(session) = &self.compare.session else {
                    return;
                };
                ui.heading("Compare");
                let color = if unresolved == 0 {
                    colors::AGREED
                } else {
                    colors::LABEL
                };
                ui.label(
                    RichText::new(format!("{unresolved} unresolved"))
                        .size(18.0)
                        .strong()
                        .color(color),
                );
                for (k, path) in session.paths.iter().enumerate() {
                    let file = path.file_name().map(|f| f.to_string_lossy());
                    ui.label(format!("Annotator {}", session.who(k)))
                        .on_hover_text(path.display().to_string());
                    if let Some(f) = file {
                        ui.weak(format!("  from {f}"));
                    }
                }
                strategy = strategy_row(ui, session.strategy, can_remerge);
                if self.compare.loading.is_some() {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("merging…");
                    });
                }
                ui.separator();
                legend(ui);
                ui.separator();
                match &current {
                    Some(dec) => {
                        let doc = self.ws.project().documents.get(dec.doc);
                        ui.label(RichText::new("Current conflict").strong());
                        for id in &dec.spans {
                            let Some(s) = doc.and_then(|d| d.span(*id)) else {
                                continue;
                            };
                            let text = format!(
                                "{} “{}” — {}",
                                s.label,
                                short(&s.text, 30),
                                s.proposed_by.join(", ")
                            );
                            if ui
                                .selectable_label(self.sel.span == Some(*id), text)
                                .on_hover_text("Select this span (E keeps it)")
                                .clicked()
                            {
                                pick = Some((dec.doc, *id));
                            }
                        }
                        // The decision's relations: type, both ends and who proposed it.
                        for rid in &dec.relations {
                            let Some((d, r)) = doc.and_then(|d| d.relation(*rid).map(|r| (d, r)))
                            else {
                                continue;
                            };
                            let end = |id| {
                                d.span(id)
                                    .map(|s| format!("{} “{}”", s.label, short(&s.text, 20)))
                                    .unwrap_or_default()
                            };
                            ui.label(format!(
                                "{}: {} -> {} — {}",
                                r.kind,
                                end(r.from),
                                end(r.to),
                                r.proposed_by.join(", ")
                            ));
                        }
                    }
                    None if unresolved > 0 => {
                        ui.weak("No conflict selected: press N for the next one.");
                    }
                    None => {
                        ui.label("All conflicts are resolved.");
                    }
                }
                ui.horizontal_wrapped(|ui| {
                    // One button per annotator: A/B/C also have keys, the fourth and later are
                    // taken by click.
                    let keys = [AppCommand::Accept, AppCommand::TakeB, AppCommand::TakeC];
                    for k in 0..session.names.len() {
                        let b = egui::Button::new(format!("Take {}", session.who(k)));
                        if ui.add_enabled(current.is_some(), b).clicked() {
                            match keys.get(k) {
                                Some(c) => command = Some(*c),
                                None => take = Some(k),
                            }
                        }
                    }
                    let all = if session.names.len() > 2 {
                        "Take all (T)"
                    } else {
                        "Take both (T)"
                    };
                    let buttons = [
                        (all, AppCommand::TakeAll),
                        ("Edit: keep selected (E)", AppCommand::KeepSelected),
                        ("Drop (X)", AppCommand::Reject),
                    ];
                    for (text, c) in buttons {
                        if ui
                            .add_enabled(current.is_some(), egui::Button::new(text))
                            .clicked()
                        {
                            command = Some(c);
                        }
                    }
                });
                let more = if session.names.len() > 3 {
                    " (the fourth annotator on: click Take)"
                } else {
                    ""
                };
                ui.weak(format!(
                    "Keys: A/B/C take that annotator's spans{more} · T take them all · E keep the \
                     selected span (then fix it with label keys, Alt+arrows) · X drop · N/P \
                     next/previous conflict · Ctrl+Z undo"
                ));
                ui.weak("Save the gold project with File › Save as… (Ctrl+Shift+S).");
                if ui.button("Agreement figures (Ctrl+Shift+A)").clicked() {
                    command = Some(AppCommand::ToggleAgreement);
                }
            });
        if let Some((doc, id)) = pick {
            self.queue.push(Action::GoToSpan { doc, id });
        }
        if let Some(c) = command {
            self.queue.push(Action::Command(c));
        }
        if let Some(k) = take {
            self.queue.push(Action::TakeAnnotator(k));
        }
        if let Some(st) = strategy {
            self.queue.push(Action::Remerge(st));
        }
    }

    /// The "Comparing…" window while projects load and merge.
    pub(super) fn compare_loading_window(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.compare.loading else {
            return;
        };
        if self.compare.session.is_some() {
            return; // a new strategy: the side panel shows it
        }
        let mut cancel = false;
        egui::Window::new("Comparing projects")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!(
                        "Loading and merging {} projects ({})…",
                        job.paths.len(),
                        job.strategy.name()
                    ));
                });
                for p in &job.paths {
                    ui.weak(p.display().to_string());
                }
                cancel = ui.button("Cancel").clicked();
            });
        if cancel {
            self.queue.push(Action::CancelCompare);
        }
    }
}

/// The merge strategy buttons; returns a newly chosen strategy.
fn strategy_row(ui: &mut Ui, current: Strategy, enabled: bool) -> Option<Strategy> {
    let mut chosen = None;
    ui.horizontal_wrapped(|ui| {
        ui.label("Merge:");
        for st in Strategy::ALL {
            let help = match st {
                Strategy::Intersection => {
                    "Accept only spans every annotator made: every disagreement is in the queue"
                }
                Strategy::Majority => {
                    "Accept spans more than half of the annotators made; the rest are in the queue"
                }
                Strategy::Union => "Accept every span anyone made: the queue is empty",
            };
            let r = ui
                .add_enabled(enabled, egui::Button::selectable(st == current, st.name()))
                .on_hover_text(help)
                .on_disabled_hover_text(
                    "Only before the first resolution: undo them all to merge differently",
                );
            if r.clicked() && st != current {
                chosen = Some(st);
            }
        }
    });
    chosen
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn legend(ui: &mut Ui) {
    for (color, what) in [
        (colors::AGREED, "agreed by all"),
        (colors::SOME, "only some annotators"),
        (colors::LABEL, "label conflict"),
        (colors::BOUNDARY, "boundary conflict"),
        (colors::EDITED, "changed by the reviewer"),
    ] {
        ui.horizontal(|ui| {
            let (r, _) = ui.allocate_exact_size(egui::vec2(14.0, 10.0), egui::Sense::hover());
            ui.painter().rect_filled(r, 2.0, color);
            ui.label(what);
        });
    }
}

//! Compare mode: two or more annotators' projects over the same articles (documents matched by
//! content) merged into one gold project with the core merge. The merged view marks every span as
//! agreed by all, present for some annotators, a label conflict or a boundary conflict; the
//! conflict queue (the gold project's pending spans, grouped into decisions) is resolved one
//! decision at a time with the keyboard, each resolution one history step.
//!
//! The merge uses [`Strategy::Intersection`]: only spans every annotator made are accepted, so
//! every disagreement reaches the queue.

use super::article::{SpanMark, short};
use super::commands::AppCommand;
use super::review::step_index;
use super::{PromptKind, SpantagApp};
use crate::history::Workspace;
use crate::model::{Project, SpanId, Status, content_hash};
use crate::project_io;
use crate::review::agreement::{AgreementReport, DEFAULT_ENTITY_LABELS, agreement};
use crate::review::compare::{
    Agreement, Annotator, DocComparison, MergedSpan, annotator_names, compare_document,
    match_documents,
};
use crate::review::merge::{Resolution, Strategy, conflicts, merge, resolve};
use crate::time::Timestamp;
use egui::{Color32, RichText, Ui};
use std::collections::HashMap;
use std::path::PathBuf;

/// Keys of the annotators, in input order: the first three have a take key.
const LETTERS: [char; 8] = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];

/// One conflict-queue decision: competing pending spans of a gold document.
#[derive(Debug, Clone)]
pub struct Decision {
    pub doc: usize,
    /// Position of its first span in the document's span list.
    pub first: usize,
    pub spans: Vec<SpanId>,
}

impl Decision {
    fn key(&self) -> (usize, usize) {
        (self.doc, self.first)
    }
}

/// An open comparison.
pub struct CompareSession {
    /// Annotator names, in input order (A, B, C, ...).
    pub names: Vec<String>,
    pub paths: Vec<PathBuf>,
    /// The comparison of each gold document, by gold document id.
    docs: HashMap<String, DocComparison>,
    pub report: AgreementReport,
    cache: Option<((u64, u64), Vec<Decision>)>,
}

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

impl CompareSession {
    /// Letter and name of annotator `k`, e.g. `A (ana)`.
    pub fn who(&self, k: usize) -> String {
        let letter = LETTERS.get(k).map_or(String::new(), char::to_string);
        format!(
            "{letter} ({})",
            self.names.get(k).map_or("", String::as_str)
        )
    }
}

impl SpantagApp {
    /// File › Compare projects…: the native dialog, or the app's path prompt.
    pub(super) fn pick_compare(&mut self) {
        if let Some(paths) = self.pick(PromptKind::Compare) {
            self.queue.push(super::Action::Compare(paths));
        }
    }

    /// Loads the projects, merges them into a gold project and opens it in compare mode.
    pub(super) fn open_compare(&mut self, paths: &[PathBuf]) {
        if paths.len() < 2 {
            self.toast_error("Compare needs two or more projects (.ron), separated by ';'");
            return;
        }
        let mut projects: Vec<Project> = Vec::new();
        for p in paths {
            match project_io::load(p) {
                Ok(project) => projects.push(project),
                Err(e) => {
                    self.toast_error(format!("Could not compare: {e}"));
                    return;
                }
            }
        }
        let stems: Vec<String> = paths
            .iter()
            .map(|p| {
                p.file_stem()
                    .map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into())
            })
            .collect();
        let refs: Vec<&Project> = projects.iter().collect();
        let names = annotator_names(&refs, &stems);
        let annotators: Vec<Annotator<'_>> = projects
            .iter()
            .zip(&names)
            .map(|(project, name)| Annotator { name, project })
            .collect();
        let (gold, summary) = merge(
            &annotators,
            Strategy::Intersection,
            "gold",
            &self.annotator,
            Timestamp::now(),
        );
        let by_hash: HashMap<String, DocComparison> = match_documents(&annotators)
            .iter()
            .map(|m| (m.hash.clone(), compare_document(&annotators, m)))
            .collect();
        let docs = gold
            .documents
            .iter()
            .filter_map(|d| Some((d.id.clone(), by_hash.get(&content_hash(&d.text))?.clone())))
            .collect();
        let report = agreement(&annotators, &DEFAULT_ENTITY_LABELS);
        self.replace_workspace(Workspace::new_unsaved(gold), None);
        self.review.on = false;
        self.review.compare = Some(CompareSession {
            names: names.clone(),
            paths: paths.to_vec(),
            docs,
            report,
            cache: None,
        });
        self.toast(format!(
            "Compared {}: {} documents, {} spans agreed, {} conflicts to resolve. Save the gold project with Save as…",
            names.join(", "),
            summary.documents,
            summary.accepted,
            summary.unresolved
        ));
        self.decision_step((0, 0), false, true);
    }

    /// The conflict queue of the gold project as it is now.
    pub(super) fn decisions(&mut self) -> &[Decision] {
        let key = (self.review.generation, self.ws.revision());
        let Some(session) = &mut self.review.compare else {
            return &[];
        };
        if session.cache.as_ref().is_none_or(|(k, _)| *k != key) {
            let mut out = Vec::new();
            for (di, d) in self.ws.project.documents.iter().enumerate() {
                for spans in conflicts(d) {
                    let first = spans
                        .iter()
                        .filter_map(|id| d.span_index(*id))
                        .min()
                        .unwrap_or(0);
                    out.push(Decision {
                        doc: di,
                        first,
                        spans,
                    });
                }
            }
            out.sort_by_key(Decision::key);
            session.cache = Some((key, out));
        }
        session.cache.as_ref().map_or(&[], |(_, d)| d)
    }

    /// The decision the selected span belongs to.
    fn current_decision(&mut self) -> Option<Decision> {
        let (doc, id) = (self.doc, self.selected_span?);
        self.decisions()
            .iter()
            .find(|d| d.doc == doc && d.spans.contains(&id))
            .cloned()
    }

    fn decision_step(&mut self, pos: (usize, usize), strict: bool, forward: bool) {
        let found = {
            let ds = self.decisions();
            step_index(ds, Decision::key, pos, strict, forward)
                .or_else(|| (!ds.is_empty() && forward).then_some(0))
                .map(|i| (ds[i].doc, ds[i].spans[0]))
        };
        match found {
            Some((doc, id)) => self.go_to_span(doc, id),
            None if self.decisions().is_empty() => self
                .toast("No conflicts left: save the gold project (File › Save as…, Ctrl+Shift+S)"),
            None => self.toast("This is the first conflict"),
        }
    }

    /// Runs a compare-mode key.
    pub(super) fn compare_command(&mut self, c: AppCommand) {
        let names = self
            .review
            .compare
            .as_ref()
            .map(|s| s.names.clone())
            .unwrap_or_default();
        let take = |k: usize| names.get(k).map(|n| Resolution::Take(n.clone()));
        let resolution = match c {
            AppCommand::QueueNext | AppCommand::QueuePrevious => {
                let (pos, on_span) = self.reading_position();
                let strict = on_span || c == AppCommand::QueuePrevious;
                let pos = match self.current_decision() {
                    Some(d) => d.key(),
                    None => pos,
                };
                self.decision_step(pos, strict, c == AppCommand::QueueNext);
                return;
            }
            AppCommand::Accept => take(0),
            AppCommand::TakeB => take(1),
            AppCommand::TakeC => take(2),
            AppCommand::TakeAll => Some(Resolution::TakeAll),
            AppCommand::Reject => Some(Resolution::Drop),
            AppCommand::KeepSelected => self.selected_span.and_then(|id| {
                let s = self.ws.project.documents.get(self.doc)?.span(id)?;
                Some(Resolution::Edit {
                    keep: id,
                    start: s.start,
                    end: s.end,
                    label: s.label.clone(),
                })
            }),
            _ => None,
        };
        if let Some(r) = resolution {
            self.resolve_current(&r);
        }
    }

    /// Settles the current decision as `r` (one history step) and moves to the next one.
    fn resolve_current(&mut self, r: &Resolution) {
        let Some(decision) = self.current_decision() else {
            self.toast("Select a conflict first: N goes to the next unresolved one");
            return;
        };
        let Some(doc) = self.ws.project.documents.get(decision.doc) else {
            return;
        };
        let edits = resolve(doc, &decision.spans, r, &self.annotator, Timestamp::now());
        let what = match r {
            Resolution::Take(name) => format!("Take {name}"),
            Resolution::TakeAll => "Take both".to_owned(),
            Resolution::Drop => "Drop conflict".to_owned(),
            Resolution::Edit { .. } => "Keep edited span".to_owned(),
        };
        let kept = match r {
            Resolution::Edit { keep, .. } => Some(*keep),
            _ => None,
        };
        if self.edit(&what, edits) {
            if let Some(id) = kept {
                // Stay on the kept span so it can be fixed with label keys and Alt+arrows.
                self.queue
                    .push(super::Action::SelectSpan { id, scroll: true });
            } else {
                self.decision_step(decision.key(), false, true);
            }
        }
    }

    /// Markers of the open gold document's spans: agreement kind, who, resolution.
    pub(super) fn compare_marks(&mut self) -> HashMap<SpanId, SpanMark> {
        let current = self.current_decision().map(|d| d.spans).unwrap_or_default();
        let (Some(session), Some(d)) = (
            &self.review.compare,
            self.ws.project.documents.get(self.doc),
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
        let mut pick: Option<(usize, SpanId)> = None;
        let mut command: Option<AppCommand> = None;
        egui::Panel::right("compare")
            .resizable(true)
            .default_size(330.0)
            .show(ui, |ui| {
                let Some(session) = &self.review.compare else {
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
                ui.separator();
                legend(ui);
                ui.separator();
                match &current {
                    Some(dec) => {
                        let doc = self.ws.project.documents.get(dec.doc);
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
                                .selectable_label(self.selected_span == Some(*id), text)
                                .on_hover_text("Select this span (E keeps it)")
                                .clicked()
                            {
                                pick = Some((dec.doc, *id));
                            }
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
                    let mut buttons: Vec<(String, AppCommand)> = Vec::new();
                    for (k, c) in [AppCommand::Accept, AppCommand::TakeB, AppCommand::TakeC]
                        .into_iter()
                        .enumerate()
                        .take(session.names.len())
                    {
                        buttons.push((format!("Take {}", session.who(k)), c));
                    }
                    buttons.push(("Take both (T)".to_owned(), AppCommand::TakeAll));
                    buttons.push((
                        "Edit: keep selected (E)".to_owned(),
                        AppCommand::KeepSelected,
                    ));
                    buttons.push(("Drop (X)".to_owned(), AppCommand::Reject));
                    for (text, c) in buttons {
                        if ui
                            .add_enabled(current.is_some(), egui::Button::new(text))
                            .clicked()
                        {
                            command = Some(c);
                        }
                    }
                });
                ui.weak(
                    "Keys: A/B/C take that annotator's spans · T take both · E keep the selected \
                     span (then fix it with label keys, Alt+arrows) · X drop · N/P next/previous \
                     conflict · Ctrl+Z undo",
                );
                ui.weak("Save the gold project with File › Save as… (Ctrl+Shift+S).");
                if ui.button("Agreement figures (Ctrl+Shift+A)").clicked() {
                    command = Some(AppCommand::ToggleAgreement);
                }
            });
        if let Some((doc, id)) = pick {
            self.go_to_span(doc, id);
        }
        if let Some(c) = command {
            self.queue.push(super::Action::Command(c));
        }
    }
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

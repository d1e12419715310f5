//! Compare mode: two or more annotators' projects over the same articles (documents matched by
//! content) merged into one gold project with the core merge. The merged view marks every span as
//! agreed by all, present for some annotators, a label conflict or a boundary conflict; the
//! conflict queue (the gold project's pending spans, grouped into decisions) is resolved one
//! decision at a time with the keyboard, each resolution one history step.
//!
//! Loading and merging run on a background thread ([`CompareJob`]), and so does the agreement
//! report ([`ReportState`]): with two 10,000-document projects they take seconds, and the window
//! keeps drawing meanwhile (a spinner says what is being computed).
//!
//! The default merge strategy is [`Strategy::Intersection`]: only spans every annotator made are
//! accepted, so every disagreement reaches the queue (with majority, a span two of three
//! annotators made would be accepted without the reviewer seeing the third annotator's
//! objection). The strategy can be changed in the side panel before the first resolution, or
//! with `--strategy` on the command line.

use super::article::{SpanMark, short};
use super::commands::AppCommand;
use super::review::step_index;
use super::{PromptKind, SpantagApp};
use egui::{Color32, RichText, Ui};
use spantag_core::history::Workspace;
use spantag_core::model::{Project, SpanId, Status, content_hash};
use spantag_core::project_io;
use spantag_core::review::agreement::{AgreementReport, agreement, entity_labels_of};
use spantag_core::review::compare::{
    Agreement, Annotator, DocComparison, MergedSpan, annotator_names, compare_document,
    match_documents,
};
use spantag_core::review::merge::{MergeSummary, Resolution, Strategy, conflicts, merge, resolve};
use spantag_core::time::Timestamp;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};

/// Letters of the annotators, in input order (then numbers): the first three have a take key.
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
    /// The strategy the gold project was merged with.
    pub strategy: Strategy,
    /// The annotators' projects, in input order (shared with background threads).
    projects: Arc<Vec<Project>>,
    /// The comparison of each gold document, by gold document id.
    docs: HashMap<String, DocComparison>,
    /// Every label of the annotators' label sets, in order.
    pub labels: Vec<String>,
    /// The labels of the report's entity layer; the other labels form the claim layer.
    pub entity_labels: Vec<String>,
    pub report: ReportState,
    /// The annotator pair whose confusion matrix the agreement window shows.
    pub confusion_pair: usize,
    cache: Option<((u64, u64), Vec<Decision>)>,
}

/// The agreement report of a comparison, computed on a background thread.
pub enum ReportState {
    Computing(Receiver<AgreementReport>),
    Ready(Box<AgreementReport>),
    Failed(String),
}

/// What loading and merging produce.
struct Merged {
    projects: Arc<Vec<Project>>,
    names: Vec<String>,
    gold: Project,
    summary: MergeSummary,
    docs: HashMap<String, DocComparison>,
}

/// What a comparison starts from: files to load, or projects already loaded (a new strategy).
enum Inputs {
    Files,
    Loaded {
        projects: Arc<Vec<Project>>,
        names: Vec<String>,
    },
}

/// A comparison being loaded and merged on a background thread.
pub struct CompareJob {
    rx: Receiver<Result<Box<Merged>, String>>,
    paths: Vec<PathBuf>,
    strategy: Strategy,
    /// The (generation, revision) of the workspace the result replaces. If the user changed it
    /// meanwhile, the result is dropped rather than replace their work.
    origin: (u64, u64),
    /// Turn review mode on once it is open (`--compare … --review`).
    pub(super) then_review: bool,
}

fn annotators_of<'a>(projects: &'a [Project], names: &'a [String]) -> Vec<Annotator<'a>> {
    projects
        .iter()
        .zip(names)
        .map(|(project, name)| Annotator { name, project })
        .collect()
}

/// Loads (if needed) and merges the projects: the work of a [`CompareJob`]'s thread.
fn load_and_merge(
    inputs: Inputs,
    paths: &[PathBuf],
    strategy: Strategy,
    reviewer: &str,
) -> Result<Merged, String> {
    let (projects, names) = match inputs {
        Inputs::Loaded { projects, names } => (projects, names),
        Inputs::Files => {
            let mut projects: Vec<Project> = Vec::new();
            for p in paths {
                projects.push(project_io::load(p).map_err(|e| format!("Could not compare: {e}"))?);
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
            (Arc::new(projects), names)
        }
    };
    let annotators = annotators_of(&projects, &names);
    let (gold, summary) = merge(&annotators, strategy, "gold", reviewer, Timestamp::now());
    let by_hash: HashMap<String, DocComparison> = match_documents(&annotators)
        .iter()
        .map(|m| (m.hash.clone(), compare_document(&annotators, m)))
        .collect();
    let docs = gold
        .documents
        .iter()
        .filter_map(|d| Some((d.id.clone(), by_hash.get(&content_hash(&d.text))?.clone())))
        .collect();
    Ok(Merged {
        projects,
        names,
        gold,
        summary,
        docs,
    })
}

/// Starts computing the agreement report of `projects` on a background thread.
fn spawn_report(
    projects: &Arc<Vec<Project>>,
    names: &[String],
    entity_labels: &[String],
) -> ReportState {
    let (tx, rx) = mpsc::channel();
    let (projects, names, entity) = (Arc::clone(projects), names.to_vec(), entity_labels.to_vec());
    let spawned = std::thread::Builder::new()
        .name("agreement".into())
        .spawn(move || {
            let annotators = annotators_of(&projects, &names);
            let entity: Vec<&str> = entity.iter().map(String::as_str).collect();
            // The receiver is gone if the comparison was closed meanwhile: nothing to do then.
            let _ = tx.send(agreement(&annotators, &entity));
        });
    match spawned {
        Ok(_) => ReportState::Computing(rx),
        Err(e) => ReportState::Failed(format!("Could not start computing the agreement: {e}")),
    }
}

impl CompareSession {
    /// Takes the report if the background thread has finished it.
    fn poll_report(&mut self) {
        let ReportState::Computing(rx) = &self.report else {
            return;
        };
        match rx.try_recv() {
            Ok(r) => self.report = ReportState::Ready(Box::new(r)),
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                self.report =
                    ReportState::Failed("Computing the agreement failed unexpectedly".to_owned());
            }
        }
    }

    /// Recomputes the report with these entity labels (the rest form the claim layer).
    pub fn set_entity_labels(&mut self, labels: Vec<String>) {
        self.entity_labels = labels;
        self.report = spawn_report(&self.projects, &self.names, &self.entity_labels);
    }
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
        let letter = LETTERS
            .get(k)
            .map_or_else(|| (k + 1).to_string(), char::to_string);
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

    /// Starts loading and merging the projects on a background thread; [`Self::compare_poll`]
    /// opens the gold project in compare mode when they are ready.
    pub(super) fn open_compare(&mut self, paths: &[PathBuf]) {
        if paths.len() < 2 {
            self.toast_error("Compare needs two or more projects (.ron), separated by ';'");
            return;
        }
        let strategy = self.review.strategy.unwrap_or(Strategy::Intersection);
        self.start_compare_job(Inputs::Files, paths.to_vec(), strategy);
    }

    /// Merges the compared projects again with another strategy (before the first resolution).
    fn remerge(&mut self, strategy: Strategy) {
        let Some(s) = &self.review.compare else {
            return;
        };
        let inputs = Inputs::Loaded {
            projects: Arc::clone(&s.projects),
            names: s.names.clone(),
        };
        let paths = s.paths.clone();
        self.review.strategy = Some(strategy);
        self.start_compare_job(inputs, paths, strategy);
    }

    fn start_compare_job(&mut self, inputs: Inputs, paths: Vec<PathBuf>, strategy: Strategy) {
        let (tx, rx) = mpsc::channel();
        let reviewer = self.annotator.clone();
        let thread_paths = paths.clone();
        let spawned = std::thread::Builder::new()
            .name("compare".into())
            .spawn(move || {
                let r = load_and_merge(inputs, &thread_paths, strategy, &reviewer).map(Box::new);
                // The receiver is gone if the comparison was cancelled: nothing to do then.
                let _ = tx.send(r);
            });
        if let Err(e) = spawned {
            self.toast_error(format!("Could not start comparing: {e}"));
            return;
        }
        self.review.loading = Some(CompareJob {
            rx,
            paths,
            strategy,
            origin: (self.review.generation, self.ws.revision()),
            then_review: false,
        });
    }

    /// Whether compare mode is open with its agreement report computed (for tests, which run
    /// frames until the background threads are done).
    pub fn comparison_ready(&self) -> bool {
        self.review.loading.is_none()
            && self
                .review
                .compare
                .as_ref()
                .is_some_and(|s| !matches!(s.report, ReportState::Computing(_)))
    }

    /// Whether a comparison or its agreement report is still being computed.
    pub(super) fn compare_busy(&self) -> bool {
        self.review.loading.is_some()
            || self
                .review
                .compare
                .as_ref()
                .is_some_and(|s| matches!(s.report, ReportState::Computing(_)))
    }

    /// Picks up what the background threads finished (called once per frame).
    pub(super) fn compare_poll(&mut self, ctx: &egui::Context) {
        if let Some(s) = &mut self.review.compare {
            s.poll_report();
        }
        let done = match &self.review.loading {
            None => return,
            Some(job) => match job.rx.try_recv() {
                Ok(r) => r,
                Err(TryRecvError::Empty) => {
                    ctx.request_repaint_after(std::time::Duration::from_millis(50));
                    return;
                }
                Err(TryRecvError::Disconnected) => {
                    Err("Comparing the projects failed unexpectedly".to_owned())
                }
            },
        };
        let Some(job) = self.review.loading.take() else {
            return;
        };
        match done {
            Ok(m) => self.finish_compare(job, *m),
            Err(e) => self.toast_error(e),
        }
    }

    /// Cancels a comparison that is still loading.
    fn cancel_compare(&mut self) {
        if self.review.loading.take().is_some() {
            self.toast("Comparison cancelled");
        }
    }

    /// Opens a loaded and merged comparison in compare mode.
    fn finish_compare(&mut self, job: CompareJob, m: Merged) {
        if job.origin != (self.review.generation, self.ws.revision()) {
            self.toast_error(
                "The comparison was not opened: the project changed while it was loading",
            );
            return;
        }
        let Merged {
            projects,
            names,
            gold,
            summary,
            docs,
        } = m;
        let annotators = annotators_of(&projects, &names);
        let entity_labels = entity_labels_of(&annotators);
        let mut labels: Vec<String> = Vec::new();
        for a in &annotators {
            for l in &a.project.labels {
                if !labels.contains(&l.name) {
                    labels.push(l.name.clone());
                }
            }
        }
        let report = spawn_report(&projects, &names, &entity_labels);
        self.replace_workspace(Workspace::new_unsaved(gold), None);
        self.review.on = false;
        self.review.compare = Some(CompareSession {
            names: names.clone(),
            paths: job.paths,
            strategy: job.strategy,
            projects,
            docs,
            labels,
            entity_labels,
            report,
            confusion_pair: 0,
            cache: None,
        });
        self.toast(format!(
            "Compared {} ({}): {} documents, {} spans accepted, {} conflicts to resolve. Save the gold project with Save as…",
            names.join(", "),
            job.strategy.name(),
            summary.documents,
            summary.accepted,
            summary.unresolved
        ));
        if job.then_review {
            self.review_command(AppCommand::ToggleReview);
        } else {
            self.decision_step((0, 0), false, true);
        }
    }

    /// Settles the current decision with annotator `k`'s spans.
    fn take_annotator(&mut self, k: usize) {
        let name = self
            .review
            .compare
            .as_ref()
            .and_then(|s| s.names.get(k).cloned());
        if let Some(name) = name {
            self.resolve_current(&Resolution::Take(name));
        }
    }

    /// The conflict queue of the gold project as it is now.
    pub(super) fn decisions(&mut self) -> &[Decision] {
        let key = (self.review.generation, self.ws.revision());
        let Some(session) = &mut self.review.compare else {
            return &[];
        };
        if session.cache.as_ref().is_none_or(|(k, _)| *k != key) {
            let mut out = Vec::new();
            for (di, d) in self.ws.project().documents.iter().enumerate() {
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

    /// The decision the selected span belongs to (a binary search: decisions are sorted by
    /// document).
    fn current_decision(&mut self) -> Option<Decision> {
        let (doc, id) = (self.doc, self.selected_span?);
        let ds = self.decisions();
        let from = ds.partition_point(|d| d.doc < doc);
        ds[from..]
            .iter()
            .take_while(|d| d.doc == doc)
            .find(|d| d.spans.contains(&id))
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
                let s = self.ws.project().documents.get(self.doc)?.span(id)?;
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
        let Some(doc) = self.ws.project().documents.get(decision.doc) else {
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
            self.ws.project().documents.get(self.doc),
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
        let can_remerge = !self.ws.can_undo() && self.review.loading.is_none();
        let mut pick: Option<(usize, SpanId)> = None;
        let mut command: Option<AppCommand> = None;
        let mut take: Option<usize> = None;
        let mut strategy: Option<Strategy> = None;
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
                strategy = strategy_row(ui, session.strategy, can_remerge);
                if self.review.loading.is_some() {
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
            self.go_to_span(doc, id);
        }
        if let Some(c) = command {
            self.queue.push(super::Action::Command(c));
        }
        if let Some(k) = take {
            self.take_annotator(k);
        }
        if let Some(st) = strategy {
            self.remerge(st);
        }
    }

    /// The "Comparing…" window while projects load and merge.
    pub(super) fn compare_loading_window(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.review.loading else {
            return;
        };
        if self.review.compare.is_some() {
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
            self.cancel_compare();
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

//! Compare mode: two or more annotators' projects over the same articles (documents matched by
//! content) merged into one gold project with the core merge. The merged view marks every span as
//! agreed by all, present for some annotators, a label conflict or a boundary conflict; the
//! conflict queue (the gold project's pending spans, grouped into decisions by
//! [`spantag_core::review::queue`]) is resolved one decision at a time with the keyboard, each
//! resolution one history step. Drawing is in `compare_panel`.
//!
//! Loading and merging run on a background thread ([`CompareJob`]), and so does the agreement
//! report ([`ReportState`]): with two 10,000-document projects they take seconds, and the window
//! keeps drawing meanwhile (a spinner says what is being computed).
//!
//! The default merge strategy is [`Strategy::Intersection`]: only spans every annotator made are
//! accepted, so every disagreement reaches the queue (with majority, a span two of three
//! annotators made would be accepted without the reviewer seeing the third annotator's
//! objection). The strategy can be changed in the side panel before the first resolution, or
//! with `--strategy` on the command line; merging again is a history step like any other, so
//! Ctrl+Z goes back to the earlier strategy.

use super::SpantagApp;
use super::action::Action;
use super::commands::AppCommand;
use super::state::PromptKind;
use spantag_core::edit::Edit;
use spantag_core::history::{Cursor, Workspace};
use spantag_core::model::{Project, content_hash};
use spantag_core::movement::Selection;
use spantag_core::project_io;
use spantag_core::review::agreement::{AgreementReport, agreement, entity_labels_of};
use spantag_core::review::compare::{
    Annotator, DocComparison, annotator_names, compare_document, match_documents,
};
use spantag_core::review::merge::{Conflict, MergeSummary, Resolution, Strategy, merge, resolve};
use spantag_core::review::queue::{Decision, Position, decision_of, decisions, next_decision};
use spantag_core::time::Timestamp;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};

/// Letters of the annotators, in input order (then numbers): the first three have a take key.
const LETTERS: [char; 8] = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];

/// Compare mode's state: the open comparison, one being loaded, and the agreement window.
#[derive(Default)]
pub(crate) struct CompareMode {
    /// The open comparison, if the project is a gold project built in compare mode.
    pub(crate) session: Option<CompareSession>,
    /// A comparison being loaded and merged on a background thread.
    pub(crate) loading: Option<CompareJob>,
    /// A comparison the background thread finished, opened by [`Action::OpenComparison`].
    pub(crate) finished: Option<(CompareJob, Box<Merged>)>,
    /// The merge strategy of the next comparison (`None`: intersection).
    pub(crate) strategy: Option<Strategy>,
    /// The agreement window is open.
    pub(crate) agreement_open: bool,
}

/// An open comparison.
pub struct CompareSession {
    /// Annotator names, in input order (A, B, C, ...).
    pub names: Vec<String>,
    pub paths: Vec<PathBuf>,
    /// The strategy the gold project was merged with.
    pub strategy: Strategy,
    /// The revisions at which the gold project was (re)merged, with the strategy of each: merging
    /// again is allowed only there (before any resolution), and undo or redo onto one of them
    /// brings its strategy back.
    merged_at: HashMap<u64, Strategy>,
    /// The annotators' projects, in input order (shared with background threads).
    projects: Arc<Vec<Project>>,
    /// The comparison of each gold document, by gold document id.
    pub(super) docs: HashMap<String, DocComparison>,
    /// Every label of the annotators' label sets, in order.
    pub labels: Vec<String>,
    /// The labels of the report's entity layer; the other labels form the claim layer.
    pub entity_labels: Vec<String>,
    pub report: ReportState,
    /// The annotator pair whose confusion matrix the agreement window shows.
    pub confusion_pair: usize,
    /// The conflict queue of (generation, revision).
    cache: Option<((u64, u64), Vec<Decision>)>,
}

/// The agreement report of a comparison, computed on a background thread.
pub enum ReportState {
    Computing(Receiver<AgreementReport>),
    Ready(Box<AgreementReport>),
    Failed(String),
}

/// What loading and merging produce.
pub(crate) struct Merged {
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
    pub(super) paths: Vec<PathBuf>,
    pub(super) strategy: Strategy,
    /// Merging the open comparison again (a history step), rather than opening a new one.
    again: bool,
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

/// The cursor on the first conflict of `gold` (or the start of its first document).
fn first_conflict(gold: &Project) -> Cursor {
    let first = decisions(gold).into_iter().next();
    let Some(dec) = first else {
        return gold
            .documents
            .first()
            .map_or_else(Cursor::default, |d| SpantagApp::start_of(d));
    };
    let d = &gold.documents[dec.doc];
    let id = dec.anchor;
    Cursor {
        doc: Some(d.id.clone()),
        selection: Selection::caret(d.span(id).map_or(0, |s| s.start)),
        span: Some(id),
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
            self.queue.push(Action::Compare(paths));
        }
    }

    /// Starts loading and merging the projects on a background thread; [`Self::compare_poll`]
    /// opens the gold project in compare mode when they are ready.
    pub(super) fn open_compare(&mut self, paths: &[PathBuf]) {
        if paths.len() < 2 {
            self.toast_error("Compare needs two or more projects (.ron), separated by ';'");
            return;
        }
        let strategy = self.compare.strategy.unwrap_or(Strategy::Intersection);
        self.start_compare_job(Inputs::Files, paths.to_vec(), strategy, false);
    }

    /// Whether the gold project may be merged again: nothing resolved since it was merged.
    pub(super) fn can_remerge(&self) -> bool {
        self.compare.loading.is_none()
            && self
                .compare
                .session
                .as_ref()
                .is_some_and(|s| s.merged_at.contains_key(&self.ws.revision()))
    }

    /// Merges the compared projects again with another strategy (before the first resolution);
    /// the result is applied as one history step.
    pub(super) fn remerge(&mut self, strategy: Strategy) {
        if !self.can_remerge() {
            self.toast("Merge again only before the first resolution: undo them all first");
            return;
        }
        let Some(s) = &self.compare.session else {
            return;
        };
        let inputs = Inputs::Loaded {
            projects: Arc::clone(&s.projects),
            names: s.names.clone(),
        };
        let paths = s.paths.clone();
        self.compare.strategy = Some(strategy);
        self.start_compare_job(inputs, paths, strategy, true);
    }

    fn start_compare_job(
        &mut self,
        inputs: Inputs,
        paths: Vec<PathBuf>,
        strategy: Strategy,
        again: bool,
    ) {
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
        self.compare.loading = Some(CompareJob {
            rx,
            paths,
            strategy,
            again,
            origin: (self.generation, self.ws.revision()),
            then_review: false,
        });
    }

    /// Whether compare mode is open with its agreement report computed (for tests, which run
    /// frames until the background threads are done).
    pub fn comparison_ready(&self) -> bool {
        self.compare.loading.is_none()
            && self.compare.finished.is_none()
            && self
                .compare
                .session
                .as_ref()
                .is_some_and(|s| !matches!(s.report, ReportState::Computing(_)))
    }

    /// Whether a comparison or its agreement report is still being computed.
    pub(super) fn compare_busy(&self) -> bool {
        self.compare.loading.is_some()
            || self
                .compare
                .session
                .as_ref()
                .is_some_and(|s| matches!(s.report, ReportState::Computing(_)))
    }

    /// Picks up what the background threads finished (called at the start of each frame): a
    /// finished comparison is parked and opened by [`Action::OpenComparison`].
    pub(super) fn compare_poll(&mut self, ctx: &egui::Context) {
        if let Some(s) = &mut self.compare.session {
            s.poll_report();
        }
        let done = match &self.compare.loading {
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
        let Some(job) = self.compare.loading.take() else {
            return;
        };
        match done {
            Ok(m) => {
                self.compare.finished = Some((job, m));
                self.queue.push(Action::OpenComparison);
            }
            Err(e) => self.toast_error(e),
        }
    }

    /// Cancels a comparison that is still loading.
    pub(super) fn cancel_compare(&mut self) {
        if self.compare.loading.take().is_some() {
            self.toast("Comparison cancelled");
        }
    }

    /// Opens the finished comparison: a new gold project in compare mode, or the open one merged
    /// again (one history step).
    pub(super) fn open_comparison(&mut self) {
        let Some((job, m)) = self.compare.finished.take() else {
            return;
        };
        if job.origin != (self.generation, self.ws.revision()) {
            self.toast_error(
                "The comparison was not opened: the project changed while it was loading",
            );
            return;
        }
        if job.again && self.compare.session.is_some() {
            self.merged_again(job.strategy, *m);
        } else {
            self.open_merged(job, *m);
        }
    }

    /// Replaces the gold project's documents with those of a new merge, as one history step.
    fn merged_again(&mut self, strategy: Strategy, m: Merged) {
        let after = first_conflict(&m.gold);
        let edits = vec![Edit::ReplaceDocuments {
            documents: m.gold.documents,
        }];
        let what = format!("Merge again ({})", strategy.name());
        if !self.step(&what, edits, after) {
            return;
        }
        let revision = self.ws.revision();
        if let Some(s) = &mut self.compare.session {
            s.strategy = strategy;
            s.merged_at.insert(revision, strategy);
        }
        self.toast(format!(
            "Merged again ({}): {} spans accepted, {} conflicts to resolve. Ctrl+Z goes back.",
            strategy.name(),
            m.summary.accepted,
            m.summary.unresolved
        ));
        self.decision_step((0, 0), false, true);
    }

    /// Opens a loaded and merged comparison in compare mode.
    fn open_merged(&mut self, job: CompareJob, m: Merged) {
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
        let slot = self.untitled_slot();
        self.replace_workspace(Workspace::new_unsaved(gold), None, slot);
        self.review.on = false;
        self.compare.session = Some(CompareSession {
            names: names.clone(),
            paths: job.paths,
            strategy: job.strategy,
            merged_at: HashMap::from([(self.ws.revision(), job.strategy)]),
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

    /// After undo or redo: a state the gold project was merged in brings back its strategy.
    pub(super) fn compare_follow_history(&mut self) {
        let revision = self.ws.revision();
        if let Some(s) = &mut self.compare.session
            && let Some(st) = s.merged_at.get(&revision)
        {
            s.strategy = *st;
        }
    }

    /// Settles the current decision with annotator `k`'s spans.
    pub(super) fn take_annotator(&mut self, k: usize) {
        let name = self
            .compare
            .session
            .as_ref()
            .and_then(|s| s.names.get(k).cloned());
        if let Some(name) = name {
            self.resolve_current(&Resolution::Take(name));
        }
    }

    /// The conflict queue of the gold project as it is now (cached by revision).
    pub(super) fn decisions(&mut self) -> &[Decision] {
        let key = (self.generation, self.ws.revision());
        let Some(session) = &mut self.compare.session else {
            return &[];
        };
        if session.cache.as_ref().is_none_or(|(k, _)| *k != key) {
            session.cache = Some((key, decisions(self.ws.project())));
        }
        session.cache.as_ref().map_or(&[], |(_, d)| d)
    }

    /// The decision the selected span belongs to.
    pub(super) fn current_decision(&mut self) -> Option<Decision> {
        let (doc, id) = (self.sel.doc, self.sel.span?);
        decision_of(self.decisions(), doc, id).cloned()
    }

    /// Goes to the next (or previous) decision from reading position `pos`.
    pub(super) fn decision_step(&mut self, pos: Position, strict: bool, forward: bool) {
        let found =
            next_decision(self.decisions(), pos, strict, forward).map(|d| (d.doc, d.anchor));
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
            .compare
            .session
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
            AppCommand::KeepSelected => self.sel.span.and_then(|id| {
                let s = self.ws.project().documents.get(self.sel.doc)?.span(id)?;
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

    /// Settles the current decision as `r` (one history step that leaves the first kept span
    /// selected) and moves to the next one.
    fn resolve_current(&mut self, r: &Resolution) {
        let Some(decision) = self.current_decision() else {
            self.toast("Select a conflict first: N goes to the next unresolved one");
            return;
        };
        let Some(doc) = self.ws.project().documents.get(decision.doc) else {
            return;
        };
        let conflict = Conflict {
            spans: decision.spans.clone(),
            relations: decision.relations.clone(),
        };
        let edits = resolve(doc, &conflict, r, &self.annotator, Timestamp::now());
        let removed: Vec<_> = edits
            .iter()
            .filter_map(|e| match e {
                Edit::RemoveSpan { span, .. } => Some(*span),
                _ => None,
            })
            .collect();
        // A decision of relations only keeps its anchor (the head span) selected.
        let kept = decision
            .spans
            .iter()
            .find(|id| !removed.contains(id))
            .or_else(|| decision.spans.is_empty().then_some(&decision.anchor));
        let start = decision
            .spans
            .iter()
            .chain([&decision.anchor])
            .filter_map(|id| doc.span(*id).map(|s| s.start))
            .min()
            .unwrap_or(0);
        let after = Cursor {
            doc: Some(doc.id.clone()),
            selection: Selection::caret(
                kept.and_then(|id| doc.span(*id)).map_or(start, |s| s.start),
            ),
            span: kept.copied(),
        };
        let what = match r {
            Resolution::Take(name) => format!("Take {name}"),
            Resolution::TakeAll => "Take both".to_owned(),
            Resolution::Drop => "Drop conflict".to_owned(),
            Resolution::Edit { .. } => "Keep edited span".to_owned(),
        };
        if self.step(&what, edits, after) && !matches!(r, Resolution::Edit { .. }) {
            self.decision_step(decision.key(), false, true);
        }
    }
}

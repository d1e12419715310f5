//! File → Export…: format and filters, a cached preview of the first records, and an export that
//! runs on its own thread with a progress bar, Cancel and a summary at the end.

use super::dialog_kit::{
    self, Context, NO_DIALOG, Outbox, Outcome, PickKind, Picked, counts_grid, error_text, item_list,
};
use egui::{Key, RichText, Ui};
use spantag_core::formats::{
    self, ExportFormat, ExportOptions, ExportSummary, FormatError, Layer, Overlap, Progress,
    Scheme, WriteRules,
};
use spantag_core::model::{Project, Status};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Duration;

/// How many records the preview shows.
const PREVIEW_RECORDS: usize = 3;
/// Characters of one preview record shown at most.
const PREVIEW_CHARS: usize = 1_500;
/// Lines of one line-based preview record (CoNLL, brat, CSV) shown at most.
const PREVIEW_LINES: usize = 30;
/// Characters of one JSON string (e.g. the text) shown at most.
const PREVIEW_STRING: usize = 160;
/// Items of one JSON list (e.g. the tokens) shown at most.
const PREVIEW_ITEMS: usize = 12;

/// Height kept for the footer (progress bar and buttons).
const FOOTER: f32 = 64.0;

/// The CoNLL tag schemes, with what they mean.
const SCHEMES: [(Scheme, &str); 4] = [
    (Scheme::Iob2, "Every entity starts with B-"),
    (Scheme::Iobes, "B-, I-, E- (last) and S- (single token)"),
    (
        Scheme::Iob1,
        "B- only where an entity directly follows one of the same type (CoNLL-2003)",
    ),
    (Scheme::Bilou, "B-, I-, L- (last) and U- (single token)"),
];

/// The layer choices of CoNLL and hf, with what they mean.
const LAYERS: [(Layer, &str); 3] = [
    (
        Layer::Both,
        "Entity labels to the file, the others (e.g. claim) to a .claims companion",
    ),
    (Layer::Entities, "Only the entity labels"),
    (Layer::Claims, "Only the labels that are not entity labels"),
];

/// The overlap policies, with what they mean.
const OVERLAPS: [(Overlap, &str); 2] = [
    (
        Overlap::Longest,
        "Keep the longest of overlapping spans in a layer; the others are reported",
    ),
    (
        Overlap::First,
        "Keep the span that starts first; the others are reported",
    ),
];

/// The split names, in order.
const SPLITS: [&str; 3] = ["train", "dev", "test"];

struct Job {
    /// The options and output path it runs with.
    target: (ExportOptions, String),
    progress: Arc<Progress>,
    rx: Receiver<Result<ExportSummary, FormatError>>,
}

/// The export dialog's state.
pub(crate) struct ExportDialog {
    format: ExportFormat,
    scheme: Scheme,
    layer: Layer,
    overlap: Overlap,
    /// Comma-separated entity labels; empty for the default rule.
    entity_labels: String,
    /// `.spacy` span groups as `--span-groups` takes them.
    span_groups: String,
    labels: Vec<(String, bool)>,
    statuses: Vec<(Status, bool)>,
    only_done: bool,
    split: bool,
    shares: [f64; 3],
    seed: u64,
    out: String,
    /// The output path is still the suggested one (it follows the format).
    out_auto: bool,
    /// Folder and file stem of suggested output paths.
    base: (PathBuf, String),
    browse_note: Option<String>,
    focus_out: bool,
    /// The preview, the options and project revision it was made for, and why the entity layer
    /// would come out empty (if it would).
    preview: Option<(ExportOptions, u64, Vec<String>, Option<String>)>,
    job: Option<Job>,
    outcome: Option<Outcome<ExportSummary>>,
    /// Scroll the outcome into view (it just arrived).
    reveal: bool,
    /// The project file, which an export never writes onto.
    project_path: Option<PathBuf>,
    /// The options and output path of an export refused because its output exists: while they
    /// are unchanged the dialog offers to overwrite.
    overwrite: Option<(ExportOptions, String)>,
}

impl ExportDialog {
    pub(crate) fn new(project: &Project, path: Option<&Path>) -> Self {
        let dir = path
            .and_then(Path::parent)
            .map(Path::to_owned)
            .filter(|d| !d.as_os_str().is_empty())
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let stem = path
            .and_then(Path::file_stem)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| file_stem_of(&project.name));
        let mut d = ExportDialog {
            format: ExportFormat::Jsonl,
            scheme: Scheme::Iob2,
            layer: Layer::Both,
            overlap: Overlap::Longest,
            entity_labels: String::new(),
            span_groups: formats::span_groups_text(&formats::default_span_groups()),
            labels: project
                .labels
                .iter()
                .map(|l| (l.name.clone(), true))
                .collect(),
            statuses: Status::ALL
                .iter()
                .map(|&s| (s, s != Status::Rejected))
                .collect(),
            only_done: false,
            split: false,
            shares: [0.8, 0.1, 0.1],
            seed: 0,
            out: String::new(),
            out_auto: true,
            base: (dir, stem),
            browse_note: None,
            focus_out: false,
            preview: None,
            job: None,
            outcome: None,
            reveal: false,
            project_path: path.map(Path::to_owned),
            overwrite: None,
        };
        d.out = d.suggested_out();
        d
    }

    /// The output path suggested for the current format and split.
    fn suggested_out(&self) -> String {
        let (dir, stem) = &self.base;
        let name = if self.split {
            format!("{stem}-{}-split", self.format)
        } else {
            match self.format {
                f if f.exporter().is_some_and(|e| e.folder) => format!("{stem}-{f}"),
                ExportFormat::Hf => format!("{stem}.hf.jsonl"),
                f => format!("{stem}.{}", f.extension()),
            }
        };
        dir.join(name).display().to_string()
    }

    /// Whether the output is a folder (a folder format such as brat, or any split).
    fn out_is_folder(&self) -> bool {
        self.split || self.format.exporter().is_some_and(|e| e.folder)
    }

    /// Keeps the label checkboxes in step with the project's label set.
    fn sync_labels(&mut self, project: &Project) {
        let same = self.labels.len() == project.labels.len()
            && self
                .labels
                .iter()
                .zip(&project.labels)
                .all(|((a, _), b)| *a == b.name);
        if same {
            return;
        }
        let old = std::mem::take(&mut self.labels);
        self.labels = project
            .labels
            .iter()
            .map(|l| {
                let on = old.iter().find(|(n, _)| *n == l.name).is_none_or(|x| x.1);
                (l.name.clone(), on)
            })
            .collect();
    }

    /// The export options the dialog describes, or why they are not valid.
    fn options(&self) -> Result<ExportOptions, String> {
        let mut o = ExportOptions::new(self.format);
        let chosen: Vec<String> = self
            .labels
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| n.clone())
            .collect();
        if chosen.is_empty() {
            return Err("Choose at least one label.".into());
        }
        if chosen.len() < self.labels.len() {
            o.labels = Some(chosen);
        }
        let statuses: Vec<Status> = self
            .statuses
            .iter()
            .filter(|(_, on)| *on)
            .map(|(s, _)| *s)
            .collect();
        if statuses.is_empty() {
            return Err("Choose at least one status.".into());
        }
        o.statuses = Some(statuses);
        o.only_done = self.only_done;
        if self.split {
            let parts: Vec<(String, f64)> = SPLITS
                .iter()
                .zip(self.shares)
                .filter(|(_, v)| *v > 0.0)
                .map(|(n, v)| ((*n).to_owned(), v))
                .collect();
            let total: f64 = parts.iter().map(|(_, v)| v).sum();
            if parts.is_empty() || (total - 1.0).abs() > 1e-3 {
                return Err(format!(
                    "The split shares add up to {total:.3}; they must add up to 1."
                ));
            }
            o.split = Some(parts);
            o.seed = self.seed;
        }
        o.scheme = self.scheme;
        o.layer = self.layer;
        o.overlap = self.overlap;
        let entity: Vec<String> = self
            .entity_labels
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        o.entity_labels = (!entity.is_empty()).then_some(entity);
        o.span_groups = formats::parse_span_groups(&self.span_groups)
            .map_err(|e| format!("Span groups: {e}"))?;
        Ok(o)
    }

    pub(crate) fn running(&self) -> bool {
        self.job.is_some()
    }

    /// For screenshots: choose `format` (if given) and, with `run`, export to a temporary file.
    pub(crate) fn scripted(
        &mut self,
        project: &Project,
        format: &str,
        run: bool,
    ) -> Result<(), String> {
        if !format.is_empty() {
            self.format = formats::parse_export_format(format)?;
            self.out = self.suggested_out();
        }
        if run {
            let name = PathBuf::from(self.suggested_out());
            let name = name.file_name().map(|n| n.to_owned()).unwrap_or_default();
            self.out = std::env::temp_dir().join(name).display().to_string();
            self.out_auto = false;
            // Screenshots reuse one temporary name.
            self.start(project, self.options()?, true);
        }
        Ok(())
    }

    /// Draws the dialog; returns `false` once it is closed.
    pub(crate) fn show(&mut self, ctx: &egui::Context, cx: &Context<'_>, out: &mut Outbox) -> bool {
        self.sync_labels(cx.project);
        self.poll(ctx, out);
        let mut close = false;
        let open = dialog_kit::dialog_window(
            ctx,
            "Export training data",
            [680.0, 660.0],
            FOOTER,
            self,
            |d, ui| d.body(ui, cx),
            |d, ui| d.run_section(ui, cx, &mut close),
        );
        if !self.running() && ctx.input(|i| i.key_pressed(Key::Escape)) {
            close = true;
        }
        if !open || close {
            if let Some(job) = &self.job {
                // The export stops at the next document and writes nothing.
                job.progress.cancel.store(true, Ordering::Relaxed);
            }
            return false;
        }
        true
    }

    /// Picks up the result of a running export.
    fn poll(&mut self, ctx: &egui::Context, out: &mut Outbox) {
        let Some(job) = &self.job else {
            return;
        };
        let outcome = match job.rx.try_recv() {
            Err(TryRecvError::Empty) => {
                ctx.request_repaint_after(Duration::from_millis(50));
                return;
            }
            Ok(Ok(summary)) => {
                let spans: usize = summary.spans_per_label.values().sum();
                out.notes.push(format!(
                    "Exported {} document(s), {spans} span(s) as {}",
                    summary.documents, summary.format
                ));
                Outcome::Done(Box::new(summary))
            }
            Ok(Err(FormatError::Exists(path))) => {
                self.overwrite = Some(job.target.clone());
                Outcome::Failed(format!(
                    "Nothing was written: {} already exists. Choose another name, or Overwrite \
                     to replace it.",
                    path.display()
                ))
            }
            Ok(Err(FormatError::Cancelled)) => {
                Outcome::Failed("Export cancelled; nothing was written.".into())
            }
            Ok(Err(e)) => {
                let msg = format!("Export failed, nothing was written: {e}");
                out.errors.push(msg.clone());
                Outcome::Failed(msg)
            }
            Err(TryRecvError::Disconnected) => {
                let msg = "The export stopped unexpectedly; its output may be incomplete.";
                out.errors.push(msg.into());
                Outcome::Failed(msg.into())
            }
        };
        self.outcome = Some(outcome);
        self.reveal = true;
        self.job = None;
    }

    /// Starts the export; `force` replaces existing regular files (never the project file).
    fn start(&mut self, project: &Project, opts: ExportOptions, force: bool) {
        let target = PathBuf::from(self.out.trim());
        let rules = WriteRules {
            force,
            protected: self.project_path.iter().cloned().collect(),
        };
        let job_target = (opts.clone(), self.out.clone());
        self.overwrite = None;
        let progress = Arc::new(Progress::default());
        let (tx, rx) = mpsc::channel();
        let project = project.clone();
        let p = Arc::clone(&progress);
        let spawned = std::thread::Builder::new()
            .name("spantag-export".into())
            .spawn(move || {
                let r = formats::export_with(&project, &opts, &target, &p, &rules);
                let _ = tx.send(r);
            });
        match spawned {
            Ok(_) => {
                self.job = Some(Job {
                    target: job_target,
                    progress,
                    rx,
                });
                self.outcome = None;
            }
            Err(e) => {
                self.outcome = Some(Outcome::Failed(format!("Could not start the export: {e}")));
            }
        }
    }

    fn body(&mut self, ui: &mut Ui, cx: &Context<'_>) {
        let running = self.running();
        let before = (self.format, self.split);
        ui.add_enabled_ui(!running, |ui| self.option_widgets(ui, cx.project));
        if before != (self.format, self.split) && self.out_auto {
            self.out = self.suggested_out();
        }
        ui.separator();
        let what = if self.out_is_folder() {
            "Output folder:"
        } else {
            "Output file:"
        };
        let focus = std::mem::take(&mut self.focus_out);
        let browse = ui
            .add_enabled_ui(!running, |ui| {
                let (r, browse) = dialog_kit::path_field(
                    ui,
                    what,
                    &mut self.out,
                    "where to write",
                    "Browse…",
                    focus,
                );
                if r.changed() {
                    self.out_auto = false;
                }
                browse
            })
            .inner;
        if browse {
            self.browse(cx.can_browse);
        }
        if let Some(n) = &self.browse_note {
            ui.weak(n.as_str());
        }
        let target = self.out.trim();
        if !target.is_empty() && Path::new(target).exists() {
            ui.weak(if self.out_is_folder() {
                "The folder exists; files of the same name in it are replaced."
            } else {
                "The file exists and will be replaced."
            });
        }
        ui.separator();
        let opts = self.options();
        self.preview_section(ui, cx, &opts);
        self.outcome_section(ui);
    }

    fn option_widgets(&mut self, ui: &mut Ui, project: &Project) {
        dialog_kit::options_grid(ui, "export-options", |ui| {
            dialog_kit::format_row(ui, &mut self.format, formats::exporters(), describe);
            let uses =
                |pick: fn(&formats::Exporter) -> bool| self.format.exporter().is_some_and(pick);
            if uses(|e| e.scheme) {
                choice_row(ui, "Tag scheme:", &mut self.scheme, &SCHEMES);
            }
            if uses(|e| e.layered) {
                choice_row(ui, "Layers:", &mut self.layer, &LAYERS);
            }
            if uses(|e| e.entity_layer) {
                choice_row(ui, "Overlaps:", &mut self.overlap, &OVERLAPS);
                let l = ui.label("Entity labels:");
                let default: Vec<&str> = project
                    .labels
                    .iter()
                    .map(|l| l.name.as_str())
                    .filter(|l| formats::is_entity_label(l))
                    .collect();
                ui.add(
                    egui::TextEdit::singleline(&mut self.entity_labels)
                        .hint_text(format!("default: {}", default.join(", ")))
                        .desired_width(260.0),
                )
                .labelled_by(l.id)
                .on_hover_text(
                    "Labels of the entity layer (spaCy doc.ents, CoNLL/hf tags), comma-separated; \
                     empty: every label whose name does not contain claim, quote or sentence",
                );
                ui.end_row();
            }
            if uses(|e| e.span_groups) {
                let l = ui.label("Span groups:");
                ui.add(
                    egui::TextEdit::singleline(&mut self.span_groups)
                        .hint_text("KEY=all|entities|claims, …, or none")
                        .desired_width(260.0),
                )
                .labelled_by(l.id)
                .on_hover_text(
                    "doc.spans keys: KEY=WHAT pairs, WHAT being all, entities or claims; none \
                     for no span group",
                );
                ui.end_row();
            }
            ui.label("Labels:");
            ui.horizontal_wrapped(|ui| {
                for (name, on) in &mut self.labels {
                    ui.checkbox(on, name.as_str());
                }
            });
            ui.end_row();
            ui.label("Statuses:");
            ui.horizontal(|ui| {
                for (s, on) in &mut self.statuses {
                    ui.checkbox(on, s.name());
                }
            });
            ui.end_row();
            ui.label("Documents:");
            ui.checkbox(&mut self.only_done, "Only documents marked done");
            ui.end_row();
            ui.label("Split:");
            ui.vertical(|ui| {
                ui.checkbox(&mut self.split, "Split by document into train / dev / test");
                if self.split {
                    ui.horizontal(|ui| {
                        for (name, v) in SPLITS.iter().zip(self.shares.iter_mut()) {
                            let l = ui.label(*name);
                            ui.add(
                                egui::DragValue::new(v)
                                    .range(0.0..=1.0)
                                    .speed(0.01)
                                    .fixed_decimals(2),
                            )
                            .labelled_by(l.id);
                        }
                        let l = ui.label("seed");
                        ui.add(egui::DragValue::new(&mut self.seed))
                            .labelled_by(l.id);
                    });
                }
            });
            ui.end_row();
        });
    }

    fn browse(&mut self, can_browse: bool) {
        if !can_browse {
            return;
        }
        let dir = Path::new(self.out.trim())
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| self.base.0.clone());
        let suggested = PathBuf::from(self.suggested_out());
        let file_name = suggested
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind = if self.out_is_folder() {
            PickKind::Folder
        } else {
            PickKind::SaveFile {
                file_name: &file_name,
            }
        };
        match dialog_kit::native_pick(kind, Some(&dir)) {
            Picked::Chosen(mut v) => {
                self.out = v.swap_remove(0).display().to_string();
                self.out_auto = false;
                self.browse_note = None;
            }
            Picked::Cancelled => {}
            Picked::Unavailable => {
                self.browse_note = Some(NO_DIALOG.into());
                self.focus_out = true;
            }
        }
    }

    fn preview_section(
        &mut self,
        ui: &mut Ui,
        cx: &Context<'_>,
        opts: &Result<ExportOptions, String>,
    ) {
        ui.label(RichText::new(format!("Preview (first {PREVIEW_RECORDS} records)")).strong());
        let opts = match opts {
            Ok(o) => o,
            Err(e) => {
                error_text(ui, e);
                return;
            }
        };
        let fresh = self
            .preview
            .as_ref()
            .is_some_and(|(o, rev, _, _)| o == opts && *rev == cx.revision);
        if !fresh {
            let records = formats::preview(cx.project, opts, PREVIEW_RECORDS)
                .into_iter()
                .map(preview_text)
                .collect();
            let problem = formats::entity_layer_problem(cx.project, opts);
            self.preview = Some((opts.clone(), cx.revision, records, problem));
        }
        let Some((_, _, records, problem)) = &self.preview else {
            return;
        };
        if let Some(p) = problem {
            error_text(ui, &format!("Warning: {p}."));
        }
        if records.is_empty() {
            ui.weak("Nothing to export with these options.");
            return;
        }
        egui::ScrollArea::vertical()
            .id_salt("export-preview")
            .max_height(300.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    for (i, r) in records.iter().enumerate() {
                        if i > 0 {
                            ui.separator();
                        }
                        ui.label(RichText::new(r).monospace().size(11.5));
                    }
                });
            });
    }

    fn run_section(&mut self, ui: &mut Ui, cx: &Context<'_>, close: &mut bool) {
        let opts = self.options();
        if let Some(job) = &self.job {
            let done = job.progress.done.load(Ordering::Relaxed);
            let total = job.progress.total.load(Ordering::Relaxed);
            ui.add(
                egui::ProgressBar::new(job.progress.fraction())
                    .show_percentage()
                    .text(format!("Exporting… {done} of {total} documents")),
            );
            ui.horizontal(|ui| {
                let cancelling = job.progress.cancel.load(Ordering::Relaxed);
                if ui
                    .add_enabled(!cancelling, egui::Button::new("Cancel"))
                    .clicked()
                {
                    job.progress.cancel.store(true, Ordering::Relaxed);
                }
                if cancelling {
                    ui.weak("Cancelling…");
                }
            });
            return;
        }
        ui.horizontal(|ui| {
            let ready = opts.is_ok() && !self.out.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new(RichText::new("Export").strong()))
                .on_hover_text("Write the files (on a background thread)")
                .clicked()
                && let Ok(o) = &opts
            {
                self.start(cx.project, o.clone(), false);
            }
            if let Ok(o) = &opts
                && self
                    .overwrite
                    .as_ref()
                    .is_some_and(|(ro, out)| ro == o && *out == self.out)
                && ui
                    .button("Overwrite")
                    .on_hover_text("Replace the existing files (never the project file)")
                    .clicked()
            {
                self.start(cx.project, o.clone(), true);
            }
            if ui.button("Close").clicked() {
                *close = true;
            }
            if self.out.trim().is_empty() {
                ui.weak("Choose where to write the export.");
            }
        });
    }

    fn outcome_section(&mut self, ui: &mut Ui) {
        dialog_kit::show_outcome(ui, self.outcome.as_ref(), |ui, s| {
            show_summary(ui, s, &mut self.reveal);
        });
    }
}

/// The end-of-export report: documents, splits, spans per label, what was left out by choice,
/// every span that could not be represented and why, and the files written.
fn show_summary(ui: &mut Ui, s: &ExportSummary, reveal: &mut bool) {
    let spans: usize = s.spans_per_label.values().sum();
    ui.horizontal(|ui| {
        dialog_kit::result_heading(ui, "Export finished", reveal);
        if ui
            .small_button("Copy report")
            .on_hover_text("Copy the full report as text")
            .clicked()
        {
            ui.ctx().copy_text(s.to_text());
        }
    });
    ui.label(format!(
        "{} document(s), {spans} span(s) as {}",
        s.documents, s.format
    ));
    if s.splits.iter().any(|(n, _)| n != "all") {
        let parts: Vec<String> = s.splits.iter().map(|(n, c)| format!("{n} {c}")).collect();
        ui.label(format!("Split (documents): {}", parts.join(", ")));
    }
    counts_grid(ui, "export-counts", &s.spans_per_label);
    if s.skipped_not_done > 0 {
        ui.label(format!(
            "Left out {} document(s) not marked done.",
            s.skipped_not_done
        ));
    }
    for (why, n) in &s.filtered {
        ui.weak(format!("Left out {n} span(s): {why}"));
    }
    if s.trimmed > 0 {
        ui.weak(format!(
            "Trimmed {} span(s) with whitespace at either end to their text.",
            s.trimmed
        ));
    }
    for n in &s.notes {
        ui.weak(format!("Note: {n}"));
    }
    for p in &s.problems {
        error_text(ui, &format!("Problem: {p}"));
    }
    let lost: Vec<String> = s.unrepresented.iter().map(ToString::to_string).collect();
    item_list(
        ui,
        "export-unrepresented",
        format!("{} span(s) could not be represented:", lost.len()),
        &lost,
        true,
    );
    if s.is_complete() {
        ui.label("Every selected span was represented.");
    }
    let files: Vec<String> = s.files.iter().map(|f| f.display().to_string()).collect();
    item_list(
        ui,
        "export-files",
        format!("Wrote {} file(s):", files.len()),
        &files,
        false,
    );
}

/// A grid row of radio buttons, one a choice, each with a tooltip.
fn choice_row<T: Copy + PartialEq + std::fmt::Display>(
    ui: &mut Ui,
    caption: &str,
    value: &mut T,
    choices: &[(T, &str)],
) {
    ui.label(caption);
    ui.horizontal(|ui| {
        for &(c, tip) in choices {
            ui.radio_value(value, c, c.to_string()).on_hover_text(tip);
        }
    });
    ui.end_row();
}

/// One line about each format.
fn describe(f: ExportFormat) -> &'static str {
    f.exporter().map_or("", |e| e.description)
}

/// A file name made from a project name: `Sample: local news` → `sample-local-news`.
fn file_stem_of(name: &str) -> String {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        "export".into()
    } else {
        words.join("-")
    }
}

/// One record as the preview shows it: JSON with long strings and lists shortened (so the spans
/// after a long text stay in view), other formats cut to their first lines.
fn preview_text(record: String) -> String {
    if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&record) {
        shorten_json(&mut v);
        return v.to_string();
    }
    let mut lines = record.lines();
    let mut out: Vec<&str> = lines.by_ref().take(PREVIEW_LINES).collect();
    let rest = lines.count();
    let more = format!("… {rest} more line(s)");
    if rest > 0 {
        out.push(&more);
    }
    clip(&out.join("\n"), PREVIEW_CHARS)
}

fn shorten_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let short = clip(s, PREVIEW_STRING);
            if short.len() < s.len() {
                *s = short;
            }
        }
        Value::Array(a) => {
            let n = a.len();
            if n > PREVIEW_ITEMS {
                a.truncate(PREVIEW_ITEMS);
                a.push(Value::String(format!("… {} more", n - PREVIEW_ITEMS)));
            }
            a.iter_mut().for_each(shorten_json);
        }
        Value::Object(o) => o.values_mut().for_each(shorten_json),
        _ => {}
    }
}

/// At most `n` characters of `s`, with a note of what was cut.
fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((b, _)) => format!(
            "{}… ({} more characters)",
            s.get(..b).unwrap_or(""),
            s.get(b..).unwrap_or("").chars().count()
        ),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{file_stem_of, preview_text};

    #[test]
    fn preview_keeps_spans_in_view_and_names_are_file_safe() {
        let text = "é".repeat(400);
        let tokens: Vec<serde_json::Value> =
            (0..40).map(|i| serde_json::json!({"id": i})).collect();
        let rec =
            serde_json::json!({"text": text, "tokens": tokens, "spans": [{"label": "actor"}]});
        let p = preview_text(rec.to_string());
        assert!(p.contains("(240 more characters)"), "{p}");
        assert!(p.contains("… 28 more"), "{p}");
        assert!(p.contains("\"label\":\"actor\""), "{p}");
        let conll: String = (0..50).map(|i| format!("w{i} O\n")).collect();
        let p = preview_text(conll);
        assert!(p.ends_with("… 20 more line(s)"), "{p}");
        assert_eq!(file_stem_of("Sample: local news"), "sample-local-news");
        assert_eq!(file_stem_of(" ?? "), "export");
    }
}

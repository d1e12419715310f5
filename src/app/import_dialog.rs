//! File → Import…: format, input files or folders, offset unit, label mapping and a preview of
//! what will be imported. The preview is the import itself, planned as edits on a background
//! thread ([`formats::import_edits`]); Import hands those edits to the app as one undoable step.

use super::action::Action;
use super::dialog_kit::{
    self, Context, NO_DIALOG, Outbox, Outcome, PickKind, Picked, counts_grid, error_text, item_list,
};
use egui::{Key, RichText, Ui};
use spantag_core::edit::Edit;
use spantag_core::formats::{
    self, FormatError, ImportFormat, ImportOptions, ImportSummary, Input, OffsetUnit,
};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Duration;

/// Height kept for the footer (the buttons).
const FOOTER: f32 = 40.0;

/// How many documents the preview lists.
const PREVIEW_DOCS: usize = 3;
/// How many spans of a document the preview lists.
const PREVIEW_SPANS: usize = 6;

type PlanResult = Result<(Vec<Edit>, ImportSummary), String>;

/// What a plan was made for: inputs, options and the project revision.
#[derive(Debug, Clone, PartialEq)]
struct PlanKey {
    inputs: Vec<PathBuf>,
    opts: ImportOptions,
    revision: u64,
}

struct Pending {
    key: PlanKey,
    rx: Receiver<Result<(Vec<Edit>, ImportSummary), FormatError>>,
}

/// The import dialog's state.
pub(crate) struct ImportDialog {
    format: ImportFormat,
    inputs: String,
    offsets: OffsetUnit,
    map: String,
    browse_note: Option<String>,
    focus_inputs: bool,
    plan: Option<(PlanKey, PlanResult)>,
    pending: Option<Pending>,
    outcome: Option<Outcome<ImportSummary>>,
    /// Scroll the outcome into view (it just arrived).
    reveal: bool,
    /// The dialog was drawn once (so a preview, if any, has been started).
    drawn: bool,
}

impl ImportDialog {
    pub(crate) fn new() -> Self {
        ImportDialog {
            format: ImportFormat::Jsonl,
            inputs: String::new(),
            offsets: OffsetUnit::Codepoints,
            map: String::new(),
            browse_note: None,
            focus_inputs: true,
            plan: None,
            pending: None,
            outcome: None,
            reveal: false,
            drawn: false,
        }
    }

    /// Whether a preview is being read.
    pub(crate) fn reading(&self) -> bool {
        self.pending.is_some() || !self.drawn
    }

    /// For screenshots: `INPUT[;INPUT...][=FORMAT]`.
    pub(crate) fn scripted(&mut self, arg: &str) -> Result<(), String> {
        let (inputs, format) = arg.split_once('=').unwrap_or((arg, ""));
        if !format.is_empty() {
            self.format = formats::parse_import_format(format)?;
            self.offsets = usual_offsets(self.format);
        }
        self.inputs = inputs.to_owned();
        self.focus_inputs = false;
        Ok(())
    }

    /// Whether the format has character offsets whose unit the user chooses.
    fn has_offsets(&self) -> bool {
        self.format.importer().is_some_and(|i| i.offsets.is_some())
    }

    fn input_paths(&self) -> Vec<PathBuf> {
        self.inputs
            .split([';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect()
    }

    /// The plan key the dialog describes, or why it cannot be imported yet.
    fn key(&self, revision: u64) -> Result<PlanKey, String> {
        let inputs = self.input_paths();
        if inputs.is_empty() {
            return Err("Choose the file(s) to import.".into());
        }
        if let Some(p) = inputs.iter().find(|p| !p.exists()) {
            return Err(format!("{} does not exist.", p.display()));
        }
        let mut opts = ImportOptions::new(self.format);
        opts.offsets = self.has_offsets().then_some(self.offsets);
        opts.map = parse_map(&self.map)?;
        Ok(PlanKey {
            inputs,
            opts,
            revision,
        })
    }

    /// Draws the dialog; returns `false` once it is closed.
    pub(crate) fn show(&mut self, ctx: &egui::Context, cx: &Context<'_>, out: &mut Outbox) -> bool {
        self.poll(ctx);
        let mut close = false;
        let open = dialog_kit::dialog_window(
            ctx,
            "Import annotations",
            [640.0, 600.0],
            FOOTER,
            self,
            |d, ui| d.body(ui, cx),
            |d, ui| d.footer(ui, cx, out, &mut close),
        );
        if ctx.input(|i| i.key_pressed(Key::Escape)) {
            close = true;
        }
        // A pending plan is simply dropped: it changes nothing.
        open && !close
    }

    fn poll(&mut self, ctx: &egui::Context) {
        let Some(p) = &self.pending else {
            return;
        };
        let result = match p.rx.try_recv() {
            Err(TryRecvError::Empty) => {
                ctx.request_repaint_after(Duration::from_millis(50));
                return;
            }
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(TryRecvError::Disconnected) => {
                Err("Reading the input stopped unexpectedly.".to_owned())
            }
        };
        if let Some(p) = self.pending.take() {
            self.plan = Some((p.key, result));
        }
        ctx.request_repaint();
    }

    /// Starts planning for `key` unless that plan is ready or under way.
    fn plan_for(&mut self, key: &PlanKey, project: &spantag_core::model::Project) {
        if self.plan.as_ref().is_some_and(|(k, _)| k == key)
            || self.pending.as_ref().is_some_and(|p| p.key == *key)
        {
            return;
        }
        if self.pending.is_some() {
            // Wait for the running plan; the next frame starts this one.
            return;
        }
        let (tx, rx) = mpsc::channel();
        let project = project.clone();
        let (inputs, opts) = (key.inputs.clone(), key.opts.clone());
        let spawned = std::thread::Builder::new()
            .name("spantag-import".into())
            .spawn(move || {
                let _ = tx.send(formats::import_edits(&project, &inputs, &opts));
            });
        match spawned {
            Ok(_) => {
                // New input: the report of an earlier import no longer applies.
                if matches!(self.outcome, Some(Outcome::Done(_))) {
                    self.outcome = None;
                }
                self.pending = Some(Pending {
                    key: key.clone(),
                    rx,
                });
            }
            Err(e) => {
                self.plan = Some((key.clone(), Err(format!("Could not read the input: {e}"))));
            }
        }
    }

    /// Called by the app once the planned edits were applied (or failed to apply).
    pub(crate) fn applied(&mut self, ok: bool, summary: ImportSummary) {
        self.reveal = true;
        if ok {
            // Done with these files: the preview would now only repeat them as duplicates.
            self.inputs.clear();
        }
        self.outcome = Some(if ok {
            Outcome::Done(Box::new(summary))
        } else {
            Outcome::Failed(
                "The import could not be applied to the project (see the message); nothing was changed."
                    .into(),
            )
        });
    }

    fn body(&mut self, ui: &mut Ui, cx: &Context<'_>) {
        let before = self.format;
        dialog_kit::options_grid(ui, "import-options", |ui| {
            dialog_kit::format_row(ui, &mut self.format, formats::importers(), describe);
            ui.label("Offsets:");
            if self.has_offsets() {
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.offsets, OffsetUnit::Codepoints, "code points")
                        .on_hover_text("Python str indices (spaCy, Prodigy)");
                    ui.radio_value(&mut self.offsets, OffsetUnit::Utf16, "UTF-16")
                        .on_hover_text("JavaScript string indices (doccano writes these)");
                });
            } else {
                ui.weak("code points (this format's own unit)");
            }
            ui.end_row();
            let l = ui.label("Label mapping:");
            ui.add(
                egui::TextEdit::multiline(&mut self.map)
                    .hint_text("OLD=NEW, one per line (e.g. PER=actor)")
                    .desired_rows(2)
                    .desired_width(300.0),
            )
            .labelled_by(l.id);
            ui.end_row();
        });
        if before != self.format {
            self.offsets = usual_offsets(self.format);
        }
        let (button, hint) = if self.format == ImportFormat::Brat {
            ("Add folder…", "a brat folder (or .ann files)")
        } else {
            ("Add files…", "file(s) to import; separate several with ';'")
        };
        let focus = std::mem::take(&mut self.focus_inputs);
        let (_, browse) =
            dialog_kit::path_field(ui, "Input:", &mut self.inputs, hint, button, focus);
        if browse {
            self.browse(cx.can_browse);
        }
        if let Some(n) = &self.browse_note {
            ui.weak(n.as_str());
        }
        ui.separator();
        ui.label(RichText::new("Preview").strong());
        let key = self.key(cx.revision);
        self.drawn = true;
        match &key {
            Err(e) => {
                ui.weak(e.as_str());
            }
            Ok(k) => {
                self.plan_for(k, cx.project);
                match self.plan.as_ref().filter(|(pk, _)| pk == k) {
                    None => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Reading…");
                        });
                    }
                    Some((_, Err(e))) => error_text(ui, e),
                    Some((_, Ok((edits, summary)))) => show_plan(ui, edits, summary),
                }
            }
        }
        dialog_kit::show_outcome(ui, self.outcome.as_ref(), |ui, s| {
            dialog_kit::result_heading(ui, "Import finished", &mut self.reveal);
            show_summary(ui, s, "import-done");
            ui.weak("Edit › Undo (Ctrl+Z) removes everything this import added.");
        });
    }

    /// The Import and Close buttons.
    fn footer(&mut self, ui: &mut Ui, cx: &Context<'_>, out: &mut Outbox, close: &mut bool) {
        let ready = self.key(cx.revision).ok().is_some_and(|k| {
            self.plan
                .as_ref()
                .is_some_and(|(pk, r)| *pk == k && r.as_ref().is_ok_and(|(e, _)| !e.is_empty()))
        });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(ready, egui::Button::new(RichText::new("Import").strong()))
                .on_hover_text("Add the previewed documents and spans (one undoable step)")
                .clicked()
                && let Some((_, Ok((edits, summary)))) = self.plan.take()
            {
                let spans: usize = summary.spans_per_label.values().sum();
                out.actions.push(Action::ApplyImport {
                    description: format!(
                        "Import {} document(s), {spans} span(s)",
                        summary.documents_added
                    ),
                    edits,
                    summary: Box::new(summary),
                });
            }
            if ui.button("Close").clicked() {
                *close = true;
            }
        });
    }

    fn browse(&mut self, can_browse: bool) {
        if !can_browse {
            return;
        }
        let kind = match self.format.importer().map(|i| i.input) {
            Some(Input::Files { kind, extensions }) => PickKind::Files {
                name: kind,
                extensions,
            },
            Some(Input::Folder) | None => PickKind::Folder,
        };
        match dialog_kit::native_pick(kind, None) {
            Picked::Chosen(v) => {
                let mut parts: Vec<String> = self
                    .input_paths()
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                parts.extend(v.iter().map(|p| p.display().to_string()));
                self.inputs = parts.join("; ");
                self.browse_note = None;
            }
            Picked::Cancelled => {}
            Picked::Unavailable => {
                self.browse_note = Some(NO_DIALOG.into());
                self.focus_inputs = true;
            }
        }
    }
}

/// What an import will do (or did): counts, labels, notes and every problem with its reason.
fn show_summary(ui: &mut Ui, s: &ImportSummary, id: &str) {
    let spans: usize = s.spans_per_label.values().sum();
    ui.label(format!(
        "{} document(s) added, {} already in the project; {spans} span(s)",
        s.documents_added, s.documents_matched
    ));
    counts_grid(ui, &format!("{id}-counts"), &s.spans_per_label);
    if !s.labels_added.is_empty() {
        ui.label(format!("New labels: {}", s.labels_added.join(", ")));
    }
    let relations: usize = s.relations_per_type.values().sum();
    if relations > 0 {
        ui.label(format!("{relations} relation(s)"));
        counts_grid(ui, &format!("{id}-relation-counts"), &s.relations_per_type);
    }
    if !s.relation_types_added.is_empty() {
        ui.label(format!(
            "New relation types (any labels): {}",
            s.relation_types_added.join(", ")
        ));
    }
    for (a, b, why) in &s.labels_mapped {
        ui.weak(format!("Label {a:?} imported as {b:?} ({why})"));
    }
    if s.trimmed > 0 {
        ui.weak(format!(
            "Trimmed whitespace off the ends of {} span(s), e.g. {}",
            s.trimmed,
            s.trimmed_examples.join("; ")
        ));
    }
    for n in &s.notes {
        ui.weak(format!("Note: {n}"));
    }
    item_list(
        ui,
        &format!("{id}-warnings"),
        "Warnings:".to_owned(),
        &s.warnings,
        true,
    );
    let not_kept: Vec<String> = s.not_kept.iter().map(ToString::to_string).collect();
    item_list(
        ui,
        &format!("{id}-not-kept"),
        "Not kept (spantag has no place for them yet):".to_owned(),
        &not_kept,
        true,
    );
    let problems: Vec<String> = s.problems.iter().map(ToString::to_string).collect();
    item_list(
        ui,
        &format!("{id}-problems"),
        format!("{} span(s) or record(s) not imported:", problems.len()),
        &problems,
        true,
    );
}

/// The plan's summary and its first documents with their spans.
fn show_plan(ui: &mut Ui, edits: &[Edit], summary: &ImportSummary) {
    show_summary(ui, summary, "import-plan");
    if !summary.labels_added.is_empty() {
        ui.weak("To use existing labels instead, add OLD=NEW lines under Label mapping.");
    }
    let docs: Vec<&spantag_core::model::Document> = edits
        .iter()
        .filter_map(|e| match e {
            Edit::AddDocument { document, .. } => Some(&**document),
            _ => None,
        })
        .take(PREVIEW_DOCS)
        .collect();
    if docs.is_empty() {
        if edits.is_empty() {
            ui.weak("Nothing to import.");
        }
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        for d in docs {
            ui.label(
                RichText::new(format!(
                    "{} — {}",
                    d.id,
                    super::article::short(&d.title, 60)
                ))
                .strong(),
            );
            for s in d.spans.iter().take(PREVIEW_SPANS) {
                ui.label(format!(
                    "  {} {}..{} “{}”",
                    s.label,
                    s.start,
                    s.end,
                    super::article::short(&s.text, 50)
                ));
            }
            if d.spans.len() > PREVIEW_SPANS {
                ui.weak(format!(
                    "  … {} more span(s)",
                    d.spans.len() - PREVIEW_SPANS
                ));
            }
        }
    });
}

/// Parses `OLD=NEW` lines (blank lines ignored).
fn parse_map(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match line.split_once('=') {
            Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                out.push((a.trim().to_owned(), b.trim().to_owned()));
            }
            _ => {
                return Err(format!(
                    "Label mapping, line {}: expected OLD=NEW, not {line:?}",
                    i + 1
                ));
            }
        }
    }
    Ok(out)
}

/// One line about each format.
fn describe(f: ImportFormat) -> &'static str {
    f.importer().map_or("", |i| i.description)
}

/// The offset unit the format's files usually use.
fn usual_offsets(f: ImportFormat) -> OffsetUnit {
    f.importer()
        .and_then(|i| i.offsets)
        .unwrap_or(OffsetUnit::Codepoints)
}

#[cfg(test)]
mod tests {
    use super::parse_map;

    #[test]
    fn label_map_lines() {
        assert_eq!(
            parse_map("PER=actor\n\n LOC = place ").unwrap(),
            vec![
                ("PER".to_owned(), "actor".to_owned()),
                ("LOC".to_owned(), "place".to_owned())
            ]
        );
        assert!(parse_map("PER actor").unwrap_err().contains("line 1"));
        assert!(parse_map("=x").is_err());
    }
}

//! The export driver: options, selection of documents and spans, splits, the summary and the
//! output files (see the module documentation of [`super`]). The formats render through their
//! [`super::Exporter`].

use super::{
    Ctx, Exporter, Format, FormatError, Output, Prepared, Reports, WriteRules, assign_splits,
};
use crate::model::{Project, Span, SpanId, Status};
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// CoNLL tagging scheme.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
    strum::VariantNames,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Scheme {
    /// Every entity starts with `B-`.
    Iob2,
    /// `B-` only where an entity directly follows one of the same type (CoNLL-2003).
    Iob1,
    /// `B-`, `I-`, `L-` (last), `U-` (single token).
    Bilou,
    /// `B-`, `I-`, `E-` (last), `S-` (single token): BILOU with other letters.
    Iobes,
}

/// Which layer single-label token formats (CoNLL, hf) write.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
    strum::VariantNames,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Layer {
    /// Both: the entity layer to the output file, the claims layer to a `.claims` companion.
    Both,
    /// Only the entity labels.
    Entities,
    /// Only the labels that are not entity labels (e.g. `claim`).
    Claims,
}

/// How overlapping spans of one layer are resolved.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
    strum::VariantNames,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Overlap {
    /// Keep the longest span; ties go to the earliest, then to label order.
    Longest,
    /// Keep the span that starts first (the longer one on ties).
    First,
}

/// What a `.spacy` span group holds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
    strum::VariantNames,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum GroupSpans {
    /// Every exported span.
    All,
    /// The spans of the entity layer (overlaps allowed).
    Entities,
    /// The spans of the claims layer.
    Claims,
}

/// One `.spacy` span group: `doc.spans[key]` holds the spans of `spans`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanGroup {
    pub key: String,
    pub spans: GroupSpans,
}

/// The default span groups of `.spacy`: `entities`, `claims` and `sc` (every span, the key
/// spaCy's span categorizer reads).
pub fn default_span_groups() -> Vec<SpanGroup> {
    [
        ("entities", GroupSpans::Entities),
        ("claims", GroupSpans::Claims),
        ("sc", GroupSpans::All),
    ]
    .into_iter()
    .map(|(k, spans)| SpanGroup {
        key: k.to_owned(),
        spans,
    })
    .collect()
}

/// Parses `--span-groups`: `KEY=WHAT` pairs separated by commas, WHAT being `all`, `entities` or
/// `claims` (e.g. `sc=all,ents=entities`); `none` (or nothing) writes no span group. Keys must be
/// distinct and not empty.
pub fn parse_span_groups(s: &str) -> Result<Vec<SpanGroup>, String> {
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut out: Vec<SpanGroup> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, what) = part.split_once('=').ok_or_else(|| {
            format!("expected KEY=WHAT (WHAT: all, entities or claims), not {part:?}")
        })?;
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("span group {part:?} has an empty key"));
        }
        let spans: GroupSpans =
            super::parse_name(what).map_err(|e| format!("span group {key:?}: {e}"))?;
        if out.iter().any(|g| g.key == key) {
            return Err(format!("span group key {key:?} is given twice"));
        }
        out.push(SpanGroup {
            key: key.to_owned(),
            spans,
        });
    }
    Ok(out)
}

/// Renders span groups as `--span-groups` takes them (`none` for no group).
pub fn span_groups_text(groups: &[SpanGroup]) -> String {
    if groups.is_empty() {
        return "none".into();
    }
    groups
        .iter()
        .map(|g| format!("{}={}", g.key, g.spans))
        .collect::<Vec<_>>()
        .join(",")
}

impl Scheme {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl Layer {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl Overlap {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Everything that controls an export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    pub format: Format,
    /// Only spans with these labels (case-insensitive); `None`: every label.
    pub labels: Option<Vec<String>>,
    /// Only spans with these statuses; `None`: every status except `rejected`.
    pub statuses: Option<Vec<Status>>,
    /// Only documents marked done.
    pub only_done: bool,
    /// Split by document: `(name, share)` pairs, e.g. train 0.8, dev 0.1, test 0.1.
    pub split: Option<Vec<(String, f64)>>,
    /// Seed of the split.
    pub seed: u64,
    /// CoNLL tagging scheme.
    pub scheme: Scheme,
    /// Layers written by CoNLL and hf.
    pub layer: Layer,
    /// How overlaps within a layer are resolved.
    pub overlap: Overlap,
    /// The labels of the entity layer (case-insensitive); `None`: every label that
    /// [`is_entity_label`](super::is_entity_label) accepts (not claim-, quote- or sentence-like).
    pub entity_labels: Option<Vec<String>>,
    /// The span groups of `.spacy` ([`default_span_groups`]).
    pub span_groups: Vec<SpanGroup>,
}

impl ExportOptions {
    /// Defaults for `format`: every label, every status but rejected, no split, IOB2, both layers,
    /// longest wins, the entity layer by the label names ([`super::is_entity_label`]), the
    /// default span groups.
    pub fn new(format: Format) -> Self {
        ExportOptions {
            format,
            labels: None,
            statuses: None,
            only_done: false,
            split: None,
            seed: 0,
            scheme: Scheme::Iob2,
            layer: Layer::Both,
            overlap: Overlap::Longest,
            entity_labels: None,
            span_groups: default_span_groups(),
        }
    }

    pub(crate) fn label_ok(&self, label: &str) -> bool {
        self.labels
            .as_ref()
            .is_none_or(|ls| ls.iter().any(|l| l.eq_ignore_ascii_case(label)))
    }

    fn status_ok(&self, status: Status) -> bool {
        match &self.statuses {
            None => status != Status::Rejected,
            Some(v) => v.contains(&status),
        }
    }

    /// Whether `label` belongs to the entity layer.
    pub fn is_entity(&self, label: &str) -> bool {
        match &self.entity_labels {
            Some(v) => v.iter().any(|l| l.eq_ignore_ascii_case(label)),
            None => super::is_entity_label(label),
        }
    }
}

/// A span that an export could not represent, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrepresented {
    pub doc: String,
    pub span: SpanId,
    pub label: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub reason: String,
}

impl fmt::Display for Unrepresented {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "document {:?}, span {} {} {}..{} {:?}: {}",
            self.doc, self.span, self.label, self.start, self.end, self.text, self.reason
        )
    }
}

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportSummary {
    pub format: String,
    /// Documents exported.
    pub documents: usize,
    /// Documents per split (one entry `("all", n)` without a split).
    pub splits: Vec<(String, usize)>,
    /// Spans exported, per label.
    pub spans_per_label: BTreeMap<String, usize>,
    /// Documents left out because they are not marked done (`--only-done`).
    pub skipped_not_done: usize,
    /// Spans left out by choice, per reason (label filter, status filter, other layer).
    pub filtered: BTreeMap<String, usize>,
    /// Spans that could not be represented.
    pub unrepresented: Vec<Unrepresented>,
    /// Things worth knowing that lose nothing (e.g. spans kept in `doc.spans` but not in `doc.ents`).
    pub notes: Vec<String>,
    /// Spans with whitespace at either end that a token format exported trimmed to their text
    /// (`" Jane Smith"` as `Jane Smith`), with the offsets of the trimmed text.
    pub trimmed: usize,
    /// Problems with the export as a whole that make it incomplete although every file was
    /// written (e.g. an entity layer that came out empty while the documents have spans).
    pub problems: Vec<String>,
    /// Files written.
    pub files: Vec<PathBuf>,
}

impl ExportSummary {
    /// Whether every selected span was represented and the export has no [problem](Self::problems).
    pub fn is_complete(&self) -> bool {
        self.unrepresented.is_empty() && self.problems.is_empty()
    }

    /// The report printed by `spantag export`.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let spans: usize = self.spans_per_label.values().sum();
        let _ = writeln!(
            s,
            "exported {} document(s), {} span(s) as {}",
            self.documents, spans, self.format
        );
        if self.splits.len() > 1 || self.splits.first().is_some_and(|(n, _)| n != "all") {
            let parts: Vec<String> = self
                .splits
                .iter()
                .map(|(n, c)| format!("{n} {c}"))
                .collect();
            let _ = writeln!(s, "split (documents): {}", parts.join(", "));
        }
        for (label, n) in &self.spans_per_label {
            let _ = writeln!(s, "  {label:<16} {n}");
        }
        if self.skipped_not_done > 0 {
            let _ = writeln!(
                s,
                "left out {} document(s) not marked done (--only-done)",
                self.skipped_not_done
            );
        }
        for (why, n) in &self.filtered {
            let _ = writeln!(s, "left out {n} span(s): {why}");
        }
        if self.trimmed > 0 {
            let _ = writeln!(
                s,
                "trimmed {} span(s) with whitespace at either end to their text (their offsets \
                 are those of the trimmed text)",
                self.trimmed
            );
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        for p in &self.problems {
            let _ = writeln!(s, "problem: {p}");
        }
        if !self.unrepresented.is_empty() {
            let _ = writeln!(
                s,
                "{} span(s) could not be represented:",
                self.unrepresented.len()
            );
            for u in crate::listing::capped_lines(&self.unrepresented) {
                let _ = writeln!(s, "  - {u}");
            }
        }
        for f in &self.files {
            let _ = writeln!(s, "wrote {}", f.display());
        }
        s
    }
}

/// Progress of a long export or import, shared with another thread (e.g. the GUI's progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    /// Documents finished.
    pub done: AtomicUsize,
    /// Documents to do (set when known).
    pub total: AtomicUsize,
    /// Set to ask the running export to stop; it then fails with [`FormatError::Cancelled`] and
    /// writes nothing.
    pub cancel: AtomicBool,
}

impl Progress {
    /// Finished fraction in `0.0..=1.0`.
    pub fn fraction(&self) -> f32 {
        let total = self.total.load(Ordering::Relaxed);
        if total == 0 {
            return 0.0;
        }
        (self.done.load(Ordering::Relaxed) as f32 / total as f32).min(1.0)
    }

    pub(crate) fn tick(&self) -> Result<(), FormatError> {
        self.done.fetch_add(1, Ordering::Relaxed);
        if self.cancel.load(Ordering::Relaxed) {
            return Err(FormatError::Cancelled);
        }
        Ok(())
    }
}

/// Spans that a token format exports trimmed, keyed by (document index, span index): the span
/// trimmed of whitespace at both ends, or `None` when it covers whitespace only.
type Trimmed = HashMap<(usize, usize), Option<Span>>;

/// The spans with whitespace at either end ([`is_space`](super::is_space)), trimmed to their text,
/// for formats that align spans to tokens ([`Exporter::tokens`]); empty for the others.
fn trimmed_spans(project: &Project, exporter: &Exporter) -> Trimmed {
    let mut out = Trimmed::new();
    if !exporter.tokens {
        return out;
    }
    for (di, d) in project.documents.iter().enumerate() {
        for (si, s) in d.spans.iter().enumerate() {
            let padded = s.text.starts_with(super::is_space) || s.text.ends_with(super::is_space);
            if !padded {
                continue;
            }
            let inner = s.text.trim_matches(super::is_space);
            let trimmed = (!inner.is_empty()).then(|| {
                let lead = s.text
                    [..s.text.len() - s.text.trim_start_matches(super::is_space).len()]
                    .chars()
                    .count();
                let mut t = s.clone();
                t.start = s.start + lead;
                t.end = t.start + inner.chars().count();
                t.text = inner.to_owned();
                t
            });
            out.insert((di, si), trimmed);
        }
    }
    out
}

/// Counts of the selection that decide whether the entity layer came out empty.
#[derive(Default)]
struct Selected {
    /// Spans passing the label and status filters (before the layer filter).
    spans: usize,
    /// Those of them in the entity layer.
    entities: usize,
}

/// Selects documents and spans; returns the prepared documents (in project order). Spans in
/// `trimmed` are exported trimmed (whitespace-only ones are reported).
fn select<'p>(
    ctx: &Ctx<'_>,
    project: &'p Project,
    trimmed: &'p Trimmed,
    summary: &mut ExportSummary,
    reports: &mut Reports,
) -> (Vec<Prepared<'p>>, Selected) {
    let opts = ctx.opts;
    let layered = opts.format.exporter().is_some_and(|e| e.layered);
    let mut out = Vec::new();
    let mut counts = Selected::default();
    for (di, d) in project.documents.iter().enumerate() {
        if opts.only_done && !d.done {
            summary.skipped_not_done += 1;
            continue;
        }
        let mut spans = Vec::with_capacity(d.spans.len());
        for (si, s) in d.spans.iter().enumerate() {
            let why = if !opts.label_ok(&s.label) {
                Some("label not selected (--labels)".to_owned())
            } else if !opts.status_ok(s.status) {
                Some(if opts.statuses.is_none() {
                    "rejected (default; pass --status to include)".to_owned()
                } else {
                    format!("status {} not selected (--status)", s.status.name())
                })
            } else {
                counts.spans += 1;
                let entity = ctx.is_entity(&s.label);
                counts.entities += usize::from(entity);
                // Layered formats write the chosen layer only; the other is left out by choice.
                let other_layer = match opts.layer {
                    Layer::Both => false,
                    Layer::Entities => !entity,
                    Layer::Claims => entity,
                };
                (layered && other_layer)
                    .then(|| format!("not in the chosen --layer {}", opts.layer))
            };
            if let Some(w) = why {
                *summary.filtered.entry(w).or_default() += 1;
                continue;
            }
            // Usually no span is padded: spare the lookup.
            let padded = if trimmed.is_empty() {
                None
            } else {
                trimmed.get(&(di, si))
            };
            match padded {
                None => spans.push(s),
                Some(Some(t)) => {
                    summary.trimmed += 1;
                    spans.push(t);
                }
                Some(None) => reports.unrepresented(
                    d,
                    s,
                    "covers only whitespace, which no token holds".to_owned(),
                ),
            }
        }
        out.push(Prepared::new(d, spans));
    }
    (out, counts)
}

/// Why the entity layer of an export with `opts` comes out empty although `selected` spans
/// pass the filters, or `None` when it does not, the format writes no entity layer, or the
/// label filter chose only labels outside the entity layer.
fn empty_entity_layer(
    project: &Project,
    opts: &ExportOptions,
    selected: &Selected,
) -> Option<String> {
    let exporter = opts.format.exporter()?;
    let writes_entities =
        exporter.entity_layer && !(exporter.layered && opts.layer == Layer::Claims);
    if !writes_entities || selected.spans == 0 || selected.entities > 0 {
        return None;
    }
    // Only non-entity labels chosen with --labels: an empty entity layer is what was asked for.
    if opts
        .labels
        .as_ref()
        .is_some_and(|ls| !ls.iter().any(|l| opts.is_entity(l)))
    {
        return None;
    }
    let labels: Vec<&str> = project.labels.iter().map(|l| l.name.as_str()).collect();
    let rule = match &opts.entity_labels {
        Some(v) => format!("the entity labels given are {}", v.join(", ")),
        None => "entity labels are every label whose name does not contain claim, quote or \
                 sentence"
            .to_owned(),
    };
    Some(format!(
        "the entity layer is empty: none of the {} selected span(s) has an entity label \
         (project labels: {}; {rule}); choose the entity labels with --entity-labels (in the \
         app: the Entity labels field of the export dialog)",
        selected.spans,
        labels.join(", ")
    ))
}

/// Why the entity layer of `project` exported with `opts` would come out empty (see
/// [`ExportSummary::problems`]), without exporting; `None` when it would not. For a dialog that
/// warns before the export runs.
pub fn entity_layer_problem(project: &Project, opts: &ExportOptions) -> Option<String> {
    opts.format.exporter().filter(|e| e.entity_layer)?;
    let mut selected = Selected::default();
    for d in project.documents.iter() {
        if opts.only_done && !d.done {
            continue;
        }
        for s in &d.spans {
            if opts.label_ok(&s.label) && opts.status_ok(s.status) {
                selected.spans += 1;
                if opts.is_entity(&s.label) {
                    return None;
                }
            }
        }
    }
    empty_entity_layer(project, opts, &selected)
}

/// Inserts `.tag` before the extension of a file name: `x.conll` -> `x.claims.conll`.
pub(crate) fn companion(path: &Path, tag: &str, ext: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!("{stem}.{tag}.{ext}"))
}

/// Exports `project` to `out` (see the module documentation for the layout) without replacing
/// any existing file. Returns the summary; fails without writing anything when a file exists or
/// cannot be written or `progress.cancel` is set. [`export_with`] can replace files.
pub fn export(
    project: &Project,
    opts: &ExportOptions,
    out: &Path,
    progress: &Progress,
) -> Result<ExportSummary, FormatError> {
    export_with(project, opts, out, progress, &WriteRules::default())
}

/// [`export`] under `rules`: existing regular files are replaced only with
/// [`WriteRules::force`], the [`WriteRules::protected`] files never, and devices, FIFOs, sockets
/// and folders never. Every target is checked before anything is written.
pub fn export_with(
    project: &Project,
    opts: &ExportOptions,
    out: &Path,
    progress: &Progress,
    rules: &WriteRules,
) -> Result<ExportSummary, FormatError> {
    let (mut summary, files) = export_to_memory(project, opts, out, progress)?;
    summary.files = files.commit(rules)?;
    Ok(summary)
}

/// Whether an export with `opts` writes exactly one file and no companions, so it can go to
/// standard output: no split, not a folder format, no files written for the whole export (hf's
/// label names) and, for layered formats, one layer only.
pub fn writes_one_file(opts: &ExportOptions) -> bool {
    opts.split.is_none()
        && opts.format.exporter().is_some_and(|e| {
            !e.folder && e.finish.is_none() && !(e.layered && opts.layer == Layer::Both)
        })
}

/// Renders an export that [`writes_one_file`] to memory instead of a file: the summary and the
/// bytes of the file (for `--out -`).
pub fn export_to_bytes(
    project: &Project,
    opts: &ExportOptions,
    progress: &Progress,
) -> Result<(ExportSummary, Vec<u8>), FormatError> {
    if !writes_one_file(opts) {
        return Err(FormatError::Invalid(format!(
            "{} with these options writes more than one file (a split, a folder, companion files \
             or label names), so it cannot go to standard output; name a file with --out",
            opts.format
        )));
    }
    let (summary, files) = export_to_memory(project, opts, Path::new("-"), progress)?;
    let mut files = files.files.into_iter();
    match (files.next(), files.next()) {
        (Some((_, bytes)), None) => Ok((summary, bytes)),
        _ => Err(FormatError::Invalid(format!(
            "{} did not produce exactly one file; name a file with --out",
            opts.format
        ))),
    }
}

/// The exporter of `format`, or why there is none.
fn exporter_of(format: Format) -> Result<&'static Exporter, FormatError> {
    format.exporter().ok_or_else(|| {
        let names: Vec<&str> = super::exporters().iter().map(|f| f.name()).collect();
        FormatError::Invalid(format!(
            "{format} cannot be exported (formats that can: {})",
            names.join(", ")
        ))
    })
}

fn export_to_memory(
    project: &Project,
    opts: &ExportOptions,
    out: &Path,
    progress: &Progress,
) -> Result<(ExportSummary, Output), FormatError> {
    let exporter = exporter_of(opts.format)?;
    let ctx = Ctx::new(project, opts);
    let mut summary = ExportSummary {
        format: opts.format.name().to_owned(),
        ..ExportSummary::default()
    };
    let mut reports = Reports::default();
    let trimmed = trimmed_spans(project, exporter);
    let (mut docs, selected) = select(&ctx, project, &trimmed, &mut summary, &mut reports);
    summary
        .problems
        .extend(empty_entity_layer(project, opts, &selected));
    progress.total.store(docs.len(), Ordering::Relaxed);
    progress.done.store(0, Ordering::Relaxed);
    let mut files = Output::default();
    summary.documents = docs.len();
    match &opts.split {
        None => {
            summary.splits.push(("all".into(), docs.len()));
            (exporter.write)(
                &ctx,
                &mut docs,
                out,
                None,
                &mut files,
                &mut reports,
                progress,
            )?;
        }
        Some(split) => {
            if out.is_file() {
                return Err(FormatError::Invalid(format!(
                    "{} is a file; with --split, --out names a folder",
                    out.display()
                )));
            }
            let ids: Vec<&str> = docs.iter().map(|p| p.doc.id.as_str()).collect();
            let shares: Vec<f64> = split.iter().map(|(_, v)| *v).collect();
            let which = assign_splits(&ids, &shares, opts.seed);
            let mut groups: Vec<Vec<Prepared<'_>>> = split.iter().map(|_| Vec::new()).collect();
            for (p, k) in docs.into_iter().zip(which) {
                groups[k].push(p);
            }
            for ((name, _), group) in split.iter().zip(groups.iter_mut()) {
                summary.splits.push((name.clone(), group.len()));
                let path = if exporter.folder {
                    out.join(name)
                } else {
                    out.join(format!("{name}.{}", exporter.extension))
                };
                (exporter.write)(
                    &ctx,
                    group,
                    &path,
                    Some(name),
                    &mut files,
                    &mut reports,
                    progress,
                )?;
            }
            docs = groups.into_iter().flatten().collect();
        }
    }
    if let Some(finish) = exporter.finish {
        finish(&ctx, out, opts.split.is_some(), &mut files);
    }
    let mut per_label: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &docs {
        for s in &p.spans {
            if reports.lost.is_empty() || !reports.lost.contains(&s.id) {
                *per_label.entry(s.label.as_str()).or_default() += 1;
            }
        }
    }
    summary.spans_per_label = per_label
        .into_iter()
        .map(|(l, n)| (l.to_owned(), n))
        .collect();
    summary.unrepresented = reports.unrepresented;
    summary.notes = reports.notes;
    if reports.relations_written > 0 {
        summary
            .notes
            .push(format!("wrote {} relation(s)", reports.relations_written));
    }
    if reports.relations_left_out > 0 {
        summary.notes.push(format!(
            "left out {} relation(s) whose span(s) were not exported (filtered out or not \
             represented)",
            reports.relations_left_out
        ));
    }
    Ok((summary, files))
}

/// The first `n` records an export would write, as text (one string per document; `.spacy`
/// records are shown as text with their entities), without writing anything. For a GUI preview.
/// Empty for a format that is not exported.
pub fn preview(project: &Project, opts: &ExportOptions, n: usize) -> Vec<String> {
    let Some(exporter) = opts.format.exporter() else {
        return Vec::new();
    };
    let ctx = Ctx::new(project, opts);
    let mut summary = ExportSummary::default();
    let mut reports = Reports::default();
    let trimmed = trimmed_spans(project, exporter);
    let mut out = Vec::new();
    let (docs, _) = select(&ctx, project, &trimmed, &mut summary, &mut reports);
    for mut p in docs.into_iter().take(n) {
        out.push((exporter.preview)(&ctx, &mut p, &mut reports));
    }
    out
}

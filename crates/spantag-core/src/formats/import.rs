//! The import driver: reads input files through their format's [`super::Importer`] and adds the
//! documents, spans and labels to a project (see the module documentation of [`super`]).

use super::{CharCursor, Format, FormatError, Importer};
use crate::edit::Edit;
use crate::model::{
    Document, Label, Project, Relation, RelationId, Source, Span, SpanId, Status, content_hash,
};
use crate::time::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The unit of character offsets in an import file.
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
pub enum OffsetUnit {
    /// Unicode code points (Python `str` indices).
    Codepoints,
    /// UTF-16 code units (JavaScript string indices; doccano's default).
    Utf16,
}

impl OffsetUnit {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The default size limit of one import input file: 1 GiB. A dataset file (a whole corpus as
/// jsonl, say) is much larger than one article, so imports get a larger bound than `add`'s
/// [`crate::import::DEFAULT_MAX_BYTES`]; the limit still counts the bytes actually read.
pub const DEFAULT_IMPORT_MAX_BYTES: u64 = 1024 * 1024 * 1024;

/// Everything that controls an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    pub format: Format,
    /// The offset unit of the input; `None`: the format's usual unit (UTF-16 for doccano, code
    /// points otherwise).
    pub offsets: Option<OffsetUnit>,
    /// Label renames applied first: `(old, new)`.
    pub map: Vec<(String, String)>,
    /// Author of spans whose input names none.
    pub author: String,
    /// Input files larger than this (in bytes) are refused.
    pub max_bytes: u64,
}

impl ImportOptions {
    pub fn new(format: Format) -> Self {
        ImportOptions {
            format,
            offsets: None,
            map: Vec::new(),
            author: "import".into(),
            max_bytes: DEFAULT_IMPORT_MAX_BYTES,
        }
    }

    fn unit(&self) -> OffsetUnit {
        self.offsets.unwrap_or_else(|| {
            self.format
                .importer()
                .and_then(|i| i.offsets)
                .unwrap_or(OffsetUnit::Codepoints)
        })
    }
}

/// A problem with one input record or span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// `FILE:LINE` (or just the file).
    pub location: String,
    pub message: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Part of the input that spantag has no place for, counted over every input file: relations,
/// keys of a record or of its `meta` that the project model cannot hold, discontinuous brat
/// annotations. Listed in the report and in the exit code (1); never dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotKept {
    /// What, e.g. `relations`, `top-level key "_view_id"`.
    pub what: String,
    /// Why it cannot be kept (or how it was imported instead).
    pub why: String,
    /// How many of them.
    pub count: usize,
    /// Where the first few are (`FILE:LINE`).
    pub locations: Vec<String>,
}

/// How many locations a [`NotKept`] entry and the trimmed spans list.
const EXAMPLES: usize = 3;

impl fmt::Display for NotKept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} × {}: {}", self.count, self.what, self.why)?;
        if !self.locations.is_empty() {
            let more = if self.count > self.locations.len() {
                ", …"
            } else {
                ""
            };
            write!(f, " (at {}{more})", self.locations.join(", "))?;
        }
        Ok(())
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportSummary {
    pub format: String,
    /// Documents added to the project.
    pub documents_added: usize,
    /// Documents already in the project (same text) that received spans.
    pub documents_matched: usize,
    /// Spans imported, per label.
    pub spans_per_label: BTreeMap<String, usize>,
    /// Relations imported, per relation type.
    pub relations_per_type: BTreeMap<String, usize>,
    /// Relation types added to the project (allowing any labels).
    pub relation_types_added: Vec<String>,
    /// Labels added to the label set.
    pub labels_added: Vec<String>,
    /// Input labels that were renamed: `(input, project label, why)`.
    pub labels_mapped: Vec<(String, String, String)>,
    /// Spans (or records) not imported, with their location and reason.
    pub problems: Vec<ImportProblem>,
    /// Parts of the input spantag has no place for (relations, unknown keys, ...), counted.
    pub not_kept: Vec<NotKept>,
    /// Doubts about the input that the import could not settle (e.g. offsets that fit the text
    /// better in the other unit than the one asked for).
    pub warnings: Vec<String>,
    /// Spans whose whitespace at either end was trimmed off.
    pub trimmed: usize,
    /// The first few trimmed spans: document, span as in the file, span as imported.
    pub trimmed_examples: Vec<String>,
    /// Notes that lose nothing (e.g. the CoNLL tagging scheme found).
    pub notes: Vec<String>,
}

impl ImportSummary {
    /// Whether everything in the input was imported (exit code 0): no problem, nothing not kept
    /// and no warning.
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty() && self.not_kept.is_empty() && self.warnings.is_empty()
    }

    /// How many things were not imported: each problem, and every item not kept.
    pub fn not_imported(&self) -> usize {
        self.problems.len() + self.not_kept.iter().map(|n| n.count).sum::<usize>()
    }

    /// The report printed by `spantag import`.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let spans: usize = self.spans_per_label.values().sum();
        let _ = writeln!(
            s,
            "imported {} span(s) from {}: {} document(s) added, {} already in the project",
            spans, self.format, self.documents_added, self.documents_matched
        );
        for (label, n) in &self.spans_per_label {
            let _ = writeln!(s, "  {label:<16} {n}");
        }
        if !self.relations_per_type.is_empty() {
            let n: usize = self.relations_per_type.values().sum();
            let _ = writeln!(s, "imported {n} relation(s):");
            for (kind, n) in &self.relations_per_type {
                let _ = writeln!(s, "  {kind:<16} {n}");
            }
        }
        for l in &self.labels_added {
            let _ = writeln!(s, "added label {l:?}");
        }
        for t in &self.relation_types_added {
            let _ = writeln!(
                s,
                "added relation type {t:?} (any labels at either end; narrow it in the project)"
            );
        }
        for (a, b, why) in &self.labels_mapped {
            let _ = writeln!(s, "label {a:?} imported as {b:?} ({why})");
        }
        if self.trimmed > 0 {
            let _ = writeln!(
                s,
                "trimmed whitespace off the ends of {} span(s), e.g. {}",
                self.trimmed,
                self.trimmed_examples.join("; ")
            );
        }
        for n in crate::listing::capped_lines(&self.notes) {
            let _ = writeln!(s, "note: {n}");
        }
        for w in crate::listing::capped_lines(&self.warnings) {
            let _ = writeln!(s, "warning: {w}");
        }
        if !self.not_kept.is_empty() {
            let _ = writeln!(s, "not kept (spantag has no place for them yet):");
            for n in crate::listing::capped_lines(&self.not_kept) {
                let _ = writeln!(s, "  - {n}");
            }
        }
        if !self.problems.is_empty() {
            let _ = writeln!(s, "{} problem(s), not imported:", self.problems.len());
            for p in crate::listing::capped_lines(&self.problems) {
                let _ = writeln!(s, "  - {p}");
            }
        }
        if !self.is_complete() {
            let n = self.not_imported();
            if n > 0 {
                let _ = writeln!(s, "imported, but {n} thing(s) were not (listed above)");
            } else {
                let _ = writeln!(s, "imported, with the warnings above");
            }
        }
        s
    }
}

/// A span read from an input file, offsets in the file's unit over the record's raw text.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawSpan {
    pub start: usize,
    pub end: usize,
    pub label: String,
    /// The covered text, when the file states it (checked).
    pub text: Option<String>,
    pub author: Option<String>,
    pub status: Option<Status>,
    pub note: Option<String>,
    /// When it was made, when the file says.
    pub created: Option<Timestamp>,
    pub location: String,
    /// Offsets already in code points of the raw text (brat, CoNLL), whatever `--offsets` says.
    pub codepoints: bool,
}

/// A relation read from an input file: its two spans as indices into [`Record::spans`].
#[derive(Debug, Clone, Default)]
pub(crate) struct RawRelation {
    pub from: usize,
    pub to: usize,
    /// The relation type as written (added to the project when missing).
    pub kind: String,
    /// The file's name for the relation (brat's `R1`), for messages.
    pub name: String,
    /// The type's colour, when the file gives one (used for a type the import adds).
    pub color: Option<crate::model::Color>,
    pub author: Option<String>,
    pub status: Option<Status>,
    pub note: Option<String>,
    /// When the relation was made, when the file says.
    pub created: Option<Timestamp>,
    pub location: String,
}

/// A document read from an input file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Record {
    pub location: String,
    pub id: Option<String>,
    pub title: Option<String>,
    pub source: Option<String>,
    /// The text exactly as in the file (may contain CRLF).
    pub text: String,
    pub spans: Vec<RawSpan>,
    /// Relations between the record's spans (also possible through [`Extras::relations`]).
    pub relations: Vec<RawRelation>,
    /// Metadata to keep in [`Document::meta`] (values are JSON texts).
    pub meta: BTreeMap<String, String>,
}

/// What a record holds besides its text and spans (kept beside the records in
/// [`Parsed::extras`]): relations, fragments, the file's tokens.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras {
    /// Relations between the record's spans.
    pub relations: Vec<RawRelation>,
    /// The pieces of discontinuous spans, by index into [`Record::spans`], in the unit of the
    /// span's offsets (brat's `0 5;9 14`).
    pub fragments: HashMap<usize, Vec<(usize, usize)>>,
    /// The file's own tokens, sentences and extra columns (CoNLL), in code points of the
    /// record's text, which must then have LF line endings only.
    pub tokenization: Option<crate::model::Tokenization>,
}

/// What a format parser returns: records and problems found while parsing.
#[derive(Default)]
pub(crate) struct Parsed {
    /// The size limit of each input file ([`ImportOptions::max_bytes`]).
    pub max_bytes: u64,
    pub records: Vec<Record>,
    pub problems: Vec<ImportProblem>,
    pub not_kept: Vec<NotKept>,
    pub notes: Vec<String>,
    /// What records hold besides text and spans, by index into `records`.
    pub extras: HashMap<usize, Extras>,
}

impl Parsed {
    /// Adds a record with its relations, fragments or tokens.
    pub(crate) fn push_with(&mut self, rec: Record, extras: Extras) {
        self.extras.insert(self.records.len(), extras);
        self.records.push(rec);
    }

    /// Counts `count` items of `what` that are not kept, found at `location` (entries with the
    /// same `what` add up; the first few locations are listed).
    pub(crate) fn not_kept(&mut self, what: String, why: &str, location: &str, count: usize) {
        if count == 0 {
            return;
        }
        match self.not_kept.iter_mut().find(|n| n.what == what) {
            Some(n) => {
                n.count += count;
                if n.locations.len() < EXAMPLES {
                    n.locations.push(location.to_owned());
                }
            }
            None => self.not_kept.push(NotKept {
                what,
                why: why.to_owned(),
                count,
                locations: vec![location.to_owned()],
            }),
        }
    }

    /// Reports every key of `object` that is not in `known` as not kept (`kind` names where
    /// the keys are, e.g. `top-level key`).
    pub(crate) fn unknown_keys(
        &mut self,
        object: Option<&serde_json::Value>,
        known: &[&str],
        kind: &str,
        why: &str,
        location: &str,
    ) {
        let Some(o) = object.and_then(serde_json::Value::as_object) else {
            return;
        };
        for k in o.keys() {
            if !known.contains(&k.as_str()) {
                self.not_kept(format!("{kind} {k:?}"), why, location, 1);
            }
        }
    }
}

/// The importer of `format`, or why there is none.
fn importer_of(format: Format) -> Result<&'static Importer, FormatError> {
    format.importer().ok_or_else(|| {
        let names: Vec<&str> = super::importers().iter().map(|f| f.name()).collect();
        FormatError::Invalid(format!(
            "{format} cannot be imported (formats that can: {})",
            names.join(", ")
        ))
    })
}

/// Parses `inputs` and adds their documents and spans to `project`.
pub fn import(
    project: &mut Project,
    inputs: &[PathBuf],
    opts: &ImportOptions,
) -> Result<ImportSummary, FormatError> {
    let importer = importer_of(opts.format)?;
    let mut parsed = Parsed {
        max_bytes: opts.max_bytes,
        ..Parsed::default()
    };
    for path in inputs {
        if matches!(importer.input, super::Input::Files { .. }) && path.is_dir() {
            return Err(folder_given(path, opts.format));
        }
        (importer.read)(path, &mut parsed)?;
    }
    let warning = check_offset_unit(&parsed.records, opts)?;
    let mut summary = apply_records(project, parsed, opts);
    summary.warnings.extend(warning);
    Ok(summary)
}

/// The refusal of a folder given to an importer that reads files.
fn folder_given(path: &Path, format: Format) -> FormatError {
    let has_ann = std::fs::read_dir(path).is_ok_and(|mut d| {
        d.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "ann")))
    });
    let hint = if has_ann {
        "; it holds .ann files, so it looks like brat standoff: try --format brat"
    } else {
        ""
    };
    FormatError::Invalid(format!(
        "{} is a folder; {} reads files{hint}. Nothing was imported.",
        path.display(),
        super::sniff::long_name(format)
    ))
}

/// How many span boundaries, placed differently by the two offset units, must be seen before
/// the offsets are judged to be in the other unit.
const UNIT_EVIDENCE: usize = 10;

/// What the texts say about the offset unit: of the span boundaries that the two units place
/// differently, how many fit the text in each ([`unit_evidence`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct UnitEvidence {
    /// Boundaries the two units place differently.
    differ: usize,
    /// Of those, how many fit as the chosen unit / as the other unit.
    fit_chosen: usize,
    fit_other: usize,
    /// Texts with such boundaries.
    texts: usize,
}

impl UnitEvidence {
    /// Whether the offsets are in the other unit: at least [`UNIT_EVIDENCE`] boundaries differ,
    /// nine in ten fit as the other unit and at most half as the chosen one. (Measured on
    /// generated emoji-dense texts, `unit_check_flags_shifted_words_and_never_right_ones`: of
    /// 200,000 sets with random span boundaries none was flagged, and of those with word spans in
    /// the wrong unit and ten differing boundaries 89% were.)
    fn other_unit(&self) -> bool {
        self.differ >= UNIT_EVIDENCE
            && self.fit_other * 10 >= self.differ * 9
            && self.fit_chosen * 2 <= self.differ
    }
}

/// The other offset unit.
fn other_unit(u: OffsetUnit) -> OffsetUnit {
    match u {
        OffsetUnit::Codepoints => OffsetUnit::Utf16,
        OffsetUnit::Utf16 => OffsetUnit::Codepoints,
    }
}

/// Weighs the offsets of `records` (spans not already in code points) as `chosen` against the
/// other unit, where the two differ: texts with characters outside the Basic Multilingual
/// Plane, such as emoji, which are two UTF-16 units but one code point. A span start *fits*
/// before a visible character that does not continue a word, an end after one where the word
/// does not go on, both between grapheme clusters. Annotators select whole words, so the right
/// unit fits nearly every boundary, and the wrong one shifts them into words, spaces and emoji.
/// Also returns where the first such text is.
fn unit_evidence(records: &[Record], chosen: OffsetUnit) -> (UnitEvidence, Option<&str>) {
    let other = other_unit(chosen);
    let mut ev = UnitEvidence::default();
    let mut first: Option<&str> = None;
    for rec in records {
        if !rec.spans.iter().any(|s| !s.codepoints) || rec.text.chars().all(|c| c <= '\u{ffff}') {
            continue;
        }
        let chars: Vec<char> = rec.text.chars().collect();
        // The code point offset of each UTF-16 offset (None inside a surrogate pair).
        let mut from_utf16: Vec<Option<usize>> = Vec::with_capacity(chars.len() * 2 + 1);
        for (i, c) in chars.iter().enumerate() {
            from_utf16.push(Some(i));
            if c.len_utf16() == 2 {
                from_utf16.push(None);
            }
        }
        from_utf16.push(Some(chars.len()));
        let mut cluster_start = vec![false; chars.len() + 1];
        let mut at = 0;
        for g in unicode_segmentation::UnicodeSegmentation::graphemes(rec.text.as_str(), true) {
            cluster_start[at] = true;
            at += g.chars().count();
        }
        cluster_start[chars.len()] = true;
        let to_cp = |off: usize, unit: OffsetUnit| match unit {
            OffsetUnit::Codepoints => Some(off),
            OffsetUnit::Utf16 => from_utf16.get(off).copied().flatten(),
        };
        let inside_word = |p: usize| {
            p > 0 && p < chars.len() && chars[p - 1].is_alphanumeric() && chars[p].is_alphanumeric()
        };
        let fits = |cp: Option<usize>, start: bool| {
            cp.is_some_and(|p| {
                let visible = if start {
                    chars.get(p).is_some_and(|&c| !super::is_space(c))
                } else {
                    p > 0 && chars.get(p - 1).is_some_and(|&c| !super::is_space(c))
                };
                visible && cluster_start.get(p) == Some(&true) && !inside_word(p)
            })
        };
        let before = ev.differ;
        for s in rec.spans.iter().filter(|s| !s.codepoints) {
            for (off, start) in [(s.start, true), (s.end, false)] {
                let (c, o) = (to_cp(off, chosen), to_cp(off, other));
                if c == o {
                    continue;
                }
                ev.differ += 1;
                ev.fit_chosen += usize::from(fits(c, start));
                ev.fit_other += usize::from(fits(o, start));
            }
        }
        if ev.differ > before {
            ev.texts += 1;
            first.get_or_insert(&rec.location);
        }
    }
    (ev, first)
}

/// Checks the offset unit against the texts ([`unit_evidence`]). When the offsets are in the
/// other unit ([`UnitEvidence::other_unit`]) and the unit is the format's usual one (no
/// `--offsets`), the import is refused before anything is added; with `--offsets` given it goes
/// ahead as asked, with a warning.
fn check_offset_unit(
    records: &[Record],
    opts: &ImportOptions,
) -> Result<Option<String>, FormatError> {
    let chosen = opts.unit();
    let other = other_unit(chosen);
    let (ev, first) = unit_evidence(records, chosen);
    if !ev.other_unit() {
        return Ok(None);
    }
    let evidence = format!(
        "of {} span boundaries that the two units place differently (in {} text(s) with \
         characters outside the Basic Multilingual Plane, such as emoji; the first at {}), {} \
         fall between words as {other} and only {} as {chosen}",
        ev.differ,
        ev.texts,
        first.unwrap_or("?"),
        ev.fit_other,
        ev.fit_chosen
    );
    if opts.offsets.is_some() {
        return Ok(Some(format!(
            "the offsets look like {other}, not {chosen} as asked: {evidence}; imported as \
             {chosen} all the same"
        )));
    }
    Err(FormatError::Invalid(format!(
        "the offsets look like {other}, not {chosen} ({} files usually use {chosen}): \
         {evidence}. Nothing was imported: pass --offsets {other} to read them as {other}, or \
         --offsets {chosen} to import them as {chosen} anyway",
        opts.format.name()
    )))
}

/// Plans an import without changing `project`: returns the edits that add the new labels, the
/// spans for documents already in the project and the new documents (apply them in order, e.g.
/// as one undoable step with [`crate::history::Workspace::apply`]), and the summary that
/// [`import`] would give.
pub fn import_edits(
    project: &Project,
    inputs: &[PathBuf],
    opts: &ImportOptions,
) -> Result<(Vec<Edit>, ImportSummary), FormatError> {
    let mut scratch = project.clone();
    let summary = import(&mut scratch, inputs, opts)?;
    let mut edits = Vec::new();
    for (index, l) in scratch.labels.iter().enumerate() {
        if project.label(&l.name).is_none() {
            edits.push(Edit::AddLabel {
                index,
                label: l.clone(),
            });
        }
    }
    for (index, t) in scratch.relation_types.iter().enumerate() {
        if project.relation_type(&t.name).is_none() {
            edits.push(Edit::AddRelationType {
                index,
                rtype: t.clone(),
            });
        }
    }
    let old: HashMap<&str, &Document> = project
        .documents
        .iter()
        .map(|d| (d.id.as_str(), &**d))
        .collect();
    let mut new_docs = Vec::new();
    for (index, d) in scratch.documents.into_iter().enumerate() {
        match old.get(d.id.as_str()) {
            None => new_docs.push(Edit::AddDocument { index, document: d }),
            Some(o) => {
                let had: HashSet<SpanId> = o.spans.iter().map(|s| s.id).collect();
                let had_rel: HashSet<RelationId> = o.relations.iter().map(|r| r.id).collect();
                let Document {
                    id,
                    spans,
                    relations,
                    ..
                } = Arc::unwrap_or_clone(d);
                for span in spans.into_iter().filter(|s| !had.contains(&s.id)) {
                    edits.push(Edit::AddSpan {
                        doc: id.clone(),
                        span,
                    });
                }
                for relation in relations.into_iter().filter(|r| !had_rel.contains(&r.id)) {
                    edits.push(Edit::AddRelation {
                        doc: id.clone(),
                        relation,
                    });
                }
            }
        }
    }
    edits.extend(new_docs);
    Ok((edits, summary))
}

/// Reads a whole input file of at most `max_bytes` as text: UTF-8 (a BOM is dropped), or
/// UTF-16 with a BOM; line endings kept. Anything else is refused, never decoded whole as a
/// legacy encoding: a mostly UTF-8 file with a few bad bytes names them by line and column
/// ([`crate::import::Utf8Report`]).
pub(crate) fn read_text(path: &Path, max_bytes: u64) -> Result<String, FormatError> {
    let bytes = crate::read::read_bounded(path, max_bytes)?;
    if let Ok(s) = std::str::from_utf8(&bytes) {
        return Ok(s.strip_prefix('\u{feff}').unwrap_or(s).to_owned());
    }
    let mut body: &[u8] = &bytes;
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(&bytes) {
        let (cow, bad) = enc.decode_without_bom_handling(&bytes[bom..]);
        if !bad {
            return Ok(cow.into_owned());
        }
        if enc != encoding_rs::UTF_8 {
            return Err(FormatError::Invalid(format!(
                "{}: it has a {enc} byte-order mark but is not valid {enc}; nothing was imported",
                path.display(),
                enc = enc.name()
            )));
        }
        body = &bytes[bom..];
    }
    let report = crate::import::Utf8Report::of(body);
    let what = if report.mostly_utf8() {
        "it is UTF-8 except for".to_owned()
    } else {
        format!(
            "it is not UTF-8 (it may be {}: convert it to UTF-8 first); it has",
            crate::import::guess_legacy(&bytes)
        )
    };
    Err(FormatError::Invalid(format!(
        "{}: {what} {}; nothing was imported",
        path.display(),
        report.describe()
    )))
}

/// Maps offsets of a raw text (maybe with CRLF) to its LF-normalised form.
struct Normaliser {
    text: String,
    /// Code point positions (in the raw text) of each `\r` that is followed by `\n`.
    crlf: Vec<usize>,
    raw_index: Option<crate::text::TextIndex>,
}

impl Normaliser {
    fn new(raw: &str, need_utf16: bool) -> Self {
        let mut crlf = Vec::new();
        if raw.contains('\r') {
            let mut prev_cr = None;
            for (i, c) in raw.chars().enumerate() {
                if c == '\n'
                    && let Some(p) = prev_cr
                {
                    crlf.push(p);
                }
                prev_cr = (c == '\r').then_some(i);
            }
        }
        let text = if raw.contains('\r') {
            crate::import::normalize_line_endings(raw.to_owned()).0
        } else {
            raw.to_owned()
        };
        let raw_index = (need_utf16 && !raw.is_ascii()).then(|| crate::text::TextIndex::new(raw));
        Normaliser {
            text,
            crlf,
            raw_index,
        }
    }

    /// Code point offset in the normalised text of raw offset `off` (in `unit`).
    fn map(&self, raw: &str, off: usize, unit: OffsetUnit) -> Result<usize, String> {
        let cp = match (unit, &self.raw_index) {
            (OffsetUnit::Utf16, Some(ix)) => ix.utf16_to_char(raw, off).ok_or_else(|| {
                format!("UTF-16 offset {off} is past the end or inside a surrogate pair")
            })?,
            _ => off,
        };
        let before = self.crlf.partition_point(|&p| p < cp);
        if before > 0 && self.crlf[before - 1] + 1 == cp {
            return Err(format!(
                "offset {off} falls between the \\r and \\n of a line break"
            ));
        }
        Ok(cp - before)
    }
}

/// Slices code point ranges of `text` in one pass (ranges in any order).
fn slices<'t>(text: &'t str, ranges: &[(usize, usize)]) -> Vec<Option<&'t str>> {
    let mut order: Vec<usize> = (0..ranges.len()).collect();
    let mut points: Vec<usize> = ranges.iter().flat_map(|&(a, b)| [a, b]).collect();
    points.sort_unstable();
    points.dedup();
    let mut cur = CharCursor::new(text);
    let bytes: HashMap<usize, Option<usize>> = points.iter().map(|&p| (p, cur.byte(p))).collect();
    order.sort_unstable();
    ranges
        .iter()
        .map(|(a, b)| {
            let (Some(Some(x)), Some(Some(y))) = (bytes.get(a), bytes.get(b)) else {
                return None;
            };
            text.get(*x..*y)
        })
        .collect()
}

/// Whether `f` is empty or tiles `start..end` as [`Span::fragments_ok`] requires.
fn pieces_ok(start: usize, end: usize, f: &[(usize, usize)]) -> bool {
    f.is_empty()
        || (f.len() >= 2
            && f[0].0 == start
            && f[f.len() - 1].1 == end
            && f.iter().all(|&(a, b)| a < b)
            && f.windows(2).all(|w| w[0].1 < w[1].0))
}

/// A label name the project accepts: whitespace replaced with `_`.
fn clean_label(l: &str) -> String {
    let t: String = l
        .trim()
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    if t.is_empty() { "unlabelled".into() } else { t }
}

fn apply_records(project: &mut Project, parsed: Parsed, opts: &ImportOptions) -> ImportSummary {
    let mut summary = ImportSummary {
        format: opts.format.name().to_owned(),
        problems: parsed.problems,
        not_kept: parsed.not_kept,
        notes: parsed.notes,
        ..ImportSummary::default()
    };
    let unit = opts.unit();
    let now = Timestamp::now();
    let mut by_hash: HashMap<String, usize> = HashMap::new();
    let mut ids: HashSet<String> = HashSet::new();
    for (i, d) in project.documents.iter().enumerate() {
        by_hash.entry(d.source.hash.clone()).or_insert(i);
        ids.insert(d.id.clone());
    }
    let mut label_cache: HashMap<String, String> = HashMap::new();
    let mut next_id = project.next_span_id.max(1);
    let mut touched: HashSet<usize> = HashSet::new();
    let mut all_extras = parsed.extras;
    for (n, rec) in parsed.records.into_iter().enumerate() {
        let mut extras = all_extras.remove(&n).unwrap_or_default();
        let mut rec = rec;
        extras.relations.append(&mut rec.relations);
        let rec_meta = std::mem::take(&mut rec.meta);
        let need_utf16 = unit == OffsetUnit::Utf16 && rec.spans.iter().any(|s| !s.codepoints);
        let norm = Normaliser::new(&rec.text, need_utf16);
        let hash = content_hash(&norm.text);
        // Map and check every span first; then add the document and the good spans.
        let mut ranges = Vec::with_capacity(rec.spans.len());
        let mut good = Vec::with_capacity(rec.spans.len());
        // The id each input span got (or the id of the span it duplicates), for relations.
        let mut span_ids: Vec<Option<SpanId>> = vec![None; rec.spans.len()];
        for (k, s) in rec.spans.into_iter().enumerate() {
            let u = if s.codepoints {
                OffsetUnit::Codepoints
            } else {
                unit
            };
            let mapped = norm
                .map(&rec.text, s.start, u)
                .and_then(|a| norm.map(&rec.text, s.end, u).map(|b| (a, b)));
            let frags: Result<Vec<(usize, usize)>, String> = extras
                .fragments
                .get(&k)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|&(a, b)| Ok((norm.map(&rec.text, a, u)?, norm.map(&rec.text, b, u)?)))
                .collect();
            let mapped = mapped.and_then(|r| frags.map(|f| (r, f)));
            match mapped {
                Ok(((a, b), frags)) if a < b => {
                    ranges.push((a, b));
                    good.push((k, s, frags));
                }
                Ok(_) => summary.problems.push(ImportProblem {
                    location: s.location.clone(),
                    message: format!(
                        "span {}..{} {:?} is empty or reversed",
                        s.start, s.end, s.label
                    ),
                }),
                Err(e) => summary.problems.push(ImportProblem {
                    location: s.location.clone(),
                    message: format!("span {}..{} {:?}: {e}", s.start, s.end, s.label),
                }),
            }
        }
        let covered = slices(&norm.text, &ranges);
        let is_new = !by_hash.contains_key(&hash);
        let doc_index = match by_hash.get(&hash) {
            Some(&i) => {
                if touched.insert(i) {
                    summary.documents_matched += 1;
                }
                i
            }
            None => {
                let base = rec
                    .id
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("doc-{}", n + 1));
                let mut id = base.clone();
                let mut k = 2;
                while ids.contains(&id) {
                    id = format!("{base}-{k}");
                    k += 1;
                }
                if id != base {
                    summary.notes.push(format!(
                        "{}: a different document already has id {base:?}; imported as {id:?}",
                        rec.location
                    ));
                }
                ids.insert(id.clone());
                let title = rec
                    .title
                    .clone()
                    .unwrap_or_else(|| crate::import::title_of(&norm.text, Path::new(&id)));
                let source = Source {
                    path: rec.source.clone().or_else(|| Some(rec.location.clone())),
                    hash: hash.clone(),
                    encoding: "UTF-8".into(),
                    line_endings: if norm.crlf.is_empty() {
                        crate::model::LineEndings::Lf
                    } else {
                        crate::model::LineEndings::Crlf
                    },
                };
                let mut document = Document::new(id, title, norm.text.clone(), source);
                document.meta = rec_meta.clone();
                project.documents.push(Arc::new(document));
                let i = project.documents.len() - 1;
                by_hash.insert(hash.clone(), i);
                touched.insert(i);
                summary.documents_added += 1;
                i
            }
        };
        if !rec_meta.is_empty() && project.documents[doc_index].meta != rec_meta {
            let n = rec_meta
                .iter()
                .filter(|(k, v)| project.documents[doc_index].meta.get(*k) != Some(*v))
                .count();
            summary.not_kept.push(NotKept {
                what: format!(
                    "meta of document {:?}, already in the project",
                    project.documents[doc_index].id
                ),
                why: "the project's document keeps its own meta".into(),
                count: n,
                locations: vec![rec.location.clone()],
            });
        }
        let mut existing: HashMap<(usize, usize, String), SpanId> = project.documents[doc_index]
            .spans
            .iter()
            .map(|s| ((s.start, s.end, s.label.clone()), s.id))
            .collect();
        let mut new_spans = Vec::with_capacity(good.len());
        for (((k, s, frags), &(a, b)), cov) in good.into_iter().zip(&ranges).zip(covered) {
            let Some(cov) = cov else {
                summary.problems.push(ImportProblem {
                    location: s.location.clone(),
                    message: format!(
                        "span {}..{} {:?} does not fit the text ({} characters)",
                        s.start,
                        s.end,
                        s.label,
                        norm.text.chars().count()
                    ),
                });
                continue;
            };
            if let Some(t) = &s.text {
                let t_norm = crate::import::normalize_line_endings(t.clone()).0;
                if t_norm != cov {
                    let hint = if unit == OffsetUnit::Codepoints && !norm.text.is_ascii() {
                        " (were the offsets UTF-16? try --offsets utf16)"
                    } else {
                        ""
                    };
                    summary.problems.push(ImportProblem {
                        location: s.location.clone(),
                        message: format!(
                            "span {}..{} {:?} covers {cov:?} but the file says {t:?}{hint}",
                            s.start, s.end, s.label
                        ),
                    });
                    continue;
                }
            }
            // Whitespace at either end of a span (common in Label Studio data: " Jane Smith")
            // is trimmed off, and reported.
            let (a, b, cov) = {
                let lead = cov.chars().take_while(|&c| super::is_space(c)).count();
                let body = cov.trim_start_matches(super::is_space);
                let inner = body.trim_end_matches(super::is_space);
                let trail = body.chars().count() - inner.chars().count();
                if inner.is_empty() {
                    summary.problems.push(ImportProblem {
                        location: s.location.clone(),
                        message: format!(
                            "span {}..{} {:?} covers only whitespace ({cov:?})",
                            s.start, s.end, s.label
                        ),
                    });
                    continue;
                }
                if lead + trail > 0 {
                    summary.trimmed += 1;
                    if summary.trimmed_examples.len() < EXAMPLES {
                        summary.trimmed_examples.push(format!(
                            "document {:?}: {cov:?} -> {inner:?}",
                            project.documents[doc_index].id
                        ));
                    }
                }
                (a + lead, b - trail, inner)
            };
            let label = resolve_label(project, &s.label, opts, &mut label_cache, &mut summary);
            let mut fragments = frags;
            if let (Some(first), Some(last)) =
                (fragments.first().copied(), fragments.last().copied())
            {
                // Trimming moves the outer ends; the inner ones are as the file says.
                let n = fragments.len();
                fragments[0] = (a, first.1);
                fragments[n - 1] = (last.0, b);
            }
            if !pieces_ok(a, b, &fragments) {
                summary.problems.push(ImportProblem {
                    location: s.location.clone(),
                    message: format!(
                        "span {}..{} {label:?}: its fragments {:?} are not in order, overlap, \
                         touch or are empty",
                        s.start,
                        s.end,
                        extras.fragments.get(&k)
                    ),
                });
                continue;
            }
            if let Some(&id) = existing.get(&(a, b, label.clone())) {
                span_ids[k] = Some(id);
                summary.problems.push(ImportProblem {
                    location: s.location.clone(),
                    message: format!(
                        "span {a}..{b} {label:?} {cov:?} duplicates a span already in the document"
                    ),
                });
                continue;
            }
            if next_id > crate::model::MAX_SPAN_ID {
                summary.problems.push(ImportProblem {
                    location: s.location.clone(),
                    message: format!(
                        "span {a}..{b} {label:?}: {}",
                        crate::model::EditError::NoSpanIdLeft
                    ),
                });
                continue;
            }
            existing.insert((a, b, label.clone()), SpanId(next_id));
            span_ids[k] = Some(SpanId(next_id));
            *summary.spans_per_label.entry(label.clone()).or_default() += 1;
            new_spans.push(Span {
                id: SpanId(next_id),
                start: a,
                end: b,
                label,
                text: cov.to_owned(),
                author: s.author.unwrap_or_else(|| opts.author.clone()),
                created: s.created.unwrap_or(now),
                status: s.status.unwrap_or_default(),
                review: None,
                note: s.note,
                proposed_by: Vec::new(),
                fragments,
            });
            next_id += 1;
        }
        if !new_spans.is_empty() {
            let d = Arc::make_mut(&mut project.documents[doc_index]);
            let sorted = d.spans.is_empty();
            d.spans.extend(new_spans);
            if !sorted
                || d.spans
                    .windows(2)
                    .any(|w| w[0].order_key() > w[1].order_key())
            {
                d.sort_spans();
            }
        }
        add_relations(
            project,
            doc_index,
            extras.relations,
            &span_ids,
            opts,
            now,
            &mut summary,
        );
        if let Some(tok) = extras.tokenization {
            let d = &project.documents[doc_index];
            if rec.text.contains('\r') {
                summary.notes.push(format!(
                    "{}: the file's tokens were not kept (its text has CRLF line endings)",
                    rec.location
                ));
            } else if is_new {
                Arc::make_mut(&mut project.documents[doc_index]).tokenization = Some(tok);
            } else if d.tokenization.as_ref() != Some(&tok) {
                summary.notes.push(format!(
                    "{}: document {:?} is already in the project, so it keeps its own tokens \
                     rather than the file's",
                    rec.location, d.id
                ));
            }
        }
    }
    project.next_span_id = next_id;
    project.normalize();
    summary
}

/// Adds the relations of one record to document `doc_index`: their spans by [`RawRelation::from`]
/// and [`RawRelation::to`] through `span_ids` (the ids the record's spans got); relation types the
/// project lacks are added, allowing any labels. A relation whose span was not imported, that
/// links a span to itself or that is already in the document is a problem.
fn add_relations(
    project: &mut Project,
    doc_index: usize,
    relations: Vec<RawRelation>,
    span_ids: &[Option<SpanId>],
    opts: &ImportOptions,
    now: Timestamp,
    summary: &mut ImportSummary,
) {
    if relations.is_empty() {
        return;
    }
    let mut next = project.next_relation_id.max(1);
    let mut added = Vec::with_capacity(relations.len());
    let mut not_allowed = 0;
    for r in relations {
        let problem = |message: String| ImportProblem {
            location: r.location.clone(),
            message,
        };
        // "relation R1" (brat names its relations) or just "relation".
        let rname = if r.name.is_empty() {
            String::new()
        } else {
            format!(" {}", r.name)
        };
        let ends = (
            span_ids.get(r.from).copied().flatten(),
            span_ids.get(r.to).copied().flatten(),
        );
        let (Some(from), Some(to)) = ends else {
            summary.problems.push(problem(format!(
                "relation{rname} {:?}: a span it links was not imported (see above)",
                r.kind
            )));
            continue;
        };
        if from == to {
            summary.problems.push(problem(format!(
                "relation{rname} {:?} links a span to itself",
                r.kind
            )));
            continue;
        }
        let kind = clean_label(&r.kind);
        let d = &project.documents[doc_index];
        let duplicate = d.has_relation(from, to, &kind, None)
            || added
                .iter()
                .any(|x: &Relation| x.from == from && x.to == to && x.kind == kind);
        if duplicate {
            summary.problems.push(problem(format!(
                "relation{rname} {kind:?} duplicates a relation already in the document"
            )));
            continue;
        }
        if next > crate::model::MAX_SPAN_ID {
            summary.problems.push(problem(format!(
                "relation{rname}: {}",
                crate::model::EditError::NoRelationIdLeft
            )));
            continue;
        }
        if project.relation_type(&kind).is_none() {
            let i = project.relation_types.len();
            let mut t = crate::model::RelationType::any(&kind, i);
            t.hotkey = None;
            if let Some(c) = r.color {
                t.color = c;
            }
            project.relation_types.push(t);
            summary.relation_types_added.push(kind.clone());
        }
        if let (Some(t), Some(a), Some(b)) =
            (project.relation_type(&kind), d.span(from), d.span(to))
            && !(t.allows_from(&a.label) && t.allows_to(&b.label))
        {
            not_allowed += 1;
        }
        *summary.relations_per_type.entry(kind.clone()).or_default() += 1;
        added.push(Relation {
            id: RelationId(next),
            from,
            to,
            kind,
            author: r.author.unwrap_or_else(|| opts.author.clone()),
            created: r.created.unwrap_or(now),
            status: r.status.unwrap_or_default(),
            review: None,
            note: r.note,
            proposed_by: Vec::new(),
        });
        next += 1;
    }
    if not_allowed > 0 {
        summary.notes.push(format!(
            "{not_allowed} relation(s) in document {:?} link labels their type does not allow \
             (`spantag validate` lists them)",
            project.documents[doc_index].id
        ));
    }
    project.next_relation_id = next;
    if !added.is_empty() {
        let d = Arc::make_mut(&mut project.documents[doc_index]);
        d.relations.extend(added);
        d.relations.sort_by_key(|r| r.id);
    }
}

/// The project label for an input label: `--map` first, then an exact match, else a new label
/// (reported; a note names a project label that differs only by case).
fn resolve_label(
    project: &mut Project,
    input: &str,
    opts: &ImportOptions,
    cache: &mut HashMap<String, String>,
    summary: &mut ImportSummary,
) -> String {
    if let Some(l) = cache.get(input) {
        return l.clone();
    }
    let mut name = input.to_owned();
    if let Some((_, new)) = opts.map.iter().find(|(old, _)| old == input) {
        summary
            .labels_mapped
            .push((input.to_owned(), new.clone(), "--map".into()));
        name = new.clone();
    }
    let cleaned = clean_label(&name);
    if cleaned != name {
        summary.labels_mapped.push((
            name.clone(),
            cleaned.clone(),
            "label names cannot contain whitespace".into(),
        ));
        name = cleaned;
    }
    // Labels are kept as they are written: `PER` or `Actor` stays so unless the user maps it
    // (--map), even when the project has a label that differs only by case.
    let result = if project.label(&name).is_some() {
        name
    } else {
        if let Some(l) = project
            .labels
            .iter()
            .find(|l| l.name.to_lowercase() == name.to_lowercase())
        {
            summary.notes.push(format!(
                "label {name:?} added as written, beside {:?}; --map {input}={} merges them",
                l.name, l.name
            ));
        }
        let i = project.labels.len();
        let mut label = Label::with_defaults(&name, i);
        if project.labels.iter().any(|l| l.hotkey == label.hotkey) {
            label.hotkey = None;
        }
        project.labels.push(label);
        summary.labels_added.push(name.clone());
        name
    };
    cache.insert(input.to_owned(), result.clone());
    result
}

/// JSON helpers shared by the JSON-based parsers.
pub(crate) fn json_usize(v: Option<&serde_json::Value>) -> Option<usize> {
    v.and_then(serde_json::Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
}

pub(crate) fn json_str(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_utf16_mapping() {
        let raw = "a\r\n😀b\rc";
        let n = Normaliser::new(raw, true);
        assert_eq!(n.text, "a\n😀b\nc");
        assert_eq!(n.map(raw, 3, OffsetUnit::Codepoints), Ok(2)); // 😀
        assert!(n.map(raw, 2, OffsetUnit::Codepoints).is_err()); // between \r and \n
        assert_eq!(n.map(raw, 5, OffsetUnit::Utf16), Ok(3)); // after 😀 (2 units)
        assert!(n.map(raw, 4, OffsetUnit::Utf16).is_err()); // inside the pair
    }
    #[test]
    fn import_edits_match_import_and_undo_as_one_step() {
        let project = crate::markup::project_from_markup(
            "p",
            &[("d1", "[actor Ana] met Bo 👩‍👩‍👧 here.")],
            "ana",
            Timestamp(0),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("in.jsonl");
        std::fs::write(
            &file,
            concat!(
                r#"{"text":"Ana met Bo 👩‍👩‍👧 here.","spans":[{"start":8,"end":10,"label":"actor"}]}"#,
                "\n",
                r#"{"text":"Caf\u00e9 fire","spans":[{"start":5,"end":9,"label":"event"}]}"#,
                "\n"
            ),
        )
        .unwrap();
        let opts = ImportOptions::new(Format::Jsonl);
        let (edits, planned) = import_edits(&project, std::slice::from_ref(&file), &opts).unwrap();
        let mut direct = project.clone();
        let summary = import(&mut direct, &[file], &opts).unwrap();
        assert_eq!(planned, summary);
        assert_eq!(summary.labels_added, vec!["event".to_owned()]);
        let mut ws = crate::history::Workspace::new(project.clone());
        let here = crate::history::Cursor::default();
        ws.apply("Import", edits, here.clone(), here).unwrap();
        assert_eq!(ws.project().labels, direct.labels);
        assert_eq!(ws.project().documents, direct.documents);
        assert_eq!(ws.project().documents[0].spans.len(), 2);
        ws.undo().unwrap();
        assert_eq!(ws.project().labels, project.labels);
        assert_eq!(ws.project().documents, project.documents);
    }

    /// Texts like the round-trip property tests' (emoji, flags, ZWJ sequences, combining marks,
    /// CJK, Arabic, odd spaces) with spans at random boundaries and spans on whole words.
    mod unit_sim {
        pub const WORDS: &[&str] = &[
            "The",
            "mayor",
            "said",
            "Zoë",
            "Ålund",
            "café",
            "naïve",
            "Jose\u{301}",
            "Sa\u{303}o",
            "东京都",
            "山田",
            "話した",
            "القاهرة",
            "أحمد",
            "٣٤",
            "👩\u{200d}👩\u{200d}👧",
            "🇸🇪",
            "👍🏽",
            "3.5",
            "£48",
            "Anna's",
            "e-mail",
            "x\u{301}\u{302}",
            "ミ",
            "한국어",
            "Ελλάδα",
            ",",
            ".",
            "«",
            "»",
            "—",
            "[",
            "]",
            "=SUM(1)",
            "\"q\"",
        ];
        pub const SEPS: &[&str] = &[
            " ", " ", " ", " ", "  ", "\n", "\n\n", "\u{a0}", "\t", "", " \u{301}", "\u{3000}",
            "\u{202f}",
        ];
        /// xorshift64: a fixed sequence, so the test is deterministic.
        pub struct Rng(pub u64);
        impl Rng {
            pub fn below(&mut self, n: usize) -> usize {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                usize::try_from(self.0 % n as u64).unwrap_or(0)
            }
        }
    }

    #[test]
    fn unit_check_flags_shifted_words_and_never_right_ones() {
        use unit_sim::{Rng, SEPS, WORDS};
        let u16_at = |t: &str, cp: usize| t.chars().take(cp).map(char::len_utf16).sum::<usize>();
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut flagged_right, mut wrong, mut caught) = (0, 0, 0);
        for _ in 0..4000 {
            // Records with random spans and with word spans, in UTF-16 units and in code points.
            let mut sets: [Vec<Record>; 4] = Default::default();
            for _ in 0..1 + r.below(3) {
                let (mut text, mut words, mut cp) = (String::new(), Vec::new(), 0);
                for _ in 0..1 + r.below(39) {
                    let w = WORDS[r.below(WORDS.len())];
                    words.push((cp, cp + w.chars().count()));
                    let sep = SEPS[r.below(SEPS.len())];
                    cp += w.chars().count() + sep.chars().count();
                    text.push_str(w);
                    text.push_str(sep);
                }
                let chars: Vec<char> = text.chars().collect();
                let n = chars.len();
                let mut random = Vec::new();
                for _ in 0..r.below(12) {
                    let (mut a, mut b) = (r.below(n), r.below(n + 1));
                    if a > b {
                        std::mem::swap(&mut a, &mut b);
                    }
                    while a < b && crate::formats::is_space(chars[a]) {
                        a += 1;
                    }
                    while b > a && crate::formats::is_space(chars[b - 1]) {
                        b -= 1;
                    }
                    if a < b {
                        random.push((a, b));
                    }
                }
                let mut on_words = Vec::new();
                for _ in 0..r.below(12) {
                    let i = r.below(words.len());
                    let j = (i + r.below(3)).min(words.len() - 1);
                    on_words.push((words[i].0, words[j].1));
                }
                let rec = |spans: &[(usize, usize)], utf16: bool| Record {
                    location: "x".into(),
                    text: text.clone(),
                    spans: spans
                        .iter()
                        .map(|&(a, b)| RawSpan {
                            start: if utf16 { u16_at(&text, a) } else { a },
                            end: if utf16 { u16_at(&text, b) } else { b },
                            label: "x".into(),
                            ..RawSpan::default()
                        })
                        .collect(),
                    ..Record::default()
                };
                sets[0].push(rec(&random, true));
                sets[1].push(rec(&random, false));
                sets[2].push(rec(&on_words, true));
                sets[3].push(rec(&on_words, false));
            }
            // Read in their own unit, offsets are never flagged, wherever their spans lie.
            for (k, u) in [
                (0, OffsetUnit::Utf16),
                (1, OffsetUnit::Codepoints),
                (2, OffsetUnit::Utf16),
                (3, OffsetUnit::Codepoints),
            ] {
                flagged_right += usize::from(unit_evidence(&sets[k], u).0.other_unit());
            }
            // Word spans read in the wrong unit are caught once the evidence suffices.
            for (k, u) in [(2, OffsetUnit::Codepoints), (3, OffsetUnit::Utf16)] {
                let (ev, _) = unit_evidence(&sets[k], u);
                if ev.differ >= UNIT_EVIDENCE {
                    wrong += 1;
                    caught += usize::from(ev.other_unit());
                }
            }
        }
        assert_eq!(flagged_right, 0);
        assert!(wrong > 1000, "{wrong}");
        assert!(caught * 10 >= wrong * 8, "caught {caught} of {wrong}");
    }
}

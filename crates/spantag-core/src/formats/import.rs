//! The import driver: reads input files through their format's [`super::Importer`] and adds the
//! documents, spans and labels to a project (see the module documentation of [`super`]).

use super::{CharCursor, Format, FormatError, Importer};
use crate::edit::Edit;
use crate::model::{Document, Label, Project, Source, Span, SpanId, Status, content_hash};
use crate::time::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

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
    /// Labels added to the label set.
    pub labels_added: Vec<String>,
    /// Input labels that were renamed: `(input, project label, why)`.
    pub labels_mapped: Vec<(String, String, String)>,
    /// Spans (or records) not imported, with their location and reason.
    pub problems: Vec<ImportProblem>,
    /// Notes that lose nothing (e.g. discontinuous brat spans imported as several spans).
    pub notes: Vec<String>,
}

impl ImportSummary {
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty()
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
        for l in &self.labels_added {
            let _ = writeln!(s, "added label {l:?}");
        }
        for (a, b, why) in &self.labels_mapped {
            let _ = writeln!(s, "label {a:?} imported as {b:?} ({why})");
        }
        for n in crate::listing::capped_lines(&self.notes) {
            let _ = writeln!(s, "note: {n}");
        }
        if !self.problems.is_empty() {
            let _ = writeln!(s, "{} problem(s), not imported:", self.problems.len());
            for p in crate::listing::capped_lines(&self.problems) {
                let _ = writeln!(s, "  - {p}");
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
    pub location: String,
    /// Offsets already in code points of the raw text (brat, CoNLL), whatever `--offsets` says.
    pub codepoints: bool,
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
}

/// What a format parser returns: records and problems found while parsing.
#[derive(Default)]
pub(crate) struct Parsed {
    /// The size limit of each input file ([`ImportOptions::max_bytes`]).
    pub max_bytes: u64,
    pub records: Vec<Record>,
    pub problems: Vec<ImportProblem>,
    pub notes: Vec<String>,
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
        (importer.read)(path, &mut parsed)?;
    }
    Ok(apply_records(project, parsed, opts))
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
    let old: HashMap<&str, &Document> = project
        .documents
        .iter()
        .map(|d| (d.id.as_str(), d))
        .collect();
    let mut new_docs = Vec::new();
    for (index, d) in scratch.documents.into_iter().enumerate() {
        match old.get(d.id.as_str()) {
            None => new_docs.push(Edit::AddDocument {
                index,
                document: Box::new(d),
            }),
            Some(o) => {
                let had: HashSet<SpanId> = o.spans.iter().map(|s| s.id).collect();
                let Document { id, spans, .. } = d;
                for span in spans.into_iter().filter(|s| !had.contains(&s.id)) {
                    edits.push(Edit::AddSpan {
                        doc: id.clone(),
                        span,
                    });
                }
            }
        }
    }
    edits.extend(new_docs);
    Ok((edits, summary))
}

/// Reads a whole input file of at most `max_bytes` as text (BOM and legacy encodings handled;
/// line endings kept).
pub(crate) fn read_text(path: &Path, max_bytes: u64) -> Result<String, FormatError> {
    let bytes = crate::read::read_bounded(path, max_bytes)?;
    if let Ok(s) = std::str::from_utf8(&bytes) {
        return Ok(s.strip_prefix('\u{feff}').unwrap_or(s).to_owned());
    }
    let (enc, bom) = encoding_rs::Encoding::for_bom(&bytes).unwrap_or((encoding_rs::UTF_8, 0));
    let (cow, bad) = enc.decode_without_bom_handling(&bytes[bom..]);
    if bad {
        return Err(FormatError::Invalid(format!(
            "{}: not valid {} text",
            path.display(),
            enc.name()
        )));
    }
    Ok(cow.into_owned())
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
    for (n, rec) in parsed.records.into_iter().enumerate() {
        let need_utf16 = unit == OffsetUnit::Utf16 && rec.spans.iter().any(|s| !s.codepoints);
        let norm = Normaliser::new(&rec.text, need_utf16);
        let hash = content_hash(&norm.text);
        // Map and check every span first; then add the document and the good spans.
        let mut ranges = Vec::with_capacity(rec.spans.len());
        let mut good = Vec::with_capacity(rec.spans.len());
        for s in rec.spans {
            let u = if s.codepoints {
                OffsetUnit::Codepoints
            } else {
                unit
            };
            let mapped = norm
                .map(&rec.text, s.start, u)
                .and_then(|a| norm.map(&rec.text, s.end, u).map(|b| (a, b)));
            match mapped {
                Ok((a, b)) if a < b => {
                    ranges.push((a, b));
                    good.push(s);
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
                project
                    .documents
                    .push(Document::new(id, title, norm.text.clone(), source));
                let i = project.documents.len() - 1;
                by_hash.insert(hash.clone(), i);
                touched.insert(i);
                summary.documents_added += 1;
                i
            }
        };
        let mut existing: HashSet<(usize, usize, String)> = project.documents[doc_index]
            .spans
            .iter()
            .map(|s| (s.start, s.end, s.label.clone()))
            .collect();
        let mut new_spans = Vec::with_capacity(good.len());
        for ((s, &(a, b)), cov) in good.into_iter().zip(&ranges).zip(covered) {
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
            let label = resolve_label(project, &s.label, opts, &mut label_cache, &mut summary);
            if !existing.insert((a, b, label.clone())) {
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
            *summary.spans_per_label.entry(label.clone()).or_default() += 1;
            new_spans.push(Span {
                id: SpanId(next_id),
                start: a,
                end: b,
                label,
                text: cov.to_owned(),
                author: s.author.unwrap_or_else(|| opts.author.clone()),
                created: now,
                status: s.status.unwrap_or_default(),
                review: None,
                note: s.note,
                proposed_by: Vec::new(),
            });
            next_id += 1;
        }
        let d = &mut project.documents[doc_index];
        if !new_spans.is_empty() {
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
    }
    project.next_span_id = next_id;
    project.normalize();
    summary
}

/// The project label for an input label: `--map` first, then an exact match, then a
/// case-insensitive match, else a new label (reported).
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
    let result = if project.label(&name).is_some() {
        name
    } else if let Some(l) = project
        .labels
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(&name))
    {
        summary.labels_mapped.push((
            name.clone(),
            l.name.clone(),
            "same name but for case".into(),
        ));
        l.name.clone()
    } else {
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
}

//! Training data: export to the formats NLP libraries load, import from other annotation tools.
//!
//! # Export
//!
//! [`export`] writes a project (filtered by label, status and done flag) in one [`ExportFormat`],
//! optionally split by document into `train` / `dev` / `test` sets, and returns an
//! [`ExportSummary`] that lists every span that could not be represented and why. Nothing is
//! dropped silently. [`preview`] renders the first records without writing anything, and
//! [`Progress`] lets a GUI show a progress bar (and cancel) while another thread exports.
//!
//! Offsets are Unicode code points wherever a format has offsets (Python `str` indices).
//!
//! ## Tokens
//!
//! Token formats (jsonl, spacy, conll, hf) use the document's tokens ([`crate::text::TextIndex`]):
//! Unicode word segments without whitespace, further split at every span boundary that falls
//! inside a token (so `[actor Anna]'s` exports `Anna` and `'s` as two tokens) and at whitespace
//! inside a segment (a space followed by a combining mark). A span whose start or end lies in
//! whitespace cannot be aligned to tokens: such spans are reported, never shifted.
//!
//! ## Layers and overlaps
//!
//! The *entity layer* holds the labels given by [`ExportOptions::entity_labels`] (default
//! `actor,place,number`, compared case-insensitively); every other exported label (e.g. `claim`)
//! forms the *claims layer*. Formats that can only carry one non-overlapping label per token
//! (CoNLL, hf) write each layer to its own file ([`Layer`]), and `.spacy` puts the entity layer in
//! `doc.ents` and every span in `doc.spans["sc"]`. Within one layer, overlapping spans are
//! resolved by [`Overlap`]: `longest` (default) keeps the longest span (ties: the earliest, then
//! label order), `first` keeps the earliest-starting one; every span that loses is reported as
//! not represented (for `.spacy` it is still in `doc.spans["sc"]` and only noted).
//!
//! ## Output layout
//!
//! Without a split, `--out` is the output file (a folder for brat). With a split, `--out` is a
//! folder that receives one file per split: `train.jsonl`, `dev.jsonl`, `test.jsonl` (brat:
//! `train/`, `dev/`, `test/`). Companion files: CoNLL's claims layer goes to `NAME.claims.conll`
//! beside `NAME.conll`; hf writes the label names (ClassLabel order, a JSON list) to
//! `NAME.labels.json` beside `NAME.jsonl`, or `labels.json` in the split folder (and
//! `claims.labels.json` for the claims layer). Every file is written to a temporary name and
//! renamed into place only when the whole export succeeded.
//!
//! # Import
//!
//! [`import`] reads files of an [`ImportFormat`] into a project. Documents whose text is already
//! in the project receive the spans; others are added. Unknown labels are added (or mapped with
//! [`ImportOptions::map`]); labels that differ from an existing one only by case use the existing
//! label. Overlapping spans are kept. A span whose offsets do not fit its text (out of range,
//! inside a surrogate pair or a CRLF pair, or covering other text than the file says) is reported
//! with its file and line and not imported. Texts with CRLF line endings are normalised to LF and
//! the offsets (counted in the original text) are mapped accordingly.

pub mod brat;
pub mod conll;
pub mod csv;
pub mod docbin;
pub mod doccano;
pub mod hf;
pub mod jsonl;
pub mod labelstudio;
pub mod spacy;

use crate::edit::Edit;
use crate::model::{Document, Label, Project, Source, Span, SpanId, Status, content_hash};
use crate::time::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use thiserror::Error;

/// Why an export or import failed as a whole (nothing was written).
#[derive(Debug, Error)]
pub enum FormatError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("cancelled")]
    Cancelled,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> FormatError + '_ {
    move |source| FormatError::Io {
        path: path.to_owned(),
        source,
    }
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $var),* }
        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$var),*];
            /// The name used on the command line.
            pub fn name(self) -> &'static str { match self { $($name::$var => $s),* } }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL.iter().copied().find(|v| v.name().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| format!("unknown value {s:?}; expected one of: {}",
                        $name::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")))
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.name()) }
        }
    };
}

named_enum!(
    /// The formats [`export`] writes.
    ExportFormat {
        /// spaCy/Prodigy task JSONL.
        Jsonl = "jsonl",
        /// spaCy DocBin (`.spacy`).
        Spacy = "spacy",
        /// CoNLL-2003 style, one token a line.
        Conll = "conll",
        /// Hugging Face token classification JSONL + label names.
        Hf = "hf",
        /// brat standoff folder.
        Brat = "brat",
        /// Label Studio JSON tasks.
        LabelStudio = "labelstudio",
        /// One row per span.
        Csv = "csv",
    }
);

named_enum!(
    /// The formats [`import`] reads.
    ImportFormat {
        Jsonl = "jsonl",
        Doccano = "doccano",
        LabelStudio = "labelstudio",
        Brat = "brat",
        Conll = "conll",
    }
);

named_enum!(
    /// CoNLL tagging scheme.
    Scheme {
        /// Every entity starts with `B-`.
        Iob2 = "iob2",
        /// `B-` only where an entity directly follows one of the same type (CoNLL-2003).
        Iob1 = "iob1",
        /// `B-`, `I-`, `L-` (last), `U-` (single token).
        Bilou = "bilou",
    }
);

named_enum!(
    /// Which layer single-label token formats (CoNLL, hf) write.
    Layer {
        /// Both: the entity layer to the output file, the claims layer to a `.claims` companion.
        Both = "both",
        /// Only the entity labels.
        Entities = "entities",
        /// Only the labels that are not entity labels (e.g. `claim`).
        Claims = "claims",
    }
);

named_enum!(
    /// How overlapping spans of one layer are resolved.
    Overlap {
        /// Keep the longest span; ties go to the earliest, then to label order.
        Longest = "longest",
        /// Keep the span that starts first (the longer one on ties).
        First = "first",
    }
);

named_enum!(
    /// The unit of character offsets in an import file.
    OffsetUnit {
        /// Unicode code points (Python `str` indices).
        Codepoints = "codepoints",
        /// UTF-16 code units (JavaScript string indices; doccano's default).
        Utf16 = "utf16",
    }
);

impl ExportFormat {
    /// The file extension of one output file (brat writes a folder).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Jsonl | ExportFormat::Hf => "jsonl",
            ExportFormat::Spacy => "spacy",
            ExportFormat::Conll => "conll",
            ExportFormat::Brat => "",
            ExportFormat::LabelStudio => "json",
            ExportFormat::Csv => "csv",
        }
    }
}

/// Everything that controls an export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    pub format: ExportFormat,
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
    /// The labels of the entity layer (case-insensitive).
    pub entity_labels: Vec<String>,
}

impl ExportOptions {
    /// Defaults for `format`: every label, every status but rejected, no split, IOB2, both layers,
    /// longest wins, entity labels actor, place, number.
    pub fn new(format: ExportFormat) -> Self {
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
            entity_labels: vec!["actor".into(), "place".into(), "number".into()],
        }
    }

    fn label_ok(&self, label: &str) -> bool {
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
        self.entity_labels
            .iter()
            .any(|l| l.eq_ignore_ascii_case(label))
    }

    /// Whether the format writes only one layer, and spans of the other are filtered by choice.
    fn layer_filtered(&self, label: &str) -> bool {
        matches!(self.format, ExportFormat::Conll | ExportFormat::Hf)
            && match self.layer {
                Layer::Both => false,
                Layer::Entities => !self.is_entity(label),
                Layer::Claims => self.is_entity(label),
            }
    }
}

/// Parses `train=0.8,dev=0.1,test=0.1`. Shares must be positive and add up to 1 (± 0.001);
/// names must be distinct file-name-safe words.
pub fn parse_split(s: &str) -> Result<Vec<(String, f64)>, String> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, share) = part
            .split_once('=')
            .ok_or_else(|| format!("expected NAME=SHARE, e.g. train=0.8, not {part:?}"))?;
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "split name {name:?} must be letters, digits, - or _"
            ));
        }
        let share: f64 = share
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0 && *v <= 1.0)
            .ok_or_else(|| {
                format!("share of {name:?} must be a number in (0, 1], not {share:?}")
            })?;
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("split name {name:?} is given twice"));
        }
        out.push((name.to_owned(), share));
    }
    if out.is_empty() {
        return Err("empty split".into());
    }
    let total: f64 = out.iter().map(|(_, v)| v).sum();
    if (total - 1.0).abs() > 1e-3 {
        return Err(format!("the shares add up to {total}, not 1"));
    }
    Ok(out)
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
    /// Files written.
    pub files: Vec<PathBuf>,
}

impl ExportSummary {
    /// Whether every selected span was represented.
    pub fn is_complete(&self) -> bool {
        self.unrepresented.is_empty()
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
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        if !self.unrepresented.is_empty() {
            let _ = writeln!(
                s,
                "{} span(s) could not be represented:",
                self.unrepresented.len()
            );
            for u in &self.unrepresented {
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

    fn tick(&self) -> Result<(), FormatError> {
        self.done.fetch_add(1, Ordering::Relaxed);
        if self.cancel.load(Ordering::Relaxed) {
            return Err(FormatError::Cancelled);
        }
        Ok(())
    }
}

/// An export token: code point range and UTF-8 byte range of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok {
    pub start: usize,
    pub end: usize,
    pub bstart: usize,
    pub bend: usize,
}

/// Whitespace as both Rust and Python's `str.split()` see it.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Converts increasing code point offsets to byte offsets in one pass.
pub(crate) struct CharCursor<'t> {
    text: &'t str,
    ascii: bool,
    ch: usize,
    byte: usize,
}

impl<'t> CharCursor<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        CharCursor {
            text,
            ascii: text.is_ascii(),
            ch: 0,
            byte: 0,
        }
    }

    /// Byte offset of code point `ch` (restarts from 0 if `ch` goes backwards); `None` past the
    /// end.
    pub(crate) fn byte(&mut self, ch: usize) -> Option<usize> {
        if self.ascii {
            return (ch <= self.text.len()).then_some(ch);
        }
        if ch < self.ch {
            self.ch = 0;
            self.byte = 0;
        }
        let rest = self.text.get(self.byte..)?;
        let mut it = rest.char_indices();
        while self.ch < ch {
            match it.next() {
                Some((_, c)) => {
                    self.byte += c.len_utf8();
                    self.ch += 1;
                }
                None => return None,
            }
        }
        Some(self.byte)
    }
}

/// A document prepared for export: the selected spans and the export tokens.
pub struct Prepared<'a> {
    pub doc: &'a Document,
    /// Spans passing the filters, in document order.
    pub spans: Vec<&'a Span>,
    toks: Option<Vec<Tok>>,
    /// An empty buffer to compute the tokens in (handed on from the previous document).
    spare: Vec<Tok>,
}

impl<'a> Prepared<'a> {
    /// The export tokens (computed on first use): the document's tokens split at span
    /// boundaries and at inner whitespace.
    pub fn tokens(&mut self) -> &[Tok] {
        if self.toks.is_none() {
            let mut toks = std::mem::take(&mut self.spare);
            export_tokens_into(self.doc, &self.spans, &mut toks);
            self.toks = Some(toks);
        }
        self.toks.as_deref().unwrap_or(&[])
    }

    /// The export tokens once [`Prepared::tokens`] has run (empty before).
    pub fn computed_tokens(&self) -> &[Tok] {
        self.toks.as_deref().unwrap_or(&[])
    }

    /// The exact token range `[first, last + 1)` of a span, or `None` if a boundary is not a
    /// token boundary. Call [`Prepared::tokens`] first.
    pub fn token_range(&self, span: &Span) -> Option<Range<usize>> {
        let toks = self.toks.as_deref()?;
        let a = toks.partition_point(|t| t.start < span.start);
        let b = toks.partition_point(|t| t.end < span.end);
        (toks.get(a)?.start == span.start && toks.get(b)?.end == span.end && a <= b)
            .then_some(a..b + 1)
    }
}

/// Why a span cannot be aligned to export tokens.
pub(crate) const NOT_ALIGNED: &str =
    "a boundary lies in whitespace, so it matches no token boundary (trim the span)";

/// Renders each document in turn with `render`, ticking `progress`. A document's tokens are
/// dropped once it is rendered and their buffer is reused for the next one, so memory does not
/// grow with the number of documents.
pub(crate) fn each_document<'a>(
    docs: &mut [Prepared<'a>],
    progress: &Progress,
    mut render: impl FnMut(&mut Prepared<'a>) -> Result<(), FormatError>,
) -> Result<(), FormatError> {
    let mut spare = Vec::new();
    for p in docs.iter_mut() {
        p.spare = std::mem::take(&mut spare);
        render(p)?;
        spare = p.toks.take().unwrap_or_default();
        spare.clear();
        progress.tick()?;
    }
    Ok(())
}

/// The export tokens of `doc` with `spans` (see the module documentation).
pub fn export_tokens(doc: &Document, spans: &[&Span]) -> Vec<Tok> {
    let mut out = Vec::new();
    export_tokens_into(doc, spans, &mut out);
    out
}

/// [`export_tokens`] into `out` (cleared first), reusing its memory.
fn export_tokens_into(doc: &Document, spans: &[&Span], out: &mut Vec<Tok>) {
    out.clear();
    let text = doc.text.as_str();
    let mut bounds: Vec<usize> = Vec::with_capacity(spans.len() * 2);
    for s in spans {
        bounds.push(s.start);
        bounds.push(s.end);
    }
    bounds.sort_unstable();
    bounds.dedup();
    // Segment here rather than through the document's cached index: the byte offsets come for
    // free and nothing has to be converted back from code points.
    out.reserve(text.len() / 5 + bounds.len());
    let mut bi = 0;
    crate::segment::for_each_token(text, |w| {
        let (piece, bs, start, end) = (w.text, w.byte, w.start, w.end);
        let be = bs + piece.len();
        // In ASCII, UAX #29 joins no whitespace character to anything but another space, so an
        // ASCII token holds whitespace only when it starts with it (a control separator that
        // Python counts as whitespace). Elsewhere whitespace can sit inside a token: a space
        // carrying combining marks, or U+202F (narrow no-break space), which joins letters like
        // `_` does. Those tokens are cut below.
        let spacey = if piece.is_ascii() {
            piece
                .as_bytes()
                .first()
                .is_some_and(|&b| is_space(char::from(b)))
        } else {
            piece.chars().any(is_space)
        };
        while bi < bounds.len() && bounds[bi] <= start {
            bi += 1;
        }
        let inner_bound = bi < bounds.len() && bounds[bi] < end;
        let inner_space = spacey;
        if !inner_bound && !inner_space {
            out.push(Tok {
                start,
                end,
                bstart: bs,
                bend: be,
            });
            return;
        }
        // Walk the characters, cutting at span boundaries and dropping whitespace.
        let mut open: Option<(usize, usize)> = None;
        let (mut ch, mut b) = (start, bs);
        for c in piece.chars() {
            let at_bound = bi < bounds.len() && bounds[bi] == ch;
            if at_bound {
                bi += 1;
            }
            if (is_space(c) || at_bound)
                && let Some((s, sb)) = open.take()
            {
                out.push(Tok {
                    start: s,
                    end: ch,
                    bstart: sb,
                    bend: b,
                });
            }
            if !is_space(c) && open.is_none() {
                open = Some((ch, b));
            }
            ch += 1;
            b += c.len_utf8();
        }
        if let Some((s, sb)) = open {
            out.push(Tok {
                start: s,
                end: ch,
                bstart: sb,
                bend: b,
            });
        }
    });
}

/// One resolved layer: the kept spans with their token ranges, in text order.
pub(crate) struct LayerSpans<'a> {
    pub spans: Vec<(Range<usize>, &'a Span)>,
}

/// Resolves the spans of one layer (already aligned) into non-overlapping ones; the losers are
/// returned with the span that won.
pub(crate) fn resolve_layer<'a>(
    cands: Vec<(Range<usize>, &'a Span)>,
    policy: Overlap,
    label_order: &dyn Fn(&str) -> usize,
) -> (LayerSpans<'a>, Vec<(&'a Span, &'a Span)>) {
    // The usual case: candidates in text order that do not overlap are all kept, whatever the
    // policy.
    if cands.windows(2).all(|w| w[0].0.end <= w[1].0.start) {
        return (LayerSpans { spans: cands }, Vec::new());
    }
    // Each label's rank once per span, not once per comparison.
    let mut keyed: Vec<(usize, Range<usize>, &'a Span)> = cands
        .into_iter()
        .map(|(r, s)| (label_order(&s.label), r, s))
        .collect();
    match policy {
        Overlap::Longest => keyed.sort_by(|(ra, a, sa), (rb, b, sb)| {
            (b.len(), a.start, ra, sa.id).cmp(&(a.len(), b.start, rb, sb.id))
        }),
        Overlap::First => keyed.sort_by(|(ra, a, sa), (rb, b, sb)| {
            (a.start, b.len(), ra, sa.id).cmp(&(b.start, a.len(), rb, sb.id))
        }),
    }
    let mut kept: Vec<(Range<usize>, &'a Span)> = Vec::with_capacity(keyed.len());
    let mut losers = Vec::new();
    for (_, r, s) in keyed {
        // kept is small per document; a sorted insert keeps the check logarithmic.
        let i = kept.partition_point(|(k, _)| k.start < r.start);
        let clash = kept
            .get(i)
            .filter(|(k, _)| k.start < r.end)
            .or_else(|| {
                i.checked_sub(1)
                    .and_then(|j| kept.get(j))
                    .filter(|(k, _)| k.end > r.start)
            })
            .map(|(_, w)| *w);
        match clash {
            Some(w) => losers.push((s, w)),
            None => kept.insert(i, (r, s)),
        }
    }
    (LayerSpans { spans: kept }, losers)
}

/// Shared state of one export run.
pub(crate) struct Ctx<'p> {
    pub opts: &'p ExportOptions,
    pub project: &'p Project,
    label_rank: HashMap<&'p str, usize>,
}

impl<'p> Ctx<'p> {
    fn new(project: &'p Project, opts: &'p ExportOptions) -> Self {
        let label_rank = project
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.name.as_str(), i))
            .collect();
        Ctx {
            opts,
            project,
            label_rank,
        }
    }

    pub fn rank(&self, label: &str) -> usize {
        self.label_rank.get(label).copied().unwrap_or(usize::MAX)
    }

    /// Labels of a layer, in project order (plus labels used by spans but missing from the set).
    pub fn layer_labels(&self, entities: bool) -> Vec<String> {
        let mut v: Vec<String> = self
            .project
            .labels
            .iter()
            .map(|l| l.name.clone())
            .filter(|l| self.opts.label_ok(l) && self.opts.is_entity(l) == entities)
            .collect();
        let mut extra: Vec<String> = Vec::new();
        for d in &self.project.documents {
            for s in &d.spans {
                if self.opts.is_entity(&s.label) == entities
                    && self.opts.label_ok(&s.label)
                    && !v.contains(&s.label)
                    && !extra.contains(&s.label)
                {
                    extra.push(s.label.clone());
                }
            }
        }
        extra.sort();
        v.extend(extra);
        v
    }

    /// Which layers CoNLL / hf write: `(entities?, is_companion)` pairs.
    pub fn layers(&self) -> Vec<bool> {
        match self.opts.layer {
            Layer::Entities => vec![true],
            Layer::Claims => vec![false],
            Layer::Both => {
                if self.layer_labels(false).is_empty() {
                    vec![true]
                } else {
                    vec![true, false]
                }
            }
        }
    }

    /// Aligns and resolves the spans of one layer of a prepared document, reporting losers and
    /// unaligned spans into `sink` (once per span: the caller passes each layer once).
    pub fn layer<'a>(
        &self,
        p: &mut Prepared<'a>,
        entities: bool,
        sink: &mut Reports,
    ) -> LayerSpans<'a> {
        self.layer_with(p, entities, sink, true)
    }

    /// [`Ctx::layer`]; when `losers_lost` is false, spans that lose an overlap are only noted
    /// (the format carries them elsewhere, e.g. `.spacy`'s `doc.spans`).
    pub fn layer_with<'a>(
        &self,
        p: &mut Prepared<'a>,
        entities: bool,
        sink: &mut Reports,
        losers_lost: bool,
    ) -> LayerSpans<'a> {
        p.tokens();
        let mut cands = Vec::new();
        for &s in &p.spans {
            if self.opts.is_entity(&s.label) != entities {
                continue;
            }
            match p.token_range(s) {
                Some(r) => cands.push((r, s)),
                None => sink.unrepresented(p.doc, s, NOT_ALIGNED.to_owned()),
            }
        }
        let (kept, losers) = resolve_layer(cands, self.opts.overlap, &|l| self.rank(l));
        for (s, w) in losers {
            if !losers_lost {
                sink.notes.push(format!(
                    "document {:?}: {} span {}..{} {:?} overlaps the {} span {}..{} {:?}; it is in the span group but not an entity (`{}` overlap policy)",
                    p.doc.id, s.label, s.start, s.end, s.text, w.label, w.start, w.end, w.text, self.opts.overlap
                ));
                continue;
            }
            sink.unrepresented(
                p.doc,
                s,
                format!(
                    "overlaps the {} span {}..{} {:?} of the same layer, which the `{}` overlap policy keeps",
                    w.label, w.start, w.end, w.text, self.opts.overlap
                ),
            );
        }
        kept
    }
}

/// Collects unrepresented spans and notes while rendering.
#[derive(Default)]
pub(crate) struct Reports {
    pub unrepresented: Vec<Unrepresented>,
    pub notes: Vec<String>,
    pub lost: HashSet<SpanId>,
}

impl Reports {
    pub fn unrepresented(&mut self, doc: &Document, s: &Span, reason: String) {
        if !self.lost.insert(s.id) {
            return;
        }
        self.unrepresented.push(Unrepresented {
            doc: doc.id.clone(),
            span: s.id,
            label: s.label.clone(),
            start: s.start,
            end: s.end,
            text: s.text.clone(),
            reason,
        });
    }
}

/// Selects documents and spans; returns the prepared documents (in project order).
fn select<'p>(
    project: &'p Project,
    opts: &ExportOptions,
    summary: &mut ExportSummary,
) -> Vec<Prepared<'p>> {
    let mut out = Vec::new();
    for d in &project.documents {
        if opts.only_done && !d.done {
            summary.skipped_not_done += 1;
            continue;
        }
        let mut spans = Vec::with_capacity(d.spans.len());
        for s in &d.spans {
            let why = if !opts.label_ok(&s.label) {
                Some("label not selected (--labels)".to_owned())
            } else if !opts.status_ok(s.status) {
                Some(if opts.statuses.is_none() {
                    "rejected (default; pass --status to include)".to_owned()
                } else {
                    format!("status {} not selected (--status)", s.status.name())
                })
            } else if opts.layer_filtered(&s.label) {
                Some(format!("not in the chosen --layer {}", opts.layer))
            } else {
                None
            };
            match why {
                Some(w) => *summary.filtered.entry(w).or_default() += 1,
                None => spans.push(s),
            }
        }
        out.push(Prepared {
            doc: d,
            spans,
            toks: None,
            spare: Vec::new(),
        });
    }
    out
}

/// A 64-bit mixing function (SplitMix64), used for seeded shuffles.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Assigns each of `ids` to one split: the ids are sorted, shuffled with a SplitMix64 stream
/// seeded by `seed`, and cut into consecutive runs whose sizes follow the shares (largest
/// remainder rounding). Returns the split index of each id, in the order given. The result
/// depends only on the set of ids, the shares and the seed.
pub fn assign_splits(ids: &[&str], shares: &[f64], seed: u64) -> Vec<usize> {
    let n = ids.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| ids[a].cmp(ids[b]));
    let mut state = seed ^ 0x5851_f42d_4c95_7f2d;
    for i in (1..n).rev() {
        let j = (splitmix64(&mut state) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let total: f64 = shares.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let exact: Vec<f64> = shares.iter().map(|s| s / total * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut rest = n.saturating_sub(counts.iter().sum());
    let mut by_rem: Vec<usize> = (0..shares.len()).collect();
    by_rem.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .partial_cmp(&(exact[a] - exact[a].floor()))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    for &k in by_rem.iter().cycle().take(shares.len() * 2) {
        if rest == 0 {
            break;
        }
        counts[k] += 1;
        rest -= 1;
    }
    let mut out = vec![0; n];
    let mut pos = 0;
    for (k, &c) in counts.iter().enumerate() {
        for &i in order.iter().skip(pos).take(c) {
            out[i] = k;
        }
        pos += c;
    }
    out
}

/// Files produced by an export, written only when everything succeeded.
#[derive(Default)]
pub(crate) struct Output {
    pub files: Vec<(PathBuf, Vec<u8>)>,
}

impl Output {
    pub fn add(&mut self, path: PathBuf, bytes: Vec<u8>) {
        self.files.push((path, bytes));
    }

    /// Writes every file to a temporary name, then renames them all into place.
    fn commit(self) -> Result<Vec<PathBuf>, FormatError> {
        let mut tmps: Vec<(PathBuf, PathBuf)> = Vec::new();
        let result = (|| {
            for (path, bytes) in &self.files {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
                }
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
                std::fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
                tmps.push((tmp, path.clone()));
            }
            for (tmp, path) in &tmps {
                std::fs::rename(tmp, path).map_err(io_err(path))?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            for (tmp, _) in &tmps {
                let _ = std::fs::remove_file(tmp);
            }
            return Err(e);
        }
        Ok(self.files.into_iter().map(|(p, _)| p).collect())
    }
}

/// Inserts `.tag` before the extension of a file name: `x.conll` -> `x.claims.conll`.
pub(crate) fn companion(path: &Path, tag: &str, ext: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!("{stem}.{tag}.{ext}"))
}

/// Renders one split (`docs`) to `out` (a file, or a folder for brat).
fn render_split(
    ctx: &Ctx<'_>,
    docs: &mut [Prepared<'_>],
    out: &Path,
    split: Option<&str>,
    files: &mut Output,
    reports: &mut Reports,
    progress: &Progress,
) -> Result<(), FormatError> {
    match ctx.opts.format {
        ExportFormat::Jsonl => jsonl::export(ctx, docs, out, files, reports, progress),
        ExportFormat::Conll => conll::export(ctx, docs, out, files, reports, progress),
        ExportFormat::Hf => hf::export(ctx, docs, out, split, files, reports, progress),
        ExportFormat::Csv => csv::export(docs, out, files, progress),
        ExportFormat::Brat => brat::export(ctx, docs, out, files, reports, progress),
        ExportFormat::LabelStudio => labelstudio::export(docs, out, files, progress),
        ExportFormat::Spacy => spacy::export(ctx, docs, out, files, reports, progress),
    }
}

/// Exports `project` to `out` (see the module documentation for the layout). Returns the summary;
/// fails without writing anything when a file cannot be written or `progress.cancel` is set.
pub fn export(
    project: &Project,
    opts: &ExportOptions,
    out: &Path,
    progress: &Progress,
) -> Result<ExportSummary, FormatError> {
    let (summary, files) = export_to_memory(project, opts, out, progress)?;
    let mut summary = summary;
    summary.files = files.commit()?;
    Ok(summary)
}

fn export_to_memory(
    project: &Project,
    opts: &ExportOptions,
    out: &Path,
    progress: &Progress,
) -> Result<(ExportSummary, Output), FormatError> {
    let ctx = Ctx::new(project, opts);
    let mut summary = ExportSummary {
        format: opts.format.name().to_owned(),
        ..ExportSummary::default()
    };
    let mut docs = select(project, opts, &mut summary);
    progress.total.store(docs.len(), Ordering::Relaxed);
    progress.done.store(0, Ordering::Relaxed);
    let mut files = Output::default();
    let mut reports = Reports::default();
    summary.documents = docs.len();
    match &opts.split {
        None => {
            summary.splits.push(("all".into(), docs.len()));
            render_split(
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
                let path = if opts.format == ExportFormat::Brat {
                    out.join(name)
                } else {
                    out.join(format!("{name}.{}", opts.format.extension()))
                };
                render_split(
                    &ctx,
                    group,
                    &path,
                    Some(name),
                    &mut files,
                    &mut reports,
                    progress,
                )?;
            }
            if opts.format == ExportFormat::Hf {
                hf::write_label_files(&ctx, out, true, &mut files);
            }
            docs = groups.into_iter().flatten().collect();
        }
    }
    if opts.split.is_none() && opts.format == ExportFormat::Hf {
        hf::write_label_files(&ctx, out, false, &mut files);
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
    Ok((summary, files))
}

/// The first `n` records an export would write, as text (one string per document; `.spacy`
/// records are shown as text with their entities), without writing anything. For a GUI preview.
pub fn preview(project: &Project, opts: &ExportOptions, n: usize) -> Vec<String> {
    let ctx = Ctx::new(project, opts);
    let mut summary = ExportSummary::default();
    let mut reports = Reports::default();
    let mut out = Vec::new();
    for mut p in select(project, opts, &mut summary).into_iter().take(n) {
        let s = match opts.format {
            ExportFormat::Jsonl => jsonl::record(&mut p, &mut reports),
            ExportFormat::Conll => conll::record(&ctx, &mut p, true, &mut reports),
            ExportFormat::Hf => {
                let names = hf::label_names(&ctx.layer_labels(true));
                hf::record(&ctx, &mut p, true, &names, &mut reports)
            }
            ExportFormat::Csv => csv::rows(&p),
            ExportFormat::Brat => brat::ann(&p, &mut reports),
            ExportFormat::LabelStudio => labelstudio::task(&p, 0).to_string(),
            ExportFormat::Spacy => spacy::describe(&ctx, &mut p, &mut reports),
        };
        out.push(s);
    }
    out
}

// ----------------------------------------------------------------------------------------------
// Import

/// Everything that controls an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    pub format: ImportFormat,
    /// The offset unit of the input; `None`: the format's usual unit (UTF-16 for doccano, code
    /// points otherwise).
    pub offsets: Option<OffsetUnit>,
    /// Label renames applied first: `(old, new)`.
    pub map: Vec<(String, String)>,
    /// Author of spans whose input names none.
    pub author: String,
}

impl ImportOptions {
    pub fn new(format: ImportFormat) -> Self {
        ImportOptions {
            format,
            offsets: None,
            map: Vec::new(),
            author: "import".into(),
        }
    }

    fn unit(&self) -> OffsetUnit {
        self.offsets.unwrap_or(match self.format {
            ImportFormat::Doccano => OffsetUnit::Utf16,
            _ => OffsetUnit::Codepoints,
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
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        if !self.problems.is_empty() {
            let _ = writeln!(s, "{} problem(s), not imported:", self.problems.len());
            for p in &self.problems {
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
    pub records: Vec<Record>,
    pub problems: Vec<ImportProblem>,
    pub notes: Vec<String>,
}

/// Parses `inputs` and adds their documents and spans to `project`.
pub fn import(
    project: &mut Project,
    inputs: &[PathBuf],
    opts: &ImportOptions,
) -> Result<ImportSummary, FormatError> {
    let mut parsed = Parsed::default();
    for path in inputs {
        match opts.format {
            ImportFormat::Jsonl => jsonl::parse_file(path, &mut parsed)?,
            ImportFormat::Doccano => doccano::parse_file(path, &mut parsed)?,
            ImportFormat::LabelStudio => labelstudio::parse_file(path, &mut parsed)?,
            ImportFormat::Brat => brat::parse_path(path, &mut parsed)?,
            ImportFormat::Conll => conll::parse_file(path, &mut parsed)?,
        }
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

/// Reads a whole input file as text (BOM and legacy encodings handled; line endings kept).
pub(crate) fn read_text(path: &Path) -> Result<String, FormatError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
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
    fn split_parsing_and_assignment() {
        let s = parse_split("train=0.8,dev=0.1,test=0.1").unwrap();
        assert_eq!(s.len(), 3);
        assert!(parse_split("train=0.8,dev=0.1").is_err());
        assert!(parse_split("tr ain=1").is_err());
        assert!(parse_split("a=0.5,a=0.5").is_err());
        let ids: Vec<String> = (0..103).map(|i| format!("d{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let a = assign_splits(&refs, &[0.8, 0.1, 0.1], 7);
        let counts: Vec<usize> = (0..3)
            .map(|k| a.iter().filter(|&&x| x == k).count())
            .collect();
        assert_eq!(counts.iter().sum::<usize>(), 103);
        assert_eq!(counts[0], 83); // 82.4 plus the largest remainder
        // Same seed and set in another order: same assignment per id.
        let mut rev = refs.clone();
        rev.reverse();
        let b = assign_splits(&rev, &[0.8, 0.1, 0.1], 7);
        for (i, id) in rev.iter().enumerate() {
            let j = refs.iter().position(|x| x == id).unwrap();
            assert_eq!(b[i], a[j]);
        }
        assert_ne!(a, assign_splits(&refs, &[0.8, 0.1, 0.1], 8));
    }

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
        let opts = ImportOptions::new(ImportFormat::Jsonl);
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

//! The document model: a project holds labels, relation types, annotators and documents; a
//! document holds its text, its spans and the relations between them. Offsets are code points
//! (see [`crate::text`]).

use crate::text::TextIndex;
use crate::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// The project file schema version this build writes. Files with a larger number are refused.
///
/// - 1: labels, documents, spans.
/// - 2: relation types and relations (`relation_types`, `next_relation_id`, each document's
///   `relations`), a document's `meta` (kept from imports) and `tokenization` (a CoNLL file's
///   tokens, sentences and extra columns), its `excluded` ranges (boilerplate), a span's
///   `fragments` (discontinuous spans). A version
///   1 file is read as version 2 with the default relation types its labels allow.
pub const SCHEMA_VERSION: u32 = 2;

/// The label set used by `spantag new` and the GUI when nothing else is given.
pub const DEFAULT_LABELS: [&str; 4] = ["actor", "place", "number", "claim"];

/// Whether a label marks a passage (claims, quotes, sentences) rather than an entity: the GUI
/// draws such labels as a band under the text, and agreement puts them in the claim layer.
pub fn is_band_label(name: &str) -> bool {
    let n = name.to_lowercase();
    n.contains("claim") || n.contains("quote") || n.contains("sentence")
}

/// A whole annotation project: what one `.ron` file holds.
///
/// The project file's structs refuse fields they do not know (`deny_unknown_fields`): a field
/// from a newer spantag comes with a newer `schema_version` and is refused as such, so an unknown
/// field in a current file is a typo or damage, and saving would drop it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Version of the file format; see [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Display name.
    pub name: String,
    /// The label set, in display order.
    pub labels: Vec<Label>,
    /// The relation types, in display order (always written, so an empty list stays empty).
    #[serde(default)]
    pub relation_types: Vec<RelationType>,
    /// Everyone who created or reviewed a span, sorted (derived again each time the project is
    /// written; see [`Project::recorded_annotators`]).
    #[serde(default)]
    pub annotators: Vec<String>,
    /// The next free span id; span ids are never reused within a project.
    #[serde(default)]
    pub next_span_id: u64,
    /// The next free relation id; relation ids are never reused within a project.
    #[serde(default)]
    pub next_relation_id: u64,
    /// The documents, in the order the user arranged them. Shared, so that a copy of the project
    /// (an undo step, an autosave) costs a pointer per document; edits change a document through
    /// [`Arc::make_mut`], which copies it only while someone else still holds it. The file
    /// holds each document as itself (serde writes what an `Arc` points to).
    pub documents: Vec<Arc<Document>>,
}

/// A span label: name, display colour and the key that applies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub name: String,
    pub color: Color,
    #[serde(default)]
    pub hotkey: Option<char>,
}

/// A kind of link between two spans of a document, e.g. `source`: from a claim to the actor who
/// made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationType {
    pub name: String,
    pub color: Color,
    #[serde(default)]
    pub hotkey: Option<char>,
    /// The labels its first span (the head: the claim) may carry; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from_labels: Vec<String>,
    /// The labels its second span (the child: the actor) may carry; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to_labels: Vec<String>,
}

/// The default relation types: `source` (claim → actor: who made the claim) and `location`
/// (claim → place).
pub const DEFAULT_RELATION_TYPES: [(&str, &str, &str); 2] =
    [("source", "claim", "actor"), ("location", "claim", "place")];

/// The default relation types whose labels all exist in `labels`.
pub fn default_relation_types(labels: &[Label]) -> Vec<RelationType> {
    let has = |n: &str| labels.iter().any(|l| l.name == n);
    DEFAULT_RELATION_TYPES
        .iter()
        .filter(|(_, from, to)| has(from) && has(to))
        .map(|(name, from, to)| RelationType {
            name: (*name).to_owned(),
            color: match *name {
                "source" => Color([0xc9, 0x6a, 0x2e]),
                _ => Color([0x4a, 0x8f, 0x7a]),
            },
            hotkey: None,
            from_labels: vec![(*from).to_owned()],
            to_labels: vec![(*to).to_owned()],
        })
        .collect()
}

impl RelationType {
    /// A relation type that allows any labels at both ends.
    pub fn any(name: &str, i: usize) -> Self {
        RelationType {
            name: name.to_owned(),
            color: default_color("", i + 4),
            hotkey: None,
            from_labels: Vec::new(),
            to_labels: Vec::new(),
        }
    }

    /// Whether a span labelled `label` may be the relation's first span.
    pub fn allows_from(&self, label: &str) -> bool {
        self.from_labels.is_empty() || self.from_labels.iter().any(|l| l == label)
    }

    /// Whether a span labelled `label` may be the relation's second span.
    pub fn allows_to(&self, label: &str) -> bool {
        self.to_labels.is_empty() || self.to_labels.iter().any(|l| l == label)
    }
}

/// An sRGB colour, written as `"#rrggbb"` in project files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color(pub [u8; 3]);

/// One article.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Stable identifier, unique within the project (derived from the file name on import).
    pub id: String,
    /// Headline shown in the document list.
    pub title: String,
    /// Marked done by the annotator.
    #[serde(default)]
    pub done: bool,
    /// Where the text came from and how it was decoded.
    pub source: Source,
    /// The article text, always with LF line endings.
    pub text: String,
    /// The spans, kept sorted by [`Span::order_key`].
    #[serde(default)]
    pub spans: Vec<Span>,
    /// The relations between this document's spans, in id order. Every relation names two
    /// spans of this document; removing a span removes its relations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
    /// Metadata kept from an import (e.g. a Prodigy task's `meta`, a Label Studio task's `data`
    /// keys), written back by the exports that carry it. Each value is a JSON text, so numbers,
    /// lists and objects come back exactly as they were read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// The tokens and sentences an imported file gave the text (a CoNLL file's), with its extra
    /// columns, so that exporting it again reproduces them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenization: Option<Tokenization>,
    /// Parts of the text that are not the article (the site's navigation, bylines, comment
    /// sections: see [`crate::boilerplate`]), as code point ranges, sorted and apart. Spans
    /// should not start inside them (`spantag validate` lists those that do).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<(usize, usize)>,
    #[serde(skip)]
    index: OnceLock<Arc<TextIndex>>,
}

/// Tokens, sentences and per-token columns that came with a document's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tokenization {
    /// Token ranges in code points, in order, not empty and not overlapping.
    pub tokens: Vec<(usize, usize)>,
    /// Index of the first token of each sentence, increasing (the first sentence starts at 0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sentence_starts: Vec<usize>,
    /// Extra columns (e.g. a CoNLL file's POS and chunk tags), one value per token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<TokenColumn>,
}

/// One extra per-token column of a [`Tokenization`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenColumn {
    /// The column's name (e.g. `pos`, `chunk`, or `column 2` when the file named none).
    pub name: String,
    /// One value per token.
    pub values: Vec<String>,
}

/// Provenance of a document's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The path the text was imported from, as given.
    #[serde(default)]
    pub path: Option<String>,
    /// Content hash of the stored text ([`content_hash`]); documents are matched across projects
    /// by this.
    pub hash: String,
    /// The encoding the file was decoded from, e.g. `UTF-8`, `UTF-16LE`, `windows-1252`.
    pub encoding: String,
    /// Line endings of the original file; the stored text always uses LF.
    pub line_endings: LineEndings,
}

/// Line endings found in an imported file (the stored text is normalised to LF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum LineEndings {
    /// Only LF (or no line break at all): nothing was changed.
    #[default]
    Lf,
    /// CRLF, normalised to LF.
    Crlf,
    /// Lone CR, normalised to LF.
    Cr,
    /// A mixture, normalised to LF.
    Mixed,
}

/// The largest span id: 2^53 − 1, the largest integer that JSON consumers (JavaScript's
/// `Number`, readers that parse numbers as doubles) read exactly. A project's `next_span_id` is
/// at most one more, 2^53; loading refuses larger values and no edit or import allocates past it.
pub const MAX_SPAN_ID: u64 = (1 << 53) - 1;

/// A stable relation identifier, unique within a project (at most [`MAX_SPAN_ID`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RelationId(pub u64);

impl fmt::Display for RelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A typed link from one span to another of the same document (e.g. `source`: from a claim to
/// the actor who made it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    pub id: RelationId,
    /// The first span (the head: the claim).
    pub from: SpanId,
    /// The second span (the child: the actor).
    pub to: SpanId,
    /// The relation type's name.
    #[serde(rename = "type")]
    pub kind: String,
    /// Who created the relation.
    pub author: String,
    /// When it was created.
    pub created: Timestamp,
    /// Written only when not `Pending`.
    #[serde(default, skip_serializing_if = "Status::is_pending")]
    pub status: Status,
    /// The latest review decision, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// In a merged (gold) project: every annotator who proposed this relation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposed_by: Vec<String>,
}

/// A stable span identifier, unique within a project (at most [`MAX_SPAN_ID`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SpanId(pub u64);

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A labelled range of a document's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    pub id: SpanId,
    /// First code point.
    pub start: usize,
    /// One past the last code point.
    pub end: usize,
    pub label: String,
    /// The covered text, stored so that every load can verify the offsets.
    pub text: String,
    /// Who created the span.
    pub author: String,
    /// When it was created.
    pub created: Timestamp,
    /// Written only when not `Pending`.
    #[serde(default, skip_serializing_if = "Status::is_pending")]
    pub status: Status,
    /// The latest review decision, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// In a merged (gold) project: every annotator who proposed this span.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposed_by: Vec<String>,
    /// A discontinuous span's pieces (code point ranges, in order, not touching, the first
    /// starting at `start` and the last ending at `end`); empty for an ordinary span, which
    /// covers all of `start..end`. `text` is always the whole of `start..end`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fragments: Vec<(usize, usize)>,
}

/// Review status of a span. Its lower-case name (`pending`, `accepted`, ...) is its
/// [`Display`](std::fmt::Display) form and parses back ([`FromStr`](std::str::FromStr)) in any
/// ASCII case.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Default,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Status {
    #[default]
    Pending,
    Accepted,
    Rejected,
    Edited,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Pending,
        Status::Accepted,
        Status::Rejected,
        Status::Edited,
    ];

    /// Whether this is the default status.
    pub fn is_pending(&self) -> bool {
        *self == Status::Pending
    }

    /// Lower-case name, as used on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses a name in any ASCII case (the [`FromStr`](std::str::FromStr) of the type).
    pub fn from_name(s: &str) -> Option<Status> {
        s.parse().ok()
    }
}

/// Who reviewed a span, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub reviewer: String,
    pub time: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A document's progress, derived from its spans and done flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocState {
    Untouched,
    InProgress,
    Done,
}

impl Project {
    /// An empty project with the given labels (colours and hotkeys 1-9 assigned in order).
    pub fn new(name: impl Into<String>, labels: &[&str]) -> Self {
        let labels: Vec<Label> = labels
            .iter()
            .enumerate()
            .map(|(i, n)| Label::with_defaults(n, i))
            .collect();
        Project {
            schema_version: SCHEMA_VERSION,
            name: name.into(),
            relation_types: default_relation_types(&labels),
            labels,
            annotators: Vec::new(),
            next_span_id: 1,
            next_relation_id: 1,
            documents: Vec::new(),
        }
    }

    /// Position of the document with id `id`.
    pub fn doc_index(&self, id: &str) -> Option<usize> {
        self.documents.iter().position(|d| d.id == id)
    }

    /// The document with id `id`.
    pub fn doc(&self, id: &str) -> Option<&Document> {
        self.documents.iter().find(|d| d.id == id).map(Arc::as_ref)
    }

    /// The label named `name`.
    pub fn label(&self, name: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.name == name)
    }

    /// The relation type named `name`.
    pub fn relation_type(&self, name: &str) -> Option<&RelationType> {
        self.relation_types.iter().find(|t| t.name == name)
    }

    /// A document id derived from `stem` that no document uses yet.
    pub fn unique_doc_id(&self, stem: &str) -> String {
        let base = slug(stem);
        let mut id = base.clone();
        let mut n = 2;
        while self.doc(&id).is_some() {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }

    /// Builds (but does not add) a span over `start..end` of document `doc`, with a fresh id.
    /// Apply it with `Edit::AddSpan` (module `edit`).
    pub fn make_span(
        &self,
        doc: &str,
        start: usize,
        end: usize,
        label: &str,
        author: &str,
    ) -> Result<Span, EditError> {
        let d = self
            .doc(doc)
            .ok_or_else(|| EditError::NoDocument(doc.to_owned()))?;
        let text = d.covered(start, end)?;
        Ok(Span {
            id: self.fresh_span_id()?,
            start,
            end,
            label: label.to_owned(),
            text,
            author: author.to_owned(),
            created: Timestamp::now(),
            status: Status::Pending,
            review: None,
            note: None,
            proposed_by: Vec::new(),
            fragments: Vec::new(),
        })
    }

    /// Builds (but does not add) a relation of type `kind` from span `from` to span `to` of
    /// document `doc`, with a fresh id. Apply it with `Edit::AddRelation` (module `edit`), which
    /// checks it.
    pub fn make_relation(
        &self,
        doc: &str,
        from: SpanId,
        to: SpanId,
        kind: &str,
        author: &str,
    ) -> Result<Relation, EditError> {
        if self.doc(doc).is_none() {
            return Err(EditError::NoDocument(doc.to_owned()));
        }
        Ok(Relation {
            id: self.fresh_relation_id()?,
            from,
            to,
            kind: kind.to_owned(),
            author: author.to_owned(),
            created: Timestamp::now(),
            status: Status::Pending,
            review: None,
            note: None,
            proposed_by: Vec::new(),
        })
    }

    /// The id the next new relation gets (see [`Project::fresh_span_id`]).
    pub fn fresh_relation_id(&self) -> Result<RelationId, EditError> {
        let id = self.next_relation_id.max(1);
        if id > MAX_SPAN_ID {
            return Err(EditError::NoRelationIdLeft);
        }
        Ok(RelationId(id))
    }

    /// Total number of relations.
    pub fn relation_count(&self) -> usize {
        self.documents.iter().map(|d| d.relations.len()).sum()
    }

    /// The id the next new span gets: `next_span_id` (at least 1), or [`EditError::NoSpanIdLeft`]
    /// when it would be over [`MAX_SPAN_ID`].
    pub fn fresh_span_id(&self) -> Result<SpanId, EditError> {
        let id = self.next_span_id.max(1);
        if id > MAX_SPAN_ID {
            return Err(EditError::NoSpanIdLeft);
        }
        Ok(SpanId(id))
    }

    /// Total number of spans.
    pub fn span_count(&self) -> usize {
        self.documents.iter().map(|d| d.spans.len()).sum()
    }

    /// The annotator list a project file records: everyone listed already plus everyone who
    /// created or reviewed a span, sorted, without empty names. Derived when writing, so saving
    /// never changes the project.
    pub fn recorded_annotators(&self) -> Vec<String> {
        let mut names: std::collections::BTreeSet<&str> =
            self.annotators.iter().map(String::as_str).collect();
        for d in &self.documents {
            for s in &d.spans {
                names.insert(&s.author);
                if let Some(r) = &s.review {
                    names.insert(&r.reviewer);
                }
            }
            for r in &d.relations {
                names.insert(&r.author);
                if let Some(rv) = &r.review {
                    names.insert(&rv.reviewer);
                }
            }
        }
        names.remove("");
        names.into_iter().map(str::to_owned).collect()
    }

    /// The span id counter a project file records: at least one more than every span id in use.
    pub fn recorded_next_span_id(&self) -> u64 {
        let max_id = self
            .documents
            .iter()
            .flat_map(|d| d.spans.iter().map(|s| s.id.0))
            .max()
            .unwrap_or(0);
        self.next_span_id.max(max_id.saturating_add(1))
    }

    /// The relation id counter a project file records: at least one more than every relation id
    /// in use.
    pub fn recorded_next_relation_id(&self) -> u64 {
        let max_id = self
            .documents
            .iter()
            .flat_map(|d| d.relations.iter().map(|r| r.id.0))
            .max()
            .unwrap_or(0);
        self.next_relation_id.max(max_id.saturating_add(1))
    }

    /// Brings the derived bookkeeping up to date (the annotator list and the id counters, as
    /// [`Project::recorded_annotators`], [`Project::recorded_next_span_id`] and
    /// [`Project::recorded_next_relation_id`] compute them), for projects built outside a
    /// workspace (merges, imports, fixtures).
    pub fn normalize(&mut self) {
        self.annotators = self.recorded_annotators();
        self.next_span_id = self.recorded_next_span_id();
        self.next_relation_id = self.recorded_next_relation_id();
    }
}

impl Label {
    /// A label with the default colour and hotkey for position `i` of a label set.
    pub fn with_defaults(name: &str, i: usize) -> Self {
        let hotkey = char::from_digit(u32::try_from(i + 1).unwrap_or(0), 10).filter(|_| i < 9);
        Label {
            name: name.to_owned(),
            color: default_color(name, i),
            hotkey,
        }
    }
}

/// The default colour for a label: fixed for the four default labels, then a palette.
pub fn default_color(name: &str, i: usize) -> Color {
    const PALETTE: [[u8; 3]; 8] = [
        [0x3b, 0x82, 0xc4],
        [0x2f, 0x9e, 0x5b],
        [0xd9, 0x8a, 0x1c],
        [0xb0, 0x3a, 0x9c],
        [0xc4, 0x45, 0x3b],
        [0x1f, 0x9e, 0xa6],
        [0x7a, 0x6a, 0xd8],
        [0x8a, 0x8a, 0x3a],
    ];
    match name {
        "actor" => Color([0x3b, 0x82, 0xc4]),
        "place" => Color([0x2f, 0x9e, 0x5b]),
        "number" => Color([0xd9, 0x8a, 0x1c]),
        "claim" => Color([0xb0, 0x3a, 0x9c]),
        _ => Color(PALETTE[i % PALETTE.len()]),
    }
}

impl Document {
    /// A new document with no spans.
    pub fn new(id: String, title: String, text: String, source: Source) -> Self {
        Document {
            id,
            title,
            done: false,
            source,
            text,
            spans: Vec::new(),
            relations: Vec::new(),
            meta: BTreeMap::new(),
            tokenization: None,
            excluded: Vec::new(),
            index: OnceLock::new(),
        }
    }

    /// The offset index and tokens of the text (built on first use, then cached; the text of a
    /// document never changes). Sentences are found only by [`Document::index_with_sentences`].
    pub fn index(&self) -> &TextIndex {
        let ix = self.offsets();
        ix.segment_tokens_only(&self.text);
        ix
    }

    /// The offset index, tokens and sentences of the text (built on first use, then cached).
    pub fn index_with_sentences(&self) -> &TextIndex {
        let ix = self.offsets();
        ix.segment(&self.text);
        ix
    }

    /// The offset index without tokens and sentences (cheaper: one pass over the text). Used where
    /// only offsets are converted, e.g. when a project is loaded.
    pub fn offsets(&self) -> &TextIndex {
        self.index
            .get_or_init(|| Arc::new(TextIndex::offsets_only(&self.text)))
    }

    /// A shared handle to the index (tokens and sentences), for work off the UI thread.
    pub fn index_arc(&self) -> Arc<TextIndex> {
        self.index_with_sentences();
        Arc::clone(
            self.index
                .get_or_init(|| Arc::new(TextIndex::offsets_only(&self.text))),
        )
    }

    /// Length of the text in code points.
    pub fn len_chars(&self) -> usize {
        self.offsets().len_chars()
    }

    /// The text covered by code points `start..end`.
    pub fn slice(&self, start: usize, end: usize) -> Option<&str> {
        self.offsets().slice(&self.text, start..end)
    }

    /// The covered text of a prospective span, or why the range is invalid.
    pub fn covered(&self, start: usize, end: usize) -> Result<String, EditError> {
        if start >= end {
            return Err(EditError::Empty { start, end });
        }
        self.slice(start, end)
            .map(str::to_owned)
            .ok_or(EditError::OutOfRange {
                start,
                end,
                len: self.len_chars(),
            })
    }

    /// Progress state.
    pub fn state(&self) -> DocState {
        if self.done {
            DocState::Done
        } else if self.spans.is_empty() {
            DocState::Untouched
        } else {
            DocState::InProgress
        }
    }

    /// Position of the span with id `id`.
    pub fn span_index(&self, id: SpanId) -> Option<usize> {
        self.spans.iter().position(|s| s.id == id)
    }

    /// The span with id `id`.
    pub fn span(&self, id: SpanId) -> Option<&Span> {
        self.spans.iter().find(|s| s.id == id)
    }

    /// The relation with id `id`.
    pub fn relation(&self, id: RelationId) -> Option<&Relation> {
        self.relations.iter().find(|r| r.id == id)
    }

    /// The relations that start or end at span `span`, in id order.
    pub fn relations_of(&self, span: SpanId) -> impl Iterator<Item = &Relation> {
        self.relations
            .iter()
            .filter(move |r| r.from == span || r.to == span)
    }

    /// Whether a relation of type `kind` from `from` to `to` exists (other than `except`).
    pub fn has_relation(
        &self,
        from: SpanId,
        to: SpanId,
        kind: &str,
        except: Option<RelationId>,
    ) -> bool {
        self.relations
            .iter()
            .any(|r| r.from == from && r.to == to && r.kind == kind && Some(r.id) != except)
    }

    /// Inserts a relation at its place in id order (no checks).
    pub(crate) fn insert_relation(&mut self, relation: Relation) {
        let i = self.relations.partition_point(|r| r.id < relation.id);
        self.relations.insert(i, relation);
    }

    /// The excluded range that contains code point `offset`, if any.
    pub fn excluded_at(&self, offset: usize) -> Option<(usize, usize)> {
        let i = self.excluded.partition_point(|r| r.1 <= offset);
        self.excluded.get(i).copied().filter(|r| r.0 <= offset)
    }

    /// Whether `ranges` can be a document's excluded ranges: each not empty and within the text,
    /// sorted, not touching or overlapping.
    pub fn excluded_ok(&self, ranges: &[(usize, usize)]) -> bool {
        ranges.iter().all(|&(a, b)| a < b && b <= self.len_chars())
            && ranges.windows(2).all(|w| w[0].1 < w[1].0)
    }

    /// Whether a span with exactly this range and label exists (other than `except`).
    pub fn has_duplicate(
        &self,
        start: usize,
        end: usize,
        label: &str,
        except: Option<SpanId>,
    ) -> bool {
        let i = self.spans.partition_point(|s| s.start < start);
        self.spans[i..]
            .iter()
            .take_while(|s| s.start == start)
            .any(|s| s.end == end && s.label == label && Some(s.id) != except)
    }

    /// Inserts a span at its sorted position (no checks).
    pub(crate) fn insert_sorted(&mut self, span: Span) {
        let key = span.order_key();
        let i = self.spans.partition_point(|s| s.order_key() < key);
        self.spans.insert(i, span);
    }

    /// Sorts spans by [`Span::order_key`].
    pub fn sort_spans(&mut self) {
        self.spans.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    }

    /// Spans that contain code point `offset` (start <= offset < end), outermost first.
    pub fn spans_at(&self, offset: usize) -> impl Iterator<Item = &Span> {
        let upto = self.spans.partition_point(|s| s.start <= offset);
        self.spans[..upto].iter().filter(move |s| s.end > offset)
    }
}

impl PartialEq for Document {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.title == other.title
            && self.done == other.done
            && self.source == other.source
            && self.text == other.text
            && self.spans == other.spans
            && self.relations == other.relations
            && self.meta == other.meta
            && self.tokenization == other.tokenization
            && self.excluded == other.excluded
    }
}

impl Span {
    /// Sort key: by start, then longer spans first (so enclosing spans come before the spans they
    /// contain), then label, then id.
    pub fn order_key(&self) -> (usize, Reverse<usize>, &str, SpanId) {
        (self.start, Reverse(self.end), &self.label, self.id)
    }

    /// Whether `fragments` is empty or tiles `start..end` in order: pieces not empty, not
    /// touching or overlapping, the first starting at `start` and the last ending at `end`, at
    /// least two of them.
    pub fn fragments_ok(&self) -> bool {
        let f = &self.fragments;
        if f.is_empty() {
            return true;
        }
        f.len() >= 2
            && f[0].0 == self.start
            && f[f.len() - 1].1 == self.end
            && f.iter().all(|&(a, b)| a < b)
            && f.windows(2).all(|w| w[0].1 < w[1].0)
    }

    /// The ranges the span covers: its fragments, or `start..end` as one piece.
    pub fn pieces(&self) -> Vec<(usize, usize)> {
        if self.fragments.is_empty() {
            vec![(self.start, self.end)]
        } else {
            self.fragments.clone()
        }
    }

    /// Whether two spans share at least one code point.
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// A stable content hash of a text (64-bit FNV-1a over its UTF-8 bytes), as `fnv1a64:<hex>`.
pub fn content_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

/// A lower-case identifier made of letters, digits and `-` from any string.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "doc".to_owned()
    } else {
        out
    }
}

impl Color {
    /// Parses `#rrggbb`.
    pub fn parse(s: &str) -> Option<Color> {
        let hex = s.strip_prefix('#')?;
        if hex.len() != 6 || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Color([byte(0)?, byte(2)?, byte(4)?]))
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

impl Serialize for Color {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Color {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Color::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("invalid colour {s:?}, expected \"#rrggbb\""))
        })
    }
}

/// Why an edit could not be applied. Nothing is changed when an edit fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("no document with id {0:?}")]
    NoDocument(String),
    #[error("document {doc:?} has no span with id {span}")]
    NoSpan { doc: String, span: SpanId },
    #[error("span id {0} is already used")]
    SpanIdTaken(SpanId),
    #[error("span id {0} is over the largest span id, {MAX_SPAN_ID} (2^53 - 1)")]
    SpanIdTooLarge(SpanId),
    #[error(
        "no span id is left in this project: every id up to {MAX_SPAN_ID} (2^53 - 1) has been given out"
    )]
    NoSpanIdLeft,
    #[error(
        "no relation id is left in this project: every id up to {MAX_SPAN_ID} (2^53 - 1) has been given out"
    )]
    NoRelationIdLeft,
    #[error("unknown label {0:?}")]
    UnknownLabel(String),
    #[error("unknown relation type {0:?}")]
    UnknownRelationType(String),
    #[error("document {doc:?} has no relation with id {relation}")]
    NoRelation { doc: String, relation: RelationId },
    #[error("relation id {0} is already used")]
    RelationIdTaken(RelationId),
    #[error("a relation links span {0} to itself")]
    SelfRelation(SpanId),
    #[error("a {kind} relation from span {from} to span {to} already exists")]
    DuplicateRelation {
        from: SpanId,
        to: SpanId,
        kind: String,
    },
    #[error("a relation type named {0:?} already exists")]
    RelationTypeExists(String),
    #[error("relation type {name:?} is used by {count} relation(s); remove or retype them first")]
    RelationTypeInUse { name: String, count: usize },
    #[error("excluded ranges {0:?} must be sorted, apart, not empty and within the text")]
    BadExcluded(Vec<(usize, usize)>),
    #[error("span {span}'s fragments {fragments:?} do not tile {start}..{end} in order")]
    BadFragments {
        span: SpanId,
        start: usize,
        end: usize,
        fragments: Vec<(usize, usize)>,
    },
    #[error("a {label} span over {start}..{end} already exists")]
    Duplicate {
        start: usize,
        end: usize,
        label: String,
    },
    #[error("span {start}..{end} is empty")]
    Empty { start: usize, end: usize },
    #[error("span {start}..{end} does not fit the text ({len} characters)")]
    OutOfRange {
        start: usize,
        end: usize,
        len: usize,
    },
    #[error("the span's stored text {stored:?} differs from the document text {actual:?}")]
    TextMismatch { stored: String, actual: String },
    #[error("a document with id {0:?} already exists")]
    DocumentExists(String),
    #[error("a label named {0:?} already exists")]
    LabelExists(String),
    #[error("label {name:?} is used by {count} span(s); remove or relabel them first")]
    LabelInUse { name: String, count: usize },
    #[error("hotkey {key:?} is already used by label {label:?}")]
    HotkeyTaken { key: char, label: String },
    #[error("a label name cannot be empty or contain whitespace: {0:?}")]
    BadLabelName(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_hashes() {
        assert_eq!(slug("01 Harbour Bridge.txt"), "01-harbour-bridge-txt");
        assert_eq!(slug("¿¡"), "doc");
        assert_eq!(content_hash(""), "fnv1a64:cbf29ce484222325");
        assert_ne!(content_hash("a"), content_hash("b"));
    }

    #[test]
    fn colours() {
        assert_eq!(Color::parse("#3b82c4"), Some(Color([0x3b, 0x82, 0xc4])));
        assert_eq!(Color([1, 2, 255]).to_string(), "#0102ff");
        assert_eq!(Color::parse("3b82c4"), None);
        assert_eq!(Color::parse("#3b82cé"), None);
    }

    #[test]
    fn status_names() {
        use strum::IntoEnumIterator;
        assert_eq!(Status::iter().collect::<Vec<_>>(), Status::ALL);
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names, ["pending", "accepted", "rejected", "edited"]);
        for s in Status::ALL {
            assert_eq!(s.to_string(), s.name());
            assert_eq!(s.name().parse::<Status>(), Ok(s));
            assert_eq!(s.name().to_uppercase().parse::<Status>(), Ok(s));
        }
        assert_eq!("Accepted".parse::<Status>(), Ok(Status::Accepted));
        assert_eq!("rEjEcTeD".parse::<Status>(), Ok(Status::Rejected));
        assert_eq!(Status::from_name("EDITED"), Some(Status::Edited));
        // Exact names only: no trimming, no prefixes, no other scripts' case folding.
        for bad in [
            "",
            " accepted",
            "accept",
            "accepted!",
            "ACCEPTED ",
            "pendıng",
            "maybe",
        ] {
            assert!(bad.parse::<Status>().is_err(), "{bad:?}");
        }
        // The project file keeps the serde names.
        assert_eq!(
            serde_json::to_string(&Status::Accepted).ok().as_deref(),
            Some("\"Accepted\"")
        );
    }

    #[test]
    fn default_labels_have_keys() {
        let p = Project::new("x", &DEFAULT_LABELS);
        let keys: Vec<_> = p.labels.iter().map(|l| l.hotkey).collect();
        assert_eq!(keys, [Some('1'), Some('2'), Some('3'), Some('4')]);
    }
}

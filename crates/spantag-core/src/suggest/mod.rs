//! Assisted annotation: suggesters that propose spans, learned from the project or written as
//! rules, and their cross-validated evaluation.
//!
//! - [`numbers`]: digits, decimals, percentages, currency amounts, number words and units, by
//!   rule, in the sample project's convention (units in, "more than" / "about" out).
//! - [`gazetteer`]: every string the project labelled (plus imported lists), matched on whole
//!   tokens, longest match first, scored by how often the string carried the label.
//! - [`model`]: an averaged perceptron trained on the project: BIO tagging per entity label,
//!   and a sentence scorer per passage label (claims).
//! - [`evaluate`]: k-fold cross-validation over documents.
//!
//! Suggestions are computed, never stored: a suggestion becomes a span only when it is applied
//! ([`apply_edits`]), as a pending span whose author and `proposed_by` name the suggester.

pub mod evaluate;
pub mod features;
pub mod gazetteer;
pub mod model;
pub mod numbers;
pub mod synthetic;

use crate::edit::Edit;
use crate::model::{Document, EditError, Project, Span, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which suggester proposed a span.
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
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
#[serde(rename_all = "lowercase")]
pub enum SuggesterKind {
    Gazetteer,
    Numbers,
    Model,
}

impl SuggesterKind {
    pub const ALL: [SuggesterKind; 3] = [
        SuggesterKind::Gazetteer,
        SuggesterKind::Numbers,
        SuggesterKind::Model,
    ];

    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The author (and `proposed_by` entry) of a span made from this suggester's suggestion.
    pub fn author(self) -> &'static str {
        match self {
            SuggesterKind::Gazetteer => "suggest:gazetteer",
            SuggesterKind::Numbers => "suggest:numbers",
            SuggesterKind::Model => "suggest:model",
        }
    }

    /// Parses a name in any ASCII case.
    pub fn from_name(s: &str) -> Option<SuggesterKind> {
        s.trim().parse().ok()
    }
}

/// A proposed span: computed, not stored, until it is applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// The document's id.
    pub doc: String,
    /// Code point range, snapped to tokens.
    pub start: usize,
    pub end: usize,
    pub label: String,
    /// Confidence between 0 and 1.
    pub score: f64,
    pub suggester: SuggesterKind,
    /// Why, in a few words ("labelled place 7 of 8 times", "digits with a currency sign").
    pub reason: String,
}

/// A suggester: proposes spans for one document, ignoring the spans it already has (the
/// caller, [`Suggesters::suggest`], drops what an existing span covers).
pub trait Suggester {
    fn kind(&self) -> SuggesterKind;
    /// Suggestions for `doc`, snapped to its tokens, in any order.
    fn suggest_raw(&self, doc: &Document) -> Vec<Suggestion>;
}

/// Whether a span teaches the suggesters: not rejected, and not a suggestion nobody has
/// reviewed yet (a pending span whose author is a suggester).
pub fn teaches(span: &Span) -> bool {
    span.status != Status::Rejected && !(span.status.is_pending() && is_suggester_author(span))
}

/// Whether a span was made by a suggester (author `suggest:…`).
pub fn is_suggester_author(span: &Span) -> bool {
    span.author.starts_with("suggest:")
}

/// What to train and run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The suggesters to run (in any order; each at most once).
    pub kinds: Vec<SuggesterKind>,
    /// Imported gazetteer entries (Prodigy patterns, `text<TAB>LABEL` lists).
    pub patterns: Vec<gazetteer::Pattern>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kinds: SuggesterKind::ALL.to_vec(),
            patterns: Vec::new(),
        }
    }
}

/// The suggesters of a project, trained on its documents.
pub struct Suggesters {
    pub gazetteer: Option<gazetteer::Gazetteer>,
    pub numbers: Option<numbers::Numbers>,
    pub model: Option<model::Model>,
}

impl Suggesters {
    /// Trains the chosen suggesters on every document of `project`.
    pub fn train(project: &Project, options: &Options) -> Suggesters {
        let docs: Vec<&Document> = project.documents.iter().map(|d| d.as_ref()).collect();
        Suggesters::train_on(project, &docs, options)
    }

    /// Trains the chosen suggesters on `docs` (documents of `project`, whose labels they use).
    pub fn train_on(project: &Project, docs: &[&Document], options: &Options) -> Suggesters {
        let labels: Vec<String> = project.labels.iter().map(|l| l.name.clone()).collect();
        let has = |k| options.kinds.contains(&k);
        // The model's features use the gazetteer even when it does not suggest itself.
        let gazetteer = (has(SuggesterKind::Gazetteer) || has(SuggesterKind::Model))
            .then(|| gazetteer::Gazetteer::train(docs, &options.patterns));
        let numbers = if has(SuggesterKind::Numbers) {
            numbers::Numbers::for_labels(&labels)
        } else {
            None
        };
        let model = match (&gazetteer, has(SuggesterKind::Model)) {
            (Some(g), true) => Some(model::Model::train(docs, &labels, g.clone())),
            _ => None,
        };
        Suggesters {
            gazetteer: gazetteer.filter(|_| has(SuggesterKind::Gazetteer)),
            numbers,
            model,
        }
    }

    /// Every suggester that was trained, as trait objects.
    pub fn all(&self) -> Vec<&dyn Suggester> {
        let mut out: Vec<&dyn Suggester> = Vec::new();
        if let Some(g) = &self.gazetteer {
            out.push(g);
        }
        if let Some(n) = &self.numbers {
            out.push(n);
        }
        if let Some(m) = &self.model {
            out.push(m);
        }
        out
    }

    /// The suggestions for `doc` with a score of at least `min_score`: one per range and label
    /// (the best scored, its reason naming the other suggesters that agree), none where a span
    /// of the same label already overlaps (also a rejected one: a rejection is remembered in its
    /// place), none for a label the project lacks. Sorted by position, then label.
    pub fn suggest(&self, project: &Project, doc: &Document, min_score: f64) -> Vec<Suggestion> {
        let raw: Vec<Suggestion> = self.all().iter().flat_map(|s| s.suggest_raw(doc)).collect();
        finish(project, doc, raw, min_score)
    }
}

/// Drops suggestions below `min_score`, for unknown labels or overlapping a span of the same
/// label, merges those of the same range and label, and sorts them.
pub fn finish(
    project: &Project,
    doc: &Document,
    raw: Vec<Suggestion>,
    min_score: f64,
) -> Vec<Suggestion> {
    let mut best: BTreeMap<(usize, usize, String), (Suggestion, Vec<SuggesterKind>)> =
        BTreeMap::new();
    for s in raw {
        if s.score < min_score || s.start >= s.end || project.label(&s.label).is_none() {
            continue;
        }
        let taken = doc
            .spans
            .iter()
            .any(|sp| sp.label == s.label && sp.start < s.end && s.start < sp.end);
        if taken {
            continue;
        }
        let key = (s.start, s.end, s.label.clone());
        match best.get_mut(&key) {
            None => {
                best.insert(key, (s, Vec::new()));
            }
            Some((b, others)) => {
                if s.score > b.score {
                    others.push(b.suggester);
                    *b = s;
                } else {
                    others.push(s.suggester);
                }
            }
        }
    }
    best.into_values()
        .map(|(mut s, mut others)| {
            others.sort();
            others.dedup();
            others.retain(|k| *k != s.suggester);
            if !others.is_empty() {
                let names: Vec<&str> = others.iter().map(|k| k.name()).collect();
                s.reason = format!("{}; also {}", s.reason, names.join(", "));
            }
            s
        })
        .collect()
}

/// The edits that add `suggestions` to `project` as pending spans: author and `proposed_by`
/// name the suggester (`suggest:gazetteer`, ...). Apply them with [`Project::apply_all`] (one
/// step). Suggestions whose range and label a span already has are left out.
pub fn apply_edits(project: &Project, suggestions: &[Suggestion]) -> Result<Vec<Edit>, EditError> {
    let mut next = project.fresh_span_id()?.0;
    let mut edits = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in suggestions {
        let doc = project
            .doc(&s.doc)
            .ok_or_else(|| EditError::NoDocument(s.doc.clone()))?;
        if doc.has_duplicate(s.start, s.end, &s.label, None)
            || !seen.insert((s.doc.as_str(), s.start, s.end, s.label.as_str()))
        {
            continue;
        }
        let mut span = project.make_span(&s.doc, s.start, s.end, &s.label, s.suggester.author())?;
        if next > crate::model::MAX_SPAN_ID {
            return Err(EditError::NoSpanIdLeft);
        }
        span.id = crate::model::SpanId(next);
        next += 1;
        span.proposed_by = vec![s.suggester.author().to_owned()];
        edits.push(Edit::AddSpan {
            doc: s.doc.clone(),
            span,
        });
    }
    Ok(edits)
}

//! Comparing annotators: documents matched by content across projects, and every span classified
//! as agreed by all, present for some, a label conflict or a boundary conflict.
//!
//! Each input project stands for one annotator (see [`Annotator`]). Documents are matched by the
//! content hash of their text, never by file name or id, so projects whose documents are in a
//! different order, or partly missing, compare correctly.

use crate::model::{Document, Project, Relation, Span, content_hash};
use std::collections::{BTreeMap, HashMap};

/// One annotator's project.
#[derive(Debug, Clone, Copy)]
pub struct Annotator<'a> {
    pub name: &'a str,
    pub project: &'a Project,
}

/// The name to give a project's annotator: the only author in it, else `fallback` (e.g. the file
/// name).
pub fn annotator_name(project: &Project, fallback: &str) -> String {
    let mut authors: Vec<&str> = project
        .documents
        .iter()
        .flat_map(|d| d.spans.iter().map(|s| s.author.as_str()))
        .collect();
    authors.sort_unstable();
    authors.dedup();
    match authors.as_slice() {
        [one] => (*one).to_owned(),
        _ => fallback.to_owned(),
    }
}

/// Names for several projects' annotators: each project's only author, else its `stems` entry
/// (e.g. the file name); a name already taken gets the stem added, `ana (b)`.
pub fn annotator_names(projects: &[&Project], stems: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (project, stem) in projects.iter().zip(stems) {
        let mut name = annotator_name(project, stem);
        if names.contains(&name) {
            name = format!("{name} ({stem})");
        }
        names.push(name);
    }
    names
}

/// A document as it appears across annotators.
#[derive(Debug, Clone)]
pub struct DocMatch {
    /// Content hash of the text.
    pub hash: String,
    /// For each annotator, the index of the document in its project, if it has it.
    pub present: Vec<Option<usize>>,
}

impl DocMatch {
    /// Whether every annotator has the document.
    pub fn shared(&self) -> bool {
        self.present.iter().all(Option::is_some)
    }

    /// The first annotator's copy (every copy has the same text).
    pub fn document<'a>(&self, annotators: &[Annotator<'a>]) -> Option<&'a Document> {
        self.present
            .iter()
            .zip(annotators)
            .find_map(|(i, a)| i.and_then(|i| a.project.documents.get(i).map(|d| &**d)))
    }

    /// The annotators that have the document.
    pub fn who(&self) -> impl Iterator<Item = usize> + '_ {
        self.present
            .iter()
            .enumerate()
            .filter_map(|(k, i)| i.map(|_| k))
    }
}

/// Matches documents across projects by text. Order: the first project's order, then documents
/// only later projects have, in their order. A text that occurs twice in one project is matched
/// once (its first copy).
///
/// The hash stored with each document (checked against its text whenever a project is loaded) is
/// used as the key, and a match is confirmed by comparing the texts; a document whose stored hash
/// is missing or belongs to another text is keyed by its recomputed hash.
pub fn match_documents(annotators: &[Annotator<'_>]) -> Vec<DocMatch> {
    let mut by_hash: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<DocMatch> = Vec::new();
    let text_of = |m: &DocMatch| {
        m.present
            .iter()
            .zip(annotators)
            .find_map(|(i, a)| i.and_then(|i| a.project.documents.get(i)))
            .map(|d| d.text.as_str())
    };
    for (k, a) in annotators.iter().enumerate() {
        for (i, d) in a.project.documents.iter().enumerate() {
            let stored = &d.source.hash;
            let trusted = !stored.is_empty()
                && by_hash
                    .get(stored)
                    .is_none_or(|&m| text_of(&out[m]) == Some(d.text.as_str()));
            let hash = if trusted {
                stored.clone()
            } else {
                content_hash(&d.text)
            };
            let m = *by_hash.entry(hash.clone()).or_insert_with(|| {
                out.push(DocMatch {
                    hash,
                    present: vec![None; annotators.len()],
                });
                out.len() - 1
            });
            let slot = &mut out[m].present[k];
            if slot.is_none() {
                *slot = Some(i);
            }
        }
    }
    out
}

/// How a span relates to the other annotators' spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Agreement {
    /// Every annotator who has the document made exactly this span.
    All,
    /// Some annotators made it; nobody made a competing span.
    Some,
    /// Another annotator labelled the same range differently.
    LabelConflict,
    /// Another annotator gave the same label to an overlapping, different range.
    BoundaryConflict,
}

impl Agreement {
    pub fn name(self) -> &'static str {
        match self {
            Agreement::All => "agreed",
            Agreement::Some => "partial",
            Agreement::LabelConflict => "label conflict",
            Agreement::BoundaryConflict => "boundary conflict",
        }
    }
}

/// A distinct span (range and label) across annotators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedSpan {
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub text: String,
    /// Annotator indices that made this span, ascending.
    pub by: Vec<usize>,
    pub agreement: Agreement,
    /// The conflict cluster it belongs to (an index into [`DocComparison::clusters`]); `None`
    /// for agreed spans.
    pub cluster: Option<usize>,
}

/// All annotators' spans of one document, merged.
#[derive(Debug, Clone)]
pub struct DocComparison {
    pub doc: DocMatch,
    /// Sorted by start, longer first, then label.
    pub spans: Vec<MergedSpan>,
    /// Groups of spans (indices into `spans`) that must be decided together: spans linked by a
    /// label or boundary conflict, or a lone partial span. In reading order.
    pub clusters: Vec<Vec<usize>>,
    /// Every distinct relation across annotators (see [`MergedRelation`]), sorted by head, tail
    /// and type.
    pub relations: Vec<MergedRelation>,
}

/// A span's identity across annotators, whose span ids differ: its range and label.
pub type SpanKey = (usize, usize, String);

/// The [`SpanKey`] of span `s`.
pub fn span_key(s: &Span) -> SpanKey {
    (s.start, s.end, s.label.clone())
}

/// How a relation relates to the other annotators' relations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RelationAgreement {
    /// Every annotator who has the document made this relation (same type, same two spans).
    All,
    /// Some annotators made it; nobody made a competing one.
    Some,
    /// Another annotator linked the same two spans with another type.
    TypeConflict,
    /// Another annotator linked the same head span with the same type to another span (e.g. a
    /// claim attributed to another source).
    TargetConflict,
}

impl RelationAgreement {
    pub fn name(self) -> &'static str {
        match self {
            RelationAgreement::All => "agreed",
            RelationAgreement::Some => "partial",
            RelationAgreement::TypeConflict => "type conflict",
            RelationAgreement::TargetConflict => "target conflict",
        }
    }
}

/// A distinct relation across annotators: a relation matches another annotator's when its type
/// and both spans (by range and label) are the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedRelation {
    pub from: SpanKey,
    pub to: SpanKey,
    pub kind: String,
    /// Annotator indices that made this relation, ascending.
    pub by: Vec<usize>,
    pub agreement: RelationAgreement,
}

/// The relations of one matched document across annotators: agreed, partial or conflicting.
fn compare_relations(annotators: &[Annotator<'_>], doc: &DocMatch) -> Vec<MergedRelation> {
    let mut keys: BTreeMap<(SpanKey, SpanKey, String), Vec<usize>> = BTreeMap::new();
    for (k, i) in doc.present.iter().enumerate() {
        let Some(d) = i.and_then(|i| annotators[k].project.documents.get(i)) else {
            continue;
        };
        for r in &d.relations {
            let Some((from, to)) = relation_ends(d, r) else {
                continue;
            };
            let by = keys
                .entry((span_key(from), span_key(to), r.kind.clone()))
                .or_default();
            if by.last() != Some(&k) {
                by.push(k);
            }
        }
    }
    let have = doc.present.iter().filter(|p| p.is_some()).count();
    let mut out: Vec<MergedRelation> = keys
        .into_iter()
        .map(|((from, to, kind), by)| MergedRelation {
            agreement: if by.len() == have {
                RelationAgreement::All
            } else {
                RelationAgreement::Some
            },
            from,
            to,
            kind,
            by,
        })
        .collect();
    let kinds: Vec<RelationAgreement> = out
        .iter()
        .map(|r| {
            if r.agreement == RelationAgreement::All {
                return r.agreement;
            }
            let mut kind = RelationAgreement::Some;
            for o in out.iter().filter(|o| *o != r) {
                if o.from == r.from && o.to == r.to {
                    kind = kind.max(RelationAgreement::TypeConflict);
                } else if o.from == r.from && o.kind == r.kind {
                    kind = kind.max(RelationAgreement::TargetConflict);
                }
            }
            kind
        })
        .collect();
    for (r, k) in out.iter_mut().zip(kinds) {
        r.agreement = k;
    }
    out
}

/// The two spans relation `r` of document `d` links (`None` for a relation that names a span
/// the document lacks, which loading refuses).
pub fn relation_ends<'a>(d: &'a Document, r: &Relation) -> Option<(&'a Span, &'a Span)> {
    Some((d.span(r.from)?, d.span(r.to)?))
}

impl DocComparison {
    /// Number of clusters (decisions) in this document.
    pub fn unresolved(&self) -> usize {
        self.clusters.len()
    }
}

/// Compares one matched document across annotators.
pub fn compare_document(annotators: &[Annotator<'_>], doc: &DocMatch) -> DocComparison {
    // (start, end reversed, label) -> (covered text, annotators); ordered like document spans.
    type Key = (usize, std::cmp::Reverse<usize>, String);
    let mut keys: BTreeMap<Key, (String, Vec<usize>)> = BTreeMap::new();
    for (k, i) in doc.present.iter().enumerate() {
        let Some(d) = i.and_then(|i| annotators[k].project.documents.get(i)) else {
            continue;
        };
        for s in &d.spans {
            let e = keys
                .entry((s.start, std::cmp::Reverse(s.end), s.label.clone()))
                .or_insert_with(|| (s.text.clone(), Vec::new()));
            if e.1.last() != Some(&k) {
                e.1.push(k);
            }
        }
    }
    let have = doc.present.iter().filter(|p| p.is_some()).count();
    let mut spans: Vec<MergedSpan> = keys
        .into_iter()
        .map(|((start, end, label), (text, by))| MergedSpan {
            start,
            end: end.0,
            agreement: if by.len() == have {
                Agreement::All
            } else {
                Agreement::Some
            },
            label,
            text,
            by,
            cluster: None,
        })
        .collect();
    // Link competing spans: same range with another label, or same label on an overlapping range.
    let n = spans.len();
    let mut groups = super::Groups::new(n);
    let mut kinds = vec![Agreement::Some; n];
    for i in 0..n {
        for j in (i + 1)..n {
            if spans[j].start >= spans[i].end {
                break; // sorted by start: no later span overlaps span i
            }
            let (a, b) = (&spans[i], &spans[j]);
            let relation = if a.start == b.start && a.end == b.end {
                Agreement::LabelConflict
            } else if a.label == b.label {
                Agreement::BoundaryConflict
            } else {
                continue;
            };
            let (a_all, b_all) = (a.agreement == Agreement::All, b.agreement == Agreement::All);
            // An agreed span is never in conflict; a partial span competing with it is.
            if !a_all {
                kinds[i] = kinds[i].max(relation);
            }
            if !b_all {
                kinds[j] = kinds[j].max(relation);
            }
            if !a_all && !b_all {
                groups.union(i, j);
            }
        }
    }
    let mut cluster_of: HashMap<usize, usize> = HashMap::new();
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for i in 0..n {
        if spans[i].agreement == Agreement::All {
            continue;
        }
        spans[i].agreement = kinds[i];
        let r = groups.find(i);
        let c = *cluster_of.entry(r).or_insert_with(|| {
            clusters.push(Vec::new());
            clusters.len() - 1
        });
        clusters[c].push(i);
        spans[i].cluster = Some(c);
    }
    DocComparison {
        doc: doc.clone(),
        spans,
        clusters,
        relations: compare_relations(annotators, doc),
    }
}

/// Compares every document any annotator has.
pub fn compare(annotators: &[Annotator<'_>]) -> Vec<DocComparison> {
    match_documents(annotators)
        .iter()
        .map(|m| compare_document(annotators, m))
        .collect()
}

/// The spans of annotator `k` in a document match, if it has the document.
pub fn spans_of<'a>(annotators: &[Annotator<'a>], m: &DocMatch, k: usize) -> Option<&'a [Span]> {
    let i = (*m.present.get(k)?)?;
    Some(&annotators.get(k)?.project.documents.get(i)?.spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markup::project_from_markup;
    use crate::time::Timestamp;
    use std::sync::Arc;

    #[test]
    fn documents_match_by_text_even_when_a_stored_hash_is_wrong() {
        let a =
            project_from_markup("a", &[("x", "One."), ("y", "Two.")], "ana", Timestamp(0)).unwrap();
        let mut b =
            project_from_markup("b", &[("y", "Two."), ("x", "One.")], "ben", Timestamp(0)).unwrap();
        // b's "One." claims the hash of "Two.": it must still match a's "One.", not "Two.".
        Arc::make_mut(&mut b.documents[1]).source.hash = a.documents[1].source.hash.clone();
        let anns = [
            Annotator {
                name: "ana",
                project: &a,
            },
            Annotator {
                name: "ben",
                project: &b,
            },
        ];
        let m = match_documents(&anns);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].present, vec![Some(0), Some(1)]);
        assert_eq!(m[1].present, vec![Some(1), Some(0)]);
    }
}

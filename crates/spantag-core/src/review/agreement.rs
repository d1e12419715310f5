//! Inter-annotator agreement over the documents every project shares (matched by content, see
//! [`match_documents`]): span-level precision/recall/F1 (exact and overlap), token-level kappas
//! and alpha per label layer, a label confusion matrix, relation-level precision/recall/F1
//! (exact and lenient) and per-document figures.
//!
//! Rejected spans (and relations, and relations of rejected spans) are left out (they are not anyone's annotation any more). Undefined figures are
//! [`Figure::Undefined`] or `null`, never NaN. The JSON fields are documented in the README
//! ("Agreement").

use super::compare::{Annotator, match_documents};
use super::metrics::{
    ConfusionMatrix, ConfusionReport, Figure, Layer, LayerAgreement, LayerReport, MatchMode,
    PairReport, PairwiseSpanReport, RelationCounts, RelationRef, SpanCounts, SpanRef, SpanReport,
    mean_scores,
};
use crate::model::{Status, is_band_label};
use rayon::prelude::*;
use serde::Serialize;

/// The entity labels of the default label set ([`crate::model::DEFAULT_LABELS`]).
pub const DEFAULT_ENTITY_LABELS: [&str; 3] = ["actor", "place", "number"];

/// The entity layer the projects' own labels suggest: every label that does not mark a passage
/// ([`is_band_label`]: claims, quotes, sentences), in the order the projects list them. The claim
/// layer is then every other label.
pub fn entity_labels_of(annotators: &[Annotator<'_>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in annotators {
        for l in &a.project.labels {
            if !is_band_label(&l.name) && !out.contains(&l.name) {
                out.push(l.name.clone());
            }
        }
    }
    out
}

/// Everything `spantag agree` reports.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementReport {
    /// Annotator names, in input order (pair indices refer to this list).
    pub annotators: Vec<String>,
    /// Documents every project has (the figures are computed over these).
    pub shared_documents: usize,
    /// Documents left out because some project lacks them.
    pub skipped_documents: usize,
    /// Span-level scores, exact match (same start, end and label).
    pub exact: PairwiseSpanReport,
    /// Span-level scores, overlap match (same label, ranges intersect).
    pub overlap: PairwiseSpanReport,
    /// Token-level agreement per layer: `entities`, then `claims`.
    pub layers: Vec<LayerReport>,
    /// Label confusion over overlapping spans, for every annotator pair.
    pub confusion: Vec<ConfusionPair>,
    /// Relation-level scores (`per_label` holds the relation types).
    pub relations: RelationAgreement,
    /// Per shared document, worst first.
    pub documents: Vec<DocAgreement>,
}

/// Relation-level precision, recall and F1 for every annotator pair.
#[derive(Debug, Clone, Serialize)]
pub struct RelationAgreement {
    /// A relation matches when its type and both spans (range and label) are the same.
    pub exact: PairwiseSpanReport,
    /// A relation matches when its type is the same and both spans overlap their counterparts
    /// with the same labels (one-to-one, the most pairs possible).
    pub lenient: PairwiseSpanReport,
}

/// Confusion matrix of one annotator pair (`a` is the row annotator).
#[derive(Debug, Clone, Serialize)]
pub struct ConfusionPair {
    pub a: usize,
    pub b: usize,
    pub matrix: ConfusionReport,
}

/// Figures for one shared document (mean over annotator pairs for 3+ annotators).
#[derive(Debug, Clone, Serialize)]
pub struct DocAgreement {
    /// The first project's document id.
    pub id: String,
    pub title: String,
    /// Micro F1, exact match; `null` when nobody marked a span.
    pub exact_f1: Option<f64>,
    /// Micro F1, overlap match; `null` when nobody marked a span.
    pub overlap_f1: Option<f64>,
    /// Cohen's kappa (mean pairwise for 3+) over the document's tokens, entity layer.
    pub entity_kappa: Figure,
    /// Relation F1, exact match; `null` when nobody made a relation.
    pub relation_f1: Option<f64>,
}

fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0_u32);
    for v in values.flatten() {
        sum += v;
        n += 1;
    }
    (n > 0).then(|| sum / f64::from(n))
}

fn pairwise_report(
    counts: &[(usize, usize, SpanReport)],
    mode: MatchMode,
    n: usize,
) -> PairwiseSpanReport {
    let pairs: Vec<PairReport> = counts
        .iter()
        .map(|(a, b, r)| PairReport {
            a: *a,
            b: *b,
            report: r.clone(),
        })
        .collect();
    let reports: Vec<_> = pairs.iter().map(|p| p.report.clone()).collect();
    PairwiseSpanReport {
        mode,
        annotators: n,
        mean: mean_scores(&reports),
        pairs,
    }
}

/// Finds the tokens of `docs` (cached in each document) on all cores; the first use of a
/// document's tokens is most of the cost of a first agreement run.
fn tokenize_in_parallel(docs: &[&crate::model::Document]) {
    // A few documents are tokenized faster than the pool is woken.
    if docs.len() < 64 {
        return;
    }
    docs.par_iter().with_min_len(8).for_each(|d| {
        d.index();
    });
}

/// Agreement of `annotators` over the documents they all share. `entity_labels` form the entity
/// layer; every other label of the projects' label sets forms the claim layer.
pub fn agreement(annotators: &[Annotator<'_>], entity_labels: &[&str]) -> AgreementReport {
    let n = annotators.len();
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .collect();
    let mut claim_labels: Vec<&str> = Vec::new();
    for a in annotators {
        for l in &a.project.labels {
            let l = l.name.as_str();
            if !entity_labels.contains(&l) && !claim_labels.contains(&l) {
                claim_labels.push(l);
            }
        }
    }
    let entity_layer = Layer::new("entities", entity_labels);
    let mut layers = vec![
        LayerAgreement::new(entity_layer.clone(), n),
        LayerAgreement::new(Layer::new("claims", &claim_labels), n),
    ];
    let mut exact: Vec<_> = pairs
        .iter()
        .map(|&(a, b)| (a, b, SpanCounts::new(MatchMode::Exact)))
        .collect();
    let mut overlap: Vec<_> = pairs
        .iter()
        .map(|&(a, b)| (a, b, SpanCounts::new(MatchMode::Overlap)))
        .collect();
    let mut confusion: Vec<_> = pairs
        .iter()
        .map(|&(a, b)| (a, b, ConfusionMatrix::new()))
        .collect();
    let mut rel_exact: Vec<_> = pairs
        .iter()
        .map(|&(a, b)| (a, b, RelationCounts::new(MatchMode::Exact)))
        .collect();
    let mut rel_lenient: Vec<_> = pairs
        .iter()
        .map(|&(a, b)| (a, b, RelationCounts::new(MatchMode::Overlap)))
        .collect();
    let mut documents = Vec::new();
    let (mut shared, mut skipped) = (0, 0);
    let mut tokens: Vec<(usize, usize)> = Vec::new();
    let matches = match_documents(annotators);
    tokenize_in_parallel(
        &matches
            .iter()
            .filter(|m| m.shared())
            .filter_map(|m| m.document(annotators))
            .collect::<Vec<_>>(),
    );
    for m in matches {
        if !m.shared() {
            skipped += 1;
            continue;
        }
        let Some(doc) = m.document(annotators) else {
            skipped += 1;
            continue;
        };
        shared += 1;
        let spans: Vec<Vec<SpanRef<'_>>> = m
            .present
            .iter()
            .zip(annotators)
            .map(|(i, a)| {
                i.and_then(|i| a.project.documents.get(i))
                    .map(|d| {
                        d.spans
                            .iter()
                            .filter(|s| s.status != Status::Rejected)
                            .map(|s| SpanRef::new(s.start, s.end, &s.label))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let relations: Vec<Vec<RelationRef<'_>>> = m
            .present
            .iter()
            .zip(annotators)
            .map(|(i, a)| {
                i.and_then(|i| a.project.documents.get(i))
                    .map(|d| relation_refs(d))
                    .unwrap_or_default()
            })
            .collect();
        tokens.clear();
        tokens.extend(doc.index().tokens().iter().map(|r| (r.start, r.end)));
        let per_rater: Vec<Option<&[SpanRef<'_>]>> =
            spans.iter().map(|s| Some(s.as_slice())).collect();
        for layer in &mut layers {
            // Rater counts always match: one column per annotator.
            let _ = layer.add_document(&tokens, &per_rater);
        }
        let mut doc_layer = LayerAgreement::new(entity_layer.clone(), n);
        let _ = doc_layer.add_document(&tokens, &per_rater);
        let mut exact_f1 = Vec::new();
        let mut overlap_f1 = Vec::new();
        let mut relation_f1 = Vec::new();
        for k in 0..pairs.len() {
            let (a, b) = pairs[k];
            let e = SpanCounts::for_document(&spans[a], &spans[b], MatchMode::Exact);
            let o = SpanCounts::for_document(&spans[a], &spans[b], MatchMode::Overlap);
            exact_f1.push(e.micro().f1());
            overlap_f1.push(o.micro().f1());
            let _ = exact[k].2.merge(&e);
            let _ = overlap[k].2.merge(&o);
            confusion[k].2.add_document(&spans[a], &spans[b]);
            let re = RelationCounts::for_document(&relations[a], &relations[b], MatchMode::Exact);
            relation_f1.push(re.micro().f1());
            rel_exact[k].2.merge(&re);
            rel_lenient[k].2.add_document(&relations[a], &relations[b]);
        }
        documents.push(DocAgreement {
            id: doc.id.clone(),
            title: doc.title.clone(),
            exact_f1: mean(exact_f1.into_iter()),
            overlap_f1: mean(overlap_f1.into_iter()),
            entity_kappa: doc_layer.ratings().mean_pairwise_cohen_kappa(),
            relation_f1: mean(relation_f1.into_iter()),
        });
    }
    // Worst first; documents without a defined F1 (nothing marked by anyone) last.
    let key = |d: &DocAgreement| {
        (
            d.exact_f1.unwrap_or(f64::INFINITY),
            d.overlap_f1.unwrap_or(f64::INFINITY),
        )
    };
    documents.sort_by(|x, y| {
        key(x)
            .partial_cmp(&key(y))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    AgreementReport {
        annotators: annotators.iter().map(|a| a.name.to_owned()).collect(),
        shared_documents: shared,
        skipped_documents: skipped,
        exact: pairwise_report(&reports(&exact), MatchMode::Exact, n),
        overlap: pairwise_report(&reports(&overlap), MatchMode::Overlap, n),
        relations: RelationAgreement {
            exact: pairwise_report(&relation_reports(&rel_exact), MatchMode::Exact, n),
            lenient: pairwise_report(&relation_reports(&rel_lenient), MatchMode::Overlap, n),
        },
        layers: layers.iter().map(LayerAgreement::report).collect(),
        confusion: confusion
            .iter()
            .map(|(a, b, c)| ConfusionPair {
                a: *a,
                b: *b,
                matrix: c.report(),
            })
            .collect(),
        documents,
    }
}

fn reports(counts: &[(usize, usize, SpanCounts)]) -> Vec<(usize, usize, SpanReport)> {
    counts
        .iter()
        .map(|(a, b, c)| (*a, *b, c.report()))
        .collect()
}

fn relation_reports(counts: &[(usize, usize, RelationCounts)]) -> Vec<(usize, usize, SpanReport)> {
    counts
        .iter()
        .map(|(a, b, c)| (*a, *b, c.report()))
        .collect()
}

/// The relations of a document as the metrics see them: type and both spans; rejected
/// relations, and relations of rejected spans, are left out.
pub fn relation_refs(d: &crate::model::Document) -> Vec<RelationRef<'_>> {
    d.relations
        .iter()
        .filter(|r| r.status != Status::Rejected)
        .filter_map(|r| {
            let (from, to) = super::compare::relation_ends(d, r)?;
            if from.status == Status::Rejected || to.status == Status::Rejected {
                return None;
            }
            Some(RelationRef::new(
                &r.kind,
                SpanRef::new(from.start, from.end, &from.label),
                SpanRef::new(to.start, to.end, &to.label),
            ))
        })
        .collect()
}

//! k-fold cross-validation of the suggesters over a project's documents.
//!
//! The annotated documents (done, or holding a teaching span) are dealt into `k` folds in
//! project order (document `i` into fold `i mod k`). For each fold the suggesters are trained on
//! the other folds and run on the fold's documents as if they had no spans; a suggestion is
//! right when a teaching span has exactly its range and label. Precision, recall and F1 are
//! summed over the folds (micro-averaged), per suggester and label, and for all suggesters
//! together ("all": one suggestion per range and label, whoever proposed it).

use super::{Options, SuggesterKind, Suggesters, teaches};
use crate::model::{Document, Project, is_band_label};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EvalError {
    #[error("cross-validation needs at least 2 folds, not {0}")]
    TooFewFolds(usize),
    #[error(
        "{folds} folds need at least {folds} annotated documents (done, or with spans); the project has {documents}"
    )]
    TooFewDocuments { folds: usize, documents: usize },
}

/// Counts and figures of one suggester (or "all") for one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub suggester: String,
    pub label: String,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    /// `None` when undefined (nothing suggested, or nothing to find).
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

/// The result of a cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub folds: usize,
    pub documents: usize,
    pub min_score: f64,
    /// Teaching spans in the annotated documents.
    pub spans: usize,
    pub rows: Vec<Row>,
}

type Counts = BTreeMap<(String, String), [usize; 3]>;

/// Cross-validates the suggesters of `options` over `project` with `folds` folds, counting
/// suggestions scored at least `min_score`.
pub fn evaluate(
    project: &Project,
    options: &Options,
    folds: usize,
    min_score: f64,
) -> Result<Evaluation, EvalError> {
    if folds < 2 {
        return Err(EvalError::TooFewFolds(folds));
    }
    let docs: Vec<&Document> = project
        .documents
        .iter()
        .map(|d| d.as_ref())
        .filter(|d| d.done || d.spans.iter().any(teaches))
        .collect();
    if docs.len() < folds {
        return Err(EvalError::TooFewDocuments {
            folds,
            documents: docs.len(),
        });
    }
    let labels: Vec<String> = project.labels.iter().map(|l| l.name.clone()).collect();
    let per_fold: Vec<Counts> = (0..folds)
        .into_par_iter()
        .map(|fold| {
            let train: Vec<&Document> = docs
                .iter()
                .enumerate()
                .filter(|(i, _)| i % folds != fold)
                .map(|(_, d)| *d)
                .collect();
            let suggesters = Suggesters::train_on(project, &train, options);
            let mut counts = Counts::new();
            for (_, doc) in docs.iter().enumerate().filter(|(i, _)| i % folds == fold) {
                count_doc(&suggesters, doc, &labels, min_score, &mut counts);
            }
            counts
        })
        .collect();
    let mut total = Counts::new();
    for c in per_fold {
        for (k, v) in c {
            let t = total.entry(k).or_default();
            for i in 0..3 {
                t[i] += v[i];
            }
        }
    }
    let spans = docs
        .iter()
        .map(|d| d.spans.iter().filter(|s| teaches(s)).count())
        .sum();
    let rows = total
        .into_iter()
        .map(|((suggester, label), [tp, fp, fn_])| {
            let precision = (tp + fp > 0).then(|| tp as f64 / (tp + fp) as f64);
            let recall = (tp + fn_ > 0).then(|| tp as f64 / (tp + fn_) as f64);
            let f1 = (tp + fp + fn_ > 0).then(|| 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64);
            Row {
                suggester,
                label,
                true_positives: tp,
                false_positives: fp,
                false_negatives: fn_,
                precision,
                recall,
                f1,
            }
        })
        .collect();
    Ok(Evaluation {
        folds,
        documents: docs.len(),
        min_score,
        spans,
        rows,
    })
}

fn count_doc(
    suggesters: &Suggesters,
    doc: &Document,
    labels: &[String],
    min_score: f64,
    counts: &mut Counts,
) {
    let gold: BTreeSet<(usize, usize, &str)> = doc
        .spans
        .iter()
        .filter(|s| teaches(s))
        .map(|s| (s.start, s.end, s.label.as_str()))
        .collect();
    let mut all: BTreeSet<(usize, usize, String)> = BTreeSet::new();
    for s in suggesters.all() {
        let kind = s.kind();
        let predicted: BTreeSet<(usize, usize, String)> = s
            .suggest_raw(doc)
            .into_iter()
            .filter(|x| x.score >= min_score && labels.contains(&x.label))
            .map(|x| (x.start, x.end, x.label))
            .collect();
        let own_labels: Vec<&String> = labels
            .iter()
            .filter(|l| match kind {
                SuggesterKind::Numbers => {
                    suggesters.numbers.as_ref().is_some_and(|n| &n.label == *l)
                }
                SuggesterKind::Gazetteer => !is_band_label(l),
                SuggesterKind::Model => true,
            })
            .collect();
        tally(kind.name(), &own_labels, &predicted, &gold, counts);
        all.extend(predicted);
    }
    let every: Vec<&String> = labels.iter().collect();
    tally("all", &every, &all, &gold, counts);
}

fn tally(
    name: &str,
    labels: &[&String],
    predicted: &BTreeSet<(usize, usize, String)>,
    gold: &BTreeSet<(usize, usize, &str)>,
    counts: &mut Counts,
) {
    for label in labels {
        let c = counts
            .entry((name.to_owned(), (*label).clone()))
            .or_default();
        let p: BTreeSet<(usize, usize)> = predicted
            .iter()
            .filter(|x| &&x.2 == label)
            .map(|x| (x.0, x.1))
            .collect();
        let g: BTreeSet<(usize, usize)> = gold
            .iter()
            .filter(|x| x.2 == label.as_str())
            .map(|x| (x.0, x.1))
            .collect();
        let tp = p.intersection(&g).count();
        c[0] += tp;
        c[1] += p.len() - tp;
        c[2] += g.len() - tp;
    }
}

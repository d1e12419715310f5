//! Inter-annotator agreement metrics for spantag.
//!
//! Pure functions and small accumulators over simple inputs. Offsets are
//! Unicode code point offsets, `end` exclusive. Nothing here panics on data,
//! and no figure is ever `NaN`: undefined results are reported as
//! [`Figure::Undefined`] with a reason (or `None` for P/R/F1).
//!
//! # Parts
//!
//! 1. **Span level** ([`match_spans`], [`SpanCounts`], [`PairwiseSpanCounts`]):
//!    precision / recall / F1 of annotator B against annotator A (A is the
//!    reference), per label and micro-averaged, in [`MatchMode::Exact`] or
//!    [`MatchMode::Overlap`] mode. Counts (`tp`, `fp`, `fn`) are summed over
//!    documents, ratios are computed at the end.
//! 2. **Token level** ([`Layer`], [`LayerAgreement`], [`CategoryRatings`],
//!    [`cohen_kappa`], [`fleiss_kappa`], [`krippendorff_alpha_nominal`]):
//!    each token gets one category per annotator within a label layer (`"O"`
//!    when no span of the layer covers it); Cohen's kappa, Fleiss' kappa and
//!    Krippendorff's alpha (nominal) are computed over the pooled tokens.
//! 3. **Confusion matrix** ([`ConfusionMatrix`], [`confusion_pairs`]) of labels
//!    over overlapping spans.
//! 4. **Relation level** ([`RelationRef`], [`RelationCounts`]): precision /
//!    recall / F1 of relations per type, exact (type and both spans equal) or
//!    lenient (type equal, both spans overlap with the same label).
//!
//! One file per part: `spans.rs` (matching, P/R/F1), `tokens.rs` (layers and
//! token categories), `ratings.rs` (kappas and alpha over any categorical
//! ratings), `confusion.rs`, `relations.rs`; this file holds what they share ([`SpanRef`],
//! [`Figure`] and its reasons, [`AgreeError`]). Every item is re-exported
//! here, so `review::metrics::X` names them all.
//!
//! # JSON field names (stable)
//!
//! * [`Figure`]: a number, or `{"undefined": "<reason>"}`.
//! * [`Scores`]: `{"tp", "fp", "fn", "precision", "recall", "f1"}`; the
//!   ratios are numbers or `null` when undefined (0/0).
//! * [`SpanReport`]: `{"mode": "exact"|"overlap", "documents", "micro":
//!   Scores, "macro_f1", "per_label": {label: Scores}}`.
//! * [`PairwiseSpanReport`]: `{"mode", "annotators", "pairs": [{"a", "b",
//!   "report": SpanReport}], "mean": {"pairs", "precision", "recall", "f1",
//!   "macro_f1", "per_label_f1": {label: number|null}}}`.
//! * [`RatingsReport`]: `{"raters", "items", "complete_items",
//!   "pairable_items", "observed_agreement", "cohen_kappa",
//!   "mean_pairwise_cohen_kappa", "fleiss_kappa", "krippendorff_alpha"}`,
//!   all agreement values being [`Figure`]s.
//! * [`LayerReport`]: `{"layer", "categories": ["O", ...]}` plus the
//!   [`RatingsReport`] fields flattened in.
//! * [`ConfusionMatrix`]: `{"documents", "labels_a", "labels_b", "counts":
//!   {label_a: {label_b: n}}}`; `"(none)"` ([`NONE_LABEL`]) stands for "no
//!   matching span on that side".

mod confusion;
mod ratings;
mod relations;
mod spans;
#[cfg(test)]
mod tests;
mod tokens;

pub use confusion::*;
pub use ratings::*;
pub use relations::*;
pub use spans::*;
pub use tokens::*;

use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

// ===================================================================== basics

/// A span as seen by the metrics: `[start, end)` in code points, plus label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanRef<'a> {
    pub start: usize,
    pub end: usize,
    pub label: &'a str,
}

impl<'a> SpanRef<'a> {
    pub const fn new(start: usize, end: usize, label: &'a str) -> Self {
        Self { start, end, label }
    }

    /// Length in code points (0 for empty or inverted spans).
    pub const fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// True for empty (or inverted) spans; they never overlap anything.
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Number of code points shared by the two ranges.
    pub fn overlap_len(&self, other: &SpanRef<'_>) -> usize {
        self.end
            .min(other.end)
            .saturating_sub(self.start.max(other.start))
    }

    /// `[s1,e1)` and `[s2,e2)` share at least one code point.
    pub fn overlaps(&self, other: &SpanRef<'_>) -> bool {
        self.overlap_len(other) > 0
    }
}

/// Reason: nothing to measure.
pub const NO_ITEMS: &str = "no items";
/// Reason: chance agreement is 1 (every rating is the same category).
pub const NO_VARIATION: &str = "no variation: every item has the same category";
/// Reason: items exist, but none was rated by every rater (Fleiss).
pub const NO_COMPLETE_ITEMS: &str = "no items rated by all raters";
/// Reason: items exist, but none was rated by both raters of the pair (Cohen).
pub const NO_SHARED_ITEMS: &str = "no items rated by both raters";
/// Reason: no item has at least two ratings (Krippendorff).
pub const NO_PAIRABLE_ITEMS: &str = "no items with at least 2 ratings";
/// Reason: agreement needs at least two raters.
pub const FEWER_THAN_TWO_RATERS: &str = "fewer than 2 raters";
/// Reason: Cohen's kappa is a two-rater statistic.
pub const COHEN_NEEDS_TWO_RATERS: &str =
    "cohen's kappa needs exactly 2 raters (see mean_pairwise_cohen_kappa)";
/// Reason: the rater pair does not exist (same rater twice, or out of range).
pub const NO_SUCH_PAIR: &str = "no such rater pair";
/// Reason: no rater pair produced a defined value.
pub const NO_DEFINED_PAIR: &str = "no rater pair has a defined value";
/// Reason: arithmetic produced a non-finite number (should not happen).
pub const NON_FINITE: &str = "non-finite result";

/// A statistic that is either a finite value or undefined with a reason.
///
/// Serializes as a bare number, or as `{"undefined": "<reason>"}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    Value(f64),
    Undefined(&'static str),
}

impl Figure {
    fn finite(v: f64) -> Figure {
        if v.is_finite() {
            Figure::Value(v)
        } else {
            Figure::Undefined(NON_FINITE)
        }
    }

    /// The value, if defined.
    pub fn value(&self) -> Option<f64> {
        match *self {
            Figure::Value(v) => Some(v),
            Figure::Undefined(_) => None,
        }
    }

    /// The reason, if undefined.
    pub fn reason(&self) -> Option<&'static str> {
        match *self {
            Figure::Value(_) => None,
            Figure::Undefined(r) => Some(r),
        }
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Figure::Value(v) => write!(f, "{v:.4}"),
            Figure::Undefined(r) => write!(f, "undefined ({r})"),
        }
    }
}

impl Serialize for Figure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Figure::Value(v) => serializer.serialize_f64(v),
            Figure::Undefined(reason) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("undefined", reason)?;
                map.end()
            }
        }
    }
}

/// Invalid input shapes (never raised for well-formed data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgreeError {
    /// A per-rater / per-annotator slice had the wrong number of entries.
    RaterCount { expected: usize, got: usize },
    /// Raters' category vectors for one document have different lengths.
    LengthMismatch {
        rater: usize,
        expected: usize,
        got: usize,
    },
    /// A category id is not below the declared number of categories.
    CategoryOutOfRange { category: u32, categories: usize },
    /// Merging accumulators built with different match modes.
    ModeMismatch,
}

impl fmt::Display for AgreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgreeError::RaterCount { expected, got } => {
                write!(f, "expected {expected} raters, got {got}")
            }
            AgreeError::LengthMismatch {
                rater,
                expected,
                got,
            } => write!(
                f,
                "rater {rater} has {got} ratings for the document, expected {expected}"
            ),
            AgreeError::CategoryOutOfRange {
                category,
                categories,
            } => write!(
                f,
                "category {category} out of range (only {categories} categories)"
            ),
            AgreeError::ModeMismatch => write!(f, "cannot merge counts of different match modes"),
        }
    }
}

impl std::error::Error for AgreeError {}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn mean_defined(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let (sum, n) = values
        .flatten()
        .fold((0.0_f64, 0_u64), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

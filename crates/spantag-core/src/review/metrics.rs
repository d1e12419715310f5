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

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
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

// ================================================================ span level

/// How a prediction span must relate to a reference span to count as a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// Same `start`, `end` and `label`. Identical duplicate spans are paired
    /// one-to-one (multiset semantics), in index order.
    Exact,
    /// Same label and a non-empty intersection of the ranges, paired
    /// one-to-one by a *maximum* matching per label (see [`match_spans`]).
    Overlap,
}

/// True positive / false positive / false negative counts. Add them across
/// documents (or labels) with `+` / `+=`, then read the ratios.
///
/// JSON: `{"tp", "fp", "fn"}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
}

impl Counts {
    /// `tp / (tp + fp)`; `None` when B has no spans (0/0).
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// `tp / (tp + fn)`; `None` when A has no spans (0/0).
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// `2tp / (2tp + fp + fn)` (the harmonic mean of P and R when both are
    /// defined); `None` only when there are no spans at all. When exactly one
    /// side is empty the F1 is 0.
    pub fn f1(&self) -> Option<f64> {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }

    /// Counts plus ratios, for reporting.
    pub fn scores(&self) -> Scores {
        Scores {
            tp: self.tp,
            fp: self.fp,
            fn_: self.fn_,
            precision: self.precision(),
            recall: self.recall(),
            f1: self.f1(),
        }
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, rhs: Counts) {
        self.tp += rhs.tp;
        self.fp += rhs.fp;
        self.fn_ += rhs.fn_;
    }
}

impl std::ops::Add for Counts {
    type Output = Counts;
    fn add(mut self, rhs: Counts) -> Counts {
        self += rhs;
        self
    }
}

/// Counts with precision / recall / F1 (`null` in JSON when undefined).
///
/// JSON: `{"tp", "fp", "fn", "precision", "recall", "f1"}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

/// Small label interner: labels get dense ids in order of first appearance.
/// Lookup is a linear scan, which beats hashing for the handful of labels a
/// project has (O(labels) per span).
#[derive(Debug, Default, Clone)]
struct Interner {
    labels: Vec<String>,
}

impl Interner {
    fn find(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    fn id(&mut self, label: &str) -> usize {
        if let Some(p) = self.find(label) {
            return p;
        }
        self.labels.push(label.to_owned());
        self.labels.len() - 1
    }

    fn name(&self, id: usize) -> &str {
        self.labels.get(id).map_or("", String::as_str)
    }

    fn len(&self) -> usize {
        self.labels.len()
    }
}

/// (label id, start, end, index)
type Entry = (usize, usize, usize, usize);
/// (end, start, side, index)
type Event = (usize, usize, usize, usize);
/// Min-heap of (end, start, index).
type EndHeap = BinaryHeap<Reverse<(usize, usize, usize)>>;

/// Reusable scratch space for span matching (keeps the per-document work
/// allocation-free once the buffers have grown).
#[derive(Debug, Default, Clone)]
struct Matcher {
    /// Label id of each A / B span.
    ids: [Vec<usize>; 2],
    /// A / B spans as entries sorted by (label id, start, end, index).
    order: [Vec<Entry>; 2],
    /// Spans already consumed by the overlap sweep.
    done: [Vec<bool>; 2],
    by_end: Vec<Event>,
    /// Available (started, unconsumed) spans per side.
    heaps: [EndHeap; 2],
    /// Matched (a index, b index) pairs, sorted.
    pairs: Vec<(usize, usize)>,
    /// Whether each A / B span is in `pairs`.
    matched: [Vec<bool>; 2],
}

fn prepare_side(
    interner: &mut Interner,
    spans: &[SpanRef<'_>],
    ids: &mut Vec<usize>,
    order: &mut Vec<Entry>,
    done: &mut Vec<bool>,
) {
    ids.clear();
    ids.extend(spans.iter().map(|s| interner.id(s.label)));
    order.clear();
    order.extend(
        spans
            .iter()
            .zip(ids.iter())
            .enumerate()
            .map(|(i, (s, &id))| (id, s.start, s.end, i)),
    );
    order.sort_unstable();
    done.clear();
    done.resize(spans.len(), false);
}

/// End (exclusive) of the run of equal label ids starting at `from`.
fn group_end(order: &[Entry], from: usize) -> usize {
    let Some(&(id, ..)) = order.get(from) else {
        return from;
    };
    let mut k = from + 1;
    while k < order.len() && order[k].0 == id {
        k += 1;
    }
    k
}

impl Matcher {
    fn run(
        &mut self,
        interner: &mut Interner,
        a: &[SpanRef<'_>],
        b: &[SpanRef<'_>],
        mode: MatchMode,
    ) {
        let Matcher {
            ids,
            order,
            done,
            by_end,
            heaps,
            pairs,
            matched,
        } = self;
        {
            let [ids_a, ids_b] = ids;
            let [order_a, order_b] = order;
            let [done_a, done_b] = done;
            prepare_side(interner, a, ids_a, order_a, done_a);
            prepare_side(interner, b, ids_b, order_b, done_b);
        }
        pairs.clear();
        let [oa, ob] = &*order;
        let (mut i, mut j) = (0, 0);
        while i < oa.len() && j < ob.len() {
            match oa[i].0.cmp(&ob[j].0) {
                Ordering::Less => i = group_end(oa, i),
                Ordering::Greater => j = group_end(ob, j),
                Ordering::Equal => {
                    let (ie, je) = (group_end(oa, i), group_end(ob, j));
                    let (ga, gb) = (&oa[i..ie], &ob[j..je]);
                    match mode {
                        MatchMode::Exact => exact_group(ga, gb, pairs),
                        MatchMode::Overlap => overlap_group([ga, gb], done, by_end, heaps, pairs),
                    }
                    i = ie;
                    j = je;
                }
            }
        }
        pairs.sort_unstable();
        let [ma, mb] = matched;
        ma.clear();
        ma.resize(a.len(), false);
        mb.clear();
        mb.resize(b.len(), false);
        for &(x, y) in pairs.iter() {
            if let Some(f) = ma.get_mut(x) {
                *f = true;
            }
            if let Some(f) = mb.get_mut(y) {
                *f = true;
            }
        }
    }
}

/// Exact matching of one label group; both lists are sorted by
/// (start, end, index), so a merge walk pairs equal ranges one-to-one.
fn exact_group(ga: &[Entry], gb: &[Entry], pairs: &mut Vec<(usize, usize)>) {
    let (mut i, mut j) = (0, 0);
    while let (Some(&(_, xs, xe, xi)), Some(&(_, ys, ye, yi))) = (ga.get(i), gb.get(j)) {
        match (xs, xe).cmp(&(ys, ye)) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                pairs.push((xi, yi));
                i += 1;
                j += 1;
            }
        }
    }
}

/// Maximum one-to-one matching of overlapping intervals of one label group.
///
/// Sweep: take the not-yet-consumed interval `x` (of either side) with the
/// smallest end (ties: start, side A first, index); if some unconsumed
/// interval of the other side overlaps it, pair `x` with the one of those that
/// ends first (ties: start, index); either way `x` is consumed. Every
/// unconsumed interval ends at or after `x.end`, so "overlaps x" reduces to
/// "starts before x.end", which the per-side min-heaps track in O(log n).
///
/// Why this is a *maximum* matching (exchange argument): let `x` end first
/// and `y` be the earliest-ending interval overlapping it. Take any maximum
/// matching M. If `x` is unmatched in M, re-pair `y` with `x` (size kept). If
/// M pairs `x-y'` and `y-z`, then `z` overlaps `y'` (`y'.start < x.end <=
/// z.end` and `z.start < y.end <= y'.end`), so `x-y, z-y'` is another maximum
/// matching. Hence some maximum matching contains `x-y`; if nothing overlaps
/// `x`, `x` is isolated. Induct on the remaining intervals.
fn overlap_group(
    groups: [&[Entry]; 2],
    done: &mut [Vec<bool>; 2],
    by_end: &mut Vec<Event>,
    heaps: &mut [EndHeap; 2],
    pairs: &mut Vec<(usize, usize)>,
) {
    by_end.clear();
    for (side, g) in groups.iter().enumerate() {
        for &(_, s, e, i) in g.iter() {
            if s < e {
                by_end.push((e, s, side, i));
            }
        }
    }
    by_end.sort_unstable();
    for h in heaps.iter_mut() {
        h.clear();
    }
    // Per side, the group is sorted by start: a pointer admits intervals
    // into the heap once they start before the current end.
    let mut next = [0_usize; 2];
    for &(end, _, side, idx) in by_end.iter() {
        if done[side][idx] {
            continue;
        }
        for (sd, g) in groups.iter().enumerate() {
            while let Some(&(_, s, e, ix)) = g.get(next[sd]) {
                if s >= end {
                    break;
                }
                if s < e {
                    heaps[sd].push(Reverse((e, s, ix)));
                }
                next[sd] += 1;
            }
        }
        done[side][idx] = true;
        let other = 1 - side;
        while let Some(Reverse((_, _, ix))) = heaps[other].pop() {
            if !done[other][ix] {
                done[other][ix] = true;
                pairs.push(if side == 0 { (idx, ix) } else { (ix, idx) });
                break;
            }
        }
    }
}

/// One-to-one pairs `(index in a, index in b)` of matching spans, sorted.
///
/// * [`MatchMode::Exact`]: equal `(start, end, label)`; duplicates pair up in
///   index order.
/// * [`MatchMode::Overlap`]: per label, a maximum bipartite matching of
///   overlapping intervals (the most hits possible with each span used at
///   most once), found by an earliest-end-first sweep in O(n log n); ties are
///   broken by position then index, so the result is deterministic. Which
///   partner a span gets is *not* optimised for overlap size, only the number
///   of pairs is maximal. Empty spans never match.
pub fn match_spans(a: &[SpanRef<'_>], b: &[SpanRef<'_>], mode: MatchMode) -> Vec<(usize, usize)> {
    let mut m = Matcher::default();
    m.run(&mut Interner::default(), a, b, mode);
    m.pairs
}

/// Per-label tally of one side: walks the label-sorted entries.
fn tally(counts: &mut [Counts], order: &[Entry], matched: &[bool], reference: bool) {
    let mut k = 0;
    while let Some(&(id, ..)) = order.get(k) {
        let (mut hit, mut miss) = (0, 0);
        while let Some(&(gid, _, _, idx)) = order.get(k) {
            if gid != id {
                break;
            }
            if matched.get(idx).copied().unwrap_or(false) {
                hit += 1;
            } else {
                miss += 1;
            }
            k += 1;
        }
        if let Some(c) = counts.get_mut(id) {
            if reference {
                c.tp += hit;
                c.fn_ += miss;
            } else {
                c.fp += miss;
            }
        }
    }
}

/// Span-level counts between a reference annotator A and a predicting
/// annotator B, per label, summed over documents.
#[derive(Debug, Clone)]
pub struct SpanCounts {
    mode: MatchMode,
    documents: u64,
    labels: Interner,
    /// Indexed by label id.
    counts: Vec<Counts>,
    matcher: Matcher,
}

impl SpanCounts {
    pub fn new(mode: MatchMode) -> Self {
        Self {
            mode,
            documents: 0,
            labels: Interner::default(),
            counts: Vec::new(),
            matcher: Matcher::default(),
        }
    }

    /// Counts for a single document.
    pub fn for_document(a: &[SpanRef<'_>], b: &[SpanRef<'_>], mode: MatchMode) -> Self {
        let mut c = Self::new(mode);
        c.add_document(a, b);
        c
    }

    pub fn mode(&self) -> MatchMode {
        self.mode
    }

    pub fn documents(&self) -> u64 {
        self.documents
    }

    /// Match one document's spans (see [`match_spans`]) and add the counts:
    /// matched pairs are `tp` of their label, unmatched A spans `fn`,
    /// unmatched B spans `fp`.
    pub fn add_document(&mut self, a: &[SpanRef<'_>], b: &[SpanRef<'_>]) {
        self.matcher.run(&mut self.labels, a, b, self.mode);
        self.documents += 1;
        self.counts.resize(self.labels.len(), Counts::default());
        let m = &self.matcher;
        tally(&mut self.counts, &m.order[0], &m.matched[0], true);
        tally(&mut self.counts, &m.order[1], &m.matched[1], false);
    }

    /// Add another accumulator's counts (same mode required).
    pub fn merge(&mut self, other: &SpanCounts) -> Result<(), AgreeError> {
        if self.mode != other.mode {
            return Err(AgreeError::ModeMismatch);
        }
        self.documents += other.documents;
        for (id, &c) in other.counts.iter().enumerate() {
            let mine = self.labels.id(other.labels.name(id));
            self.counts.resize(self.labels.len(), Counts::default());
            if let Some(m) = self.counts.get_mut(mine) {
                *m += c;
            }
        }
        Ok(())
    }

    /// Counts per label (every label seen on either side), sorted by label.
    pub fn per_label(&self) -> BTreeMap<String, Counts> {
        self.counts
            .iter()
            .enumerate()
            .map(|(id, &c)| (self.labels.name(id).to_owned(), c))
            .collect()
    }

    /// Counts of one label (zero if never seen).
    pub fn label(&self, label: &str) -> Counts {
        self.labels
            .find(label)
            .and_then(|id| self.counts.get(id))
            .copied()
            .unwrap_or_default()
    }

    /// Micro-average: the sum over labels.
    pub fn micro(&self) -> Counts {
        self.counts
            .iter()
            .fold(Counts::default(), |acc, &c| acc + c)
    }

    pub fn report(&self) -> SpanReport {
        let per_label: BTreeMap<String, Scores> = self
            .per_label()
            .into_iter()
            .map(|(l, c)| (l, c.scores()))
            .collect();
        SpanReport {
            mode: self.mode,
            documents: self.documents,
            micro: self.micro().scores(),
            macro_f1: mean_defined(per_label.values().map(|s| s.f1)),
            per_label,
        }
    }
}

/// Span-level report. `macro_f1` is the unweighted mean of the defined
/// per-label F1 values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanReport {
    pub mode: MatchMode,
    pub documents: u64,
    pub micro: Scores,
    pub macro_f1: Option<f64>,
    pub per_label: BTreeMap<String, Scores>,
}

/// Span counts for every annotator pair `(a, b)` with `a < b` (`a` is the
/// reference), for 3+ annotators. Average with [`mean_scores`] /
/// [`PairwiseSpanCounts::report`].
#[derive(Debug, Clone)]
pub struct PairwiseSpanCounts {
    annotators: usize,
    mode: MatchMode,
    pairs: Vec<((usize, usize), SpanCounts)>,
}

impl PairwiseSpanCounts {
    pub fn new(annotators: usize, mode: MatchMode) -> Self {
        let mut pairs = Vec::new();
        for a in 0..annotators {
            for b in a + 1..annotators {
                pairs.push(((a, b), SpanCounts::new(mode)));
            }
        }
        Self {
            annotators,
            mode,
            pairs,
        }
    }

    /// One document; `None` = that annotator did not annotate it, so every
    /// pair involving them skips the document. `Some(&[])` = annotated, no
    /// spans.
    pub fn add_document(
        &mut self,
        per_annotator: &[Option<&[SpanRef<'_>]>],
    ) -> Result<(), AgreeError> {
        if per_annotator.len() != self.annotators {
            return Err(AgreeError::RaterCount {
                expected: self.annotators,
                got: per_annotator.len(),
            });
        }
        for ((a, b), counts) in &mut self.pairs {
            if let (Some(Some(sa)), Some(Some(sb))) = (per_annotator.get(*a), per_annotator.get(*b))
            {
                counts.add_document(sa, sb);
            }
        }
        Ok(())
    }

    /// Counts of pair `(a, b)`, `a < b`.
    pub fn pair(&self, a: usize, b: usize) -> Option<&SpanCounts> {
        self.pairs
            .iter()
            .find(|(p, _)| *p == (a, b))
            .map(|(_, c)| c)
    }

    pub fn report(&self) -> PairwiseSpanReport {
        let pairs: Vec<PairReport> = self
            .pairs
            .iter()
            .map(|&((a, b), ref c)| PairReport {
                a,
                b,
                report: c.report(),
            })
            .collect();
        let reports: Vec<SpanReport> = pairs.iter().map(|p| p.report.clone()).collect();
        PairwiseSpanReport {
            mode: self.mode,
            annotators: self.annotators,
            mean: mean_scores(&reports),
            pairs,
        }
    }
}

/// One annotator pair of a [`PairwiseSpanReport`] (`a` is the reference).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairReport {
    pub a: usize,
    pub b: usize,
    pub report: SpanReport,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairwiseSpanReport {
    pub mode: MatchMode,
    pub annotators: usize,
    pub pairs: Vec<PairReport>,
    pub mean: MeanScores,
}

/// Means over annotator pairs. Each value is the mean over the pairs where it
/// is defined (`None` if it is defined for none). F1 is symmetric in the pair,
/// precision/recall are taken with the lower-numbered annotator as reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeanScores {
    pub pairs: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub macro_f1: Option<f64>,
    pub per_label_f1: BTreeMap<String, Option<f64>>,
}

/// Average pairwise span reports (micro P/R/F1, macro F1 and per-label F1).
pub fn mean_scores(reports: &[SpanReport]) -> MeanScores {
    let labels: BTreeSet<&String> = reports.iter().flat_map(|r| r.per_label.keys()).collect();
    let per_label_f1 = labels
        .into_iter()
        .map(|l| {
            let m = mean_defined(
                reports
                    .iter()
                    .map(|r| r.per_label.get(l).and_then(|s| s.f1)),
            );
            (l.clone(), m)
        })
        .collect();
    MeanScores {
        pairs: reports.len(),
        precision: mean_defined(reports.iter().map(|r| r.micro.precision)),
        recall: mean_defined(reports.iter().map(|r| r.micro.recall)),
        f1: mean_defined(reports.iter().map(|r| r.micro.f1)),
        macro_f1: mean_defined(reports.iter().map(|r| r.macro_f1)),
        per_label_f1,
    }
}

// ========================================================== confusion matrix

/// Label used for "no matching span on this side" in the confusion matrix.
pub const NONE_LABEL: &str = "(none)";

/// (Reverse(overlap), a.start, a.end, b.start, b.end, a index, b index)
type Candidate = (Reverse<usize>, usize, usize, usize, usize, usize, usize);

#[derive(Debug, Default, Clone)]
struct ConfusionScratch {
    matcher: Matcher,
    matched: [Vec<bool>; 2],
    events: Vec<(usize, usize, usize)>,
    active: [Vec<usize>; 2],
    candidates: Vec<Candidate>,
    pairs: Vec<(usize, usize)>,
}

impl ConfusionScratch {
    fn run(&mut self, interner: &mut Interner, a: &[SpanRef<'_>], b: &[SpanRef<'_>]) {
        // Stage 1: same label, maximum matching (identical to Overlap mode).
        self.matcher.run(interner, a, b, MatchMode::Overlap);
        self.pairs.clear();
        self.pairs.extend_from_slice(&self.matcher.pairs);
        for (mine, theirs) in self.matched.iter_mut().zip(&self.matcher.matched) {
            mine.clear();
            mine.extend_from_slice(theirs);
        }
        // Stage 2: leftovers of different labels, greedy by largest overlap.
        // Candidate pairs come from an interval join sweep by start.
        let spans = [a, b];
        self.events.clear();
        for (side, (s, m)) in spans.iter().zip(&self.matched).enumerate() {
            for (i, (sp, &done)) in s.iter().zip(m).enumerate() {
                if !done && !sp.is_empty() {
                    self.events.push((sp.start, side, i));
                }
            }
        }
        if self.events.is_empty() {
            return;
        }
        self.events.sort_unstable();
        for v in &mut self.active {
            v.clear();
        }
        self.candidates.clear();
        for &(start, side, idx) in &self.events {
            let other = 1 - side;
            let other_spans = spans[other];
            self.active[other].retain(|&k| other_spans.get(k).is_some_and(|s| s.end > start));
            for &k in &self.active[other] {
                let (ai, bi) = if side == 0 { (idx, k) } else { (k, idx) };
                if let (Some(x), Some(y)) = (a.get(ai), b.get(bi)) {
                    self.candidates.push((
                        Reverse(x.overlap_len(y)),
                        x.start,
                        x.end,
                        y.start,
                        y.end,
                        ai,
                        bi,
                    ));
                }
            }
            self.active[side].push(idx);
        }
        self.candidates.sort_unstable();
        let [ma, mb] = &mut self.matched;
        for &(_, _, _, _, _, ai, bi) in &self.candidates {
            if let (Some(fa), Some(fb)) = (ma.get_mut(ai), mb.get_mut(bi))
                && !*fa
                && !*fb
            {
                *fa = true;
                *fb = true;
                self.pairs.push((ai, bi));
            }
        }
        self.pairs.sort_unstable();
    }
}

/// One-to-one pairs `(index in a, index in b)` of overlapping spans used by
/// the confusion matrix, sorted.
///
/// Policy: (1) same-label pairs first, using the same maximum matching as
/// [`MatchMode::Overlap`] (so the diagonal of the matrix equals the overlap
/// `tp`); (2) among the spans left over, cross-label pairs greedily by
/// largest overlap (ties: A start, A end, B start, B end, indices). Stage 2 is
/// maximal, not maximum. Empty spans are never paired.
pub fn confusion_pairs(a: &[SpanRef<'_>], b: &[SpanRef<'_>]) -> Vec<(usize, usize)> {
    let mut s = ConfusionScratch::default();
    s.run(&mut Interner::default(), a, b);
    s.pairs
}

/// Label confusion counts over span pairs from [`confusion_pairs`], summed
/// over documents. An A span without partner counts as
/// `(label_a, "(none)")`, a B span without partner as `("(none)", label_b)`.
///
/// Serializes as its [`ConfusionReport`].
#[derive(Debug, Clone, Default)]
pub struct ConfusionMatrix {
    documents: u64,
    labels: Interner,
    /// `cells[a][b]`, index 0 = `(none)`, `id + 1` = label id.
    cells: Vec<Vec<u64>>,
    scratch: ConfusionScratch,
}

impl ConfusionMatrix {
    pub fn new() -> Self {
        Self::default()
    }

    /// Matrix of a single document.
    pub fn for_document(a: &[SpanRef<'_>], b: &[SpanRef<'_>]) -> Self {
        let mut m = Self::new();
        m.add_document(a, b);
        m
    }

    fn bump(&mut self, row: usize, col: usize, n: u64) {
        if self.cells.len() <= row {
            self.cells.resize_with(row + 1, Vec::new);
        }
        if let Some(r) = self.cells.get_mut(row) {
            if r.len() <= col {
                r.resize(col + 1, 0);
            }
            if let Some(c) = r.get_mut(col) {
                *c += n;
            }
        }
    }

    pub fn add_document(&mut self, a: &[SpanRef<'_>], b: &[SpanRef<'_>]) {
        self.documents += 1;
        let mut s = std::mem::take(&mut self.scratch);
        s.run(&mut self.labels, a, b);
        let [ids_a, ids_b] = &s.matcher.ids;
        for &(i, j) in &s.pairs {
            if let (Some(&x), Some(&y)) = (ids_a.get(i), ids_b.get(j)) {
                self.bump(x + 1, y + 1, 1);
            }
        }
        for (&x, &m) in ids_a.iter().zip(&s.matched[0]) {
            if !m {
                self.bump(x + 1, 0, 1);
            }
        }
        for (&y, &m) in ids_b.iter().zip(&s.matched[1]) {
            if !m {
                self.bump(0, y + 1, 1);
            }
        }
        self.scratch = s;
    }

    fn slot_name(&self, slot: usize) -> &str {
        match slot.checked_sub(1) {
            None => NONE_LABEL,
            Some(id) => self.labels.name(id),
        }
    }

    fn slot(&self, label: &str) -> Option<usize> {
        if label == NONE_LABEL {
            Some(0)
        } else {
            self.labels.find(label).map(|id| id + 1)
        }
    }

    pub fn merge(&mut self, other: &ConfusionMatrix) {
        self.documents += other.documents;
        for (r, row) in other.cells.iter().enumerate() {
            for (c, &n) in row.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                let map = |m: &mut Self, slot: usize| match slot.checked_sub(1) {
                    None => 0,
                    Some(id) => m.labels.id(other.labels.name(id)) + 1,
                };
                let (mr, mc) = (map(self, r), map(self, c));
                self.bump(mr, mc, n);
            }
        }
    }

    pub fn documents(&self) -> u64 {
        self.documents
    }

    /// Count of (label of A, label of B); either may be `"(none)"`.
    pub fn get(&self, label_a: &str, label_b: &str) -> u64 {
        match (self.slot(label_a), self.slot(label_b)) {
            (Some(r), Some(c)) => self
                .cells
                .get(r)
                .and_then(|row| row.get(c))
                .copied()
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// Sum of all cells (= matched pairs + unmatched spans of both sides).
    pub fn total(&self) -> u64 {
        self.cells.iter().flatten().sum()
    }

    /// Sorted labels and nested count maps (only non-zero cells).
    pub fn report(&self) -> ConfusionReport {
        let mut labels_a = BTreeSet::new();
        let mut labels_b = BTreeSet::new();
        let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for (r, row) in self.cells.iter().enumerate() {
            for (c, &n) in row.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                let (la, lb) = (self.slot_name(r), self.slot_name(c));
                labels_a.insert(la.to_owned());
                labels_b.insert(lb.to_owned());
                counts
                    .entry(la.to_owned())
                    .or_default()
                    .insert(lb.to_owned(), n);
            }
        }
        ConfusionReport {
            documents: self.documents,
            labels_a: labels_a.into_iter().collect(),
            labels_b: labels_b.into_iter().collect(),
            counts,
        }
    }
}

impl Serialize for ConfusionMatrix {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.report().serialize(serializer)
    }
}

/// Confusion matrix for reporting. `labels_a` are the rows (A's labels, plus
/// `"(none)"` if some B span was unpaired), `labels_b` the columns, both
/// sorted; `counts[label_a][label_b]` lists non-zero cells only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfusionReport {
    pub documents: u64,
    pub labels_a: Vec<String>,
    pub labels_b: Vec<String>,
    pub counts: BTreeMap<String, BTreeMap<String, u64>>,
}

// =============================================================== token level

/// Category name of tokens not covered by any span of the layer (id 0).
pub const OUTSIDE: &str = "O";

/// A label layer: the labels that compete for tokens (e.g. entities
/// `{actor, place, number}` vs claims `{claim}`). Category ids: 0 = `"O"`,
/// `i + 1` = `labels[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layer {
    name: String,
    labels: Vec<String>,
}

#[derive(Debug, Default, Clone)]
struct TokenScratch {
    /// (start, Reverse(end), category) of the layer's non-empty spans, sorted.
    spans: Vec<(usize, Reverse<usize>, u32)>,
    order: Vec<usize>,
}

impl Layer {
    /// Duplicate labels and the label `"O"` are ignored (a span labelled `"O"`
    /// is treated as outside).
    pub fn new(name: &str, labels: &[&str]) -> Self {
        let mut out: Vec<String> = Vec::with_capacity(labels.len());
        for &l in labels {
            if l != OUTSIDE && !out.iter().any(|x| x == l) {
                out.push(l.to_owned());
            }
        }
        Self {
            name: name.to_owned(),
            labels: out,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// `labels.len() + 1` (for `"O"`).
    pub fn n_categories(&self) -> usize {
        self.labels.len() + 1
    }

    /// Category id of a label, `None` if the label is not in the layer.
    pub fn category_of(&self, label: &str) -> Option<u32> {
        let p = self.labels.iter().position(|l| l == label)?;
        u32::try_from(p + 1).ok()
    }

    /// Name of a category id (`"O"` for 0).
    pub fn category_name(&self, category: u32) -> Option<&str> {
        match category {
            0 => Some(OUTSIDE),
            c => self
                .labels
                .get(usize::try_from(c).ok()?.checked_sub(1)?)
                .map(String::as_str),
        }
    }

    /// `["O", labels...]`, indexed by category id.
    pub fn category_names(&self) -> Vec<String> {
        std::iter::once(OUTSIDE.to_owned())
            .chain(self.labels.iter().cloned())
            .collect()
    }

    /// Category id of every token for one annotator.
    ///
    /// A token `[ts, te)` is *covered* by a span when they share at least one
    /// code point (so a span boundary inside a token still labels it). When
    /// several spans of the layer cover a token, the one starting earliest
    /// wins, ties by longest (largest end), then by layer order of the label.
    /// Spans with labels outside the layer, empty spans and empty tokens are
    /// ignored (`"O"`). O((spans) log(spans) + tokens) when tokens are sorted
    /// by start (unsorted tokens are sorted internally first).
    pub fn assign_tokens(&self, tokens: &[(usize, usize)], spans: &[SpanRef<'_>]) -> Vec<u32> {
        let mut out = Vec::with_capacity(tokens.len());
        self.assign_into(tokens, spans, &mut out, &mut TokenScratch::default());
        out
    }

    fn assign_into(
        &self,
        tokens: &[(usize, usize)],
        spans: &[SpanRef<'_>],
        out: &mut Vec<u32>,
        scratch: &mut TokenScratch,
    ) {
        let TokenScratch {
            spans: sorted,
            order,
        } = scratch;
        sorted.clear();
        for s in spans {
            if s.start < s.end
                && let Some(c) = self.category_of(s.label)
            {
                sorted.push((s.start, Reverse(s.end), c));
            }
        }
        sorted.sort_unstable();
        out.clear();
        out.resize(tokens.len(), 0);
        if sorted.is_empty() {
            return;
        }
        if tokens.is_sorted_by_key(|t| t.0) {
            paint(tokens, 0..tokens.len(), sorted, out);
        } else {
            order.clear();
            order.extend(0..tokens.len());
            order.sort_by_key(|&i| tokens[i].0);
            paint(tokens, order.iter().copied(), sorted, out);
        }
    }
}

/// `sorted` is in priority order (start asc, end desc, category). Visiting
/// tokens by increasing start, a span that has ended before a token starts
/// is dead for all later tokens, so a single front pointer skips dead spans;
/// the front span is then the highest-priority live one, and it covers the
/// token iff it starts before the token ends (all later spans start later).
fn paint(
    tokens: &[(usize, usize)],
    order: impl Iterator<Item = usize>,
    sorted: &[(usize, Reverse<usize>, u32)],
    out: &mut [u32],
) {
    let mut front = 0;
    for ti in order {
        let Some(&(ts, te)) = tokens.get(ti) else {
            continue;
        };
        if ts >= te {
            continue;
        }
        while let Some(&(_, Reverse(end), _)) = sorted.get(front) {
            if end <= ts {
                front += 1;
            } else {
                break;
            }
        }
        if let Some(&(start, _, cat)) = sorted.get(front)
            && start < te
            && let Some(o) = out.get_mut(ti)
        {
            *o = cat;
        }
    }
}

/// Sufficient statistics of nominal ratings (items x raters, category ids
/// `0..categories`, `None` = missing), accumulated item by item. All counts
/// are integers, so pooling millions of tokens loses no precision.
///
/// * Cohen's kappa (per rater pair) uses the items both raters rated.
/// * Fleiss' kappa uses the items rated by all raters.
/// * Krippendorff's alpha uses every item with at least 2 ratings.
///
/// Memory: `raters*(raters-1)/2` contingency tables of `categories^2` cells.
#[derive(Debug, Clone)]
pub struct CategoryRatings {
    raters: usize,
    categories: usize,
    items: u64,
    complete_items: u64,
    /// Sum over complete items of sum over categories of n_ic^2.
    complete_sum_sq: u64,
    complete_totals: Vec<u64>,
    pairable_items: u64,
    pairable_totals: Vec<u64>,
    /// Index m: sum over pairable items with m ratings of (m^2 - sum_c n_uc^2).
    disagreements_by_m: Vec<u64>,
    /// Pair (i, j), i < j, in row-major pair order; cell `ci * categories + cj`.
    pair_tables: Vec<Vec<u64>>,
    item_buf: Vec<Option<u32>>,
    doc_table: Vec<u64>,
}

impl CategoryRatings {
    pub fn new(raters: usize, categories: usize) -> Self {
        let n_pairs = raters * raters.saturating_sub(1) / 2;
        Self {
            raters,
            categories,
            items: 0,
            complete_items: 0,
            complete_sum_sq: 0,
            complete_totals: vec![0; categories],
            pairable_items: 0,
            pairable_totals: vec![0; categories],
            disagreements_by_m: vec![0; raters + 1],
            pair_tables: vec![vec![0; categories * categories]; n_pairs],
            item_buf: Vec::with_capacity(raters),
            doc_table: Vec::new(),
        }
    }

    pub fn raters(&self) -> usize {
        self.raters
    }

    pub fn categories(&self) -> usize {
        self.categories
    }

    /// Items pushed (including ones with fewer than 2 ratings).
    pub fn items(&self) -> u64 {
        self.items
    }

    /// Items rated by every rater.
    pub fn complete_items(&self) -> u64 {
        self.complete_items
    }

    /// Items with at least 2 ratings.
    pub fn pairable_items(&self) -> u64 {
        self.pairable_items
    }

    fn check(&self, category: u32) -> Result<(), AgreeError> {
        if usize::try_from(category).is_ok_and(|c| c < self.categories) {
            Ok(())
        } else {
            Err(AgreeError::CategoryOutOfRange {
                category,
                categories: self.categories,
            })
        }
    }

    /// One item: `ratings[r]` is rater `r`'s category, `None` if missing.
    pub fn push_item(&mut self, ratings: &[Option<u32>]) -> Result<(), AgreeError> {
        if ratings.len() != self.raters {
            return Err(AgreeError::RaterCount {
                expected: self.raters,
                got: ratings.len(),
            });
        }
        for &c in ratings.iter().flatten() {
            self.check(c)?;
        }
        self.record(ratings);
        Ok(())
    }

    /// One document: `per_rater[r]` is rater `r`'s category per token (all of
    /// equal length), `None` if the rater did not annotate the document (the
    /// tokens then have a missing rating). Validated before anything is added.
    pub fn add_document(&mut self, per_rater: &[Option<&[u32]>]) -> Result<(), AgreeError> {
        if per_rater.len() != self.raters {
            return Err(AgreeError::RaterCount {
                expected: self.raters,
                got: per_rater.len(),
            });
        }
        let mut len = None;
        for (rater, col) in per_rater.iter().enumerate() {
            let Some(col) = col else { continue };
            match len {
                None => len = Some(col.len()),
                Some(expected) if expected != col.len() => {
                    return Err(AgreeError::LengthMismatch {
                        rater,
                        expected,
                        got: col.len(),
                    });
                }
                Some(_) => {}
            }
            for &c in col.iter() {
                self.check(c)?;
            }
        }
        let Some(len) = len else { return Ok(()) };
        if let [Some(a), Some(b)] = per_rater {
            self.add_pair_columns(a, b);
            return Ok(());
        }
        let mut item = std::mem::take(&mut self.item_buf);
        for t in 0..len {
            item.clear();
            item.extend(per_rater.iter().map(|c| c.and_then(|c| c.get(t).copied())));
            self.record(&item);
        }
        self.item_buf = item;
        Ok(())
    }

    /// Fast path for 2 raters who both rated every token of a document
    /// (categories already validated): count a per-document contingency
    /// table, then fold it into the aggregates in O(categories^2). Gives
    /// exactly the same statistics as calling `record` per item.
    fn add_pair_columns(&mut self, a: &[u32], b: &[u32]) {
        let k = self.categories;
        let mut table = std::mem::take(&mut self.doc_table);
        table.clear();
        table.resize(k * k, 0);
        for (&x, &y) in a.iter().zip(b) {
            if let Some(c) = table.get_mut(x as usize * k + y as usize) {
                *c += 1;
            }
        }
        for (cell, &n) in table.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let (x, y) = (cell / k, cell % k);
            // per item: m = 2, sum_c n_uc^2 = 4 if x == y else 2
            let sum_sq = if x == y { 4 } else { 2 };
            self.items += n;
            self.pairable_items += n;
            self.complete_items += n;
            self.complete_sum_sq += n * sum_sq;
            if let Some(d) = self.disagreements_by_m.get_mut(2) {
                *d += n * (4 - sum_sq);
            }
            if let Some(c) = self.pair_tables.first_mut().and_then(|t| t.get_mut(cell)) {
                *c += n;
            }
            for c in [x, y] {
                if let Some(t) = self.pairable_totals.get_mut(c) {
                    *t += n;
                }
                if let Some(t) = self.complete_totals.get_mut(c) {
                    *t += n;
                }
            }
        }
        self.doc_table = table;
    }

    /// Adds a validated item (length = raters, categories in range).
    fn record(&mut self, ratings: &[Option<u32>]) {
        self.items += 1;
        let k = self.categories;
        let r = ratings.len();
        let mut m: u64 = 0;
        let mut same: u64 = 0;
        let mut p = 0;
        for (i, x) in ratings.iter().enumerate() {
            let Some(x) = *x else {
                p += r - i - 1;
                continue;
            };
            m += 1;
            for y in &ratings[i + 1..] {
                if let Some(y) = *y {
                    if x == y {
                        same += 1;
                    }
                    let cell = x as usize * k + y as usize;
                    if let Some(c) = self.pair_tables.get_mut(p).and_then(|t| t.get_mut(cell)) {
                        *c += 1;
                    }
                }
                p += 1;
            }
        }
        if m < 2 {
            return;
        }
        // sum_c n_uc^2 = m + 2 * #(equal unordered rater pairs)
        let sum_sq = m + 2 * same;
        self.pairable_items += 1;
        if let Some(d) = usize::try_from(m)
            .ok()
            .and_then(|m| self.disagreements_by_m.get_mut(m))
        {
            *d += m * m - sum_sq;
        }
        let complete = m == r as u64;
        if complete {
            self.complete_items += 1;
            self.complete_sum_sq += sum_sq;
        }
        for &c in ratings.iter().flatten() {
            if let Some(t) = self.pairable_totals.get_mut(c as usize) {
                *t += 1;
            }
            if complete && let Some(t) = self.complete_totals.get_mut(c as usize) {
                *t += 1;
            }
        }
    }

    fn pair_index(&self, i: usize, j: usize) -> Option<usize> {
        let (i, j) = if i < j { (i, j) } else { (j, i) };
        (i != j && j < self.raters).then(|| i * (2 * self.raters - i - 1) / 2 + (j - i - 1))
    }

    /// Cohen's kappa of raters `i` and `j` over the items both rated:
    /// `(p_o - p_e) / (1 - p_e)` with `p_e = sum_c (row_c/N)(col_c/N)`,
    /// evaluated exactly in integers as
    /// `(N*diag - sum row*col) / (N^2 - sum row*col)`.
    pub fn cohen_kappa_pair(&self, i: usize, j: usize) -> Figure {
        let Some(table) = self.pair_index(i, j).and_then(|p| self.pair_tables.get(p)) else {
            return Figure::Undefined(NO_SUCH_PAIR);
        };
        let k = self.categories;
        let mut n: u128 = 0;
        let mut diag: u128 = 0;
        let mut rows = vec![0_u128; k];
        let mut cols = vec![0_u128; k];
        for (cell, &v) in table.iter().enumerate() {
            let (r, c) = (cell / k, cell % k);
            let v = u128::from(v);
            n += v;
            if r == c {
                diag += v;
            }
            rows[r] += v;
            cols[c] += v;
        }
        if n == 0 {
            return Figure::Undefined(if self.items == 0 {
                NO_ITEMS
            } else {
                NO_SHARED_ITEMS
            });
        }
        let chance: u128 = rows.iter().zip(&cols).map(|(r, c)| r * c).sum();
        let den = n * n - chance;
        if den == 0 {
            return Figure::Undefined(NO_VARIATION);
        }
        let num = (n * diag) as i128 - chance as i128;
        Figure::finite(num as f64 / den as f64)
    }

    /// Cohen's kappa; only for exactly 2 raters.
    pub fn cohen_kappa(&self) -> Figure {
        if self.raters != 2 {
            return Figure::Undefined(if self.raters < 2 {
                FEWER_THAN_TWO_RATERS
            } else {
                COHEN_NEEDS_TWO_RATERS
            });
        }
        self.cohen_kappa_pair(0, 1)
    }

    /// Mean of the defined pairwise Cohen's kappas (Light's kappa); equals
    /// [`Self::cohen_kappa`] for 2 raters.
    pub fn mean_pairwise_cohen_kappa(&self) -> Figure {
        if self.raters < 2 {
            return Figure::Undefined(FEWER_THAN_TWO_RATERS);
        }
        let mut figs = Vec::new();
        for i in 0..self.raters {
            for j in i + 1..self.raters {
                figs.push(self.cohen_kappa_pair(i, j));
            }
        }
        if let Some(m) = mean_defined(figs.iter().map(Figure::value)) {
            return Figure::finite(m);
        }
        // All undefined: pass on the common reason if there is one.
        match figs.first().and_then(Figure::reason) {
            Some(r) if figs.iter().all(|f| f.reason() == Some(r)) => Figure::Undefined(r),
            _ => Figure::Undefined(NO_DEFINED_PAIR),
        }
    }

    /// Mean pairwise agreement over complete items (Fleiss' `P-bar`; for 2
    /// raters the plain proportion of items with equal ratings).
    pub fn observed_agreement(&self) -> Figure {
        if let Some(r) = self.fleiss_guard() {
            return Figure::Undefined(r);
        }
        let n = self.raters as f64;
        let m = self.complete_items as f64 * n;
        Figure::finite((self.complete_sum_sq as f64 - m) / (m * (n - 1.0)))
    }

    fn fleiss_guard(&self) -> Option<&'static str> {
        if self.raters < 2 {
            Some(FEWER_THAN_TWO_RATERS)
        } else if self.items == 0 {
            Some(NO_ITEMS)
        } else if self.complete_items == 0 {
            Some(NO_COMPLETE_ITEMS)
        } else {
            None
        }
    }

    /// Fleiss' kappa over the items rated by all raters:
    /// `(P - Pe) / (1 - Pe)` with `P = (S - M) / (M (n-1))`, `Pe = Q / M^2`,
    /// `n` raters, `M = N n`, `S = sum_i sum_c n_ic^2`, `Q = sum_c T_c^2`;
    /// evaluated as `(M (S - M) - Q (n-1)) / ((M^2 - Q)(n-1))` in integers.
    pub fn fleiss_kappa(&self) -> Figure {
        if let Some(r) = self.fleiss_guard() {
            return Figure::Undefined(r);
        }
        let n = self.raters as i128;
        let m = i128::from(self.complete_items) * n;
        let s = i128::from(self.complete_sum_sq);
        let q: i128 = self
            .complete_totals
            .iter()
            .map(|&t| i128::from(t) * i128::from(t))
            .sum();
        let den = (m * m - q) * (n - 1);
        if den == 0 {
            return Figure::Undefined(NO_VARIATION);
        }
        let num = m * (s - m) - q * (n - 1);
        Figure::finite(num as f64 / den as f64)
    }

    /// Krippendorff's alpha, nominal metric, coincidence-matrix method, over
    /// items with at least 2 ratings (missing ratings allowed):
    /// `alpha = 1 - (n - 1) * D / (n^2 - sum_c n_c^2)` where `n` = pairable
    /// values, `n_c` = pairable values of category `c` and
    /// `D = sum_{c != k} o_ck = sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1)`.
    pub fn krippendorff_alpha(&self) -> Figure {
        if self.raters < 2 {
            return Figure::Undefined(FEWER_THAN_TWO_RATERS);
        }
        if self.items == 0 {
            return Figure::Undefined(NO_ITEMS);
        }
        let n: u128 = self.pairable_totals.iter().map(|&t| u128::from(t)).sum();
        if n == 0 {
            return Figure::Undefined(NO_PAIRABLE_ITEMS);
        }
        let sq: u128 = self
            .pairable_totals
            .iter()
            .map(|&t| u128::from(t) * u128::from(t))
            .sum();
        let expected = n * n - sq;
        if expected == 0 {
            return Figure::Undefined(NO_VARIATION);
        }
        let observed: f64 = self
            .disagreements_by_m
            .iter()
            .enumerate()
            .skip(2)
            .map(|(m, &d)| d as f64 / (m - 1) as f64)
            .sum();
        Figure::finite(1.0 - (n - 1) as f64 * observed / expected as f64)
    }

    pub fn report(&self) -> RatingsReport {
        RatingsReport {
            raters: self.raters,
            items: self.items,
            complete_items: self.complete_items,
            pairable_items: self.pairable_items,
            observed_agreement: self.observed_agreement(),
            cohen_kappa: self.cohen_kappa(),
            mean_pairwise_cohen_kappa: self.mean_pairwise_cohen_kappa(),
            fleiss_kappa: self.fleiss_kappa(),
            krippendorff_alpha: self.krippendorff_alpha(),
        }
    }
}

/// Token-level (or any categorical) agreement summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingsReport {
    pub raters: usize,
    pub items: u64,
    pub complete_items: u64,
    pub pairable_items: u64,
    pub observed_agreement: Figure,
    pub cohen_kappa: Figure,
    pub mean_pairwise_cohen_kappa: Figure,
    pub fleiss_kappa: Figure,
    pub krippendorff_alpha: Figure,
}

/// Map arbitrary ids to dense `0..k` (sorted), so tables stay small.
fn dense_ids(values: impl Iterator<Item = u32>) -> BTreeMap<u32, u32> {
    let set: BTreeSet<u32> = values.collect();
    set.into_iter().zip(0_u32..).collect()
}

fn remap(ids: &BTreeMap<u32, u32>, v: u32) -> u32 {
    ids.get(&v).copied().unwrap_or(0)
}

/// Cohen's kappa of two raters; `a[i]`, `b[i]` are their categories for item
/// `i` (any `u32` ids).
pub fn cohen_kappa(a: &[u32], b: &[u32]) -> Result<Figure, AgreeError> {
    if a.len() != b.len() {
        return Err(AgreeError::LengthMismatch {
            rater: 1,
            expected: a.len(),
            got: b.len(),
        });
    }
    let ids = dense_ids(a.iter().chain(b).copied());
    let mut r = CategoryRatings::new(2, ids.len());
    for (&x, &y) in a.iter().zip(b) {
        r.record(&[Some(remap(&ids, x)), Some(remap(&ids, y))]);
    }
    Ok(r.cohen_kappa())
}

/// Fleiss' kappa; `items[i][r]` is rater `r`'s category for item `i` (every
/// item must have the same number of ratings).
pub fn fleiss_kappa(items: &[Vec<u32>]) -> Result<Figure, AgreeError> {
    let Some(raters) = items.first().map(Vec::len) else {
        return Ok(Figure::Undefined(NO_ITEMS));
    };
    let ids = dense_ids(items.iter().flatten().copied());
    let mut r = CategoryRatings::new(raters, ids.len());
    let mut buf = Vec::with_capacity(raters);
    for item in items {
        if item.len() != raters {
            return Err(AgreeError::RaterCount {
                expected: raters,
                got: item.len(),
            });
        }
        buf.clear();
        buf.extend(item.iter().map(|&v| Some(remap(&ids, v))));
        r.record(&buf);
    }
    Ok(r.fleiss_kappa())
}

/// Krippendorff's alpha (nominal); `items[i][r]` is rater `r`'s category for
/// item `i`, `None` if missing. Items may have different lengths (missing
/// trailing raters). Note: item-major, i.e. the transpose of the
/// `reliability_data` layout of the Python `krippendorff` package.
pub fn krippendorff_alpha_nominal(items: &[Vec<Option<u32>>]) -> Figure {
    let raters = items.iter().map(Vec::len).max().unwrap_or(0);
    if items.is_empty() {
        return Figure::Undefined(NO_ITEMS);
    }
    let ids = dense_ids(items.iter().flatten().flatten().copied());
    let mut r = CategoryRatings::new(raters, ids.len());
    let mut buf = Vec::with_capacity(raters);
    for item in items {
        buf.clear();
        buf.extend(item.iter().map(|v| v.map(|v| remap(&ids, v))));
        buf.resize(raters, None);
        r.record(&buf);
    }
    r.krippendorff_alpha()
}

/// Token-level agreement of one label layer, pooled over documents.
#[derive(Debug, Clone)]
pub struct LayerAgreement {
    layer: Layer,
    ratings: CategoryRatings,
    columns: Vec<Vec<u32>>,
    scratch: TokenScratch,
}

impl LayerAgreement {
    pub fn new(layer: Layer, raters: usize) -> Self {
        let ratings = CategoryRatings::new(raters, layer.n_categories());
        Self {
            layer,
            ratings,
            columns: vec![Vec::new(); raters],
            scratch: TokenScratch::default(),
        }
    }

    pub fn layer(&self) -> &Layer {
        &self.layer
    }

    pub fn ratings(&self) -> &CategoryRatings {
        &self.ratings
    }

    /// One document: its token boundaries and each rater's spans (`None` if
    /// the rater did not annotate this document: its tokens get a missing
    /// rating; `Some(&[])` means "annotated, nothing marked": all `"O"`).
    /// Spans of labels outside the layer are ignored. See
    /// [`Layer::assign_tokens`] for the token labelling rule.
    pub fn add_document(
        &mut self,
        tokens: &[(usize, usize)],
        per_rater: &[Option<&[SpanRef<'_>]>],
    ) -> Result<(), AgreeError> {
        if per_rater.len() != self.ratings.raters() {
            return Err(AgreeError::RaterCount {
                expected: self.ratings.raters(),
                got: per_rater.len(),
            });
        }
        for (spans, col) in per_rater.iter().zip(self.columns.iter_mut()) {
            if let Some(spans) = spans {
                self.layer
                    .assign_into(tokens, spans, col, &mut self.scratch);
            }
        }
        if let ([Some(_), Some(_)], [a, b]) = (per_rater, self.columns.as_slice()) {
            // Token categories come from the layer, so they are in range.
            self.ratings.add_pair_columns(a, b);
            return Ok(());
        }
        let cols: Vec<Option<&[u32]>> = per_rater
            .iter()
            .zip(&self.columns)
            .map(|(p, c)| p.map(|_| c.as_slice()))
            .collect();
        self.ratings.add_document(&cols)
    }

    pub fn report(&self) -> LayerReport {
        LayerReport {
            layer: self.layer.name().to_owned(),
            categories: self.layer.category_names(),
            agreement: self.ratings.report(),
        }
    }
}

/// Token-level report of one layer; the [`RatingsReport`] fields are
/// flattened into the same JSON object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerReport {
    pub layer: String,
    pub categories: Vec<String>,
    #[serde(flatten)]
    pub agreement: RatingsReport,
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn sp(start: usize, end: usize, label: &str) -> SpanRef<'_> {
        SpanRef::new(start, end, label)
    }

    fn close(got: Option<f64>, want: f64) {
        match got {
            Some(v) => assert!((v - want).abs() < 1e-12, "got {v}, want {want}"),
            None => panic!("undefined, want {want}"),
        }
    }

    fn fig(got: Figure, want: f64) {
        match got {
            Figure::Value(v) => assert!((v - want).abs() < 1e-12, "got {v}, want {want}"),
            Figure::Undefined(r) => panic!("undefined ({r}), want {want}"),
        }
    }

    /// Simple deterministic LCG (Knuth MMIX constants).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    // ------------------------------------------------------------ spans

    #[test]
    fn exact_vs_overlap_boundary_shift() {
        // A: actor[0,5) place[10,20); B: actor[0,5) place[11,20) (shifted by 1).
        let a = [sp(0, 5, "actor"), sp(10, 20, "place")];
        let b = [sp(0, 5, "actor"), sp(11, 20, "place")];
        // Exact: actor hit; place miss on both sides -> tp=1 fp=1 fn=1,
        // P = 1/2, R = 1/2, F1 = 2/(2+1+1) = 1/2.
        let exact = SpanCounts::for_document(&a, &b, MatchMode::Exact).micro();
        assert_eq!(
            exact,
            Counts {
                tp: 1,
                fp: 1,
                fn_: 1
            }
        );
        close(exact.precision(), 0.5);
        close(exact.recall(), 0.5);
        close(exact.f1(), 0.5);
        // Overlap: both match -> tp=2, P = R = F1 = 1.
        let ov = SpanCounts::for_document(&a, &b, MatchMode::Overlap).micro();
        assert_eq!(
            ov,
            Counts {
                tp: 2,
                fp: 0,
                fn_: 0
            }
        );
        close(ov.f1(), 1.0);
    }

    #[test]
    fn overlap_is_one_to_one() {
        // A: claim[0,20); B: claim[0,5), claim[10,15). The long span can be
        // used once: tp=1, fp=1, fn=0 -> P = 1/2, R = 1, F1 = 2/(2+1) = 2/3.
        let a = [sp(0, 20, "claim")];
        let b = [sp(0, 5, "claim"), sp(10, 15, "claim")];
        let c = SpanCounts::for_document(&a, &b, MatchMode::Overlap).micro();
        assert_eq!(
            c,
            Counts {
                tp: 1,
                fp: 1,
                fn_: 0
            }
        );
        close(c.precision(), 0.5);
        close(c.recall(), 1.0);
        close(c.f1(), 2.0 / 3.0);
        // Symmetric view: A has two short, B one long -> tp=1, fn=1.
        let c = SpanCounts::for_document(&b, &a, MatchMode::Overlap).micro();
        assert_eq!(
            c,
            Counts {
                tp: 1,
                fp: 0,
                fn_: 1
            }
        );
    }

    #[test]
    fn overlap_matching_is_maximum_not_greedy_by_overlap() {
        // A0=[0,10) A1=[9,12); B0=[1,10) B1=[0,1).
        // Greedy by largest overlap would take A0-B0 (9 points) and strand
        // A1 and B1 (tp=1). Maximum matching: A0-B1, A1-B0 (tp=2).
        let a = [sp(0, 10, "x"), sp(9, 12, "x")];
        let b = [sp(1, 10, "x"), sp(0, 1, "x")];
        assert_eq!(
            match_spans(&a, &b, MatchMode::Overlap),
            vec![(0, 1), (1, 0)]
        );
    }

    #[test]
    fn labels_must_agree_and_touching_is_not_overlap() {
        // Same range, different label: no hit in either mode.
        let a = [sp(0, 5, "actor")];
        let b = [sp(0, 5, "place")];
        for mode in [MatchMode::Exact, MatchMode::Overlap] {
            let c = SpanCounts::for_document(&a, &b, mode);
            assert_eq!(
                c.micro(),
                Counts {
                    tp: 0,
                    fp: 1,
                    fn_: 1
                }
            );
            assert_eq!(
                c.label("actor"),
                Counts {
                    tp: 0,
                    fp: 0,
                    fn_: 1
                }
            );
            assert_eq!(
                c.label("place"),
                Counts {
                    tp: 0,
                    fp: 1,
                    fn_: 0
                }
            );
        }
        // [0,5) and [5,9) touch but share no code point.
        let b = [sp(5, 9, "actor")];
        assert!(match_spans(&a, &b, MatchMode::Overlap).is_empty());
        // Empty spans never overlap.
        let b = [sp(2, 2, "actor")];
        assert!(match_spans(&a, &b, MatchMode::Overlap).is_empty());
    }

    #[test]
    fn exact_duplicates_pair_one_to_one() {
        // A has the same span twice, B once: tp=1, fn=1.
        let a = [sp(3, 7, "number"), sp(3, 7, "number")];
        let b = [sp(3, 7, "number")];
        let c = SpanCounts::for_document(&a, &b, MatchMode::Exact).micro();
        assert_eq!(
            c,
            Counts {
                tp: 1,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(match_spans(&a, &b, MatchMode::Exact), vec![(0, 0)]);
    }

    #[test]
    fn per_label_and_micro() {
        // A: actor[0,5) place[6,10) number[12,14)
        // B: actor[0,5) place[6,9)  claim[0,14)
        let a = [sp(0, 5, "actor"), sp(6, 10, "place"), sp(12, 14, "number")];
        let b = [sp(0, 5, "actor"), sp(6, 9, "place"), sp(0, 14, "claim")];
        let c = SpanCounts::for_document(&a, &b, MatchMode::Exact);
        assert_eq!(
            c.label("actor"),
            Counts {
                tp: 1,
                fp: 0,
                fn_: 0
            }
        );
        assert_eq!(
            c.label("place"),
            Counts {
                tp: 0,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(
            c.label("number"),
            Counts {
                tp: 0,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(
            c.label("claim"),
            Counts {
                tp: 0,
                fp: 1,
                fn_: 0
            }
        );
        // micro: tp=1 fp=2 fn=2 -> P = 1/3, R = 1/3, F1 = 2/(2+2+2) = 1/3.
        let r = c.report();
        close(r.micro.precision, 1.0 / 3.0);
        close(r.micro.recall, 1.0 / 3.0);
        close(r.micro.f1, 1.0 / 3.0);
        // macro F1 = mean(actor 1, claim 0, number 0, place 0) = 1/4.
        close(r.macro_f1, 0.25);
        // Overlap mode: place[6,10) ~ place[6,9) now hits -> tp=2 fp=1 fn=1,
        // F1 = 4/(4+1+1) = 2/3.
        let o = SpanCounts::for_document(&a, &b, MatchMode::Overlap);
        assert_eq!(
            o.micro(),
            Counts {
                tp: 2,
                fp: 1,
                fn_: 1
            }
        );
        close(o.micro().f1(), 2.0 / 3.0);
    }

    #[test]
    fn zero_over_zero_is_none() {
        // Nothing on either side: all three ratios are 0/0.
        let c = SpanCounts::for_document(&[], &[], MatchMode::Exact).micro();
        assert_eq!((c.precision(), c.recall(), c.f1()), (None, None, None));
        // A empty, B one span: P = 0/1 = 0, R = 0/0 undefined, F1 = 0/1 = 0.
        let b = [sp(0, 1, "actor")];
        let c = SpanCounts::for_document(&[], &b, MatchMode::Overlap).micro();
        assert_eq!(c.precision(), Some(0.0));
        assert_eq!(c.recall(), None);
        assert_eq!(c.f1(), Some(0.0));
        assert_eq!(c.scores().recall, None);
    }

    #[test]
    fn counts_sum_over_documents_and_merge() -> TestResult {
        let d1a = [sp(0, 5, "actor")];
        let d1b = [sp(0, 5, "actor")];
        let d2a = [sp(0, 5, "actor"), sp(7, 9, "place")];
        let d2b = [sp(1, 5, "actor")];
        let mut all = SpanCounts::new(MatchMode::Exact);
        all.add_document(&d1a, &d1b);
        all.add_document(&d2a, &d2b);
        // doc1 tp=1; doc2 actor fp=1 fn=1, place fn=1 -> tp=1 fp=1 fn=2.
        assert_eq!(
            all.micro(),
            Counts {
                tp: 1,
                fp: 1,
                fn_: 2
            }
        );
        assert_eq!(all.documents(), 2);
        let mut merged = SpanCounts::for_document(&d1a, &d1b, MatchMode::Exact);
        merged.merge(&SpanCounts::for_document(&d2a, &d2b, MatchMode::Exact))?;
        assert_eq!(merged.per_label(), all.per_label());
        assert_eq!(merged.per_label().len(), 2);
        assert_eq!(merged.documents(), 2);
        let other = SpanCounts::new(MatchMode::Overlap);
        assert_eq!(merged.merge(&other), Err(AgreeError::ModeMismatch));
        Ok(())
    }

    #[test]
    fn pairwise_average_three_annotators() -> TestResult {
        let s0 = [sp(0, 5, "actor"), sp(10, 15, "place")];
        let s1 = [sp(0, 5, "actor"), sp(11, 15, "place")];
        let s2 = [sp(0, 5, "actor")];
        let mut p = PairwiseSpanCounts::new(3, MatchMode::Exact);
        p.add_document(&[Some(&s0), Some(&s1), Some(&s2)])?;
        // A second document only annotated by 0 and 1 (identical): it only
        // reaches pair (0,1), adding actor tp=1.
        let d = [sp(0, 3, "actor")];
        p.add_document(&[Some(&d), Some(&d), None])?;
        assert_eq!(p.pair(0, 1).map(SpanCounts::documents), Some(2));
        assert_eq!(p.pair(0, 2).map(SpanCounts::documents), Some(1));
        // (0,1): tp=2 fp=1 fn=1 -> P=2/3 R=2/3 F1=4/6=2/3
        // (0,2): tp=1 fp=0 fn=1 -> P=1   R=1/2 F1=2/3
        // (1,2): tp=1 fp=0 fn=1 -> P=1   R=1/2 F1=2/3
        let r = p.report();
        assert_eq!(r.pairs.len(), 3);
        close(r.mean.precision, (2.0 / 3.0 + 1.0 + 1.0) / 3.0);
        close(r.mean.recall, (2.0 / 3.0 + 0.5 + 0.5) / 3.0);
        close(r.mean.f1, 2.0 / 3.0);
        // per-label F1: actor 1 in every pair; place 0 in every pair.
        close(r.mean.per_label_f1.get("actor").copied().flatten(), 1.0);
        close(r.mean.per_label_f1.get("place").copied().flatten(), 0.0);
        assert_eq!(
            p.add_document(&[None, None]),
            Err(AgreeError::RaterCount {
                expected: 3,
                got: 2
            })
        );
        Ok(())
    }

    /// Brute-force maximum matching size (small inputs only).
    fn brute_max(a: &[SpanRef<'_>], b: &[SpanRef<'_>], i: usize, used: &mut Vec<bool>) -> usize {
        if i == a.len() {
            return 0;
        }
        let mut best = brute_max(a, b, i + 1, used);
        for j in 0..b.len() {
            if !used[j] && a[i].label == b[j].label && a[i].overlaps(&b[j]) {
                used[j] = true;
                best = best.max(1 + brute_max(a, b, i + 1, used));
                used[j] = false;
            }
        }
        best
    }

    #[test]
    fn overlap_matching_equals_brute_force_maximum() {
        let mut rng = Lcg(42);
        let labels = ["actor", "place"];
        let gen_spans = |rng: &mut Lcg| -> Vec<SpanRef<'static>> {
            let n = rng.below(7) as usize;
            (0..n)
                .map(|_| {
                    let s = rng.below(20) as usize;
                    let len = rng.below(8) as usize;
                    sp(s, s + len, labels[rng.below(2) as usize])
                })
                .collect()
        };
        for _ in 0..3000 {
            let a = gen_spans(&mut rng);
            let b = gen_spans(&mut rng);
            let pairs = match_spans(&a, &b, MatchMode::Overlap);
            let want = brute_max(&a, &b, 0, &mut vec![false; b.len()]);
            assert_eq!(pairs.len(), want, "a={a:?} b={b:?}");
            let mut ua = vec![false; a.len()];
            let mut ub = vec![false; b.len()];
            for &(i, j) in &pairs {
                assert!(a[i].label == b[j].label && a[i].overlaps(&b[j]));
                assert!(!ua[i] && !ub[j]);
                ua[i] = true;
                ub[j] = true;
            }
            // Deterministic: same input, same answer.
            assert_eq!(pairs, match_spans(&a, &b, MatchMode::Overlap));
            // Confusion pairing keeps all same-label pairs of the maximum
            // matching, so its diagonal equals the overlap tp.
            let m = ConfusionMatrix::for_document(&a, &b);
            let diag: u64 = labels.iter().map(|l| m.get(l, l)).sum();
            assert_eq!(diag, want as u64);
            assert_eq!(
                m.total() as usize,
                a.len() + b.len() - confusion_pairs(&a, &b).len()
            );
        }
    }

    // ------------------------------------------------------- confusion

    #[test]
    fn confusion_matrix_basic() {
        // A: actor[0,5) place[10,15) number[20,22) claim[30,40)
        // B: actor[0,5) actor[10,14) place[21,25) number[50,55)
        // same label: actor-actor. Leftovers: place~actor (4 points),
        // number~place (1 point); claim and B's number unpaired.
        let a = [
            sp(0, 5, "actor"),
            sp(10, 15, "place"),
            sp(20, 22, "number"),
            sp(30, 40, "claim"),
        ];
        let b = [
            sp(0, 5, "actor"),
            sp(10, 14, "actor"),
            sp(21, 25, "place"),
            sp(50, 55, "number"),
        ];
        let m = ConfusionMatrix::for_document(&a, &b);
        assert_eq!(m.get("actor", "actor"), 1);
        assert_eq!(m.get("place", "actor"), 1);
        assert_eq!(m.get("number", "place"), 1);
        assert_eq!(m.get("claim", NONE_LABEL), 1);
        assert_eq!(m.get(NONE_LABEL, "number"), 1);
        assert_eq!(m.total(), 5);
        let rep = m.report();
        assert_eq!(
            rep.labels_a,
            ["(none)", "actor", "claim", "number", "place"]
        );
        assert_eq!(rep.labels_b, ["(none)", "actor", "number", "place"]);
        assert_eq!(
            rep.counts.get("place").and_then(|r| r.get("actor")),
            Some(&1)
        );
        let mut twice = m.clone();
        twice.merge(&m);
        assert_eq!(twice.get("place", "actor"), 2);
        assert_eq!(twice.documents(), 2);
    }

    #[test]
    fn confusion_prefers_same_label_then_largest_overlap() {
        // A actor[0,10); B place[0,9) (overlap 9), actor[5,10) (overlap 5):
        // the same-label pair wins despite the smaller overlap.
        let a = [sp(0, 10, "actor")];
        let b = [sp(0, 9, "place"), sp(5, 10, "actor")];
        let m = ConfusionMatrix::for_document(&a, &b);
        assert_eq!(m.get("actor", "actor"), 1);
        assert_eq!(m.get(NONE_LABEL, "place"), 1);
        // No same-label partner: B place[0,3) (3) vs number[2,10) (8):
        // the larger overlap wins.
        let b = [sp(0, 3, "place"), sp(2, 10, "number")];
        let m = ConfusionMatrix::for_document(&a, &b);
        assert_eq!(m.get("actor", "number"), 1);
        assert_eq!(m.get(NONE_LABEL, "place"), 1);
        assert_eq!(confusion_pairs(&a, &b), vec![(0, 1)]);
    }

    // ---------------------------------------------------------- tokens

    fn entities() -> Layer {
        Layer::new("entities", &["actor", "place", "number"])
    }

    #[test]
    fn token_assignment_rules() {
        let tokens = [(0, 6), (7, 12), (13, 18), (19, 24), (25, 30), (30, 30)];
        let spans = [
            sp(0, 12, "actor"),   // t0, t1
            sp(7, 12, "place"),   // t1 too, but actor starts earlier
            sp(13, 15, "number"), // partial cover of t2 still labels it
            sp(19, 22, "place"),  // t3, same start as the next: longest wins
            sp(19, 30, "actor"),  // t3, t4
            sp(0, 30, "claim"),   // other layer: ignored
        ];
        let layer = entities();
        // actor=1 place=2 number=3, O=0; empty token t5 is O.
        assert_eq!(layer.assign_tokens(&tokens, &spans), [1, 1, 3, 1, 1, 0]);
        let claims = Layer::new("claims", &["claim"]);
        assert_eq!(claims.assign_tokens(&tokens, &spans), [1, 1, 1, 1, 1, 0]);
        // Same start and end: layer order decides (actor before place).
        let tie = [sp(0, 6, "place"), sp(0, 6, "actor")];
        assert_eq!(layer.assign_tokens(&tokens[..1], &tie), [1]);
        // End is exclusive: [0,7) does not reach token [7,12).
        assert_eq!(
            layer.assign_tokens(&tokens[..2], &[sp(0, 7, "place")]),
            [2, 0]
        );
        // Unsorted tokens give the same labels per token.
        let rev: Vec<(usize, usize)> = tokens.iter().rev().copied().collect();
        assert_eq!(layer.assign_tokens(&rev, &spans), [0, 1, 1, 3, 1, 1]);
        assert_eq!(layer.category_names(), ["O", "actor", "place", "number"]);
        assert_eq!(layer.category_name(3), Some("number"));
        assert_eq!(layer.category_name(4), None);
    }

    #[test]
    fn token_assignment_matches_naive() {
        let layer = entities();
        let labels = ["actor", "place", "number", "claim"];
        let mut rng = Lcg(7);
        for _ in 0..2000 {
            let mut tokens = Vec::new();
            let mut pos = 0;
            for _ in 0..rng.below(12) {
                let len = rng.below(4) as usize;
                tokens.push((pos, pos + len));
                pos += len + rng.below(2) as usize;
            }
            let spans: Vec<SpanRef<'_>> = (0..rng.below(8))
                .map(|_| {
                    let s = rng.below(30) as usize;
                    sp(s, s + rng.below(10) as usize, labels[rng.below(4) as usize])
                })
                .collect();
            let naive: Vec<u32> = tokens
                .iter()
                .map(|&(ts, te)| {
                    let tok = sp(ts, te, "");
                    spans
                        .iter()
                        .filter_map(|s| Some((s, layer.category_of(s.label)?)))
                        .filter(|(s, _)| s.overlaps(&tok))
                        .min_by_key(|&(s, c)| (s.start, Reverse(s.end), c))
                        .map_or(0, |(_, c)| c)
                })
                .collect();
            assert_eq!(layer.assign_tokens(&tokens, &spans), naive);
        }
    }

    // ----------------------------------------------------------- kappas

    #[test]
    fn cohen_kappa_two_by_two_is_0_4() -> TestResult {
        // 50 items:         B yes  B no
        //          A yes      20     5    (A yes 25)
        //          A no       10    15    (A no  25)
        //                  (B yes 30, no 20)
        // p_o = 35/50 = 0.7; p_e = .5*.6 + .5*.4 = 0.5;
        // kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
        let mut a = Vec::new();
        let mut b = Vec::new();
        for (x, y, n) in [(1, 1, 20), (1, 0, 5), (0, 1, 10), (0, 0, 15)] {
            a.extend(std::iter::repeat_n(x, n));
            b.extend(std::iter::repeat_n(y, n));
        }
        fig(cohen_kappa(&a, &b)?, 0.4);
        // Ids need not be dense.
        let a2: Vec<u32> = a.iter().map(|&v| v * 1000 + 7).collect();
        let b2: Vec<u32> = b.iter().map(|&v| v * 1000 + 7).collect();
        fig(cohen_kappa(&a2, &b2)?, 0.4);
        // Systematic disagreement: p_o = 0, p_e = 1/2 -> kappa = -1.
        fig(cohen_kappa(&[0, 1], &[1, 0])?, -1.0);
        assert!(cohen_kappa(&[0, 1], &[1]).is_err());
        Ok(())
    }

    fn expand(counts: &[&[u32]]) -> Vec<Vec<u32>> {
        // Row of per-category counts -> list of ratings.
        counts
            .iter()
            .map(|row| {
                row.iter()
                    .zip(0_u32..)
                    .flat_map(|(&n, c)| std::iter::repeat_n(c, n as usize))
                    .collect()
            })
            .collect()
    }

    /// Textbook Fleiss formula in floating point, for comparison.
    fn naive_fleiss(items: &[Vec<u32>], k: usize) -> f64 {
        let n = items[0].len() as f64;
        let big_n = items.len() as f64;
        let mut p_j = vec![0.0; k];
        let mut p_bar = 0.0;
        for item in items {
            let mut nij = vec![0.0; k];
            for &c in item {
                nij[c as usize] += 1.0;
            }
            p_bar += (nij.iter().map(|x| x * x).sum::<f64>() - n) / (n * (n - 1.0));
            for (p, x) in p_j.iter_mut().zip(&nij) {
                *p += x;
            }
        }
        p_bar /= big_n;
        let pe: f64 = p_j.iter().map(|p| (p / (big_n * n)).powi(2)).sum();
        (p_bar - pe) / (1.0 - pe)
    }

    #[test]
    fn fleiss_kappa_small_by_hand() -> TestResult {
        // 3 raters, categories {0,1}: [0,0,0] [0,0,1] [1,1,1].
        // S = sum n_ij^2 = 9 + (4+1) + 9 = 23; M = N*n = 9.
        // P-bar = (S - M) / (M (n-1)) = 14/18 = 7/9.
        // totals: c0 = 5, c1 = 4 -> Q = 25 + 16 = 41, Pe = 41/81.
        // kappa = (M(S-M) - Q(n-1)) / ((M^2-Q)(n-1)) = (126 - 82)/(40*2) = 0.55
        let items = vec![vec![0, 0, 0], vec![0, 0, 1], vec![1, 1, 1]];
        fig(fleiss_kappa(&items)?, 0.55);
        let mut r = CategoryRatings::new(3, 2);
        for it in &items {
            let v: Vec<Option<u32>> = it.iter().copied().map(Some).collect();
            r.push_item(&v)?;
        }
        fig(r.observed_agreement(), 7.0 / 9.0);
        fig(r.fleiss_kappa(), 0.55);
        Ok(())
    }

    #[test]
    fn fleiss_kappa_textbook_example() -> TestResult {
        // Fleiss' kappa example from Wikipedia: 10 items, 14 raters, 5
        // categories. S = 828, M = 140, n = 14, category totals
        // 20, 28, 39, 21, 32 -> Q = 4170.
        // kappa = (140*688 - 4170*13) / ((19600-4170)*13) = 42110/200590 = 0.2099
        let items = expand(&[
            &[0, 0, 0, 0, 14],
            &[0, 2, 6, 4, 2],
            &[0, 0, 3, 5, 6],
            &[0, 3, 9, 2, 0],
            &[2, 2, 8, 1, 1],
            &[7, 7, 0, 0, 0],
            &[3, 2, 6, 3, 0],
            &[2, 5, 3, 2, 2],
            &[6, 5, 2, 1, 0],
            &[0, 2, 2, 3, 7],
        ]);
        let k = fleiss_kappa(&items)?;
        fig(k, 42110.0 / 200590.0);
        assert_eq!(format!("{k}"), "0.2099");
        fig(k, naive_fleiss(&items, 5));
        Ok(())
    }

    #[test]
    fn fleiss_matches_naive_random() -> TestResult {
        let mut rng = Lcg(99);
        for _ in 0..200 {
            let raters = 2 + rng.below(4) as usize;
            let k = 2 + rng.below(3) as usize;
            let items: Vec<Vec<u32>> = (0..1 + rng.below(40))
                .map(|_| (0..raters).map(|_| rng.below(k as u64) as u32).collect())
                .collect();
            // Remap-free only when every category appears; naive needs k.
            let f = fleiss_kappa(&items)?;
            let want = naive_fleiss(&items, k);
            match f {
                Figure::Value(v) => assert!((v - want).abs() < 1e-9, "{v} vs {want}"),
                Figure::Undefined(_) => assert!(!want.is_finite()),
            }
        }
        Ok(())
    }

    #[test]
    fn krippendorff_alpha_missing_by_hand() -> TestResult {
        // 3 raters, None = missing:
        //   u1 [0, 0, -]  m=2, sum n^2 = 4,     m^2 - 4 = 0
        //   u2 [0, 1, 1]  m=3, sum n^2 = 1+4=5, (9-5)/(3-1) = 2
        //   u3 [1, -, -]  m=1: not pairable, excluded
        //   u4 [-, 1, 1]  m=2, 0
        //   u5 [0, 1, -]  m=2, sum n^2 = 2,     (4-2)/1 = 2
        // n = 2+3+2+2 = 9; n_0 = 2+1+1 = 4; n_1 = 2+2+1 = 5.
        // D = sum_{c!=k} o_ck = 4; n^2 - sum n_c^2 = 81 - 41 = 40.
        // alpha = 1 - (n-1) D / 40 = 1 - 8*4/40 = 0.2
        // (coincidences: o_01 = o_10 = 1 (u2) + 1 (u5) = 2;
        //  D_o = 4/9, D_e = 2*4*5/(9*8) = 40/72, 1 - (4/9)/(40/72) = 0.2)
        let items = vec![
            vec![Some(0), Some(0), None],
            vec![Some(0), Some(1), Some(1)],
            vec![Some(1), None, None],
            vec![None, Some(1), Some(1)],
            vec![Some(0), Some(1), None],
        ];
        fig(krippendorff_alpha_nominal(&items), 0.2);
        let mut r = CategoryRatings::new(3, 2);
        for it in &items {
            r.push_item(it)?;
        }
        fig(r.krippendorff_alpha(), 0.2);
        assert_eq!(
            (r.items(), r.pairable_items(), r.complete_items()),
            (5, 4, 1)
        );
        // Trailing missing raters may be omitted.
        let short = vec![
            vec![Some(0), Some(0)],
            vec![Some(0), Some(1), Some(1)],
            vec![Some(1)],
            vec![None, Some(1), Some(1)],
            vec![Some(0), Some(1)],
        ];
        fig(krippendorff_alpha_nominal(&short), 0.2);
        Ok(())
    }

    #[test]
    fn layer_agreement_by_hand() -> TestResult {
        // 5 tokens; entity layer O=0 actor=1 place=2 number=3.
        let tokens = [(0, 3), (4, 8), (9, 12), (13, 17), (18, 20)];
        let a = [sp(0, 8, "actor"), sp(13, 17, "place"), sp(0, 20, "claim")];
        let b = [sp(0, 3, "actor"), sp(9, 17, "place")];
        // A: [1,1,0,2,0]   B: [1,0,2,2,0]
        let mut ents = LayerAgreement::new(entities(), 2);
        ents.add_document(&tokens, &[Some(&a), Some(&b)])?;
        // Cohen: agree on t0,t3,t4 -> p_o = 3/5. Marginals A: O2 actor2
        // place1; B: O2 actor1 place2 -> p_e = (4+2+2)/25 = 8/25.
        // kappa = (15/25 - 8/25)/(17/25) = 7/17.
        let r = ents.ratings();
        fig(r.cohen_kappa(), 7.0 / 17.0);
        fig(r.mean_pairwise_cohen_kappa(), 7.0 / 17.0);
        fig(r.observed_agreement(), 0.6);
        // Fleiss (= Scott's pi for 2 raters): S = 3*4 + 2*2 = 16, M = 10,
        // totals O4 actor3 place3 -> Q = 34;
        // kappa = (10*6 - 34)/((100-34)*1) = 26/66 = 13/33.
        fig(r.fleiss_kappa(), 13.0 / 33.0);
        // Krippendorff: n = 10, D = 2 disagreeing items * (4-2)/1 = 4,
        // alpha = 1 - 9*4/(100-34) = 30/66 = 5/11.
        fig(r.krippendorff_alpha(), 5.0 / 11.0);
        // A second document only A annotated: its tokens are unpairable and
        // change nothing but the item count.
        ents.add_document(&tokens[..2], &[Some(&a), None])?;
        let rep = ents.report();
        assert_eq!((rep.agreement.items, rep.agreement.complete_items), (7, 5));
        fig(rep.agreement.krippendorff_alpha, 5.0 / 11.0);
        fig(rep.agreement.cohen_kappa, 7.0 / 17.0);
        // Claims layer: A claims everything, B nothing: kappa 0 (p_o = p_e = 0).
        let mut claims = LayerAgreement::new(Layer::new("claims", &["claim"]), 2);
        claims.add_document(&tokens, &[Some(&a), Some(&b)])?;
        fig(claims.ratings().cohen_kappa(), 0.0);
        assert!(claims.add_document(&tokens, &[Some(&a)]).is_err());
        Ok(())
    }

    #[test]
    fn pairwise_cohen_three_raters() -> TestResult {
        // Raters 0 and 1 agree perfectly (kappa 1); rater 2 is the exact
        // opposite of both (kappa -1): Light's kappa = (1 - 1 - 1)/3 = -1/3.
        let mut r = CategoryRatings::new(3, 2);
        for (x, y, z) in [(0, 0, 1), (1, 1, 0), (0, 0, 1), (1, 1, 0)] {
            r.push_item(&[Some(x), Some(y), Some(z)])?;
        }
        fig(r.cohen_kappa_pair(0, 1), 1.0);
        fig(r.cohen_kappa_pair(2, 0), -1.0);
        fig(r.mean_pairwise_cohen_kappa(), -1.0 / 3.0);
        assert_eq!(r.cohen_kappa(), Figure::Undefined(COHEN_NEEDS_TWO_RATERS));
        assert_eq!(r.cohen_kappa_pair(1, 1), Figure::Undefined(NO_SUCH_PAIR));
        Ok(())
    }

    #[test]
    fn degenerate_cases() -> TestResult {
        // No items.
        assert_eq!(cohen_kappa(&[], &[])?, Figure::Undefined(NO_ITEMS));
        assert_eq!(fleiss_kappa(&[])?, Figure::Undefined(NO_ITEMS));
        assert_eq!(krippendorff_alpha_nominal(&[]), Figure::Undefined(NO_ITEMS));
        let empty = CategoryRatings::new(2, 3).report();
        for f in [
            empty.cohen_kappa,
            empty.fleiss_kappa,
            empty.krippendorff_alpha,
            empty.observed_agreement,
        ] {
            assert_eq!(f, Figure::Undefined(NO_ITEMS));
        }
        // Everything the same category: chance agreement is 1.
        assert_eq!(
            cohen_kappa(&[2, 2, 2], &[2, 2, 2])?,
            Figure::Undefined(NO_VARIATION)
        );
        assert_eq!(
            fleiss_kappa(&[vec![0, 0], vec![0, 0]])?,
            Figure::Undefined(NO_VARIATION)
        );
        assert_eq!(
            krippendorff_alpha_nominal(&[vec![Some(0), Some(0)], vec![Some(0), None]]),
            Figure::Undefined(NO_VARIATION)
        );
        // All tokens "O" for both annotators.
        let mut l = LayerAgreement::new(entities(), 2);
        l.add_document(&[(0, 1), (2, 3)], &[Some(&[]), Some(&[])])?;
        let rep = l.report();
        assert_eq!(rep.agreement.cohen_kappa, Figure::Undefined(NO_VARIATION));
        assert_eq!(
            rep.agreement.krippendorff_alpha,
            Figure::Undefined(NO_VARIATION)
        );
        fig(rep.agreement.observed_agreement, 1.0);
        // Perfect agreement with variation is exactly 1.
        let v = [0, 1, 2, 1];
        assert_eq!(cohen_kappa(&v, &v)?, Figure::Value(1.0));
        let items: Vec<Vec<u32>> = v.iter().map(|&c| vec![c; 3]).collect();
        assert_eq!(fleiss_kappa(&items)?, Figure::Value(1.0));
        let items: Vec<Vec<Option<u32>>> =
            v.iter().map(|&c| vec![Some(c), Some(c), None]).collect();
        assert_eq!(krippendorff_alpha_nominal(&items), Figure::Value(1.0));
        // Items exist but none pairable / complete / shared.
        let mut r = CategoryRatings::new(2, 2);
        r.push_item(&[Some(0), None])?;
        r.push_item(&[None, Some(1)])?;
        assert_eq!(r.krippendorff_alpha(), Figure::Undefined(NO_PAIRABLE_ITEMS));
        assert_eq!(r.fleiss_kappa(), Figure::Undefined(NO_COMPLETE_ITEMS));
        assert_eq!(r.cohen_kappa(), Figure::Undefined(NO_SHARED_ITEMS));
        // One rater.
        let one = CategoryRatings::new(1, 2);
        assert_eq!(
            one.krippendorff_alpha(),
            Figure::Undefined(FEWER_THAN_TWO_RATERS)
        );
        assert_eq!(
            one.mean_pairwise_cohen_kappa(),
            Figure::Undefined(FEWER_THAN_TWO_RATERS)
        );
        // Bad input shapes are errors, not panics.
        assert_eq!(
            r.push_item(&[Some(5), None]),
            Err(AgreeError::CategoryOutOfRange {
                category: 5,
                categories: 2
            })
        );
        assert_eq!(
            r.push_item(&[Some(0)]),
            Err(AgreeError::RaterCount {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            r.add_document(&[Some(&[0, 1]), Some(&[0])]),
            Err(AgreeError::LengthMismatch {
                rater: 1,
                expected: 2,
                got: 1
            })
        );
        assert!(fleiss_kappa(&[vec![0, 1], vec![0]]).is_err());
        Ok(())
    }

    #[test]
    fn two_rater_fast_path_equals_per_item_path() -> TestResult {
        let mut rng = Lcg(5);
        let mut fast = CategoryRatings::new(2, 4);
        let mut slow = CategoryRatings::new(2, 4);
        for _ in 0..50 {
            let n = rng.below(30) as usize;
            let a: Vec<u32> = (0..n).map(|_| rng.below(4) as u32).collect();
            let b: Vec<u32> = a
                .iter()
                .map(|&x| {
                    if rng.below(3) == 0 {
                        rng.below(4) as u32
                    } else {
                        x
                    }
                })
                .collect();
            fast.add_document(&[Some(&a), Some(&b)])?;
            for (&x, &y) in a.iter().zip(&b) {
                slow.push_item(&[Some(x), Some(y)])?;
            }
            // a document only one rater annotated (generic path)
            fast.add_document(&[Some(&a), None])?;
            for &x in &a {
                slow.push_item(&[Some(x), None])?;
            }
        }
        assert_eq!(fast.report(), slow.report());
        assert_eq!(fast.complete_sum_sq, slow.complete_sum_sq);
        assert_eq!(fast.disagreements_by_m, slow.disagreements_by_m);
        assert_eq!(fast.pair_tables, slow.pair_tables);
        Ok(())
    }

    #[test]
    fn json_shapes() -> TestResult {
        use serde_json::json;
        assert_eq!(serde_json::to_value(Figure::Value(0.4))?, json!(0.4));
        assert_eq!(
            serde_json::to_value(Figure::Undefined(NO_ITEMS))?,
            json!({"undefined": "no items"})
        );
        let a = [sp(0, 5, "actor")];
        let r = SpanCounts::for_document(&a, &[], MatchMode::Overlap).report();
        assert_eq!(
            serde_json::to_value(&r)?,
            json!({
                "mode": "overlap",
                "documents": 1,
                "micro": {"tp": 0, "fp": 0, "fn": 1, "precision": null, "recall": 0.0, "f1": 0.0},
                "macro_f1": 0.0,
                "per_label": {"actor": {"tp": 0, "fp": 0, "fn": 1, "precision": null, "recall": 0.0, "f1": 0.0}}
            })
        );
        let m = ConfusionMatrix::for_document(&a, &[sp(1, 3, "place")]);
        assert_eq!(
            serde_json::to_value(&m)?,
            json!({
                "documents": 1,
                "labels_a": ["actor"],
                "labels_b": ["place"],
                "counts": {"actor": {"place": 1}}
            })
        );
        let mut l = LayerAgreement::new(Layer::new("claims", &["claim"]), 2);
        l.add_document(&[(0, 1)], &[Some(&[]), Some(&[])])?;
        let v = serde_json::to_value(l.report())?;
        assert_eq!(v["layer"], json!("claims"));
        assert_eq!(v["categories"], json!(["O", "claim"]));
        assert_eq!(v["items"], json!(1));
        assert_eq!(v["cohen_kappa"], json!({"undefined": NO_VARIATION}));
        assert_eq!(v["observed_agreement"], json!(1.0));
        let p = PairwiseSpanCounts::new(2, MatchMode::Exact).report();
        let v = serde_json::to_value(p)?;
        assert_eq!(v["pairs"][0]["a"], json!(0));
        assert_eq!(v["mean"]["f1"], json!(null));
        Ok(())
    }
}

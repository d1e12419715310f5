//! Span level: one-to-one matching of two annotators' spans (exact or
//! overlapping) and precision / recall / F1, per label and over annotator pairs.

use super::{AgreeError, SpanRef, mean_defined, ratio};
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use serde::Serialize;

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
pub(super) struct Interner {
    labels: Vec<String>,
}

impl Interner {
    pub(super) fn find(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    pub(super) fn id(&mut self, label: &str) -> usize {
        if let Some(p) = self.find(label) {
            return p;
        }
        self.labels.push(label.to_owned());
        self.labels.len() - 1
    }

    pub(super) fn name(&self, id: usize) -> &str {
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
pub(super) struct Matcher {
    /// Label id of each A / B span.
    pub(super) ids: [Vec<usize>; 2],
    /// A / B spans as entries sorted by (label id, start, end, index).
    order: [Vec<Entry>; 2],
    /// Spans already consumed by the overlap sweep.
    done: [Vec<bool>; 2],
    by_end: Vec<Event>,
    /// Available (started, unconsumed) spans per side.
    heaps: [EndHeap; 2],
    /// Matched (a index, b index) pairs, sorted.
    pub(super) pairs: Vec<(usize, usize)>,
    /// Whether each A / B span is in `pairs`.
    pub(super) matched: [Vec<bool>; 2],
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
    pub(super) fn run(
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

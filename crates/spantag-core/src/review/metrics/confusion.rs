//! Confusion matrix of labels over overlapping spans of two annotators.

use super::{Interner, MatchMode, Matcher, SpanRef};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Serialize, Serializer};

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

//! Relation level: one-to-one matching of two annotators' relations and precision / recall /
//! F1 per relation type.
//!
//! A relation is seen as its type and its two spans (range and label; span ids differ between
//! annotators). [`MatchMode::Exact`]: same type, and both spans have the same range and label.
//! [`MatchMode::Overlap`] (the lenient variant): same type, and each span overlaps its
//! counterpart with the same label; relations are then paired by a maximum bipartite matching
//! per type (the most hits possible with each relation used at most once).

use super::{Counts, MatchMode, SpanRef, SpanReport, mean_defined};
use std::collections::{BTreeMap, HashMap};

/// A relation as seen by the metrics: its type and its two spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RelationRef<'a> {
    pub kind: &'a str,
    pub from: SpanRef<'a>,
    pub to: SpanRef<'a>,
}

impl<'a> RelationRef<'a> {
    pub const fn new(kind: &'a str, from: SpanRef<'a>, to: SpanRef<'a>) -> Self {
        Self { kind, from, to }
    }

    fn matches(&self, other: &RelationRef<'_>, mode: MatchMode) -> bool {
        if self.kind != other.kind
            || self.from.label != other.from.label
            || self.to.label != other.to.label
        {
            return false;
        }
        match mode {
            MatchMode::Exact => {
                (self.from.start, self.from.end, self.to.start, self.to.end)
                    == (
                        other.from.start,
                        other.from.end,
                        other.to.start,
                        other.to.end,
                    )
            }
            MatchMode::Overlap => self.from.overlaps(&other.from) && self.to.overlaps(&other.to),
        }
    }
}

/// Number of one-to-one matched pairs between `a` and `b` of one relation type.
fn matched_pairs(a: &[&RelationRef<'_>], b: &[&RelationRef<'_>], mode: MatchMode) -> u64 {
    match mode {
        MatchMode::Exact => {
            // Multiset intersection of identical relations.
            let mut left: HashMap<&RelationRef<'_>, u64> = HashMap::new();
            for r in a {
                *left.entry(*r).or_default() += 1;
            }
            let mut hits = 0;
            for r in b {
                if let Some(n) = left.get_mut(*r)
                    && *n > 0
                {
                    *n -= 1;
                    hits += 1;
                }
            }
            hits
        }
        MatchMode::Overlap => {
            // Maximum bipartite matching by augmenting paths (Kuhn): relations of one type in
            // one document are few.
            let edges: Vec<Vec<usize>> = a
                .iter()
                .map(|x| {
                    b.iter()
                        .enumerate()
                        .filter(|(_, y)| x.matches(y, mode))
                        .map(|(j, _)| j)
                        .collect()
                })
                .collect();
            let mut owner: Vec<Option<usize>> = vec![None; b.len()];
            let mut hits = 0;
            for i in 0..a.len() {
                let mut seen = vec![false; b.len()];
                if augment(i, &edges, &mut owner, &mut seen) {
                    hits += 1;
                }
            }
            hits
        }
    }
}

/// Tries to give `i` a partner, moving earlier pairs along an augmenting path (iteratively, so a
/// long path cannot exhaust the stack).
fn augment(i: usize, edges: &[Vec<usize>], owner: &mut [Option<usize>], seen: &mut [bool]) -> bool {
    // Stack of (left vertex, next edge to try, the right vertex that led here).
    let mut stack: Vec<(usize, usize, Option<usize>)> = vec![(i, 0, None)];
    while let Some(top) = stack.last_mut() {
        let u = top.0;
        let Some(&v) = edges.get(u).and_then(|e| e.get(top.1)) else {
            stack.pop();
            continue;
        };
        top.1 += 1;
        if seen[v] {
            continue;
        }
        seen[v] = true;
        match owner[v] {
            Some(w) => stack.push((w, 0, Some(v))),
            None => {
                // Flip the path: v goes to u, and each earlier vertex to the one that led on.
                let mut v = v;
                while let Some((u, _, via)) = stack.pop() {
                    owner[v] = Some(u);
                    match via {
                        Some(p) => v = p,
                        None => break,
                    }
                }
                return true;
            }
        }
    }
    false
}

/// Relation-level counts between a reference annotator A and a predicting annotator B, per
/// relation type, summed over documents.
#[derive(Debug, Clone)]
pub struct RelationCounts {
    mode: MatchMode,
    documents: u64,
    per_type: BTreeMap<String, Counts>,
}

impl RelationCounts {
    pub fn new(mode: MatchMode) -> Self {
        Self {
            mode,
            documents: 0,
            per_type: BTreeMap::new(),
        }
    }

    /// Counts for a single document.
    pub fn for_document(a: &[RelationRef<'_>], b: &[RelationRef<'_>], mode: MatchMode) -> Self {
        let mut c = Self::new(mode);
        c.add_document(a, b);
        c
    }

    /// Matches one document's relations and adds the counts: matched pairs are `tp` of their
    /// type, unmatched A relations `fn`, unmatched B relations `fp`.
    pub fn add_document(&mut self, a: &[RelationRef<'_>], b: &[RelationRef<'_>]) {
        self.documents += 1;
        let mut kinds: Vec<&str> = a.iter().chain(b).map(|r| r.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        for kind in kinds {
            let ga: Vec<&RelationRef<'_>> = a.iter().filter(|r| r.kind == kind).collect();
            let gb: Vec<&RelationRef<'_>> = b.iter().filter(|r| r.kind == kind).collect();
            let tp = matched_pairs(&ga, &gb, self.mode);
            let c = self.per_type.entry(kind.to_owned()).or_default();
            *c += Counts {
                tp,
                fp: gb.len() as u64 - tp,
                fn_: ga.len() as u64 - tp,
            };
        }
    }

    /// Adds another accumulator's counts.
    pub fn merge(&mut self, other: &RelationCounts) {
        self.documents += other.documents;
        for (k, c) in &other.per_type {
            *self.per_type.entry(k.clone()).or_default() += *c;
        }
    }

    /// Counts per relation type (every type seen on either side).
    pub fn per_type(&self) -> &BTreeMap<String, Counts> {
        &self.per_type
    }

    /// Micro-average: the sum over types.
    pub fn micro(&self) -> Counts {
        self.per_type
            .values()
            .fold(Counts::default(), |acc, &c| acc + c)
    }

    /// The report, in the shape of a span report (`per_label` is per relation type).
    pub fn report(&self) -> SpanReport {
        let per_label: BTreeMap<String, super::Scores> = self
            .per_type
            .iter()
            .map(|(k, c)| (k.clone(), c.scores()))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rel<'a>(
        kind: &'a str,
        from: (usize, usize, &'a str),
        to: (usize, usize, &'a str),
    ) -> RelationRef<'a> {
        RelationRef::new(
            kind,
            SpanRef::new(from.0, from.1, from.2),
            SpanRef::new(to.0, to.1, to.2),
        )
    }

    #[test]
    fn exact_needs_type_and_both_spans() {
        let a = [
            rel("source", (0, 10, "claim"), (20, 25, "actor")),
            rel("source", (30, 40, "claim"), (50, 55, "actor")),
            rel("location", (0, 10, "claim"), (60, 66, "place")),
        ];
        let b = [
            // same
            rel("source", (0, 10, "claim"), (20, 25, "actor")),
            // tail one character longer: not exact, but lenient
            rel("source", (30, 40, "claim"), (50, 56, "actor")),
            // other type between the same spans
            rel("source", (0, 10, "claim"), (60, 66, "place")),
        ];
        let e = RelationCounts::for_document(&a, &b, MatchMode::Exact);
        assert_eq!(
            e.micro(),
            Counts {
                tp: 1,
                fp: 2,
                fn_: 2
            }
        );
        assert_eq!(
            e.per_type()["location"],
            Counts {
                tp: 0,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(e.report().micro.f1, Some(2.0 / 6.0));
        let o = RelationCounts::for_document(&a, &b, MatchMode::Overlap);
        assert_eq!(
            o.micro(),
            Counts {
                tp: 2,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(o.report().micro.precision, Some(2.0 / 3.0));
    }

    #[test]
    fn lenient_matching_is_maximum_and_one_to_one() {
        // A greedy pairing of a0 with b0 would leave a1 without a partner.
        let a = [
            rel("source", (0, 10, "claim"), (20, 30, "actor")),
            rel("source", (0, 10, "claim"), (28, 40, "actor")),
        ];
        let b = [
            rel("source", (2, 8, "claim"), (25, 35, "actor")),
            rel("source", (0, 10, "claim"), (21, 24, "actor")),
        ];
        let o = RelationCounts::for_document(&a, &b, MatchMode::Overlap);
        assert_eq!(
            o.micro(),
            Counts {
                tp: 2,
                fp: 0,
                fn_: 0
            }
        );
        // Overlap needs the same labels, and each relation is used once.
        let c = [rel("source", (0, 10, "quote"), (20, 30, "actor"))];
        let o = RelationCounts::for_document(&a, &c, MatchMode::Overlap);
        assert_eq!(
            o.micro(),
            Counts {
                tp: 0,
                fp: 1,
                fn_: 2
            }
        );
        let dup = [a[0], a[0]];
        let o = RelationCounts::for_document(&a[..1], &dup, MatchMode::Overlap);
        assert_eq!(
            o.micro(),
            Counts {
                tp: 1,
                fp: 1,
                fn_: 0
            }
        );
        let e = RelationCounts::for_document(&dup, &dup, MatchMode::Exact);
        assert_eq!(
            e.micro(),
            Counts {
                tp: 2,
                fp: 0,
                fn_: 0
            }
        );
        // Nothing on either side: F1 undefined, never NaN.
        let none = RelationCounts::for_document(&[], &[], MatchMode::Exact);
        assert_eq!(none.report().micro.f1, None);
        // Counts add up over documents.
        let mut sum = RelationCounts::new(MatchMode::Overlap);
        sum.add_document(&a, &b);
        sum.add_document(&a, &c);
        assert_eq!(
            sum.micro(),
            Counts {
                tp: 2,
                fp: 1,
                fn_: 2
            }
        );
        assert_eq!(sum.report().documents, 2);
    }

    #[test]
    fn augmenting_paths_find_the_maximum_on_a_chain() {
        // a_i overlaps b_i and b_{i+1}; a greedy choice of b_{i+1} everywhere would lose one.
        let n = 200;
        let a: Vec<RelationRef<'_>> = (0..n)
            .map(|i| {
                rel(
                    "source",
                    (0, 5, "claim"),
                    (10 * i + 5, 10 * i + 15, "actor"),
                )
            })
            .collect();
        let b: Vec<RelationRef<'_>> = (0..n)
            .map(|i| rel("source", (0, 5, "claim"), (10 * i + 1, 10 * i + 9, "actor")))
            .collect();
        let o = RelationCounts::for_document(&a, &b, MatchMode::Overlap);
        assert_eq!(o.micro().tp, n as u64);
    }
}

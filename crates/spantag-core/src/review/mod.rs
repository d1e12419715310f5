//! Reviewing: comparing annotators, agreement figures, merging into a gold project, and the
//! queues a reviewer walks.

pub mod agreement;
pub mod compare;
pub mod merge;
pub mod metrics;
pub mod queue;

/// Disjoint sets over `0..n`, for grouping competing spans into one decision.
pub(crate) struct Groups {
    parent: Vec<usize>,
}

impl Groups {
    pub(crate) fn new(n: usize) -> Self {
        Groups {
            parent: (0..n).collect(),
        }
    }

    pub(crate) fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    pub(crate) fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        self.parent[ra.max(rb)] = ra.min(rb);
    }
}

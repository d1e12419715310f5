//! Nominal ratings: Cohen's kappa (per rater pair), Fleiss' kappa and
//! Krippendorff's alpha from integer sufficient statistics.

use super::{
    AgreeError, COHEN_NEEDS_TWO_RATERS, FEWER_THAN_TWO_RATERS, Figure, NO_COMPLETE_ITEMS,
    NO_DEFINED_PAIR, NO_ITEMS, NO_PAIRABLE_ITEMS, NO_SHARED_ITEMS, NO_SUCH_PAIR, NO_VARIATION,
    mean_defined,
};
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

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
    pub(super) fn add_pair_columns(&mut self, a: &[u32], b: &[u32]) {
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

#[cfg(test)]
mod tests {
    use super::super::tests::{Lcg, TestResult};
    use super::*;

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
}

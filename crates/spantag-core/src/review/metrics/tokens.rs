//! Token level: label layers, the category of each token per annotator, and
//! the agreement of one layer pooled over documents (kappas and alpha through
//! [`CategoryRatings`]).

use super::{AgreeError, CategoryRatings, RatingsReport, SpanRef};
use std::cmp::Reverse;

use serde::Serialize;

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

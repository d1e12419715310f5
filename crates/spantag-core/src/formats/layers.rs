//! Layers and the overlap policy: which spans of a document one layer keeps (see the module
//! documentation of [`super`]), and the shared state of an export run that reports the others.
//!
//! Which labels form the entity layer by default is decided here, by [`is_entity_label`], and
//! nowhere else in the exports.

use super::{ExportOptions, Layer, NOT_ALIGNED, Overlap, Prepared, Unrepresented};
use crate::model::{Document, Project, Span, SpanId};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// Whether a label belongs to the entity layer when no entity labels are given
/// ([`ExportOptions::entity_labels`] is `None`): every label whose name does not contain `claim`,
/// `quote` or `sentence` (in any case) is an entity label. So `actor`, `place`, `number` and
/// CoNLL-2003's `PER`, `LOC`, `ORG`, `MISC` are entity labels, while `claim`, `Quote`,
/// `key_sentence` form the claims layer. This is the rule by which the app draws passage labels
/// as bands and agreement splits its layers ([`crate::model::is_band_label`]).
pub fn is_entity_label(name: &str) -> bool {
    if name.is_ascii() {
        // The same test without allocating a lower-case copy (called once per exported span).
        let has = |word: &[u8]| {
            name.as_bytes()
                .windows(word.len())
                .any(|w| w.eq_ignore_ascii_case(word))
        };
        return !(has(b"claim") || has(b"quote") || has(b"sentence"));
    }
    !crate::model::is_band_label(name)
}

/// One resolved layer: the kept spans with their token ranges, in text order.
pub(crate) struct LayerSpans<'a> {
    pub spans: Vec<(Range<usize>, &'a Span)>,
}

/// Resolves the spans of one layer (already aligned) into non-overlapping ones; the losers are
/// returned with the span that won.
pub(crate) fn resolve_layer<'a>(
    cands: Vec<(Range<usize>, &'a Span)>,
    policy: Overlap,
    label_order: &dyn Fn(&str) -> usize,
) -> (LayerSpans<'a>, Vec<(&'a Span, &'a Span)>) {
    // The usual case: candidates in text order that do not overlap are all kept, whatever the
    // policy.
    if cands.windows(2).all(|w| w[0].0.end <= w[1].0.start) {
        return (LayerSpans { spans: cands }, Vec::new());
    }
    // Each label's rank once per span, not once per comparison.
    let mut keyed: Vec<(usize, Range<usize>, &'a Span)> = cands
        .into_iter()
        .map(|(r, s)| (label_order(&s.label), r, s))
        .collect();
    match policy {
        Overlap::Longest => keyed.sort_by(|(ra, a, sa), (rb, b, sb)| {
            (b.len(), a.start, ra, sa.id).cmp(&(a.len(), b.start, rb, sb.id))
        }),
        Overlap::First => keyed.sort_by(|(ra, a, sa), (rb, b, sb)| {
            (a.start, b.len(), ra, sa.id).cmp(&(b.start, a.len(), rb, sb.id))
        }),
    }
    let mut kept: Vec<(Range<usize>, &'a Span)> = Vec::with_capacity(keyed.len());
    let mut losers = Vec::new();
    for (_, r, s) in keyed {
        // kept is small per document; a sorted insert keeps the check logarithmic.
        let i = kept.partition_point(|(k, _)| k.start < r.start);
        let clash = kept
            .get(i)
            .filter(|(k, _)| k.start < r.end)
            .or_else(|| {
                i.checked_sub(1)
                    .and_then(|j| kept.get(j))
                    .filter(|(k, _)| k.end > r.start)
            })
            .map(|(_, w)| *w);
        match clash {
            Some(w) => losers.push((s, w)),
            None => kept.insert(i, (r, s)),
        }
    }
    (LayerSpans { spans: kept }, losers)
}

/// Shared state of one export run.
pub(crate) struct Ctx<'p> {
    pub opts: &'p ExportOptions,
    pub project: &'p Project,
    label_rank: HashMap<&'p str, usize>,
    /// Whether each label of the project is in the entity layer (looked up once per span; a
    /// short list beats hashing the label).
    entity: Vec<(&'p str, bool)>,
}

impl<'p> Ctx<'p> {
    pub(crate) fn new(project: &'p Project, opts: &'p ExportOptions) -> Self {
        let label_rank = project
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.name.as_str(), i))
            .collect();
        let entity = project
            .labels
            .iter()
            .map(|l| (l.name.as_str(), opts.is_entity(&l.name)))
            .collect();
        Ctx {
            opts,
            project,
            label_rank,
            entity,
        }
    }

    /// [`ExportOptions::is_entity`], answered from the project's labels where it can.
    pub fn is_entity(&self, label: &str) -> bool {
        self.entity
            .iter()
            // Length and first byte tell the labels of a project apart before any comparison.
            .find(|(l, _)| {
                l.len() == label.len()
                    && l.as_bytes().first() == label.as_bytes().first()
                    && *l == label
            })
            .map_or_else(|| self.opts.is_entity(label), |&(_, e)| e)
    }

    pub fn rank(&self, label: &str) -> usize {
        self.label_rank.get(label).copied().unwrap_or(usize::MAX)
    }

    /// Labels of a layer, in project order (plus labels used by spans but missing from the set).
    pub fn layer_labels(&self, entities: bool) -> Vec<String> {
        let mut v: Vec<String> = self
            .project
            .labels
            .iter()
            .map(|l| l.name.clone())
            .filter(|l| self.opts.label_ok(l) && self.opts.is_entity(l) == entities)
            .collect();
        let mut extra: Vec<String> = Vec::new();
        for d in &self.project.documents {
            for s in &d.spans {
                if self.opts.is_entity(&s.label) == entities
                    && self.opts.label_ok(&s.label)
                    && !v.contains(&s.label)
                    && !extra.contains(&s.label)
                {
                    extra.push(s.label.clone());
                }
            }
        }
        extra.sort();
        v.extend(extra);
        v
    }

    /// Which layers CoNLL / hf write: `(entities?, is_companion)` pairs.
    pub fn layers(&self) -> Vec<bool> {
        match self.opts.layer {
            Layer::Entities => vec![true],
            Layer::Claims => vec![false],
            Layer::Both => {
                if self.layer_labels(false).is_empty() {
                    vec![true]
                } else {
                    vec![true, false]
                }
            }
        }
    }

    /// Aligns and resolves the spans of one layer of a prepared document, reporting losers and
    /// unaligned spans into `sink` (once per span: the caller passes each layer once).
    pub fn layer<'a>(
        &self,
        p: &mut Prepared<'a>,
        entities: bool,
        sink: &mut Reports,
    ) -> LayerSpans<'a> {
        self.layer_with(p, entities, sink, true)
    }

    /// [`Ctx::layer`]; when `losers_lost` is false, spans that lose an overlap are only noted
    /// (the format carries them elsewhere, e.g. `.spacy`'s `doc.spans`).
    pub fn layer_with<'a>(
        &self,
        p: &mut Prepared<'a>,
        entities: bool,
        sink: &mut Reports,
        losers_lost: bool,
    ) -> LayerSpans<'a> {
        p.tokens();
        let mut cands = Vec::new();
        for &s in &p.spans {
            if self.is_entity(&s.label) != entities {
                continue;
            }
            match p.token_range(s) {
                Some(r) => cands.push((r, s)),
                None => sink.unrepresented(p.doc, s, NOT_ALIGNED.to_owned()),
            }
        }
        let (kept, losers) = resolve_layer(cands, self.opts.overlap, &|l| self.rank(l));
        for (s, w) in losers {
            if !losers_lost {
                sink.notes.push(format!(
                    "document {:?}: {} span {}..{} {:?} overlaps the {} span {}..{} {:?}; it is in the span group but not an entity (`{}` overlap policy)",
                    p.doc.id, s.label, s.start, s.end, s.text, w.label, w.start, w.end, w.text, self.opts.overlap
                ));
                continue;
            }
            sink.unrepresented(
                p.doc,
                s,
                format!(
                    "overlaps the {} span {}..{} {:?} of the same layer, which the `{}` overlap policy keeps",
                    w.label, w.start, w.end, w.text, self.opts.overlap
                ),
            );
        }
        kept
    }
}

/// Collects unrepresented spans and notes while rendering.
#[derive(Default)]
pub(crate) struct Reports {
    pub unrepresented: Vec<Unrepresented>,
    pub notes: Vec<String>,
    pub lost: HashSet<SpanId>,
    /// Relations the format wrote: each writer that carries relations counts them here and sets
    /// `carries_relations`; an export of relations by a format that does neither says that the
    /// format does not write them.
    pub relations_written: usize,
    pub carries_relations: bool,
    /// Set by a writer that writes discontinuous spans' fragments (brat); other formats write
    /// such a span over its whole range, which the export summary notes.
    pub carries_fragments: bool,
    /// Why the format holds no relations at all (`"CoNLL cannot hold relations"`), set by its
    /// writer; the export summary then says how many were not exported and why.
    pub no_relations: Option<&'static str>,
}

impl Reports {
    /// The relations of `p` (selected by the export driver) whose two spans are both written
    /// (not reported as unrepresented), in id order: a writer that writes relations calls this,
    /// which counts them as written and marks the format as carrying relations.
    pub fn relations<'a>(&mut self, p: &super::Prepared<'a>) -> Vec<&'a crate::model::Relation> {
        self.carries_relations = true;
        let kept: Vec<&'a crate::model::Relation> = p
            .relations
            .iter()
            .copied()
            .filter(|r| !self.lost.contains(&r.from) && !self.lost.contains(&r.to))
            .collect();
        self.relations_written += kept.len();
        kept
    }

    pub fn unrepresented(&mut self, doc: &Document, s: &Span, reason: String) {
        if !self.lost.insert(s.id) {
            return;
        }
        self.unrepresented.push(Unrepresented {
            doc: doc.id.clone(),
            span: s.id,
            label: s.label.clone(),
            start: s.start,
            end: s.end,
            text: s.text.clone(),
            reason,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::is_entity_label;

    #[test]
    fn entity_labels_are_every_label_that_is_not_a_passage() {
        for l in [
            "actor", "place", "number", "PER", "LOC", "ORG", "MISC", "Event", "Zeit", "人物",
        ] {
            assert!(is_entity_label(l), "{l}");
            assert_eq!(is_entity_label(l), !crate::model::is_band_label(l), "{l}");
        }
        for l in [
            "claim",
            "CLAIM",
            "Claims",
            "quote",
            "Quote_direct",
            "key-sentence",
            "SENTENCE",
            "claim_über",
        ] {
            assert!(!is_entity_label(l), "{l}");
            assert_eq!(is_entity_label(l), !crate::model::is_band_label(l), "{l}");
        }
    }
}

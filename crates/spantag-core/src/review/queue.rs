//! The queues a reviewer walks, in reading order (documents in project order, spans in text
//! order): the conflict queue of a gold project, its pending spans and relations grouped into
//! [`Decision`]s ([`decisions`]), and the review queue of any project, every span, relation or
//! claim without a source that passes a [`QueueFilter`] ([`review_queue`]). [`step_index`]
//! finds the next or previous entry from a reading position. Nothing here changes a project;
//! the GUI caches these by revision.

use super::merge::conflicts;
use crate::model::{Document, Project, RelationId, SpanId, Status};

/// A reading position: (document index, span index within the document).
pub type Position = (usize, usize);

/// One conflict-queue decision: competing pending spans of a gold document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Index of the document in the project.
    pub doc: usize,
    /// Position of its first span in the document's span list.
    pub first: usize,
    /// The competing spans, in text order.
    pub spans: Vec<SpanId>,
    /// The pending relations decided with them, in id order.
    pub relations: Vec<RelationId>,
    /// The span to select for the decision: the one at `first` (its first span, or the head
    /// span of its first relation).
    pub anchor: SpanId,
}

impl Decision {
    /// Where the decision is in reading order.
    pub fn key(&self) -> Position {
        (self.doc, self.first)
    }
}

/// The conflict queue of a gold project: every document's [`conflicts`], in reading order.
pub fn decisions(project: &Project) -> Vec<Decision> {
    let mut out = Vec::new();
    for (di, d) in project.documents.iter().enumerate() {
        for c in conflicts(d) {
            let heads = c
                .relations
                .iter()
                .filter_map(|id| d.relation(*id).map(|r| r.from));
            let Some(first) = c
                .spans
                .iter()
                .copied()
                .chain(heads)
                .filter_map(|id| d.span_index(id))
                .min()
            else {
                continue;
            };
            let Some(anchor) = d.spans.get(first).map(|s| s.id) else {
                continue;
            };
            out.push(Decision {
                doc: di,
                first,
                spans: c.spans,
                relations: c.relations,
                anchor,
            });
        }
    }
    out.sort_by_key(Decision::key);
    out
}

/// The decision of `decisions` (as [`decisions`] orders them) that span `id` of document `doc`
/// belongs to, or whose anchor it is (the head span of a decision of relations only). A binary
/// search finds the document's decisions.
pub fn decision_of(decisions: &[Decision], doc: usize, id: SpanId) -> Option<&Decision> {
    let from = decisions.partition_point(|d| d.doc < doc);
    let mine = || decisions[from..].iter().take_while(|d| d.doc == doc);
    mine()
        .find(|d| d.spans.contains(&id))
        .or_else(|| mine().find(|d| d.anchor == id))
}

/// The decision to go to from reading position `pos`: the first after it (at or after it unless
/// `strict`), starting over at the first decision at the end of the queue, or the last before it
/// when going backwards (`None` before the first one).
pub fn next_decision(
    decisions: &[Decision],
    pos: Position,
    strict: bool,
    forward: bool,
) -> Option<&Decision> {
    step_index(decisions, Decision::key, pos, strict, forward)
        .or_else(|| (!decisions.is_empty() && forward).then_some(0))
        .and_then(|i| decisions.get(i))
}

/// In `items` sorted by `key` (reading order), the index of the first item after `pos` (at or
/// after it unless `strict`), or of the last item before it when going backwards.
pub fn step_index<T>(
    items: &[T],
    key: impl Fn(&T) -> Position,
    pos: Position,
    strict: bool,
    forward: bool,
) -> Option<usize> {
    if forward {
        let i = if strict {
            items.partition_point(|it| key(it) <= pos)
        } else {
            items.partition_point(|it| key(it) < pos)
        };
        (i < items.len()).then_some(i)
    } else {
        items.partition_point(|it| key(it) < pos).checked_sub(1)
    }
}

/// What the review queue lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum QueueKind {
    /// Spans.
    #[default]
    Spans,
    /// Relations, each at its head span (in reading order of head, then tail, then id).
    Relations,
    /// Claims without a source: spans whose label the `source` relation type allows as its head
    /// and that have no `source` relation.
    Unsourced,
}

/// The relation type whose missing relation makes a claim "without a source".
pub const SOURCE_TYPE: &str = "source";

/// Filters of the review queue (`None` = any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub kind: QueueKind,
    pub status: Option<Status>,
    /// The span's label; for relations, the relation type.
    pub label: Option<String>,
    /// The span's (or relation's) author, or one of the annotators who proposed it.
    pub author: Option<String>,
}

/// One review-queue entry: a span of document `doc` at position `index` of its span list, or
/// (`relation` set) a relation at position `index` of the document's relations in reading order
/// ([`relations_in_reading_order`]), `id` being its head span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueItem {
    pub doc: usize,
    pub index: usize,
    pub id: SpanId,
    pub relation: Option<RelationId>,
}

/// A document's relations in reading order: by the position of the head span, then of the tail
/// span, then id. Relations naming a missing span come last.
pub fn relations_in_reading_order(d: &Document) -> Vec<usize> {
    let pos = |id| d.span_index(id).unwrap_or(usize::MAX);
    let mut order: Vec<(usize, usize, RelationId, usize)> = d
        .relations
        .iter()
        .enumerate()
        .map(|(i, r)| (pos(r.from), pos(r.to), r.id, i))
        .collect();
    order.sort_unstable();
    order.into_iter().map(|(_, _, _, i)| i).collect()
}

/// The claims without a source of document `d` (positions in its span list): spans whose label
/// the project's `source` relation type allows as its head and that are the head of no `source`
/// relation. Empty when the project has no `source` type. Rejected spans are not claims.
pub fn unsourced_claims(project: &Project, d: &Document) -> Vec<usize> {
    let Some(source) = project.relation_type(SOURCE_TYPE) else {
        return Vec::new();
    };
    let sourced: std::collections::HashSet<SpanId> = d
        .relations
        .iter()
        .filter(|r| r.kind == SOURCE_TYPE && r.status != Status::Rejected)
        .map(|r| r.from)
        .collect();
    d.spans
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.status != Status::Rejected && source.allows_from(&s.label) && !sourced.contains(&s.id)
        })
        .map(|(i, _)| i)
        .collect()
}

impl QueueItem {
    /// Where the entry is in reading order.
    pub fn key(&self) -> Position {
        (self.doc, self.index)
    }
}

/// The review queue of a project and its progress counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewQueue {
    /// The spans that pass the filter, in reading order.
    pub items: Vec<QueueItem>,
    /// Per document: (reviewed, total) spans and relations, whatever the filter.
    pub per_doc: Vec<(usize, usize)>,
    /// Over all documents: (reviewed, total) spans and relations.
    pub overall: (usize, usize),
    /// Everyone who made or proposed a span, sorted (the author filter's choices).
    pub authors: Vec<String>,
}

/// The review queue of `project` under `filter`. A span or relation counts as reviewed once
/// its status is not pending; progress counts both, whatever the filter.
pub fn review_queue(project: &Project, filter: &QueueFilter) -> ReviewQueue {
    let mut items = Vec::new();
    let mut per_doc = Vec::with_capacity(project.documents.len());
    let mut authors = std::collections::BTreeSet::new();
    let passes = |status: Status, label: &str, author: &str, proposed: &[String]| {
        filter.status.is_none_or(|st| st == status)
            && filter.label.as_ref().is_none_or(|l| l == label)
            && filter
                .author
                .as_ref()
                .is_none_or(|a| a == author || proposed.contains(a))
    };
    for (di, d) in project.documents.iter().enumerate() {
        let mut reviewed = 0;
        for s in &d.spans {
            if s.status != Status::Pending {
                reviewed += 1;
            }
            authors.insert(s.author.as_str());
            authors.extend(s.proposed_by.iter().map(String::as_str));
        }
        for r in &d.relations {
            if r.status != Status::Pending {
                reviewed += 1;
            }
            authors.insert(r.author.as_str());
            authors.extend(r.proposed_by.iter().map(String::as_str));
        }
        match filter.kind {
            QueueKind::Spans => {
                for (index, s) in d.spans.iter().enumerate() {
                    if passes(s.status, &s.label, &s.author, &s.proposed_by) {
                        items.push(QueueItem {
                            doc: di,
                            index,
                            id: s.id,
                            relation: None,
                        });
                    }
                }
            }
            QueueKind::Relations => {
                for (index, i) in relations_in_reading_order(d).into_iter().enumerate() {
                    let Some(r) = d.relations.get(i) else {
                        continue;
                    };
                    if passes(r.status, &r.kind, &r.author, &r.proposed_by) {
                        items.push(QueueItem {
                            doc: di,
                            index,
                            id: r.from,
                            relation: Some(r.id),
                        });
                    }
                }
            }
            QueueKind::Unsourced => {
                for index in unsourced_claims(project, d) {
                    let Some(s) = d.spans.get(index) else {
                        continue;
                    };
                    if passes(s.status, &s.label, &s.author, &s.proposed_by) {
                        items.push(QueueItem {
                            doc: di,
                            index,
                            id: s.id,
                            relation: None,
                        });
                    }
                }
            }
        }
        per_doc.push((reviewed, d.spans.len() + d.relations.len()));
    }
    let overall = per_doc.iter().fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
    ReviewQueue {
        items,
        per_doc,
        overall,
        authors: authors.into_iter().map(str::to_owned).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markup::project_from_markup;
    use crate::model::Review;
    use crate::time::Timestamp;
    use std::sync::Arc;

    /// A gold-like project: every span pending, two documents with conflicts.
    fn gold() -> Project {
        let mut p = project_from_markup(
            "gold",
            &[
                (
                    "a",
                    "[actor [place Zoë Ōno]] met [number [number 12] aides] \u{1F600} today.",
                ),
                ("b", "Nothing to decide here."),
                ("c", "[actor Москва] и [place Москва] [claim 東京 e\u{301}]"),
            ],
            "ana",
            Timestamp(0),
        )
        .unwrap();
        for d in &mut p.documents {
            for s in &mut Arc::make_mut(d).spans {
                s.status = Status::Pending;
            }
        }
        p
    }

    fn texts(p: &Project, d: &Decision) -> Vec<String> {
        d.spans
            .iter()
            .map(|id| p.documents[d.doc].span(*id).unwrap().text.clone())
            .collect()
    }

    #[test]
    fn decisions_group_competing_spans_in_reading_order() {
        let p = gold();
        let ds = decisions(&p);
        let got: Vec<(usize, Vec<String>)> = ds.iter().map(|d| (d.doc, texts(&p, d))).collect();
        let want: Vec<(usize, Vec<&str>)> = vec![
            (0, vec!["Zoë Ōno", "Zoë Ōno"]),
            (0, vec!["12 aides", "12"]),
            (2, vec!["Москва"]),
            (2, vec!["Москва"]),
            (2, vec!["東京 e\u{301}"]),
        ];
        let want: Vec<(usize, Vec<String>)> = want
            .into_iter()
            .map(|(d, v)| (d, v.into_iter().map(str::to_owned).collect()))
            .collect();
        assert_eq!(got, want);
        assert!(ds.windows(2).all(|w| w[0].key() < w[1].key()));
        // Accepted spans leave the queue.
        let mut done = p.clone();
        for s in &mut Arc::make_mut(&mut done.documents[0]).spans {
            s.status = Status::Accepted;
        }
        assert!(decisions(&done).iter().all(|d| d.doc == 2));
    }

    #[test]
    fn the_decision_of_a_span_and_stepping_between_decisions() {
        let p = gold();
        let ds = decisions(&p);
        let second = &ds[1];
        let id = second.spans[1];
        assert_eq!(decision_of(&ds, 0, id), Some(second));
        assert_eq!(decision_of(&ds, 1, id), None);
        // From the first decision, strictly forward: the second; backwards: none before it.
        assert_eq!(next_decision(&ds, ds[0].key(), true, true), Some(&ds[1]));
        assert_eq!(next_decision(&ds, ds[0].key(), false, true), Some(&ds[0]));
        assert_eq!(next_decision(&ds, ds[0].key(), true, false), None);
        // Past the last decision, forward starts over.
        let last = ds.last().unwrap();
        assert_eq!(next_decision(&ds, last.key(), true, true), Some(&ds[0]));
        assert_eq!(next_decision(&ds, (9, 0), true, false), Some(last));
        assert_eq!(next_decision(&[], (0, 0), false, true), None);
    }

    #[test]
    fn step_index_moves_in_reading_order() {
        let items = [(0, 1), (0, 4), (2, 0)];
        let key = |x: &(usize, usize)| *x;
        assert_eq!(step_index(&items, key, (0, 1), false, true), Some(0));
        assert_eq!(step_index(&items, key, (0, 1), true, true), Some(1));
        assert_eq!(step_index(&items, key, (1, 0), true, true), Some(2));
        assert_eq!(step_index(&items, key, (2, 0), true, true), None);
        assert_eq!(step_index(&items, key, (2, 0), true, false), Some(1));
        assert_eq!(step_index(&items, key, (0, 1), true, false), None);
    }

    #[test]
    fn the_review_queue_filters_and_counts_progress() {
        let mut p = gold();
        let s = &mut Arc::make_mut(&mut p.documents[2]).spans[0];
        s.status = Status::Accepted;
        s.review = Some(Review {
            reviewer: "rita".into(),
            time: Timestamp(1),
            note: None,
        });
        Arc::make_mut(&mut p.documents[0]).spans[0].proposed_by = vec!["ben".into()];
        let all = review_queue(&p, &QueueFilter::default());
        assert_eq!(all.items.len(), 7);
        assert_eq!(all.per_doc, vec![(0, 4), (0, 0), (1, 3)]);
        assert_eq!(all.overall, (1, 7));
        assert_eq!(all.authors, vec!["ana".to_owned(), "ben".to_owned()]);
        assert!(all.items.windows(2).all(|w| w[0].key() < w[1].key()));

        let numbers = QueueFilter {
            label: Some("number".into()),
            ..QueueFilter::default()
        };
        let q = review_queue(&p, &numbers);
        assert_eq!(q.items.len(), 2);
        assert_eq!(q.per_doc, all.per_doc, "progress ignores the filter");

        let accepted = QueueFilter {
            status: Some(Status::Accepted),
            ..QueueFilter::default()
        };
        let q = review_queue(&p, &accepted);
        assert_eq!(q.items.len(), 1);
        assert_eq!(q.items[0].doc, 2);

        let by_ben = QueueFilter {
            author: Some("ben".into()),
            ..QueueFilter::default()
        };
        assert_eq!(review_queue(&p, &by_ben).items.len(), 1);
    }

    #[test]
    fn the_review_queue_lists_relations_and_claims_without_a_source() {
        let mut p = project_from_markup(
            "p",
            &[
                (
                    "a",
                    "[claim#c [actor#z Zoë] said it] [claim#k [actor#m Москва] denied \u{1F600}] \
                     [claim nobody \u{301}said]\n#k -source-> #m\n#c -source-> #z",
                ),
                ("b", "[claim#q [place#l Lune] is calm]\n#q -location-> #l"),
            ],
            "ana",
            Timestamp(0),
        )
        .unwrap();
        let rels = QueueFilter {
            kind: QueueKind::Relations,
            ..QueueFilter::default()
        };
        let q = review_queue(&p, &rels);
        // In reading order of the head span, whatever the ids.
        let heads: Vec<String> = q
            .items
            .iter()
            .map(|it| p.documents[it.doc].span(it.id).unwrap().text.clone())
            .collect();
        assert_eq!(
            heads,
            ["Zoë said it", "Москва denied \u{1F600}", "Lune is calm"]
        );
        assert!(q.items.iter().all(|it| it.relation.is_some()));
        assert!(q.items.windows(2).all(|w| w[0].key() < w[1].key()));
        assert_eq!(q.per_doc, vec![(0, 7), (0, 3)]);
        let source_only = QueueFilter {
            label: Some("source".into()),
            ..rels.clone()
        };
        assert_eq!(review_queue(&p, &source_only).items.len(), 2);
        // One claim has no source; the one with only a location counts too.
        let unsourced = QueueFilter {
            kind: QueueKind::Unsourced,
            ..QueueFilter::default()
        };
        let q = review_queue(&p, &unsourced);
        let texts: Vec<String> = q
            .items
            .iter()
            .map(|it| p.documents[it.doc].spans[it.index].text.clone())
            .collect();
        assert_eq!(texts, ["nobody \u{301}said", "Lune is calm"]);
        // A rejected source relation does not count; accepting relations counts as progress.
        let d = Arc::make_mut(&mut p.documents[0]);
        d.relations[0].status = Status::Rejected;
        d.relations[1].status = Status::Accepted;
        assert_eq!(review_queue(&p, &unsourced).items.len(), 3);
        assert_eq!(review_queue(&p, &rels).per_doc[0], (2, 7));
    }
}

//! Merging annotators' projects into a gold project, and the conflict queue that finishes it.
//!
//! [`merge`] puts every distinct span of every annotator into the gold project, and every
//! distinct relation (same type between spans of the same range and label), linked to the gold
//! spans. Spans the chosen [`Strategy`] counts as agreed are `Accepted`; the rest stay
//! `Pending`, each recording who proposed it (`proposed_by`). A relation is `Accepted` when the
//! strategy accepts it and both its spans are accepted. The pending spans and relations form the
//! conflict queue: [`conflicts`] groups them into decisions and [`resolve`] turns a decision into
//! edits (undoable like any other).

use super::compare::{Annotator, SpanKey, compare_document, match_documents, relation_ends};
use crate::edit::Edit;
use crate::model::{
    Document, Label, Project, Relation, RelationId, RelationType, Review, Span, SpanId, Status,
};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Which spans a merge accepts outright. Its lower-case name (`majority`, `union`,
/// `intersection`) is its [`Display`](std::fmt::Display) form and parses back
/// ([`FromStr`](std::str::FromStr)) in any ASCII case.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Strategy {
    /// Spans made by more than half of the annotators who have the document.
    Majority,
    /// Spans made by any annotator.
    Union,
    /// Spans made by every annotator who has the document.
    Intersection,
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [Strategy::Majority, Strategy::Union, Strategy::Intersection];

    /// Lower-case name, as used on the command line and in reports.
    pub fn name(self) -> &'static str {
        self.into()
    }

    fn accepts(self, votes: usize, voters: usize) -> bool {
        match self {
            Strategy::Majority => votes * 2 > voters,
            Strategy::Union => votes > 0,
            Strategy::Intersection => votes == voters,
        }
    }
}

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergeSummary {
    pub documents: usize,
    /// Documents that not every annotator has.
    pub partial_documents: usize,
    pub accepted: usize,
    pub pending: usize,
    /// Conflict-queue decisions left (see [`conflicts`]).
    pub unresolved: usize,
    /// Relations accepted outright (the strategy accepts them and both their spans).
    pub relations_accepted: usize,
    /// Relations left pending, in the conflict queue.
    pub relations_pending: usize,
}

/// Merges annotators' projects into a gold project named `name`. `reviewer` is recorded on
/// accepted spans.
pub fn merge(
    annotators: &[Annotator<'_>],
    strategy: Strategy,
    name: &str,
    reviewer: &str,
    now: Timestamp,
) -> (Project, MergeSummary) {
    let mut gold = Project::new(name, &[]);
    for a in annotators {
        for l in &a.project.labels {
            if gold.label(&l.name).is_none() {
                let taken = gold.labels.iter().any(|g| g.hotkey == l.hotkey);
                gold.labels.push(Label {
                    hotkey: if taken { None } else { l.hotkey },
                    ..l.clone()
                });
            }
        }
    }
    for a in annotators {
        for t in &a.project.relation_types {
            if gold.relation_type(&t.name).is_none() {
                let taken =
                    t.hotkey.is_some() && gold.relation_types.iter().any(|g| g.hotkey == t.hotkey);
                gold.relation_types.push(RelationType {
                    hotkey: if taken { None } else { t.hotkey },
                    ..t.clone()
                });
            }
        }
    }
    let mut summary = MergeSummary::default();
    let mut next_id = 1u64;
    let mut next_relation = 1u64;
    for m in match_documents(annotators) {
        let Some(src) = m.document(annotators) else {
            continue;
        };
        let cmp = compare_document(annotators, &m);
        let voters = m.who().count();
        if voters < annotators.len() {
            summary.partial_documents += 1;
        }
        let mut doc = Document::new(
            gold.unique_doc_id(&src.id),
            src.title.clone(),
            src.text.clone(),
            src.source.clone(),
        );
        let mut gold_ids: HashMap<SpanKey, (SpanId, bool)> = HashMap::new();
        for ms in &cmp.spans {
            // The proposers' own copies, for time, notes and labels that only they define.
            let copies: Vec<(&str, &Span)> = ms
                .by
                .iter()
                .filter_map(|&k| {
                    let spans = super::compare::spans_of(annotators, &m, k)?;
                    let s = spans
                        .iter()
                        .find(|s| s.start == ms.start && s.end == ms.end && s.label == ms.label)?;
                    Some((annotators[k].name, s))
                })
                .collect();
            let names: Vec<String> = copies.iter().map(|(n, _)| (*n).to_owned()).collect();
            let created = copies.iter().map(|(_, s)| s.created).min().unwrap_or(now);
            let notes: Vec<String> = copies
                .iter()
                .filter_map(|(n, s)| s.note.as_ref().map(|t| format!("{n}: {t}")))
                .collect();
            let accepted = strategy.accepts(ms.by.len(), voters);
            let review = accepted
                .then(|| merge_review(reviewer, now, ms.by.len(), voters, &names, strategy));
            if accepted {
                summary.accepted += 1;
            } else {
                summary.pending += 1;
            }
            gold_ids.insert(
                (ms.start, ms.end, ms.label.clone()),
                (SpanId(next_id), accepted),
            );
            doc.spans.push(Span {
                id: SpanId(next_id),
                start: ms.start,
                end: ms.end,
                label: ms.label.clone(),
                text: ms.text.clone(),
                author: names.first().cloned().unwrap_or_default(),
                created,
                status: if accepted {
                    Status::Accepted
                } else {
                    Status::Pending
                },
                review,
                note: (!notes.is_empty()).then(|| notes.join("; ")),
                proposed_by: names,
                fragments: Vec::new(),
            });
            next_id += 1;
        }
        doc.sort_spans();
        for mr in &cmp.relations {
            let (Some(&(from, from_ok)), Some(&(to, to_ok))) =
                (gold_ids.get(&mr.from), gold_ids.get(&mr.to))
            else {
                continue;
            };
            // The proposers' own copies, for time and notes.
            let copies: Vec<(&str, &Relation)> = mr
                .by
                .iter()
                .filter_map(|&k| {
                    let i = (*m.present.get(k)?)?;
                    let d = annotators.get(k)?.project.documents.get(i)?;
                    let r = d.relations.iter().find(|r| {
                        r.kind == mr.kind
                            && relation_ends(d, r).is_some_and(|(f, t)| {
                                super::compare::span_key(f) == mr.from
                                    && super::compare::span_key(t) == mr.to
                            })
                    })?;
                    Some((annotators[k].name, r))
                })
                .collect();
            let names: Vec<String> = copies.iter().map(|(n, _)| (*n).to_owned()).collect();
            let created = copies.iter().map(|(_, r)| r.created).min().unwrap_or(now);
            let notes: Vec<String> = copies
                .iter()
                .filter_map(|(n, r)| r.note.as_ref().map(|t| format!("{n}: {t}")))
                .collect();
            let accepted = strategy.accepts(mr.by.len(), voters) && from_ok && to_ok;
            if accepted {
                summary.relations_accepted += 1;
            } else {
                summary.relations_pending += 1;
            }
            doc.relations.push(Relation {
                id: RelationId(next_relation),
                from,
                to,
                kind: mr.kind.clone(),
                author: names.first().cloned().unwrap_or_default(),
                created,
                status: if accepted {
                    Status::Accepted
                } else {
                    Status::Pending
                },
                review: accepted
                    .then(|| merge_review(reviewer, now, mr.by.len(), voters, &names, strategy)),
                note: (!notes.is_empty()).then(|| notes.join("; ")),
                proposed_by: names,
            });
            next_relation += 1;
        }
        summary.unresolved += conflicts(&doc).len();
        gold.documents.push(Arc::new(doc));
        summary.documents += 1;
    }
    gold.normalize();
    (gold, summary)
}

/// One conflict-queue decision: pending spans and relations decided together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conflict {
    /// The competing spans, in text order.
    pub spans: Vec<SpanId>,
    /// The pending relations, in id order.
    pub relations: Vec<RelationId>,
}

/// The decisions left in a gold document: its pending spans and relations, grouped so that
/// things competing for the same text are decided together: spans with the same range and
/// different labels, or the same label on overlapping ranges; a pending relation goes with its
/// pending spans and with every other pending relation from the same head span (e.g. a claim
/// attributed to two different sources). In reading order (by the first span, or a relation's
/// head span).
pub fn conflicts(doc: &Document) -> Vec<Conflict> {
    let pending: Vec<&Span> = doc
        .spans
        .iter()
        .filter(|s| s.status == Status::Pending)
        .collect();
    let relations: Vec<&Relation> = doc
        .relations
        .iter()
        .filter(|r| r.status == Status::Pending)
        .collect();
    let n = pending.len();
    let mut groups = super::Groups::new(n + relations.len());
    for i in 0..n {
        for j in (i + 1)..n {
            let (a, b) = (pending[i], pending[j]);
            if b.start >= a.end {
                break;
            }
            if (a.start == b.start && a.end == b.end) || a.label == b.label {
                groups.union(i, j);
            }
        }
    }
    let node_of: HashMap<SpanId, usize> =
        pending.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    let mut by_head: HashMap<SpanId, usize> = HashMap::new();
    for (k, r) in relations.iter().enumerate() {
        let node = n + k;
        for end in [r.from, r.to] {
            if let Some(&i) = node_of.get(&end) {
                groups.union(node, i);
            }
        }
        let first = *by_head.entry(r.from).or_insert(node);
        groups.union(node, first);
    }
    // Per group root, its place in `out`: (reading position, conflict).
    let mut slot_of: HashMap<usize, usize> = HashMap::new();
    let mut out: Vec<(usize, Conflict)> = Vec::new();
    let nodes = pending
        .iter()
        .map(|s| (s.id, None))
        .chain(relations.iter().map(|r| (r.from, Some(r.id))));
    for (node, (span, relation)) in nodes.enumerate() {
        let root = groups.find(node);
        let pos = doc.span_index(span).unwrap_or(0);
        let k = *slot_of.entry(root).or_insert_with(|| {
            out.push((pos, Conflict::default()));
            out.len() - 1
        });
        let (at, c) = &mut out[k];
        *at = (*at).min(pos);
        match relation {
            None => c.spans.push(span),
            Some(r) => c.relations.push(r),
        }
    }
    out.sort_by_key(|(pos, _)| *pos);
    out.into_iter().map(|(_, c)| c).collect()
}

/// The review record a merge gives a span or relation it accepts: who merged, when, and how many
/// of the `voters` proposed it (`agreed` when all did), by name and strategy.
fn merge_review(
    reviewer: &str,
    now: Timestamp,
    by: usize,
    voters: usize,
    names: &[String],
    strategy: Strategy,
) -> Review {
    let how = if by == voters { "agreed" } else { "accepted" };
    Review {
        reviewer: reviewer.to_owned(),
        time: now,
        note: Some(format!(
            "{how} by {} of {voters} ({})",
            names.join(", "),
            strategy.name()
        )),
    }
}

/// How to settle one conflict-queue decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Keep the spans this annotator proposed, drop the rest.
    Take(String),
    /// Keep every span of the decision.
    TakeAll,
    /// Drop every span of the decision.
    Drop,
    /// Keep one span with a new range and label, drop the rest.
    Edit {
        keep: SpanId,
        start: usize,
        end: usize,
        label: String,
    },
}

/// The edits that settle decision `conflict` of document `doc` as `resolution`: kept spans and
/// relations become `Accepted` (or `Edited`) with a review by `reviewer`, the others are removed.
/// A relation is kept when its proposer is taken (`Take`), always (`TakeAll`), never (`Drop`),
/// or when both its spans stay (`Edit`); a relation whose span is removed goes with it. Apply
/// them as one history step.
pub fn resolve(
    doc: &Document,
    conflict: &Conflict,
    resolution: &Resolution,
    reviewer: &str,
    now: Timestamp,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    let review = |what: &str| {
        Some(Review {
            reviewer: reviewer.to_owned(),
            time: now,
            note: Some(what.to_owned()),
        })
    };
    let mut removed: Vec<SpanId> = Vec::new();
    for &id in &conflict.spans {
        let Some(s) = doc.span(id) else { continue };
        let keep = match resolution {
            Resolution::Take(name) => s.proposed_by.iter().any(|p| p == name) || s.author == *name,
            Resolution::TakeAll => true,
            Resolution::Drop => false,
            Resolution::Edit { keep, .. } => *keep == id,
        };
        if !keep {
            removed.push(id);
            edits.push(Edit::RemoveSpan {
                doc: doc.id.clone(),
                span: id,
            });
            continue;
        }
        if let Resolution::Edit {
            start, end, label, ..
        } = resolution
        {
            // Remove the competitors first so the edited span cannot collide with one of them.
            if s.label != *label {
                edits.push(Edit::Relabel {
                    doc: doc.id.clone(),
                    span: id,
                    label: label.clone(),
                });
            }
            if (s.start, s.end) != (*start, *end) {
                edits.push(Edit::Resize {
                    doc: doc.id.clone(),
                    span: id,
                    start: *start,
                    end: *end,
                });
            }
            edits.push(Edit::SetReview {
                doc: doc.id.clone(),
                span: id,
                status: Status::Edited,
                review: review("edited in the conflict queue"),
            });
        } else {
            edits.push(Edit::SetReview {
                doc: doc.id.clone(),
                span: id,
                status: Status::Accepted,
                review: review("accepted in the conflict queue"),
            });
        }
    }
    for &id in &conflict.relations {
        let Some(r) = doc.relation(id) else { continue };
        if removed.contains(&r.from) || removed.contains(&r.to) {
            continue; // removing the span removes the relation
        }
        let keep = match resolution {
            Resolution::Take(name) => r.proposed_by.iter().any(|p| p == name) || r.author == *name,
            Resolution::TakeAll | Resolution::Edit { .. } => true,
            Resolution::Drop => false,
        };
        if keep {
            edits.push(Edit::ChangeRelation {
                doc: doc.id.clone(),
                relation: Relation {
                    status: Status::Accepted,
                    review: review("accepted in the conflict queue"),
                    ..r.clone()
                },
            });
        } else {
            edits.push(Edit::RemoveRelation {
                doc: doc.id.clone(),
                relation: id,
            });
        }
    }
    // Removals first (relations, then spans): an edited span may take the place of a removed
    // one, and a removed span takes its relations along.
    edits.sort_by_key(|e| match e {
        Edit::RemoveRelation { .. } => 0,
        Edit::RemoveSpan { .. } => 1,
        _ => 2,
    });
    edits
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    use crate::history::{Cursor, Workspace};
    use crate::markup::project_from_markup;

    const T: Timestamp = Timestamp(1_795_000_000);

    fn two(a: &str, b: &str) -> (Project, Project) {
        let ana = project_from_markup("ana", &[("d", a)], "ana", T).unwrap();
        let ben = project_from_markup("ben", &[("d", b)], "ben", T).unwrap();
        (ana, ben)
    }

    fn gold_of(ana: &Project, ben: &Project, strategy: Strategy) -> (Project, MergeSummary) {
        let anns = [
            Annotator {
                name: "ana",
                project: ana,
            },
            Annotator {
                name: "ben",
                project: ben,
            },
        ];
        merge(&anns, strategy, "gold", "rev", T)
    }

    /// (type, head text, tail text, status, proposed_by) of every relation.
    fn rels(d: &Document) -> Vec<(String, String, String, Status, Vec<String>)> {
        d.relations
            .iter()
            .map(|r| {
                (
                    r.kind.clone(),
                    d.span(r.from).unwrap().text.clone(),
                    d.span(r.to).unwrap().text.clone(),
                    r.status,
                    r.proposed_by.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn merge_links_relations_to_the_gold_spans_and_queues_the_conflicts() {
        // Same spans; both attribute the first claim to Zoë; for the second claim Ana names
        // Москва and Ben names Zoë (a target conflict); Ben adds a location.
        let (ana, ben) = two(
            "[claim#c [actor#z Zoë 🎉] said it] and [claim#k [actor#m Москва] denied it in \
             [place#p Lune]]\n#c -source-> #z\n#k -source-> #m",
            "[claim#c [actor#z Zoë 🎉] said it] and [claim#k [actor#m Москва] denied it in \
             [place#p Lune]]\n#c -source-> #z\n#k -source-> #z\n#k -location-> #p",
        );
        let (gold, summary) = gold_of(&ana, &ben, Strategy::Majority);
        assert_eq!((summary.accepted, summary.pending), (5, 0));
        assert_eq!(
            (summary.relations_accepted, summary.relations_pending),
            (1, 3)
        );
        let d = &gold.documents[0];
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
        let claim2 = "Москва denied it in Lune";
        let got = rels(d);
        assert!(got.contains(&(
            "source".into(),
            "Zoë 🎉 said it".into(),
            "Zoë 🎉".into(),
            Status::Accepted,
            owned(&["ana", "ben"])
        )));
        assert!(got.contains(&(
            "source".into(),
            claim2.into(),
            "Москва".into(),
            Status::Pending,
            owned(&["ana"])
        )));
        assert!(got.contains(&(
            "location".into(),
            claim2.into(),
            "Lune".into(),
            Status::Pending,
            owned(&["ben"])
        )));
        assert!(gold.relation_type("location").is_some());
        // Every relation names gold spans; the gold project is valid.
        assert!(crate::project_io::validate(&gold).is_empty());
        // The compare view classifies them.
        let anns = [
            Annotator {
                name: "ana",
                project: &ana,
            },
            Annotator {
                name: "ben",
                project: &ben,
            },
        ];
        let cmp = &crate::review::compare::compare(&anns)[0];
        let kinds: Vec<(&str, &str)> = cmp
            .relations
            .iter()
            .map(|r| (r.kind.as_str(), r.agreement.name()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("source", "agreed"),
                ("source", "target conflict"),
                ("source", "target conflict"),
                ("location", "partial")
            ]
        );
        // One decision: the pending relations of the second claim, anchored at it.
        let queue = conflicts(d);
        assert_eq!(queue.len(), 1);
        assert!(queue[0].spans.is_empty());
        assert_eq!(queue[0].relations.len(), 3);
        let decisions = crate::review::queue::decisions(&gold);
        assert_eq!(
            d.span(decisions[0].anchor).map(|s| s.text.as_str()),
            Some(claim2)
        );
        // Take Ana: her relation is accepted, Ben's two are removed; undo brings them back.
        let mut ws = Workspace::new(gold.clone());
        let edits = resolve(d, &queue[0], &Resolution::Take("ana".into()), "rev", T);
        ws.apply("take ana", edits, Cursor::default(), Cursor::default())
            .unwrap();
        let after = &ws.project().documents[0];
        assert_eq!(after.relations.len(), 2);
        assert!(after.relations.iter().all(|r| r.status == Status::Accepted));
        assert!(conflicts(after).is_empty());
        ws.undo();
        assert_eq!(ws.project().documents[0].relations, d.relations);
        // Drop: only the agreed relation stays.
        let edits = resolve(d, &queue[0], &Resolution::Drop, "rev", T);
        ws.apply("drop", edits, Cursor::default(), Cursor::default())
            .unwrap();
        assert_eq!(ws.project().documents[0].relations.len(), 1);
    }

    #[test]
    fn a_relation_goes_with_its_pending_span() {
        // Only Ana marks the actor and links it: span and relation are one decision; dropping
        // the span drops the relation in the same step.
        let (ana, ben) = two(
            "[claim#c [actor#z Zoë] said it]\n#c -source-> #z",
            "[claim Zoë said it]",
        );
        let (gold, summary) = gold_of(&ana, &ben, Strategy::Intersection);
        assert_eq!(summary.relations_pending, 1);
        let d = &gold.documents[0];
        let queue = conflicts(d);
        assert_eq!(queue.len(), 1);
        assert_eq!((queue[0].spans.len(), queue[0].relations.len()), (1, 1));
        let edits = resolve(d, &queue[0], &Resolution::Drop, "rev", T);
        let mut p = gold.clone();
        p.apply_all(edits).unwrap();
        assert!(p.documents[0].relations.is_empty());
        assert_eq!(p.documents[0].spans.len(), 1);
        // Taking Ana keeps both, accepted.
        let edits = resolve(d, &queue[0], &Resolution::Take("ana".into()), "rev", T);
        let mut p = gold.clone();
        p.apply_all(edits).unwrap();
        assert_eq!(p.documents[0].relations[0].status, Status::Accepted);
        assert_eq!(
            p.documents[0].relations[0]
                .review
                .as_ref()
                .map(|r| r.reviewer.as_str()),
            Some("rev")
        );
    }

    #[test]
    fn strategy_names() {
        assert_eq!(Strategy::iter().collect::<Vec<_>>(), Strategy::ALL);
        let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names, ["majority", "union", "intersection"]);
        for s in Strategy::ALL {
            assert_eq!(s.to_string(), s.name());
            assert_eq!(s.name().parse::<Strategy>(), Ok(s));
            assert_eq!(s.name().to_uppercase().parse::<Strategy>(), Ok(s));
            // Reports spell it the same way.
            assert_eq!(
                serde_json::to_string(&s).ok(),
                Some(format!("\"{}\"", s.name()))
            );
        }
        assert_eq!("Union".parse::<Strategy>(), Ok(Strategy::Union));
        for bad in ["", "majority ", " union", "inter", "all", "maj"] {
            assert!(bad.parse::<Strategy>().is_err(), "{bad:?}");
        }
    }
}

//! Relations in the app: making one (R, or a relation type's key, on a selected span; then the
//! other end is picked by a click, or by Tab / Shift+Tab through the allowed spans nearest first
//! and Enter; Escape cancels), retyping, reversing and deleting one (each one history step),
//! following one to its other end (L), finding the next claim without a source (U), and the
//! side panel's list of the selected span's relations. The article draws them (`article.rs`,
//! `paint_relations`). Widgets only push actions; the functions here run from the action handler.

use super::SpantagApp;
use super::action::Action;
use super::article::short;
use super::state::Linking;
use egui::{Color32, Key, Modifiers, RichText, Ui};
use spantag_core::edit::Edit;
use spantag_core::model::{Document, Project, RelationId, RelationType, Span, SpanId};
use std::collections::HashSet;

/// The relation type every claim should have (a claim without one is "without a source").
pub const SOURCE: &str = "source";

/// What a key does while the other end of a new relation is being picked.
pub(super) fn picking_key(key: Key, m: Modifiers) -> Option<Action> {
    match key {
        Key::Tab if m.is_none() => Some(Action::LinkStep(true)),
        Key::Tab if m.matches_exact(Modifiers::SHIFT) => Some(Action::LinkStep(false)),
        Key::Enter if m.is_none() => Some(Action::LinkChosen),
        Key::Escape if m.is_none() => Some(Action::CancelLink),
        _ => None,
    }
}

/// The colour of a relation type (grey for an unknown one).
pub fn type_color(t: Option<&RelationType>) -> Color32 {
    t.map_or(Color32::GRAY, |t| {
        Color32::from_rgb(t.color.0[0], t.color.0[1], t.color.0[2])
    })
}

/// How far apart two spans are, in code points (0 when they overlap or nest).
fn distance(a: &Span, b: &Span) -> usize {
    if b.end <= a.start {
        a.start - b.end
    } else {
        b.start.saturating_sub(a.end)
    }
}

/// The spans relation type `t` allows as the other end of a relation from `from`: labels its
/// `to_labels` allow, not `from` itself and not already linked from `from` by `t`; nearest
/// first, then in text order.
pub fn candidates(d: &Document, from: &Span, t: &RelationType) -> Vec<SpanId> {
    let linked: HashSet<SpanId> = d
        .relations_of(from.id)
        .filter(|r| r.from == from.id && r.kind == t.name)
        .map(|r| r.to)
        .collect();
    let mut c: Vec<(usize, usize, usize, SpanId)> = d
        .spans
        .iter()
        .filter(|s| s.id != from.id && t.allows_to(&s.label) && !linked.contains(&s.id))
        .map(|s| (distance(from, s), s.start, s.end, s.id))
        .collect();
    c.sort_unstable();
    c.into_iter().map(|x| x.3).collect()
}

/// "claim → actor" for a relation type (its allowed labels, "any" when open).
fn type_shape(t: &RelationType) -> String {
    let side = |l: &[String]| {
        if l.is_empty() {
            "any span".to_owned()
        } else {
            l.join(" or ")
        }
    };
    format!(
        "{}: {} → {}",
        t.name,
        side(&t.from_labels),
        side(&t.to_labels)
    )
}

/// The spans of `d` that could be the head of a `source` relation but have none, in text order.
pub fn unsourced<'a>(p: &Project, d: &'a Document) -> Vec<&'a Span> {
    let Some(t) = p.relation_type(SOURCE) else {
        return Vec::new();
    };
    let sourced: HashSet<SpanId> = d
        .relations
        .iter()
        .filter(|r| r.kind == SOURCE)
        .map(|r| r.from)
        .collect();
    d.spans
        .iter()
        .filter(|s| !t.from_labels.is_empty() && t.allows_from(&s.label))
        .filter(|s| !sourced.contains(&s.id))
        .collect()
}

impl SpantagApp {
    // ----- read-only queries (for tests and the status bar) -----

    /// While the other end of a new relation is being picked: its first span, its type and the
    /// span chosen with Tab, if any.
    pub fn picking(&self) -> Option<(SpanId, String, Option<SpanId>)> {
        let l = self.linking()?;
        Some((
            l.from,
            l.kind.clone(),
            l.chosen.and_then(|i| l.candidates.get(i).copied()),
        ))
    }

    /// The relation being made, if it still belongs to the open document and its span exists.
    pub(super) fn linking(&self) -> Option<&Linking> {
        let l = self.sel.linking.as_ref()?;
        let d = self.ws.project().documents.get(l.doc)?;
        (l.doc == self.sel.doc && d.span(l.from).is_some()).then_some(l)
    }

    /// What the status bar says while a relation is being made.
    pub(super) fn linking_status(&self) -> Option<(String, Color32)> {
        let l = self.linking()?;
        let p = self.ws.project();
        let d = p.documents.get(l.doc)?;
        let from = d.span(l.from)?;
        let t = p.relation_type(&l.kind);
        let to = t.map_or_else(String::new, |t| {
            if t.to_labels.is_empty() {
                "any span".to_owned()
            } else {
                t.to_labels.join(" or ")
            }
        });
        let mut text = format!(
            "Link {} “{}” —{}→ ? ({to}): click a span or Tab/Enter, Esc cancels",
            from.label,
            short(&from.text, 30),
            l.kind
        );
        if let Some(s) = l
            .chosen
            .and_then(|i| l.candidates.get(i))
            .and_then(|id| d.span(*id))
        {
            text.push_str(&format!(
                " · Enter links {} “{}” ({} of {})",
                s.label,
                short(&s.text, 30),
                l.chosen.map_or(0, |i| i + 1),
                l.candidates.len()
            ));
        }
        let others = p
            .relation_types
            .iter()
            .filter(|t| t.name != l.kind && t.allows_from(&from.label))
            .count();
        if others > 0 {
            text.push_str(" · R: other type");
        }
        Some((text, type_color(t)))
    }

    // ----- making a relation -----

    /// R (or a relation type's key): starts a relation at the selected span, of type `kind` or
    /// the first type that allows it as head; while picking, switches to `kind` or the next type.
    pub(super) fn start_link(&mut self, kind: Option<String>) {
        let picking = self.linking().map(|l| (l.from, l.kind.clone()));
        let Some(id) = picking.as_ref().map(|p| p.0).or(self.sel.span) else {
            self.toast("Select a span first (click it, or Tab), then press R to link it");
            return;
        };
        let p = self.ws.project();
        let Some(d) = p.documents.get(self.sel.doc) else {
            return;
        };
        let Some(from) = d.span(id) else {
            return;
        };
        let types: Vec<&RelationType> = p
            .relation_types
            .iter()
            .filter(|t| t.allows_from(&from.label))
            .collect();
        if types.is_empty() {
            let msg = if p.relation_types.is_empty() {
                "This project has no relation types".to_owned()
            } else {
                let known: Vec<String> = p.relation_types.iter().map(type_shape).collect();
                format!(
                    "No relation type starts at a span labelled {} ({})",
                    from.label,
                    known.join("; ")
                )
            };
            self.toast(msg);
            return;
        }
        let t = match (&kind, &picking) {
            (Some(k), _) => match types.iter().find(|t| &t.name == k) {
                Some(t) => *t,
                None => {
                    let msg = format!(
                        "{k} relations do not start at a span labelled {}",
                        from.label
                    );
                    self.toast(msg);
                    return;
                }
            },
            (None, Some((_, cur))) => {
                let i = types
                    .iter()
                    .position(|t| &t.name == cur)
                    .map_or(0, |i| i + 1);
                types[i % types.len()]
            }
            (None, None) => types[0],
        };
        let candidates = candidates(d, from, t);
        if candidates.is_empty() {
            let msg = format!(
                "Nothing to link: no span of this document can be the other end ({})",
                type_shape(t)
            );
            self.toast(msg);
            return;
        }
        let switched = picking.is_some();
        let chosen_note = if types.len() > 1 {
            let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
            format!(
                "Linking as {} ({}; R switches: {})",
                t.name,
                type_shape(t),
                names.join(", ")
            )
        } else {
            format!("Linking as {} ({})", t.name, type_shape(t))
        };
        let linking = Linking {
            doc: self.sel.doc,
            from: id,
            kind: t.name.clone(),
            allowed: candidates.iter().copied().collect(),
            candidates,
            chosen: None,
        };
        self.sel.linking = Some(linking);
        self.sel.span = Some(id);
        // Say what was chosen when there was a choice (the status bar says the rest).
        if switched || types.len() > 1 {
            self.toast(chosen_note);
        }
    }

    /// Tab / Shift+Tab while picking: the next or previous allowed span, nearest first.
    pub(super) fn link_step(&mut self, forward: bool) {
        let Some(l) = self.sel.linking.as_mut() else {
            return;
        };
        let n = l.candidates.len();
        if n == 0 {
            return;
        }
        let i = match (l.chosen, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        };
        l.chosen = Some(i);
        let id = l.candidates[i];
        if let Some(s) = self
            .ws
            .project()
            .documents
            .get(self.sel.doc)
            .and_then(|d| d.span(id))
        {
            self.view.article.scroll_target = Some(s.start);
        }
    }

    /// Enter while picking: links the span chosen with Tab.
    pub(super) fn link_chosen(&mut self) {
        match self.picking() {
            Some((_, _, Some(to))) => self.link_to(to),
            Some(_) => self.toast("Press Tab to choose the other end (or click it), then Enter"),
            None => {}
        }
    }

    /// Stops picking (`say`: and says so).
    pub(super) fn cancel_link(&mut self, say: bool) {
        if self.sel.linking.take().is_some() && say {
            self.toast("Linking cancelled");
        }
    }

    /// A click on the article while picking: links the allowed span under it (the innermost
    /// when several are stacked), explains why a span there cannot be linked, or cancels when
    /// no span is there.
    pub(super) fn link_click(&mut self, char: Option<usize>) {
        let Some(l) = self.linking() else {
            return;
        };
        let Some(d) = self.ws.project().documents.get(self.sel.doc) else {
            return;
        };
        let under: Vec<&Span> = char.map(|c| d.spans_at(c).collect()).unwrap_or_default();
        let pick = under
            .iter()
            .filter(|s| l.allowed.contains(&s.id))
            .min_by_key(|s| s.end - s.start)
            .or_else(|| under.iter().find(|s| s.id != l.from))
            .map(|s| s.id);
        match pick {
            Some(id) => self.link_to(id),
            None if under.is_empty() => self.cancel_link(true),
            None => self.toast("A span cannot be linked to itself: click the other end"),
        }
    }

    /// Makes the relation being picked, to span `to` (one history step; the first span stays
    /// selected). A span the type does not allow there is refused with the reason, and picking
    /// goes on.
    pub(super) fn link_to(&mut self, to: SpanId) {
        let Some(l) = self.linking().cloned() else {
            return;
        };
        let Some(doc) = self.doc_id() else {
            return;
        };
        let p = self.ws.project();
        let Some(d) = p.documents.get(self.sel.doc) else {
            return;
        };
        let (Some(from), Some(target)) = (d.span(l.from), d.span(to)) else {
            return;
        };
        if !l.allowed.contains(&to) {
            let why = if to == l.from {
                "a span cannot be linked to itself".to_owned()
            } else if d.has_relation(l.from, to, &l.kind, None) {
                "they are linked already".to_owned()
            } else {
                p.relation_type(&l.kind)
                    .map_or_else(String::new, type_shape)
            };
            let msg = format!(
                "Cannot link {} “{}” by {}: {why}",
                target.label,
                short(&target.text, 30),
                l.kind
            );
            self.toast(msg);
            return;
        }
        let relation = match p.make_relation(&doc, l.from, to, &l.kind, &self.annotator) {
            Ok(r) => r,
            Err(e) => {
                self.toast_error(format!("Could not link: {e}"));
                return;
            }
        };
        let done = format!(
            "Linked {} “{}” —{}→ {} “{}”",
            from.label,
            short(&from.text, 30),
            l.kind,
            target.label,
            short(&target.text, 30)
        );
        let description = format!("Link {} → {} ({})", from.label, target.label, l.kind);
        self.sel.linking = None;
        let after = self.cursor();
        if self.step(
            &description,
            vec![Edit::AddRelation { doc, relation }],
            after,
        ) {
            self.toast(done);
        }
    }

    // ----- changing a relation -----

    /// Relation `id` of the open document (with the open document's id).
    fn relation_here(&self, id: RelationId) -> Option<(String, spantag_core::model::Relation)> {
        let d = self.ws.project().documents.get(self.sel.doc)?;
        Some((d.id.clone(), d.relation(id)?.clone()))
    }

    /// Gives relation `id` the type `kind` (one step).
    pub(super) fn retype_relation(&mut self, id: RelationId, kind: &str) {
        let Some((doc, r)) = self.relation_here(id) else {
            return;
        };
        if r.kind == kind {
            return;
        }
        let old = r.kind.clone();
        let relation = spantag_core::model::Relation {
            kind: kind.to_owned(),
            ..r
        };
        self.step_here(
            &format!("Retype relation {old} → {kind}"),
            vec![Edit::ChangeRelation { doc, relation }],
        );
    }

    /// Swaps the ends of relation `id` (one step); says so when its type does not allow the
    /// labels that way round.
    pub(super) fn reverse_relation(&mut self, id: RelationId) {
        let Some((doc, r)) = self.relation_here(id) else {
            return;
        };
        let relation = spantag_core::model::Relation {
            from: r.to,
            to: r.from,
            ..r.clone()
        };
        let p = self.ws.project();
        let labels = p.documents.get(self.sel.doc).and_then(|d| {
            Some((
                d.span(relation.from)?.label.clone(),
                d.span(relation.to)?.label.clone(),
            ))
        });
        let misfit = match (p.relation_type(&r.kind), &labels) {
            (Some(t), Some((a, b))) => !(t.allows_from(a) && t.allows_to(b)),
            _ => false,
        };
        if self.step_here(
            &format!("Reverse relation {}", r.kind),
            vec![Edit::ChangeRelation { doc, relation }],
        ) && misfit
            && let Some((a, b)) = labels
        {
            self.toast(format!(
                "Reversed: now {a} → {b}, which {} does not allow (spantag validate lists it; undo with Ctrl+Z)",
                r.kind
            ));
        }
    }

    /// Removes relation `id` (one step).
    pub(super) fn delete_relation(&mut self, id: RelationId) {
        let Some((doc, r)) = self.relation_here(id) else {
            return;
        };
        self.step_here(
            &format!("Delete relation {}", r.kind),
            vec![Edit::RemoveRelation { doc, relation: id }],
        );
    }

    // ----- following relations -----

    /// L: selects the other end of the selected span's first relation.
    pub(super) fn go_to_linked(&mut self) {
        let Some(span) = self.sel.span else {
            self.toast("Select a span first (click it, or Tab)");
            return;
        };
        let Some(d) = self.ws.project().documents.get(self.sel.doc) else {
            return;
        };
        let rels: Vec<_> = d.relations_of(span).collect();
        let Some(r) = rels.first() else {
            self.toast("This span has no relations (R links it)");
            return;
        };
        let (arrow, other) = if r.from == span {
            ("→", r.to)
        } else {
            ("←", r.from)
        };
        let Some(o) = d.span(other) else {
            return;
        };
        let more = if rels.len() > 1 {
            format!(
                "; it has {} relations, the side panel lists them",
                rels.len()
            )
        } else {
            String::new()
        };
        let msg = format!(
            "{arrow} {}: {} “{}” (L again goes back{more})",
            r.kind,
            o.label,
            short(&o.text, 40)
        );
        self.queue.push(Action::SelectSpan {
            id: other,
            scroll: true,
        });
        self.toast(msg);
    }

    /// U: selects the next claim without a source after the caret, in this document or the
    /// following ones (wrapping around).
    pub(super) fn next_unsourced(&mut self) {
        let p = self.ws.project();
        if p.relation_type(SOURCE).is_none() {
            self.toast("This project has no source relation type");
            return;
        }
        let n = p.documents.len();
        let after = self.sel.range().start;
        let current = self.sel.span;
        let mut total = 0;
        let mut found = None;
        for k in 0..=n {
            let i = (self.sel.doc + k) % n.max(1);
            let Some(d) = p.documents.get(i) else {
                break;
            };
            let list = unsourced(p, d);
            if k < n {
                total += list.len();
            }
            if found.is_some() {
                continue;
            }
            let pick = match k {
                0 => list
                    .iter()
                    .find(|s| s.start > after || (s.start == after && current.is_none()))
                    .filter(|s| Some(s.id) != current),
                // Back in the first document after going round: its spans before the caret.
                k if k == n => list.first().filter(|s| Some(s.id) != current),
                _ => list.first(),
            };
            if let Some(s) = pick {
                found = Some((i, s.id, s.label.clone(), short(&s.text, 40)));
            }
        }
        match found {
            Some((doc, id, label, text)) => {
                self.queue.push(Action::GoToSpan { doc, id });
                self.toast(format!(
                    "{label} without a source: “{text}” ({total} in the project)"
                ));
            }
            None if total > 0 => self.toast("This is the only claim without a source"),
            None => self.toast("Every claim has a source"),
        }
    }
}

/// The side panel's "Relations" section for span `span` of the open document `d`: each
/// relation with its type (a menu to retype it), direction, other end, and buttons to reverse,
/// delete and follow it. Pushes actions only.
pub(super) fn relations_panel(
    ui: &mut Ui,
    p: &Project,
    d: &Document,
    doc: usize,
    span: &Span,
    actions: &mut Vec<Action>,
) {
    let rels: Vec<_> = d.relations_of(span.id).collect();
    ui.horizontal(|ui| {
        ui.strong(format!("Relations ({})", rels.len()));
        let can = p.relation_types.iter().any(|t| t.allows_from(&span.label));
        if can
            && ui
                .small_button("Link… (R)")
                .on_hover_text(
                    "Link this span to another: pick the other end by click or Tab/Enter",
                )
                .clicked()
        {
            actions.push(Action::StartLink(None));
        }
    });
    for r in rels {
        let outgoing = r.from == span.id;
        let other_id = if outgoing { r.to } else { r.from };
        let Some(other) = d.span(other_id) else {
            continue;
        };
        let t = p.relation_type(&r.kind);
        let c = type_color(t);
        let (head, child) = if outgoing {
            (span, other)
        } else {
            (other, span)
        };
        ui.horizontal_wrapped(|ui| {
            let arrow = if outgoing { "→" } else { "←" };
            ui.label(
                RichText::new(format!("{} {arrow}", r.kind))
                    .color(c)
                    .strong(),
            );
            ui.label(format!("{} “{}”", other.label, short(&other.text, 32)));
        });
        ui.horizontal(|ui| {
            ui.menu_button(format!("Type: {}", r.kind), |ui| {
                for t in &p.relation_types {
                    let fits = t.allows_from(&head.label) && t.allows_to(&child.label);
                    let b = egui::Button::new(RichText::new(&t.name).color(type_color(Some(t))));
                    let resp = ui
                        .add_enabled(fits && t.name != r.kind, b)
                        .on_hover_text(type_shape(t))
                        .on_disabled_hover_text(if t.name == r.kind {
                            "Its type now".to_owned()
                        } else {
                            format!("Does not fit: {}", type_shape(t))
                        });
                    if resp.clicked() {
                        actions.push(Action::RetypeRelation {
                            id: r.id,
                            kind: t.name.clone(),
                        });
                        ui.close();
                    }
                }
            });
            if ui
                .small_button("Reverse")
                .on_hover_text("Swap its two ends")
                .clicked()
            {
                actions.push(Action::ReverseRelation(r.id));
            }
            if ui
                .small_button("Delete")
                .on_hover_text("Remove this relation (the spans stay)")
                .clicked()
            {
                actions.push(Action::DeleteRelation(r.id));
            }
            if ui
                .small_button("Go")
                .on_hover_text("Select the other end (L follows the first relation)")
                .clicked()
            {
                actions.push(Action::GoToSpan { doc, id: other_id });
            }
        });
    }
}

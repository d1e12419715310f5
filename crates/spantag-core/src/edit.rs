//! Edits: every change to a project is an [`Edit`] value, applied in one place
//! ([`Project::apply`]), which returns the edit that undoes it.

pub use crate::model::EditError;
use crate::model::{
    Document, Label, Project, Relation, RelationId, RelationType, Review, Span, SpanId, Status,
};
use std::sync::Arc;

/// One change to a project. Documents are named by id, spans by id.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Adds a span (its id must be unused; see [`Project::make_span`]).
    AddSpan { doc: String, span: Span },
    /// Removes a span and every relation that names it (the inverse is [`Edit::RestoreSpan`]
    /// when there were any).
    RemoveSpan { doc: String, span: SpanId },
    /// Adds a span together with relations that name it (the inverse of removing a span that
    /// had relations).
    RestoreSpan {
        doc: String,
        span: Span,
        relations: Vec<Relation>,
    },
    /// Adds a relation (its id must be unused; see [`Project::make_relation`]).
    AddRelation { doc: String, relation: Relation },
    /// Removes a relation.
    RemoveRelation { doc: String, relation: RelationId },
    /// Replaces the relation with the same id (retype, reverse, note, review).
    ChangeRelation { doc: String, relation: Relation },
    /// Changes a span's label.
    Relabel {
        doc: String,
        span: SpanId,
        label: String,
    },
    /// Moves a span's boundaries.
    Resize {
        doc: String,
        span: SpanId,
        start: usize,
        end: usize,
    },
    /// Sets or clears a span's note.
    SetNote {
        doc: String,
        span: SpanId,
        note: Option<String>,
    },
    /// Sets a span's review status and review record.
    SetReview {
        doc: String,
        span: SpanId,
        status: Status,
        review: Option<Review>,
    },
    /// Replaces a document's excluded ranges (see [`Document::excluded`]).
    SetExcluded {
        doc: String,
        ranges: Vec<(usize, usize)>,
    },
    /// Marks a document done or not.
    SetDone { doc: String, done: bool },
    /// Inserts a document at position `index` (clamped to the end).
    AddDocument {
        index: usize,
        document: Arc<Document>,
    },
    /// Removes a document with its spans.
    RemoveDocument { doc: String },
    /// Replaces every document at once, in this order (a comparison merged again); the inverse
    /// puts the previous documents back. Linear in the documents, unlike removing and adding
    /// them one by one.
    ReplaceDocuments { documents: Vec<Arc<Document>> },
    /// Inserts a label at position `index` (clamped to the end).
    AddLabel { index: usize, label: Label },
    /// Removes a label no span uses.
    RemoveLabel { name: String },
    /// Replaces the label named `name` (rename, colour, hotkey). A rename relabels its spans.
    ChangeLabel { name: String, label: Label },
    /// Inserts a relation type at position `index` (clamped to the end).
    AddRelationType { index: usize, rtype: RelationType },
    /// Removes a relation type no relation uses.
    RemoveRelationType { name: String },
    /// Replaces the relation type named `name`. A rename retypes its relations.
    ChangeRelationType { name: String, rtype: RelationType },
    /// Renames the project.
    RenameProject { name: String },
}

impl Edit {
    /// The document this edit touches, if it touches one.
    pub fn doc(&self) -> Option<&str> {
        match self {
            Edit::AddSpan { doc, .. }
            | Edit::RemoveSpan { doc, .. }
            | Edit::RestoreSpan { doc, .. }
            | Edit::AddRelation { doc, .. }
            | Edit::RemoveRelation { doc, .. }
            | Edit::ChangeRelation { doc, .. }
            | Edit::Relabel { doc, .. }
            | Edit::Resize { doc, .. }
            | Edit::SetNote { doc, .. }
            | Edit::SetReview { doc, .. }
            | Edit::SetDone { doc, .. }
            | Edit::SetExcluded { doc, .. }
            | Edit::RemoveDocument { doc } => Some(doc),
            Edit::AddDocument { document, .. } => Some(&document.id),
            _ => None,
        }
    }
}

impl Project {
    /// Applies one edit and returns its inverse. On error the project is unchanged.
    pub fn apply(&mut self, edit: Edit) -> Result<Edit, EditError> {
        match edit {
            Edit::AddSpan { doc, span } => {
                if self.label(&span.label).is_none() {
                    return Err(EditError::UnknownLabel(span.label));
                }
                let d = self
                    .doc(&doc)
                    .ok_or_else(|| EditError::NoDocument(doc.clone()))?;
                check_span(d, &span)?;
                if d.span(span.id).is_some() {
                    return Err(EditError::SpanIdTaken(span.id));
                }
                let id = span.id;
                self.next_span_id = self.next_span_id.max(id.0.saturating_add(1));
                self.doc_mut(&doc)?.insert_sorted(span);
                Ok(Edit::RemoveSpan { doc, span: id })
            }
            Edit::RemoveSpan { doc, span } => {
                let d = self.doc_mut(&doc)?;
                let i = span_pos(d, span)?;
                let removed = d.spans.remove(i);
                if !d.relations.iter().any(|r| r.from == span || r.to == span) {
                    return Ok(Edit::AddSpan { doc, span: removed });
                }
                let (relations, kept) = std::mem::take(&mut d.relations)
                    .into_iter()
                    .partition(|r| r.from == span || r.to == span);
                d.relations = kept;
                Ok(Edit::RestoreSpan {
                    doc,
                    span: removed,
                    relations,
                })
            }
            Edit::RestoreSpan {
                doc,
                span,
                relations,
            } => {
                let id = span.id;
                let inverse = self.apply(Edit::AddSpan {
                    doc: doc.clone(),
                    span,
                })?;
                let mut added = Vec::new();
                for relation in relations {
                    match self.apply(Edit::AddRelation {
                        doc: doc.clone(),
                        relation,
                    }) {
                        Ok(inv) => added.push(inv),
                        Err(e) => {
                            for inv in added.into_iter().rev() {
                                let _ = self.apply(inv);
                            }
                            let _ = self.apply(inverse);
                            return Err(e);
                        }
                    }
                }
                Ok(Edit::RemoveSpan { doc, span: id })
            }
            Edit::AddRelation { doc, relation } => {
                let d = self
                    .doc(&doc)
                    .ok_or_else(|| EditError::NoDocument(doc.clone()))?;
                self.check_relation(d, &relation, None)?;
                if d.relation(relation.id).is_some() {
                    return Err(EditError::RelationIdTaken(relation.id));
                }
                let id = relation.id;
                self.next_relation_id = self.next_relation_id.max(id.0.saturating_add(1));
                self.doc_mut(&doc)?.insert_relation(relation);
                Ok(Edit::RemoveRelation { doc, relation: id })
            }
            Edit::RemoveRelation { doc, relation } => {
                let d = self.doc_mut(&doc)?;
                let i = relation_pos(d, relation)?;
                let removed = d.relations.remove(i);
                Ok(Edit::AddRelation {
                    doc,
                    relation: removed,
                })
            }
            Edit::ChangeRelation { doc, relation } => {
                let d = self
                    .doc(&doc)
                    .ok_or_else(|| EditError::NoDocument(doc.clone()))?;
                relation_pos(d, relation.id)?;
                self.check_relation(d, &relation, Some(relation.id))?;
                let d = self.doc_mut(&doc)?;
                let i = relation_pos(d, relation.id)?;
                let old = std::mem::replace(&mut d.relations[i], relation);
                Ok(Edit::ChangeRelation { doc, relation: old })
            }
            Edit::Relabel { doc, span, label } => {
                if self.label(&label).is_none() {
                    return Err(EditError::UnknownLabel(label));
                }
                let d = self.doc_mut(&doc)?;
                let i = span_pos(d, span)?;
                let (start, end) = (d.spans[i].start, d.spans[i].end);
                if d.has_duplicate(start, end, &label, Some(span)) {
                    return Err(EditError::Duplicate { start, end, label });
                }
                let mut s = d.spans.remove(i);
                let old = std::mem::replace(&mut s.label, label);
                d.insert_sorted(s);
                Ok(Edit::Relabel {
                    doc,
                    span,
                    label: old,
                })
            }
            Edit::Resize {
                doc,
                span,
                start,
                end,
            } => {
                let d = self.doc_mut(&doc)?;
                let i = span_pos(d, span)?;
                let text = d.covered(start, end)?;
                let label = d.spans[i].label.clone();
                if d.has_duplicate(start, end, &label, Some(span)) {
                    return Err(EditError::Duplicate { start, end, label });
                }
                let mut s = d.spans.remove(i);
                let inverse = Edit::Resize {
                    doc: doc.clone(),
                    span,
                    start: s.start,
                    end: s.end,
                };
                if !s.fragments.is_empty() {
                    // A discontinuous span moves its outer ends: the first piece's start and the
                    // last piece's end.
                    let mut moved = s.clone();
                    if let Some(first) = moved.fragments.first_mut() {
                        first.0 = start;
                    }
                    if let Some(last) = moved.fragments.last_mut() {
                        last.1 = end;
                    }
                    (moved.start, moved.end) = (start, end);
                    if !moved.fragments_ok() {
                        let err = EditError::BadFragments {
                            span,
                            start,
                            end,
                            fragments: moved.fragments,
                        };
                        d.insert_sorted(s);
                        return Err(err);
                    }
                    s.fragments = moved.fragments;
                }
                (s.start, s.end, s.text) = (start, end, text);
                d.insert_sorted(s);
                Ok(inverse)
            }
            Edit::SetNote { doc, span, note } => {
                let d = self.doc_mut(&doc)?;
                let i = span_pos(d, span)?;
                let old = std::mem::replace(&mut d.spans[i].note, note);
                Ok(Edit::SetNote {
                    doc,
                    span,
                    note: old,
                })
            }
            Edit::SetReview {
                doc,
                span,
                status,
                review,
            } => {
                let d = self.doc_mut(&doc)?;
                let i = span_pos(d, span)?;
                let s = &mut d.spans[i];
                let old_status = std::mem::replace(&mut s.status, status);
                let old_review = std::mem::replace(&mut s.review, review);
                Ok(Edit::SetReview {
                    doc,
                    span,
                    status: old_status,
                    review: old_review,
                })
            }
            Edit::SetExcluded { doc, ranges } => {
                let d = self.doc_mut(&doc)?;
                if !d.excluded_ok(&ranges) {
                    return Err(EditError::BadExcluded(ranges));
                }
                let old = std::mem::replace(&mut d.excluded, ranges);
                Ok(Edit::SetExcluded { doc, ranges: old })
            }
            Edit::SetDone { doc, done } => {
                let d = self.doc_mut(&doc)?;
                let old = std::mem::replace(&mut d.done, done);
                Ok(Edit::SetDone { doc, done: old })
            }
            Edit::AddDocument { index, document } => {
                if self.doc(&document.id).is_some() {
                    return Err(EditError::DocumentExists(document.id.clone()));
                }
                self.check_document(&document)?;
                self.bump_counters(std::slice::from_ref(&document));
                let id = document.id.clone();
                let index = index.min(self.documents.len());
                self.documents.insert(index, document);
                Ok(Edit::RemoveDocument { doc: id })
            }
            Edit::ReplaceDocuments { documents } => {
                let mut ids = std::collections::HashSet::new();
                for d in &documents {
                    if !ids.insert(d.id.as_str()) {
                        return Err(EditError::DocumentExists(d.id.clone()));
                    }
                    self.check_document(d)?;
                }
                self.bump_counters(&documents);
                let old = std::mem::replace(&mut self.documents, documents);
                Ok(Edit::ReplaceDocuments { documents: old })
            }
            Edit::RemoveDocument { doc } => {
                let i = self
                    .doc_index(&doc)
                    .ok_or_else(|| EditError::NoDocument(doc.clone()))?;
                let document = self.documents.remove(i);
                Ok(Edit::AddDocument { index: i, document })
            }
            Edit::AddLabel { index, label } => {
                self.check_label(&label, None)?;
                let name = label.name.clone();
                let index = index.min(self.labels.len());
                self.labels.insert(index, label);
                Ok(Edit::RemoveLabel { name })
            }
            Edit::RemoveLabel { name } => {
                let i = self
                    .labels
                    .iter()
                    .position(|l| l.name == name)
                    .ok_or_else(|| EditError::UnknownLabel(name.clone()))?;
                let count = self.label_uses(&name);
                if count > 0 {
                    return Err(EditError::LabelInUse { name, count });
                }
                let label = self.labels.remove(i);
                Ok(Edit::AddLabel { index: i, label })
            }
            Edit::ChangeLabel { name, label } => {
                let i = self
                    .labels
                    .iter()
                    .position(|l| l.name == name)
                    .ok_or_else(|| EditError::UnknownLabel(name.clone()))?;
                self.check_label(&label, Some(i))?;
                if label.name != name {
                    // Only the documents that use the label are copied.
                    for d in &mut self.documents {
                        if d.spans.iter().any(|s| s.label == name) {
                            let d = Arc::make_mut(d);
                            for s in d.spans.iter_mut().filter(|s| s.label == name) {
                                s.label.clone_from(&label.name);
                            }
                            d.sort_spans();
                        }
                    }
                }
                if label.name != name {
                    // Relation types name the labels they allow.
                    for t in &mut self.relation_types {
                        for l in t.from_labels.iter_mut().chain(t.to_labels.iter_mut()) {
                            if *l == name {
                                l.clone_from(&label.name);
                            }
                        }
                    }
                }
                let new_name = label.name.clone();
                let old = std::mem::replace(&mut self.labels[i], label);
                Ok(Edit::ChangeLabel {
                    name: new_name,
                    label: old,
                })
            }
            Edit::AddRelationType { index, rtype } => {
                self.check_relation_type(&rtype, None)?;
                let name = rtype.name.clone();
                let index = index.min(self.relation_types.len());
                self.relation_types.insert(index, rtype);
                Ok(Edit::RemoveRelationType { name })
            }
            Edit::RemoveRelationType { name } => {
                let i = self.relation_type_pos(&name)?;
                let count = self.relation_type_uses(&name);
                if count > 0 {
                    return Err(EditError::RelationTypeInUse { name, count });
                }
                let rtype = self.relation_types.remove(i);
                Ok(Edit::AddRelationType { index: i, rtype })
            }
            Edit::ChangeRelationType { name, rtype } => {
                let i = self.relation_type_pos(&name)?;
                self.check_relation_type(&rtype, Some(i))?;
                if rtype.name != name {
                    for d in &mut self.documents {
                        if d.relations.iter().any(|r| r.kind == name) {
                            let d = Arc::make_mut(d);
                            for r in d.relations.iter_mut().filter(|r| r.kind == name) {
                                r.kind.clone_from(&rtype.name);
                            }
                        }
                    }
                }
                let new_name = rtype.name.clone();
                let old = std::mem::replace(&mut self.relation_types[i], rtype);
                Ok(Edit::ChangeRelationType {
                    name: new_name,
                    rtype: old,
                })
            }
            Edit::RenameProject { name } => {
                let old = std::mem::replace(&mut self.name, name);
                Ok(Edit::RenameProject { name: old })
            }
        }
    }

    /// Applies edits in order as one unit: if one fails, those already applied are undone and the
    /// error is returned. On success returns the inverses in the order they must be applied.
    pub fn apply_all(&mut self, edits: Vec<Edit>) -> Result<Vec<Edit>, EditError> {
        let mut inverses = Vec::with_capacity(edits.len());
        for edit in edits {
            match self.apply(edit) {
                Ok(inv) => inverses.push(inv),
                Err(e) => {
                    for inv in inverses.into_iter().rev() {
                        // Inverses of edits that just succeeded always apply.
                        let _ = self.apply(inv);
                    }
                    return Err(e);
                }
            }
        }
        inverses.reverse();
        Ok(inverses)
    }

    /// Number of spans with label `name`.
    pub fn label_uses(&self, name: &str) -> usize {
        self.documents
            .iter()
            .map(|d| d.spans.iter().filter(|s| s.label == name).count())
            .sum()
    }

    /// Number of relations of type `name`.
    pub fn relation_type_uses(&self, name: &str) -> usize {
        self.documents
            .iter()
            .map(|d| d.relations.iter().filter(|r| r.kind == name).count())
            .sum()
    }

    fn relation_type_pos(&self, name: &str) -> Result<usize, EditError> {
        self.relation_types
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| EditError::UnknownRelationType(name.to_owned()))
    }

    /// Checks a relation against its document: known type, both spans there and different,
    /// no other relation of that type between them.
    fn check_relation(
        &self,
        d: &Document,
        r: &Relation,
        except: Option<RelationId>,
    ) -> Result<(), EditError> {
        if r.id.0 > crate::model::MAX_SPAN_ID {
            return Err(EditError::RelationIdTaken(r.id));
        }
        if self.relation_type(&r.kind).is_none() {
            return Err(EditError::UnknownRelationType(r.kind.clone()));
        }
        for end in [r.from, r.to] {
            span_pos(d, end)?;
        }
        if r.from == r.to {
            return Err(EditError::SelfRelation(r.from));
        }
        if d.has_relation(r.from, r.to, &r.kind, except) {
            return Err(EditError::DuplicateRelation {
                from: r.from,
                to: r.to,
                kind: r.kind.clone(),
            });
        }
        Ok(())
    }

    /// Checks a whole document before it is added: labels, span texts and fragments, relations.
    fn check_document(&self, d: &Document) -> Result<(), EditError> {
        for s in &d.spans {
            if self.label(&s.label).is_none() {
                return Err(EditError::UnknownLabel(s.label.clone()));
            }
            check_span_text(d, s)?;
        }
        let mut ids = std::collections::HashSet::new();
        for r in &d.relations {
            if !ids.insert(r.id) {
                return Err(EditError::RelationIdTaken(r.id));
            }
            self.check_relation(d, r, Some(r.id))?;
        }
        Ok(())
    }

    /// Raises the id counters past every id in `documents`.
    fn bump_counters(&mut self, documents: &[Arc<Document>]) {
        let max_span = documents
            .iter()
            .flat_map(|d| d.spans.iter().map(|s| s.id.0))
            .max()
            .unwrap_or(0);
        self.next_span_id = self.next_span_id.max(max_span.saturating_add(1));
        let max_rel = documents
            .iter()
            .flat_map(|d| d.relations.iter().map(|r| r.id.0))
            .max()
            .unwrap_or(0);
        self.next_relation_id = self.next_relation_id.max(max_rel.saturating_add(1));
    }

    fn check_relation_type(
        &self,
        rtype: &RelationType,
        replacing: Option<usize>,
    ) -> Result<(), EditError> {
        if rtype.name.is_empty() || rtype.name.chars().any(char::is_whitespace) {
            return Err(EditError::BadLabelName(rtype.name.clone()));
        }
        for (i, t) in self.relation_types.iter().enumerate() {
            if Some(i) == replacing {
                continue;
            }
            if t.name == rtype.name {
                return Err(EditError::RelationTypeExists(rtype.name.clone()));
            }
            if let Some(key) = rtype.hotkey
                && t.hotkey == Some(key)
            {
                return Err(EditError::HotkeyTaken {
                    key,
                    label: t.name.clone(),
                });
            }
        }
        if let Some(key) = rtype.hotkey
            && let Some(l) = self.labels.iter().find(|l| l.hotkey == Some(key))
        {
            return Err(EditError::HotkeyTaken {
                key,
                label: l.name.clone(),
            });
        }
        Ok(())
    }

    /// The document with id `id`, to change: copied first if a snapshot still shares it.
    fn doc_mut(&mut self, id: &str) -> Result<&mut Document, EditError> {
        self.documents
            .iter_mut()
            .find(|d| d.id == id)
            .map(Arc::make_mut)
            .ok_or_else(|| EditError::NoDocument(id.to_owned()))
    }

    fn check_label(&self, label: &Label, replacing: Option<usize>) -> Result<(), EditError> {
        if label.name.is_empty() || label.name.chars().any(char::is_whitespace) {
            return Err(EditError::BadLabelName(label.name.clone()));
        }
        for (i, l) in self.labels.iter().enumerate() {
            if Some(i) == replacing {
                continue;
            }
            if l.name == label.name {
                return Err(EditError::LabelExists(label.name.clone()));
            }
            if let Some(key) = label.hotkey
                && l.hotkey == Some(key)
            {
                return Err(EditError::HotkeyTaken {
                    key,
                    label: l.name.clone(),
                });
            }
        }
        if let Some(key) = label.hotkey
            && let Some(t) = self.relation_types.iter().find(|t| t.hotkey == Some(key))
        {
            return Err(EditError::HotkeyTaken {
                key,
                label: t.name.clone(),
            });
        }
        Ok(())
    }
}

fn relation_pos(d: &Document, id: RelationId) -> Result<usize, EditError> {
    d.relations
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(|| EditError::NoRelation {
            doc: d.id.clone(),
            relation: id,
        })
}

fn span_pos(d: &Document, id: SpanId) -> Result<usize, EditError> {
    d.span_index(id).ok_or_else(|| EditError::NoSpan {
        doc: d.id.clone(),
        span: id,
    })
}

/// Checks a span's range and stored text against the document, and that it is not a duplicate.
fn check_span(d: &Document, span: &Span) -> Result<(), EditError> {
    check_span_text(d, span)?;
    if d.has_duplicate(span.start, span.end, &span.label, None) {
        return Err(EditError::Duplicate {
            start: span.start,
            end: span.end,
            label: span.label.clone(),
        });
    }
    Ok(())
}

fn check_span_text(d: &Document, span: &Span) -> Result<(), EditError> {
    if span.id.0 > crate::model::MAX_SPAN_ID {
        return Err(EditError::SpanIdTooLarge(span.id));
    }
    let actual = d.covered(span.start, span.end)?;
    if !span.fragments_ok() {
        return Err(EditError::BadFragments {
            span: span.id,
            start: span.start,
            end: span.end,
            fragments: span.fragments.clone(),
        });
    }
    if actual != span.text {
        return Err(EditError::TextMismatch {
            stored: span.text.clone(),
            actual,
        });
    }
    Ok(())
}

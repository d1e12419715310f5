//! Edits: every change to a project is an [`Edit`] value, applied in one place
//! ([`Project::apply`]), which returns the edit that undoes it.

pub use crate::model::EditError;
use crate::model::{Document, Label, Project, Review, Span, SpanId, Status};

/// One change to a project. Documents are named by id, spans by id.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Adds a span (its id must be unused; see [`Project::make_span`]).
    AddSpan { doc: String, span: Span },
    /// Removes a span.
    RemoveSpan { doc: String, span: SpanId },
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
    /// Marks a document done or not.
    SetDone { doc: String, done: bool },
    /// Inserts a document at position `index` (clamped to the end).
    AddDocument {
        index: usize,
        document: Box<Document>,
    },
    /// Removes a document with its spans.
    RemoveDocument { doc: String },
    /// Replaces every document at once, in this order (a comparison merged again); the inverse
    /// puts the previous documents back. Linear in the documents, unlike removing and adding
    /// them one by one.
    ReplaceDocuments { documents: Vec<Document> },
    /// Inserts a label at position `index` (clamped to the end).
    AddLabel { index: usize, label: Label },
    /// Removes a label no span uses.
    RemoveLabel { name: String },
    /// Replaces the label named `name` (rename, colour, hotkey). A rename relabels its spans.
    ChangeLabel { name: String, label: Label },
    /// Renames the project.
    RenameProject { name: String },
}

impl Edit {
    /// The document this edit touches, if it touches one.
    pub fn doc(&self) -> Option<&str> {
        match self {
            Edit::AddSpan { doc, .. }
            | Edit::RemoveSpan { doc, .. }
            | Edit::Relabel { doc, .. }
            | Edit::Resize { doc, .. }
            | Edit::SetNote { doc, .. }
            | Edit::SetReview { doc, .. }
            | Edit::SetDone { doc, .. }
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
                let d = self.doc_mut(&doc)?;
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
                Ok(Edit::AddSpan { doc, span: removed })
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
            Edit::SetDone { doc, done } => {
                let d = self.doc_mut(&doc)?;
                let old = std::mem::replace(&mut d.done, done);
                Ok(Edit::SetDone { doc, done: old })
            }
            Edit::AddDocument { index, document } => {
                if self.doc(&document.id).is_some() {
                    return Err(EditError::DocumentExists(document.id));
                }
                for s in &document.spans {
                    if self.label(&s.label).is_none() {
                        return Err(EditError::UnknownLabel(s.label.clone()));
                    }
                    check_span_text(&document, s)?;
                }
                let max_id = document.spans.iter().map(|s| s.id.0).max().unwrap_or(0);
                self.next_span_id = self.next_span_id.max(max_id.saturating_add(1));
                let id = document.id.clone();
                let index = index.min(self.documents.len());
                self.documents.insert(index, *document);
                Ok(Edit::RemoveDocument { doc: id })
            }
            Edit::ReplaceDocuments { documents } => {
                let mut ids = std::collections::HashSet::new();
                for d in &documents {
                    if !ids.insert(d.id.as_str()) {
                        return Err(EditError::DocumentExists(d.id.clone()));
                    }
                    for s in &d.spans {
                        if self.label(&s.label).is_none() {
                            return Err(EditError::UnknownLabel(s.label.clone()));
                        }
                        check_span_text(d, s)?;
                    }
                }
                let max_id = documents
                    .iter()
                    .flat_map(|d| d.spans.iter().map(|s| s.id.0))
                    .max()
                    .unwrap_or(0);
                self.next_span_id = self.next_span_id.max(max_id.saturating_add(1));
                let old = std::mem::replace(&mut self.documents, documents);
                Ok(Edit::ReplaceDocuments { documents: old })
            }
            Edit::RemoveDocument { doc } => {
                let i = self
                    .doc_index(&doc)
                    .ok_or_else(|| EditError::NoDocument(doc.clone()))?;
                let document = Box::new(self.documents.remove(i));
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
                    for d in &mut self.documents {
                        let mut changed = false;
                        for s in d.spans.iter_mut().filter(|s| s.label == name) {
                            s.label.clone_from(&label.name);
                            changed = true;
                        }
                        if changed {
                            d.sort_spans();
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

    fn doc_mut(&mut self, id: &str) -> Result<&mut Document, EditError> {
        self.documents
            .iter_mut()
            .find(|d| d.id == id)
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
        Ok(())
    }
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
    if actual != span.text {
        return Err(EditError::TextMismatch {
            stored: span.text.clone(),
            actual,
        });
    }
    Ok(())
}

//! Undo history over a project.
//!
//! A [`Workspace`] owns a project and its history. Every change goes through
//! [`Workspace::apply`], which applies a group of edits as one undoable step. Each state of the
//! project has a revision number; undo returns to the earlier state's number, so "unsaved changes"
//! is simply `revision() != saved_revision`, never tracked by hand.

use crate::edit::{Edit, EditError};
use crate::model::Project;

/// One undoable step: the edits that take the project from one revision to the other.
#[derive(Debug, Clone)]
struct Step {
    description: String,
    /// Edits to apply, in order, to move across this step.
    edits: Vec<Edit>,
    /// The revision reached once `edits` are applied.
    target: u64,
    /// The revision the project is at before `edits` are applied.
    origin: u64,
}

/// A project with undo/redo history.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub project: Project,
    undo: Vec<Step>,
    redo: Vec<Step>,
    revision: u64,
    next_revision: u64,
    saved_revision: u64,
    limit: usize,
}

impl Workspace {
    /// Wraps a project that is in its saved state.
    pub fn new(project: Project) -> Self {
        Workspace {
            project,
            undo: Vec::new(),
            redo: Vec::new(),
            revision: 0,
            next_revision: 1,
            saved_revision: 0,
            limit: 10_000,
        }
    }

    /// Wraps a project that has never been saved (it starts dirty).
    pub fn new_unsaved(project: Project) -> Self {
        let mut ws = Workspace::new(project);
        ws.saved_revision = u64::MAX;
        ws
    }

    /// Applies `edits` as one step called `description`. On error nothing changes.
    pub fn apply(
        &mut self,
        description: impl Into<String>,
        edits: Vec<Edit>,
    ) -> Result<(), EditError> {
        if edits.is_empty() {
            return Ok(());
        }
        let inverses = self.project.apply_all(edits)?;
        let origin = self.revision;
        self.revision = self.next_revision;
        self.next_revision += 1;
        self.undo.push(Step {
            description: description.into(),
            edits: inverses,
            target: origin,
            origin: self.revision,
        });
        if self.undo.len() > self.limit {
            self.undo.remove(0);
        }
        self.redo.clear();
        Ok(())
    }

    /// Undoes the last step; returns its description, or `None` if there is nothing to undo.
    pub fn undo(&mut self) -> Option<String> {
        let step = self.undo.pop()?;
        self.cross(step, true)
    }

    /// Redoes the last undone step; returns its description.
    pub fn redo(&mut self) -> Option<String> {
        let step = self.redo.pop()?;
        self.cross(step, false)
    }

    fn cross(&mut self, step: Step, undoing: bool) -> Option<String> {
        match self.project.apply_all(step.edits.clone()) {
            Ok(inverses) => {
                self.revision = step.target;
                let back = Step {
                    description: step.description.clone(),
                    edits: inverses,
                    target: step.origin,
                    origin: step.target,
                };
                if undoing {
                    self.redo.push(back);
                } else {
                    self.undo.push(back);
                }
                Some(step.description)
            }
            // Unreachable while every change goes through this workspace; keep the step so the
            // history is not silently lost.
            Err(_) => {
                if undoing {
                    self.undo.push(step);
                } else {
                    self.redo.push(step);
                }
                None
            }
        }
    }

    /// Description of the step undo would revert.
    pub fn undo_description(&self) -> Option<&str> {
        self.undo.last().map(|s| s.description.as_str())
    }

    /// Description of the step redo would repeat.
    pub fn redo_description(&self) -> Option<&str> {
        self.redo.last().map(|s| s.description.as_str())
    }

    /// The edits [`Workspace::undo`] would apply next (empty when there is nothing to undo).
    pub fn undo_edits(&self) -> &[Edit] {
        self.undo.last().map_or(&[], |s| &s.edits)
    }

    /// The edits [`Workspace::redo`] would apply next (empty when there is nothing to redo).
    pub fn redo_edits(&self) -> &[Edit] {
        self.redo.last().map_or(&[], |s| &s.edits)
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// The revision of the current state. Equal revisions mean equal project content.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Records that the current revision is what is on disk.
    pub fn mark_saved(&mut self, revision: u64) {
        self.saved_revision = revision;
    }

    /// Whether the project differs from what was last saved.
    pub fn is_dirty(&self) -> bool {
        self.revision != self.saved_revision
    }
}
